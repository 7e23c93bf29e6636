//! Wrapper of [`tokenward::gate`]: the `Gate` class, the HTTP front door of the Express and
//! Fastify middleware (`lib/express.js`, `lib/fastify.js`).
//!
//! Everything a middleware decides (where the token is, whether a forwarded address is
//! believed, which paths are exempt, what a denial says) is the core's [`Gate`]; this module
//! only moves one request across the boundary in one call and the answer back.
//!
//! Crossing the boundary costs per value, so the per-request call is kept lean: of the raw
//! header list only the headers the gate reads ([`Gate::header_names`]) are copied out of JS
//! (`lib/gate.js` also picks them before the call, where comparing names is cheaper), and an
//! allowed request without alerts comes back as its token id alone, which `lib/gate.js`
//! expands into the verdict object.
//!
//! [`Gate`]: tokenward::gate::Gate
//! [`Gate::header_names`]: tokenward::gate::Gate::header_names

use std::borrow::Cow;
use std::collections::HashMap;

use napi::bindgen_prelude::{Array, Either, Function};
use napi_derive::napi;
use tokenward::gate::{parse_peer, Admission, ForwardedHeader, GateConfig, HttpRequest, Passage};

use crate::error::{error, guard, Code, Result};
use crate::guard::{args, Guard, Verdict};

fn invalid(message: impl Into<String>) -> crate::error::Error {
    error(Code::InvalidArg, message)
}

/// How a `Gate` reads requests. Every field is optional: the defaults read
/// `Authorization: Bearer`, trust no proxy and exempt nothing.
#[napi(object)]
#[derive(Default)]
pub struct GateOptions {
    /// The header holding the token. `authorization` (the default) is read as
    /// `Bearer <token>`; any other header's whole value is the token.
    pub header: Option<String>,
    /// A cookie holding the token, tried when the header has none.
    pub cookie: Option<String>,
    /// A query parameter holding the token, tried last (tokens in URLs end up in access
    /// logs: prefer a header).
    pub query_param: Option<String>,
    /// CIDRs of the proxies in front of the app (`10.0.0.0/8`, `::1`). Only a peer inside
    /// one is believed about the client address and the country header.
    pub trusted_proxies: Option<Vec<String>>,
    /// The header those proxies forward the client address in (default `x-forwarded-for`).
    #[napi(ts_type = "'x-forwarded-for' | 'forwarded'")]
    pub forwarded_header: Option<String>,
    /// A header a trusted proxy or CDN sets to the client's country (`cf-ipcountry`).
    pub country_header: Option<String>,
    /// Paths that pass unchecked, in the policy's pattern syntax: `/health`, `/static/**`,
    /// or with a method, `GET /metrics`. Matched against the canonical raw path.
    pub exempt_paths: Option<Vec<String>>,
    /// The realm of the `WWW-Authenticate` challenge (default `api`).
    pub realm: Option<String>,
}

impl GateOptions {
    fn to_core(&self) -> Result<GateConfig> {
        let mut config = GateConfig::default();
        if let Some(header) = &self.header {
            config.header = header.clone();
        }
        config.cookie = self.cookie.clone();
        config.query_param = self.query_param.clone();
        config.trusted_proxies = self.trusted_proxies.clone().unwrap_or_default();
        if let Some(name) = &self.forwarded_header {
            config.forwarded_header =
                serde_json::from_value::<ForwardedHeader>(name.to_ascii_lowercase().into())
                    .map_err(|_| {
                        error(
                            Code::Config,
                            "forwardedHeader: expected 'x-forwarded-for' or 'forwarded'",
                        )
                    })?;
        }
        config.country_header = self.country_header.clone();
        config.exempt_paths = self.exempt_paths.clone().unwrap_or_default();
        if let Some(realm) = &self.realm {
            config.realm = realm.clone();
        }
        Ok(config)
    }
}

/// The core's field names as the JS options spell them, for error messages.
fn js_field(path: &str) -> String {
    const NAMES: [(&str, &str); 5] = [
        ("query_param", "queryParam"),
        ("trusted_proxies", "trustedProxies"),
        ("forwarded_header", "forwardedHeader"),
        ("country_header", "countryHeader"),
        ("exempt_paths", "exemptPaths"),
    ];
    NAMES
        .iter()
        .find_map(|(core, js)| path.strip_prefix(core).map(|rest| format!("{js}{rest}")))
        .unwrap_or_else(|| path.to_string())
}

/// What a middleware sends instead of the app's response.
#[napi(object)]
pub struct Denial {
    /// The HTTP status: 400, 401, 403 or 429.
    pub status: u32,
    /// The body's `error` code: `missing_token`, `invalid_request`, `invalid_token`,
    /// `rate_limited` or `forbidden`.
    pub error: String,
    /// The verdict's reasons (empty when no check ran).
    pub reasons: Vec<String>,
    /// Seconds until a retry can succeed (429 only), as sent in `Retry-After`.
    pub retry_after: Option<u32>,
    /// The response headers, names in lower case: `content-type`, `cache-control`, and
    /// `www-authenticate` or `retry-after` where they apply.
    pub headers: HashMap<String, String>,
    /// The JSON body `{"error": ..., "reasons": [...]}`; it never holds the token.
    pub body: String,
}

impl From<tokenward::gate::Denial> for Denial {
    fn from(denial: tokenward::gate::Denial) -> Denial {
        Denial {
            status: denial.status.into(),
            error: denial.error.into(),
            reasons: denial.reasons.iter().map(|r| r.code().into()).collect(),
            retry_after: denial
                .retry_after
                .map(|s| u32::try_from(s).unwrap_or(u32::MAX)),
            headers: denial
                .headers()
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
            body: denial.body(),
        }
    }
}

/// The outcome of `Gate.check`: exempt (pass unchecked), allowed (`verdict` set, pass and
/// record the response status), or denied (`denial` set; `verdict` too when a check ran).
#[napi(object)]
pub struct GatePassage {
    /// An exempt path: pass the request on unchecked.
    pub exempt: bool,
    /// The check's verdict (absent when exempt or when no credential was found).
    pub verdict: Option<Verdict>,
    /// What to answer instead of the app (absent when the request may pass).
    pub denial: Option<Denial>,
}

impl From<Passage> for GatePassage {
    fn from(passage: Passage) -> GatePassage {
        match passage {
            Passage::Exempt => GatePassage {
                exempt: true,
                verdict: None,
                denial: None,
            },
            Passage::Allowed(verdict) => GatePassage {
                exempt: false,
                verdict: Some(verdict.into()),
                denial: None,
            },
            Passage::Denied { denial, verdict } => GatePassage {
                exempt: false,
                verdict: verdict.map(Verdict::from),
                denial: Some(denial.into()),
            },
        }
    }
}

/// The front door of an HTTP app: reads a request's token, client address and country the
/// one way every tokenward middleware does, checks it with a Guard, and says what to answer.
/// Immutable; one per app.
///
/// ```js
/// const gate = new Gate({ trustedProxies: ['10.0.0.0/8'], exemptPaths: ['/health'] })
/// const passage = gate.check(guard, req.method, req.url, req.rawHeaders, req.socket.remoteAddress)
/// ```
#[napi]
pub struct Gate {
    inner: tokenward::gate::Gate,
}

#[napi]
impl Gate {
    /// Compiles the options. Throws `TOKENWARD_CONFIG` naming the field (`trustedProxies[1]`)
    /// without quoting its value.
    #[napi(constructor)]
    pub fn new(options: Option<GateOptions>) -> Result<Self> {
        guard(|| {
            let config = options.unwrap_or_default().to_core()?;
            let inner = tokenward::gate::Gate::new(&config).map_err(|e| {
                let path = js_field(&e.path);
                error(Code::Config, format!("{path}: {}", e.reason))
            })?;
            Ok(Gate { inner })
        })
    }

    /// The headers the gate reads, in lower case: of a request's headers, only these need
    /// to be passed to `check`.
    #[napi(getter)]
    pub fn header_names(&self) -> Vec<String> {
        self.inner.header_names().map(String::from).collect()
    }

    /// Admits, checks and answers one request in one call. `url` is the raw request target
    /// (`req.url` as received, query included), `rawHeaders` the flat `[name, value, ...]`
    /// list Node gives (`req.rawHeaders`: repeated headers stay apart, so two
    /// `Authorization` headers are refused rather than one picked), `peer` the connection's
    /// remote address (`req.socket.remoteAddress`), `now` Unix ms (default: the clock).
    /// `country(ip)` is asked for the client's country when no trusted country header gave
    /// one; an exception it throws is rethrown.
    ///
    /// An allowed request whose check raised no alert comes back as its token id (a
    /// string); anything else as a `GatePassage`. The package's `Gate` turns the string into
    /// the passage `{ exempt: false, verdict: { allowed: true, reasons: [], tokenId, alerts:
    /// [], actions: [] } }`.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        guard_: &Guard,
        method: String,
        url: String,
        #[napi(ts_arg_type = "string[]")] raw_headers: Array,
        peer: Option<String>,
        now: Option<i64>,
        #[napi(
            ts_arg_type = "((ip: string | null) => string | null | undefined) | undefined | null"
        )]
        country: Option<Function<Option<String>, Option<String>>>,
    ) -> Result<Either<String, GatePassage>> {
        guard(|| {
            let headers = self.headers(&raw_headers)?;
            let mut request = HttpRequest::new(&method, &url, &headers[..]);
            // Node writes `::ffff:127.0.0.1` or `fe80::1%eth0`; no peer (a closed socket, a
            // Unix socket) is an unknown client, never a trusted proxy.
            request.peer = peer.as_deref().and_then(parse_peer);
            let now = args::now(now)?;
            let passage = self.pass(guard_, &request, country.as_ref(), now)?;
            Ok(match passage {
                Passage::Allowed(verdict)
                    if verdict.alerts.is_empty() && verdict.actions.is_empty() =>
                {
                    match verdict.token_id {
                        Some(id) => Either::A(id.to_string()),
                        None => Either::B(Passage::Allowed(verdict).into()),
                    }
                }
                passage => Either::B(passage.into()),
            })
        })
    }
}

impl Gate {
    /// Admit, look the country up, check and answer: `Gate::check` of the core, with a
    /// country lookup that may throw. Its exception ends the call before the check, so a
    /// failed lookup counts nothing (as in the Python binding).
    fn pass(
        &self,
        guard_: &Guard,
        request: &HttpRequest<'_, [(String, String)]>,
        country: Option<&Function<Option<String>, Option<String>>>,
        now: tokenward::Timestamp,
    ) -> Result<Passage> {
        let mut admitted = match self.inner.admit(request) {
            Admission::Exempt => return Ok(Passage::Exempt),
            Admission::Denied(denial) => {
                return Ok(Passage::Denied {
                    denial,
                    verdict: None,
                })
            }
            Admission::Check(admitted) => admitted,
        };
        if let (None, Some(lookup)) = (&admitted.country, country) {
            let found = lookup
                .call(admitted.ip.map(|ip| ip.to_string()))
                // The JS exception is still pending and reaches the caller as thrown.
                .map_err(|e| error(Code::InvalidArg, format!("country(ip): {}", e.reason)))?;
            admitted.country = found.map(Cow::Owned);
        }
        let verdict = guard_.core().check(&admitted.request(), now);
        Ok(match self.inner.respond(&verdict) {
            None => Passage::Allowed(verdict),
            Some(denial) => Passage::Denied {
                denial,
                verdict: Some(verdict),
            },
        })
    }

    /// The `(name, value)` pairs of `raw` that the gate reads.
    fn headers(&self, raw: &Array) -> Result<Vec<(String, String)>> {
        let malformed = || invalid("rawHeaders must be a flat array of strings [name, value, ...]");
        let len = raw.len();
        if len % 2 != 0 {
            return Err(malformed());
        }
        let mut headers = Vec::new();
        for i in (0..len).step_by(2) {
            let name: String = raw.get(i).ok().flatten().ok_or_else(malformed)?;
            if self.inner.reads_header(&name) {
                let value: String = raw.get(i + 1).ok().flatten().ok_or_else(malformed)?;
                headers.push((name, value));
            }
        }
        Ok(headers)
    }
}
