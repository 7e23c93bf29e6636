//! How a found secret is written in the output.

use std::fmt::Write as _;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// How a redacted credential is shown.
///
/// ```
/// use tokenward::{Redactor, Style};
///
/// let line = "key=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";
/// let with = |style| Redactor::builder().style(style).fingerprint_key(b"k").build().unwrap();
/// assert_eq!(with(Style::Mask).redact(line), "key=********");
/// assert_eq!(with(Style::Prefix).redact(line), "key=ghp_********");
/// assert_eq!(with(Style::Label).redact(line), "key=[REDACTED:github_classic_token]");
/// assert!(with(Style::Fingerprint).redact(line).starts_with("key=[REDACTED:github_classic_token:"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Replace the whole credential with `********`.
    Mask,
    /// Keep the public prefix of formats that have one (`ghp_********`); mask the rest.
    Prefix,
    /// Replace the credential with `[REDACTED:<rule>]`.
    #[default]
    Label,
    /// `[REDACTED:<rule>:<8 hex>]`: a keyed fingerprint of the credential, so investigators can
    /// correlate occurrences without seeing it. Needs a key from the caller.
    Fingerprint,
}

impl Style {
    /// Every style, in documentation order.
    pub const ALL: [Style; 4] = [Style::Mask, Style::Prefix, Style::Label, Style::Fingerprint];

    /// The style's name as used in configs and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Style::Mask => "mask",
            Style::Prefix => "prefix",
            Style::Label => "label",
            Style::Fingerprint => "fingerprint",
        }
    }
}

impl FromStr for Style {
    type Err = Error;

    fn from_str(s: &str) -> Result<Style, Error> {
        Style::ALL
            .into_iter()
            .find(|style| style.name() == s)
            .ok_or_else(|| Error::Config(UNKNOWN_STYLE.into()))
    }
}

// The rejected value is not echoed: a secret pasted into the wrong field of a config must not
// reach an error message, and from there a log.
const UNKNOWN_STYLE: &str = "unknown style (expected mask, prefix, label or fingerprint)";

impl<'de> Deserialize<'de> for Style {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Style, D::Error> {
        let name = std::borrow::Cow::<str>::deserialize(deserializer)?;
        name.parse()
            .map_err(|_| <D::Error as serde::de::Error>::custom(UNKNOWN_STYLE))
    }
}

const MASK: &str = "********";

/// A key for fingerprints, derived from caller-supplied bytes so any length works.
#[derive(Clone)]
pub(crate) struct FingerprintKey([u8; 32]);

impl FingerprintKey {
    pub fn derive(material: &[u8]) -> FingerprintKey {
        FingerprintKey(blake3::derive_key(
            "tokenward 2026 redaction fingerprint v1",
            material,
        ))
    }

    /// 8 hex digits of a keyed BLAKE3 hash of the credential.
    pub fn fingerprint(&self, credential: &[u8]) -> String {
        let hash = blake3::keyed_hash(&self.0, credential);
        let mut out = String::with_capacity(8);
        for b in &hash.as_bytes()[..4] {
            let _ = write!(out, "{b:02x}");
        }
        out
    }
}

/// Writes the replacement of one credential into `out`.
///
/// `token` is the credential as found and `public_len` the length of its public prefix. A
/// credential that spans several lines keeps its line breaks, so redaction never changes the
/// number of lines.
pub(crate) fn render(
    style: Style,
    out: &mut Vec<u8>,
    rule: &str,
    token: &[u8],
    public_len: usize,
    key: Option<&FingerprintKey>,
) {
    match style {
        Style::Mask => out.extend_from_slice(MASK.as_bytes()),
        Style::Prefix => {
            out.extend_from_slice(&token[..public_len]);
            out.extend_from_slice(MASK.as_bytes());
        }
        Style::Label => {
            out.extend_from_slice(b"[REDACTED:");
            out.extend_from_slice(rule.as_bytes());
            out.push(b']');
        }
        Style::Fingerprint => {
            out.extend_from_slice(b"[REDACTED:");
            out.extend_from_slice(rule.as_bytes());
            if let Some(key) = key {
                out.push(b':');
                out.extend_from_slice(key.fingerprint(token).as_bytes());
            }
            out.push(b']');
        }
    }
    for _ in memchr::memchr_iter(b'\n', token) {
        out.push(b'\n');
    }
}
