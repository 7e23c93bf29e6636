//! Mapping of core errors to JS errors with a stable `code`.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The `code` property of every error the addon throws. The JS layer (`lib/errors.js`) turns
/// each code into an `Error` subclass so `instanceof` works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// A configuration document or option value is invalid (`TOKENWARD_CONFIG`).
    Config,
    /// A rule is malformed, unknown or duplicated (`TOKENWARD_RULE`).
    Rule,
    /// An argument has the wrong type or an impossible value (`TOKENWARD_INVALID_ARG`).
    InvalidArg,
    /// A bug inside tokenward, caught before it could cross into JS (`TOKENWARD_INTERNAL`).
    Internal,
    /// A token or policy the call names does not exist (`TOKENWARD_NOT_FOUND`).
    NotFound,
    /// The call conflicts with the current state (`TOKENWARD_CONFLICT`).
    Conflict,
    /// A snapshot or event chain cannot be restored (`TOKENWARD_SNAPSHOT`).
    Snapshot,
    /// The operating system's random source failed (`TOKENWARD_RANDOM`).
    Random,
}

impl From<tokenward::ErrorKind> for Code {
    /// The code of each core error kind: the Node column of the core's one error table.
    fn from(kind: tokenward::ErrorKind) -> Code {
        use tokenward::ErrorKind as K;
        match kind {
            K::Config => Code::Config,
            K::Rule => Code::Rule,
            K::InvalidArgument => Code::InvalidArg,
            K::NotFound => Code::NotFound,
            K::Conflict => Code::Conflict,
            K::Snapshot => Code::Snapshot,
            K::Random => Code::Random,
        }
    }
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::Config => "TOKENWARD_CONFIG",
            Code::Rule => "TOKENWARD_RULE",
            Code::InvalidArg => "TOKENWARD_INVALID_ARG",
            Code::Internal => "TOKENWARD_INTERNAL",
            Code::NotFound => "TOKENWARD_NOT_FOUND",
            Code::Conflict => "TOKENWARD_CONFLICT",
            Code::Snapshot => "TOKENWARD_SNAPSHOT",
            Code::Random => "TOKENWARD_RANDOM",
        }
    }
}

/// A napi error whose JS `code` is one of ours.
pub type Error = napi::Error<Code>;

/// Shorthand for results of exported functions.
pub type Result<T> = std::result::Result<T, Error>;

/// Builds an error with `code` and `message`.
pub fn error(code: Code, message: impl Into<String>) -> Error {
    napi::Error::new(code, message.into())
}

/// Maps a core error to its code. Core messages never contain a secret, so they pass through.
pub fn from_core<E: tokenward::Classified>(err: E) -> Error {
    error(err.kind().into(), err.to_string())
}

/// Runs `f`, turning a panic into a `TOKENWARD_INTERNAL` error: a panic must never unwind into
/// Node. The panic payload is not echoed, since it could quote the input being redacted.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(error(
            Code::Internal,
            "internal error in tokenward (a bug: please report it)",
        ))
    })
}
