//! `tw_string`: a byte string owned by the library, returned by the redact functions.

use std::alloc::{self, Layout};
use std::borrow::Cow;
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
// Layout: one heap block holding this header, then (for copies of borrowed text) the bytes and
// the NUL. A clean line, the common case, costs one allocation and one copy; an output the core
// already built in a `Vec` (a redacted text) is kept as is, not copied, which matters for large
// buffers. Not `#[repr(C)]`, so cbindgen keeps the type opaque.
#[allow(non_camel_case_types)]
pub struct tw_string {
    /// The text's length, without the NUL.
    len: usize,
    /// The text and its NUL when it came as an owned vector; empty (no allocation) when the
    /// text lies inline after this header.
    spilled: Vec<u8>,
}

impl tw_string {
    /// The block for a header followed by `inline` bytes.
    fn layout(inline: usize) -> Layout {
        let size = std::mem::size_of::<tw_string>()
            .checked_add(inline)
            .expect("string length overflows the address space");
        Layout::from_size_align(size, std::mem::align_of::<tw_string>())
            .expect("string length overflows the address space")
    }

    /// Allocates a block for `header` plus `inline` bytes and writes the header.
    fn allocate(header: tw_string, inline: usize) -> *mut tw_string {
        let layout = tw_string::layout(inline);
        // SAFETY: the layout has a nonzero size (the header).
        let block = unsafe { alloc::alloc(layout) }.cast::<tw_string>();
        let Some(block) = NonNull::new(block) else {
            alloc::handle_alloc_error(layout)
        };
        // SAFETY: the block is fresh, aligned and large enough for the header.
        unsafe { block.as_ptr().write(header) };
        block.as_ptr()
    }

    /// A new string holding `text`, returned as the owning pointer: borrowed text is copied
    /// inline, owned text is kept in its vector.
    pub(crate) fn new(text: Cow<'_, [u8]>) -> *mut tw_string {
        match text {
            Cow::Borrowed(bytes) => tw_string::copy(bytes),
            Cow::Owned(mut bytes) => {
                let len = bytes.len();
                bytes.push(0);
                tw_string::allocate(
                    tw_string {
                        len,
                        spilled: bytes,
                    },
                    0,
                )
            }
        }
    }

    fn copy(bytes: &[u8]) -> *mut tw_string {
        let header = tw_string {
            len: bytes.len(),
            spilled: Vec::new(),
        };
        let s = tw_string::allocate(header, bytes.len() + 1);
        // SAFETY: the block holds `bytes.len() + 1` bytes after the header.
        unsafe {
            let data = tw_string::data(s).cast_mut();
            ptr::copy_nonoverlapping(bytes.as_ptr(), data, bytes.len());
            data.add(bytes.len()).write(0);
        }
        s
    }

    /// How many bytes follow the header in the block.
    ///
    /// # Safety
    /// `s` points to a live string made by [`tw_string::new`].
    unsafe fn inline_len(s: *const tw_string) -> usize {
        // SAFETY: the header is initialised.
        unsafe {
            if (*s).spilled.capacity() > 0 {
                0
            } else {
                (*s).len + 1
            }
        }
    }

    /// The first byte of the text. Works from the raw pointer, not `&self`: a reference to the
    /// header would not cover the inline bytes after it.
    ///
    /// # Safety
    /// `s` points to a live string made by [`tw_string::new`].
    unsafe fn data(s: *const tw_string) -> *const u8 {
        // SAFETY: the header is initialised; inline bytes start right after it.
        unsafe {
            if (*s).spilled.capacity() > 0 {
                (*s).spilled.as_ptr()
            } else {
                s.cast::<u8>().add(std::mem::size_of::<tw_string>())
            }
        }
    }

    /// Drops the header (and a spilled vector) and releases the block.
    ///
    /// # Safety
    /// `s` points to a live string made by [`tw_string::new`]; it is dangling afterwards.
    unsafe fn free(s: *mut tw_string) {
        // SAFETY: the block was allocated with this layout and is freed once.
        unsafe {
            let layout = tw_string::layout(tw_string::inline_len(s));
            ptr::drop_in_place(s);
            alloc::dealloc(s.cast(), layout);
        }
    }

    /// The text, without the NUL.
    ///
    /// # Safety
    /// `s` points to a live string made by [`tw_string::new`], not freed during `'a`.
    #[cfg(test)]
    unsafe fn bytes<'a>(s: *const tw_string) -> &'a [u8] {
        // SAFETY: `data` points to `len` initialised bytes.
        unsafe { std::slice::from_raw_parts(tw_string::data(s), (*s).len) }
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
            unsafe { tw_string::data(s) }.cast()
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
            unsafe { tw_string::free(s) };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_terminated_and_length_without_nul() {
        let s = tw_string::new(Cow::Borrowed(b"a\0b"));
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
            let copied = tw_string::new(Cow::Borrowed(&text));
            let kept = tw_string::new(Cow::Owned(text.clone()));
            for s in [copied, kept] {
                unsafe {
                    assert_eq!(tw_string_len(s), len);
                    assert_eq!(*tw_string_ptr(s).add(len), 0);
                    assert_eq!(tw_string::bytes(s), &text[..]);
                    tw_string_free(s);
                }
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
