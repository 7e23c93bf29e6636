use std::fmt;

/// Every error tokenward returns. Messages never contain a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration document could not be parsed or holds an invalid value.
    #[error("invalid config: {0}")]
    Config(String),
    /// A rule (built-in or user-defined) is malformed.
    #[error("invalid rule {id:?}: {reason}")]
    InvalidRule {
        /// The rule's id as written.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A rule id named in a disable list is not in the catalogue.
    #[error("unknown rule id {0:?}")]
    UnknownRule(String),
    /// Two rules share an id.
    #[error("duplicate rule id {0:?}")]
    DuplicateRule(String),
    /// An allowlist pattern does not compile.
    #[error("invalid allow pattern {index}: {reason}")]
    InvalidAllowPattern {
        /// Position of the pattern in the allow list.
        index: usize,
        /// The regex compiler's message.
        reason: String,
    },
    /// The fingerprint style was chosen but no key was supplied.
    #[error("the fingerprint style needs a fingerprint key")]
    MissingFingerprintKey,
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
