//! The layer in front of an axum app on a loopback port, driven by an HTTP client: allowed
//! requests, each denial, forwarded addresses from trusted and untrusted peers, exempt paths,
//! an anomaly quarantining a token mid-run, and concurrent requests.

mod support;

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use support::{gate, guard, serve, HttpClient};
use tokenward::gate::ForwardedHeader;
use tokenward::{AlertKind, Event, EventKind, Verdict};
use tokenward_tower::GuardLayer;

const POLICIES: &str = r#"
[policies.api]
endpoints = ["GET /v1/**", "GET /health"]

[policies.office]
endpoints = ["GET /v1/**"]
allow_ips = ["198.51.100.0/24"]

[policies.slow]
endpoints = ["GET /v1/**"]
rate_limit = { requests = 2, window = "1m" }

[policies.german]
endpoints = ["GET /v1/**"]
countries = ["DE"]
"#;

/// The app: `/v1/orders` answers with the verdict's token id, `/v1/orders/{id}` finds
/// nothing (404), `/health` is always fine.
fn app() -> Router {
    async fn orders(Extension(verdict): Extension<Verdict>) -> String {
        verdict
            .token_id
            .map(|id| id.to_string())
            .unwrap_or_default()
    }
    // Orders with an odd id are someone else's, the others do not exist.
    async fn order(Path(id): Path<u32>) -> StatusCode {
        if id % 2 == 1 {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::NOT_FOUND
        }
    }
    Router::new()
        .route("/v1/orders", get(orders).delete(orders))
        .route("/v1/orders/{id}", get(order))
        .route("/health", get(|| async { "ok" }))
}

fn assert_no_token(reply: &support::Reply, token: &str) {
    assert!(
        !reply.everything().contains(token),
        "the token is echoed: {}",
        reply.everything()
    );
}

#[tokio::test]
async fn allowed_requests_reach_the_app_with_their_verdict() {
    let (guard, tokens) = guard(POLICIES, &["api"]);
    let id = guard.token_id(tokens[0].as_bytes());
    let addr = serve(app(), GuardLayer::new(guard, gate(|_| {}))).await;
    let reply = HttpClient::new().get(addr, "/v1/orders", &tokens[0]).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body, id.to_string());
    assert_no_token(&reply, &tokens[0]);
}

#[tokio::test]
async fn each_denial_has_its_status_headers_and_body() {
    let (guard, tokens) = guard(POLICIES, &["api", "slow"]);
    let addr = serve(app(), GuardLayer::new(guard, gate(|_| {}))).await;
    let client = HttpClient::new();

    // No token: 401 with a challenge without an error code.
    let reply = client.send(addr, "GET", "/v1/orders", &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api""#)
    );
    assert_eq!(reply.body, r#"{"error":"missing_token","reasons":[]}"#);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));

    // Two credentials: 400.
    let auth = format!("Bearer {}", tokens[0]);
    let twice = [
        ("authorization", auth.as_str()),
        ("authorization", auth.as_str()),
    ];
    let reply = client.send(addr, "GET", "/v1/orders", &twice).await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api", error="invalid_request""#)
    );
    assert_no_token(&reply, &tokens[0]);

    // An unknown token: 401 invalid_token.
    let stranger = "tw_this_token_was_never_registered_anywhere";
    let reply = client.get(addr, "/v1/orders", stranger).await;
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("www-authenticate"),
        Some(r#"Bearer realm="api", error="invalid_token""#)
    );
    assert_eq!(
        reply.body,
        r#"{"error":"invalid_token","reasons":["unknown_token"]}"#
    );
    assert_no_token(&reply, stranger);

    // Outside the token's endpoints: 403.
    let reply = client
        .send(addr, "DELETE", "/v1/orders", &[("authorization", &auth)])
        .await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"error":"forbidden","reasons":["scope_denied"]}"#
    );
    assert_eq!(reply.header("www-authenticate"), None);
    assert_no_token(&reply, &tokens[0]);

    // Past the rate limit (2 a minute): 429 with Retry-After in whole seconds.
    for _ in 0..2 {
        assert_eq!(client.get(addr, "/v1/orders", &tokens[1]).await.status, 200);
    }
    let reply = client.get(addr, "/v1/orders", &tokens[1]).await;
    assert_eq!(reply.status, 429);
    assert_eq!(
        reply.body,
        r#"{"error":"rate_limited","reasons":["rate_exceeded"]}"#
    );
    let retry: u64 = reply
        .header("retry-after")
        .expect("retry-after")
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_no_token(&reply, &tokens[1]);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let (guard, tokens) = guard(POLICIES, &["office"]);
    let client = HttpClient::new();
    let auth = format!("Bearer {}", tokens[0]);
    let spoofed = [
        ("authorization", auth.as_str()),
        ("x-forwarded-for", "198.51.100.7"),
    ];

    // The peer (127.0.0.1) is no trusted proxy: the header is ignored, the client is the
    // peer, which the policy does not allow.
    let untrusted = serve(app(), GuardLayer::new(guard.clone(), gate(|_| {}))).await;
    let reply = client.send(untrusted, "GET", "/v1/orders", &spoofed).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"error":"forbidden","reasons":["ip_not_allowed"]}"#
    );

    // The same request through a trusted proxy: the forwarded client is believed...
    let trusted_gate = gate(|c| c.trusted_proxies = vec!["127.0.0.0/8".into()]);
    let trusted = serve(app(), GuardLayer::new(guard.clone(), trusted_gate)).await;
    assert_eq!(
        client
            .send(trusted, "GET", "/v1/orders", &spoofed)
            .await
            .status,
        200
    );
    // ...but not an address a client wrote further left than the proxy's own entry.
    let leftmost = [
        ("authorization", auth.as_str()),
        ("x-forwarded-for", "198.51.100.7, 203.0.113.9"),
    ];
    assert_eq!(
        client
            .send(trusted, "GET", "/v1/orders", &leftmost)
            .await
            .status,
        403
    );

    // RFC 7239 `Forwarded`, when configured; `X-Forwarded-For` is then not read.
    let forwarded_gate = gate(|c| {
        c.trusted_proxies = vec!["127.0.0.0/8".into()];
        c.forwarded_header = ForwardedHeader::Forwarded;
    });
    let forwarded = serve(app(), GuardLayer::new(guard, forwarded_gate)).await;
    let rfc = [
        ("authorization", auth.as_str()),
        ("forwarded", "for=198.51.100.7;proto=https"),
    ];
    assert_eq!(
        client
            .send(forwarded, "GET", "/v1/orders", &rfc)
            .await
            .status,
        200
    );
    assert_eq!(
        client
            .send(forwarded, "GET", "/v1/orders", &spoofed)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn country_comes_from_a_trusted_header_or_the_lookup() {
    let (guard, tokens) = guard(POLICIES, &["german"]);
    let client = HttpClient::new();
    let asked = Arc::new(Mutex::new(Vec::<Option<IpAddr>>::new()));
    let seen = asked.clone();
    let layer = GuardLayer::new(guard.clone(), gate(|_| {})).country_lookup(move |ip| {
        seen.lock().unwrap().push(ip);
        Some("DE".into())
    });
    let addr = serve(app(), layer).await;
    assert_eq!(client.get(addr, "/v1/orders", &tokens[0]).await.status, 200);
    assert_eq!(*asked.lock().unwrap(), [Some("127.0.0.1".parse().unwrap())]);

    // A country header from an untrusted peer is not believed; from a trusted one it is.
    let auth = format!("Bearer {}", tokens[0]);
    let headers = [("authorization", auth.as_str()), ("cf-ipcountry", "DE")];
    let untrusted = gate(|c| c.country_header = Some("cf-ipcountry".into()));
    let addr = serve(app(), GuardLayer::new(guard.clone(), untrusted)).await;
    let reply = client.send(addr, "GET", "/v1/orders", &headers).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"error":"forbidden","reasons":["country_not_allowed"]}"#
    );
    let trusted = gate(|c| {
        c.country_header = Some("cf-ipcountry".into());
        c.trusted_proxies = vec!["127.0.0.1".into()];
    });
    let addr = serve(app(), GuardLayer::new(guard, trusted)).await;
    assert_eq!(
        client
            .send(addr, "GET", "/v1/orders", &headers)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn exempt_paths_pass_unchecked_on_their_canonical_form() {
    let (guard, tokens) = guard(POLICIES, &["api"]);
    let layer = GuardLayer::new(guard, gate(|c| c.exempt_paths = vec!["/health".into()]));
    let addr = serve(app(), layer).await;
    let client = HttpClient::new();
    let reply = client.send(addr, "GET", "/health", &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    // Not exempt: other paths, and a path that only starts like an exempt one.
    assert_eq!(
        client.send(addr, "GET", "/v1/orders", &[]).await.status,
        401
    );
    assert_eq!(
        client
            .send(addr, "GET", "/health/../v1/orders", &[])
            .await
            .status,
        401
    );
    // Paths the app has no route for are guarded too (the layer covers the fallback).
    assert_eq!(client.send(addr, "GET", "/admin", &[]).await.status, 401);
    assert_eq!(client.get(addr, "/v1/orders", &tokens[0]).await.status, 200);
}

#[tokio::test]
async fn an_error_burst_quarantines_the_token_mid_run() {
    let config = format!(
        "{POLICIES}\n[usage]\nlearning_period_secs = 0\nlearning_min_requests = 2\n\n\
         [[respond]]\non = \"error_burst\"\naction = \"quarantine\"\n"
    );
    let (guard, tokens) = guard(&config, &["api"]);
    let id = guard.token_id(tokens[0].as_bytes());
    let events: Arc<Mutex<Vec<Event>>> = Arc::default();
    let sink = events.clone();
    let layer = GuardLayer::new(guard.clone(), gate(|_| {}))
        .on_events(move |batch| sink.lock().unwrap().extend(batch));
    let addr = serve(app(), layer).await;
    let client = HttpClient::new();

    assert_eq!(client.get(addr, "/v1/orders", &tokens[0]).await.status, 200);
    // The app answers 404 or 403 to each probe; the layer feeds each status back to the Guard.
    let mut probes = 0;
    loop {
        let reply = client
            .get(addr, &format!("/v1/orders/{probes}"), &tokens[0])
            .await;
        if reply.body.contains("quarantined") {
            assert_eq!(reply.status, 403);
            assert_eq!(
                reply.body,
                r#"{"error":"forbidden","reasons":["quarantined"]}"#
            );
            break;
        }
        let expected = if probes % 2 == 1 { 403 } else { 404 };
        assert_eq!(reply.status, expected, "{reply:?}");
        probes += 1;
        assert!(probes <= 20, "no quarantine after {probes} errors");
    }
    // `error_burst.min_errors` is 6, and the probes walk six distinct paths with both statuses.
    assert_eq!(probes, 6, "the sixth error on a sixth path makes the burst");
    assert_eq!(guard.token(&id).unwrap().state.name(), "quarantined");
    let reply = client.get(addr, "/v1/orders", &tokens[0]).await;
    assert_eq!(reply.status, 403);

    // The host saw it through `on_events`: the alert, the quarantine, then denials.
    let events = events.lock().unwrap();
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Alert { token, kind: AlertKind::ErrorBurst, .. } if *token == id
    )));
    assert!(events.iter().any(|e| matches!(
        &e.kind,
        EventKind::Quarantined { token, cause: Some(AlertKind::ErrorBurst) } if *token == id
    )));
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Denied { .. })));
    assert!(
        guard.drain_events().is_empty(),
        "the layer drained them all"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_share_one_rate_limit() {
    let config = r#"
        [policies.fifty]
        endpoints = ["GET /v1/**"]
        rate_limit = { requests = 50, window = "1h" }
    "#;
    let (guard, tokens) = guard(config, &["fifty", "fifty"]);
    let addr = serve(app(), GuardLayer::new(guard, gate(|_| {}))).await;
    let client = HttpClient::new();
    let mut tasks = Vec::new();
    for i in 0..160 {
        let client = client.clone();
        let token = tokens[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            client.get(addr, "/v1/orders", &token).await.status
        }));
    }
    let mut counts = [0usize; 2];
    for task in tasks {
        match task.await.unwrap() {
            200 => counts[0] += 1,
            429 => counts[1] += 1,
            other => panic!("status {other}"),
        }
    }
    // Each token had exactly 50 requests' room: no race let one more through.
    assert_eq!(counts, [100, 60]);
}
