//! The panic boundary every exported function runs inside, and the checked conversions of
//! raw C arguments into Rust values.
//!
//! A panic unwinding out of an `extern "C"` function aborts the host process, so each body
//! runs under [`std::panic::catch_unwind`]: a panic becomes `TW_PANIC` (or a neutral value for
//! accessors), and a typed [`Failure`] becomes its status plus the thread's last error message.

use std::panic::{self, AssertUnwindSafe};

use crate::error;
use crate::status::tw_status;

/// Why a call failed: the status to return and the message for `tw_last_error_message`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: tw_status,
    pub message: String,
}

impl Failure {
    pub fn new(status: tw_status, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
        }
    }

    /// A NULL pointer where the argument `what` is required.
    pub fn null(what: &str) -> Failure {
        Failure::new(tw_status::TW_NULL_POINTER, format!("{what} is NULL"))
    }

    /// Text in `what` is not UTF-8. Only the offset is reported, never the bytes: they may be
    /// part of a secret.
    pub fn utf8(what: &str, err: std::str::Utf8Error) -> Failure {
        Failure::new(
            tw_status::TW_INVALID_UTF8,
            format!(
                "{what} is not valid UTF-8: invalid byte sequence at offset {}",
                err.valid_up_to()
            ),
        )
    }
}

/// Any core error, by its row in the core's one error table. Core messages name fields and
/// ids, never secret values.
impl<E: tokenward::Classified> From<E> for Failure {
    fn from(err: E) -> Failure {
        Failure::new(err.kind().into(), err.to_string())
    }
}

/// Runs the body of a status-returning function: clears the thread's last error, catches a
/// panic, and turns the outcome into a `tw_status`.
pub(crate) fn call<F>(function: &'static str, body: F) -> tw_status
where
    F: FnOnce() -> Result<(), Failure>,
{
    error::clear();
    match panic::catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => tw_status::TW_OK,
        Ok(Err(failure)) => {
            error::set(&failure.message);
            failure.status
        }
        Err(_payload) => {
            // The payload is not shown: a panic message could quote the data being processed.
            error::set(&format!(
                "{function}: internal panic (a bug in tokenward; please report it)"
            ));
            tw_status::TW_PANIC
        }
    }
}

/// Runs the body of a function that returns a value (an accessor, a destructor): a panic gives
/// `on_panic`. The last error is left alone.
pub(crate) fn value<T, F>(on_panic: T, body: F) -> T
where
    F: FnOnce() -> T,
{
    panic::catch_unwind(AssertUnwindSafe(body)).unwrap_or(on_panic)
}

/// Borrows `len` bytes at `ptr`. A zero length gives the empty slice whatever `ptr` is, so
/// `(NULL, 0)` is the empty input.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` must point to `len` readable bytes that stay
/// unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(Failure::new(
            tw_status::TW_NULL_POINTER,
            format!("{what} is NULL but its length is {len}"),
        ));
    }
    if len > isize::MAX as usize {
        return Err(Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            format!("{what} length {len} exceeds PTRDIFF_MAX"),
        ));
    }
    // SAFETY: non-NULL, length in range; validity is the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows the object behind a handle.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T`.
pub(crate) unsafe fn object<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract.
    unsafe { ptr.as_ref() }.ok_or_else(|| Failure::null(what))
}

/// Checks an out-parameter and clears it, so a failed call leaves `*out == NULL`.
///
/// # Safety
/// `out` must be NULL or point to a writable pointer.
pub(crate) unsafe fn out_handle<'a, T>(
    out: *mut *mut T,
    what: &str,
) -> Result<&'a mut *mut T, Failure> {
    // SAFETY: the caller's contract.
    let out = unsafe { out.as_mut() }.ok_or_else(|| Failure::null(what))?;
    *out = std::ptr::null_mut();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        let mut buf = [0 as std::ffi::c_char; 256];
        unsafe { error::tw_last_error_message(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut()) };
        unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_panic_becomes_tw_panic_without_its_payload() {
        let status = call("tw_test", || panic!("secret ghp_in_a_panic_message"));
        assert_eq!(status, tw_status::TW_PANIC);
        let message = last_error();
        assert!(message.starts_with("tw_test: internal panic"), "{message}");
        assert!(!message.contains("ghp_"), "{message}");
        assert_eq!(value(7, || -> i32 { panic!("boom") }), 7);
    }

    #[test]
    fn failures_set_and_successes_clear_the_message() {
        let status = call("tw_test", || Err(Failure::null("out")));
        assert_eq!(status, tw_status::TW_NULL_POINTER);
        assert_eq!(last_error(), "out is NULL");
        assert_eq!(call("tw_test", || Ok(())), tw_status::TW_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn byte_arguments() {
        let empty = unsafe { bytes(std::ptr::null(), 0, "input") }.unwrap();
        assert!(empty.is_empty());
        let err = unsafe { bytes(std::ptr::null(), 3, "input") }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_NULL_POINTER);
        assert_eq!(err.message, "input is NULL but its length is 3");
        let data = [1u8, 2, 3];
        let err = unsafe { bytes(data.as_ptr(), usize::MAX, "input") }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_INVALID_ARGUMENT);
    }

    #[test]
    fn core_errors_map_to_statuses() {
        let rule = tokenward::Error::DuplicateRule("x".into());
        assert_eq!(Failure::from(rule).status, tw_status::TW_RULE);
        let config = tokenward::Error::MissingFingerprintKey;
        assert_eq!(Failure::from(config).status, tw_status::TW_CONFIG);
        let allow = tokenward::Error::InvalidAllowPattern {
            index: 0,
            reason: "unclosed group".into(),
        };
        assert_eq!(Failure::from(allow).status, tw_status::TW_RULE);
    }
}
