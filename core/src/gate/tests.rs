//! The gate with a real Guard: every answer a middleware gives, and the attacker's tricks.

use super::*;
use crate::{Reason, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;
const TOKEN: &str = "host-issued-token-0123456789";

const CONFIG: &str = r#"
[policies.narrow]
endpoints = ["GET /v1/orders/*"]
allow_ips = ["198.51.100.0/24"]
rate_limit = { requests = 2, window = "1m" }
"#;

fn guard() -> Guard {
    let config = crate::GuardConfig::from_toml(CONFIG).unwrap();
    let guard = Guard::with_config(TokenKey::new(b"gate test key"), &config).unwrap();
    guard
        .register(TOKEN, &TokenMeta::new().policy("narrow"), T0)
        .unwrap();
    guard
}

fn gate(json: &str) -> Gate {
    Gate::from_json(json).unwrap()
}

fn pass(gate: &Gate, guard: &Guard, target: &str, headers: &[(&str, &str)], peer: &str) -> Passage {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    let request = HttpRequest::new("GET", target, &headers[..]).peer(peer.parse().unwrap());
    gate.check(guard, &request, T0, None)
}

fn status(passage: &Passage) -> u16 {
    match passage {
        Passage::Exempt | Passage::Allowed(_) => 200,
        Passage::Denied { denial, .. } => {
            assert!(!denial.body().contains(TOKEN), "the body echoes the token");
            assert!(
                !format!("{passage:?}").contains(TOKEN),
                "Debug shows the token"
            );
            denial.status
        }
    }
}

const BEARER: (&str, &str) = ("authorization", "Bearer host-issued-token-0123456789");

#[test]
fn each_answer_of_a_middleware() {
    let (guard, gate) = (guard(), gate(r#"{"exempt_paths": ["/health"]}"#));
    let ok = pass(&gate, &guard, "/v1/orders/7?x=1", &[BEARER], "198.51.100.7");
    assert_eq!(status(&ok), 200);
    assert!(matches!(ok, Passage::Allowed(ref v) if v.token_id.is_some()));
    assert!(matches!(
        pass(&gate, &guard, "/health", &[], "6.6.6.6"),
        Passage::Exempt
    ));
    // An escaped spelling is checked: a router matching raw paths may send it elsewhere.
    assert_eq!(
        status(&pass(&gate, &guard, "/%68ealth", &[], "6.6.6.6")),
        401
    );
    // Absolute form: `http://x?a=/health` is the root, not the exempt path.
    assert_eq!(
        status(&pass(&gate, &guard, "http://x?a=/health", &[], "6.6.6.6")),
        401
    );
    assert!(matches!(
        pass(&gate, &guard, "HTTP://x/health?a=1", &[], "6.6.6.6"),
        Passage::Exempt
    ));
    assert_eq!(
        status(&pass(&gate, &guard, "/healthz", &[], "6.6.6.6")),
        401
    );
    // Wrong scope, wrong network, bad path: 403 with the reasons.
    let Passage::Denied { denial, .. } = pass(&gate, &guard, "/v1/admin", &[BEARER], "6.6.6.6")
    else {
        panic!("allowed")
    };
    assert_eq!(denial.status, 403);
    assert_eq!(denial.reasons, [Reason::IpNotAllowed, Reason::ScopeDenied]);
    let bad = pass(
        &gate,
        &guard,
        "/v1/orders/..%2fadmin",
        &[BEARER],
        "198.51.100.7",
    );
    assert!(
        matches!(bad, Passage::Denied { ref denial, .. } if denial.reasons == [Reason::InvalidPath])
    );
    // The second allowed request uses the limit up; the third is 429 with Retry-After.
    assert_eq!(
        status(&pass(
            &gate,
            &guard,
            "/v1/orders/8",
            &[BEARER],
            "198.51.100.7"
        )),
        200
    );
    let limited = pass(&gate, &guard, "/v1/orders/9", &[BEARER], "198.51.100.7");
    let Passage::Denied { denial, .. } = &limited else {
        panic!()
    };
    assert_eq!((denial.status, denial.error), (429, "rate_limited"));
    assert!(denial.retry_after.is_some_and(|s| (1..=60).contains(&s)));
    // Unknown and malformed credentials.
    let unknown = ("authorization", "Bearer not-a-token-we-know");
    assert_eq!(
        status(&pass(
            &gate,
            &guard,
            "/v1/orders/7",
            &[unknown],
            "198.51.100.7"
        )),
        401
    );
    let two = [BEARER, BEARER];
    assert_eq!(
        status(&pass(&gate, &guard, "/v1/orders/7", &two, "198.51.100.7")),
        400
    );
    let basic = ("authorization", "Basic dXNlcjpwYXNz");
    assert_eq!(
        status(&pass(
            &gate,
            &guard,
            "/v1/orders/7",
            &[basic],
            "198.51.100.7"
        )),
        401
    );
}

#[test]
fn forwarded_addresses_and_countries_only_from_trusted_proxies() {
    let gate = gate(r#"{"trusted_proxies": ["10.0.0.0/8"], "country_header": "CF-IPCountry"}"#);
    let spoof = [
        BEARER,
        ("x-forwarded-for", "198.51.100.7"),
        ("cf-ipcountry", "DE"),
    ];
    let admitted = |peer: &str, headers: &[(&str, &str)]| {
        let headers: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect();
        let request =
            HttpRequest::new("GET", "/v1/orders/1", &headers[..]).peer(peer.parse().unwrap());
        match gate.admit(&request) {
            Admission::Check(a) => (
                a.ip.map(|ip| ip.to_string()),
                a.country.map(|c| c.into_owned()),
            ),
            other => panic!("{other:?}"),
        }
    };
    // From an untrusted peer the headers are ignored: the policy's allow_ips then denies.
    assert_eq!(admitted("6.6.6.6", &spoof), (Some("6.6.6.6".into()), None));
    assert_eq!(
        status(&pass(&gate, &guard(), "/v1/orders/1", &spoof, "6.6.6.6")),
        403
    );
    // From the proxy they are believed.
    assert_eq!(
        admitted("10.1.1.1", &spoof),
        (Some("198.51.100.7".into()), Some("DE".into()))
    );
    assert_eq!(
        status(&pass(&gate, &guard(), "/v1/orders/1", &spoof, "10.1.1.1")),
        200
    );
    let odd = [BEARER, ("cf-ipcountry", "Germany")];
    assert_eq!(admitted("10.1.1.1", &odd).1, None);
}

#[test]
fn tokens_from_other_headers_cookies_and_queries() {
    let gate = gate(r#"{"header": "X-Api-Key", "cookie": "tw", "query_param": "access_token"}"#);
    // A fresh Guard for each request: the policy's rate limit stays out of the way.
    let ok = |target: &str, headers: &[(&str, &str)]| {
        status(&pass(&gate, &guard(), target, headers, "198.51.100.7"))
    };
    assert_eq!(ok("/v1/orders/1", &[("x-api-key", TOKEN)]), 200);
    // A bearer header is not this gate's credential.
    assert_eq!(ok("/v1/orders/1", &[BEARER]), 401);
    assert_eq!(
        ok(
            "/v1/orders/1",
            &[("cookie", "a=1; tw=host-issued-token-0123456789")]
        ),
        200
    );
    assert_eq!(
        ok(
            "/v1/orders/1?access_token=host-issued-token-0123456789",
            &[]
        ),
        200
    );
}

#[test]
fn configurations_are_checked_without_echoing_values() {
    let err = Gate::from_json(r#"{"trusted_proxies": ["10.0.0.0/8", "AKIA7QX2M4RB5KQ3YHV6"]}"#)
        .unwrap_err();
    assert_eq!(err.path, "trusted_proxies[1]");
    assert!(!err.to_string().contains("AKIA"));
    assert!(Gate::from_json(r#"{"trusted_proxy": []}"#).is_err());
    assert!(Gate::from_json(r#"{"header": "bad header"}"#).is_err());
    assert!(Gate::from_json(r#"{"realm": "a\"b"}"#).is_err());
    assert!(Gate::from_json(r#"{"exempt_paths": ["/a/**/b"]}"#).is_err());
    assert!(Gate::from_json(r#"{"forwarded_header": "forwarded"}"#).is_ok());
    for field in ["cookie", "query_param", "country_header"] {
        for bad in ["", "cf-ipcountry ", "a;b"] {
            let err = Gate::from_json(&format!(r#"{{"{field}": "{bad}"}}"#)).unwrap_err();
            assert_eq!(err.path, field);
        }
    }
}

#[test]
fn absolute_form_targets_are_read_by_their_path() {
    let request = HttpRequest::new(
        "GET",
        "https://api.example/v1/orders/1?q=2#f",
        &[] as &[(&str, &str)],
    );
    assert_eq!(request.path_and_query(), ("/v1/orders/1", "q=2"));
    let request = HttpRequest::new("GET", "/a?b=1#c", &[] as &[(&str, &str)]);
    assert_eq!(request.path_and_query(), ("/a", "b=1"));
    for (target, read) in [
        ("http://x?a=/health", ("/", "a=/health")),
        ("http://x#/health", ("/", "")),
        ("http://x", ("/", "")),
        (
            "/redirect/http://evil/health",
            ("/redirect/http://evil/health", ""),
        ),
        ("ftp://x/health", ("ftp://x/health", "")),
    ] {
        let request = HttpRequest::new("GET", target, &[] as &[(&str, &str)]);
        assert_eq!(request.path_and_query(), read, "{target}");
    }
}

#[test]
fn two_credentials_that_disagree_are_refused() {
    let gate = gate(r#"{"cookie": "tw", "query_param": "access_token"}"#);
    let other = ("cookie", "tw=attacker-chosen-value");
    let same = ("cookie", "tw=host-issued-token-0123456789");
    let run = |target: &str, headers: &[(&str, &str)]| {
        status(&pass(&gate, &guard(), target, headers, "198.51.100.7"))
    };
    assert_eq!(run("/v1/orders/1", &[BEARER, other]), 400);
    assert_eq!(run("/v1/orders/1?access_token=x", &[BEARER]), 400);
    assert_eq!(run("/v1/orders/1", &[BEARER, same]), 200);
    assert_eq!(
        run(
            "/v1/orders/1?access_token=host-issued-token-0123456789",
            &[same]
        ),
        200
    );
}

#[test]
fn a_country_header_given_twice_is_no_country() {
    let gate = gate(r#"{"trusted_proxies": ["10.0.0.0/8"], "country_header": "cf-ipcountry"}"#);
    let headers: &[(&str, &[u8])] = &[
        ("authorization", b"Bearer t"),
        ("cf-ipcountry", b"DE"),
        ("cf-ipcountry", b"RU"),
    ];
    let request = HttpRequest::new("GET", "/", headers).peer("10.0.0.1".parse().unwrap());
    let Admission::Check(admitted) = gate.admit(&request) else {
        panic!()
    };
    assert_eq!(admitted.country, None);
}

#[test]
fn the_headers_a_gate_reads_are_all_it_needs() {
    let gate = gate(
        r#"{"header": "X-Api-Key", "cookie": "tw", "country_header": "CF-IPCountry",
            "forwarded_header": "forwarded", "trusted_proxies": ["10.0.0.0/8"]}"#,
    );
    let headers = [
        ("Host", "api.example"),
        ("x-api-key", TOKEN),
        ("Cookie", "theme=dark"),
        ("Forwarded", "for=198.51.100.7"),
        ("X-Forwarded-For", "6.6.6.6"),
        ("cf-ipcountry", "DE"),
        ("User-Agent", "curl/8"),
        ("Accept", "*/*"),
    ];
    let kept: Vec<_> = headers
        .iter()
        .filter(|(name, _)| gate.reads_header(name))
        .collect();
    let names: Vec<&str> = kept.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "x-api-key",
            "Cookie",
            "Forwarded",
            "cf-ipcountry",
            "User-Agent"
        ]
    );
    let admit = |headers: &[(&str, &str)]| {
        let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        let request =
            HttpRequest::new("GET", "/v1", &headers[..]).peer("10.0.0.1".parse().unwrap());
        format!("{:?}", gate.admit(&request))
    };
    let kept: Vec<(&str, &str)> = kept.into_iter().copied().collect();
    assert_eq!(admit(&headers), admit(&kept));
    assert!(admit(&kept).contains("198.51.100.7") && admit(&kept).contains("DE"));
}
