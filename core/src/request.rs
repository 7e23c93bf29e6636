//! What a check is asked about.

use std::fmt;
use std::net::IpAddr;

/// One request presenting a token, with whatever context the host knows.
///
/// Only the token is required. A policy condition on a field the request does not carry
/// fails with that condition's reason (fail closed): a policy with `allow_ips` denies a
/// request without an IP as `ip_not_allowed`. `Debug` never shows the token.
///
/// ```
/// use tokenward::Request;
///
/// let request = Request::new("tw_example")
///     .ip("10.1.2.3".parse().unwrap())
///     .country("DE")
///     .endpoint("GET", "/v1/orders/42")
///     .subject("ci-runner");
/// assert_eq!(request.country, Some("DE"));
/// assert!(!format!("{request:?}").contains("tw_example"));
/// ```
#[derive(Clone, Copy, Default, PartialEq)]
pub struct Request<'a> {
    /// The raw token as presented (bytes: it need not be UTF-8).
    pub token: &'a [u8],
    /// The client address.
    pub ip: Option<IpAddr>,
    /// The client's country, ISO 3166-1 alpha-2 (case-insensitive).
    pub country: Option<&'a str>,
    /// The HTTP method (or any verb the host uses).
    pub method: Option<&'a str>,
    /// The raw request-target path as received, before the server decodes it
    /// (`/v1/caf%C3%A9/1?x=2`, not `/v1/café/1`); the query string and fragment are ignored.
    ///
    /// The core canonicalises it ([`canonical_path`](crate::policy::canonical_path)) once per
    /// check, for the endpoint scopes and the usage tracker alike. Pass it undecoded: a path
    /// the server has already decoded may hide an encoded `/` that no check can see any more.
    /// A path that has no canonical form (`/v1/orders/..%2fadmin`) is denied as
    /// `invalid_path`, with or without endpoint scopes: the server may route it anywhere.
    pub path: Option<&'a str>,
    /// Who the caller says it is (a service account, a user id).
    pub subject: Option<&'a str>,
    /// The device identifier.
    pub device: Option<&'a str>,
    /// The deployment environment (`prod`, `staging`).
    pub environment: Option<&'a str>,
    /// The user agent.
    pub user_agent: Option<&'a str>,
    /// Latitude and longitude in degrees, when the host geolocates.
    pub location: Option<(f64, f64)>,
}

impl<'a> Request<'a> {
    /// A request presenting `token`, with no context yet.
    pub fn new(token: &'a str) -> Request<'a> {
        Request::from_bytes(token.as_bytes())
    }

    /// A request presenting a token that may not be UTF-8.
    pub fn from_bytes(token: &'a [u8]) -> Request<'a> {
        Request {
            token,
            ..Request::default()
        }
    }

    /// Sets the client address.
    pub fn ip(mut self, ip: IpAddr) -> Self {
        self.ip = Some(ip);
        self
    }

    /// Sets the country (ISO 3166-1 alpha-2).
    pub fn country(mut self, country: &'a str) -> Self {
        self.country = Some(country);
        self
    }

    /// Sets the method and the raw path (see [`Request::path`]).
    pub fn endpoint(mut self, method: &'a str, path: &'a str) -> Self {
        self.method = Some(method);
        self.path = Some(path);
        self
    }

    /// Sets the subject.
    pub fn subject(mut self, subject: &'a str) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the device.
    pub fn device(mut self, device: &'a str) -> Self {
        self.device = Some(device);
        self
    }

    /// Sets the environment.
    pub fn environment(mut self, environment: &'a str) -> Self {
        self.environment = Some(environment);
        self
    }

    /// Sets the user agent.
    pub fn user_agent(mut self, user_agent: &'a str) -> Self {
        self.user_agent = Some(user_agent);
        self
    }

    /// Sets the location in degrees.
    pub fn location(mut self, latitude: f64, longitude: f64) -> Self {
        self.location = Some((latitude, longitude));
        self
    }
}

impl fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field(
                "token",
                &format_args!("<{} bytes hidden>", self.token.len()),
            )
            .field("ip", &self.ip)
            .field("country", &self.country)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("subject", &self.subject)
            .field("device", &self.device)
            .field("environment", &self.environment)
            .field("user_agent", &self.user_agent)
            .field("location", &self.location)
            .finish()
    }
}
