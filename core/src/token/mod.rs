//! Token identity and minting.
//!
//! tokenward never stores a raw token. A [`TokenKey`] (key material from the host) turns a
//! presented token into a [`TokenId`], a 128-bit keyed BLAKE3 fingerprint; registries, usage
//! statistics, events and redacted log lines all refer to tokens by that id.
//!
//! [`mint()`] makes new tokens in the checksummed form `tw_<43 base62><6 base62 CRC32>` that the
//! redaction rule `tokenward_token` recognises offline.

pub(crate) mod checksum;
mod id;
mod mint;

pub(crate) use checksum::crc32_base62_trailer;

pub use id::{TokenId, TokenKey};
pub use mint::{
    is_well_formed, mint, validate_prefix, PrefixError, RawToken, BODY_LEN, CHECKSUM_LEN,
    DEFAULT_PREFIX,
};
