//! Wrapper of `tokenward::gate`: the `Gate` class (the HTTP front door the ASGI and WSGI
//! middleware share) and the `Denial` it answers with.
//!
//! One native call per request reads the request as the server hands it over (`request`),
//! admits it, checks it with the Guard and maps a denial: the Python middleware only moves
//! bytes between the server and the app. The token is read from the server's own header
//! bytes and never becomes a Python object; the outcome is recorded by the verdict's token
//! id.
//!
//! Checks run with the GIL held, as `Guard.check` does: a check takes a few microseconds,
//! less than taking the GIL back can cost under contention (see `text::DETACH_THRESHOLD`).
//! Compiling a gate (the exempt patterns, the proxy sets) runs with it released.

pub(crate) mod request;

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyInt, PyString};
use serde_json::{Map, Value};
use tokenward::gate::{Admission, HttpRequest};

use crate::errors::to_py;
use crate::guard::{args, Alert, Guard, Verdict};
use crate::text::Text;
use request::HeaderList;

/// What the core `Gate` reads of a request, checked against one Guard.
#[pyclass(frozen, module = "tokenward")]
pub struct Gate {
    gate: tokenward::gate::Gate,
    guard: Arc<tokenward::Guard>,
    /// The headers the gate reads, and their WSGI environ keys (interned once).
    header_names: Vec<String>,
    environ_keys: Vec<Py<PyString>>,
}

#[pymethods]
impl Gate {
    /// A gate in front of `guard`; every option is the core's `GateConfig` field of the same
    /// name, and left out means its default. Errors are `ConfigError`s naming the field.
    #[new]
    #[pyo3(signature = (
        guard, *, header=None, cookie=None, query_param=None, trusted_proxies=None,
        forwarded_header=None, country_header=None, exempt_paths=None, realm=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per config field.
    fn new(
        py: Python<'_>,
        guard: &Guard,
        header: Option<&Bound<'_, PyAny>>,
        cookie: Option<&Bound<'_, PyAny>>,
        query_param: Option<&Bound<'_, PyAny>>,
        trusted_proxies: Option<&Bound<'_, PyAny>>,
        forwarded_header: Option<&Bound<'_, PyAny>>,
        country_header: Option<&Bound<'_, PyAny>>,
        exempt_paths: Option<&Bound<'_, PyAny>>,
        realm: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Gate> {
        let options = [
            ("header", header),
            ("cookie", cookie),
            ("query_param", query_param),
            ("trusted_proxies", trusted_proxies),
            ("forwarded_header", forwarded_header),
            ("country_header", country_header),
            ("exempt_paths", exempt_paths),
            ("realm", realm),
        ];
        let mut config = Map::new();
        for (name, value) in options {
            if let Some(value) = value.filter(|v| !v.is_none()) {
                config.insert(name.into(), option_value(value, name)?);
            }
        }
        let json = Value::Object(config).to_string();
        let gate = py
            .detach(|| tokenward::gate::Gate::from_json(&json))
            .map_err(to_py)?;
        let header_names: Vec<String> = gate.header_names().map(String::from).collect();
        let environ_keys = header_names
            .iter()
            .map(|name| PyString::intern(py, &request::environ_key(name)).unbind())
            .collect();
        Ok(Gate {
            gate,
            guard: guard.core().clone(),
            header_names,
            environ_keys,
        })
    }

    /// Admits and checks one request: `None` for an exempt path (pass it on unchecked), the
    /// `Verdict` when it is allowed, else the `Denial` to answer with. `target` is the raw
    /// target (`bytes`, or a `str` of text); `headers` are `(name, value)` pairs of `bytes`
    /// (ASGI's `scope["headers"]`) or of latin-1 `str` (as Python servers decode header
    /// bytes); `peer` is the connection's address;
    /// `country(ip)` is asked when no trusted header gave the country.
    #[pyo3(signature = (method, target, headers, peer, *, country=None, now=None))]
    #[allow(clippy::too_many_arguments)] // Python arguments: the request's parts and options.
    fn check<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyString>,
        target: &Bound<'py, PyAny>,
        headers: &Bound<'py, PyAny>,
        peer: Option<&Bound<'py, PyAny>>,
        country: Option<&Bound<'py, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let method = Text::extract(method)?;
        let target = request::Raw::target(target)?;
        let headers = HeaderList::from_pairs(headers, &self.header_names)?;
        let request = HttpRequest {
            method: method_str(&method),
            target: &request::target(target.as_bytes()),
            headers: &headers,
            peer: request::peer(peer)?,
        };
        self.pass(py, &request, country, now)
    }

    /// `check` for a WSGI request, read from its environ (PEP 3333): `REQUEST_METHOD`, the raw
    /// target (`REQUEST_URI` or `RAW_URI`, else `SCRIPT_NAME` + `PATH_INFO` re-encoded, with
    /// `QUERY_STRING`), the `HTTP_*` headers and `REMOTE_ADDR`.
    #[pyo3(signature = (environ, *, country=None, now=None))]
    fn check_environ<'py>(
        &self,
        py: Python<'py>,
        environ: &Bound<'py, PyDict>,
        country: Option<&Bound<'py, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let method = request::text_item(environ, "REQUEST_METHOD")?.unwrap_or_default();
        let method = std::str::from_utf8(&method).unwrap_or("");
        let target = request::wsgi_target(environ)?;
        let headers = HeaderList::from_environ(environ, &self.header_names, &self.environ_keys)?;
        let peer = environ.get_item("REMOTE_ADDR")?;
        let request = HttpRequest {
            method: if method.is_empty() { "GET" } else { method },
            target: &target,
            headers: &headers,
            peer: request::peer(peer.as_ref())?,
        };
        self.pass(py, &request, country, now)
    }

    /// Feeds back the response status for an allowed request's verdict; returns the alerts
    /// it raised.
    #[pyo3(signature = (verdict, status, *, now=None))]
    fn record_outcome(
        &self,
        verdict: &Verdict,
        status: i64,
        now: Option<i64>,
    ) -> PyResult<Vec<Alert>> {
        let status = args::status(status)?;
        let now = args::now(now)?;
        Ok(match verdict.id() {
            Some(id) => crate::guard::alerts(&self.guard.record_outcome(id, status, now)),
            None => Vec::new(),
        })
    }
}

impl Gate {
    /// Admit, check and answer: `Gate::check` of the core, with a country lookup that may
    /// raise (the error is raised before the check, so a failed lookup counts nothing).
    fn pass<'py>(
        &self,
        py: Python<'py>,
        request: &HttpRequest<'_, HeaderList<'py>>,
        country: Option<&Bound<'py, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let now = args::now(now)?;
        let mut admitted = match self.gate.admit(request) {
            Admission::Exempt => return Ok(py.None().into_bound(py)),
            Admission::Denied(denial) => return Denial::to_py(py, denial, None),
            Admission::Check(admitted) => admitted,
        };
        if let (None, Some(lookup)) = (&admitted.country, country.filter(|c| !c.is_none())) {
            admitted.country = lookup_country(lookup, admitted.ip)?.map(Cow::Owned);
        }
        let verdict = self.guard.check(&admitted.request(), now);
        match self.gate.respond(&verdict) {
            None => Ok(Bound::new(py, Verdict::from(verdict))?.into_any()),
            Some(denial) => Denial::to_py(py, denial, Some(verdict)),
        }
    }
}

/// The method as text; a method with lone surrogates is no method the core knows.
fn method_str<'a>(method: &'a Text<'_>) -> &'a str {
    method.as_str().unwrap_or("")
}

/// `country(ip)`: a `str` or `None`.
fn lookup_country(lookup: &Bound<'_, PyAny>, ip: Option<IpAddr>) -> PyResult<Option<String>> {
    let found = lookup.call1((ip.map(|ip| ip.to_string()),))?;
    if found.is_none() {
        return Ok(None);
    }
    match found.cast::<PyString>() {
        Ok(text) => Ok(Some(text.to_cow()?.into_owned())),
        Err(_) => Err(PyTypeError::new_err(format!(
            "country_lookup must return a str or None, not {}",
            found.get_type().name()?
        ))),
    }
}

/// A gate option as JSON: strings, numbers and booleans as they are, any other iterable as
/// a list. The core then validates it and names the field in its `ConfigError`.
fn option_value(value: &Bound<'_, PyAny>, name: &str) -> PyResult<Value> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(Value::String(text.to_cow()?.into_owned()));
    }
    if let Ok(flag) = value.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if value.is_instance_of::<PyInt>() {
        return Ok(value
            .extract::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Null));
    }
    if !value.is_instance_of::<PyBytes>() && !value.is_instance_of::<PyDict>() {
        if let Ok(items) = value.try_iter() {
            let items = items
                .map(|item| option_value(&item?, name))
                .collect::<PyResult<_>>()?;
            return Ok(Value::Array(items));
        }
    }
    Err(PyTypeError::new_err(format!(
        "{name} must be a str or a list of str, not {}",
        value.get_type().name()?
    )))
}

/// A request turned away: what to answer instead of the app. `status`, `headers` (lower-case
/// names: `content-type`, `cache-control`, and `www-authenticate` or `retry-after` where they
/// apply) and `body` (JSON `{"error": ..., "reasons": [...]}`, never the token) make the
/// response; `verdict` is the check's, when one ran.
#[pyclass(frozen, module = "tokenward")]
pub struct Denial {
    #[pyo3(get)]
    status: u16,
    #[pyo3(get)]
    error: &'static str,
    #[pyo3(get)]
    reasons: Vec<&'static str>,
    #[pyo3(get)]
    retry_after: Option<u64>,
    #[pyo3(get)]
    headers: Vec<(&'static str, String)>,
    body: String,
    #[pyo3(get)]
    verdict: Option<Py<Verdict>>,
}

impl Denial {
    fn to_py<'py>(
        py: Python<'py>,
        denial: tokenward::gate::Denial,
        verdict: Option<tokenward::Verdict>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let verdict = verdict.map(|v| Py::new(py, Verdict::from(v))).transpose()?;
        let denial = Denial {
            status: denial.status,
            error: denial.error,
            reasons: denial.reasons.iter().map(|r| r.code()).collect(),
            retry_after: denial.retry_after,
            headers: denial.headers(),
            body: denial.body(),
            verdict,
        };
        Ok(Bound::new(py, denial)?.into_any())
    }
}

#[pymethods]
impl Denial {
    /// The JSON body, as bytes.
    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.body.as_bytes())
    }

    fn __repr__(&self) -> String {
        format!("Denial(status={}, error='{}')", self.status, self.error)
    }
}
