//! Databases and data platforms.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "databricks_token",
        provider: "databricks",
        description: "Databricks personal access token (dapi + 32 hex, optional -N suffix)",
        keywords: &["dapi"],
        pattern: r"(?-u)(?P<token>dapi(?P<secret>[a-f0-9]{32}(?:-[0-9]{1,2})?))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("DATABRICKS_TOKEN=dapic23d05814a1e970b7b0799800b9d5853", "dapic23d05814a1e970b7b0799800b9d5853"),
            ("Authorization: Bearer dapi53f69e7dcb8ee79099c11e96bebe2c76-3", "dapi53f69e7dcb8ee79099c11e96bebe2c76-3"),
        ],
        counterexamples: &["dapic23d05814a1e970b7b0799800b9d585", "dapic23d05814a1e970b7b0799800b9d5853a"],
    },
    Builtin {
        id: "databricks_oauth_secret",
        provider: "databricks",
        description: "Databricks OAuth service principal secret (dose + 32 hex)",
        keywords: &["dose"],
        pattern: r"(?-u)(?P<token>dose(?P<secret>[a-f0-9]{32}))\b",
        validate: Some(bounded::random_hex),
        generic: false,
        examples: &[("client_secret=dose237ad919b2304c3ed152e7f6ea007627", "dose237ad919b2304c3ed152e7f6ea007627")],
        counterexamples: &["a dose of 5 mg", "dose237ad919b2304c3ed152e7f6ea00762"],
    },
    Builtin {
        id: "planetscale_token",
        provider: "planetscale",
        description: "PlanetScale service token, password and OAuth token (pscale_tkn_, pscale_pw_, pscale_oauth_)",
        keywords: &["pscale_"],
        pattern: concat!(r"(?-u)(?P<token>pscale_(?:tkn|pw|oauth|otkn)_(?P<secret>[A-Za-z0-9_-]{32,64}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("PLANETSCALE_SERVICE_TOKEN=pscale_tkn_vPXg-e3LobTmTNHgLDRM1lZJSmGk-nkaR7ei5aOyQiq", "pscale_tkn_vPXg-e3LobTmTNHgLDRM1lZJSmGk-nkaR7ei5aOyQiq"),
            ("mysql://u:pscale_pw_8u5R8WQw3dvoDjUWglN64DoH6UHZgxLmzGNsyTCFUg1@aws.connect.psdb.cloud/db", "pscale_pw_8u5R8WQw3dvoDjUWglN64DoH6UHZgxLmzGNsyTCFUg1"),
        ],
        counterexamples: &["pscale_tkn_short", "pscale_pw_"],
    },
    Builtin {
        id: "supabase_token",
        provider: "supabase",
        description: "Supabase personal access token (sbp_ + 40 hex) and secret API key (sb_secret_)",
        keywords: &["sbp_", "sb_secret_"],
        pattern: concat!(r"(?-u)(?P<token>(?:sbp_(?:oauth_)?|sb_secret_)(?P<secret>[A-Za-z0-9_-]{30,64}))", end_url!()),
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("SUPABASE_ACCESS_TOKEN=sbp_3134ff8af87873265abad0c41fb6e8c44fe55a93", "sbp_3134ff8af87873265abad0c41fb6e8c44fe55a93")],
        counterexamples: &["sbp_short", "sbp_ tokens"],
    },
    Builtin {
        id: "mongodb_atlas_service_account_secret",
        provider: "mongodb",
        description: "MongoDB Atlas service account client secret (mdb_sa_sk_ + 40)",
        keywords: &["mdb_sa_sk_"],
        pattern: prefixed!(r"mdb_sa_sk_", r"[A-Za-z0-9_-]{40}"),
        examples: &[
            (r#"mongodb_atlas_service_account_secret = "mdb_sa_sk_ciqBLcC6gXP60BOYuePdHSpnNJ7QGEA6qU1D2R4f""#, "mdb_sa_sk_ciqBLcC6gXP60BOYuePdHSpnNJ7QGEA6qU1D2R4f"),
            ("env MONGODB_ATLAS_SERVICE_ACCOUNT_SECRET=mdb_sa_sk_nRXXEzxUjmYsbwVMuote_PtH6tlRrqxbjWOXsx5S ./deploy.sh", "mdb_sa_sk_nRXXEzxUjmYsbwVMuote_PtH6tlRrqxbjWOXsx5S"),
        ],
        counterexamples: &["mdb_sa_sk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mdb_sa_sk_1234567890", "mdb_sa_sk_uB6bE8efXv4Q59FtE_tGpDj1wJDGVGYsaMxk35P"],
        ..PREFIXED
    },
    Builtin {
        id: "mongodb_atlas_private_key",
        provider: "mongodb",
        description: "MongoDB Atlas Admin API private key (UUID) beside an Atlas key name",
        keywords: &["atlas"],
        pattern: concat!(r"(?-u)(?i:atlas|mongodb[_-]?atlas)[A-Za-z0-9_.-]{0,24}?(?i:private[_-]?key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export MONGODB_ATLAS_PRIVATE_KEY="9087ad63-6548-84d6-f377-25f788ff4677""#, "9087ad63-6548-84d6-f377-25f788ff4677"),
            ("  atlas_private_key: c4326ac0-f50e-90b9-b071-a69cab836e94", "c4326ac0-f50e-90b9-b071-a69cab836e94"),
        ],
        counterexamples: &["MONGODB_ATLAS_PRIVATE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MONGODB_ATLAS_PRIVATE_KEY=<your-mongodb-key>", "MONGODB_ATLAS_PRIVATE_KEY=d1d6a44c-31c3-1681-a308-80cccfa88ba"],
        ..NAMED
    },
    Builtin {
        id: "snowflake_password",
        provider: "snowflake",
        description: "Snowflake password / PAT beside a Snowflake key name",
        keywords: &["snowflake"],
        pattern: concat!(r"(?-u)(?i:snowflake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{16,64})", end_url!()),
        examples: &[
            (r#"{"SNOWFLAKE_PASSWORD":"kA4PkXidT1Kamri14z-ojoTWSb"}"#, "kA4PkXidT1Kamri14z-ojoTWSb"),
            ("snowflake_token=MYX1SyP8C8F8l2tizY", "MYX1SyP8C8F8l2tizY"),
        ],
        counterexamples: &["SNOWFLAKE_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNOWFLAKE_PASSWORD=<your-snowflake-key>", "SNOWFLAKE_PASSWORD=-bnMPkKvL2xFzs-"],
        ..NAMED
    },
    Builtin {
        id: "neon_api_key",
        provider: "neon",
        description: "Neon API key (napi_ + 64 lower-case alphanumerics)",
        keywords: &["napi_"],
        pattern: prefixed!(r"napi_", r"[a-z0-9]{64}"),
        examples: &[
            (r#"NEON_API_KEY="napi_bjq7fhzqcix8pgzydemai5cevosbs1n9xwhvk3qmpxdre0mj3aloh4d9dt0gwpja""#, "napi_bjq7fhzqcix8pgzydemai5cevosbs1n9xwhvk3qmpxdre0mj3aloh4d9dt0gwpja"),
            ("  neon_api_key: napi_8nayl3xh1fbob7mdb7iplh18bzax8uzcru9sajjifpc98krrrnuscxcdfigtw7j3", "napi_8nayl3xh1fbob7mdb7iplh18bzax8uzcru9sajjifpc98krrrnuscxcdfigtw7j3"),
        ],
        counterexamples: &["napi_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like napi_1234567890", "napi_rm1163yomjb0uz725rhcrvrcx9o9xe6g2b7xkxhg2jueszbtros1gm9acy1dj9d"],
        ..PREFIXED
    },
    Builtin {
        id: "upstash_token",
        provider: "upstash",
        description: "Upstash Redis REST / QStash token beside an Upstash key name",
        keywords: &["upstash"],
        pattern: concat!(r"(?-u)(?i:upstash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>A[A-Za-z0-9_-]{60,90})", end_url!()),
        examples: &[
            ("  UPSTASH_REDIS_REST_TOKEN: AmBSvGDb_JyxlLmzg_1WhkgvEVrkVoBUo1gbisU5vmr1o66xCEEfoKGrfBtQS", "AmBSvGDb_JyxlLmzg_1WhkgvEVrkVoBUo1gbisU5vmr1o66xCEEfoKGrfBtQS"),
            (r#"export upstash_token="AF_rg0PacJ0oP9h4swVyyZuARfXEHG6bsrCWLkU5msCQVFn36RXZqchuhm0lQaG""#, "AF_rg0PacJ0oP9h4swVyyZuARfXEHG6bsrCWLkU5msCQVFn36RXZqchuhm0lQaG"),
        ],
        counterexamples: &["UPSTASH_REDIS_REST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPSTASH_REDIS_REST_TOKEN=<your-upstash-key>", "UPSTASH_REDIS_REST_TOKEN=A9p1mJTALTfK2n6i61aeyqPN6BgO5PZnTmvxFvYOXxOj-aPWSMZGxOCSPkhS"],
        ..NAMED
    },
    Builtin {
        id: "fauna_secret",
        provider: "fauna",
        description: "Fauna database secret (fn + A..Z + 38)",
        keywords: &["fnA", "fnE"],
        pattern: prefixed!(r"(?:fnA|fnE)", r"[A-Za-z0-9_-]{38}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG fauna client configured token=fnA4ZZb0WYUXS25FQb9xXh3WmdSmOZ51ngBy6Qm8K", "fnA4ZZb0WYUXS25FQb9xXh3WmdSmOZ51ngBy6Qm8K"),
            ("env FAUNA_SECRET=fnE0qrI-2aP6AHG2c1UHw5gE1CN6hqNnNL_Tk6Xyv ./deploy.sh", "fnE0qrI-2aP6AHG2c1UHw5gE1CN6hqNnNL_Tk6Xyv"),
        ],
        counterexamples: &["fnAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fnA1234567890", "fnAD2Go9TERDW0sciz74kOap9CY4Q-VtykeeP0r7"],
        ..PREFIXED
    },
    Builtin {
        id: "algolia_admin_key",
        provider: "algolia",
        description: "Algolia admin / write API key (32 hex) beside an Algolia key name",
        keywords: &["algolia"],
        pattern: concat!(r"(?-u)(?i:algolia)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"ALGOLIA_ADMIN_KEY: "154c088c24fa904674dabeaa373ba405""#, "154c088c24fa904674dabeaa373ba405"),
            ("algolia_api_key = 657040825acae6546cca8d2237048917", "657040825acae6546cca8d2237048917"),
        ],
        counterexamples: &["ALGOLIA_ADMIN_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALGOLIA_ADMIN_KEY=<your-algolia-key>", "ALGOLIA_ADMIN_KEY=68b52a6d0e1885acab30130997ee26c"],
        ..NAMED
    },
    Builtin {
        id: "clickhouse_cloud_secret",
        provider: "clickhouse",
        description: "ClickHouse Cloud API key secret (4b1d + 38)",
        keywords: &["4b1d"],
        pattern: prefixed!(r"4b1d", r"[A-Za-z0-9]{38}"),
        examples: &[
            ("env CLICKHOUSE_CLOUD_SECRET=4b1doOe2fuN8311CSBdbfmsAGPsVMIFNZX9BqI3VpT ./deploy.sh", "4b1doOe2fuN8311CSBdbfmsAGPsVMIFNZX9BqI3VpT"),
            ("docker run -e CLICKHOUSE_CLOUD_SECRET=4b1dc8NVkTRGNt4rk6wlD9Uevh4D5jGfcNZ42MgrLY app:latest", "4b1dc8NVkTRGNt4rk6wlD9Uevh4D5jGfcNZ42MgrLY"),
        ],
        counterexamples: &["4b1dxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 4b1d1234567890", "4b1d36M74ZXqIzqg8EHuG15RD2OvqbFVrUivhczrT"],
        ..PREFIXED
    },
    Builtin {
        id: "redis_cloud_key",
        provider: "redis",
        description: "Redis Cloud API key / secret beside a Redis Cloud key name",
        keywords: &["rediscloud", "redis_cloud", "redis-cloud"],
        pattern: concat!(r"(?-u)(?i:redis[_-]?cloud|rediscloud)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{48,60})", end_url!()),
        examples: &[
            (r#"{"REDISCLOUD_SECRET_KEY":"DwsscG3nmh7FIugd3MhDqfgJPsgYgQ005YqyFYqXDOUOWf5lgTOMLPqY"}"#, "DwsscG3nmh7FIugd3MhDqfgJPsgYgQ005YqyFYqXDOUOWf5lgTOMLPqY"),
            ("redis_cloud_api_key=tqIjiwtheT4XKqyJuqYEEGchyowmNX3AWDLObwYNXXuLBjwr4RoTLE", "tqIjiwtheT4XKqyJuqYEEGchyowmNX3AWDLObwYNXXuLBjwr4RoTLE"),
        ],
        counterexamples: &["REDISCLOUD_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDISCLOUD_SECRET_KEY=<your-redis-key>", "REDISCLOUD_SECRET_KEY=Qt9V4wb2gAAAxVlYS3H9pJozTZkv0gw2bOYQVKTAxZab4I8"],
        ..NAMED
    },
    Builtin {
        id: "influxdb_token",
        provider: "influxdb",
        description: "InfluxDB API token (86 base64 + ==) beside an Influx key name",
        keywords: &["influx"],
        pattern: concat!(r"(?-u)(?i:influx(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{86}==)", end_url!()),
        examples: &[
            ("INFLUXDB_TOKEN = jHMeT6exmQPwjbU6-yU9hFg28OAgWjkxYEiU7N2FfoGZU1kExiQU9grQdaOEkT2nV6RZKkdVzLCSKixZEDzZki==", "jHMeT6exmQPwjbU6-yU9hFg28OAgWjkxYEiU7N2FfoGZU1kExiQU9grQdaOEkT2nV6RZKkdVzLCSKixZEDzZki=="),
            (r#"influx_token: "xJfokA__UqpK5zTCOLfuAvzV44MDfz3QtwqpWPpN_OVu_UtNCApeulVsDIRKDn9x6m_1WmIhc04NqLs5ua6gTk==""#, "xJfokA__UqpK5zTCOLfuAvzV44MDfz3QtwqpWPpN_OVu_UtNCApeulVsDIRKDn9x6m_1WmIhc04NqLs5ua6gTk=="),
        ],
        counterexamples: &["INFLUXDB_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INFLUXDB_TOKEN=<your-influxdb-key>", "INFLUXDB_TOKEN=82DhDUjn--J2_WVY1PI3rHSmsV5xROZ501o6wJrlgU7cBpZndroyAiII7JmsPTSGg7ZUQiUj9tYR_SqY7nUK_=="],
        ..NAMED
    },
    Builtin {
        id: "cockroachdb_key",
        provider: "cockroachdb",
        description: "CockroachDB Cloud API key beside a CockroachDB key name",
        keywords: &["cockroach"],
        pattern: concat!(r"(?-u)(?i:cockroach(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>CCDB1_[A-Za-z0-9]{22}_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  COCKROACH_API_KEY: CCDB1_UUjTSJrcMW0os1IpWDPJH8_nBgrzu5M3swPivY4RaomxJ5GhwIqNdBpZjSZCoZB", "CCDB1_UUjTSJrcMW0os1IpWDPJH8_nBgrzu5M3swPivY4RaomxJ5GhwIqNdBpZjSZCoZB"),
            (r#"export cockroachdb_api_key="CCDB1_3zP1OpDxlD3hxsPI7TVJzp_JeOjRNjdjR746hGurkpUUvz3aORTxFM6hirTXeMF""#, "CCDB1_3zP1OpDxlD3hxsPI7TVJzp_JeOjRNjdjR746hGurkpUUvz3aORTxFM6hirTXeMF"),
        ],
        counterexamples: &["COCKROACH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COCKROACH_API_KEY=<your-cockroachdb-key>", "COCKROACH_API_KEY=CCDB1_MqsCIEKebAmHuQg37aU16q_AVg2ovq70OpQZEEMgGGPdj7I1BSB5fUuzAZMjBD"],
        ..NAMED
    },
    Builtin {
        id: "aiven_api_token",
        provider: "aiven",
        description: "Aiven API token beside an Aiven key name",
        keywords: &["aiven"],
        pattern: concat!(r"(?-u)(?i:aiven)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{100,400})", end_b64!()),
        examples: &[
            ("AIVEN_TOKEN=USTMsYrQ3vkc1o/W4eJksP49RdRgcCMnDgp+uv6D+B9/fmW2jqgxF8e33uJj4NvjIpbEUCF9BVAgjxbUeGL0RLRhWHBHWhpF5WWL6wYZZ94", "USTMsYrQ3vkc1o/W4eJksP49RdRgcCMnDgp+uv6D+B9/fmW2jqgxF8e33uJj4NvjIpbEUCF9BVAgjxbUeGL0RLRhWHBHWhpF5WWL6wYZZ94"),
            (r#"{"aiven_api_token":"+tKwWrrQLWo4SvVyfMLJ+7KvnsNkK9i8Mnwkiqy9paL7TDNoeCR93ZEqndsXOmIiYng37MKqlMgpo5BwFMJdkc0oRCOfk4kBWcmx"}"#, "+tKwWrrQLWo4SvVyfMLJ+7KvnsNkK9i8Mnwkiqy9paL7TDNoeCR93ZEqndsXOmIiYng37MKqlMgpo5BwFMJdkc0oRCOfk4kBWcmx"),
        ],
        counterexamples: &["AIVEN_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIVEN_TOKEN=<your-aiven-key>", "AIVEN_TOKEN=3YwyTPvvg4vBHsTbRa8Brb9e/7aaA4ac3LGhqPkZotFmrfa4CuwA5PoY9F4z/dtVDwJ/kVpkxbO18kvQKw4CW0GMNcX4iO71jrP"],
        ..NAMED
    },
    Builtin {
        id: "couchbase_password",
        provider: "couchbase",
        description: "Couchbase Capella API secret beside a Couchbase key name",
        keywords: &["couchbase"],
        pattern: concat!(r"(?-u)(?i:couchbase)[A-Za-z0-9_.-]{0,24}?(?i:secret|password|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"COUCHBASE_API_SECRET: "i2wCgSlkunPBZxdXSo1zhOm1xAysNAdrnRNHs2qnN4a8AKKlhz0DIsCqpXGhZvmq""#, "i2wCgSlkunPBZxdXSo1zhOm1xAysNAdrnRNHs2qnN4a8AKKlhz0DIsCqpXGhZvmq"),
            ("couchbase_secret = SnDTA9hplJWiKDniDGRlAeHLbnz2BAuvtxV7zqy1J4ABHFCn3fFKeAUaDottOtcR", "SnDTA9hplJWiKDniDGRlAeHLbnz2BAuvtxV7zqy1J4ABHFCn3fFKeAUaDottOtcR"),
        ],
        counterexamples: &["COUCHBASE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COUCHBASE_API_SECRET=<your-couchbase-key>", "COUCHBASE_API_SECRET=bbbjIpSsahPrkloQQom8mfuGKpsZZxrZ5TdjIF56W3lBN0LgHyaLF548wcDiSSz"],
        ..NAMED
    },
    Builtin {
        id: "dbt_cloud_token",
        provider: "dbt",
        description: "dbt Cloud service (dbtc_) and user (dbtu_) tokens",
        keywords: &["dbtc_", "dbtu_"],
        pattern: prefixed!(r"(?:dbtc_|dbtu_)", r"[A-Za-z0-9_-]{40,64}"),
        examples: &[
            ("env DBT_CLOUD_TOKEN=dbtc_VjMnHLsfA6s6vIdR-O14Z76conr8genYFC1_qxYA4cQ1nM1sBR ./deploy.sh", "dbtc_VjMnHLsfA6s6vIdR-O14Z76conr8genYFC1_qxYA4cQ1nM1sBR"),
            (r#"{"dbt_cloud_token": "dbtu_7s8e-eSOmGKC-xHcDpEhDa9IhhPEyTSl4-B4X7uaXkn", "region": "eu-west-1"}"#, "dbtu_7s8e-eSOmGKC-xHcDpEhDa9IhhPEyTSl4-B4X7uaXkn"),
        ],
        counterexamples: &["dbtc_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dbtc_1234567890", "dbtc_EHlhoVpitHW17n94Dj8FaZezkoZe6IxWF5xKys2"],
        ..PREFIXED
    },
    Builtin {
        id: "prefect_api_key",
        provider: "prefect",
        description: "Prefect Cloud user (pnu_) and bot (pnb_) API keys (+ 36)",
        keywords: &["pnu_", "pnb_"],
        pattern: prefixed!(r"(?:pnu_|pnb_)", r"[A-Za-z0-9]{36}"),
        examples: &[
            (r#"{"prefect_api_key": "pnu_acuySAZpwxhjDh9E1R8tFGlMHCpcRkeVST3X", "region": "eu-west-1"}"#, "pnu_acuySAZpwxhjDh9E1R8tFGlMHCpcRkeVST3X"),
            ("  prefect_api_key: pnb_ZwZGe98QNJpoFqZ83Aq1190kH67cdtaiu7tz", "pnb_ZwZGe98QNJpoFqZ83Aq1190kH67cdtaiu7tz"),
        ],
        counterexamples: &["pnu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pnu_1234567890", "pnu_1BOxzGFlGPZxXdQQojYstvfCOlVE8D9prZc"],
        ..PREFIXED
    },
    Builtin {
        id: "fivetran_api_secret",
        provider: "fivetran",
        description: "Fivetran API key / secret beside a Fivetran key name",
        keywords: &["fivetran"],
        pattern: concat!(r"(?-u)(?i:fivetran)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("FIVETRAN_API_SECRET = 8uL4RfGZJFShR416q5DeWZ3lOtK4iPdW", "8uL4RfGZJFShR416q5DeWZ3lOtK4iPdW"),
            (r#"fivetran_key: "2UlLqoLo83YAfnXgLWo6WSEaLsJ8gR5X""#, "2UlLqoLo83YAfnXgLWo6WSEaLsJ8gR5X"),
        ],
        counterexamples: &["FIVETRAN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FIVETRAN_API_SECRET=<your-fivetran-key>", "FIVETRAN_API_SECRET=dXeEuQl3VD1CYXGel9kZGNZtjCxFvL3"],
        ..NAMED
    },
    Builtin {
        id: "looker_client_secret",
        provider: "looker",
        description: "Looker API client secret (24) beside a Looker key name",
        keywords: &["looker"],
        pattern: concat!(r"(?-u)(?i:looker)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOOKERSDK_CLIENT_SECRET: PKOqprYNogzagBl2uqocnZi0", "PKOqprYNogzagBl2uqocnZi0"),
            (r#"export looker_client_secret="JQWxP1zpsE5Vcw79pMqxbwby""#, "JQWxP1zpsE5Vcw79pMqxbwby"),
        ],
        counterexamples: &["LOOKERSDK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOOKERSDK_CLIENT_SECRET=<your-looker-key>", "LOOKERSDK_CLIENT_SECRET=0DRn6LZLI3vPzN0IOPrhHjC"],
        ..NAMED
    },
    Builtin {
        id: "metabase_api_key",
        provider: "metabase",
        description: "Metabase API key (mb_ + 44 base64)",
        keywords: &["mb_"],
        pattern: concat!(r#"(?-u)(?P<token>mb_(?P<secret>[A-Za-z0-9+/]{43}=))"#, end_b64!()),
        examples: &[
            ("Authorization: Bearer mb_X8AJl5WwGTVUrZPYZQvMXkE4pcppa8UYYdJSil5R11q=", "mb_X8AJl5WwGTVUrZPYZQvMXkE4pcppa8UYYdJSil5R11q="),
            ("env METABASE_API_KEY=mb_MagZTYlrDverOmtPpav9XgA0QCc82/OsOwBvHeuH4ss= ./deploy.sh", "mb_MagZTYlrDverOmtPpav9XgA0QCc82/OsOwBvHeuH4ss="),
        ],
        counterexamples: &["mb_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mb_1234567890", "mb_9TJFsH69eFHhZdRNSV+c/oh15uhVbX2OskQbxu2k1H="],
        ..PREFIXED
    },
    Builtin {
        id: "tableau_pat_secret",
        provider: "tableau",
        description: "Tableau personal access token secret beside a Tableau key name",
        keywords: &["tableau"],
        pattern: concat!(r"(?-u)(?i:tableau)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{22}==:[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TABLEAU_PAT_SECRET: "YeOmlS+bNxT9VTyJolk5aJ==:CZy6Z6BPwft2A82NIxJZ3GoiZZgcbtR9""#, "YeOmlS+bNxT9VTyJolk5aJ==:CZy6Z6BPwft2A82NIxJZ3GoiZZgcbtR9"),
            ("tableau_token_secret = RaFMO4U3EDvi6hGV+6Fg8K==:IcwD2pqnm3aUygkfLzQD7sXathstlhFQ", "RaFMO4U3EDvi6hGV+6Fg8K==:IcwD2pqnm3aUygkfLzQD7sXathstlhFQ"),
        ],
        counterexamples: &["TABLEAU_PAT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TABLEAU_PAT_SECRET=<your-tableau-key>", "TABLEAU_PAT_SECRET=2W/mIbJ1NflXKdK2/Z/dhS==:azE08foRIC9yUQb2X7bffKkRT631TSj"],
        ..NAMED
    },
    Builtin {
        id: "weaviate_api_key",
        provider: "weaviate",
        description: "Weaviate API key beside a Weaviate key name",
        keywords: &["weaviate"],
        pattern: concat!(r"(?-u)(?i:weaviate)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"export WEAVIATE_API_KEY="4sgNPPopA8gGRknRGkUdJzCrefqz3V5UZswE5sst""#, "4sgNPPopA8gGRknRGkUdJzCrefqz3V5UZswE5sst"),
            ("  weaviate_key: BeVFzt4ssdyymETdaMKEgBouiTDyLS5rNr43qFWe", "BeVFzt4ssdyymETdaMKEgBouiTDyLS5rNr43qFWe"),
        ],
        counterexamples: &["WEAVIATE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEAVIATE_API_KEY=<your-weaviate-key>", "WEAVIATE_API_KEY=dlZyYsJ9PAmzEBPZUNfNun2enW3kEJuo2Y0Fafe"],
        ..NAMED
    },
    Builtin {
        id: "qdrant_api_key",
        provider: "qdrant",
        description: "Qdrant Cloud API key beside a Qdrant key name",
        keywords: &["qdrant"],
        pattern: concat!(r"(?-u)(?i:qdrant)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,80})", end_url!()),
        examples: &[
            (r#"{"QDRANT_API_KEY":"_r2lwn9JmoIdanL-2iaYdHqgLdymAp5hXeB7KUCZP"}"#, "_r2lwn9JmoIdanL-2iaYdHqgLdymAp5hXeB7KUCZP"),
            ("qdrant_key=gQweKcCf9DCSKVISMCsfKCdI6l-3PpUemafJ3I328gkom4G93pb", "gQweKcCf9DCSKVISMCsfKCdI6l-3PpUemafJ3I328gkom4G93pb"),
        ],
        counterexamples: &["QDRANT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QDRANT_API_KEY=<your-qdrant-key>", "QDRANT_API_KEY=s9Zp8UIDycXF1r6T_vQIOjVNcuEzJdtVi6SKcBE"],
        ..NAMED
    },
    Builtin {
        id: "turso_token",
        provider: "turso",
        description: "Turso database auth token beside a Turso key name",
        keywords: &["turso"],
        pattern: concat!(r"(?-u)(?i:turso)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{60,200}\.[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            ("TURSO_AUTH_TOKEN = eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.Yd5ip8URSWfvte9G0OtAK2Ids5otosIWvykCfTi6XufH9fVEDAHWwy3m-jjUdjtdmC.RLaSSkY1ymlpZ0aDBIf0Mffx21uOt7zu9IvdzznWkevrKzl3PLHFrZbl2rlOTgRqefpNO7b1y0-jtnAcbVtI33", "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.Yd5ip8URSWfvte9G0OtAK2Ids5otosIWvykCfTi6XufH9fVEDAHWwy3m-jjUdjtdmC.RLaSSkY1ymlpZ0aDBIf0Mffx21uOt7zu9IvdzznWkevrKzl3PLHFrZbl2rlOTgRqefpNO7b1y0-jtnAcbVtI33"),
            (r#"turso_token: "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.-fliuiD1KTFauAAJHSL1iXvbsVT9VHeiWWbqrbNpJf-DOZuTdLW1o4-fNqSK5ckM0aPP.WE9s37FN02iQBt2gB8UiBSU0fvKvWCe422tiZo0f_Z8bWVTBqJUuiHlKVIxRIUqifVZ9mj52GTbc2_VymPBO2D""#, "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.-fliuiD1KTFauAAJHSL1iXvbsVT9VHeiWWbqrbNpJf-DOZuTdLW1o4-fNqSK5ckM0aPP.WE9s37FN02iQBt2gB8UiBSU0fvKvWCe422tiZo0f_Z8bWVTBqJUuiHlKVIxRIUqifVZ9mj52GTbc2_VymPBO2D"),
        ],
        counterexamples: &["TURSO_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TURSO_AUTH_TOKEN=<your-turso-key>", "TURSO_AUTH_TOKEN=eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9._3PhFIS0uLxcJQebe9kYtxYPXK6VRoDC5ir1Q5yWERCguZrTibqD9AWFCy1t0qcLxwyuI2Ga.Hgroad-vOi5ddPbPsMvL-6pK2-FXNsdXQLukotSMtFhsOku2pcSwj-FbyKi3OIfGStjw-iygDe1W3AINl_mcl"],
        ..NAMED
    },
    Builtin {
        id: "xata_api_key",
        provider: "xata",
        description: "Xata API key (xau_ + 40) beside a Xata key name",
        keywords: &["xata"],
        pattern: concat!(r"(?-u)(?i:xata)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>xau_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  XATA_API_KEY: xau_xkDbYYGZckDX49yVzZD1yf9TZKeuVl7FXM26TOUK", "xau_xkDbYYGZckDX49yVzZD1yf9TZKeuVl7FXM26TOUK"),
            (r#"export xata_key="xau_gzyD3DdKNwENRnQxsWFghUXItgbpyflrPMXBeP0s""#, "xau_gzyD3DdKNwENRnQxsWFghUXItgbpyflrPMXBeP0s"),
        ],
        counterexamples: &["XATA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XATA_API_KEY=<your-xata-key>", "XATA_API_KEY=xau_h4gj0U7LKij99RxSmDrTkNjgs9jwsTR4P2zru5W"],
        ..NAMED
    },
    Builtin {
        id: "truenas_api_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) beside a TrueNAS key name",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("TRUENAS_API_KEY=68-KTe5rHPIDYO6KqXCCdj4fpYEItlNGJG5s9fdl2exXGluraDbCOjPyrZB06KWAw6G", "68-KTe5rHPIDYO6KqXCCdj4fpYEItlNGJG5s9fdl2exXGluraDbCOjPyrZB06KWAw6G"),
            (r#"{"truenas_key":"40-NED12o7wzgiWefIzR31f9spjQE8hSB9SWufEVmV2i1th6E2O2xKfD5R7d7uDRiUq"}"#, "40-NED12o7wzgiWefIzR31f9spjQE8hSB9SWufEVmV2i1th6E2O2xKfD5R7d7uDRiUq"),
        ],
        counterexamples: &["TRUENAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRUENAS_API_KEY=<your-truenas-key>", "TRUENAS_API_KEY=05-YJultjNHbMQbTqy4PMIipIKpkwBsWHWfGrRlhW61V33WddnxOF2LtFJCtv9sE1d"],
        ..NAMED
    },
    Builtin {
        id: "truenas_bearer_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) in a bearer header in a line naming TrueNAS",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[^\n]{0,160}?(?i:bearer)\s+(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"GET https://truenas.local/api/v2.0/pool -H "Authorization: Bearer 3-GeqTQ1SIAQ5DJ9iwl0fzgWWjod2cXbPGQolDBa5kL1797dFzV7SuJ1mS1cMI2QCC""#, "3-GeqTQ1SIAQ5DJ9iwl0fzgWWjod2cXbPGQolDBa5kL1797dFzV7SuJ1mS1cMI2QCC"),
            ("truenas client: Authorization: Bearer 12-p5hBfPg7Jlx1hYmIHWQ4ak9k2g7unXhfq59As4ZR03PNIcayaWShYRL9LPptHvgG", "12-p5hBfPg7Jlx1hYmIHWQ4ak9k2g7unXhfq59As4ZR03PNIcayaWShYRL9LPptHvgG"),
        ],
        counterexamples: &["truenas Authorization: Bearer 1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "truenas Authorization: Bearer $TRUENAS_KEY"],
        ..NAMED
    },
];
