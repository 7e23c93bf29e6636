//! The HTTP front door: what every middleware does around [`Guard::check`], written once.
//!
//! A middleware (ASGI, WSGI, Express, Fastify, tower, a C proxy module) has the same three
//! jobs, and each is a place where hand-written glue gets security wrong:
//!
//! 1. **Admit**: find the token (an `Authorization: Bearer` header, or a configured header,
//!    cookie or query parameter), the client address (the connection's peer; a forwarded
//!    address only from trusted proxies), the country (a trusted header), the raw path and the
//!    method, and pass requests to exempt paths. [`Gate::admit`].
//! 2. **Check** with the [`Guard`].
//! 3. **Answer** a denial: 401 with `WWW-Authenticate`, 403, 429 with `Retry-After`, a JSON
//!    body with the reason codes and never the token. [`Gate::respond`], [`Denial`].
//!
//! The host's part is I/O only: reading the request, calling the Guard, writing the response,
//! and feeding the response status back with [`Guard::record_outcome`].
//!
//! ```
//! use tokenward::gate::{Admission, Gate, GateConfig, HttpRequest};
//! use tokenward::{Guard, TokenKey, TokenMeta};
//!
//! let guard = Guard::new(TokenKey::new(b"the host's fingerprint key"));
//! let token = "example-token-issued-by-the-host";
//! guard.register(token, &TokenMeta::new(), 1_700_000_000_000)?;
//!
//! let mut config = GateConfig::default();
//! config.trusted_proxies = vec!["10.0.0.0/8".into()];
//! config.exempt_paths = vec!["/health".into()];
//! let gate = Gate::new(&config)?;
//!
//! let auth = format!("Bearer {token}");
//! let headers = [
//!     ("Authorization", auth.as_bytes()),
//!     ("X-Forwarded-For", b"6.6.6.6, 198.51.100.7".as_slice()),
//! ];
//! let request = HttpRequest::new("GET", "/v1/orders/7?page=2", &headers[..])
//!     .peer("10.0.0.1".parse().unwrap());
//! let Admission::Check(admitted) = gate.admit(&request) else { panic!() };
//! // The spoofed leftmost entry is not believed: the proxy saw 198.51.100.7.
//! assert_eq!(admitted.ip, Some("198.51.100.7".parse().unwrap()));
//! let verdict = guard.check(&admitted.request(), 1_700_000_000_000);
//! assert!(gate.respond(&verdict).is_none());
//!
//! let stranger = HttpRequest::new("GET", "/v1/orders/7", &headers[1..]);
//! let Admission::Denied(denial) = gate.admit(&stranger) else { panic!() };
//! assert_eq!(denial.status, 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod client;
mod credentials;
mod denial;

use std::borrow::Cow;
use std::net::IpAddr;

use serde::Deserialize;

use crate::error::FieldError;
use crate::policy::{canonical_path, EndpointSet, IpSet};
use crate::{Guard, Request, Timestamp, Verdict};

pub use client::{parse_peer, ForwardedHeader};
pub use denial::{Denial, GrpcCode};

use credentials::Found;

/// How a [`Gate`] reads requests. Every field has a default: `GateConfig::default()` reads
/// `Authorization: Bearer`, trusts no proxy, exempts nothing.
///
/// Bindings take the same settings as a JSON object ([`Gate::from_json`]); unknown fields are
/// errors, so a misspelt `trusted_proxies` is not silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct GateConfig {
    /// The header holding the token. `authorization` (the default) is read as
    /// `Bearer <token>`; any other header's whole value is the token.
    pub header: String,
    /// A cookie holding the token, tried when the header has none.
    pub cookie: Option<String>,
    /// A query parameter holding the token, tried last. Tokens in URLs end up in access logs
    /// and `Referer` headers: prefer a header.
    pub query_param: Option<String>,
    /// CIDRs of the proxies in front of the host (`10.0.0.0/8`, `2001:db8::/32`). Only a peer
    /// inside one is believed about the client address and the country header.
    pub trusted_proxies: Vec<String>,
    /// The header those proxies forward the client address in.
    pub forwarded_header: ForwardedHeader,
    /// A header a trusted proxy or CDN sets to the client's country (`cf-ipcountry`,
    /// `cloudfront-viewer-country`).
    pub country_header: Option<String>,
    /// Paths that pass unchecked, in the policy's pattern syntax: `/health`, `/static/**`, or
    /// with methods, `GET /metrics`. Matched against the canonical form of the raw path.
    pub exempt_paths: Vec<String>,
    /// The realm of the `WWW-Authenticate` challenge.
    pub realm: String,
}

impl Default for GateConfig {
    fn default() -> GateConfig {
        GateConfig {
            header: "authorization".into(),
            cookie: None,
            query_param: None,
            trusted_proxies: Vec::new(),
            forwarded_header: ForwardedHeader::default(),
            country_header: None,
            exempt_paths: Vec::new(),
            realm: "api".into(),
        }
    }
}

/// A compiled [`GateConfig`]: immutable, `Send + Sync`, one per app.
#[derive(Debug, Clone)]
pub struct Gate {
    header: String,
    bearer: bool,
    cookie: Option<String>,
    query_param: Option<String>,
    trusted: IpSet,
    forwarded: ForwardedHeader,
    country_header: Option<String>,
    exempt: Option<EndpointSet>,
    realm: String,
}

/// Access to a request's headers, however the server holds them.
pub trait Headers {
    /// Every value of the header `name` (given in ASCII lower case; matching is
    /// case-insensitive), in the order received.
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]>;
}

impl<N: AsRef<str>, V: AsRef<[u8]>> Headers for [(N, V)] {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.iter()
            .filter(move |(n, _)| n.as_ref().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_ref())
    }
}

/// What a [`Gate`] reads of one HTTP request.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'r, H: ?Sized> {
    /// The method.
    pub method: &'r str,
    /// The request target as received, undecoded: `/v1/orders/7?page=2` (or absolute-form
    /// `https://host/v1/...` from a proxy).
    pub target: &'r str,
    /// The headers.
    pub headers: &'r H,
    /// The connection's peer address; `None` for a Unix socket.
    pub peer: Option<IpAddr>,
}

impl<'r, H: Headers + ?Sized> HttpRequest<'r, H> {
    /// A request with no peer address yet.
    pub fn new(method: &'r str, target: &'r str, headers: &'r H) -> Self {
        HttpRequest {
            method,
            target,
            headers,
            peer: None,
        }
    }

    /// Sets the connection's peer address.
    pub fn peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    fn path_and_query(&self) -> (&'r str, &'r str) {
        let target = self.target.split('#').next().unwrap_or(self.target);
        let (head, query) = target.split_once('?').unwrap_or((target, ""));
        (origin_path(head), query)
    }
}

/// The path of an absolute-form target (`http://host/path`, RFC 9112 §3.2.2), given without
/// its query and fragment: what follows the authority, or `/` when nothing does
/// (`http://host?a=/health` is the root, as servers route it). Other targets are returned as
/// they are; one that does not start with `/` has no canonical path and is denied.
fn origin_path(head: &str) -> &str {
    match head.split_once("://") {
        Some((scheme, rest))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            rest.find('/').map_or("/", |at| &rest[at..])
        }
        _ => head,
    }
}

/// What to do with a request, from [`Gate::admit`].
#[derive(Debug)]
pub enum Admission<'r> {
    /// An exempt path: pass it to the app unchecked.
    Exempt,
    /// No usable credential: answer with the denial, the app never sees it.
    Denied(Denial),
    /// Check it: [`Admitted::request`] is what [`Guard::check`] takes.
    Check(Admitted<'r>),
}

/// A request's credential and context, ready for [`Guard::check`]. `Debug` never shows the
/// token.
#[non_exhaustive]
pub struct Admitted<'r> {
    /// The raw credential.
    pub token: Cow<'r, [u8]>,
    /// The client address ([`GateConfig::trusted_proxies`]).
    pub ip: Option<IpAddr>,
    /// The country from the trusted header; a host with its own lookup may set it.
    pub country: Option<Cow<'r, str>>,
    /// The method.
    pub method: &'r str,
    /// The raw path, without query string.
    pub path: &'r str,
    /// The `User-Agent`, when it is UTF-8.
    pub user_agent: Option<&'r str>,
}

impl std::fmt::Debug for Admitted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admitted")
            .field("token", &"<redacted>")
            .field("ip", &self.ip)
            .field("country", &self.country)
            .field("method", &self.method)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Admitted<'_> {
    /// The [`Request`] to check.
    pub fn request(&self) -> Request<'_> {
        Request {
            token: &self.token,
            ip: self.ip,
            country: self.country.as_deref(),
            method: Some(self.method),
            path: Some(self.path),
            user_agent: self.user_agent,
            ..Request::default()
        }
    }
}

/// The end of [`Gate::check`]: what the middleware does next.
#[derive(Debug)]
pub enum Passage {
    /// An exempt path: pass it to the app unchecked.
    Exempt,
    /// Pass it to the app, then feed the response status back with
    /// [`Guard::record_outcome`] for the verdict's token id.
    Allowed(Verdict),
    /// Answer with the denial; `verdict` is there when a check ran.
    Denied {
        /// What to answer.
        denial: Denial,
        /// The check's verdict (its alerts and token id are for the host's logs).
        verdict: Option<Verdict>,
    },
}

impl Gate {
    /// Compiles a configuration. Errors name the field (`trusted_proxies[1]`) and never
    /// quote its value.
    pub fn new(config: &GateConfig) -> Result<Gate, FieldError> {
        let header = config.header.trim().to_ascii_lowercase();
        if header.is_empty() || !header.bytes().all(is_token_char) {
            return Err(FieldError::new("header", "not a header name"));
        }
        let name_ok = |name: &Option<String>| {
            name.as_deref()
                .is_none_or(|n| !n.is_empty() && n.bytes().all(is_token_char))
        };
        for (field, name) in [
            ("cookie", &config.cookie),
            ("query_param", &config.query_param),
            ("country_header", &config.country_header),
        ] {
            if !name_ok(name) {
                return Err(FieldError::new(
                    field,
                    "not a valid name (empty, spaces or separators)",
                ));
            }
        }
        let trusted = IpSet::parse(&config.trusted_proxies).map_err(|(i, _)| {
            FieldError::new(format!("trusted_proxies[{i}]"), "not an IP address or CIDR")
        })?;
        let exempt = exempt_set(&config.exempt_paths)?;
        if config.realm.contains(['"', '\\']) || config.realm.chars().any(char::is_control) {
            return Err(FieldError::new(
                "realm",
                "quotes, backslashes or control characters",
            ));
        }
        Ok(Gate {
            bearer: header == "authorization",
            header,
            cookie: config.cookie.clone(),
            query_param: config.query_param.clone(),
            trusted,
            forwarded: config.forwarded_header,
            country_header: config
                .country_header
                .as_deref()
                .map(str::to_ascii_lowercase),
            exempt,
            realm: config.realm.clone(),
        })
    }

    /// Compiles a configuration given as a JSON object (what the bindings pass).
    pub fn from_json(text: &str) -> Result<Gate, FieldError> {
        Gate::new(&crate::parse::json::<GateConfig>(text)?)
    }

    /// Reads a request: exempt, denied for want of a credential, or ready for a check.
    pub fn admit<'r, H: Headers + ?Sized>(&self, request: &HttpRequest<'r, H>) -> Admission<'r> {
        let (path, query) = request.path_and_query();
        if self.is_exempt(request.method, path) {
            return Admission::Exempt;
        }
        let token = match self.credential(request.headers, query) {
            Found::Token(token) => token,
            Found::Absent => return Admission::Denied(self.missing_token()),
            Found::Malformed => {
                return Admission::Denied(Denial::challenged(400, "invalid_request", &self.realm))
            }
        };
        let headers = request.headers;
        let ip = client::client_ip(
            request.peer,
            &self.trusted,
            self.forwarded,
            headers.values(self.forwarded.name()),
        );
        Admission::Check(Admitted {
            token,
            ip,
            country: self.country(request.peer, headers),
            method: request.method,
            path,
            user_agent: first_text(headers, "user-agent"),
        })
    }

    /// The denial for a verdict (`None` when it allows).
    pub fn respond(&self, verdict: &Verdict) -> Option<Denial> {
        Denial::for_verdict(verdict, &self.realm)
    }

    /// The denial for a request without a credential.
    pub fn missing_token(&self) -> Denial {
        Denial::challenged(401, "missing_token", &self.realm)
    }

    /// Admits, checks and answers in one call; `country` is asked for the client's country
    /// (given its address) when no trusted country header gave one.
    pub fn check<H: Headers + ?Sized>(
        &self,
        guard: &Guard,
        request: &HttpRequest<'_, H>,
        now: Timestamp,
        country: Option<&dyn Fn(Option<IpAddr>) -> Option<String>>,
    ) -> Passage {
        let mut admitted = match self.admit(request) {
            Admission::Exempt => return Passage::Exempt,
            Admission::Denied(denial) => {
                return Passage::Denied {
                    denial,
                    verdict: None,
                }
            }
            Admission::Check(admitted) => admitted,
        };
        if let (None, Some(lookup)) = (&admitted.country, country) {
            admitted.country = lookup(admitted.ip).map(Cow::Owned);
        }
        let verdict = guard.check(&admitted.request(), now);
        match self.respond(&verdict) {
            None => Passage::Allowed(verdict),
            Some(denial) => Passage::Denied {
                denial,
                verdict: Some(verdict),
            },
        }
    }

    /// The headers [`Gate::admit`] may read, in lower case. A host that copies headers across
    /// a language boundary copies only these: the admission is the same as with every header.
    pub fn header_names(&self) -> impl Iterator<Item = &str> {
        [
            Some(self.header.as_str()),
            Some("user-agent"),
            Some(self.forwarded.name()),
            self.cookie.as_ref().map(|_| "cookie"),
            self.country_header.as_deref(),
        ]
        .into_iter()
        .flatten()
    }

    /// Whether `name` (any case) is one of [`Gate::header_names`].
    pub fn reads_header(&self, name: &str) -> bool {
        self.header_names().any(|n| name.eq_ignore_ascii_case(n))
    }

    /// Exempt only a path that is already in canonical form: the app's router sees the same
    /// bytes the pattern matched. `/%68ealth` is `/health` to the core but may reach a
    /// `/:page` route in a router that matches raw paths, so it is checked.
    fn is_exempt(&self, method: &str, path: &str) -> bool {
        let Some(set) = &self.exempt else {
            return false;
        };
        matches!(canonical_path(path), Ok(Cow::Borrowed(plain)) if set.allows_canonical(method, plain))
    }

    /// The one credential of the request. Every configured source is read: two sources that
    /// disagree are malformed, since the app (or a backend) may act on the one not checked.
    fn credential<'r, H: Headers + ?Sized>(&self, headers: &'r H, query: &'r str) -> Found<'r> {
        let values: Vec<&[u8]> = headers.values(&self.header).collect();
        let mut found = if self.bearer {
            credentials::bearer(&values)
        } else {
            credentials::whole(&values)
        };
        if let Some(name) = &self.cookie {
            let jar: Vec<&[u8]> = headers.values("cookie").collect();
            found = found.or(credentials::cookie(&jar, name));
        }
        if let Some(name) = &self.query_param {
            found = found.or(credentials::query(query, name));
        }
        found
    }

    /// The trusted country header, believed only from a trusted peer; two letters or nothing.
    fn country<'r, H: Headers + ?Sized>(
        &self,
        peer: Option<IpAddr>,
        headers: &'r H,
    ) -> Option<Cow<'r, str>> {
        let name = self.country_header.as_deref()?;
        if !peer.is_some_and(|p| self.trusted.contains(p.to_canonical())) {
            return None;
        }
        let mut values = headers.values(name);
        let (Some(value), None) = (values.next(), values.next()) else {
            // Two values: one may be the client's, and which is the proxy's is unknowable.
            return None;
        };
        let value = std::str::from_utf8(value).ok()?.trim();
        let valid = value.len() == 2 && value.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then_some(Cow::Borrowed(value))
    }
}

fn exempt_set(paths: &[String]) -> Result<Option<EndpointSet>, FieldError> {
    if paths.is_empty() {
        return Ok(None);
    }
    // A bare path means any method.
    let scopes: Vec<String> = paths
        .iter()
        .map(|p| {
            if p.trim_start().starts_with('/') {
                format!("* {}", p.trim())
            } else {
                p.clone()
            }
        })
        .collect();
    EndpointSet::parse(&scopes)
        .map(Some)
        .map_err(|(i, reason)| FieldError::new(format!("exempt_paths[{i}]"), reason))
}

fn first_text<'r, H: Headers + ?Sized>(headers: &'r H, name: &str) -> Option<&'r str> {
    headers
        .values(name)
        .next()
        .and_then(|v| std::str::from_utf8(v).ok())
}

/// RFC 9110 `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests;
