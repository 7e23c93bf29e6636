//! The Guard's JS arguments as core values: the key, times, token ids, token metadata,
//! policies and configs, request context. Also the two things the core leaves to its host:
//! the clock and the random source.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use tokenward::guard::{Expectations, PolicySpec};
use tokenward::{GuardConfig, PolicyDoc, TokenId, TokenKey, TokenMeta};

use crate::error::{error, from_core, Code, Result};

fn invalid(message: impl Into<String>) -> crate::error::Error {
    error(Code::InvalidArg, message)
}

/// Options of `new Guard(config, options)` and `Guard.fromFile(path, options)`.
#[napi(object)]
pub struct GuardOptions {
    /// Key material for token ids (any length but empty). Kept only in derived form and never
    /// shown; the same key gives the same ids, so keep it secret and stable.
    pub key: Buffer,
}

/// The fingerprint key. An empty key would make every token's id public knowledge (anyone
/// can compute an unkeyed fingerprint), so it is refused.
pub fn key(options: &GuardOptions) -> Result<TokenKey> {
    if options.key.is_empty() {
        return Err(invalid("key must not be empty"));
    }
    Ok(TokenKey::new(&options.key))
}

/// `now` as given, else the wall clock, in Unix milliseconds.
pub fn now(now: Option<i64>) -> Result<tokenward::Timestamp> {
    if let Some(now) = now {
        return Ok(now);
    }
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| invalid("the system clock is before 1970"))?;
    i64::try_from(since_epoch.as_millis()).map_err(|_| invalid("the system clock is out of range"))
}

/// 32 bytes from the operating system's random source (what `crypto.randomBytes` reads).
pub fn random32() -> Result<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| error(Code::Random, format!("random source failed: {e}")))?;
    Ok(bytes)
}

/// A token id (`tid_` and 32 hex digits). The core's error does not quote the argument.
pub fn token_id(id: &str) -> Result<TokenId> {
    id.parse().map_err(from_core)
}

/// A rotation grace period in seconds as milliseconds.
pub fn grace_ms(grace: Option<f64>) -> Result<Option<i64>> {
    let Some(seconds) = grace else {
        return Ok(None);
    };
    let ms = (seconds * 1000.0).round();
    if !(0.0..=i64::MAX as f64).contains(&ms) {
        return Err(invalid(
            "grace must be a non-negative, finite number of seconds",
        ));
    }
    Ok(Some(ms as i64))
}

/// An HTTP status (0 to 65535; the core reads the class of 100 to 599).
pub fn status(status: i64) -> Result<u16> {
    u16::try_from(status).map_err(|_| invalid("status must be an integer from 0 to 65535"))
}

/// A client address. A string that is no address is an error, never ignored: a policy with
/// `allow_ips` must not see "no IP" where the host meant one. The value is not quoted.
pub fn ip(text: &str) -> Result<IpAddr> {
    text.trim()
        .parse()
        .map_err(|_| invalid("ip: not an IPv4 or IPv6 address"))
}

/// Latitude and longitude in degrees.
pub fn location(pair: &[f64]) -> Result<(f64, f64)> {
    match pair {
        [lat, lon] if lat.is_finite() && lon.is_finite() => Ok((*lat, *lon)),
        _ => Err(invalid(
            "location must be [latitude, longitude]: two finite numbers",
        )),
    }
}

/// A presented token's bytes: a string (UTF-8) or a Buffer.
pub fn token_bytes(token: &Either<String, Buffer>) -> &[u8] {
    match token {
        Either::A(text) => text.as_bytes(),
        Either::B(bytes) => bytes,
    }
}

/// A JS value as JSON with its integers as integers. napi-rs reads every JS number as an
/// `f64` and keeps only those within 32 bits as integers, so a Unix-millisecond time would
/// reach serde as `1767225600000.0` and fail an integer field.
pub fn integral(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    const SAFE: f64 = 9_007_199_254_740_991.0; // Number.MAX_SAFE_INTEGER
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => match n.as_f64() {
            Some(f) if f.trunc() == f && f.abs() <= SAFE => Value::from(f as i64),
            _ => Value::Number(n),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(integral).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, integral(v))).collect())
        }
        other => other,
    }
}

/// A document (a config or a policy) as text and whether it is JSON: TOML or JSON text (JSON
/// when it starts with `{`), or an object (serialised as JSON).
fn document(doc: serde_json::Value, what: &str) -> Result<(String, bool)> {
    match integral(doc) {
        serde_json::Value::String(text) => {
            let json = text.trim_start().starts_with('{');
            Ok((text, json))
        }
        object @ serde_json::Value::Object(_) => Ok((object.to_string(), true)),
        _ => Err(invalid(format!(
            "{what} must be TOML or JSON text (a string) or an object"
        ))),
    }
}

/// A policy document given as the field `field`: parse errors name their path inside it
/// (`policies.ci.allow_ips[0]`), as the core's compile errors do.
pub fn policy_doc(doc: serde_json::Value, field: &str) -> Result<PolicyDoc> {
    let parsed = match document(doc, "policy")? {
        (text, true) => PolicyDoc::from_json(&text),
        (text, false) => PolicyDoc::from_toml(&text),
    };
    parsed.map_err(|e| {
        let path = match e.path.as_str() {
            "" => field.to_string(),
            p if p.starts_with('[') => format!("{field}{p}"),
            p => format!("{field}.{p}"),
        };
        error(e.kind().into(), format!("{path}: {}", e.reason))
    })
}

/// A Guard config: TOML or JSON text, or an object.
pub fn config(doc: serde_json::Value) -> Result<GuardConfig> {
    let parsed = match document(doc, "config")? {
        (text, true) => GuardConfig::from_json(&text),
        (text, false) => GuardConfig::from_toml(&text),
    };
    parsed.map_err(from_core)
}

/// A Guard config read from a `.toml` or `.json` file.
pub fn config_file(path: &str) -> Result<GuardConfig> {
    let lower = path.to_ascii_lowercase();
    let json = if lower.ends_with(".json") {
        true
    } else if lower.ends_with(".toml") {
        false
    } else {
        return Err(error(
            Code::Config,
            "the config file name must end in .toml or .json",
        ));
    };
    // The io error names the problem (not found, permission); the path is the caller's own.
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(Code::Config, format!("cannot read {path}: {e}")))?;
    let parsed = match json {
        true => GuardConfig::from_json(&text),
        false => GuardConfig::from_toml(&text),
    };
    parsed.map_err(from_core)
}

/// A token's metadata, for `mint`, `register` and `registerId`. Every field is optional.
#[napi(object)]
#[derive(Default)]
pub struct TokenOptions {
    /// Who the token belongs to.
    pub owner: Option<String>,
    /// The service it is for.
    pub service: Option<String>,
    /// The environment it is for (metadata for `revokeWhere`; a policy's `environments`
    /// condition checks requests).
    pub environment: Option<String>,
    /// Free-form tags, for `revokeWhere`.
    pub tags: Option<Vec<String>>,
    /// Its policy: the name of one of the Guard's policies, or a policy document of its own
    /// (TOML or JSON text is not accepted here: an object).
    #[napi(ts_type = "string | Record<string, unknown>")]
    pub policy: Option<serde_json::Value>,
    /// When it was issued, Unix ms (default: the registration time). Not for `mint`.
    pub issued_at: Option<i64>,
    /// When it stops working, Unix ms.
    pub expires_at: Option<i64>,
    /// Soft expectations (`countries`, `networks` as CIDRs, `devices`, `endpoints` as scope
    /// patterns): they inform the detectors, something outside them is evidence, and they
    /// never deny by themselves.
    #[napi(
        ts_type = "{ countries?: string[]; networks?: string[]; devices?: string[]; endpoints?: string[] }"
    )]
    pub expect: Option<serde_json::Value>,
    /// The time of the call, Unix ms (default: `Date.now()`).
    pub now: Option<i64>,
}

impl TokenOptions {
    /// The core's token metadata.
    pub fn to_core(&self) -> Result<TokenMeta> {
        Ok(TokenMeta {
            owner: self.owner.clone(),
            service: self.service.clone(),
            environment: self.environment.clone(),
            tags: self.tags.clone().unwrap_or_default(),
            policy: self.policy.clone().map(policy_spec).transpose()?,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            expect: self.expect.clone().map(expectations).transpose()?,
        })
    }
}

/// Soft expectations, from a plain object.
fn expectations(expect: serde_json::Value) -> Result<Expectations> {
    Expectations::from_json(&expect.to_string()).map_err(|e| {
        let path = match e.path.as_str() {
            "" => "expect".to_string(),
            p => format!("expect.{p}"),
        };
        error(e.kind().into(), format!("{path}: {}", e.reason))
    })
}

/// A token's policy: a name of the Guard's config, or an object holding its own policy.
fn policy_spec(policy: serde_json::Value) -> Result<PolicySpec> {
    match policy {
        serde_json::Value::String(name) => Ok(PolicySpec::Named(name)),
        object @ serde_json::Value::Object(_) => {
            Ok(PolicySpec::Inline(Box::new(policy_doc(object, "policy")?)))
        }
        _ => Err(invalid(
            "policy must be a policy name (a string) or a policy document (an object)",
        )),
    }
}

/// What a request presenting a token carries besides the token. Every field is optional; a
/// policy condition on a field that is absent fails closed.
#[napi(object)]
#[derive(Default)]
pub struct CheckOptions {
    /// The client address (IPv4 or IPv6 text). Text that is no address throws.
    pub ip: Option<String>,
    /// The client's country, ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The HTTP method.
    pub method: Option<String>,
    /// The RAW request path as received, undecoded (`req.originalUrl`, not a decoded
    /// path): the core canonicalises it and denies what has no canonical form.
    pub path: Option<String>,
    /// Who the caller says it is.
    pub subject: Option<String>,
    /// The device identifier.
    pub device: Option<String>,
    /// The deployment environment.
    pub environment: Option<String>,
    /// The user agent.
    pub user_agent: Option<String>,
    /// `[latitude, longitude]` in degrees.
    #[napi(ts_type = "[number, number]")]
    pub location: Option<Vec<f64>>,
    /// The time of the check, Unix ms (default: `Date.now()`).
    pub now: Option<i64>,
}

/// Options of calls that only take the time.
#[napi(object)]
#[derive(Default)]
pub struct NowOptions {
    /// The time of the call, Unix ms (default: `Date.now()`).
    pub now: Option<i64>,
}

/// Options of `rotate`.
#[napi(object)]
#[derive(Default)]
pub struct RotateOptions {
    /// How long the old token keeps working, in seconds (default: its policy's
    /// `rotation_grace`, else none).
    pub grace: Option<f64>,
    /// The time of the call, Unix ms (default: `Date.now()`).
    pub now: Option<i64>,
}

/// Which tokens `revokeWhere` revokes: every field that is set must match. At least one.
#[napi(object)]
#[derive(Default)]
pub struct SelectorOptions {
    /// Owner.
    pub owner: Option<String>,
    /// Service.
    pub service: Option<String>,
    /// Environment.
    pub environment: Option<String>,
    /// A tag the token carries.
    pub tag: Option<String>,
    /// The time of the call, Unix ms (default: `Date.now()`).
    pub now: Option<i64>,
}
