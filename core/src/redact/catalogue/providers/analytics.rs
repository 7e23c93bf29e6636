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
            (r#"POSTHOG_PERSONAL_KEY="phx_xhLQlz9Ci8o07d2nvGMFxXnyUyIT3RO9xUB9YGhp8Eb""#, "phx_xhLQlz9Ci8o07d2nvGMFxXnyUyIT3RO9xUB9YGhp8Eb"),
            ("env POSTHOG_PERSONAL_KEY=phx_nx4U7BpLPxDMrp062k8a0H1cLocAWlpodGmyMjqd1nV ./deploy.sh", "phx_nx4U7BpLPxDMrp062k8a0H1cLocAWlpodGmyMjqd1nV"),
        ],
        counterexamples: &["phx_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like phx_1234567890", "phx_w7F3wob8eYmWpctO1MGFXgLjdwaf01wYakw3BVgean"],
        ..PREFIXED
    },
    Builtin {
        id: "posthog_project_secret",
        provider: "posthog",
        description: "PostHog project secret / feature-flag key (phs_ + 43)",
        keywords: &["phs_"],
        pattern: prefixed!(r"phs_", r"[A-Za-z0-9]{43}"),
        examples: &[
            (r#"level=info msg="auth ok" key=phs_asC36eOjRzqyyPfEYc6NJNXSqWyWgvlNXMW6TPJFYx0"#, "phs_asC36eOjRzqyyPfEYc6NJNXSqWyWgvlNXMW6TPJFYx0"),
            ("2024-06-11T08:14:52Z DEBUG posthog client configured token=phs_e6DlvkY691EwTZ3Ha85tHmW5WBWevR5R5HBQhzMfcXz", "phs_e6DlvkY691EwTZ3Ha85tHmW5WBWevR5R5HBQhzMfcXz"),
        ],
        counterexamples: &["phs_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like phs_1234567890", "phs_u5JQnRXDlAHOqmYsl7uM5mDMco9oL5toctuOc6AxOi"],
        ..PREFIXED
    },
    Builtin {
        id: "launchdarkly_key",
        provider: "launchdarkly",
        description: "LaunchDarkly API access token (api-) and server-side SDK key (sdk-) (+ UUID)",
        keywords: &["api-", "sdk-"],
        pattern: prefixed!(r"(?:api-|sdk-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"launchdarkly_key = "api-285ca10e-1772-d54f-8c49-679a5dcd143e""#, "api-285ca10e-1772-d54f-8c49-679a5dcd143e"),
            ("Authorization: Bearer sdk-44858d85-5e1d-b66f-6459-21a5f4be0f66", "sdk-44858d85-5e1d-b66f-6459-21a5f4be0f66"),
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
        keywords: &["segment"],
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
        keywords: &["heap_", "heap-"],
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
        keywords: &["split"],
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
        description: "Flagsmith server-side environment key (ser. + 22)",
        keywords: &["ser."],
        pattern: prefixed!(r"ser\.", r"[A-Za-z0-9]{22}"),
        examples: &[
            (r#"{"flagsmith_server_key": "ser.GYO5LdBGpSxdBy65jk3YEb", "region": "eu-west-1"}"#, "ser.GYO5LdBGpSxdBy65jk3YEb"),
            ("docker run -e FLAGSMITH_SERVER_KEY=ser.99UnHSIkdMDI5nsb5zbq1f app:latest", "ser.99UnHSIkdMDI5nsb5zbq1f"),
        ],
        counterexamples: &["ser.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ser.1234567890", "ser.qhjd2OAUVDCNQjc63Syva"],
        ..PREFIXED
    },
    Builtin {
        id: "flagsmith_token",
        provider: "flagsmith",
        description: "Flagsmith organisation API token (40 hex) beside a Flagsmith key name",
        keywords: &["flagsmith"],
        pattern: concat!(r"(?-u)(?i:flagsmith)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  FLAGSMITH_API_TOKEN: 9fc5367c9b3fd79d9d8150324eb14f5108f1270c", "9fc5367c9b3fd79d9d8150324eb14f5108f1270c"),
            (r#"export flagsmith_token="706e035acb0aca0211a44c307a19bd59b6de453e""#, "706e035acb0aca0211a44c307a19bd59b6de453e"),
        ],
        counterexamples: &["FLAGSMITH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FLAGSMITH_API_TOKEN=<your-flagsmith-key>", "FLAGSMITH_API_TOKEN=5a7fc90bbfdf842e5360d81ffd389e9f760b6ab"],
        ..NAMED
    },
    Builtin {
        id: "config_cat_sdk_key",
        provider: "configcat",
        description: "ConfigCat SDK key (configcat-sdk-1/ + 22 / 22)",
        keywords: &["configcat-sdk-1/"],
        pattern: prefixed!(r"configcat-sdk-1/", r"[A-Za-z0-9_-]{22}/[A-Za-z0-9_-]{22}"),
        examples: &[
            (r#"CONFIGCAT_SDK_KEY="configcat-sdk-1/LTamIF92xxqKYPu4Ymqg_z/wOZtz6mY57a6rKdDH6qsMJ""#, "configcat-sdk-1/LTamIF92xxqKYPu4Ymqg_z/wOZtz6mY57a6rKdDH6qsMJ"),
            (r#"client = ConfigCatClient.get("configcat-sdk-1/hKSD7vlSJnkdfbWpvPq6BB/eRhqurkNX-cGofl0fZLKlW")"#, "configcat-sdk-1/hKSD7vlSJnkdfbWpvPq6BB/eRhqurkNX-cGofl0fZLKlW"),
        ],
        counterexamples: &["configcat-sdk-1/xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like configcat-sdk-1/1234567890", "configcat-sdk-1/YeGG30UVkS5gKddGo8B30Z/-vaxfMcok8RqUWdjewWrL"],
        ..PREFIXED
    },
    Builtin {
        id: "configcat_legacy_key",
        provider: "configcat",
        description: "ConfigCat legacy SDK key (22/22) beside a ConfigCat key name",
        keywords: &["configcat"],
        pattern: concat!(r"(?-u)(?i:configcat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22}/[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            (r#"CONFIGCAT_SDK_KEY: "hu8TXW3GvhahBAIt2bIUxX/CVd2lK4qargKDpiDg7XIcm""#, "hu8TXW3GvhahBAIt2bIUxX/CVd2lK4qargKDpiDg7XIcm"),
            ("configcat_key = M1FTUfpMEV7IF1jKeUAY-8/KpbFyecUOuS2d3jS_-m6vN", "M1FTUfpMEV7IF1jKeUAY-8/KpbFyecUOuS2d3jS_-m6vN"),
        ],
        counterexamples: &["CONFIGCAT_SDK_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONFIGCAT_SDK_KEY=<your-configcat-key>", "CONFIGCAT_SDK_KEY=L1UOJUFUAxt8n3fwr4wPBI/oMPW60aO1zylLKEy_d68O"],
        ..NAMED
    },
    Builtin {
        id: "unleash_token",
        provider: "unleash",
        description: "Unleash API token (<project>:<environment>.<64 hex>) beside an Unleash key name",
        keywords: &["unleash"],
        pattern: concat!(r"(?-u)(?i:unleash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>default:production\.[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export UNLEASH_API_TOKEN="default:production.bc476a56a5438c1f4d6f143f84dbd86fa3a99758fecc3b6131b4fd1b316a01f1""#, "default:production.bc476a56a5438c1f4d6f143f84dbd86fa3a99758fecc3b6131b4fd1b316a01f1"),
            ("  unleash_token: default:production.d2115b0a5618286b09fe19e5f477264846bed777b47e3342bb2f5626b6bcf62d", "default:production.d2115b0a5618286b09fe19e5f477264846bed777b47e3342bb2f5626b6bcf62d"),
        ],
        counterexamples: &["UNLEASH_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UNLEASH_API_TOKEN=<your-unleash-key>", "UNLEASH_API_TOKEN=default:production.f20f7312b4a6dfe70b6bea016f9d5e2f55676781dd92dd57b1352831bbb88e8"],
        ..NAMED
    },
    Builtin {
        id: "statsig_server_secret",
        provider: "statsig",
        description: "Statsig server secret (secret- + 43) beside a Statsig key name",
        keywords: &["statsig"],
        pattern: concat!(r"(?-u)(?i:statsig)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>secret-[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            (r#"{"STATSIG_SERVER_SECRET":"secret-ma4D2yDopwvA04Us3BqpzSHcijHzSeYcxNKOqHzZyzH"}"#, "secret-ma4D2yDopwvA04Us3BqpzSHcijHzSeYcxNKOqHzZyzH"),
            ("statsig_secret_key=secret-DURbvqhHxvyOXx0cF5Ro1l9oxFHDgzEotNE3guICDgd", "secret-DURbvqhHxvyOXx0cF5Ro1l9oxFHDgzEotNE3guICDgd"),
        ],
        counterexamples: &["STATSIG_SERVER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STATSIG_SERVER_SECRET=<your-statsig-key>", "STATSIG_SERVER_SECRET=secret-Hi4U0OJTITjcn9EaRg8GaQHkF1I8RP48QsiI3p4eCx"],
        ..NAMED
    },
    Builtin {
        id: "optimizely_token",
        provider: "optimizely",
        description: "Optimizely personal access token / SDK key beside an Optimizely key name",
        keywords: &["optimizely"],
        pattern: concat!(r"(?-u)(?i:optimizely)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>2:[A-Za-z0-9_-]{40,60})", end_url!()),
        examples: &[
            ("OPTIMIZELY_ACCESS_TOKEN = 2:IcuKoJrgTb8oXRi1VNgpm_Y-o5VOe9DJNIAQf8JozsjItWkkD", "2:IcuKoJrgTb8oXRi1VNgpm_Y-o5VOe9DJNIAQf8JozsjItWkkD"),
            (r#"optimizely_sdk_key: "2:aF-AiWiYw1Z-RNTJF2_TWKz1EUaGBvGCUsp7zB8RFyU""#, "2:aF-AiWiYw1Z-RNTJF2_TWKz1EUaGBvGCUsp7zB8RFyU"),
        ],
        counterexamples: &["OPTIMIZELY_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPTIMIZELY_ACCESS_TOKEN=<your-optimizely-key>", "OPTIMIZELY_ACCESS_TOKEN=2:1aTvO6CAi7ZBexBlhw4BOqw6XZKDYOwEOxtuMUD"],
        ..NAMED
    },
    Builtin {
        id: "growthbook_secret",
        provider: "growthbook",
        description: "GrowthBook secret API key (secret_ + 40) beside a GrowthBook key name",
        keywords: &["growthbook"],
        pattern: concat!(r"(?-u)(?i:growthbook)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>secret_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  GROWTHBOOK_SECRET_KEY: secret_bFrFXQfX9sHP2QN1uvzTlPBu8eGHbnaOEuYjZb6m", "secret_bFrFXQfX9sHP2QN1uvzTlPBu8eGHbnaOEuYjZb6m"),
            (r#"export growthbook_api_key="secret_madNJxX2I0ggOWOzJ5KSbZAfW8rFtSnh7umtkit8""#, "secret_madNJxX2I0ggOWOzJ5KSbZAfW8rFtSnh7umtkit8"),
        ],
        counterexamples: &["GROWTHBOOK_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GROWTHBOOK_SECRET_KEY=<your-growthbook-key>", "GROWTHBOOK_SECRET_KEY=secret_IiNBS7D612aeJODkGp9AU93IvXO30t0IiePqCJW"],
        ..NAMED
    },
    Builtin {
        id: "fullstory_api_key",
        provider: "fullstory",
        description: "FullStory API key beside a FullStory key name",
        keywords: &["fullstory"],
        pattern: concat!(r"(?-u)(?i:fullstory)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>na1\.[A-Za-z0-9+/]{100,140})", end_b64!()),
        examples: &[
            ("FULLSTORY_API_KEY=na1.wQU4XWtq7/772GBoX5056praTh3LCP+hj1rrWih5GG1ywi5C5JC1FWSJxTGD5mXOVCeBTRqV3DQxPp0ra0H5MD8j8wEzdy11osoCWxeq0MaRl", "na1.wQU4XWtq7/772GBoX5056praTh3LCP+hj1rrWih5GG1ywi5C5JC1FWSJxTGD5mXOVCeBTRqV3DQxPp0ra0H5MD8j8wEzdy11osoCWxeq0MaRl"),
            (r#"{"fullstory_key":"na1.LLu30nPEqOYXC8srxhOcYtknNlxkMGh2x743tvSnOicSNHDGAwBuHZMwohY+laQPZx9lIlle9CuOwqtMb0rW0VZS+QO16qjolk+EE5q95ul5s"}"#, "na1.LLu30nPEqOYXC8srxhOcYtknNlxkMGh2x743tvSnOicSNHDGAwBuHZMwohY+laQPZx9lIlle9CuOwqtMb0rW0VZS+QO16qjolk+EE5q95ul5s"),
        ],
        counterexamples: &["FULLSTORY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FULLSTORY_API_KEY=<your-fullstory-key>", "FULLSTORY_API_KEY=na1.a8L4a0FACG/BMzxm10/Vp4YbTxWCo/45DhOYi6djj+iSMfVLTjBYhrwy6skmiVjIjB8EZ0SzTJUb2u+LJ9+qlXXGkExVCZcSQoX"],
        ..NAMED
    },
    Builtin {
        id: "hotjar_secret",
        provider: "hotjar",
        description: "Hotjar API client secret beside a Hotjar key name",
        keywords: &["hotjar"],
        pattern: concat!(r"(?-u)(?i:hotjar)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"HOTJAR_CLIENT_SECRET: "TMD1iUlJ6Mf1IVvluarUwGZnQ33nkA8naAvPnPs5RKN88w6ueeUEHo1gSU02XX8n""#, "TMD1iUlJ6Mf1IVvluarUwGZnQ33nkA8naAvPnPs5RKN88w6ueeUEHo1gSU02XX8n"),
            ("hotjar_secret = MdTqPY4q1dqlfDnvX4XQkIVTc9pFZjVnpmlJeUVrH0Beq2vFvGgRwBoBMLI7tnlH", "MdTqPY4q1dqlfDnvX4XQkIVTc9pFZjVnpmlJeUVrH0Beq2vFvGgRwBoBMLI7tnlH"),
        ],
        counterexamples: &["HOTJAR_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HOTJAR_CLIENT_SECRET=<your-hotjar-key>", "HOTJAR_CLIENT_SECRET=HS73JA3NP6IkZQzaOzNBVzrTVFjRqXek3b6XNwTM7J4XnA1ToLhC1KIG5rk80AR"],
        ..NAMED
    },
    Builtin {
        id: "plausible_api_key",
        provider: "plausible",
        description: "Plausible Analytics API key (64) beside a Plausible key name",
        keywords: &["plausible"],
        pattern: concat!(r"(?-u)(?i:plausible)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{64})", end_url!()),
        examples: &[
            (r#"export PLAUSIBLE_API_KEY="8lAbCmsXAMik9rMpRbnDOi8kb23N-hXnrYap063kG_AyAkroSkneCyLEKzfAIQFf""#, "8lAbCmsXAMik9rMpRbnDOi8kb23N-hXnrYap063kG_AyAkroSkneCyLEKzfAIQFf"),
            ("  plausible_key: EVy94IvBEUsaJu_aWllLnRj5jg6WhsdfbvV5FiRg41hKX_F4tSpIG3PogfvrDMmL", "EVy94IvBEUsaJu_aWllLnRj5jg6WhsdfbvV5FiRg41hKX_F4tSpIG3PogfvrDMmL"),
        ],
        counterexamples: &["PLAUSIBLE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLAUSIBLE_API_KEY=<your-plausible-key>", "PLAUSIBLE_API_KEY=sxYmUWazAPageKC6gv4z8NoCD3YtiwuYLILmeZwmnzt-aJH7oMD1ceMZqwqjNhN"],
        ..NAMED
    },
    Builtin {
        id: "rudderstack_token",
        provider: "rudderstack",
        description: "RudderStack write key / access token beside a RudderStack key name",
        keywords: &["rudderstack"],
        pattern: concat!(r"(?-u)(?i:rudderstack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{27})", end_url!()),
        examples: &[
            (r#"{"RUDDERSTACK_WRITE_KEY":"EYysF0v0RvgZiaWAvu7HGQbNC5a"}"#, "EYysF0v0RvgZiaWAvu7HGQbNC5a"),
            ("rudderstack_token=Bh56Ef7TfQRxPB9Orh16CDWm33k", "Bh56Ef7TfQRxPB9Orh16CDWm33k"),
        ],
        counterexamples: &["RUDDERSTACK_WRITE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RUDDERSTACK_WRITE_KEY=<your-rudderstack-key>", "RUDDERSTACK_WRITE_KEY=q3g5P9yz3aU2vfMEnzERAcdqSR"],
        ..NAMED
    },
    Builtin {
        id: "customer_io_track_key",
        provider: "customerio",
        description: "Customer.io track API key (20 hex) beside a Customer.io track key name",
        keywords: &["customerio_track", "customer_io_track"],
        pattern: concat!(r"(?-u)(?i:customer[_.-]?io[_.-]?track)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            ("CUSTOMERIO_TRACK_API_KEY = f7a9462c4eda46597498", "f7a9462c4eda46597498"),
            (r#"customerio_track_key: "be53ab524ada81d409f2""#, "be53ab524ada81d409f2"),
        ],
        counterexamples: &["CUSTOMERIO_TRACK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CUSTOMERIO_TRACK_API_KEY=<your-customerio-key>", "CUSTOMERIO_TRACK_API_KEY=c72b8259599a7801f4c"],
        ..NAMED
    },
];
