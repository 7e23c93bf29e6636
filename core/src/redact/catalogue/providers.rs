//! Credential formats issued by known providers.

use crate::redact::rule::{Builtin, Candidate};
use crate::redact::validate::crc32_base62_trailer;

fn github_checksum(c: &Candidate<'_>) -> bool {
    crc32_base62_trailer(c.secret)
}

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "aws_access_key_id",
        provider: "aws",
        description: "AWS access key id (long-term AKIA, temporary ASIA, and other IAM prefixes)",
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"],
        pattern: r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z2-7]{16})\b",
        validate: None,
        generic: false,
        examples: &[("aws_access_key_id=AKIA7QX2M4RB5KQ3YHV6 rest", "AKIA7QX2M4RB5KQ3YHV6")],
        counterexamples: &["AKIA is the prefix", "xAKIA7QX2M4RB5KQ3YHV61"],
    },
    Builtin {
        id: "github_classic_token",
        provider: "github",
        description: "GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens (checksum verified)",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"\b(?P<token>gh[pousr]_(?P<secret>[A-Za-z0-9]{36}))\b",
        validate: Some(github_checksum),
        generic: false,
        examples: &[("token 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.", "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")],
        counterexamples: &["ghp_Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IM"],
    },
];
