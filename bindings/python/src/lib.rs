//! Python bindings for tokenward: the private extension module `tokenward._native`.
//!
//! This crate only converts: Python strings and bytes in, core calls, Python objects and typed
//! exceptions out. All logic lives in the `tokenward` crate. Its modules mirror the core's
//! (`redact` wraps `tokenward::redact`, `guard` wraps `tokenward::guard`, `gate` wraps
//! `tokenward::gate`, `fleet` wraps `tokenward_fleet`); `text` holds the
//! string plumbing they share, `json` the documents and JSON-shaped values, and `errors` the
//! exception hierarchy.
//!
//! The pure-Python package `tokenward` (under `python/`) re-exports this module and adds the
//! `logging` filter and the structlog processor.

use pyo3::prelude::*;

mod errors;
mod fleet;
mod gate;
mod guard;
mod json;
mod redact;
mod text;

/// The extension module. Its items are re-exported by the `tokenward` package; import them
/// from there.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("TokenwardError", py.get_type::<errors::TokenwardError>())?;
    m.add("ConfigError", py.get_type::<errors::ConfigError>())?;
    m.add("RuleError", py.get_type::<errors::RuleError>())?;
    m.add(
        "InvalidArgumentError",
        py.get_type::<errors::InvalidArgumentError>(),
    )?;
    m.add("NotFoundError", py.get_type::<errors::NotFoundError>())?;
    m.add("ConflictError", py.get_type::<errors::ConflictError>())?;
    m.add("SnapshotError", py.get_type::<errors::SnapshotError>())?;
    m.add("RandomError", py.get_type::<errors::RandomError>())?;
    m.add("DETACH_THRESHOLD", text::DETACH_THRESHOLD)?;
    m.add_class::<redact::Redactor>()?;
    m.add_class::<redact::Finding>()?;
    m.add_class::<redact::RuleInfo>()?;
    m.add_class::<redact::StreamRedactor>()?;
    m.add_function(wrap_pyfunction!(redact::redact, m)?)?;
    m.add_class::<guard::Guard>()?;
    m.add_class::<guard::Minted>()?;
    m.add_class::<guard::Verdict>()?;
    m.add_class::<guard::Alert>()?;
    m.add_class::<fleet::Fleet>()?;
    m.add_class::<gate::Gate>()?;
    m.add_class::<gate::Denial>()?;
    m.add_function(wrap_pyfunction!(gate::request::py_encode_path, m)?)?;
    m.add_function(wrap_pyfunction!(redact::py_default_redactor, m)?)?;
    Ok(())
}
