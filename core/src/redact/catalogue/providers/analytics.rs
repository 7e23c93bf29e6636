//! Product analytics, feature flags and experimentation.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "posthog_personal_key",
        provider: "posthog",
        description: "PostHog personal API key (phx_ + 43)",
        keywords: &["phx_"],
        pattern: prefixed!(r"phx_", r"[A-Za-z0-9]{43}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG posthog client configured token=phx_Pv26OFh66a7wRcHktQ4YiVayWybMULVww4n1Y4Ypsvl", "phx_Pv26OFh66a7wRcHktQ4YiVayWybMULVww4n1Y4Ypsvl"),
            ("curl -s -H 'Authorization: Bearer phx_z0WXZ4AK9dOKjhXC7FTii82q4l6T1IYOrOBr2lf4TlC' https://api.example.net/v1/me", "phx_z0WXZ4AK9dOKjhXC7FTii82q4l6T1IYOrOBr2lf4TlC"),
        ],
        counterexamples: &["phx_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like phx_1234567890", "phx_66AY1RowInnFiHmiMYksmOzPXbxC8a0wLDNGXnk3pT"],
        ..PREFIXED
    },
    Builtin {
        id: "posthog_project_secret",
        provider: "posthog",
        description: "PostHog project secret / feature-flag key (phs_ + 43)",
        keywords: &["phs_"],
        pattern: prefixed!(r"phs_", r"[A-Za-z0-9]{43}"),
        examples: &[
            ("export POSTHOG_PROJECT_SECRET=phs_Sg87Unqyc41mJgY6uVVwXyDx2gqj5w6Tp117JEKbW1T", "phs_Sg87Unqyc41mJgY6uVVwXyDx2gqj5w6Tp117JEKbW1T"),
            (r#"POSTHOG_PROJECT_SECRET="phs_X90GXcGx3lA8AKvo1ZyQYIomQdd8eizD1MMtHdKS7ie""#, "phs_X90GXcGx3lA8AKvo1ZyQYIomQdd8eizD1MMtHdKS7ie"),
        ],
        counterexamples: &["phs_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like phs_1234567890", "phs_xIhsV9f47wvdHDu23GSGA9G5Rg7iUJ9YAUsuJ19B0R"],
        ..PREFIXED
    },
    Builtin {
        id: "launchdarkly_key",
        provider: "launchdarkly",
        description: "LaunchDarkly API access token (api-) and server-side SDK key (sdk-) (+ UUID) in a line naming LaunchDarkly",
        keywords: &["launchdarkly", "ld_sdk", "ld_api", "ldclient"],
        pattern: prefixed!(r"(?:api-|sdk-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("LAUNCHDARKLY_SDK_KEY=api-1feb380f-7d71-78d7-de3f-2854badfa7f6", "api-1feb380f-7d71-78d7-de3f-2854badfa7f6"),
            (r#"ldclient.set_config(Config("sdk-c3547553-47de-1130-2a79-21a5f4be0f66"))"#, "sdk-c3547553-47de-1130-2a79-21a5f4be0f66"),
        ],
        counterexamples: &["api-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like api-1234567890", "api-70e20bdd-5ab9-0f93-ba53-fd9b4b2027e"],
        ..PREFIXED
    },
    Builtin {
        id: "mixpanel_secret",
        provider: "mixpanel",
        description: "Mixpanel API secret / service account secret (32) beside a Mixpanel key name",
        keywords: &["mixpanel"],
        pattern: concat!(r"(?-u)(?i:mixpanel)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("MIXPANEL_API_SECRET = ddb5e48f7b25ff7fc6065ee2cdd7de2c", "ddb5e48f7b25ff7fc6065ee2cdd7de2c"),
            (r#"mixpanel_service_account_secret: "9f568f04adb47bf290076320225ba72f""#, "9f568f04adb47bf290076320225ba72f"),
        ],
        counterexamples: &["MIXPANEL_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MIXPANEL_API_SECRET=<your-mixpanel-key>", "MIXPANEL_API_SECRET=6d3cbc4975d3cb73d4bd21b8e36779d"],
        ..NAMED
    },
    Builtin {
        id: "amplitude_secret",
        provider: "amplitude",
        description: "Amplitude API / secret key (32 hex) beside an Amplitude key name",
        keywords: &["amplitude"],
        pattern: concat!(r"(?-u)(?i:amplitude)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  AMPLITUDE_SECRET_KEY: 5ce8841e3a6cddb8c89511378648fd55", "5ce8841e3a6cddb8c89511378648fd55"),
            (r#"export amplitude_api_key="dd366f96ea2482afc0d6b7c6b75774cc""#, "dd366f96ea2482afc0d6b7c6b75774cc"),
        ],
        counterexamples: &["AMPLITUDE_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AMPLITUDE_SECRET_KEY=<your-amplitude-key>", "AMPLITUDE_SECRET_KEY=7dce461f0a8b1c35774cfc71da3f2dd"],
        ..NAMED
    },
    Builtin {
        id: "segment_write_key",
        provider: "segment",
        description: "Segment write key (32) beside a Segment key name",
        keywords: &["segment_write", "segment_api", "segment-write", "segmentio"],
        pattern: concat!(r"(?-u)(?i:segment)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("SEGMENT_WRITE_KEY=SI247CdfGGQbQUbzzMVBNxefAgwB2kGG", "SI247CdfGGQbQUbzzMVBNxefAgwB2kGG"),
            (r#"{"segment_api_token":"me85ful8qzk5MqvKpaH7DoibkyW8yKxK"}"#, "me85ful8qzk5MqvKpaH7DoibkyW8yKxK"),
        ],
        counterexamples: &["SEGMENT_WRITE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SEGMENT_WRITE_KEY=<your-segment-key>", "SEGMENT_WRITE_KEY=DjgSy6qXe5CZhIvc4IYPwiyjDM46Iye"],
        ..NAMED
    },
    Builtin {
        id: "segment_public_api_token",
        provider: "segment",
        description: "Segment public API token (sgp_ + 64) (distinct from Sourcegraph's 40 hex)",
        keywords: &["sgp_"],
        pattern: prefixed!(r"sgp_", r"[A-Za-z0-9]{64}"),
        examples: &[
            ("  segment_public_api_token: sgp_DoFPNzL2HG5TczpPw5fGBgMPPKbTJx8XEWk8dXpN0f0vbu8nJ0ESSXShBYJXopAS", "sgp_DoFPNzL2HG5TczpPw5fGBgMPPKbTJx8XEWk8dXpN0f0vbu8nJ0ESSXShBYJXopAS"),
            ("2024-06-11T08:14:52Z DEBUG segment client configured token=sgp_MTIPFrT6F6sZqTi8HcJgNPmWMMw7nREVQmoa7UitTjtB4OlDhBACYBr469H02kwz", "sgp_MTIPFrT6F6sZqTi8HcJgNPmWMMw7nREVQmoa7UitTjtB4OlDhBACYBr469H02kwz"),
        ],
        counterexamples: &["sgp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sgp_1234567890", "sgp_lEa9bO38iUYePvcX7fokExa5lPLLJXve0pA1gd7P8vybaYaRSxj7kRw7JIpagHC"],
        ..PREFIXED
    },
    Builtin {
        id: "heap_api_key",
        provider: "heap",
        description: "Heap API key beside a Heap key name",
        keywords: &["heap_api", "heap_app", "heapanalytics"],
        pattern: concat!(r"(?-u)(?i:heap)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export HEAP_API_KEY="a9032dfd6a9b31130ba2c0e821b7b8e5""#, "a9032dfd6a9b31130ba2c0e821b7b8e5"),
            ("  heap_app_secret: 621302efe5b2052eda09aaa54658de13", "621302efe5b2052eda09aaa54658de13"),
        ],
        counterexamples: &["HEAP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HEAP_API_KEY=<your-heap-key>", "HEAP_API_KEY=6f0d94f85dc3d65378dbf367256e17c"],
        ..NAMED
    },
    Builtin {
        id: "split_api_key",
        provider: "split",
        description: "Split.io SDK / admin API key (36) beside a Split key name",
        keywords: &["split_io", "splitio", "split.io", "split_api", "split-api"],
        pattern: concat!(r"(?-u)(?i:split(?:io|_io|\.io)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{36})", end_url!()),
        examples: &[
            (r#"{"SPLIT_API_KEY":"xwgq8f00upobmrke5e96i0cbkpg2szrni78p"}"#, "xwgq8f00upobmrke5e96i0cbkpg2szrni78p"),
            ("split_io_sdk_key=ajgm29d1n22hgal1bx8wfrq39v9q610d5eje", "ajgm29d1n22hgal1bx8wfrq39v9q610d5eje"),
        ],
        counterexamples: &["SPLIT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPLIT_API_KEY=<your-split-key>", "SPLIT_API_KEY=r1tzye0yutzsldpmtd6c2dylqr7juyo3nd0"],
        ..NAMED
    },
    Builtin {
        id: "flagsmith_server_key",
        provider: "flagsmith",
        description: "Flagsmith server-side environment key (ser. + 22) in a line naming Flagsmith",
        keywords: &["flagsmith"],
        pattern: prefixed!(r"ser\.", r"[A-Za-z0-9]{22}"),
        examples: &[
            ("FLAGSMITH_ENVIRONMENT_KEY=ser.6CVjGYO5LdBGpSxdBy65jk", "ser.6CVjGYO5LdBGpSxdBy65jk"),
            (r#"flagsmith = Flagsmith(environment_key="ser.bYD99UnHSIkdMDI5nsb5zb")"#, "ser.bYD99UnHSIkdMDI5nsb5zb"),
        ],
        counterexamples: &["ser.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ser.1234567890", "ser.1f9Urqhjd2OAUVDCNQjc6"],
        ..PREFIXED
    },
    Builtin {
        id: "flagsmith_token",
        provider: "flagsmith",
        description: "Flagsmith organisation API token (40 hex) beside a Flagsmith key name",
        keywords: &["flagsmith"],
        pattern: concat!(r"(?-u)(?i:flagsmith)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  FLAGSMITH_API_TOKEN: a099fc5367c9b3fd79d9d8150324eb14f5108f12", "a099fc5367c9b3fd79d9d8150324eb14f5108f12"),
            (r#"export flagsmith_token="0ca706e035acb0aca0211a44c307a19bd59b6de4""#, "0ca706e035acb0aca0211a44c307a19bd59b6de4"),
        ],
        counterexamples: &["FLAGSMITH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FLAGSMITH_API_TOKEN=<your-flagsmith-key>", "FLAGSMITH_API_TOKEN=3ea5a7fc90bbfdf842e5360d81ffd389e9f760b"],
        ..NAMED
    },
    Builtin {
        id: "config_cat_sdk_key",
        provider: "configcat",
        description: "ConfigCat SDK key (configcat-sdk-1/ + 22 / 22)",
        keywords: &["configcat-sdk-1/"],
        pattern: prefixed!(r"configcat-sdk-1/", r"[A-Za-z0-9_-]{22}/[A-Za-z0-9_-]{22}"),
        examples: &[
            (r#"CONFIGCAT_SDK_KEY="configcat-sdk-1/OSaLTamIF92xxqKYPu4Ymq/_zuwOZtz6mY57a6rKdDH6q""#, "configcat-sdk-1/OSaLTamIF92xxqKYPu4Ymq/_zuwOZtz6mY57a6rKdDH6q"),
            (r#"client = ConfigCatClient.get("configcat-sdk-1/MJWhKSD7vlSJnkdfbWpvPq/BBWeRhqurkNX-cGofl0fZL")"#, "configcat-sdk-1/MJWhKSD7vlSJnkdfbWpvPq/BBWeRhqurkNX-cGofl0fZL"),
        ],
        counterexamples: &["configcat-sdk-1/xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like configcat-sdk-1/1234567890", "configcat-sdk-1/lWyYeGG30UVkS5gKddGo8B/0Zg-vaxfMcok8RqUWdjew"],
        ..PREFIXED
    },
    Builtin {
        id: "configcat_legacy_key",
        provider: "configcat",
        description: "ConfigCat legacy SDK key (22/22) beside a ConfigCat key name",
        keywords: &["configcat"],
        pattern: concat!(r"(?-u)(?i:configcat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22}/[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"CONFIGCAT_SDK_KEY: "rL6hu8TXW3GvhahBAIt2bI/xXECVd2lK4qargKDpiDg7X""#, "rL6hu8TXW3GvhahBAIt2bI/xXECVd2lK4qargKDpiDg7X"),
            ("configcat_key = cm9M1FTUfpMEV7IF1jKeUA/-83KpbFyecUOuS2d3jS_-m", "cm9M1FTUfpMEV7IF1jKeUA/-83KpbFyecUOuS2d3jS_-m"),
        ],
        counterexamples: &["CONFIGCAT_SDK_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONFIGCAT_SDK_KEY=<your-configcat-key>", "CONFIGCAT_SDK_KEY=vNoL1UOJUFUAxt8n3fwr4w/BIXoMPW60aO1zylLKEy_d"],
        ..NAMED
    },
    Builtin {
        id: "unleash_token",
        provider: "unleash",
        description: "Unleash API token (<project>:<environment>.<64 hex>) beside an Unleash key name",
        keywords: &["unleash"],
        pattern: concat!(r"(?-u)(?i:unleash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>default:production\.[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export UNLEASH_API_TOKEN="default:production.fa8bc476a56a5438c1f4d6f143f84dbd86fa3a99758fecc3b6131b4fd1b316a0""#, "default:production.fa8bc476a56a5438c1f4d6f143f84dbd86fa3a99758fecc3b6131b4fd1b316a0"),
            ("  unleash_token: default:production.f12d2115b0a5618286b09fe19e5f477264846bed777b47e3342bb2f5626b6bcf", "default:production.f12d2115b0a5618286b09fe19e5f477264846bed777b47e3342bb2f5626b6bcf"),
        ],
        counterexamples: &["UNLEASH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UNLEASH_API_TOKEN=<your-unleash-key>", "UNLEASH_API_TOKEN=default:production.2d7f20f7312b4a6dfe70b6bea016f9d5e2f55676781dd92dd57b1352831bbb8"],
        ..NAMED
    },
    Builtin {
        id: "statsig_server_secret",
        provider: "statsig",
        description: "Statsig server secret (secret- + 43) beside a Statsig key name",
        keywords: &["statsig"],
        pattern: concat!(r"(?-u)(?i:statsig)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>secret-[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            (r#"{"STATSIG_SERVER_SECRET":"secret-W7TLDU2ZKrQ1Ama4D2yDopwvA04Us3BqpzSHcijHzSe"}"#, "secret-W7TLDU2ZKrQ1Ama4D2yDopwvA04Us3BqpzSHcijHzSe"),
            ("statsig_secret_key=secret-xNKOqHzZyzHnDURbvqhHxvyOXx0cF5Ro1l9oxFHDgzE", "secret-xNKOqHzZyzHnDURbvqhHxvyOXx0cF5Ro1l9oxFHDgzE"),
        ],
        counterexamples: &["STATSIG_SERVER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STATSIG_SERVER_SECRET=<your-statsig-key>", "STATSIG_SERVER_SECRET=secret-tNE3guICDgdPGDHi4U0OJTITjcn9EaRg8GaQHkF1I8"],
        ..NAMED
    },
    Builtin {
        id: "optimizely_token",
        provider: "optimizely",
        description: "Optimizely personal access token / SDK key beside an Optimizely key name",
        keywords: &["optimizely"],
        pattern: concat!(r"(?-u)(?i:optimizely)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>2:[A-Za-z0-9_-]{40,60})", end_url!()),
        examples: &[
            ("OPTIMIZELY_ACCESS_TOKEN = 2:LrFj5UIcuKoJrgTb8oXRi1VNgpm_Y-o5VOe9DJNIAQf8JozsjI", "2:LrFj5UIcuKoJrgTb8oXRi1VNgpm_Y-o5VOe9DJNIAQf8JozsjI"),
            (r#"optimizely_sdk_key: "2:WkkDEaF-AiWiYw1Z-RNTJF2_TWKz1EUaGBvGCUsp7z""#, "2:WkkDEaF-AiWiYw1Z-RNTJF2_TWKz1EUaGBvGCUsp7z"),
        ],
        counterexamples: &["OPTIMIZELY_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPTIMIZELY_ACCESS_TOKEN=<your-optimizely-key>", "OPTIMIZELY_ACCESS_TOKEN=2:8RFyUo1aTvO6CAi7ZBexBlhw4BOqw6XZKDYOwEO"],
        ..NAMED
    },
    Builtin {
        id: "growthbook_secret",
        provider: "growthbook",
        description: "GrowthBook secret API key (secret_ + 40) beside a GrowthBook key name",
        keywords: &["growthbook"],
        pattern: concat!(r"(?-u)(?i:growthbook)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>secret_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  GROWTHBOOK_SECRET_KEY: secret_5Ojktxo58CbFrFXQfX9sHP2QN1uvzTlPBu8eGHbn", "secret_5Ojktxo58CbFrFXQfX9sHP2QN1uvzTlPBu8eGHbn"),
            (r#"export growthbook_api_key="secret_OEuYjZb6mFmadNJxX2I0ggOWOzJ5KSbZAfW8rFtS""#, "secret_OEuYjZb6mFmadNJxX2I0ggOWOzJ5KSbZAfW8rFtS"),
        ],
        counterexamples: &["GROWTHBOOK_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GROWTHBOOK_SECRET_KEY=<your-growthbook-key>", "GROWTHBOOK_SECRET_KEY=secret_h7umtkit8961DIiNBS7D612aeJODkGp9AU93IvX"],
        ..NAMED
    },
    Builtin {
        id: "fullstory_api_key",
        provider: "fullstory",
        description: "FullStory API key beside a FullStory key name",
        keywords: &["fullstory"],
        pattern: concat!(r"(?-u)(?i:fullstory)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>na1\.[A-Za-z0-9+/]{100,140})", end_b64!()),
        examples: &[
            ("FULLSTORY_API_KEY=na1.NrjG5wQU4XWtq7/772GBoX5056praTh3LCP+hj1rrWih5GG1ywi5C5JC1FWSJxTGD5mXOVCeBTRqV3DQxPp0ra0H5MD8j8wEzdy11osoCWxeq0", "na1.NrjG5wQU4XWtq7/772GBoX5056praTh3LCP+hj1rrWih5GG1ywi5C5JC1FWSJxTGD5mXOVCeBTRqV3DQxPp0ra0H5MD8j8wEzdy11osoCWxeq0"),
            (r#"{"fullstory_key":"na1.aRlLLu30nPEqOYXC8srxhOcYtknNlxkMGh2x743tvSnOicSNHDGAwBuHZMwohY+laQPZx9lIlle9CuOwqtMb0rW0VZS+QO16qjolk+EE"}"#, "na1.aRlLLu30nPEqOYXC8srxhOcYtknNlxkMGh2x743tvSnOicSNHDGAwBuHZMwohY+laQPZx9lIlle9CuOwqtMb0rW0VZS+QO16qjolk+EE"),
        ],
        counterexamples: &["FULLSTORY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FULLSTORY_API_KEY=<your-fullstory-key>", "FULLSTORY_API_KEY=na1.q95ul5sDa8L4a0FACG/BMzxm10/Vp4YbTxWCo/45DhOYi6djj+iSMfVLTjBYhrwy6skmiVjIjB8EZ0SzTJUb2u+LJ9+qlXXGkEx"],
        ..NAMED
    },
    Builtin {
        id: "hotjar_secret",
        provider: "hotjar",
        description: "Hotjar API client secret beside a Hotjar key name",
        keywords: &["hotjar"],
        pattern: concat!(r"(?-u)(?i:hotjar)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"HOTJAR_CLIENT_SECRET: "ozNZX7bTwvhZI2yATMD1iUlJ6Mf1IVvluarUwGZnQ33nkA8naAvPnPs5RKN88w6u""#, "ozNZX7bTwvhZI2yATMD1iUlJ6Mf1IVvluarUwGZnQ33nkA8naAvPnPs5RKN88w6u"),
            ("hotjar_secret = eUEHo1gSU02XX8ngMdTqPY4q1dqlfDnvX4XQkIVTc9pFZjVnpmlJeUVrH0Beq2vF", "eUEHo1gSU02XX8ngMdTqPY4q1dqlfDnvX4XQkIVTc9pFZjVnpmlJeUVrH0Beq2vF"),
        ],
        counterexamples: &["HOTJAR_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HOTJAR_CLIENT_SECRET=<your-hotjar-key>", "HOTJAR_CLIENT_SECRET=GgRwBoBMLI7tnlHWWrHS73JA3NP6IkZQzaOzNBVzrTVFjRqXek3b6XNwTM7J4Xn"],
        ..NAMED
    },
    Builtin {
        id: "plausible_api_key",
        provider: "plausible",
        description: "Plausible Analytics API key (64) beside a Plausible key name",
        keywords: &["plausible"],
        pattern: concat!(r"(?-u)(?i:plausible)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{64})", end_url!()),
        examples: &[
            (r#"export PLAUSIBLE_API_KEY="Dp5Ju1O8lAbCmsXAMik9rMpRbnDOi8kb23N-hXnrYap063kG_AyAkroSkneCyLEK""#, "Dp5Ju1O8lAbCmsXAMik9rMpRbnDOi8kb23N-hXnrYap063kG_AyAkroSkneCyLEK"),
            ("  plausible_key: fAIQFfPEVy94IvBEUsaJu_aWllLnRj5jg6WhsdfbvV5FiRg41hKX_F4tSpIG3Pog", "fAIQFfPEVy94IvBEUsaJu_aWllLnRj5jg6WhsdfbvV5FiRg41hKX_F4tSpIG3Pog"),
        ],
        counterexamples: &["PLAUSIBLE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLAUSIBLE_API_KEY=<your-plausible-key>", "PLAUSIBLE_API_KEY=vrDMmL1sxYmUWazAPageKC6gv4z8NoCD3YtiwuYLILmeZwmnzt-aJH7oMD1ceMZ"],
        ..NAMED
    },
    Builtin {
        id: "rudderstack_token",
        provider: "rudderstack",
        description: "RudderStack write key / access token beside a RudderStack key name",
        keywords: &["rudderstack"],
        pattern: concat!(r"(?-u)(?i:rudderstack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{27})", end_url!()),
        examples: &[
            (r#"{"RUDDERSTACK_WRITE_KEY":"Zl9Vi4eVKJWtYdtmEYysF0v0Rvg"}"#, "Zl9Vi4eVKJWtYdtmEYysF0v0Rvg"),
            ("rudderstack_token=aWAvu7HGQbNC5aFBh56Ef7TfQRx", "aWAvu7HGQbNC5aFBh56Ef7TfQRx"),
        ],
        counterexamples: &["RUDDERSTACK_WRITE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RUDDERSTACK_WRITE_KEY=<your-rudderstack-key>", "RUDDERSTACK_WRITE_KEY=9Orh16CDWm33kJAq3g5P9yz3aU"],
        ..NAMED
    },
    Builtin {
        id: "customer_io_track_key",
        provider: "customerio",
        description: "Customer.io track API key (20 hex) beside a Customer.io track key name",
        keywords: &["customerio_track", "customer_io_track"],
        pattern: concat!(r"(?-u)(?i:customer[_.-]?io[_.-]?track)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            ("CUSTOMERIO_TRACK_API_KEY = 2f6cfd118af7a9462c4e", "2f6cfd118af7a9462c4e"),
            (r#"customerio_track_key: "a46597498bbe53ab524a""#, "a46597498bbe53ab524a"),
        ],
        counterexamples: &["CUSTOMERIO_TRACK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CUSTOMERIO_TRACK_API_KEY=<your-customerio-key>", "CUSTOMERIO_TRACK_API_KEY=a81d409f2e73247803a"],
        ..NAMED
    },
];
