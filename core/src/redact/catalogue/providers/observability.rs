//! Monitoring, logging, tracing and error tracking.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "datadog_api_key",
        provider: "datadog",
        description: "Datadog API key (32 hex beside a Datadog API key name or DD-API-KEY header)",
        keywords: &["dd_api", "dd-api", "ddapi", "datadog"],
        pattern: concat!(
            r"(?-u)(?i:dd|datadog)[_-]?(?i:api)[_-]?(?i:key)",
            assign!(),
            r"(?P<secret>[a-f0-9]{32})\b"
        ),
        validate: Some(random_hex),
        generic: false,
        examples: &[
            ("DD_API_KEY=caf17dfa283461468fe4c138bdd4e724", "caf17dfa283461468fe4c138bdd4e724"),
            ("DD-API-KEY: caf17dfa283461468fe4c138bdd4e724", "caf17dfa283461468fe4c138bdd4e724"),
        ],
        counterexamples: &["DD_API_KEY=caf17dfa283461468fe4c138bdd4e72", "DD_SITE=datadoghq.eu", "DD_API_KEY=00000000000000000000000000000000"],
    },
    Builtin {
        id: "datadog_app_key",
        provider: "datadog",
        description: "Datadog application key (40 hex beside a Datadog application key name or DD-APPLICATION-KEY header)",
        keywords: &["dd_app", "dd-app", "ddapp", "datadog"],
        pattern: concat!(
            r"(?-u)(?i:dd|datadog)[_-]?(?i:app|application)[_-]?(?i:key)",
            assign!(),
            r"(?P<secret>[a-f0-9]{40})\b"
        ),
        validate: Some(random_hex),
        generic: false,
        examples: &[("DD-APPLICATION-KEY: 5407b1de8fa2b132d31520914c40eef092879070", "5407b1de8fa2b132d31520914c40eef092879070")],
        counterexamples: &["DD_APP_KEY=5407b1de8fa2b132d31520914c40eef09287907", "dd_app_name=checkout"],
    },
    Builtin {
        id: "newrelic_user_api_key",
        provider: "newrelic",
        description: "New Relic user API key (NRAK- + 27)",
        keywords: &["NRAK-"],
        pattern: r"(?-u)(?P<token>NRAK-(?P<secret>[A-Z0-9]{27}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("NEW_RELIC_API_KEY=NRAK-UCT879AT9UIDUP8NHFEL1VRC1OX", "NRAK-UCT879AT9UIDUP8NHFEL1VRC1OX")],
        counterexamples: &["NRAK-UCT879AT9UIDUP8NHFEL1VRC1O", "NRAK-UCT879AT9UIDUP8NHFEL1VRC1OXY"],
    },
    Builtin {
        id: "newrelic_insights_key",
        provider: "newrelic",
        description: "New Relic Insights insert and query keys (NRII-, NRIQ-)",
        keywords: &["NRII-", "NRIQ-"],
        pattern: concat!(r"(?-u)(?P<token>NRI[IQ]-(?P<secret>[A-Za-z0-9_-]{32}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("X-Insert-Key: NRII-85toz0BwGjP85l3YzvwskvPvfD8_rul6", "NRII-85toz0BwGjP85l3YzvwskvPvfD8_rul6")],
        counterexamples: &["NRII-85toz0BwGjP85l3YzvwskvPvfD8_rul", "NRII-85toz0BwGjP85l3YzvwskvPvfD8_rul6-x"],
    },
    Builtin {
        id: "newrelic_admin_key",
        provider: "newrelic",
        description: "New Relic admin API key (NRAA- + 27 hex)",
        keywords: &["NRAA-"],
        pattern: r"(?-u)(?P<token>NRAA-(?P<secret>[a-f0-9]{27}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("admin key NRAA-74f487882c580d1e46d510034c9", "NRAA-74f487882c580d1e46d510034c9")],
        counterexamples: &["NRAA-74f487882c580d1e46d510034c"],
    },
    Builtin {
        id: "newrelic_browser_key",
        provider: "newrelic",
        description: "New Relic browser API key (NRJS- + 19 hex)",
        keywords: &["NRJS-"],
        pattern: r"(?-u)(?P<token>NRJS-(?P<secret>[a-f0-9]{19}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("licenseKey:\"NRJS-aa1af6723ff56eca645\"", "NRJS-aa1af6723ff56eca645")],
        counterexamples: &["NRJS-aa1af6723ff56eca64"],
    },
    Builtin {
        id: "newrelic_license_key",
        provider: "newrelic",
        description: "New Relic ingest license key (40 chars ending NRAL)",
        keywords: &["NRAL"],
        pattern: r"(?-u)(?P<secret>[A-Za-z0-9]{36}NRAL)\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("NEW_RELIC_LICENSE_KEY=62e25925c0a043208b89b35e3ddb8b33a87aNRAL", "62e25925c0a043208b89b35e3ddb8b33a87aNRAL")],
        counterexamples: &["62e25925c0a043208b89b35e3ddb8b33a87NRAL", "GENERALNRAL"],
    },
    Builtin {
        id: "sentry_dsn",
        provider: "sentry",
        description: "Sentry DSN (the key before @ is the secret; the host and project stay visible)",
        keywords: &["sentry", "ingest.", "dsn"],
        pattern: r"(?-u)https?://(?P<secret>[a-f0-9]{32}(?::[a-f0-9]{32})?)@[A-Za-z0-9.-]{1,120}(?::[0-9]{1,5})?/(?:[A-Za-z0-9_.-]{1,40}/){0,3}[0-9]{1,12}\b",
        validate: None,
        generic: false,
        examples: &[
            ("SENTRY_DSN=https://8ffa032c057efcc225e5e997106afca5@o216219.ingest.sentry.io/5605745", "8ffa032c057efcc225e5e997106afca5"),
            ("dsn: https://caf17dfa283461468fe4c138bdd4e724:5407b1de8fa2b132d31520914c40eef0@sentry.internal:9000/3", "caf17dfa283461468fe4c138bdd4e724:5407b1de8fa2b132d31520914c40eef0"),
        ],
        counterexamples: &["https://sentry.io/organizations/acme/issues/123", "https://8ffa032c057efcc225e5e997106afca@o216219.ingest.sentry.io/5605745"],
    },
    Builtin {
        id: "sentry_auth_token",
        provider: "sentry",
        description: "Sentry organisation (sntrys_ + base64 JSON + _ + secret) and user (sntryu_ + 64 hex) auth tokens",
        keywords: &["sntrys_", "sntryu_"],
        pattern: concat!(
            r"(?-u)(?P<token>sntry[su]_(?P<secret>eyJ[A-Za-z0-9+/=_]{20,600}_[A-Za-z0-9+/]{43}|[a-f0-9]{64}))",
            r"(?:[^A-Za-z0-9+/=_]|$)"
        ),
        validate: Some(bounded::sentry_token),
        generic: false,
        examples: &[
            ("SENTRY_AUTH_TOKEN=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", "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"),
            ("token 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", "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"),
        ],
        counterexamples: &["sntrys_eyJ!!!!", "sntryu_29aa03ad7861d460793140b2b65d322bf545fad3549e310f117a095dd2a31f3"],
    },
    Builtin {
        id: "grafana_service_account_token",
        provider: "grafana",
        description: "Grafana service account token (glsa_ + 32 + _ + CRC32 hex; checksum verified)",
        keywords: &["glsa_"],
        pattern: r"(?-u)(?P<token>glsa_(?P<secret>[A-Za-z0-9]{32}_[a-f0-9]{8}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("Authorization: Bearer glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN_7f902b72", "glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN_7f902b72")],
        counterexamples: &["glsa_5NrTNepFBzSCeHATJg8aEOSLUkzsvznN"],
    },
    Builtin {
        id: "grafana_cloud_token",
        provider: "grafana",
        description: "Grafana Cloud access policy token (glc_ + base64 JSON)",
        keywords: &["glc_eyJ"],
        pattern: concat!(r"(?-u)(?P<token>glc_(?P<secret>eyJ[A-Za-z0-9+/]{30,400}={0,2}))", end_b64!()),
        validate: Some(bounded::base64_json_head),
        generic: false,
        examples: &[("GRAFANA_CLOUD_TOKEN=glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMzQ1Ni1pbnRlZ3JhdGlvbi13cml0ZS1tZXRyaWNzIiwiayI6IudXHLeiqybeAxTQLLPq59g1GoqUMHDPOGZeGNBxJ", "glc_eyJvIjoiMTIzNDU2IiwibiI6InN0YWNrLTEyMzQ1Ni1pbnRlZ3JhdGlvbi13cml0ZS1tZXRyaWNzIiwiayI6IudXHLeiqybeAxTQLLPq59g1GoqUMHDPOGZeGNBxJ")],
        counterexamples: &["glc_eyJ short", "glc_eyJ!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"],
    },
    Builtin {
        id: "dynatrace_token",
        provider: "dynatrace",
        description: "Dynatrace API and platform tokens (dt0c01., dt0s01. ... + 24 + . + 64)",
        keywords: &["dt0c0", "dt0s0", "dt0a0"],
        pattern: r"(?-u)(?P<token>dt0[a-z][0-9]{2}\.(?P<secret>[A-Z0-9]{24}\.[A-Z0-9]{64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("Api-Token dt0c01.UJ00D10P372TINHJNW7I5EKZ.5RDY5NV1ZNR1VBQ0R825M6L3ADB7YE1TKM3Z8ZZLSR7ZPK8DNGK920GNZGGPGF5U", "dt0c01.UJ00D10P372TINHJNW7I5EKZ.5RDY5NV1ZNR1VBQ0R825M6L3ADB7YE1TKM3Z8ZZLSR7ZPK8DNGK920GNZGGPGF5U")],
        counterexamples: &["dt0c01.UJ00D10P372TINHJNW7I5EKZ.short"],
    },
    Builtin {
        id: "honeycomb_ingest_key",
        provider: "honeycomb",
        description: "Honeycomb ingest key (hcaik_ / hcxik_ + 26 id + 32 secret)",
        keywords: &["hcaik_", "hcxik_"],
        pattern: prefixed!(r"(?:hcaik_|hcxik_)", r"[a-z0-9]{58}"),
        examples: &[
            ("export HONEYCOMB_INGEST_KEY=hcaik_n44evgit8p38kq4b4f8blyaap9jgx44fruef2o7srjjez0038ilo8ynnhk", "hcaik_n44evgit8p38kq4b4f8blyaap9jgx44fruef2o7srjjez0038ilo8ynnhk"),
            (r#"HONEYCOMB_INGEST_KEY="hcxik_sekaijkam3dmu905ofyky7ncicuugibgyomo68g7hn7bsds2x83jsgql1k""#, "hcxik_sekaijkam3dmu905ofyky7ncicuugibgyomo68g7hn7bsds2x83jsgql1k"),
        ],
        counterexamples: &["hcaik_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hcaik_1234567890", "hcaik_k4dww79mt66uqfca0tcrkb6p7zls3zavognhfyrj76bv1do9hrr5ubxkf"],
        ..PREFIXED
    },
    Builtin {
        id: "honeycomb_api_key",
        provider: "honeycomb",
        description: "Honeycomb configuration key (22 or 32) beside a Honeycomb key name or X-Honeycomb-Team header",
        keywords: &["honeycomb"],
        pattern: concat!(r"(?-u)(?i:honeycomb)[A-Za-z0-9_.-]{0,24}?(?i:key|team|token)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22})", end_url!()),
        examples: &[
            ("  HONEYCOMB_API_KEY: Ro5DSkzBUo6hTewkSgZ54u", "Ro5DSkzBUo6hTewkSgZ54u"),
            (r#"export x-honeycomb-team="jcjfwiNxfokkKVpeEsHcM4""#, "jcjfwiNxfokkKVpeEsHcM4"),
        ],
        counterexamples: &["HONEYCOMB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HONEYCOMB_API_KEY=<your-honeycomb-key>", "HONEYCOMB_API_KEY=9S5u74lXZcMgLCiswwmUo"],
        ..NAMED
    },
    Builtin {
        id: "grafana_legacy_api_key",
        provider: "grafana",
        description: "Grafana legacy API key (base64 JSON starting {\"k\":)",
        keywords: &["eyJrIjoi"],
        pattern: concat!(r#"(?-u)(?P<token>eyJrIjoi(?P<secret>[A-Za-z0-9+/]{40,120}=))"#, end_b64!()),
        examples: &[
            ("  grafana_legacy_api_key: eyJrIjoiYwwuZKjM7EFbAhMLZhHLggo7AAMed93XYyIvG6OsZG7nHd1J=", "eyJrIjoiYwwuZKjM7EFbAhMLZhHLggo7AAMed93XYyIvG6OsZG7nHd1J="),
            ("Authorization: Bearer eyJrIjoiNQjTnlTG9l/I85dqcDYU5KA1jv4qGnI0QjbcMzv/KJG+9=", "eyJrIjoiNQjTnlTG9l/I85dqcDYU5KA1jv4qGnI0QjbcMzv/KJG+9="),
        ],
        counterexamples: &["eyJrIjoixxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJrIjoi1234567890", "eyJrIjoi/sdk0dAhGGu8XPiOcskQsSEYWOKzZ2MKM+6974C="],
        ..PREFIXED
    },
    Builtin {
        id: "pagerduty_api_key",
        provider: "pagerduty",
        description: "PagerDuty REST API key (20, u+ for user keys) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u\+[A-Za-z0-9_-]{18})", end_url!()),
        examples: &[
            (r#"PAGERDUTY_API_KEY: "u+vBBychLxuR-C6WqNbo""#, "u+vBBychLxuR-C6WqNbo"),
            ("pagerduty_token = u+NiM1nqWyxZ3Si3eqmD", "u+NiM1nqWyxZ3Si3eqmD"),
        ],
        counterexamples: &["PAGERDUTY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_API_KEY=<your-pagerduty-key>", "PAGERDUTY_API_KEY=u+dc6xiDQ9mcynI3_Cb"],
        ..NAMED
    },
    Builtin {
        id: "pagerduty_integration_key",
        provider: "pagerduty",
        description: "PagerDuty Events integration / routing key (32 hex) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export PAGERDUTY_INTEGRATION_KEY="3fc6214037e7314ac58773712a1617a7""#, "3fc6214037e7314ac58773712a1617a7"),
            ("  pagerduty_routing_key: c95493e48c7e401fc1c8fd3d242138d5", "c95493e48c7e401fc1c8fd3d242138d5"),
        ],
        counterexamples: &["PAGERDUTY_INTEGRATION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_INTEGRATION_KEY=<your-pagerduty-key>", "PAGERDUTY_INTEGRATION_KEY=72ad2e83d79d677fd0a88920348d897"],
        ..NAMED
    },
    Builtin {
        id: "pagerduty_routing_key",
        provider: "pagerduty",
        description: "PagerDuty Events API routing key (32 characters) in an event's routing_key (v2) or service_key (v1) field",
        keywords: &["routing_key", "service_key"],
        pattern: concat!(r#"(?-u)\b(?:routing_key|service_key)\\?["']?\s{0,4}[:=]\s{0,4}\\?["']?(?P<secret>[A-Za-z0-9]{32})"#, end_url!()),
        examples: &[
            (r#"{"routing_key":"3396327823dc77786d4186123bc593b1","event_action":"trigger","payload":{"summary":"disk 95%"}}"#, "3396327823dc77786d4186123bc593b1"),
            ("routing_key=R02e8c4a7f1b9d3e6a0c5f8b2d7e1a4c", "R02e8c4a7f1b9d3e6a0c5f8b2d7e1a4c"),
        ],
        counterexamples: &[
            r#"{"routing_key": "orders.created.eu-west-1"}"#,
            r#"{"routing_key":"00000000000000000000000000000000"}"#,
            "routing_key=${PAGERDUTY_ROUTING_KEY}",
        ],
        ..NAMED
    },
    Builtin {
        id: "opsgenie_api_key",
        provider: "opsgenie",
        description: "Opsgenie API key (UUID) beside an Opsgenie key name",
        keywords: &["opsgenie"],
        pattern: concat!(r"(?-u)(?i:opsgenie)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"OPSGENIE_API_KEY":"0e7bad09-739f-21c7-ad19-d249b5d6218f"}"#, "0e7bad09-739f-21c7-ad19-d249b5d6218f"),
            ("opsgenie_key=29fce8f5-28cf-f990-db3f-e9cb5a1b0048", "29fce8f5-28cf-f990-db3f-e9cb5a1b0048"),
        ],
        counterexamples: &["OPSGENIE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPSGENIE_API_KEY=<your-opsgenie-key>", "OPSGENIE_API_KEY=d0302559-37a7-62f4-06b1-2e5f60a2827"],
        ..NAMED
    },
    Builtin {
        id: "splunk_hec_token",
        provider: "splunk",
        description: "Splunk HTTP Event Collector token (UUID) beside a Splunk key name or `Splunk` auth scheme",
        keywords: &["splunk"],
        pattern: concat!(r"(?-u)(?i:splunk)[A-Za-z0-9_.-]{0,24}?(?i:token|key|hec)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("SPLUNK_HEC_TOKEN = b845ed5d-a2a6-f945-ab94-b48e95bd817a", "b845ed5d-a2a6-f945-ab94-b48e95bd817a"),
            (r#"splunk_token: "6cf62b85-457f-1fa9-2652-d615089210ec""#, "6cf62b85-457f-1fa9-2652-d615089210ec"),
        ],
        counterexamples: &["SPLUNK_HEC_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPLUNK_HEC_TOKEN=<your-splunk-key>", "SPLUNK_HEC_TOKEN=d26db25e-2f3e-f631-63a8-5ebc710acf7"],
        ..NAMED
    },
    Builtin {
        id: "sumologic_access_key",
        provider: "sumologic",
        description: "Sumo Logic access key (64) beside a Sumo Logic key name",
        keywords: &["sumo"],
        pattern: concat!(r"(?-u)(?i:sumo(?:logic)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("  SUMO_ACCESS_KEY: B9GtJFVIMkbei6LnsboDdRIyuDAWVV4nMWL7MuJRzk1c6ubG0q9whQgPHNtS9Gr5", "B9GtJFVIMkbei6LnsboDdRIyuDAWVV4nMWL7MuJRzk1c6ubG0q9whQgPHNtS9Gr5"),
            (r#"export sumologic_access_key="vqpnDWiRWxAG70HW5oBWv8H5QCHcXgWUg0v1yNJypmRl14xegzjalXxUStQkhjZc""#, "vqpnDWiRWxAG70HW5oBWv8H5QCHcXgWUg0v1yNJypmRl14xegzjalXxUStQkhjZc"),
        ],
        counterexamples: &["SUMO_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SUMO_ACCESS_KEY=<your-sumologic-key>", "SUMO_ACCESS_KEY=XNUuM2KjGqDRjfXv86iT7iLKlHaeyuKPyOQMZjZlCwPZmTkLnSRD0OaKKp0EcKc"],
        ..NAMED
    },
    Builtin {
        id: "logzio_token",
        provider: "logzio",
        description: "Logz.io shipping / API token (32) beside a Logz.io key name",
        keywords: &["logzio", "logz.io", "logz_io", "logz-io"],
        pattern: concat!(r"(?-u)(?i:logz[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("LOGZIO_TOKEN=PkCvZ4MCEZpjpM9Fj7Hq5h4oeAlroqx5", "PkCvZ4MCEZpjpM9Fj7Hq5h4oeAlroqx5"),
            (r#"{"logzio_api_token":"zj0at223MlOGKHfTBCGPuJAtaWRVqpuL"}"#, "zj0at223MlOGKHfTBCGPuJAtaWRVqpuL"),
        ],
        counterexamples: &["LOGZIO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGZIO_TOKEN=<your-logzio-key>", "LOGZIO_TOKEN=mg0FmlRMPYIQi4Zq1i6riG1B2nELEhp"],
        ..NAMED
    },
    Builtin {
        id: "loggly_token",
        provider: "loggly",
        description: "Loggly customer token (UUID) beside a Loggly key name",
        keywords: &["loggly"],
        pattern: concat!(r"(?-u)(?i:loggly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"LOGGLY_TOKEN: "425f788f-4677-c432-ac0a-1da69cab836e""#, "425f788f-4677-c432-ac0a-1da69cab836e"),
            ("loggly_customer_token = 46d1d6a4-cb31-3c16-16a3-f12a7909d6bb", "46d1d6a4-cb31-3c16-16a3-f12a7909d6bb"),
        ],
        counterexamples: &["LOGGLY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGGLY_TOKEN=<your-loggly-key>", "LOGGLY_TOKEN=a5e867b1-2d64-0573-119d-b740260c5eb"],
        ..NAMED
    },
    Builtin {
        id: "papertrail_token",
        provider: "papertrail",
        description: "Papertrail API token (20) beside a Papertrail key name",
        keywords: &["papertrail"],
        pattern: concat!(r"(?-u)(?i:papertrail)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            (r#"export PAPERTRAIL_API_TOKEN="BU4fbo3bHm8dbH7iplhB""#, "BU4fbo3bHm8dbH7iplhB"),
            ("  papertrail_token: 6zaxOIuz0cOOTrUuJsaj", "6zaxOIuz0cOOTrUuJsaj"),
        ],
        counterexamples: &["PAPERTRAIL_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAPERTRAIL_API_TOKEN=<your-papertrail-key>", "PAPERTRAIL_API_TOKEN=0ifNRT4Ppc9JIk02rrT"],
        ..NAMED
    },
    Builtin {
        id: "rollbar_token",
        provider: "rollbar",
        description: "Rollbar access token (32 hex) beside a Rollbar key name",
        keywords: &["rollbar"],
        pattern: concat!(r"(?-u)(?i:rollbar)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ROLLBAR_ACCESS_TOKEN":"6a91b112439b4e186ddec7640dacef83"}"#, "6a91b112439b4e186ddec7640dacef83"),
            ("rollbar_token=8a81b7b23e0b5b33e4a29c09879d3601", "8a81b7b23e0b5b33e4a29c09879d3601"),
        ],
        counterexamples: &["ROLLBAR_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROLLBAR_ACCESS_TOKEN=<your-rollbar-key>", "ROLLBAR_ACCESS_TOKEN=d141036b5870f86529361fdc12157b4"],
        ..NAMED
    },
    Builtin {
        id: "bugsnag_api_key",
        provider: "bugsnag",
        description: "Bugsnag API / auth key (32 hex) beside a Bugsnag key name",
        keywords: &["bugsnag"],
        pattern: concat!(r"(?-u)(?i:bugsnag)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("BUGSNAG_API_KEY = b36b3d1024be534d3ee577713984164a", "b36b3d1024be534d3ee577713984164a"),
            (r#"bugsnag_auth_token: "47f41da008d3af1e45b66c56a1c788e0""#, "47f41da008d3af1e45b66c56a1c788e0"),
        ],
        counterexamples: &["BUGSNAG_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUGSNAG_API_KEY=<your-bugsnag-key>", "BUGSNAG_API_KEY=47c92be347ab73deacc401513d2a08f"],
        ..NAMED
    },
    Builtin {
        id: "raygun_api_key",
        provider: "raygun",
        description: "Raygun API key / PAT beside a Raygun key name",
        keywords: &["raygun"],
        pattern: concat!(r"(?-u)(?i:raygun)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22,43})", end_url!()),
        examples: &[
            ("  RAYGUN_API_KEY: hAgZ5r3wn2swT3csBgWOJDXeDAKS2a", "hAgZ5r3wn2swT3csBgWOJDXeDAKS2a"),
            (r#"export raygun_token="cKmiWutT3Dndu3CTu56RzgwgHklpN7kGz""#, "cKmiWutT3Dndu3CTu56RzgwgHklpN7kGz"),
        ],
        counterexamples: &["RAYGUN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAYGUN_API_KEY=<your-raygun-key>", "RAYGUN_API_KEY=4Vyl9u8eZFauyLP1wGtOQ"],
        ..NAMED
    },
    Builtin {
        id: "airbrake_project_key",
        provider: "airbrake",
        description: "Airbrake project key / user token (32 hex) beside an Airbrake key name",
        keywords: &["airbrake"],
        pattern: concat!(r"(?-u)(?i:airbrake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("AIRBRAKE_PROJECT_KEY=85a7ba21b8cecc0dccbcbde7a0f5c1dc", "85a7ba21b8cecc0dccbcbde7a0f5c1dc"),
            (r#"{"airbrake_api_key":"0b3aced3166ea3f9ed448fd0ae688d0d"}"#, "0b3aced3166ea3f9ed448fd0ae688d0d"),
        ],
        counterexamples: &["AIRBRAKE_PROJECT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIRBRAKE_PROJECT_KEY=<your-airbrake-key>", "AIRBRAKE_PROJECT_KEY=85e17d79e149399fb2ec65e7d83fb7a"],
        ..NAMED
    },
    Builtin {
        id: "honeybadger_pat",
        provider: "honeybadger",
        description: "Honeybadger personal auth token (hbp_ + 36)",
        keywords: &["hbp_"],
        pattern: prefixed!(r"hbp_", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("Authorization: Bearer hbp_jb5KXeMLMm7UDCKf1QSXuJaQWhLGG9UVEJYo", "hbp_jb5KXeMLMm7UDCKf1QSXuJaQWhLGG9UVEJYo"),
            ("curl -s -H 'Authorization: Bearer hbp_C8vFxjmf9LLcTHcL3Mu88AiDEdPljz9QSbrq' https://api.example.net/v1/me", "hbp_C8vFxjmf9LLcTHcL3Mu88AiDEdPljz9QSbrq"),
        ],
        counterexamples: &["hbp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hbp_1234567890", "hbp_ejEuLsainp1XSj5ZBvx5CuG4vg80o0MKRG8"],
        ..PREFIXED
    },
    Builtin {
        id: "lightstep_token",
        provider: "lightstep",
        description: "Lightstep / ServiceNow Cloud Observability access token beside a Lightstep key name",
        keywords: &["lightstep"],
        pattern: concat!(r"(?-u)(?i:lightstep)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{84,200})", end_url!()),
        examples: &[
            (r#"export LIGHTSTEP_ACCESS_TOKEN="TQqcwVAvCctcIlvRWQ6yvtAXWRJ0llnDctJNgEnBHUukOB1d4fHHuPYOSoafpbKLE55kyX99DjlP53gclzL0L""#, "TQqcwVAvCctcIlvRWQ6yvtAXWRJ0llnDctJNgEnBHUukOB1d4fHHuPYOSoafpbKLE55kyX99DjlP53gclzL0L"),
            ("  lightstep_token: _2HEbfvNIuSw6jQo7tkfmIYGZGm9O6RHd-JqQoeZI6TKKfByo-Onhp6HlmLnnHW_G6kwnG1MGtrSMpiGWPG99epXDSz06cS", "_2HEbfvNIuSw6jQo7tkfmIYGZGm9O6RHd-JqQoeZI6TKKfByo-Onhp6HlmLnnHW_G6kwnG1MGtrSMpiGWPG99epXDSz06cS"),
        ],
        counterexamples: &["LIGHTSTEP_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIGHTSTEP_ACCESS_TOKEN=<your-lightstep-key>", "LIGHTSTEP_ACCESS_TOKEN=P2tSID8aNTdn011UxECYuQmSd0UbdIjHMeT6exmQPwjbU6-yU9hFg28OAgWjkxYEiU7N2FfoGZU1kExiQU9"],
        ..NAMED
    },
    Builtin {
        id: "instana_api_token",
        provider: "instana",
        description: "Instana API / agent key beside an Instana key name",
        keywords: &["instana"],
        pattern: concat!(r"(?-u)(?i:instana)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"INSTANA_API_TOKEN":"rQdaOEkT2nV6RZKkdVzLCS"}"#, "rQdaOEkT2nV6RZKkdVzLCS"),
            ("instana_agent_key=5zTCOLfuAvzV44MDfz3Qtw", "5zTCOLfuAvzV44MDfz3Qtw"),
        ],
        counterexamples: &["INSTANA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INSTANA_API_TOKEN=<your-instana-key>", "INSTANA_API_TOKEN=DIRKDn9x6m_1WmIhc04Nq"],
        ..NAMED
    },
    Builtin {
        id: "elastic_cloud_api_key",
        provider: "elastic",
        description: "Elastic Cloud API key (essu_ + base64)",
        keywords: &["essu_"],
        pattern: concat!(r#"(?-u)(?P<token>essu_(?P<secret>[A-Za-z0-9+/]{60,120}))"#, end_b64!()),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG elastic client configured token=essu_s5ua6gTkq82DhDUjn//J2+WVY1PI3rHSmsV5xROZ501o6wJrlgU7cBpZndroyAiII7Jms", "essu_s5ua6gTkq82DhDUjn//J2+WVY1PI3rHSmsV5xROZ501o6wJrlgU7cBpZndroyAiII7Jms"),
            (r#"elastic_cloud_api_key = "essu_PTSGg7ZUQiUj9tYR+SqY7nUK+VsJfDLF6UB3mJZPKTqRaDyUoSHg2Fs4D2PZE6Vw7pUKZEm""#, "essu_PTSGg7ZUQiUj9tYR+SqY7nUK+VsJfDLF6UB3mJZPKTqRaDyUoSHg2Fs4D2PZE6Vw7pUKZEm"),
        ],
        counterexamples: &["essu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like essu_1234567890", "essu_jsshsoOIvERYbU/pqIi+YGK49jc1yOmbG20mDRGE88mgt22lPY1s27/USTM"],
        ..PREFIXED
    },
    Builtin {
        id: "elasticsearch_api_key",
        provider: "elastic",
        description: "Elasticsearch API key (base64 of id:key) beside an Elastic key name",
        keywords: &["elastic"],
        pattern: concat!(r"(?-u)(?i:elastic(?:search)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{58}==)", end_b64!()),
        examples: &[
            ("  ELASTIC_API_KEY: YrQ3vkc1o/W4eJksP49RdRgcCMnDgp+uv6D+B9/fmW2jqgxF8e33uJj4Nv==", "YrQ3vkc1o/W4eJksP49RdRgcCMnDgp+uv6D+B9/fmW2jqgxF8e33uJj4Nv=="),
            (r#"export elasticsearch_api_key="IpbEUCF9BVAgjxbUeGL0RLRhWHBHWhpF5WWL6wYZZ94c+tKwWrrQLWo4Sv==""#, "IpbEUCF9BVAgjxbUeGL0RLRhWHBHWhpF5WWL6wYZZ94c+tKwWrrQLWo4Sv=="),
        ],
        counterexamples: &["ELASTIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELASTIC_API_KEY=<your-elastic-key>", "ELASTIC_API_KEY=yfMLJ+7KvnsNkK9i8Mnwkiqy9paL7TDNoeCR93ZEqndsXOmIiYng37MKq=="],
        ..NAMED
    },
    Builtin {
        id: "axiom_token",
        provider: "axiom",
        description: "Axiom API (xaat-) and personal (xapt-) tokens (+ UUID)",
        keywords: &["xaat-", "xapt-"],
        pattern: prefixed!(r"(?:xaat-|xapt-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"AXIOM_TOKEN="xaat-133e6579-020d-a7a1-e26c-e6f04b758f2b""#, "xaat-133e6579-020d-a7a1-e26c-e6f04b758f2b"),
            (r#"axiom_token = "xapt-250adf25-95e7-d899-ce2a-b814f5d3c0fb""#, "xapt-250adf25-95e7-d899-ce2a-b814f5d3c0fb"),
        ],
        counterexamples: &["xaat-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like xaat-1234567890", "xaat-e4c4b293-9416-4e58-afad-cee0334f113"],
        ..PREFIXED
    },
    Builtin {
        id: "checkly_api_key",
        provider: "checkly",
        description: "Checkly API key (cu_ + 32 hex)",
        keywords: &["cu_"],
        pattern: prefixed!(r"cu_", r"[a-f0-9]{32}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer cu_df45c6e0ad39d46a6e4f1f1ba3897f58' https://api.example.net/v1/me", "cu_df45c6e0ad39d46a6e4f1f1ba3897f58"),
            ("Authorization: Bearer cu_737170f811a76bb2ef6ece50c2378213", "cu_737170f811a76bb2ef6ece50c2378213"),
        ],
        counterexamples: &["cu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cu_1234567890", "cu_3248cde3fe72f70c1623c1e85c7e596"],
        ..PREFIXED
    },
    Builtin {
        id: "cronitor_api_key",
        provider: "cronitor",
        description: "Cronitor API key (32) beside a Cronitor key name",
        keywords: &["cronitor"],
        pattern: concat!(r"(?-u)(?i:cronitor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export CRONITOR_API_KEY="1MWBixAacuySAZpwxhjDh9E1R8tFGlMH""#, "1MWBixAacuySAZpwxhjDh9E1R8tFGlMH"),
            ("  cronitor_key: pcRkeVST3XbZwZGe98QNJpoFqZ83Aq11", "pcRkeVST3XbZwZGe98QNJpoFqZ83Aq11"),
        ],
        counterexamples: &["CRONITOR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CRONITOR_API_KEY=<your-cronitor-key>", "CRONITOR_API_KEY=H67cdtaiu7tzx1BOxzGFlGPZxXdQQoj"],
        ..NAMED
    },
    Builtin {
        id: "uptimerobot_api_key",
        provider: "uptimerobot",
        description: "UptimeRobot API key (u / m / ur + digits - 24 hex) beside an UptimeRobot key name",
        keywords: &["uptimerobot", "uptime_robot", "uptime-robot"],
        pattern: concat!(r"(?-u)(?i:uptime[_-]?robot)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u[0-9]{7}-[a-f0-9]{24})", end_url!()),
        examples: &[
            (r#"{"UPTIMEROBOT_API_KEY":"u4517277-813a2f38e2594155877d2637"}"#, "u4517277-813a2f38e2594155877d2637"),
            ("uptime_robot_key=u0948180-2fa5ee25594ebfa087873c03", "u0948180-2fa5ee25594ebfa087873c03"),
        ],
        counterexamples: &["UPTIMEROBOT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPTIMEROBOT_API_KEY=<your-uptimerobot-key>", "UPTIMEROBOT_API_KEY=u2543032-bc79f1b78b0b0c8e6ac834e"],
        ..NAMED
    },
    Builtin {
        id: "statuspage_api_key",
        provider: "statuspage",
        description: "Atlassian Statuspage API key (UUID) beside a Statuspage key name",
        keywords: &["statuspage"],
        pattern: concat!(r"(?-u)(?i:statuspage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("STATUSPAGE_API_KEY = bcf682ec-8bbb-cacc-59c2-a305fc16da70", "bcf682ec-8bbb-cacc-59c2-a305fc16da70"),
            (r#"statuspage_token: "dfa4a565-158e-4ffb-748e-f31de51b0cda""#, "dfa4a565-158e-4ffb-748e-f31de51b0cda"),
        ],
        counterexamples: &["STATUSPAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STATUSPAGE_API_KEY=<your-statuspage-key>", "STATUSPAGE_API_KEY=2a055d2d-9c1a-2bf0-5bfb-68322e082ec"],
        ..NAMED
    },
    Builtin {
        id: "betterstack_token",
        provider: "betterstack",
        description: "Better Stack / Logtail source token (24) beside a Better Stack or Logtail key name",
        keywords: &["logtail", "betterstack", "better_stack", "better-stack", "betteruptime"],
        pattern: concat!(r"(?-u)(?i:logtail|better[_-]?stack|betteruptime)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOGTAIL_SOURCE_TOKEN: Pwft2A82NIxJZ3GoiZZgcbtR", "Pwft2A82NIxJZ3GoiZZgcbtR"),
            (r#"export BETTERSTACK_API_TOKEN="4vUR6RapZPRtuCxB3G77poke""#, "4vUR6RapZPRtuCxB3G77poke"),
        ],
        counterexamples: &["LOGTAIL_SOURCE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGTAIL_SOURCE_TOKEN=<your-betterstack-key>", "LOGTAIL_SOURCE_TOKEN=dqxFRDp8dEsLuIcwD2pqnm3"],
        ..NAMED
    },
    Builtin {
        id: "coralogix_key",
        provider: "coralogix",
        description: "Coralogix send-your-data / API key (cxtp_ + 30)",
        keywords: &["cxtp_"],
        pattern: prefixed!(r"cxtp_", r"[A-Za-z0-9]{30}"),
        examples: &[
            ("export CORALOGIX_KEY=cxtp_kfLzQD7sXathstlhFQYzPByFQgrI4L", "cxtp_kfLzQD7sXathstlhFQYzPByFQgrI4L"),
            ("curl -s -H 'Authorization: Bearer cxtp_KrAtcfy9sOYbQsBF0z7KFbdwAazE08' https://api.example.net/v1/me", "cxtp_KrAtcfy9sOYbQsBF0z7KFbdwAazE08"),
        ],
        counterexamples: &["cxtp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cxtp_1234567890", "cxtp_oRIC9yUQb2X7bffKkRT631TSjS5WR"],
        ..PREFIXED
    },
    Builtin {
        id: "newrelic_legacy_key",
        provider: "newrelic",
        description: "New Relic legacy REST API / insert key (40 or 47) beside a New Relic key name",
        keywords: &["newrelic", "new_relic", "new-relic"],
        pattern: concat!(r"(?-u)(?i:new[_-]?relic)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"NEW_RELIC_API_KEY: "9377d35651ce8228c9bf9996d2fc9991cc6f10f3""#, "9377d35651ce8228c9bf9996d2fc9991cc6f10f3"),
            ("newrelic_insert_key = 7a4ec888f2115c9d6cfd2a6265fa7f0222f4d253", "7a4ec888f2115c9d6cfd2a6265fa7f0222f4d253"),
        ],
        counterexamples: &["NEW_RELIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NEW_RELIC_API_KEY=<your-newrelic-key>", "NEW_RELIC_API_KEY=83380039fd20c0841906363e1c16e9b7ca1a519"],
        ..NAMED
    },
    Builtin {
        id: "appdynamics_token",
        provider: "appdynamics",
        description: "AppDynamics access key / client secret beside an AppDynamics key name",
        keywords: &["appdynamics"],
        pattern: concat!(r"(?-u)(?i:appdynamics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{36})", end_url!()),
        examples: &[
            (r#"export APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY="ocEoowsQx9r5w19tojUc2soNbrDfFGBuhJxT""#, "ocEoowsQx9r5w19tojUc2soNbrDfFGBuhJxT"),
            ("  appdynamics_secret: gaJNcr34RBXr4BBXUEXKdfhgCqZEBhLaNIjR", "gaJNcr34RBXr4BBXUEXKdfhgCqZEBhLaNIjR"),
        ],
        counterexamples: &["APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=<your-appdynamics-key>", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=zhExrXoZm1bXHypAQiDwZFk8vrN8MPJuGex"],
        ..NAMED
    },
    Builtin {
        id: "signalfx_token",
        provider: "signalfx",
        description: "Splunk Observability (SignalFx) access token (22) beside a SignalFx key name",
        keywords: &["signalfx", "sfx_"],
        pattern: concat!(r"(?-u)(?i:signalfx|sfx)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"SIGNALFX_ACCESS_TOKEN":"cuEzJdtVi6SKcBEZYd5ip8"}"#, "cuEzJdtVi6SKcBEZYd5ip8"),
            ("sfx_token=RSWfvte9G0OtAK2Ids5oto", "RSWfvte9G0OtAK2Ids5oto"),
        ],
        counterexamples: &["SIGNALFX_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SIGNALFX_ACCESS_TOKEN=<your-signalfx-key>", "SIGNALFX_ACCESS_TOKEN=IWvykCfTi6XufH9fVEDAH"],
        ..NAMED
    },
    Builtin {
        id: "scout_apm_key",
        provider: "scout",
        description: "Scout APM key (20) beside a Scout key name",
        keywords: &["scout"],
        pattern: concat!(r"(?-u)(?i:scout)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("SCOUT_KEY = lmBZgF5eQPeISJ0x7beH", "lmBZgF5eQPeISJ0x7beH"),
            (r#"scout_apm_key: "b8PTIgQoovsaH3wV9w2f""#, "b8PTIgQoovsaH3wV9w2f"),
        ],
        counterexamples: &["SCOUT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCOUT_KEY=<your-scout-key>", "SCOUT_KEY=Am5gfhI5zN9AaonrcAU"],
        ..NAMED
    },
    Builtin {
        id: "librato_token",
        provider: "librato",
        description: "Librato / AppOptics token (64 hex) beside a Librato key name",
        keywords: &["librato", "appoptics"],
        pattern: concat!(r"(?-u)(?i:librato|appoptics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("  LIBRATO_TOKEN: 115dd5a4e65f850663c2154962da9874c02d42ab1a41139ae0d6df243600b48d", "115dd5a4e65f850663c2154962da9874c02d42ab1a41139ae0d6df243600b48d"),
            (r#"export appoptics_api_token="f122527d9b7056688b9d2c504bbfb812cc04409381f7ac5b09cd3ef194b9e029""#, "f122527d9b7056688b9d2c504bbfb812cc04409381f7ac5b09cd3ef194b9e029"),
        ],
        counterexamples: &["LIBRATO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIBRATO_TOKEN=<your-librato-key>", "LIBRATO_TOKEN=0aa5c7f4de79dd2a64d16fb26bbd1595c71edd42c3d1fcf0cbb648b52829b85"],
        ..NAMED
    },
    Builtin {
        id: "chronosphere_api_token",
        provider: "chronosphere",
        description: "Chronosphere API token beside a Chronosphere key name",
        keywords: &["chronosphere"],
        pattern: concat!(r"(?-u)(?i:chronosphere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("CHRONOSPHERE_API_TOKEN=8b421bcf32ed8b00dfb63a6ad7fda178bd59508a101f2c45cac9eba377e24dae", "8b421bcf32ed8b00dfb63a6ad7fda178bd59508a101f2c45cac9eba377e24dae"),
            (r#"{"chronosphere_token":"c7a715c4b2047f6c776d4d40955658d807814300f5a2e00a0a4959fe39df7c94"}"#, "c7a715c4b2047f6c776d4d40955658d807814300f5a2e00a0a4959fe39df7c94"),
        ],
        counterexamples: &["CHRONOSPHERE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHRONOSPHERE_API_TOKEN=<your-chronosphere-key>", "CHRONOSPHERE_API_TOKEN=ca95234b94714a25d30b52f70692da818b425f26171dcd6892f302bb5e015ec"],
        ..NAMED
    },
];
