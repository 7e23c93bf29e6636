//! The C API (`tokenward-c`) called with arbitrary bytes, lengths, styles, buffer sizes and
//! NULL pointers, as a C caller could.
//!
//! Input: a flags byte, a style (four bytes, any `u32`), a buffer capacity (two bytes), the
//! config up to a 0xFF byte, the fingerprint key up to a 0xFF byte, then the text. Checks:
//! no call returns `TW_PANIC`; every failure sets its out-pointer to NULL and leaves a
//! NUL-terminated, UTF-8 last-error message that `tw_last_error_message` reports with its
//! length at any capacity; the redact functions agree with the core's `redact_bytes`;
//! `tw_redactor_redact_into` writes nothing past `buf_cap`, in place or not.
#![no_main]

use std::ffi::{c_char, CStr};
use std::ptr;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenward::Redactor;
use tokenward_c::*;
use tokenward_fuzz::Bytes;

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

/// A default redactor handle, made once: building the catalogue per input would be most of the
/// work. Held as an address because raw pointers are not `Sync`.
fn default_handle() -> *const tw_redactor {
    static HANDLE: OnceLock<usize> = OnceLock::new();
    *HANDLE.get_or_init(|| {
        let mut out = ptr::null_mut();
        let status = unsafe { tw_redactor_new(ptr::null(), 0, &mut out) };
        assert_eq!(status, tw_status::TW_OK);
        out as usize
    }) as *const tw_redactor
}

fn core_redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(Redactor::new)
}

/// The last error message, read whole and at a small capacity, checked for form.
fn last_error(cap: usize) -> String {
    let mut len = usize::MAX;
    let status = unsafe { tw_last_error_message(ptr::null_mut(), 0, &mut len) };
    assert_ne!(status, tw_status::TW_PANIC);
    let mut buf = vec![0x7f as c_char; len + 1];
    let status = unsafe { tw_last_error_message(buf.as_mut_ptr(), buf.len(), ptr::null_mut()) };
    assert_eq!(
        status,
        tw_status::TW_OK,
        "a buffer of len + 1 holds the message"
    );
    let whole = unsafe { CStr::from_ptr(buf.as_ptr()) };
    assert_eq!(whole.to_bytes().len(), len, "reported length differs");
    let whole = whole.to_str().expect("messages are UTF-8").to_owned();
    if cap > 0 {
        let mut small = vec![0x7f as c_char; cap + 8];
        let status = unsafe { tw_last_error_message(small.as_mut_ptr(), cap, ptr::null_mut()) };
        assert!(small[cap..].iter().all(|&b| b == 0x7f), "wrote past cap");
        let cut = unsafe { CStr::from_ptr(small.as_ptr()) }
            .to_str()
            .expect("cut at a boundary");
        assert!(whole.starts_with(cut) && cut.len() < cap);
        let fits = len < cap;
        assert_eq!(status == tw_status::TW_OK, fits);
    }
    whole
}

fn checked(status: tw_status, cap: usize) {
    assert_ne!(
        status,
        tw_status::TW_PANIC,
        "a call panicked: {}",
        last_error(0)
    );
    let message = last_error(cap);
    assert_eq!(
        message.is_empty(),
        status == tw_status::TW_OK,
        "message and status disagree"
    );
}

/// Reads and frees a `tw_string`, checking its NUL.
fn take_string(s: *mut tw_string) -> Vec<u8> {
    assert!(!s.is_null());
    let len = unsafe { tw_string_len(s) };
    let data = unsafe { tw_string_ptr(s) }.cast::<u8>();
    let bytes = unsafe { std::slice::from_raw_parts(data, len + 1) }.to_vec();
    unsafe { tw_string_free(s) };
    assert_eq!(bytes[len], 0, "tw_string not NUL-terminated");
    bytes[..len].to_vec()
}

/// Creates a redactor from a config, or NULL; checks the failure contract.
fn create(flags: u8, config: &[u8], style: u32, key: &[u8], cap: usize) -> *mut tw_redactor {
    let mut out = ptr::dangling_mut::<tw_redactor>(); // not NULL: a failure must reset it
                                              // Compiling the catalogue costs milliseconds: mostly leave it out (a TOML prefix), so the
                                              // fuzzer's time goes to the API rather than to regex compilation.
    let lean;
    let config = if flags & 0x30 == 0x30 || config.first() == Some(&b'{') {
        config
    } else {
        lean = [b"builtins = false\n", config].concat();
        &lean[..]
    };
    let (config_ptr, config_len) = match flags & 3 {
        0 if flags & 0x30 == 0x30 => (ptr::null(), 0),
        0 => (b"builtins = false".as_ptr().cast(), 16),
        1 => (ptr::null(), config.len().max(1)), // NULL with a length: refused
        _ => (config.as_ptr().cast::<c_char>(), config.len()),
    };
    let status = if flags & 4 == 0 {
        unsafe { tw_redactor_new(config_ptr, config_len, &mut out) }
    } else {
        unsafe {
            tw_redactor_new_with_style(
                config_ptr,
                config_len,
                style,
                key.as_ptr(),
                key.len(),
                &mut out,
            )
        }
    };
    checked(status, cap);
    if status != tw_status::TW_OK {
        assert!(out.is_null(), "a failed new left *out set");
    }
    if flags & 3 == 1 {
        assert_eq!(status, tw_status::TW_NULL_POINTER);
    }
    out
}

fn redact_checks(redactor: *const tw_redactor, text: &[u8], cap: usize, expect: Option<&[u8]>) {
    let mut out = ptr::dangling_mut::<tw_string>();
    let status = unsafe { tw_redactor_redact(redactor, text.as_ptr(), text.len(), &mut out) };
    checked(status, cap);
    assert_eq!(status, tw_status::TW_OK);
    let redacted = take_string(out);
    if let Some(expect) = expect {
        assert_eq!(redacted, expect, "C and core outputs differ");
    }

    let mut out = ptr::dangling_mut::<tw_string>();
    let status =
        unsafe { tw_redactor_redact_str(redactor, text.as_ptr().cast(), text.len(), &mut out) };
    checked(status, cap);
    if std::str::from_utf8(text).is_ok() {
        assert_eq!(status, tw_status::TW_OK);
        assert_eq!(take_string(out), redacted, "redact_str and redact differ");
    } else {
        assert_eq!(status, tw_status::TW_INVALID_UTF8);
        assert!(out.is_null());
    }

    // Into a caller buffer of `cap` bytes with a guard zone after it.
    let mut buf = vec![0xAAu8; cap + 16];
    let mut written = usize::MAX;
    let status = unsafe {
        tw_redactor_redact_into(
            redactor,
            text.as_ptr(),
            text.len(),
            buf.as_mut_ptr(),
            cap,
            &mut written,
        )
    };
    checked(status, cap);
    assert_eq!(written, redacted.len(), "written is not the output length");
    assert!(buf[cap..].iter().all(|&b| b == 0xAA), "wrote past buf_cap");
    if cap >= redacted.len() {
        assert_eq!(status, tw_status::TW_OK);
        assert_eq!(&buf[..written], &redacted[..]);
    } else {
        assert_eq!(status, tw_status::TW_BUFFER_TOO_SMALL);
    }

    // In place: the buffer is the input.
    let mut inplace = text.to_vec();
    inplace.resize(text.len().max(redacted.len()), 0);
    let mut written = 0;
    let status = unsafe {
        tw_redactor_redact_into(
            redactor,
            inplace.as_ptr(),
            text.len(),
            inplace.as_mut_ptr(),
            inplace.len(),
            &mut written,
        )
    };
    checked(status, cap);
    assert_eq!(status, tw_status::TW_OK);
    assert_eq!(
        &inplace[..written],
        &redacted[..],
        "in-place output differs"
    );
}

fn null_checks(redactor: *const tw_redactor, text: &[u8]) {
    let mut out = ptr::null_mut();
    let null = tw_status::TW_NULL_POINTER;
    assert_eq!(
        unsafe { tw_redactor_redact(ptr::null(), text.as_ptr(), text.len(), &mut out) },
        null
    );
    assert_eq!(
        unsafe { tw_redactor_redact(redactor, text.as_ptr(), text.len(), ptr::null_mut()) },
        null
    );
    let status = unsafe { tw_redactor_redact(redactor, ptr::null(), text.len(), &mut out) };
    assert_eq!(
        status,
        if text.is_empty() {
            tw_status::TW_OK
        } else {
            null
        }
    );
    if status == tw_status::TW_OK {
        assert!(take_string(out).is_empty());
    }
    // A length above PTRDIFF_MAX is refused before the pointer is read.
    let huge = usize::MAX - text.len();
    let status = unsafe { tw_redactor_redact(redactor, text.as_ptr(), huge, &mut out) };
    assert_eq!(status, tw_status::TW_INVALID_ARGUMENT);
    let mut written = 0;
    let status = unsafe {
        tw_redactor_redact_into(
            redactor,
            text.as_ptr(),
            text.len(),
            ptr::null_mut(),
            1 + text.len(),
            &mut written,
        )
    };
    assert_eq!(status, null);
    let status = unsafe {
        tw_redactor_redact_into(
            redactor,
            text.as_ptr(),
            text.len(),
            ptr::null_mut(),
            0,
            ptr::null_mut(),
        )
    };
    assert_eq!(status, null);
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let flags = input.byte();
    let style = u32::from_le_bytes([input.byte(), input.byte(), input.byte(), input.byte()]);
    let cap = usize::from(input.u16() % 1024);
    let config = input.part();
    let key = input.part();
    let text = input.rest();

    let code = i32::from_le_bytes([flags, style as u8, cap as u8, 0]).wrapping_sub(64);
    let message = unsafe { CStr::from_ptr(tw_status_message(code)) };
    assert!(!message.to_bytes().is_empty());

    let made = if flags & 8 != 0 {
        create(flags, config, style, key, cap)
    } else {
        ptr::null_mut()
    };
    if made.is_null() {
        let expect = core_redactor().redact_bytes(text);
        redact_checks(default_handle(), text, cap, Some(&expect));
        null_checks(default_handle(), text);
    } else {
        redact_checks(made, text, cap, None);
        unsafe { tw_redactor_free(made) };
    }
    unsafe { tw_redactor_free(ptr::null_mut()) };
    unsafe { tw_string_free(ptr::null_mut()) };
});
