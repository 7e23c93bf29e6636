//! Wrappers of `tokenward::redact`: `Redactor`, `Finding`, `RuleInfo`, `StreamRedactor` and
//! the module-level `redact` function.

use std::borrow::Cow;
use std::sync::{Arc, OnceLock};

use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyString};

use crate::errors::to_py;
use crate::json::{document_text, Format};
use crate::text::{decode_surrogates, detach_if_large, CharOffsets, Text};

/// A compiled rule set that finds and redacts secrets.
///
/// `style` is one of "label" (`[REDACTED:rule]`), "mask", "prefix" or "fingerprint"; when
/// omitted, the config's style or "label". `config` is a TOML or JSON document (str) or a
/// dict of the same shape. `fingerprint_key` is required by the "fingerprint" style.
///
/// Immutable and thread-safe: build one and share it.
#[pyclass(frozen, module = "tokenward")]
pub struct Redactor {
    inner: tokenward::Redactor,
}

#[pymethods]
impl Redactor {
    #[new]
    #[pyo3(signature = (style=None, config=None, fingerprint_key=None))]
    fn new(
        style: Option<&str>,
        config: Option<&Bound<'_, PyAny>>,
        fingerprint_key: Option<&[u8]>,
    ) -> PyResult<Redactor> {
        let mut builder = tokenward::Redactor::builder();
        if let Some(config) = config {
            builder = builder.config(parse_config(config)?);
        }
        // An explicit style argument wins over the config's.
        if let Some(style) = style {
            builder = builder.style(style.parse().map_err(to_py)?);
        }
        if let Some(key) = fingerprint_key {
            // An empty key makes every fingerprint computable by anyone: refused, as the
            // Guard's key is.
            if key.is_empty() {
                return Err(crate::errors::ConfigError::new_err(
                    "fingerprint_key must not be empty",
                ));
            }
            builder = builder.fingerprint_key(key);
        }
        let inner = builder.build().map_err(to_py)?;
        Ok(Redactor { inner })
    }

    /// Returns `text` with every secret replaced. Returns the same object when nothing was
    /// found. Lone surrogates pass through unchanged.
    fn redact<'py>(&self, text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
        redact_str(&self.inner, text)
    }

    /// Returns `data` (bytes or bytearray, any encoding) with every secret replaced. Bytes
    /// outside the redacted spans, invalid UTF-8 included, are kept as they are.
    fn redact_bytes<'py>(&self, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let py = data.py();
        let input: PyBackedBytes = data.extract()?;
        let out = detach_if_large(py, input.len(), || self.inner.redact_bytes(&input));
        match out {
            Cow::Borrowed(_) if data.is_instance_of::<PyBytes>() => Ok(data.clone()),
            out => Ok(PyBytes::new(py, &out).into_any()),
        }
    }

    /// The secrets in `text`, in order. Offsets are character offsets (`text[f.start:f.end]`
    /// is the credential).
    fn find(&self, text: &Bound<'_, PyString>) -> PyResult<Vec<Finding>> {
        let input = Text::extract(text)?;
        let bytes = input.as_bytes();
        Ok(detach_if_large(text.py(), bytes.len(), || {
            let mut offsets = CharOffsets::new(bytes);
            self.inner
                .find_bytes(bytes)
                .into_iter()
                .map(|f| Finding::new(f, |byte| offsets.of(byte)))
                .collect()
        }))
    }

    /// The secrets in `data` (bytes or bytearray), in order, with byte offsets.
    fn find_bytes(&self, data: &Bound<'_, PyAny>) -> PyResult<Vec<Finding>> {
        let input: PyBackedBytes = data.extract()?;
        Ok(detach_if_large(data.py(), input.len(), || {
            self.inner
                .find_bytes(&input)
                .into_iter()
                .map(|f| Finding::new(f, |byte| byte))
                .collect()
        }))
    }

    /// The rules in force, in the order they are tried.
    #[getter]
    fn rules(&self) -> Vec<RuleInfo> {
        self.inner.rules().map(RuleInfo::from).collect()
    }

    /// The output style's name.
    #[getter]
    fn style(&self) -> &'static str {
        self.inner.style().name()
    }

    fn __repr__(&self) -> String {
        // The fingerprint key is never shown.
        format!(
            "Redactor(style='{}', rules={})",
            self.inner.style().name(),
            self.inner.rules().count()
        )
    }
}

/// Redacts `text` with the default redactor (the built-in catalogue, label style), built on
/// first use.
#[pyfunction]
pub fn redact<'py>(text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyAny>> {
    redact_str(default_redactor(), text)
}

/// The default redactor (built-in rules, label style), built on first use and shared.
#[pyfunction(name = "default_redactor")]
pub fn py_default_redactor() -> Redactor {
    Redactor {
        inner: default_redactor().clone(),
    }
}

fn default_redactor() -> &'static tokenward::Redactor {
    static DEFAULT: OnceLock<tokenward::Redactor> = OnceLock::new();
    // Built while holding the GIL, without calling into Python: no lock-order risk.
    DEFAULT.get_or_init(tokenward::Redactor::new)
}

/// The one implementation behind `Redactor.redact` and `tokenward.redact`.
fn redact_str<'py>(
    redactor: &tokenward::Redactor,
    text: &Bound<'py, PyString>,
) -> PyResult<Bound<'py, PyAny>> {
    let py = text.py();
    let input = Text::extract(text)?;
    if let Some(s) = input.as_str() {
        return match detach_if_large(py, s.len(), || redactor.redact(s)) {
            Cow::Borrowed(_) => Ok(text.clone().into_any()),
            Cow::Owned(out) => Ok(PyString::new(py, &out).into_any()),
        };
    }
    let bytes = input.as_bytes();
    match detach_if_large(py, bytes.len(), || redactor.redact_bytes(bytes)) {
        Cow::Borrowed(_) => Ok(text.clone().into_any()),
        Cow::Owned(out) => decode_surrogates(py, &out),
    }
}

/// A config given as TOML/JSON text or as a dict (see [`document_text`]).
fn parse_config(config: &Bound<'_, PyAny>) -> PyResult<tokenward::Config> {
    let parsed = match document_text(config, "config")? {
        (text, Format::Json) => tokenward::Config::from_json(&text),
        (text, Format::Toml) => tokenward::Config::from_toml(&text),
    };
    parsed.map_err(to_py)
}

/// A secret found by `Redactor.find` (character offsets) or `Redactor.find_bytes` (byte
/// offsets). `start:end` is the whole credential, public prefix included (`ghp_...`);
/// `secret_start:secret_end` is the part that must not survive.
#[pyclass(frozen, eq, hash, module = "tokenward")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    rule: Arc<str>,
    start: usize,
    end: usize,
    secret_start: usize,
    secret_end: usize,
}

impl Finding {
    /// Converts a core finding, mapping its byte offsets with `offset` (called in
    /// non-decreasing order).
    fn new(f: tokenward::Finding, mut offset: impl FnMut(usize) -> usize) -> Finding {
        Finding {
            start: offset(f.span.start),
            secret_start: offset(f.secret_span.start),
            secret_end: offset(f.secret_span.end),
            end: offset(f.span.end),
            rule: f.rule,
        }
    }
}

#[pymethods]
impl Finding {
    /// The id of the rule that found the secret.
    #[getter]
    fn rule(&self) -> &str {
        &self.rule
    }

    /// Start of the credential.
    #[getter]
    fn start(&self) -> usize {
        self.start
    }

    /// End of the credential (exclusive).
    #[getter]
    fn end(&self) -> usize {
        self.end
    }

    /// Start of the secret part.
    #[getter]
    fn secret_start(&self) -> usize {
        self.secret_start
    }

    /// End of the secret part (exclusive).
    #[getter]
    fn secret_end(&self) -> usize {
        self.secret_end
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Finding(rule={}, start={}, end={}, secret_start={}, secret_end={})",
            PyString::new(py, &self.rule).repr()?,
            self.start,
            self.end,
            self.secret_start,
            self.secret_end
        ))
    }
}

/// A rule of a `Redactor` (see `Redactor.rules`).
#[pyclass(frozen, get_all, module = "tokenward")]
pub struct RuleInfo {
    /// Stable snake_case id, shown in labels.
    id: String,
    /// Who issues the credential (`github`, `aws`, ... or `generic`).
    provider: String,
    /// What the rule finds.
    description: String,
    /// Literal anchors of the prefilter.
    keywords: Vec<String>,
    /// True for rules of the built-in catalogue.
    builtin: bool,
}

impl From<&tokenward::RuleInfo> for RuleInfo {
    fn from(info: &tokenward::RuleInfo) -> RuleInfo {
        RuleInfo {
            id: info.id.to_string(),
            provider: info.provider.clone(),
            description: info.description.clone(),
            keywords: info.keywords.clone(),
            builtin: info.builtin,
        }
    }
}

#[pymethods]
impl RuleInfo {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "RuleInfo(id={}, provider={})",
            PyString::new(py, &self.id).repr()?,
            PyString::new(py, &self.provider).repr()?
        ))
    }
}

/// Redacts a byte stream given in chunks; a secret split across chunks is still caught.
///
/// `push` returns what can be released so far, `finish` the rest. At most about three
/// `window`s of bytes (default 64 KiB) are held back, whatever the stream's length.
#[pyclass(module = "tokenward")]
pub struct StreamRedactor {
    inner: tokenward::StreamRedactor,
    /// `finish` was called: the stream is over, and a later chunk is a caller's bug that
    /// must not pass silently (it would be redacted without its context).
    finished: bool,
}

#[pymethods]
impl StreamRedactor {
    #[new]
    #[pyo3(signature = (redactor=None, window=None))]
    fn new(redactor: Option<&Redactor>, window: Option<usize>) -> StreamRedactor {
        let redactor = redactor.map_or_else(|| default_redactor().clone(), |r| r.inner.clone());
        let inner = match window {
            Some(window) => tokenward::StreamRedactor::with_window(redactor, window),
            None => tokenward::StreamRedactor::new(redactor),
        };
        StreamRedactor {
            inner,
            finished: false,
        }
    }

    /// Adds a chunk (bytes or bytearray); returns the redacted bytes that can be released.
    fn push<'py>(&mut self, chunk: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyBytes>> {
        let py = chunk.py();
        if self.finished {
            return Err(crate::errors::from_kind(
                tokenward::ErrorKind::Conflict,
                "push() after finish(): the stream is finished; start a new StreamRedactor".into(),
            ));
        }
        let input: PyBackedBytes = chunk.extract()?;
        let inner = &mut self.inner;
        let out = detach_if_large(py, input.len() + inner.pending(), || {
            let mut out = Vec::new();
            inner.push(&input, &mut out);
            out
        });
        Ok(PyBytes::new(py, &out))
    }

    /// Ends the stream: returns everything still held, redacted (nothing on a second call).
    fn finish<'py>(&mut self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.finished = true;
        let inner = &mut self.inner;
        let out = detach_if_large(py, inner.pending(), || {
            let mut out = Vec::new();
            inner.finish(&mut out);
            out
        });
        PyBytes::new(py, &out)
    }

    /// Bytes held back, waiting for more input.
    #[getter]
    fn pending(&self) -> usize {
        self.inner.pending()
    }
}
