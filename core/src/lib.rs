//! # tokenward
//!
//! An embeddable token guard. tokenward lets an application defend itself from inside its own
//! process: it **redacts** secrets from log lines before they are written, and (in later modules)
//! validates every presented token against the context it was issued for and watches its usage.
//!
//! The crate does no I/O: no files, sockets, threads, environment or clock reads. Where time
//! matters it is an argument, so every behaviour is deterministic and testable, and the host (or
//! a binding) decides how to read clocks, files and entropy.
//!
//! ## Redaction
//!
//! A [`Redactor`] is an immutable, compiled rule set. It is `Send + Sync` and cheap to clone, so
//! one instance serves every thread of a logging pipeline.
//!
//! ```
//! use tokenward::Redactor;
//!
//! let redactor = Redactor::new();
//! let line = "retrying with key AKIA7QX2M4RB5KQ3YHV6";
//! assert_eq!(redactor.redact(line), "retrying with key [REDACTED:aws_access_key_id]");
//!
//! // Clean lines come back borrowed: no allocation, no copy.
//! assert!(matches!(redactor.redact("GET /health 200"), std::borrow::Cow::Borrowed(_)));
//! ```
//!
//! Matching is one pass of a multi-literal prefilter ([`aho_corasick`]) over the text; only the
//! rules whose keywords occur are verified by their pattern, and every pattern runs in linear
//! time ([`regex`] has no backtracking), so hostile input cannot stall a logger.
//!
//! See [`redact`] for rules, styles, configuration and streaming.
//!
//! ## Usage and anomalies
//!
//! A [`UsageTracker`] keeps sliding-window statistics per token and runs anomaly detectors on
//! every request (rate spike, IP fan-out, new country / network / agent, endpoint scans,
//! dormant wake-up, impossible travel, error bursts, repeated denials), in bounded memory and
//! mergeable across instances. See [`usage`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
pub mod gate;
pub mod guard;
mod parse;
pub mod policy;
pub mod redact;
mod request;
pub mod token;
pub mod usage;

pub use error::{Classified, Error, ErrorKind, FieldError};
pub use guard::{
    Decision, Event, EventKind, Guard, GuardConfig, GuardError, Minted, Selector, TokenMeta,
    TokenState, Verdict,
};
pub use policy::{Policy, PolicyDoc, Reason};
pub use redact::{
    Config, Finding, Redactor, RedactorBuilder, RuleDef, RuleInfo, StreamRedactor, Style,
};
pub use request::Request;
pub use token::{TokenId, TokenKey};
pub use usage::{Alert, AlertKind, Observation, Severity, UsageConfig, UsageStats, UsageTracker};

/// Milliseconds since the Unix epoch. Every call that needs time takes one.
pub type Timestamp = i64;
