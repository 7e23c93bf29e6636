//! `tw_redactor`: a compiled rule set that redacts secrets from text.

use std::borrow::Cow;
use std::ffi::c_char;

use tokenward::{Config, Redactor, Style};

use crate::boundary::{self, Failure};
use crate::status::tw_status;
use crate::string::tw_string;

/// An output style for `tw_redactor_new_with_style`: one of the `TW_STYLE_*` constants.
#[allow(non_camel_case_types)]
pub type tw_style = u32;

/// `[REDACTED:<rule>]`, for example `[REDACTED:github_classic_token]` (the default).
pub const TW_STYLE_LABEL: tw_style = 0;
/// `********` in place of the whole credential.
pub const TW_STYLE_MASK: tw_style = 1;
/// Keeps the public prefix of formats that have one: `ghp_********`.
pub const TW_STYLE_PREFIX: tw_style = 2;
/// `[REDACTED:<rule>:<8 hex>]`: a keyed fingerprint, so occurrences of one credential can be
/// correlated without revealing it. Needs a fingerprint key.
pub const TW_STYLE_FINGERPRINT: tw_style = 3;

/// A compiled, immutable set of redaction rules: the built-in catalogue of credential formats
/// plus whatever a configuration adds, disables or allows.
///
/// Create one with `tw_redactor_new` or `tw_redactor_new_with_style`, release it with
/// `tw_redactor_free`. Compiling is the expensive step: create a redactor once and reuse it.
///
/// Thread safety: a `tw_redactor` is immutable. Any number of threads may call the
/// `tw_redactor_redact*` functions on the same redactor at the same time without locking;
/// only `tw_redactor_free` must not race with other uses.
#[allow(non_camel_case_types)]
pub struct tw_redactor {
    redactor: Redactor,
}

/// Creates a redactor from a configuration document.
///
/// `config` points to `config_len` bytes of UTF-8 configuration: JSON when it starts with `{`,
/// TOML otherwise (keys `style`, `builtins`, `disable`, `allow`, `allow_patterns`, `rules`; see
/// the tokenward documentation). `config` may be NULL when `config_len` is 0: the built-in
/// catalogue with the label style. The document is not kept after the call.
///
/// On success `*out` receives a new redactor, owned by the caller and released with
/// `tw_redactor_free`. On failure `*out` is set to NULL (when `out` is not NULL) and the status
/// says why: `TW_NULL_POINTER` (`out` NULL, or `config` NULL with a nonzero length),
/// `TW_INVALID_UTF8`, `TW_CONFIG` (syntax, unknown key, bad value), `TW_RULE` (a rule's pattern
/// does not compile, a duplicate or unknown rule id, a bad allow pattern). The thread's
/// `tw_last_error_message` then names the line, column or rule.
///
/// # Safety
///
/// `config` must be NULL or point to `config_len` readable bytes; `out` must be NULL or point
/// to a writable `tw_redactor *`.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_new(
    config: *const c_char,
    config_len: usize,
    out: *mut *mut tw_redactor,
) -> tw_status {
    boundary::call("tw_redactor_new", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let config = unsafe { parse_config(config, config_len) }?;
        let redactor = Redactor::builder().config(config).build()?;
        *out = into_handle(redactor);
        Ok(())
    })
}

/// Creates a redactor from a configuration document and an explicit output style.
///
/// As `tw_redactor_new`, except that `style` (a `TW_STYLE_*` constant) wins over any `style`
/// key in the configuration, and a fingerprint key can be given. `fingerprint_key` points to
/// `fingerprint_key_len` bytes of key material of any length (keep it secret: it makes the
/// fingerprints unguessable); it may be NULL when `fingerprint_key_len` is 0, and is required
/// for `TW_STYLE_FINGERPRINT` (`TW_CONFIG` without it). The key is not kept after the call
/// (only a key derived from it). An unknown `style` gives `TW_INVALID_ARGUMENT`.
///
/// # Safety
///
/// As `tw_redactor_new`; `fingerprint_key` must be NULL or point to `fingerprint_key_len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_new_with_style(
    config: *const c_char,
    config_len: usize,
    style: tw_style,
    fingerprint_key: *const u8,
    fingerprint_key_len: usize,
    out: *mut *mut tw_redactor,
) -> tw_status {
    boundary::call("tw_redactor_new_with_style", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let config = unsafe { parse_config(config, config_len) }?;
        let key =
            unsafe { boundary::bytes(fingerprint_key, fingerprint_key_len, "fingerprint_key") }?;
        let mut builder = Redactor::builder().config(config).style(style_from(style)?);
        if !key.is_empty() {
            builder = builder.fingerprint_key(key);
        }
        *out = into_handle(builder.build()?);
        Ok(())
    })
}

/// Redacts the secrets in `input_len` bytes at `input`, which need not be UTF-8, into a new
/// library-owned string.
///
/// Bytes outside redacted credentials pass through unchanged, invalid UTF-8 included, so this
/// is the function for raw log buffers. `input` may be NULL when `input_len` is 0 (the empty
/// input, giving an empty string). The input is not retained.
///
/// On success `*out` receives a `tw_string` owned by the caller, to release with
/// `tw_string_free`; it is a fresh copy even when nothing was redacted. On failure `*out` is set
/// to NULL (when `out` is not NULL): `TW_NULL_POINTER` when `redactor` or `out` is NULL or
/// `input` is NULL with a nonzero length.
///
/// Safe to call from many threads at once on one redactor.
///
/// # Safety
///
/// `redactor` must be NULL or a live redactor; `input` must be NULL or point to `input_len`
/// readable bytes not modified during the call; `out` must be NULL or point to a writable
/// `tw_string *`.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_redact(
    redactor: *const tw_redactor,
    input: *const u8,
    input_len: usize,
    out: *mut *mut tw_string,
) -> tw_status {
    boundary::call("tw_redactor_redact", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let redactor = unsafe { boundary::object(redactor, "redactor") }?;
        let input = unsafe { boundary::bytes(input, input_len, "input") }?;
        *out = tw_string::new(redactor.redactor.redact_bytes(input));
        Ok(())
    })
}

/// As `tw_redactor_redact`, but the input must be UTF-8: otherwise the call fails with
/// `TW_INVALID_UTF8` (the last error message gives the offset of the first invalid byte, never
/// the bytes) and `*out` is NULL. The output is then UTF-8 too.
///
/// # Safety
///
/// As `tw_redactor_redact`.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_redact_str(
    redactor: *const tw_redactor,
    input: *const c_char,
    input_len: usize,
    out: *mut *mut tw_string,
) -> tw_status {
    boundary::call("tw_redactor_redact_str", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let redactor = unsafe { boundary::object(redactor, "redactor") }?;
        let input = unsafe { boundary::bytes(input.cast(), input_len, "input") }?;
        let text = std::str::from_utf8(input).map_err(|e| Failure::utf8("input", e))?;
        *out = tw_string::new(match redactor.redactor.redact(text) {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        });
        Ok(())
    })
}

/// Redacts `input_len` bytes at `input` (need not be UTF-8, as `tw_redactor_redact`) into a
/// caller-owned buffer of `buf_cap` bytes, with no allocation handed to the caller.
///
/// On `TW_OK`, `*written` holds the output length and `buf` its bytes; no NUL is appended.
/// When the output does not fit, nothing is written to `buf`, `*written` holds the length
/// needed and the status is `TW_BUFFER_TOO_SMALL`: call again with a buffer of that size.
/// The output can be longer than the input (a short password becomes a longer label), so size
/// `buf` with some headroom.
///
/// `buf` may be NULL when `buf_cap` is 0 (to ask for the length). `buf` may be the same memory
/// as `input`: redacting in place is allowed. `written` must not be NULL.
///
/// # Safety
///
/// As `tw_redactor_redact` for `redactor` and `input`; `buf` must be NULL or point to `buf_cap`
/// writable bytes; `written` must be NULL or point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_redact_into(
    redactor: *const tw_redactor,
    input: *const u8,
    input_len: usize,
    buf: *mut u8,
    buf_cap: usize,
    written: *mut usize,
) -> tw_status {
    boundary::call("tw_redactor_redact_into", || {
        // SAFETY: the caller's contract, as documented above.
        let written = unsafe { written.as_mut() }.ok_or_else(|| Failure::null("written"))?;
        *written = 0;
        let redactor = unsafe { boundary::object(redactor, "redactor") }?;
        if buf.is_null() && buf_cap != 0 {
            return Err(Failure::new(
                tw_status::TW_NULL_POINTER,
                format!("buf is NULL but buf_cap is {buf_cap}"),
            ));
        }
        let text = unsafe { boundary::bytes(input, input_len, "input") }?;
        let redacted = redactor.redactor.redact_bytes(text);
        *written = redacted.len();
        if redacted.len() > buf_cap {
            return Err(Failure::new(
                tw_status::TW_BUFFER_TOO_SMALL,
                format!(
                    "the output needs {} bytes but the buffer holds {buf_cap}",
                    redacted.len()
                ),
            ));
        }
        // Copy from the raw input pointer when nothing changed, so a `buf` that aliases `input`
        // is never written while a Rust reference into it is still in use.
        let source = match &redacted {
            Cow::Borrowed(_) => input,
            Cow::Owned(bytes) => bytes.as_ptr(),
        };
        if !redacted.is_empty() {
            // SAFETY: `source` holds `*written` bytes, `buf` at least as many; `copy` allows
            // overlap (in-place use).
            unsafe { std::ptr::copy(source, buf, redacted.len()) };
        }
        Ok(())
    })
}

/// Releases a redactor. `redactor` may be NULL (nothing happens).
///
/// # Safety
///
/// `redactor` must be NULL or a redactor from `tw_redactor_new*` that was not freed yet, and
/// no other thread may be using it; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tw_redactor_free(redactor: *mut tw_redactor) {
    boundary::value((), || {
        if !redactor.is_null() {
            // SAFETY: the pointer came from `Box::into_raw` in `into_handle`; freed once.
            drop(unsafe { Box::from_raw(redactor) });
        }
    })
}

/// # Safety
/// `config` must be NULL or point to `config_len` readable bytes.
unsafe fn parse_config(config: *const c_char, config_len: usize) -> Result<Config, Failure> {
    // SAFETY: the caller's contract.
    let bytes = unsafe { boundary::bytes(config.cast(), config_len, "config") }?;
    let text = std::str::from_utf8(bytes).map_err(|e| Failure::utf8("config", e))?;
    Ok(Config::parse(text)?)
}

fn style_from(style: tw_style) -> Result<Style, Failure> {
    match style {
        TW_STYLE_LABEL => Ok(Style::Label),
        TW_STYLE_MASK => Ok(Style::Mask),
        TW_STYLE_PREFIX => Ok(Style::Prefix),
        TW_STYLE_FINGERPRINT => Ok(Style::Fingerprint),
        other => Err(Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            format!("unknown style {other} (expected a TW_STYLE_* constant, 0 to 3)"),
        )),
    }
}

fn into_handle(redactor: Redactor) -> *mut tw_redactor {
    Box::into_raw(Box::new(tw_redactor { redactor }))
}
