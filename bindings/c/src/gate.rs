//! `tw_gate`: the HTTP front door every middleware shares (the core's `gate` module), so a C
//! proxy module or embedded server reads tokens, client addresses and countries, and answers
//! denials, exactly as the Python, Node and tower middleware do.

use std::borrow::Cow;
use std::ffi::c_char;

use tokenward::gate::{parse_peer, Denial, Gate, HttpRequest, Passage};

use crate::boundary::{self, Failure};
use crate::guard::{tw_guard, tw_verdict};
use crate::host;
use crate::status::tw_status;
use crate::string::tw_string;
use crate::text::tw_str;

/// A compiled gate configuration: where the token is read from, which proxies are trusted,
/// which paths are exempt. Immutable: any number of threads may use one at once; only
/// `tw_gate_free` must not race with other uses.
pub struct tw_gate {
    gate: Gate,
}

/// One request header. `name` must be UTF-8 (it is matched case-insensitively); `value` may be
/// any bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_header {
    /// The header's name.
    pub name: tw_str,
    /// Its value.
    pub value: tw_str,
}

/// What a gate reads of one HTTP request. Every text field but the header values must be
/// UTF-8.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_http_request {
    /// The method (`GET`).
    pub method: tw_str,
    /// The request target as received, undecoded: `/v1/orders/7?page=2`, or the absolute form
    /// a proxy may receive.
    pub target: tw_str,
    /// `header_count` headers, in the order received (a header sent twice appears twice);
    /// `headers` may be NULL when `header_count` is 0.
    pub headers: *const tw_header,
    /// The number of headers.
    pub header_count: usize,
    /// The connection's peer address as text (`10.0.0.1`, `[::1]`, `fe80::1%eth0`); absent
    /// for a Unix socket. Forwarded addresses and the country header are believed only from
    /// a trusted peer; a peer that is absent or no address is an unknown client.
    pub peer: tw_str,
}

/// What to do with a request: see `tw_passage`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tw_passage_kind {
    /// An exempt path: pass it to the application unchecked.
    TW_PASSAGE_EXEMPT = 0,
    /// Pass it to the application, then feed the response status back with
    /// `tw_guard_record_outcome_id(guard, verdict.token_id.text, ...)`.
    TW_PASSAGE_ALLOWED = 1,
    /// Answer with `status`, `headers` and `body` instead; the application never sees it.
    TW_PASSAGE_DENIED = 2,
}

/// The outcome of `tw_gate_check`, in a caller-owned struct. `body` and `headers` are owned by
/// the caller once filled: release them with `tw_passage_clear` (which accepts a passage
/// holding none).
#[repr(C)]
#[derive(Debug)]
pub struct tw_passage {
    /// Exempt, allowed or denied.
    pub kind: tw_passage_kind,
    /// Whether a check ran (false for exempt paths and requests without a usable credential):
    /// then `verdict` holds its outcome.
    pub checked: bool,
    /// The check's verdict, when `checked`.
    pub verdict: tw_verdict,
    /// The HTTP status of a denial: 401 (no token, unknown or stopped token), 400 (a malformed
    /// credential), 403 (a policy or anomaly denial), 429 (rate limited). 0 otherwise.
    pub status: u16,
    /// The gRPC status code of a denial: 16 `UNAUTHENTICATED`, 7 `PERMISSION_DENIED`, 8
    /// `RESOURCE_EXHAUSTED`. 0 otherwise.
    pub grpc_code: u32,
    /// A denial's JSON body (`{"error":"forbidden","reasons":["ip_not_allowed"]}`), which never
    /// echoes the token; NULL otherwise.
    pub body: *mut tw_string,
    /// A denial's response headers, one `name: value\r\n` line each (`content-type`,
    /// `cache-control`, and `www-authenticate` or `retry-after` where they apply); NULL
    /// otherwise.
    pub headers: *mut tw_string,
}

impl tw_passage {
    /// What a failed call leaves: denied, with nothing to send (answer 500).
    const FAILED: tw_passage = tw_passage {
        kind: tw_passage_kind::TW_PASSAGE_DENIED,
        checked: false,
        verdict: tw_verdict::FAILED,
        status: 0,
        grpc_code: 0,
        body: std::ptr::null_mut(),
        headers: std::ptr::null_mut(),
    };

    fn denied(denial: &Denial, verdict: Option<tw_verdict>) -> tw_passage {
        let mut headers = String::new();
        for (name, value) in denial.headers() {
            headers.push_str(name);
            headers.push_str(": ");
            headers.push_str(&value);
            headers.push_str("\r\n");
        }
        tw_passage {
            kind: tw_passage_kind::TW_PASSAGE_DENIED,
            checked: verdict.is_some(),
            verdict: verdict.unwrap_or(tw_verdict::FAILED),
            status: denial.status,
            grpc_code: denial.grpc_code() as u32,
            body: tw_string::new(Cow::Owned(denial.body().into_bytes())),
            headers: tw_string::new(Cow::Owned(headers.into_bytes())),
        }
    }
}

/// Creates a gate from its configuration, a JSON object (NULL with `config_len` 0, or `{}`,
/// for the defaults: the token from `Authorization: Bearer`, no trusted proxy, nothing exempt):
///
/// ```json
/// {"header": "authorization", "cookie": "session", "query_param": null,
///  "trusted_proxies": ["10.0.0.0/8"], "forwarded_header": "x-forwarded-for",
///  "country_header": "cf-ipcountry", "exempt_paths": ["/health", "GET /metrics"],
///  "realm": "api"}
/// ```
///
/// On success `*out` receives a gate, released with `tw_gate_free`. Fails with
/// `TW_NULL_POINTER`, `TW_INVALID_UTF8` or `TW_CONFIG` (the message names the field, such as
/// `trusted_proxies[1]`, never its value); `*out` is then NULL.
///
/// Thread safety: may be called from any thread.
///
/// # Safety
///
/// `config` must be NULL or point to `config_len` readable bytes; `out` must be NULL or point
/// to a writable `tw_gate *`.
#[no_mangle]
pub unsafe extern "C" fn tw_gate_new(
    config: *const c_char,
    config_len: usize,
    out: *mut *mut tw_gate,
) -> tw_status {
    boundary::call("tw_gate_new", || {
        // SAFETY: the caller's contract, as documented above.
        let out = unsafe { boundary::out_handle(out, "out") }?;
        let bytes = unsafe { boundary::bytes(config.cast(), config_len, "config") }?;
        let text = std::str::from_utf8(bytes).map_err(|e| Failure::utf8("config", e))?;
        let text = if text.trim().is_empty() { "{}" } else { text };
        let gate = Gate::from_json(text).map_err(|e| {
            let failure = Failure::from(e);
            Failure::new(
                failure.status,
                format!("invalid gate config: {}", failure.message),
            )
        })?;
        *out = Box::into_raw(Box::new(tw_gate { gate }));
        Ok(())
    })
}

/// Releases a gate. `gate` may be NULL (nothing happens).
///
/// Thread safety: no other thread may be using the gate.
///
/// # Safety
///
/// `gate` must be NULL or a gate from `tw_gate_new` that was not freed yet, and no other
/// thread may be using it; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn tw_gate_free(gate: *mut tw_gate) {
    boundary::value((), || {
        if !gate.is_null() {
            // SAFETY: the pointer came from `Box::into_raw` in `tw_gate_new`; freed once.
            drop(unsafe { Box::from_raw(gate) });
        }
    })
}

/// Reads an HTTP request, checks it with `guard` at `now_ms` (or `TW_NOW`), and says what to
/// do, in `*passage`: pass an exempt path; pass an allowed request (then report its response
/// status with `tw_guard_record_outcome_id`); or answer a denial with `passage->status`,
/// `passage->headers` and `passage->body`. Release the passage's strings with
/// `tw_passage_clear` after each call.
///
/// The token comes from `Authorization: Bearer` (or the configured header, cookie or query
/// parameter; a malformed one is a 400); the client address from the peer, or from the
/// forwarded header when the peer is a trusted proxy (a client cannot spoof it); the country
/// from the trusted country header; the path from the raw target, canonicalised by the core.
///
/// Returns `TW_OK` whenever the request was read, whatever the outcome. Fails with
/// `TW_NULL_POINTER` or `TW_INVALID_UTF8` (the method, target, a header name);
/// `*passage` is then `TW_PASSAGE_DENIED` with status 0 and no body: answer 500 (fail
/// closed). A `peer` that is no IPv4 or IPv6 address is an unknown client (never a trusted
/// proxy), as an absent one.
///
/// Thread safety: any number of threads may call this at once with the same gate and Guard.
///
/// # Safety
///
/// `gate` and `guard` must be NULL or live; `request` must be NULL or point to a
/// `tw_http_request` whose fields and headers are valid as documented; `passage` must be NULL
/// or point to a writable `tw_passage` (its previous strings are not freed: clear it first).
#[no_mangle]
pub unsafe extern "C" fn tw_gate_check(
    gate: *const tw_gate,
    guard: *const tw_guard,
    request: *const tw_http_request,
    now_ms: i64,
    passage: *mut tw_passage,
) -> tw_status {
    boundary::call("tw_gate_check", || {
        if passage.is_null() {
            return Err(Failure::null("passage"));
        }
        // Raw writes only: `*passage` may be uninitialised caller memory (`tw_passage p;`), so
        // no `&mut tw_passage` is made over it; its previous contents are the caller's to have
        // cleared. SAFETY: non-NULL and writable, the caller's contract.
        unsafe { std::ptr::write(passage, tw_passage::FAILED) };
        let gate = unsafe { boundary::object(gate, "gate") }?;
        let guard = unsafe { boundary::object(guard, "guard") }?;
        let request = unsafe { boundary::object(request, "request") }?;
        let text = |field: &tw_str, what| unsafe { field.text(what) };
        let method = text(&request.method, "request.method")?.unwrap_or("");
        let target = text(&request.target, "request.target")?.unwrap_or("");
        // A peer that is no address (even no UTF-8) is an unknown client, never a trusted
        // proxy, as in every binding.
        let peer = unsafe { request.peer.bytes("request.peer") }?
            .and_then(|bytes| std::str::from_utf8(bytes).ok())
            .and_then(parse_peer);
        let headers = unsafe { headers(request.headers, request.header_count) }?;
        let http = HttpRequest {
            method,
            target,
            headers: &headers[..],
            peer,
        };
        let now = host::now(now_ms)?;
        let outcome = match gate.gate.check(guard.guard(), &http, now, None) {
            Passage::Exempt => tw_passage {
                kind: tw_passage_kind::TW_PASSAGE_EXEMPT,
                ..tw_passage::FAILED
            },
            Passage::Allowed(verdict) => tw_passage {
                kind: tw_passage_kind::TW_PASSAGE_ALLOWED,
                checked: true,
                verdict: tw_verdict::of(&verdict),
                ..tw_passage::FAILED
            },
            Passage::Denied { denial, verdict } => {
                tw_passage::denied(&denial, verdict.as_ref().map(tw_verdict::of))
            }
        };
        // SAFETY: as above; FAILED holds no strings, so nothing leaks.
        unsafe { std::ptr::write(passage, outcome) };
        Ok(())
    })
}

/// The headers as (name, value) pairs, names checked for UTF-8.
///
/// # Safety
/// `headers` must be NULL or point to `count` valid `tw_header`s.
unsafe fn headers<'a>(
    headers: *const tw_header,
    count: usize,
) -> Result<Vec<(&'a str, &'a [u8])>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(Failure::new(
            tw_status::TW_NULL_POINTER,
            format!("request.headers is NULL but request.header_count is {count}"),
        ));
    }
    if count > isize::MAX as usize / std::mem::size_of::<tw_header>() {
        return Err(Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            format!("request.header_count {count} is out of range"),
        ));
    }
    // SAFETY: non-NULL, size in range; validity is the caller's contract.
    let headers = unsafe { std::slice::from_raw_parts(headers, count) };
    headers
        .iter()
        .enumerate()
        .map(|(i, header)| {
            // SAFETY: the caller's contract.
            let name = unsafe { header.name.text(&format!("request.headers[{i}].name")) }?;
            let value = unsafe { header.value.bytes(&format!("request.headers[{i}].value")) }?;
            Ok((name.unwrap_or(""), value.unwrap_or_default()))
        })
        .collect()
}

/// Releases the strings a `tw_gate_check` put in `*passage` and sets them to NULL. `passage`
/// may be NULL, and a passage without strings is left as it is.
///
/// Thread safety: may be called from any thread, but not on one passage from two at once.
///
/// # Safety
///
/// `passage` must be NULL or point to a `tw_passage` whose `body` and `headers` are NULL or
/// strings from this library not freed yet.
#[no_mangle]
pub unsafe extern "C" fn tw_passage_clear(passage: *mut tw_passage) {
    boundary::value((), || {
        if passage.is_null() {
            return;
        }
        // Only the two string fields are touched, through raw pointers: the caller promises
        // nothing about the others, so no `&mut tw_passage` is made over them.
        // SAFETY: non-NULL; the fields' validity is the caller's contract.
        let fields = unsafe {
            [
                std::ptr::addr_of_mut!((*passage).body),
                std::ptr::addr_of_mut!((*passage).headers),
            ]
        };
        for field in fields {
            // SAFETY: a string from this library (or NULL), freed once, then set to NULL.
            unsafe {
                crate::string::tw_string_free(field.read());
                field.write(std::ptr::null_mut());
            }
        }
    })
}
