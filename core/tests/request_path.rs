//! Request paths: the canonical form, `invalid_path` through `Guard::check`, what the usage
//! tracker observes, and property tests against an independent reference normaliser.

use proptest::prelude::*;
use tokenward::policy::{canonical_path, PathError, MAX_PATH_LEN};
use tokenward::{AlertKind, Guard, GuardConfig, Reason, Request, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;

/// What a raw path should become.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Canonical, with this form.
    Canon(&'static str),
    /// Refused, for this reason.
    Refused(PathError),
}

use Expect::{Canon, Refused};
use PathError::*;

/// Every form the issue names, and the others an attacker would try, with their outcome.
const CASES: &[(&str, Expect)] = &[
    // Allowed, already canonical.
    ("/v1/orders/42", Canon("/v1/orders/42")),
    ("/v1/orders/a.b", Canon("/v1/orders/a.b")),
    ("/v1/orders/.hidden", Canon("/v1/orders/.hidden")),
    ("/v1/orders/..a", Canon("/v1/orders/..a")),
    (
        "/v1/orders/a!$&'()*+,=:@b",
        Canon("/v1/orders/a!$&'()*+,=:@b"),
    ),
    ("/v1/orders/", Canon("/v1/orders/")),
    ("/v1/orders", Canon("/v1/orders")),
    ("/v1/orders/1/items", Canon("/v1/orders/1/items")),
    ("/v1/admin", Canon("/v1/admin")),
    ("/V1/orders/1", Canon("/V1/orders/1")),
    ("/", Canon("/")),
    // Query strings and fragments are dropped, whatever they hold.
    ("/v1/orders/42?x=../../admin", Canon("/v1/orders/42")),
    ("/v1/orders/42#/../admin", Canon("/v1/orders/42")),
    ("/v1/orders/42?%zz;\\", Canon("/v1/orders/42")),
    // Unreserved escapes decode; others keep an upper-case escape.
    ("/v1/orders/%34%32", Canon("/v1/orders/42")),
    ("/v1/%6Frders/42", Canon("/v1/orders/42")),
    ("/v1/orders/%7e%2D%5f%2e1", Canon("/v1/orders/~-_.1")),
    ("/v1/orders/a%2eb", Canon("/v1/orders/a.b")),
    ("/v1/orders/%2A", Canon("/v1/orders/%2A")),
    ("/v1/orders/%21", Canon("/v1/orders/%21")),
    ("/v1/orders/a%3fb", Canon("/v1/orders/a%3Fb")),
    ("/v1/orders/a%23b", Canon("/v1/orders/a%23b")),
    ("/v1/orders/caf%c3%a9", Canon("/v1/orders/caf%C3%A9")),
    ("/v1/orders/%F0%9F%98%80", Canon("/v1/orders/%F0%9F%98%80")),
    ("/v1/orders/100%25", Canon("/v1/orders/100%25")),
    ("/v1/orders/100%25off", Canon("/v1/orders/100%25off")),
    ("/v1/orders/%25a", Canon("/v1/orders/%25a")),
    // Raw characters that may not stand in a path are encoded.
    ("/v1/orders/café", Canon("/v1/orders/caf%C3%A9")),
    ("/v1/orders/a b", Canon("/v1/orders/a%20b")),
    (
        "/v1/orders/\"<>[]^`{|}",
        Canon("/v1/orders/%22%3C%3E%5B%5D%5E%60%7B%7C%7D"),
    ),
    ("/v1/orders/日本", Canon("/v1/orders/%E6%97%A5%E6%9C%AC")),
    // Encoded separators and backslashes.
    ("/v1/orders/1%2Fadmin", Refused(EncodedSeparator)),
    ("/v1/orders/1%2fadmin", Refused(EncodedSeparator)),
    ("/v1/orders/..%2fadmin", Refused(EncodedSeparator)),
    ("/v1/orders/..%5cadmin", Refused(EncodedSeparator)),
    ("/v1/orders/..%5Cadmin", Refused(EncodedSeparator)),
    ("/v1/orders/..\\admin", Refused(EncodedSeparator)),
    ("/v1/orders/1\\", Refused(EncodedSeparator)),
    // Dot segments, raw or encoded, and segments of only dots.
    ("/v1/orders/../admin", Refused(DotSegment)),
    ("/v1/orders/./1", Refused(DotSegment)),
    ("/v1/orders/.", Refused(DotSegment)),
    ("/v1/orders/..", Refused(DotSegment)),
    ("/v1/orders/...", Refused(DotSegment)),
    ("/v1/orders/%2e%2e/admin", Refused(DotSegment)),
    ("/v1/orders/%2E%2E/admin", Refused(DotSegment)),
    ("/v1/orders/.%2e/admin", Refused(DotSegment)),
    ("/v1/orders/%2e./admin", Refused(DotSegment)),
    ("/v1/orders/%2e", Refused(DotSegment)),
    ("/../v1/orders/1", Refused(DotSegment)),
    // Path parameters.
    ("/v1/orders/..;/admin", Refused(PathParameter)),
    ("/v1/orders/1;jsessionid=x", Refused(PathParameter)),
    ("/v1/orders/1%3badmin", Refused(PathParameter)),
    ("/v1/orders/1%3Badmin", Refused(PathParameter)),
    // Control characters, raw or encoded.
    ("/v1/orders/1%00", Refused(ControlCharacter)),
    ("/v1/orders/1\0", Refused(ControlCharacter)),
    ("/v1/orders/1\r\nX-Admin: 1", Refused(ControlCharacter)),
    ("/v1/orders/1%0d%0aX-Admin:%201", Refused(ControlCharacter)),
    ("/v1/orders/1\t", Refused(ControlCharacter)),
    ("/v1/orders/1%09", Refused(ControlCharacter)),
    ("/v1/orders/1\x7f", Refused(ControlCharacter)),
    ("/v1/orders/1%7F", Refused(ControlCharacter)),
    ("/v1/orders/1%1f", Refused(ControlCharacter)),
    ("/v1/orders/1\u{85}", Refused(ControlCharacter)),
    ("/v1/orders/1%c2%85", Refused(ControlCharacter)),
    ("/v1/orders/1%e2%80%a8", Refused(ControlCharacter)),
    // Invalid and overlong UTF-8.
    ("/v1/orders/%c0%ae%c0%ae/admin", Refused(InvalidUtf8)),
    ("/v1/orders/%c0%af", Refused(InvalidUtf8)),
    ("/v1/orders/%e0%80%ae", Refused(InvalidUtf8)),
    ("/v1/orders/%f0%80%80%ae", Refused(InvalidUtf8)),
    ("/v1/orders/%ff", Refused(InvalidUtf8)),
    ("/v1/orders/%80", Refused(InvalidUtf8)),
    ("/v1/orders/%c3", Refused(InvalidUtf8)),
    ("/v1/orders/%c3x", Refused(InvalidUtf8)),
    ("/v1/orders/%c3é", Refused(InvalidUtf8)),
    ("/v1/orders/%c3%28", Refused(InvalidUtf8)),
    ("/v1/orders/%ed%a0%80", Refused(InvalidUtf8)),
    ("/v1/orders/%f4%90%80%80", Refused(InvalidUtf8)),
    // Double encoding, including a second layer spelled with unreserved escapes.
    ("/v1/orders/..%252fadmin", Refused(DoubleEncoding)),
    ("/v1/orders/%252e%252e/admin", Refused(DoubleEncoding)),
    ("/v1/orders/%2525", Refused(DoubleEncoding)),
    ("/v1/orders/%25%32%66", Refused(DoubleEncoding)),
    ("/v1/orders/%25%32f", Refused(DoubleEncoding)),
    // IIS's %uXXXX after one decoding (found in review).
    (
        "/v1/orders/x%25u002f..%25u002fadmin",
        Refused(DoubleEncoding),
    ),
    ("/v1/orders/%25U002F", Refused(DoubleEncoding)),
    // Windows trims trailing dots and spaces from a segment.
    ("/v1/orders/..%20/admin", Refused(DotSegment)),
    ("/v1/orders/.%20./admin", Refused(DotSegment)),
    ("/v1/orders/%2541", Refused(DoubleEncoding)),
    // Malformed escapes.
    ("/v1/orders/%zz", Refused(MalformedEscape)),
    ("/v1/orders/%2", Refused(MalformedEscape)),
    ("/v1/orders/%", Refused(MalformedEscape)),
    ("/v1/orders/%u002e%u002e/admin", Refused(MalformedEscape)),
    ("/v1/orders/%%32%66", Refused(MalformedEscape)),
    ("/v1/orders/%c3%z9", Refused(MalformedEscape)),
    ("/v1/orders/%2%2f", Refused(MalformedEscape)),
    // Not an origin-form path.
    ("v1/orders/1", Refused(NotAbsolute)),
    ("", Refused(NotAbsolute)),
    ("*", Refused(NotAbsolute)),
    ("?/v1/orders/1", Refused(NotAbsolute)),
    ("http://h/v1/orders/1", Refused(NotAbsolute)),
    ("%2fv1/orders/1", Refused(NotAbsolute)),
    // Empty segments: servers merge, keep, or read `//` as a host.
    ("/v1//orders/1", Refused(EmptySegment)),
    ("//v1/orders/1", Refused(EmptySegment)),
    ("/v1/orders//1", Refused(EmptySegment)),
    ("/v1/orders//", Refused(EmptySegment)),
    // Unicode look-alikes that normalisation turns into delimiters or dots.
    ("/v1/orders/..\u{FF0F}admin", Refused(LookAlikeDelimiter)),
    ("/v1/orders/..%ef%bc%8fadmin", Refused(LookAlikeDelimiter)),
    (
        "/v1/orders/\u{FF0E}\u{FF0E}/admin",
        Refused(LookAlikeDelimiter),
    ),
    ("/v1/orders/%e2%80%a5/admin", Refused(LookAlikeDelimiter)),
    ("/v1/orders/1\u{FF1B}x", Refused(LookAlikeDelimiter)),
    ("/v1/orders/1\u{2215}admin", Refused(LookAlikeDelimiter)),
    ("/v1/orders/%ef%bc%85%32%66", Refused(LookAlikeDelimiter)),
];

fn guard(endpoints: &str) -> (Guard, String) {
    let config = format!("[policies.p]\n{endpoints}\n");
    let guard = Guard::with_config(
        TokenKey::new(b"path key"),
        &GuardConfig::from_toml(&config).unwrap(),
    )
    .unwrap();
    let token = guard
        .mint(&TokenMeta::new().policy("p"), &[1; 32], T0)
        .unwrap()
        .token
        .into_string();
    (guard, token)
}

/// The verdict's reasons for `GET path`.
fn reasons(guard: &(Guard, String), path: &str) -> Vec<Reason> {
    let request = Request::new(&guard.1).endpoint("GET", path);
    guard.0.check(&request, T0).reasons
}

/// Whether a canonical path lies in `GET /v1/orders/*`, read off the expected form.
fn in_one_segment_scope(canonical: &str) -> bool {
    matches!(
        canonical.split('/').collect::<Vec<_>>()[..],
        ["", "v1", "orders", id] if !id.is_empty()
    )
}

/// Whether a canonical path lies in `GET /v1/orders/**`.
fn in_tail_scope(canonical: &str) -> bool {
    canonical == "/v1/orders" || canonical.starts_with("/v1/orders/")
}

#[test]
fn every_case_has_its_canonical_form_or_reason() {
    for &(raw, expect) in CASES {
        let got = canonical_path(raw);
        match expect {
            Canon(form) => assert_eq!(got.as_deref(), Ok(form), "{raw:?}"),
            Refused(error) => assert_eq!(got, Err(error), "{raw:?}"),
        }
    }
}

#[test]
fn scopes_allow_only_canonical_paths_inside_them_through_the_guard() {
    let one = guard(r#"endpoints = ["GET /v1/orders/*"]"#);
    let tail = guard(r#"endpoints = ["GET /v1/orders/**"]"#);
    for &(raw, expect) in CASES {
        let (in_one, in_tail) = match expect {
            Canon(form) => (in_one_segment_scope(form), in_tail_scope(form)),
            Refused(_) => (false, false),
        };
        for (g, inside) in [(&one, in_one), (&tail, in_tail)] {
            let expected = match expect {
                Refused(_) => vec![Reason::InvalidPath],
                Canon(_) if inside => vec![],
                Canon(_) => vec![Reason::ScopeDenied],
            };
            assert_eq!(reasons(g, raw), expected, "{raw:?}");
        }
    }
}

#[test]
fn long_paths_are_bounded() {
    let tail = guard(r#"endpoints = ["GET /v1/orders/**"]"#);
    let fits = format!("/v1/orders/{}", "a/".repeat((MAX_PATH_LEN - 12) / 2));
    assert!(fits.len() <= MAX_PATH_LEN);
    assert!(reasons(&tail, &fits).is_empty());
    let long = format!("/v1/orders/{}", "a".repeat(MAX_PATH_LEN));
    assert_eq!(canonical_path(&long), Err(PathError::TooLong));
    assert_eq!(reasons(&tail, &long), [Reason::InvalidPath]);
    // A long query string does not count.
    let query = format!("/v1/orders/1?{}", "q".repeat(2 * MAX_PATH_LEN));
    assert!(reasons(&tail, &query).is_empty());
    // The worst case for the copy, every byte non-ASCII, stays within three times the input.
    let wide = format!("/{}", "é".repeat(MAX_PATH_LEN / 2 - 1));
    assert_eq!(
        canonical_path(&wide).unwrap().len(),
        1 + 3 * (wide.len() - 1)
    );
}

#[test]
fn a_path_without_a_canonical_form_is_refused_with_or_without_scopes() {
    let scoped = guard(r#"endpoints = ["GET /v1/orders/*"]"#);
    let open = guard(r#"subjects = []"#);
    let no_path = |g: &(Guard, String)| g.0.check(&Request::new(&g.1), T0).reasons;
    assert_eq!(no_path(&scoped), [Reason::ScopeDenied]);
    assert!(no_path(&open).is_empty());
    assert!(reasons(&open, "/v1/orders/1").is_empty());
    // The host's server may route such a path anywhere: a policy without scopes refuses it too.
    assert_eq!(
        reasons(&open, "/v1/orders/..%2fadmin"),
        [Reason::InvalidPath]
    );
    assert_eq!(reasons(&open, "not a path"), [Reason::InvalidPath]);
    // So does a token with no policy at all.
    let bare = Guard::new(TokenKey::new(b"path key"));
    let token = bare.mint(&TokenMeta::new(), &[5; 32], T0).unwrap().token;
    let request = Request::new(token.expose()).endpoint("GET", "/a/%2e%2e/b");
    assert_eq!(bare.check(&request, T0).reasons, [Reason::InvalidPath]);
    // Without a method the scope fails too, and an invalid path says so.
    let request = Request {
        path: Some("/v1/orders/%2e%2e"),
        ..Request::new(&scoped.1)
    };
    assert_eq!(scoped.0.check(&request, T0).reasons, [Reason::InvalidPath]);
}

/// Object keys carry encoded slashes (`reports%2F2024%2Fq1.csv`). Where no endpoint scope
/// judges the path, the escape is data within a segment; under scopes it stays refused (a
/// server that decodes it before routing would read other segments than the scope did).
#[test]
fn encoded_slashes_in_a_segment_are_data_where_no_scope_judges_the_path() {
    let scoped = guard(r#"endpoints = ["GET /v1/objects/*"]"#);
    let open = guard(r#"subjects = []"#);
    let bare = Guard::new(TokenKey::new(b"path key"));
    let bare_token = bare.mint(&TokenMeta::new(), &[6; 32], T0).unwrap().token;
    let bare_reasons = |path: &str| {
        let request = Request::new(bare_token.expose()).endpoint("GET", path);
        bare.check(&request, T0).reasons
    };
    for key in [
        "/v1/objects/reports%2F2024%2Fq1.csv",
        "/v1/objects/reports%2f2024%2fq1.csv?version=3",
        "/v1/objects/a%2Fcaf%c3%a9/meta",
        "/v1/objects/trailing%2F",
    ] {
        assert!(reasons(&open, key).is_empty(), "{key}");
        assert!(bare_reasons(key).is_empty(), "{key}");
        assert_eq!(reasons(&scoped, key), [Reason::InvalidPath], "{key}");
    }
    // Read as separators, these hide a dot or empty segment, or break another rule: refused
    // with or without scopes.
    for hostile in [
        "/v1/objects/..%2Fadmin",
        "/v1/objects/a%2F..%2F..%2Fadmin",
        "/v1/objects/a%2F.",
        "/v1/objects/a%2F%2Fb",
        "/%2Fetc%2Fpasswd",
        "/v1/objects/a%2F%2e%2e",
        "/v1/objects/a%2Fb%5Cc",
        "/v1/objects/a%252Fb",
        "/v1/objects/a%2Fb;x=1",
    ] {
        assert_eq!(reasons(&open, hostile), [Reason::InvalidPath], "{hostile}");
        assert_eq!(bare_reasons(hostile), [Reason::InvalidPath], "{hostile}");
    }
    // The policy alone says the same.
    let policy = tokenward::policy::Policy::from_toml("subjects = []").unwrap();
    let times = tokenward::policy::TokenTimes {
        issued_at: 0,
        last_used: 0,
    };
    let request = Request::new("tw_x").endpoint("GET", "/v1/objects/reports%2F2024%2Fq1.csv");
    assert!(policy.evaluate(&request, times, T0).is_empty());
}

#[test]
fn patterns_are_canonicalised_like_paths() {
    let g = guard(r#"endpoints = ["GET /v1/%7Euser/caf%c3%a9", "GET /v1/café/*"]"#);
    assert!(reasons(&g, "/v1/~user/café").is_empty());
    assert!(reasons(&g, "/v1/%7euser/caf%C3%A9").is_empty());
    assert!(reasons(&g, "/v1/caf%C3%A9/1").is_empty());
    for bad in [
        "GET /v1/a%2fb",
        "GET /v1/%2e%2e/x",
        "GET /v1/a;b",
        "GET /v1/%zz",
    ] {
        let config = format!("[policies.p]\nendpoints = [\"{bad}\"]");
        let err = GuardConfig::from_toml(&config).unwrap_err().to_string();
        assert!(
            err.contains("policies.p.endpoints[0]: invalid endpoint"),
            "{err}"
        );
    }
}

const USAGE: &str = r#"
[policies.scoped]
endpoints = ["GET /v1/orders/*"]
[policies.open]
[usage]
learning_period_secs = 0
learning_min_requests = 1
"#;

fn usage_guard() -> Guard {
    let config = GuardConfig::from_toml(USAGE).unwrap();
    Guard::with_config(TokenKey::new(b"usage key"), &config).unwrap()
}

#[test]
fn the_usage_tracker_sees_the_canonical_path() {
    let guard = usage_guard();
    let minted = guard
        .mint(&TokenMeta::new().policy("open"), &[2; 32], T0)
        .unwrap();
    let token = minted.token.expose();
    let check = |path: &str, at: i64| guard.check(&Request::new(token).endpoint("GET", path), at);
    // Three spellings of one endpoint count once.
    for (i, path) in ["/v1/orders/42", "/v1/orders/%34%32", "/v1/%6frders/42?x=1"]
        .into_iter()
        .enumerate()
    {
        assert!(check(path, T0 + i as i64).is_allowed());
    }
    let endpoints = |at| guard.stats(&minted.id, at).unwrap().distinct.endpoints;
    assert_eq!(endpoints(T0 + 10), 1);
    // A refused path is its own endpoint: it cannot pass for `/v1/orders/{id}` however its
    // raw text collapses (a long segment with a digit reads as an identifier).
    let refused = check("/v1/orders/..%2f..%2fadmin%2f000000", T0 + 20);
    assert_eq!(refused.reasons, [Reason::InvalidPath]);
    assert_eq!(endpoints(T0 + 30), 2);
}

#[test]
fn an_invalid_path_under_a_declared_scope_raises_an_alert() {
    let guard = usage_guard();
    let minted = guard
        .mint(&TokenMeta::new().policy("scoped"), &[3; 32], T0)
        .unwrap();
    let request = Request::new(minted.token.expose()).endpoint("GET", "/v1/orders/..%2fadmin");
    let verdict = guard.check(&request, T0 + 1);
    assert_eq!(verdict.reasons, [Reason::InvalidPath]);
    let alert = verdict
        .alerts
        .iter()
        .find(|a| a.kind == AlertKind::EndpointOutOfScope)
        .expect("an endpoint_out_of_scope alert");
    let evidence = serde_json::to_value(&alert.evidence).unwrap();
    assert_eq!(evidence["endpoint"], "GET /{invalid-path}");
    assert_eq!(evidence["declared"], true);
}

// ---- Properties against an independent reference. ----

/// Non-ASCII characters refused as look-alikes, with the NFKC form that makes them one
/// (Python's `unicodedata`, Unicode 14), and the look-alike slashes.
const LOOK_ALIKES: &[(char, &str)] = &[
    ('\u{037E}', ";"),
    ('\u{2024}', "."),
    ('\u{2025}', ".."),
    ('\u{2026}', "..."),
    ('\u{2044}', "/"),
    ('\u{2047}', "??"),
    ('\u{2048}', "?!"),
    ('\u{2049}', "!?"),
    ('\u{2100}', "a/c"),
    ('\u{2101}', "a/s"),
    ('\u{2105}', "c/o"),
    ('\u{2106}', "c/u"),
    ('\u{2215}', "/"),
    ('\u{2216}', "\\"),
    ('\u{FE14}', ";"),
    ('\u{FE16}', "?"),
    ('\u{FE19}', "..."),
    ('\u{FE30}', ".."),
    ('\u{FE52}', "."),
    ('\u{FE54}', ";"),
    ('\u{FE56}', "?"),
    ('\u{FE5F}', "#"),
    ('\u{FE68}', "\\"),
    ('\u{FE6A}', "%"),
    ('\u{FF03}', "#"),
    ('\u{FF05}', "%"),
    ('\u{FF0E}', "."),
    ('\u{FF0F}', "/"),
    ('\u{FF1B}', ";"),
    ('\u{FF1F}', "?"),
    ('\u{FF3C}', "\\"),
];

/// Whether a character reads as a delimiter or a dot once normalised.
fn looks_like_delimiter(c: char) -> bool {
    LOOK_ALIKES.iter().any(|&(l, nfkc)| {
        l == c && (nfkc.contains(['/', '\\', ';', '%', '?', '#']) || nfkc.chars().all(|d| d == '.'))
    })
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~".contains(&b)
}

/// Characters that stand raw in a canonical path besides the unreserved ones.
fn reserved_raw(b: u8) -> bool {
    b"!$&'()*+,=:@".contains(&b)
}

/// The rules read directly: decode every escape first, then judge the decoded bytes, then
/// write the canonical form. `Err(())` for a refused path.
fn reference(raw: &str) -> Result<String, ()> {
    let path = raw.split(['?', '#']).next().unwrap_or("");
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') || bytes.len() > MAX_PATH_LEN {
        return Err(());
    }
    // Every byte with whether it came from an escape.
    let mut decoded: Vec<(u8, bool)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(())?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return Err(());
            }
            let hex = std::str::from_utf8(hex).map_err(|_| ())?;
            decoded.push((u8::from_str_radix(hex, 16).map_err(|_| ())?, true));
            i += 3;
        } else {
            decoded.push((bytes[i], false));
            i += 1;
        }
    }
    let plain: Vec<u8> = decoded.iter().map(|&(b, _)| b).collect();
    let text = std::str::from_utf8(&plain).map_err(|_| ())?;
    let refused_byte = |&(b, escaped): &(u8, bool)| {
        (b == b'/' && escaped) || b == b'\\' || b == b';' || b < 0x20 || b == 0x7F
    };
    let refused_char =
        |c: char| ('\u{80}'..='\u{9F}').contains(&c) || c == '\u{2028}' || c == '\u{2029}';
    // Decoded once, a `%` followed by two hex digits (or IIS's `u`) is an escape again.
    let double = plain.windows(3).any(|w| {
        w[0] == b'%'
            && (matches!(w[1], b'u' | b'U') || w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
    }) || plain.ends_with(b"%u")
        || plain.ends_with(b"%U");
    if decoded.iter().any(refused_byte)
        || text
            .chars()
            .any(|c| refused_char(c) || looks_like_delimiter(c))
        || double
    {
        return Err(());
    }
    let segments: Vec<&[(u8, bool)]> = decoded[1..].split(|&(b, _)| b == b'/').collect();
    for (k, segment) in segments.iter().enumerate() {
        let last = k + 1 == segments.len();
        if (segment.is_empty() && !last)
            // Windows trims trailing dots and spaces: `..%20` is `..` there.
            || (!segment.is_empty() && segment.iter().all(|&(b, _)| b == b'.' || b == b' '))
        {
            return Err(());
        }
    }
    let mut out = String::new();
    for &(b, escaped) in &decoded {
        if unreserved(b) || (!escaped && (b == b'/' || reserved_raw(b))) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Fully decodes a path that is known to be well formed (query cut).
fn decode_all(path: &str) -> Vec<u8> {
    let bytes = path.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1..i + 3)) {
            (b'%', Some(hex)) if hex.iter().all(u8::is_ascii_hexdigit) => {
                let hex = std::str::from_utf8(hex).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Pieces attackers and ordinary clients put in paths.
const PIECES: &[&str] = &[
    "/",
    "/",
    "/",
    "a",
    "Z",
    "0",
    "9",
    "f",
    "F",
    "42",
    "orders",
    ".",
    "..",
    "-",
    "_",
    "~",
    "!",
    "*",
    ":",
    "@",
    "+",
    "=",
    ",",
    "'",
    "(",
    "%2e",
    "%2E",
    "%2f",
    "%2F",
    "%5c",
    "\\",
    ";",
    "%3b",
    "%3B",
    "%00",
    "\0",
    "\r",
    "\n",
    "%0d%0a",
    "\t",
    "\x7f",
    "%7f",
    "%c0%ae",
    "%c0%af",
    "%e0%80%ae",
    "%c3%a9",
    "%C3%A9",
    "é",
    "日",
    "%e6%97%a5",
    "%ff",
    "%80",
    "%c3",
    "%ed%a0%80",
    "%f0%9f%98%80",
    "%25",
    "%2525",
    "%252f",
    "%32",
    "%66",
    "%46",
    "%41",
    "%61",
    "%7e",
    "%7E",
    "%2d",
    "%5f",
    "%21",
    "%2a",
    "%3f",
    "%23",
    "%20",
    " ",
    "\"",
    "{",
    "|",
    "^",
    "`",
    "[",
    "%zz",
    "%2",
    "%",
    "%u002f",
    "?",
    "#",
    "?x=../..",
    "\u{FF0F}",
    "%ef%bc%8f",
    "\u{FF0E}",
    "%e2%80%a5",
    "\u{2215}",
    "\u{85}",
    "%c2%85",
    "%e2%80%a8",
    "\u{2028}",
];

/// A path built from the pieces, usually starting with `/`.
fn piece_path() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["/", "/", "/", "/", "", "//", "%2f"]),
        prop::collection::vec(prop::sample::select(PIECES), 0..12),
    )
        .prop_map(|(head, pieces)| format!("{head}{}", pieces.concat()))
}

/// Any text, half of it behind a `/`.
fn any_path() -> impl Strategy<Value = String> {
    (any::<bool>(), any::<String>()).prop_map(|(slash, s)| if slash { format!("/{s}") } else { s })
}

/// What must hold of every canonical form.
fn assert_safe(raw: &str, canonical: &str) {
    let upper = canonical.to_ascii_uppercase();
    assert!(canonical.is_ascii(), "{raw:?} -> {canonical:?}");
    assert!(canonical.starts_with('/'));
    assert!(!upper.contains("%2F") && !upper.contains("%5C") && !upper.contains("%3B"));
    assert!(!double_encoded(canonical), "{canonical:?}");
    assert!(!canonical.bytes().any(|b| b < 0x20 || b == 0x7F));
    assert!(!canonical.contains(['\\', ';', '?', '#']));
    let segments: Vec<&str> = canonical[1..].split('/').collect();
    for (k, s) in segments.iter().enumerate() {
        assert!(
            !s.is_empty() || k + 1 == segments.len(),
            "{raw:?} -> {canonical:?}"
        );
        assert!(
            s.is_empty() || !s.bytes().all(|b| b == b'.'),
            "{canonical:?}"
        );
    }
    // Canonical forms are fixed points, and mean what the raw path meant.
    assert_eq!(canonical_path(canonical).as_deref(), Ok(canonical));
    let path = raw.split(['?', '#']).next().unwrap();
    assert_eq!(decode_all(canonical), decode_all(path), "{raw:?}");
}

/// `%25` followed by two hex digits in a canonical form.
fn double_encoded(canonical: &str) -> bool {
    canonical
        .as_bytes()
        .windows(5)
        .any(|w| w[..3] == *b"%25" && w[3].is_ascii_hexdigit() && w[4].is_ascii_hexdigit())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn agrees_with_the_reference_on_attack_pieces(raw in piece_path()) {
        let got = canonical_path(&raw).map(|c| c.into_owned()).map_err(|_| ());
        prop_assert_eq!(got, reference(&raw), "{:?}", raw);
    }

    #[test]
    fn canonical_forms_are_safe(raw in piece_path()) {
        if let Ok(canonical) = canonical_path(&raw) {
            assert_safe(&raw, &canonical);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn agrees_with_the_reference_on_any_text(raw in any_path()) {
        let got = canonical_path(&raw).map(|c| c.into_owned()).map_err(|_| ());
        prop_assert_eq!(got.clone(), reference(&raw), "{:?}", raw);
        if let Ok(canonical) = got {
            assert_safe(&raw, &canonical);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn the_guard_admits_exactly_the_reference_scope(
        pieces in prop::collection::vec(prop::sample::select(PIECES), 0..6),
    ) {
        let raw = format!("/v1/orders/{}", pieces.concat());
        let expected = match reference(&raw) {
            Err(()) => vec![Reason::InvalidPath],
            Ok(canonical) if in_one_segment_scope(&canonical) => vec![],
            Ok(_) => vec![Reason::ScopeDenied],
        };
        let g = GUARD.with(|g| reasons(g, &raw));
        prop_assert_eq!(g, expected, "{:?}", raw);
    }
}

thread_local! {
    static GUARD: (Guard, String) = guard(r#"endpoints = ["GET /v1/orders/*"]"#);
}
