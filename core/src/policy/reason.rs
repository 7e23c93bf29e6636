//! Why a check denied: stable snake_case codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One reason a check denied, as a stable code. Serializes as its code (`"ip_not_allowed"`).
///
/// A verdict lists every reason that applied, sorted in the order of this enum. New reasons
/// are added at the end, so stored events and snapshots keep their meaning.
///
/// ```
/// use tokenward::Reason;
///
/// assert_eq!(Reason::IpNotAllowed.code(), "ip_not_allowed");
/// assert_eq!("rate_exceeded".parse::<Reason>().unwrap(), Reason::RateExceeded);
/// assert_eq!(serde_json::to_string(&Reason::Revoked).unwrap(), "\"revoked\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// No token with this fingerprint is registered.
    UnknownToken,
    /// The token was revoked.
    Revoked,
    /// The token is quarantined until released.
    Quarantined,
    /// Past the token's `expires_at`, the policy's `expires_at`, or `issued_at + max_lifetime`.
    Expired,
    /// Before the policy's `not_before`.
    NotYetValid,
    /// Unused for longer than the policy's `idle_expiry`.
    IdleExpired,
    /// Replaced by rotation and its grace window has ended.
    Rotated,
    /// The request's subject is missing or not in `subjects`.
    SubjectMismatch,
    /// The request's device is missing or not in `devices`.
    DeviceMismatch,
    /// The request's environment is missing or not in `environments`.
    EnvironmentMismatch,
    /// The IP is missing, outside `allow_ips`, or inside `deny_ips`.
    IpNotAllowed,
    /// The country is missing or not in `countries`.
    CountryNotAllowed,
    /// The method or path is missing or matches no entry of `endpoints`.
    ScopeDenied,
    /// The request falls outside every `time_windows` entry.
    OutsideTimeWindow,
    /// The token's rate limit is used up.
    RateExceeded,
    /// A response rule with action `deny` matched an anomaly alert raised by this request.
    AnomalyDenied,
    /// The request path has no canonical form: an encoded separator, a dot segment, a `;`
    /// parameter, a control character, invalid UTF-8, double encoding, a malformed escape (see
    /// [`PathError`](crate::policy::PathError)). Given with or without endpoint scopes, and
    /// instead of `scope_denied`, since no scope can be judged.
    InvalidPath,
}

impl Reason {
    /// Every reason, in order.
    pub const ALL: [Reason; 17] = [
        Reason::UnknownToken,
        Reason::Revoked,
        Reason::Quarantined,
        Reason::Expired,
        Reason::NotYetValid,
        Reason::IdleExpired,
        Reason::Rotated,
        Reason::SubjectMismatch,
        Reason::DeviceMismatch,
        Reason::EnvironmentMismatch,
        Reason::IpNotAllowed,
        Reason::CountryNotAllowed,
        Reason::ScopeDenied,
        Reason::OutsideTimeWindow,
        Reason::RateExceeded,
        Reason::AnomalyDenied,
        Reason::InvalidPath,
    ];

    /// The stable snake_case code.
    pub const fn code(self) -> &'static str {
        match self {
            Reason::UnknownToken => "unknown_token",
            Reason::Revoked => "revoked",
            Reason::Quarantined => "quarantined",
            Reason::Expired => "expired",
            Reason::NotYetValid => "not_yet_valid",
            Reason::IdleExpired => "idle_expired",
            Reason::Rotated => "rotated",
            Reason::SubjectMismatch => "subject_mismatch",
            Reason::DeviceMismatch => "device_mismatch",
            Reason::EnvironmentMismatch => "environment_mismatch",
            Reason::IpNotAllowed => "ip_not_allowed",
            Reason::CountryNotAllowed => "country_not_allowed",
            Reason::ScopeDenied => "scope_denied",
            Reason::OutsideTimeWindow => "outside_time_window",
            Reason::RateExceeded => "rate_exceeded",
            Reason::AnomalyDenied => "anomaly_denied",
            Reason::InvalidPath => "invalid_path",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Reason {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Reason, crate::Error> {
        Reason::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| {
                crate::Error::Config(format!(
                    "unknown reason code \"{}\"",
                    crate::error::Clip(s, 40)
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_serde_and_from_str() {
        for reason in Reason::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.code()));
            assert_eq!(serde_json::from_str::<Reason>(&json).unwrap(), reason);
            assert_eq!(reason.code().parse::<Reason>().unwrap(), reason);
        }
        let mut sorted = Reason::ALL;
        sorted.sort();
        assert_eq!(sorted, Reason::ALL);
    }
}
