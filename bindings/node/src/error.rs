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
}

impl AsRef<str> for Code {
    fn as_ref(&self) -> &str {
        match self {
            Code::Config => "TOKENWARD_CONFIG",
            Code::Rule => "TOKENWARD_RULE",
            Code::InvalidArg => "TOKENWARD_INVALID_ARG",
            Code::Internal => "TOKENWARD_INTERNAL",
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
pub fn from_core(err: tokenward::Error) -> Error {
    use tokenward::Error as E;
    let code = match &err {
        E::InvalidRule { .. } | E::UnknownRule(_) | E::DuplicateRule(_) => Code::Rule,
        E::Config(_) | E::InvalidAllowPattern { .. } | E::MissingFingerprintKey => Code::Config,
        // The core enum is non-exhaustive: a new kind is a configuration problem until mapped.
        _ => Code::Config,
    };
    error(code, err.to_string())
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
