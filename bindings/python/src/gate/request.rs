//! A request as Python servers hand it over, read into what the core's `HttpRequest` borrows:
//! ASGI header pairs, a WSGI environ, the raw target as bytes or text, the peer address.
//!
//! Header values are borrowed from the server's `bytes` objects where it gives bytes (ASGI),
//! so the token is never copied into a Python `str`; WSGI gives `str` (each byte as one
//! latin-1 character, PEP 3333) and the bytes are taken back from them.

use std::borrow::Cow;
use std::net::IpAddr;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use tokenward::gate::{parse_peer, Headers};

use crate::text::Text;

/// Bytes from a Python object: borrowed from `bytes`, taken back from a latin-1 `str`.
pub enum Raw<'py> {
    Bytes(Bound<'py, PyBytes>),
    Owned(Vec<u8>),
}

impl Raw<'_> {
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Raw::Bytes(b) => b.as_bytes(),
            Raw::Owned(v) => v,
        }
    }
}

impl<'py> Raw<'py> {
    /// A request target: `bytes` as received, or a `str` as text (its UTF-8).
    pub fn target(value: &Bound<'py, PyAny>) -> PyResult<Raw<'py>> {
        match value.cast::<PyString>() {
            Ok(text) => Ok(Raw::Owned(Text::extract(text)?.as_bytes().to_vec())),
            Err(_) => Raw::extract(value, "target"),
        }
    }

    /// `bytes` as they are; a `str` as latin-1 (one byte per character, as HTTP servers
    /// decode header bytes), or as UTF-8 where it holds characters past U+00FF. `what` names
    /// the argument in a `TypeError`.
    pub fn extract(value: &Bound<'py, PyAny>, what: &str) -> PyResult<Raw<'py>> {
        if let Ok(bytes) = value.cast::<PyBytes>() {
            return Ok(Raw::Bytes(bytes.clone()));
        }
        if let Ok(text) = value.cast::<PyString>() {
            return Ok(Raw::Owned(latin1(&Text::extract(text)?)));
        }
        Err(PyTypeError::new_err(format!(
            "{what} must be bytes or str, not {}",
            value.get_type().name()?
        )))
    }
}

/// The bytes a latin-1 decoded `str` came from. Text outside latin-1 cannot have come from
/// a server's bytes; its UTF-8 is kept, so nothing is lost.
fn latin1(text: &Text<'_>) -> Vec<u8> {
    let bytes = text.as_bytes();
    if bytes.is_ascii() {
        return bytes.to_vec();
    }
    match text.as_str() {
        Some(s) if s.chars().all(|c| u32::from(c) <= 0xFF) => s.chars().map(|c| c as u8).collect(),
        _ => bytes.to_vec(),
    }
}

/// Headers as `(name, value)` pairs.
pub struct HeaderList<'py> {
    pairs: Vec<(Raw<'py>, Raw<'py>)>,
}

impl<'py> HeaderList<'py> {
    /// The headers `names` (lower case) of ASGI's `scope["headers"]`: an iterable of
    /// `(name, value)` pairs of bytes (str accepted). Other headers are passed over.
    pub fn from_pairs(headers: &Bound<'py, PyAny>, names: &[String]) -> PyResult<HeaderList<'py>> {
        let mut pairs = Vec::new();
        for item in headers.try_iter()? {
            let (name, value) = pair(&item?)?;
            let name = Raw::extract(&name, "a header name")?;
            let wanted = names
                .iter()
                .any(|n| n.as_bytes().eq_ignore_ascii_case(name.as_bytes()));
            if wanted {
                pairs.push((name, Raw::extract(&value, "a header value")?));
            } else if !value.is_instance_of::<PyBytes>() && !value.is_instance_of::<PyString>() {
                Raw::extract(&value, "a header value")?; // the same TypeError as when read
            }
        }
        Ok(HeaderList { pairs })
    }

    /// The headers `names` (lower case) from a WSGI environ, where `x-forwarded-for` is
    /// `HTTP_X_FORWARDED_FOR` (`keys` holds those keys, in the same order). Only what the gate
    /// reads is fetched: an environ holds many entries. Servers join repeated headers with
    /// commas, and drop (gunicorn, waitress) headers whose names hold `_`, which would
    /// otherwise collide with a `-` name.
    pub fn from_environ(
        environ: &Bound<'py, PyDict>,
        names: &[String],
        keys: &[Py<PyString>],
    ) -> PyResult<HeaderList<'py>> {
        let mut pairs = Vec::with_capacity(names.len());
        for (name, key) in names.iter().zip(keys) {
            if let Some(value) = environ.get_item(key.bind(environ.py()))? {
                let value = Raw::extract(&value, "a WSGI header value")?;
                pairs.push((Raw::Owned(name.as_bytes().to_vec()), value));
            }
        }
        Ok(HeaderList { pairs })
    }
}

/// The WSGI environ key of a header: `x-forwarded-for` is `HTTP_X_FORWARDED_FOR`.
pub fn environ_key(name: &str) -> String {
    let name = name.to_ascii_uppercase().replace('-', "_");
    format!("HTTP_{name}")
}

/// A `(name, value)` tuple, or a list of two (some servers build their headers so).
fn pair<'py>(item: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let two = match (item.cast::<PyTuple>(), item.cast::<PyList>()) {
        (Ok(tuple), _) if tuple.len() == 2 => Some((tuple.get_item(0)?, tuple.get_item(1)?)),
        (_, Ok(list)) if list.len() == 2 => Some((list.get_item(0)?, list.get_item(1)?)),
        _ => None,
    };
    two.ok_or_else(|| PyTypeError::new_err("headers must be (name, value) pairs of bytes"))
}

impl Headers for HeaderList<'_> {
    fn values(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        self.pairs
            .iter()
            .filter(move |(n, _)| n.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
            .map(|(_, v)| v.as_bytes())
    }
}

/// The request target as the core reads it (text). Raw bytes outside ASCII are
/// percent-encoded: the same URL, spelt in ASCII.
pub fn target(raw: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(raw) {
        Ok(text) if text.is_ascii() => Cow::Borrowed(text),
        _ => Cow::Owned(percent_encode(raw, |b| {
            b.is_ascii() && !b.is_ascii_control()
        })),
    }
}

/// The target of a WSGI request: the raw `REQUEST_URI` (waitress, uWSGI, mod_wsgi, werkzeug)
/// or `RAW_URI` (gunicorn) when the server gives one; else `SCRIPT_NAME` + `PATH_INFO`
/// re-encoded, with `QUERY_STRING`. Those are decoded already, so an escape the client sent
/// (`%2F`) is seen as the character it stands for: the one thing lost without a raw URI.
pub fn wsgi_target(environ: &Bound<'_, PyDict>) -> PyResult<String> {
    for key in ["REQUEST_URI", "RAW_URI"] {
        if let Some(raw) = text_item(environ, key)? {
            if !raw.is_empty() {
                return Ok(target(&raw).into_owned());
            }
        }
    }
    let mut path = text_item(environ, "SCRIPT_NAME")?.unwrap_or_default();
    path.extend(text_item(environ, "PATH_INFO")?.unwrap_or_default());
    let mut target = encode_path(&path);
    if let Some(query) = text_item(environ, "QUERY_STRING")? {
        if !query.is_empty() {
            target.push('?');
            target.push_str(&self::target(&query));
        }
    }
    Ok(target)
}

/// A decoded path (its bytes) written back as a target path: every byte but the unreserved
/// characters, the sub-delimiters, `:`, `@` and `/` percent-encoded (so a decoded `%`, `?` or
/// `#` cannot start an escape, a query or a fragment); empty is `/`. For servers that give
/// only the decoded path (WSGI without a raw URI, ASGI without `raw_path`): an encoded `/` it
/// held cannot be seen any more.
pub fn encode_path(path: &[u8]) -> String {
    let target = percent_encode(path, |b| {
        b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b)
    });
    if target.is_empty() {
        "/".to_owned()
    } else {
        target
    }
}

/// [`encode_path`] for the Python middlewares: `encode_path(b"/a b") == "/a%20b"`.
#[pyfunction]
#[pyo3(name = "encode_path")]
pub fn py_encode_path(path: &[u8]) -> String {
    encode_path(path)
}

/// An environ entry's bytes (latin-1 `str`), or `None` when it is absent or not a `str`.
pub fn text_item(environ: &Bound<'_, PyDict>, key: &str) -> PyResult<Option<Vec<u8>>> {
    match environ.get_item(key)? {
        Some(value) => match value.cast::<PyString>() {
            Ok(text) => Ok(Some(latin1(&Text::extract(text)?))),
            Err(_) => Ok(None),
        },
        None => Ok(None),
    }
}

fn percent_encode(raw: &[u8], keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for &b in raw {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The connection's peer: an address string (`scope["client"][0]`, `REMOTE_ADDR`). Anything
/// else (`None` for a Unix socket, a name, garbage) is no address: the client is unknown and
/// is never taken for a trusted proxy.
pub fn peer(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<IpAddr>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    let Ok(text) = value.cast::<PyString>() else {
        return Err(PyTypeError::new_err(format!(
            "peer must be an address str or None, not {}",
            value.get_type().name()?
        )));
    };
    let text = Text::extract(text)?;
    Ok(text.as_str().and_then(parse_peer))
}
