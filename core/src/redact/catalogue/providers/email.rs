//! Email delivery and marketing.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "sendgrid_api_key",
        provider: "sendgrid",
        description: "SendGrid API key (SG. + 22 + . + 43)",
        keywords: &["SG."],
        pattern: concat!(r"(?-u)(?P<token>SG\.(?P<secret>[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("SENDGRID_API_KEY=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", "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")],
        counterexamples: &["SG.bV0naTFUVMAhOx-pSglBGI.2VZlKmkYCGQeOttKKh_gYkrRcBa91Qjwk4rW53p4Oj", "SG.short.key"],
    },
    Builtin {
        id: "mailgun_api_key",
        provider: "mailgun",
        description: "Mailgun API key (key- + 32 hex)",
        keywords: &["key-"],
        pattern: r"(?-u)(?P<token>key-(?P<secret>[0-9a-f]{32}))\b",
        validate: Some(bounded::mailgun_key),
        generic: false,
        examples: &[("api:key-b33c9363da4348fd1dc6ffdcf35a60b5@api.mailgun.net", "key-b33c9363da4348fd1dc6ffdcf35a60b5")],
        counterexamples: &["key-b33c9363da4348fd1dc6ffdcf35a60b", "cache-key-b33c9363da4348fd1dc6ffdcf35a60b5", "api-key-value", "key-00000000000000000000000000000000"],
    },
    Builtin {
        id: "mailgun_private_key",
        provider: "mailgun",
        description: "Mailgun private API key or webhook signing key (32-8-8 hex beside a mailgun name)",
        keywords: &["mailgun"],
        pattern: concat!(
            r"(?-u)(?i:mailgun)[A-Za-z0-9_.-]{0,30}",
            assign!(),
            r"(?P<secret>[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b"
        ),
        validate: Some(random_hex),
        generic: false,
        examples: &[("MAILGUN_API_KEY=bcceeb4fca2f78bd1828c76d25decf37-53941b5f-af4eb937", "bcceeb4fca2f78bd1828c76d25decf37-53941b5f-af4eb937")],
        counterexamples: &["MAILGUN_DOMAIN=mg.example.org", "mailgun_key: bcceeb4fca2f78bd1828c76d25decf37"],
    },
    Builtin {
        id: "mailchimp_api_key",
        provider: "mailchimp",
        description: "Mailchimp API key (32 hex + -us + datacenter number)",
        keywords: &["-us"],
        pattern: r"(?-u)(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})\b",
        validate: Some(bounded::random_hex),
        generic: false,
        examples: &[("MAILCHIMP_KEY=b11e3106dcccc96701272778bdf75040-us49", "b11e3106dcccc96701272778bdf75040-us49")],
        counterexamples: &["region en-us1", "b11e3106dcccc96701272778bdf7504-us49"],
    },
    Builtin {
        id: "brevo_api_key",
        provider: "brevo",
        description: "Brevo (Sendinblue) API key (xkeysib-)",
        keywords: &["xkeysib-"],
        pattern: r"(?-u)(?P<token>xkeysib-(?P<secret>[a-f0-9]{64}-[A-Za-z0-9]{16}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("api-key: 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", "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")],
        counterexamples: &["xkeysib-d099d060e82cb196f026fa1e09d93384"],
    },
];
