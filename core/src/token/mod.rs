//! Token identity: keyed fingerprints of raw tokens.
//!
//! tokenward never stores a raw token. A [`TokenKey`] (key material from the host) turns a
//! presented token into a [`TokenId`], a 128-bit keyed BLAKE3 fingerprint; registries, usage
//! statistics, events and redacted log lines all refer to tokens by that id.

mod id;

pub use id::{TokenId, TokenKey};
