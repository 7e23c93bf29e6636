//! An axum server guarded by tokenward, with redacted logs.
//!
//! `cargo run -p tokenward-tower --example axum_server` starts the server on a loopback
//! port, sends it a few requests (one allowed, one without a token, one outside the token's
//! endpoints, one to an exempt path), prints what came back, and stops. `app` is what a real
//! server keeps; `demo` stands in for its clients.

use std::error::Error;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Extension, Router};
use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokenward::gate::{Gate, GateConfig};
use tokenward::{Guard, GuardConfig, Redactor, TokenKey, TokenMeta, Verdict};
use tokenward_tower::trace::{RedactingLayer, RedactingMakeWriter};
use tokenward_tower::GuardLayer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::prelude::*;

/// Policies, usage tracking and the response to anomalies.
const CONFIG: &str = r#"
[policies.reader]
endpoints = ["GET /v1/orders", "GET /v1/orders/*"]
rate_limit = { requests = 100, window = "1m" }

[usage]

[[respond]]
on = ["ip_fanout", "endpoint_out_of_scope", "error_burst"]
min_severity = "medium"
action = "quarantine"
"#;

/// The app behind the guard. Handlers find the verdict in the request extensions.
pub fn app(guard: Arc<Guard>) -> Result<Router, Box<dyn Error>> {
    let mut gate = GateConfig::default();
    gate.exempt_paths = vec!["/health".into()];
    // In production, the CIDRs of the load balancers in front of the app.
    gate.trusted_proxies = vec!["10.0.0.0/8".into()];
    let layer = GuardLayer::new(guard, Gate::new(&gate)?).on_events(|events| {
        for event in events {
            // Events name tokens by id, never by value.
            tracing::info!(seq = event.seq, kind = ?event.kind, "guard event");
        }
    });
    Ok(Router::new()
        .route("/v1/orders", get(orders))
        .route("/health", get(|| async { "ok" }))
        .layer(layer))
}

async fn orders(Extension(verdict): Extension<Verdict>, headers: HeaderMap) -> String {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // A careless log line: the redacting layer keeps the token out of the output.
    tracing::info!(auth = %auth, "orders requested");
    match verdict.token_id {
        Some(id) => format!("orders for {id}"),
        None => "orders".into(),
    }
}

/// Logs to stderr, redacted twice over: field values, then the formatted lines.
pub fn init_tracing() {
    let redactor = Redactor::new();
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(RedactingMakeWriter::new(std::io::stderr, redactor.clone()));
    let _ = tracing_subscriber::registry()
        .with(LevelFilter::INFO)
        .with(RedactingLayer::new(fmt, redactor))
        .try_init();
}

fn now() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Serves `app` on a loopback port, sends it a few requests and returns `(what, status)`
/// for each.
pub async fn demo() -> Result<Vec<(&'static str, u16)>, Box<dyn Error>> {
    let config = GuardConfig::from_toml(CONFIG)?;
    // In production, key material from the host's secret store.
    let guard = Arc::new(Guard::with_config(TokenKey::new(b"example key"), &config)?);
    let mut random = [0u8; 32];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let minted = guard.mint(
        &TokenMeta::new().owner("demo").policy("reader"),
        &random,
        now(),
    )?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let service = app(guard)?.into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        axum::serve(listener, service)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });

    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let bearer = format!("Bearer {}", minted.token.expose());
    let requests: [(&str, &str, Option<&str>); 4] = [
        ("allowed", "/v1/orders", Some(&bearer)),
        ("no token", "/v1/orders", None),
        ("outside the token's endpoints", "/v1/admin", Some(&bearer)),
        ("exempt", "/health", None),
    ];
    let mut seen = Vec::new();
    for (what, path, auth) in requests {
        let mut request = http::Request::get(format!("http://{addr}{path}"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let response = client.request(request.body(Empty::new())?).await?;
        seen.push((what, response.status().as_u16()));
    }
    let _ = stop.send(());
    server.await??;
    Ok(seen)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    init_tracing();
    for (what, status) in demo().await? {
        println!("{status}  {what}");
    }
    Ok(())
}
