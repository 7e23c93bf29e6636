//! Soft expectations on a token: what its registry entry says is normal for it (countries,
//! networks, devices, endpoints). They inform the usage detectors and never deny by
//! themselves: inside them counts as known (no novelty, an established place), outside them
//! is evidence that raises the severity of a novelty or travel alert.

use serde::{Deserialize, Serialize};

use crate::policy::{EndpointSet, IpSet, PolicyError};
use crate::usage::Expected;
use crate::Request;

/// The `expect` table of a token ([`TokenMeta::expect`](super::TokenMeta::expect)). Every list
/// is optional; an empty one expects nothing of its dimension.
///
/// ```
/// use tokenward::guard::Expectations;
///
/// let expect = Expectations::from_json(r#"{
///     "countries": ["DE", "FR"],
///     "networks": ["198.51.100.0/24", "2001:db8::/32"],
///     "devices": ["build-farm"],
///     "endpoints": ["GET /v1/builds/**", "POST /v1/builds"]
/// }"#)?;
/// assert_eq!(expect.countries, ["DE", "FR"]);
///
/// // Errors name the field and what was expected, never the value.
/// let err = Expectations::from_json(r#"{"networks": ["10.0.0.0/33"]}"#).unwrap_err();
/// assert!(err.to_string().starts_with("networks[0]:"), "{err}");
/// let err = Expectations::from_json(r#"{"countrys": ["DE"]}"#).unwrap_err();
/// assert!(!err.to_string().contains("countrys"), "{err}");
/// # Ok::<(), tokenward::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// Countries (ISO 3166-1 alpha-2) the token is expected to be used from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
    /// Networks (CIDRs, v4 or v6) it is expected to be used from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub networks: Vec<String>,
    /// Devices (the request's `device`) it is expected on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
    /// Endpoints it is expected to call, in the policy's pattern syntax (`GET /v1/builds/*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<String>,
}

impl Expectations {
    /// Parses and checks an `expect` table given as JSON text (how the bindings pass a dict or
    /// an object). Errors name the field path and what was expected, never the value found.
    pub fn from_json(text: &str) -> Result<Expectations, PolicyError> {
        let expect: Expectations = crate::parse::json(text)?;
        Compiled::new(&expect)?;
        Ok(expect)
    }

    /// Parses and checks an `expect` table given as TOML text.
    pub fn from_toml(text: &str) -> Result<Expectations, PolicyError> {
        let expect: Expectations = crate::parse::toml(text)?;
        Compiled::new(&expect)?;
        Ok(expect)
    }

    /// Whether it expects nothing.
    pub fn is_empty(&self) -> bool {
        self.countries.is_empty()
            && self.networks.is_empty()
            && self.devices.is_empty()
            && self.endpoints.is_empty()
    }
}

/// Expectations compiled for lookup, kept with the token's record.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub doc: Expectations,
    countries: Box<[[u8; 2]]>,
    networks: Option<IpSet>,
    devices: Box<[Box<str>]>,
    endpoints: Option<EndpointSet>,
}

impl Compiled {
    /// Checks and compiles; errors name the field as `countries[1]`.
    pub fn new(doc: &Expectations) -> Result<Compiled, PolicyError> {
        let list_err = |field: &'static str| {
            move |(i, reason): (usize, String)| PolicyError::new(format!("{field}[{i}]"), reason)
        };
        Ok(Compiled {
            doc: doc.clone(),
            countries: crate::policy::countries(&doc.countries)?,
            networks: (!doc.networks.is_empty())
                .then(|| IpSet::parse(&doc.networks))
                .transpose()
                .map_err(list_err("networks"))?,
            devices: crate::policy::names("devices", &doc.devices)?,
            endpoints: (!doc.endpoints.is_empty())
                .then(|| EndpointSet::parse(&doc.endpoints))
                .transpose()
                .map_err(list_err("endpoints"))?,
        })
    }

    /// Whether `request` (with its canonical `path`) is inside, per dimension.
    pub fn judge(&self, request: &Request<'_>, path: Option<&str>) -> Expected {
        let country = (!self.countries.is_empty()).then(|| {
            request.country.is_some_and(|c| match c.as_bytes() {
                &[a, b] => self
                    .countries
                    .binary_search(&[a.to_ascii_uppercase(), b.to_ascii_uppercase()])
                    .is_ok(),
                _ => false,
            })
        });
        let network = self
            .networks
            .as_ref()
            .map(|set| request.ip.is_some_and(|ip| set.contains(ip)));
        let device = (!self.devices.is_empty()).then(|| {
            request
                .device
                .is_some_and(|d| self.devices.binary_search_by(|x| (**x).cmp(d)).is_ok())
        });
        let endpoint = self
            .endpoints
            .as_ref()
            .map(|set| match (request.method, path) {
                (Some(method), Some(path)) => set.allows_canonical(method, path),
                _ => false,
            });
        Expected {
            country,
            network,
            device,
            endpoint,
        }
    }
}
