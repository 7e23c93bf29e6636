//! Tests every provider rule shares.

use super::{rules, CHECKSUMS};
use crate::Redactor;

fn only(id: &str) -> Redactor {
    let mut builder = Redactor::builder();
    for other in super::super::builtins().iter().filter(|b| b.id != id) {
        builder = builder.disable(other.id);
    }
    builder.build().unwrap()
}

/// A credential followed by one more token character is a longer run: the rule must take
/// the whole run or nothing, never stop where the example ended and leave the rest.
#[test]
fn no_rule_matches_a_prefix_of_a_longer_run() {
    for rule in rules() {
        let redactor = only(rule.id);
        for (text, credential) in rule.examples {
            let start = text.find(credential).unwrap();
            let end = start + credential.len();
            for extra in ["A", "7", "q"] {
                let longer = format!("{}{extra}{}", &text[..end], &text[end..]);
                for finding in redactor.find(&longer) {
                    assert!(
                        finding.span.end != end,
                        "{}: stopped inside the run in {longer:?}",
                        rule.id
                    );
                }
            }
        }
    }
}

/// A credential that its rule finds standing alone is still found inside URL-encoded,
/// JSON-escaped, quoted and bracketed contexts.
#[test]
fn prefix_rules_see_through_escapes() {
    let redactor = Redactor::new();
    for rule in rules() {
        let Some((_, credential)) = rule.examples.first() else {
            continue;
        };
        if only(rule.id).find(credential).is_empty() {
            // Found by its key name or its neighbour, not by its own shape.
            continue;
        }
        for context in ["q=%22{}%22", r#"{{"m":"x\n{}"}}"#, "'{}'", "({})", "<{}>"] {
            let text = context
                .replace("{}", credential)
                .replace("{{", "{")
                .replace("}}", "}");
            let out = redactor.redact(&text);
            assert!(
                !out.contains(credential),
                "{}: {text:?} -> {out:?}",
                rule.id
            );
        }
    }
}

/// Tokens with a distinctive prefix whose checksum fails (one character edited): still
/// secrets, so found, but reported unverified. `(rule, text, credential)`.
const UNVERIFIED: &[(&str, &str, &str)] = &[
    ("github_classic_token", "token ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM", "ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM"),
    ("npm_token", "NPM_TOKEN=npm_PGg36SmMTBBZJmhwPGBYa8kRaDS5as0yxZ1H", "npm_PGg36SmMTBBZJmhwPGBYa8kRaDS5as0yxZ1H"),
    ("gitlab_routable_token", "PRIVATE-TOKEN: glpat-kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw.01.120j6tqzf", "glpat-kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw.01.120j6tqzf"),
    ("grafana_service_account_token", "glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN_7f902b73", "glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN_7f902b73"),
    ("atlassian_api_token", "ATATT3xFfGF0Wx_KA7EvZtxr9Pko2JjCKlpXFB7BSv0hD9Oi22Jc8FQF6cA1EZeXrddMgg1mhzLaPI89Aay6Sa7XXhV6L9uf9D8DXa_RAnfBmKOO5KMOZPI_oVpbR2CDjlt1BC5Gco7fcopoFShyAO9H5sLwzcZjS6dDb1qrWMYJc-fwFp64OJx=94166E9B", "ATATT3xFfGF0Wx_KA7EvZtxr9Pko2JjCKlpXFB7BSv0hD9Oi22Jc8FQF6cA1EZeXrddMgg1mhzLaPI89Aay6Sa7XXhV6L9uf9D8DXa_RAnfBmKOO5KMOZPI_oVpbR2CDjlt1BC5Gco7fcopoFShyAO9H5sLwzcZjS6dDb1qrWMYJc-fwFp64OJx=94166E9B"),
    ("age_secret_key", "AGE-SECRET-KEY-1UNLNWX9008CRGHFSQW90JJM4T80JQZK08JYN4WT29KC67SA0DUWM7PFFD8", "AGE-SECRET-KEY-1UNLNWX9008CRGHFSQW90JJM4T80JQZK08JYN4WT29KC67SA0DUWM7PFFD8"),
    // The macaroon head names "evil.org", not PyPI.
    ("pypi_token", "pypi-AgEIZXZpbC5vcmcCJDQxblRTMjdLbHFUS2RBOE5oUHpySlBibjhvSEVBQXVQRjBMWACjx6aqNQeAI_UakL2GIid5uRRY8tOaEQuoEj9P5gEWsewEVpo", "pypi-AgEIZXZpbC5vcmcCJDQxblRTMjdLbHFUS2RBOE5oUHpySlBibjhvSEVBQXVQRjBMWACjx6aqNQeAI_UakL2GIid5uRRY8tOaEQuoEj9P5gEWsewEVpo"),
];

#[test]
fn a_failed_checksum_is_redacted_and_reported_unverified() {
    for (id, text, credential) in UNVERIFIED {
        let found = only(id).find(text);
        assert_eq!(found.len(), 1, "{id}: {text:?} -> {found:?}");
        assert_eq!(&text[found[0].span.clone()], *credential, "{id}");
        assert!(!found[0].verified, "{id}: {text:?}");
        assert!(!Redactor::new().redact(text).contains(credential), "{id}");
    }
}

#[test]
fn findings_of_checksummed_rules_are_verified_and_others_are_not() {
    for rule in rules() {
        let checksummed = CHECKSUMS.iter().any(|(id, _)| *id == rule.id);
        let redactor = only(rule.id);
        assert_eq!(
            redactor
                .rules()
                .find(|r| *r.id == *rule.id)
                .map(|r| r.checksum),
            Some(checksummed),
            "{}",
            rule.id
        );
        for (text, _) in rule.examples {
            for finding in redactor.find(text) {
                assert_eq!(finding.verified, checksummed, "{}: {text:?}", rule.id);
            }
        }
    }
    for (id, _) in CHECKSUMS {
        assert!(rules().any(|r| r.id == *id), "{id} is not a provider rule");
    }
}
