//! The built-in rule catalogue.
//!
//! `providers` holds formats issued by a known service (most with a fixed prefix, many with a
//! checksum); `generic` holds forms that carry a credential whatever its issuer: key/value
//! assignments, URLs, headers, cookies, connection strings, private-key blocks and JWTs;
//! `services` catches the long tail of services without a format of their own by their name
//! beside a secret-looking value.

mod checksums;
mod generic;
mod providers;
mod services;
pub(crate) mod tokenward;

use super::rule::Builtin;

/// The checksum that verifies the findings of built-in rule `id`, if it has one.
pub(crate) fn checksum_of(id: &str) -> Option<super::rule::Validate> {
    providers::CHECKSUMS
        .iter()
        .find(|(rule, _)| *rule == id)
        .map(|(_, check)| *check)
}

/// Every built-in rule, providers first.
pub(crate) fn builtins() -> Vec<&'static Builtin> {
    providers::rules()
        .chain(tokenward::RULES)
        .chain(generic::RULES)
        .chain(services::RULES)
        .collect()
}

#[cfg(test)]
mod tests;
