//! `tw_guard_check` and `tw_guard_record_outcome`: a request in, a caller-owned verdict out.

use std::ffi::{c_char, c_int, CString};
use std::sync::OnceLock;

use tokenward::{Reason, Request, Verdict};

use super::meta::tw_token_id;
use super::request::tw_request;
use super::tw_guard;
use crate::boundary::{self, Failure};
use crate::host;
use crate::status::tw_status;

/// Why a check denied: stable codes, one bit each in `tw_verdict.reasons`
/// (`verdict.reasons & (UINT64_C(1) << TW_REASON_REVOKED)`, or `tw_verdict_has_reason`).
/// `tw_reason_code` gives the snake_case code the other bindings and the events use. New
/// reasons are added at the end; existing values never change.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tw_reason {
    /// `unknown_token`: no token with this fingerprint is registered (or none was presented).
    TW_REASON_UNKNOWN_TOKEN = 0,
    /// `revoked`: the token was revoked.
    TW_REASON_REVOKED = 1,
    /// `quarantined`: the token is quarantined until released.
    TW_REASON_QUARANTINED = 2,
    /// `expired`: past the token's or its policy's expiry or maximum lifetime.
    TW_REASON_EXPIRED = 3,
    /// `not_yet_valid`: before the policy's `not_before`.
    TW_REASON_NOT_YET_VALID = 4,
    /// `idle_expired`: unused for longer than the policy's `idle_expiry`.
    TW_REASON_IDLE_EXPIRED = 5,
    /// `rotated`: replaced by rotation, and its grace window has ended.
    TW_REASON_ROTATED = 6,
    /// `subject_mismatch`: the subject is missing or not allowed.
    TW_REASON_SUBJECT_MISMATCH = 7,
    /// `device_mismatch`: the device is missing or not allowed.
    TW_REASON_DEVICE_MISMATCH = 8,
    /// `environment_mismatch`: the environment is missing or not allowed.
    TW_REASON_ENVIRONMENT_MISMATCH = 9,
    /// `ip_not_allowed`: the IP is missing, outside `allow_ips` or inside `deny_ips`.
    TW_REASON_IP_NOT_ALLOWED = 10,
    /// `country_not_allowed`: the country is missing or not allowed.
    TW_REASON_COUNTRY_NOT_ALLOWED = 11,
    /// `scope_denied`: the method or path is missing or outside the endpoint scopes.
    TW_REASON_SCOPE_DENIED = 12,
    /// `outside_time_window`: outside every allowed time window.
    TW_REASON_OUTSIDE_TIME_WINDOW = 13,
    /// `rate_exceeded`: the rate limit is used up (see `tw_verdict.retry_after_ms`).
    TW_REASON_RATE_EXCEEDED = 14,
    /// `anomaly_denied`: a response rule denied this request over an alert it raised.
    TW_REASON_ANOMALY_DENIED = 15,
    /// `invalid_path`: the path has no canonical form.
    TW_REASON_INVALID_PATH = 16,
}

/// The outcome of `tw_guard_check`, written into a struct the caller owns (on the stack, say):
/// nothing in it needs freeing.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_verdict {
    /// True when the request may proceed. False on a denial, and whenever `tw_guard_check`
    /// fails (fail closed).
    pub allowed: bool,
    /// Every reason that applied, bit `1 << r` for each `tw_reason r`; 0 when allowed.
    pub reasons: u64,
    /// The presented token's id (for an unknown token still its fingerprint, so repeated
    /// attempts correlate); empty when no token was presented.
    pub token_id: tw_token_id,
    /// When `TW_REASON_RATE_EXCEEDED` is set: milliseconds until the rate limit has room again
    /// (at least 1; send it as `Retry-After` in seconds, rounded up). 0 otherwise.
    pub retry_after_ms: u64,
    /// How many anomaly alerts this request raised (usage tracking on). The alerts themselves,
    /// and what the response rules did, are queued as events (`tw_guard_drain_events`).
    pub alert_count: u32,
}

impl tw_verdict {
    /// A denial with no reason: what a failed call leaves behind.
    pub(crate) const FAILED: tw_verdict = tw_verdict {
        allowed: false,
        reasons: 0,
        token_id: tw_token_id::EMPTY,
        retry_after_ms: 0,
        alert_count: 0,
    };

    pub(crate) fn of(verdict: &Verdict) -> tw_verdict {
        tw_verdict {
            allowed: verdict.is_allowed(),
            reasons: verdict
                .reasons
                .iter()
                .fold(0, |bits, r| bits | reason_bit(*r)),
            token_id: verdict
                .token_id
                .as_ref()
                .map_or(tw_token_id::EMPTY, tw_token_id::of),
            retry_after_ms: verdict.retry_after_ms.unwrap_or(0),
            alert_count: u32::try_from(verdict.alerts.len()).unwrap_or(u32::MAX),
        }
    }
}

/// The bit of a core reason: its position in `Reason::ALL`, the order the core keeps stable.
fn reason_bit(reason: Reason) -> u64 {
    Reason::ALL
        .iter()
        .position(|r| *r == reason)
        .map_or(0, |i| 1 << i)
}

/// Checks a request at `now_ms` (Unix milliseconds, or `TW_NOW` for the system clock): is its
/// token registered, alive, and used within its policy? Writes the outcome to `*verdict`.
///
/// An allowed check records the use (idle expiry, usage statistics) and takes from the rate
/// limit; a denial is queued as a `denied` event; alerts the request raised are acted on by the
/// response rules before this returns (a quarantine applies to this very request).
///
/// Returns `TW_OK` when the request was checked, whatever the decision: read
/// `verdict->allowed`. Fails, with `verdict->allowed` false (fail closed), on
/// `TW_NULL_POINTER` (`guard`, `request` or `verdict` NULL, or a field with a NULL pointer and
/// a nonzero length), `TW_INVALID_UTF8` (a text field other than `token`),
/// `TW_INVALID_ARGUMENT` (`ip` is no address, `addr.family` is not a `TW_IP_*` value, both
/// `ip` and `addr` are set, a location out of range). Messages name the field, never its
/// value.
///
/// Thread safety: any number of threads may check on one Guard at once, also while others
/// register, revoke or rotate; a token revoked by a `tw_guard_revoke` that has returned is
/// denied by every later check on every thread.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `request` must be NULL or point to a `tw_request`
/// whose fields point to their lengths of readable bytes, unchanged during the call; `verdict`
/// must be NULL or point to a writable `tw_verdict`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_check(
    guard: *const tw_guard,
    request: *const tw_request,
    now_ms: i64,
    verdict: *mut tw_verdict,
) -> tw_status {
    let status = boundary::call("tw_guard_check", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { verdict.as_mut() }.ok_or_else(|| Failure::null("verdict"))?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let request = unsafe { boundary::object(request, "request") }?;
        let mut core = Request::default();
        unsafe { request.read_into(&mut core) }?;
        let now = host::now(now_ms)?;
        *out = tw_verdict::of(&guard.guard.check(&core, now));
        Ok(())
    });
    // Written here rather than first thing in the body, so a check that succeeds writes its
    // verdict once; any failure (a panic included) leaves `FAILED`, fail closed.
    if status != tw_status::TW_OK {
        // SAFETY: the caller's contract: NULL or a writable `tw_verdict`.
        if let Some(out) = unsafe { verdict.as_mut() } {
            *out = tw_verdict::FAILED;
        }
    }
    status
}

/// Feeds back the response status (`status`, 0 to 65535) of a request that presented `token`
/// (`token_len` bytes, as in `tw_request.token`), at `now_ms` (or `TW_NOW`). 401, 403 and 404
/// count as errors in the token's usage; a burst of them raises an `error_burst` alert, which
/// the response rules act on (a quarantine stops the token from the next check). Without
/// usage tracking (no `[usage]` in the config) this does nothing.
///
/// When `alert_count` is not NULL, `*alert_count` receives the number of alerts raised (0 or
/// 1); the alert itself is queued as an event.
///
/// Fails with `TW_NULL_POINTER` (`guard` NULL, `token` NULL with a nonzero length) or
/// `TW_INVALID_ARGUMENT` (`status` out of range).
///
/// Thread safety: as `tw_guard_check`.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `token` must be NULL or point to `token_len` readable
/// bytes; `alert_count` must be NULL or point to a writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_record_outcome(
    guard: *const tw_guard,
    token: *const c_char,
    token_len: usize,
    status: c_int,
    now_ms: i64,
    alert_count: *mut u32,
) -> tw_status {
    boundary::call("tw_guard_record_outcome", || {
        // SAFETY: the caller's contract, as documented above.
        let alert_count = unsafe { alert_count.as_mut() };
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let token = unsafe { boundary::bytes(token.cast(), token_len, "token") }?;
        let reaction =
            guard
                .guard
                .record_outcome_token(token, http_status(status)?, host::now(now_ms)?);
        if let Some(count) = alert_count {
            *count = u32::try_from(reaction.alerts.len()).unwrap_or(u32::MAX);
        }
        Ok(())
    })
}

/// As `tw_guard_record_outcome`, for the token with id `id` (`id_len` bytes: `tid_` and 32 hex
/// digits, such as `verdict.token_id.text` of its check): what a host that kept only the
/// verdict passes, `tw_gate_check` hosts among them.
///
/// Fails with `TW_NULL_POINTER`, `TW_INVALID_UTF8` or `TW_INVALID_ARGUMENT` (an id that does
/// not parse, `status` out of range). An id the Guard does not know records nothing.
///
/// Thread safety: as `tw_guard_check`.
///
/// # Safety
///
/// `guard` must be NULL or a live Guard; `id` must be NULL or point to `id_len` readable bytes;
/// `alert_count` must be NULL or point to a writable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn tw_guard_record_outcome_id(
    guard: *const tw_guard,
    id: *const c_char,
    id_len: usize,
    status: c_int,
    now_ms: i64,
    alert_count: *mut u32,
) -> tw_status {
    boundary::call("tw_guard_record_outcome_id", || {
        // SAFETY: the caller's contract, as documented above.
        let alert_count = unsafe { alert_count.as_mut() };
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let id = unsafe { super::meta::parse_id(id, id_len) }?;
        let reaction = guard
            .guard
            .record_outcome(&id, http_status(status)?, host::now(now_ms)?);
        if let Some(count) = alert_count {
            *count = u32::try_from(reaction.alerts.len()).unwrap_or(u32::MAX);
        }
        Ok(())
    })
}

/// An HTTP status argument (0 to 65535; the core reads the class of 100 to 599).
fn http_status(status: c_int) -> Result<u16, Failure> {
    u16::try_from(status).map_err(|_| {
        Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            format!("status {status} is not between 0 and 65535"),
        )
    })
}

/// The stable snake_case code of a reason (`"ip_not_allowed"`), as the events, the other
/// bindings and the HTTP denial bodies write it: a static NUL-terminated string, never to be
/// freed. `reason` is a `tw_reason` value (taken as `int`, so any integer is safe); an unknown
/// value gives `"unknown"`.
///
/// Thread safety: may be called from any thread.
#[no_mangle]
pub extern "C" fn tw_reason_code(reason: c_int) -> *const c_char {
    boundary::value(c"unknown".as_ptr(), || {
        static CODES: OnceLock<Vec<CString>> = OnceLock::new();
        let codes = CODES.get_or_init(|| {
            Reason::ALL
                .iter()
                .map(|r| CString::new(r.code()).expect("codes hold no NUL"))
                .collect()
        });
        usize::try_from(reason)
            .ok()
            .and_then(|i| codes.get(i))
            .map_or(c"unknown".as_ptr(), |code| code.as_ptr())
    })
}

/// Whether `verdict` denied for `reason`: `verdict->reasons & (1 << reason)`. False when
/// `verdict` is NULL or `reason` is out of range.
///
/// Thread safety: may be called from any thread; it only reads `*verdict`.
///
/// # Safety
///
/// `verdict` must be NULL or point to a `tw_verdict`.
#[no_mangle]
pub unsafe extern "C" fn tw_verdict_has_reason(verdict: *const tw_verdict, reason: c_int) -> bool {
    boundary::value(false, || {
        // SAFETY: the caller's contract.
        let Some(verdict) = (unsafe { verdict.as_ref() }) else {
            return false;
        };
        u32::try_from(reason)
            .ok()
            .and_then(|r| 1u64.checked_shl(r))
            .is_some_and(|bit| verdict.reasons & bit != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    /// Every `tw_reason`, in value order: entry `i` stands for the core's `Reason::ALL[i]` (the
    /// core adds reasons at the end too; a test holds the two lists together).
    const REASONS: [tw_reason; 17] = {
        use tw_reason::*;
        [
            TW_REASON_UNKNOWN_TOKEN,
            TW_REASON_REVOKED,
            TW_REASON_QUARANTINED,
            TW_REASON_EXPIRED,
            TW_REASON_NOT_YET_VALID,
            TW_REASON_IDLE_EXPIRED,
            TW_REASON_ROTATED,
            TW_REASON_SUBJECT_MISMATCH,
            TW_REASON_DEVICE_MISMATCH,
            TW_REASON_ENVIRONMENT_MISMATCH,
            TW_REASON_IP_NOT_ALLOWED,
            TW_REASON_COUNTRY_NOT_ALLOWED,
            TW_REASON_SCOPE_DENIED,
            TW_REASON_OUTSIDE_TIME_WINDOW,
            TW_REASON_RATE_EXCEEDED,
            TW_REASON_ANOMALY_DENIED,
            TW_REASON_INVALID_PATH,
        ]
    };

    #[test]
    fn every_core_reason_has_its_tw_reason() {
        assert_eq!(REASONS.len(), Reason::ALL.len());
        for (i, (ours, core)) in REASONS.iter().zip(Reason::ALL).enumerate() {
            assert_eq!(*ours as usize, i);
            assert_eq!(reason_bit(core), 1 << i);
            let code = unsafe { CStr::from_ptr(tw_reason_code(*ours as c_int)) };
            assert_eq!(code.to_str().unwrap(), core.code());
            // The variant's name is the code in capitals.
            let name = format!("{ours:?}");
            assert_eq!(name, format!("TW_REASON_{}", core.code().to_uppercase()));
        }
        let unknown = unsafe { CStr::from_ptr(tw_reason_code(-1)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
        let unknown = unsafe { CStr::from_ptr(tw_reason_code(REASONS.len() as c_int)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown");
    }

    #[test]
    fn has_reason_reads_bits_and_refuses_nonsense() {
        let verdict = tw_verdict {
            reasons: 1 << 10,
            ..tw_verdict::FAILED
        };
        unsafe {
            assert!(tw_verdict_has_reason(&verdict, 10));
            assert!(!tw_verdict_has_reason(&verdict, 9));
            assert!(!tw_verdict_has_reason(&verdict, -1));
            assert!(!tw_verdict_has_reason(&verdict, 64));
            assert!(!tw_verdict_has_reason(std::ptr::null(), 10));
        }
    }
}
