//! The Guard's Python arguments as core values: the key, times, token ids, token metadata,
//! policies and configs, request context, and the randomness for minting. Also the two
//! things the core leaves to its host: the clock and the random source.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyString};
use tokenward::guard::{Expectations, PolicySpec};
use tokenward::{GuardConfig, PolicyDoc, TokenId, TokenKey, TokenMeta};

use crate::errors::{from_kind, to_py};
use crate::json::{document_text, Format};
use crate::text::Text;

type Kind = tokenward::ErrorKind;

fn invalid(message: impl Into<String>) -> PyErr {
    from_kind(Kind::InvalidArgument, message.into())
}

/// The fingerprint key. An empty key would make every token's id public knowledge (anyone
/// can compute an unkeyed fingerprint), so it is refused.
pub fn key(material: &[u8]) -> PyResult<TokenKey> {
    if material.is_empty() {
        return Err(invalid("key must not be empty"));
    }
    Ok(TokenKey::new(material))
}

/// `now` as given, else the wall clock, in Unix milliseconds.
pub fn now(now: Option<i64>) -> PyResult<tokenward::Timestamp> {
    if let Some(now) = now {
        return Ok(now);
    }
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| invalid("the system clock is before 1970"))?;
    i64::try_from(since_epoch.as_millis()).map_err(|_| invalid("the system clock is out of range"))
}

/// 32 bytes from the operating system's random source (what `os.urandom` reads).
pub fn random32() -> PyResult<[u8; 32]> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| from_kind(Kind::Random, format!("random source failed: {e}")))?;
    Ok(bytes)
}

/// A token id (`tid_` and 32 hex digits). The core's error does not quote the argument.
pub fn token_id(id: &str) -> PyResult<TokenId> {
    id.parse().map_err(crate::errors::to_py)
}

/// A rotation grace period in seconds as milliseconds.
pub fn grace_ms(grace: Option<f64>) -> PyResult<Option<i64>> {
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
pub fn status(status: i64) -> PyResult<u16> {
    u16::try_from(status).map_err(|_| invalid("status must be between 0 and 65535"))
}

/// A client address: a `str` or an `ipaddress` object. A string that is no address is an
/// error, never ignored: a policy with `allow_ips` must not see "no IP" where the host meant
/// one. The value is not quoted.
pub fn ip(value: &Bound<'_, PyAny>) -> PyResult<IpAddr> {
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_cow()?
            .trim()
            .parse()
            .map_err(|_| invalid("ip: not an IPv4 or IPv6 address"));
    }
    let ipaddress = value.py().import("ipaddress")?;
    let v4 = ipaddress.getattr("IPv4Address")?;
    let v6 = ipaddress.getattr("IPv6Address")?;
    if value.is_instance(&v4)? || value.is_instance(&v6)? {
        return value.extract();
    }
    Err(PyTypeError::new_err(format!(
        "ip must be a str or an ipaddress.IPv4Address/IPv6Address, not {}",
        value.get_type().name()?
    )))
}

/// A presented token: a `str` (lone surrogates allowed, carried as bytes) or `bytes`.
pub enum TokenArg<'a> {
    Text(Text<'a>),
    Bytes(PyBackedBytes),
}

impl<'a> TokenArg<'a> {
    pub fn extract(value: &'a Bound<'_, PyAny>) -> PyResult<TokenArg<'a>> {
        if let Ok(text) = value.cast::<PyString>() {
            return Ok(TokenArg::Text(Text::extract(text)?));
        }
        if value.is_instance_of::<PyBytes>() {
            return Ok(TokenArg::Bytes(value.extract()?));
        }
        Err(PyTypeError::new_err(format!(
            "token must be a str or bytes, not {}",
            value.get_type().name()?
        )))
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            TokenArg::Text(text) => text.as_bytes(),
            TokenArg::Bytes(bytes) => bytes,
        }
    }
}

/// A policy document (TOML or JSON text, or a dict) given as the field `field`: parse errors
/// name their path inside it (`policies.ci.allow_ips[0]`), as the core's compile errors do.
pub fn policy_doc(doc: &Bound<'_, PyAny>, field: &str) -> PyResult<PolicyDoc> {
    let parsed = match document_text(doc, "policy")? {
        (text, Format::Json) => PolicyDoc::from_json(&text),
        (text, Format::Toml) => PolicyDoc::from_toml(&text),
    };
    parsed.map_err(|e| {
        let path = match e.path.as_str() {
            "" => field.to_string(),
            p if p.starts_with('[') => format!("{field}{p}"),
            p => format!("{field}.{p}"),
        };
        from_kind(e.kind(), format!("{path}: {}", e.reason))
    })
}

/// A Guard config: TOML or JSON text, or a dict.
pub fn config(doc: &Bound<'_, PyAny>) -> PyResult<GuardConfig> {
    let parsed = match document_text(doc, "config")? {
        (text, Format::Json) => GuardConfig::from_json(&text),
        (text, Format::Toml) => GuardConfig::from_toml(&text),
    };
    parsed.map_err(to_py)
}

/// The metadata arguments shared by `mint`, `register` and `register_id`.
pub struct Meta<'py> {
    pub owner: Option<PyBackedStr>,
    pub service: Option<PyBackedStr>,
    pub environment: Option<PyBackedStr>,
    pub tags: Option<Bound<'py, PyAny>>,
    pub policy: Option<Bound<'py, PyAny>>,
    pub issued_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub expect: Option<Bound<'py, PyAny>>,
}

impl Meta<'_> {
    /// The core's token metadata.
    pub fn to_core(&self) -> PyResult<TokenMeta> {
        let text = |s: &Option<PyBackedStr>| s.as_ref().map(|s| s.to_string());
        Ok(TokenMeta {
            owner: text(&self.owner),
            service: text(&self.service),
            environment: text(&self.environment),
            tags: match &self.tags {
                Some(tags) => tag_list(tags)?,
                None => Vec::new(),
            },
            policy: self.policy.as_ref().map(policy_spec).transpose()?,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            expect: match &self.expect {
                Some(expect) if !expect.is_none() => Some(expectations(expect)?),
                _ => None,
            },
        })
    }
}

/// Soft expectations: a dict (`{"countries": ["DE"], "networks": ["10.0.0.0/8"]}`).
fn expectations(expect: &Bound<'_, PyAny>) -> PyResult<Expectations> {
    if !expect.is_instance_of::<pyo3::types::PyDict>() {
        return Err(PyTypeError::new_err(format!(
            "expect must be a dict of countries, networks, devices and endpoints, not {}",
            expect.get_type().name()?
        )));
    }
    let (text, _) = document_text(expect, "expect")?;
    Expectations::from_json(&text).map_err(|e| {
        let path = match e.path.as_str() {
            "" => "expect".to_string(),
            p => format!("expect.{p}"),
        };
        from_kind(e.kind(), format!("{path}: {}", e.reason))
    })
}

/// Tags: any iterable of `str`, but not a `str` itself (which would be split into letters).
fn tag_list(tags: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if tags.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "tags must be an iterable of str (a list or tuple), not a str",
        ));
    }
    tags.try_iter()?
        .map(|tag| tag?.extract::<String>())
        .collect::<PyResult<_>>()
}

/// A token's policy: a name (`str`) of the Guard's config, or a dict holding its own policy.
fn policy_spec(policy: &Bound<'_, PyAny>) -> PyResult<PolicySpec> {
    if let Ok(name) = policy.cast::<PyString>() {
        return Ok(PolicySpec::Named(name.to_cow()?.into_owned()));
    }
    if policy.is_instance_of::<pyo3::types::PyDict>() {
        return Ok(PolicySpec::Inline(Box::new(policy_doc(policy, "policy")?)));
    }
    Err(PyTypeError::new_err(format!(
        "policy must be a policy name (str) or a policy document (dict), not {}",
        policy.get_type().name()?
    )))
}
