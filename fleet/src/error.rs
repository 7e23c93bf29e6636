//! The fleet's errors, classified through the core's `ErrorKind` table.

use tokenward::{Classified, ErrorKind, GuardError};

/// Every error the fleet returns. Messages never hold a password or a raw token.
///
/// A running fleet never fails because Redis is away: it keeps the Guard checking with its
/// local state and says so through [`Fleet::health`](crate::Fleet::health). Errors come from
/// attaching (a bad URL or setting, a Guard with a replicator already) and from the one-shot
/// [`publish`](crate::publish) that the command line uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The Redis URL does not parse (the password is not quoted).
    #[error("invalid Redis URL: {0}")]
    Url(String),
    /// A setting is out of range.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Settings that do not decode ([`FleetSettings`](crate::FleetSettings)): an unknown
    /// name, or a value of the wrong type.
    #[error("invalid fleet settings: {0}")]
    Settings(String),
    /// The Guard has a replicator already (its change feed is on).
    #[error("the Guard is attached to a fleet already")]
    AlreadyAttached,
    /// The usage tracker keeps no deltas: set `track_deltas = true` in `[usage]`.
    #[error("usage.track_deltas is off: a fleet needs the tracker's deltas")]
    NoDeltas,
    /// Redis could not be reached or refused a command (wrong address or credentials, server
    /// down): only from the one-shot [`publish`](crate::publish).
    #[error("Redis: {0}")]
    Redis(String),
    /// The Guard refused an operation.
    #[error(transparent)]
    Guard(#[from] GuardError),
}

impl FleetError {
    /// The class of this error. A Redis that cannot be reached is `config` (its address or
    /// credentials lead nowhere usable); the core's table has no class for an unreachable
    /// service.
    pub fn kind(&self) -> ErrorKind {
        match self {
            FleetError::Url(_) | FleetError::NoDeltas | FleetError::Redis(_) => ErrorKind::Config,
            FleetError::InvalidArgument { .. } | FleetError::Settings(_) => {
                ErrorKind::InvalidArgument
            }
            FleetError::AlreadyAttached => ErrorKind::Conflict,
            FleetError::Guard(e) => e.kind(),
        }
    }
}

impl Classified for FleetError {
    fn kind(&self) -> ErrorKind {
        FleetError::kind(self)
    }
}

impl From<redis::RedisError> for FleetError {
    fn from(e: redis::RedisError) -> FleetError {
        FleetError::Redis(crate::config::scrub(&e.to_string()))
    }
}
