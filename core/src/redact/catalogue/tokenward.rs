//! tokenward's own minted tokens: `<prefix><43 base62><6 base62 CRC32>`.
//!
//! The built-in rule knows the default prefix `tw_`; a Guard configured with another prefix
//! tells the redactor with [`RedactorBuilder::token_prefix`](crate::RedactorBuilder::token_prefix).
//! (Matching any lowercase prefix would need the keyword `_`, which most log lines contain, and
//! made redaction of such lines about three times slower.) The checksum is mandatory and covers
//! the prefix, so a look-alike passes with probability 2^-32: in practice the rule has no false
//! positives.

use std::sync::Arc;

use crate::redact::rule::{Builtin, Candidate, Rule, RuleInfo};
use crate::token::{is_well_formed, validate_prefix, TokenKey, DEFAULT_PREFIX};
use crate::Error;

/// The rule id, also used to decide when a finding is shown as its `TokenId`.
pub(crate) const RULE_ID: &str = "tokenward_token";

fn checksum(c: &Candidate<'_>) -> bool {
    is_well_formed(c.token)
}

pub(crate) static RULES: &[Builtin] = &[Builtin {
    id: RULE_ID,
    provider: "tokenward",
    description: "tokenward minted token (prefix tw_ or configured ones, CRC32 checksum verified)",
    keywords: &["tw_"],
    pattern: r"(?:^|(?-u:[^A-Za-z0-9]))(?P<token>tw_(?P<secret>[0-9A-Za-z]{49}))(?-u:\b)",
    validate: Some(checksum),
    generic: false,
    examples: &[
        (
            "auth ok token=tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt user=7",
            "tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt",
        ),
        (
            "key_tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt",
            "tw_0Eoh211G4c8wtVWM00my5rsNSFlKgaWqQ4mb8gdEqno14eXMt",
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
        // Another prefix is only recognised when configured.
        "acme_No287qEH4uQv9vBo5cxQTXAw02KFtzjuPbCrH1FrBEB17zdUO",
    ],
}];

/// The rule for `tw_` and the given prefixes (each checked like a minting prefix).
pub(crate) fn rule_with_prefixes(prefixes: &[String]) -> Result<Rule, Error> {
    let builtin = &RULES[0];
    let mut all: Vec<&str> = vec![DEFAULT_PREFIX];
    for prefix in prefixes {
        validate_prefix(prefix).map_err(|e| Error::InvalidRule {
            id: RULE_ID.into(),
            reason: e.to_string(),
        })?;
        if !all.contains(&prefix.as_str()) {
            all.push(prefix);
        }
    }
    let alternation: Vec<String> = all.iter().map(|p| regex::escape(p)).collect();
    let pattern = format!(
        r"(?:^|(?-u:[^A-Za-z0-9]))(?P<token>(?:{})(?P<secret>[0-9A-Za-z]{{49}}))(?-u:\b)",
        alternation.join("|")
    );
    let info = RuleInfo {
        id: Arc::from(RULE_ID),
        provider: builtin.provider.to_string(),
        description: builtin.description.to_string(),
        keywords: all.iter().map(|p| p.to_string()).collect(),
        builtin: true,
        checksum: false,
    };
    Rule::compiled_now(info, &pattern, builtin.validate)
}

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
                .token_prefix("acme_")
                .token_prefix("p9_")
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
    fn unconfigured_prefixes_and_bad_prefixes() {
        let acme = mint("acme_", &[4; 32]).unwrap();
        assert!(Redactor::new().find(acme.expose()).is_empty());
        let err = Redactor::builder()
            .token_prefix("ACME-")
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("invalid token prefix"), "{err}");
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
