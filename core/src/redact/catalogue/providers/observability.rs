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
            (r#"HONEYCOMB_INGEST_KEY="hcaik_tx8012lx1jj9cgwjle2gbd1xjreb2elqqo9l5f5abcbm84isx8o3shrwr7""#, "hcaik_tx8012lx1jj9cgwjle2gbd1xjreb2elqqo9l5f5abcbm84isx8o3shrwr7"),
            ("env HONEYCOMB_INGEST_KEY=hcxik_5sw6riqpvx2em6tzvyvcn5qf171khitrwyzisopq4huvo7u6j51skvjixe ./deploy.sh", "hcxik_5sw6riqpvx2em6tzvyvcn5qf171khitrwyzisopq4huvo7u6j51skvjixe"),
        ],
        counterexamples: &["hcaik_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hcaik_1234567890", "hcaik_xbrauakwq6z5vkearctjfekjywpd2eyshp5agr2iey8ddl8pwiua63if6"],
        ..PREFIXED
    },
    Builtin {
        id: "honeycomb_api_key",
        provider: "honeycomb",
        description: "Honeycomb configuration key (22 or 32) beside a Honeycomb key name or X-Honeycomb-Team header",
        keywords: &["honeycomb"],
        pattern: concat!(r"(?-u)(?i:honeycomb)[A-Za-z0-9_.-]{0,24}?(?i:key|team|token)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22})", end_url!()),
        examples: &[
            ("  HONEYCOMB_API_KEY: zKaRbTIIaq6NC1vgkrioGV", "zKaRbTIIaq6NC1vgkrioGV"),
            (r#"export x-honeycomb-team="DLmbqO01dAxPD2cee0VQ1o""#, "DLmbqO01dAxPD2cee0VQ1o"),
        ],
        counterexamples: &["HONEYCOMB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HONEYCOMB_API_KEY=<your-honeycomb-key>", "HONEYCOMB_API_KEY=U4EsvmjYwoXJt4l57RQ8x"],
        ..NAMED
    },
    Builtin {
        id: "grafana_legacy_api_key",
        provider: "grafana",
        description: "Grafana legacy API key (base64 JSON starting {\"k\":)",
        keywords: &["eyJrIjoi"],
        pattern: concat!(r#"(?-u)(?P<token>eyJrIjoi(?P<secret>[A-Za-z0-9+/]{40,120}=))"#, end_b64!()),
        examples: &[
            ("export GRAFANA_LEGACY_API_KEY=eyJrIjoi4/Ch8h57G1Crj0haYRwJ97FH30eWK0UkcHjXhPMUYmO5tsV7HGp=", "eyJrIjoi4/Ch8h57G1Crj0haYRwJ97FH30eWK0UkcHjXhPMUYmO5tsV7HGp="),
            (r#"grafana_legacy_api_key = "eyJrIjoiYmhMZf2OQDD80B0S+BvHBNzlgIWE33FhiastguVUXpX=""#, "eyJrIjoiYmhMZf2OQDD80B0S+BvHBNzlgIWE33FhiastguVUXpX="),
        ],
        counterexamples: &["eyJrIjoixxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJrIjoi1234567890", "eyJrIjoihYlUpbxMeBVqrtMg8YUBzPMb7pgKrarZDls7GX3="],
        ..PREFIXED
    },
    Builtin {
        id: "pagerduty_api_key",
        provider: "pagerduty",
        description: "PagerDuty REST API key (20, u+ for user keys) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u\+[A-Za-z0-9_-]{18})", end_url!()),
        examples: &[
            (r#"PAGERDUTY_API_KEY: "u+SG9Cyps8ak9WnapDcx""#, "u+SG9Cyps8ak9WnapDcx"),
            ("pagerduty_token = u+YL62D5FSrumxG-pkn8", "u+YL62D5FSrumxG-pkn8"),
        ],
        counterexamples: &["PAGERDUTY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_API_KEY=<your-pagerduty-key>", "PAGERDUTY_API_KEY=u+wshqt2JigtL4RIk9z"],
        ..NAMED
    },
    Builtin {
        id: "pagerduty_integration_key",
        provider: "pagerduty",
        description: "PagerDuty Events integration / routing key (32 hex) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export PAGERDUTY_INTEGRATION_KEY="dcd87734e5314f84bd2dc237b28d3364""#, "dcd87734e5314f84bd2dc237b28d3364"),
            ("  pagerduty_routing_key: b64fa25d8f0cdc9fc20212c17a1f64b2", "b64fa25d8f0cdc9fc20212c17a1f64b2"),
        ],
        counterexamples: &["PAGERDUTY_INTEGRATION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_INTEGRATION_KEY=<your-pagerduty-key>", "PAGERDUTY_INTEGRATION_KEY=c635357ff8093077a63327f72c5b51b"],
        ..NAMED
    },
    Builtin {
        id: "opsgenie_api_key",
        provider: "opsgenie",
        description: "Opsgenie API key (UUID) beside an Opsgenie key name",
        keywords: &["opsgenie"],
        pattern: concat!(r"(?-u)(?i:opsgenie)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"OPSGENIE_API_KEY":"6cc74c52-f0b4-5673-2891-214aa00273b5"}"#, "6cc74c52-f0b4-5673-2891-214aa00273b5"),
            ("opsgenie_key=a0296808-8e45-6272-403e-2bb0ae13b894", "a0296808-8e45-6272-403e-2bb0ae13b894"),
        ],
        counterexamples: &["OPSGENIE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPSGENIE_API_KEY=<your-opsgenie-key>", "OPSGENIE_API_KEY=d512884f-6072-f79c-e4ea-12b2296d75e"],
        ..NAMED
    },
    Builtin {
        id: "splunk_hec_token",
        provider: "splunk",
        description: "Splunk HTTP Event Collector token (UUID) beside a Splunk key name or `Splunk` auth scheme",
        keywords: &["splunk"],
        pattern: concat!(r"(?-u)(?i:splunk)[A-Za-z0-9_.-]{0,24}?(?i:token|key|hec)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("SPLUNK_HEC_TOKEN = a3a41115-8793-4a08-d3cb-192062a0bfa5", "a3a41115-8793-4a08-d3cb-192062a0bfa5"),
            (r#"splunk_token: "7ca7c9af-a64d-11ce-8202-b8da3567b27d""#, "7ca7c9af-a64d-11ce-8202-b8da3567b27d"),
        ],
        counterexamples: &["SPLUNK_HEC_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPLUNK_HEC_TOKEN=<your-splunk-key>", "SPLUNK_HEC_TOKEN=cf1adc2f-0fa3-c7d4-ed7f-bf48440f748"],
        ..NAMED
    },
    Builtin {
        id: "sumologic_access_key",
        provider: "sumologic",
        description: "Sumo Logic access key (64) beside a Sumo Logic key name",
        keywords: &["sumo"],
        pattern: concat!(r"(?-u)(?i:sumo(?:logic)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("  SUMO_ACCESS_KEY: KxLKUdNVaGJ9XSgliLQ0PuhHOmWk4dwcBQL9SNR2K281X9f9NbRYGl5lCJBIqCSk", "KxLKUdNVaGJ9XSgliLQ0PuhHOmWk4dwcBQL9SNR2K281X9f9NbRYGl5lCJBIqCSk"),
            (r#"export sumologic_access_key="9IkdZXAxpRYO4lR782XFI6cObM3LTppkD3tZdsvpdArHYlu8Q9f7vCcAGJqiHkxq""#, "9IkdZXAxpRYO4lR782XFI6cObM3LTppkD3tZdsvpdArHYlu8Q9f7vCcAGJqiHkxq"),
        ],
        counterexamples: &["SUMO_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SUMO_ACCESS_KEY=<your-sumologic-key>", "SUMO_ACCESS_KEY=3YfmODTuKpmFnjiFwxQbENRWNZSJHcFvQ8ubmlcZ5Dp1MaEtrweC5Dz1mMkkAWq"],
        ..NAMED
    },
    Builtin {
        id: "logzio_token",
        provider: "logzio",
        description: "Logz.io shipping / API token (32) beside a Logz.io key name",
        keywords: &["logzio", "logz.io", "logz_io", "logz-io"],
        pattern: concat!(r"(?-u)(?i:logz[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("LOGZIO_TOKEN=0WX7Y1DqICCGkoe20bO32eQ7t2R47t9L", "0WX7Y1DqICCGkoe20bO32eQ7t2R47t9L"),
            (r#"{"logzio_api_token":"JdCn82KWhYGdynBKwFR4uWsWpberyr8x"}"#, "JdCn82KWhYGdynBKwFR4uWsWpberyr8x"),
        ],
        counterexamples: &["LOGZIO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGZIO_TOKEN=<your-logzio-key>", "LOGZIO_TOKEN=oHPiSEJ5vzaDPXuwIWnGGghm3Gh0Rax"],
        ..NAMED
    },
    Builtin {
        id: "loggly_token",
        provider: "loggly",
        description: "Loggly customer token (UUID) beside a Loggly key name",
        keywords: &["loggly"],
        pattern: concat!(r"(?-u)(?i:loggly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"LOGGLY_TOKEN: "5be1ca82-ae85-549f-469a-bd9e864e1b1f""#, "5be1ca82-ae85-549f-469a-bd9e864e1b1f"),
            ("loggly_customer_token = 4855267a-e5b7-f673-64d3-3255eaf4d3d8", "4855267a-e5b7-f673-64d3-3255eaf4d3d8"),
        ],
        counterexamples: &["LOGGLY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGGLY_TOKEN=<your-loggly-key>", "LOGGLY_TOKEN=650ffecd-a090-5e4f-d33e-8bb82840d7c"],
        ..NAMED
    },
    Builtin {
        id: "papertrail_token",
        provider: "papertrail",
        description: "Papertrail API token (20) beside a Papertrail key name",
        keywords: &["papertrail"],
        pattern: concat!(r"(?-u)(?i:papertrail)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            (r#"export PAPERTRAIL_API_TOKEN="ORA66vAujWkrx9UFdxJK""#, "ORA66vAujWkrx9UFdxJK"),
            ("  papertrail_token: C77qAI5LNgYXBXP9fgKp", "C77qAI5LNgYXBXP9fgKp"),
        ],
        counterexamples: &["PAPERTRAIL_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAPERTRAIL_API_TOKEN=<your-papertrail-key>", "PAPERTRAIL_API_TOKEN=gY6AtFmIzcJ6Xfsmlzf"],
        ..NAMED
    },
    Builtin {
        id: "rollbar_token",
        provider: "rollbar",
        description: "Rollbar access token (32 hex) beside a Rollbar key name",
        keywords: &["rollbar"],
        pattern: concat!(r"(?-u)(?i:rollbar)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ROLLBAR_ACCESS_TOKEN":"64d6f3e5f7fbae11992330294b024da4"}"#, "64d6f3e5f7fbae11992330294b024da4"),
            ("rollbar_token=03c01de1925270ecbb64e2ba234a29ad", "03c01de1925270ecbb64e2ba234a29ad"),
        ],
        counterexamples: &["ROLLBAR_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROLLBAR_ACCESS_TOKEN=<your-rollbar-key>", "ROLLBAR_ACCESS_TOKEN=558a9076020717aacda65ca94253183"],
        ..NAMED
    },
    Builtin {
        id: "bugsnag_api_key",
        provider: "bugsnag",
        description: "Bugsnag API / auth key (32 hex) beside a Bugsnag key name",
        keywords: &["bugsnag"],
        pattern: concat!(r"(?-u)(?i:bugsnag)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("BUGSNAG_API_KEY = 1353b704aace4fd5172620047802030a", "1353b704aace4fd5172620047802030a"),
            (r#"bugsnag_auth_token: "403b8e0ea89f0aebac08af1ca96be88b""#, "403b8e0ea89f0aebac08af1ca96be88b"),
        ],
        counterexamples: &["BUGSNAG_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUGSNAG_API_KEY=<your-bugsnag-key>", "BUGSNAG_API_KEY=9ec420309a413b8603465be07141de7"],
        ..NAMED
    },
    Builtin {
        id: "raygun_api_key",
        provider: "raygun",
        description: "Raygun API key / PAT beside a Raygun key name",
        keywords: &["raygun"],
        pattern: concat!(r"(?-u)(?i:raygun)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22,43})", end_url!()),
        examples: &[
            ("  RAYGUN_API_KEY: 7kjcmCxvyRuVK0JdcUOX85EcRC", "7kjcmCxvyRuVK0JdcUOX85EcRC"),
            (r#"export raygun_token="1MbcLf1HMAhdJlaFqoZzaVI""#, "1MbcLf1HMAhdJlaFqoZzaVI"),
        ],
        counterexamples: &["RAYGUN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAYGUN_API_KEY=<your-raygun-key>", "RAYGUN_API_KEY=YUaoIwtuq7iR24DLXd8UN"],
        ..NAMED
    },
    Builtin {
        id: "airbrake_project_key",
        provider: "airbrake",
        description: "Airbrake project key / user token (32 hex) beside an Airbrake key name",
        keywords: &["airbrake"],
        pattern: concat!(r"(?-u)(?i:airbrake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("AIRBRAKE_PROJECT_KEY=cbd2322995c79396d7aed1901b8ba89c", "cbd2322995c79396d7aed1901b8ba89c"),
            (r#"{"airbrake_api_key":"e381db968146cd2051755e2b217e954d"}"#, "e381db968146cd2051755e2b217e954d"),
        ],
        counterexamples: &["AIRBRAKE_PROJECT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIRBRAKE_PROJECT_KEY=<your-airbrake-key>", "AIRBRAKE_PROJECT_KEY=77da446a6f641a82d7916cf52015feb"],
        ..NAMED
    },
    Builtin {
        id: "honeybadger_pat",
        provider: "honeybadger",
        description: "Honeybadger personal auth token (hbp_ + 36)",
        keywords: &["hbp_"],
        pattern: prefixed!(r"hbp_", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("Authorization: Bearer hbp_L99gV5ZNQ8Eu6k3J16HzT0PZh6BtxE8Px6bM", "hbp_L99gV5ZNQ8Eu6k3J16HzT0PZh6BtxE8Px6bM"),
            ("curl -s -H 'Authorization: Bearer hbp_pAVoaKDdkMUIPWdNyoogJTm2mRR5k4FXLZXP' https://api.example.net/v1/me", "hbp_pAVoaKDdkMUIPWdNyoogJTm2mRR5k4FXLZXP"),
        ],
        counterexamples: &["hbp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hbp_1234567890", "hbp_l4JrVeSJW3yNbtCuleMlB3Y7JJtffgVTQxg"],
        ..PREFIXED
    },
    Builtin {
        id: "lightstep_token",
        provider: "lightstep",
        description: "Lightstep / ServiceNow Cloud Observability access token beside a Lightstep key name",
        keywords: &["lightstep"],
        pattern: concat!(r"(?-u)(?i:lightstep)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{84,200})", end_url!()),
        examples: &[
            (r#"export LIGHTSTEP_ACCESS_TOKEN="VDN15i4JFlYYnZbovD0YK_V8Pp_NOkruwhPyFOXEYrKXmy6DdqWSZLC5RYcp6-hLqcjdDEEyrQq7zLq9cMvxh0NRVpGL""#, "VDN15i4JFlYYnZbovD0YK_V8Pp_NOkruwhPyFOXEYrKXmy6DdqWSZLC5RYcp6-hLqcjdDEEyrQq7zLq9cMvxh0NRVpGL"),
            ("  lightstep_token: ri3Yw5l5ViSA18uPPzCG6eB53Wt_fxZlcPUQVYsoAjFwQbbM2JLYi65GnWIuHr49hTyNhT8lmNXE2Fb703ceivPGB4", "ri3Yw5l5ViSA18uPPzCG6eB53Wt_fxZlcPUQVYsoAjFwQbbM2JLYi65GnWIuHr49hTyNhT8lmNXE2Fb703ceivPGB4"),
        ],
        counterexamples: &["LIGHTSTEP_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIGHTSTEP_ACCESS_TOKEN=<your-lightstep-key>", "LIGHTSTEP_ACCESS_TOKEN=MibpUlWK42PSUW_sK4syehGyiCzxFd7LDNdpgbsq3UKceqO9W1iH-__yk7PJgmFH36w8KcoGYtGtwJq0vyG"],
        ..NAMED
    },
    Builtin {
        id: "instana_api_token",
        provider: "instana",
        description: "Instana API / agent key beside an Instana key name",
        keywords: &["instana"],
        pattern: concat!(r"(?-u)(?i:instana)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"INSTANA_API_TOKEN":"EszXFsXpdQKzUCis71Jq65"}"#, "EszXFsXpdQKzUCis71Jq65"),
            ("instana_agent_key=hffSZx-LDrh7nViqkDSh4S", "hffSZx-LDrh7nViqkDSh4S"),
        ],
        counterexamples: &["INSTANA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INSTANA_API_TOKEN=<your-instana-key>", "INSTANA_API_TOKEN=GDsS9SO3CjL--c32j4H9R"],
        ..NAMED
    },
    Builtin {
        id: "elastic_cloud_api_key",
        provider: "elastic",
        description: "Elastic Cloud API key (essu_ + base64)",
        keywords: &["essu_"],
        pattern: concat!(r#"(?-u)(?P<token>essu_(?P<secret>[A-Za-z0-9+/]{60,120}))"#, end_b64!()),
        examples: &[
            (r#"ELASTIC_CLOUD_API_KEY="essu_l/n5Fv27W7te27DCqVSQ+pW2wYed+vykRjjlCeilBph9Qp/95CsUZEB1A5VU/Bi""#, "essu_l/n5Fv27W7te27DCqVSQ+pW2wYed+vykRjjlCeilBph9Qp/95CsUZEB1A5VU/Bi"),
            ("env ELASTIC_CLOUD_API_KEY=essu_sejayeMNWUV3VnjjBscWl9BwxDKlby3taUCn0cGrIQwx4I+QrtvZSHskn1boH ./deploy.sh", "essu_sejayeMNWUV3VnjjBscWl9BwxDKlby3taUCn0cGrIQwx4I+QrtvZSHskn1boH"),
        ],
        counterexamples: &["essu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like essu_1234567890", "essu_SaxUUJ76piTidTFucmDvcMT3duouIEsajNJftmXIHVZsKb9cs9D9JB2EDw1"],
        ..PREFIXED
    },
    Builtin {
        id: "elasticsearch_api_key",
        provider: "elastic",
        description: "Elasticsearch API key (base64 of id:key) beside an Elastic key name",
        keywords: &["elastic"],
        pattern: concat!(r"(?-u)(?i:elastic(?:search)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{58}==)", end_b64!()),
        examples: &[
            ("  ELASTIC_API_KEY: cy7ybG1C4UNaX4jbC/xcOSWkSHqQTIiCbqW9AOAQPj0VVAvb74778Zw8Al==", "cy7ybG1C4UNaX4jbC/xcOSWkSHqQTIiCbqW9AOAQPj0VVAvb74778Zw8Al=="),
            (r#"export elasticsearch_api_key="WtDeDgWnFXt63eFH2jvR7cpHn3tmkw7PVADBk1mdB9JQxGzCeEJYhAIHv9==""#, "WtDeDgWnFXt63eFH2jvR7cpHn3tmkw7PVADBk1mdB9JQxGzCeEJYhAIHv9=="),
        ],
        counterexamples: &["ELASTIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELASTIC_API_KEY=<your-elastic-key>", "ELASTIC_API_KEY=0ky0zu2QraXm6UsLOccdxj1U7leEjPoGEPVG5zgJGCtR5+tv5KtuYEM8y=="],
        ..NAMED
    },
    Builtin {
        id: "axiom_token",
        provider: "axiom",
        description: "Axiom API (xaat-) and personal (xapt-) tokens (+ UUID)",
        keywords: &["xaat-", "xapt-"],
        pattern: prefixed!(r"(?:xaat-|xapt-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"axiom_token = "xaat-80fdb388-3764-5098-6673-9d953a963cd0""#, "xaat-80fdb388-3764-5098-6673-9d953a963cd0"),
            ("export AXIOM_TOKEN=xapt-f5542833-6b5e-7ae9-3f88-5fb04d5b58e4", "xapt-f5542833-6b5e-7ae9-3f88-5fb04d5b58e4"),
        ],
        counterexamples: &["xaat-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like xaat-1234567890", "xaat-dc4f11c3-f3aa-a593-36cd-99f66cb3640"],
        ..PREFIXED
    },
    Builtin {
        id: "checkly_api_key",
        provider: "checkly",
        description: "Checkly API key (cu_ + 32 hex)",
        keywords: &["cu_"],
        pattern: prefixed!(r"cu_", r"[a-f0-9]{32}"),
        examples: &[
            (r#"level=info msg="auth ok" key=cu_cf89379b6f0991da2bb2614b2fa68fa5"#, "cu_cf89379b6f0991da2bb2614b2fa68fa5"),
            ("docker run -e CHECKLY_API_KEY=cu_a7e17f4396b4795aabbd057461f0326f app:latest", "cu_a7e17f4396b4795aabbd057461f0326f"),
        ],
        counterexamples: &["cu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cu_1234567890", "cu_2a3497e58f0f205c00743bff28a22e7"],
        ..PREFIXED
    },
    Builtin {
        id: "cronitor_api_key",
        provider: "cronitor",
        description: "Cronitor API key (32) beside a Cronitor key name",
        keywords: &["cronitor"],
        pattern: concat!(r"(?-u)(?i:cronitor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export CRONITOR_API_KEY="5rjjM5ezRA2A6DIil3oIyn5nhk24Csek""#, "5rjjM5ezRA2A6DIil3oIyn5nhk24Csek"),
            ("  cronitor_key: Oi3QYjkamDdmuVJAU8KLFo2fyRSkRyHn", "Oi3QYjkamDdmuVJAU8KLFo2fyRSkRyHn"),
        ],
        counterexamples: &["CRONITOR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CRONITOR_API_KEY=<your-cronitor-key>", "CRONITOR_API_KEY=icuPKMRVug0ib4gyOYom3QoG43MIgHM"],
        ..NAMED
    },
    Builtin {
        id: "uptimerobot_api_key",
        provider: "uptimerobot",
        description: "UptimeRobot API key (u / m / ur + digits - 24 hex) beside an UptimeRobot key name",
        keywords: &["uptimerobot", "uptime_robot", "uptime-robot"],
        pattern: concat!(r"(?-u)(?i:uptime[_-]?robot)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u[0-9]{7}-[a-f0-9]{24})", end_url!()),
        examples: &[
            (r#"{"UPTIMEROBOT_API_KEY":"u3804047-e49385d5e5f1bb69a8210d91"}"#, "u3804047-e49385d5e5f1bb69a8210d91"),
            ("uptime_robot_key=u9208386-9ec0a73632c840ad17388fa0", "u9208386-9ec0a73632c840ad17388fa0"),
        ],
        counterexamples: &["UPTIMEROBOT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPTIMEROBOT_API_KEY=<your-uptimerobot-key>", "UPTIMEROBOT_API_KEY=u2173726-732b53aa4142b4b275572f9"],
        ..NAMED
    },
    Builtin {
        id: "statuspage_api_key",
        provider: "statuspage",
        description: "Atlassian Statuspage API key (UUID) beside a Statuspage key name",
        keywords: &["statuspage"],
        pattern: concat!(r"(?-u)(?i:statuspage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("STATUSPAGE_API_KEY = 6a513e49-b67a-c555-929e-706199c18911", "6a513e49-b67a-c555-929e-706199c18911"),
            (r#"statuspage_token: "e66910fd-c685-ea4c-e380-8a9a2b32b8f2""#, "e66910fd-c685-ea4c-e380-8a9a2b32b8f2"),
        ],
        counterexamples: &["STATUSPAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STATUSPAGE_API_KEY=<your-statuspage-key>", "STATUSPAGE_API_KEY=8fe0407c-e96d-5e48-8da2-0965f988ffe"],
        ..NAMED
    },
    Builtin {
        id: "betterstack_token",
        provider: "betterstack",
        description: "Better Stack / Logtail source token (24) beside a Better Stack or Logtail key name",
        keywords: &["logtail", "betterstack", "better_stack", "better-stack", "betteruptime"],
        pattern: concat!(r"(?-u)(?i:logtail|better[_-]?stack|betteruptime)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOGTAIL_SOURCE_TOKEN: 9j1bf7AMbLZn9dq9OW3qkEKJ", "9j1bf7AMbLZn9dq9OW3qkEKJ"),
            (r#"export BETTERSTACK_API_TOKEN="4TUu0euKbIjfGvj20Z640wpz""#, "4TUu0euKbIjfGvj20Z640wpz"),
        ],
        counterexamples: &["LOGTAIL_SOURCE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGTAIL_SOURCE_TOKEN=<your-betterstack-key>", "LOGTAIL_SOURCE_TOKEN=u1KsVHWmzBtJstFW5QD8ZOG"],
        ..NAMED
    },
    Builtin {
        id: "coralogix_key",
        provider: "coralogix",
        description: "Coralogix send-your-data / API key (cxtp_ + 30)",
        keywords: &["cxtp_"],
        pattern: prefixed!(r"cxtp_", r"[A-Za-z0-9]{30}"),
        examples: &[
            ("env CORALOGIX_KEY=cxtp_KVC6MSoQQJyU2knnmbLdslkWvIFH0o ./deploy.sh", "cxtp_KVC6MSoQQJyU2knnmbLdslkWvIFH0o"),
            ("docker run -e CORALOGIX_KEY=cxtp_y1i1tahjt0etAJgPi8Ry5Kmlz0BweT app:latest", "cxtp_y1i1tahjt0etAJgPi8Ry5Kmlz0BweT"),
        ],
        counterexamples: &["cxtp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cxtp_1234567890", "cxtp_Z877ciH7goCTbZ9bDTleoVvS2JEgJ"],
        ..PREFIXED
    },
    Builtin {
        id: "newrelic_legacy_key",
        provider: "newrelic",
        description: "New Relic legacy REST API / insert key (40 or 47) beside a New Relic key name",
        keywords: &["newrelic", "new_relic", "new-relic"],
        pattern: concat!(r"(?-u)(?i:new[_-]?relic)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"NEW_RELIC_API_KEY: "638df7043fc6214037e7314ac58773712a1617a7""#, "638df7043fc6214037e7314ac58773712a1617a7"),
            ("newrelic_insert_key = c95493e48c7e401fc1c8fd3d242138d5972ad2e8", "c95493e48c7e401fc1c8fd3d242138d5972ad2e8"),
        ],
        counterexamples: &["NEW_RELIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NEW_RELIC_API_KEY=<your-newrelic-key>", "NEW_RELIC_API_KEY=d79d677fd0a88920348d897f0e7bad094739f22"],
        ..NAMED
    },
    Builtin {
        id: "appdynamics_token",
        provider: "appdynamics",
        description: "AppDynamics access key / client secret beside an AppDynamics key name",
        keywords: &["appdynamics"],
        pattern: concat!(r"(?-u)(?i:appdynamics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{36})", end_url!()),
        examples: &[
            (r#"export APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY="yoAVv7HAPcsBUfpnNgrKMaDojrm4LM6qmrqL""#, "yoAVv7HAPcsBUfpnNgrKMaDojrm4LM6qmrqL"),
            ("  appdynamics_secret: ip1ewx2TP7wXfqPUDhgNv6A1RvWonZRawqxN", "ip1ewx2TP7wXfqPUDhgNv6A1RvWonZRawqxN"),
        ],
        counterexamples: &["APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=<your-appdynamics-key>", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=f0QPNHzGztyhxv8mVOws5lRfmuq9JB5noc8"],
        ..NAMED
    },
    Builtin {
        id: "signalfx_token",
        provider: "signalfx",
        description: "Splunk Observability (SignalFx) access token (22) beside a SignalFx key name",
        keywords: &["signalfx", "sfx_"],
        pattern: concat!(r"(?-u)(?i:signalfx|sfx)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"SIGNALFX_ACCESS_TOKEN":"0ImTSgCGZ1wf1xv5qIGRqS"}"#, "0ImTSgCGZ1wf1xv5qIGRqS"),
            ("sfx_token=WHwW1xzL6V2u3Fk2krNUx3", "WHwW1xzL6V2u3Fk2krNUx3"),
        ],
        counterexamples: &["SIGNALFX_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SIGNALFX_ACCESS_TOKEN=<your-signalfx-key>", "SIGNALFX_ACCESS_TOKEN=lgG-YjL-X7G_xRlGZ_G8K"],
        ..NAMED
    },
    Builtin {
        id: "scout_apm_key",
        provider: "scout",
        description: "Scout APM key (20) beside a Scout key name",
        keywords: &["scout"],
        pattern: concat!(r"(?-u)(?i:scout)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("SCOUT_KEY = 313aB0HBIxJhFMAq1m5p", "313aB0HBIxJhFMAq1m5p"),
            (r#"scout_apm_key: "iIoO1r5pJ6ICxWlthZu6""#, "iIoO1r5pJ6ICxWlthZu6"),
        ],
        counterexamples: &["SCOUT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCOUT_KEY=<your-scout-key>", "SCOUT_KEY=I6pk5pRlscdt2Ur9a2j"],
        ..NAMED
    },
    Builtin {
        id: "librato_token",
        provider: "librato",
        description: "Librato / AppOptics token (64 hex) beside a Librato key name",
        keywords: &["librato", "appoptics"],
        pattern: concat!(r"(?-u)(?i:librato|appoptics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("  LIBRATO_TOKEN: 2004d15f93100273d1979427b454b1c5fa2c0c80cd2fff0f332dc60ed2001835", "2004d15f93100273d1979427b454b1c5fa2c0c80cd2fff0f332dc60ed2001835"),
            (r#"export appoptics_api_token="ed8c1864c934c14dbfa373c9be1ee9cb5a1b00487d0302559f37a7462f4306b1""#, "ed8c1864c934c14dbfa373c9be1ee9cb5a1b00487d0302559f37a7462f4306b1"),
        ],
        counterexamples: &["LIBRATO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIBRATO_TOKEN=<your-librato-key>", "LIBRATO_TOKEN=2e5f60a28270b845ed5d7a2a6af9458ab94dfff7ae7aab657c18f4ca8e8c391"],
        ..NAMED
    },
    Builtin {
        id: "chronosphere_api_token",
        provider: "chronosphere",
        description: "Chronosphere API token beside a Chronosphere key name",
        keywords: &["chronosphere"],
        pattern: concat!(r"(?-u)(?i:chronosphere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("CHRONOSPHERE_API_TOKEN=7379b372b3cf5b6eafdbce1bda36ac1975371a976b20b48e95bd817a06cf62b8", "7379b372b3cf5b6eafdbce1bda36ac1975371a976b20b48e95bd817a06cf62b8"),
            (r#"{"chronosphere_token":"6457f31fa9a26527fa73fa96d778f0072d172b6945855aa7e20dfbe218881a0e"}"#, "6457f31fa9a26527fa73fa96d778f0072d172b6945855aa7e20dfbe218881a0e"),
        ],
        counterexamples: &["CHRONOSPHERE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHRONOSPHERE_API_TOKEN=<your-chronosphere-key>", "CHRONOSPHERE_API_TOKEN=48ebeb65cfdd615089210ec6d26db25e92f3e9f631463a895ebc710acf73d9f"],
        ..NAMED
    },
];
