//! Social networks and streaming.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "twitch_token",
        provider: "twitch",
        description: "Twitch OAuth token or client secret (30 lower-case alphanumerics) beside a twitch key name",
        keywords: &["twitch"],
        pattern: concat!(
            r"(?-u)(?i:twitch)[A-Za-z0-9_.-]{0,20}(?i:token|secret|key|password)",
            assign!(),
            r"(?:oauth:)?(?P<secret>[a-z0-9]{30})\b"
        ),
        validate: Some(random_looking),
        generic: false,
        examples: &[("TWITCH_OAUTH_TOKEN=oauth:kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w", "kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w")],
        counterexamples: &["TWITCH_CHANNEL=kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w", "twitch_token: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    },
    Builtin {
        id: "twitter_bearer_token",
        provider: "twitter",
        description: "Twitter / X app-only bearer token (21 A's + URL-encoded body)",
        keywords: &["AAAAAAAAAAAAAAAAAAAAA"],
        pattern: r"(?-u)(?P<secret>AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{40,150})(?:[^A-Za-z0-9%]|$)",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA9naHVck6pbd4ZRj2SxphvDTwrzqwo7%2F2n3wZuot7UGAoKD1AFfD%3DKZxCKu7SPCzX3ZeF981bmiIlN8YS2UbsHFj42g5hzdeDU16Jsz", "AAAAAAAAAAAAAAAAAAAAA9naHVck6pbd4ZRj2SxphvDTwrzqwo7%2F2n3wZuot7UGAoKD1AFfD%3DKZxCKu7SPCzX3ZeF981bmiIlN8YS2UbsHFj42g5hzdeDU16Jsz")],
        counterexamples: &["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAshort"],
    },
];
