//! The response a middleware sends instead of the app's: status, headers and a JSON body that
//! names the reasons and never the token.

use serde::Serialize;

use crate::{Reason, Verdict};

/// Reasons that say the token itself is no good (RFC 6750 `invalid_token`): 401.
const INVALID_TOKEN: [Reason; 6] = [
    Reason::UnknownToken,
    Reason::Revoked,
    Reason::Expired,
    Reason::Rotated,
    Reason::IdleExpired,
    Reason::NotYetValid,
];

/// Why a request was turned away, and how to say so in HTTP and gRPC.
///
/// | case | `error` | HTTP | gRPC |
/// |---|---|---|---|
/// | no credential | `missing_token` | 401 + `WWW-Authenticate` | `UNAUTHENTICATED` |
/// | two credentials, or one with spaces | `invalid_request` | 400 + `WWW-Authenticate` | `UNAUTHENTICATED` |
/// | unknown, revoked, expired, rotated, idle or not-yet-valid token | `invalid_token` | 401 + `WWW-Authenticate` | `UNAUTHENTICATED` |
/// | the rate limit, and nothing else | `rate_limited` | 429 + `Retry-After` | `RESOURCE_EXHAUSTED` |
/// | any other policy or anomaly reason | `forbidden` | 403 | `PERMISSION_DENIED` |
///
/// ```
/// use tokenward::gate::{Gate, GateConfig};
/// use tokenward::{Decision, Reason, Verdict};
///
/// let gate = Gate::new(&GateConfig::default()).unwrap();
/// let denial = gate.missing_token();
/// assert_eq!(denial.status, 401);
/// assert_eq!(denial.body(), r#"{"error":"missing_token","reasons":[]}"#);
/// assert!(denial.headers().contains(&("www-authenticate", r#"Bearer realm="api""#.into())));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Denial {
    /// The HTTP status.
    pub status: u16,
    /// A stable code for the body's `error` field (the table above).
    pub error: &'static str,
    /// The verdict's reasons (empty when no check ran).
    pub reasons: Vec<Reason>,
    /// Seconds to send as `Retry-After` (429 only), rounded up from the verdict.
    pub retry_after: Option<u64>,
    /// The `WWW-Authenticate` challenge (400 and 401 only).
    pub challenge: Option<String>,
}

/// The gRPC status codes a denial maps to (their numeric values are gRPC's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrpcCode {
    /// `PERMISSION_DENIED` (7).
    PermissionDenied = 7,
    /// `RESOURCE_EXHAUSTED` (8).
    ResourceExhausted = 8,
    /// `UNAUTHENTICATED` (16).
    Unauthenticated = 16,
}

impl Denial {
    pub(crate) fn challenged(status: u16, error: &'static str, realm: &str) -> Denial {
        let mut challenge = format!("Bearer realm=\"{realm}\"");
        if error != "missing_token" {
            // RFC 6750 §3: no error code when the request carried no credential at all.
            challenge.push_str(&format!(", error=\"{error}\""));
        }
        Denial {
            status,
            error,
            reasons: Vec::new(),
            retry_after: None,
            challenge: Some(challenge),
        }
    }

    /// The denial for a verdict, `None` when it allows.
    pub(crate) fn for_verdict(verdict: &Verdict, realm: &str) -> Option<Denial> {
        if verdict.is_allowed() {
            return None;
        }
        let reasons = &verdict.reasons;
        let mut denial = if reasons.iter().any(|r| INVALID_TOKEN.contains(r)) {
            Denial::challenged(401, "invalid_token", realm)
        } else if reasons == &[Reason::RateExceeded] {
            let ms = verdict.retry_after_ms.unwrap_or(1000).max(1);
            Denial {
                retry_after: Some(ms.div_ceil(1000)),
                ..Denial::plain(429, "rate_limited")
            }
        } else {
            Denial::plain(403, "forbidden")
        };
        denial.reasons = reasons.clone();
        Some(denial)
    }

    fn plain(status: u16, error: &'static str) -> Denial {
        Denial {
            status,
            error,
            reasons: Vec::new(),
            retry_after: None,
            challenge: None,
        }
    }

    /// The JSON body: `{"error": ..., "reasons": [...]}`.
    pub fn body(&self) -> String {
        #[derive(Serialize)]
        struct Body<'a> {
            error: &'a str,
            reasons: &'a [Reason],
        }
        let body = Body {
            error: self.error,
            reasons: &self.reasons,
        };
        serde_json::to_string(&body).expect("a body of static strings serializes")
    }

    /// The response headers, names in lower case: `content-type`, `cache-control: no-store`,
    /// and `www-authenticate` or `retry-after` where they apply.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ];
        if let Some(challenge) = &self.challenge {
            headers.push(("www-authenticate", challenge.clone()));
        }
        if let Some(seconds) = self.retry_after {
            headers.push(("retry-after", seconds.to_string()));
        }
        headers
    }

    /// The gRPC status for this denial.
    pub fn grpc_code(&self) -> GrpcCode {
        match self.status {
            429 => GrpcCode::ResourceExhausted,
            403 => GrpcCode::PermissionDenied,
            _ => GrpcCode::Unauthenticated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(reasons: &[Reason], retry_after_ms: Option<u64>) -> Option<Denial> {
        let mut verdict = Verdict::new(None, reasons.to_vec());
        verdict.retry_after_ms = retry_after_ms;
        Denial::for_verdict(&verdict, "api")
    }

    #[test]
    fn statuses_follow_the_reasons() {
        let d = denial(&[Reason::Revoked, Reason::IpNotAllowed], None).unwrap();
        assert_eq!((d.status, d.error), (401, "invalid_token"));
        assert_eq!(
            d.challenge.as_deref(),
            Some(r#"Bearer realm="api", error="invalid_token""#)
        );
        assert_eq!(d.grpc_code(), GrpcCode::Unauthenticated);
        let d = denial(&[Reason::RateExceeded], Some(1001)).unwrap();
        assert_eq!((d.status, d.retry_after), (429, Some(2)));
        assert_eq!(d.grpc_code(), GrpcCode::ResourceExhausted);
        assert!(d.headers().contains(&("retry-after", "2".into())));
        let d = denial(&[Reason::RateExceeded, Reason::ScopeDenied], Some(5)).unwrap();
        assert_eq!((d.status, d.retry_after), (403, None));
        assert_eq!(
            d.body(),
            r#"{"error":"forbidden","reasons":["scope_denied","rate_exceeded"]}"#
        );
        assert!(denial(&[], None).is_none());
    }
}
