//! Validators for provider formats that carry a checksum or a decodable structure.
//!
//! Each function answers one question about a candidate the pattern already matched: is the
//! embedded checksum right, or does the encoded head decode to what the issuer writes there?
//! A match that fails is not a credential of that issuer (a typo, a test fixture, a random
//! string of the right shape), so the rule stays silent and no false positive is reported.

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine;

use crate::redact::rule::Candidate;
use crate::redact::validate::shannon_entropy;
use crate::token::crc32_base62_trailer;

/// GitHub classic tokens and npm tokens: the last six base62 characters of the body are the
/// CRC32 of the rest of the body.
pub(super) fn crc32_base62(c: &Candidate<'_>) -> bool {
    crc32_base62_trailer(c.secret)
}

/// Atlassian API tokens (`ATATT3...=` + 8 upper-case hex): the CRC32 of everything up to and
/// including the `=`, written as upper-case hex.
pub(super) fn atlassian_crc32(c: &Candidate<'_>) -> bool {
    let Some((body, checksum)) = c.token.rsplit_once('=') else {
        return false;
    };
    let signed = &c.token[..body.len() + 1];
    checksum.len() == 8 && format!("{:08X}", crc32fast::hash(signed.as_bytes())) == checksum
}

/// GitLab routable tokens: `<prefix><base64url payload>.<version:2>.<payload length:2><crc:7>`,
/// where the length is the payload's length in base36 and the CRC32 of everything before it
/// is written in base36, seven digits, lower case.
pub(super) fn gitlab_routable(c: &Candidate<'_>) -> bool {
    let token = c.token.as_bytes();
    let Some(split) = token.len().checked_sub(7) else {
        return false;
    };
    let (signed, crc) = token.split_at(split);
    if parse_base36(crc) != Some(u64::from(crc32fast::hash(signed))) {
        return false;
    }
    // `signed` ends with `.<version>.<length>`; the payload lies before the first of those dots.
    let Some(tail) = signed.len().checked_sub(6) else {
        return false;
    };
    let (head, meta) = signed.split_at(tail);
    if meta[0] != b'.' || meta[3] != b'.' {
        return false;
    }
    matches!(parse_base36(&meta[4..6]), Some(n) if n >= 20 && n as usize <= head.len())
}

fn parse_base36(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        let v = (d as char).to_digit(36)?;
        if d.is_ascii_uppercase() {
            return None;
        }
        Some(acc * 36 + u64::from(v))
    })
}

/// PyPI API tokens are macaroons (serialisation v2) in base64url: the head decodes to version
/// 2, then the location field (type 1) naming pypi.org or test.pypi.org.
pub(super) fn pypi_macaroon(c: &Candidate<'_>) -> bool {
    // 24 characters decode to 18 bytes: enough for the version, the field header and
    // "test.pypi.org", without decoding the whole token.
    let Some(head) = c.secret.get(..24) else {
        return false;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(head) else {
        return false;
    };
    let [2, 1, len, ref rest @ ..] = bytes[..] else {
        return false;
    };
    let location = rest.get(..len as usize);
    matches!(location, Some(b"pypi.org") | Some(b"test.pypi.org"))
}

/// Grafana service account tokens `glsa_<32>_<8 hex>`: the hex is the CRC32 of
/// `glsa_<32>` in little-endian byte order.
pub(super) fn grafana_crc32(c: &Candidate<'_>) -> bool {
    let Some((signed, checksum)) = c.token.rsplit_once('_') else {
        return false;
    };
    let crc = crc32fast::hash(signed.as_bytes()).to_le_bytes();
    let expected: String = crc.iter().map(|b| format!("{b:02x}")).collect();
    checksum == expected
}

/// The bech32 character set, in value order.
const BECH32: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/// age secret keys: bech32 with the human-readable part `age-secret-key-`, written upper case.
pub(super) fn age_bech32(c: &Candidate<'_>) -> bool {
    let lower = c.token.to_ascii_lowercase();
    let Some((hrp, data)) = lower.rsplit_once('1') else {
        return false;
    };
    if hrp != "age-secret-key-" || data.len() < 6 {
        return false;
    }
    let values: Option<Vec<u8>> = data
        .bytes()
        .map(|d| BECH32.iter().position(|&b| b == d).map(|p| p as u8))
        .collect();
    let Some(values) = values else {
        return false;
    };
    let expanded = hrp
        .bytes()
        .map(|b| b >> 5)
        .chain(std::iter::once(0))
        .chain(hrp.bytes().map(|b| b & 31))
        .chain(values);
    bech32_polymod(expanded) == 1
}

fn bech32_polymod(values: impl Iterator<Item = u8>) -> u32 {
    const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    values.fold(1u32, |chk, v| {
        let top = chk >> 25;
        let mut chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
        chk
    })
}

/// Discord bot tokens: the first segment is the bot's user id (a snowflake of 17 to 20
/// digits) in base64.
pub(super) fn discord_user_id(c: &Candidate<'_>) -> bool {
    let Some((id, _)) = c.token.split_once('.') else {
        return false;
    };
    let Ok(bytes) = STANDARD_NO_PAD.decode(id.trim_end_matches('=')) else {
        return false;
    };
    (17..=20).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_digit)
}

/// Tokens whose body is base64-encoded JSON (`glc_`, `sntrys_`, Mapbox `sk.`): the start must
/// decode to a JSON object.
pub(super) fn base64_json_head(c: &Candidate<'_>) -> bool {
    let start = c.secret.find("eyJ").unwrap_or(0);
    let Some(head) = c.secret.get(start..start + 16) else {
        return false;
    };
    let normalised: String = head
        .chars()
        .map(|ch| match ch {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    matches!(URL_SAFE_NO_PAD.decode(normalised), Ok(b) if b.starts_with(b"{\""))
}

/// Microsoft's common annotated security keys other than Azure DevOps (whose signature
/// `AZDO` has its own rule).
pub(super) fn azure_annotated_not_devops(c: &Candidate<'_>) -> bool {
    c.secret.get(76..80) != Some("AZDO")
}

/// Values found beside a key name rather than by a prefix: they must look random, so that
/// words, repeated characters and short counters are not taken for secrets.
pub(super) fn random_looking(c: &Candidate<'_>) -> bool {
    let s = c.secret;
    let has_digit = s.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = s.bytes().any(|b| b.is_ascii_alphabetic());
    has_digit && has_alpha && shannon_entropy(s) >= 3.0
}

/// Twilio API key sids (`SK` + 32 hex) and the like: hex of a random 128-bit value has both
/// letters and digits and a high entropy.
pub(super) fn random_hex(c: &Candidate<'_>) -> bool {
    random_looking(c)
}

/// AWS secret access keys (and SAS signatures) are base64 of random bytes: both cases and a
/// high entropy, unlike a path or a word of the same length.
pub(super) fn aws_secret_shape(c: &Candidate<'_>) -> bool {
    mixed_case_letters(c)
}

/// Azure SAS signatures: URL-encoded base64 of an HMAC-SHA256.
pub(super) fn sas_signature(c: &Candidate<'_>) -> bool {
    mixed_case_letters(c)
}

/// Random tokens drawn from letters (Hugging Face): both cases and a high entropy.
pub(super) fn mixed_case_letters(c: &Candidate<'_>) -> bool {
    let s = c.secret;
    s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && shannon_entropy(s) >= 3.5
}

/// Sentry organisation tokens carry a base64 JSON head; user tokens (`sntryu_`) are hex.
pub(super) fn sentry_token(c: &Candidate<'_>) -> bool {
    if c.secret.starts_with("eyJ") {
        c.token.starts_with("sntrys_") && base64_json_head(c)
    } else {
        c.token.starts_with("sntryu_")
    }
}

/// True when the byte before the match is not one of the token's own characters (or ends an
/// escape, see [`after_escape`]), so the match is not the tail of a longer run. Patterns that begin with a character class check
/// this here rather than with a consuming guard, which would hide the literal the regex
/// engine searches for first.
fn starts_clean(c: &Candidate<'_>, continues: fn(u8) -> bool) -> bool {
    let start = c.match_span.start;
    start == 0 || !continues(c.haystack[start - 1]) || after_escape(c.haystack, start)
}

/// Entra ID client secrets: not the tail of a longer run, and random looking.
pub(super) fn azure_client_secret(c: &Candidate<'_>) -> bool {
    starts_clean(c, |b| b.is_ascii_alphanumeric() || b"_~.-".contains(&b)) && random_looking(c)
}

/// Asana tokens: the leading digit is not part of a longer number or path.
pub(super) fn asana_token(c: &Candidate<'_>) -> bool {
    starts_clean(c, |b| b.is_ascii_digit() || b == b'/')
}

/// Telegram bot tokens: the bot id is not the tail of a longer number.
pub(super) fn telegram_bot_id(c: &Candidate<'_>) -> bool {
    starts_clean(c, |b| b.is_ascii_digit())
}

/// Mailgun keys: `key-` is not the tail of a hyphenated name such as `cache-key-<md5>`
/// (used with [`left_boundary`], which refuses letters, digits and `_` before it).
pub(super) fn mailgun_key(c: &Candidate<'_>) -> bool {
    starts_clean(c, |b| b == b'-' || b == b'.') && random_hex(c)
}

/// True when the match starts at a token boundary: at the start of the text, after a byte
/// that cannot continue a token, or right after an escape that ends in a letter or digit: a
/// percent escape (`%22`, `%3D` in URL-encoded query strings), a backslash escape (`\n`,
/// `\t`, `\r` in JSON strings) or a `\u0022` escape. A plain `\b` in the pattern would miss
/// `token%3Dghp_...` and `"...\nghp_..."`, so prefix rules check their left edge here.
pub(super) fn left_boundary(c: &Candidate<'_>) -> bool {
    let h = c.haystack;
    let s = c.match_span.start;
    if s == 0 {
        return true;
    }
    let prev = h[s - 1];
    if !(prev.is_ascii_alphanumeric() || prev == b'_') {
        return true;
    }
    after_escape(h, s)
}

/// True when `h[..s]` ends with a percent escape (`%22`), a backslash escape (`\n`, `\t`,
/// `\r`) or a `\u0022` escape, whose last character would otherwise pass for part of a token.
fn after_escape(h: &[u8], s: usize) -> bool {
    let hex = |i: usize| h[i].is_ascii_hexdigit();
    let percent = s >= 3 && h[s - 3] == b'%' && hex(s - 2) && hex(s - 1);
    let backslash = s >= 2 && h[s - 2] == b'\\' && matches!(h[s - 1], b'n' | b't' | b'r');
    let unicode = s >= 6 && h[s - 6] == b'\\' && h[s - 5] == b'u' && (s - 4..s).all(hex);
    percent || backslash || unicode
}

/// False for bodies that stand in for a token in documentation: a character repeated, a
/// counting run (`1234567890`, `abcdefghij`), or too few distinct characters to be random.
pub(super) fn lively(c: &Candidate<'_>) -> bool {
    const RUNS: &[&str] = &[
        "1234567890",
        "0123456789",
        "abcdefghij",
        "xxxxxxxx",
        "00000000",
    ];
    let lower = c.secret.to_ascii_lowercase();
    !RUNS.iter().any(|run| lower.contains(run)) && shannon_entropy(c.secret) >= 2.5
}

/// Values found beside a key name: random looking ([`random_looking`]) and no documentation
/// dummy ([`lively`]).
pub(super) fn random_lively(c: &Candidate<'_>) -> bool {
    random_looking(c) && lively(c)
}

/// Values drawn from letters alone (no digits to ask for): a high entropy and no dummy run.
pub(super) fn high_entropy(c: &Candidate<'_>) -> bool {
    lively(c) && shannon_entropy(c.secret) >= 3.5
}

/// Validators combined with [`left_boundary`], for rules anchored on a literal prefix.
pub(super) mod bounded {
    use super::{left_boundary, Candidate};

    macro_rules! bounded {
        ($($name:ident),* $(,)?) => {
            $(
                #[doc = concat!("[`left_boundary`] and [`super::", stringify!($name), "`].")]
                pub(in crate::redact::catalogue) fn $name(c: &Candidate<'_>) -> bool {
                    left_boundary(c) && super::$name(c)
                }
            )*
        };
    }

    bounded!(
        aws_secret_shape,
        azure_annotated_not_devops,
        base64_json_head,
        discord_user_id,
        lively,
        mailgun_key,
        mixed_case_letters,
        random_hex,
        random_lively,
        random_looking,
        sentry_token
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::checksum::base62;

    fn candidate<'a>(token: &'a str, secret: &'a str) -> Candidate<'a> {
        Candidate {
            token,
            secret,
            key: None,
            haystack: token.as_bytes(),
            match_span: 0..token.len(),
        }
    }

    /// Changes one character so that a checksum no longer holds.
    fn mutate(s: &str, at: usize) -> String {
        let mut bytes = s.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
        String::from_utf8(bytes).unwrap()
    }

    fn base36(mut v: u64, width: usize) -> String {
        let mut digits = Vec::new();
        while v > 0 {
            digits.push(std::char::from_digit((v % 36) as u32, 36).unwrap());
            v /= 36;
        }
        while digits.len() < width {
            digits.push('0');
        }
        digits.iter().rev().collect()
    }

    #[test]
    fn github_and_npm_trailers() {
        let body = "Kq7Zr2LmX9vTn4KpWq8Zr2LmX9vTn4";
        let secret = format!(
            "{body}{}",
            base62(u64::from(crc32fast::hash(body.as_bytes())), 6)
        );
        let token = format!("npm_{secret}");
        assert!(crc32_base62(&candidate(&token, &secret)));
        let bad = mutate(&secret, 3);
        assert!(!crc32_base62(&candidate(&token, &bad)));
    }

    #[test]
    fn atlassian_checksum_covers_the_equals_sign() {
        let signed = format!("ATATT3xFfGF0{}=", "Q7Zr2-Lm_X9vTn4KpW".repeat(10));
        let token = format!("{signed}{:08X}", crc32fast::hash(signed.as_bytes()));
        assert!(atlassian_crc32(&candidate(&token, &token[6..])));
        let bad = mutate(&token, 20);
        assert!(!atlassian_crc32(&candidate(&bad, &bad[6..])));
        let lower = token.to_ascii_lowercase();
        assert!(!atlassian_crc32(&candidate(&lower, &lower[6..])));
    }

    #[test]
    fn gitlab_routable_checksum_and_length() {
        let payload = "kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw";
        let signed = format!("glpat-{payload}.01.{}", base36(payload.len() as u64, 2));
        let token = format!(
            "{signed}{}",
            base36(u64::from(crc32fast::hash(signed.as_bytes())), 7)
        );
        assert!(gitlab_routable(&candidate(&token, &token[6..])));
        let bad = mutate(&token, 10);
        assert!(!gitlab_routable(&candidate(&bad, &bad[6..])));
        // A right checksum over a wrong length field is still refused.
        let signed = format!("glpat-{payload}.01.zz");
        let token = format!(
            "{signed}{}",
            base36(u64::from(crc32fast::hash(signed.as_bytes())), 7)
        );
        assert!(!gitlab_routable(&candidate(&token, &token[6..])));
    }

    #[test]
    fn pypi_head_names_the_index() {
        let encode = |raw: &[u8]| URL_SAFE_NO_PAD.encode(raw);
        let mut raw = vec![2, 1, 8];
        raw.extend_from_slice(b"pypi.org");
        raw.extend_from_slice(&[2, 32]);
        raw.extend_from_slice(&[7u8; 40]);
        let secret = encode(&raw);
        assert!(pypi_macaroon(&candidate(&secret, &secret)));
        let mut raw = vec![2, 1, 13];
        raw.extend_from_slice(b"test.pypi.org");
        raw.extend_from_slice(&[9u8; 40]);
        let secret = encode(&raw);
        assert!(pypi_macaroon(&candidate(&secret, &secret)));
        let mut raw = vec![2, 1, 8];
        raw.extend_from_slice(b"evil.org");
        raw.extend_from_slice(&[9u8; 40]);
        let secret = encode(&raw);
        assert!(!pypi_macaroon(&candidate(&secret, &secret)));
        assert!(!pypi_macaroon(&candidate("AgEI", "AgEI")));
    }

    #[test]
    fn grafana_little_endian_crc() {
        let signed = "glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN";
        let crc = crc32fast::hash(signed.as_bytes()).to_le_bytes();
        let hex: String = crc.iter().map(|b| format!("{b:02x}")).collect();
        let token = format!("{signed}_{hex}");
        assert!(grafana_crc32(&candidate(&token, &token[5..])));
        let bad = mutate(&token, 8);
        assert!(!grafana_crc32(&candidate(&bad, &bad[5..])));
    }

    /// Builds a bech32 string with a valid checksum, independently of the validator's loop.
    fn bech32(hrp: &str, data: &[u8]) -> String {
        let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
        values.push(0);
        values.extend(hrp.bytes().map(|b| b & 31));
        values.extend_from_slice(data);
        values.extend_from_slice(&[0; 6]);
        let pm = bech32_polymod(values.into_iter()) ^ 1;
        let mut out = format!("{hrp}1");
        for &d in data {
            out.push(BECH32[d as usize] as char);
        }
        for i in 0..6 {
            out.push(BECH32[((pm >> (5 * (5 - i))) & 31) as usize] as char);
        }
        out
    }

    #[test]
    fn age_keys_verify_their_bech32_checksum() {
        let data: Vec<u8> = (0..52u32).map(|i| ((i * 7 + 3) % 32) as u8).collect();
        let key = bech32("age-secret-key-", &data).to_ascii_uppercase();
        assert_eq!(key.len(), 74);
        assert!(age_bech32(&candidate(&key, &key)));
        let replacement = if &key[20..21] == "Q" { "P" } else { "Q" };
        let bad = format!("{}{replacement}{}", &key[..20], &key[21..]);
        assert!(!age_bech32(&candidate(&bad, &bad)));
        // A known-good key from an independent generator (the catalogue's example).
        let known = "AGE-SECRET-KEY-1UNLNWX9008CRGHFSQW90JJM4T80JQZK08JYN4WT29KC67SA0DUWM7PFFD7";
        assert!(age_bech32(&candidate(known, known)));
    }

    #[test]
    fn discord_first_segment_is_a_snowflake() {
        let ok = "OTI3MDMxNzY2NzM3NTM2NTMz.MQT9Xz.W-T_oJ6PmPSQpSEIlcnoEmx-gwsmr-mYVJ-6WS";
        assert!(discord_user_id(&candidate(ok, ok)));
        let words = "QUJDREVGR0hJSktMTU5PUFFS.MQT9Xz.W-T_oJ6PmPSQpSEIlcnoEmx-gwsmr-mYVJ-6WS";
        assert!(!discord_user_id(&candidate(words, words)));
    }

    #[test]
    fn base64_json_heads() {
        assert!(base64_json_head(&candidate(
            "x",
            "eyJvIjoiMTIzIiwibiI6InN0YWNrIn0"
        )));
        assert!(!base64_json_head(&candidate(
            "x",
            "eyJ!!!!!!!!!!!!!!!!!!!!"
        )));
    }

    #[test]
    fn documentation_dummies_are_not_lively() {
        for dummy in [
            "1234567890abcdef",
            "xxxxxxxxxxxxxxxx",
            "aaaaaaaaaaaaaaaaaaaa",
            "ab12ab12ab12ab12",
        ] {
            assert!(!lively(&candidate(dummy, dummy)), "{dummy}");
        }
        let token = "Q7vLm2Kx9TzR4wNp8Hc3";
        assert!(lively(&candidate(token, token)));
    }

    #[test]
    fn random_values_and_words() {
        assert!(random_looking(&candidate(
            "x",
            "9f3a1c2e7b4d6a8f0e1c3b5d7f9a2c4e"
        )));
        assert!(!random_looking(&candidate(
            "x",
            "abcdefabcdefabcdefabcdefabcdefab"
        )));
        assert!(!random_looking(&candidate(
            "x",
            "00000000000000000000000000000001"
        )));
    }

    #[test]
    fn validators_never_panic_on_odd_input() {
        let validators: &[fn(&Candidate<'_>) -> bool] = &[
            crc32_base62,
            atlassian_crc32,
            gitlab_routable,
            pypi_macaroon,
            grafana_crc32,
            age_bech32,
            discord_user_id,
            base64_json_head,
            azure_annotated_not_devops,
            random_looking,
            mixed_case_letters,
            sentry_token,
            azure_client_secret,
            asana_token,
            telegram_bot_id,
            mailgun_key,
            lively,
            high_entropy,
            random_lively,
        ];
        let samples = [
            "",
            "=",
            "_",
            ".",
            "1",
            "é",
            "=é",
            "ééééééééééééééééééééééééééééééé",
            "a.b.c",
            "..01.",
            "glpat-.01.zzzzzzzzz",
            "eyJ",
            "eyJé",
            "AGE-SECRET-KEY-1",
            "1111111",
            "_é_",
            "pypi-AgEIcHlwaS5vcmcé",
            "ATATT3=ZZZZZZZZ",
            "€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€€",
        ];
        for v in validators {
            for token in samples {
                for cut in 0..=token.len() {
                    if let Some(secret) = token.get(cut..) {
                        let c = Candidate {
                            token,
                            secret,
                            key: None,
                            haystack: token.as_bytes(),
                            match_span: cut.min(token.len())..token.len(),
                        };
                        let _ = v(&c);
                    }
                }
            }
        }
    }

    #[test]
    fn left_boundary_accepts_escapes_and_refuses_words() {
        let at = |text: &'static str, token: &'static str| {
            let start = text.find(token).unwrap();
            left_boundary(&Candidate {
                token,
                secret: token,
                key: None,
                haystack: text.as_bytes(),
                match_span: start..start + token.len(),
            })
        };
        assert!(at("ghp_x", "ghp_x"));
        assert!(at("a=ghp_x", "ghp_x"));
        assert!(at("q%3Dghp_x", "ghp_x"));
        assert!(at("\\nghp_x", "ghp_x"));
        assert!(at("\\u0022ghp_x", "ghp_x"));
        assert!(!at("xghp_x", "ghp_x"));
        assert!(!at("_ghp_x", "ghp_x"));
        assert!(!at("q%3Gghp_x", "ghp_x"));
        assert!(!at("\\xghp_x", "ghp_x"));
    }
}
