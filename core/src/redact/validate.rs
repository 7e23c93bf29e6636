//! Validators shared by rules: entropy, placeholders and checksums.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

mod stand_in;

pub(crate) use super::rule::Candidate;
pub(crate) use stand_in::{is_code_or_dummy, is_dummy, is_public_by_design};

/// Shannon entropy of `s` in bits per byte.
pub fn shannon_entropy(s: &str) -> f64 {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    // H = log2(n) - sum(c * log2(c)) / n over the distinct bytes. Walking the text again
    // visits only the bytes present (clearing each count once used), where a pass over all
    // 256 counts would cost more than the short values validators see.
    let mut sum = 0.0;
    for &b in bytes {
        let c = std::mem::take(&mut counts[b as usize]);
        if c > 0 {
            sum += c_log2_c(c);
        }
    }
    let n = bytes.len() as f64;
    n.log2() - sum / n
}

/// `c * log2(c)`, from a table for the small counts that make up almost every value.
fn c_log2_c(c: u32) -> f64 {
    static TABLE: LazyLock<[f64; 64]> = LazyLock::new(|| {
        std::array::from_fn(|c| {
            if c < 2 {
                0.0
            } else {
                c as f64 * (c as f64).log2()
            }
        })
    });
    match TABLE.get(c as usize) {
        Some(&v) => v,
        None => c as f64 * (c as f64).log2(),
    }
}

/// True for values that stand in for a secret rather than being one: masks (`****`, `xxx`,
/// `sk-****abcd`), template and environment references (`${VAR}`, `{{ x }}`, `<token>`, `%s`,
/// `$VAR`, `%(name)s`, also percent-encoded), and words such as `REDACTED` or `changeme`.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| c == '"' || c == '\'' || c == '`' || c.is_whitespace());
    if v.is_empty() {
        return true;
    }
    if v.contains('%') {
        if let Some(decoded) = percent_decode(v) {
            if decoded != v && is_placeholder(&decoded) {
                return true;
            }
        }
    }
    // Brackets around a placeholder, the closing one perhaps cut off by a rule's delimiters:
    // `(none)`, `[hidden`, `{redacted}`.
    let inner = v
        .trim_start_matches(['(', '[', '{'])
        .trim_end_matches([')', ']', '}']);
    if inner.len() < v.len() && v.len() - inner.len() <= 4 && is_placeholder(inner) {
        return true;
    }
    let starts = |p: &str| v.starts_with(p);
    // Templates and interpolations of every common kind, even when cut short.
    if ["${", "{{", "{%", "<%", "#{", "%(", "$(", "$env:", "<"]
        .iter()
        .any(|p| starts(p))
        || (v.starts_with('{') && v.ends_with('}'))
        || (v.starts_with('[') && v.ends_with(']') && !v[1..v.len() - 1].contains([',', '"']))
    {
        return true;
    }
    // `$VAR`, `$password` and `:name` (shell and PHP variables, SQL bind parameters); a
    // `$` password such as `$umm3r72` mixes lower case with digits and stays.
    if let Some(rest) = v.strip_prefix(['$', ':']) {
        let upper = !rest.bytes().any(|b| b.is_ascii_lowercase());
        let no_digits = !rest.bytes().any(|b| b.is_ascii_digit());
        if is_identifier(rest) && (upper || no_digits) {
            return true;
        }
    }
    const EXACT: &[&str] = &[
        "%s",
        "%v",
        "%d",
        "%q",
        "{}",
        "?",
        "null",
        "none",
        "nil",
        "undefined",
        "n/a",
    ];
    if EXACT.iter().any(|w| v.eq_ignore_ascii_case(w)) {
        return true;
    }
    if stands_apart(&PLACEHOLDER_WORDS, v) {
        return true;
    }
    // Documentation's example keys end in capitals that say so, run into the body:
    // AWS's secret access key `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`.
    if ["EXAMPLEKEY", "EXAMPLESECRET", "EXAMPLETOKEN"]
        .iter()
        .any(|end| v.ends_with(end))
    {
        return true;
    }
    // A value of one repeated mask character (`****`, `xxxx`, `....`, `0000`, `••••`).
    let mut chars = v.chars().map(|c| c.to_ascii_lowercase());
    let first = chars.next().unwrap_or(' ');
    if matches!(
        first,
        '*' | 'x' | '.' | '-' | '#' | '0' | '_' | '•' | '●' | '…'
    ) && chars.all(|c| c == first)
    {
        return true;
    }
    // Masks with a visible edge, such as `sk-****abcd` or `****1234`.
    stands_apart(&PLACEHOLDER_MASKS, v)
}

/// Whether one of `words` occurs in `v` standing apart: at an end of the value, or beside a
/// character that is neither a letter nor a digit (`my_dummy_key`, `TODO`, `xxxx1234`,
/// `sk-****abcd`). Inside a run of letters and digits (`...H2xxxxlgO...` in a key's base64
/// body, `...tODoYw...` in a random password) the word is chance, and the value a secret.
fn stands_apart(words: &AhoCorasick, v: &str) -> bool {
    let bytes = v.as_bytes();
    let apart = |i: Option<usize>| {
        i.and_then(|i| bytes.get(i))
            .is_none_or(|b| !b.is_ascii_alphanumeric())
    };
    words
        .find_overlapping_iter(v)
        .any(|m| apart(m.start().checked_sub(1)) || apart(Some(m.end())))
}

/// Words that mark a value as a stand-in, matched anywhere in it, case-insensitively.
static PLACEHOLDER_WORDS: LazyLock<AhoCorasick> = LazyLock::new(|| {
    const WORDS: &[&str] = &[
        "redacted",
        "masked",
        "hidden",
        "removed",
        "filtered",
        "censored",
        "sanitized",
        "obfuscated",
        "changeme",
        "change_me",
        "change-me",
        "placeholder",
        "example",
        "your_",
        "your-",
        "yourapikey",
        "yourtoken",
        "yourpassword",
        "dummy",
        "sample",
        "notset",
        "not_set",
        "not-set",
        "set-me",
        "set_me",
        "setme",
        "replace_me",
        "replace-me",
        "replaceme",
        "insert_",
        "fixme",
        "todo",
    ];
    case_insensitive_set(WORDS)
});

/// Runs of mask characters with a visible edge: `sk-****abcd`, `xxxx1234`, `ab...yz`.
static PLACEHOLDER_MASKS: LazyLock<AhoCorasick> =
    LazyLock::new(|| case_insensitive_set(&["***", "xxxx", "•••", "..."]));

fn case_insensitive_set(words: &[&str]) -> AhoCorasick {
    // A fixed list of short literals is far below every automaton limit.
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(words)
        .expect("a short literal list always builds")
}

/// How references to a secret begin (code, secret managers, paths), matched at the start of a
/// value, case-insensitively: one anchored automaton instead of a comparison per prefix.
static REFERENCE_PREFIXES: LazyLock<AhoCorasick> = LazyLock::new(|| {
    const PREFIXES: &[&str] = &[
        "os.environ",
        "os.getenv",
        "getenv(",
        "process.env",
        "env(",
        "env.",
        "env:",
        "env[",
        "system.getenv",
        "secrets.",
        "secret:",
        "secretref",
        "secretkeyref",
        "valuefrom",
        "vault:",
        "vault(",
        "ref+",
        "op://",
        "sm://",
        "awssm:",
        "arn:aws:",
        "projects/",
        "!vault",
        "!secret",
        "settings.",
        "config.",
        "self.",
        "this.",
        "params[",
        "params.",
        "args.",
        "opts.",
        "options.",
        "credentials.",
        "file:",
        // Grafana's indirections (`$__file{/etc/secrets/x}`, `$__env{X}`, `$__vault{...}`).
        "$__",
        // A command whose output is the value (muttrc's `` `pass show mail` ``, `$(...)`).
        "`",
        "$(",
        "~/",
        "./",
        "../",
    ];
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .start_kind(aho_corasick::StartKind::Anchored)
        .build(PREFIXES)
        .expect("a short literal list always builds")
});

/// True for values that name where a secret comes from instead of holding it: code
/// (`os.environ["X"]`, `getenv("X")`, `self.password`), environment variable names
/// (`DB_PASSWORD`), secret-manager references (`vault:`, `arn:aws:secretsmanager:`), paths.
pub fn is_reference(value: &str) -> bool {
    let v = value.trim();
    let anchored = aho_corasick::Input::new(v).anchored(aho_corasick::Anchored::Yes);
    if REFERENCE_PREFIXES.is_match(anchored) || is_path(v) {
        return true;
    }
    // A call or subscript: `get_secret("db")`, `cfg["password"]`.
    if let Some(at) = v.find(['(', '[']) {
        if at > 0
            && v[..at]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
        {
            return true;
        }
    }
    // An environment variable name: upper case words joined by underscores.
    let bytes = v.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_uppercase)
        && v.contains('_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && !bytes.ends_with(b"_")
        && v.split('_')
            .all(|w| !w.is_empty() && w.bytes().any(|b| b.is_ascii_uppercase()))
}

/// True when `value` has the shape of a machine-made secret: long enough, several character
/// classes or a long single-class run, enough entropy, and not a word, an identifier, a
/// number, a date, a path or a URL. Hex strings and UUIDs count as secrets: under a key that
/// names a secret they usually are one.
pub fn looks_random(value: &str) -> bool {
    let v = value;
    let len = v.chars().count();
    if !(8..=8192).contains(&len) || is_reference(v) || v.contains("://") {
        return false;
    }
    let mut lower = 0;
    let mut upper = 0;
    let mut digit = 0;
    let mut other = 0;
    for b in v.bytes() {
        match b {
            b'a'..=b'z' => lower += 1,
            b'A'..=b'Z' => upper += 1,
            b'0'..=b'9' => digit += 1,
            _ => other += 1,
        }
    }
    if lower + upper < 2 || v.contains(char::is_whitespace) {
        return false; // numbers, dates, addresses, sentences
    }
    if is_uuid(v) {
        return true;
    }
    // Letters of one case without digits: words, identifiers, slugs; unless long and dense.
    if digit == 0 && (lower == 0 || upper == 0) {
        return other == 0 && len >= 24 && shannon_entropy(v) >= 3.8;
    }
    // Mixed case without digits and few capitals: camelCase or Title words.
    if digit == 0 && upper * 5 < len {
        return false;
    }
    // Words run together without digits (`TokenTree`, `PartialEq`): a type or a name. Random
    // letters have about as many capitals as small letters, and capitals side by side.
    if digit == 0 && other == 0 && lower >= 2 * upper && !has_capital_pair(v) {
        return false;
    }
    // A word with a short number: `release2024`, `prod-billing-2`, `v1.2.3`.
    if is_word_number(v) || is_word_path(v) {
        return false;
    }
    let threshold = ((len as f64).log2() * 0.7).min(3.0);
    shannon_entropy(v) >= threshold
}

/// True when `value` could be a password someone chose: not a boolean, a number, a status word,
/// a type name, a reference or a URL. Human passwords such as `hunter2` or `winter-monkey-68`
/// pass; `true`, `required`, `str` and `DB_PASSWORD` do not.
pub fn looks_like_password(value: &str) -> bool {
    let v = value.trim();
    let len = v.chars().count();
    if !(3..=512).contains(&len) || is_reference(v) || v.contains("://") {
        return false;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) && len < 6 {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    const NOT_PASSWORDS: &[&str] = &[
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "none",
        "null",
        "nil",
        "empty",
        "blank",
        "required",
        "optional",
        "missing",
        "invalid",
        "incorrect",
        "wrong",
        "expired",
        "changed",
        "reset",
        "updated",
        "set",
        "unset",
        "ok",
        "valid",
        "enabled",
        "disabled",
        "provided",
        "present",
        "absent",
        "unknown",
        "default",
        "random",
        "generated",
        "auto",
        "prompt",
        "stdin",
        "file",
        "env",
        "string",
        "str",
        "bytes",
        "int",
        "text",
        "object",
        "secretstr",
        "option<string>",
        "&str",
        "password",
        "passwd",
        "secret",
        "token",
        "sent",
        "failed",
        "success",
        "successful",
        "accepted",
        "rejected",
        "denied",
        "mismatch",
        "weak",
        "strong",
        "too_short",
        "hash",
        "hashed",
        "encrypted",
        "plain",
        "plaintext",
        "bcrypt",
        "sha256",
        "argon2",
        "md5",
        "[]",
        "{}",
        "()",
    ];
    !NOT_PASSWORDS.contains(&lower.as_str())
}

/// Whether two capitals stand side by side (`QWer`, not `TokenTree`).
fn has_capital_pair(v: &str) -> bool {
    v.as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
}

/// True for the canonical UUID form, `8-4-4-4-12` hex digits.
pub fn is_uuid(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// True when `value` is standard base64 of `user:password` with a non-empty password: the
/// credential of an HTTP `Basic` header or a Docker `auth` entry.
pub fn is_basic_credential(value: &str) -> bool {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let Ok(bytes) = engine.decode(value.trim_end_matches('=')) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return false;
    };
    match text.split_once(':') {
        Some((user, password)) => {
            !password.is_empty()
                && !text.chars().any(char::is_control)
                && user.len() <= 256
                && !is_placeholder(password)
        }
        None => false,
    }
}

/// True when `segment` (base64url, no padding) decodes to a JSON object header of a JWS or JWE:
/// it names an `alg` or an `enc`.
pub fn is_jose_header(segment: &str) -> bool {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    // A cut-off header still shows its first fields; decode whole 4-character groups only.
    let usable = segment.len() - segment.len() % 4;
    let Ok(bytes) = engine.decode(&segment[..usable]) else {
        return false;
    };
    let text = String::from_utf8_lossy(&bytes);
    text.trim_start().starts_with('{') && (text.contains("\"alg\"") || text.contains("\"enc\""))
}

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `release2024`, `prod-billing-2`, `v1.2.3`, `cl100k_base`: lower-case words with at most a
/// few digits in one or two runs; random strings switch between letters and digits often.
fn is_word_number(v: &str) -> bool {
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    let switches = v
        .as_bytes()
        .windows(2)
        .filter(|w| w[0].is_ascii_digit() != w[1].is_ascii_digit())
        .count();
    digits <= 4
        && switches <= 2
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        && !v.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An absolute file path: `/etc/ssl/private/server.key`, not base64 that starts with `/`.
fn is_path(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('/') else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let last = segments.len() - 1;
    segments.iter().enumerate().all(|(i, s)| {
        (!s.is_empty() || i == last)
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-@~:".contains(&b))
            && !(s.len() >= 16
                && s.bytes().any(|b| b.is_ascii_uppercase())
                && s.bytes().any(|b| b.is_ascii_lowercase())
                && s.bytes().any(|b| b.is_ascii_digit()))
    })
}

/// `uploads/2024/report`, `team.prod.key`: lower-case segments joined by `/`, `.` or `:`.
/// Two segments are a path when one is a word and both are short: `00003e7a:profile`,
/// `42/avatar`, the way cache keys and routes name things.
fn is_word_path(v: &str) -> bool {
    let segments: Vec<&str> = v.split(['/', ':']).collect();
    let plain = |s: &&str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
    };
    if !segments.iter().all(plain) {
        return false;
    }
    let word = |s: &&str| s.len() >= 3 && s.bytes().all(|b| b.is_ascii_lowercase());
    match segments.len() {
        0 | 1 => false,
        2 => segments.iter().any(word) && segments.iter().all(|s| s.len() < 16),
        _ => true,
    }
}

/// Decodes `%XX` escapes; `None` when the result is not UTF-8.
fn percent_decode(v: &str) -> Option<String> {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h)? * 16 + hex(l)?) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_judge_typical_values() {
        assert!(is_placeholder("${DB_PASSWORD}"));
        assert!(is_placeholder("%3Credacted%3E"));
        assert!(!is_placeholder("winter-monkey-68"));
        assert!(is_reference("os.environ[\"OPENAI_API_KEY\"]"));
        assert!(is_reference("DB_PASSWORD"));
        assert!(!is_reference("Tr0ub4dor3"));
        assert!(looks_random("BRJO6c9YiBZb8O18Pd4SlZ"));
        assert!(looks_random("5cede99692c7a2be25cc300526350714"));
        assert!(!looks_random("db-credentials"));
        assert!(!looks_random("2024-05-01T10:00:00Z"));
        assert!(!looks_random("00003e7a:profile"));
        assert!(!looks_random("TokenTree"));
        assert!(!looks_random("PartialEqualityComparer"));
        assert!(looks_random("QwErTyUiOpAsDfGh"));
        assert!(looks_like_password("hunter2"));
        assert!(!looks_like_password("required"));
        assert!(is_basic_credential("Ym9iOmh1bnRlcjI=")); // bob:hunter2
        assert!(!is_basic_credential("cmVhbG0=")); // realm
        assert!(is_jose_header("eyJhbGciOiJIUzI1NiJ9")); // {"alg":"HS256"}
        assert!(!is_jose_header("eyJmb28iOjF9")); // {"foo":1}
    }

    #[test]
    fn entropy_orders_random_above_words() {
        assert!(shannon_entropy("aaaaaaaa") < 0.01);
        assert!(shannon_entropy("password") < 3.0);
        assert!(shannon_entropy("q8Zr2LmX9vTn4KpW") > 3.5);
    }

    /// The definition, -sum(p log2 p), against the table-driven form, on small counts and
    /// on counts past the table (a byte repeated 100 times).
    #[test]
    fn entropy_matches_its_definition() {
        let direct = |s: &str| -> f64 {
            let n = s.len() as f64;
            let mut counts = std::collections::HashMap::new();
            for b in s.bytes() {
                *counts.entry(b).or_insert(0u32) += 1;
            }
            counts
                .values()
                .map(|&c| -(c as f64 / n) * (c as f64 / n).log2())
                .sum()
        };
        let long = format!("{}{}", "a".repeat(100), "bcdefgh".repeat(9));
        for s in [
            "a",
            "ab",
            "aab",
            "hunter2",
            "q8Zr2LmX9vTn4KpW",
            "é€ab",
            &long,
        ] {
            let (got, want) = (shannon_entropy(s), direct(s));
            assert!((got - want).abs() < 1e-9, "{s}: {got} vs {want}");
        }
        assert_eq!(shannon_entropy(""), 0.0);
    }

    #[test]
    fn placeholders_are_recognised() {
        for p in [
            "",
            "****",
            "xxx",
            "XXXXXXXX",
            "${DB_PASSWORD}",
            "{{ .Values.token }}",
            "<token>",
            "%s",
            "REDACTED",
            "[REDACTED]",
            "your_api_key_here",
            "changeme",
            "$SECRET",
            "sk-****abcd",
            "(none)",
            "%24%7BAPI_KEY%7D",
            "<set-me>",
            "***REMOVED***",
            "$DB_PASSWORD",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ] {
            assert!(is_placeholder(p), "{p:?} should be a placeholder");
        }
        for s in [
            "hunter2",
            "q8Zr2LmX9vTn4KpW",
            "Tr0ub4dor&3",
            "winter-monkey-68",
            "$umm3r72",
            "c7eX31Dr$14%40CQW_XE*$",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYexampleKEY9",
        ] {
            assert!(!is_placeholder(s), "{s:?} should not be a placeholder");
        }
    }
}
