//! Wrapper of `tokenward_fleet`: the `Fleet` class that `Guard.attach_fleet` returns.
//!
//! Attaching, flushing and detaching block (threads start, wait for Redis, join), so they run
//! with the GIL released; `health` and `drain_events` copy a few figures and keep it. The
//! handle sits behind a mutex as an `Arc`: `flush` clones it and waits without the mutex, so a
//! `detach` from another thread is never stuck behind a flush, and the threads stop when the
//! last clone is dropped.

use std::sync::{Arc, Mutex, PoisonError};

use pyo3::prelude::*;
use tokenward::{ErrorKind, Selector};
use tokenward_fleet::FleetSettings;

use crate::errors::{from_kind, to_py};
use crate::guard::args;
use crate::json;

/// Attaches `guard` to the fleet at `url`; what `Guard.attach_fleet` does.
pub fn attach(
    py: Python<'_>,
    guard: &Arc<tokenward::Guard>,
    url: &str,
    settings: &FleetSettings,
) -> PyResult<Fleet> {
    let config = settings.config(url).map_err(to_py)?;
    let guard = guard.clone();
    let fleet = py
        .detach(|| tokenward_fleet::Fleet::attach(guard, config))
        .map_err(to_py)?;
    Ok(Fleet {
        inner: Mutex::new(Some(Arc::new(fleet))),
    })
}

/// A Guard attached to a fleet of instances sharing one Redis: lifecycle changes made here
/// reach the others, theirs reach this Guard. Detach it (or leave its `with` block) to stop.
#[pyclass(frozen, module = "tokenward")]
pub struct Fleet {
    inner: Mutex<Option<Arc<tokenward_fleet::Fleet>>>,
}

impl Fleet {
    /// The running fleet, or a `ConflictError` once detached.
    fn running(&self) -> PyResult<Arc<tokenward_fleet::Fleet>> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| from_kind(ErrorKind::Conflict, "the fleet is detached".into()))
    }
}

#[pymethods]
impl Fleet {
    /// The link's state as a dict: `connected`, `queued`, `position`, counters, `last_error`.
    fn health<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.running()?.health())
    }

    /// The fleet's own events since the last call (connection changes, snapshots, entries
    /// that failed to apply), oldest first, as dicts with a `kind`.
    fn drain_events<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.running()?.drain_events())
    }

    /// Waits until every change made here is published, at most `timeout` seconds; True
    /// when it is.
    #[pyo3(signature = (timeout=5.0))]
    fn flush(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let timeout = tokenward_fleet::seconds("timeout", timeout).map_err(to_py)?;
        let fleet = self.running()?;
        Ok(py.detach(|| fleet.flush(timeout)))
    }

    /// Revokes every token matching all the given fields here and on every instance, also
    /// tokens this one does not hold; returns the ids revoked here.
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
        let fleet = self.running()?;
        let ids = py
            .detach(|| fleet.revoke_where(&selector, now))
            .map_err(to_py)?;
        Ok(ids.iter().map(|id| id.to_string()).collect())
    }

    /// Stops the fleet's threads after a last attempt to publish what is queued (call
    /// `flush` first to wait for it) and turns the Guard's change feed off, so it can be
    /// attached again. A second call does nothing.
    fn detach(&self, py: Python<'_>) {
        let fleet = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        py.detach(move || drop(fleet));
    }

    /// True until `detach`.
    #[getter]
    fn attached(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.detach(py);
        false
    }

    fn __repr__(&self) -> String {
        // The URL (and any password in it) is never shown.
        match self.running() {
            Ok(fleet) => format!("Fleet(connected={})", py_bool(fleet.health().connected)),
            Err(_) => "Fleet(detached)".into(),
        }
    }
}

fn py_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}
