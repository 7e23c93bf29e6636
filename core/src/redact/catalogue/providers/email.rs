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
            (r#"POSTMARK_SERVER_TOKEN: "e27cef60-811f-19a1-72b0-a042add7b3db""#, "e27cef60-811f-19a1-72b0-a042add7b3db"),
            ("postmark_api_token = 0977de08-7ad5-400b-afab-406da294ff58", "0977de08-7ad5-400b-afab-406da294ff58"),
        ],
        counterexamples: &["POSTMARK_SERVER_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "POSTMARK_SERVER_TOKEN=<your-postmark-key>", "POSTMARK_SERVER_TOKEN=f6f67247-8877-5095-7bc0-112e5660563"],
        ..NAMED
    },
    Builtin {
        id: "sparkpost_api_key",
        provider: "sparkpost",
        description: "SparkPost API key (40 hex) beside a SparkPost key name",
        keywords: &["sparkpost"],
        pattern: concat!(r"(?-u)(?i:sparkpost)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export SPARKPOST_API_KEY="aae4b8ca315159d6a2b04dc10a2630f87bb09180""#, "aae4b8ca315159d6a2b04dc10a2630f87bb09180"),
            ("  sparkpost_key: 476edbdecdf8ea54161cdf3bbac3d702fac5045c", "476edbdecdf8ea54161cdf3bbac3d702fac5045c"),
        ],
        counterexamples: &["SPARKPOST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPARKPOST_API_KEY=<your-sparkpost-key>", "SPARKPOST_API_KEY=4b4a6f216fb48b75dc3e1d5da77b3f6dd4022cd"],
        ..NAMED
    },
    Builtin {
        id: "mailjet_api_secret",
        provider: "mailjet",
        description: "Mailjet API key / secret (32 hex) beside a Mailjet key name",
        keywords: &["mailjet", "mj_api"],
        pattern: concat!(r"(?-u)(?i:mailjet|mj_api)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"MAILJET_API_SECRET":"9a37297759a66a4b5795a50527f2a415"}"#, "9a37297759a66a4b5795a50527f2a415"),
            ("MJ_APIKEY_PRIVATE=756d0ebc16930daac59e8d797b8f63c0", "756d0ebc16930daac59e8d797b8f63c0"),
        ],
        counterexamples: &["MAILJET_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILJET_API_SECRET=<your-mailjet-key>", "MAILJET_API_SECRET=bb30864fec076ad8b2f1b975e9958aa"],
        ..NAMED
    },
    Builtin {
        id: "mandrill_api_key",
        provider: "mandrill",
        description: "Mandrill (Mailchimp Transactional) API key (22) beside a Mandrill key name",
        keywords: &["mandrill"],
        pattern: concat!(r"(?-u)(?i:mandrill)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            ("MANDRILL_API_KEY = i9qoK8R3RCUDWslgCayBqN", "i9qoK8R3RCUDWslgCayBqN"),
            (r#"mandrill_key: "haXUEdc6GCrPuZx4PDzOL0""#, "haXUEdc6GCrPuZx4PDzOL0"),
        ],
        counterexamples: &["MANDRILL_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MANDRILL_API_KEY=<your-mandrill-key>", "MANDRILL_API_KEY=Omr6Xvai_KLEJX_Bwf1n7"],
        ..NAMED
    },
    Builtin {
        id: "resend_api_key",
        provider: "resend",
        description: "Resend API key (re_ + 8 + _ + 24)",
        keywords: &["re_"],
        pattern: prefixed!(r"re_", r"[A-Za-z0-9]{8}_[A-Za-z0-9]{24}"),
        examples: &[
            ("  resend_api_key: re_4GlA9wY7_HFEaH26d5vZ5NAHx5388mO8J", "re_4GlA9wY7_HFEaH26d5vZ5NAHx5388mO8J"),
            (r#"{"resend_api_key": "re_yc7TEVJ1_A0Z8aKD0Xx3uW6gDx63VIZB3", "region": "eu-west-1"}"#, "re_yc7TEVJ1_A0Z8aKD0Xx3uW6gDx63VIZB3"),
        ],
        counterexamples: &["re_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like re_1234567890", "re_edWLih7g_jdmRhuZ8gUzfK2yQzNf6Wmq"],
        ..PREFIXED
    },
    Builtin {
        id: "loops_api_key",
        provider: "loops",
        description: "Loops API key (32 hex) beside a Loops key name",
        keywords: &["loops"],
        pattern: concat!(r"(?-u)(?i:loops)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("LOOPS_API_KEY=5498be89b519e3a02f08618e3fed3ec1", "5498be89b519e3a02f08618e3fed3ec1"),
            (r#"{"loops_key":"f2b291a898b03ecbbf791f2bd04ab24d"}"#, "f2b291a898b03ecbbf791f2bd04ab24d"),
        ],
        counterexamples: &["LOOPS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOOPS_API_KEY=<your-loops-key>", "LOOPS_API_KEY=392f3b5110248bf06d99791504d5b01"],
        ..NAMED
    },
    Builtin {
        id: "mailersend_api_token",
        provider: "mailersend",
        description: "MailerSend API token (mlsn. + 64 hex)",
        keywords: &["mlsn."],
        pattern: prefixed!(r"mlsn\.", r"[a-f0-9]{64}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer mlsn.3eb9552c5e2e2d031f7fc88d1fc9a8ba4642d3f0746ae2482d2e842a48855ffb' https://api.example.net/v1/me", "mlsn.3eb9552c5e2e2d031f7fc88d1fc9a8ba4642d3f0746ae2482d2e842a48855ffb"),
            ("  mailersend_api_token: mlsn.3028d249685c9a5f3886cb3019181a4710e9fc287d307cebc425cc85f2aa40d6", "mlsn.3028d249685c9a5f3886cb3019181a4710e9fc287d307cebc425cc85f2aa40d6"),
        ],
        counterexamples: &["mlsn.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mlsn.1234567890", "mlsn.db9519f3184588e2f47d66da7e7feee65c86557ac3e2a8975960382a2aa4dbc"],
        ..PREFIXED
    },
    Builtin {
        id: "mailtrap_api_token",
        provider: "mailtrap",
        description: "Mailtrap API token (32 hex) beside a Mailtrap key name",
        keywords: &["mailtrap"],
        pattern: concat!(r"(?-u)(?i:mailtrap)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export MAILTRAP_API_TOKEN="ea227911b5b51c73ceebd9690e14cd82""#, "ea227911b5b51c73ceebd9690e14cd82"),
            ("  mailtrap_token: 173ee9e1f4edd98b7635869052202238", "173ee9e1f4edd98b7635869052202238"),
        ],
        counterexamples: &["MAILTRAP_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILTRAP_API_TOKEN=<your-mailtrap-key>", "MAILTRAP_API_TOKEN=c5ec18c5a6128c68badc03fba4b4b3d"],
        ..NAMED
    },
    Builtin {
        id: "convertkit_api_secret",
        provider: "convertkit",
        description: "ConvertKit / Kit API secret (43) beside a ConvertKit key name",
        keywords: &["convertkit"],
        pattern: concat!(r"(?-u)(?i:convertkit)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"{"CONVERTKIT_API_SECRET":"RphbNjnXXvQg010UJVRO1L-a4u2eKbma7Bc4dDmqx02"}"#, "RphbNjnXXvQg010UJVRO1L-a4u2eKbma7Bc4dDmqx02"),
            ("convertkit_key=PpWalTlswYDy2SXDfgz0IqnA4pYjOPNrztusBqyaTUY", "PpWalTlswYDy2SXDfgz0IqnA4pYjOPNrztusBqyaTUY"),
        ],
        counterexamples: &["CONVERTKIT_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONVERTKIT_API_SECRET=<your-convertkit-key>", "CONVERTKIT_API_SECRET=4rcrRRzAtG0gbTqnDfAKc96YakKAaapwGQ0JxdX2QB"],
        ..NAMED
    },
    Builtin {
        id: "klaviyo_private_key",
        provider: "klaviyo",
        description: "Klaviyo private API key (pk_ + 34 hex)",
        keywords: &["pk_"],
        pattern: prefixed!(r"pk_", r"[a-f0-9]{34}"),
        examples: &[
            ("export KLAVIYO_PRIVATE_KEY=pk_2c9ac8498cd1c269cb1101e63b9d834291", "pk_2c9ac8498cd1c269cb1101e63b9d834291"),
            (r#"{"klaviyo_private_key": "pk_178a1378b858a2ddb3cee06adc62fffb9e", "region": "eu-west-1"}"#, "pk_178a1378b858a2ddb3cee06adc62fffb9e"),
        ],
        counterexamples: &["pk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pk_1234567890", "pk_1e40668e1f32e6039a22daf42287ee11e"],
        ..PREFIXED
    },
    Builtin {
        id: "customerio_api_key",
        provider: "customerio",
        description: "Customer.io API / app key (20 or 32 hex) beside a Customer.io key name",
        keywords: &["customerio", "customer_io", "customer.io", "customer-io"],
        pattern: concat!(r"(?-u)(?i:customer[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  CUSTOMERIO_APP_API_KEY: a2f575a2e6dd4ac9a70caee345d23254", "a2f575a2e6dd4ac9a70caee345d23254"),
            (r#"export customerio_api_key="c1b93dbd1e3fe3c2b25eff232da71943""#, "c1b93dbd1e3fe3c2b25eff232da71943"),
        ],
        counterexamples: &["CUSTOMERIO_APP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CUSTOMERIO_APP_API_KEY=<your-customerio-key>", "CUSTOMERIO_APP_API_KEY=d60718c666818e395b78d185c34a9f0"],
        ..NAMED
    },
    Builtin {
        id: "campaign_monitor_api_key",
        provider: "campaignmonitor",
        description: "Campaign Monitor API key beside a Campaign Monitor key name",
        keywords: &["campaignmonitor", "campaign_monitor", "campaign-monitor"],
        pattern: concat!(r"(?-u)(?i:campaign[_-]?monitor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{86}==)", end_b64!()),
        examples: &[
            ("CAMPAIGN_MONITOR_API_KEY=G26d20k7XKagUVR1zjiZXT0E/N9Tj1z00EE1peUA/ih0Fn5ss6aiLb3MZP6RM0fB5OjCNmKnolEO9DPPhMJHX5==", "G26d20k7XKagUVR1zjiZXT0E/N9Tj1z00EE1peUA/ih0Fn5ss6aiLb3MZP6RM0fB5OjCNmKnolEO9DPPhMJHX5=="),
            (r#"{"campaignmonitor_key":"kZQ+igg5VohaBGC70qtJKTI0bDwaf4CFxSeuZT8DuMPbCG7Qg7n9xEN4UTynZGX5zRjCXFC2cR/rdurV3jeVqi=="}"#, "kZQ+igg5VohaBGC70qtJKTI0bDwaf4CFxSeuZT8DuMPbCG7Qg7n9xEN4UTynZGX5zRjCXFC2cR/rdurV3jeVqi=="),
        ],
        counterexamples: &["CAMPAIGN_MONITOR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CAMPAIGN_MONITOR_API_KEY=<your-campaignmonitor-key>", "CAMPAIGN_MONITOR_API_KEY=Pmm9MUdCxReFQvpoQpQ4fKTvb0IJhKdd54/KjMJGVnBxEpv3iXu7AW6+n0hRe05lwsM+/EAeKXB+KtoCtEGsb=="],
        ..NAMED
    },
    Builtin {
        id: "elastic_email_api_key",
        provider: "elasticemail",
        description: "Elastic Email API key (96 hex) beside an Elastic Email key name",
        keywords: &["elasticemail", "elastic_email", "elastic-email"],
        pattern: concat!(r"(?-u)(?i:elastic[_-]?email)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{96})", end_url!()),
        examples: &[
            (r#"ELASTICEMAIL_API_KEY: "001CA1CF6971C39A8EC715C3144CC6FF690FC34333418220D7354B6D5203984DA5FFC72E3D9B09D66D29AF50D2948B70""#, "001CA1CF6971C39A8EC715C3144CC6FF690FC34333418220D7354B6D5203984DA5FFC72E3D9B09D66D29AF50D2948B70"),
            ("elastic_email_key = BFABFB0120BCABE94C7042FCA8877C95F982480C87DD65133FCDA77E2688771D0A7EC2389106ADB4BA78F30D80220660", "BFABFB0120BCABE94C7042FCA8877C95F982480C87DD65133FCDA77E2688771D0A7EC2389106ADB4BA78F30D80220660"),
        ],
        counterexamples: &["ELASTICEMAIL_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELASTICEMAIL_API_KEY=<your-elasticemail-key>", "ELASTICEMAIL_API_KEY=01960971BFA90D1D4F0D875005653A95B7253DFE582764EF5E303F0BB1664CAB6266F35DE297D8043FB10D43A398DDD"],
        ..NAMED
    },
    Builtin {
        id: "smtp2go_api_key",
        provider: "smtp2go",
        description: "SMTP2GO API key (api- + 32 upper-case hex)",
        keywords: &["api-"],
        pattern: prefixed!(r"api-", r"[A-F0-9]{32}"),
        examples: &[
            ("Authorization: Bearer api-BA5E3D9ABA8F133D170365D517D252F8", "api-BA5E3D9ABA8F133D170365D517D252F8"),
            ("  smtp2go_api_key: api-DFBBF8F89E0309F75E9802CEDC8F5B16", "api-DFBBF8F89E0309F75E9802CEDC8F5B16"),
        ],
        counterexamples: &["api-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like api-1234567890", "api-229FA83562F0855EC0C597E25EF5A57"],
        ..PREFIXED
    },
    Builtin {
        id: "mailerlite_api_key",
        provider: "mailerlite",
        description: "MailerLite API token beside a MailerLite key name",
        keywords: &["mailerlite"],
        pattern: concat!(r"(?-u)(?i:mailerlite)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"MAILERLITE_API_KEY":"a8e0d4fc6bc55342130edada5bf62d27"}"#, "a8e0d4fc6bc55342130edada5bf62d27"),
            ("mailerlite_token=6a12c3d284c401e818a07bc0c30e37e5", "6a12c3d284c401e818a07bc0c30e37e5"),
        ],
        counterexamples: &["MAILERLITE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILERLITE_API_KEY=<your-mailerlite-key>", "MAILERLITE_API_KEY=142264c8fb90f4497cef38b7840a70d"],
        ..NAMED
    },
    Builtin {
        id: "sendinblue_smtp_key",
        provider: "brevo",
        description: "Brevo (Sendinblue) SMTP key (xsmtpsib- + 64 hex + - + 16) beside a Brevo or Sendinblue key name",
        keywords: &["brevo", "sendinblue"],
        pattern: concat!(r"(?-u)(?i:brevo|sendinblue)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>xsmtpsib-[a-f0-9]{64}-[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            ("BREVO_SMTP_KEY = xsmtpsib-82e7095b621057718a6d58cd15bb60e48019ed96e754442118ae33a595ae33ac-PGkvKA3PIzZX9nNC", "xsmtpsib-82e7095b621057718a6d58cd15bb60e48019ed96e754442118ae33a595ae33ac-PGkvKA3PIzZX9nNC"),
            (r#"SENDINBLUE_SMTP_KEY: "xsmtpsib-a4dff4bfced726033c09fa4f56d6999aa7475784ad0839e5c053c4cece4fda7b-TDsAn5KysJrH2gsg""#, "xsmtpsib-a4dff4bfced726033c09fa4f56d6999aa7475784ad0839e5c053c4cece4fda7b-TDsAn5KysJrH2gsg"),
        ],
        counterexamples: &["BREVO_SMTP_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BREVO_SMTP_KEY=<your-brevo-key>", "BREVO_SMTP_KEY=xsmtpsib-e8af2d67e93e628ce0803c9b7a33b5bb591fe5a262cbcb9916db64d7879c0c51-vNS4FIAAIc0Od8E"],
        ..NAMED
    },
    Builtin {
        id: "brevo_smtp_key",
        provider: "brevo",
        description: "Brevo (Sendinblue) SMTP key (xsmtpsib- + 64 hex + - + 16)",
        keywords: &["xsmtpsib-"],
        pattern: prefixed!(r"xsmtpsib-", r"[a-f0-9]{64}-[A-Za-z0-9]{16}"),
        examples: &[
            ("Authorization: Bearer xsmtpsib-aad6ae27f941a94eecd528de0040a639aa8dfaa7f3b865d1af67e1a20a8b6a97-VWhd0v4YoNOCj39T", "xsmtpsib-aad6ae27f941a94eecd528de0040a639aa8dfaa7f3b865d1af67e1a20a8b6a97-VWhd0v4YoNOCj39T"),
            (r#"{"brevo_smtp_key": "xsmtpsib-a828d448c70d2a61488171a075844c4490f09c8bfafdc7fd01de3ff40ca11067-jKCKnWdUT48Sh9Xy", "region": "eu-west-1"}"#, "xsmtpsib-a828d448c70d2a61488171a075844c4490f09c8bfafdc7fd01de3ff40ca11067-jKCKnWdUT48Sh9Xy"),
        ],
        counterexamples: &["xsmtpsib-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like xsmtpsib-1234567890", "xsmtpsib-d86b3bf4fe4afe18ab7bcb2ff21893ee9a6642e2e6989f3d3bade272237e5993-CSgsmSrmIw1ugo7"],
        ..PREFIXED
    },
    Builtin {
        id: "mailgun_signing_key",
        provider: "mailgun",
        description: "Mailgun webhook signing key (32 hex + - + 8 hex + - + 8 hex) beside a Mailgun key name",
        keywords: &["mailgun"],
        pattern: concat!(r"(?-u)(?i:mailgun)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32}-[a-f0-9]{8}-[a-f0-9]{8})", end_url!()),
        examples: &[
            ("MAILGUN_WEBHOOK_SIGNING_KEY=f35f7b5605c5536db408205625de8b50-ba86c4f5-b16f0bc7", "f35f7b5605c5536db408205625de8b50-ba86c4f5-b16f0bc7"),
            (r#"{"mailgun_signing_key":"9f111ebd291508e11805313057dbbd93-d174e33b-5253d5a7"}"#, "9f111ebd291508e11805313057dbbd93-d174e33b-5253d5a7"),
        ],
        counterexamples: &["MAILGUN_WEBHOOK_SIGNING_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MAILGUN_WEBHOOK_SIGNING_KEY=<your-mailgun-key>", "MAILGUN_WEBHOOK_SIGNING_KEY=6630abba3481c3805ed8f67d87a8096c-b555a867-485cb9b"],
        ..NAMED
    },
    Builtin {
        id: "amazon_ses_smtp_password",
        provider: "aws",
        description: "Amazon SES SMTP password (44 base64 starting B) beside an SES key name",
        keywords: &["ses_smtp", "ses-smtp", "ses_password"],
        pattern: concat!(r"(?-u)(?i:ses)[A-Za-z0-9_.-]{0,24}?(?i:password|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>B[A-Za-z0-9+/]{43})", end_b64!()),
        examples: &[
            (r#"SES_SMTP_PASSWORD: "BphhCt70CNTGAWAl8Vn4xyZt5ybA9jDuXVLTBdOqsYe/""#, "BphhCt70CNTGAWAl8Vn4xyZt5ybA9jDuXVLTBdOqsYe/"),
            ("ses_smtp_password = BWWzUXa4VRiHgqukpROC7GjhP3tiW+3bD5Ljkads1lrE", "BWWzUXa4VRiHgqukpROC7GjhP3tiW+3bD5Ljkads1lrE"),
        ],
        counterexamples: &["SES_SMTP_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SES_SMTP_PASSWORD=<your-aws-key>", "SES_SMTP_PASSWORD=BVDE09OHffVbGLG8di1lrL77uknS8zX6h7tLOwsLJlh"],
        ..NAMED
    },
];
