//! The calling thread's last error message, and `tw_last_error_message` to read it.

use std::cell::{Cell, RefCell};
use std::ffi::c_char;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use crate::status::tw_status;

thread_local! {
    /// Empty when the last status-returning call on this thread succeeded.
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
    /// Whether `LAST_ERROR` is non-empty. A `Cell<bool>` needs no destructor, so reading it is
    /// a plain thread-local load: the common path (no previous error) stays cheap on every call.
    static HAS_ERROR: Cell<bool> = const { Cell::new(false) };
}

/// Forgets the previous message; every status-returning call starts with this.
pub(crate) fn clear() {
    if HAS_ERROR.get() {
        HAS_ERROR.set(false);
        // `try_with`: during thread teardown the slot may be gone; nothing to clear then.
        let _ = LAST_ERROR.try_with(|last| last.borrow_mut().clear());
    }
}

/// Records the message of a failed call.
pub(crate) fn set(message: &str) {
    let _ = LAST_ERROR.try_with(|last| {
        let mut last = last.borrow_mut();
        last.clear();
        last.push_str(message);
        HAS_ERROR.set(!last.is_empty());
    });
}

/// Copies the detailed message of the last failed call on the calling thread into `buf`.
///
/// Every function that returns a `tw_status` (except this one) first clears the calling
/// thread's message, then sets it when it fails. So right after a call returned a status other
/// than `TW_OK`, this gives that call's message; after a success it gives the empty string.
/// Messages describe what was wrong (a config line and column, an invalid byte offset) and never
/// contain secret text from redacted input.
///
/// The message is written as UTF-8 followed by a NUL. At most `cap - 1` message bytes are
/// written, cut at a character boundary, so a buffer of 256 bytes always receives a useful,
/// NUL-terminated prefix. When `len` is not NULL, `*len` receives the full message length in
/// bytes, without the NUL: allocate `*len + 1` bytes to get it whole.
///
/// `buf` may be NULL when `cap` is 0 (to ask for the length only).
///
/// Returns `TW_OK` when the whole message fit, `TW_BUFFER_TOO_SMALL` when it was cut (or `cap`
/// is 0 and the message is not empty), `TW_NULL_POINTER` when `buf` is NULL and `cap` is not 0.
/// This function never changes the stored message.
///
/// # Safety
///
/// `buf` must be NULL or point to `cap` writable bytes; `len` must be NULL or point to a
/// writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn tw_last_error_message(
    buf: *mut c_char,
    cap: usize,
    len: *mut usize,
) -> tw_status {
    // Not `boundary::call`: that would clear the very message being read.
    let copied = panic::catch_unwind(AssertUnwindSafe(|| {
        if buf.is_null() && cap != 0 {
            return tw_status::TW_NULL_POINTER;
        }
        LAST_ERROR
            .try_with(|last| {
                let last = last.borrow();
                // SAFETY: the caller guarantees `buf`/`cap` and `len` as documented.
                unsafe { copy_message(&last, buf, cap, len) }
            })
            .unwrap_or(tw_status::TW_OK)
    }));
    copied.unwrap_or(tw_status::TW_PANIC)
}

/// # Safety
/// As for `tw_last_error_message`, with `buf` non-NULL whenever `cap` is not 0.
unsafe fn copy_message(message: &str, buf: *mut c_char, cap: usize, len: *mut usize) -> tw_status {
    if !len.is_null() {
        // SAFETY: `len` is writable per the contract.
        unsafe { *len = message.len() };
    }
    if cap == 0 {
        return if message.is_empty() {
            tw_status::TW_OK
        } else {
            tw_status::TW_BUFFER_TOO_SMALL
        };
    }
    let mut end = message.len().min(cap - 1);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    // SAFETY: `buf` holds `cap > end` bytes; the message is a separate Rust allocation.
    unsafe {
        ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), end);
        *buf.add(end) = 0;
    }
    if end == message.len() {
        tw_status::TW_OK
    } else {
        tw_status::TW_BUFFER_TOO_SMALL
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn read(cap: usize) -> (tw_status, String, usize) {
        let mut buf = vec![0x7f as c_char; cap];
        let mut len = usize::MAX;
        let ptr = if cap == 0 {
            ptr::null_mut()
        } else {
            buf.as_mut_ptr()
        };
        let status = unsafe { tw_last_error_message(ptr, cap, &mut len) };
        let text = if cap == 0 {
            String::new()
        } else {
            unsafe { CStr::from_ptr(buf.as_ptr()) }
                .to_str()
                .unwrap()
                .to_owned()
        };
        (status, text, len)
    }

    #[test]
    fn whole_cut_and_length_only() {
        set("bad config: ünïcode at line 3");
        let full = "bad config: ünïcode at line 3";
        assert_eq!(read(64), (tw_status::TW_OK, full.to_owned(), full.len()));
        // 14 bytes + NUL would split 'ü' (bytes 12..14): the cut backs off to a boundary.
        assert_eq!(
            read(14),
            (
                tw_status::TW_BUFFER_TOO_SMALL,
                "bad config: ".to_owned(),
                full.len()
            )
        );
        assert_eq!(
            read(0),
            (tw_status::TW_BUFFER_TOO_SMALL, String::new(), full.len())
        );
        // Reading does not consume the message.
        assert_eq!(read(64).1, full);
        clear();
        assert_eq!(read(8), (tw_status::TW_OK, String::new(), 0));
        assert_eq!(read(0), (tw_status::TW_OK, String::new(), 0));
    }

    #[test]
    fn null_buffer_with_capacity_is_refused() {
        set("kept");
        let status = unsafe { tw_last_error_message(ptr::null_mut(), 4, ptr::null_mut()) };
        assert_eq!(status, tw_status::TW_NULL_POINTER);
        assert_eq!(read(16).1, "kept");
    }

    #[test]
    fn messages_are_per_thread() {
        set("main thread");
        std::thread::spawn(|| assert_eq!(read(16).1, ""))
            .join()
            .unwrap();
        assert_eq!(read(16).1, "main thread");
    }
}
