//! tokenward's own minted tokens: `<prefix><43 base62><6 base62 CRC32>`.
//!
//! Any lowercase prefix of 2 to 16 characters ending in `_` is recognised, so tokens minted
//! with a configured prefix are caught too. The checksum is mandatory and covers the prefix, so a
//! look-alike passes with probability 2^-32: in practice the rule has no false positives.

use crate::redact::rule::{Builtin, Candidate};
use crate::token::{is_well_formed, TokenKey};

/// The rule id, also used to decide when a finding is shown as its `TokenId`.
pub(crate) const RULE_ID: &str = "tokenward_token";

fn checksum(c: &Candidate<'_>) -> bool {
    is_well_formed(c.token)
}

pub(crate) static RULES: &[Builtin] = &[Builtin {
    id: RULE_ID,
    provider: "tokenward",
    description:
        "tokenward minted token (any lowercase prefix ending in `_`, CRC32 checksum verified)",
    // The prefix is configurable, so the only literal every token holds is its `_`.
    keywords: &["_"],
    pattern: r"(?:^|(?-u:[^A-Za-z0-9]))(?P<token>[a-z][a-z0-9]{0,14}_(?P<secret>[0-9A-Za-z]{49}))(?-u:\b)",
    validate: Some(checksum),
    generic: false,
    examples: &[
        (
            "auth ok token=tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt user=7",
            "tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt",
        ),
        (
            "key_acme_No287qEH4uQv9vBo5cxQTXAw02KFtzjuPbCrH1FrBEB17zdUO",
            "acme_No287qEH4uQv9vBo5cxQTXAw02KFtzjuPbCrH1FrBEB17zdUO",
        ),
    ],
    counterexamples: &[
        // One character changed: the checksum no longer matches.
        "token=tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMu",
        // A valid token's body under another prefix.
        "token=tx_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt",
        // Longer than a token: part of a bigger word.
        "tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMtX",
        "snake_case_identifier_without_any_secret_in_it_at_all_really",
    ],
}];

/// Writes `[REDACTED:tokenward_token:tid_<12 hex>]`: the token's id under the Guard's key, so a
/// log line shows which token leaked without showing the token.
pub(crate) fn render_token_id(out: &mut Vec<u8>, key: &TokenKey, token: &[u8]) {
    out.extend_from_slice(b"[REDACTED:");
    out.extend_from_slice(RULE_ID.as_bytes());
    out.push(b':');
    out.extend_from_slice(key.id(token).short().as_bytes());
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use crate::redact::Style;
    use crate::token::{mint, TokenKey};
    use crate::Redactor;

    #[test]
    fn minted_tokens_of_any_prefix_are_found_and_shown_as_their_id() {
        let key = TokenKey::new(b"guard key");
        for style in Style::ALL {
            let redactor = Redactor::builder()
                .style(style)
                .fingerprint_key(b"fp")
                .token_key(key.clone())
                .build()
                .unwrap();
            for (seed, prefix) in [(1u8, "tw_"), (2, "acme_"), (3, "p9_")] {
                let token = mint(prefix, &[seed; 32]).unwrap();
                let line = format!("GET /x?access_token={} 200", token.expose());
                let out = redactor.redact(&line);
                let expected = format!(
                    "GET /x?access_token=[REDACTED:tokenward_token:{}] 200",
                    key.id(token.expose().as_bytes()).short()
                );
                assert_eq!(out, expected, "{style:?}");
            }
        }
    }

    #[test]
    fn without_a_token_key_the_style_applies() {
        let token = mint("tw_", &[5; 32]).unwrap();
        let line = format!("t={}", token.expose());
        let prefix = Redactor::builder().style(Style::Prefix).build().unwrap();
        assert_eq!(prefix.redact(&line), "t=tw_********");
        assert_eq!(
            Redactor::new().redact(&line),
            "t=[REDACTED:tokenward_token]"
        );
    }

    #[test]
    fn adjacent_tokens_are_both_found() {
        let a = mint("tw_", &[1; 32]).unwrap();
        let b = mint("tw_", &[2; 32]).unwrap();
        let line = format!("{} {}", a.expose(), b.expose());
        assert_eq!(Redactor::new().find(&line).len(), 2);
    }
}
