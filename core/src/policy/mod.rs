//! Context policies: the conditions under which a token works.
//!
//! A [`PolicyDoc`] is written by people in TOML or JSON; [`Policy::compile`] checks it once
//! and builds fast structures: sorted, merged address ranges for CIDR lists ([`IpSet`]),
//! pre-split path patterns ([`EndpointSet`]), a bitmap of the week's minutes
//! ([`WeeklyWindows`]), and a sliding-window rate limit ([`RateLimit`]). Errors name the field and
//! the reason: `allow_ips[1]: invalid CIDR: prefix length above 32`.
//!
//! A condition that names a request field the request does not carry fails, with the matching
//! reason: a policy with `countries` denies a request without a country as
//! `country_not_allowed`. Policies fail closed.
//!
//! Endpoint scopes are matched against the canonical form of the request path
//! ([`canonical_path`]); with scopes, a path that has none is denied as `invalid_path`.
//!
//! ```
//! use tokenward::policy::{Policy, TokenTimes};
//! use tokenward::{Reason, Request};
//!
//! let policy = Policy::from_toml(r#"
//!     subjects = ["deploy-bot"]
//!     allow_ips = ["10.0.0.0/8"]
//!     endpoints = ["POST /v1/deploys"]
//! "#)?;
//! let times = TokenTimes { issued_at: 0, last_used: 0 };
//! let ok = Request::new("tw_...").subject("deploy-bot").ip([10, 1, 2, 3].into()).endpoint("POST", "/v1/deploys");
//! assert!(policy.evaluate(&ok, times, 1_000).is_empty());
//!
//! let bad = Request::new("tw_...").subject("deploy-bot").ip([192, 0, 2, 1].into()).endpoint("GET", "/v1/deploys");
//! assert_eq!(policy.evaluate(&bad, times, 1_000), [Reason::IpNotAllowed, Reason::ScopeDenied]);
//! # Ok::<(), tokenward::policy::PolicyError>(())
//! ```

mod document;
mod endpoint;
mod ipset;
mod path;
mod rate;
mod reason;
mod time;
mod window;

pub use document::{PolicyDoc, RateLimitDoc, TimeSpec};
pub use endpoint::EndpointSet;
pub use ipset::IpSet;
use path::canonical_path_with_encoded_slashes;
pub use path::{canonical_path, PathError, MAX_PATH_LEN};
pub use rate::RateLimit;
pub use reason::Reason;
pub use time::{format_instant, parse_duration, parse_instant};
pub use window::WeeklyWindows;

pub(crate) use rate::{Exceeded as RateExceeded, Group as RateGroup, RateLog};

use std::borrow::Cow;

use crate::Request;
use crate::Timestamp;

/// A policy document that failed to parse or compile: where, and why. The same type as
/// [`FieldError`](crate::FieldError), under the name the policy API has always used.
///
/// Parse errors (a wrong type, an unknown field) never quote the value found. Compile errors of
/// a value that parses but cannot be used (a CIDR with a prefix of 33, a malformed time window)
/// quote it, clipped: policy values are conditions (addresses, countries, patterns), never
/// credentials, and the value is what a user needs to see to fix it.
///
/// ```
/// use tokenward::policy::Policy;
///
/// let err = Policy::from_toml(r#"allow_ips = ["10.0.0.0/8", "10.0.0.0/33"]"#).unwrap_err();
/// assert_eq!(err.to_string(), r#"allow_ips[1]: invalid CIDR: prefix length above 32"#);
/// let err = Policy::from_json(r#"{"subject": ["x"]}"#).unwrap_err();
/// assert!(err.to_string().starts_with("unknown field, expected one of `subjects`"));
/// ```
pub type PolicyError = crate::error::FieldError;

/// When a token was issued and last used: the inputs of the lifetime and idle conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenTimes {
    /// When the token was issued.
    pub issued_at: Timestamp,
    /// When the token was last allowed (its issue time if never).
    pub last_used: Timestamp,
}

/// A compiled policy. Immutable; shared by every token that uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    doc: PolicyDoc,
    subjects: Box<[Box<str>]>,
    devices: Box<[Box<str>]>,
    environments: Box<[Box<str>]>,
    allow_ips: Option<IpSet>,
    deny_ips: Option<IpSet>,
    countries: Box<[[u8; 2]]>,
    endpoints: Option<EndpointSet>,
    windows: Option<WeeklyWindows>,
    not_before: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    max_lifetime: Option<i64>,
    idle_expiry: Option<i64>,
    rotation_grace: Option<i64>,
    rate_limit: Option<RateLimit>,
}

impl Policy {
    /// Checks and compiles a document.
    pub fn compile(doc: &PolicyDoc) -> Result<Policy, PolicyError> {
        let list_err = |field: &'static str| {
            move |(i, reason): (usize, String)| PolicyError::new(format!("{field}[{i}]"), reason)
        };
        let offset = match &doc.utc_offset {
            Some(text) => {
                time::parse_utc_offset(text).map_err(|r| PolicyError::new("utc_offset", r))?
            }
            None => 0,
        };
        if doc.utc_offset.is_some() && doc.time_windows.is_empty() {
            return Err(PolicyError::new("utc_offset", "set without time_windows"));
        }
        let duration = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(parse_duration)
                .transpose()
                .map_err(|r| PolicyError::new(field, r))
        };
        let instant = |field: &str, value: &Option<TimeSpec>| match value {
            None => Ok(None),
            Some(TimeSpec::Millis(ms)) => Ok(Some(*ms)),
            Some(TimeSpec::Text(text)) => time::parse_instant(text)
                .map(Some)
                .map_err(|r| PolicyError::new(field, r)),
        };
        let rate_limit =
            match &doc.rate_limit {
                None => None,
                Some(limit) => {
                    let window = parse_duration(&limit.window)
                        .map_err(|r| PolicyError::new("rate_limit.window", r))?;
                    Some(RateLimit::new(limit.requests, window).ok_or_else(|| {
                        PolicyError::new("rate_limit.requests", "must be at least 1")
                    })?)
                }
            };
        let policy = Policy {
            subjects: names("subjects", &doc.subjects)?,
            devices: names("devices", &doc.devices)?,
            environments: names("environments", &doc.environments)?,
            allow_ips: non_empty(&doc.allow_ips, IpSet::parse).map_err(list_err("allow_ips"))?,
            deny_ips: non_empty(&doc.deny_ips, IpSet::parse).map_err(list_err("deny_ips"))?,
            countries: countries(&doc.countries)?,
            endpoints: non_empty(&doc.endpoints, EndpointSet::parse)
                .map_err(list_err("endpoints"))?,
            windows: non_empty(&doc.time_windows, |v| WeeklyWindows::parse(v, offset))
                .map_err(list_err("time_windows"))?,
            not_before: instant("not_before", &doc.not_before)?,
            expires_at: instant("expires_at", &doc.expires_at)?,
            max_lifetime: duration("max_lifetime", &doc.max_lifetime)?,
            idle_expiry: duration("idle_expiry", &doc.idle_expiry)?,
            rotation_grace: duration("rotation_grace", &doc.rotation_grace)?,
            rate_limit,
            doc: doc.clone(),
        };
        if let (Some(nb), Some(exp)) = (policy.not_before, policy.expires_at) {
            if nb >= exp {
                return Err(PolicyError::new("expires_at", "must be after not_before"));
            }
        }
        Ok(policy)
    }

    /// Parses and compiles a TOML document.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        Policy::compile(&PolicyDoc::from_toml(text)?)
    }

    /// Parses and compiles a JSON document.
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        Policy::compile(&PolicyDoc::from_json(text)?)
    }

    /// The document this policy was compiled from.
    pub fn doc(&self) -> &PolicyDoc {
        &self.doc
    }

    /// The rate limit, if any.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref()
    }

    /// The default grace of a rotation, in milliseconds.
    pub fn rotation_grace(&self) -> Option<i64> {
        self.rotation_grace
    }

    /// Every condition `request` fails at `now`, in [`Reason`] order; empty when it passes.
    /// The rate limit is not consulted here: it holds per-token state, kept by the Guard.
    pub fn evaluate(
        &self,
        request: &Request<'_>,
        times: TokenTimes,
        now: Timestamp,
    ) -> Vec<Reason> {
        let mut reasons = Vec::new();
        let path = request.path.map(|raw| self.canonical_path(raw));
        let path = path.as_ref().map(|p| p.as_deref().map_err(|e| *e));
        self.evaluate_into(request, path, times, now, &mut reasons);
        reasons
    }

    /// The canonical form of a request path as this policy judges it: [`canonical_path`],
    /// except that without endpoint scopes a segment may hold encoded slashes (`%2F`, as in
    /// object keys), kept as data. No condition then hangs on where segments split, and the
    /// path may not hide a dot or empty segment behind the escape either.
    pub(crate) fn canonical_path<'r>(&self, raw: &'r str) -> Result<Cow<'r, str>, PathError> {
        canonical_request_path(raw, self.scopes_endpoints())
    }

    /// Whether the policy has endpoint scopes.
    pub(crate) fn scopes_endpoints(&self) -> bool {
        self.endpoints.is_some()
    }

    /// Like [`evaluate`](Self::evaluate) for a request whose path is already canonicalised
    /// (`path` is [`Policy::canonical_path`] of `req.path`), appending to `out` (which allocates only
    /// on a failure).
    pub(crate) fn evaluate_into(
        &self,
        req: &Request<'_>,
        path: Option<Result<&str, PathError>>,
        times: TokenTimes,
        now: Timestamp,
        out: &mut Vec<Reason>,
    ) {
        let expired = self.expires_at.is_some_and(|at| now >= at)
            || self
                .max_lifetime
                .is_some_and(|life| now >= times.issued_at.saturating_add(life));
        push_if(out, expired, Reason::Expired);
        push_if(
            out,
            self.not_before.is_some_and(|nb| now < nb),
            Reason::NotYetValid,
        );
        let idle = self
            .idle_expiry
            .is_some_and(|idle| now >= times.last_used.saturating_add(idle));
        push_if(out, idle, Reason::IdleExpired);
        push_if(
            out,
            !in_list(&self.subjects, req.subject),
            Reason::SubjectMismatch,
        );
        push_if(
            out,
            !in_list(&self.devices, req.device),
            Reason::DeviceMismatch,
        );
        push_if(
            out,
            !in_list(&self.environments, req.environment),
            Reason::EnvironmentMismatch,
        );
        push_if(out, !self.ip_allowed(req), Reason::IpNotAllowed);
        push_if(
            out,
            !self.country_allowed(req.country),
            Reason::CountryNotAllowed,
        );
        let scope = self.scope_reason(req.method, path);
        push_if(out, scope == Some(Reason::ScopeDenied), Reason::ScopeDenied);
        push_if(
            out,
            self.windows.as_ref().is_some_and(|w| !w.contains(now)),
            Reason::OutsideTimeWindow,
        );
        // Last, as in `Reason`'s order (new reasons are appended there).
        // A path without a canonical form is refused whether or not the policy has scopes:
        // the host's server may route it anywhere. (Without scopes, encoded slashes within a
        // segment have one: see `canonical_path`.)
        push_if(out, matches!(path, Some(Err(_))), Reason::InvalidPath);
    }

    /// The endpoint scopes' verdict on a canonical path. A path that has no canonical form is
    /// `invalid_path` (see `evaluate_into`), not also `scope_denied`.
    fn scope_reason(
        &self,
        method: Option<&str>,
        path: Option<Result<&str, PathError>>,
    ) -> Option<Reason> {
        let set = self.endpoints.as_ref()?;
        match (method, path) {
            (_, Some(Err(_))) => None,
            (Some(method), Some(Ok(path))) if set.allows_canonical(method, path) => None,
            _ => Some(Reason::ScopeDenied),
        }
    }

    fn ip_allowed(&self, req: &Request<'_>) -> bool {
        if self.allow_ips.is_none() && self.deny_ips.is_none() {
            return true;
        }
        let Some(ip) = req.ip else {
            return false;
        };
        self.allow_ips.as_ref().is_none_or(|set| set.contains(ip))
            && !self.deny_ips.as_ref().is_some_and(|set| set.contains(ip))
    }

    fn country_allowed(&self, country: Option<&str>) -> bool {
        if self.countries.is_empty() {
            return true;
        }
        match country.map(str::as_bytes) {
            Some(&[a, b]) => self
                .countries
                .binary_search(&[a.to_ascii_uppercase(), b.to_ascii_uppercase()])
                .is_ok(),
            _ => false,
        }
    }
}

fn push_if(out: &mut Vec<Reason>, failed: bool, reason: Reason) {
    if failed {
        out.push(reason);
    }
}

/// An empty list sets no condition; otherwise the value must be present and listed.
fn in_list(list: &[Box<str>], value: Option<&str>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.binary_search_by(|item| (**item).cmp(v)).is_ok())
}

fn non_empty<T, E>(
    list: &[String],
    compile: impl FnOnce(&[String]) -> Result<T, E>,
) -> Result<Option<T>, E> {
    if list.is_empty() {
        Ok(None)
    } else {
        compile(list).map(Some)
    }
}

/// Longest subject, device or environment name accepted.
const MAX_NAME: usize = 256;

pub(crate) fn names(field: &str, list: &[String]) -> Result<Box<[Box<str>]>, PolicyError> {
    for (i, name) in list.iter().enumerate() {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(PolicyError::new(
                format!("{field}[{i}]"),
                format!("must be 1 to {MAX_NAME} bytes long"),
            ));
        }
    }
    let mut sorted: Vec<Box<str>> = list.iter().map(|s| s.as_str().into()).collect();
    sorted.sort_unstable();
    sorted.dedup();
    Ok(sorted.into_boxed_slice())
}

pub(crate) fn countries(list: &[String]) -> Result<Box<[[u8; 2]]>, PolicyError> {
    let mut codes = Vec::with_capacity(list.len());
    for (i, code) in list.iter().enumerate() {
        match code.as_bytes() {
            &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                codes.push([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
            }
            _ => {
                return Err(PolicyError::new(
                    format!("countries[{i}]"),
                    "invalid country: expected an ISO 3166-1 alpha-2 code like \"DE\"",
                ))
            }
        }
    }
    codes.sort_unstable();
    codes.dedup();
    Ok(codes.into_boxed_slice())
}

#[cfg(test)]
mod tests;

/// The canonical form of a request path for a request judged with (`scoped`) or without
/// endpoint scopes: see [`Policy::canonical_path`].
pub(crate) fn canonical_request_path(raw: &str, scoped: bool) -> Result<Cow<'_, str>, PathError> {
    match canonical_path(raw) {
        Err(PathError::EncodedSeparator) if !scoped => canonical_path_with_encoded_slashes(raw)
            .map(Cow::Owned)
            .ok_or(PathError::EncodedSeparator),
        judged => judged,
    }
}
