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

create_exception!(
    tokenward,
    InvalidArgumentError,
    TokenwardError,
    "An argument is out of range or malformed: a negative duration, an empty selector, an overlong token, a token id that does not parse."
);
create_exception!(
    tokenward,
    NotFoundError,
    TokenwardError,
    "A token or policy the call names does not exist."
);
create_exception!(
    tokenward,
    ConflictError,
    TokenwardError,
    "The call conflicts with the current state: a token registered twice, a revoked token released."
);
create_exception!(
    tokenward,
    SnapshotError,
    TokenwardError,
    "A snapshot or event chain is corrupt, tampered with, or from another key or version."
);
create_exception!(
    tokenward,
    RandomError,
    TokenwardError,
    "The operating system's random source failed."
);

/// Maps a core error to its Python exception by its kind: the Python column of the core's one
/// error table. Core messages never contain a secret, so they are passed on as they are.
pub fn to_py<E: tokenward::Classified>(err: E) -> PyErr {
    from_kind(err.kind(), err.to_string())
}

/// The exception of `kind` with `message`.
pub fn from_kind(kind: tokenward::ErrorKind, message: String) -> PyErr {
    use tokenward::ErrorKind as K;
    match kind {
        K::Config => ConfigError::new_err(message),
        K::Rule => RuleError::new_err(message),
        K::InvalidArgument => InvalidArgumentError::new_err(message),
        K::NotFound => NotFoundError::new_err(message),
        K::Conflict => ConflictError::new_err(message),
        K::Snapshot => SnapshotError::new_err(message),
        K::Random => RandomError::new_err(message),
    }
}
