//! Text crossing the boundary: Python `str` and `bytes` to Rust slices and back, releasing
//! the GIL for large inputs, and byte offsets turned into character offsets.

use std::os::raw::c_char;
use std::sync::OnceLock;

use pyo3::exceptions::PyUnicodeEncodeError;
use pyo3::marker::Ungil;
use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};
use pyo3::types::{PyBytes, PyString};

/// Inputs of at least this many bytes are processed with the GIL released.
///
/// Releasing is not free: besides the release itself, taking the GIL back can wait for
/// another thread to reach its switch interval (5 ms by default). A typical log line (under
/// 1 KiB) is redacted in about a microsecond, so releasing for it would add latency and
/// nothing else. At 64 KiB the Rust work takes tens of microseconds, long enough for other
/// Python threads to make real progress meanwhile.
pub const DETACH_THRESHOLD: usize = 64 * 1024;

/// Runs `work` with the GIL released when `len` (the input's size in bytes) reaches
/// [`DETACH_THRESHOLD`], holding it otherwise.
pub fn detach_if_large<T, F>(py: Python<'_>, len: usize, work: F) -> T
where
    F: Ungil + FnOnce() -> T,
    T: Ungil,
{
    if len >= DETACH_THRESHOLD {
        py.detach(work)
    } else {
        work()
    }
}

/// A Python `str` as bytes.
///
/// On Python 3.10 and later the UTF-8 is borrowed from the `str` object itself, without a
/// copy (for ASCII strings it is the object's own data). Before 3.10 that call is not part of
/// the stable ABI, so the text is copied.
///
/// Python strings may hold lone surrogates (`"\ud800"`), which UTF-8 cannot encode. Such a
/// string is carried in its `surrogatepass` encoding (each surrogate as its 3-byte form, which
/// is invalid UTF-8) and redacted as bytes: secrets around the surrogates are still found, and
/// the surrogates come back unchanged when the result is decoded the same way.
pub enum Text<'a> {
    /// Well-formed text, borrowed from the `str` object (Python 3.10+).
    Borrowed(&'a str),
    /// Well-formed text, copied (Python 3.9).
    Utf8(PyBackedStr),
    /// Text with lone surrogates, encoded with `surrogatepass`.
    Surrogates(PyBackedBytes),
}

impl<'a> Text<'a> {
    /// The UTF-8 of `s`, borrowed when the interpreter allows it.
    pub fn extract(s: &'a Bound<'_, PyString>) -> PyResult<Text<'a>> {
        if borrowing_supported(s.py()) {
            if let Some(text) = borrow_utf8(s) {
                return Ok(Text::Borrowed(text));
            }
            // Not encodable (lone surrogates): the path below raises and handles it.
        }
        match s.extract::<PyBackedStr>() {
            Ok(text) => Ok(Text::Utf8(text)),
            Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(s.py()) => {
                let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
                Ok(Text::Surrogates(encoded.extract::<PyBackedBytes>()?))
            }
            Err(err) => Err(err),
        }
    }

    /// The text, unless it holds lone surrogates.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Text::Borrowed(s) => Some(s),
            Text::Utf8(s) => Some(s),
            Text::Surrogates(_) => None,
        }
    }

    /// The bytes to scan.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Borrowed(s) => s.as_bytes(),
            Text::Utf8(s) => s.as_bytes(),
            Text::Surrogates(b) => b,
        }
    }
}

/// Whether the running interpreter has `PyUnicode_AsUTF8AndSize` in its stable ABI (3.10+).
fn borrowing_supported(py: Python<'_>) -> bool {
    static SUPPORTED: OnceLock<bool> = OnceLock::new();
    *SUPPORTED.get_or_init(|| py.version_info() >= (3, 10))
}

extern "C" {
    // Declared here because pyo3-ffi leaves it out of abi3 builds for Python 3.9, where the
    // limited API lacks it; `borrow_utf8` only calls it on 3.10 and later.
    fn PyUnicode_AsUTF8AndSize(
        unicode: *mut pyo3::ffi::PyObject,
        size: *mut pyo3::ffi::Py_ssize_t,
    ) -> *const c_char;
}

/// The UTF-8 of `s` as CPython caches it inside the object, or `None` when `s` holds lone
/// surrogates (the Python error that raises is cleared).
fn borrow_utf8<'a>(s: &'a Bound<'_, PyString>) -> Option<&'a str> {
    let mut size: pyo3::ffi::Py_ssize_t = 0;
    // SAFETY: `s` is a live `str` and we hold the GIL; the call is in the stable ABI of the
    // running interpreter (checked by `borrowing_supported`).
    let data = unsafe { PyUnicode_AsUTF8AndSize(s.as_ptr(), &mut size) };
    if data.is_null() {
        drop(PyErr::take(s.py()));
        return None;
    }
    let len = usize::try_from(size).ok()?;
    // SAFETY: on success CPython returns `size` bytes of valid UTF-8 owned by the object. A
    // `str` is immutable and `s` keeps it alive for `'a`, so the bytes stay valid and unchanged
    // for `'a`, also while the GIL is released.
    Some(unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(data.cast(), len)) })
}

/// Decodes bytes produced from a [`Text::Surrogates`] input back into a `str`.
pub fn decode_surrogates<'py>(py: Python<'py>, bytes: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    PyBytes::new(py, bytes).call_method1("decode", ("utf-8", "surrogatepass"))
}

/// Turns byte offsets into character offsets, for offsets given in non-decreasing order
/// (any order works, out-of-order ones just cost a rescan).
///
/// Python indexes `str` by code point. A code point starts at every byte that is not a
/// UTF-8 continuation byte (`0b10xx_xxxx`); this also holds for the 3-byte surrogatepass form
/// of a lone surrogate, so one count serves both kinds of [`Text`].
pub struct CharOffsets<'t> {
    text: &'t [u8],
    ascii: bool,
    byte_at: usize,
    char_at: usize,
}

impl<'t> CharOffsets<'t> {
    /// Offsets into `text`.
    pub fn new(text: &'t [u8]) -> CharOffsets<'t> {
        CharOffsets {
            text,
            ascii: text.is_ascii(),
            byte_at: 0,
            char_at: 0,
        }
    }

    /// The character offset of byte offset `byte`.
    pub fn of(&mut self, byte: usize) -> usize {
        if self.ascii {
            return byte;
        }
        if byte < self.byte_at {
            self.byte_at = 0;
            self.char_at = 0;
        }
        let end = byte.min(self.text.len());
        self.char_at += self.text[self.byte_at..end]
            .iter()
            .filter(|&&b| !is_continuation(b))
            .count();
        self.byte_at = end;
        self.char_at
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0b1100_0000 == 0b1000_0000
}
