//! `tw_str`: a borrowed (pointer, length) text field inside the Guard's argument structs.

use std::ffi::c_char;

use crate::boundary::{self, Failure};

/// A borrowed piece of text: `len` bytes at `ptr`, no NUL needed. A field of `tw_request`,
/// `tw_token_meta` and `tw_selector`.
///
/// `len == 0` means the field is absent (the empty string is never a value), whatever `ptr`
/// is, so a zero-initialised struct (`tw_request req = {0};`) has every field absent. Unless a
/// field says otherwise the text must be UTF-8 (else `TW_INVALID_UTF8`, naming the field).
/// tokenward reads it during the call only and keeps no pointer to it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_str {
    /// The first byte; may be NULL when `len` is 0.
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

impl tw_str {
    /// The bytes, or `None` when the field is absent.
    ///
    /// # Safety
    /// When `len > 0` and `ptr` is not NULL, `ptr` must point to `len` readable bytes that stay
    /// unchanged for `'a`.
    #[inline]
    pub(crate) unsafe fn bytes<'a>(&self, what: &str) -> Result<Option<&'a [u8]>, Failure> {
        if self.len == 0 {
            return Ok(None);
        }
        // SAFETY: the caller's contract.
        unsafe { boundary::bytes(self.ptr.cast(), self.len, what) }.map(Some)
    }

    /// The UTF-8 text, or `None` when the field is absent.
    ///
    /// # Safety
    /// As [`tw_str::bytes`].
    #[inline(always)]
    pub(crate) unsafe fn text<'a>(&self, what: &str) -> Result<Option<&'a str>, Failure> {
        if self.len == 0 {
            return Ok(None);
        }
        // The common case inline (this runs for every field of every `tw_guard_check`): a
        // present field of ASCII text. Anything else takes the general path, out of line.
        if !self.ptr.is_null() && self.len <= isize::MAX as usize {
            // SAFETY: non-NULL, length in range; validity is the caller's contract.
            let bytes = unsafe { std::slice::from_raw_parts(self.ptr.cast::<u8>(), self.len) };
            if is_ascii(bytes) {
                // SAFETY: ASCII is UTF-8.
                return Ok(Some(unsafe { std::str::from_utf8_unchecked(bytes) }));
            }
        }
        // SAFETY: the caller's contract.
        unsafe { self.text_general(what) }
    }

    /// [`tw_str::text`] for any input: NULL pointers, lengths out of range, non-ASCII UTF-8
    /// and invalid UTF-8, each with its error.
    ///
    /// # Safety
    /// As [`tw_str::bytes`].
    #[cold]
    #[inline(never)]
    unsafe fn text_general<'a>(&self, what: &str) -> Result<Option<&'a str>, Failure> {
        // SAFETY: the caller's contract.
        match unsafe { self.bytes(what) }? {
            None => Ok(None),
            Some(bytes) => utf8(bytes, what).map(Some),
        }
    }
}

/// Whether `bytes` is ASCII. Request fields are mostly short: up to 16 bytes, two overlapping
/// loads answer without a loop, where `<[u8]>::is_ascii` takes a word loop and a byte tail
/// (for the fields of one `tw_guard_check`, about 100 instructions of its 2,500: callgrind,
/// `benches/c_guard_check.sh`).
#[inline(always)]
pub(crate) fn is_ascii(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let word = |at: usize| u64::from_ne_bytes(bytes[at..at + 8].try_into().unwrap_or([0x80; 8]));
    let half = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap_or([0x80; 4]));
    match n {
        8..=16 => (word(0) | word(n - 8)) & 0x8080_8080_8080_8080 == 0,
        4..=7 => (half(0) | half(n - 4)) & 0x8080_8080 == 0,
        1..=3 => (bytes[0] | bytes[n / 2] | bytes[n - 1]) < 0x80,
        0 => true,
        _ => bytes.is_ascii(),
    }
}

/// `bytes` as UTF-8 text. The fields of a request are short and almost always ASCII, which
/// `is_ascii` confirms several times faster than the general validation (callgrind,
/// `benches/c_guard_check.sh`): this is on the path of every `tw_guard_check`.
#[inline]
pub(crate) fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, Failure> {
    if is_ascii(bytes) {
        // SAFETY: ASCII is UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).map_err(|e| Failure::utf8(what, e))
}

/// Borrows `len` bytes of required UTF-8 text at `ptr` (an argument, not a struct field).
///
/// # Safety
/// As [`boundary::bytes`].
pub(crate) unsafe fn required_text<'a>(
    ptr: *const c_char,
    len: usize,
    what: &str,
) -> Result<&'a str, Failure> {
    if ptr.is_null() {
        return Err(Failure::null(what));
    }
    // SAFETY: the caller's contract.
    let bytes = unsafe { boundary::bytes(ptr.cast(), len, what) }?;
    utf8(bytes, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::tw_status;

    fn field(text: &[u8]) -> tw_str {
        tw_str {
            ptr: text.as_ptr().cast(),
            len: text.len(),
        }
    }

    #[test]
    fn absent_present_and_invalid() {
        let absent = tw_str {
            ptr: std::ptr::null(),
            len: 0,
        };
        assert_eq!(unsafe { absent.text("request.country") }.unwrap(), None);
        assert_eq!(
            unsafe { field(b"DE").text("request.country") }.unwrap(),
            Some("DE")
        );
        assert_eq!(
            unsafe { field("Zürich".as_bytes()).text("request.subject") }.unwrap(),
            Some("Zürich")
        );
        let err = unsafe { field(b"D\xff").text("request.country") }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_INVALID_UTF8);
        assert_eq!(
            err.message,
            "request.country is not valid UTF-8: invalid byte sequence at offset 1"
        );
        let dangling = tw_str {
            ptr: std::ptr::null(),
            len: 2,
        };
        let err = unsafe { dangling.bytes("request.token") }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_NULL_POINTER);
    }

    #[test]
    fn is_ascii_agrees_with_std_at_every_length_and_position() {
        for len in 0..40 {
            let ascii = vec![b'a'; len];
            assert!(is_ascii(&ascii), "{len}");
            for at in 0..len {
                let mut high = ascii.clone();
                high[at] = 0x80;
                assert!(!is_ascii(&high), "len {len}, high byte at {at}");
                high[at] = 0xff;
                assert!(!is_ascii(&high), "len {len}, 0xff at {at}");
            }
        }
    }

    #[test]
    fn required_text_refuses_null_even_when_empty() {
        let err = unsafe { required_text(std::ptr::null(), 0, "id") }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_NULL_POINTER);
        assert_eq!(unsafe { required_text(c"".as_ptr(), 0, "id") }.unwrap(), "");
    }
}
