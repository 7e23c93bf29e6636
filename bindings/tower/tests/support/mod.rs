//! Shared by the integration tests: a Guard with minted tokens, an axum server on a loopback
//! ephemeral port, and an HTTP client.

#![allow(dead_code)] // each test file uses a part

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use tokenward::gate::{Gate, GateConfig};
use tokenward::{Guard, GuardConfig, TokenKey, TokenMeta};
use tokenward_tower::GuardLayer;

pub const NOW: i64 = 1_767_225_600_000;

/// A Guard from a TOML config, and one minted token per policy name given.
pub fn guard(config: &str, policies: &[&str]) -> (Arc<Guard>, Vec<String>) {
    let config = GuardConfig::from_toml(config).expect("config");
    let guard = Guard::with_config(TokenKey::new(b"tower test key"), &config).expect("guard");
    let tokens = policies
        .iter()
        .enumerate()
        .map(|(i, policy)| {
            let meta = TokenMeta::new().owner("tests").policy(*policy);
            let minted = guard.mint(&meta, &[i as u8 + 1; 32], NOW).expect("mint");
            minted.token.into_string()
        })
        .collect();
    (Arc::new(guard), tokens)
}

/// A gate from a configuration edited by `edit`.
pub fn gate(edit: impl FnOnce(&mut GateConfig)) -> Gate {
    let mut config = GateConfig::default();
    edit(&mut config);
    Gate::new(&config).expect("gate")
}

/// Serves `app` with `layer` on 127.0.0.1, with the peer address, for as long as the test's
/// runtime lives.
pub async fn serve(app: Router, layer: GuardLayer) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = app.layer(layer);
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    addr
}

/// What came back.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The whole response as text, for asserting a secret is nowhere in it.
    pub fn everything(&self) -> String {
        format!("{:?}\n{}", self.headers, self.body)
    }
}

#[derive(Clone)]
pub struct HttpClient(Client<HttpConnector, Full<Bytes>>);

impl HttpClient {
    pub fn new() -> HttpClient {
        HttpClient(Client::builder(TokioExecutor::new()).build_http())
    }

    /// Sends `method path` with `headers` to `addr`.
    pub async fn send(
        &self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).expect("method"))
            .uri(format!("http://{addr}{path}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(Bytes::new())).expect("request");
        let response = self.0.request(request).await.expect("response");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8(body.to_vec()).expect("utf-8 body"),
        }
    }

    /// `GET path` with `Authorization: Bearer token`.
    pub async fn get(&self, addr: SocketAddr, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.send(addr, "GET", path, &[("authorization", &auth)])
            .await
    }
}
