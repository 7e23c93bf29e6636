//! Wrapper of `tokenward::guard`: the `Guard` class, with `Minted`, `Verdict` and `Alert`.
//!
//! Every method converts its arguments (`args`), calls the core, and converts the result
//! (`types`, `json`); core errors become exceptions through the one error table. The binding
//! supplies what the core leaves to its host: the clock (`now` defaults to the wall clock in
//! Unix milliseconds) and the random bytes for minting (from the operating system).
//!
//! Checks and single-token calls run with the GIL held: they take microseconds, less than
//! releasing and taking back the GIL costs. Calls that touch every token or the whole state
//! (construction, `set_policy`, `revoke_where`, `snapshot`, `restore`, `replay_events`) run
//! with it released. The core never calls back into Python, so holding a core lock never
//! waits for the GIL.

pub(crate) mod args;
mod types;

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyDict, PyString};
use tokenward::{Event, Request, Selector};

use crate::errors::{from_kind, to_py, ConfigError};
use crate::json;
use args::{Meta, TokenArg};
pub use types::{alerts, Alert, Minted, Verdict};

/// A thread-safe registry of tokens: context policies, lifecycle, usage anomalies and
/// hash-chained audit events. See the package documentation and the stubs for each method.
#[pyclass(frozen, module = "tokenward")]
pub struct Guard {
    inner: Arc<tokenward::Guard>,
}

#[pymethods]
impl Guard {
    #[new]
    #[pyo3(signature = (config=None, *, key))]
    fn new(py: Python<'_>, config: Option<&Bound<'_, PyAny>>, key: &[u8]) -> PyResult<Guard> {
        let key = args::key(key)?;
        let config = match config {
            Some(config) if !config.is_none() => args::config(config)?,
            _ => tokenward::GuardConfig::default(),
        };
        let inner = py
            .detach(|| tokenward::Guard::with_config(key, &config))
            .map_err(to_py)?;
        Ok(Guard {
            inner: Arc::new(inner),
        })
    }

    /// A Guard with the config in a `.toml` or `.json` file.
    #[staticmethod]
    #[pyo3(signature = (path, *, key))]
    fn from_file(py: Python<'_>, path: PathBuf, key: &[u8]) -> PyResult<Guard> {
        let key = args::key(key)?;
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let json = match extension.as_deref() {
            Some("json") => true,
            Some("toml") => false,
            _ => {
                return Err(ConfigError::new_err(
                    "the config file name must end in .toml or .json",
                ))
            }
        };
        let text = py.detach(|| std::fs::read_to_string(&path))?;
        let config = match json {
            true => tokenward::GuardConfig::from_json(&text),
            false => tokenward::GuardConfig::from_toml(&text),
        }
        .map_err(to_py)?;
        let inner = py
            .detach(|| tokenward::Guard::with_config(key, &config))
            .map_err(to_py)?;
        Ok(Guard {
            inner: Arc::new(inner),
        })
    }

    /// Mints a token with 32 bytes from the operating system's random source, registers it,
    /// and returns it with its id. `expect` holds soft expectations (a dict of `countries`,
    /// `networks`, `devices`, `endpoints`): they inform the detectors and never deny.
    #[pyo3(signature = (
        *, owner=None, service=None, environment=None, tags=None, policy=None,
        expires_at=None, expect=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per metadata field.
    fn mint(
        &self,
        owner: Option<PyBackedStr>,
        service: Option<PyBackedStr>,
        environment: Option<PyBackedStr>,
        tags: Option<Bound<'_, PyAny>>,
        policy: Option<Bound<'_, PyAny>>,
        expires_at: Option<i64>,
        expect: Option<Bound<'_, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<Minted> {
        let meta = Meta {
            owner,
            service,
            environment,
            tags,
            policy,
            issued_at: None,
            expires_at,
            expect,
        }
        .to_core()?;
        let random = args::random32()?;
        let minted = self
            .inner
            .mint(&meta, &random, args::now(now)?)
            .map_err(to_py)?;
        Ok(minted.into())
    }

    /// Registers a token the host issued itself (hashed, never stored); returns its id.
    #[pyo3(signature = (
        token, *, owner=None, service=None, environment=None, tags=None, policy=None,
        issued_at=None, expires_at=None, expect=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per metadata field.
    fn register(
        &self,
        token: PyBackedStr,
        owner: Option<PyBackedStr>,
        service: Option<PyBackedStr>,
        environment: Option<PyBackedStr>,
        tags: Option<Bound<'_, PyAny>>,
        policy: Option<Bound<'_, PyAny>>,
        issued_at: Option<i64>,
        expires_at: Option<i64>,
        expect: Option<Bound<'_, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<String> {
        let meta = Meta {
            owner,
            service,
            environment,
            tags,
            policy,
            issued_at,
            expires_at,
            expect,
        }
        .to_core()?;
        let id = self
            .inner
            .register(&token, &meta, args::now(now)?)
            .map_err(to_py)?;
        Ok(id.to_string())
    }

    /// Registers a token by its id (`token_id` under the same key), for hosts that keep only
    /// fingerprints.
    #[pyo3(signature = (
        id, *, owner=None, service=None, environment=None, tags=None, policy=None,
        issued_at=None, expires_at=None, expect=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per metadata field.
    fn register_id(
        &self,
        id: &str,
        owner: Option<PyBackedStr>,
        service: Option<PyBackedStr>,
        environment: Option<PyBackedStr>,
        tags: Option<Bound<'_, PyAny>>,
        policy: Option<Bound<'_, PyAny>>,
        issued_at: Option<i64>,
        expires_at: Option<i64>,
        expect: Option<Bound<'_, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<()> {
        let id = args::token_id(id)?;
        let meta = Meta {
            owner,
            service,
            environment,
            tags,
            policy,
            issued_at,
            expires_at,
            expect,
        }
        .to_core()?;
        self.inner
            .register_id(id, &meta, args::now(now)?)
            .map_err(to_py)
    }

    /// The id a raw token has under this Guard's key.
    fn token_id(&self, token: &Bound<'_, PyAny>) -> PyResult<String> {
        let token = TokenArg::extract(token)?;
        Ok(self.inner.token_id(token.as_bytes()).to_string())
    }

    /// Checks a request presenting `token` with its context.
    #[pyo3(signature = (
        token, *, ip=None, country=None, method=None, path=None, subject=None, device=None,
        environment=None, user_agent=None, location=None, now=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per request field.
    fn check(
        &self,
        token: &Bound<'_, PyAny>,
        ip: Option<&Bound<'_, PyAny>>,
        country: Option<PyBackedStr>,
        method: Option<PyBackedStr>,
        path: Option<PyBackedStr>,
        subject: Option<PyBackedStr>,
        device: Option<PyBackedStr>,
        environment: Option<PyBackedStr>,
        user_agent: Option<PyBackedStr>,
        location: Option<(f64, f64)>,
        now: Option<i64>,
    ) -> PyResult<Verdict> {
        let token = TokenArg::extract(token)?;
        let request = Request {
            token: token.as_bytes(),
            ip: ip.filter(|ip| !ip.is_none()).map(args::ip).transpose()?,
            country: country.as_deref(),
            method: method.as_deref(),
            path: path.as_deref(),
            subject: subject.as_deref(),
            device: device.as_deref(),
            environment: environment.as_deref(),
            user_agent: user_agent.as_deref(),
            location,
        };
        Ok(self.inner.check(&request, args::now(now)?).into())
    }

    /// Feeds back the response status of a request made with `token`; returns the alerts
    /// it raised (an `error_burst` at most; none without usage tracking).
    #[pyo3(signature = (token, status, *, now=None))]
    fn record_outcome(
        &self,
        token: &Bound<'_, PyAny>,
        status: i64,
        now: Option<i64>,
    ) -> PyResult<Vec<Alert>> {
        let token = TokenArg::extract(token)?;
        let reaction = self.inner.record_outcome_token(
            token.as_bytes(),
            args::status(status)?,
            args::now(now)?,
        );
        Ok(alerts(&reaction))
    }

    /// Revokes a token; True when it was not revoked already.
    #[pyo3(signature = (id, *, now=None))]
    fn revoke(&self, id: &str, now: Option<i64>) -> PyResult<bool> {
        let id = args::token_id(id)?;
        self.inner.revoke(&id, args::now(now)?).map_err(to_py)
    }

    /// Revokes every token matching all the given fields; returns their ids, sorted.
    #[pyo3(signature = (*, owner=None, service=None, environment=None, tag=None, now=None))]
    fn revoke_where(
        &self,
        py: Python<'_>,
        owner: Option<String>,
        service: Option<String>,
        environment: Option<String>,
        tag: Option<String>,
        now: Option<i64>,
    ) -> PyResult<Vec<String>> {
        let selector = Selector {
            owner,
            service,
            environment,
            tag,
        };
        let now = args::now(now)?;
        let ids = py
            .detach(|| self.inner.revoke_where(&selector, now))
            .map_err(to_py)?;
        Ok(ids.iter().map(|id| id.to_string()).collect())
    }

    /// Quarantines an active token until `release`.
    #[pyo3(signature = (id, *, now=None))]
    fn quarantine(&self, id: &str, now: Option<i64>) -> PyResult<()> {
        let id = args::token_id(id)?;
        self.inner.quarantine(&id, args::now(now)?).map_err(to_py)
    }

    /// Releases a quarantined token.
    #[pyo3(signature = (id, *, now=None))]
    fn release(&self, id: &str, now: Option<i64>) -> PyResult<()> {
        let id = args::token_id(id)?;
        self.inner.release(&id, args::now(now)?).map_err(to_py)
    }

    /// Replaces an active token with a new one; the old one keeps working for `grace`
    /// seconds (default: its policy's `rotation_grace`, else none).
    #[pyo3(signature = (id, *, grace=None, now=None))]
    fn rotate(&self, id: &str, grace: Option<f64>, now: Option<i64>) -> PyResult<Minted> {
        let id = args::token_id(id)?;
        let grace = args::grace_ms(grace)?;
        let random = args::random32()?;
        let minted = self
            .inner
            .rotate(&id, &random, grace, args::now(now)?)
            .map_err(to_py)?;
        Ok(minted.into())
    }

    /// A token's record as a dict, or None when the id is not registered.
    fn token_info<'py>(&self, py: Python<'py>, id: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let id = args::token_id(id)?;
        self.inner
            .token(&id)
            .map(|info| types::token_info(py, &info))
            .transpose()
    }

    /// Adds or replaces a named policy (TOML or JSON text, or a dict).
    #[pyo3(signature = (name, doc, *, now=None))]
    fn set_policy(
        &self,
        py: Python<'_>,
        name: &str,
        doc: &Bound<'_, PyAny>,
        now: Option<i64>,
    ) -> PyResult<()> {
        // Named as the core names its compile errors (`policies.ci.allow_ips[0]`).
        let field: String = name.chars().take(64).collect();
        let doc = args::policy_doc(doc, &format!("policies.{field}"))?;
        let now = args::now(now)?;
        py.detach(|| self.inner.set_policy(name, &doc, now))
            .map_err(to_py)
    }

    /// The queued events as dicts (the core's JSON shape), oldest first; the queue is then
    /// empty.
    fn drain_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let events = self.inner.drain_events();
        json::to_py(py, &events)
    }

    /// The whole state as bytes (without the key).
    fn snapshot<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = py.detach(|| self.inner.snapshot());
        PyBytes::new(py, &bytes)
    }

    /// Merges a snapshot into this Guard; a restore never makes a stopped token work again.
    #[pyo3(signature = (data, *, now=None))]
    fn restore(&self, py: Python<'_>, data: PyBackedBytes, now: Option<i64>) -> PyResult<()> {
        let now = args::now(now)?;
        py.detach(|| self.inner.restore(&data, now)).map_err(to_py)
    }

    /// Applies the lifecycle changes of drained events (dicts, or their JSON text) written
    /// since the last restore; returns a summary dict.
    #[pyo3(signature = (events, *, now=None))]
    fn replay_events<'py>(
        &self,
        py: Python<'py>,
        events: &Bound<'py, PyAny>,
        now: Option<i64>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let events = parse_events(events)?;
        let now = args::now(now)?;
        let replayed = py
            .detach(|| self.inner.replay_events(&events, now))
            .map_err(to_py)?;
        types::replayed(py, &replayed)
    }

    /// A token's usage statistics as a dict, or None (no usage tracking, or no state for it).
    #[pyo3(signature = (id, *, now=None))]
    fn usage<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        now: Option<i64>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let id = args::token_id(id)?;
        self.inner
            .stats(&id, args::now(now)?)
            .map(|stats| json::to_py(py, &stats))
            .transpose()
    }

    /// The prefix minted tokens carry.
    #[getter]
    fn token_prefix(&self) -> &str {
        self.inner.token_prefix()
    }

    /// Attaches this Guard to the fleet sharing the Redis at `url` (see `crate::fleet`).
    #[pyo3(signature = (
        url, *, prefix=None, poll=None, block=None, delta_interval=None, outbox_capacity=None,
        snapshot_interval=None, snapshot_min_entries=None, retain=None, usage_retain=None,
        connect_timeout=None, tls_ca_file=None
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments, one per setting.
    fn attach_fleet(
        &self,
        py: Python<'_>,
        url: &str,
        prefix: Option<String>,
        poll: Option<f64>,
        block: Option<f64>,
        delta_interval: Option<f64>,
        outbox_capacity: Option<u64>,
        snapshot_interval: Option<f64>,
        snapshot_min_entries: Option<u64>,
        retain: Option<f64>,
        usage_retain: Option<f64>,
        connect_timeout: Option<f64>,
        tls_ca_file: Option<String>,
    ) -> PyResult<crate::fleet::Fleet> {
        let settings = tokenward_fleet::FleetSettings {
            prefix,
            poll,
            block,
            delta_interval,
            outbox_capacity,
            snapshot_interval,
            snapshot_min_entries,
            retain,
            usage_retain,
            connect_timeout,
            tls_ca_file,
        };
        crate::fleet::attach(py, &self.inner, url, &settings)
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        // The key is never shown.
        format!(
            "Guard(token_prefix='{}', tokens={})",
            self.inner.token_prefix(),
            self.inner.len()
        )
    }
}

impl Guard {
    /// The core Guard, shared with the gates in front of it.
    pub(crate) fn core(&self) -> &Arc<tokenward::Guard> {
        &self.inner
    }
}

/// Drained events given back: a list of dicts, or of their JSON text (lines of an audit log).
/// A malformed event is a `SnapshotError` (a corrupt chain) naming its position, not its
/// content.
fn parse_events(events: &Bound<'_, PyAny>) -> PyResult<Vec<Event>> {
    if events.is_instance_of::<PyString>() {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "events must be a list of events (dicts or JSON text), not a str",
        ));
    }
    let mut parsed = Vec::new();
    for (i, item) in events.try_iter()?.enumerate() {
        let item = item?;
        let text = match item.cast::<PyString>() {
            Ok(text) => text.to_cow()?.into_owned(),
            Err(_) if item.is_instance_of::<PyDict>() => json::dumps(&item, "event")?,
            Err(_) => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "events[{i}] must be a dict or a str, not {}",
                    item.get_type().name()?
                )))
            }
        };
        let event = serde_json::from_str(&text).map_err(|e| {
            from_kind(
                tokenward::ErrorKind::Snapshot,
                format!(
                    "events[{i}] is not an event as drain_events returns it (line {} column {})",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        parsed.push(event);
    }
    Ok(parsed)
}
