//! `tw_string`: a byte string owned by the library, returned by the redact functions.

use std::alloc::{self, Layout};
use std::ffi::c_char;
use std::ptr::{self, NonNull};

use crate::boundary;

/// A byte string owned by tokenward, such as the output of `tw_redactor_redact`.
///
/// Read it with `tw_string_ptr` and `tw_string_len`; release it with `tw_string_free`, exactly
/// once. The bytes are followed by a NUL, so `tw_string_ptr` can be passed to `printf("%s")`
/// and friends; but the text itself may contain NUL bytes when the input did, so use
/// `tw_string_len` for the length. A `tw_string` is immutable: it may be read from several
/// threads at once and freed from any thread.
//
// Layout: one heap block holding this header, then the bytes, then the NUL. One allocation per
// string (not a boxed `Vec`, which takes two) matters when a logger redacts every line.
// Not `#[repr(C)]`, so cbindgen keeps the type opaque; the header's size and alignment are
// those of its one `usize`.
#[allow(non_camel_case_types)]
pub struct tw_string {
    /// The number of bytes that follow this header in the block (before the NUL).
    len: usize,
}

impl tw_string {
    fn layout(len: usize) -> Layout {
        let size = std::mem::size_of::<tw_string>()
            .checked_add(len)
            .and_then(|n| n.checked_add(1))
            .expect("string length overflows the address space");
        Layout::from_size_align(size, std::mem::align_of::<tw_string>())
            .expect("string length overflows the address space")
    }

    /// Copies `bytes` into a new string and returns the owning pointer.
    pub(crate) fn new(bytes: &[u8]) -> *mut tw_string {
        let layout = tw_string::layout(bytes.len());
        // SAFETY: the layout has a nonzero size (the header).
        let block = unsafe { alloc::alloc(layout) }.cast::<tw_string>();
        let Some(block) = NonNull::new(block) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: the block holds the header, `bytes.len()` bytes and the NUL.
        unsafe {
            ptr::addr_of_mut!((*block.as_ptr()).len).write(bytes.len());
            let data = tw_string::data(block.as_ptr());
            ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
            data.add(bytes.len()).write(0);
        }
        block.as_ptr()
    }

    /// The first byte after the header.
    ///
    /// # Safety
    /// `s` points to a live block made by [`tw_string::new`].
    unsafe fn data(s: *mut tw_string) -> *mut u8 {
        // SAFETY: the bytes start right after the header, inside the block.
        unsafe { s.cast::<u8>().add(std::mem::size_of::<tw_string>()) }
    }

    /// The text, without the NUL. Takes the raw pointer, not `&self`: a reference to the
    /// header would not cover the bytes after it.
    ///
    /// # Safety
    /// `s` points to a live block made by [`tw_string::new`], not freed during `'a`.
    #[cfg(test)]
    unsafe fn bytes<'a>(s: *const tw_string) -> &'a [u8] {
        // SAFETY: the block holds `len` bytes after the header.
        unsafe { std::slice::from_raw_parts(tw_string::data(s.cast_mut()), (*s).len) }
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
    boundary::value(ptr::null(), || {
        // SAFETY: the caller's contract.
        if s.is_null() {
            ptr::null()
        } else {
            // SAFETY: a live string, per the caller's contract.
            unsafe { tw_string::data(s.cast_mut()) }.cast_const().cast()
        }
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
        unsafe { s.as_ref() }.map_or(0, |s| s.len)
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
            // SAFETY: `s` came from `tw_string::new` and is freed once (the caller's contract).
            unsafe { alloc::dealloc(s.cast(), tw_string::layout((*s).len)) };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_terminated_and_length_without_nul() {
        let s = tw_string::new(b"a\0b");
        unsafe {
            assert_eq!(tw_string_len(s), 3);
            let bytes = std::slice::from_raw_parts(tw_string_ptr(s).cast::<u8>(), 4);
            assert_eq!(bytes, b"a\0b\0");
            tw_string_free(s);
        }
    }

    #[test]
    fn empty_and_large() {
        for len in [0, 1, 7, 8, 1 << 20] {
            let text = vec![b'x'; len];
            let s = tw_string::new(&text);
            unsafe {
                assert_eq!(tw_string_len(s), len);
                assert_eq!(*tw_string_ptr(s).add(len), 0);
                assert_eq!(tw_string::bytes(s), &text[..]);
                tw_string_free(s);
            }
        }
    }

    #[test]
    fn null_is_harmless() {
        unsafe {
            assert!(tw_string_ptr(ptr::null()).is_null());
            assert_eq!(tw_string_len(ptr::null()), 0);
            tw_string_free(ptr::null_mut());
        }
    }
}
