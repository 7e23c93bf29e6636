//! The layer around a plain hyper service (no axum): the peer address given as a
//! `SocketAddr` in the request extensions, and what happens without one.

mod support;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use support::{gate, guard, HttpClient};
use tokenward_tower::GuardLayer;
use tower::{service_fn, ServiceBuilder};

const CONFIG: &str = r#"
[policies.local]
endpoints = ["GET /hello"]
allow_ips = ["127.0.0.1/32"]
"#;

/// Serves a hello service behind `layer` with hyper, telling it the peer when `with_peer`.
async fn serve(layer: GuardLayer, with_peer: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let service = ServiceBuilder::new()
                .map_request(move |mut request: Request<Incoming>| {
                    if with_peer {
                        request.extensions_mut().insert(peer);
                    }
                    request
                })
                .layer(layer.clone())
                .service(service_fn(|_request: Request<Incoming>| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("hello"))))
                }));
            tokio::spawn(async move {
                let io = TokioIo::new(stream);
                let _ = http1::Builder::new()
                    .serve_connection(io, TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_hyper_service_is_guarded_with_the_peer_from_its_extensions() {
    let (guard, tokens) = guard(CONFIG, &["local"]);
    let client = HttpClient::new();

    let addr = serve(GuardLayer::new(guard.clone(), gate(|_| {})), true).await;
    let reply = client.get(addr, "/hello", &tokens[0]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello"));
    let reply = client.send(addr, "GET", "/hello", &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"error":"missing_token","reasons":[]}"#);

    // No peer address: the client is unknown, and a policy that names addresses denies.
    let blind = serve(GuardLayer::new(guard, gate(|_| {})), false).await;
    let reply = client.get(blind, "/hello", &tokens[0]).await;
    assert_eq!(reply.status, 403);
    assert_eq!(
        reply.body,
        r#"{"error":"forbidden","reasons":["ip_not_allowed"]}"#
    );
}

#[test]
fn debug_output_shows_no_key() {
    let (guard, _) = guard(CONFIG, &["local"]);
    let layer = GuardLayer::new(guard, gate(|_| {}));
    let shown = format!("{layer:?}");
    assert!(shown.contains("GuardLayer"), "{shown}");
    assert!(!shown.contains("tower test key"), "{shown}");
}
