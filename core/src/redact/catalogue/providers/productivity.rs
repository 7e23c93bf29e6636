//! Collaboration, project management, content and other SaaS APIs.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "atlassian_api_token",
        provider: "atlassian",
        description: "Atlassian API token (ATATT3 + body + = + CRC32 in 8 upper-case hex; checksum verified)",
        keywords: &["ATATT3"],
        pattern: r"(?-u)(?P<token>ATATT3(?P<secret>[A-Za-z0-9_-]{100,300}=[0-9A-F]{8}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("JIRA_API_TOKEN=ATATT3xFfGF0Wx_KA7EvZtxr9Pko2JjCKlpXFB7BSv0hD9Oi22Jc8FQF6cA1EZeXrddMgg1mhzLaPI89Aay6Sa7XXhV6L9uf9D8DXa_RAnfBmKOO5KMOZPI_oVpbR2CDjlt1BC5Gco7fcopoFShyAO9H5sLwzcZjS6dDb1qrWMYJc-fwFp64OJx=94166E9A", "ATATT3xFfGF0Wx_KA7EvZtxr9Pko2JjCKlpXFB7BSv0hD9Oi22Jc8FQF6cA1EZeXrddMgg1mhzLaPI89Aay6Sa7XXhV6L9uf9D8DXa_RAnfBmKOO5KMOZPI_oVpbR2CDjlt1BC5Gco7fcopoFShyAO9H5sLwzcZjS6dDb1qrWMYJc-fwFp64OJx=94166E9A"),
        ],
        counterexamples: &[
            "ATATT3xFfGF0...",
        ],
    },
    Builtin {
        id: "atlassian_access_token",
        provider: "atlassian",
        description: "Atlassian / Bitbucket Cloud access token (ATCTT3 + body + = + 8 upper-case hex)",
        keywords: &["ATCTT3"],
        pattern: r"(?-u)(?P<token>ATCTT3(?P<secret>[A-Za-z0-9_-]{100,300}=[0-9A-F]{8}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("BITBUCKET_TOKEN=ATCTT3xFfGF0A_6EgQaISMKsvrBsD37GL4JayTZwkJrj-L_21Dikr4w7T2iuSzSuY9Ui2NICGDmbn7db9nTle7Rt__dF85e4oo8VYFlMfaKQzYUit8pxbkcM5yeDswqoiAvYxGJ9Bgi4ycOAw3sI7qijLYLsGhkcfSVOnh-LGu48qclNx_QTLH9=94BF1B59", "ATCTT3xFfGF0A_6EgQaISMKsvrBsD37GL4JayTZwkJrj-L_21Dikr4w7T2iuSzSuY9Ui2NICGDmbn7db9nTle7Rt__dF85e4oo8VYFlMfaKQzYUit8pxbkcM5yeDswqoiAvYxGJ9Bgi4ycOAw3sI7qijLYLsGhkcfSVOnh-LGu48qclNx_QTLH9=94BF1B59"),
        ],
        counterexamples: &["ATCTT3xFfGF0...", "ATCTT3xFfGF0short=94BF1B59"],
    },
    Builtin {
        id: "linear_api_key",
        provider: "linear",
        description: "Linear API key (lin_api_ + 40) and OAuth token (lin_oauth_ + 64 hex)",
        keywords: &["lin_api_", "lin_oauth_"],
        pattern: r"(?-u)(?P<token>lin_(?:api|oauth)_(?P<secret>[A-Za-z0-9]{40,64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("LINEAR_API_KEY=lin_api_58TBlRRl2IMV5pqts53DqFirj3430HmHVomMNuaa", "lin_api_58TBlRRl2IMV5pqts53DqFirj3430HmHVomMNuaa")],
        counterexamples: &["lin_api_short", "lin_api_ prefix"],
    },
    Builtin {
        id: "notion_token",
        provider: "notion",
        description: "Notion integration token (ntn_ + 11 digits + 35)",
        keywords: &["ntn_"],
        pattern: r"(?-u)(?P<token>ntn_(?P<secret>[0-9]{11}[A-Za-z0-9]{35}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("NOTION_TOKEN=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", "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")],
        counterexamples: &["ntn_short", "ntn_113454775628oUTpZvr1RbMxQBkNXngkgUMN5TS2n2qQG"],
    },
    Builtin {
        id: "notion_legacy_token",
        provider: "notion",
        description: "Notion legacy internal integration token (secret_ + 43)",
        keywords: &["secret_"],
        pattern: r"(?-u)(?P<token>secret_(?P<secret>[A-Za-z0-9]{43}))\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("Authorization: Bearer secret_qo1ajsTCGIfDy5OPn7GKcWscog6y6lFQaDs39N4Ht2O", "secret_qo1ajsTCGIfDy5OPn7GKcWscog6y6lFQaDs39N4Ht2O")],
        counterexamples: &["client_secret_rotation_enabled", "secret_qo1ajsTCGIfDy5OPn7GKcWscog6y6lFQaDs39N4Ht2"],
    },
    Builtin {
        id: "airtable_pat",
        provider: "airtable",
        description: "Airtable personal access token (pat + 14 . 64 hex)",
        keywords: &["pat"],
        pattern: r"(?-u)(?P<token>pat[A-Za-z0-9]{14}\.(?P<secret>[a-f0-9]{64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("Authorization: Bearer patnjFAkL9jB3e7ma.608429c64ffcf5d57337a298d23e813a45ca9fa239b0ae3a7e71496af29c35cd", "patnjFAkL9jB3e7ma.608429c64ffcf5d57337a298d23e813a45ca9fa239b0ae3a7e71496af29c35cd")],
        counterexamples: &["path /patnjFAkL9jB3e7ma.html", "patnjFAkL9jB3e7ma.608429c64ffcf5d57337a298d23e813a"],
    },
    Builtin {
        id: "asana_pat",
        provider: "asana",
        description: "Asana personal access token (2/<user>/<app>:32 hex, legacy 1/<id>:32), in lines naming Asana",
        keywords: &["asana"],
        pattern: r"(?-u)(?P<secret>[0-9]/[0-9]{13,19}(?:/[0-9]{13,19})?:[A-Za-z0-9]{32})\b",
        validate: Some(asana_token),
        generic: false,
        examples: &[
            ("ASANA_TOKEN=2/8328851344256757/1472176604141070:85fff11f2e7e8201acdb19e90dc0bc04", "2/8328851344256757/1472176604141070:85fff11f2e7e8201acdb19e90dc0bc04"),
            ("asana pat 1/4378553957509535:7d2lP3GU8g1UKzv352ivguvDVNJNEK6h", "1/4378553957509535:7d2lP3GU8g1UKzv352ivguvDVNJNEK6h"),
        ],
        counterexamples: &["asana task 1/4378553957509535 done", "asana 12/8328851344256757/1472176604141070:85fff11f2e7e8201acdb19e90dc0bc04"],
    },
    Builtin {
        id: "dropbox_token",
        provider: "dropbox",
        description: "Dropbox short-lived access token (sl. or sl.u. + 130 or more)",
        keywords: &["sl."],
        pattern: concat!(r"(?-u)(?P<token>sl\.(?:u\.)?(?P<secret>[A-Za-z0-9_-]{130,1400}))", end_url!()),
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("Authorization: Bearer sl.eAILDy2gH8Yqy5V_jlzpplwIvfIGi2HwXAtHjMGAviO5Eho0Zq_YldPQ1eQG1nWIFoHaFNYrCWXwQFL1RiQYLLtmDpiTBbqGJ5d4TrizMRIB1VzxplYYjK7Pg-P0OwVlmTNzshVTVc", "sl.eAILDy2gH8Yqy5V_jlzpplwIvfIGi2HwXAtHjMGAviO5Eho0Zq_YldPQ1eQG1nWIFoHaFNYrCWXwQFL1RiQYLLtmDpiTBbqGJ5d4TrizMRIB1VzxplYYjK7Pg-P0OwVlmTNzshVTVc")],
        counterexamples: &["sl.short", "tools.sl.example"],
    },
    Builtin {
        id: "frameio_token",
        provider: "frameio",
        description: "Frame.io developer token (fio-u- + 64)",
        keywords: &["fio-u-"],
        pattern: concat!(r"(?-u)(?P<token>fio-u-(?P<secret>[A-Za-z0-9_=-]{64}))", r"(?:[^A-Za-z0-9_=-]|$)"),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("FRAMEIO_TOKEN=fio-u-cip6rI9_9MNO_TDi4CX1G1JPUFQVOo17hGRTi7hoUe5dm0tGEYEoe5mvwPNbvR64", "fio-u-cip6rI9_9MNO_TDi4CX1G1JPUFQVOo17hGRTi7hoUe5dm0tGEYEoe5mvwPNbvR64")],
        counterexamples: &["fio-u-short"],
    },
    Builtin {
        id: "postman_api_key",
        provider: "postman",
        description: "Postman API key (PMAK- + 24 hex - 34 hex)",
        keywords: &["PMAK-"],
        pattern: r"(?-u)(?P<token>PMAK-(?P<secret>[a-f0-9]{24}-[a-f0-9]{34}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("X-Api-Key: PMAK-3cca1620825731f78080db60-aa10bdef0ed8c40ebcd4ba40b618973850", "PMAK-3cca1620825731f78080db60-aa10bdef0ed8c40ebcd4ba40b618973850")],
        counterexamples: &["PMAK-3cca1620825731f78080db60-aa10bdef0ed8c40ebcd4ba40b61897385"],
    },
    Builtin {
        id: "contentful_token",
        provider: "contentful",
        description: "Contentful personal access token (CFPAT- + 43)",
        keywords: &["CFPAT-"],
        pattern: concat!(r"(?-u)(?P<token>CFPAT-(?P<secret>[A-Za-z0-9_-]{43}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-23TcbcqeKvZCngh_8Gn8norA9GUUXSD_-s0JrWJiufl", "CFPAT-23TcbcqeKvZCngh_8Gn8norA9GUUXSD_-s0JrWJiufl")],
        counterexamples: &["CFPAT-short", "CFPAT-23TcbcqeKvZCngh_8Gn8norA9GUUXSD_-s0JrWJiuflX"],
    },
    Builtin {
        id: "mapbox_secret_token",
        provider: "mapbox",
        description: "Mapbox secret access token (sk. + base64 JSON . signature)",
        keywords: &["sk.eyJ"],
        pattern: concat!(r"(?-u)(?P<token>sk\.(?P<secret>eyJ[A-Za-z0-9_-]{20,400}\.[A-Za-z0-9_-]{20,30}))", end_url!()),
        validate: Some(bounded::base64_json_head),
        generic: false,
        examples: &[("MAPBOX_SECRET=sk.eyJ1IjoibWFwdXNlciIsImEiOiJja1Dz7csLJoIMqggZM2Ilb.nmsEYVmEHZlohSE_Zbukt3", "sk.eyJ1IjoibWFwdXNlciIsImEiOiJja1Dz7csLJoIMqggZM2Ilb.nmsEYVmEHZlohSE_Zbukt3")],
        counterexamples: &["sk.eyJ1Ijoi.short", "sk.eyJ!!!!!!!!!!!!!!!!!!!!!!!!!!!!.nmsEYVmEHZlohSE_Zbukt3"],
    },
    Builtin {
        id: "readme_api_key",
        provider: "readme",
        description: "ReadMe API key (rdme_ + 70)",
        keywords: &["rdme_"],
        pattern: r"(?-u)(?P<token>rdme_(?P<secret>[a-z0-9]{70}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("README_API_KEY=rdme_7hvbgt2lugurd1w8fqttv4hrj99n4tkdoz1gmnq9gdkdm3jis59ppsq6s0p1iyrw579x6p", "rdme_7hvbgt2lugurd1w8fqttv4hrj99n4tkdoz1gmnq9gdkdm3jis59ppsq6s0p1iyrw579x6p")],
        counterexamples: &["rdme_short"],
    },
    Builtin {
        id: "asana_legacy_pat",
        provider: "asana",
        description: "Asana legacy personal access token (0/ + 32 hex) in a line naming Asana",
        keywords: &["asana"],
        pattern: concat!(r"(?-u)(?i:asana)[^\n]{0,80}?(?:^|[^0-9A-Za-z/])(?P<secret>0/[a-f0-9]{32})", end_url!()),
        examples: &[
            ("ASANA_ACCESS_TOKEN=0/4e9b1c7a2d8f3e6b0a5c9d2e7f1b4a8c", "0/4e9b1c7a2d8f3e6b0a5c9d2e7f1b4a8c"),
            (r#"asana.Client.access_token("0/b37d9e1f4a6c8b2d0e5f7a9c1b3d6e8f")"#, "0/b37d9e1f4a6c8b2d0e5f7a9c1b3d6e8f"),
        ],
        counterexamples: &["asana task 0/00000000000000000000000000000000", "ASANA_ACCESS_TOKEN=0/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "asana path /10/4e9b1c7a2d8f3e6b0a5c9d2e7f1b4a8c"],
        ..NAMED
    },
    Builtin {
        id: "asana_client_secret",
        provider: "asana",
        description: "Asana OAuth client secret (32 hex) beside an Asana secret name",
        keywords: &["asana"],
        pattern: concat!(r"(?-u)(?i:asana)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ASANA_CLIENT_SECRET":"ef57acc45f20026a7b23e666b52b564d"}"#, "ef57acc45f20026a7b23e666b52b564d"),
            ("asana_secret=911a312a68a1cd610f3f6aafdd04329f", "911a312a68a1cd610f3f6aafdd04329f"),
        ],
        counterexamples: &["ASANA_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ASANA_CLIENT_SECRET=<your-asana-key>", "ASANA_CLIENT_SECRET=cecf0b62cd0e65494b05bb3a1c71995"],
        ..NAMED
    },
    Builtin {
        id: "trello_token",
        provider: "trello",
        description: "Trello / Atlassian Trello token (ATTA + 64 hex + 8 upper-case hex)",
        keywords: &["ATTA"],
        pattern: prefixed!(r"ATTA", r"[a-f0-9]{64}[A-F0-9]{8}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG trello client configured token=ATTAf6f19e0b56b696bb0f950b00f86848b227e08d7deb1f8c0dd2f1efd9f2ca896406EDA450", "ATTAf6f19e0b56b696bb0f950b00f86848b227e08d7deb1f8c0dd2f1efd9f2ca896406EDA450"),
            ("docker run -e TRELLO_TOKEN=ATTAd76c3794a64fd1da2fc2990e18843bb71e0d0b175a76dbc485afb54374febf699B5B9038 app:latest", "ATTAd76c3794a64fd1da2fc2990e18843bb71e0d0b175a76dbc485afb54374febf699B5B9038"),
        ],
        counterexamples: &["ATTAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ATTA1234567890", "ATTA7a13300eb8bc5eca1a87d005054a2197b75d6d581369d3ff981f634d5956416324BD792"],
        ..PREFIXED
    },
    Builtin {
        id: "trello_api_key",
        provider: "trello",
        description: "Trello API key (32 hex) or legacy token (64 hex) beside a Trello key name",
        keywords: &["trello"],
        pattern: concat!(r"(?-u)(?i:trello)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TRELLO_API_KEY: 94acb99dc3da58df2aae6d8506422f48", "94acb99dc3da58df2aae6d8506422f48"),
            (r#"export trello_key="cf60616f5254ffe56feb34c713c336cc""#, "cf60616f5254ffe56feb34c713c336cc"),
        ],
        counterexamples: &["TRELLO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRELLO_API_KEY=<your-trello-key>", "TRELLO_API_KEY=0d5160c49e665501cf719c17b1374e3"],
        ..NAMED
    },
    Builtin {
        id: "clickup_token",
        provider: "clickup",
        description: "ClickUp personal API token (pk_ + user id + _ + 32 upper-case alphanumerics)",
        keywords: &["pk_"],
        pattern: prefixed!(r"pk_", r"[0-9]{6,10}_[A-Z0-9]{32}"),
        examples: &[
            (r#"clickup_token = "pk_4121803_6BJ7DC1T1CZ4RGRS9BYD2X1UVBEURTFX""#, "pk_4121803_6BJ7DC1T1CZ4RGRS9BYD2X1UVBEURTFX"),
            ("Authorization: Bearer pk_3739219340_PB7IT2XK9WX13SYBUG6513TDZIIHK89F", "pk_3739219340_PB7IT2XK9WX13SYBUG6513TDZIIHK89F"),
        ],
        counterexamples: &["pk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pk_1234567890", "pk_067341_BFD99QQ814PU3YRE4QC3NZ07EYLVK5U"],
        ..PREFIXED
    },
    Builtin {
        id: "monday_token",
        provider: "monday",
        description: "monday.com API token (JWT) beside a monday key name",
        keywords: &["monday_api", "monday-api", "monday_token", "mondaycom"],
        pattern: concat!(r"(?-u)(?i:monday)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJIUzI1NiJ9\.[A-Za-z0-9_-]{100,250}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"MONDAY_API_TOKEN: "eyJhbGciOiJIUzI1NiJ9.Sf0k_jCs3juaSrellof3ciQ7BQimO99EBUpuBXL00YgmvCLHXsxhc_Lbwy3EvGI3zMbG-6nIbDKYM59CEDFT4X8ejHh6GjpfHtM5uI.tGz_ZI_yVhvrJFW9Ke7kKmit2RdWcknces4nYIwHKXl""#, "eyJhbGciOiJIUzI1NiJ9.Sf0k_jCs3juaSrellof3ciQ7BQimO99EBUpuBXL00YgmvCLHXsxhc_Lbwy3EvGI3zMbG-6nIbDKYM59CEDFT4X8ejHh6GjpfHtM5uI.tGz_ZI_yVhvrJFW9Ke7kKmit2RdWcknces4nYIwHKXl"),
            ("monday_token = eyJhbGciOiJIUzI1NiJ9.6-H_-yzDuOvjvuUpN97mb960VEIQMKol03HPub0FbTMIYFznZUoA-43sp3Vn3SplziSa7FMv7Jj80D8gCbedOx-RI--lqLsBFwlSMMUSOSKX.mFJqVj__nYzHv0tW5pA5_1nTgOAS1fmYjWExHBn5pkM", "eyJhbGciOiJIUzI1NiJ9.6-H_-yzDuOvjvuUpN97mb960VEIQMKol03HPub0FbTMIYFznZUoA-43sp3Vn3SplziSa7FMv7Jj80D8gCbedOx-RI--lqLsBFwlSMMUSOSKX.mFJqVj__nYzHv0tW5pA5_1nTgOAS1fmYjWExHBn5pkM"),
        ],
        counterexamples: &["MONDAY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MONDAY_API_TOKEN=<your-monday-key>", "MONDAY_API_TOKEN=eyJhbGciOiJIUzI1NiJ9.HxJxjrTM0eGkG9e-nKqUhCC_ncaf40qJv1sKKtX19VWoqyVxC0sqMZ-6Pojjr8XH6GsVPWctARmrJfa8BJpozawQTRsT-LIc7u_5kEGa0p.DizzAD8X7SrqC0dpSRai5LDp_piAfAUdIm8_EfbwOs"],
        ..NAMED
    },
    Builtin {
        id: "jira_pat",
        provider: "jira",
        description: "Jira Data Center personal access token (44) beside a Jira key name",
        keywords: &["jira"],
        pattern: concat!(r"(?-u)(?i:jira)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{44})", end_b64!()),
        examples: &[
            (r#"export JIRA_PAT="C84fuhdK8SLSqPlyN2TZWZtPK3UibknLYGvbdrMjERjD""#, "C84fuhdK8SLSqPlyN2TZWZtPK3UibknLYGvbdrMjERjD"),
            ("  jira_api_token: 0vJBm5vOhoN/bwTv+fi+CRZ9c7wJU0LNa1VzHC1v/f8u", "0vJBm5vOhoN/bwTv+fi+CRZ9c7wJU0LNa1VzHC1v/f8u"),
        ],
        counterexamples: &["JIRA_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "JIRA_PAT=<your-jira-key>", "JIRA_PAT=6jzFHdsyXC5qCY3yPOoJw9XHRF6bqgu95oP/PvJQRXw"],
        ..NAMED
    },
    Builtin {
        id: "confluence_pat",
        provider: "confluence",
        description: "Confluence Data Center personal access token (44) beside a Confluence key name",
        keywords: &["confluence"],
        pattern: concat!(r"(?-u)(?i:confluence)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{44})", end_b64!()),
        examples: &[
            (r#"{"CONFLUENCE_PAT":"oXDj8BSIkleb57TVW2MdqwfdU6UOz3xpZAjvzGco8Cks"}"#, "oXDj8BSIkleb57TVW2MdqwfdU6UOz3xpZAjvzGco8Cks"),
            ("confluence_token=JTkZ6N6TOgtR/uQ6eZxjb/ILNhHJ8SWqOsiwHQmvfJMN", "JTkZ6N6TOgtR/uQ6eZxjb/ILNhHJ8SWqOsiwHQmvfJMN"),
        ],
        counterexamples: &["CONFLUENCE_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONFLUENCE_PAT=<your-confluence-key>", "CONFLUENCE_PAT=c7BY8YJjQEZHfWDrpM18dCNflKvQTs9WALf6J8/97I9"],
        ..NAMED
    },
    Builtin {
        id: "atlassian_connect_token",
        provider: "atlassian",
        description: "Atlassian Connect / OAuth-style tokens (ATCTT3, ATOAT + body)",
        keywords: &["ATCTT3", "ATOAT"],
        pattern: prefixed!(r"(?:ATCTT3|ATOAT)", r"[A-Za-z0-9_-]{180,200}=[A-F0-9]{8}"),
        examples: &[
            (r#"atlassian_connect_token = "ATCTT3a2F7lEeQMmWzP5d2aypYAfd5ocAsrxbLrZyGxS9qLqRNzG5LrQXcfuU74SAUJsw-YlCjYMr5YoNWxdJTruWCttK6-MlnM4JdpUCg4cXxmNFxt8RorPQa2otdG-1xAKURBBADpXdW0QSd4l_qR3u6BKHurvCkl2zihSrrGlptNKiRzWsqeoEV8ANcClLI=9606CA2D""#, "ATCTT3a2F7lEeQMmWzP5d2aypYAfd5ocAsrxbLrZyGxS9qLqRNzG5LrQXcfuU74SAUJsw-YlCjYMr5YoNWxdJTruWCttK6-MlnM4JdpUCg4cXxmNFxt8RorPQa2otdG-1xAKURBBADpXdW0QSd4l_qR3u6BKHurvCkl2zihSrrGlptNKiRzWsqeoEV8ANcClLI=9606CA2D"),
            (r#"ATLASSIAN_CONNECT_TOKEN="ATOATSZAySPnSCatOUFQBIhE3uvWCIafLmnJXCsX0iFcxqvQ_SDp0B7ZwUgB5qWjk7GGxohVH0R-AMS0OD2NL5wB4IDs1pr2VqhUPAGAv4njcEP1rX59hQr2snaw5GX3TxEc2ybNMT1hzWw0bNVIsEjpK0NhzbALliXPSF1ra3p0RlBXaQRN-w9kQdl=77B7BF92""#, "ATOATSZAySPnSCatOUFQBIhE3uvWCIafLmnJXCsX0iFcxqvQ_SDp0B7ZwUgB5qWjk7GGxohVH0R-AMS0OD2NL5wB4IDs1pr2VqhUPAGAv4njcEP1rX59hQr2snaw5GX3TxEc2ybNMT1hzWw0bNVIsEjpK0NhzbALliXPSF1ra3p0RlBXaQRN-w9kQdl=77B7BF92"),
        ],
        counterexamples: &["ATCTT3xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ATCTT31234567890", "ATCTT30uW-2c-eQMdvLdT76KE8KZq43xbWk6XSp4NmthH8VZrBod26uqli0duEomHaIRc_U5aAIvreXalidsImW9uVnDRf0rJlSN8z9t1JxDBfRfdPGOs0bV-qa1lOb8O_O6Tk-bRCiAlg1vTrn1Rooosqw8A7vTfsFepyrLKcqE-4R4jDxUQnLppwqlPO=80B4D62"],
        ..PREFIXED
    },
    Builtin {
        id: "coda_api_token",
        provider: "coda",
        description: "Coda API token (UUID) beside a Coda key name",
        keywords: &["coda"],
        pattern: concat!(r"(?-u)(?i:coda)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  CODA_API_TOKEN: 5322f11d-6da5-7211-5f3a-f1484efac672", "5322f11d-6da5-7211-5f3a-f1484efac672"),
            (r#"export coda_token="11988ddf-e3a1-7a32-8f13-b468b31aef7e""#, "11988ddf-e3a1-7a32-8f13-b468b31aef7e"),
        ],
        counterexamples: &["CODA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODA_API_TOKEN=<your-coda-key>", "CODA_API_TOKEN=d8636026-d6bf-a1c6-9625-4d9335fcf8e"],
        ..NAMED
    },
    Builtin {
        id: "smartsheet_token",
        provider: "smartsheet",
        description: "Smartsheet API access token (26 or 37) beside a Smartsheet key name",
        keywords: &["smartsheet"],
        pattern: concat!(r"(?-u)(?i:smartsheet)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{37})", end_url!()),
        examples: &[
            ("SMARTSHEET_ACCESS_TOKEN=P6DfZRxpHQu9kBMv1wxGghwtONJxytioS1iks", "P6DfZRxpHQu9kBMv1wxGghwtONJxytioS1iks"),
            (r#"{"smartsheet_token":"5VapuHWTEFTkYhGgCTIhWxhzKqL8Z24yVtd3p"}"#, "5VapuHWTEFTkYhGgCTIhWxhzKqL8Z24yVtd3p"),
        ],
        counterexamples: &["SMARTSHEET_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SMARTSHEET_ACCESS_TOKEN=<your-smartsheet-key>", "SMARTSHEET_ACCESS_TOKEN=UJ6bE4bw8s5sFoZUBb35TMSQun8efvCQlyrk"],
        ..NAMED
    },
    Builtin {
        id: "miro_token",
        provider: "miro",
        description: "Miro access token beside a Miro key name",
        keywords: &["miro"],
        pattern: concat!(r"(?-u)(?i:miro)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJtaXJvLm9yaWdpbiI6[A-Za-z0-9_-]{40,80})", end_url!()),
        examples: &[
            (r#"MIRO_ACCESS_TOKEN: "eyJtaXJvLm9yaWdpbiI65JGG3CwnIUseYOEL0Nlb3Z0nfrCRsAVYE-efuOhbIm7CHTpD9L0""#, "eyJtaXJvLm9yaWdpbiI65JGG3CwnIUseYOEL0Nlb3Z0nfrCRsAVYE-efuOhbIm7CHTpD9L0"),
            ("miro_token = eyJtaXJvLm9yaWdpbiI6s6emHiR_8WztiltXrV0aRqE8Ck4d8b10JkKA-Cfn5SB_nmLJE_Y", "eyJtaXJvLm9yaWdpbiI6s6emHiR_8WztiltXrV0aRqE8Ck4d8b10JkKA-Cfn5SB_nmLJE_Y"),
        ],
        counterexamples: &["MIRO_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MIRO_ACCESS_TOKEN=<your-miro-key>", "MIRO_ACCESS_TOKEN=eyJtaXJvLm9yaWdpbiI64NQhVqc_iGYuYvsStx5sJ_U4N7DaaVBe6QjAwr5"],
        ..NAMED
    },
    Builtin {
        id: "figma_pat",
        provider: "figma",
        description: "Figma personal access token (figd_ + 40)",
        keywords: &["figd_"],
        pattern: prefixed!(r"figd_", r"[A-Za-z0-9_-]{40}"),
        examples: &[
            ("Authorization: Bearer figd_ybXaxOmvyuj9k6ZNzaANJ412xDiTCzRQiSuDfi3H", "figd_ybXaxOmvyuj9k6ZNzaANJ412xDiTCzRQiSuDfi3H"),
            ("2024-06-11T08:14:52Z DEBUG figma client configured token=figd_Jjm1ELEUdHfNkImSTdu-r550YgvSM2cJf_ZNWT_N", "figd_Jjm1ELEUdHfNkImSTdu-r550YgvSM2cJf_ZNWT_N"),
        ],
        counterexamples: &["figd_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like figd_1234567890", "figd_gR7BsuY4oWq56jqBqf61qPPsEI9bdtT-N3gdY13"],
        ..PREFIXED
    },
    Builtin {
        id: "figma_oauth_token",
        provider: "figma",
        description: "Figma OAuth access / refresh tokens (figu_, figr_ + 40 or more)",
        keywords: &["figu_", "figr_"],
        pattern: prefixed!(r"(?:figu_|figr_)", r"[A-Za-z0-9_-]{40,80}"),
        examples: &[
            ("export FIGMA_OAUTH_TOKEN=figu_ovJafvbiEvbyySdVEXtkvApjSF4aaeiADlWw4N4vhhbwvRgb", "figu_ovJafvbiEvbyySdVEXtkvApjSF4aaeiADlWw4N4vhhbwvRgb"),
            ("curl -s -H 'Authorization: Bearer figr_VgWk4jpaUIrenTXNpcU3zcxlRH8WuFEBz01AYNFwdbc' https://api.example.net/v1/me", "figr_VgWk4jpaUIrenTXNpcU3zcxlRH8WuFEBz01AYNFwdbc"),
        ],
        counterexamples: &["figu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like figu_1234567890", "figu_a9Cn2j2EV4cntM7HQjmQl8hIZz--pNHkHenq2Mu"],
        ..PREFIXED
    },
    Builtin {
        id: "typeform_pat",
        provider: "typeform",
        description: "Typeform personal access token (tfp_ + 44 + _ + 14)",
        keywords: &["tfp_"],
        pattern: prefixed!(r"tfp_", r"[A-Za-z0-9_-]{44}_[A-Za-z0-9_-]{14}"),
        examples: &[
            ("docker run -e TYPEFORM_PAT=tfp_hLYykdcPSSwgDXmwOan81HaZxV0KhIxTEKSjDB-8Qteg_3rglCS_2kiLl3P app:latest", "tfp_hLYykdcPSSwgDXmwOan81HaZxV0KhIxTEKSjDB-8Qteg_3rglCS_2kiLl3P"),
            (r#"typeform_pat = "tfp_a1aAqoJbOE-X_V-83BzSWaAgyUrh3-d0INzJCnYpXTsQ_xAJa9XqavI4Efe""#, "tfp_a1aAqoJbOE-X_V-83BzSWaAgyUrh3-d0INzJCnYpXTsQ_xAJa9XqavI4Efe"),
        ],
        counterexamples: &["tfp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tfp_1234567890", "tfp_C_BEqBH_EOgwnIWXLv6fCloX2w-aLDHgEJqHQUCl0jFH_v14Lfq1FQXTNc"],
        ..PREFIXED
    },
    Builtin {
        id: "calendly_token",
        provider: "calendly",
        description: "Calendly personal access token (JWT) beside a Calendly key name",
        keywords: &["calendly"],
        pattern: concat!(r"(?-u)(?i:calendly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJraWQiOi[A-Za-z0-9_-]{100,300}\.[A-Za-z0-9_-]{40,90})", end_url!()),
        examples: &[
            ("  CALENDLY_API_KEY: eyJraWQiOiUXOhjuFgm2pTQN2oRCplsrCY-lenuBF7sD44WCDClXF3C68boXuxCr0dFzTk-wJGRjgHs12POcjwrrPC1MPFWMlYL4rdGjT7xRipO0D5mKehWkk.9B7wOCI8-tZnQz3TpIs_MmCI5irBRHm5ewlqjAUw7L", "eyJraWQiOiUXOhjuFgm2pTQN2oRCplsrCY-lenuBF7sD44WCDClXF3C68boXuxCr0dFzTk-wJGRjgHs12POcjwrrPC1MPFWMlYL4rdGjT7xRipO0D5mKehWkk.9B7wOCI8-tZnQz3TpIs_MmCI5irBRHm5ewlqjAUw7L"),
            (r#"export calendly_token="eyJraWQiOi70x5Kyac_2H1VlMLjCxJW_yiQZ3Mbm4NijGtfZG-NpmxuqGx0XCzmLKl144PWZ2Xl7c0XzFR4TPQzi8qguEPy1txxBa0x19zQ98XjfBPoltv.bcep0XLHi1T5yx1Ti1UaP-q7lKSyIBn7A5saTcYi_Kf0usMpLSZp""#, "eyJraWQiOi70x5Kyac_2H1VlMLjCxJW_yiQZ3Mbm4NijGtfZG-NpmxuqGx0XCzmLKl144PWZ2Xl7c0XzFR4TPQzi8qguEPy1txxBa0x19zQ98XjfBPoltv.bcep0XLHi1T5yx1Ti1UaP-q7lKSyIBn7A5saTcYi_Kf0usMpLSZp"),
        ],
        counterexamples: &["CALENDLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CALENDLY_API_KEY=<your-calendly-key>", "CALENDLY_API_KEY=eyJraWQiOiGo72uE1nVHWkylkJBos57QzDbmzQYvAqB03FprEV-dvE5qeTvG0dYuvAy1rfsqXJQ-L4hjnISzwK3lZLz_Pcu3TuMbkAolnA8mIp.nLDDnpOJfukYS53gQIcnKNSh55L6g1LITiSAC6O"],
        ..NAMED
    },
    Builtin {
        id: "docusign_secret",
        provider: "docusign",
        description: "DocuSign integration secret key (UUID) beside a DocuSign secret name",
        keywords: &["docusign"],
        pattern: concat!(r"(?-u)(?i:docusign)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("DOCUSIGN_CLIENT_SECRET=2a781c8e-4d62-7ba0-32c6-7c3539018bd8", "2a781c8e-4d62-7ba0-32c6-7c3539018bd8"),
            (r#"{"docusign_secret_key":"7cf7b290-d50f-233f-cd8d-5073cd8c9e48"}"#, "7cf7b290-d50f-233f-cd8d-5073cd8c9e48"),
        ],
        counterexamples: &["DOCUSIGN_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DOCUSIGN_CLIENT_SECRET=<your-docusign-key>", "DOCUSIGN_CLIENT_SECRET=a618f010-5bcd-3e17-e011-6429d25633a"],
        ..NAMED
    },
    Builtin {
        id: "adobe_client_secret",
        provider: "adobe",
        description: "Adobe Developer client secret (p8e- + 32)",
        keywords: &["p8e-"],
        pattern: prefixed!(r"p8e-", r"[A-Za-z0-9_-]{32}"),
        examples: &[
            ("  adobe_client_secret: p8e-449bkzTAW8qSZaYJZwaaLV9X7AzU75IP", "p8e-449bkzTAW8qSZaYJZwaaLV9X7AzU75IP"),
            ("curl -s -H 'Authorization: Bearer p8e-m0vbxBYeurLzUpRJRgicdyfpXPfbOdzc' https://api.example.net/v1/me", "p8e-m0vbxBYeurLzUpRJRgicdyfpXPfbOdzc"),
        ],
        counterexamples: &["p8e-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like p8e-1234567890", "p8e--RouHGNAr3Ira3zpIEidmwM2J2h52Vq"],
        ..PREFIXED
    },
    Builtin {
        id: "adobe_sign_key",
        provider: "adobe",
        description: "Adobe Sign / PDF Services integration key beside an Adobe key name",
        keywords: &["adobe"],
        pattern: concat!(r"(?-u)(?i:adobe)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            (r#"export ADOBE_CLIENT_SECRET="v9UX-ZJcNI6ieHLEMI9J8d5LSUvxZJbQ""#, "v9UX-ZJcNI6ieHLEMI9J8d5LSUvxZJbQ"),
            ("  adobe_integration_key: Wtom29CfIz0OTlehf4yAlA5voB6eWKUM", "Wtom29CfIz0OTlehf4yAlA5voB6eWKUM"),
        ],
        counterexamples: &["ADOBE_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ADOBE_CLIENT_SECRET=<your-adobe-key>", "ADOBE_CLIENT_SECRET=isxbXvwir6Mvu2vFHKCqD13e1HfAGK5"],
        ..NAMED
    },
    Builtin {
        id: "todoist_token",
        provider: "todoist",
        description: "Todoist API token (40 hex) beside a Todoist key name",
        keywords: &["todoist"],
        pattern: concat!(r"(?-u)(?i:todoist)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"{"TODOIST_API_TOKEN":"dd65a44e1491e48cd235b3944982a664b054f521"}"#, "dd65a44e1491e48cd235b3944982a664b054f521"),
            ("todoist_token=d5906b48b2e9eb6973cdfde9ae1e5fcaefc89758", "d5906b48b2e9eb6973cdfde9ae1e5fcaefc89758"),
        ],
        counterexamples: &["TODOIST_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TODOIST_API_TOKEN=<your-todoist-key>", "TODOIST_API_TOKEN=32175092a607a021bd6702846afb48866c6e2f3"],
        ..NAMED
    },
    Builtin {
        id: "wrike_token",
        provider: "wrike",
        description: "Wrike permanent access token beside a Wrike key name",
        keywords: &["wrike"],
        pattern: concat!(r"(?-u)(?i:wrike)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9\.[A-Za-z0-9_-]{80,200}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("WRIKE_ACCESS_TOKEN = eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.bzXP9_0MGPnWkc03oozIjtXsmk-tlxN1BuNaxsANkF2Vb5gIXtPmfYcwEKrUlTZToLALhD2V6eZfW0BQYOKMHr8ki.XrWfaKn3xIMJ9TJw80MWoaucgddb4_x5LVOYBb7haYE", "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.bzXP9_0MGPnWkc03oozIjtXsmk-tlxN1BuNaxsANkF2Vb5gIXtPmfYcwEKrUlTZToLALhD2V6eZfW0BQYOKMHr8ki.XrWfaKn3xIMJ9TJw80MWoaucgddb4_x5LVOYBb7haYE"),
            (r#"wrike_token: "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.MdD-Dnbaggj09Q47qekSUjtT8JtOkKuNH8VWBZ4WjMODAjCHGp3W8_OX-HABaujoixUIwMcq09LeM7HB.jU8vda23Ba-Xmdk64aMEO2A-FnuPdpoCzV9gk6QwIqW""#, "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.MdD-Dnbaggj09Q47qekSUjtT8JtOkKuNH8VWBZ4WjMODAjCHGp3W8_OX-HABaujoixUIwMcq09LeM7HB.jU8vda23Ba-Xmdk64aMEO2A-FnuPdpoCzV9gk6QwIqW"),
        ],
        counterexamples: &["WRIKE_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WRIKE_ACCESS_TOKEN=<your-wrike-key>", "WRIKE_ACCESS_TOKEN=eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.Jl7neCespUrqXxS-uL7wTNzo0tpKoNUXHssokjfJafnS_HQ-q7zKckhXMB_I3yxfpKv2_eyGLqcV5lWuan.eaYN3CGNCAqKJ1jupXtWE6YOPP7fE3d64lqh0KOyWC"],
        ..NAMED
    },
    Builtin {
        id: "zoho_oauth_token",
        provider: "zoho",
        description: "Zoho OAuth access / refresh token (1000. + 32 hex + . + 32 hex) in a line naming Zoho",
        keywords: &["zoho"],
        pattern: prefixed!(r"1000\.", r"[a-f0-9]{32}\.[a-f0-9]{32}"),
        examples: &[
            ("Authorization: Zoho-oauthtoken 1000.ab10d37c1982cdfe4db68e991ee62035.e7bdfc62587cf913646176a2c846a0aa", "1000.ab10d37c1982cdfe4db68e991ee62035.e7bdfc62587cf913646176a2c846a0aa"),
            ("ZOHO_REFRESH_TOKEN=1000.aa9cded470888e41587c0de12a5ac59d.b386451330b1718d6a4b4ee9ac0f99ff", "1000.aa9cded470888e41587c0de12a5ac59d.b386451330b1718d6a4b4ee9ac0f99ff"),
        ],
        counterexamples: &["1000.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1000.1234567890", "1000.b3b96dfc835fed8673bbd73a16f3a4a8.728dff2d9d408069bbe90bd0cbaafb0"],
        ..PREFIXED
    },
    Builtin {
        id: "shortcut_api_token",
        provider: "shortcut",
        description: "Shortcut (Clubhouse) API token (UUID) beside a Shortcut key name",
        keywords: &["shortcut", "clubhouse"],
        pattern: concat!(r"(?-u)(?i:shortcut|clubhouse)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("SHORTCUT_API_TOKEN=fc6b25c6-61dd-35e5-4aef-c934875f91ec", "fc6b25c6-61dd-35e5-4aef-c934875f91ec"),
            (r#"{"clubhouse_api_token":"fca3fcfd-ed16-7e9f-e275-8190e62c4b55"}"#, "fca3fcfd-ed16-7e9f-e275-8190e62c4b55"),
        ],
        counterexamples: &["SHORTCUT_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHORTCUT_API_TOKEN=<your-shortcut-key>", "SHORTCUT_API_TOKEN=388987f7-7781-4fdb-8b41-292f957eddc"],
        ..NAMED
    },
    Builtin {
        id: "harvest_token",
        provider: "harvest",
        description: "Harvest personal access token beside a Harvest key name",
        keywords: &["harvest"],
        pattern: concat!(r"(?-u)(?i:harvest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{7}\.pt\.[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            (r#"HARVEST_ACCESS_TOKEN: "3051903.pt.XjrJK0j9FAxsSDUDrJ8HBQKFLkHo3WL_c1lCCzD3ohIN9LTvS64X6NzIesm5euwRFhC_g19lY4ZfNc12hz7tbI""#, "3051903.pt.XjrJK0j9FAxsSDUDrJ8HBQKFLkHo3WL_c1lCCzD3ohIN9LTvS64X6NzIesm5euwRFhC_g19lY4ZfNc12hz7tbI"),
            ("harvest_token = 8611485.pt.XKi_KtZWeKGXLO563qFyxc4I8L4xs4zSX9zq5QFqSAEYem21s3r6ksX-2lGyV0OuFv_9pPlZ9gV1OgzHaw7KpQ", "8611485.pt.XKi_KtZWeKGXLO563qFyxc4I8L4xs4zSX9zq5QFqSAEYem21s3r6ksX-2lGyV0OuFv_9pPlZ9gV1OgzHaw7KpQ"),
        ],
        counterexamples: &["HARVEST_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HARVEST_ACCESS_TOKEN=<your-harvest-key>", "HARVEST_ACCESS_TOKEN=3666485.pt.dHZZkmFBTvyF_hKkg2ZnUG8YB_oTdRVbv0HMcVvCL4F-CT6NlYGffEDXX_Ho2t6QhZlxcUu4EzGSAXLTDbwYt"],
        ..NAMED
    },
    Builtin {
        id: "gitbook_api_token",
        provider: "gitbook",
        description: "GitBook API token (gb_api_ + 40)",
        keywords: &["gb_api_"],
        pattern: prefixed!(r"gb_api_", r"[A-Za-z0-9]{40}"),
        examples: &[
            (r#"{"gitbook_api_token": "gb_api_YCpybHRgRZ2Vc1rxsB2f5NmbPFXsOPVXavky4V2w", "region": "eu-west-1"}"#, "gb_api_YCpybHRgRZ2Vc1rxsB2f5NmbPFXsOPVXavky4V2w"),
            ("docker run -e GITBOOK_API_TOKEN=gb_api_qo2iPnzhOKFEf0xTLL2SdxDz7AhSi1P9rglCj1Lw app:latest", "gb_api_qo2iPnzhOKFEf0xTLL2SdxDz7AhSi1P9rglCj1Lw"),
        ],
        counterexamples: &["gb_api_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like gb_api_1234567890", "gb_api_dytji1vTDaDoyLUuf7wzFUXDwe96bofZItNeVKA"],
        ..PREFIXED
    },
    Builtin {
        id: "dropbox_app_secret",
        provider: "dropbox",
        description: "Dropbox app secret (15 lower-case alphanumerics) beside a Dropbox secret name",
        keywords: &["dropbox"],
        pattern: concat!(r"(?-u)(?i:dropbox)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{15})", end_url!()),
        examples: &[
            (r#"{"DROPBOX_APP_SECRET":"58xrmqkh3ghjxdh"}"#, "58xrmqkh3ghjxdh"),
            ("dropbox_client_secret=xpdfjn5q3movgcs", "xpdfjn5q3movgcs"),
        ],
        counterexamples: &["DROPBOX_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DROPBOX_APP_SECRET=<your-dropbox-key>", "DROPBOX_APP_SECRET=r65lcxp3ktztbm"],
        ..NAMED
    },
    Builtin {
        id: "box_token",
        provider: "box",
        description: "Box developer token, client secret or JWT key secret beside a Box key name",
        keywords: &["box_", "box-"],
        pattern: concat!(r"(?-u)(?i:box)[A-Za-z0-9_.-]{0,24}?(?i:client[_-]?secret|developer[_-]?token|access[_-]?token|primary[_-]?access[_-]?token)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("BOX_CLIENT_SECRET = yOHg4FnrBBFPmJ8mTjDBxsxw9dMOOZrL", "yOHg4FnrBBFPmJ8mTjDBxsxw9dMOOZrL"),
            (r#"BOX_DEVELOPER_TOKEN: "6gGs86RVPasnwvgjRqqM0CBT2kJPYVB5""#, "6gGs86RVPasnwvgjRqqM0CBT2kJPYVB5"),
        ],
        counterexamples: &["BOX_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BOX_CLIENT_SECRET=<your-box-key>", "BOX_CLIENT_SECRET=EK4IKC68pChKqpfkdKv9jsPc1T0X2Ap"],
        ..NAMED
    },
    Builtin {
        id: "contentful_delivery_token",
        provider: "contentful",
        description: "Contentful delivery / preview API token (43) beside a Contentful key name",
        keywords: &["contentful"],
        pattern: concat!(r"(?-u)(?i:contentful)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("  CONTENTFUL_DELIVERY_TOKEN: -PF21Upt5WtSfdJdIleDWlcD23V2S1PtZ2zWfAk1cAH", "-PF21Upt5WtSfdJdIleDWlcD23V2S1PtZ2zWfAk1cAH"),
            (r#"export contentful_access_token="OipfG5xb5NRIc2HHEPuFe1Fu01Net1P4ryb_-G4r9uK""#, "OipfG5xb5NRIc2HHEPuFe1Fu01Net1P4ryb_-G4r9uK"),
        ],
        counterexamples: &["CONTENTFUL_DELIVERY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONTENTFUL_DELIVERY_TOKEN=<your-contentful-key>", "CONTENTFUL_DELIVERY_TOKEN=1j4rWlr1b6s5-kb3e1MMCAj0R08XlBmrmeVYIhO-23"],
        ..NAMED
    },
    Builtin {
        id: "sanity_token",
        provider: "sanity",
        description: "Sanity API token (sk + 180 or more) beside a Sanity key name",
        keywords: &["sanity"],
        pattern: concat!(r"(?-u)(?i:sanity)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk[A-Za-z0-9]{180,200})", end_url!()),
        examples: &[
            ("SANITY_API_TOKEN=skB0gLghOcam6yxnmYeYHibSWzNqFFQ7B4lwdLnrjXxNsNM0cHBnG9fG41kXESO2vBfgz1aS4J3RGCEUl0QmAhKXMdmhnqfaX5QsSiKg1fYIPknju8n992MgWImTMsS7qOIOS3BEKLS9gi5E0rYdKOzvmyN1AWuSzQdAhJ04Eorvd0OejRe7r90GsW", "skB0gLghOcam6yxnmYeYHibSWzNqFFQ7B4lwdLnrjXxNsNM0cHBnG9fG41kXESO2vBfgz1aS4J3RGCEUl0QmAhKXMdmhnqfaX5QsSiKg1fYIPknju8n992MgWImTMsS7qOIOS3BEKLS9gi5E0rYdKOzvmyN1AWuSzQdAhJ04Eorvd0OejRe7r90GsW"),
            (r#"{"sanity_token":"skXIRyLN9M0c5MsOk1HN4aLEmNHLLiMNx9PynAuoUApROXtnHqkR5hdrewOsCy5BHmdd9i0vEhSLh9QjZPVP3tlRwgVzh5oVN0n2lmZLZLKDaXTuR1ZuW2JGFjHpK4YF1aSQlUizMDGu87TquMaSs7Aaoeoq4O4Tiy4TX8dbzRhEtzq6GvXIvg6yMnYNtVn"}"#, "skXIRyLN9M0c5MsOk1HN4aLEmNHLLiMNx9PynAuoUApROXtnHqkR5hdrewOsCy5BHmdd9i0vEhSLh9QjZPVP3tlRwgVzh5oVN0n2lmZLZLKDaXTuR1ZuW2JGFjHpK4YF1aSQlUizMDGu87TquMaSs7Aaoeoq4O4Tiy4TX8dbzRhEtzq6GvXIvg6yMnYNtVn"),
        ],
        counterexamples: &["SANITY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SANITY_API_TOKEN=<your-sanity-key>", "SANITY_API_TOKEN=sk0II18tZUHC7updMVEW4vU2IhjF1MxOt6r204VzbiM3g6eODia7WlK5qS9NL5ud7e2YHXZjzEPPykVnQaFipHxGQ75U2e3xakv25SfrxZdJ1AoCgpXQgxFVsti9EghtT6ibUco3tCGm3dejVZgBReNSzOC7hdAGwBBqq6uTMM20NIMraRDv1"],
        ..NAMED
    },
    Builtin {
        id: "storyblok_token",
        provider: "storyblok",
        description: "Storyblok access / management token beside a Storyblok key name",
        keywords: &["storyblok"],
        pattern: concat!(r"(?-u)(?i:storyblok)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22,28})", end_url!()),
        examples: &[
            (r#"STORYBLOK_TOKEN: "6zUnvm0TI8HXf6CLnkDaYsN""#, "6zUnvm0TI8HXf6CLnkDaYsN"),
            ("storyblok_oauth_token = Ap2Kn9PiqUHv19JPeUwjsNt", "Ap2Kn9PiqUHv19JPeUwjsNt"),
        ],
        counterexamples: &["STORYBLOK_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STORYBLOK_TOKEN=<your-storyblok-key>", "STORYBLOK_TOKEN=4lsm0D4yvglmxbCx8p4iE"],
        ..NAMED
    },
    Builtin {
        id: "strapi_token",
        provider: "strapi",
        description: "Strapi API token (256 hex) beside a Strapi key name",
        keywords: &["strapi"],
        pattern: concat!(r"(?-u)(?i:strapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{256})", end_url!()),
        examples: &[
            (r#"export STRAPI_API_TOKEN="04d830b9ec9aa7b245aab381a7a625439212cfb69c2b76052d7b1b8c427e308a2392fa17fd3916e8b86a62f20d810d4c6738e624e69189b35b41a1f809a439d026d8a447747318d781ee8ba04093fa6fd45d0ac3bdb3087eee6d0217164b8a8e0e2a5f8fbbb04e334714605b9841c62cc70f9483afc15a275d606d4d6484cebd""#, "04d830b9ec9aa7b245aab381a7a625439212cfb69c2b76052d7b1b8c427e308a2392fa17fd3916e8b86a62f20d810d4c6738e624e69189b35b41a1f809a439d026d8a447747318d781ee8ba04093fa6fd45d0ac3bdb3087eee6d0217164b8a8e0e2a5f8fbbb04e334714605b9841c62cc70f9483afc15a275d606d4d6484cebd"),
            ("  strapi_token: 6674b7c5c338c5d48c21dec44b998b69c9187f0b1922577fd8554d7b8f86b1eb866ec8d12fbaf2ebc7d392200bacf52f556f9cee56a8e535ef13b102bcbba556deac7132fd729bb754ec75bc3c34190b06ccc3c092d010186b51f6a908e1b0e33e6319c2f84cc64621c855e77d3cb9e28f72c9045a5fb8718335594406abd05c", "6674b7c5c338c5d48c21dec44b998b69c9187f0b1922577fd8554d7b8f86b1eb866ec8d12fbaf2ebc7d392200bacf52f556f9cee56a8e535ef13b102bcbba556deac7132fd729bb754ec75bc3c34190b06ccc3c092d010186b51f6a908e1b0e33e6319c2f84cc64621c855e77d3cb9e28f72c9045a5fb8718335594406abd05c"),
        ],
        counterexamples: &["STRAPI_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STRAPI_API_TOKEN=<your-strapi-key>", "STRAPI_API_TOKEN=01525717f81ad53fd05bf44b4c592b1b4d215b0a45f3fc17426c7aac86bf7a30254ddad8ba5a02cb7b76f0c7c4488ca74db45ccf9cf9d59a2c9b4496968ab71e1e1eea74f66ad70f9bf1e1ca8dd341e6f0bce9afd25f01dbe96e0731a6fe3b051d598df59798841d722142657a5b8649483a13d6ae1d76d1353686214ebd6a2"],
        ..NAMED
    },
    Builtin {
        id: "datocms_token",
        provider: "datocms",
        description: "DatoCMS API token (30 hex) beside a DatoCMS key name",
        keywords: &["datocms"],
        pattern: concat!(r"(?-u)(?i:datocms)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{30})", end_url!()),
        examples: &[
            (r#"{"DATOCMS_API_TOKEN":"385f4d38660ee3ba8ee71258db2531"}"#, "385f4d38660ee3ba8ee71258db2531"),
            ("datocms_token=c3dc9319afcc4e0c459746c741c49b", "c3dc9319afcc4e0c459746c741c49b"),
        ],
        counterexamples: &["DATOCMS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DATOCMS_API_TOKEN=<your-datocms-key>", "DATOCMS_API_TOKEN=4a2507c59c8687e4aaa574927e804"],
        ..NAMED
    },
    Builtin {
        id: "webflow_token",
        provider: "webflow",
        description: "Webflow API token (64 hex) beside a Webflow key name",
        keywords: &["webflow"],
        pattern: concat!(r"(?-u)(?i:webflow)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("WEBFLOW_API_TOKEN = 56ed9d72c49ba18782db1ba66fce711e78f658acd4c3b7e61d288a85281d0a42", "56ed9d72c49ba18782db1ba66fce711e78f658acd4c3b7e61d288a85281d0a42"),
            (r#"webflow_token: "ad00663f233aef79bbc01ad205cf490e54d38fa00e367a4663e701065a2214a8""#, "ad00663f233aef79bbc01ad205cf490e54d38fa00e367a4663e701065a2214a8"),
        ],
        counterexamples: &["WEBFLOW_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEBFLOW_API_TOKEN=<your-webflow-key>", "WEBFLOW_API_TOKEN=611ddc09c36e316a122406797baf72876e306b98c82c3e5fbd5895370a359d1"],
        ..NAMED
    },
    Builtin {
        id: "wix_api_key",
        provider: "wix",
        description: "Wix API key (IST. + JWT)",
        keywords: &["IST."],
        pattern: prefixed!(r"IST\.", r"eyJ[A-Za-z0-9_-]{100,300}\.[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{43,342}"),
        examples: &[
            ("Authorization: Bearer IST.eyJ14vGZcAnaKMChq2Hrr5fb7uiTV_SMsM3ZJLa7qufdxWIz_RhUAX7xGC34IoMScEYBER_WxWWok74V-tB-7i1PrF1qcD36W1TSuNYfg.tMqONV4rU_W0l057nbSrKY.5Q8Tpogm0UMUgbC_FkDX8FBK_d2A2v5YiZahMUR0uuaw", "IST.eyJ14vGZcAnaKMChq2Hrr5fb7uiTV_SMsM3ZJLa7qufdxWIz_RhUAX7xGC34IoMScEYBER_WxWWok74V-tB-7i1PrF1qcD36W1TSuNYfg.tMqONV4rU_W0l057nbSrKY.5Q8Tpogm0UMUgbC_FkDX8FBK_d2A2v5YiZahMUR0uuaw"),
            ("env WIX_API_KEY=IST.eyJKPwQrSS0vQdGLt2FCt2wAPboBMLByQr4uds3hQTBr0W_O4DNhYaLWWTlWpKbe8TxRGN8U8UZWCAZEBnJehlId4tYzv_iTGtOZCc6Pv39zS5r.sAAY1bTyuDXpNbVLifNwr24jtr3Qa.K9__nN3k6SFi5WeYGALyyD-HXOeSIjDIyuNvj4yjWglo_EbDyvGrN ./deploy.sh", "IST.eyJKPwQrSS0vQdGLt2FCt2wAPboBMLByQr4uds3hQTBr0W_O4DNhYaLWWTlWpKbe8TxRGN8U8UZWCAZEBnJehlId4tYzv_iTGtOZCc6Pv39zS5r.sAAY1bTyuDXpNbVLifNwr24jtr3Qa.K9__nN3k6SFi5WeYGALyyD-HXOeSIjDIyuNvj4yjWglo_EbDyvGrN"),
        ],
        counterexamples: &["IST.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like IST.1234567890", "IST.eyJrqcMJwApPSeTb4i8P9Qud2DRNqNCC0YbJocWMxeHHI3gH5B_wSjTsz3M8NIlmQMe0R1NfqSx7dLdowxEzx2fivWRt20yUGM7IcBzt.HV5c31-k6QTp6K16SBMxvV17ueWZ.rAxu9ZEEyjd46rHVbsxPCgiIj261uaxODTASX7Y2UB"],
        ..PREFIXED
    },
    Builtin {
        id: "ghost_admin_key",
        provider: "ghost",
        description: "Ghost Admin API key (24 hex : 64 hex) beside a Ghost key name",
        keywords: &["ghost"],
        pattern: concat!(r"(?-u)(?i:ghost)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{24}:[a-f0-9]{64})", end_url!()),
        examples: &[
            ("GHOST_ADMIN_API_KEY=dfe80a348ed422bb707edab3:e541c5f5101f859e6c5619baff7d4f5b0c2e147b69237ab0611a226b04904af2", "dfe80a348ed422bb707edab3:e541c5f5101f859e6c5619baff7d4f5b0c2e147b69237ab0611a226b04904af2"),
            (r#"{"ghost_admin_key":"35fd11c6b6ea8dc1c0fbc502:dab5bccbde661ac98f91d6a4792ab08a6d432ed46d9423d67d1851d969ed54f5"}"#, "35fd11c6b6ea8dc1c0fbc502:dab5bccbde661ac98f91d6a4792ab08a6d432ed46d9423d67d1851d969ed54f5"),
        ],
        counterexamples: &["GHOST_ADMIN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GHOST_ADMIN_API_KEY=<your-ghost-key>", "GHOST_ADMIN_API_KEY=0365ae08cdd68e09e89bbd5e:96e3eb810764754eeebfa40db56f5161ccb89916118e436fa82d3237d31f83c"],
        ..NAMED
    },
    Builtin {
        id: "wordpress_app_password",
        provider: "wordpress",
        description: "WordPress application password (six groups of four) beside a WordPress / WP password name",
        keywords: &["wordpress", "wp_app", "wp-app", "wp_application"],
        pattern: concat!(r"(?-u)(?i:wordpress|wp)[A-Za-z0-9_.-]{0,24}?(?i:password)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4})", end_url!()),
        examples: &[
            (r#"WP_APPLICATION_PASSWORD: "A0xj TGeL 6Itb dHsl k23K nSGi""#, "A0xj TGeL 6Itb dHsl k23K nSGi"),
            ("wordpress_app_password = 5jV2 eAzf ePhN lfyn YLQC C5OM", "5jV2 eAzf ePhN lfyn YLQC C5OM"),
        ],
        counterexamples: &["WP_APPLICATION_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WP_APPLICATION_PASSWORD=<your-wordpress-key>", "WP_APPLICATION_PASSWORD=T3cc KxH5 r62G agaf LwJ9 Elq"],
        ..NAMED
    },
    Builtin {
        id: "lokalise_token",
        provider: "lokalise",
        description: "Lokalise API token (40 hex) beside a Lokalise key name",
        keywords: &["lokalise"],
        pattern: concat!(r"(?-u)(?i:lokalise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export LOKALISE_API_TOKEN="2b668f6caec25cd2ddcdb686b5f8126808da52cd""#, "2b668f6caec25cd2ddcdb686b5f8126808da52cd"),
            ("  lokalise_token: d0a77843822f0a9ea1fcab787dcfe3aff0c0ce9c", "d0a77843822f0a9ea1fcab787dcfe3aff0c0ce9c"),
        ],
        counterexamples: &["LOKALISE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOKALISE_API_TOKEN=<your-lokalise-key>", "LOKALISE_API_TOKEN=755114607d0849d75eba6c2d33205f4d5afe1da"],
        ..NAMED
    },
    Builtin {
        id: "crowdin_token",
        provider: "crowdin",
        description: "Crowdin personal access token (80 hex) beside a Crowdin key name",
        keywords: &["crowdin"],
        pattern: concat!(r"(?-u)(?i:crowdin)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{80})", end_url!()),
        examples: &[
            (r#"{"CROWDIN_PERSONAL_TOKEN":"a327238538c9585bc7b712ff50b6b8877ba5aa900230acdd6b56a8b613b3e602b238bdc802177bca"}"#, "a327238538c9585bc7b712ff50b6b8877ba5aa900230acdd6b56a8b613b3e602b238bdc802177bca"),
            ("crowdin_api_token=2bc03b13ff7bb0b35b6dadc8b6d7c661b127950db65e1909a261fbff480f8144e5b878feac3c16d9", "2bc03b13ff7bb0b35b6dadc8b6d7c661b127950db65e1909a261fbff480f8144e5b878feac3c16d9"),
        ],
        counterexamples: &["CROWDIN_PERSONAL_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CROWDIN_PERSONAL_TOKEN=<your-crowdin-key>", "CROWDIN_PERSONAL_TOKEN=7a947f97d6a5a45b272820fdddc1f29280a08071a3698adbd921f39f67513b7a6d4526bc7fb1603"],
        ..NAMED
    },
    Builtin {
        id: "phrase_token",
        provider: "phrase",
        description: "Phrase (PhraseApp) access token (64 hex) beside a Phrase key name",
        keywords: &["phraseapp", "phrase_access", "phrase_api", "phrase-api"],
        pattern: concat!(r"(?-u)(?i:phrase(?:app)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("PHRASE_ACCESS_TOKEN = f7d485f06901a78e5b9cd67b6cdc2794ba2e60b1341a8dc5f030d99e06a52975", "f7d485f06901a78e5b9cd67b6cdc2794ba2e60b1341a8dc5f030d99e06a52975"),
            (r#"phraseapp_token: "60ea52d0df85456c21497a2a7f4a0117adba9c885b7edcba696c0a404463e91f""#, "60ea52d0df85456c21497a2a7f4a0117adba9c885b7edcba696c0a404463e91f"),
        ],
        counterexamples: &["PHRASE_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PHRASE_ACCESS_TOKEN=<your-phrase-key>", "PHRASE_ACCESS_TOKEN=ee405240f17832ab7347927a75d86ad6f3f3eb30f0c78ebee3b1308b1753221"],
        ..NAMED
    },
    Builtin {
        id: "transifex_token",
        provider: "transifex",
        description: "Transifex API token (1/ + 40 hex) beside a Transifex key name",
        keywords: &["transifex", "tx_token"],
        pattern: concat!(r"(?-u)(?i:transifex|tx)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>1/[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  TRANSIFEX_TOKEN: 1/42f422aa19b2aae27745271bc0b8a25cec1098ee", "1/42f422aa19b2aae27745271bc0b8a25cec1098ee"),
            (r#"export tx_token="1/4564f55760a31fcb4888ac1406c44747338fcb31""#, "1/4564f55760a31fcb4888ac1406c44747338fcb31"),
        ],
        counterexamples: &["TRANSIFEX_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRANSIFEX_TOKEN=<your-transifex-key>", "TRANSIFEX_TOKEN=1/f7251b04fe71be5300620c6ea3b6a601a18d2ec"],
        ..NAMED
    },
    Builtin {
        id: "deepl_api_key",
        provider: "deepl",
        description: "DeepL API key (UUID + :fx for the free plan)",
        keywords: &[":fx"],
        pattern: concat!(r"(?-u)(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}:fx)", end_url!()),
        validate: Some(bounded::random_lively),
        examples: &[
            ("DEEPL_AUTH_KEY=3c9a1f7e-5b2d-4e8a-9c6f-1a7b3d5e9f2c:fx", "3c9a1f7e-5b2d-4e8a-9c6f-1a7b3d5e9f2c:fx"),
            (r#"-H "Authorization: DeepL-Auth-Key 8e2d4f6a-1c3b-4a5d-b7e9-0f2a4c6e8b1d:fx""#, "8e2d4f6a-1c3b-4a5d-b7e9-0f2a4c6e8b1d:fx"),
        ],
        counterexamples: &["DeepL-Auth-Key 00000000-0000-0000-0000-000000000000:fx", "DEEPL_AUTH_KEY=xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx:fx", "uuid 3c9a1f7e-5b2d-4e8a-9c6f-1a7b3d5e9f2c", "x3c9a1f7e-5b2d-4e8a-9c6f-1a7b3d5e9f2c:fx"],
        ..NAMED
    },
    Builtin {
        id: "deepl_pro_key",
        provider: "deepl",
        description: "DeepL Pro API key (UUID) beside a DeepL key name",
        keywords: &["deepl"],
        pattern: concat!(r"(?-u)(?i:deepl)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"DEEPL_AUTH_KEY: "c265e40b-71d7-b2db-c9bb-8da5972248cf""#, "c265e40b-71d7-b2db-c9bb-8da5972248cf"),
            ("deepl_api_key = 5a44e50d-1896-aec7-e4d0-6189a8bc7dea", "5a44e50d-1896-aec7-e4d0-6189a8bc7dea"),
        ],
        counterexamples: &["DEEPL_AUTH_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEEPL_AUTH_KEY=<your-deepl-key>", "DEEPL_AUTH_KEY=d40a010d-f010-1554-2c2b-5b0d6667d9d"],
        ..NAMED
    },
    Builtin {
        id: "apify_token",
        provider: "apify",
        description: "Apify API token (apify_api_ + 36)",
        keywords: &["apify_api_"],
        pattern: prefixed!(r"apify_api_", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG apify client configured token=apify_api_RSyxRpezF7LRbvun4Y6ncZJvwADo92O9uSYV", "apify_api_RSyxRpezF7LRbvun4Y6ncZJvwADo92O9uSYV"),
            ("curl -s -H 'Authorization: Bearer apify_api_YNFaTjowY2Pcarh6zHrbL8P2rQO1PsKWGdP0' https://api.example.net/v1/me", "apify_api_YNFaTjowY2Pcarh6zHrbL8P2rQO1PsKWGdP0"),
        ],
        counterexamples: &["apify_api_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like apify_api_1234567890", "apify_api_654kz3txluA1Ce6aQyVKpMAIObz8NthDOgH"],
        ..PREFIXED
    },
    Builtin {
        id: "expo_token",
        provider: "expo",
        description: "Expo access token (40) beside an Expo key name",
        keywords: &["expo_", "expo-"],
        pattern: concat!(r"(?-u)(?i:expo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40})", end_url!()),
        examples: &[
            (r#"{"EXPO_TOKEN":"eW7WrrWPme-YR-srRG1CjeSrduC0q2r1vS6Of78A"}"#, "eW7WrrWPme-YR-srRG1CjeSrduC0q2r1vS6Of78A"),
            ("expo_access_token=Sg5APOwo7Bgj2QoH74lesNgSyoyYqMsjfO3vdAQ_", "Sg5APOwo7Bgj2QoH74lesNgSyoyYqMsjfO3vdAQ_"),
        ],
        counterexamples: &["EXPO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EXPO_TOKEN=<your-expo-key>", "EXPO_TOKEN=MIA_yN3fdTwocJ_JB6RiQlapiY5g6FpTdidojab"],
        ..NAMED
    },
    Builtin {
        id: "branch_secret",
        provider: "branch",
        description: "Branch.io secret key (secret_live_ / secret_test_ + 32)",
        keywords: &["secret_live_", "secret_test_"],
        pattern: prefixed!(r"(?:secret_live_|secret_test_)", r"[A-Za-z0-9]{32}"),
        examples: &[
            ("Authorization: Bearer secret_live_JbGP4HjWSyoDhGJjkddQszHmqlxLJ8P7", "secret_live_JbGP4HjWSyoDhGJjkddQszHmqlxLJ8P7"),
            (r#"level=info msg="auth ok" key=secret_test_GLtJpp5egfT1ikZQFZrjiK5Idpejk3jp"#, "secret_test_GLtJpp5egfT1ikZQFZrjiK5Idpejk3jp"),
        ],
        counterexamples: &["secret_live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like secret_live_1234567890", "secret_live_56BMc3to8xPEVkjfNyt4pst25Rl7hus"],
        ..PREFIXED
    },
    Builtin {
        id: "revenuecat_secret_key",
        provider: "revenuecat",
        description: "RevenueCat secret API key (sk_ + 32) beside a RevenueCat key name",
        keywords: &["revenuecat"],
        pattern: concat!(r"(?-u)(?i:revenuecat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  REVENUECAT_SECRET_KEY: sk_v6SdvhxPRN3hHNelyjAZtVKje7lqCll8", "sk_v6SdvhxPRN3hHNelyjAZtVKje7lqCll8"),
            (r#"export revenuecat_api_key="sk_BS12TtZFZWHeE6xSmTm2dBtj6PhuRSwf""#, "sk_BS12TtZFZWHeE6xSmTm2dBtj6PhuRSwf"),
        ],
        counterexamples: &["REVENUECAT_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REVENUECAT_SECRET_KEY=<your-revenuecat-key>", "REVENUECAT_SECRET_KEY=sk_16C6Cm1vhAmLBGbIE2UIUT2lhRN4Su0"],
        ..NAMED
    },
    Builtin {
        id: "mux_token_secret",
        provider: "mux",
        description: "Mux access token secret (75 base64) beside a Mux key name",
        keywords: &["mux_", "mux-"],
        pattern: concat!(r"(?-u)(?i:mux)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{75})", end_b64!()),
        examples: &[
            ("MUX_TOKEN_SECRET=2zfVuLBqrRruzqp5JFe2SVVC1Efcpz+8vEYgcP6axGWfxPb9GPj7SMKISiNQEObGh7QSi3bZKcZ", "2zfVuLBqrRruzqp5JFe2SVVC1Efcpz+8vEYgcP6axGWfxPb9GPj7SMKISiNQEObGh7QSi3bZKcZ"),
            (r#"{"mux_secret_key":"Jt9MQN/Z1xBN2w8mg7BnKU5cicyIGuqhR8a/oi8oxLh/jd87ukHbHmoAm7fDR5MICIGn2P0cEEV"}"#, "Jt9MQN/Z1xBN2w8mg7BnKU5cicyIGuqhR8a/oi8oxLh/jd87ukHbHmoAm7fDR5MICIGn2P0cEEV"),
        ],
        counterexamples: &["MUX_TOKEN_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MUX_TOKEN_SECRET=<your-mux-key>", "MUX_TOKEN_SECRET=pEzwlSsPE2ip1s0W4IyUlwRkEXLd3WvSqafueUN6+4iQ12PPxBouEiwUaArN+RseJUNMBkz4WU"],
        ..NAMED
    },
    Builtin {
        id: "nylas_api_key",
        provider: "nylas",
        description: "Nylas API key / client secret beside a Nylas key name",
        keywords: &["nylas"],
        pattern: concat!(r"(?-u)(?i:nylas)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>nyk_v0_[A-Za-z0-9_-]{50})", end_url!()),
        examples: &[
            (r#"NYLAS_API_KEY: "nyk_v0_umoCjmipIEnKXK93zKmD62jb_ggriJeQwL7txtqcsEqrpoTfSe""#, "nyk_v0_umoCjmipIEnKXK93zKmD62jb_ggriJeQwL7txtqcsEqrpoTfSe"),
            ("nylas_client_secret = nyk_v0_L_XzVOhHiuEWm8sTgdCKUvtmb4QJJFletov7czhErPQAkjnd3o", "nyk_v0_L_XzVOhHiuEWm8sTgdCKUvtmb4QJJFletov7czhErPQAkjnd3o"),
        ],
        counterexamples: &["NYLAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NYLAS_API_KEY=<your-nylas-key>", "NYLAS_API_KEY=nyk_v0_TLX5LX5GqHxxaTfD-aDSQO4VyzP4ZlCMJKKy-Ul_Lhpv0AEhV"],
        ..NAMED
    },
    Builtin {
        id: "uploadcare_secret",
        provider: "uploadcare",
        description: "Uploadcare secret key (20 hex) beside an Uploadcare key name",
        keywords: &["uploadcare"],
        pattern: concat!(r"(?-u)(?i:uploadcare)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            (r#"export UPLOADCARE_SECRET_KEY="0b6b27d4da393ccf94b6""#, "0b6b27d4da393ccf94b6"),
            ("  uploadcare_secret: fd13cba6b8f5f3e8d763", "fd13cba6b8f5f3e8d763"),
        ],
        counterexamples: &["UPLOADCARE_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPLOADCARE_SECRET_KEY=<your-uploadcare-key>", "UPLOADCARE_SECRET_KEY=9115c44834fd7b96f2a"],
        ..NAMED
    },
    Builtin {
        id: "freshbooks_token",
        provider: "freshbooks",
        description: "FreshBooks OAuth client secret / token (64 hex) beside a FreshBooks key name",
        keywords: &["freshbooks"],
        pattern: concat!(r"(?-u)(?i:freshbooks)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"{"FRESHBOOKS_CLIENT_SECRET":"ff246aed305f223542576c6ed93bc76a6477c958da7a105fc39aa56a4c431694"}"#, "ff246aed305f223542576c6ed93bc76a6477c958da7a105fc39aa56a4c431694"),
            ("freshbooks_token=1d64da048a487fba4c5fba58e84748e94435fb9862e7789341a43ed79b6ed848", "1d64da048a487fba4c5fba58e84748e94435fb9862e7789341a43ed79b6ed848"),
        ],
        counterexamples: &["FRESHBOOKS_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FRESHBOOKS_CLIENT_SECRET=<your-freshbooks-key>", "FRESHBOOKS_CLIENT_SECRET=10bb2b9a432570a61216ad3c8477a8e96dcfafcb0d0090b8dddcaa47d736a4c"],
        ..NAMED
    },
    Builtin {
        id: "quickbooks_client_secret",
        provider: "quickbooks",
        description: "QuickBooks / Intuit client secret (40) beside a QuickBooks or Intuit secret name",
        keywords: &["quickbooks", "intuit"],
        pattern: concat!(r"(?-u)(?i:quickbooks|intuit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("QUICKBOOKS_CLIENT_SECRET = gTOfBHWHIYpUB5eeOTgYSbdIEOB3Gdh2DAJzrqta", "gTOfBHWHIYpUB5eeOTgYSbdIEOB3Gdh2DAJzrqta"),
            (r#"intuit_client_secret: "VGNtK3HhYJ2XyQoSsL3bwpt9zNAr58nOpNVpXtSV""#, "VGNtK3HhYJ2XyQoSsL3bwpt9zNAr58nOpNVpXtSV"),
        ],
        counterexamples: &["QUICKBOOKS_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QUICKBOOKS_CLIENT_SECRET=<your-quickbooks-key>", "QUICKBOOKS_CLIENT_SECRET=wqribJA11XIg7cOTcipSeeGNlrGott3eL11etGc"],
        ..NAMED
    },
    Builtin {
        id: "xero_client_secret",
        provider: "xero",
        description: "Xero client secret (48) beside a Xero secret name",
        keywords: &["xero"],
        pattern: concat!(r"(?-u)(?i:xero)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{48})", end_url!()),
        examples: &[
            ("  XERO_CLIENT_SECRET: M09R8sztt-ip0y8T5Yg4fy-uJV1sh-mFpNV6wOM5_GwzBqCE", "M09R8sztt-ip0y8T5Yg4fy-uJV1sh-mFpNV6wOM5_GwzBqCE"),
            (r#"export xero_secret="Sw4nA_sCJ5E2jn0zn4qzDeg7MHLCOC-sGsKLUTUBL-GKSauZ""#, "Sw4nA_sCJ5E2jn0zn4qzDeg7MHLCOC-sGsKLUTUBL-GKSauZ"),
        ],
        counterexamples: &["XERO_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XERO_CLIENT_SECRET=<your-xero-key>", "XERO_CLIENT_SECRET=U04_oReQ8WhLSPmz-uwSFgmSVpwZ5rDgAQ_UBWXV3pE8dCA"],
        ..NAMED
    },
    Builtin {
        id: "intra42_secret",
        provider: "42",
        description: "42 Intra OAuth client secret (s-s4t2ud- + 64 hex)",
        keywords: &["s-s4t2ud-"],
        pattern: prefixed!(r"s-s4t2ud-", r"[a-f0-9]{64}"),
        examples: &[
            ("  intra42_secret: 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", "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"),
            ("curl -s -H 'Authorization: Bearer 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' https://api.example.net/v1/me", "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"),
        ],
        counterexamples: &["s-s4t2ud-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like s-s4t2ud-1234567890", "s-s4t2ud-54fd8c492e30389e3a8cb0900dc9d6cdbda605ade47685aa67e63d1c564aa03"],
        ..PREFIXED
    },
];
