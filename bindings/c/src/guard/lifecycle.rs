//! Lifecycle: revoke (one token or by selector), quarantine, release, rotate.

use std::borrow::Cow;
use std::ffi::c_char;

use super::meta::{self, tw_selector, tw_token_id, TW_TOKEN_ID_SIZE};
use super::tw_guard;
use crate::boundary::{self, Failure};
use crate::host;
use crate::status::tw_status;
use crate::string::tw_string;

/// Pass as `grace_ms` to `tw_guard_rotate` for the token's policy's `rotation_grace` (none
/// without one).
pub const TW_GRACE_DEFAULT: i64 = -1;

/// Revokes the token with id `id` (`id_len` bytes: `tid_` and 32 hex digits) at `now_ms` (or
/// `TW_NOW`). From the moment this returns, every check of the token denies with
/// `TW_REASON_REVOKED`, on every thread. Revoking a revoked token changes nothing: when
/// `changed` is not NULL, `*changed` says whether this call revoked it.
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8`, `TW_INVALID_ARGUMENT` (the id does not
/// parse) or `TW_NOT_FOUND` (no such token).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable
/// bytes; `changed` must be NULL or point to a writable `bool`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_revoke(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    now_ms: i64,
    changed: *mut bool,
) -> tw_status {
    boundary::call("tw_guard_revoke", || {
        // SAFETY: the caller's contract, as documented above.
        let changed = unsafe { changed.as_mut() };
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { meta::parse_id(id, id_len) }?;
        let revoked = guard.guard.revoke(&id, host::now(now_ms)?)?;
        if let Some(changed) = changed {
            *changed = revoked;
        }
        Ok(())
    })
}

/// Revokes every token whose metadata matches `*selector` (every field given must match):
/// the blast radius of a leak. When `count` is not NULL, `*count` receives the number of
/// tokens this call revoked (tokens revoked before are not counted); when `ids` is not NULL,
/// `*ids` receives their ids, sorted, one per line (each followed by `\n`), as a `tw_string`
/// to release with `tw_string_free`.
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8` or `TW_INVALID_ARGUMENT` (a selector with
/// no field, which would revoke every token).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
/// It locks each shard of tokens in turn, so it costs more than a single `tw_guard_revoke`.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `selector` must be NULL or point to a valid
/// `tw_selector`; `count` must be NULL or point to a writable `size_t`; `ids` must be NULL or
/// point to a writable `tw_string *`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_revoke_where(
    guard: *const tw_guard,
    selector: *const tw_selector,
    now_ms: i64,
    count: *mut usize,
    ids: *mut *mut tw_string,
) -> tw_status {
    boundary::call("tw_guard_revoke_where", || {
        // SAFETY: the caller's contract, as documented above.
        let count = unsafe { count.as_mut() };
        // Cleared first, so a failure leaves NULL.
        let ids = unsafe { ids.as_mut() }.map(|out| {
            *out = std::ptr::null_mut();
            out
        });
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let selector = unsafe { boundary::object(selector, "selector") }?;
        let selector = unsafe { meta::selector(selector) }?;
        let revoked = guard.guard.revoke_where(&selector, host::now(now_ms)?)?;
        if let Some(count) = count {
            *count = revoked.len();
        }
        if let Some(ids) = ids {
            // An id and its newline per token.
            let mut lines = String::with_capacity(revoked.len() * TW_TOKEN_ID_SIZE);
            for id in &revoked {
                lines.push_str(&id.to_string());
                lines.push('\n');
            }
            *ids = tw_string::new(Cow::Owned(lines.into_bytes()));
        }
        Ok(())
    })
}

/// Quarantines an active token (id as in `tw_guard_revoke`) at `now_ms` (or `TW_NOW`): checks
/// deny with `TW_REASON_QUARANTINED` until `tw_guard_release`.
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8`, `TW_INVALID_ARGUMENT` (the id does not
/// parse), `TW_NOT_FOUND` (no such token) or `TW_CONFLICT` (the token is not active: revoked,
/// rotated or quarantined already).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_quarantine(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    now_ms: i64,
) -> tw_status {
    boundary::call("tw_guard_quarantine", || {
        // SAFETY: the caller's contract, as documented above.
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { meta::parse_id(id, id_len) }?;
        guard.guard.quarantine(&id, host::now(now_ms)?)?;
        Ok(())
    })
}

/// Releases a quarantined token (id as in `tw_guard_revoke`) back to active at `now_ms` (or
/// `TW_NOW`).
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8`, `TW_INVALID_ARGUMENT` (the id does not
/// parse), `TW_NOT_FOUND` (no such token) or `TW_CONFLICT` (the token is not quarantined; a
/// revoked token is never released).
///
/// Thread safety: may be called from any thread at once with any other call on the Guard.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_release(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    now_ms: i64,
) -> tw_status {
    boundary::call("tw_guard_release", || {
        // SAFETY: the caller's contract, as documented above.
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { meta::parse_id(id, id_len) }?;
        guard.guard.release(&id, host::now(now_ms)?)?;
        Ok(())
    })
}

/// Replaces an active token (id as in `tw_guard_revoke`) with a newly minted one that has the
/// same metadata and policy, at `now_ms` (or `TW_NOW`). The old token keeps working for
/// `grace_ms` milliseconds (`TW_GRACE_DEFAULT`: its policy's `rotation_grace`, else none;
/// 0: none), then denies with `TW_REASON_ROTATED`.
///
/// On success `*token` receives the new raw token (a `tw_string` to release with
/// `tw_string_free`; the only time it is visible) and, when `new_id` is not NULL, `*new_id`
/// its id. On failure `*token` is NULL: `TW_NULL_POINTER`, `TW_INVALID_UTF8`,
/// `TW_INVALID_ARGUMENT` (the id does not parse, `grace_ms` below -1), `TW_NOT_FOUND`,
/// `TW_CONFLICT` (the token is not active), `TW_RANDOM`.
///
/// Thread safety: may be called from any thread at once with any other call on the Guard;
/// the change happens entirely or not at all.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable
/// bytes; `token` must be NULL or point to a writable `tw_string *`; `new_id` must be NULL or
/// point to a writable `tw_token_id`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_rotate(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    grace_ms: i64,
    now_ms: i64,
    token: *mut *mut tw_string,
    new_id: *mut tw_token_id,
) -> tw_status {
    boundary::call("tw_guard_rotate", || {
        // SAFETY: the caller's contract, as documented above.
        unsafe { meta::write_id(new_id, None) };
        let token = unsafe { boundary::out_handle(token, "token") }?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { meta::parse_id(id, id_len) }?;
        let grace = match grace_ms {
            TW_GRACE_DEFAULT => None,
            ms if ms < 0 => {
                return Err(Failure::new(
                    tw_status::TW_INVALID_ARGUMENT,
                    "grace_ms must be TW_GRACE_DEFAULT (-1) or at least 0",
                ))
            }
            ms => Some(ms),
        };
        let minted = guard
            .guard
            .rotate(&id, &host::random32()?, grace, host::now(now_ms)?)?;
        *token = tw_string::new(Cow::Borrowed(minted.token.expose().as_bytes()));
        unsafe { meta::write_id(new_id, Some(&minted.id)) };
        Ok(())
    })
}
