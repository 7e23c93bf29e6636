//! Reading JS strings cheaply. Redaction of a typical log line takes well under a
//! microsecond, so the cost of crossing into Rust matters: napi-rs's `String` conversion asks
//! the engine twice (once for the length, once for the bytes) and allocates, and returning a
//! `String` makes the engine decode a new string even when nothing changed. Here a string is
//! read with one engine call into a reused per-thread buffer, and an unchanged input is
//! handed back as the same JS value.

use std::cell::RefCell;
use std::os::raw::c_char;

use napi::bindgen_prelude::JsValue;
use napi::{sys, JsString};

use crate::error::{error, Code, Result};

/// Size of the per-thread buffer: log lines fit; longer texts take the two-call path.
const BUFFER: usize = 16 * 1024;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; BUFFER]);
}

/// Calls `f` with the UTF-8 text of `value` (lone surrogates become U+FFFD, as in any napi
/// conversion). Errors with `TOKENWARD_INVALID_ARG` when `value` is not a string.
pub fn with_utf8<R>(value: &JsString<'_>, f: impl FnOnce(&str) -> R) -> Result<R> {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buffer) => match read_into(value, &mut buffer)? {
            Some(len) => match std::str::from_utf8(&buffer[..len]) {
                Ok(text) => Ok(f(text)),
                // The engine writes valid UTF-8; should it not, take napi-rs's own path.
                Err(_) => read_owned(value).map(|text| f(&text)),
            },
            None => read_owned(value).map(|text| f(&text)),
        },
        // Only reachable if `f` re-entered JS and came back here; never the case today.
        Err(_) => read_owned(value).map(|text| f(&text)),
    })
}

/// Reads `value` into `buffer` with one engine call. `Some(len)` when the whole string fit,
/// `None` when it may have been cut.
fn read_into(value: &JsString<'_>, buffer: &mut [u8]) -> Result<Option<usize>> {
    let mut written = 0usize;
    // SAFETY: `value` holds a live napi value of its env (we are on the JS thread during the
    // call that received it); the buffer is valid for `buffer.len()` bytes and napi writes at
    // most that many, NUL included, reporting the count in `written`.
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            value.value().env,
            value.raw(),
            buffer.as_mut_ptr().cast::<c_char>(),
            buffer.len(),
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(not_a_string());
    }
    // The engine stops before a character that does not fit (up to 4 bytes) and keeps one
    // byte for NUL, so a result this far from the end is certainly complete.
    Ok((written + 5 <= buffer.len()).then_some(written))
}

fn read_owned(value: &JsString<'_>) -> Result<String> {
    let utf8 = value.into_utf8().map_err(|_| not_a_string())?;
    utf8.into_owned().map_err(|_| not_a_string())
}

fn not_a_string() -> crate::error::Error {
    error(Code::InvalidArg, "text must be a string")
}
