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
            ("curl -s -H 'Authorization: Bearer mdb_sa_sk_liOw_smYW77hS9BUL_mpMncFXkxJ3jKGpmsqsUz7' https://api.example.net/v1/me", "mdb_sa_sk_liOw_smYW77hS9BUL_mpMncFXkxJ3jKGpmsqsUz7"),
            ("docker run -e MONGODB_ATLAS_SERVICE_ACCOUNT_SECRET=mdb_sa_sk_usmKtSKYJOqXRjI6G54gslF8MwLkhwiUwPIa7d5t app:latest", "mdb_sa_sk_usmKtSKYJOqXRjI6G54gslF8MwLkhwiUwPIa7d5t"),
        ],
        counterexamples: &["mdb_sa_sk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mdb_sa_sk_1234567890", "mdb_sa_sk_I31TCLbM87DTZnqjlZlKEt9o2Pl9zqMo8Uk7hP6"],
        ..PREFIXED
    },
    Builtin {
        id: "mongodb_atlas_private_key",
        provider: "mongodb",
        description: "MongoDB Atlas Admin API private key (UUID) beside an Atlas key name",
        keywords: &["atlas"],
        pattern: concat!(r"(?-u)(?i:atlas|mongodb[_-]?atlas)[A-Za-z0-9_.-]{0,24}?(?i:private[_-]?key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export MONGODB_ATLAS_PRIVATE_KEY="860baa59-008c-775b-9285-1c28de4b52c3""#, "860baa59-008c-775b-9285-1c28de4b52c3"),
            ("  atlas_private_key: 711075ed-51fc-61ee-73d2-ea81bac29fbd", "711075ed-51fc-61ee-73d2-ea81bac29fbd"),
        ],
        counterexamples: &["MONGODB_ATLAS_PRIVATE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MONGODB_ATLAS_PRIVATE_KEY=<your-mongodb-key>", "MONGODB_ATLAS_PRIVATE_KEY=d20e5a7d-fee5-a223-1d88-1db2e0e5621"],
        ..NAMED
    },
    Builtin {
        id: "snowflake_password",
        provider: "snowflake",
        description: "Snowflake password / PAT beside a Snowflake key name",
        keywords: &["snowflake"],
        pattern: concat!(r"(?-u)(?i:snowflake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{16,64})", end_url!()),
        examples: &[
            (r#"{"SNOWFLAKE_PASSWORD":"pMLYHJw73RIFyoqK1"}"#, "pMLYHJw73RIFyoqK1"),
            ("snowflake_token=MMeiTTYTUfbbt2HgSs8Imz", "MMeiTTYTUfbbt2HgSs8Imz"),
        ],
        counterexamples: &["SNOWFLAKE_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNOWFLAKE_PASSWORD=<your-snowflake-key>", "SNOWFLAKE_PASSWORD=RviiCF8FTcyUcJl"],
        ..NAMED
    },
    Builtin {
        id: "neon_api_key",
        provider: "neon",
        description: "Neon API key (napi_ + 64 lower-case alphanumerics)",
        keywords: &["napi_"],
        pattern: prefixed!(r"napi_", r"[a-z0-9]{64}"),
        examples: &[
            (r#"{"neon_api_key": "napi_l7aeju6hgidrfp4x1z5wgat5c3g2nyp2y4jd9z5bjmrllzlqm64dgzrvabywwjiy", "region": "eu-west-1"}"#, "napi_l7aeju6hgidrfp4x1z5wgat5c3g2nyp2y4jd9z5bjmrllzlqm64dgzrvabywwjiy"),
            ("docker run -e NEON_API_KEY=napi_ht16euqtsi3ay0kmuj00j3ncx0upn3m7st3kjkhffn9s8uxilm679tycdeqfdzmg app:latest", "napi_ht16euqtsi3ay0kmuj00j3ncx0upn3m7st3kjkhffn9s8uxilm679tycdeqfdzmg"),
        ],
        counterexamples: &["napi_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like napi_1234567890", "napi_v8vkhgardg8432sbxtrbvnt1sk3otkem5w51wrfzn1rm7lrrbhi6zmwy7xyhnuy"],
        ..PREFIXED
    },
    Builtin {
        id: "upstash_token",
        provider: "upstash",
        description: "Upstash Redis REST / QStash token beside an Upstash key name",
        keywords: &["upstash"],
        pattern: concat!(r"(?-u)(?i:upstash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>A[A-Za-z0-9_-]{60,90})", end_url!()),
        examples: &[
            ("  UPSTASH_REDIS_REST_TOKEN: A-3uTMe5KauQHLU0ILn_C-HvO0Rr0_W2mckORX46PlkhgYX6t4hjdRAsXHpS9q9ZZ62uAAw", "A-3uTMe5KauQHLU0ILn_C-HvO0Rr0_W2mckORX46PlkhgYX6t4hjdRAsXHpS9q9ZZ62uAAw"),
            (r#"export upstash_token="ACvMl8oStFL7TX-yTDp6w9Xm-HWMGWxS6BODaJ9iNx4AhiHT99IjwZ1wHKtmJCY8cA1""#, "ACvMl8oStFL7TX-yTDp6w9Xm-HWMGWxS6BODaJ9iNx4AhiHT99IjwZ1wHKtmJCY8cA1"),
        ],
        counterexamples: &["UPSTASH_REDIS_REST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPSTASH_REDIS_REST_TOKEN=<your-upstash-key>", "UPSTASH_REDIS_REST_TOKEN=AIY0IKVqw0cETHkbVmRf19yvSMmlxXZRfP6srJLB4ZuEQOfavwBGr-QrjT9E"],
        ..NAMED
    },
    Builtin {
        id: "fauna_secret",
        provider: "fauna",
        description: "Fauna database secret (fn + A..Z + 38)",
        keywords: &["fnA", "fnE"],
        pattern: prefixed!(r"(?:fnA|fnE)", r"[A-Za-z0-9_-]{38}"),
        examples: &[
            ("env FAUNA_SECRET=fnAvoSwA6dVw9J9luTPif6GxPds_AzX4AKdmBCKS5 ./deploy.sh", "fnAvoSwA6dVw9J9luTPif6GxPds_AzX4AKdmBCKS5"),
            ("  fauna_secret: fnEd9PzOITB5mE7LXKAOddl3ai4H2YhBKbODwpOof", "fnEd9PzOITB5mE7LXKAOddl3ai4H2YhBKbODwpOof"),
        ],
        counterexamples: &["fnAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fnA1234567890", "fnAo5mhzF0nFih6pNbwdtUJFPQJsj76AWIw_pZbZ"],
        ..PREFIXED
    },
    Builtin {
        id: "algolia_admin_key",
        provider: "algolia",
        description: "Algolia admin / write API key (32 hex) beside an Algolia key name",
        keywords: &["algolia"],
        pattern: concat!(r"(?-u)(?i:algolia)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"ALGOLIA_ADMIN_KEY: "d2186fe1b10171783c0c828a6ea93af5""#, "d2186fe1b10171783c0c828a6ea93af5"),
            ("algolia_api_key = 32255446b2c13b375e3b1f3f616f2879", "32255446b2c13b375e3b1f3f616f2879"),
        ],
        counterexamples: &["ALGOLIA_ADMIN_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALGOLIA_ADMIN_KEY=<your-algolia-key>", "ALGOLIA_ADMIN_KEY=a77dd9edb54243081ca6a067a6c09af"],
        ..NAMED
    },
    Builtin {
        id: "clickhouse_cloud_secret",
        provider: "clickhouse",
        description: "ClickHouse Cloud API key secret (4b1d + 38) in a line naming ClickHouse",
        keywords: &["clickhouse"],
        pattern: prefixed!(r"4b1d", r"[A-Za-z0-9]{38}"),
        examples: &[
            ("CLICKHOUSE_KEY_SECRET=4b1dshVucMifGWFLszjsxR52IDbpl4q1qiygehYJOd", "4b1dshVucMifGWFLszjsxR52IDbpl4q1qiygehYJOd"),
            ("clickhouse cloud key secret: 4b1dhpMbjK5oWBkug2JBatvMfKtypDzHLpsONamNNw", "4b1dhpMbjK5oWBkug2JBatvMfKtypDzHLpsONamNNw"),
        ],
        counterexamples: &["4b1dxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 4b1d1234567890", "4b1dzBCjt1ZhoKYm0YjfDJZ3fRb0CCStt3cEtg49V"],
        ..PREFIXED
    },
    Builtin {
        id: "redis_cloud_key",
        provider: "redis",
        description: "Redis Cloud API key / secret beside a Redis Cloud key name",
        keywords: &["rediscloud", "redis_cloud", "redis-cloud"],
        pattern: concat!(r"(?-u)(?i:redis[_-]?cloud|rediscloud)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{48,60})", end_url!()),
        examples: &[
            (r#"{"REDISCLOUD_SECRET_KEY":"hlLZ4NvjSIUi0PvORomFSMHCQu4gl4YbJGLImODvTpmoRYs4ROjmX"}"#, "hlLZ4NvjSIUi0PvORomFSMHCQu4gl4YbJGLImODvTpmoRYs4ROjmX"),
            ("redis_cloud_api_key=jTpROjifINHgaMl7VnG3IjiVDwThODCH3A0Yp9ESIKGr9z1beyyYr2scw", "jTpROjifINHgaMl7VnG3IjiVDwThODCH3A0Yp9ESIKGr9z1beyyYr2scw"),
        ],
        counterexamples: &["REDISCLOUD_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDISCLOUD_SECRET_KEY=<your-redis-key>", "REDISCLOUD_SECRET_KEY=JSw0bq5IESDdZvXTwsMNZRM3B8eFoYEv0fgCfCQg6MuR0W0"],
        ..NAMED
    },
    Builtin {
        id: "influxdb_token",
        provider: "influxdb",
        description: "InfluxDB API token (86 base64 + ==) beside an Influx key name",
        keywords: &["influx"],
        pattern: concat!(r"(?-u)(?i:influx(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{86}==)", end_url!()),
        examples: &[
            ("INFLUXDB_TOKEN = wc09nGv8B5SFKLMzZ0TPZMJJqqnhoiY5quSVIKeU5VSi0YCeFJoKVYA1D-k80diuQ5DvFR4lnBzonqWpV5ijHN==", "wc09nGv8B5SFKLMzZ0TPZMJJqqnhoiY5quSVIKeU5VSi0YCeFJoKVYA1D-k80diuQ5DvFR4lnBzonqWpV5ijHN=="),
            (r#"influx_token: "b7ZyIaDdpjWngCeGrOzAA4bRVsB9EMxjWVeCPmWhoN9KMdWTVisLfiseDI7iXdCs1yQCFwpt8n71P-m-3UIztQ==""#, "b7ZyIaDdpjWngCeGrOzAA4bRVsB9EMxjWVeCPmWhoN9KMdWTVisLfiseDI7iXdCs1yQCFwpt8n71P-m-3UIztQ=="),
        ],
        counterexamples: &["INFLUXDB_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INFLUXDB_TOKEN=<your-influxdb-key>", "INFLUXDB_TOKEN=H2lD4o8uYN8vgNIwbl047LsYyQlT1LorLVHCtY32UIVnViiEYeN0Tn2MugZeXBBt92VPm9c1kYz2vys4ylffd=="],
        ..NAMED
    },
    Builtin {
        id: "cockroachdb_key",
        provider: "cockroachdb",
        description: "CockroachDB Cloud API key beside a CockroachDB key name",
        keywords: &["cockroach"],
        pattern: concat!(r"(?-u)(?i:cockroach(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>CCDB1_[A-Za-z0-9]{22}_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  COCKROACH_API_KEY: CCDB1_wWEZB03gsv1MeX2b4828Ho_NaFXGlPiovW4iV4PMcebI4O38FVI82cdkR6VuigS", "CCDB1_wWEZB03gsv1MeX2b4828Ho_NaFXGlPiovW4iV4PMcebI4O38FVI82cdkR6VuigS"),
            (r#"export cockroachdb_api_key="CCDB1_Z0oWWDxC4BjuOeAuHA11x6_jNbH19foxZ7mcYD4XFneXiuiBhBfQiq68MArlEgu""#, "CCDB1_Z0oWWDxC4BjuOeAuHA11x6_jNbH19foxZ7mcYD4XFneXiuiBhBfQiq68MArlEgu"),
        ],
        counterexamples: &["COCKROACH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COCKROACH_API_KEY=<your-cockroachdb-key>", "COCKROACH_API_KEY=CCDB1_Ixjz0wVfvLC4NybpIyWkCg_GIPPuBC6QVjFeRaBJ4eYgkldZCfSLNmC3QJNcBx"],
        ..NAMED
    },
    Builtin {
        id: "aiven_api_token",
        provider: "aiven",
        description: "Aiven API token beside an Aiven key name",
        keywords: &["aiven"],
        pattern: concat!(r"(?-u)(?i:aiven)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{100,400})", end_b64!()),
        examples: &[
            ("AIVEN_TOKEN=h547J7hPvSoyn+K3bkni67uuttphNAAGotLMWPUja4GIXsuO/4Nz8r5h85wd9o8zjxqxqafVC+LifL+BJBg/vDBn9WlsQRrk6S8+3oZvq9lrzcwa", "h547J7hPvSoyn+K3bkni67uuttphNAAGotLMWPUja4GIXsuO/4Nz8r5h85wd9o8zjxqxqafVC+LifL+BJBg/vDBn9WlsQRrk6S8+3oZvq9lrzcwa"),
            (r#"{"aiven_api_token":"puCvHWmWYstM/rXsXd80eUW+VQhB3oot2KMIXivEDRGrN0M8vcZveZV+F8O0s+DH0d+5WzRIpyRxIHgUI+qZ1G0M9jBl8Er21lSag"}"#, "puCvHWmWYstM/rXsXd80eUW+VQhB3oot2KMIXivEDRGrN0M8vcZveZV+F8O0s+DH0d+5WzRIpyRxIHgUI+qZ1G0M9jBl8Er21lSag"),
        ],
        counterexamples: &["AIVEN_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIVEN_TOKEN=<your-aiven-key>", "AIVEN_TOKEN=1Vssi2nIf2dBASpanpUnov9wBXN7zmIVwkl0ZrRE30rxVh1gZsJPrf5dzAhR6eUbTTNwFn1aGDGNtvITVOdb6FKn29K3MdOP54s"],
        ..NAMED
    },
    Builtin {
        id: "couchbase_password",
        provider: "couchbase",
        description: "Couchbase Capella API secret beside a Couchbase key name",
        keywords: &["couchbase"],
        pattern: concat!(r"(?-u)(?i:couchbase)[A-Za-z0-9_.-]{0,24}?(?i:secret|password|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"COUCHBASE_API_SECRET: "OASVt1wccy38a5lZnpSOO1JkOj4TuR0LOvF4L4Ae2tMpXJz7nB8nanuQxZuawFyD""#, "OASVt1wccy38a5lZnpSOO1JkOj4TuR0LOvF4L4Ae2tMpXJz7nB8nanuQxZuawFyD"),
            ("couchbase_secret = zHoB0UaQx5JRQisfg0U7GSLNWbSd06PkzK3dY1LWIFtwRV5bqNy60cuqTU4qh80A", "zHoB0UaQx5JRQisfg0U7GSLNWbSd06PkzK3dY1LWIFtwRV5bqNy60cuqTU4qh80A"),
        ],
        counterexamples: &["COUCHBASE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COUCHBASE_API_SECRET=<your-couchbase-key>", "COUCHBASE_API_SECRET=GI9agnTtQvbnjDC9PLASgTbWtQJCV2Ygcav7fKBbAyAAYaPXdoFMzS2yQCDeV0n"],
        ..NAMED
    },
    Builtin {
        id: "dbt_cloud_token",
        provider: "dbt",
        description: "dbt Cloud service (dbtc_) and user (dbtu_) tokens",
        keywords: &["dbtc_", "dbtu_"],
        pattern: prefixed!(r"(?:dbtc_|dbtu_)", r"[A-Za-z0-9_-]{40,64}"),
        examples: &[
            ("docker run -e DBT_CLOUD_TOKEN=dbtc_HENglZuJHPqH210-L1C7YAPUsWVcZY_Lo3S3dmBkDnq97NZw app:latest", "dbtc_HENglZuJHPqH210-L1C7YAPUsWVcZY_Lo3S3dmBkDnq97NZw"),
            ("env DBT_CLOUD_TOKEN=dbtu_THWkXRyKNl-HdeuoExycFU6_bnxmmS5_-6Y8ee9UoLjx ./deploy.sh", "dbtu_THWkXRyKNl-HdeuoExycFU6_bnxmmS5_-6Y8ee9UoLjx"),
        ],
        counterexamples: &["dbtc_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dbtc_1234567890", "dbtc_s3FvAYbxIA22AI6j3X0w4VJ16SSfM0miKT4-Gn_"],
        ..PREFIXED
    },
    Builtin {
        id: "prefect_api_key",
        provider: "prefect",
        description: "Prefect Cloud user (pnu_) and bot (pnb_) API keys (+ 36)",
        keywords: &["pnu_", "pnb_"],
        pattern: prefixed!(r"(?:pnu_|pnb_)", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("env PREFECT_API_KEY=pnu_UNHigkrQwnhnsDmsC7S0tjivZEKRXjuah8hS ./deploy.sh", "pnu_UNHigkrQwnhnsDmsC7S0tjivZEKRXjuah8hS"),
            (r#"PREFECT_API_KEY="pnb_37yWmyrjAvzU4035lHzSnJaLBX8wVAg47Bzl""#, "pnb_37yWmyrjAvzU4035lHzSnJaLBX8wVAg47Bzl"),
        ],
        counterexamples: &["pnu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pnu_1234567890", "pnu_e8S4RRJRdotM3cpPp6Fbr11MarRd4ayp9q6"],
        ..PREFIXED
    },
    Builtin {
        id: "fivetran_api_secret",
        provider: "fivetran",
        description: "Fivetran API key / secret beside a Fivetran key name",
        keywords: &["fivetran"],
        pattern: concat!(r"(?-u)(?i:fivetran)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("FIVETRAN_API_SECRET = SQHC5ePhGCdwTjkS8lvc378eOrC1BTZV", "SQHC5ePhGCdwTjkS8lvc378eOrC1BTZV"),
            (r#"fivetran_key: "ldEyCEi7sCy8qcdHzgUU63zCeKqkuKCw""#, "ldEyCEi7sCy8qcdHzgUU63zCeKqkuKCw"),
        ],
        counterexamples: &["FIVETRAN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FIVETRAN_API_SECRET=<your-fivetran-key>", "FIVETRAN_API_SECRET=qWk28oJ0FYQPHJsvDWym9TEKjuSSJHV"],
        ..NAMED
    },
    Builtin {
        id: "looker_client_secret",
        provider: "looker",
        description: "Looker API client secret (24) beside a Looker key name",
        keywords: &["looker"],
        pattern: concat!(r"(?-u)(?i:looker)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOOKERSDK_CLIENT_SECRET: KhfPNghZ5wEYwc1T3pd1Q2Mh", "KhfPNghZ5wEYwc1T3pd1Q2Mh"),
            (r#"export looker_client_secret="gVA5OcEMtF2Y4cGWD7YnrNne""#, "gVA5OcEMtF2Y4cGWD7YnrNne"),
        ],
        counterexamples: &["LOOKERSDK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOOKERSDK_CLIENT_SECRET=<your-looker-key>", "LOOKERSDK_CLIENT_SECRET=1RVXZ30pMx2b7j27oAcy05L"],
        ..NAMED
    },
    Builtin {
        id: "metabase_api_key",
        provider: "metabase",
        description: "Metabase API key (mb_ + 44 base64)",
        keywords: &["mb_"],
        pattern: concat!(r#"(?-u)(?P<token>mb_(?P<secret>[A-Za-z0-9+/]{43}=))"#, end_b64!()),
        examples: &[
            ("docker run -e METABASE_API_KEY=mb_xn8On78pdOmHp3a447VSfh6hCvrNFXEN4m0UH6pahL3= app:latest", "mb_xn8On78pdOmHp3a447VSfh6hCvrNFXEN4m0UH6pahL3="),
            (r#"{"metabase_api_key": "mb_e5ScbBH+4NSYbkXYKqPEidiP5IadlIjNGAuz3AvTCnd=", "region": "eu-west-1"}"#, "mb_e5ScbBH+4NSYbkXYKqPEidiP5IadlIjNGAuz3AvTCnd="),
        ],
        counterexamples: &["mb_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mb_1234567890", "mb_PuKFpA4ptrswg846GEgW65gHcoSNvKQIrAUItkqHy/="],
        ..PREFIXED
    },
    Builtin {
        id: "tableau_pat_secret",
        provider: "tableau",
        description: "Tableau personal access token secret beside a Tableau key name",
        keywords: &["tableau"],
        pattern: concat!(r"(?-u)(?i:tableau)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{22}==:[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TABLEAU_PAT_SECRET: "Pa+GSC/DLBh/DA5wqcJHDc==:EZHBkoK5xfDm9fGi61IHnL8SpIUCkPFX""#, "Pa+GSC/DLBh/DA5wqcJHDc==:EZHBkoK5xfDm9fGi61IHnL8SpIUCkPFX"),
            ("tableau_token_secret = nSESrcLlt2Q11tLfkovAgG==:wQu9tqOB34FTlg0aXEkbtvVGIXchVQTe", "nSESrcLlt2Q11tLfkovAgG==:wQu9tqOB34FTlg0aXEkbtvVGIXchVQTe"),
        ],
        counterexamples: &["TABLEAU_PAT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TABLEAU_PAT_SECRET=<your-tableau-key>", "TABLEAU_PAT_SECRET=hbwVnmlaJ5PE9FVXm76RIf==:FmegnuLAppUqbHK4JTblZ5HCtXIsMje"],
        ..NAMED
    },
    Builtin {
        id: "weaviate_api_key",
        provider: "weaviate",
        description: "Weaviate API key beside a Weaviate key name",
        keywords: &["weaviate"],
        pattern: concat!(r"(?-u)(?i:weaviate)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"export WEAVIATE_API_KEY="5ZScKbXgpL1ptsG5A6WKx3xATNspqeZxmREGSE7z""#, "5ZScKbXgpL1ptsG5A6WKx3xATNspqeZxmREGSE7z"),
            ("  weaviate_key: ClcY626qHDmW3lV9HY8AKNbEznOjAtVtiGqvtGNn", "ClcY626qHDmW3lV9HY8AKNbEznOjAtVtiGqvtGNn"),
        ],
        counterexamples: &["WEAVIATE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEAVIATE_API_KEY=<your-weaviate-key>", "WEAVIATE_API_KEY=iMvBdvEl58VCFiEWddjJvvHMECHEw0xPbqWujKG"],
        ..NAMED
    },
    Builtin {
        id: "qdrant_api_key",
        provider: "qdrant",
        description: "Qdrant Cloud API key beside a Qdrant key name",
        keywords: &["qdrant"],
        pattern: concat!(r"(?-u)(?i:qdrant)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,80})", end_url!()),
        examples: &[
            (r#"{"QDRANT_API_KEY":"IBK8W-vJg1p3zrHjz__br1qOHkE0XH_oW4EPuBP9uGdIhnZ6"}"#, "IBK8W-vJg1p3zrHjz__br1qOHkE0XH_oW4EPuBP9uGdIhnZ6"),
            ("qdrant_key=97k2oaY13Zikgz9nkiGfMp-WeiZjTBPfwSmi2NQMQO6WFk", "97k2oaY13Zikgz9nkiGfMp-WeiZjTBPfwSmi2NQMQO6WFk"),
        ],
        counterexamples: &["QDRANT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QDRANT_API_KEY=<your-qdrant-key>", "QDRANT_API_KEY=HNkmXTyGD7APiJAtCE-RJhL-AyUQsft0C9X1doK"],
        ..NAMED
    },
    Builtin {
        id: "turso_token",
        provider: "turso",
        description: "Turso database auth token beside a Turso key name",
        keywords: &["turso"],
        pattern: concat!(r"(?-u)(?i:turso)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{60,200}\.[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            ("TURSO_AUTH_TOKEN = eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.5_gG2WLMKiTtFLa7zfPSk48QlKOBPDNPlxmwsdPsQtRvnHb6BlYM1g5m6nI1-LOcbdAakzdm.8uVfDSCJMzYR4z5XAcH74dBfrZjfrxgThqqo2Ldw8ED-OGkB5-pQC0NrVODRsCPdqo1c6aO3Xb61ykbEhZEMFQ", "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.5_gG2WLMKiTtFLa7zfPSk48QlKOBPDNPlxmwsdPsQtRvnHb6BlYM1g5m6nI1-LOcbdAakzdm.8uVfDSCJMzYR4z5XAcH74dBfrZjfrxgThqqo2Ldw8ED-OGkB5-pQC0NrVODRsCPdqo1c6aO3Xb61ykbEhZEMFQ"),
            (r#"turso_token: "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.1752KC9wCArNISRmOvQ3qkpBt5ZkKvCtyw_AYlIXaaK0SJh0m406aVy1DeEYWd.nHAPbgPlG_NxbAxeyM8XI8mdXClnOHgi0qDMsrEceMQ16s71ir0IcXgoYqYDzTc_TN9W-zEkulqR4qy2YQ-P0V""#, "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.1752KC9wCArNISRmOvQ3qkpBt5ZkKvCtyw_AYlIXaaK0SJh0m406aVy1DeEYWd.nHAPbgPlG_NxbAxeyM8XI8mdXClnOHgi0qDMsrEceMQ16s71ir0IcXgoYqYDzTc_TN9W-zEkulqR4qy2YQ-P0V"),
        ],
        counterexamples: &["TURSO_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TURSO_AUTH_TOKEN=<your-turso-key>", "TURSO_AUTH_TOKEN=eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.RDXm9HcjkgdDDbmEI_kjpHHn6re1u44tCZpfOQ1pj12ZfOJggixb_zrotmklS5egQ1GMq0-.LsY2CqY8GlhrSh05NJiRM2_EUY2R87OJ3wLttK5X3TXkRTUvS4BPpspwgvB-UVtLyoZeBSpmvKlgD53FPLRu0"],
        ..NAMED
    },
    Builtin {
        id: "xata_api_key",
        provider: "xata",
        description: "Xata API key (xau_ + 40) beside a Xata key name",
        keywords: &["xata"],
        pattern: concat!(r"(?-u)(?i:xata)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>xau_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  XATA_API_KEY: xau_XaWCbwYUz9eWqhwPob8nTVfVvjk4TWdOcM8cn1GT", "xau_XaWCbwYUz9eWqhwPob8nTVfVvjk4TWdOcM8cn1GT"),
            (r#"export xata_key="xau_VF4sBLWOuwjOnb6nN9POXXCVtOs5sbmZCfBjbXpJ""#, "xau_VF4sBLWOuwjOnb6nN9POXXCVtOs5sbmZCfBjbXpJ"),
        ],
        counterexamples: &["XATA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XATA_API_KEY=<your-xata-key>", "XATA_API_KEY=xau_LaR3lMAXfhmDO99LlznVAIxQ2tf4B5Q5p30k5uB"],
        ..NAMED
    },
    Builtin {
        id: "truenas_api_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) beside a TrueNAS key name",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("TRUENAS_API_KEY=0-fMPgdLaGNqjwG8jYyDI491kfoY6BaxNdOam5GsdUWhnklOb5qJGB8g5BiV6zCwE3", "0-fMPgdLaGNqjwG8jYyDI491kfoY6BaxNdOam5GsdUWhnklOb5qJGB8g5BiV6zCwE3"),
            (r#"{"truenas_key":"48-HE6V8t5rP7ORFYvbEJsr6CU9fWKGRP9w8iRVxV6TEMeEoxxsGXn3HoBlED6KZlIC"}"#, "48-HE6V8t5rP7ORFYvbEJsr6CU9fWKGRP9w8iRVxV6TEMeEoxxsGXn3HoBlED6KZlIC"),
        ],
        counterexamples: &["TRUENAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRUENAS_API_KEY=<your-truenas-key>", "TRUENAS_API_KEY=22-8l6cBCwNin2vSfc8qVxCIMTzSWfLLMgQssBP8f7uUM8NZPNgqD80Qp1aPyCPZ68"],
        ..NAMED
    },
    Builtin {
        id: "truenas_bearer_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) in a bearer header in a line naming TrueNAS",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[^\n]{0,160}?(?i:bearer)\s+(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"GET https://truenas.local/api/v2.0/pool -H "Authorization: Bearer 3-NG6VTCIQDIGR3mZ9Nn7jgGFoBpc1DMYPA1oqKHeHzPnaH1So10gzQFcfPQEyvndS""#, "3-NG6VTCIQDIGR3mZ9Nn7jgGFoBpc1DMYPA1oqKHeHzPnaH1So10gzQFcfPQEyvndS"),
            ("truenas client: Authorization: Bearer 12-eHen69nKYN2fx0xeOBGXLk48WNi26vhRllIMgHnHlEkMl7aosUXpVvfqXkgXqeQn", "12-eHen69nKYN2fx0xeOBGXLk48WNi26vhRllIMgHnHlEkMl7aosUXpVvfqXkgXqeQn"),
        ],
        counterexamples: &["truenas Authorization: Bearer 1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "truenas Authorization: Bearer $TRUENAS_KEY"],
        ..NAMED
    },
];
