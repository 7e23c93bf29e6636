//! The layer in front of a tonic server (the standard gRPC health service) on a loopback
//! port, driven by a tonic client: denials arrive as gRPC statuses, and statuses the service
//! answers with feed the Guard's error-burst detector.

mod support;

use std::net::SocketAddr;

use support::{gate, guard};
use tokenward::Reason;
use tokenward_tower::GuardLayer;
use tonic::transport::server::{TcpConnectInfo, TcpIncoming};
use tonic::transport::{Channel, Server};
use tonic::Code;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{health_check_response::ServingStatus, HealthCheckRequest};

const CONFIG: &str = r#"
[policies.health]
endpoints = ["POST /grpc.health.v1.Health/*"]

[policies.elsewhere]
endpoints = ["POST /shop.v1.Orders/*"]

[policies.once]
endpoints = ["POST /grpc.health.v1.Health/*"]
rate_limit = { requests = 1, window = "1h" }

[usage]
learning_period_secs = 0
learning_min_requests = 2

# Every probe below calls one method (one path), and the health service answers NOT_FOUND
# only; by default errors on a single path are a client retrying, and errors of a single
# status have one honest cause, not a burst.
[usage.detectors.error_burst]
min_paths = 1
min_statuses = 1

[[respond]]
on = "error_burst"
action = "quarantine"
"#;

async fn serve(layer: GuardLayer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (_reporter, health) = tonic_health::server::health_reporter();
    let layer = layer.peer_from(|ext| {
        ext.get::<TcpConnectInfo>()
            .and_then(|c| c.remote_addr())
            .map(|a| a.ip())
    });
    tokio::spawn(async move {
        let _ = Server::builder()
            .layer(layer)
            .add_service(health)
            .serve_with_incoming(TcpIncoming::from(listener))
            .await;
    });
    addr
}

async fn check(
    client: &mut HealthClient<Channel>,
    token: Option<&str>,
    service: &str,
) -> Result<i32, tonic::Status> {
    let mut request = tonic::Request::new(HealthCheckRequest {
        service: service.into(),
    });
    if let Some(token) = token {
        let auth = format!("Bearer {token}").parse().unwrap();
        request.metadata_mut().insert("authorization", auth);
    }
    client.check(request).await.map(|r| r.into_inner().status)
}

#[tokio::test]
async fn denials_are_grpc_statuses_and_outcomes_feed_the_guard() {
    let (guard, tokens) = guard(CONFIG, &["health", "elsewhere", "once"]);
    let addr = serve(GuardLayer::new(guard.clone(), gate(|_| {}))).await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::new(channel);

    let status = check(&mut client, None, "").await.unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "missing_token");

    let serving = check(&mut client, Some(&tokens[0]), "").await.unwrap();
    assert_eq!(serving, ServingStatus::Serving as i32);

    let status = check(&mut client, Some("tw_never_registered"), "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "invalid_token: unknown_token");

    let status = check(&mut client, Some(&tokens[1]), "").await.unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "forbidden: scope_denied");

    check(&mut client, Some(&tokens[2]), "").await.unwrap();
    let status = check(&mut client, Some(&tokens[2]), "").await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(status.message(), "rate_limited: rate_exceeded");
    assert!(!format!("{status:?}").contains(&tokens[2]));

    // The service answers NOT_FOUND (trailers-only) for a service it does not know: each
    // counts as a 404, and the sixth (`min_errors`) makes an error burst that quarantines the
    // token.
    let mut probes = 0;
    let status = loop {
        let status = check(&mut client, Some(&tokens[0]), "no.such.Service")
            .await
            .unwrap_err();
        if status.code() != Code::NotFound {
            break status;
        }
        probes += 1;
        assert!(probes <= 20, "no quarantine after {probes} NOT_FOUNDs");
    };
    assert_eq!(probes, 6);
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        format!("forbidden: {}", Reason::Quarantined)
    );
}
