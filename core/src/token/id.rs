use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A keyed fingerprint of a raw token: 128 bits of keyed BLAKE3.
///
/// It shows as `tid_` and 32 hex digits; [`TokenId::short`] gives the first 12 for display.
///
/// ```
/// use tokenward::token::{TokenId, TokenKey};
///
/// let key = TokenKey::new(b"host key material");
/// let id = key.id(b"tw_secret_token_value");
/// assert_eq!(id, key.id(b"tw_secret_token_value"));
/// assert_eq!(id.to_string().len(), 36);
/// assert_eq!(id.to_string().parse::<TokenId>().unwrap(), id);
/// ```
///
/// Equality compares all 16 bytes in constant time. `Hash` feeds only the last 8 bytes to the
/// hasher: the bytes are already a keyed hash, so they are uniform, and the first byte is left
/// to pick a registry shard. In serde it is the `tid_` string in human-readable formats (JSON,
/// TOML) and 16 raw bytes in binary ones.
#[derive(Clone, Copy, Eq, PartialOrd, Ord)]
pub struct TokenId([u8; 16]);

impl PartialEq for TokenId {
    fn eq(&self, other: &TokenId) -> bool {
        use subtle::ConstantTimeEq;
        self.0.ct_eq(&other.0).into()
    }
}

impl std::hash::Hash for TokenId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mut tail = [0u8; 8];
        tail.copy_from_slice(&self.0[8..]);
        state.write_u64(u64::from_le_bytes(tail));
    }
}

impl serde::Serialize for TokenId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            serde::Serialize::serialize(&self.0, serializer)
        }
    }
}

impl<'de> serde::Deserialize<'de> for TokenId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TokenId, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            <[u8; 16]>::deserialize(deserializer).map(TokenId)
        }
    }
}

impl TokenId {
    /// Wraps fingerprint bytes (as stored in a snapshot).
    pub const fn from_bytes(bytes: [u8; 16]) -> TokenId {
        TokenId(bytes)
    }

    /// The fingerprint bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// `tid_` and the first 12 hex digits: enough to tell tokens apart in a log line.
    pub fn short(&self) -> String {
        let mut s = self.to_string();
        s.truncate(16);
        s
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Encoded into one buffer and written once: a `write!` per byte costs more than the
        // rest of an allowed request's id handling (the middleware formats one per request).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = *b"tid_00000000000000000000000000000000";
        for (i, b) in self.0.iter().enumerate() {
            text[4 + 2 * i] = HEX[usize::from(b >> 4)];
            text[5 + 2 * i] = HEX[usize::from(b & 0xf)];
        }
        // Only ASCII was written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

impl FromStr for TokenId {
    type Err = Error;

    fn from_str(s: &str) -> Result<TokenId, Error> {
        // The text is not quoted: a raw token passed where an id belongs must not reach a log.
        let bad = || Error::InvalidArgument {
            what: "token id",
            expected: "tid_ and 32 hex digits",
        };
        let hex = s.strip_prefix("tid_").ok_or_else(bad)?;
        if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(TokenId(bytes))
    }
}

/// The host's key for token fingerprints. Debug output never shows it.
#[derive(Clone)]
pub struct TokenKey([u8; 32]);

impl TokenKey {
    /// Derives a fingerprint key from host key material of any length.
    pub fn new(material: &[u8]) -> TokenKey {
        TokenKey(blake3::derive_key("tokenward 2026 token id v1", material))
    }

    /// The fingerprint of a raw token: the first 16 bytes of keyed BLAKE3 over its bytes.
    pub fn id(&self, raw_token: &[u8]) -> TokenId {
        let hash = blake3::keyed_hash(&self.0, raw_token);
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash.as_bytes()[..16]);
        TokenId(bytes)
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_bad_ids_are_not_quoted() {
        let id = TokenKey::new(b"k").id(b"tw_token");
        assert_eq!(id.to_string().parse::<TokenId>(), Ok(id));
        let raw = "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";
        for text in [raw, "tid_", "tid_0123456789abcdef0123456789abcdeZ", "tid_é"] {
            let err = text.parse::<TokenId>().unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
            assert!(!err.to_string().contains("Ky9Pf34q"), "{err}");
            assert_eq!(
                err.to_string(),
                "invalid token id: expected tid_ and 32 hex digits"
            );
        }
    }

    #[test]
    fn ids_show_every_byte_as_two_lower_case_hex_digits() {
        let bytes: [u8; 16] = std::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xa5);
        let expected: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            TokenId::from_bytes(bytes).to_string(),
            format!("tid_{expected}")
        );
        assert_eq!(
            TokenId::from_bytes([0xff; 16]).to_string(),
            format!("tid_{}", "ff".repeat(16))
        );
    }
}
