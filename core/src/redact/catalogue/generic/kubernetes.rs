//! The values of a Kubernetes `Secret`'s `data:` map: base64 of the secret, whatever the key
//! is called (`DATABASE_URL`, `tls.key`, `config.json`), in YAML manifests and JSON objects.
//!
//! The key says nothing, so the context decides: the value sits in a `data` (or `binaryData`)
//! map of a document whose `kind` is `Secret`. Every such value that decodes to something that
//! is not a placeholder is redacted; Kubernetes itself treats all of them as secret. The
//! context is read within bounded windows, so a long manifest costs linear time.

use memchr::memmem;

use super::Candidate;
use crate::redact::validate::{is_code_or_dummy, is_dummy, is_placeholder};

/// `Secret`, as every Secret manifest spells its kind: a keyword other rules have already, so
/// the keyword automaton that runs on every line does not grow; the validator checks the kind.
pub(super) const KEYWORDS: &[&str] = &["secret"];

/// An indented YAML `key: base64` line, or a JSON `"key": "base64"` member.
pub(super) const PATTERN: &str = r#"(?-u)(?:(?m:^)[ \t]+(?P<key>[A-Za-z0-9_.\-]{1,253}):[ \t]+["']?(?P<secret>[A-Za-z0-9+/]{4,}={0,2})["']?[ \t]*(?:\r|(?m:$))|"[A-Za-z0-9_.\-]{1,253}"[ \t]*:[ \t]*"(?P<secret_json>[A-Za-z0-9+/]{4,}={0,2})")"#;

/// How far back the enclosing `data` map is looked for.
const MAP_REACH: usize = 8 * 1024;
/// How far either way the document's `kind` is looked for.
const KIND_REACH: usize = 64 * 1024;

/// A value of a Secret's data map that decodes to something other than a placeholder.
pub(super) fn secret_data(c: &Candidate<'_>) -> bool {
    let start = super::span_of(c, c.secret).start;
    let in_map = if c.key.is_some() {
        in_yaml_data_map(c.haystack, start)
    } else {
        in_json_data_map(c.haystack, start)
    };
    in_map && of_a_secret(c.haystack, start) && decodes_to_a_value(c.secret) && !is_code_or_dummy(c)
}

fn decodes_to_a_value(value: &str) -> bool {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    match engine.decode(value) {
        // A document (`{"db": ...}`, a kubeconfig) is never a stand-in, whatever it opens with.
        Ok(bytes) if !bytes.is_empty() => std::str::from_utf8(&bytes).map_or(true, |text| {
            text.contains(['"', '\n']) || !(is_placeholder(text) || is_dummy(text))
        }),
        _ => false,
    }
}

/// Whether the YAML line holding `at` sits under a `data:` or `binaryData:` key: the nearest
/// line above that is indented less than it.
fn in_yaml_data_map(text: &[u8], at: usize) -> bool {
    let line_start = memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1);
    let indent = indentation(&text[line_start..]);
    let floor = line_start.saturating_sub(MAP_REACH);
    let mut end = line_start;
    while end > floor {
        let above_start = memchr::memrchr(b'\n', &text[..end - 1]).map_or(0, |i| i + 1);
        let line = &text[above_start..end - 1];
        let trimmed = line.trim_ascii();
        if !trimmed.is_empty() && !trimmed.starts_with(b"#") && indentation(line) < indent {
            return trimmed == b"data:" || trimmed == b"binaryData:";
        }
        if above_start == 0 {
            break;
        }
        end = above_start;
    }
    false
}

fn indentation(line: &[u8]) -> usize {
    line.iter()
        .take_while(|b| **b == b' ' || **b == b'\t')
        .count()
}

/// Whether the JSON member at `at` is inside a `"data": { ... }` object: the nearest brace
/// before it opens, and `"data"` and a colon precede that brace.
fn in_json_data_map(text: &[u8], at: usize) -> bool {
    let floor = at.saturating_sub(MAP_REACH);
    let Some(brace) = text[floor..at]
        .iter()
        .rposition(|b| *b == b'{' || *b == b'}')
        .map(|i| floor + i)
    else {
        return false;
    };
    if text[brace] != b'{' {
        return false;
    }
    let before = text[..brace].trim_ascii_end();
    let Some(before) = before.strip_suffix(b":") else {
        return false;
    };
    let before = before.trim_ascii_end();
    before.ends_with(b"\"data\"") || before.ends_with(b"\"binaryData\"")
}

/// Whether the document around `at` declares `kind: Secret` (YAML) or `"kind": "Secret"`
/// (JSON); a YAML document ends at a `---` line.
fn of_a_secret(text: &[u8], at: usize) -> bool {
    let mut from = at.saturating_sub(KIND_REACH);
    let mut to = (at + KIND_REACH).min(text.len());
    if let Some(sep) = memmem::rfind(&text[from..at], b"\n---") {
        from += sep + 1;
    }
    if let Some(sep) = memmem::find(&text[at..to], b"\n---") {
        to = at + sep;
    }
    let window = &text[from..to];
    memmem::find_iter(window, b"kind").any(|i| {
        let rest = &window[i + 4..];
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest).trim_ascii_start();
        let Some(rest) = rest.strip_prefix(b":") else {
            return false;
        };
        let rest = rest.trim_ascii_start();
        let rest = rest.strip_prefix(b"\"").unwrap_or(rest);
        rest.starts_with(b"Secret") && rest.get(6).is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}
