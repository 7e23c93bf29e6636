//! Text crossing the boundary: Python `str` and `bytes` to Rust slices and back, releasing
//! the GIL for large inputs, and byte offsets turned into character offsets.

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
/// Python strings may hold lone surrogates (`"\ud800"`), which UTF-8 cannot encode. Such a
/// string is carried in its `surrogatepass` encoding (each surrogate as its 3-byte form, which
/// is invalid UTF-8) and redacted as bytes: secrets around the surrogates are still found, and
/// the surrogates come back unchanged when the result is decoded the same way.
pub enum Text {
    /// Well-formed text (the usual case).
    Utf8(PyBackedStr),
    /// Text with lone surrogates, encoded with `surrogatepass`.
    Surrogates(PyBackedBytes),
}

impl Text {
    /// Borrows the UTF-8 of `s` (copying it on the limited API before Python 3.10).
    pub fn extract(s: &Bound<'_, PyString>) -> PyResult<Text> {
        match s.extract::<PyBackedStr>() {
            Ok(text) => Ok(Text::Utf8(text)),
            Err(err) if err.is_instance_of::<PyUnicodeEncodeError>(s.py()) => {
                let encoded = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
                Ok(Text::Surrogates(encoded.extract::<PyBackedBytes>()?))
            }
            Err(err) => Err(err),
        }
    }

    /// The bytes to scan.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Utf8(s) => s.as_bytes(),
            Text::Surrogates(b) => b,
        }
    }
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
