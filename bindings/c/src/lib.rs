//! # tokenward-c
//!
//! The C API of tokenward. The header `include/tokenward.h` is generated from this crate by
//! cbindgen and committed; the `header` test fails when it is stale (regenerate with
//! `TOKENWARD_BLESS=1 cargo test -p tokenward-c --test header`).
//!
//! Conventions, which the header repeats for C readers:
//!
//! - Every name starts with `tw_`. Objects are opaque handles created by `tw_*_new*` and
//!   released by the matching `tw_*_free`, which accepts NULL.
//! - Every function that can fail returns a [`tw_status`] by value, `TW_OK` (0) on success;
//!   [`tw_status_message`] describes a code and [`tw_last_error_message`] gives the details of
//!   the calling thread's last failure. Messages never contain secret text.
//! - Inputs are (pointer, length) pairs; a zero length accepts a NULL pointer. Outputs go
//!   through out-parameters, which are set to NULL on failure.
//! - Every exported function runs inside a panic boundary: a panic in tokenward returns
//!   `TW_PANIC` instead of unwinding into C (which would abort the process).
//!
//! From Rust, this crate's functions are callable too (it is also built as an rlib), which the
//! tests use; Rust programs should use the `tokenward` crate directly.
//!
//! ```
//! use std::ptr;
//! use tokenward_c::*;
//!
//! let mut redactor = ptr::null_mut();
//! let status = unsafe { tw_redactor_new(ptr::null(), 0, &mut redactor) };
//! assert_eq!(status, tw_status::TW_OK);
//!
//! let line = b"key=AKIA7QX2M4RB5KQ3YHV6";
//! let mut out = ptr::null_mut();
//! let status = unsafe { tw_redactor_redact(redactor, line.as_ptr(), line.len(), &mut out) };
//! assert_eq!(status, tw_status::TW_OK);
//! let text = unsafe { std::ffi::CStr::from_ptr(tw_string_ptr(out)) };
//! assert_eq!(text.to_str(), Ok("key=[REDACTED:aws_access_key_id]"));
//!
//! unsafe {
//!     tw_string_free(out);
//!     tw_redactor_free(redactor);
//! }
//! ```

// Names follow the C API (`tw_redactor`, `TW_OK`), not Rust conventions.
#![allow(non_camel_case_types)]
#![warn(missing_docs)]

mod boundary;
mod error;
mod gate;
mod guard;
mod host;
mod redactor;
mod status;
mod string;
mod text;

use std::ffi::c_char;

pub use error::tw_last_error_message;
pub use gate::{
    tw_gate, tw_gate_check, tw_gate_free, tw_gate_new, tw_header, tw_http_request, tw_passage,
    tw_passage_clear, tw_passage_kind,
};
pub use guard::{
    tw_guard, tw_guard_check, tw_guard_drain_events, tw_guard_free, tw_guard_mint, tw_guard_new,
    tw_guard_quarantine, tw_guard_record_outcome, tw_guard_record_outcome_id, tw_guard_register,
    tw_guard_register_id, tw_guard_release, tw_guard_restore, tw_guard_revoke,
    tw_guard_revoke_where, tw_guard_rotate, tw_guard_snapshot, tw_guard_token_id, tw_ip, tw_reason,
    tw_reason_code, tw_request, tw_selector, tw_token_id, tw_token_meta, tw_verdict,
    tw_verdict_has_reason, TW_GRACE_DEFAULT, TW_IP_NONE, TW_IP_V4, TW_IP_V6, TW_TOKEN_ID_SIZE,
};
pub use host::TW_NOW;
pub use redactor::{
    tw_redactor, tw_redactor_free, tw_redactor_new, tw_redactor_new_with_style, tw_redactor_redact,
    tw_redactor_redact_into, tw_redactor_redact_str, tw_style, TW_STYLE_FINGERPRINT,
    TW_STYLE_LABEL, TW_STYLE_MASK, TW_STYLE_PREFIX,
};
pub use status::{tw_status, tw_status_message};
pub use string::{tw_string, tw_string_free, tw_string_len, tw_string_ptr};
pub use text::tw_str;

/// The library version, such as `"0.1.0"`: a static NUL-terminated string, never to be freed.
#[no_mangle]
pub extern "C" fn tw_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
