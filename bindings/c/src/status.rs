//! `tw_status`: the result code every status-returning function gives back by value.

use std::ffi::{c_char, c_int};

/// The outcome of a call. `TW_OK` is zero, so `if (status != TW_OK)` (or `if (status)`)
/// detects every failure. After a failure, `tw_last_error_message` holds a detailed message
/// for the calling thread.
///
/// New codes may be added in later versions; treat an unknown code as a failure.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tw_status {
    /// Success.
    TW_OK = 0,
    /// A required pointer argument was NULL (or a NULL data pointer came with a nonzero length).
    TW_NULL_POINTER = 1,
    /// A text argument that must be UTF-8 was not.
    TW_INVALID_UTF8 = 2,
    /// A configuration document could not be parsed or holds an invalid value (this includes
    /// the fingerprint style requested without a fingerprint key).
    TW_CONFIG = 3,
    /// A rule or allowlist pattern in the configuration is invalid, duplicated, or names an
    /// unknown built-in rule.
    TW_RULE = 4,
    /// A caller-owned buffer is too small; the needed length was reported through the
    /// function's length out-parameter.
    TW_BUFFER_TOO_SMALL = 5,
    /// An argument is out of range (an unknown `tw_style`, a length above `PTRDIFF_MAX`).
    TW_INVALID_ARGUMENT = 6,
    /// tokenward panicked internally. The panic was caught at the API boundary and no state
    /// was changed; this is a bug in tokenward, please report it.
    TW_PANIC = 7,
    /// A token or policy the call names does not exist.
    TW_NOT_FOUND = 8,
    /// The call conflicts with the current state (a token registered twice, a revoked token
    /// released).
    TW_CONFLICT = 9,
    /// A snapshot or event chain is corrupt, tampered with, or from another key or version.
    TW_SNAPSHOT = 10,
    /// The operating system's random source failed.
    TW_RANDOM = 11,
}

/// Every status, in numeric order. (Not an associated const: cbindgen would export it.)
const ALL_STATUSES: [tw_status; 12] = [
    tw_status::TW_OK,
    tw_status::TW_NULL_POINTER,
    tw_status::TW_INVALID_UTF8,
    tw_status::TW_CONFIG,
    tw_status::TW_RULE,
    tw_status::TW_BUFFER_TOO_SMALL,
    tw_status::TW_INVALID_ARGUMENT,
    tw_status::TW_PANIC,
    tw_status::TW_NOT_FOUND,
    tw_status::TW_CONFLICT,
    tw_status::TW_SNAPSHOT,
    tw_status::TW_RANDOM,
];

impl tw_status {
    /// The short, fixed description of this status, NUL-terminated.
    fn message(self) -> &'static str {
        match self {
            tw_status::TW_OK => "ok\0",
            tw_status::TW_NULL_POINTER => "a required pointer argument was NULL\0",
            tw_status::TW_INVALID_UTF8 => "text is not valid UTF-8\0",
            tw_status::TW_CONFIG => "invalid configuration\0",
            tw_status::TW_RULE => "invalid rule in the configuration\0",
            tw_status::TW_BUFFER_TOO_SMALL => "the output buffer is too small\0",
            tw_status::TW_INVALID_ARGUMENT => "an argument is out of range\0",
            tw_status::TW_PANIC => "internal panic in tokenward (a bug; please report it)\0",
            tw_status::TW_NOT_FOUND => "no such token or policy\0",
            tw_status::TW_CONFLICT => "the call conflicts with the current state\0",
            tw_status::TW_SNAPSHOT => "the snapshot or event chain cannot be restored\0",
            tw_status::TW_RANDOM => "the operating system's random source failed\0",
        }
    }
}

impl From<tokenward::ErrorKind> for tw_status {
    /// The status of each core error kind: the C column of the core's one error table.
    fn from(kind: tokenward::ErrorKind) -> tw_status {
        use tokenward::ErrorKind as K;
        match kind {
            K::Config => tw_status::TW_CONFIG,
            K::Rule => tw_status::TW_RULE,
            K::InvalidArgument => tw_status::TW_INVALID_ARGUMENT,
            K::NotFound => tw_status::TW_NOT_FOUND,
            K::Conflict => tw_status::TW_CONFLICT,
            K::Snapshot => tw_status::TW_SNAPSHOT,
            K::Random => tw_status::TW_RANDOM,
        }
    }
}

/// A short, static, English description of a status code.
///
/// `status` is a `tw_status` value (taken as `int` so that any integer is safe to pass);
/// an unknown value gives `"unknown status"`.
///
/// The returned string is NUL-terminated, has static lifetime and must not be freed. It never
/// contains caller data; use `tw_last_error_message` for the details of a failed call.
#[no_mangle]
pub extern "C" fn tw_status_message(status: c_int) -> *const c_char {
    let message = ALL_STATUSES
        .into_iter()
        .find(|s| *s as c_int == status)
        .map_or("unknown status\0", tw_status::message);
    message.as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn every_status_has_a_distinct_message() {
        let mut seen = std::collections::HashSet::new();
        for status in ALL_STATUSES {
            let text = unsafe { CStr::from_ptr(tw_status_message(status as c_int)) };
            assert!(seen.insert(text.to_str().unwrap().to_owned()), "{status:?}");
        }
        let unknown = unsafe { CStr::from_ptr(tw_status_message(-1)) };
        assert_eq!(unknown.to_str().unwrap(), "unknown status");
    }

    #[test]
    fn every_error_kind_has_its_own_status() {
        let statuses: std::collections::HashSet<_> = tokenward::ErrorKind::ALL
            .into_iter()
            .map(|kind| tw_status::from(kind) as c_int)
            .collect();
        assert_eq!(statuses.len(), tokenward::ErrorKind::ALL.len());
    }

    #[test]
    fn codes_are_stable() {
        for (i, status) in ALL_STATUSES.into_iter().enumerate() {
            assert_eq!(status as usize, i);
        }
    }
}
