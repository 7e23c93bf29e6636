//! `tw_string`: a byte string owned by the library, returned by the redact functions.

use std::ffi::c_char;

use crate::boundary;

/// A byte string owned by tokenward, such as the output of `tw_redactor_redact`.
///
/// Read it with `tw_string_ptr` and `tw_string_len`; release it with `tw_string_free`, exactly
/// once. The bytes are followed by a NUL, so `tw_string_ptr` can be passed to `printf("%s")`
/// and friends; but the text itself may contain NUL bytes when the input did, so use
/// `tw_string_len` for the length. A `tw_string` is immutable: it may be read from several
/// threads at once and freed from any thread.
#[allow(non_camel_case_types)]
pub struct tw_string {
    /// The text followed by one NUL byte.
    bytes_with_nul: Vec<u8>,
}

impl tw_string {
    /// Takes ownership of `bytes` and appends the NUL.
    pub(crate) fn new(mut bytes: Vec<u8>) -> tw_string {
        bytes.push(0);
        tw_string {
            bytes_with_nul: bytes,
        }
    }

    /// Copies `bytes`, with room for the NUL so no second allocation happens.
    pub(crate) fn copy(bytes: &[u8]) -> tw_string {
        let mut owned = Vec::with_capacity(bytes.len() + 1);
        owned.extend_from_slice(bytes);
        tw_string::new(owned)
    }

    /// The text, without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes_with_nul[..self.bytes_with_nul.len() - 1]
    }
}

/// The first byte of the string, followed by `tw_string_len(s)` more bytes and a NUL.
///
/// Returns NULL when `s` is NULL. The pointer stays valid until `tw_string_free(s)`.
///
/// # Safety
///
/// `s` must be NULL or a live `tw_string` from this library.
#[no_mangle]
pub unsafe extern "C" fn tw_string_ptr(s: *const tw_string) -> *const c_char {
    boundary::value(std::ptr::null(), || {
        // SAFETY: the caller's contract.
        unsafe { s.as_ref() }.map_or(std::ptr::null(), |s| s.bytes_with_nul.as_ptr().cast())
    })
}

/// The length of the string in bytes, not counting the terminating NUL. Returns 0 when `s` is
/// NULL.
///
/// # Safety
///
/// `s` must be NULL or a live `tw_string` from this library.
#[no_mangle]
pub unsafe extern "C" fn tw_string_len(s: *const tw_string) -> usize {
    boundary::value(0, || {
        // SAFETY: the caller's contract.
        unsafe { s.as_ref() }.map_or(0, |s| s.as_bytes().len())
    })
}

/// Releases a string returned by this library. `s` may be NULL (nothing happens).
///
/// # Safety
///
/// `s` must be NULL or a `tw_string` from this library that was not freed yet; it must not be
/// used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tw_string_free(s: *mut tw_string) {
    boundary::value((), || {
        if !s.is_null() {
            // SAFETY: `s` came from `Box::into_raw` in this library and is freed once.
            drop(unsafe { Box::from_raw(s) });
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_terminated_and_length_without_nul() {
        let s = Box::into_raw(Box::new(tw_string::copy(b"a\0b")));
        unsafe {
            assert_eq!(tw_string_len(s), 3);
            let bytes = std::slice::from_raw_parts(tw_string_ptr(s).cast::<u8>(), 4);
            assert_eq!(bytes, b"a\0b\0");
            tw_string_free(s);
        }
    }

    #[test]
    fn null_is_harmless() {
        unsafe {
            assert!(tw_string_ptr(std::ptr::null()).is_null());
            assert_eq!(tw_string_len(std::ptr::null()), 0);
            tw_string_free(std::ptr::null_mut());
        }
    }
}
