//! Request paths: the one canonical form that every scope decision and usage count sees.
//!
//! A host passes the raw request-target path, as received and before its server decodes it
//! ([`Request::path`](crate::Request::path)). Servers disagree on what such a path means: some
//! decode `%2F` into a separator before routing, treat `\` as `/`, drop `;` parameters
//! (Tomcat's `..;/`), resolve `..` after decoding, accept overlong UTF-8 or decode twice. A
//! scope matched against one reading while the server routes another lets a token reach an
//! endpoint outside its scope: `/v1/orders/..%2fadmin` under `GET /v1/orders/*`. So the core
//! rewrites every path into one canonical form whose segments mean the same to every server,
//! and refuses, with [`PathError`], any path whose meaning depends on the server.
//!
//! [`canonical_path`] is that rewrite. The [`Guard`](crate::Guard) calls it once per check and
//! hands the result both to the policy's endpoint scopes and to the usage tracker; a policy with
//! endpoint scopes denies a path it refuses with [`Reason::InvalidPath`](crate::Reason).

use std::borrow::Cow;
use std::fmt;

/// The longest path accepted, in bytes, not counting the query string. Servers refuse far
/// shorter request lines (8 KiB is common); the bound keeps the canonical copy small (at most
/// three times this).
pub const MAX_PATH_LEN: usize = 32 * 1024;

/// Why a request path has no canonical form. Each names a trick that makes servers disagree.
///
/// ```
/// use tokenward::policy::{canonical_path, PathError};
///
/// assert_eq!(canonical_path("/v1/orders/..%2fadmin"), Err(PathError::EncodedSeparator));
/// assert_eq!(canonical_path("/v1/orders/%2e%2e/admin"), Err(PathError::DotSegment));
/// assert_eq!(PathError::DotSegment.to_string(), "a dot segment (., .. or only dots and spaces, possibly encoded)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathError {
    /// Empty, or not starting with `/` (`*`, `orders/1`, an absolute URL).
    NotAbsolute,
    /// Longer than [`MAX_PATH_LEN`].
    TooLong,
    /// `%2F` or `%5C` (a separator once decoded), or a raw `\` (a separator on Windows servers).
    EncodedSeparator,
    /// A segment of only dots (`.`, `..`, `...`), raw or encoded (`%2e%2e`, `.%2E`).
    DotSegment,
    /// An empty segment inside the path (`/a//b`): servers merge, keep or treat `//` as a host.
    EmptySegment,
    /// A `;` path parameter, raw or `%3B`: servers strip them before routing (`/..;/admin`).
    PathParameter,
    /// A control character, raw or encoded: 0x00-0x1F, 0x7F, the C1 range U+0080-U+009F and the
    /// line separators U+2028 and U+2029 (CR LF, NUL, NEL).
    ControlCharacter,
    /// Escapes that do not decode to UTF-8: a lone `%ff`, a cut sequence, an overlong form
    /// (`%c0%ae` for `.`) or a surrogate.
    InvalidUtf8,
    /// `%25` followed by two hex digits once decoded (`%252f`, `%25%32%66`): a server that
    /// decodes twice would see a different path.
    DoubleEncoding,
    /// `%` not followed by two hex digits (`%zz`, `%2`, IIS's `%u002f`).
    MalformedEscape,
    /// A character that Unicode compatibility normalisation (NFKC) turns into a delimiter or a
    /// dot segment, such as U+FF0F FULLWIDTH SOLIDUS or U+2025 TWO DOT LEADER, or a look-alike
    /// slash (U+2044, U+2215, U+2216).
    LookAlikeDelimiter,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::NotAbsolute => "the path must start with /",
            PathError::TooLong => "the path is longer than 32768 bytes",
            PathError::EncodedSeparator => "an encoded separator (%2F, %5C) or a backslash",
            PathError::DotSegment => {
                "a dot segment (., .. or only dots and spaces, possibly encoded)"
            }
            PathError::EmptySegment => "an empty path segment (//)",
            PathError::PathParameter => "a path parameter (; or %3B)",
            PathError::ControlCharacter => "a control character, raw or encoded",
            PathError::InvalidUtf8 => "escapes that do not decode to UTF-8 (invalid or overlong)",
            PathError::DoubleEncoding => "a double-encoded escape (%25 followed by two hex digits)",
            PathError::MalformedEscape => "a malformed escape (% not followed by two hex digits)",
            PathError::LookAlikeDelimiter => {
                "a character that Unicode normalisation turns into a delimiter or a dot"
            }
        })
    }
}

impl std::error::Error for PathError {}

impl PathError {
    /// Always [`ErrorKind::InvalidArgument`](crate::ErrorKind::InvalidArgument).
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidArgument
    }
}

/// The canonical form of a raw request path, or why it has none.
///
/// `raw` is the request-target path as received, before the server decodes it. The query
/// string and fragment (from the first `?` or `#`) are dropped. Then:
///
/// - escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded: `%7E` is `~`;
/// - other escapes keep their encoding, in upper-case hex: `%c3%a9` is `%C3%A9`;
/// - characters that may not stand raw in a path are encoded: non-ASCII text (`é` is
///   `%C3%A9`), space, `"`, `<`, `>`, `[`, `]`, `^`, `` ` ``, `{`, `|`, `}`.
///
/// The result is ASCII, starts with `/`, and decodes to the same bytes as `raw`. A path that
/// is already canonical (the usual case: plain ASCII with no `%`) comes back borrowed, without
/// allocation. The work is one pass, linear in the length, and the length is bounded by
/// [`MAX_PATH_LEN`].
///
/// A path is refused when servers could read it differently: encoded separators, dot
/// segments, empty segments, `;` parameters, control characters, invalid or overlong UTF-8,
/// double encoding, malformed escapes and Unicode look-alike delimiters (see [`PathError`]).
/// (Where no endpoint scope judges a path, a policy and the Guard accept `%2F` within a
/// segment, as object keys hold it, if it hides no dot or empty segment.)
/// A trailing `/` is kept: `/v1/orders/` is its own path.
///
/// ```
/// use std::borrow::Cow;
/// use tokenward::policy::{canonical_path, PathError};
///
/// assert!(matches!(canonical_path("/v1/orders/42?page=2"), Ok(Cow::Borrowed("/v1/orders/42"))));
/// assert_eq!(canonical_path("/v1/%7euser/caf%c3%a9").unwrap(), "/v1/~user/caf%C3%A9");
/// assert_eq!(canonical_path("/v1/café").unwrap(), "/v1/caf%C3%A9");
/// assert_eq!(canonical_path("/v1/orders/..;/admin"), Err(PathError::PathParameter));
/// assert_eq!(canonical_path("/v1/orders/%c0%ae%c0%ae/admin"), Err(PathError::InvalidUtf8));
/// ```
pub fn canonical_path(raw: &str) -> Result<Cow<'_, str>, PathError> {
    let end = memchr::memchr2(b'?', b'#', raw.as_bytes()).unwrap_or(raw.len());
    let path = &raw[..end];
    if !path.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if path.len() > MAX_PATH_LEN {
        return Err(PathError::TooLong);
    }
    if is_plain(path.as_bytes()) {
        return Ok(Cow::Borrowed(path));
    }
    let mut canon = Canonicaliser {
        src: path,
        copied: 0,
        out: None,
        segment_len: 0,
        dots_only: true,
    };
    canon.run()?;
    Ok(canon.finish())
}

/// The canonical form of a raw request path whose segments hold encoded slashes (`%2F`) as
/// data, as object keys do (`/v1/objects/reports%2F2024%2Fq1.csv`), for a request that no
/// endpoint scope judges. The escape is kept (as `%2F`), and the path is otherwise held to
/// every rule of [`canonical_path`], with each encoded slash read as a separator as well: a
/// server that decodes it before routing must find no dot or empty segment behind it
/// (`..%2F`, `%2F%2F`). `None` when the path is refused either way, or holds no `%2F`.
pub(crate) fn canonical_path_with_encoded_slashes(raw: &str) -> Option<String> {
    let end = memchr::memchr2(b'?', b'#', raw.as_bytes()).unwrap_or(raw.len());
    let path = &raw[..end];
    let pieces = split_encoded_slashes(path);
    if pieces.len() < 2 {
        return None;
    }
    canonical_path(&pieces.join("/")).ok()?;
    let mut out = canonical_path(pieces[0]).ok()?.into_owned();
    for piece in &pieces[1..] {
        out.push_str("%2F");
        out.push_str(&canonical_path(&format!("/{piece}")).ok()?[1..]);
    }
    Some(out)
}

/// `path` split at each `%2F` (either case of hex).
fn split_encoded_slashes(path: &str) -> Vec<&str> {
    let bytes = path.as_bytes();
    let mut pieces = Vec::new();
    let mut start = 0;
    for at in memchr::memchr_iter(b'%', bytes) {
        if bytes
            .get(at + 1..at + 3)
            .is_some_and(|h| h.eq_ignore_ascii_case(b"2F"))
        {
            pieces.push(&path[start..at]);
            start = at + 3;
        }
    }
    pieces.push(&path[start..]);
    pieces
}

/// How a byte is treated, raw in the path or decoded from an escape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    /// `A-Z a-z 0-9 - . _ ~`: stands raw; its escape is decoded.
    Unreserved,
    /// Sub-delimiters but `;`, and `:` `@`: stands raw; its escape stays an escape.
    Reserved,
    /// May not stand raw: encoded when raw, kept as an escape.
    Encoded,
    /// `/`: the separator raw, refused encoded.
    Slash,
    /// `%`: starts an escape raw; decoded, it may hide a second encoding.
    Percent,
    Backslash,
    Semicolon,
    Control,
}

/// The class of every ASCII byte.
const CLASSES: [Class; 128] = {
    let mut table = [Class::Encoded; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = match c {
            0x00..=0x1F | 0x7F => Class::Control,
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                Class::Unreserved
            }
            b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'=' | b':' | b'@' => {
                Class::Reserved
            }
            b'/' => Class::Slash,
            b'%' => Class::Percent,
            b'\\' => Class::Backslash,
            b';' => Class::Semicolon,
            _ => Class::Encoded,
        };
        b += 1;
    }
    table
};

/// Non-ASCII characters refused as look-alike delimiters: every code point whose NFKC form
/// contains `/`, `\`, `;`, `%`, `?` or `#`, or consists only of dots (Unicode 14), plus
/// U+2044 FRACTION SLASH, U+2215 DIVISION SLASH and U+2216 SET MINUS. Sorted.
const LOOK_ALIKES: [char; 31] = [
    '\u{037E}', '\u{2024}', '\u{2025}', '\u{2026}', '\u{2044}', '\u{2047}', '\u{2048}', '\u{2049}',
    '\u{2100}', '\u{2101}', '\u{2105}', '\u{2106}', '\u{2215}', '\u{2216}', '\u{FE14}', '\u{FE16}',
    '\u{FE19}', '\u{FE30}', '\u{FE52}', '\u{FE54}', '\u{FE56}', '\u{FE5F}', '\u{FE68}', '\u{FE6A}',
    '\u{FF03}', '\u{FF05}', '\u{FF0E}', '\u{FF0F}', '\u{FF1B}', '\u{FF1F}', '\u{FF3C}',
];

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Bytes that stand raw in a canonical path, `.` and `/` aside.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 128 {
        table[b] = b != b'.' as usize && matches!(CLASSES[b], Class::Unreserved | Class::Reserved);
        b += 1;
    }
    table
};

/// The fast path: true when `path` (starting with `/`) is already canonical because it holds
/// only bytes that stand raw and every segment but an empty last one has a byte that is not a
/// dot. Anything else, even a harmless `%`, takes the full pass.
fn is_plain(path: &[u8]) -> bool {
    // Whether the current segment has a byte other than `.`, and whether it is empty.
    let mut not_dots = false;
    let mut empty = true;
    for &b in &path[1..] {
        if PLAIN[usize::from(b)] {
            not_dots = true;
            empty = false;
        } else if b == b'.' {
            empty = false;
        } else if b == b'/' && not_dots {
            not_dots = false;
            empty = true;
        } else {
            return false;
        }
    }
    not_dots || empty
}

/// One pass over a path, copying into `out` only from the first byte that changes.
struct Canonicaliser<'a> {
    src: &'a str,
    /// `src[..copied]` is already written to `out` (or unchanged while `out` is `None`).
    copied: usize,
    out: Option<String>,
    /// Decoded bytes in the current segment so far.
    segment_len: usize,
    /// Every decoded byte of the current segment is a `.`.
    dots_only: bool,
}

impl<'a> Canonicaliser<'a> {
    fn run(&mut self) -> Result<(), PathError> {
        let bytes = self.src.as_bytes();
        // The leading `/` opens the first segment.
        let mut i = 1;
        while i < bytes.len() {
            let b = bytes[i];
            i = match b {
                0x80.. => self.raw_char(i)?,
                b'%' => self.escape(i)?,
                b'/' => {
                    if self.segment_len == 0 {
                        return Err(PathError::EmptySegment);
                    }
                    self.end_segment()?;
                    i + 1
                }
                _ => self.raw_ascii(i, b)?,
            };
        }
        self.end_segment()
    }

    fn finish(self) -> Cow<'a, str> {
        match self.out {
            None => Cow::Borrowed(self.src),
            Some(mut out) => {
                out.push_str(&self.src[self.copied..]);
                Cow::Owned(out)
            }
        }
    }

    /// Checks the segment just read and starts the next one. An empty segment passes here:
    /// only the last can be empty (a trailing `/`, or the root).
    fn end_segment(&mut self) -> Result<(), PathError> {
        if self.segment_len > 0 && self.dots_only {
            return Err(PathError::DotSegment);
        }
        self.segment_len = 0;
        self.dots_only = true;
        Ok(())
    }

    /// Counts one decoded byte into the current segment.
    fn push_decoded(&mut self, b: u8) {
        self.segment_len += 1;
        // Windows servers trim trailing dots and spaces: `..%20` is `..` there.
        self.dots_only &= b == b'.' || b == b' ';
    }

    /// Writes `src[start..end]` as `with` writes it.
    fn replace(&mut self, start: usize, end: usize, with: impl FnOnce(&mut String)) {
        let src = self.src;
        let out = self
            .out
            .get_or_insert_with(|| String::with_capacity(src.len() + 16));
        out.push_str(&src[self.copied..start]);
        with(out);
        self.copied = end;
    }

    /// A raw ASCII byte other than `%` and `/` at `i`; returns the next index.
    fn raw_ascii(&mut self, i: usize, b: u8) -> Result<usize, PathError> {
        match CLASSES[usize::from(b)] {
            Class::Unreserved | Class::Reserved => {}
            Class::Encoded => self.replace(i, i + 1, |out| push_escape(out, b)),
            Class::Backslash => return Err(PathError::EncodedSeparator),
            Class::Semicolon => return Err(PathError::PathParameter),
            // `/`, `%` and the bytes the caller cut at (`?`, `#`) never arrive here.
            Class::Control | Class::Slash | Class::Percent => {
                return Err(PathError::ControlCharacter)
            }
        }
        self.push_decoded(b);
        Ok(i + 1)
    }

    /// A raw non-ASCII character at `i`: checked, then written as escapes.
    fn raw_char(&mut self, i: usize) -> Result<usize, PathError> {
        let c = self
            .src
            .get(i..)
            .and_then(|s| s.chars().next())
            .ok_or(PathError::InvalidUtf8)?;
        check_char(c)?;
        let mut buf = [0u8; 4];
        let encoded = c.encode_utf8(&mut buf).as_bytes();
        let end = i + encoded.len();
        self.replace(i, end, |out| {
            encoded.iter().for_each(|&b| push_escape(out, b))
        });
        self.segment_len += encoded.len();
        self.dots_only = false;
        Ok(end)
    }

    /// An escape at `i`; returns the index after it (after the whole UTF-8 sequence for a
    /// non-ASCII one).
    fn escape(&mut self, i: usize) -> Result<usize, PathError> {
        let bytes = self.src.as_bytes();
        let v = escape_at(bytes, i).ok_or(PathError::MalformedEscape)?;
        if v >= 0x80 {
            return self.escaped_char(i, v);
        }
        match CLASSES[usize::from(v)] {
            Class::Unreserved => self.replace(i, i + 3, |out| out.push(char::from(v))),
            Class::Percent if double_encoded(bytes, i + 3) => {
                return Err(PathError::DoubleEncoding)
            }
            Class::Reserved | Class::Encoded | Class::Percent => self.keep_escapes(i, i + 3),
            Class::Slash | Class::Backslash => return Err(PathError::EncodedSeparator),
            Class::Semicolon => return Err(PathError::PathParameter),
            Class::Control => return Err(PathError::ControlCharacter),
        }
        self.push_decoded(v);
        Ok(i + 3)
    }

    /// A UTF-8 sequence of escapes whose lead byte `lead` is at `i`.
    fn escaped_char(&mut self, i: usize, lead: u8) -> Result<usize, PathError> {
        let width = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return Err(PathError::InvalidUtf8),
        };
        let bytes = self.src.as_bytes();
        let mut buf = [lead, 0, 0, 0];
        for (k, slot) in buf.iter_mut().enumerate().take(width).skip(1) {
            let at = i + 3 * k;
            *slot = match (bytes.get(at), escape_at(bytes, at)) {
                (_, Some(v)) => v,
                (Some(b'%'), None) => return Err(PathError::MalformedEscape),
                // A raw byte or the end where a continuation escape should be.
                _ => return Err(PathError::InvalidUtf8),
            };
        }
        // `from_utf8` refuses overlong forms, surrogates and values past U+10FFFF.
        let c = std::str::from_utf8(&buf[..width])
            .ok()
            .and_then(|s| s.chars().next())
            .ok_or(PathError::InvalidUtf8)?;
        check_char(c)?;
        let end = i + 3 * width;
        self.keep_escapes(i, end);
        self.segment_len += width;
        self.dots_only = false;
        Ok(end)
    }

    /// Keeps the escapes in `src[start..end]`, upper-casing their hex digits when needed.
    fn keep_escapes(&mut self, start: usize, end: usize) {
        let text = &self.src.as_bytes()[start..end];
        if text.iter().any(u8::is_ascii_lowercase) {
            self.replace(start, end, |out| {
                out.extend(text.iter().map(|b| char::from(b.to_ascii_uppercase())))
            });
        }
    }
}

/// The byte the escape at `i` stands for, if `bytes[i..]` starts with `%` and two hex digits.
fn escape_at(bytes: &[u8], i: usize) -> Option<u8> {
    match bytes.get(i..i + 3)? {
        [b'%', hi, lo] => Some(hex_value(*hi)? << 4 | hex_value(*lo)?),
        _ => None,
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether the two bytes that `bytes[i..]` decodes to first are both hex digits, so a `%`
/// decoded just before them would form an escape when decoded again; or the first is `u`,
/// which a server that knows IIS's `%uXXXX` escapes would read as one.
fn double_encoded(bytes: &[u8], i: usize) -> bool {
    let first = escape_at(bytes, i).or_else(|| bytes.get(i).copied());
    if matches!(first, Some(b'u' | b'U')) {
        return true;
    }
    let mut at = i;
    for _ in 0..2 {
        let (value, len) = match escape_at(bytes, at) {
            Some(v) => (v, 3),
            None => match bytes.get(at) {
                Some(&b) => (b, 1),
                None => return false,
            },
        };
        if !value.is_ascii_hexdigit() {
            return false;
        }
        at += len;
    }
    true
}

/// Refuses non-ASCII control characters and look-alike delimiters.
fn check_char(c: char) -> Result<(), PathError> {
    if matches!(c, '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}') {
        return Err(PathError::ControlCharacter);
    }
    if LOOK_ALIKES.binary_search(&c).is_ok() {
        return Err(PathError::LookAlikeDelimiter);
    }
    Ok(())
}

fn push_escape(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX[usize::from(b >> 4)]));
    out.push(char::from(HEX[usize::from(b & 0xF)]));
}

#[cfg(test)]
mod tests {

    #[test]
    fn encoded_slashes_are_kept_as_data_when_they_hide_no_segment() {
        let keep = canonical_path_with_encoded_slashes;
        assert_eq!(
            keep("/v1/objects/reports%2f2024%2Fq1.csv?x=1").as_deref(),
            Some("/v1/objects/reports%2F2024%2Fq1.csv")
        );
        assert_eq!(
            keep("/v1/o/a%2F%7ecaf%c3%a9/b").as_deref(),
            Some("/v1/o/a%2F~caf%C3%A9/b")
        );
        assert_eq!(keep("/v1/o/a%2F").as_deref(), Some("/v1/o/a%2F"));
        for refused in [
            "/v1/o/plain",
            "/v1/o/..%2Fadmin",
            "/v1/o/a%2F%2Fb",
            "/%2Fetc",
            "/v1/o/a%2F%2E",
            "/v1/o/a%2Fb%5Cc",
            "/v1/o/a%252Fb",
            "/v1/o/a%2",
        ] {
            assert_eq!(keep(refused), None, "{refused}");
        }
    }
    use super::*;

    #[test]
    fn look_alikes_are_sorted_and_not_ascii() {
        assert!(LOOK_ALIKES.windows(2).all(|w| w[0] < w[1]));
        assert!(LOOK_ALIKES.iter().all(|c| !c.is_ascii()));
    }

    #[test]
    fn the_length_message_names_the_bound() {
        assert!(PathError::TooLong
            .to_string()
            .contains(&MAX_PATH_LEN.to_string()));
    }

    #[test]
    fn plain_paths_are_borrowed() {
        for path in [
            "/",
            "/v1/orders/42",
            "/a/",
            "/v1/%C3%A9/x",
            "/a!$&'()*+,=:@b",
        ] {
            assert!(
                matches!(canonical_path(path), Ok(Cow::Borrowed(p)) if p == path),
                "{path}"
            );
        }
    }

    #[test]
    fn the_fast_path_leaves_every_doubt_to_the_full_pass() {
        for path in ["/", "/a", "/a/", "/a.b/c", "/.a/b."] {
            assert!(is_plain(path.as_bytes()), "{path}");
        }
        for path in [
            "//", "/./", "/..", "/a//b", "/a/./b", "/a/...", "/%41", "/a b", "/é", "/a;b",
        ] {
            assert!(!is_plain(path.as_bytes()), "{path}");
        }
    }
}
