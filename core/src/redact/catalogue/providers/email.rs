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
    Builtin {
        id: "postmark_server_token",
        provider: "postmark",
        description: "Postmark server / account token (UUID) beside a Postmark key name",
        keywords: &["postmark"],
        pattern: concat!(r"(?-u)(?i:postmark)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"POSTMARK_SERVER_TOKEN: "0c518869-844a-974c-dac3-1a94eecd528d""#, "0c518869-844a-974c-dac3-1a94eecd528d"),
            ("postmark_api_token = 0040a639-a8df-a7f3-865d-62b31a7e46a8", "0040a639-a8df-a7f3-865d-62b31a7e46a8"),
        ],
        counterexamples: &["POSTMARK_SERVER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "POSTMARK_SERVER_TOKEN=<your-postmark-key>", "POSTMARK_SERVER_TOKEN=8d448c70-2a61-8817-a075-44c4490f09c"],
        ..NAMED
    },
    Builtin {
        id: "sparkpost_api_key",
        provider: "sparkpost",
        description: "SparkPost API key (40 hex) beside a SparkPost key name",
        keywords: &["sparkpost"],
        pattern: concat!(r"(?-u)(?i:sparkpost)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export SPARKPOST_API_KEY="bfafdc7fd01de3ff40ca11067a4e613c1d86b3bf""#, "bfafdc7fd01de3ff40ca11067a4e613c1d86b3bf"),
            ("  sparkpost_key: fe4afe18ab7bcb2ff21893ee9a6642e2e6989f3d", "fe4afe18ab7bcb2ff21893ee9a6642e2e6989f3d"),
        ],
        counterexamples: &["SPARKPOST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPARKPOST_API_KEY=<your-sparkpost-key>", "SPARKPOST_API_KEY=bade272237e59936e39686ba372f35f7b5605c5"],
        ..NAMED
    },
    Builtin {
        id: "mailjet_api_secret",
        provider: "mailjet",
        description: "Mailjet API key / secret (32 hex) beside a Mailjet key name",
        keywords: &["mailjet", "mj_api"],
        pattern: concat!(r"(?-u)(?i:mailjet|mj_api)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"MAILJET_API_SECRET":"36db408205625de8b50fba86c4f58b16"}"#, "36db408205625de8b50fba86c4f58b16"),
            ("MJ_APIKEY_PRIVATE=0bc749f111ebd291508e11805313057d", "0bc749f111ebd291508e11805313057d"),
        ],
        counterexamples: &["MAILJET_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILJET_API_SECRET=<your-mailjet-key>", "MAILJET_API_SECRET=bd93dd174e33b25253d5a7d6630abba"],
        ..NAMED
    },
    Builtin {
        id: "mandrill_api_key",
        provider: "mandrill",
        description: "Mandrill (Mailchimp Transactional) API key (22) beside a Mandrill key name",
        keywords: &["mandrill"],
        pattern: concat!(r"(?-u)(?i:mandrill)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            ("MANDRILL_API_KEY = rGeYmHaw43I-yD3JDOIbKB", "rGeYmHaw43I-yD3JDOIbKB"),
            (r#"mandrill_key: "OUuxwQGzERsHxXVNS7phhC""#, "OUuxwQGzERsHxXVNS7phhC"),
        ],
        counterexamples: &["MANDRILL_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MANDRILL_API_KEY=<your-mandrill-key>", "MANDRILL_API_KEY=70CNTGAWAl8Vn4xyZt5yb"],
        ..NAMED
    },
    Builtin {
        id: "resend_api_key",
        provider: "resend",
        description: "Resend API key (re_ + 8 + _ + 24)",
        keywords: &["re_"],
        pattern: prefixed!(r"re_", r"[A-Za-z0-9]{8}_[A-Za-z0-9]{24}"),
        examples: &[
            ("Authorization: Bearer re_okZyxZ6Q_3wLnbuNiWPjSHJGLzTcFj7Xy", "re_okZyxZ6Q_3wLnbuNiWPjSHJGLzTcFj7Xy"),
            ("docker run -e RESEND_API_KEY=re_0mxyaXOC_veqdZikYfhvWNuoQDq9ed8Ju app:latest", "re_0mxyaXOC_veqdZikYfhvWNuoQDq9ed8Ju"),
        ],
        counterexamples: &["re_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like re_1234567890", "re_6PKNBaoS_HseIf8ab4jAKfKipu12SxoP"],
        ..PREFIXED
    },
    Builtin {
        id: "loops_api_key",
        provider: "loops",
        description: "Loops API key (32 hex) beside a Loops key name",
        keywords: &["loops"],
        pattern: concat!(r"(?-u)(?i:loops)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("LOOPS_API_KEY=dfa811b0898f02d249ee523bf6ce1e49", "dfa811b0898f02d249ee523bf6ce1e49"),
            (r#"{"loops_key":"549821cb2e95e00fc3b044b25d6d5c26"}"#, "549821cb2e95e00fc3b044b25d6d5c26"),
        ],
        counterexamples: &["LOOPS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOOPS_API_KEY=<your-loops-key>", "LOOPS_API_KEY=0625c989911fa921e017c9321433b75"],
        ..NAMED
    },
    Builtin {
        id: "mailersend_api_token",
        provider: "mailersend",
        description: "MailerSend API token (mlsn. + 64 hex)",
        keywords: &["mlsn."],
        pattern: prefixed!(r"mlsn\.", r"[a-f0-9]{64}"),
        examples: &[
            ("docker run -e MAILERSEND_API_TOKEN=mlsn.83e2c2a531101276d2b0149c9c4c6f2e05765b16e68c7bfc37cc0ebfdc4b889d app:latest", "mlsn.83e2c2a531101276d2b0149c9c4c6f2e05765b16e68c7bfc37cc0ebfdc4b889d"),
            ("curl -s -H 'Authorization: Bearer mlsn.1b8806be01ac3624ca7781666f28b88f8a9f79aff776777291116f4627c4b74a' https://api.example.net/v1/me", "mlsn.1b8806be01ac3624ca7781666f28b88f8a9f79aff776777291116f4627c4b74a"),
        ],
        counterexamples: &["mlsn.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mlsn.1234567890", "mlsn.86a998586e0fba3fc54a379e790dc567ca675f362311700134fcd9d29743024"],
        ..PREFIXED
    },
    Builtin {
        id: "mailtrap_api_token",
        provider: "mailtrap",
        description: "Mailtrap API token (32 hex) beside a Mailtrap key name",
        keywords: &["mailtrap"],
        pattern: concat!(r"(?-u)(?i:mailtrap)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export MAILTRAP_API_TOKEN="9ed2b32787a6ff694f465b1f7b24aeab""#, "9ed2b32787a6ff694f465b1f7b24aeab"),
            ("  mailtrap_token: f2dfcbabbdcd9943986b3d430fe6cc89", "f2dfcbabbdcd9943986b3d430fe6cc89"),
        ],
        counterexamples: &["MAILTRAP_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILTRAP_API_TOKEN=<your-mailtrap-key>", "MAILTRAP_API_TOKEN=87c7cec8448a9bb9af0718db4bf2ae3"],
        ..NAMED
    },
    Builtin {
        id: "convertkit_api_secret",
        provider: "convertkit",
        description: "ConvertKit / Kit API secret (43) beside a ConvertKit key name",
        keywords: &["convertkit"],
        pattern: concat!(r"(?-u)(?i:convertkit)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"{"CONVERTKIT_API_SECRET":"u5WbylRj1Gn3t3AKPduG1wSeBQ7KBvjxqpngQt950XW"}"#, "u5WbylRj1Gn3t3AKPduG1wSeBQ7KBvjxqpngQt950XW"),
            ("convertkit_key=ARmj_JprY-JWEuR2zHo0rOWD1MuS0rPiC3trScXRn26", "ARmj_JprY-JWEuR2zHo0rOWD1MuS0rPiC3trScXRn26"),
        ],
        counterexamples: &["CONVERTKIT_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONVERTKIT_API_SECRET=<your-convertkit-key>", "CONVERTKIT_API_SECRET=HuvzLSCIzjfmDRsxr6ShAoMltcDCw4dCrW2eDzoeBg"],
        ..NAMED
    },
    Builtin {
        id: "klaviyo_private_key",
        provider: "klaviyo",
        description: "Klaviyo private API key (pk_ + 34 hex)",
        keywords: &["pk_"],
        pattern: prefixed!(r"pk_", r"[a-f0-9]{34}"),
        examples: &[
            (r#"{"klaviyo_private_key": "pk_a6856de79021f9fa6e7f1f1d3793cb0dfc", "region": "eu-west-1"}"#, "pk_a6856de79021f9fa6e7f1f1d3793cb0dfc"),
            ("env KLAVIYO_PRIVATE_KEY=pk_330fb4605428a24ae450150122adcb39eb ./deploy.sh", "pk_330fb4605428a24ae450150122adcb39eb"),
        ],
        counterexamples: &["pk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pk_1234567890", "pk_7159cf73bd89c6608e981497f2a3efebf"],
        ..PREFIXED
    },
    Builtin {
        id: "customerio_api_key",
        provider: "customerio",
        description: "Customer.io API / app key (20 or 32 hex) beside a Customer.io key name",
        keywords: &["customerio", "customer_io", "customer.io", "customer-io"],
        pattern: concat!(r"(?-u)(?i:customer[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  CUSTOMERIO_APP_API_KEY: a3f0c038ed51dd0d90074564e08f59fc", "a3f0c038ed51dd0d90074564e08f59fc"),
            (r#"export customerio_api_key="9439f92bc7d9cdd42f9adb2a50cfb673""#, "9439f92bc7d9cdd42f9adb2a50cfb673"),
        ],
        counterexamples: &["CUSTOMERIO_APP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CUSTOMERIO_APP_API_KEY=<your-customerio-key>", "CUSTOMERIO_APP_API_KEY=a71c62486c01f4f2b5d991142455b7c"],
        ..NAMED
    },
    Builtin {
        id: "campaign_monitor_api_key",
        provider: "campaignmonitor",
        description: "Campaign Monitor API key beside a Campaign Monitor key name",
        keywords: &["campaignmonitor", "campaign_monitor", "campaign-monitor"],
        pattern: concat!(r"(?-u)(?i:campaign[_-]?monitor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{86}==)", end_b64!()),
        examples: &[
            ("CAMPAIGN_MONITOR_API_KEY=BmHJKfrXd0Vw+gBy7ffpRCRbBcSTW5/J4Wn9O/n5NjoNFIWzQX9UXFKPCclUOqWWgRKT2UAhQiiaD9zGJE8gQI==", "BmHJKfrXd0Vw+gBy7ffpRCRbBcSTW5/J4Wn9O/n5NjoNFIWzQX9UXFKPCclUOqWWgRKT2UAhQiiaD9zGJE8gQI=="),
            (r#"{"campaignmonitor_key":"RfsdFwaLoZ1mpduyDV5Mq02zE52Jyz8oEt+kV1QutKdSCtX3i5djgEYsWk4V7cxxTImi/WBzVvhByr4qBWnGYj=="}"#, "RfsdFwaLoZ1mpduyDV5Mq02zE52Jyz8oEt+kV1QutKdSCtX3i5djgEYsWk4V7cxxTImi/WBzVvhByr4qBWnGYj=="),
        ],
        counterexamples: &["CAMPAIGN_MONITOR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CAMPAIGN_MONITOR_API_KEY=<your-campaignmonitor-key>", "CAMPAIGN_MONITOR_API_KEY=FbjiTR8ZgwUbvlDWaX1Hl2VQniyyrAaIfU0+xbJk836KWqShtbq/EL8vPEIdP1IJxuNJG7HvIKmgha7O5VbX6=="],
        ..NAMED
    },
    Builtin {
        id: "elastic_email_api_key",
        provider: "elasticemail",
        description: "Elastic Email API key (96 hex) beside an Elastic Email key name",
        keywords: &["elasticemail", "elastic_email", "elastic-email"],
        pattern: concat!(r"(?-u)(?i:elastic[_-]?email)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{96})", end_url!()),
        examples: &[
            (r#"ELASTICEMAIL_API_KEY: "C48ED77EDE9D7194AD89641055F1538876FD95EA42F4DB07BCB809BBCB76FF0E57E522BCD086AD8528D2B57BE54B66D5""#, "C48ED77EDE9D7194AD89641055F1538876FD95EA42F4DB07BCB809BBCB76FF0E57E522BCD086AD8528D2B57BE54B66D5"),
            ("elastic_email_key = 5747672FBA9B1AF8A181EC16945F093ADE0C0538B36245E78321BC16523931F7E2EC7782F3CA8FABCBA0840770FEC866", "5747672FBA9B1AF8A181EC16945F093ADE0C0538B36245E78321BC16523931F7E2EC7782F3CA8FABCBA0840770FEC866"),
        ],
        counterexamples: &["ELASTICEMAIL_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELASTICEMAIL_API_KEY=<your-elasticemail-key>", "ELASTICEMAIL_API_KEY=51AD2EF81C119096130F879BBA36855DD4E7B9A5940C1D0E1B52D69B9820B37E06A0A90154D829BBB78EBBDE7FE2368"],
        ..NAMED
    },
    Builtin {
        id: "smtp2go_api_key",
        provider: "smtp2go",
        description: "SMTP2GO API key (api- + 32 upper-case hex) beside an SMTP2GO key name",
        keywords: &["smtp2go"],
        pattern: concat!(r"(?-u)(?i:smtp2go)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>api-[A-F0-9]{32})", end_url!()),
        examples: &[
            (r#"export SMTP2GO_API_KEY="api-BAD2ACEDFED3F01B9F7368A83C938C43""#, "api-BAD2ACEDFED3F01B9F7368A83C938C43"),
            ("  smtp2go_key: api-3453A76DB2A14775F9C3C485200D4FDE", "api-3453A76DB2A14775F9C3C485200D4FDE"),
        ],
        counterexamples: &["SMTP2GO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SMTP2GO_API_KEY=<your-smtp2go-key>", "SMTP2GO_API_KEY=api-0F37D194D525E987A4F64C292ED89EB"],
        ..NAMED
    },
    Builtin {
        id: "mailerlite_api_key",
        provider: "mailerlite",
        description: "MailerLite API token beside a MailerLite key name",
        keywords: &["mailerlite"],
        pattern: concat!(r"(?-u)(?i:mailerlite)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"MAILERLITE_API_KEY":"464d3ba491ef9a409c5f3b0981ef8563"}"#, "464d3ba491ef9a409c5f3b0981ef8563"),
            ("mailerlite_token=1a18ec363888afe44852b69df5c08834", "1a18ec363888afe44852b69df5c08834"),
        ],
        counterexamples: &["MAILERLITE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILERLITE_API_KEY=<your-mailerlite-key>", "MAILERLITE_API_KEY=acc013fb165f6b52576836fdb45c540"],
        ..NAMED
    },
    Builtin {
        id: "sendinblue_smtp_key",
        provider: "brevo",
        description: "Brevo (Sendinblue) SMTP key (xsmtpsib- + 64 hex + - + 16) beside a Brevo or Sendinblue key name",
        keywords: &["brevo", "sendinblue"],
        pattern: concat!(r"(?-u)(?i:brevo|sendinblue)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>xsmtpsib-[a-f0-9]{64}-[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            ("BREVO_SMTP_KEY = xsmtpsib-4abc01838d62286b8e64e4ead5672152409dd69e2442a1f37cb9eceb9d1b4197-dUMWQn7SLGiMOZPB", "xsmtpsib-4abc01838d62286b8e64e4ead5672152409dd69e2442a1f37cb9eceb9d1b4197-dUMWQn7SLGiMOZPB"),
            (r#"SENDINBLUE_SMTP_KEY: "xsmtpsib-832546517202f4a8c3731a276a8a720d376c11cbddd8c179a533d82b74378bcc-9Tealm6nAPQez9Mg""#, "xsmtpsib-832546517202f4a8c3731a276a8a720d376c11cbddd8c179a533d82b74378bcc-9Tealm6nAPQez9Mg"),
        ],
        counterexamples: &["BREVO_SMTP_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BREVO_SMTP_KEY=<your-brevo-key>", "BREVO_SMTP_KEY=xsmtpsib-b45e5e8c6bb85fe95009e91b45a327bb0dfa0b1f7c91c862617807de4bc5fcac-UXHYRAmi57huKvo"],
        ..NAMED
    },
    Builtin {
        id: "brevo_smtp_key",
        provider: "brevo",
        description: "Brevo (Sendinblue) SMTP key (xsmtpsib- + 64 hex + - + 16)",
        keywords: &["xsmtpsib-"],
        pattern: prefixed!(r"xsmtpsib-", r"[a-f0-9]{64}-[A-Za-z0-9]{16}"),
        examples: &[
            ("export BREVO_SMTP_KEY=xsmtpsib-1c15ff32925000aef3bbae10c2b654ca87982743f91200d0c7f723b5a538242d-GQgFnZuyt5oNcPXH", "xsmtpsib-1c15ff32925000aef3bbae10c2b654ca87982743f91200d0c7f723b5a538242d-GQgFnZuyt5oNcPXH"),
            ("env BREVO_SMTP_KEY=xsmtpsib-0cc10dceeae18c9da8534967a762a44d2d38119e73f37e3a6c6fd56a2e02918b-cEjX2oR6aVEdgJO9 ./deploy.sh", "xsmtpsib-0cc10dceeae18c9da8534967a762a44d2d38119e73f37e3a6c6fd56a2e02918b-cEjX2oR6aVEdgJO9"),
        ],
        counterexamples: &["xsmtpsib-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like xsmtpsib-1234567890", "xsmtpsib-d3c19734a03779448a4bcf70d297f874bba43e2bcf906e1bc326cce4b8ee5385-PjFy1rtOuD3JCRi"],
        ..PREFIXED
    },
    Builtin {
        id: "mailgun_signing_key",
        provider: "mailgun",
        description: "Mailgun webhook signing key (32 hex + - + 8 hex + - + 8 hex) beside a Mailgun key name",
        keywords: &["mailgun"],
        pattern: concat!(r"(?-u)(?i:mailgun)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})", end_url!()),
        examples: &[
            ("MAILGUN_WEBHOOK_SIGNING_KEY=aa8b008d3ce67dfbed2276f0dda55177-d2a21513-0084fc0b", "aa8b008d3ce67dfbed2276f0dda55177-d2a21513-0084fc0b"),
            (r#"{"mailgun_signing_key":"533659374b82edcb1caff02050c8666b-f2ec9c5c-010ad8ba"}"#, "533659374b82edcb1caff02050c8666b-f2ec9c5c-010ad8ba"),
        ],
        counterexamples: &["MAILGUN_WEBHOOK_SIGNING_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILGUN_WEBHOOK_SIGNING_KEY=<your-mailgun-key>", "MAILGUN_WEBHOOK_SIGNING_KEY=5e1332030356850ecc1f4808cbebcdfb-5a37d759-0df47d3"],
        ..NAMED
    },
    Builtin {
        id: "amazon_ses_smtp_password",
        provider: "aws",
        description: "Amazon SES SMTP password (44 base64 starting B) beside an SES key name",
        keywords: &["ses_smtp", "ses-smtp", "ses_password"],
        pattern: concat!(r"(?-u)(?i:ses)[A-Za-z0-9_.-]{0,24}?(?i:password|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>B[A-Za-z0-9+/]{43})", end_b64!()),
        examples: &[
            (r#"SES_SMTP_PASSWORD: "Bkv6o2K3ewhYa26MfOT18hcaxXbGgdxUHcdM5T7hCoXN""#, "Bkv6o2K3ewhYa26MfOT18hcaxXbGgdxUHcdM5T7hCoXN"),
            ("ses_smtp_password = B7cBTevqXHGtoXq4izjroMybkslDQY/Dllxm4qeUaYIC", "B7cBTevqXHGtoXq4izjroMybkslDQY/Dllxm4qeUaYIC"),
        ],
        counterexamples: &["SES_SMTP_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SES_SMTP_PASSWORD=<your-aws-key>", "SES_SMTP_PASSWORD=B9O6scuJkRqzx+/VxlDzlWgHj6LRr+M0LAQbcpbhcSd"],
        ..NAMED
    },
];
