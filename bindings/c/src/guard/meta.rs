//! Token ids and metadata crossing the boundary: `tw_token_id` (out), `tw_token_meta` and
//! `tw_selector` (in).

use std::ffi::c_char;

use tokenward::guard::{Expectations, PolicySpec};
use tokenward::{PolicyDoc, Selector, TokenId, TokenMeta};

use crate::boundary::Failure;
use crate::status::tw_status;
use crate::text::{self, tw_str};

/// The size of `tw_token_id.text`: `tid_`, 32 hex digits and a NUL.
pub const TW_TOKEN_ID_SIZE: usize = 37;

/// A token id as text, in a caller-owned struct: `tid_` and 32 lowercase hex digits,
/// NUL-terminated (`strlen` is 36), or the empty string when there is no id.
///
/// An id is a keyed fingerprint of a token, not the token: safe to log, and what the
/// lifecycle functions (`tw_guard_revoke`, ...) take as their `id` argument
/// (`id.text, strlen(id.text)`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_token_id {
    /// The id, NUL-terminated.
    pub text: [c_char; TW_TOKEN_ID_SIZE],
}

impl tw_token_id {
    /// The empty id.
    pub(crate) const EMPTY: tw_token_id = tw_token_id {
        text: [0; TW_TOKEN_ID_SIZE],
    };

    /// The text of `id`, NUL-terminated: `tid_` and the lowercase hex of its bytes, as the
    /// core's `Display` writes it (a test holds the two together). Written by hand: through
    /// `fmt` it cost more than the whole check (callgrind, `benches/c_guard_check.sh`).
    #[inline]
    pub(crate) fn of(id: &TokenId) -> tw_token_id {
        let mut bytes = [0u8; TW_TOKEN_ID_SIZE];
        bytes[..4].copy_from_slice(b"tid_");
        bytes[4..TW_TOKEN_ID_SIZE - 1].copy_from_slice(&hex(id.as_bytes()));
        // A loop, not `map`, which the compiler left as a call.
        let mut text = [0 as c_char; TW_TOKEN_ID_SIZE];
        for (c, b) in text.iter_mut().zip(bytes) {
            *c = b as c_char;
        }
        tw_token_id { text }
    }
}

/// The lowercase hex digits of 16 bytes. With SSE2 (every x86-64 processor has it) 16
/// instructions where the table below takes some 70, on the path of every `tw_guard_check`
/// (callgrind, `benches/c_guard_check.sh`).
#[cfg(target_arch = "x86_64")]
#[inline]
fn hex(bytes: &[u8; 16]) -> [u8; 32] {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86-64 baseline; the loads and stores are unaligned ones of
    // exactly 16 bytes within `bytes` and `out`.
    unsafe {
        let v = _mm_loadu_si128(bytes.as_ptr().cast());
        let nibble = _mm_set1_epi8(0x0f);
        let digits = |n: __m128i| {
            // '0' + n, and 39 more ('a' - '0' - 10) for n above 9.
            let letter = _mm_and_si128(_mm_cmpgt_epi8(n, _mm_set1_epi8(9)), _mm_set1_epi8(39));
            _mm_add_epi8(_mm_add_epi8(n, _mm_set1_epi8(b'0' as i8)), letter)
        };
        let high = digits(_mm_and_si128(_mm_srli_epi16(v, 4), nibble));
        let low = digits(_mm_and_si128(v, nibble));
        let mut out = [0u8; 32];
        _mm_storeu_si128(out.as_mut_ptr().cast(), _mm_unpacklo_epi8(high, low));
        _mm_storeu_si128(out[16..].as_mut_ptr().cast(), _mm_unpackhi_epi8(high, low));
        out
    }
}

/// The lowercase hex digits of 16 bytes, through a table of the digit pairs of every byte.
#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn hex(bytes: &[u8; 16]) -> [u8; 32] {
    const PAIRS: [[u8; 2]; 256] = {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut pairs = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            pairs[i] = [HEX[i >> 4], HEX[i & 0xf]];
            i += 1;
        }
        pairs
    };
    let mut out = [0u8; 32];
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair.copy_from_slice(&PAIRS[usize::from(*byte)]);
    }
    out
}

/// Writes `id` (or the empty id) to an optional out-parameter.
///
/// # Safety
/// `out` must be NULL or point to a writable `tw_token_id`.
pub(crate) unsafe fn write_id(out: *mut tw_token_id, id: Option<&TokenId>) {
    // SAFETY: the caller's contract.
    if let Some(out) = unsafe { out.as_mut() } {
        *out = id.map_or(tw_token_id::EMPTY, tw_token_id::of);
    }
}

/// Parses a token id argument. The core's error never quotes the text: a raw token passed
/// where an id belongs must not reach a log.
///
/// # Safety
/// As [`text::required_text`].
pub(crate) unsafe fn parse_id(id: *const c_char, id_len: usize) -> Result<TokenId, Failure> {
    // SAFETY: the caller's contract.
    let text = unsafe { text::required_text(id, id_len, "id") }?;
    Ok(text.parse()?)
}

/// What a token carries: who owns it, where it runs, its policy, its lifetime. Every field is
/// optional; a zero-initialised struct (`tw_token_meta meta = {0};`) is a token with no
/// metadata and no policy. The text fields are `tw_str` (absent when `len` is 0, UTF-8).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_token_meta {
    /// The owner (a person or team); what `tw_selector.owner` matches.
    pub owner: tw_str,
    /// The service using the token.
    pub service: tw_str,
    /// The deployment environment (`prod`, `staging`).
    pub environment: tw_str,
    /// `tag_count` tags (each non-empty); `tags` may be NULL when `tag_count` is 0.
    pub tags: *const tw_str,
    /// The number of tags.
    pub tag_count: usize,
    /// The name of a policy of the Guard's config (`[policies.<name>]`).
    pub policy: tw_str,
    /// A policy document of the token's own (TOML, or JSON when it starts with `{`), with the
    /// fields of a `[policies.<name>]` table. At most one of `policy` and `policy_doc`.
    pub policy_doc: tw_str,
    /// When the token was issued, Unix milliseconds; 0 means the call's `now`.
    pub issued_at: i64,
    /// When the token expires, Unix milliseconds; 0 means never (its policy may still limit
    /// its lifetime).
    pub expires_at: i64,
    /// Soft expectations, a JSON object of string lists: `countries` (`"DE"`), `networks`
    /// (CIDRs), `devices`, `endpoints` (scope patterns, as in a policy). They inform the usage
    /// detectors (something outside them is evidence) and never deny by themselves.
    pub expect: tw_str,
}

/// Which tokens `tw_guard_revoke_where` revokes: those matching every field given (owner,
/// service, environment, and one of their tags). At least one field must be given.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tw_selector {
    /// The owner to match.
    pub owner: tw_str,
    /// The service to match.
    pub service: tw_str,
    /// The environment to match.
    pub environment: tw_str,
    /// A tag the token carries.
    pub tag: tw_str,
}

/// The core's metadata for an optional `tw_token_meta`.
///
/// # Safety
/// `meta` must be NULL or point to a `tw_token_meta` whose text fields and tag array are
/// valid as documented.
pub(crate) unsafe fn token_meta(meta: *const tw_token_meta) -> Result<TokenMeta, Failure> {
    // SAFETY: the caller's contract.
    let Some(meta) = (unsafe { meta.as_ref() }) else {
        return Ok(TokenMeta::new());
    };
    // SAFETY: the caller's contract, field by field.
    let text = |field: &tw_str, what| unsafe { field.text(what) }.map(|t| t.map(String::from));
    let policy = match (
        text(&meta.policy, "meta.policy")?,
        // SAFETY: as above.
        unsafe { meta.policy_doc.text("meta.policy_doc") }?,
    ) {
        (Some(_), Some(_)) => {
            return Err(Failure::new(
                tw_status::TW_INVALID_ARGUMENT,
                "meta: give policy (a name) or policy_doc (a document), not both",
            ))
        }
        (Some(name), None) => Some(PolicySpec::Named(name)),
        (None, Some(doc)) => Some(PolicySpec::Inline(Box::new(policy_doc(doc)?))),
        (None, None) => None,
    };
    Ok(TokenMeta {
        owner: text(&meta.owner, "meta.owner")?,
        service: text(&meta.service, "meta.service")?,
        environment: text(&meta.environment, "meta.environment")?,
        // SAFETY: the caller's contract.
        tags: unsafe { tags(meta.tags, meta.tag_count) }?,
        policy,
        issued_at: (meta.issued_at != 0).then_some(meta.issued_at),
        expires_at: (meta.expires_at != 0).then_some(meta.expires_at),
        // SAFETY: the caller's contract.
        expect: unsafe { meta.expect.text("meta.expect") }?
            .map(expectations)
            .transpose()?,
    })
}

/// Soft expectations from JSON text; errors name the field (`meta.expect.countries[1]`).
fn expectations(text: &str) -> Result<Expectations, Failure> {
    Expectations::from_json(text).map_err(|e| {
        let path = match e.path.as_str() {
            "" => "meta.expect".to_string(),
            p => format!("meta.expect.{p}"),
        };
        Failure::new(e.kind().into(), format!("{path}: {}", e.reason))
    })
}

/// A token's own policy document. Errors name the field inside it (`meta.policy_doc.
/// allow_ips[0]`), as the core names the fields of a config.
fn policy_doc(text: &str) -> Result<PolicyDoc, Failure> {
    let parsed = match is_json(text) {
        true => PolicyDoc::from_json(text),
        false => PolicyDoc::from_toml(text),
    };
    parsed.map_err(|e| {
        let path = match e.path.as_str() {
            "" => "meta.policy_doc".to_string(),
            p if p.starts_with('[') => format!("meta.policy_doc{p}"),
            p => format!("meta.policy_doc.{p}"),
        };
        Failure::new(e.kind().into(), format!("{path}: {}", e.reason))
    })
}

/// # Safety
/// `tags` must be NULL or point to `count` `tw_str`s, each valid as documented.
unsafe fn tags(tags: *const tw_str, count: usize) -> Result<Vec<String>, Failure> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if tags.is_null() {
        return Err(Failure::new(
            tw_status::TW_NULL_POINTER,
            format!("meta.tags is NULL but meta.tag_count is {count}"),
        ));
    }
    if count > isize::MAX as usize / std::mem::size_of::<tw_str>() {
        return Err(Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            format!("meta.tag_count {count} is out of range"),
        ));
    }
    // SAFETY: non-NULL, size in range; validity is the caller's contract.
    let tags = unsafe { std::slice::from_raw_parts(tags, count) };
    tags.iter()
        .enumerate()
        .map(|(i, tag)| {
            let what = format!("meta.tags[{i}]");
            // SAFETY: the caller's contract.
            match unsafe { tag.text(&what) }? {
                Some(tag) => Ok(tag.to_string()),
                None => Err(Failure::new(
                    tw_status::TW_INVALID_ARGUMENT,
                    format!("{what} is empty"),
                )),
            }
        })
        .collect()
}

/// The core's selector for a `tw_selector`.
///
/// # Safety
/// `selector` must point to a `tw_selector` whose fields are valid as documented.
pub(crate) unsafe fn selector(selector: &tw_selector) -> Result<Selector, Failure> {
    // SAFETY: the caller's contract, field by field.
    let text = |field: &tw_str, what| unsafe { field.text(what) }.map(|t| t.map(String::from));
    Ok(Selector {
        owner: text(&selector.owner, "selector.owner")?,
        service: text(&selector.service, "selector.service")?,
        environment: text(&selector.environment, "selector.environment")?,
        tag: text(&selector.tag, "selector.tag")?,
    })
}

/// Whether a document is JSON (it starts with `{`) rather than TOML, as the redactor's config
/// decides.
pub(crate) fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> tw_str {
        tw_str {
            ptr: text.as_ptr().cast(),
            len: text.len(),
        }
    }

    const NONE: tw_str = tw_str {
        ptr: std::ptr::null(),
        len: 0,
    };

    fn empty_meta() -> tw_token_meta {
        tw_token_meta {
            owner: NONE,
            service: NONE,
            environment: NONE,
            tags: std::ptr::null(),
            tag_count: 0,
            policy: NONE,
            policy_doc: NONE,
            issued_at: 0,
            expires_at: 0,
            expect: NONE,
        }
    }

    #[test]
    fn expectations_are_read_and_their_errors_name_the_field() {
        let doc = r#"{"countries": ["DE", "FR"], "networks": ["10.0.0.0/8"]}"#;
        let meta = tw_token_meta {
            expect: s(doc),
            ..empty_meta()
        };
        let core = unsafe { token_meta(&meta) }.unwrap();
        let expect = core.expect.expect("expectations read");
        assert_eq!(expect.countries, ["DE", "FR"]);
        let bad = tw_token_meta {
            expect: s(r#"{"countries": ["DE", "AKIA7QX2M4RB5KQ3YHV6"]}"#),
            ..empty_meta()
        };
        let err = unsafe { token_meta(&bad) }.unwrap_err();
        let message = err.message;
        assert!(message.contains("meta.expect.countries[1]"), "{message}");
        assert!(!message.contains("AKIA"), "{message}");
    }

    #[test]
    fn ids_are_the_core_text() {
        let mut bytes = [0u8; 16];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0x5a;
        }
        // Every byte value at every position, in the 16 ids of bytes 16k..16k+15 and their
        // rotations.
        let every_byte = (0..=255u8).collect::<Vec<_>>();
        let rotations = every_byte.chunks_exact(16).flat_map(|chunk| {
            (0..16).map(move |r| {
                let mut b: [u8; 16] = chunk.try_into().unwrap();
                b.rotate_left(r);
                TokenId::from_bytes(b)
            })
        });
        for id in [
            TokenId::from_bytes(bytes),
            TokenId::from_bytes([0; 16]),
            TokenId::from_bytes([0xff; 16]),
        ]
        .into_iter()
        .chain(rotations)
        {
            let text = tw_token_id::of(&id);
            let c = unsafe { std::ffi::CStr::from_ptr(text.text.as_ptr()) };
            assert_eq!(c.to_str().unwrap(), id.to_string());
            assert_eq!(c.to_bytes().len(), TW_TOKEN_ID_SIZE - 1);
        }
    }

    #[test]
    fn metadata_fields() {
        let tags = [s("laptop"), s("ci")];
        let meta = tw_token_meta {
            owner: s("alice"),
            tags: tags.as_ptr(),
            tag_count: 2,
            policy: s("ci"),
            expires_at: 99,
            ..empty_meta()
        };
        let core = unsafe { token_meta(&meta) }.unwrap();
        assert_eq!(core.owner.as_deref(), Some("alice"));
        assert_eq!(core.tags, ["laptop", "ci"]);
        assert_eq!(core.policy, Some(PolicySpec::Named("ci".into())));
        assert_eq!((core.issued_at, core.expires_at), (None, Some(99)));
        assert_eq!(
            unsafe { token_meta(std::ptr::null()) }.unwrap(),
            TokenMeta::new()
        );
    }

    #[test]
    fn metadata_errors_name_the_field_never_the_value() {
        let both = tw_token_meta {
            policy: s("ci"),
            policy_doc: s("subjects = [\"x\"]"),
            ..empty_meta()
        };
        let err = unsafe { token_meta(&both) }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_INVALID_ARGUMENT);

        let doc = tw_token_meta {
            policy_doc: s("allow_ips = \"hunter2-secret\""),
            ..empty_meta()
        };
        let err = unsafe { token_meta(&doc) }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_CONFIG);
        assert!(
            err.message.starts_with("meta.policy_doc.allow_ips: "),
            "{}",
            err.message
        );
        assert!(!err.message.contains("hunter2"), "{}", err.message);

        let tags = [s("a"), NONE];
        let empty_tag = tw_token_meta {
            tags: tags.as_ptr(),
            tag_count: 2,
            ..empty_meta()
        };
        let err = unsafe { token_meta(&empty_tag) }.unwrap_err();
        assert_eq!(err.message, "meta.tags[1] is empty");
        let null_tags = tw_token_meta {
            tag_count: 3,
            ..empty_meta()
        };
        let err = unsafe { token_meta(&null_tags) }.unwrap_err();
        assert_eq!(err.status, tw_status::TW_NULL_POINTER);
    }
}
