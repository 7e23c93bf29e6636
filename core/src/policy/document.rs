//! Policy documents as written by people, in TOML or JSON.

use serde::{Deserialize, Serialize};

use super::PolicyError;

/// A policy as written in TOML or JSON: the conditions a token carries.
///
/// Every field is optional; an empty list or a missing value sets no condition. Unknown fields
/// are errors. See [`Policy`](super::Policy) for how each condition is checked and the README
/// for a reference with examples.
///
/// ```
/// use tokenward::policy::PolicyDoc;
///
/// let doc = PolicyDoc::from_toml(r#"
///     subjects = ["ci-runner"]
///     allow_ips = ["10.0.0.0/8", "2001:db8::/32"]
///     countries = ["DE", "FR"]
///     endpoints = ["GET /v1/orders/*", "POST /v1/orders"]
///     time_windows = ["mon-fri 08:00-18:00"]
///     utc_offset = "+02:00"
///     max_lifetime = "90d"
///     idle_expiry = "30d"
///     rate_limit = { requests = 100, window = "1m" }
/// "#)?;
/// assert_eq!(doc.countries, ["DE", "FR"]);
/// # Ok::<(), tokenward::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDoc {
    /// Allowed `Request::subject` values (exact match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<String>,
    /// Allowed `Request::device` values (exact match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// Allowed `Request::environment` values (exact match).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
    /// CIDRs (`10.0.0.0/8`, `2001:db8::/32`) or single addresses the request must come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_ips: Vec<String>,
    /// CIDRs or addresses the request must not come from; wins over `allow_ips`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deny_ips: Vec<String>,
    /// ISO 3166-1 alpha-2 codes (`DE`, `us`: case-insensitive) the request must come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Endpoint scopes: `METHOD /path/pattern`. Methods are one name, a comma list
    /// (`GET,HEAD`) or `*`; in paths `*` matches one segment and a final `**` any rest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
    /// Weekly windows such as `mon-fri 08:00-18:00`, `sat,sun 10:00-14:00`,
    /// `daily 22:00-06:00` (an end before the start runs past midnight).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub time_windows: Vec<String>,
    /// The offset the time windows are written in: `+02:00`, `-05:30`, `Z` (default UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
    /// The token is not valid before this instant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<TimeSpec>,
    /// The token is not valid from this instant on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<TimeSpec>,
    /// The token expires this long after it was issued (`90d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_lifetime: Option<String>,
    /// The token expires when unused for this long (`30d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_expiry: Option<String>,
    /// How long a rotated token keeps working, unless the rotation names its own grace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_grace: Option<String>,
    /// At most `requests` per `window`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimitDoc>,
}

/// A rate limit as written: `{ requests = 100, window = "1m" }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitDoc {
    /// Requests allowed per window (and the largest burst).
    pub requests: u32,
    /// The window, as a duration (`1s`, `1m`, `1h`).
    pub window: String,
}

/// An instant: Unix milliseconds, or an RFC 3339 string (`2026-01-01T00:00:00Z`,
/// `2026-01-01T08:00:00+02:00`, or a date `2026-01-01` meaning midnight UTC). In TOML, quote
/// the string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TimeSpec {
    /// Unix milliseconds.
    Millis(i64),
    /// An RFC 3339 date or date-time.
    Text(String),
}

impl PolicyDoc {
    /// Parses a TOML document. Errors name the field path.
    pub fn from_toml(text: &str) -> Result<PolicyDoc, PolicyError> {
        crate::parse::toml(text)
    }

    /// Parses a JSON document. Errors name the field path.
    pub fn from_json(text: &str) -> Result<PolicyDoc, PolicyError> {
        crate::parse::json(text)
    }

    /// The document as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a policy document serializes")
    }
}
