//! `tokenward replay`: run recorded traffic through a Guard and report what it decided.
//!
//! This module is also the `tokenward_cli` library, so the benchmark replays traffic with the
//! very loop the command runs ([`Replay::process`]).
//!
//! A replay config is a Guard config (policies, `[usage]`, `[[respond]]`; see
//! `tokenward::GuardConfig`) plus `[[tokens]]`: the tokens to register before the first
//! request, each with its raw value (hashed at load, never kept or printed) and metadata.
//! Traffic is JSON lines, one request each:
//!
//! ```text
//! {"ts": "2026-01-05T09:00:00Z" | 1767603600000, "token": "...", "ip": "203.0.113.9",
//!  "country": "DE", "method": "GET", "path": "/v1/orders/7", "user_agent": "...",
//!  "subject": "...", "device": "...", "environment": "...", "status": 200, "lat": 52.5, "lon": 13.4}
//! ```
//!
//! All but `ts` and `token` are optional; other fields are ignored. `status` is fed to
//! `Guard::record_outcome` after a check that allowed the request (a refused request never
//! reached the app, as in the middlewares).
//!
//! ```
//! use tokenward_cli::{Replay, ReplayConfig};
//!
//! let config = ReplayConfig::parse(r#"
//!     [usage]
//!     [[tokens]]
//!     token = "tw_example_token_0001"
//!     owner = "billing"
//! "#, None).unwrap();
//! let mut replay = Replay::new(&config, tokenward::TokenKey::new(b"k")).unwrap();
//! let line = br#"{"ts": 1767603600000, "token": "tw_example_token_0001", "ip": "10.0.0.1"}"#;
//! let result = replay.process(1, line).unwrap();
//! assert!(result.verdict.is_allowed());
//! assert_eq!(replay.summary().requests, 1);
//! ```

use std::fmt;

mod command;
mod config;
mod engine;
mod report;
mod traffic;

pub use command::{run, Args, LONG_ABOUT};
pub use config::{ReplayConfig, TokenEntry};
pub use engine::{Processed, Replay, Summary, TimelineEntry, MAX_TIMELINE};
pub use report::{write_json, write_summary};

/// Longest traffic line read; longer lines are reported and skipped without being buffered.
pub const MAX_LINE: usize = 1 << 20;

/// The key token ids are computed with when `--key-env` is not given. Ids printed by a replay
/// are comparable only between replays with the same key.
pub const DEFAULT_KEY: &[u8] = b"tokenward replay key";

/// An error that ends a replay: `what: why`, one line, never holding a raw token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What failed: a path, an option, `stdout`.
    pub what: String,
    /// Why.
    pub why: String,
}

impl Error {
    pub(crate) fn new(what: impl Into<String>, why: impl fmt::Display) -> Error {
        Error {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

impl std::error::Error for Error {}
