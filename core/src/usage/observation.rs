//! What the host tells the tracker about one request.

use std::fmt;
use std::net::IpAddr;

use super::hashing;
use crate::Request;

/// What the host knows about one request, borrowed from it. Everything is optional.
///
/// Debug output shows the path with its query string dropped and identifiers collapsed, so a
/// secret in a URL never reaches a log through it.
#[derive(Clone, Copy, Default)]
pub struct Observation<'a> {
    /// Client IP.
    pub ip: Option<IpAddr>,
    /// ISO 3166-1 alpha-2 country of the client (other values are ignored).
    pub country: Option<&'a str>,
    /// The User-Agent header.
    pub user_agent: Option<&'a str>,
    /// HTTP method (or any verb).
    pub method: Option<&'a str>,
    /// Request path; the query string is ignored. The Guard passes the canonical path
    /// ([`canonical_path`](crate::policy::canonical_path)), and `/{invalid-path}` for one that
    /// has none, so every spelling of an endpoint counts as that endpoint and a refused path
    /// cannot pass for a known one.
    pub path: Option<&'a str>,
    /// Client latitude and longitude in degrees, when the host geolocates precisely.
    pub location: Option<(f64, f64)>,
    /// The guard denied this request.
    pub denied: bool,
    /// `Some(false)` when the request fell outside the token's declared scope; `None` when the
    /// token declares none.
    pub declared_scope_match: Option<bool>,
    /// Whether the request is inside what the registry expects of the token (its soft
    /// expectations): informs the detectors, never denies.
    pub expected: Expected,
    /// The tokens that share an owner and service with this one (any number the host keeps
    /// stable for them; the Guard derives it from the registry, and gives none to a token
    /// without an owner). Their learned countries, networks and clients are pooled: see the
    /// [module documentation](super).
    pub group: Option<u64>,
}

/// Whether a request is inside a token's soft expectations, per dimension: `None` when the
/// token expects nothing of it. Inside counts as known (no novelty, an established place);
/// outside is evidence that raises the severity of a novelty or travel alert, never a denial
/// by itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The country is one of the expected countries.
    pub country: Option<bool>,
    /// The IP is inside one of the expected networks.
    pub network: Option<bool>,
    /// The device is one of the expected devices.
    pub device: Option<bool>,
    /// The endpoint matches one of the expected endpoint patterns.
    pub endpoint: Option<bool>,
}

impl<'a> Observation<'a> {
    /// What `request` tells about itself (address, country, agent, method, location), with
    /// `path` in place of its raw path: the one place a request's context becomes an
    /// observation, so a new request attribute is added here once. `denied` and
    /// `declared_scope_match` are the caller's to set.
    ///
    /// ```
    /// use tokenward::{Observation, Request};
    ///
    /// let request = Request::new("tw_x").country("DE").endpoint("GET", "/v1/%6frders");
    /// let observation = Observation::from_request(&request, Some("/v1/orders"));
    /// assert_eq!(observation.country, Some("DE"));
    /// assert_eq!(observation.path, Some("/v1/orders"));
    /// ```
    pub fn from_request(request: &Request<'a>, path: Option<&'a str>) -> Observation<'a> {
        Observation {
            ip: request.ip,
            country: request.country,
            user_agent: request.user_agent,
            method: request.method,
            path,
            location: request.location,
            denied: false,
            declared_scope_match: None,
            expected: Expected::default(),
            group: None,
        }
    }
}

impl fmt::Debug for Observation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observation")
            .field("ip", &self.ip)
            .field("country", &self.country)
            .field("user_agent", &self.user_agent.map(|a| hashing::clip(a, 80)))
            .field(
                "endpoint",
                &self.path.map(|p| hashing::endpoint_text(self.method, p)),
            )
            .field("location", &self.location)
            .field("denied", &self.denied)
            .field("declared_scope_match", &self.declared_scope_match)
            .field("expected", &self.expected)
            .field("group", &self.group)
            .finish()
    }
}
