//! Errors: the redaction [`Error`], the field-path [`FieldError`], and the one [`ErrorKind`]
//! table that every binding maps (C status, Python exception class, Node `code`).
//!
//! What an error may quote: field paths, names tokenward defines (fields, rule ids of the
//! catalogue, styles), and the rule ids a user wrote. Never a value from a configuration
//! document (an `allow` entry is a credential by nature; a string where a list was expected
//! may be one), never a raw token, never input being redacted.

use std::fmt;

/// What went wrong, in the few classes a host acts on differently. Every error type of the
/// crate has a `kind()`, and each binding maps this table, and only this table, to its own
/// convention, so one error is classified the same way in Rust, C, Python and Node.
///
/// The enum is deliberately exhaustive: adding a kind must make every binding's mapping
/// fail to compile until it is classified there too.
///
/// ```
/// use tokenward::{Config, ErrorKind};
///
/// let err = Config::from_toml("allow = \"AKIA7QX2M4RB5KQ3YHV6\"").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::Config);
/// assert_eq!(err.kind().code(), "config");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A configuration or policy document does not parse, or holds an invalid value.
    Config,
    /// A redaction rule or allowlist pattern is invalid, duplicated, or names no built-in rule.
    Rule,
    /// An argument is out of range or malformed (a negative duration, an empty selector, an
    /// overlong token, a token id that does not parse).
    InvalidArgument,
    /// A token or policy the call names does not exist.
    NotFound,
    /// The call conflicts with the current state (a token registered twice, a revoked token
    /// released).
    Conflict,
    /// A snapshot or an event chain is corrupt, tampered with, or from another key or version.
    Snapshot,
    /// The operating system's random source failed.
    Random,
}

impl ErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Config,
        ErrorKind::Rule,
        ErrorKind::InvalidArgument,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Snapshot,
        ErrorKind::Random,
    ];

    /// The stable snake_case code (`"config"`, `"not_found"`): what logs and bindings show.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Rule => "rule",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Snapshot => "snapshot",
            ErrorKind::Random => "random",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error of this crate, by its row in the [`ErrorKind`] table: what a binding needs to map
/// any of them (`GuardError`, `Error`, `FieldError`, `SnapshotError`, `PathError`) one way.
///
/// ```
/// use tokenward::{Classified, Config, ErrorKind};
///
/// fn code<E: Classified>(err: &E) -> &'static str {
///     err.kind().code()
/// }
/// assert_eq!(code(&Config::from_toml("allow = 1").unwrap_err()), "config");
/// ```
pub trait Classified: std::error::Error {
    /// Its row in the table.
    fn kind(&self) -> ErrorKind;
}

/// Implements [`Classified`] through the type's own `kind()`.
macro_rules! classified {
    ($($ty:ty),*) => {
        $(impl Classified for $ty {
            fn kind(&self) -> ErrorKind {
                <$ty>::kind(self)
            }
        })*
    };
}

classified!(
    Error,
    FieldError,
    crate::guard::GuardError,
    crate::guard::SnapshotError,
    crate::policy::PathError
);

/// A document field that failed to parse or holds an invalid value: where, and why.
///
/// `path` is the field path (`policies.ci.allow_ips[1]`, `disable[2]`), empty for the document
/// as a whole. `reason` names what was expected, never the value found.
///
/// ```
/// use tokenward::Config;
///
/// let err = Config::from_toml("allow = \"AKIA7QX2M4RB5KQ3YHV6\"").unwrap_err();
/// assert_eq!(err.to_string(), "invalid config: allow: invalid type: string, expected a sequence (line 1)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FieldError {
    /// The field path; empty for the document as a whole.
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

impl FieldError {
    pub(crate) fn new(path: impl Into<String>, reason: impl Into<String>) -> FieldError {
        FieldError {
            path: path.into(),
            reason: reason.into(),
        }
    }

    /// The same error inside a containing field (`policies.ci`).
    pub(crate) fn within(mut self, prefix: &str) -> FieldError {
        self.path = match self.path.as_str() {
            "" => prefix.to_string(),
            p if p.starts_with('[') => format!("{prefix}{p}"),
            p => format!("{prefix}.{p}"),
        };
        self
    }

    /// Always [`ErrorKind::Config`].
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Config
    }
}

/// Every error of redaction, usage and their configuration. Messages never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration is invalid in a way no single field explains, or an operation does not
    /// fit the configuration (a usage delta from other window settings).
    #[error("invalid config: {0}")]
    Config(String),
    /// A field of a configuration document does not parse or holds an invalid value.
    #[error("invalid config: {0}")]
    Field(FieldError),
    /// A rule (built-in or user-defined) is malformed.
    #[error("invalid rule {id:?}: {reason}")]
    InvalidRule {
        /// The rule's id as written (clipped).
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An entry of the `disable` list names no built-in rule. The entry is not quoted: only
    /// its position.
    #[error("disable[{index}]: no built-in rule has this id (see `tokenward rules`)")]
    UnknownRule {
        /// Position of the entry in the disable list.
        index: usize,
    },
    /// Two rules share an id.
    #[error("duplicate rule id {0:?}")]
    DuplicateRule(String),
    /// An allowlist pattern does not compile. The pattern is not quoted: allowlist entries are
    /// credential values by nature.
    #[error("allow_patterns[{index}]: {reason}")]
    InvalidAllowPattern {
        /// Position of the pattern in the allow list.
        index: usize,
        /// What the regex compiler found wrong, without the pattern.
        reason: String,
    },
    /// An argument does not have the form it needs (a token id that does not parse). The
    /// argument is not quoted: a raw token passed by mistake must not reach a log.
    #[error("invalid {what}: expected {expected}")]
    InvalidArgument {
        /// What the argument is.
        what: &'static str,
        /// The form it needs.
        expected: &'static str,
    },
    /// The fingerprint style was chosen but no key was supplied.
    #[error("the fingerprint style needs a fingerprint key")]
    MissingFingerprintKey,
}

impl Error {
    /// The class of this error, for hosts and bindings.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_) | Error::Field(_) | Error::MissingFingerprintKey => ErrorKind::Config,
            Error::InvalidRule { .. }
            | Error::UnknownRule { .. }
            | Error::DuplicateRule(_)
            | Error::InvalidAllowPattern { .. } => ErrorKind::Rule,
            Error::InvalidArgument { .. } => ErrorKind::InvalidArgument,
        }
    }
}

impl From<FieldError> for Error {
    fn from(err: FieldError) -> Error {
        Error::Field(err)
    }
}

/// A regex compiler's complaint without the pattern it quotes: the last line of a syntax error
/// (`error: unclosed group`), or the size-limit message.
pub(crate) fn regex_reason(err: &regex::Error) -> String {
    match err {
        regex::Error::Syntax(text) => text
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("error: "))
            .unwrap_or("invalid regex syntax")
            .to_string(),
        other => other.to_string(),
    }
}

/// A `Display` wrapper that writes at most `max` characters of a string, used to echo
/// user input (never secrets) in messages without flooding them.
pub(crate) struct Clip<'a>(pub &'a str, pub usize);

impl fmt::Display for Clip<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(self.1) {
            Some((end, _)) => write!(f, "{}...", &self.0[..end]),
            None => f.write_str(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_snake_case() {
        let codes: std::collections::HashSet<_> = ErrorKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        for code in codes {
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
    }

    #[test]
    fn regex_reason_drops_the_pattern() {
        // Built at run time: clippy checks literal patterns, and this one is broken on purpose.
        let pattern = format!("({}", "AKIA7QX2M4RB5KQ3YHV6");
        let err = regex::Regex::new(&pattern).unwrap_err();
        let reason = regex_reason(&err);
        assert_eq!(reason, "unclosed group");
    }
}
