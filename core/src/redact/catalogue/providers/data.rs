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
];
