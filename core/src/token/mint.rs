//! Minting: checksummed tokens a scanner can recognise offline.
//!
//! A minted token is `<prefix><body><checksum>`: the prefix (default `tw_`), 43 base62
//! characters that encode 32 random bytes (256 bits), and 6 base62 characters holding the
//! CRC32 of everything before them, the scheme GitHub uses for its tokens. The checksum lets the
//! redaction rule `tokenward_token` tell a real token from a look-alike with no false positives
//! in practice (a random string passes with probability 2^-32), and without any key.

use std::fmt;

use super::checksum::{base62, BASE62};

/// The prefix minted tokens carry unless the Guard is configured otherwise.
pub const DEFAULT_PREFIX: &str = "tw_";

/// Length of the random body in base62 characters: 62^43 > 2^256.
pub const BODY_LEN: usize = 43;

/// Length of the checksum trailer.
pub const CHECKSUM_LEN: usize = 6;

/// A raw token, as returned once by minting. `Debug` never shows it.
///
/// ```
/// use tokenward::token::mint;
///
/// let token = mint("tw_", &[7u8; 32]).unwrap();
/// assert!(token.expose().starts_with("tw_"));
/// assert_eq!(format!("{token:?}"), "RawToken(<hidden>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RawToken(String);

impl RawToken {
    /// The token itself: hand it to its holder once, never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for RawToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawToken(<hidden>)")
    }
}

/// Why a prefix cannot be used for minting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid token prefix {prefix:?}: expected 2 to 16 characters, a lowercase letter, then lowercase letters or digits, ending in `_` (like \"tw_\")")]
pub struct PrefixError {
    /// The prefix as given (prefixes are public, never secret).
    pub prefix: String,
}

/// Checks that `prefix` has the form the redaction rule recognises: `[a-z][a-z0-9]{0,14}_`.
pub fn validate_prefix(prefix: &str) -> Result<(), PrefixError> {
    let bytes = prefix.as_bytes();
    let ok = (2..=16).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] == b'_'
        && bytes[1..bytes.len() - 1]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(PrefixError {
            prefix: crate::error::Clip(prefix, 40).to_string(),
        })
    }
}

/// Mints a token from 32 random bytes supplied by the caller.
///
/// The same bytes always give the same token, so the randomness must come from a
/// cryptographically secure source (the `getrandom` feature provides one through
/// `Guard::mint_random`).
///
/// ```
/// use tokenward::token::{is_well_formed, mint};
///
/// let token = mint("tw_", &[42u8; 32])?;
/// assert_eq!(token.expose().len(), 3 + 43 + 6);
/// assert!(is_well_formed(token.expose()));
/// # Ok::<(), tokenward::token::PrefixError>(())
/// ```
pub fn mint(prefix: &str, random: &[u8; 32]) -> Result<RawToken, PrefixError> {
    validate_prefix(prefix)?;
    let mut token = String::with_capacity(prefix.len() + BODY_LEN + CHECKSUM_LEN);
    token.push_str(prefix);
    push_base62_256(&mut token, random);
    let checksum = crc32fast::hash(token.as_bytes());
    token.push_str(&base62(u64::from(checksum), CHECKSUM_LEN));
    Ok(RawToken(token))
}

/// True when `token` is `<prefix><43 base62><6 base62 CRC32 of what precedes>` with a valid
/// prefix: the offline test the redaction rule applies.
pub fn is_well_formed(token: &str) -> bool {
    let tail = BODY_LEN + CHECKSUM_LEN;
    let Some(prefix_len) = token.len().checked_sub(tail) else {
        return false;
    };
    if !token.is_char_boundary(prefix_len) || validate_prefix(&token[..prefix_len]).is_err() {
        return false;
    }
    token[prefix_len..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric())
        && super::checksum::crc32_base62_trailer(token)
}

/// Appends the 256-bit big-endian number in `bytes` as exactly 43 base62 digits.
fn push_base62_256(out: &mut String, bytes: &[u8; 32]) {
    let mut number = *bytes;
    let mut digits = [0u8; BODY_LEN];
    for digit in digits.iter_mut().rev() {
        // Long division of the whole number by 62; the remainder is the next digit.
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        *digit = BASE62[remainder as usize];
    }
    out.extend(digits.iter().map(|&d| d as char));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_encodes_all_bits_and_differs_per_input() {
        let zero = mint("tw_", &[0u8; 32]).unwrap();
        assert_eq!(&zero.expose()[3..46], "0".repeat(43));
        let max = mint("tw_", &[0xff; 32]).unwrap();
        // 2^256 - 1 in base62 starts with a digit below the top one: the width is exact.
        assert_ne!(&max.expose()[3..4], "0");
        let mut one = [0u8; 32];
        one[31] = 1;
        assert_eq!(
            &mint("tw_", &one).unwrap().expose()[3..46],
            format!("{}1", "0".repeat(42))
        );
    }

    #[test]
    fn minted_tokens_are_well_formed_and_tampering_breaks_them() {
        for seed in 0..50u8 {
            let token = mint("acme_", &[seed; 32]).unwrap().into_string();
            assert!(is_well_formed(&token), "{token}");
            let mut bytes = token.into_bytes();
            let at = 5 + usize::from(seed) % 40;
            bytes[at] = if bytes[at] == b'a' { b'b' } else { b'a' };
            assert!(!is_well_formed(std::str::from_utf8(&bytes).unwrap()));
        }
    }

    #[test]
    fn the_checksum_binds_the_prefix() {
        let token = mint("tw_", &[9; 32]).unwrap().into_string();
        let moved = format!("tx_{}", &token[3..]);
        assert!(!is_well_formed(&moved));
    }

    #[test]
    fn prefixes_are_checked() {
        for good in ["tw_", "acme_", "a1_", "abcdefghijklmno_"] {
            assert!(validate_prefix(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "_",
            "tw",
            "Tw_",
            "1w_",
            "t-w_",
            "abcdefghijklmnop_",
            "tw__",
            "tw_x",
        ] {
            assert!(validate_prefix(bad).is_err(), "{bad}");
        }
        assert!(mint("TW_", &[0; 32]).is_err());
    }
}
