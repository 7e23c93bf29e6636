//! Validators shared by rules: entropy, placeholders and checksums.

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
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// True for values that stand in for a secret rather than being one: masks (`****`, `xxx`),
/// template references (`${VAR}`, `{{ x }}`, `<token>`, `%s`), and words such as `REDACTED`.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    let wrapped = |open: &str, close: &str| v.starts_with(open) && v.ends_with(close);
    if wrapped("${", "}") || wrapped("{{", "}}") || wrapped("<", ">") || wrapped("%(", ")s") {
        return true;
    }
    if v.starts_with('$')
        && v[1..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return true;
    }
    if matches!(
        v,
        "%s" | "%v" | "%d" | "{}" | "?" | "null" | "None" | "nil" | "undefined"
    ) {
        return true;
    }
    const WORDS: &[&str] = &[
        "redacted",
        "masked",
        "hidden",
        "removed",
        "filtered",
        "censored",
        "changeme",
        "placeholder",
        "example",
        "your_",
        "your-",
        "dummy",
        "sample",
        "<redacted>",
        "notset",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    // A value of one repeated mask character (`****`, `xxxx`, `....`, `0000`).
    let first = lower.as_bytes()[0];
    if matches!(first, b'*' | b'x' | b'.' | b'-' | b'#' | b'0' | b'_')
        && lower.bytes().all(|b| b == first)
    {
        return true;
    }
    // Masks with a visible edge, such as `sk-****abcd` or `****1234`.
    v.contains("***") || lower.contains("xxxx")
}

/// Base62 digits in the order GitHub's token checksum uses.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` written in base62, left-padded with `0` to `width` digits.
pub fn base62(mut value: u64, width: usize) -> String {
    let mut digits = Vec::with_capacity(width.max(11));
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// The GitHub token checksum scheme (also npm's and tokenward's own): the last six characters
/// of `body` are the CRC32 of the characters before them, in base62.
pub fn crc32_base62_trailer(body: &str) -> bool {
    let Some(split) = body.len().checked_sub(6) else {
        return false;
    };
    if split == 0 || !body.is_char_boundary(split) {
        return false;
    }
    let (data, checksum) = body.split_at(split);
    base62(u64::from(crc32fast::hash(data.as_bytes())), 6) == checksum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_orders_random_above_words() {
        assert!(shannon_entropy("aaaaaaaa") < 0.01);
        assert!(shannon_entropy("password") < 3.0);
        assert!(shannon_entropy("q8Zr2LmX9vTn4KpW") > 3.5);
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
        ] {
            assert!(is_placeholder(p), "{p:?} should be a placeholder");
        }
        for s in [
            "hunter2",
            "q8Zr2LmX9vTn4KpW",
            "Tr0ub4dor&3",
            "winter-monkey-68",
        ] {
            assert!(!is_placeholder(s), "{s:?} should not be a placeholder");
        }
    }
}
