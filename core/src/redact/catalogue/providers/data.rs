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
            ("  mongodb_atlas_service_account_secret: mdb_sa_sk__3PhFIS0uLxcJQebe9kYtxYPXK6VRoDC5ir1Q5yW", "mdb_sa_sk__3PhFIS0uLxcJQebe9kYtxYPXK6VRoDC5ir1Q5yW"),
            ("curl -s -H 'Authorization: Bearer mdb_sa_sk_RCguZrTibqD9AWFCy1t0qcLxwyuI2GaCHgroad-v' https://api.example.net/v1/me", "mdb_sa_sk_RCguZrTibqD9AWFCy1t0qcLxwyuI2GaCHgroad-v"),
        ],
        counterexamples: &["mdb_sa_sk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mdb_sa_sk_1234567890", "mdb_sa_sk_i5ddPbPsMvL-6pK2-FXNsdXQLukotSMtFhsOku2"],
        ..PREFIXED
    },
    Builtin {
        id: "mongodb_atlas_private_key",
        provider: "mongodb",
        description: "MongoDB Atlas Admin API private key (UUID) beside an Atlas key name",
        keywords: &["atlas"],
        pattern: concat!(r"(?-u)(?i:atlas|mongodb[_-]?atlas)[A-Za-z0-9_.-]{0,24}?(?i:private[_-]?key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export MONGODB_ATLAS_PRIVATE_KEY="0b52f706-2da8-8b42-f261-1dcd6892f302""#, "0b52f706-2da8-8b42-f261-1dcd6892f302"),
            ("  atlas_private_key: b5e015ec-ec22-5f43-cee1-f6493fb2e1ae", "b5e015ec-ec22-5f43-cee1-f6493fb2e1ae"),
        ],
        counterexamples: &["MONGODB_ATLAS_PRIVATE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MONGODB_ATLAS_PRIVATE_KEY=<your-mongodb-key>", "MONGODB_ATLAS_PRIVATE_KEY=860baa59-008c-775b-9285-116bf9fe9a9"],
        ..NAMED
    },
    Builtin {
        id: "snowflake_password",
        provider: "snowflake",
        description: "Snowflake password / PAT beside a Snowflake key name",
        keywords: &["snowflake"],
        pattern: concat!(r"(?-u)(?i:snowflake)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{16,64})", end_url!()),
        examples: &[
            (r#"{"SNOWFLAKE_PASSWORD":"hWjG16qTxlZntChedCx62bv"}"#, "hWjG16qTxlZntChedCx62bv"),
            ("snowflake_token=h_YOye45tFp3knxVpybuvnOAo", "h_YOye45tFp3knxVpybuvnOAo"),
        ],
        counterexamples: &["SNOWFLAKE_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNOWFLAKE_PASSWORD=<your-snowflake-key>", "SNOWFLAKE_PASSWORD=H0KfbWaoFMQn26T"],
        ..NAMED
    },
    Builtin {
        id: "neon_api_key",
        provider: "neon",
        description: "Neon API key (napi_ + 64 lower-case alphanumerics)",
        keywords: &["napi_"],
        pattern: prefixed!(r"napi_", r"[a-z0-9]{64}"),
        examples: &[
            (r#"NEON_API_KEY="napi_82jva2526vqc8wuzes5x0d198ea2lvp0u522kyv6efhzd1q7qhc60w7e2a2lmech""#, "napi_82jva2526vqc8wuzes5x0d198ea2lvp0u522kyv6efhzd1q7qhc60w7e2a2lmech"),
            (r#"level=info msg="auth ok" key=napi_tszqrl31vrpmhi8s01ttcewwz7wxcaaj91qdwj4rgmcvkeeop4p7wb8mxbrfk2yl"#, "napi_tszqrl31vrpmhi8s01ttcewwz7wxcaaj91qdwj4rgmcvkeeop4p7wb8mxbrfk2yl"),
        ],
        counterexamples: &["napi_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like napi_1234567890", "napi_eju6hgidrfp4x1z5wgat5c3g2nyp2y4jd9z5bjmrllzlqm64dgzrvabywwjiywh"],
        ..PREFIXED
    },
    Builtin {
        id: "upstash_token",
        provider: "upstash",
        description: "Upstash Redis REST / QStash token beside an Upstash key name",
        keywords: &["upstash"],
        pattern: concat!(r"(?-u)(?i:upstash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>A[A-Za-z0-9_-]{60,90})", end_url!()),
        examples: &[
            ("  UPSTASH_REDIS_REST_TOKEN: A2jPHNLq6aW0vyPs01s6BfV0PFB7yLN7usvpkkAKOUrwyNWehjHkgZzntRQvonaJg", "A2jPHNLq6aW0vyPs01s6BfV0PFB7yLN7usvpkkAKOUrwyNWehjHkgZzntRQvonaJg"),
            (r#"export upstash_token="A864KcUNJcQAM3Lu6CNuiz-S_2TIlYA2IzxJJcoqZzTWVWpAOX-3uTMe5KauQH""#, "A864KcUNJcQAM3Lu6CNuiz-S_2TIlYA2IzxJJcoqZzTWVWpAOX-3uTMe5KauQH"),
        ],
        counterexamples: &["UPSTASH_REDIS_REST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPSTASH_REDIS_REST_TOKEN=<your-upstash-key>", "UPSTASH_REDIS_REST_TOKEN=AU0ILn_C-HvO0Rr0_W2mckORX46PlkhgYX6t4hjdRAsXHpS9q9ZZ62uAAw2C"],
        ..NAMED
    },
    Builtin {
        id: "fauna_secret",
        provider: "fauna",
        description: "Fauna database secret (fn + A..Z + 38)",
        keywords: &["fnA", "fnE"],
        pattern: prefixed!(r"(?:fnA|fnE)", r"[A-Za-z0-9_-]{38}"),
        examples: &[
            (r#"{"fauna_secret": "fnA8oStFL7TX-yTDp6w9Xm-HWMGWxS6BODaJ9iNx4", "region": "eu-west-1"}"#, "fnA8oStFL7TX-yTDp6w9Xm-HWMGWxS6BODaJ9iNx4"),
            ("2024-06-11T08:14:52Z DEBUG fauna client configured token=fnEhiHT99IjwZ1wHKtmJCY8cA1IY0IKVqw0cETHkb", "fnEhiHT99IjwZ1wHKtmJCY8cA1IY0IKVqw0cETHkb"),
        ],
        counterexamples: &["fnAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fnA1234567890", "fnAmRf19yvSMmlxXZRfP6srJLB4ZuEQOfavwBGr-"],
        ..PREFIXED
    },
    Builtin {
        id: "algolia_admin_key",
        provider: "algolia",
        description: "Algolia admin / write API key (32 hex) beside an Algolia key name",
        keywords: &["algolia"],
        pattern: concat!(r"(?-u)(?i:algolia)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"ALGOLIA_ADMIN_KEY: "42bf7a053b56e0b5f8f25ba21e85a04f""#, "42bf7a053b56e0b5f8f25ba21e85a04f"),
            ("algolia_api_key = 6ce6903679be20fa6a8b6e37e9c96a00", "6ce6903679be20fa6a8b6e37e9c96a00"),
        ],
        counterexamples: &["ALGOLIA_ADMIN_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALGOLIA_ADMIN_KEY=<your-algolia-key>", "ALGOLIA_ADMIN_KEY=d02e8dc1690a753a31e3e3167d3721e"],
        ..NAMED
    },
    Builtin {
        id: "clickhouse_cloud_secret",
        provider: "clickhouse",
        description: "ClickHouse Cloud API key secret (4b1d + 38)",
        keywords: &["4b1d"],
        pattern: prefixed!(r"4b1d", r"[A-Za-z0-9]{38}"),
        examples: &[
            ("env CLICKHOUSE_CLOUD_SECRET=4b1dUalTSbj8ZHHxrHpLuOQOvrj8eDKDMnYyr5lFhz ./deploy.sh", "4b1dUalTSbj8ZHHxrHpLuOQOvrj8eDKDMnYyr5lFhz"),
            (r#"CLICKHOUSE_CLOUD_SECRET="4b1dzx3RAfcqmF47JDcGHxcacUR8XodSUU0prgzbyr""#, "4b1dzx3RAfcqmF47JDcGHxcacUR8XodSUU0prgzbyr"),
        ],
        counterexamples: &["4b1dxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 4b1d1234567890", "4b1dqZv4nCv5sQ6g2vHFlNo9gfeI5kliNNMYjmwOf"],
        ..PREFIXED
    },
    Builtin {
        id: "redis_cloud_key",
        provider: "redis",
        description: "Redis Cloud API key / secret beside a Redis Cloud key name",
        keywords: &["rediscloud", "redis_cloud", "redis-cloud"],
        pattern: concat!(r"(?-u)(?i:redis[_-]?cloud|rediscloud)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{48,60})", end_url!()),
        examples: &[
            (r#"{"REDISCLOUD_SECRET_KEY":"2WTcgW3L2TQxhpP92JIkCKPhwcHYFhYFn8T0cT1mEfQIR360rVp0t5"}"#, "2WTcgW3L2TQxhpP92JIkCKPhwcHYFhYFn8T0cT1mEfQIR360rVp0t5"),
            ("redis_cloud_api_key=MLTZuoQpBA4RKsCB2wlieKiKhJ0Yb2qc014SZz38V8u9nvbmUpI9vn", "MLTZuoQpBA4RKsCB2wlieKiKhJ0Yb2qc014SZz38V8u9nvbmUpI9vn"),
        ],
        counterexamples: &["REDISCLOUD_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDISCLOUD_SECRET_KEY=<your-redis-key>", "REDISCLOUD_SECRET_KEY=TIW3ybRQtvEGushVucMifGWFLszjsxR52IDbpl4q1qiygeh"],
        ..NAMED
    },
    Builtin {
        id: "influxdb_token",
        provider: "influxdb",
        description: "InfluxDB API token (86 base64 + ==) beside an Influx key name",
        keywords: &["influx"],
        pattern: concat!(r"(?-u)(?i:influx(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{86}==)", end_url!()),
        examples: &[
            ("INFLUXDB_TOKEN = MoEctD2uOm3aMQlMXE7YEKbyT6Z34sNpDytl7kc45MMe9NmToxQtqRDy_4Pmwdy6RFyDLsztFtqkmbxAsq7So6==", "MoEctD2uOm3aMQlMXE7YEKbyT6Z34sNpDytl7kc45MMe9NmToxQtqRDy_4Pmwdy6RFyDLsztFtqkmbxAsq7So6=="),
            (r#"influx_token: "1F9IZcjXWJKfSScG97hRSK3j_C8Rlm5k5mODwc09nGv8B5SFKLMzZ0TPZMJJqqnhoiY5quSVIKeU5VSi0YCeFJ==""#, "1F9IZcjXWJKfSScG97hRSK3j_C8Rlm5k5mODwc09nGv8B5SFKLMzZ0TPZMJJqqnhoiY5quSVIKeU5VSi0YCeFJ=="),
        ],
        counterexamples: &["INFLUXDB_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INFLUXDB_TOKEN=<your-influxdb-key>", "INFLUXDB_TOKEN=KVYA1D-k80diuQ5DvFR4lnBzonqWpV5ijHNeb7ZyIaDdpjWngCeGrOzAA4bRVsB9EMxjWVeCPmWhoN9KMdWTV=="],
        ..NAMED
    },
    Builtin {
        id: "cockroachdb_key",
        provider: "cockroachdb",
        description: "CockroachDB Cloud API key beside a CockroachDB key name",
        keywords: &["cockroach"],
        pattern: concat!(r"(?-u)(?i:cockroach(?:db)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>CCDB1_[A-Za-z0-9]{22}_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  COCKROACH_API_KEY: CCDB1_jscejcorDVWeyOV0bOoH8N_AmT6voplhjEgDAu9FgFBHxQrNmNPjv6ZbqBf9oCU", "CCDB1_jscejcorDVWeyOV0bOoH8N_AmT6voplhjEgDAu9FgFBHxQrNmNPjv6ZbqBf9oCU"),
            (r#"export cockroachdb_api_key="CCDB1_E7kKHXzJtENWkWdtrlYafM_LPCLDGZsXKZQ17jzLmvfwAGsVhJisxLNqG23LH7o""#, "CCDB1_E7kKHXzJtENWkWdtrlYafM_LPCLDGZsXKZQ17jzLmvfwAGsVhJisxLNqG23LH7o"),
        ],
        counterexamples: &["COCKROACH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COCKROACH_API_KEY=<your-cockroachdb-key>", "COCKROACH_API_KEY=CCDB1_z1BBKKL4x35rRxYLgxeeWp_c3tAw16gB08tkdzc52HynnjQET53BG02xZMUQHZ"],
        ..NAMED
    },
    Builtin {
        id: "aiven_api_token",
        provider: "aiven",
        description: "Aiven API token beside an Aiven key name",
        keywords: &["aiven"],
        pattern: concat!(r"(?-u)(?i:aiven)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{100,400})", end_b64!()),
        examples: &[
            ("AIVEN_TOKEN=m9c1kYz2vys4ylffd6S93mLRicDja+xqDRrfjd+fguPqm+D6V43sOi1O1UisckCUzf6/AiqPr2o3kqH0Iw9nPpUtYSlQ5XcFXu4mPP35s", "m9c1kYz2vys4ylffd6S93mLRicDja+xqDRrfjd+fguPqm+D6V43sOi1O1UisckCUzf6/AiqPr2o3kqH0Iw9nPpUtYSlQ5XcFXu4mPP35s"),
            (r#"{"aiven_api_token":"ib3jnvxg5ly5e3Uh547J7hPvSoyn+K3bkni67uuttphNAAGotLMWPUja4GIXsuO/4Nz8r5h85wd9o8zjxqxqafVC+LifL+BJBg/vDBn9Wls"}"#, "ib3jnvxg5ly5e3Uh547J7hPvSoyn+K3bkni67uuttphNAAGotLMWPUja4GIXsuO/4Nz8r5h85wd9o8zjxqxqafVC+LifL+BJBg/vDBn9Wls"),
        ],
        counterexamples: &["AIVEN_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AIVEN_TOKEN=<your-aiven-key>", "AIVEN_TOKEN=QRrk6S8+3oZvq9lrzcwalpuCvHWmWYstM/rXsXd80eUW+VQhB3oot2KMIXivEDRGrN0M8vcZveZV+F8O0s+DH0d+5WzRIpyRxIH"],
        ..NAMED
    },
    Builtin {
        id: "couchbase_password",
        provider: "couchbase",
        description: "Couchbase Capella API secret beside a Couchbase key name",
        keywords: &["couchbase"],
        pattern: concat!(r"(?-u)(?i:couchbase)[A-Za-z0-9_.-]{0,24}?(?i:secret|password|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"COUCHBASE_API_SECRET: "IxrFi0zAZQq4AR1tEenfOTULE5p3iR3J4BAUHf1wadBAxjjeKKLVWTBgY1730Jrc""#, "IxrFi0zAZQq4AR1tEenfOTULE5p3iR3J4BAUHf1wadBAxjjeKKLVWTBgY1730Jrc"),
            ("couchbase_secret = b5PnnwhYagh4ZKxP03gN3G3h17kMEQY10RYPVU2lI1JTPS9ny4T4I6tHID5mg1TW", "b5PnnwhYagh4ZKxP03gN3G3h17kMEQY10RYPVU2lI1JTPS9ny4T4I6tHID5mg1TW"),
        ],
        counterexamples: &["COUCHBASE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COUCHBASE_API_SECRET=<your-couchbase-key>", "COUCHBASE_API_SECRET=0RIxlff7ASzivXpB59ORAil8xdAdzjrIuQicCbmXQnId5vDScGxaSIwwtUlNpUL"],
        ..NAMED
    },
    Builtin {
        id: "dbt_cloud_token",
        provider: "dbt",
        description: "dbt Cloud service (dbtc_) and user (dbtu_) tokens",
        keywords: &["dbtc_", "dbtu_"],
        pattern: prefixed!(r"(?:dbtc_|dbtu_)", r"[A-Za-z0-9_-]{40,64}"),
        examples: &[
            (r#"DBT_CLOUD_TOKEN="dbtc_1aGDGNtvITVOdb6FKn29K3MdOP54s10MTeeXbxAFusPQ_0jMFZA""#, "dbtc_1aGDGNtvITVOdb6FKn29K3MdOP54s10MTeeXbxAFusPQ_0jMFZA"),
            (r#"dbt_cloud_token = "dbtu_BbBOUPaS_W7wYD3bVqKkmdguYg_MTdGWePHHo1ramBNRcB""#, "dbtu_BbBOUPaS_W7wYD3bVqKkmdguYg_MTdGWePHHo1ramBNRcB"),
        ],
        counterexamples: &["dbtc_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dbtc_1234567890", "dbtc_641mcN4meaQl2d1W10bhC_YW57jB6HENglZuJHP"],
        ..PREFIXED
    },
    Builtin {
        id: "prefect_api_key",
        provider: "prefect",
        description: "Prefect Cloud user (pnu_) and bot (pnb_) API keys (+ 36)",
        keywords: &["pnu_", "pnb_"],
        pattern: prefixed!(r"(?:pnu_|pnb_)", r"[A-Za-z0-9]{36}"),
        examples: &[
            (r#"level=info msg="auth ok" key=pnu_BLOAAIFsIAoDznu9xjyxY1bzWzFPUU9NsYHh"#, "pnu_BLOAAIFsIAoDznu9xjyxY1bzWzFPUU9NsYHh"),
            (r#"{"prefect_api_key": "pnb_GwBb19gnPfN6YVo9gGNiTEH5DtzRMlswqyf4", "region": "eu-west-1"}"#, "pnb_GwBb19gnPfN6YVo9gGNiTEH5DtzRMlswqyf4"),
        ],
        counterexamples: &["pnu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pnu_1234567890", "pnu_Nv7XXmS5GstQVf2USF1qbckhplmQbJpTxXO"],
        ..PREFIXED
    },
    Builtin {
        id: "fivetran_api_secret",
        provider: "fivetran",
        description: "Fivetran API key / secret beside a Fivetran key name",
        keywords: &["fivetran"],
        pattern: concat!(r"(?-u)(?i:fivetran)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("FIVETRAN_API_SECRET = YZF8agSlgTgJwRC3FFD0zE9cc9E8x4hS", "YZF8agSlgTgJwRC3FFD0zE9cc9E8x4hS"),
            (r#"fivetran_key: "el0Tj9Bpk6LNnzalrH1n4BB5nrD0HeUZ""#, "el0Tj9Bpk6LNnzalrH1n4BB5nrD0HeUZ"),
        ],
        counterexamples: &["FIVETRAN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FIVETRAN_API_SECRET=<your-fivetran-key>", "FIVETRAN_API_SECRET=WyWAlCWxrAWRDw1wcTtNAg78es7wT6M"],
        ..NAMED
    },
    Builtin {
        id: "looker_client_secret",
        provider: "looker",
        description: "Looker API client secret (24) beside a Looker key name",
        keywords: &["looker"],
        pattern: concat!(r"(?-u)(?i:looker)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("  LOOKERSDK_CLIENT_SECRET: F9qG8NgS8FVLe2TCUNHigkrQ", "F9qG8NgS8FVLe2TCUNHigkrQ"),
            (r#"export looker_client_secret="nhnsDmsC7S0tjivZEKRXjuah""#, "nhnsDmsC7S0tjivZEKRXjuah"),
        ],
        counterexamples: &["LOOKERSDK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOOKERSDK_CLIENT_SECRET=<your-looker-key>", "LOOKERSDK_CLIENT_SECRET=So37yWmyrjAvzU4035lHzSn"],
        ..NAMED
    },
    Builtin {
        id: "metabase_api_key",
        provider: "metabase",
        description: "Metabase API key (mb_ + 44 base64)",
        keywords: &["mb_"],
        pattern: concat!(r#"(?-u)(?P<token>mb_(?P<secret>[A-Za-z0-9+/]{43}=))"#, end_b64!()),
        examples: &[
            (r#"metabase_api_key = "mb_T1m2YwsjgCMeEF/cJaJhaWEGT5jp5hTsvwRejI53Ywh=""#, "mb_T1m2YwsjgCMeEF/cJaJhaWEGT5jp5hTsvwRejI53Ywh="),
            ("export METABASE_API_KEY=mb_X59qK5XGfgYmZ5iGuP5TEGvC/LQ6Xy9sONpknoT9TfE=", "mb_X59qK5XGfgYmZ5iGuP5TEGvC/LQ6Xy9sONpknoT9TfE="),
        ],
        counterexamples: &["mb_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like mb_1234567890", "mb_oMm0e9M/e7BIAjNFUctC1fW5tRxn8On78pdOmHp3a4="],
        ..PREFIXED
    },
    Builtin {
        id: "tableau_pat_secret",
        provider: "tableau",
        description: "Tableau personal access token secret beside a Tableau key name",
        keywords: &["tableau"],
        pattern: concat!(r"(?-u)(?i:tableau)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{22}==:[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TABLEAU_PAT_SECRET: "7VSfh6hCvrNFXEN4m0UH6p==:dXsHB07T2DcCwbWHQM7anq2FCXOtVwJR""#, "7VSfh6hCvrNFXEN4m0UH6p==:dXsHB07T2DcCwbWHQM7anq2FCXOtVwJR"),
            ("tableau_token_secret = bkXYKqPEidiP5IadlIjNGA==:m1BTInISMkwoKgbnuX49VH2LKUksYphn", "bkXYKqPEidiP5IadlIjNGA==:m1BTInISMkwoKgbnuX49VH2LKUksYphn"),
        ],
        counterexamples: &["TABLEAU_PAT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TABLEAU_PAT_SECRET=<your-tableau-key>", "TABLEAU_PAT_SECRET=ptrswg846GEgW65gHcoSNv==:95Jv6X8LPri4nx0rKjMf8TiqXY09KZm"],
        ..NAMED
    },
    Builtin {
        id: "weaviate_api_key",
        provider: "weaviate",
        description: "Weaviate API key beside a Weaviate key name",
        keywords: &["weaviate"],
        pattern: concat!(r"(?-u)(?i:weaviate)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"export WEAVIATE_API_KEY="aUTuaFUqwZoFosnY5dFP7oQnClibr2VqoLWPb8oE""#, "aUTuaFUqwZoFosnY5dFP7oQnClibr2VqoLWPb8oE"),
            ("  weaviate_key: koK5xfDm9fGi61IHnL8SpIUCkPFXeg3wW04XOpwi", "koK5xfDm9fGi61IHnL8SpIUCkPFXeg3wW04XOpwi"),
        ],
        counterexamples: &["WEAVIATE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEAVIATE_API_KEY=<your-weaviate-key>", "WEAVIATE_API_KEY=JJJsVf6KTjJT2BvAAjscfhkO2WXSndqLcwQu9tq"],
        ..NAMED
    },
    Builtin {
        id: "qdrant_api_key",
        provider: "qdrant",
        description: "Qdrant Cloud API key beside a Qdrant key name",
        keywords: &["qdrant"],
        pattern: concat!(r"(?-u)(?i:qdrant)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,80})", end_url!()),
        examples: &[
            (r#"{"QDRANT_API_KEY":"2_xmb8udNQfoibhbwVnmlaJ5PE9FVXm76RIfD_yjmAP0EFGdcx"}"#, "2_xmb8udNQfoibhbwVnmlaJ5PE9FVXm76RIfD_yjmAP0EFGdcx"),
            ("qdrant_key=4MLtiAecmEFMK1UU1KFGiUz88Yc4weH6yw0d8YAs0NNqGRNBuqQ3", "4MLtiAecmEFMK1UU1KFGiUz88Yc4weH6yw0d8YAs0NNqGRNBuqQ3"),
        ],
        counterexamples: &["QDRANT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QDRANT_API_KEY=<your-qdrant-key>", "QDRANT_API_KEY=Q9w5_q9ghtQQ948TVcGPtIBK8W-vJg1p3zrHjz_"],
        ..NAMED
    },
    Builtin {
        id: "turso_token",
        provider: "turso",
        description: "Turso database auth token beside a Turso key name",
        keywords: &["turso"],
        pattern: concat!(r"(?-u)(?i:turso)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{60,200}\.[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            ("TURSO_AUTH_TOKEN = eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.br1qOHkE0XH_oW4EPuBP9uGdIhnZ6097k2oaY13Zikgz9nkiGfMp-WeiZjTBPfwSmi2.QMQO6WFkkHNkmXTyGD7APiJAtCE-RJhL-AyUQsft0C9X1doK5_gG2WLMKiTtFLa7zfPSk48QlKOBPDNPlxmwsd", "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.br1qOHkE0XH_oW4EPuBP9uGdIhnZ6097k2oaY13Zikgz9nkiGfMp-WeiZjTBPfwSmi2.QMQO6WFkkHNkmXTyGD7APiJAtCE-RJhL-AyUQsft0C9X1doK5_gG2WLMKiTtFLa7zfPSk48QlKOBPDNPlxmwsd"),
            (r#"turso_token: "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.PsQtRvnHb6BlYM1g5m6nI1-LOcbdAakzdm78uVfDSCJMzYR4z5XAcH74dBfrZjfrxgThq.o2Ldw8ED-OGkB5-pQC0NrVODRsCPdqo1c6aO3Xb61ykbEhZEMFQt1752KC9wCArNISRmOvQ3qkpBt5ZkKvCtyw""#, "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.PsQtRvnHb6BlYM1g5m6nI1-LOcbdAakzdm78uVfDSCJMzYR4z5XAcH74dBfrZjfrxgThq.o2Ldw8ED-OGkB5-pQC0NrVODRsCPdqo1c6aO3Xb61ykbEhZEMFQt1752KC9wCArNISRmOvQ3qkpBt5ZkKvCtyw"),
        ],
        counterexamples: &["TURSO_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TURSO_AUTH_TOKEN=<your-turso-key>", "TURSO_AUTH_TOKEN=eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCJ9.AYlIXaaK0SJh0m406aVy1DeEYWdFnHAPbgPlG_NxbAxeyM8XI8mdXClnOHgi0qDMsrE.eMQ16s71ir0IcXgoYqYDzTc_TN9W-zEkulqR4qy2YQ-P0VRDXm9HcjkgdDDbmEI_kjpHHn6re1u44tCZpfOQ1"],
        ..NAMED
    },
    Builtin {
        id: "xata_api_key",
        provider: "xata",
        description: "Xata API key (xau_ + 40) beside a Xata key name",
        keywords: &["xata"],
        pattern: concat!(r"(?-u)(?i:xata)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>xau_[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  XATA_API_KEY: xau_LeABzcu1rSIdQdQelaFJm3iQhjgffXwC8cd0v4WV", "xau_LeABzcu1rSIdQdQelaFJm3iQhjgffXwC8cd0v4WV"),
            (r#"export xata_key="xau_XX7SqNX9QMY7t9i2AQFSPP4vs5jW9zGBoiSzOEqf""#, "xau_XX7SqNX9QMY7t9i2AQFSPP4vs5jW9zGBoiSzOEqf"),
        ],
        counterexamples: &["XATA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XATA_API_KEY=<your-xata-key>", "XATA_API_KEY=xau_iR0VPwdN16ILWQA95CWtHIre95ZY0v74QLtOBFp"],
        ..NAMED
    },
    Builtin {
        id: "truenas_api_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) beside a TrueNAS key name",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            ("TRUENAS_API_KEY=665-DuTrB35QVSZlsjjZ3UsCZyBwyQfRv0w4R4xkTwHCHMOSWnSuhQjKHhXNld532kU2", "665-DuTrB35QVSZlsjjZ3UsCZyBwyQfRv0w4R4xkTwHCHMOSWnSuhQjKHhXNld532kU2"),
            (r#"{"truenas_key":"75-5jsmhzcnIwhG6gIkZsfX1VT13doICN08ZBpLYuNGsvkAHMJBXaWCbwYUz9eWqhwP"}"#, "75-5jsmhzcnIwhG6gIkZsfX1VT13doICN08ZBpLYuNGsvkAHMJBXaWCbwYUz9eWqhwP"),
        ],
        counterexamples: &["TRUENAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRUENAS_API_KEY=<your-truenas-key>", "TRUENAS_API_KEY=03-Vvjk4TWdOcM8cn1GTUxVF4sBLWOuwjOnb6nN9POXXCVtOs5sbmZCfBjbXpJbLaR"],
        ..NAMED
    },
    Builtin {
        id: "truenas_bearer_key",
        provider: "truenas",
        description: "TrueNAS API key (<id>-<64>) in a bearer header in a line naming TrueNAS",
        keywords: &["truenas"],
        pattern: concat!(r"(?-u)(?i:truenas)[^\n]{0,160}?(?i:bearer)\s+(?P<secret>[0-9]{1,4}-[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"GET https://truenas.local/api/v2.0/pool -H "Authorization: Bearer 3-MAXfhmDO99LlznVAIxQ2tf4B5Q5p30k5uB5caZafMPgdLaGNqjwG8jYyDI491kfo""#, "3-MAXfhmDO99LlznVAIxQ2tf4B5Q5p30k5uB5caZafMPgdLaGNqjwG8jYyDI491kfo"),
            ("truenas client: Authorization: Bearer 12-axNdOam5GsdUWhnklOb5qJGB8g5BiV6zCwE3pqJJaHE6V8t5rP7ORFYvbEJsr6CU", "12-axNdOam5GsdUWhnklOb5qJGB8g5BiV6zCwE3pqJJaHE6V8t5rP7ORFYvbEJsr6CU"),
        ],
        counterexamples: &["truenas Authorization: Bearer 1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "truenas Authorization: Bearer $TRUENAS_KEY"],
        ..NAMED
    },
];
