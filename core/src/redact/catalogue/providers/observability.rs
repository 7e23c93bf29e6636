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
            (r#"honeycomb_ingest_key = "hcaik_yaap9jgx44fruef2o7srjjez0038ilo8ynnhk2sekaijkam3dmu905ofyk""#, "hcaik_yaap9jgx44fruef2o7srjjez0038ilo8ynnhk2sekaijkam3dmu905ofyk"),
            ("export HONEYCOMB_INGEST_KEY=hcxik_7ncicuugibgyomo68g7hn7bsds2x83jsgql1k3k4dww79mt66uqfca0tcr", "hcxik_7ncicuugibgyomo68g7hn7bsds2x83jsgql1k3k4dww79mt66uqfca0tcr"),
        ],
        counterexamples: &["hcaik_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hcaik_1234567890", "hcaik_b6p7zls3zavognhfyrj76bv1do9hrr5ubxkf3o3kz1ohewkguujcjfwix"],
        ..PREFIXED
    },
    Builtin {
        id: "honeycomb_api_key",
        provider: "honeycomb",
        description: "Honeycomb configuration key (22 or 32) beside a Honeycomb key name or X-Honeycomb-Team header",
        keywords: &["honeycomb"],
        pattern: concat!(r"(?-u)(?i:honeycomb)[A-Za-z0-9_.-]{0,24}?(?i:key|team|token)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22})", end_url!()),
        examples: &[
            ("  HONEYCOMB_API_KEY: okkKVpeEsHcM4m9S5u74lX", "okkKVpeEsHcM4m9S5u74lX"),
            (r#"export x-honeycomb-team="UYzNsUe1Jt2DppPanQdtTs""#, "UYzNsUe1Jt2DppPanQdtTs"),
        ],
        counterexamples: &["HONEYCOMB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HONEYCOMB_API_KEY=<your-honeycomb-key>", "HONEYCOMB_API_KEY=4ZdTNq2sd4I4dhDnT1nSt"],
        ..NAMED
    },
    Builtin {
        id: "grafana_legacy_api_key",
        provider: "grafana",
        description: "Grafana legacy API key (base64 JSON starting {\"k\":)",
        keywords: &["eyJrIjoi"],
        pattern: concat!(r#"(?-u)(?P<token>eyJrIjoi(?P<secret>[A-Za-z0-9+/]{40,120}=))"#, end_b64!()),
        examples: &[
            ("export GRAFANA_LEGACY_API_KEY=eyJrIjoi93XYyIvG6OsZG7nHd1JRNQjTnlTG9l/I85dqcDYU=", "eyJrIjoi93XYyIvG6OsZG7nHd1JRNQjTnlTG9l/I85dqcDYU="),
            (r#"grafana_legacy_api_key = "eyJrIjoi5KA1jv4qGnI0QjbcMzv/KJG+95/sdk0dAhGGu8XPiOcskQsSEYW=""#, "eyJrIjoi5KA1jv4qGnI0QjbcMzv/KJG+95/sdk0dAhGGu8XPiOcskQsSEYW="),
        ],
        counterexamples: &["eyJrIjoixxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJrIjoi1234567890", "eyJrIjoiKzZ2MKM+6974CWvBBychLxuR/C6WqNbosNiM1nq="],
        ..PREFIXED
    },
    Builtin {
        id: "pagerduty_api_key",
        provider: "pagerduty",
        description: "PagerDuty REST API key (20, u+ for user keys) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u\+[A-Za-z0-9_-]{18})", end_url!()),
        examples: &[
            (r#"PAGERDUTY_API_KEY: "u+yxZ3Si3eqmD4dc6xiD""#, "u+yxZ3Si3eqmD4dc6xiD"),
            ("pagerduty_token = u+9mcynI3_Cbsn8Xyjfr", "u+9mcynI3_Cbsn8Xyjfr"),
        ],
        counterexamples: &["PAGERDUTY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_API_KEY=<your-pagerduty-key>", "PAGERDUTY_API_KEY=u+nC7FperOYwGDEpDhi"],
        ..NAMED
    },
    Builtin {
        id: "pagerduty_integration_key",
        provider: "pagerduty",
        description: "PagerDuty Events integration / routing key (32 hex) beside a PagerDuty key name",
        keywords: &["pagerduty"],
        pattern: concat!(r"(?-u)(?i:pagerduty)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export PAGERDUTY_INTEGRATION_KEY="1617a70c95493e48c7e401fc1c8fd3d2""#, "1617a70c95493e48c7e401fc1c8fd3d2"),
            ("  pagerduty_routing_key: 2138d5972ad2e83d79d677fd0a889203", "2138d5972ad2e83d79d677fd0a889203"),
        ],
        counterexamples: &["PAGERDUTY_INTEGRATION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAGERDUTY_INTEGRATION_KEY=<your-pagerduty-key>", "PAGERDUTY_INTEGRATION_KEY=8d897f0e7bad094739f221c7dad19d2"],
        ..NAMED
    },
    Builtin {
        id: "opsgenie_api_key",
        provider: "opsgenie",
        description: "Opsgenie API key (UUID) beside an Opsgenie key name",
        keywords: &["opsgenie"],
        pattern: concat!(r"(?-u)(?i:opsgenie)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"OPSGENIE_API_KEY":"6380e748-8688-472b-b28e-3ada760b8bf2"}"#, "6380e748-8688-472b-b28e-3ada760b8bf2"),
            ("opsgenie_key=c9c3ba6b-526a-d671-d83b-9b5d6218fc29", "c9c3ba6b-526a-d671-d83b-9b5d6218fc29"),
        ],
        counterexamples: &["OPSGENIE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPSGENIE_API_KEY=<your-opsgenie-key>", "OPSGENIE_API_KEY=ce8f5a28-f8f9-0ddb-fd86-54787eb593a"],
        ..NAMED
    },
    Builtin {
        id: "splunk_hec_token",
        provider: "splunk",
        description: "Splunk HTTP Event Collector token (UUID) beside a Splunk key name or `Splunk` auth scheme",
        keywords: &["splunk"],
        pattern: concat!(r"(?-u)(?i:splunk)[A-Za-z0-9_.-]{0,24}?(?i:token|key|hec)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("SPLUNK_HEC_TOKEN = d15f9310-273d-9794-7b45-306b172e5f60", "d15f9310-273d-9794-7b45-306b172e5f60"),
            (r#"splunk_token: "28270b84-ed5d-a2a6-f945-aab657c18f4c""#, "28270b84-ed5d-a2a6-f945-aab657c18f4c"),
        ],
        counterexamples: &["SPLUNK_HEC_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPLUNK_HEC_TOKEN=<your-splunk-key>", "SPLUNK_HEC_TOKEN=8e8c391a-379b-72b3-f5b6-afdbce1bda3"],
        ..NAMED
    },
    Builtin {
        id: "sumologic_access_key",
        provider: "sumologic",
        description: "Sumo Logic access key (64) beside a Sumo Logic key name",
        keywords: &["sumo"],
        pattern: concat!(r"(?-u)(?i:sumo(?:logic)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("  SUMO_ACCESS_KEY: v3z1Icsokg0I1K6pTS33277cvUspPnT6TweaXxjqCtkQxQ2Z7AqWcPU7pvS1bn96", "v3z1Icsokg0I1K6pTS33277cvUspPnT6TweaXxjqCtkQxQ2Z7AqWcPU7pvS1bn96"),
            (r#"export sumologic_access_key="FnfUwZrlGnjl0KIpESgcERvY0VsLuMZeMm2lfXpFu3oRhF3GuOsMn7LAp1oqEbao""#, "FnfUwZrlGnjl0KIpESgcERvY0VsLuMZeMm2lfXpFu3oRhF3GuOsMn7LAp1oqEbao"),
        ],
        counterexamples: &["SUMO_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SUMO_ACCESS_KEY=<your-sumologic-key>", "SUMO_ACCESS_KEY=0BdpeJw4msjSk51qkNMVkuvP9RoDfaAF4HwVDeZcq9JrqcVR4vbDAjYMqNOKCxD"],
        ..NAMED
    },
    Builtin {
        id: "logzio_token",
        provider: "logzio",
        description: "Logz.io shipping / API token (32) beside a Logz.io key name",
        keywords: &["logzio", "logz.io", "logz_io", "logz-io"],
        pattern: concat!(r"(?-u)(?i:logz[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("LOGZIO_TOKEN=ZnSlzLZKM56FUAB2mcUkbrtVfdSKbCyR", "ZnSlzLZKM56FUAB2mcUkbrtVfdSKbCyR"),
            (r#"{"logzio_api_token":"BeKHnKAwf5I4lCQs4eFg5RCtTGP8EZmW"}"#, "BeKHnKAwf5I4lCQs4eFg5RCtTGP8EZmW"),
        ],
        counterexamples: &["LOGZIO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGZIO_TOKEN=<your-logzio-key>", "LOGZIO_TOKEN=I6dHSi4mh8T3u8JN3rHtlCw709MyXOQ"],
        ..NAMED
    },
    Builtin {
        id: "loggly_token",
        provider: "loggly",
        description: "Loggly customer token (UUID) beside a Loggly key name",
        keywords: &["loggly"],
        pattern: concat!(r"(?-u)(?i:loggly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"LOGGLY_TOKEN: "10acf73d-f502-6907-1cae-6ac51a08b339""#, "10acf73d-f502-6907-1cae-6ac51a08b339"),
            ("loggly_customer_token = ea876e4b-7dae-33ac-765b-b8c40952dead", "ea876e4b-7dae-33ac-765b-b8c40952dead"),
        ],
        counterexamples: &["LOGGLY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGGLY_TOKEN=<your-loggly-key>", "LOGGLY_TOKEN=087ad63f-5484-4d6f-3774-5f788ff4677"],
        ..NAMED
    },
    Builtin {
        id: "papertrail_token",
        provider: "papertrail",
        description: "Papertrail API token (20) beside a Papertrail key name",
        keywords: &["papertrail"],
        pattern: concat!(r"(?-u)(?i:papertrail)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            (r#"export PAPERTRAIL_API_TOKEN="zZi1ML3UJ8hHJ8emuNz9""#, "zZi1ML3UJ8hHJ8emuNz9"),
            ("  papertrail_token: vEVkT6P4b3H3YGHCntQP", "vEVkT6P4b3H3YGHCntQP"),
        ],
        counterexamples: &["PAPERTRAIL_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAPERTRAIL_API_TOKEN=<your-papertrail-key>", "PAPERTRAIL_API_TOKEN=0TxY5sW6RB0wUbocBvX"],
        ..NAMED
    },
    Builtin {
        id: "rollbar_token",
        provider: "rollbar",
        description: "Rollbar access token (32 hex) beside a Rollbar key name",
        keywords: &["rollbar"],
        pattern: concat!(r"(?-u)(?i:rollbar)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ROLLBAR_ACCESS_TOKEN":"9cab836e946d1d6a44cb31c3c16816a3"}"#, "9cab836e946d1d6a44cb31c3c16816a3"),
            ("rollbar_token=8080cccfa88ba26ea2c20bd90342de6f", "8080cccfa88ba26ea2c20bd90342de6f"),
        ],
        counterexamples: &["ROLLBAR_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROLLBAR_ACCESS_TOKEN=<your-rollbar-key>", "ROLLBAR_ACCESS_TOKEN=23bcb049ccdb6af7f7f2d426c2f039a"],
        ..NAMED
    },
    Builtin {
        id: "bugsnag_api_key",
        provider: "bugsnag",
        description: "Bugsnag API / auth key (32 hex) beside a Bugsnag key name",
        keywords: &["bugsnag"],
        pattern: concat!(r"(?-u)(?i:bugsnag)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("BUGSNAG_API_KEY = 959d5764f2bb04823c814b73cc12604f", "959d5764f2bb04823c814b73cc12604f"),
            (r#"bugsnag_auth_token: "2a7909d6bb3a5e867b182d64e0573f11""#, "2a7909d6bb3a5e867b182d64e0573f11"),
        ],
        counterexamples: &["BUGSNAG_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUGSNAG_API_KEY=<your-bugsnag-key>", "BUGSNAG_API_KEY=d3b740260c5eb3d20706104753d0c0b"],
        ..NAMED
    },
    Builtin {
        id: "raygun_api_key",
        provider: "raygun",
        description: "Raygun API key / PAT beside a Raygun key name",
        keywords: &["raygun"],
        pattern: concat!(r"(?-u)(?i:raygun)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22,43})", end_url!()),
        examples: &[
            ("  RAYGUN_API_KEY: Iuz0cOOTrUuJsaj0j0ifNRT4Ppc9JIk0", "Iuz0cOOTrUuJsaj0j0ifNRT4Ppc9JIk0"),
            (r#"export raygun_token="rTrnuMscxcdfigtwHjD00cZrmB""#, "rTrnuMscxcdfigtwHjD00cZrmB"),
        ],
        counterexamples: &["RAYGUN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAYGUN_API_KEY=<your-raygun-key>", "RAYGUN_API_KEY=PGSDyom5OjX7bA5ZuRzYH"],
        ..NAMED
    },
    Builtin {
        id: "airbrake_project_key",
        provider: "airbrake",
        description: "Airbrake project key / user token (32 hex) beside an Airbrake key name",
        keywords: &["airbrake"],
        pattern: concat!(r"(?-u)(?i:airbrake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("AIRBRAKE_PROJECT_KEY=f8318a81b7b23e0b5b33e4a29c09879d", "f8318a81b7b23e0b5b33e4a29c09879d"),
            (r#"{"airbrake_api_key":"601cd141036b5870f86529361fdc1215"}"#, "601cd141036b5870f86529361fdc1215"),
        ],
        counterexamples: &["AIRBRAKE_PROJECT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIRBRAKE_PROJECT_KEY=<your-airbrake-key>", "AIRBRAKE_PROJECT_KEY=b42b36b3d1024be534d3ee577713984"],
        ..NAMED
    },
    Builtin {
        id: "honeybadger_pat",
        provider: "honeybadger",
        description: "Honeybadger personal auth token (hbp_ + 36)",
        keywords: &["hbp_"],
        pattern: prefixed!(r"hbp_", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("export HONEYBADGER_PAT=hbp_VNvw0jJpFidAMQLTuKYaW4QbrS8WRAhWuE0R", "hbp_VNvw0jJpFidAMQLTuKYaW4QbrS8WRAhWuE0R"),
            ("Authorization: Bearer hbp_YCKSjUlxZ9RmmzknvKcSypqNqYDQ6WajiKoY", "hbp_YCKSjUlxZ9RmmzknvKcSypqNqYDQ6WajiKoY"),
        ],
        counterexamples: &["hbp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like hbp_1234567890", "hbp_1sfx9Cgjov3LxpgI5BLDvyKZLz8iVbWYd9k"],
        ..PREFIXED
    },
    Builtin {
        id: "lightstep_token",
        provider: "lightstep",
        description: "Lightstep / ServiceNow Cloud Observability access token beside a Lightstep key name",
        keywords: &["lightstep"],
        pattern: concat!(r"(?-u)(?i:lightstep)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{84,200})", end_url!()),
        examples: &[
            (r#"export LIGHTSTEP_ACCESS_TOKEN="hm0lQaG9p1mJTALTfK2n6i61aeyqPN6BgO5PZnTmvxFvYOXxOj-aPWSMZGxOCSPkhSGY4ZZb0WYUXS25FQb9xXh3WmdS""#, "hm0lQaG9p1mJTALTfK2n6i61aeyqPN6BgO5PZnTmvxFvYOXxOj-aPWSMZGxOCSPkhSGY4ZZb0WYUXS25FQb9xXh3WmdS"),
            ("  lightstep_token: mOZ51ngBy6Qm8K60qrI-2aP6AHG2c1UHw5gE1CN6hqNnNL_Tk6Xyv5D2Go9TERDW0sciz74kOap9CY4Q-VtykeeP0r79gxs", "mOZ51ngBy6Qm8K60qrI-2aP6AHG2c1UHw5gE1CN6hqNnNL_Tk6Xyv5D2Go9TERDW0sciz74kOap9CY4Q-VtykeeP0r79gxs"),
        ],
        counterexamples: &["LIGHTSTEP_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIGHTSTEP_ACCESS_TOKEN=<your-lightstep-key>", "LIGHTSTEP_ACCESS_TOKEN=dJHXis9OLarBEs2RU4PRnDpTQqcwVAvCctcIlvRWQ6yvtAXWRJ0llnDctJNgEnBHUukOB1d4fHHuPYOSoaf"],
        ..NAMED
    },
    Builtin {
        id: "instana_api_token",
        provider: "instana",
        description: "Instana API / agent key beside an Instana key name",
        keywords: &["instana"],
        pattern: concat!(r"(?-u)(?i:instana)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"INSTANA_API_TOKEN":"bKLE55kyX99DjlP53gclzL"}"#, "bKLE55kyX99DjlP53gclzL"),
            ("instana_agent_key=L_2HEbfvNIuSw6jQo7tkfm", "L_2HEbfvNIuSw6jQo7tkfm"),
        ],
        counterexamples: &["INSTANA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INSTANA_API_TOKEN=<your-instana-key>", "INSTANA_API_TOKEN=YGZGm9O6RHd-JqQoeZI6T"],
        ..NAMED
    },
    Builtin {
        id: "elastic_cloud_api_key",
        provider: "elastic",
        description: "Elastic Cloud API key (essu_ + base64)",
        keywords: &["essu_"],
        pattern: concat!(r#"(?-u)(?P<token>essu_(?P<secret>[A-Za-z0-9+/]{60,120}))"#, end_b64!()),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG elastic client configured token=essu_Byo/Onhp6HlmLnnHW+G6kwnG1MGtrSMpiGWPG99epXDSz06cSP2tSID8aNTd", "essu_Byo/Onhp6HlmLnnHW+G6kwnG1MGtrSMpiGWPG99epXDSz06cSP2tSID8aNTd"),
            (r#"level=info msg="auth ok" key=essu_011UxECYuQmSd0UbdIjHMeT6exmQPwjbU6/yU9hFg28OAgWjkxYEiU7N2FfoG"#, "essu_011UxECYuQmSd0UbdIjHMeT6exmQPwjbU6/yU9hFg28OAgWjkxYEiU7N2FfoG"),
        ],
        counterexamples: &["essu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like essu_1234567890", "essu_ZU1kExiQU9grQdaOEkT2nV6RZKkdVzLCSKixZEDzZkiVxJfokA++UqpK5zT"],
        ..PREFIXED
    },
    Builtin {
        id: "elasticsearch_api_key",
        provider: "elastic",
        description: "Elasticsearch API key (base64 of id:key) beside an Elastic key name",
        keywords: &["elastic"],
        pattern: concat!(r"(?-u)(?i:elastic(?:search)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{58}==)", end_b64!()),
        examples: &[
            ("  ELASTIC_API_KEY: OLfuAvzV44MDfz3QtwqpWPpN+OVu+UtNCApeulVsDIRKDn9x6m+1WmIhc0==", "OLfuAvzV44MDfz3QtwqpWPpN+OVu+UtNCApeulVsDIRKDn9x6m+1WmIhc0=="),
            (r#"export elasticsearch_api_key="NqLs5ua6gTkq82DhDUjn//J2+WVY1PI3rHSmsV5xROZ501o6wJrlgU7cBp==""#, "NqLs5ua6gTkq82DhDUjn//J2+WVY1PI3rHSmsV5xROZ501o6wJrlgU7cBp=="),
        ],
        counterexamples: &["ELASTIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELASTIC_API_KEY=<your-elastic-key>", "ELASTIC_API_KEY=ndroyAiII7JmsPTSGg7ZUQiUj9tYR+SqY7nUK+VsJfDLF6UB3mJZPKTqR=="],
        ..NAMED
    },
    Builtin {
        id: "axiom_token",
        provider: "axiom",
        description: "Axiom API (xaat-) and personal (xapt-) tokens (+ UUID)",
        keywords: &["xaat-", "xapt-"],
        pattern: prefixed!(r"(?:xaat-|xapt-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"level=info msg="auth ok" key=xaat-6b3b81d7-e7da-7eb5-3b9c-3e65798020d3"#, "xaat-6b3b81d7-e7da-7eb5-3b9c-3e65798020d3"),
            ("export AXIOM_TOKEN=xapt-7a12e26c-35dc-6ba5-1e56-0adf25a95e7c", "xapt-7a12e26c-35dc-6ba5-1e56-0adf25a95e7c"),
        ],
        counterexamples: &["xaat-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like xaat-1234567890", "xaat-8990ce2a-d24a-4be3-5a6d-17c36bdc9d1"],
        ..PREFIXED
    },
    Builtin {
        id: "checkly_api_key",
        provider: "checkly",
        description: "Checkly API key (cu_ + 32 hex)",
        keywords: &["cu_"],
        pattern: prefixed!(r"cu_", r"[a-f0-9]{32}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG checkly client configured token=cu_860d53ce9e873a68b6ed3754e64e5d20", "cu_860d53ce9e873a68b6ed3754e64e5d20"),
            ("Authorization: Bearer cu_cddaa9bc8cddfe62f2d0e79991600047", "cu_cddaa9bc8cddfe62f2d0e79991600047"),
        ],
        counterexamples: &["cu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cu_1234567890", "cu_0385577662a79b814f5d3c0fb1e4c4b"],
        ..PREFIXED
    },
    Builtin {
        id: "cronitor_api_key",
        provider: "cronitor",
        description: "Cronitor API key (32) beside a Cronitor key name",
        keywords: &["cronitor"],
        pattern: concat!(r"(?-u)(?i:cronitor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export CRONITOR_API_KEY="Kt786gqOsjQPcPnDjDSQkr8bXMv3FuAC""#, "Kt786gqOsjQPcPnDjDSQkr8bXMv3FuAC"),
            ("  cronitor_key: 79PDSJD5bThgiEMdcgzpoZAF1IilzTXK", "79PDSJD5bThgiEMdcgzpoZAF1IilzTXK"),
        ],
        counterexamples: &["CRONITOR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CRONITOR_API_KEY=<your-cronitor-key>", "CRONITOR_API_KEY=CIbvZAPQUXg5PtAWjn2PvmTDH28WjSE"],
        ..NAMED
    },
    Builtin {
        id: "uptimerobot_api_key",
        provider: "uptimerobot",
        description: "UptimeRobot API key (u / m / ur + digits - 24 hex) beside an UptimeRobot key name",
        keywords: &["uptimerobot", "uptime_robot", "uptime-robot"],
        pattern: concat!(r"(?-u)(?i:uptime[_-]?robot)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>u[0-9]{7}-[a-f0-9]{24})", end_url!()),
        examples: &[
            (r#"{"UPTIMEROBOT_API_KEY":"u7055194-7f580737170f811a76bb2ef6"}"#, "u7055194-7f580737170f811a76bb2ef6"),
            ("uptime_robot_key=u6782061-78213b3248cde3fe72f70c16", "u6782061-78213b3248cde3fe72f70c16"),
        ],
        counterexamples: &["UPTIMEROBOT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPTIMEROBOT_API_KEY=<your-uptimerobot-key>", "UPTIMEROBOT_API_KEY=u1896074-c7e5964d4bd01acd7bb34e3"],
        ..NAMED
    },
    Builtin {
        id: "statuspage_api_key",
        provider: "statuspage",
        description: "Atlassian Statuspage API key (UUID) beside a Statuspage key name",
        keywords: &["statuspage"],
        pattern: concat!(r"(?-u)(?i:statuspage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("STATUSPAGE_API_KEY = 9f5e7152-b277-8d85-1904-99a2e5fe7813", "9f5e7152-b277-8d85-1904-99a2e5fe7813"),
            (r#"statuspage_token: "2f38e259-1558-7d26-7f09-4ebfa087873c""#, "2f38e259-1558-7d26-7f09-4ebfa087873c"),
        ],
        counterexamples: &["STATUSPAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STATUSPAGE_API_KEY=<your-statuspage-key>", "STATUSPAGE_API_KEY=3d5a8716-9bc7-f1b7-b0b0-8e6ac834e7b"],
        ..NAMED
    },
    Builtin {
        id: "betterstack_token",
        provider: "betterstack",
        description: "Better Stack / Logtail source token (24) beside a Better Stack or Logtail key name",
        keywords: &["logtail", "betterstack", "better_stack", "better-stack", "betteruptime"],
        pattern: concat!(r"(?-u)(?i:logtail|better[_-]?stack|betteruptime)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOGTAIL_SOURCE_TOKEN: POOPXGVEUGMH1nIPGSrfCylq", "POOPXGVEUGMH1nIPGSrfCylq"),
            (r#"export BETTERSTACK_API_TOKEN="x7x9iz0uzzvkJMWtyfpCUh5b""#, "x7x9iz0uzzvkJMWtyfpCUh5b"),
        ],
        counterexamples: &["LOGTAIL_SOURCE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOGTAIL_SOURCE_TOKEN=<your-betterstack-key>", "LOGTAIL_SOURCE_TOKEN=haExTPzHO8ROzbWrUwYU3Ye"],
        ..NAMED
    },
    Builtin {
        id: "coralogix_key",
        provider: "coralogix",
        description: "Coralogix send-your-data / API key (cxtp_ + 30)",
        keywords: &["cxtp_"],
        pattern: prefixed!(r"cxtp_", r"[A-Za-z0-9]{30}"),
        examples: &[
            (r#"CORALOGIX_KEY="cxtp_ZAA2iI7dVtWaMdPzwSzV1fio490k9c""#, "cxtp_ZAA2iI7dVtWaMdPzwSzV1fio490k9c"),
            ("docker run -e CORALOGIX_KEY=cxtp_35TY0ZuRgj3uha1kEVyTXdKnAI9ZKG app:latest", "cxtp_35TY0ZuRgj3uha1kEVyTXdKnAI9ZKG"),
        ],
        counterexamples: &["cxtp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cxtp_1234567890", "cxtp_ZobE9BFuWjulnkqO7OckUqCjjEEw6"],
        ..PREFIXED
    },
    Builtin {
        id: "newrelic_legacy_key",
        provider: "newrelic",
        description: "New Relic legacy REST API / insert key (40 or 47) beside a New Relic key name",
        keywords: &["newrelic", "new_relic", "new-relic"],
        pattern: concat!(r"(?-u)(?i:new[_-]?relic)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"NEW_RELIC_API_KEY: "748ef1781c0a9bbf0f31de51b0cda42a055d2d89""#, "748ef1781c0a9bbf0f31de51b0cda42a055d2d89"),
            ("newrelic_insert_key = 1a32bf095bfbb68322e082ecdb29db7431099a07", "1a32bf095bfbb68322e082ecdb29db7431099a07"),
        ],
        counterexamples: &["NEW_RELIC_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NEW_RELIC_API_KEY=<your-newrelic-key>", "NEW_RELIC_API_KEY=aebd7752e18bfe71f9a1be78660c352ce909399"],
        ..NAMED
    },
    Builtin {
        id: "appdynamics_token",
        provider: "appdynamics",
        description: "AppDynamics access key / client secret beside an AppDynamics key name",
        keywords: &["appdynamics"],
        pattern: concat!(r"(?-u)(?i:appdynamics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{36})", end_url!()),
        examples: &[
            (r#"export APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY="hFQYzPByFQgrI4LaKrAtcfy9sOYbQsBF0z7K""#, "hFQYzPByFQgrI4LaKrAtcfy9sOYbQsBF0z7K"),
            ("  appdynamics_secret: bdwAazE08foRIC9yUQb2X7bffKkRT631TSjS", "bdwAazE08foRIC9yUQb2X7bffKkRT631TSjS"),
        ],
        counterexamples: &["APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=<your-appdynamics-key>", "APPDYNAMICS_AGENT_ACCOUNT_ACCESS_KEY=4sgNPPopA8gGRknRGkUdJzCrefqz3V5UZsw"],
        ..NAMED
    },
    Builtin {
        id: "signalfx_token",
        provider: "signalfx",
        description: "Splunk Observability (SignalFx) access token (22) beside a SignalFx key name",
        keywords: &["signalfx", "sfx_"],
        pattern: concat!(r"(?-u)(?i:signalfx|sfx)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"{"SIGNALFX_ACCESS_TOKEN":"KLMB3i-ZNKLgXWy9ha9n3D"}"#, "KLMB3i-ZNKLgXWy9ha9n3D"),
            ("sfx_token=r6WIJG-jggxWK0yY92kOAj", "r6WIJG-jggxWK0yY92kOAj"),
        ],
        counterexamples: &["SIGNALFX_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SIGNALFX_ACCESS_TOKEN=<your-signalfx-key>", "SIGNALFX_ACCESS_TOKEN=u9OD-bkjk_r2lwn9JmoId"],
        ..NAMED
    },
    Builtin {
        id: "scout_apm_key",
        provider: "scout",
        description: "Scout APM key (20) beside a Scout key name",
        keywords: &["scout"],
        pattern: concat!(r"(?-u)(?i:scout)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("SCOUT_KEY = gU1sFWBOeIa7z9bqidNs", "gU1sFWBOeIa7z9bqidNs"),
            (r#"scout_apm_key: "Mm7gTnh3CUdOycnDsYxQ""#, "Mm7gTnh3CUdOycnDsYxQ"),
        ],
        counterexamples: &["SCOUT_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCOUT_KEY=<your-scout-key>", "SCOUT_KEY=z0KuSdvPOPY1Wlcsboc"],
        ..NAMED
    },
    Builtin {
        id: "librato_token",
        provider: "librato",
        description: "Librato / AppOptics token (64 hex) beside a Librato key name",
        keywords: &["librato", "appoptics"],
        pattern: concat!(r"(?-u)(?i:librato|appoptics)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("  LIBRATO_TOKEN: 77b9b8b97419708e2fda3b13018d8ddf1233e8fd304fc3fb8760c7d4ebf5a8a2", "77b9b8b97419708e2fda3b13018d8ddf1233e8fd304fc3fb8760c7d4ebf5a8a2"),
            (r#"export appoptics_api_token="90576804b2eb9067cc0e23fbabc1541f8da469d804e34348c56271b2ec518f1b""#, "90576804b2eb9067cc0e23fbabc1541f8da469d804e34348c56271b2ec518f1b"),
        ],
        counterexamples: &["LIBRATO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LIBRATO_TOKEN=<your-librato-key>", "LIBRATO_TOKEN=768c56d3f22b0240377a90bb2cd6323cd07681d9115dd5a4e65f850663c2154"],
        ..NAMED
    },
    Builtin {
        id: "chronosphere_api_token",
        provider: "chronosphere",
        description: "Chronosphere API token beside a Chronosphere key name",
        keywords: &["chronosphere"],
        pattern: concat!(r"(?-u)(?i:chronosphere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("CHRONOSPHERE_API_TOKEN=62da9874c02d42ab1a41139ae0d6df243600b48ddf122527d9b7056688b9d2c5", "62da9874c02d42ab1a41139ae0d6df243600b48ddf122527d9b7056688b9d2c5"),
            (r#"{"chronosphere_token":"4bbfb812cc04409381f7ac5b09cd3ef194b9e029d0aa5c7f4de79dd2a64d16fb"}"#, "4bbfb812cc04409381f7ac5b09cd3ef194b9e029d0aa5c7f4de79dd2a64d16fb"),
        ],
        counterexamples: &["CHRONOSPHERE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHRONOSPHERE_API_TOKEN=<your-chronosphere-key>", "CHRONOSPHERE_API_TOKEN=6bbd1595c71edd42c3d1fcf0cbb648b52829b85a8b421bcf32ed8b00dfb63a6"],
        ..NAMED
    },
];
