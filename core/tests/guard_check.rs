//! `Guard::check` end to end: every reason code through the Guard, verdicts and denial events.

use tokenward::guard::{EventKind, TokenState};
use tokenward::{
    Decision, Guard, GuardConfig, GuardError, PolicyDoc, Reason, Request, TokenKey, TokenMeta,
};

const T0: i64 = 1_767_571_200_000; // Monday 2026-01-05 00:00 UTC
const HOUR: i64 = 3_600_000;

fn guard(config: &str) -> Guard {
    Guard::with_config(
        TokenKey::new(b"test key"),
        &GuardConfig::from_toml(config).unwrap(),
    )
    .unwrap()
}

fn seed(n: u8) -> [u8; 32] {
    [n; 32]
}

#[test]
fn unknown_tokens_are_denied_with_their_fingerprint() {
    let g = guard("");
    let v = g.check(&Request::new("tw_nope"), T0);
    assert_eq!(v.decision, Decision::Deny);
    assert_eq!(v.reasons, [Reason::UnknownToken]);
    assert_eq!(v.token_id, Some(g.token_id(b"tw_nope")));
    // Empty and oversized tokens are unknown without being hashed.
    assert_eq!(g.check(&Request::new(""), T0).token_id, None);
    let huge = "x".repeat(5000);
    assert_eq!(
        g.check(&Request::new(&huge), T0).reasons,
        [Reason::UnknownToken]
    );
    // Non-UTF-8 tokens are fine.
    assert_eq!(
        g.check(&Request::from_bytes(&[0xff, 0xfe]), T0).reasons,
        [Reason::UnknownToken]
    );
}

#[test]
fn registered_and_minted_tokens_are_allowed() {
    let g = guard("");
    let id = g
        .register("host-issued-token-123", &TokenMeta::new(), T0)
        .unwrap();
    let v = g.check(&Request::new("host-issued-token-123"), T0);
    assert!(v.is_allowed());
    assert_eq!(v.token_id, Some(id));
    assert!(v.reasons.is_empty());
    let minted = g.mint(&TokenMeta::new(), &seed(1), T0).unwrap();
    assert!(tokenward::token::is_well_formed(minted.token.expose()));
    assert!(g
        .check(&Request::new(minted.token.expose()), T0)
        .is_allowed());
    assert_eq!(
        g.register("host-issued-token-123", &TokenMeta::new(), T0),
        Err(GuardError::AlreadyRegistered(id))
    );
    assert_eq!(
        g.register("", &TokenMeta::new(), T0),
        Err(GuardError::TokenLength(0))
    );
}

#[test]
fn lifecycle_reasons() {
    let g = guard("");
    let a = g.mint(&TokenMeta::new(), &seed(1), T0).unwrap();
    let b = g
        .mint(&TokenMeta::new().expires_at(T0 + HOUR), &seed(2), T0)
        .unwrap();
    let check = |m: &tokenward::Minted, at| g.check(&Request::new(m.token.expose()), at).reasons;
    g.quarantine(&a.id, T0).unwrap();
    assert_eq!(check(&a, T0 + 1), [Reason::Quarantined]);
    g.release(&a.id, T0 + 2).unwrap();
    assert!(check(&a, T0 + 3).is_empty());
    assert!(g.revoke(&a.id, T0 + 4).unwrap());
    assert!(!g.revoke(&a.id, T0 + 5).unwrap());
    assert_eq!(check(&a, T0 + 6), [Reason::Revoked]);
    assert!(check(&b, T0 + HOUR - 1).is_empty());
    assert_eq!(check(&b, T0 + HOUR), [Reason::Expired]);
}

const FULL: &str = r#"
[policies.full]
subjects = ["ci"]
devices = ["runner-1"]
environments = ["prod"]
allow_ips = ["10.0.0.0/8"]
deny_ips = ["10.9.0.0/16"]
countries = ["DE"]
endpoints = ["GET /v1/orders/*"]
time_windows = ["mon-fri 08:00-18:00"]
not_before = "2026-01-01"
max_lifetime = "30d"
idle_expiry = "7d"
rate_limit = { requests = 3, window = "1m" }
"#;

fn full_request(token: &str) -> Request<'_> {
    Request::new(token)
        .subject("ci")
        .device("runner-1")
        .environment("prod")
        .ip("10.1.2.3".parse().unwrap())
        .country("DE")
        .endpoint("GET", "/v1/orders/17")
}

#[test]
fn every_policy_condition_through_the_guard() {
    let g = guard(FULL);
    let m = g
        .mint(&TokenMeta::new().policy("full"), &seed(3), T0)
        .unwrap();
    let at = T0 + 9 * HOUR;
    let ok = full_request(m.token.expose());
    assert!(g.check(&ok, at).is_allowed());
    let denied = |r: Request<'_>| g.check(&r, at).reasons;
    assert_eq!(denied(ok.subject("x")), [Reason::SubjectMismatch]);
    assert_eq!(denied(ok.device("x")), [Reason::DeviceMismatch]);
    assert_eq!(denied(ok.environment("dev")), [Reason::EnvironmentMismatch]);
    assert_eq!(
        denied(ok.ip("10.9.0.1".parse().unwrap())),
        [Reason::IpNotAllowed]
    );
    assert_eq!(denied(ok.country("FR")), [Reason::CountryNotAllowed]);
    assert_eq!(
        denied(ok.endpoint("POST", "/v1/orders/17")),
        [Reason::ScopeDenied]
    );
    assert_eq!(
        g.check(&ok, T0 + 20 * HOUR).reasons,
        [Reason::OutsideTimeWindow]
    );
    assert_eq!(
        g.check(&ok, T0 + 31 * 24 * HOUR + 9 * HOUR).reasons,
        [Reason::Expired, Reason::IdleExpired]
    );
    // Denied checks took nothing from the rate limit: two more fit, then it is exhausted.
    assert!(g.check(&ok, at).is_allowed());
    assert!(g.check(&ok, at).is_allowed());
    assert_eq!(g.check(&ok, at).reasons, [Reason::RateExceeded]);
    // A request failing elsewhere is also told the budget is gone.
    assert_eq!(
        denied(ok.country("FR")),
        [Reason::CountryNotAllowed, Reason::RateExceeded]
    );
    // A minute later the bucket has refilled.
    assert!(g.check(&ok, at + 60_000).is_allowed());
}

#[test]
fn not_yet_valid_and_idle_expiry_through_the_guard() {
    let g = guard(FULL);
    let m = g
        .mint(
            &TokenMeta::new().policy("full"),
            &seed(4),
            T0 - 10 * 24 * HOUR,
        )
        .unwrap();
    let ok = full_request(m.token.expose());
    // Issued 2025-12-26; Wednesday 2025-12-31 09:00 UTC is before not_before (2026-01-01).
    let before = T0 - 5 * 24 * HOUR + 9 * HOUR;
    assert_eq!(g.check(&ok, before).reasons, [Reason::NotYetValid]);
    // First use on Monday 09:00: unused for 10 days, past the 7-day idle expiry.
    assert_eq!(g.check(&ok, T0 + 9 * HOUR).reasons, [Reason::IdleExpired]);
    let fresh = g
        .mint(&TokenMeta::new().policy("full"), &seed(5), T0)
        .unwrap();
    let ok = full_request(fresh.token.expose());
    assert!(g.check(&ok, T0 + 9 * HOUR).is_allowed());
    // Use on Monday keeps it alive through the next Monday, but not past seven idle days.
    assert!(g.check(&ok, T0 + 7 * 24 * HOUR + 8 * HOUR).is_allowed());
    assert_eq!(
        g.check(&ok, T0 + 14 * 24 * HOUR + 9 * HOUR).reasons,
        [Reason::IdleExpired]
    );
    assert_eq!(
        g.token(&fresh.id).unwrap().last_used,
        T0 + 7 * 24 * HOUR + 8 * HOUR
    );
}

#[test]
fn inline_and_missing_policies() {
    let g = guard("");
    let doc = PolicyDoc::from_toml(r#"countries = ["DE"]"#).unwrap();
    let m = g
        .mint(&TokenMeta::new().inline_policy(doc), &seed(6), T0)
        .unwrap();
    assert_eq!(
        g.check(&Request::new(m.token.expose()), T0).reasons,
        [Reason::CountryNotAllowed]
    );
    assert_eq!(g.token(&m.id).unwrap().policy.as_deref(), Some("<inline>"));
    assert_eq!(
        g.mint(&TokenMeta::new().policy("nope"), &seed(7), T0)
            .unwrap_err(),
        GuardError::UnknownPolicy("nope".into())
    );
    let bad = PolicyDoc {
        countries: vec!["DEU".into()],
        ..PolicyDoc::default()
    };
    let err = g
        .mint(&TokenMeta::new().inline_policy(bad), &seed(8), T0)
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("policy.countries[0]: invalid country"),
        "{err}"
    );
}

#[test]
fn replacing_a_named_policy_applies_to_its_tokens() {
    let g = guard("[policies.p]\ncountries = [\"DE\"]");
    let m = g.mint(&TokenMeta::new().policy("p"), &seed(9), T0).unwrap();
    let r = Request::new(m.token.expose()).country("FR");
    assert_eq!(g.check(&r, T0).reasons, [Reason::CountryNotAllowed]);
    g.set_policy(
        "p",
        &PolicyDoc::from_toml(r#"countries = ["FR"]"#).unwrap(),
        T0,
    )
    .unwrap();
    assert!(g.check(&r, T0).is_allowed());
    let err = g.set_policy(
        "p",
        &PolicyDoc {
            allow_ips: vec!["1.2.3.4/33".into()],
            ..PolicyDoc::default()
        },
        T0,
    );
    assert_eq!(
        err.unwrap_err().to_string(),
        r#"policies.p.allow_ips[0]: invalid CIDR: prefix length above 32"#
    );
    assert!(
        g.check(&r, T0).is_allowed(),
        "a failed update changes nothing"
    );
}

#[test]
fn verdicts_serialize_with_codes() {
    let g = guard("");
    let v = g.check(&Request::new("nope"), T0);
    let json = serde_json::to_string(&v).unwrap();
    assert_eq!(
        json,
        format!(
            r#"{{"decision":"deny","reasons":["unknown_token"],"token_id":"{}"}}"#,
            g.token_id(b"nope")
        )
    );
}

#[test]
fn denials_are_events_and_allows_are_not() {
    let g = guard("");
    let m = g.mint(&TokenMeta::new().owner("o"), &seed(10), T0).unwrap();
    g.check(&Request::new(m.token.expose()), T0);
    g.check(&Request::new("bad"), T0 + 1);
    let events = g.drain_events();
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[0].kind, EventKind::Minted { token, meta } if *token == m.id && meta.owner.as_deref() == Some("o"))
    );
    assert_eq!(
        events[1].kind,
        EventKind::Denied {
            token: g.token_id(b"bad"),
            reasons: vec![Reason::UnknownToken]
        }
    );
    assert_eq!(tokenward::guard::verify_chain(&events), Ok(()));
    assert_eq!(g.token(&m.id).unwrap().state, TokenState::Active);
}

#[test]
fn a_full_event_queue_never_blocks_checks_and_counts_losses() {
    let g = Guard::with_config(
        TokenKey::new(b"k"),
        &GuardConfig {
            event_capacity: Some(4),
            ..GuardConfig::default()
        },
    )
    .unwrap();
    for i in 0..100 {
        assert!(!g.check(&Request::new("unknown"), T0 + i).is_allowed());
    }
    assert_eq!(g.dropped_events(), 96);
    assert_eq!(g.drain_events().len(), 4);
    g.check(&Request::new("unknown"), T0 + 200);
    let after = g.drain_events();
    assert_eq!(after[0].kind, EventKind::Dropped { count: 96 });
}

#[test]
fn configured_prefix_is_used_for_minting_and_checked() {
    let g = guard(r#"token_prefix = "acme_""#);
    let m = g.mint(&TokenMeta::new(), &seed(11), T0).unwrap();
    assert!(m.token.expose().starts_with("acme_"));
    let err = GuardConfig::from_toml(r#"token_prefix = "ACME-""#).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("token_prefix: invalid token prefix"),
        "{err}"
    );
    // Redaction told about the prefix finds the tokens and shows their id.
    let redactor = tokenward::Redactor::builder()
        .token_key(TokenKey::new(b"test key"))
        .token_prefix(g.token_prefix())
        .build()
        .unwrap();
    let line = format!("Authorization: Bearer {}", m.token.expose());
    assert_eq!(
        redactor.redact(&line),
        format!(
            "Authorization: Bearer [REDACTED:tokenward_token:{}]",
            m.id.short()
        )
    );
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let g = guard("");
    let m = g.mint(&TokenMeta::new(), &seed(12), T0).unwrap();
    let raw = m.token.expose().to_string();
    for text in [
        format!("{m:?}"),
        format!("{g:?}"),
        format!("{:?}", Request::new(&raw)),
    ] {
        assert!(!text.contains(&raw[3..20]), "{text}");
    }
}

#[cfg(feature = "getrandom")]
#[test]
fn minting_with_os_randomness() {
    let g = guard("");
    let a = g.mint_random(&TokenMeta::new(), T0).unwrap();
    let b = g.mint_random(&TokenMeta::new(), T0).unwrap();
    assert_ne!(a.id, b.id);
    assert!(g.check(&Request::new(a.token.expose()), T0).is_allowed());
}
