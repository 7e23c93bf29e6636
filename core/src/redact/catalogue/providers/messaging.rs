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
        // discord.py and discord.js start a bot with its token: `client.run("...")`.
        keywords: &["discord", "bot ", ".run(\"", ".run('", ".login(\"", ".login('"],
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
        id: "nats_nkey_seed",
        provider: "nats",
        description: "NATS NKey seed (S, the key type, then 56 base32 characters), as in a .creds file or nsc output",
        keywords: &["nkey", "nats", "seed"],
        pattern: concat!(r"(?-u)\b(?P<secret>S[UAONCXP][A-Z2-7]{56})", end_url!()),
        examples: &[
            ("-----BEGIN USER NKEY SEED-----\nSUA6ZGOB3OKNIXK4YQ5QLTWE2ORF5OMKEWIMBAQCTZCNBSWWUDKDJN7WE5\n------END USER NKEY SEED------", "SUA6ZGOB3OKNIXK4YQ5QLTWE2ORF5OMKEWIMBAQCTZCNBSWWUDKDJN7WE5"),
        ],
        counterexamples: &["nats user public key UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", "seed SUAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
        ..PREFIXED
    },
    Builtin {
        id: "twilio_auth_token_pair",
        provider: "twilio",
        description: "Twilio auth token (32 hex) paired with its account SID (AC and 32 hex) as basic-auth credentials on a line that names Twilio: auth=('AC...', '...'), Client('AC...', '...')",
        keywords: &["twilio"],
        pattern: r#"(?-u)["']AC[0-9a-f]{32}["'][ \t]*,[ \t]*["'](?P<secret>[0-9a-f]{32})["']"#,
        validate: Some(random_hex),
        generic: false,
        examples: &[
            ("DEBUG twilio: POST https://api.twilio.com/2010-04-01/Accounts/AC7424e375e1f61fbb64be20edfe6400fb/Messages.json auth=('AC7424e375e1f61fbb64be20edfe6400fb', 'bfd6e84b7c62280ffd7b7497d2b2e91a')", "bfd6e84b7c62280ffd7b7497d2b2e91a"),
        ],
        counterexamples: &["twilio auth=('AC7424e375e1f61fbb64be20edfe6400fb', '00000000000000000000000000000000')"],
    },
    Builtin {
        id: "twilio_api_key_secret",
        provider: "twilio",
        description: "Twilio API key secret (32 alphanumerics) quoted right after its quoted API key sid (SK + 32 hex), as the helper libraries take them: Client(\"SK...\", \"secret\", \"AC...\")",
        keywords: &["SK"],
        pattern: r#"(?-u)\bSK[0-9a-fA-F]{32}\\{0,3}["'][ \t]*,[ \t]*\\{0,3}["'](?P<secret>[A-Za-z0-9]{32})\\{0,3}["']"#,
        validate: Some(random_looking),
        generic: false,
        examples: &[(
            r#"client = Client("SK5c0e9d1f2a3b4c5d6e7f8091a2b3c4d5", "Yh3kP9wQ2mZr7Lx4Tn8Vb1Cs6Fd0Gj5A", "AC0f1e2d3c4b5a69788796a5b4c3d2e1f0")"#,
            "Yh3kP9wQ2mZr7Lx4Tn8Vb1Cs6Fd0Gj5A",
        )],
        counterexamples: &[
            r#"Client("SK5c0e9d1f2a3b4c5d6e7f8091a2b3c4d5", api_secret, account_sid)"#,
            r#"Client("SK5c0e9d1f2a3b4c5d6e7f8091a2b3c4d5", "your_api_secret_here_xxxxxxxxxxxx")"#,
        ],
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
            ("MATTERMOST_TOKEN = 01crld8f62fsm8th7cn2ytp43y", "01crld8f62fsm8th7cn2ytp43y"),
            (r#"mattermost_bot_token: "m39i87shm8ycrsd2o31634y3e5""#, "m39i87shm8ycrsd2o31634y3e5"),
        ],
        counterexamples: &["MATTERMOST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MATTERMOST_TOKEN=<your-mattermost-key>", "MATTERMOST_TOKEN=ol5kec2hcnyhhu0ug3irnyosh"],
        ..NAMED
    },
    Builtin {
        id: "rocketchat_token",
        provider: "rocketchat",
        description: "Rocket.Chat personal access token (43) beside a Rocket.Chat key name",
        keywords: &["rocketchat", "rocket_chat", "rocket.chat", "rocket-chat"],
        pattern: concat!(r"(?-u)(?i:rocket[_.-]?chat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("  ROCKETCHAT_AUTH_TOKEN: QFSoTglGvhKdfGHda0KYjKOZukvGdridQnx4S6dgAhs", "QFSoTglGvhKdfGHda0KYjKOZukvGdridQnx4S6dgAhs"),
            (r#"export rocketchat_token="Ue0XCe3_Z_ImgnjdOUxpDsEbIujgx6U753GbtZ3ls3-""#, "Ue0XCe3_Z_ImgnjdOUxpDsEbIujgx6U753GbtZ3ls3-"),
        ],
        counterexamples: &["ROCKETCHAT_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROCKETCHAT_AUTH_TOKEN=<your-rocketchat-key>", "ROCKETCHAT_AUTH_TOKEN=M4Ih85qegxaJebibbm4CWtx771OTbRVFXQ8mE1Vy21"],
        ..NAMED
    },
    Builtin {
        id: "zulip_api_key",
        provider: "zulip",
        description: "Zulip API key (32 alphanumerics) beside a Zulip key name",
        keywords: &["zulip"],
        pattern: concat!(r"(?-u)(?i:zulip)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("ZULIP_API_KEY=B4dgytvL9E9yWGMIvd54yabC6OKwR8D6", "B4dgytvL9E9yWGMIvd54yabC6OKwR8D6"),
            (r#"{"zulip_key":"5PyuiTay5Y5iSkMiDnMjLIMR00M7YxcM"}"#, "5PyuiTay5Y5iSkMiDnMjLIMR00M7YxcM"),
        ],
        counterexamples: &["ZULIP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZULIP_API_KEY=<your-zulip-key>", "ZULIP_API_KEY=IOtiDHoikC6zkEYe852uGj2z2Ua9qWW"],
        ..NAMED
    },
    Builtin {
        id: "gitter_token",
        provider: "gitter",
        description: "Gitter token (40 hex) beside a Gitter key name",
        keywords: &["gitter"],
        pattern: concat!(r"(?-u)(?i:gitter)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"GITTER_TOKEN: "501ab180c356ece2fe18b715f48eddbe4428c84a""#, "501ab180c356ece2fe18b715f48eddbe4428c84a"),
            ("gitter_api_key = 51aec90ae1f154b5fa35acd6fdb36d443915d6a0", "51aec90ae1f154b5fa35acd6fdb36d443915d6a0"),
        ],
        counterexamples: &["GITTER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITTER_TOKEN=<your-gitter-key>", "GITTER_TOKEN=d0f5d8a1cd2f88cde96103fd029f2c4f9ccfd81"],
        ..NAMED
    },
    Builtin {
        id: "line_channel_token",
        provider: "line",
        description: "LINE Messaging API channel access token / secret beside a LINE channel key name",
        keywords: &["line_channel", "line-channel", "linechannel"],
        pattern: concat!(r"(?-u)(?i:line[_-]?channel)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{150,180}=)", end_b64!()),
        examples: &[
            (r#"export LINE_CHANNEL_ACCESS_TOKEN="tv5TgUzJ4Jjo/fkIG4aFP7eTuH7XUpqrtNkVK7C9fs3X7InqD9TDKMTvDRjGRoDPKP+vnbIzkK2UGD9TWq271F73N+YM7B/o3LKYoqazClYiQaCg/uBsAwdh2j5nsSF7Ly7fIMk2QirDi9Y9aV0f3fEulebe=""#, "tv5TgUzJ4Jjo/fkIG4aFP7eTuH7XUpqrtNkVK7C9fs3X7InqD9TDKMTvDRjGRoDPKP+vnbIzkK2UGD9TWq271F73N+YM7B/o3LKYoqazClYiQaCg/uBsAwdh2j5nsSF7Ly7fIMk2QirDi9Y9aV0f3fEulebe="),
            ("  line_channel_secret: 36EZMbRh3GC+yUZfPHmyGie0RXDxbOQn0sV+S48axE8MgH7UX4vJbSIVuEaTVzHZmTb6Jwir0iXfy8EHnnhN46bmGZelDdRzUJSmN7pLWln3HHyeftZr9tO6JfOH20XVnzDip5sPEFJ4gt2iLn2kshYCpI0UXuZ0Q=", "36EZMbRh3GC+yUZfPHmyGie0RXDxbOQn0sV+S48axE8MgH7UX4vJbSIVuEaTVzHZmTb6Jwir0iXfy8EHnnhN46bmGZelDdRzUJSmN7pLWln3HHyeftZr9tO6JfOH20XVnzDip5sPEFJ4gt2iLn2kshYCpI0UXuZ0Q="),
        ],
        counterexamples: &["LINE_CHANNEL_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINE_CHANNEL_ACCESS_TOKEN=<your-line-key>", "LINE_CHANNEL_ACCESS_TOKEN=tY9JPmTkSlS4hNG2rmmIU7kjxr4+/N78qj4uR9ScC5OaaXIXW5sjeSZnsJQT6kBMK4MlWPk/jOAxCmt46HhI6dB+0nfaxJh1+l7gS8xmrHe0V99rf4nmThM3NQ5HjgCnL08dqD4d2sphUD4Hv43T2="],
        ..NAMED
    },
    Builtin {
        id: "line_notify_token",
        provider: "line",
        description: "LINE Notify token (43) beside a LINE Notify key name",
        keywords: &["line_notify", "line-notify", "linenotify"],
        pattern: concat!(r"(?-u)(?i:line[_-]?notify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            (r#"{"LINE_NOTIFY_TOKEN":"RjzcXsfWDqcpNziGj1uDJmn8XHQ9Y37IwDT4FJyZIV7"}"#, "RjzcXsfWDqcpNziGj1uDJmn8XHQ9Y37IwDT4FJyZIV7"),
            ("line_notify_token=x49m92NBTFGuceOrKLRrlu7Kg3fcMsc8cnc5FZ0jMH2", "x49m92NBTFGuceOrKLRrlu7Kg3fcMsc8cnc5FZ0jMH2"),
        ],
        counterexamples: &["LINE_NOTIFY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINE_NOTIFY_TOKEN=<your-line-key>", "LINE_NOTIFY_TOKEN=Vwh4OtkvyvNHH6W3DvBEgam28fo4HanwIezqGxMJnd"],
        ..NAMED
    },
    Builtin {
        id: "vonage_api_secret",
        provider: "vonage",
        description: "Vonage / Nexmo API secret (16) beside a Vonage or Nexmo key name",
        keywords: &["vonage", "nexmo"],
        pattern: concat!(r"(?-u)(?i:vonage|nexmo)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            ("VONAGE_API_SECRET = P0n2srsvZGGhWuxZ", "P0n2srsvZGGhWuxZ"),
            (r#"NEXMO_API_SECRET: "vVy1GzXFieeKW19I""#, "vVy1GzXFieeKW19I"),
        ],
        counterexamples: &["VONAGE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VONAGE_API_SECRET=<your-vonage-key>", "VONAGE_API_SECRET=g2KbLWw3QFGLojQ"],
        ..NAMED
    },
    Builtin {
        id: "messagebird_api_key",
        provider: "messagebird",
        description: "MessageBird / Bird access key (25) beside a MessageBird key name",
        keywords: &["messagebird"],
        pattern: concat!(r"(?-u)(?i:messagebird)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            ("  MESSAGEBIRD_API_KEY: 8xWkJlugR75RwbwCEetMWU1Qc", "8xWkJlugR75RwbwCEetMWU1Qc"),
            (r#"export messagebird_access_key="0nghPwDz0FovEtkmfYPEaVGi3""#, "0nghPwDz0FovEtkmfYPEaVGi3"),
        ],
        counterexamples: &["MESSAGEBIRD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MESSAGEBIRD_API_KEY=<your-messagebird-key>", "MESSAGEBIRD_API_KEY=2tklfYnHGuRADpVjkRMI9GlT"],
        ..NAMED
    },
    Builtin {
        id: "plivo_auth_token",
        provider: "plivo",
        description: "Plivo auth token (40) beside a Plivo key name",
        keywords: &["plivo"],
        pattern: concat!(r"(?-u)(?i:plivo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("PLIVO_AUTH_TOKEN=PpChrcwAzpzMye02jpCK0wRYoiDrkElTiktiWDN7", "PpChrcwAzpzMye02jpCK0wRYoiDrkElTiktiWDN7"),
            (r#"{"plivo_token":"40uet7fyZGRwL9qud2MIeOHu68imU5VwJ64ZQbTc"}"#, "40uet7fyZGRwL9qud2MIeOHu68imU5VwJ64ZQbTc"),
        ],
        counterexamples: &["PLIVO_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLIVO_AUTH_TOKEN=<your-plivo-key>", "PLIVO_AUTH_TOKEN=S555A6bIpFoqqEATRdWn98LQ1JXRy7qpGChAZnE"],
        ..NAMED
    },
    Builtin {
        id: "telnyx_api_key",
        provider: "telnyx",
        description: "Telnyx API v2 key (KEY + 32 upper-case hex + _ + 22)",
        keywords: &["KEY0", "KEY1", "KEY2", "KEY3", "KEY4", "KEY5", "KEY6", "KEY7", "KEY8", "KEY9", "KEYA", "KEYB", "KEYC", "KEYD", "KEYE", "KEYF"],
        pattern: prefixed!(r"KEY", r"[A-F0-9]{32}_[A-Za-z0-9_-]{22}"),
        examples: &[
            ("env TELNYX_API_KEY=KEY9654B6709459E75C07922FA6E27CEF60_Ieg-keLPg3CjSc6RaqiO02 ./deploy.sh", "KEY9654B6709459E75C07922FA6E27CEF60_Ieg-keLPg3CjSc6RaqiO02"),
            ("2024-06-11T08:14:52Z DEBUG telnyx client configured token=KEYB3DBC0977DE0897AD55400BDAFAB6406_PlLq8_uJ6-z8zCjtCdJIDC", "KEYB3DBC0977DE0897AD55400BDAFAB6406_PlLq8_uJ6-z8zCjtCdJIDC"),
        ],
        counterexamples: &["KEYxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like KEY1234567890", "KEY5095B7BC00112E56605630AAE4B8CA31_gxN3AOkUaq2WfaRkzoa8G"],
        ..PREFIXED
    },
    Builtin {
        id: "sinch_api_token",
        provider: "sinch",
        description: "Sinch service plan API token (32 hex) beside a Sinch key name",
        keywords: &["sinch"],
        pattern: concat!(r"(?-u)(?i:sinch)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export SINCH_API_TOKEN="bb09180f476edbdecdf8ea54161cdf3b""#, "bb09180f476edbdecdf8ea54161cdf3b"),
            ("  sinch_token: ac3d702fac5045c34b4a6f216fb48b75", "ac3d702fac5045c34b4a6f216fb48b75"),
        ],
        counterexamples: &["SINCH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SINCH_API_TOKEN=<your-sinch-key>", "SINCH_API_TOKEN=c3e1d5da77b3f6dd4022cd69a372977"],
        ..NAMED
    },
    Builtin {
        id: "pusher_secret",
        provider: "pusher",
        description: "Pusher Channels app secret (20 hex) beside a Pusher key name",
        keywords: &["pusher"],
        pattern: concat!(r"(?-u)(?i:pusher)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            (r#"{"PUSHER_APP_SECRET":"415f756d0ebc16930daa"}"#, "415f756d0ebc16930daa"),
            ("pusher_secret=59e8d797b8f63c04bb30", "59e8d797b8f63c04bb30"),
        ],
        counterexamples: &["PUSHER_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHER_APP_SECRET=<your-pusher-key>", "PUSHER_APP_SECRET=64fec076ad8b2f1b975"],
        ..NAMED
    },
    Builtin {
        id: "ably_api_key",
        provider: "ably",
        description: "Ably API key (<app>.<key id>:<secret>) beside an Ably key name",
        keywords: &["ably_", "ably-"],
        pattern: concat!(r"(?-u)(?i:ably)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{6}:[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("ABLY_API_KEY = Ki9qoK.R3RCUD:slgCayBqN8haXUEdc6GCrPuZx4PDzOL01Omr6Xvai_K", "Ki9qoK.R3RCUD:slgCayBqN8haXUEdc6GCrPuZx4PDzOL01Omr6Xvai_K"),
            (r#"ably_key: "f1n7Vt.w1Tt-9:gQ0UyzXf99sOYfRilpjNTCJIu3S0b6UPn7V2mTlFNBr""#, "f1n7Vt.w1Tt-9:gQ0UyzXf99sOYfRilpjNTCJIu3S0b6UPn7V2mTlFNBr"),
        ],
        counterexamples: &["ABLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ABLY_API_KEY=<your-ably-key>", "ABLY_API_KEY=up1igr.NJS7IM:xeL6mObj9dIyeH5o-40m4Whl_jSjMfOGNITbp7XVT9"],
        ..NAMED
    },
    Builtin {
        id: "getstream_secret",
        provider: "getstream",
        description: "Stream (getstream.io) API secret (64 lower-case alphanumerics) beside a Stream secret name",
        keywords: &["getstream", "stream_api", "stream-api", "streamapi"],
        pattern: concat!(r"(?-u)(?i:getstream|stream[_-]?api)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{64})", end_url!()),
        examples: &[
            ("  STREAM_API_SECRET: sd5f89x0bivxfi1khtf58hwkddafjrw59bn1ttotckbj0kxadyuig2wskley7l69", "sd5f89x0bivxfi1khtf58hwkddafjrw59bn1ttotckbj0kxadyuig2wskley7l69"),
            (r#"export getstream_secret="e82f1bhc588o4zrr81d4ztuqwvimie0g5bpimu2fjre1e3r8ifvjqqlk55xpgaeq""#, "e82f1bhc588o4zrr81d4ztuqwvimie0g5bpimu2fjre1e3r8ifvjqqlk55xpgaeq"),
        ],
        counterexamples: &["STREAM_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STREAM_API_SECRET=<your-getstream-key>", "STREAM_API_SECRET=fi8tnqkz77suk4h68qrn9yxhacsdrdv7jpd7a2t5yeqo1gboz3wyjflzzrl5euv"],
        ..NAMED
    },
    Builtin {
        id: "sendbird_api_token",
        provider: "sendbird",
        description: "Sendbird API token (40 hex) beside a Sendbird key name",
        keywords: &["sendbird"],
        pattern: concat!(r"(?-u)(?i:sendbird)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("SENDBIRD_API_TOKEN=0d64db9519f3184588e2f47d66da7e7feee65c86", "0d64db9519f3184588e2f47d66da7e7feee65c86"),
            (r#"{"sendbird_token":"57ac3e2a8975960382a2aa4dbc1ea227911b5b51"}"#, "57ac3e2a8975960382a2aa4dbc1ea227911b5b51"),
        ],
        counterexamples: &["SENDBIRD_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SENDBIRD_API_TOKEN=<your-sendbird-key>", "SENDBIRD_API_TOKEN=73ceebd9690e14cd827173ee9e1f4edd98b7635"],
        ..NAMED
    },
    Builtin {
        id: "intercom_access_token",
        provider: "intercom",
        description: "Intercom access token (dG9rOj = base64 of \"tok:\" + body)",
        keywords: &["dG9rOj"],
        pattern: concat!(r#"(?-u)(?P<token>dG9rOj(?P<secret>[A-Za-z0-9+/]{50,70}=))"#, end_b64!()),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG intercom client configured token=dG9rOjMawilbkjmGdYv6YgIXvOAejIWzHVP0Wan9VOrVtUn1aRphbNjnXXvQg010UJV=", "dG9rOjMawilbkjmGdYv6YgIXvOAejIWzHVP0Wan9VOrVtUn1aRphbNjnXXvQg010UJV="),
            ("Authorization: Bearer dG9rOjO1L/a4u2eKbma7Bc4dDmqx02CPpWalTlswYDy2SXDfgz0IqnA4pYjOP=", "dG9rOjO1L/a4u2eKbma7Bc4dDmqx02CPpWalTlswYDy2SXDfgz0IqnA4pYjOP="),
        ],
        counterexamples: &["dG9rOjxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dG9rOj1234567890", "dG9rOjrztusBqyaTUYn4rcrRRzAtG0gbTqnDfAKc96YakKAaapwGQ0J="],
        ..PREFIXED
    },
    Builtin {
        id: "zoom_client_secret",
        provider: "zoom",
        description: "Zoom OAuth / Server-to-Server client secret (32) beside a Zoom secret name",
        keywords: &["zoom"],
        pattern: concat!(r"(?-u)(?i:zoom)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export ZOOM_CLIENT_SECRET="byBvnbjmeztUvyWLIqWMHjtrzA6c0zfn""#, "byBvnbjmeztUvyWLIqWMHjtrzA6c0zfn"),
            ("  zoom_secret_token: z8HxddZXacSDZnIhxt8Y3BqhOSjetd4e", "z8HxddZXacSDZnIhxt8Y3BqhOSjetd4e"),
        ],
        counterexamples: &["ZOOM_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZOOM_CLIENT_SECRET=<your-zoom-key>", "ZOOM_CLIENT_SECRET=PpZ0qv5dh0GpqwSqT1lTrue1MBBwh7z"],
        ..NAMED
    },
    Builtin {
        id: "webex_token",
        provider: "webex",
        description: "Webex bot / personal access token beside a Webex key name",
        keywords: &["webex"],
        pattern: concat!(r"(?-u)(?i:webex)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64}_[A-Z0-9]{4}_[a-f0-9]{8}-[a-f0-9]{4})", end_url!()),
        examples: &[
            (r#"{"WEBEX_BOT_TOKEN":"3MC7KPamMuAKyHm9eNEVOUFKF0UxGsL147DncC6MLiamPnVNqKCdIFheLCGna8Og_UFF0_f42287ee-1efa"}"#, "3MC7KPamMuAKyHm9eNEVOUFKF0UxGsL147DncC6MLiamPnVNqKCdIFheLCGna8Og_UFF0_f42287ee-1efa"),
            ("webex_access_token=PFPl62LplufSDmABOiuRztupaXLVWyuMDChOikKBfgI399fYkXjsTzIdxtTg73RU_X0D2_fe3c2b25-ff23", "PFPl62LplufSDmABOiuRztupaXLVWyuMDChOikKBfgI399fYkXjsTzIdxtTg73RU_X0D2_fe3c2b25-ff23"),
        ],
        counterexamples: &["WEBEX_BOT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEBEX_BOT_TOKEN=<your-webex-key>", "WEBEX_BOT_TOKEN=B7QJWu6Y3TYpcLQtMKihDBmbocQO13JrOXy3mPRm2IPnr1dqChtHlwpqGBc6UrkZ_GIU9_f078de0d-2ec"],
        ..NAMED
    },
    Builtin {
        id: "pushover_token",
        provider: "pushover",
        description: "Pushover application / user key (30 lower-case alphanumerics) beside a Pushover key name",
        keywords: &["pushover"],
        pattern: concat!(r"(?-u)(?i:pushover)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{30})", end_url!()),
        examples: &[
            ("PUSHOVER_TOKEN = adxxv0mee6zy6w0p57t74we09m8070", "adxxv0mee6zy6w0p57t74we09m8070"),
            (r#"pushover_user_key: "7p0hcx6n5ed0pg2jj3aesa1tzu3vt0""#, "7p0hcx6n5ed0pg2jj3aesa1tzu3vt0"),
        ],
        counterexamples: &["PUSHOVER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHOVER_TOKEN=<your-pushover-key>", "PUSHOVER_TOKEN=n2ueotgsghfpu4ouudtrqy92gfzv6"],
        ..NAMED
    },
    Builtin {
        id: "pushbullet_token",
        provider: "pushbullet",
        description: "Pushbullet access token (o. + 32) beside a Pushbullet key name",
        keywords: &["pushbullet"],
        pattern: concat!(r"(?-u)(?i:pushbullet)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>o\.[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  PUSHBULLET_TOKEN: o.eNddCX7GSxhYdanqoD2VAXiKRjrsS6wR", "o.eNddCX7GSxhYdanqoD2VAXiKRjrsS6wR"),
            (r#"export pushbullet_api_key="o.KMTAZYaoG7laL9PcPICoP2plJH5YwHck""#, "o.KMTAZYaoG7laL9PcPICoP2plJH5YwHck"),
        ],
        counterexamples: &["PUSHBULLET_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PUSHBULLET_TOKEN=<your-pushbullet-key>", "PUSHBULLET_TOKEN=o.T9Lw63EokVtZuV0GaQKoq7DRJSv4dDS"],
        ..NAMED
    },
    Builtin {
        id: "ntfy_access_token",
        provider: "ntfy",
        description: "ntfy access token (tk_ + 29 lower-case alphanumerics)",
        keywords: &["tk_"],
        pattern: prefixed!(r"tk_", r"[a-z0-9]{29}"),
        examples: &[
            (r#"NTFY_ACCESS_TOKEN="tk_pt2xwmgzqy2mveoypo19bv5ibkix1""#, "tk_pt2xwmgzqy2mveoypo19bv5ibkix1"),
            ("docker run -e NTFY_ACCESS_TOKEN=tk_cx8iep7ugg4txbolvcpv8khhvhv2c app:latest", "tk_cx8iep7ugg4txbolvcpv8khhvhv2c"),
        ],
        counterexamples: &["tk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tk_1234567890", "tk_wka0rrdsbb225se7trqxgnlphk1e"],
        ..PREFIXED
    },
    Builtin {
        id: "gotify_token",
        provider: "gotify",
        description: "Gotify application / client token (15) beside a Gotify key name",
        keywords: &["gotify"],
        pattern: concat!(r"(?-u)(?i:gotify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{15})", end_url!()),
        examples: &[
            (r#"GOTIFY_TOKEN: "u7AW6_n0hRe05lw""#, "u7AW6_n0hRe05lw"),
            ("gotify_app_token = FgYmKQI6YEhuYog", "FgYmKQI6YEhuYog"),
        ],
        counterexamples: &["GOTIFY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GOTIFY_TOKEN=<your-gotify-key>", "GOTIFY_TOKEN=rYXy--AMb8Xnsn"],
        ..NAMED
    },
    Builtin {
        id: "onesignal_legacy_key",
        provider: "onesignal",
        description: "OneSignal REST API key (48) beside a OneSignal key name",
        keywords: &["onesignal"],
        pattern: concat!(r"(?-u)(?i:onesignal)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{48})", end_url!()),
        examples: &[
            (r#"export ONESIGNAL_REST_API_KEY="7h3Hjdq5Gee6bAoWPHMRgkjxmANlfbht2Q2riAukVFEzpHIf""#, "7h3Hjdq5Gee6bAoWPHMRgkjxmANlfbht2Q2riAukVFEzpHIf"),
            ("  onesignal_api_key: hAtOwbtAmGQn6NX5KB3fsu0FlXbBVesUSSjr97HxJM8o6brx", "hAtOwbtAmGQn6NX5KB3fsu0FlXbBVesUSSjr97HxJM8o6brx"),
        ],
        counterexamples: &["ONESIGNAL_REST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ONESIGNAL_REST_API_KEY=<your-onesignal-key>", "ONESIGNAL_REST_API_KEY=vRxTEx3b0d3fS0Sa65GOVGJwyvLwDtjypa5YU4OYGTHieNE"],
        ..NAMED
    },
    Builtin {
        id: "onesignal_api_key",
        provider: "onesignal",
        description: "OneSignal app / organisation REST API key (os_v2_app_ / os_v2_org_ + 100 or more lower-case alphanumerics)",
        keywords: &["os_v2_app_", "os_v2_org_"],
        pattern: prefixed!(r"(?:os_v2_app_|os_v2_org_)", r"[a-z0-9]{100,120}"),
        examples: &[
            ("env ONESIGNAL_API_KEY=os_v2_app_vrro6oztk5tqfirbzqp911mkcg8g4y1vop29fmqqooc0aup2zegrtcanu0w9ixu9or4h87b0raffa8nn7b8wbds9naspdw84usa078c1j5a90r ./deploy.sh", "os_v2_app_vrro6oztk5tqfirbzqp911mkcg8g4y1vop29fmqqooc0aup2zegrtcanu0w9ixu9or4h87b0raffa8nn7b8wbds9naspdw84usa078c1j5a90r"),
            ("curl -s -H 'Authorization: Bearer os_v2_org_kbbl8nkgvs6kx9pf8kg153lrfpnj25k2gah4bwxdnmjz9uwmem9m5gk03fs97p0qbih4xcb0igvhsr07170pw5wul2h0tuwu6q4chg1' https://api.example.net/v1/me", "os_v2_org_kbbl8nkgvs6kx9pf8kg153lrfpnj25k2gah4bwxdnmjz9uwmem9m5gk03fs97p0qbih4xcb0igvhsr07170pw5wul2h0tuwu6q4chg1"),
        ],
        counterexamples: &["os_v2_app_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like os_v2_app_1234567890", "os_v2_app_pbgml0kcp1elf5q8d14wx4q5qs2agbs46pl28sr8aey317zr4kxcnsfft4uqhlne4arll3zbylto3ek34lvkpmuq3a0i5y79mxy"],
        ..PREFIXED
    },
    Builtin {
        id: "discord_client_secret",
        provider: "discord",
        description: "Discord OAuth client secret (32) beside a Discord secret name",
        keywords: &["discord"],
        pattern: concat!(r"(?-u)(?i:discord)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            ("DISCORD_CLIENT_SECRET = wpqifoa41O1PuU_yl2kFuzPglZm0iHrX", "wpqifoa41O1PuU_yl2kFuzPglZm0iHrX"),
            (r#"discord_secret: "ch4JeJPaEUWbZma5pD6w9gsiiysZH8VN""#, "ch4JeJPaEUWbZma5pD6w9gsiiysZH8VN"),
        ],
        counterexamples: &["DISCORD_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DISCORD_CLIENT_SECRET=<your-discord-key>", "DISCORD_CLIENT_SECRET=8ttNFW68pJVCJqcPCd3lIj7CcKvVBle"],
        ..NAMED
    },
    Builtin {
        id: "telegram_api_hash",
        provider: "telegram",
        description: "Telegram API hash (32 hex) beside a Telegram api_hash name",
        keywords: &["telegram", "tg_api", "tg-api"],
        pattern: concat!(r"(?-u)(?i:telegram|tg)[A-Za-z0-9_.-]{0,24}?(?i:hash)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TELEGRAM_API_HASH: 57718a6d58cd15bb60e48019ed96e754", "57718a6d58cd15bb60e48019ed96e754"),
            (r#"export tg_api_hash="42118ae33a595ae33ac85adc6e1a4dff""#, "42118ae33a595ae33ac85adc6e1a4dff"),
        ],
        counterexamples: &["TELEGRAM_API_HASH=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TELEGRAM_API_HASH=<your-telegram-key>", "TELEGRAM_API_HASH=bfced726033c09fa4f56d6999aa7475"],
        ..NAMED
    },
    Builtin {
        id: "slack_signing_secret",
        provider: "slack",
        description: "Slack signing / client secret (32 hex) beside a Slack secret name",
        keywords: &["slack"],
        pattern: concat!(r"(?-u)(?i:slack)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SLACK_SIGNING_SECRET=84ad0839e5c053c4cece4fda7bde9d6c", "84ad0839e5c053c4cece4fda7bde9d6c"),
            (r#"{"slack_client_secret":"8393ce8af2d67e93e628ce0803c9b7a3"}"#, "8393ce8af2d67e93e628ce0803c9b7a3"),
        ],
        counterexamples: &["SLACK_SIGNING_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SLACK_SIGNING_SECRET=<your-slack-key>", "SLACK_SIGNING_SECRET=b5bb591fe5a262cbcb9916db64d7879"],
        ..NAMED
    },
];
