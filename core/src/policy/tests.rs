//! Every condition's allow and deny paths, missing request fields, and document errors.

use super::*;
use crate::Request;

const T0: Timestamp = 1_767_571_200_000; // Monday 2026-01-05 00:00 UTC
const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

fn policy(toml: &str) -> Policy {
    Policy::from_toml(toml).unwrap_or_else(|e| panic!("{e}"))
}

fn times() -> TokenTimes {
    TokenTimes {
        issued_at: T0,
        last_used: T0,
    }
}

fn eval(p: &Policy, r: &Request<'_>, now: Timestamp) -> Vec<Reason> {
    p.evaluate(r, times(), now)
}

fn req() -> Request<'static> {
    Request::new("tw_x")
}

#[test]
fn an_empty_policy_allows_anything() {
    let p = policy("");
    assert!(eval(&p, &req(), T0).is_empty());
}

#[test]
fn subjects_devices_environments() {
    let p = policy(
        r#"subjects = ["ci", "deploy"]
devices = ["laptop-7"]
environments = ["prod"]"#,
    );
    let ok = req()
        .subject("deploy")
        .device("laptop-7")
        .environment("prod");
    assert!(eval(&p, &ok, T0).is_empty());
    assert_eq!(
        eval(&p, &ok.subject("other"), T0),
        [Reason::SubjectMismatch]
    );
    assert_eq!(
        eval(&p, &ok.device("laptop-8"), T0),
        [Reason::DeviceMismatch]
    );
    assert_eq!(
        eval(&p, &ok.environment("staging"), T0),
        [Reason::EnvironmentMismatch]
    );
    // Missing fields fail their condition.
    assert_eq!(
        eval(&p, &req(), T0),
        [
            Reason::SubjectMismatch,
            Reason::DeviceMismatch,
            Reason::EnvironmentMismatch
        ]
    );
}

#[test]
fn ip_allow_and_deny_lists() {
    let p = policy(
        r#"allow_ips = ["10.0.0.0/8", "2001:db8::/32"]
deny_ips = ["10.66.0.0/16"]"#,
    );
    let at = |ip: &str| eval(&p, &req().ip(ip.parse().unwrap()), T0);
    assert!(at("10.1.2.3").is_empty());
    assert!(at("2001:db8::5").is_empty());
    assert!(at("::ffff:10.1.2.3").is_empty());
    assert_eq!(at("11.0.0.1"), [Reason::IpNotAllowed]);
    assert_eq!(at("10.66.1.1"), [Reason::IpNotAllowed]);
    assert_eq!(at("2001:db9::1"), [Reason::IpNotAllowed]);
    assert_eq!(eval(&p, &req(), T0), [Reason::IpNotAllowed]);
    let deny_only = policy(r#"deny_ips = ["192.0.2.0/24"]"#);
    assert!(eval(&deny_only, &req().ip("198.51.100.1".parse().unwrap()), T0).is_empty());
    assert_eq!(
        eval(&deny_only, &req().ip("192.0.2.1".parse().unwrap()), T0),
        [Reason::IpNotAllowed]
    );
    assert_eq!(eval(&deny_only, &req(), T0), [Reason::IpNotAllowed]);
}

#[test]
fn countries() {
    let p = policy(r#"countries = ["de", "FR"]"#);
    assert!(eval(&p, &req().country("DE"), T0).is_empty());
    assert!(eval(&p, &req().country("fr"), T0).is_empty());
    assert_eq!(
        eval(&p, &req().country("US"), T0),
        [Reason::CountryNotAllowed]
    );
    assert_eq!(
        eval(&p, &req().country("DEU"), T0),
        [Reason::CountryNotAllowed]
    );
    assert_eq!(eval(&p, &req(), T0), [Reason::CountryNotAllowed]);
}

#[test]
fn endpoints() {
    let p = policy(r#"endpoints = ["GET /v1/orders/*", "POST /v1/orders"]"#);
    assert!(eval(&p, &req().endpoint("GET", "/v1/orders/9"), T0).is_empty());
    assert!(eval(&p, &req().endpoint("POST", "/v1/orders"), T0).is_empty());
    assert_eq!(
        eval(&p, &req().endpoint("DELETE", "/v1/orders/9"), T0),
        [Reason::ScopeDenied]
    );
    assert_eq!(
        eval(&p, &req().endpoint("GET", "/v1/users/9"), T0),
        [Reason::ScopeDenied]
    );
    let mut no_method = req();
    no_method.path = Some("/v1/orders/9");
    assert_eq!(eval(&p, &no_method, T0), [Reason::ScopeDenied]);
    assert_eq!(eval(&p, &req(), T0), [Reason::ScopeDenied]);
    // `evaluate` canonicalises the raw path itself.
    assert!(eval(&p, &req().endpoint("GET", "/v1/%6frders/%39"), T0).is_empty());
    assert_eq!(
        eval(&p, &req().endpoint("GET", "/v1/orders/..%2fadmin"), T0),
        [Reason::InvalidPath]
    );
}

#[test]
fn time_windows_with_offset() {
    let p = policy(
        r#"time_windows = ["mon-fri 09:00-17:00"]
utc_offset = "+02:00""#,
    );
    // Monday 07:00 UTC is 09:00 at +02:00.
    assert!(eval(&p, &req(), T0 + 7 * HOUR).is_empty());
    assert_eq!(eval(&p, &req(), T0 + 6 * HOUR), [Reason::OutsideTimeWindow]);
    assert_eq!(
        eval(&p, &req(), T0 + 15 * HOUR),
        [Reason::OutsideTimeWindow]
    );
    assert_eq!(
        eval(&p, &req(), T0 + 5 * DAY + 10 * HOUR),
        [Reason::OutsideTimeWindow]
    );
}

#[test]
fn not_before_expires_at_and_max_lifetime() {
    let p = policy(
        r#"not_before = "2026-01-05T12:00:00Z"
expires_at = 1767830400000"#,
    ); // 2026-01-08
    assert_eq!(eval(&p, &req(), T0), [Reason::NotYetValid]);
    assert!(eval(&p, &req(), T0 + 12 * HOUR).is_empty());
    assert_eq!(eval(&p, &req(), T0 + 3 * DAY), [Reason::Expired]);
    let life = policy(r#"max_lifetime = "2d""#);
    assert!(eval(&life, &req(), T0 + 2 * DAY - 1).is_empty());
    assert_eq!(eval(&life, &req(), T0 + 2 * DAY), [Reason::Expired]);
}

#[test]
fn idle_expiry_counts_from_last_use() {
    let p = policy(r#"idle_expiry = "1h""#);
    let used = TokenTimes {
        issued_at: T0,
        last_used: T0 + 5 * HOUR,
    };
    assert!(p.evaluate(&req(), used, T0 + 6 * HOUR - 1).is_empty());
    assert_eq!(
        p.evaluate(&req(), used, T0 + 6 * HOUR),
        [Reason::IdleExpired]
    );
}

#[test]
fn every_failing_condition_is_reported_in_order() {
    let p = policy(
        r#"subjects = ["a"]
allow_ips = ["10.0.0.0/8"]
countries = ["DE"]
endpoints = ["GET /x"]
time_windows = ["sat 00:00-01:00"]
max_lifetime = "1h""#,
    );
    assert_eq!(
        eval(&p, &req(), T0 + 2 * HOUR),
        [
            Reason::Expired,
            Reason::SubjectMismatch,
            Reason::IpNotAllowed,
            Reason::CountryNotAllowed,
            Reason::ScopeDenied,
            Reason::OutsideTimeWindow
        ]
    );
}

#[test]
fn rate_limit_compiles() {
    let p = policy(r#"rate_limit = { requests = 10, window = "1s" }"#);
    let limit = p.rate_limit().unwrap();
    assert_eq!((limit.requests(), limit.window_ms()), (10, 1000));
}

#[test]
fn errors_name_the_field_path() {
    let err = |toml: &str| Policy::from_toml(toml).unwrap_err().to_string();
    assert_eq!(
        err(r#"allow_ips = ["10.0.0.0/33"]"#),
        r#"allow_ips[0]: invalid CIDR: prefix length above 32"#
    );
    assert_eq!(
        err(r#"deny_ips = ["::/0", "x"]"#),
        r#"deny_ips[1]: invalid CIDR: not an IP address"#
    );
    assert_eq!(
        err(r#"countries = ["DEU"]"#),
        r#"countries[0]: invalid country: expected an ISO 3166-1 alpha-2 code like "DE""#
    );
    assert!(err(r#"endpoints = ["GET"]"#).starts_with("endpoints[0]: invalid endpoint"));
    assert!(
        err(r#"time_windows = ["mon 09:00"]"#).starts_with("time_windows[0]: invalid time window")
    );
    assert!(
        err("time_windows = [\"daily 09:00-10:00\"]\nutc_offset = \"+2\"")
            .starts_with("utc_offset: invalid UTC offset")
    );
    assert_eq!(
        err(r#"utc_offset = "Z""#),
        "utc_offset: set without time_windows"
    );
    assert!(err(r#"max_lifetime = "forever""#).starts_with("max_lifetime: invalid duration:"));
    assert!(err(r#"idle_expiry = "0s""#).starts_with("idle_expiry: the duration must be positive"));
    assert!(err(r#"expires_at = "tomorrow""#).starts_with("expires_at: invalid time"));
    assert_eq!(
        err("not_before = 10\nexpires_at = 5"),
        "expires_at: must be after not_before"
    );
    assert_eq!(
        err(r#"rate_limit = { requests = 0, window = "1s" }"#),
        "rate_limit.requests: must be at least 1"
    );
    assert!(err(r#"rate_limit = { requests = 1, window = "1 sec" }"#)
        .starts_with("rate_limit.window: invalid duration"));
    assert_eq!(
        err(r#"subjects = [""]"#),
        "subjects[0]: must be 1 to 256 bytes long"
    );
    // Unknown fields and wrong types are errors with their path.
    // Neither the unknown key nor the misplaced value is quoted: either could be a secret.
    assert!(err(r#"subject = ["a"]"#).starts_with("unknown field, expected one of `subjects`"));
    assert_eq!(
        err(r#"rate_limit = { requests = 1, window = "1s", burst = 2 }"#),
        "rate_limit: unknown field, expected `requests` or `window` (line 1)"
    );
    assert_eq!(
        err(r#"countries = "DE""#),
        "countries: invalid type: string, expected a sequence (line 1)"
    );
    let json = Policy::from_json(r#"{"allow_ips": ["1.2.3.4/40"]}"#).unwrap_err();
    assert_eq!(json.path, "allow_ips[0]");
    assert!(Policy::from_json(r#"{"subjects": ["a"]} trailing"#).is_err());
}

#[test]
fn toml_and_json_documents_agree() {
    let toml = PolicyDoc::from_toml(
        r#"subjects = ["a"]
allow_ips = ["10.0.0.0/8"]
rate_limit = { requests = 5, window = "1m" }
expires_at = "2027-01-01""#,
    )
    .unwrap();
    let json = PolicyDoc::from_json(&toml.to_json()).unwrap();
    assert_eq!(toml, json);
    assert_eq!(
        Policy::compile(&toml).unwrap(),
        Policy::compile(&json).unwrap()
    );
}
