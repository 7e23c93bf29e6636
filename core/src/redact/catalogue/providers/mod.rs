//! Credential formats issued by known providers, one file per kind of service.
//!
//! Every pattern starts with `(?-u)`, so `\b` is the ASCII word boundary (fast in the regex
//! crate's DFA engines, and a non-ASCII neighbour does not hide a token). Repetitions are
//! bounded. The right edge: a rule whose token alphabet includes characters `\b` does not
//! see (`-`, `+`, `/`, `=`) ends with a guard that consumes the next byte, so a run longer than
//! the format allows is not matched at all, rather than matched on its prefix with the rest
//! left in the clear. The left edge: rules anchored on a literal prefix (`ghp_`, `AKIA`) check
//! it in their validator ([`left_boundary`](super::checksums::left_boundary)) rather than with
//! `\b`, which keeps the literal first for the regex engine and lets a token follow an escape
//! (`%22ghp_`, `\nghp_`). Rules found by a key name rather than a prefix check that the value
//! looks random.
//!
//! Keywords are literals distinctive enough that the prefilter rarely wakes a rule on clean
//! text: a token prefix, a host name, or the provider's own name for key-named rules.

use crate::redact::rule::{Builtin, Validate};

/// The byte after a base64url token (`A-Z a-z 0-9 _ -`) must not continue it.
macro_rules! end_url {
    () => {
        r"(?:[^A-Za-z0-9_-]|$)"
    };
}

/// The byte after a standard base64 token (`A-Z a-z 0-9 + / =`) must not continue it.
macro_rules! end_b64 {
    () => {
        r"(?:[^A-Za-z0-9+/=]|$)"
    };
}

/// Between a key name and its value: optional quote, `=`, `:`, `=>` or `:=`, optional quote.
macro_rules! assign {
    () => {
        r#"["']?\s{0,4}(?:=>|:=|[=:])\s{0,4}["']?"#
    };
}

/// A prefixed token: `prefix` (a regex, public) then `body` (a regex, the secret), ending
/// where the base64url alphabet ends.
macro_rules! prefixed {
    ($prefix:literal, $body:literal) => {
        concat!(
            r"(?-u)(?P<token>",
            $prefix,
            r"(?P<secret>",
            $body,
            r"))",
            end_url!()
        )
    };
}

/// What the rule files share.
mod prelude {
    pub(super) use super::super::checksums::{
        asana_token, azure_client_secret, bounded, high_entropy, left_boundary, random_hex,
        random_looking, sas_signature, telegram_bot_id,
    };
    pub(super) use super::{NAMED, PREFIXED};
    pub(super) use crate::redact::rule::Builtin;
}

mod ai;
mod analytics;
mod cloud;
mod crm;
mod data;
mod email;
mod hosting;
mod iot;
mod messaging;
mod observability;
mod payments;
mod productivity;
mod registries;
mod security;
mod social;
mod source_control;
mod web_data;

/// Defaults of a rule anchored on a literal prefix: the prefix starts a token
/// ([`left_boundary`](super::checksums::left_boundary)) and the body is not a documentation
/// dummy ([`lively`](super::checksums::lively)); fill in the rest.
const PREFIXED: Builtin = Builtin {
    id: "",
    provider: "",
    description: "",
    keywords: &[],
    pattern: "",
    validate: Some(super::checksums::bounded::lively),
    generic: false,
    examples: &[],
    counterexamples: &[],
};

/// Defaults of a rule found by a key name: the value must look random and not be a
/// documentation dummy.
const NAMED: Builtin = Builtin {
    validate: Some(super::checksums::random_lively),
    ..PREFIXED
};

/// Every provider rule, file by file.
pub(crate) fn rules() -> impl Iterator<Item = &'static Builtin> {
    [
        cloud::RULES,
        hosting::RULES,
        source_control::RULES,
        registries::RULES,
        payments::RULES,
        messaging::RULES,
        email::RULES,
        social::RULES,
        observability::RULES,
        ai::RULES,
        data::RULES,
        security::RULES,
        productivity::RULES,
        analytics::RULES,
        crm::RULES,
        iot::RULES,
        web_data::RULES,
    ]
    .into_iter()
    .flatten()
}

/// Rules whose findings a checksum or a decodable structure verifies. A finding that fails
/// the check is still a secret (a truncated or hand-edited key leaks as much), so it is
/// redacted all the same and reported unverified.
pub(crate) static CHECKSUMS: &[(&str, Validate)] = {
    use super::checksums::{
        age_bech32, atlassian_crc32, crc32_base62, gitlab_routable, grafana_crc32, pypi_macaroon,
    };
    &[
        ("github_classic_token", crc32_base62),
        ("npm_token", crc32_base62),
        ("gitlab_routable_token", gitlab_routable),
        ("grafana_service_account_token", grafana_crc32),
        ("atlassian_api_token", atlassian_crc32),
        ("age_secret_key", age_bech32),
        ("pypi_token", pypi_macaroon),
    ]
};

#[cfg(test)]
mod tests;
