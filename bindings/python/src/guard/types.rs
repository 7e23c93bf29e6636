//! What the Guard returns: `Minted`, `Verdict` and `Alert` classes, and the dicts of token
//! records and replay summaries.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::json;

/// A freshly minted token: `token` is the raw token, shown this once (hand it out and drop
/// it); `id` is the id it is registered under. `repr()` never shows the token.
#[pyclass(frozen, module = "tokenward")]
pub struct Minted {
    /// The raw token.
    #[pyo3(get)]
    token: String,
    /// Its id (`tid_...`).
    #[pyo3(get)]
    id: String,
}

impl From<tokenward::Minted> for Minted {
    fn from(minted: tokenward::Minted) -> Minted {
        Minted {
            token: minted.token.expose().to_string(),
            id: minted.id.to_string(),
        }
    }
}

#[pymethods]
impl Minted {
    fn __repr__(&self) -> String {
        format!("Minted(id='{}', token=<hidden>)", self.id)
    }
}

/// An alert a usage detector raised: `kind` (`"ip_fanout"`, ...), `severity` (`"low"`,
/// `"medium"`, `"high"`), the token's id, when (`at`, Unix ms), and the figures behind it
/// (`evidence`, a dict whose shape depends on the kind; it never holds a secret).
#[pyclass(frozen, module = "tokenward")]
#[derive(Clone)]
pub struct Alert {
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    severity: &'static str,
    #[pyo3(get)]
    token_id: String,
    #[pyo3(get)]
    at: i64,
    evidence: serde_json::Value,
}

impl From<&tokenward::Alert> for Alert {
    fn from(alert: &tokenward::Alert) -> Alert {
        Alert {
            kind: alert.kind.code(),
            severity: alert.severity.code(),
            token_id: alert.token_id.to_string(),
            at: alert.at,
            evidence: serde_json::to_value(&alert.evidence).unwrap_or_default(),
        }
    }
}

#[pymethods]
impl Alert {
    /// The figures behind the alert, as a new dict on each access.
    #[getter]
    fn evidence<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::value_to_py(py, &self.evidence)
    }

    fn __repr__(&self) -> String {
        format!(
            "Alert(kind='{}', severity='{}', token_id='{}', at={})",
            self.kind, self.severity, self.token_id, self.at
        )
    }
}

/// The outcome of `Guard.check`: `allowed` (also `bool(verdict)`), every reason for a
/// denial as its stable code (`"revoked"`, `"ip_not_allowed"`, ...), the presented token's id
/// (also for an unknown token: its fingerprint), `retry_after_ms` when the rate limit denied,
/// the alerts the request raised and the actions the response rules took.
#[pyclass(frozen, module = "tokenward")]
pub struct Verdict {
    #[pyo3(get)]
    allowed: bool,
    #[pyo3(get)]
    reasons: Vec<&'static str>,
    #[pyo3(get)]
    token_id: Option<String>,
    #[pyo3(get)]
    retry_after_ms: Option<u64>,
    #[pyo3(get)]
    alerts: Vec<Alert>,
    actions: Vec<tokenward::guard::ActionTaken>,
    id: Option<tokenward::TokenId>,
}

impl Verdict {
    /// The presented token's id, for recording the outcome without the token.
    pub(crate) fn id(&self) -> Option<&tokenward::TokenId> {
        self.id.as_ref()
    }
}

impl From<tokenward::Verdict> for Verdict {
    fn from(verdict: tokenward::Verdict) -> Verdict {
        Verdict {
            allowed: verdict.is_allowed(),
            reasons: verdict.reasons.iter().map(|r| r.code()).collect(),
            token_id: verdict.token_id.map(|id| id.to_string()),
            retry_after_ms: verdict.retry_after_ms,
            alerts: verdict.alerts.iter().map(Alert::from).collect(),
            actions: verdict.actions,
            id: verdict.token_id,
        }
    }
}

#[pymethods]
impl Verdict {
    /// What the response rules did, one dict per alert and action:
    /// `{"action": "quarantine", "on": "ip_fanout"}`.
    #[getter]
    fn actions<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json::to_py(py, &self.actions)
    }

    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self) -> String {
        let token_id = match &self.token_id {
            Some(id) => format!("'{id}'"),
            None => "None".into(),
        };
        let reasons: Vec<String> = self.reasons.iter().map(|r| format!("'{r}'")).collect();
        format!(
            "Verdict(allowed={}, reasons=[{}], token_id={token_id})",
            if self.allowed { "True" } else { "False" },
            reasons.join(", "),
        )
    }
}

/// The alerts a recorded outcome raised.
pub fn alerts(reaction: &tokenward::guard::Reaction) -> Vec<Alert> {
    reaction.alerts.iter().map(Alert::from).collect()
}

/// A token's record as a dict: the core's JSON shape, with `state` as the state's name
/// (`"active"`, `"revoked"`, `"quarantined"`, `"rotated"`) and its fields (`at`, or `to` and
/// `grace_end`) under `state_detail`.
pub fn token_info<'py>(
    py: Python<'py>,
    info: &tokenward::guard::TokenInfo,
) -> PyResult<Bound<'py, PyDict>> {
    let mut value = serde_json::to_value(info).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        let (name, detail) = match map.remove("state") {
            Some(serde_json::Value::Object(state)) => match state.into_iter().next() {
                Some((name, detail)) => (name, detail),
                None => (String::new(), serde_json::Value::Null),
            },
            Some(serde_json::Value::String(name)) => (name, serde_json::json!({})),
            _ => (String::new(), serde_json::Value::Null),
        };
        map.insert("state".into(), name.into());
        map.insert("state_detail".into(), detail);
        return json::object_to_py(py, map);
    }
    Ok(PyDict::new(py))
}

/// What `replay_events` did, as a dict.
pub fn replayed<'py>(
    py: Python<'py>,
    replayed: &tokenward::guard::Replayed,
) -> PyResult<Bound<'py, PyDict>> {
    let ids = |ids: &[tokenward::TokenId]| PyList::new(py, ids.iter().map(|id| id.to_string()));
    let dict = PyDict::new(py);
    dict.set_item("applied", replayed.applied)?;
    dict.set_item("already_applied", replayed.already_applied)?;
    dict.set_item("unchanged", replayed.unchanged)?;
    dict.set_item("lost", replayed.lost)?;
    dict.set_item("to_register", ids(&replayed.to_register)?)?;
    dict.set_item("stopped_unknown", ids(&replayed.stopped_unknown)?)?;
    Ok(dict)
}
