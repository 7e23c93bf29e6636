//! Chat, voice and SMS platforms, and their incoming webhooks.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "slack_bot_token",
        provider: "slack",
        description: "Slack bot token (xoxb-)",
        keywords: &["xoxb-"],
        pattern: r"(?-u)(?P<token>xoxb-(?P<secret>[0-9]{8,14}-(?:[0-9]{8,14}-)?[A-Za-z0-9]{24,34}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("SLACK_BOT_TOKEN=xoxb-52954826591-7518169977401-tn6QMfStFUWSus4jowQUux6h", "xoxb-52954826591-7518169977401-tn6QMfStFUWSus4jowQUux6h"),
        ],
        counterexamples: &["xoxb-52954826591-7518169977401-short", "xoxb-your-token-here"],
    },
    Builtin {
        id: "slack_user_token",
        provider: "slack",
        description: "Slack user and session tokens (xoxp-, xoxs-)",
        keywords: &["xoxp-", "xoxs-"],
        pattern: r"(?-u)(?P<token>xox[ps]-(?P<secret>[0-9]{8,14}(?:-[0-9]{8,14}){1,2}-[A-Za-z0-9]{24,64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("token=xoxp-57994784753-68315505696-3956829922174-071590d292a283a2043d77faecbaa4ff", "xoxp-57994784753-68315505696-3956829922174-071590d292a283a2043d77faecbaa4ff"),
        ],
        counterexamples: &["xoxp-57994784753-68315505696-3956829922174", "xoxp-1-2-3-4"],
    },
    Builtin {
        id: "slack_legacy_token",
        provider: "slack",
        description: "Slack workspace, legacy and refresh tokens (xoxa-, xoxo-, xoxr-)",
        keywords: &["xoxa-", "xoxo-", "xoxr-"],
        pattern: concat!(r"(?-u)(?P<token>xox[aor]-(?P<secret>[0-9][A-Za-z0-9-]{20,200}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("xoxa-2-oZQVmK4BnccSbCHURNzz63Gi39DfFFLOCf7IGSGa revoked", "xoxa-2-oZQVmK4BnccSbCHURNzz63Gi39DfFFLOCf7IGSGa")],
        counterexamples: &["xoxa-2-short", "xoxr- tokens rotate"],
    },
    Builtin {
        id: "slack_config_token",
        provider: "slack",
        description: "Slack configuration access and refresh tokens (xoxe.xoxp-, xoxe.xoxb-, xoxe-)",
        keywords: &["xoxe"],
        pattern: r"(?-u)(?P<token>xoxe(?:\.xox[bp])?-(?P<secret>[0-9]-[A-Za-z0-9]{60,300}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("xoxe.xoxp-1-IZUeTN6cAW0Qw2aZy1f4D9IObHxTaZhA7A6jpVkOyRkunyBHsr4dEtUhtPjX6l6dWDbLE6ZcugmlwnLpMTEMGoCl5rzl6W7tOJ80JE2qF4z69vQJX9fE3ozdn8iZZyHYHXrYdQ7p5a3E",
             "xoxe.xoxp-1-IZUeTN6cAW0Qw2aZy1f4D9IObHxTaZhA7A6jpVkOyRkunyBHsr4dEtUhtPjX6l6dWDbLE6ZcugmlwnLpMTEMGoCl5rzl6W7tOJ80JE2qF4z69vQJX9fE3ozdn8iZZyHYHXrYdQ7p5a3E"),
        ],
        counterexamples: &["xoxe.xoxp-1-short"],
    },
    Builtin {
        id: "slack_app_token",
        provider: "slack",
        description: "Slack app-level token (xapp-)",
        keywords: &["xapp-"],
        pattern: r"(?-u)(?P<token>xapp-(?P<secret>[0-9]-[A-Z0-9]{8,14}-[0-9]{10,14}-[a-f0-9]{64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("SLACK_APP_TOKEN=xapp-1-AX2P0K0KUJQ-8294880292032-42b83fe2906d62e61df59a9c29e2b243ce3e0cf793e0649c9ac2866c3a98faec", "xapp-1-AX2P0K0KUJQ-8294880292032-42b83fe2906d62e61df59a9c29e2b243ce3e0cf793e0649c9ac2866c3a98faec"),
        ],
        counterexamples: &["xapp-1-AX2P0K0KUJQ-8294880292032-42b83fe2"],
    },
    Builtin {
        id: "slack_webhook",
        provider: "slack",
        description: "Slack incoming webhook URL (the path after services/ is the secret)",
        keywords: &["hooks.slack.com"],
        pattern: concat!(
            r"(?-u)(?P<token>https?://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{6,12}/[A-Za-z0-9_/-]{20,120}))",
            r"(?:[^A-Za-z0-9_/-]|$)"
        ),
        validate: None,
        generic: false,
        examples: &[
            ("posting to https://hooks.slack.com/services/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 failed", "https://hooks.slack.com/services/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"),
            (r#"{"webhook":"https://hooks.slack.com/services/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"}"#, "https://hooks.slack.com/services/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"),
        ],
        counterexamples: &["see https://hooks.slack.com/services/ for docs", "https://hooks.slack.com/services/T000/B000/XXXX"],
    },
    Builtin {
        id: "telegram_bot_token",
        provider: "telegram",
        description: "Telegram bot token (bot id : AA + 33)",
        keywords: &[":AA"],
        pattern: concat!(r"(?-u)(?P<token>[0-9]{8,10}:(?P<secret>AA[A-Za-z0-9_-]{33}))", end_url!()),
        validate: Some(telegram_bot_id),
        generic: false,
        examples: &[
            ("export TELEGRAM_BOT_TOKEN=4528812433:AAvhSerzdu8PHxOoafMXGXx1-eEJIzkiGxE", "4528812433:AAvhSerzdu8PHxOoafMXGXx1-eEJIzkiGxE"),
            ("GET https://api.telegram.org/bot5076722896:AAUoC4LUaEVb6qqKjIZnFEDpeCiisz_pJoK/getMe", "5076722896:AAUoC4LUaEVb6qqKjIZnFEDpeCiisz_pJoK"),
        ],
        counterexamples: &["4528812433:AAvhSerzdu8PHxOoafMXGXx1-eEJIzkiGx", "id 14528812433:AAvhSerzdu8PHxOoafMXGXx1-eEJIzkiGxE", "4528812433:AAvhSerzdu8PHxOoafMXGXx1-eEJIzkiGxEE", "at 12:AA"],
    },
    Builtin {
        id: "discord_bot_token",
        provider: "discord",
        description: "Discord bot token (base64 user id . timestamp . HMAC; the id is verified to decode to a snowflake)",
        keywords: &["discord", "bot "],
        pattern: concat!(r"(?-u)(?P<secret>[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40})", end_url!()),
        validate: Some(bounded::discord_user_id),
        generic: false,
        examples: &[
            ("Authorization: Bot OTI3MDMxNzY2NzM3NTM2NTMz.MQT9Xz.W-T_oJ6PmPSQpSEIlcnoEmx-gwsmr-mYVJ-6WS", "OTI3MDMxNzY2NzM3NTM2NTMz.MQT9Xz.W-T_oJ6PmPSQpSEIlcnoEmx-gwsmr-mYVJ-6WS"),
        ],
        counterexamples: &["discord token NQUJDREVGR0hJSktMTU5PUFFS.MQT9Xz.W-T_oJ6PmPSQpSEIlcnoEmx-gwsmr-mYVJ-6WS"],
    },
    Builtin {
        id: "discord_webhook",
        provider: "discord",
        description: "Discord webhook URL (the token after the webhook id is the secret)",
        keywords: &["discord"],
        pattern: concat!(
            r"(?-u)(?P<token>https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/(?:v[0-9]{1,2}/)?webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,80}))",
            end_url!()
        ),
        validate: None,
        generic: false,
        examples: &[("POST https://discord.com/api/webhooks/641657006796184010/UVQXsxAb-E5y_fjeqyX7C3WuUgSisJuedEWslfrReoDKxy5o3zjvjvW0tWmXa8NfdyQb 204", "https://discord.com/api/webhooks/641657006796184010/UVQXsxAb-E5y_fjeqyX7C3WuUgSisJuedEWslfrReoDKxy5o3zjvjvW0tWmXa8NfdyQb")],
        counterexamples: &["https://discord.com/api/webhooks/641657006796184010/short"],
    },
    Builtin {
        id: "twilio_api_key",
        provider: "twilio",
        description: "Twilio API key sid (SK + 32 hex)",
        keywords: &["SK"],
        pattern: r"(?-u)(?P<secret>SK[0-9a-fA-F]{32})\b",
        validate: Some(bounded::random_hex),
        generic: false,
        examples: &[
            ("TWILIO_API_KEY=SK3445d3d0743c590c3f91cd92683daf64", "SK3445d3d0743c590c3f91cd92683daf64"),
            ("twilioKeySid=SKed28cd5f0a1faecdbb595cf9d32a3ace status=ok", "SKed28cd5f0a1faecdbb595cf9d32a3ace"),
        ],
        counterexamples: &["SK3445d3d0743c590c3f91cd92683daf6", "SK3445d3d0743c590c3f91cd92683daf64a", "SKIP this task", "SK00000000000000000000000000000000"],
    },
    Builtin {
        id: "twilio_auth_token",
        provider: "twilio",
        description: "Twilio auth token or API secret (32 hex beside a twilio key name)",
        keywords: &["twilio"],
        pattern: concat!(
            r"(?-u)(?i:twilio)[A-Za-z0-9_.-]{0,20}(?i:auth[_-]?token|secret|token)",
            assign!(),
            r"(?P<secret>[a-fA-F0-9]{32})\b"
        ),
        validate: Some(random_hex),
        generic: false,
        examples: &[("TWILIO_AUTH_TOKEN=3c9887b2dfcbdae31915cac73b1abf7f", "3c9887b2dfcbdae31915cac73b1abf7f")],
        counterexamples: &["TWILIO_AUTH_TOKEN=${TWILIO_AUTH_TOKEN}", "twilio_auth_token: 00000000000000000000000000000000"],
    },
    Builtin {
        id: "twilio_account_credentials",
        provider: "twilio",
        description: "Twilio account sid and auth token written as a pair (AC + 32 hex : 32 hex), as in basic auth",
        keywords: &["twilio"],
        pattern: r"(?-u)\bAC[a-f0-9]{32}:(?P<secret>[a-f0-9]{32})\b",
        validate: Some(random_hex),
        generic: false,
        examples: &[("POST https://ACcaf17dfa283461468fe4c138bdd4e724:5407b1de8fa2b132d31520914c40eef0@api.twilio.com/2010-04-01/Accounts", "5407b1de8fa2b132d31520914c40eef0")],
        counterexamples: &["twilio account ACcaf17dfa283461468fe4c138bdd4e724 created"],
    },
    Builtin {
        id: "microsoft_teams_webhook",
        provider: "microsoft",
        description: "Microsoft Teams / Office 365 incoming webhook URL (webhook.office.com/webhookb2/<group>@<tenant>/IncomingWebhook/<id>/<owner>)",
        keywords: &["webhook.office.com", "outlook.office.com/webhook"],
        pattern: concat!(r"(?-u)(?P<token>https://[A-Za-z0-9.-]{0,60}(?:webhook\.office\.com/webhookb2|outlook\.office(?:365)?\.com/webhook)/(?P<secret>[a-f0-9-]{36}@[a-f0-9-]{36}/IncomingWebhook/[A-Za-z0-9]{32}/[a-f0-9-]{36}(?:/[A-Za-z0-9_-]{20,80})?))", r"(?:[^A-Za-z0-9/_-]|$)"),
        validate: Some(random_looking),
        examples: &[
            ("TEAMS_WEBHOOK=https://contoso.webhook.office.com/webhookb2/3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/9b8a7c6d5e4f30211a2b3c4d5e6f7a8b/0a1b2c3d-4e5f-4061-8a9b-7c6d5e4f3a2b/V2x7Qm3nP9kL4rT8vW1yZ6cB0dF5gH2jK8mN4pQ7sUa", "https://contoso.webhook.office.com/webhookb2/3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/9b8a7c6d5e4f30211a2b3c4d5e6f7a8b/0a1b2c3d-4e5f-4061-8a9b-7c6d5e4f3a2b/V2x7Qm3nP9kL4rT8vW1yZ6cB0dF5gH2jK8mN4pQ7sUa"),
            ("POST https://outlook.office.com/webhook/8c2d1e0f-3a4b-4c5d-9e6f-7a8b9c0d1e2f@5d6e7f80-91a2-43b4-85c6-d7e8f9a0b1c2/IncomingWebhook/f0e1d2c3b4a5968778695a4b3c2d1e0f/4b5c6d7e-8f90-41a2-b3c4-d5e6f7a8b9c0 -> 200", "https://outlook.office.com/webhook/8c2d1e0f-3a4b-4c5d-9e6f-7a8b9c0d1e2f@5d6e7f80-91a2-43b4-85c6-d7e8f9a0b1c2/IncomingWebhook/f0e1d2c3b4a5968778695a4b3c2d1e0f/4b5c6d7e-8f90-41a2-b3c4-d5e6f7a8b9c0"),
        ],
        counterexamples: &["https://contoso.webhook.office.com/webhookb2/<group-id>@<tenant-id>/IncomingWebhook/<id>/<owner>", "see https://outlook.office.com/webhook/ docs", "https://contoso.webhook.office.com/webhookb2/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx@xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/IncomingWebhook/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"],
        ..PREFIXED
    },
    Builtin {
        id: "power_automate_webhook",
        provider: "microsoft",
        description: "Power Automate / Logic Apps HTTP trigger URL (the sig= signature is the secret)",
        keywords: &["logic.azure.com", "powerplatform.com", "/triggers/manual/paths/invoke"],
        pattern: concat!(r#"(?-u)(?:logic\.azure\.com|environment\.api\.powerplatform\.com)(?::443)?/[^\s"']{0,300}?[?&]sig=(?P<secret>[A-Za-z0-9_-]{43})"#, end_url!()),
        examples: &[
            ("https://prod-27.westeurope.logic.azure.com:443/workflows/0c6d9f1e2a3b4c5d8e7f6a5b4c3d2e1f/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Xq3Rt8vLm2Np7Kw4Yz9Bc1Df6Gh0Jk5Lp3Qs8Tu2Vw7", "Xq3Rt8vLm2Np7Kw4Yz9Bc1Df6Gh0Jk5Lp3Qs8Tu2Vw7"),
            ("flow url: https://default1a2b3c.4d.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/7e8f/triggers/manual/paths/invoke?api-version=1&sig=aB3dE6fH9iK2lM5nP8qR1sT4uV7wX0yZ3aB6cD9eF2g", "aB3dE6fH9iK2lM5nP8qR1sT4uV7wX0yZ3aB6cD9eF2g"),
        ],
        counterexamples: &["https://prod-27.westeurope.logic.azure.com/workflows/x/triggers/manual/paths/invoke?api-version=2016-06-01&sig=<signature>", "logic.azure.com sig=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
        ..NAMED
    },
    Builtin {
        id: "google_chat_webhook",
        provider: "google",
        description: "Google Chat incoming webhook URL (the token= parameter is the secret)",
        keywords: &["chat.googleapis.com"],
        pattern: concat!(r#"(?-u)chat\.googleapis\.com/v1/spaces/[A-Za-z0-9_-]{6,20}/messages\?[^\s"']{0,120}?token=(?P<secret>[A-Za-z0-9_-]{43}(?:%3D|=)?)"#, end_url!()),
        examples: &[
            ("POST https://chat.googleapis.com/v1/spaces/AAAA7xK2pQw/messages?key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI&token=q8Lm3Nx7Rp2Kv9Tw4Yz1Bc6Df0Gh5Jk8Lp3Qs7Tu2Vw%3D", "q8Lm3Nx7Rp2Kv9Tw4Yz1Bc6Df0Gh5Jk8Lp3Qs7Tu2Vw%3D"),
            (r#""webhook": "https://chat.googleapis.com/v1/spaces/AAQAbc12XYZ/messages?key=AIzaSyA1&token=Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq6W""#, "Zx9Cv8Bn7Mm6Ll5Kk4Jj3Hh2Gg1Ff0Dd9Ss8Aa7Qq6W"),
        ],
        counterexamples: &["https://chat.googleapis.com/v1/spaces/SPACE_ID/messages?key=KEY&token=TOKEN", "https://chat.googleapis.com/v1/spaces/AAAA7xK2pQw/messages"],
        ..NAMED
    },
    Builtin {
        id: "zapier_webhook",
        provider: "zapier",
        description: "Zapier catch hook URL (hooks.zapier.com/hooks/catch/<account>/<hook>)",
        keywords: &["hooks.zapier.com"],
        pattern: concat!(r"(?-u)(?P<token>https?://hooks\.zapier\.com/hooks/catch/(?P<secret>[0-9]{4,12}/[a-z0-9]{5,12}))", r"(?:[^A-Za-z0-9_-]|$)"),
        examples: &[
            ("ZAP_URL=https://hooks.zapier.com/hooks/catch/4815162/b3x9kq2/", "https://hooks.zapier.com/hooks/catch/4815162/b3x9kq2"),
            (r#"requests.post("https://hooks.zapier.com/hooks/catch/12093847/3fj8ksl0", json=payload)"#, "https://hooks.zapier.com/hooks/catch/12093847/3fj8ksl0"),
        ],
        counterexamples: &["https://hooks.zapier.com/hooks/catch/123/abc", "see https://hooks.zapier.com/hooks/catch/ for your URL"],
        ..NAMED
    },
    Builtin {
        id: "ifttt_webhook_key",
        provider: "ifttt",
        description: "IFTTT Webhooks key (maker.ifttt.com/trigger/<event>/with/key/<22>)",
        keywords: &["maker.ifttt.com"],
        pattern: concat!(r"(?-u)maker\.ifttt\.com/(?:trigger/[A-Za-z0-9_-]{1,60}/(?:json/)?with/key|use)/(?P<secret>[A-Za-z0-9_-]{22,43})", end_url!()),
        examples: &[
            ("curl -X POST https://maker.ifttt.com/trigger/door_open/with/key/dK3mP9xQ2rL7vN4bT8wY1z", "dK3mP9xQ2rL7vN4bT8wY1z"),
            (r#"url = "https://maker.ifttt.com/trigger/alert/json/with/key/cX5vB2nM8kL3jH6gF9dS1a""#, "cX5vB2nM8kL3jH6gF9dS1a"),
        ],
        counterexamples: &["https://maker.ifttt.com/trigger/{event}/with/key/{key}", "https://maker.ifttt.com/trigger/alert/with/key/xxxxxxxxxxxxxxxxxxxxxx"],
        ..PREFIXED
    },
    Builtin {
        id: "mattermost_webhook",
        provider: "mattermost",
        description: "Mattermost incoming webhook URL (/hooks/<26 lower-case>) on a host or line naming Mattermost",
        keywords: &["mattermost"],
        pattern: concat!(r"(?-u)(?i:mattermost)[A-Za-z0-9.:/_-]{0,120}?/hooks/(?P<secret>[a-z0-9]{26})", end_url!()),
        examples: &[
            ("MATTERMOST_WEBHOOK=https://mattermost.example.org/hooks/k3x9q2m7v4b8n1t6w5y0z3c8d1", "k3x9q2m7v4b8n1t6w5y0z3c8d1"),
            ("posting to https://chat.acme.io/mattermost/hooks/p8r2s5u9w3y6a1c4e7g0i3k6m9 failed", "p8r2s5u9w3y6a1c4e7g0i3k6m9"),
        ],
        counterexamples: &["https://mattermost.example.org/hooks/xxx-generatedkey-xxx", "mattermost docs: /hooks/<key>"],
        ..NAMED
    },
    Builtin {
        id: "mattermost_token",
        provider: "mattermost",
        description: "Mattermost personal access / bot token (26 lower-case alphanumerics) beside a Mattermost key name",
        keywords: &["mattermost"],
        pattern: concat!(r"(?-u)(?i:mattermost)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{26})", end_url!()),
        examples: &[
            ("MATTERMOST_TOKEN = yyovb9lqdrgir4njl2k4f88rjl", "yyovb9lqdrgir4njl2k4f88rjl"),
            (r#"mattermost_bot_token: "xp27fqdq0agukfa58rbwwi0ivx""#, "xp27fqdq0agukfa58rbwwi0ivx"),
        ],
        counterexamples: &["MATTERMOST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MATTERMOST_TOKEN=<your-mattermost-key>", "MATTERMOST_TOKEN=djpz7f16baery3brtwaonfcdv"],
        ..NAMED
    },
    Builtin {
        id: "rocketchat_token",
        provider: "rocketchat",
        description: "Rocket.Chat personal access token (43) beside a Rocket.Chat key name",
        keywords: &["rocketchat", "rocket_chat", "rocket.chat", "rocket-chat"],
        pattern: concat!(r"(?-u)(?i:rocket[_.-]?chat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("  ROCKETCHAT_AUTH_TOKEN: G3zxDk1bnCaYRg5oZAq4sO1U-49iCg2wwGYdiZ7IFV2", "G3zxDk1bnCaYRg5oZAq4sO1U-49iCg2wwGYdiZ7IFV2"),
            (r#"export rocketchat_token="21rTeIKfrpjqjA61ZPW95VY4281a390S6R1x7HAQa3M""#, "21rTeIKfrpjqjA61ZPW95VY4281a390S6R1x7HAQa3M"),
        ],
        counterexamples: &["ROCKETCHAT_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROCKETCHAT_AUTH_TOKEN=<your-rocketchat-key>", "ROCKETCHAT_AUTH_TOKEN=i975VqUZw82ujOxqsusib-NjGUe8krMAM4iEOmI4il"],
        ..NAMED
    },
    Builtin {
        id: "zulip_api_key",
        provider: "zulip",
        description: "Zulip API key (32 alphanumerics) beside a Zulip key name",
        keywords: &["zulip"],
        pattern: concat!(r"(?-u)(?i:zulip)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("ZULIP_API_KEY=MC5izpcDJrumgGNWdAWjgEZPIRX9GQO5", "MC5izpcDJrumgGNWdAWjgEZPIRX9GQO5"),
            (r#"{"zulip_key":"0RLEwoKne7F8D4H5vBCfKU5s7PCLoHaX"}"#, "0RLEwoKne7F8D4H5vBCfKU5s7PCLoHaX"),
        ],
        counterexamples: &["ZULIP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZULIP_API_KEY=<your-zulip-key>", "ZULIP_API_KEY=GZU1HX5D3Q3wLGOxxUo5OwaY5kiwBiM"],
        ..NAMED
    },
    Builtin {
        id: "gitter_token",
        provider: "gitter",
        description: "Gitter token (40 hex) beside a Gitter key name",
        keywords: &["gitter"],
        pattern: concat!(r"(?-u)(?i:gitter)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"GITTER_TOKEN: "e6d92ca3f26776bd20ebb235545d6b6211ce89cb""#, "e6d92ca3f26776bd20ebb235545d6b6211ce89cb"),
            ("gitter_api_key = 03a1f02fb9979757a3aeae78e3f0bba3f056f01a", "03a1f02fb9979757a3aeae78e3f0bba3f056f01a"),
        ],
        counterexamples: &["GITTER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITTER_TOKEN=<your-gitter-key>", "GITTER_TOKEN=4ded8fe26b49d5c7ad1bcf843d4a5df7c68765c"],
        ..NAMED
    },
    Builtin {
        id: "line_channel_token",
        provider: "line",
        description: "LINE Messaging API channel access token / secret beside a LINE channel key name",
        keywords: &["line_channel", "line-channel", "linechannel"],
        pattern: concat!(r"(?-u)(?i:line[_-]?channel)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{150,180}=)", end_b64!()),
        examples: &[
            (r#"export LINE_CHANNEL_ACCESS_TOKEN="i7B6do+S6SkbW64Y5smthC9oUDpl6TwGvL7RGgAGYRYkJe0AsxfRxHmH2FMrr/gpr46NNYTAjEnPGBsPCr4uyB0vV/5UtRgNY+sfYC8izwx0mDzV/bBrxtzZwu+r/OZb8XYOF/bk/6pa1qMpUDMFIwqw980exoat=""#, "i7B6do+S6SkbW64Y5smthC9oUDpl6TwGvL7RGgAGYRYkJe0AsxfRxHmH2FMrr/gpr46NNYTAjEnPGBsPCr4uyB0vV/5UtRgNY+sfYC8izwx0mDzV/bBrxtzZwu+r/OZb8XYOF/bk/6pa1qMpUDMFIwqw980exoat="),
            ("  line_channel_secret: FRaCw/5S88z8f4uq0ue8NOXkFqnfx0loBcwPMRmIMdktwZ1eSy/Ck1OcDr7tEMZ8PF6q4gDe4+Q0vysnGiE16tYD5K2OBW+5OxogXWq1YSM7wW2aN8s6VmIJDXCylOgbh5SsStbaxw+2Sn9OD+hkDq7GFa=", "FRaCw/5S88z8f4uq0ue8NOXkFqnfx0loBcwPMRmIMdktwZ1eSy/Ck1OcDr7tEMZ8PF6q4gDe4+Q0vysnGiE16tYD5K2OBW+5OxogXWq1YSM7wW2aN8s6VmIJDXCylOgbh5SsStbaxw+2Sn9OD+hkDq7GFa="),
        ],
        counterexamples: &["LINE_CHANNEL_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINE_CHANNEL_ACCESS_TOKEN=<your-line-key>", "LINE_CHANNEL_ACCESS_TOKEN=K0O1Wi7DlxNNOi5Aw9M6KIjn33R0bSrpXszKEtxfN50iYxLYmKgwOyIvdWJDMy/TP2BXQMtcY2+9jRIOY9acZvzqU+U+acKafpUMJMKhdxCtkuHWomYHoL8OYnwofM5a3ybv/v48ZQINq0uEm/Gdx="],
        ..NAMED
    },
    Builtin {
        id: "line_notify_token",
        provider: "line",
        description: "LINE Notify token (43) beside a LINE Notify key name",
        keywords: &["line_notify", "line-notify", "linenotify"],
        pattern: concat!(r"(?-u)(?i:line[_-]?notify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            (r#"{"LINE_NOTIFY_TOKEN":"kKHUX7mWxOWR5dsrAc8mp5KIh4l86dHwx346v31p6Cn"}"#, "kKHUX7mWxOWR5dsrAc8mp5KIh4l86dHwx346v31p6Cn"),
            ("line_notify_token=3rs6WJWcEKOmTdh0Ltn8HjqAptrcRFMc2zuafjVLcX5", "3rs6WJWcEKOmTdh0Ltn8HjqAptrcRFMc2zuafjVLcX5"),
        ],
        counterexamples: &["LINE_NOTIFY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINE_NOTIFY_TOKEN=<your-line-key>", "LINE_NOTIFY_TOKEN=CaGXkYgNm5sl9WgsgPOTUChtmf55wGC4yIhtJuRRXX"],
        ..NAMED
    },
    Builtin {
        id: "vonage_api_secret",
        provider: "vonage",
        description: "Vonage / Nexmo API secret (16) beside a Vonage or Nexmo key name",
        keywords: &["vonage", "nexmo"],
        pattern: concat!(r"(?-u)(?i:vonage|nexmo)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            ("VONAGE_API_SECRET = tJcdlgSK2DfgoaGv", "tJcdlgSK2DfgoaGv"),
            (r#"NEXMO_API_SECRET: "WZuSrYwNGcnQp2mq""#, "WZuSrYwNGcnQp2mq"),
        ],
        counterexamples: &["VONAGE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VONAGE_API_SECRET=<your-vonage-key>", "VONAGE_API_SECRET=Agc4t9KXp0YVzLc"],
        ..NAMED
    },
    Builtin {
        id: "messagebird_api_key",
        provider: "messagebird",
        description: "MessageBird / Bird access key (25) beside a MessageBird key name",
        keywords: &["messagebird"],
        pattern: concat!(r"(?-u)(?i:messagebird)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            ("  MESSAGEBIRD_API_KEY: FiVSXB7l6KWK8vAE7BQlL2h2Y", "FiVSXB7l6KWK8vAE7BQlL2h2Y"),
            (r#"export messagebird_access_key="o4BFL11XgFqw8qagzIR0dMNqv""#, "o4BFL11XgFqw8qagzIR0dMNqv"),
        ],
        counterexamples: &["MESSAGEBIRD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MESSAGEBIRD_API_KEY=<your-messagebird-key>", "MESSAGEBIRD_API_KEY=SZzqEoYLd6bXPUiNXnlnTQ9Y"],
        ..NAMED
    },
    Builtin {
        id: "plivo_auth_token",
        provider: "plivo",
        description: "Plivo auth token (40) beside a Plivo key name",
        keywords: &["plivo"],
        pattern: concat!(r"(?-u)(?i:plivo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("PLIVO_AUTH_TOKEN=7bAiAcrue3TVTcK2Kpb38mvYmZN508HZeZISR9aO", "7bAiAcrue3TVTcK2Kpb38mvYmZN508HZeZISR9aO"),
            (r#"{"plivo_token":"ZGRWuBN9F6Z80r52eeG8lMoacjKp4vX0Ho2mrBAK"}"#, "ZGRWuBN9F6Z80r52eeG8lMoacjKp4vX0Ho2mrBAK"),
        ],
        counterexamples: &["PLIVO_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLIVO_AUTH_TOKEN=<your-plivo-key>", "PLIVO_AUTH_TOKEN=NiovLGCFu0pPxh5osI1tEwOjNV5TBYIz06LOKLs"],
        ..NAMED
    },
    Builtin {
        id: "telnyx_api_key",
        provider: "telnyx",
        description: "Telnyx API v2 key (KEY + 32 upper-case hex + _ + 22)",
        keywords: &["KEY0", "KEY1", "KEY2", "KEY3", "KEY4", "KEY5", "KEY6", "KEY7", "KEY8", "KEY9", "KEYA", "KEYB", "KEYC", "KEYD", "KEYE", "KEYF"],
        pattern: prefixed!(r"KEY", r"[A-F0-9]{32}_[A-Za-z0-9_-]{22}"),
        examples: &[
            (r#"TELNYX_API_KEY="KEY878666F3FB38DC83134FDFF50636A850_0u0aWErHF9N-yBKxWdRU5X""#, "KEY878666F3FB38DC83134FDFF50636A850_0u0aWErHF9N-yBKxWdRU5X"),
            (r#"level=info msg="auth ok" key=KEYDDA83A91CB537021B43ED621FAF29CFA_G4766IJTU5l-oE_AnKeKB1"#, "KEYDDA83A91CB537021B43ED621FAF29CFA_G4766IJTU5l-oE_AnKeKB1"),
        ],
        counterexamples: &["KEYxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like KEY1234567890", "KEY01FFEA7C5DAF78D4D903AA12278F46D5_g7FhMM6NWxnzN0AHadw5K"],
        ..PREFIXED
    },
    Builtin {
        id: "sinch_api_token",
        provider: "sinch",
        description: "Sinch service plan API token (32 hex) beside a Sinch key name",
        keywords: &["sinch"],
        pattern: concat!(r"(?-u)(?i:sinch)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export SINCH_API_TOKEN="bef970195135ea766ed7179aa86aaf40""#, "bef970195135ea766ed7179aa86aaf40"),
            ("  sinch_token: 1ffcab4965c24f14ce36f707d5768e5e", "1ffcab4965c24f14ce36f707d5768e5e"),
        ],
        counterexamples: &["SINCH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SINCH_API_TOKEN=<your-sinch-key>", "SINCH_API_TOKEN=534c972873fb13d4a0839fc22c9cd96"],
        ..NAMED
    },
    Builtin {
        id: "pusher_secret",
        provider: "pusher",
        description: "Pusher Channels app secret (20 hex) beside a Pusher key name",
        keywords: &["pusher"],
        pattern: concat!(r"(?-u)(?i:pusher)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            (r#"{"PUSHER_APP_SECRET":"a1dbb1bf21de5ef2899c"}"#, "a1dbb1bf21de5ef2899c"),
            ("pusher_secret=c0d20f896f6e597bfd87", "c0d20f896f6e597bfd87"),
        ],
        counterexamples: &["PUSHER_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHER_APP_SECRET=<your-pusher-key>", "PUSHER_APP_SECRET=92d5dd5afbd7ccb5e40"],
        ..NAMED
    },
    Builtin {
        id: "ably_api_key",
        provider: "ably",
        description: "Ably API key (<app>.<key id>:<secret>) beside an Ably key name",
        keywords: &["ably"],
        pattern: concat!(r"(?-u)(?i:ably)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{6}:[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("ABLY_API_KEY = osb25m.tgSF7o:bP-4Y-oPNaKwUYbdWFHVKjBpIkZCZYqVwW0YKFeZo4V", "osb25m.tgSF7o:bP-4Y-oPNaKwUYbdWFHVKjBpIkZCZYqVwW0YKFeZo4V"),
            (r#"ably_key: "gt2Dut.tuU8oj:OoMRp5zuDpeHCcE2Z1WVSLdRyEislXLk3A0Z_9fK3NZ""#, "gt2Dut.tuU8oj:OoMRp5zuDpeHCcE2Z1WVSLdRyEislXLk3A0Z_9fK3NZ"),
        ],
        counterexamples: &["ABLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ABLY_API_KEY=<your-ably-key>", "ABLY_API_KEY=heUq_6.Ec8Nhr:IHdWnLJDywOcvrcJzzqH4jnv7gnEdyFJ5rZF8RO8q5"],
        ..NAMED
    },
    Builtin {
        id: "getstream_secret",
        provider: "getstream",
        description: "Stream (getstream.io) API secret (64 lower-case alphanumerics) beside a Stream secret name",
        keywords: &["getstream", "stream_api", "stream-api", "streamapi"],
        pattern: concat!(r"(?-u)(?i:getstream|stream[_-]?api)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{64})", end_url!()),
        examples: &[
            ("  STREAM_API_SECRET: ctizbs6gumak8z75so3lv5901wy203xlborfkl6jkr0mdvqgvlhgrlz8zks1jopb", "ctizbs6gumak8z75so3lv5901wy203xlborfkl6jkr0mdvqgvlhgrlz8zks1jopb"),
            (r#"export getstream_secret="yakfc71fh7zup60wcsqm3u7nbq7ohmg9vxs8w0jqzsbulzbf5wy2v6mr0oiughtv""#, "yakfc71fh7zup60wcsqm3u7nbq7ohmg9vxs8w0jqzsbulzbf5wy2v6mr0oiughtv"),
        ],
        counterexamples: &["STREAM_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STREAM_API_SECRET=<your-getstream-key>", "STREAM_API_SECRET=194g11en7cxgshbp7q0m4v0yi4h99e59hcq6y64cpj8e5aww7918320tqm49myd"],
        ..NAMED
    },
    Builtin {
        id: "sendbird_api_token",
        provider: "sendbird",
        description: "Sendbird API token (40 hex) beside a Sendbird key name",
        keywords: &["sendbird"],
        pattern: concat!(r"(?-u)(?i:sendbird)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("SENDBIRD_API_TOKEN=acc04b3ad07bf36530f4fefd02e93beb2ffd1db6", "acc04b3ad07bf36530f4fefd02e93beb2ffd1db6"),
            (r#"{"sendbird_token":"dd4cac4cbcdd12136886dae48325987859d2629d"}"#, "dd4cac4cbcdd12136886dae48325987859d2629d"),
        ],
        counterexamples: &["SENDBIRD_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SENDBIRD_API_TOKEN=<your-sendbird-key>", "SENDBIRD_API_TOKEN=8e6098a5fa6d10ff9004fff9d7fe5a7dbbd7439"],
        ..NAMED
    },
    Builtin {
        id: "intercom_access_token",
        provider: "intercom",
        description: "Intercom access token (dG9rOj = base64 of \"tok:\" + body)",
        keywords: &["dG9rOj"],
        pattern: concat!(r#"(?-u)(?P<token>dG9rOj(?P<secret>[A-Za-z0-9+/]{50,70}=))"#, end_b64!()),
        examples: &[
            (r#"INTERCOM_ACCESS_TOKEN="dG9rOj7w010xIcqQ1R+k73AFIC2vvSkajB94OyVObhBNpGP6CeYpGdIViOm/=""#, "dG9rOj7w010xIcqQ1R+k73AFIC2vvSkajB94OyVObhBNpGP6CeYpGdIViOm/="),
            ("Authorization: Bearer dG9rOjkYL61BWOfmVZgdAI8FCqsEhKNkQzmFrFOzNWKU6OTgkSPDcdKcdKIzSyxI1T=", "dG9rOjkYL61BWOfmVZgdAI8FCqsEhKNkQzmFrFOzNWKU6OTgkSPDcdKcdKIzSyxI1T="),
        ],
        counterexamples: &["dG9rOjxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dG9rOj1234567890", "dG9rOjheBJoJhKuDT/rNp0hEwJkQy8JhrGu+J9bB1qBYFYopji7SDCT="],
        ..PREFIXED
    },
    Builtin {
        id: "zoom_client_secret",
        provider: "zoom",
        description: "Zoom OAuth / Server-to-Server client secret (32) beside a Zoom secret name",
        keywords: &["zoom"],
        pattern: concat!(r"(?-u)(?i:zoom)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export ZOOM_CLIENT_SECRET="Hn6VuzBLG3hALB8VsryZCSqzSFERH0Gr""#, "Hn6VuzBLG3hALB8VsryZCSqzSFERH0Gr"),
            ("  zoom_secret_token: I2jAm2l7BYIC7eTHAl3XVAHFS7xCAEsd", "I2jAm2l7BYIC7eTHAl3XVAHFS7xCAEsd"),
        ],
        counterexamples: &["ZOOM_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZOOM_CLIENT_SECRET=<your-zoom-key>", "ZOOM_CLIENT_SECRET=rPERvkAt0E0K3slNlsGlL2sjDjWncIS"],
        ..NAMED
    },
    Builtin {
        id: "webex_token",
        provider: "webex",
        description: "Webex bot / personal access token beside a Webex key name",
        keywords: &["webex"],
        pattern: concat!(r"(?-u)(?i:webex)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64}_[A-Z0-9]{4}_[a-f0-9]{8}-[a-f0-9]{4})", end_url!()),
        examples: &[
            (r#"{"WEBEX_BOT_TOKEN":"Bq8bVsZKgy52Gzt6NtbfO7YA5LBcrXld8IPfG6Cfs80mIth4H8cnCytNpED1yi57_39I8_36c1891e-edef"}"#, "Bq8bVsZKgy52Gzt6NtbfO7YA5LBcrXld8IPfG6Cfs80mIth4H8cnCytNpED1yi57_39I8_36c1891e-edef"),
            ("webex_access_token=6DT38XPe2FBRWKol9Fke7cChcnXyh5ZhuAVNugDRir2nyUoVsOhkv04VpPw7h0wd_QKD6_018800d9-29ac", "6DT38XPe2FBRWKol9Fke7cChcnXyh5ZhuAVNugDRir2nyUoVsOhkv04VpPw7h0wd_QKD6_018800d9-29ac"),
        ],
        counterexamples: &["WEBEX_BOT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEBEX_BOT_TOKEN=<your-webex-key>", "WEBEX_BOT_TOKEN=fkqbiebvglCw0DbdMn3YYXdQjtxUcV5Ayoc1BFzFZrUIgUO4YdNge19KbZR31uxV_HOJP_85215ebe-d80"],
        ..NAMED
    },
    Builtin {
        id: "pushover_token",
        provider: "pushover",
        description: "Pushover application / user key (30 lower-case alphanumerics) beside a Pushover key name",
        keywords: &["pushover"],
        pattern: concat!(r"(?-u)(?i:pushover)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{30})", end_url!()),
        examples: &[
            ("PUSHOVER_TOKEN = z1fj15629t2rd42icdlarcaeaag2oy", "z1fj15629t2rd42icdlarcaeaag2oy"),
            (r#"pushover_user_key: "l3930uwav6xpyv4gp0xm1001dgytv4""#, "l3930uwav6xpyv4gp0xm1001dgytv4"),
        ],
        counterexamples: &["PUSHOVER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHOVER_TOKEN=<your-pushover-key>", "PUSHOVER_TOKEN=68vdyab2w3vyuiayiki3nj8xct8ti"],
        ..NAMED
    },
    Builtin {
        id: "pushbullet_token",
        provider: "pushbullet",
        description: "Pushbullet access token (o. + 32) beside a Pushbullet key name",
        keywords: &["pushbullet"],
        pattern: concat!(r"(?-u)(?i:pushbullet)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>o\.[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  PUSHBULLET_TOKEN: o.HoikC6zkEYe852uGj2z2Ua9qWWylZaOc", "o.HoikC6zkEYe852uGj2z2Ua9qWWylZaOc"),
            (r#"export pushbullet_api_key="o.wdrazgknCJzLQ8DfEDdqxVMoM8Ud1lSE""#, "o.wdrazgknCJzLQ8DfEDdqxVMoM8Ud1lSE"),
        ],
        counterexamples: &["PUSHBULLET_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHBULLET_TOKEN=<your-pushbullet-key>", "PUSHBULLET_TOKEN=o.rDBBW8wWCWSj3jfqJzW9qjuFKld7K4X"],
        ..NAMED
    },
    Builtin {
        id: "ntfy_access_token",
        provider: "ntfy",
        description: "ntfy access token (tk_ + 29 lower-case alphanumerics)",
        keywords: &["tk_"],
        pattern: prefixed!(r"tk_", r"[a-z0-9]{29}"),
        examples: &[
            ("  ntfy_access_token: tk_s7bu2c74cliwk49vhlvy1n40wg7m1", "tk_s7bu2c74cliwk49vhlvy1n40wg7m1"),
            ("docker run -e NTFY_ACCESS_TOKEN=tk_jgtdl0nvbe1b48l0qu6dy1e74qqz1 app:latest", "tk_jgtdl0nvbe1b48l0qu6dy1e74qqz1"),
        ],
        counterexamples: &["tk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tk_1234567890", "tk_tmcag40bet5eyi5szz490rdzjk2w"],
        ..PREFIXED
    },
    Builtin {
        id: "gotify_token",
        provider: "gotify",
        description: "Gotify application / client token (15) beside a Gotify key name",
        keywords: &["gotify"],
        pattern: concat!(r"(?-u)(?i:gotify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{15})", end_url!()),
        examples: &[
            (r#"GOTIFY_TOKEN: "UzJ4Jjo-fkIG4aF""#, "UzJ4Jjo-fkIG4aF"),
            ("gotify_app_token = 7eTuH7XUpqrtNkV", "7eTuH7XUpqrtNkV"),
        ],
        counterexamples: &["GOTIFY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GOTIFY_TOKEN=<your-gotify-key>", "GOTIFY_TOKEN=7C9fs3X7InqD9T"],
        ..NAMED
    },
    Builtin {
        id: "onesignal_legacy_key",
        provider: "onesignal",
        description: "OneSignal REST API key (48) beside a OneSignal key name",
        keywords: &["onesignal"],
        pattern: concat!(r"(?-u)(?i:onesignal)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{48})", end_url!()),
        examples: &[
            (r#"export ONESIGNAL_REST_API_KEY="s99tSwkOI4oTvePqRvHhoQuK9suH57F8kgaNrPmfsBTx2YYq""#, "s99tSwkOI4oTvePqRvHhoQuK9suH57F8kgaNrPmfsBTx2YYq"),
            ("  onesignal_api_key: SEwKy1i3BDApDBt957FzJHKtL53YDH4nFhB6Oss1GzhiUaLm", "SEwKy1i3BDApDBt957FzJHKtL53YDH4nFhB6Oss1GzhiUaLm"),
        ],
        counterexamples: &["ONESIGNAL_REST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ONESIGNAL_REST_API_KEY=<your-onesignal-key>", "ONESIGNAL_REST_API_KEY=SfzeKI5RKvao3HN8dF8Z6RknjOnKlbdB3RUeQCgjUw9p60G"],
        ..NAMED
    },
    Builtin {
        id: "onesignal_api_key",
        provider: "onesignal",
        description: "OneSignal app / organisation REST API key (os_v2_app_ / os_v2_org_ + 100 or more lower-case alphanumerics)",
        keywords: &["os_v2_app_", "os_v2_org_"],
        pattern: prefixed!(r"(?:os_v2_app_|os_v2_org_)", r"[a-z0-9]{100,120}"),
        examples: &[
            ("docker run -e ONESIGNAL_API_KEY=os_v2_app_93crtf616vei6oe4z4ax0c1cpkfcac13p9z6tavd19qo5mxzcuqgmqec0vyolauvg0j8x65w24alp4tdq3xy2krawrx8kpawxmqzgwa app:latest", "os_v2_app_93crtf616vei6oe4z4ax0c1cpkfcac13p9z6tavd19qo5mxzcuqgmqec0vyolauvg0j8x65w24alp4tdq3xy2krawrx8kpawxmqzgwa"),
            ("2024-06-11T08:14:52Z DEBUG onesignal client configured token=os_v2_org_rlei07eycm4pqggdt23a9gqzcfo7bvmxrwgt63hsyfg1qq88mccjzi64ju93rcu6q810yxgmoeh2juppr2dj196e9sg71fjdzohr0x6ykz0", "os_v2_org_rlei07eycm4pqggdt23a9gqzcfo7bvmxrwgt63hsyfg1qq88mccjzi64ju93rcu6q810yxgmoeh2juppr2dj196e9sg71fjdzohr0x6ykz0"),
        ],
        counterexamples: &["os_v2_app_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like os_v2_app_1234567890", "os_v2_app_cj8z4rugwfwfw2dt8q1igg66rx3feli255t34ie692kv48wbo2u69aa8yr8yy2jecwzgj8rvw3fnts2tfyuf597eunlogj23qdr"],
        ..PREFIXED
    },
    Builtin {
        id: "discord_client_secret",
        provider: "discord",
        description: "Discord OAuth client secret (32) beside a Discord secret name",
        keywords: &["discord"],
        pattern: concat!(r"(?-u)(?i:discord)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            ("DISCORD_CLIENT_SECRET = dB_0nfaxJh1_l7gS8xmrHe0V99rf4nmT", "dB_0nfaxJh1_l7gS8xmrHe0V99rf4nmT"),
            (r#"discord_secret: "M3NQ5HjgCnL08dqD4d2sphUD4Hv43T2g""#, "M3NQ5HjgCnL08dqD4d2sphUD4Hv43T2g"),
        ],
        counterexamples: &["DISCORD_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DISCORD_CLIENT_SECRET=<your-discord-key>", "DISCORD_CLIENT_SECRET=YfKl7GfFZqtP6zBS6-XkUz2-OfjIIwO"],
        ..NAMED
    },
    Builtin {
        id: "telegram_api_hash",
        provider: "telegram",
        description: "Telegram API hash (32 hex) beside a Telegram api_hash name",
        keywords: &["telegram", "tg_api", "tg-api"],
        pattern: concat!(r"(?-u)(?i:telegram|tg)[A-Za-z0-9_.-]{0,24}?(?i:hash)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TELEGRAM_API_HASH: 2191161f43b395acaeadf3062706b2c8", "2191161f43b395acaeadf3062706b2c8"),
            (r#"export tg_api_hash="61d6989a3abdaccf422630bf744b55a3""#, "61d6989a3abdaccf422630bf744b55a3"),
        ],
        counterexamples: &["TELEGRAM_API_HASH=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TELEGRAM_API_HASH=<your-telegram-key>", "TELEGRAM_API_HASH=0bef2915633becf7af9562f04795526"],
        ..NAMED
    },
    Builtin {
        id: "slack_signing_secret",
        provider: "slack",
        description: "Slack signing / client secret (32 hex) beside a Slack secret name",
        keywords: &["slack"],
        pattern: concat!(r"(?-u)(?i:slack)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SLACK_SIGNING_SECRET=de7455d7e381bdc7cc247eb74e85f545", "de7455d7e381bdc7cc247eb74e85f545"),
            (r#"{"slack_client_secret":"4e5a292cb8a12a46b010d07f788fd16c"}"#, "4e5a292cb8a12a46b010d07f788fd16c"),
        ],
        counterexamples: &["SLACK_SIGNING_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SLACK_SIGNING_SECRET=<your-slack-key>", "SLACK_SIGNING_SECRET=7e3d6f9b9654b6709459e75c07922fa"],
        ..NAMED
    },
];
