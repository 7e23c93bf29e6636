//! The exception hierarchy: every error tokenward raises derives from `TokenwardError`.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    tokenward,
    TokenwardError,
    PyException,
    "Base class of every error tokenward raises."
);
create_exception!(
    tokenward,
    ConfigError,
    TokenwardError,
    "A configuration is invalid: unparsable TOML/JSON, an unknown style, a bad allow \
     pattern, or the fingerprint style without a key."
);
create_exception!(
    tokenward,
    RuleError,
    TokenwardError,
    "A rule is invalid: a pattern that does not compile, a duplicate id, or an unknown id in \
     a disable list."
);

/// Maps a core error to its Python exception. Core messages never contain a secret, so they
/// are passed on as they are.
pub fn to_py(err: tokenward::Error) -> PyErr {
    use tokenward::Error as E;
    let message = err.to_string();
    match err {
        E::InvalidRule { .. } | E::UnknownRule(_) | E::DuplicateRule(_) => {
            RuleError::new_err(message)
        }
        E::Config(_) | E::InvalidAllowPattern { .. } | E::MissingFingerprintKey => {
            ConfigError::new_err(message)
        }
        // `Error` is non-exhaustive: a kind added later still gets the base class.
        _ => TokenwardError::new_err(message),
    }
}
