//! Node.js bindings for [`tokenward`], built with napi-rs.
//!
//! This crate only wraps: all logic lives in the core crate. Its modules mirror the core's
//! (`redact` wraps `tokenward::redact`, `guard` wraps `tokenward::guard`, `gate` wraps
//! `tokenward::gate`, `fleet` wraps `tokenward_fleet`), and `error` maps core errors to JS errors that carry a stable `code`
//! property (`TOKENWARD_CONFIG`, ...).
//!
//! The npm package `tokenward` loads the compiled addon through the generated `index.js`
//! (types in the generated `index.d.ts`) and adds a small JavaScript layer in `lib/`: error
//! classes for `instanceof`, argument checks, the Guard's events (an `EventEmitter`), the
//! Express middleware and Fastify plugin on the `Gate`, a pino destination and transport, and
//! a winston format.
//!
//! Every exported function runs inside a panic guard, so a bug in Rust surfaces as a JS error
//! with code `TOKENWARD_INTERNAL` instead of aborting the host process.

#![deny(missing_docs)]

mod error;
mod fleet;
mod gate;
mod guard;
mod offsets;
mod redact;
mod text;

pub use error::Code;
pub use fleet::{DetachTask, Fleet, FleetHealth, FleetOptions, FlushTask};
pub use gate::{Denial, Gate, GateOptions, GatePassage};
pub use guard::{
    ActionTaken, Alert, CheckOptions, Guard, GuardEvent, GuardOptions, Minted, NowOptions,
    ReplayTask, Replayed, RestoreTask, RotateOptions, SelectorOptions, SnapshotTask, TokenInfo,
    TokenOptions, Verdict,
};
pub use redact::{redact, Finding, RedactTask, Redactor, RedactorOptions, RuleInfo};
