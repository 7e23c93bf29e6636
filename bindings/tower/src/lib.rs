//! # tokenward-tower
//!
//! [`tokenward`] for Rust servers: a [`GuardLayer`] that checks every request's token
//! with a [`Guard`](tokenward::Guard) in front of any [`tower`](https://docs.rs/tower) service
//! (axum routers, hyper services, tonic servers), and, behind the `tracing` feature (on by
//! default), redaction for [`tracing`](https://docs.rs/tracing) output: [`trace`].
//!
//! The request reading and the denials are the core's [`gate`](tokenward::gate), the same
//! code the Python, Node and C middleware use, so every language answers alike. This crate
//! adapts `http` types to it, reads the peer address and the clock, hands the
//! [`Verdict`](tokenward::Verdict) to the app in the request extensions and feeds response
//! statuses back to the Guard.
//!
//! ```
//! use std::net::SocketAddr;
//! use std::sync::Arc;
//! use axum::{routing::get, Extension, Router};
//! use tokenward::gate::{Gate, GateConfig};
//! use tokenward::{Guard, GuardConfig, TokenKey, Verdict};
//! use tokenward_tower::GuardLayer;
//!
//! let config = GuardConfig::from_toml("[policies.api]\nendpoints = [\"GET /v1/**\"]")?;
//! let guard = Arc::new(Guard::with_config(TokenKey::new(b"the host's key"), &config)?);
//! let mut gate = GateConfig::default();
//! gate.trusted_proxies = vec!["10.0.0.0/8".into()];
//! let layer = GuardLayer::new(guard, Gate::new(&gate)?)
//!     .on_events(|events| eprintln!("{} guard events", events.len()));
//!
//! async fn orders(Extension(verdict): Extension<Verdict>) -> String {
//!     format!("orders for {}", verdict.token_id.map(|id| id.to_string()).unwrap_or_default())
//! }
//! let app = Router::new().route("/v1/orders", get(orders)).layer(layer);
//! // Serve with the peer address, which the layer needs:
//! let _make_service = app.into_make_service_with_connect_info::<SocketAddr>();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Features
//!
//! - `axum` (default): the peer address from axum's `ConnectInfo<SocketAddr>`, and the path
//!   from `OriginalUri` under nested routers.
//! - `tracing` (default): [`trace::RedactingMakeWriter`] and [`trace::RedactingLayer`].

#![deny(unsafe_code)]
#![warn(missing_docs)]

mod body;
mod denial;
mod future;
mod headers;
mod layer;
#[cfg(feature = "tracing")]
pub mod trace;

pub use body::GuardBody;
pub use future::ResponseFuture;
pub use headers::HeaderMapRef;
pub use layer::{GuardLayer, GuardService};
