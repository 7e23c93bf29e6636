//! `tw_guard`: a registry of tokens with context policies, lifecycle, usage anomalies and
//! hash-chained audit events, wrapping the core's `Guard`.
//!
//! Each function converts its arguments (`meta`, `check`), calls the core, and writes the
//! results to out-parameters; core errors become statuses through the core's one error table.
//! The binding supplies what the core leaves to its host (`host`): the clock when `now_ms` is
//! `TW_NOW`, and the 32 random bytes of each minted token.

mod check;
mod lifecycle;
mod meta;
mod request;

use std::borrow::Cow;
use std::ffi::c_char;

use tokenward::{Guard, GuardConfig, TokenKey};

use crate::boundary::{self, Failure};
use crate::host;
use crate::status::tw_status;
use crate::string::tw_string;

pub use check::{
    tw_guard_check, tw_guard_record_outcome, tw_guard_record_outcome_id, tw_reason, tw_reason_code,
    tw_verdict, tw_verdict_has_reason,
};
pub use lifecycle::{
    tw_guard_quarantine, tw_guard_release, tw_guard_revoke, tw_guard_revoke_where, tw_guard_rotate,
    TW_GRACE_DEFAULT,
};
pub use meta::{tw_selector, tw_token_id, tw_token_meta, TW_TOKEN_ID_SIZE};
pub use request::{tw_ip, tw_request, TW_IP_NONE, TW_IP_V4, TW_IP_V6};

/// A Guard: the tokens it knows (by keyed fingerprint; raw tokens are never stored), their
/// policies and lifecycle, usage statistics and anomaly detectors, and a queue of audit
/// events.
///
/// Create one with `tw_guard_new`, release it with `tw_guard_free`.
///
/// Thread safety: every `tw_guard_*` function except `tw_guard_free` may be called on the same
/// Guard from any number of threads at once, without locking (the Guard locks internally, per
/// shard of tokens). Only `tw_guard_free` must not race with other uses.
pub struct tw_guard {
    guard: Guard,
}

impl tw_guard {
    /// The core's Guard, for the other C type families (`tw_gate`).
    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }
}

/// Creates a Guard from a configuration document and a fingerprint key.
///
/// `config` points to `config_len` bytes of UTF-8: JSON when it starts with `{`, TOML
/// otherwise, with the keys `token_prefix`, `event_capacity`, `[policies.<name>]`, `[usage]`
/// and `[[respond]]` (see the tokenward documentation). `config` may be NULL when
/// `config_len` is 0: the default config (prefix `tw_`, no policies, no usage tracking).
///
/// `key` points to `key_len` bytes of secret key material of any length (at least one byte):
/// token ids are keyed fingerprints under it, so keep it secret and the same across restarts
/// (snapshots and ids only match under the same key). Neither argument is kept after the
/// call (only a key derived from `key`).
///
/// On success `*out` receives a new Guard, owned by the caller and released with
/// `tw_guard_free`. On failure `*out` is NULL (when `out` is not NULL) and the status says
/// why: `TW_NULL_POINTER`, `TW_INVALID_UTF8`, `TW_CONFIG` (syntax, unknown key, bad value),
/// `TW_INVALID_ARGUMENT` (an empty key). The thread's `tw_last_error_message` then names the
/// field path (`policies.ci.allow_ips[0]: ...`, `usage.distinct_cap: ...`); it never quotes
/// the key or a secret value.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
///
/// `config` must be NULL or point to `config_len` readable bytes; `key` must be NULL or point
/// to `key_len` readable bytes; `out` must be NULL or point to a writable `tw_guard *`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_new(
    config: *const c_char,
    config_len: usize,
    key: *const u8,
    key_len: usize,
    out: *mut *mut tw_guard,
) -> tw_status {
    boundary::call("tw_guard_new", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let config = unsafe { boundary::bytes(config.cast(), config_len, "config") }?;
        let key = unsafe { boundary::bytes(key, key_len, "key") }?;
        if key.is_empty() {
            // An empty key would make every id computable by anyone.
            return Err(Failure::new(
                tw_status::TW_INVALID_ARGUMENT,
                "key must not be empty",
            ));
        }
        let config = guard_config(config)?;
        let guard = Guard::with_config(TokenKey::new(key), &config)?;
        *out = Box::into_raw(Box::new(tw_guard { guard }));
        Ok(())
    })
}

/// The config document, or the default config for an empty one.
fn guard_config(bytes: &[u8]) -> Result<GuardConfig, Failure> {
    let text = std::str::from_utf8(bytes).map_err(|e| Failure::utf8("config", e))?;
    if text.trim().is_empty() {
        return Ok(GuardConfig::default());
    }
    let parsed = match meta::is_json(text) {
        true => GuardConfig::from_json(text),
        false => GuardConfig::from_toml(text),
    };
    parsed.map_err(|e| {
        let failure = Failure::from(e);
        Failure::new(
            failure.status,
            format!("invalid config: {}", failure.message),
        )
    })
}

/// Releases a Guard and everything it holds. `guard` may be NULL (nothing happens).
///
/// Thread safety: no other thread may be using the Guard (nor a `tw_gate_check` with it).
///
/// # Safety
///
/// `guard` must be NULL or a Guard from `tw_guard_new` that was not freed yet, and no other
/// thread may be using it; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_free(guard: *mut tw_guard) {
    boundary::value((), || {
        if !guard.is_null() {
            // SAFETY: the pointer came from `Box::into_raw` in `tw_guard_new`; freed once.
            drop(unsafe { Box::from_raw(guard) });
        }
    })
}

/// Writes the id `token` (`token_len` bytes, any bytes) has under this Guard's key to `*id`:
/// what `tw_guard_register_id` takes, for hosts that store only fingerprints. A pure function
/// of the key and the token; the Guard is not changed.
///
/// Fails with `TW_NULL_POINTER` (`guard` or `id` NULL, `token` NULL with a nonzero length)
/// or `TW_INVALID_ARGUMENT` (an empty token).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `token` must be NULL or point to `token_len` readable
/// bytes; `id` must be NULL or point to a writable `tw_token_id`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_token_id(
    guard: *const tw_guard,
    token: *const c_char,
    token_len: usize,
    id: *mut tw_token_id,
) -> tw_status {
    boundary::call("tw_guard_token_id", || {
        // SAFETY: the caller's contract, as documented above.
        let id = unsafe { id.as_mut() }.ok_or_else(|| Failure::null("id"))?;
        *id = tw_token_id::EMPTY;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let token = unsafe { boundary::bytes(token.cast(), token_len, "token") }?;
        if token.is_empty() {
            return Err(Failure::new(
                tw_status::TW_INVALID_ARGUMENT,
                "token must not be empty",
            ));
        }
        *id = tw_token_id::of(&guard.guard.token_id(token));
        Ok(())
    })
}

/// Registers a token the host issued itself, by its raw value: `token_len` bytes of UTF-8 at
/// `token` (1 to 4096 bytes), hashed under the Guard's key and never stored. `meta` (may be
/// NULL: no metadata) gives its owner, tags, policy and lifetime; `now_ms` is the time of
/// registration (Unix milliseconds, or `TW_NOW`). When `id` is not NULL, `*id` receives the
/// token's id.
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8`, `TW_INVALID_ARGUMENT` (length out of
/// range, both `meta->policy` and `meta->policy_doc`, an empty tag), `TW_CONFIG` (a bad
/// `meta->policy_doc`), `TW_NOT_FOUND` (`meta->policy` names no policy of the config) or
/// `TW_CONFLICT` (the token is registered already). The message never quotes the token.
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `token` must be NULL or point to `token_len` readable
/// bytes; `meta` must be NULL or point to a valid `tw_token_meta`; `id` must be NULL or point
/// to a writable `tw_token_id`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_register(
    guard: *const tw_guard,
    token: *const c_char,
    token_len: usize,
    meta: *const tw_token_meta,
    now_ms: i64,
    id: *mut tw_token_id,
) -> tw_status {
    boundary::call("tw_guard_register", || {
        // SAFETY: the caller's contract, as documented above.
        unsafe { meta::write_id(id, None) };
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let token = unsafe { crate::text::required_text(token, token_len, "token") }?;
        let meta = unsafe { meta::token_meta(meta) }?;
        let registered = guard.guard.register(token, &meta, host::now(now_ms)?)?;
        unsafe { meta::write_id(id, Some(&registered)) };
        Ok(())
    })
}

/// Registers a token by its id (`id_len` bytes at `id`: `tid_` and 32 hex digits, as
/// `tw_guard_token_id` gives under the same key), for hosts that keep only fingerprints.
/// `meta` and `now_ms` as in `tw_guard_register`.
///
/// Fails as `tw_guard_register`, with `TW_INVALID_ARGUMENT` for an id that does not parse.
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable
/// bytes; `meta` must be NULL or point to a valid `tw_token_meta`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_register_id(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    meta: *const tw_token_meta,
    now_ms: i64,
) -> tw_status {
    boundary::call("tw_guard_register_id", || {
        // SAFETY: the caller's contract, as documented above.
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { meta::parse_id(id, id_len) }?;
        let meta = unsafe { meta::token_meta(meta) }?;
        guard.guard.register_id(id, &meta, host::now(now_ms)?)?;
        Ok(())
    })
}

/// Mints a new token: the config's prefix, 32 bytes from the operating system's random
/// source, and a checksum that lets scanners recognise a leaked one. It is registered with
/// `meta` (may be NULL) at `now_ms` (or `TW_NOW`).
///
/// On success `*token` receives the raw token as a `tw_string` (release it with
/// `tw_string_free`): the only time it is visible, since tokenward keeps only its
/// fingerprint. Hand it to its user and do not log it. When `id` is not NULL, `*id` receives
/// its id. On failure `*token` is NULL and `*id` empty: `TW_NULL_POINTER`, `TW_INVALID_UTF8`,
/// `TW_INVALID_ARGUMENT`, `TW_CONFIG` or `TW_NOT_FOUND` (the metadata, as for
/// `tw_guard_register`), `TW_RANDOM` (the random source failed).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `meta` must be NULL or point to a valid
/// `tw_token_meta`; `token` must be NULL or point to a writable `tw_string *`; `id` must be
/// NULL or point to a writable `tw_token_id`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_mint(
    guard: *const tw_guard,
    meta: *const tw_token_meta,
    now_ms: i64,
    token: *mut *mut tw_string,
    id: *mut tw_token_id,
) -> tw_status {
    boundary::call("tw_guard_mint", || {
        // SAFETY: the caller's contract, as documented above.
        unsafe { meta::write_id(id, None) };
        let token = unsafe { boundary::out_handle(token, "token") }?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let meta = unsafe { meta::token_meta(meta) }?;
        let minted = guard
            .guard
            .mint(&meta, &host::random32()?, host::now(now_ms)?)?;
        *token = tw_string::new(Cow::Borrowed(minted.token.expose().as_bytes()));
        unsafe { meta::write_id(id, Some(&minted.id)) };
        Ok(())
    })
}

/// Takes the queued events, oldest first, as JSON lines: one JSON object per event, each
/// followed by `\n`, in the shape every binding and the audit log use (`seq`, `at`, `kind`,
/// the kind's fields, `prev_hash`: a hash chain that shows tampering). The queue is then
/// empty. Events name tokens by id, never by raw value.
///
/// `*out` receives a `tw_string` (empty when no event was queued), to release with
/// `tw_string_free`; when `count` is not NULL, `*count` receives the number of events.
/// Fails with `TW_NULL_POINTER` (`guard` or `out` NULL), leaving the queue as it was.
///
/// Thread safety: may be called from any thread at once with any other call on the Guard;
/// each event is handed to exactly one drain.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `out` must be NULL or point to a writable
/// `tw_string *`; `count` must be NULL or point to a writable `size_t`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_drain_events(
    guard: *const tw_guard,
    out: *mut *mut tw_string,
    count: *mut usize,
) -> tw_status {
    boundary::call("tw_guard_drain_events", || {
        // SAFETY: the caller's contract, as documented above.
        let count = unsafe { count.as_mut() };
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let events = guard.guard.drain_events();
        let mut lines = Vec::with_capacity(events.len() * 256);
        for event in &events {
            // The core's events serialize infallibly (string keys, finite numbers).
            serde_json::to_writer(&mut lines, event)
                .map_err(|e| Failure::new(tw_status::TW_PANIC, format!("event JSON: {e}")))?;
            lines.push(b'\n');
        }
        if let Some(count) = count {
            *count = events.len();
        }
        *out = tw_string::new(Cow::Owned(lines));
        Ok(())
    })
}

/// Saves the whole state (tokens, lifecycle, policies, usage, the event chain's head; not the
/// key, and no raw token) as versioned bytes into `*out`, a `tw_string` to release with
/// `tw_string_free`: binary data, read it with `tw_string_len`. Restore it with
/// `tw_guard_restore` into a Guard made with the same key.
///
/// Fails with `TW_NULL_POINTER` (`guard` or `out` NULL).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard;
/// the snapshot is consistent per token.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `out` must be NULL or point to a writable
/// `tw_string *`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_snapshot(
    guard: *const tw_guard,
    out: *mut *mut tw_string,
) -> tw_status {
    boundary::call("tw_guard_snapshot", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        *out = tw_string::new(Cow::Owned(guard.guard.snapshot()));
        Ok(())
    })
}

/// Merges a snapshot (`data_len` bytes at `data`, from `tw_guard_snapshot`) into this Guard
/// at `now_ms` (or `TW_NOW`). A restore never makes a stopped token work again: a token
/// revoked here stays revoked whatever the snapshot says.
///
/// Fails with `TW_NULL_POINTER` or `TW_SNAPSHOT` (corrupt, truncated, another version, or
/// made under another key); the Guard is then unchanged.
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `data` must be NULL or point to `data_len` readable
/// bytes.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_restore(
    guard: *const tw_guard,
    data: *const u8,
    data_len: usize,
    now_ms: i64,
) -> tw_status {
    boundary::call("tw_guard_restore", || {
        // SAFETY: the caller's contract, as documented above.
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let data = unsafe { boundary::bytes(data, data_len, "data") }?;
        guard.guard.restore(data, host::now(now_ms)?)?;
        Ok(())
    })
}
