//! JSON-shaped values crossing the boundary: configuration documents in (TOML or JSON text, or
//! a dict), and the core's serde types out as plain Python dicts, lists and scalars.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use serde::Serialize;
use serde_json::Value;

use crate::errors::ConfigError;

/// How a document is written.
pub enum Format {
    Toml,
    Json,
}

/// A document given as TOML or JSON text (JSON when it starts with `{`, as the core's
/// `Config::parse` decides), or as a dict, serialized to JSON so that both forms accept exactly
/// the same documents. `what` names the argument in a `TypeError`.
pub fn document_text(doc: &Bound<'_, PyAny>, what: &str) -> PyResult<(String, Format)> {
    if let Ok(text) = doc.cast::<PyString>() {
        let text = text.to_cow()?.into_owned();
        let format = match text.trim_start().starts_with('{') {
            true => Format::Json,
            false => Format::Toml,
        };
        return Ok((text, format));
    }
    if doc.is_instance_of::<PyDict>() {
        return Ok((dumps(doc, what)?, Format::Json));
    }
    Err(PyTypeError::new_err(format!(
        "{what} must be a str (TOML or JSON) or a dict, not {}",
        doc.get_type().name()?
    )))
}

/// `json.dumps(value)`. A value JSON cannot hold is a `ConfigError` (the message names the
/// Python type, never the value).
pub fn dumps(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    let json = value
        .py()
        .import("json")?
        .call_method1("dumps", (value,))
        .map_err(|e| ConfigError::new_err(format!("{what} dict is not JSON: {e}")))?;
    Ok(json.cast::<PyString>()?.to_cow()?.into_owned())
}

/// A core value as Python objects, the shape `json.loads(serde_json::to_string(value))` gives.
pub fn to_py<'py, T: Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    // The core's types serialize to JSON infallibly (string keys, finite numbers); a failure
    // would be a core bug, reported rather than hidden.
    let value = serde_json::to_value(value)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(format!("cannot serialize: {e}")))?;
    value_to_py(py, &value)
}

/// A JSON value as Python objects.
pub fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => object_to_py(py, map)?.into_any(),
    })
}

/// A JSON object as a dict.
pub fn object_to_py<'py>(
    py: Python<'py>,
    map: &serde_json::Map<String, Value>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, item) in map {
        dict.set_item(key, value_to_py(py, item)?)?;
    }
    Ok(dict)
}
