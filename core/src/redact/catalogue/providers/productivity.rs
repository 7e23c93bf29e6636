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
            (r#"{"ASANA_CLIENT_SECRET":"e729a460ea74144f6579ef05914357a1"}"#, "e729a460ea74144f6579ef05914357a1"),
            ("asana_secret=8b90576d266e2a326d66d77078ca3e92", "8b90576d266e2a326d66d77078ca3e92"),
        ],
        counterexamples: &["ASANA_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ASANA_CLIENT_SECRET=<your-asana-key>", "ASANA_CLIENT_SECRET=4395d9da06fdeb8a9fb676bacd86271"],
        ..NAMED
    },
    Builtin {
        id: "trello_token",
        provider: "trello",
        description: "Trello / Atlassian Trello token (ATTA + 64 hex + 8 upper-case hex)",
        keywords: &["ATTA"],
        pattern: prefixed!(r"ATTA", r"[a-f0-9]{64}[A-F0-9]{8}"),
        examples: &[
            (r#"trello_token = "ATTA55e303af021517c6e877c75fbfc975124d667cb731f4575051cbf851ca5be968B09B4D93""#, "ATTA55e303af021517c6e877c75fbfc975124d667cb731f4575051cbf851ca5be968B09B4D93"),
            ("Authorization: Bearer ATTAa90a00b8162c80614c4db89f15302d6110e4389d9ff9a99695a7cab50b5edef434EBD66E", "ATTAa90a00b8162c80614c4db89f15302d6110e4389d9ff9a99695a7cab50b5edef434EBD66E"),
        ],
        counterexamples: &["ATTAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ATTA1234567890", "ATTA1302552ef9c7447d265701db0ae3945ef57acc45f20026a7b23e666b52b564d711A312A"],
        ..PREFIXED
    },
    Builtin {
        id: "trello_api_key",
        provider: "trello",
        description: "Trello API key (32 hex) or legacy token (64 hex) beside a Trello key name",
        keywords: &["trello"],
        pattern: concat!(r"(?-u)(?i:trello)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TRELLO_API_KEY: 8a1cd610f3f6aafdd04329f7cecf0b62", "8a1cd610f3f6aafdd04329f7cecf0b62"),
            (r#"export trello_key="d0e65494b05bb3a1c719958f9f6f19e0""#, "d0e65494b05bb3a1c719958f9f6f19e0"),
        ],
        counterexamples: &["TRELLO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRELLO_API_KEY=<your-trello-key>", "TRELLO_API_KEY=56b696bb0f950b00f86848b227e08d7"],
        ..NAMED
    },
    Builtin {
        id: "clickup_token",
        provider: "clickup",
        description: "ClickUp personal API token (pk_ + user id + _ + 32 upper-case alphanumerics)",
        keywords: &["pk_"],
        pattern: prefixed!(r"pk_", r"[0-9]{6,10}_[A-Z0-9]{32}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer pk_07460661_C240S5EZVRSMIJ7POCFCB8EI6AM31UIK' https://api.example.net/v1/me", "pk_07460661_C240S5EZVRSMIJ7POCFCB8EI6AM31UIK"),
            ("docker run -e CLICKUP_TOKEN=pk_0563361342_8MJ41C1VF946ZESSA27DRRIHXW7PC629 app:latest", "pk_0563361342_8MJ41C1VF946ZESSA27DRRIHXW7PC629"),
        ],
        counterexamples: &["pk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pk_1234567890", "pk_0960503253_1WZJR7LU875WLIGOI52X5MSSSWLXSBG"],
        ..PREFIXED
    },
    Builtin {
        id: "monday_token",
        provider: "monday",
        description: "monday.com API token (JWT) beside a monday key name",
        keywords: &["monday"],
        pattern: concat!(r"(?-u)(?i:monday)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJIUzI1NiJ9\.[A-Za-z0-9_-]{100,250}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"MONDAY_API_TOKEN: "eyJhbGciOiJIUzI1NiJ9.HbEQepmdc4VHSYx4ZQhRGF0abuaxsRlgKCUCv2B1xJfpAL1m-9KHh_ypt3wLvzshzmPkrV2EKkbMqPYSLL1Yo2PuJ0-jOR7B2HuaBqki8tHcZ-.dBgA_vlus--4uy-4TpqWEhnWpnAXWgc2wgyaZrN4zBv""#, "eyJhbGciOiJIUzI1NiJ9.HbEQepmdc4VHSYx4ZQhRGF0abuaxsRlgKCUCv2B1xJfpAL1m-9KHh_ypt3wLvzshzmPkrV2EKkbMqPYSLL1Yo2PuJ0-jOR7B2HuaBqki8tHcZ-.dBgA_vlus--4uy-4TpqWEhnWpnAXWgc2wgyaZrN4zBv"),
            ("monday_token = eyJhbGciOiJIUzI1NiJ9.deZ9EfLYfEVgnDt4mDFIiujeAAdthe3N3fY9JmJLcXg4U2PQcjPJMkUF4DvpCNgzFdrN5UuTV37LWcOn_36MhZrrpulob27CLlYdkg.G29EO7WIi8He6BY1iWxRu_OtSf0k_jCs3juaSrellof", "eyJhbGciOiJIUzI1NiJ9.deZ9EfLYfEVgnDt4mDFIiujeAAdthe3N3fY9JmJLcXg4U2PQcjPJMkUF4DvpCNgzFdrN5UuTV37LWcOn_36MhZrrpulob27CLlYdkg.G29EO7WIi8He6BY1iWxRu_OtSf0k_jCs3juaSrellof"),
        ],
        counterexamples: &["MONDAY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MONDAY_API_TOKEN=<your-monday-key>", "MONDAY_API_TOKEN=eyJhbGciOiJIUzI1NiJ9.ciQ7BQimO99EBUpuBXL00YgmvCLHXsxhc_Lbwy3EvGI3zMbG-6nIbDKYM59CEDFT4X8ejHh6GjpfHtM5uIvtGz_ZI_yVhvrJFW9Ke7kKmi.2RdWcknces4nYIwHKXl6-H_-yzDuOvjvuUpN97mb96"],
        ..NAMED
    },
    Builtin {
        id: "jira_pat",
        provider: "jira",
        description: "Jira Data Center personal access token (44) beside a Jira key name",
        keywords: &["jira"],
        pattern: concat!(r"(?-u)(?i:jira)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{44})", end_b64!()),
        examples: &[
            (r#"export JIRA_PAT="VEIQMKol03HPub0FbTMIYFznZUoA/43sp3Vn3SplziSa""#, "VEIQMKol03HPub0FbTMIYFznZUoA/43sp3Vn3SplziSa"),
            ("  jira_api_token: FMv7Jj80D8gCbedOx/RI//lqLsBFwlSMMUSOSKXmmFJq", "FMv7Jj80D8gCbedOx/RI//lqLsBFwlSMMUSOSKXmmFJq"),
        ],
        counterexamples: &["JIRA_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "JIRA_PAT=<your-jira-key>", "JIRA_PAT=j++nYzHv0tW5pA5+1nTgOAS1fmYjWExHBn5pkM2HxJx"],
        ..NAMED
    },
    Builtin {
        id: "confluence_pat",
        provider: "confluence",
        description: "Confluence Data Center personal access token (44) beside a Confluence key name",
        keywords: &["confluence"],
        pattern: concat!(r"(?-u)(?i:confluence)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{44})", end_b64!()),
        examples: &[
            (r#"{"CONFLUENCE_PAT":"rTM0eGkG9e/nKqUhCC+ncaf40qJv1sKKtX19VWoqyVxC"}"#, "rTM0eGkG9e/nKqUhCC+ncaf40qJv1sKKtX19VWoqyVxC"),
            ("confluence_token=sqMZ/6Pojjr8XH6GsVPWctARmrJfa8BJpozawQTRsT/L", "sqMZ/6Pojjr8XH6GsVPWctARmrJfa8BJpozawQTRsT/L"),
        ],
        counterexamples: &["CONFLUENCE_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONFLUENCE_PAT=<your-confluence-key>", "CONFLUENCE_PAT=c7u+5kEGa0pwDizzAD8X7SrqC0dpSRai5LDp+piAfAU"],
        ..NAMED
    },
    Builtin {
        id: "atlassian_connect_token",
        provider: "atlassian",
        description: "Atlassian Connect / OAuth-style tokens (ATCTT3, ATOAT + body)",
        keywords: &["ATCTT3", "ATOAT"],
        pattern: prefixed!(r"(?:ATCTT3|ATOAT)", r"[A-Za-z0-9_-]{180,200}=[A-F0-9]{8}"),
        examples: &[
            ("export ATLASSIAN_CONNECT_TOKEN=ATCTT3m8_EfbwOs5C84fuhdK8SLSqPlyN2TZWZtPK3UibknLYGvbdrMjERjDB0vJBm5vOhoN-bwTv_fi_CRZ9c7wJU0LNa1VzHC1v-f8ue6jzFHdsyXC5qCY3yPOoJw9XHRF6bqgu95oP-PvJQRXwHoXDj8BSIkleb57TVW2MdqwfdU6UOz3xpZAjvzGco8CksX=B2CE9EBA", "ATCTT3m8_EfbwOs5C84fuhdK8SLSqPlyN2TZWZtPK3UibknLYGvbdrMjERjDB0vJBm5vOhoN-bwTv_fi_CRZ9c7wJU0LNa1VzHC1v-f8ue6jzFHdsyXC5qCY3yPOoJw9XHRF6bqgu95oP-PvJQRXwHoXDj8BSIkleb57TVW2MdqwfdU6UOz3xpZAjvzGco8CksX=B2CE9EBA"),
            ("2024-06-11T08:14:52Z DEBUG atlassian client configured token=ATOATtR-uQ6eZxjb-ILNhHJ8SWqOsiwHQmvfJMNMc7BY8YJjQEZHfWDrpM18dCNflKvQTs9WALf6J8-97I9ma2F7lEeQMmWzP5d2aypYAfd5ocAsrxbLrZyGxS9qLqRNzG5LrQXcfuU74SAUJsw-YlCjYMr5YoNWxdJTruWCttK6-MlnM4JdpUCg4=C539754F", "ATOATtR-uQ6eZxjb-ILNhHJ8SWqOsiwHQmvfJMNMc7BY8YJjQEZHfWDrpM18dCNflKvQTs9WALf6J8-97I9ma2F7lEeQMmWzP5d2aypYAfd5ocAsrxbLrZyGxS9qLqRNzG5LrQXcfuU74SAUJsw-YlCjYMr5YoNWxdJTruWCttK6-MlnM4JdpUCg4=C539754F"),
        ],
        counterexamples: &["ATCTT3xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ATCTT31234567890", "ATCTT3orPQa2otdG-1xAKURBBADpXdW0QSd4l_qR3u6BKHurvCkl2zihSrrGlptNKiRzWsqeoEV8ANcClLIYLydyZRl3uSZAySPnSCatOUFQBIhE3uvWCIafLmnJXCsX0iFcxqvQ_SDp0B7ZwUgB5qWjk7GGxohVH0R-AMS0OD2NL5wB4IDs1pr2VqhUPAG=5E3207A"],
        ..PREFIXED
    },
    Builtin {
        id: "coda_api_token",
        provider: "coda",
        description: "Coda API token (UUID) beside a Coda key name",
        keywords: &["coda"],
        pattern: concat!(r"(?-u)(?i:coda)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  CODA_API_TOKEN: 4cef1a4d-305e-cdb5-0d60-3418fbc4630d", "4cef1a4d-305e-cdb5-0d60-3418fbc4630d"),
            (r#"export coda_token="5422d057-3808-0fbe-6854-37a1d482b9f6""#, "5422d057-3808-0fbe-6854-37a1d482b9f6"),
        ],
        counterexamples: &["CODA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODA_API_TOKEN=<your-coda-key>", "CODA_API_TOKEN=4d85761a-0a8a-d0bf-0d2a-fafaeb2f0a7"],
        ..NAMED
    },
    Builtin {
        id: "smartsheet_token",
        provider: "smartsheet",
        description: "Smartsheet API access token (26 or 37) beside a Smartsheet key name",
        keywords: &["smartsheet"],
        pattern: concat!(r"(?-u)(?i:smartsheet)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{37})", end_url!()),
        examples: &[
            ("SMARTSHEET_ACCESS_TOKEN=7nfUJd2AkwUigKAUW20vhhIh90jilEnPIKDkM", "7nfUJd2AkwUigKAUW20vhhIh90jilEnPIKDkM"),
            (r#"{"smartsheet_token":"cjSVpcNNhIm2issbXNiGOpUQFCvX3COeIolWx"}"#, "cjSVpcNNhIm2issbXNiGOpUQFCvX3COeIolWx"),
        ],
        counterexamples: &["SMARTSHEET_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SMARTSHEET_ACCESS_TOKEN=<your-smartsheet-key>", "SMARTSHEET_ACCESS_TOKEN=gI8s5JhhliXfuuORj5qNMaHwjBTSnet9MkgG"],
        ..NAMED
    },
    Builtin {
        id: "miro_token",
        provider: "miro",
        description: "Miro access token beside a Miro key name",
        keywords: &["miro"],
        pattern: concat!(r"(?-u)(?i:miro)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJtaXJvLm9yaWdpbiI6[A-Za-z0-9_-]{40,80})", end_url!()),
        examples: &[
            (r#"MIRO_ACCESS_TOKEN: "eyJtaXJvLm9yaWdpbiI6k8eg3AB2OuDEjfeww9pOan88CZPUo6gZ9-grGq48O""#, "eyJtaXJvLm9yaWdpbiI6k8eg3AB2OuDEjfeww9pOan88CZPUo6gZ9-grGq48O"),
            ("miro_token = eyJtaXJvLm9yaWdpbiI6BElNfgLHI33835oPhBCRojKJ8emDVtzITphP5-E7e2Izmz", "eyJtaXJvLm9yaWdpbiI6BElNfgLHI33835oPhBCRojKJ8emDVtzITphP5-E7e2Izmz"),
        ],
        counterexamples: &["MIRO_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MIRO_ACCESS_TOKEN=<your-miro-key>", "MIRO_ACCESS_TOKEN=eyJtaXJvLm9yaWdpbiI6izE3yU97PhXBvLyjvFq2Lpmw_X-I7V6kVEOv2QT"],
        ..NAMED
    },
    Builtin {
        id: "figma_pat",
        provider: "figma",
        description: "Figma personal access token (figd_ + 40)",
        keywords: &["figd_"],
        pattern: prefixed!(r"figd_", r"[A-Za-z0-9_-]{40}"),
        examples: &[
            ("  figma_pat: figd_pTNVXMqDqvL_bFP8_vpm4oUpZHWMgFcd8cTKK_D2", "figd_pTNVXMqDqvL_bFP8_vpm4oUpZHWMgFcd8cTKK_D2"),
            (r#"figma_pat = "figd_OAikR5wXJv5JGG3CwnIUseYOEL0Nlb3Z0nfrCRsA""#, "figd_OAikR5wXJv5JGG3CwnIUseYOEL0Nlb3Z0nfrCRsA"),
        ],
        counterexamples: &["figd_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like figd_1234567890", "figd_YE-efuOhbIm7CHTpD9L0s6emHiR_8WztiltXrV0"],
        ..PREFIXED
    },
    Builtin {
        id: "figma_oauth_token",
        provider: "figma",
        description: "Figma OAuth access / refresh tokens (figu_, figr_ + 40 or more)",
        keywords: &["figu_", "figr_"],
        pattern: prefixed!(r"(?:figu_|figr_)", r"[A-Za-z0-9_-]{40,80}"),
        examples: &[
            ("env FIGMA_OAUTH_TOKEN=figu_RqE8Ck4d8b10JkKA-Cfn5SB_nmLJE_Yo4NQhVqc_iGYuYvsS ./deploy.sh", "figu_RqE8Ck4d8b10JkKA-Cfn5SB_nmLJE_Yo4NQhVqc_iGYuYvsS"),
            ("export FIGMA_OAUTH_TOKEN=figr_x5sJ_U4N7DaaVBe6QjAwr5BI5ybXaxOmvyuj9k6ZNz", "figr_x5sJ_U4N7DaaVBe6QjAwr5BI5ybXaxOmvyuj9k6ZNz"),
        ],
        counterexamples: &["figu_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like figu_1234567890", "figu_aANJ412xDiTCzRQiSuDfi3HxJjm1ELEUdHfNkIm"],
        ..PREFIXED
    },
    Builtin {
        id: "typeform_pat",
        provider: "typeform",
        description: "Typeform personal access token (tfp_ + 44 + _ + 14)",
        keywords: &["tfp_"],
        pattern: prefixed!(r"tfp_", r"[A-Za-z0-9_-]{44}_[A-Za-z0-9_-]{14}"),
        examples: &[
            ("  typeform_pat: tfp_u-r550YgvSM2cJf_ZNWT_N1gR7BsuY4oWq56jqBqf61q_PsEI9bdtT-N3gd", "tfp_u-r550YgvSM2cJf_ZNWT_N1gR7BsuY4oWq56jqBqf61q_PsEI9bdtT-N3gd"),
            (r#"level=info msg="auth ok" key=tfp_13b2ovJafvbiEvbyySdVEXtkvApjSF4aaeiADlWw4N4v_hbwvRgbBVgWk4j"#, "tfp_13b2ovJafvbiEvbyySdVEXtkvApjSF4aaeiADlWw4N4v_hbwvRgbBVgWk4j"),
        ],
        counterexamples: &["tfp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tfp_1234567890", "tfp_aUIrenTXNpcU3zcxlRH8WuFEBz01AYNFwdbc1a9Cn2j2_V4cntM7HQjmQl"],
        ..PREFIXED
    },
    Builtin {
        id: "calendly_token",
        provider: "calendly",
        description: "Calendly personal access token (JWT) beside a Calendly key name",
        keywords: &["calendly"],
        pattern: concat!(r"(?-u)(?i:calendly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJraWQiOi[A-Za-z0-9_-]{100,300}\.[A-Za-z0-9_-]{40,90})", end_url!()),
        examples: &[
            ("  CALENDLY_API_KEY: eyJraWQiOihIZz--pNHkHenq2Mu5LhLYykdcPSSwgDXmwOan81HaZxV0KhIxTEKSjDB-8Qteg13rglCS_2kiLl3Pia1aAqoJbOE-X_V-83BzSWaAgyUrh.3-d0INzJCnYpXTsQ3YsY-YjwKmpFJtqxAJa9XqavI4EfeuC_BEqB", "eyJraWQiOihIZz--pNHkHenq2Mu5LhLYykdcPSSwgDXmwOan81HaZxV0KhIxTEKSjDB-8Qteg13rglCS_2kiLl3Pia1aAqoJbOE-X_V-83BzSWaAgyUrh.3-d0INzJCnYpXTsQ3YsY-YjwKmpFJtqxAJa9XqavI4EfeuC_BEqB"),
            (r#"export calendly_token="eyJraWQiOiH_EOgwnIWXLv6fCloX2w-aLDHgEJqHQUCl0jFHzv14Lfq1FQXTNcUXOhjuFgm2pTQN2oRCplsrCY-lenuBF7sD44WCDClXF3C68boXuxCr0dFz.Tk-wJGRjgHs12POcjwrrPC1MPFWMlYL4rdGjT7xRipO0D5mKehW""#, "eyJraWQiOiH_EOgwnIWXLv6fCloX2w-aLDHgEJqHQUCl0jFHzv14Lfq1FQXTNcUXOhjuFgm2pTQN2oRCplsrCY-lenuBF7sD44WCDClXF3C68boXuxCr0dFz.Tk-wJGRjgHs12POcjwrrPC1MPFWMlYL4rdGjT7xRipO0D5mKehW"),
        ],
        counterexamples: &["CALENDLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CALENDLY_API_KEY=<your-calendly-key>", "CALENDLY_API_KEY=eyJraWQiOikt9B7wOCI8-tZnQz3TpIs_MmCI5irBRHm5ewlqjAUw7L70x5Kyac_2H1VlMLjCxJW_yiQZ3Mbm4NijGtfZG-NpmxuqGx0XCzmLKl1.4PWZ2Xl7c0XzFR4TPQzi8qguEPy1txxBa0x19zQ"],
        ..NAMED
    },
    Builtin {
        id: "docusign_secret",
        provider: "docusign",
        description: "DocuSign integration secret key (UUID) beside a DocuSign secret name",
        keywords: &["docusign"],
        pattern: concat!(r"(?-u)(?i:docusign)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("DOCUSIGN_CLIENT_SECRET=fc216a32-5001-dc98-dbe6-fa05db590263", "fc216a32-5001-dc98-dbe6-fa05db590263"),
            (r#"{"docusign_secret_key":"36f383f3-7733-8152-bed1-d98b2b67ea32"}"#, "36f383f3-7733-8152-bed1-d98b2b67ea32"),
        ],
        counterexamples: &["DOCUSIGN_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DOCUSIGN_CLIENT_SECRET=<your-docusign-key>", "DOCUSIGN_CLIENT_SECRET=781c8e54-62b7-a063-c616-50dd3e37dfb"],
        ..NAMED
    },
    Builtin {
        id: "adobe_client_secret",
        provider: "adobe",
        description: "Adobe Developer client secret (p8e- + 32)",
        keywords: &["p8e-"],
        pattern: prefixed!(r"p8e-", r"[A-Za-z0-9_-]{32}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG adobe client configured token=p8e-DfvJhlrfmiYDMe7J3K7k0WCkD-DiK11Z", "p8e-DfvJhlrfmiYDMe7J3K7k0WCkD-DiK11Z"),
            ("Authorization: Bearer p8e-L3v3kQhl23e7tDnk5Q3SRQl3g2t_T8XJ", "p8e-L3v3kQhl23e7tDnk5Q3SRQl3g2t_T8XJ"),
        ],
        counterexamples: &["p8e-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like p8e-1234567890", "p8e-P6hQMQivvuV9VF5X0cE3-ZbaHnEWmxn"],
        ..PREFIXED
    },
    Builtin {
        id: "adobe_sign_key",
        provider: "adobe",
        description: "Adobe Sign / PDF Services integration key beside an Adobe key name",
        keywords: &["adobe"],
        pattern: concat!(r"(?-u)(?i:adobe)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            (r#"export ADOBE_CLIENT_SECRET="cgHU0IfEX_ETiNdK2xb_Yipm9yX3J2n-""#, "cgHU0IfEX_ETiNdK2xb_Yipm9yX3J2n-"),
            ("  adobe_integration_key: TualiSivwRxdFmY1HZL7tIbPzgH_dgbg", "TualiSivwRxdFmY1HZL7tIbPzgH_dgbg"),
        ],
        counterexamples: &["ADOBE_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ADOBE_CLIENT_SECRET=<your-adobe-key>", "ADOBE_CLIENT_SECRET=VY2io6eC-7affbAsiN2juznoOTXi449"],
        ..NAMED
    },
    Builtin {
        id: "todoist_token",
        provider: "todoist",
        description: "Todoist API token (40 hex) beside a Todoist key name",
        keywords: &["todoist"],
        pattern: concat!(r"(?-u)(?i:todoist)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"{"TODOIST_API_TOKEN":"26b6cf4bc0c8c5009bfce66bee8a03d5056c1549"}"#, "26b6cf4bc0c8c5009bfce66bee8a03d5056c1549"),
            ("todoist_token=b3a8a1200613ca10a060efa3588964d840d63872", "b3a8a1200613ca10a060efa3588964d840d63872"),
        ],
        counterexamples: &["TODOIST_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TODOIST_API_TOKEN=<your-todoist-key>", "TODOIST_API_TOKEN=359d8d1edb405fbcfc8098e2189798f8f0e9bb5"],
        ..NAMED
    },
    Builtin {
        id: "wrike_token",
        provider: "wrike",
        description: "Wrike permanent access token beside a Wrike key name",
        keywords: &["wrike"],
        pattern: concat!(r"(?-u)(?i:wrike)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9\.[A-Za-z0-9_-]{80,200}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("WRIKE_ACCESS_TOKEN = eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.xZJbQwWtom29CfIz0OTlehf4yAlA5voB6eWKUMbisxbXvwir6Mvu2vFHKCqD13e1HfAGK5G12zuOqq5eqNf6sIW1jn.UoNrtNJjPAzsUcxr-uig12xNdzVsHVi6M7TBNDpY083", "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.xZJbQwWtom29CfIz0OTlehf4yAlA5voB6eWKUMbisxbXvwir6Mvu2vFHKCqD13e1HfAGK5G12zuOqq5eqNf6sIW1jn.UoNrtNJjPAzsUcxr-uig12xNdzVsHVi6M7TBNDpY083"),
            (r#"wrike_token: "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.5MQ6h4v-XO7_XGMEuGMmlfDxbMiOBdEPblgS2yDckJtBP8TqIHzzXB7k-obzXP9_0MGPnWkc03oozIjtXsmk-tlxN1Bu.axsANkF2Vb5gIXtPmfYcwEKrUlTZToLALhD2V6eZfW0""#, "eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.5MQ6h4v-XO7_XGMEuGMmlfDxbMiOBdEPblgS2yDckJtBP8TqIHzzXB7k-obzXP9_0MGPnWkc03oozIjtXsmk-tlxN1Bu.axsANkF2Vb5gIXtPmfYcwEKrUlTZToLALhD2V6eZfW0"),
        ],
        counterexamples: &["WRIKE_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WRIKE_ACCESS_TOKEN=<your-wrike-key>", "WRIKE_ACCESS_TOKEN=eyJ0dCI6InAiLCJhbGciOiJIUzI1NiIsInR2IjoiMSJ9.QYOKMHr8kiMXrWfaKn3xIMJ9TJw80MWoaucgddb4_x5LVOYBb7haYEcMdD-Dnbaggj09Q47qekSUjtT8JtO.KuNH8VWBZ4WjMODAjCHGp3W8_OX-HABaujoixUIwMc"],
        ..NAMED
    },
    Builtin {
        id: "zoho_oauth_token",
        provider: "zoho",
        description: "Zoho OAuth access / refresh token (1000. + 32 hex + . + 32 hex)",
        keywords: &["1000."],
        pattern: prefixed!(r"1000\.", r"[a-f0-9]{32}\.[a-f0-9]{32}"),
        examples: &[
            (r#"{"zoho_oauth_token": "1000.919e86a2bf500dd60fc302ee097ad6f7.5a03376bf12ea584c482e317143b44c5", "region": "eu-west-1"}"#, "1000.919e86a2bf500dd60fc302ee097ad6f7.5a03376bf12ea584c482e317143b44c5"),
            ("curl -s -H 'Authorization: Bearer 1000.f59e5b963d43939bc84432218013bf8a.4e69021c96f8d651395df168940be2c5' https://api.example.net/v1/me", "1000.f59e5b963d43939bc84432218013bf8a.4e69021c96f8d651395df168940be2c5"),
        ],
        counterexamples: &["1000.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1000.1234567890", "1000.3d10c9d78976498d253c4c7ecaaae17d.ee241d9a6c7dab10d37c1982cdfe4db"],
        ..PREFIXED
    },
    Builtin {
        id: "shortcut_api_token",
        provider: "shortcut",
        description: "Shortcut (Clubhouse) API token (UUID) beside a Shortcut key name",
        keywords: &["shortcut", "clubhouse"],
        pattern: concat!(r"(?-u)(?i:shortcut|clubhouse)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("SHORTCUT_API_TOKEN=8e991ee6-0353-7bdf-6258-41587c0de12a", "8e991ee6-0353-7bdf-6258-41587c0de12a"),
            (r#"{"clubhouse_api_token":"ac59d3b3-6451-30b1-18d6-13aa5742fde7"}"#, "ac59d3b3-6451-30b1-18d6-13aa5742fde7"),
        ],
        counterexamples: &["SHORTCUT_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHORTCUT_API_TOKEN=<your-shortcut-key>", "SHORTCUT_API_TOKEN=463995eb-8952-0eb5-3237-2d23576f110"],
        ..NAMED
    },
    Builtin {
        id: "harvest_token",
        provider: "harvest",
        description: "Harvest personal access token beside a Harvest key name",
        keywords: &["harvest"],
        pattern: concat!(r"(?-u)(?i:harvest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{7}\.pt\.[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            (r#"HARVEST_ACCESS_TOKEN: "7969355.pt.sDvLp3Oru_xRs2Co0i3BpQNdzXNoqHCv8Mh6ZA_WQp8Y82Q72ez-C6N8H7iCxfe5OBFIz1JpyCbFdwoh_V88Hk""#, "7969355.pt.sDvLp3Oru_xRs2Co0i3BpQNdzXNoqHCv8Mh6ZA_WQp8Y82Q72ez-C6N8H7iCxfe5OBFIz1JpyCbFdwoh_V88Hk"),
            ("harvest_token = 6776581.pt.e9msJhKd7BjYtTuvlpHIKIE9CpFFGeLt_2VaISqeTjLk-LxC520XlDfVkhBAXjrJK0j9FAxsSDUDrJ8HBQKFLk", "6776581.pt.e9msJhKd7BjYtTuvlpHIKIE9CpFFGeLt_2VaISqeTjLk-LxC520XlDfVkhBAXjrJK0j9FAxsSDUDrJ8HBQKFLk"),
        ],
        counterexamples: &["HARVEST_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HARVEST_ACCESS_TOKEN=<your-harvest-key>", "HARVEST_ACCESS_TOKEN=1668470.pt.lCCzD3ohIN9LTvS64X6NzIesm5euwRFhC_g19lY4ZfNc12hz7tbIDZijLSJXKi_KtZWeKGXLO563qFyxc4I8L"],
        ..NAMED
    },
    Builtin {
        id: "gitbook_api_token",
        provider: "gitbook",
        description: "GitBook API token (gb_api_ + 40)",
        keywords: &["gb_api_"],
        pattern: prefixed!(r"gb_api_", r"[A-Za-z0-9]{40}"),
        examples: &[
            ("docker run -e GITBOOK_API_TOKEN=gb_api_RPCmWG2OLwyEm9iCPvJpiUwnMLpz7cHgMB9RAPQY app:latest", "gb_api_RPCmWG2OLwyEm9iCPvJpiUwnMLpz7cHgMB9RAPQY"),
            (r#"{"gitbook_api_token": "gb_api_B1i0DJfXjWyXKFBf2qZm7xNPKAPuH9L6kp7kFEhu", "region": "eu-west-1"}"#, "gb_api_B1i0DJfXjWyXKFBf2qZm7xNPKAPuH9L6kp7kFEhu"),
        ],
        counterexamples: &["gb_api_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like gb_api_1234567890", "gb_api_1zEdTx9Aud5mX81q78alDsIhv4BO1mAzBqHvR6i"],
        ..PREFIXED
    },
    Builtin {
        id: "dropbox_app_secret",
        provider: "dropbox",
        description: "Dropbox app secret (15 lower-case alphanumerics) beside a Dropbox secret name",
        keywords: &["dropbox"],
        pattern: concat!(r"(?-u)(?i:dropbox)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{15})", end_url!()),
        examples: &[
            (r#"{"DROPBOX_APP_SECRET":"qzzfgpn6w8kmp5d"}"#, "qzzfgpn6w8kmp5d"),
            ("dropbox_client_secret=fd1z7gxq4zn75hw", "fd1z7gxq4zn75hw"),
        ],
        counterexamples: &["DROPBOX_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DROPBOX_APP_SECRET=<your-dropbox-key>", "DROPBOX_APP_SECRET=v6xak0qtb9xkos"],
        ..NAMED
    },
    Builtin {
        id: "box_token",
        provider: "box",
        description: "Box developer token, client secret or JWT key secret beside a Box key name",
        keywords: &["box_", "box-"],
        pattern: concat!(r"(?-u)(?i:box)[A-Za-z0-9_.-]{0,24}?(?i:client[_-]?secret|developer[_-]?token|access[_-]?token|primary[_-]?access[_-]?token)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("BOX_CLIENT_SECRET = p8FToSwDtXfzq9ccpoyyFqhBjDTvQ7Xd", "p8FToSwDtXfzq9ccpoyyFqhBjDTvQ7Xd"),
            (r#"BOX_DEVELOPER_TOKEN: "Y2VfVGL5KlPbxkCp0mI4q79wnRy5swQo""#, "Y2VfVGL5KlPbxkCp0mI4q79wnRy5swQo"),
        ],
        counterexamples: &["BOX_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BOX_CLIENT_SECRET=<your-box-key>", "BOX_CLIENT_SECRET=l8LXZzL1Vji9F3qYCpybHRgRZ2Vc1rx"],
        ..NAMED
    },
    Builtin {
        id: "contentful_delivery_token",
        provider: "contentful",
        description: "Contentful delivery / preview API token (43) beside a Contentful key name",
        keywords: &["contentful"],
        pattern: concat!(r"(?-u)(?i:contentful)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("  CONTENTFUL_DELIVERY_TOKEN: 2kyd_KbRvXSpHDrBZp-9kUhV7Y1prJmx5tTkgWMtrR7", "2kyd_KbRvXSpHDrBZp-9kUhV7Y1prJmx5tTkgWMtrR7"),
            (r#"export contentful_access_token="7CXPlTZ_6TicClNj1P_UIzGvo6motVgpIUFgktA-H7z""#, "7CXPlTZ_6TicClNj1P_UIzGvo6motVgpIUFgktA-H7z"),
        ],
        counterexamples: &["CONTENTFUL_DELIVERY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CONTENTFUL_DELIVERY_TOKEN=<your-contentful-key>", "CONTENTFUL_DELIVERY_TOKEN=QmfLxJ-xeUF7vNYNdzxWm_BJ22-yyt72ULUTgIGnLb"],
        ..NAMED
    },
    Builtin {
        id: "sanity_token",
        provider: "sanity",
        description: "Sanity API token (sk + 180 or more) beside a Sanity key name",
        keywords: &["sanity"],
        pattern: concat!(r"(?-u)(?i:sanity)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk[A-Za-z0-9]{180,200})", end_url!()),
        examples: &[
            ("SANITY_API_TOKEN=sknwvgjRqqM0CBT2kJPYVB5AEK4IKC68pChKqpfkdKv9jsPc1T0X2Ap59vFQJ0upBAMxh2NjT3Cyjwc4b2NrUbrfcWoy1TfWbYoBB1xBVwI6AujzNNZ84B9myTcnfUGAbnqzuQGeLPYhVcPZqClOSa9S1NCtQZvrb3Bq2qPL3pukIpcAp6V5SNkGV3", "sknwvgjRqqM0CBT2kJPYVB5AEK4IKC68pChKqpfkdKv9jsPc1T0X2Ap59vFQJ0upBAMxh2NjT3Cyjwc4b2NrUbrfcWoy1TfWbYoBB1xBVwI6AujzNNZ84B9myTcnfUGAbnqzuQGeLPYhVcPZqClOSa9S1NCtQZvrb3Bq2qPL3pukIpcAp6V5SNkGV3"),
            (r#"{"sanity_token":"skIP1PGA2AtZcjRA2uHHCimaG03FFqCiERksGL2EUAeG3ISCLSiLyf5NI4WiAa0D5PjCFSHZfVYHaVBK1cAttMIoneAvUA9Eyfn6gRigZcxXzMrGdu91F0BB3sB0gLghOcam6yxnmYeYHibSWzNqFFQ7B4lwdLnrjXxNsNM0cHBnG9fG41kXESO2vBfgz1"}"#, "skIP1PGA2AtZcjRA2uHHCimaG03FFqCiERksGL2EUAeG3ISCLSiLyf5NI4WiAa0D5PjCFSHZfVYHaVBK1cAttMIoneAvUA9Eyfn6gRigZcxXzMrGdu91F0BB3sB0gLghOcam6yxnmYeYHibSWzNqFFQ7B4lwdLnrjXxNsNM0cHBnG9fG41kXESO2vBfgz1"),
        ],
        counterexamples: &["SANITY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SANITY_API_TOKEN=<your-sanity-key>", "SANITY_API_TOKEN=skS4J3RGCEUl0QmAhKXMdmhnqfaX5QsSiKg1fYIPknju8n992MgWImTMsS7qOIOS3BEKLS9gi5E0rYdKOzvmyN1AWuSzQdAhJ04Eorvd0OejRe7r90GsW3LXIRyLN9M0c5MsOk1HN4aLEmNHLLiMNx9PynAuoUApROXtnHqkR5hdrewOsCy5B"],
        ..NAMED
    },
    Builtin {
        id: "storyblok_token",
        provider: "storyblok",
        description: "Storyblok access / management token beside a Storyblok key name",
        keywords: &["storyblok"],
        pattern: concat!(r"(?-u)(?i:storyblok)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{22,28})", end_url!()),
        examples: &[
            (r#"STORYBLOK_TOKEN: "mdd9i0vEhSLh9QjZPVP3tlRwgV""#, "mdd9i0vEhSLh9QjZPVP3tlRwgV"),
            ("storyblok_oauth_token = h5oVN0n2lmZLZLKDaXTuR1ZuW", "h5oVN0n2lmZLZLKDaXTuR1ZuW"),
        ],
        counterexamples: &["STORYBLOK_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STORYBLOK_TOKEN=<your-storyblok-key>", "STORYBLOK_TOKEN=JGFjHpK4YF1aSQlUizMDG"],
        ..NAMED
    },
    Builtin {
        id: "strapi_token",
        provider: "strapi",
        description: "Strapi API token (256 hex) beside a Strapi key name",
        keywords: &["strapi"],
        pattern: concat!(r"(?-u)(?i:strapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{256})", end_url!()),
        examples: &[
            (r#"export STRAPI_API_TOKEN="8a09d072784c10c3f9c8aa3c69659ea71fa34fb98c0432e4058a124cfc560f47b2b05a28b1d7e373bf994f33940179e61243d2ce31dbdd88a80ea7c6a62e65e095d7648a2b499596eca356b0eb74f604d830b9ec9aa7b245aab381a7a625439212cfb69c2b76052d7b1b8c427e308a2392fa17fd3916e8b86a62f20d810d4c67""#, "8a09d072784c10c3f9c8aa3c69659ea71fa34fb98c0432e4058a124cfc560f47b2b05a28b1d7e373bf994f33940179e61243d2ce31dbdd88a80ea7c6a62e65e095d7648a2b499596eca356b0eb74f604d830b9ec9aa7b245aab381a7a625439212cfb69c2b76052d7b1b8c427e308a2392fa17fd3916e8b86a62f20d810d4c67"),
            ("  strapi_token: 8e624e69189b35b41a1f809a439d026d8a447747318d781ee8ba04093fa6fd45d0ac3bdb3087eee6d0217164b8a8e0e2a5f8fbbb04e334714605b9841c62cc70f9483afc15a275d606d4d6484cebd96674b7c5c338c5d48c21dec44b998b69c9187f0b1922577fd8554d7b8f86b1eb866ec8d12fbaf2ebc7d392200bacf52f55", "8e624e69189b35b41a1f809a439d026d8a447747318d781ee8ba04093fa6fd45d0ac3bdb3087eee6d0217164b8a8e0e2a5f8fbbb04e334714605b9841c62cc70f9483afc15a275d606d4d6484cebd96674b7c5c338c5d48c21dec44b998b69c9187f0b1922577fd8554d7b8f86b1eb866ec8d12fbaf2ebc7d392200bacf52f55"),
        ],
        counterexamples: &["STRAPI_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STRAPI_API_TOKEN=<your-strapi-key>", "STRAPI_API_TOKEN=f9cee56a8e535ef13b102bcbba556deac7132fd729bb754ec75bc3c34190b06ccc3c092d010186b51f6a908e1b0e33e6319c2f84cc64621c855e77d3cb9e28f72c9045a5fb8718335594406abd05cd01525717f81ad53fd05bf44b4c592b1b4d215b0a45f3fc17426c7aac86bf7a30254ddad8ba5a02cb7b76f0c7c4488ca74"],
        ..NAMED
    },
    Builtin {
        id: "datocms_token",
        provider: "datocms",
        description: "DatoCMS API token (30 hex) beside a DatoCMS key name",
        keywords: &["datocms"],
        pattern: concat!(r"(?-u)(?i:datocms)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{30})", end_url!()),
        examples: &[
            (r#"{"DATOCMS_API_TOKEN":"b45ccf9cf9d59a2c9b4496968ab71e"}"#, "b45ccf9cf9d59a2c9b4496968ab71e"),
            ("datocms_token=e1eea74f66ad70f9bf1e1ca8dd341e", "e1eea74f66ad70f9bf1e1ca8dd341e"),
        ],
        counterexamples: &["DATOCMS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DATOCMS_API_TOKEN=<your-datocms-key>", "DATOCMS_API_TOKEN=f0bce9afd25f01dbe96e0731a6fe3"],
        ..NAMED
    },
    Builtin {
        id: "webflow_token",
        provider: "webflow",
        description: "Webflow API token (64 hex) beside a Webflow key name",
        keywords: &["webflow"],
        pattern: concat!(r"(?-u)(?i:webflow)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("WEBFLOW_API_TOKEN = 051d598df59798841d722142657a5b8649483a13d6ae1d76d1353686214ebd6a", "051d598df59798841d722142657a5b8649483a13d6ae1d76d1353686214ebd6a"),
            (r#"webflow_token: "5385f4d38660ee3ba8ee71258db25319c3dc9319afcc4e0c459746c741c49bc4""#, "5385f4d38660ee3ba8ee71258db25319c3dc9319afcc4e0c459746c741c49bc4"),
        ],
        counterexamples: &["WEBFLOW_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEBFLOW_API_TOKEN=<your-webflow-key>", "WEBFLOW_API_TOKEN=2507c59c8687e4aaa574927e804a56ed9d72c49ba18782db1ba66fce711e78f"],
        ..NAMED
    },
    Builtin {
        id: "wix_api_key",
        provider: "wix",
        description: "Wix API key (IST. + JWT)",
        keywords: &["IST."],
        pattern: prefixed!(r"IST\.", r"eyJ[A-Za-z0-9_-]{100,300}\.[A-Za-z0-9_-]{20,200}\.[A-Za-z0-9_-]{43,342}"),
        examples: &[
            ("Authorization: Bearer IST.eyJOX3sWmVD6zf1jGHPIxjGh0cOqlaR3dbyAo-jmoP79FKVTXbhR3lduZ8rLd5wr2nH8Pba4oBCQrABn6DahdyxPjlgrOJdAhf12ZdNXpA5.gyPgkjtdyEMDSP9CjIDA4.mdyUKGWJkZn4v9S3uGKvnCaPpvN1eCw14vGZcAnaKMChq2Hrr5fb", "IST.eyJOX3sWmVD6zf1jGHPIxjGh0cOqlaR3dbyAo-jmoP79FKVTXbhR3lduZ8rLd5wr2nH8Pba4oBCQrABn6DahdyxPjlgrOJdAhf12ZdNXpA5.gyPgkjtdyEMDSP9CjIDA4.mdyUKGWJkZn4v9S3uGKvnCaPpvN1eCw14vGZcAnaKMChq2Hrr5fb"),
            (r#"{"wix_api_key": "IST.eyJuiTV_SMsM3ZJLa7qufdxWIz_RhUAX7xGC34IoMScEYBER_WxWWok74V-tB-7i1PrF1qcD36W1TSuNYfgxtMqONV4rU_W0l057nbSrKYm5Q8.pogm0UMUgbC_FkDX8FBK_d2A2.v5YiZahMUR0uuawKPwQrSS0vQdGLt2FCt2wAPboBMLByQr4uds3", "region": "eu-west-1"}"#, "IST.eyJuiTV_SMsM3ZJLa7qufdxWIz_RhUAX7xGC34IoMScEYBER_WxWWok74V-tB-7i1PrF1qcD36W1TSuNYfgxtMqONV4rU_W0l057nbSrKYm5Q8.pogm0UMUgbC_FkDX8FBK_d2A2.v5YiZahMUR0uuawKPwQrSS0vQdGLt2FCt2wAPboBMLByQr4uds3"),
        ],
        counterexamples: &["IST.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like IST.1234567890", "IST.eyJQTBr0W_O4DNhYaLWWTlWpKbe8TxRGN8U8UZWCAZEBnJehlId4tYzv_iTGtOZCc6Pv39zS5rsAAY1bTyuDXpNbVLifNwr24jtr3Qa.K9__nN3k6SFi5WeYGALyyD-HXOeSIj.IyuNvj4yjWglo_EbDyvGrNnrqcMJwApPSeTb4i8P9Q"],
        ..PREFIXED
    },
    Builtin {
        id: "ghost_admin_key",
        provider: "ghost",
        description: "Ghost Admin API key (24 hex : 64 hex) beside a Ghost key name",
        keywords: &["ghost"],
        pattern: concat!(r"(?-u)(?i:ghost)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{24}:[a-f0-9]{64})", end_url!()),
        examples: &[
            ("GHOST_ADMIN_API_KEY=0d7a94977dc0830c951888d1:e6f5b2b46d9f9823a91dad914b5e090355765d125ca4dd6b89e806648be0ddf2", "0d7a94977dc0830c951888d1:e6f5b2b46d9f9823a91dad914b5e090355765d125ca4dd6b89e806648be0ddf2"),
            (r#"{"ghost_admin_key":"ab3e9deb6955bde51cc34655:c77620ee48b045a71282ded505a7b6bcecdb61dfe80a348ed422bb707edab34e"}"#, "ab3e9deb6955bde51cc34655:c77620ee48b045a71282ded505a7b6bcecdb61dfe80a348ed422bb707edab34e"),
        ],
        counterexamples: &["GHOST_ADMIN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GHOST_ADMIN_API_KEY=<your-ghost-key>", "GHOST_ADMIN_API_KEY=41c5f5101f859e6c5619baff:d4f5b0c2e147b69237ab0611a226b04904af2635fd11c6b6ea8dc1c0fbc5020"],
        ..NAMED
    },
    Builtin {
        id: "wordpress_app_password",
        provider: "wordpress",
        description: "WordPress application password (six groups of four) beside a WordPress / WP password name",
        keywords: &["wordpress", "wp_app", "wp-app", "wp_application"],
        pattern: concat!(r"(?-u)(?i:wordpress|wp)[A-Za-z0-9_.-]{0,24}?(?i:password)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4} [A-Za-z0-9]{4})", end_url!()),
        examples: &[
            (r#"WP_APPLICATION_PASSWORD: "Qvwl yzxP CnR3 LcYu tqK7 6sPd""#, "Qvwl yzxP CnR3 LcYu tqK7 6sPd"),
            ("wordpress_app_password = 3m2u pUt5 uxbX SOv1 Aj6h MCU2", "3m2u pUt5 uxbX SOv1 Aj6h MCU2"),
        ],
        counterexamples: &["WP_APPLICATION_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WP_APPLICATION_PASSWORD=<your-wordpress-key>", "WP_APPLICATION_PASSWORD=iQ3M 0BtG egBI pZSA RrkW Bsn"],
        ..NAMED
    },
    Builtin {
        id: "lokalise_token",
        provider: "lokalise",
        description: "Lokalise API token (40 hex) beside a Lokalise key name",
        keywords: &["lokalise"],
        pattern: concat!(r"(?-u)(?i:lokalise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export LOKALISE_API_TOKEN="ed54f539aed4bdde15cd7bd95d5558d0365ae08c""#, "ed54f539aed4bdde15cd7bd95d5558d0365ae08c"),
            ("  lokalise_token: d68e09e89bbd5e596e3eb810764754eeebfa40db", "d68e09e89bbd5e596e3eb810764754eeebfa40db"),
        ],
        counterexamples: &["LOKALISE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOKALISE_API_TOKEN=<your-lokalise-key>", "LOKALISE_API_TOKEN=6f5161ccb89916118e436fa82d3237d31f83cdd"],
        ..NAMED
    },
    Builtin {
        id: "crowdin_token",
        provider: "crowdin",
        description: "Crowdin personal access token (80 hex) beside a Crowdin key name",
        keywords: &["crowdin"],
        pattern: concat!(r"(?-u)(?i:crowdin)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{80})", end_url!()),
        examples: &[
            (r#"{"CROWDIN_PERSONAL_TOKEN":"4f22909195d536414f2dc2823152c62e3e8111b18103025b3f5882b668f6caec25cd2ddcdb686b5f"}"#, "4f22909195d536414f2dc2823152c62e3e8111b18103025b3f5882b668f6caec25cd2ddcdb686b5f"),
            ("crowdin_api_token=126808da52cd5d0a77843822f0a9ea1fcab787dcfe3aff0c0ce9c1755114607d0849d75eba6c2d33", "126808da52cd5d0a77843822f0a9ea1fcab787dcfe3aff0c0ce9c1755114607d0849d75eba6c2d33"),
        ],
        counterexamples: &["CROWDIN_PERSONAL_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CROWDIN_PERSONAL_TOKEN=<your-crowdin-key>", "CROWDIN_PERSONAL_TOKEN=05f4d5afe1da7a327238538c9585bc7b712ff50b6b8877ba5aa900230acdd6b56a8b613b3e602b2"],
        ..NAMED
    },
    Builtin {
        id: "phrase_token",
        provider: "phrase",
        description: "Phrase (PhraseApp) access token (64 hex) beside a Phrase key name",
        keywords: &["phrase"],
        pattern: concat!(r"(?-u)(?i:phrase(?:app)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("PHRASE_ACCESS_TOKEN = 8bdc802177bcab2bc03b13ff7bb0b35b6dadc8b6d7c661b127950db65e1909a2", "8bdc802177bcab2bc03b13ff7bb0b35b6dadc8b6d7c661b127950db65e1909a2"),
            (r#"phraseapp_token: "1fbff480f8144e5b878feac3c16d9e7a947f97d6a5a45b272820fdddc1f29280""#, "1fbff480f8144e5b878feac3c16d9e7a947f97d6a5a45b272820fdddc1f29280"),
        ],
        counterexamples: &["PHRASE_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PHRASE_ACCESS_TOKEN=<your-phrase-key>", "PHRASE_ACCESS_TOKEN=08071a3698adbd921f39f67513b7a6d4526bc7fb16038f7d485f06901a78e5b"],
        ..NAMED
    },
    Builtin {
        id: "transifex_token",
        provider: "transifex",
        description: "Transifex API token (1/ + 40 hex) beside a Transifex key name",
        keywords: &["transifex", "tx_token"],
        pattern: concat!(r"(?-u)(?i:transifex|tx)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>1/[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  TRANSIFEX_TOKEN: 1/cd67b6cdc2794ba2e60b1341a8dc5f030d99e06a", "1/cd67b6cdc2794ba2e60b1341a8dc5f030d99e06a"),
            (r#"export tx_token="1/2975c60ea52d0df85456c21497a2a7f4a0117adb""#, "1/2975c60ea52d0df85456c21497a2a7f4a0117adb"),
        ],
        counterexamples: &["TRANSIFEX_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRANSIFEX_TOKEN=<your-transifex-key>", "TRANSIFEX_TOKEN=1/9c885b7edcba696c0a404463e91f8ee405240f1"],
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
            (r#"DEEPL_AUTH_KEY: "832ab734-927a-5d86-d6f3-318f7251b04f""#, "832ab734-927a-5d86-d6f3-318f7251b04f"),
            ("deepl_api_key = 71be5300-20c6-a3b6-601a-a24315837606", "71be5300-20c6-a3b6-601a-a24315837606"),
        ],
        counterexamples: &["DEEPL_AUTH_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEEPL_AUTH_KEY=<your-deepl-key>", "DEEPL_AUTH_KEY=502643c7-7a67-3717-af5d-e2068af0dad"],
        ..NAMED
    },
    Builtin {
        id: "apify_token",
        provider: "apify",
        description: "Apify API token (apify_api_ + 36)",
        keywords: &["apify_api_"],
        pattern: prefixed!(r"apify_api_", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("Authorization: Bearer apify_api_erK7F8exRzvlehwYONUnBYuopjTEeJbbku9R", "apify_api_erK7F8exRzvlehwYONUnBYuopjTEeJbbku9R"),
            (r#"level=info msg="auth ok" key=apify_api_GkB2V2heFqOJ2ZZzREiI97RSMvQ1jS45E4Ww"#, "apify_api_GkB2V2heFqOJ2ZZzREiI97RSMvQ1jS45E4Ww"),
        ],
        counterexamples: &["apify_api_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like apify_api_1234567890", "apify_api_1yjtj5ZRyyi9F6lM1Zqvnc3ckpxDJVkrChE"],
        ..PREFIXED
    },
    Builtin {
        id: "expo_token",
        provider: "expo",
        description: "Expo access token (40) beside an Expo key name",
        keywords: &["expo_", "expo-"],
        pattern: concat!(r"(?-u)(?i:expo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40})", end_url!()),
        examples: &[
            (r#"{"EXPO_TOKEN":"M8-NvXQvSH1RwNClkqGY92wPtr5wc1_gJMyUQ6WD"}"#, "M8-NvXQvSH1RwNClkqGY92wPtr5wc1_gJMyUQ6WD"),
            ("expo_access_token=5t3dioiaJmDrXVJH3Cv8b9Ev9dzYRhSiCCkUMzwi", "5t3dioiaJmDrXVJH3Cv8b9Ev9dzYRhSiCCkUMzwi"),
        ],
        counterexamples: &["EXPO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EXPO_TOKEN=<your-expo-key>", "EXPO_TOKEN=usyBD_TQDSdWyfGKOJTYE27Rx2scOcgc17-beb8"],
        ..NAMED
    },
    Builtin {
        id: "branch_secret",
        provider: "branch",
        description: "Branch.io secret key (secret_live_ / secret_test_ + 32)",
        keywords: &["secret_live_", "secret_test_"],
        pattern: prefixed!(r"(?:secret_live_|secret_test_)", r"[A-Za-z0-9]{32}"),
        examples: &[
            ("export BRANCH_SECRET=secret_live_iTH7BfWyew0OPGORBlOKSRMTHJHJwGaA", "secret_live_iTH7BfWyew0OPGORBlOKSRMTHJHJwGaA"),
            (r#"{"branch_secret": "secret_test_mmoBtA3szPNgRSyxRpezF7LRbvun4Y6n", "region": "eu-west-1"}"#, "secret_test_mmoBtA3szPNgRSyxRpezF7LRbvun4Y6n"),
        ],
        counterexamples: &["secret_live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like secret_live_1234567890", "secret_live_ZJvwADo92O9uSYV3ZDYNFaTjowY2Pca"],
        ..PREFIXED
    },
    Builtin {
        id: "revenuecat_secret_key",
        provider: "revenuecat",
        description: "RevenueCat secret API key (sk_ + 32) beside a RevenueCat key name",
        keywords: &["revenuecat"],
        pattern: concat!(r"(?-u)(?i:revenuecat)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  REVENUECAT_SECRET_KEY: sk_h6zHrbL8P2rQO1PsKWGdP0D654kz3txl", "sk_h6zHrbL8P2rQO1PsKWGdP0D654kz3txl"),
            (r#"export revenuecat_api_key="sk_A1Ce6aQyVKpMAIObz8NthDOgH8Vc6Rcy""#, "sk_A1Ce6aQyVKpMAIObz8NthDOgH8Vc6Rcy"),
        ],
        counterexamples: &["REVENUECAT_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REVENUECAT_SECRET_KEY=<your-revenuecat-key>", "REVENUECAT_SECRET_KEY=sk_NJSyiIi0O1yVIYNLuYg3JcFUSzvF2ji"],
        ..NAMED
    },
    Builtin {
        id: "mux_token_secret",
        provider: "mux",
        description: "Mux access token secret (75 base64) beside a Mux key name",
        keywords: &["mux_", "mux-"],
        pattern: concat!(r"(?-u)(?i:mux)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{75})", end_b64!()),
        examples: &[
            ("MUX_TOKEN_SECRET=G1CjeSrduC0q2r1vS6Of78A1Sg5APOwo7Bgj2QoH74lesNgSyoyYqMsjfO3vdAQ+4MIA+yN3fdT", "G1CjeSrduC0q2r1vS6Of78A1Sg5APOwo7Bgj2QoH74lesNgSyoyYqMsjfO3vdAQ+4MIA+yN3fdT"),
            (r#"{"mux_secret_key":"ocJ+JB6RiQlapiY5g6FpTdidojabDFSctXD7psuhhLZzHxVFNFFjnkqu/IsqhEisvtEv2fNCV9v"}"#, "ocJ+JB6RiQlapiY5g6FpTdidojabDFSctXD7psuhhLZzHxVFNFFjnkqu/IsqhEisvtEv2fNCV9v"),
        ],
        counterexamples: &["MUX_TOKEN_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MUX_TOKEN_SECRET=<your-mux-key>", "MUX_TOKEN_SECRET=kXMELMwpPLWQhQpVoiwWs1MtjxH4xwf2N+j8Uzyg2NtoOTlv45yRp1z2c8woOy2zfVuLBqrRru"],
        ..NAMED
    },
    Builtin {
        id: "nylas_api_key",
        provider: "nylas",
        description: "Nylas API key / client secret beside a Nylas key name",
        keywords: &["nylas"],
        pattern: concat!(r"(?-u)(?i:nylas)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>nyk_v0_[A-Za-z0-9_-]{50})", end_url!()),
        examples: &[
            (r#"NYLAS_API_KEY: "nyk_v0_qp5JFe2SVVC1Efcpz_8vEYgcP6axGWfxPb9GPj7SMKISiNQEOb""#, "nyk_v0_qp5JFe2SVVC1Efcpz_8vEYgcP6axGWfxPb9GPj7SMKISiNQEOb"),
            ("nylas_client_secret = nyk_v0_h7QSi3bZKcZ1Jt9MQN-Z1xBN2w8mg7BnKU5cicyIGuqhR8a-oi", "nyk_v0_h7QSi3bZKcZ1Jt9MQN-Z1xBN2w8mg7BnKU5cicyIGuqhR8a-oi"),
        ],
        counterexamples: &["NYLAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NYLAS_API_KEY=<your-nylas-key>", "NYLAS_API_KEY=nyk_v0_oxLh-jd87ukHbHmoAm7fDR5MICIGn2P0cEEVkpEzwlSsPE2ip"],
        ..NAMED
    },
    Builtin {
        id: "uploadcare_secret",
        provider: "uploadcare",
        description: "Uploadcare secret key (20 hex) beside an Uploadcare key name",
        keywords: &["uploadcare"],
        pattern: concat!(r"(?-u)(?i:uploadcare)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{20})", end_url!()),
        examples: &[
            (r#"export UPLOADCARE_SECRET_KEY="4dce86b25a27c90dc5b4""#, "4dce86b25a27c90dc5b4"),
            ("  uploadcare_secret: 151b9efe2addaa563572", "151b9efe2addaa563572"),
        ],
        counterexamples: &["UPLOADCARE_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPLOADCARE_SECRET_KEY=<your-uploadcare-key>", "UPLOADCARE_SECRET_KEY=b0649fa418b99626ecb"],
        ..NAMED
    },
    Builtin {
        id: "freshbooks_token",
        provider: "freshbooks",
        description: "FreshBooks OAuth client secret / token (64 hex) beside a FreshBooks key name",
        keywords: &["freshbooks"],
        pattern: concat!(r"(?-u)(?i:freshbooks)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"{"FRESHBOOKS_CLIENT_SECRET":"533723238739c9fd6937ed20f114281a59e45440474433b1b129fc6ba18257c3"}"#, "533723238739c9fd6937ed20f114281a59e45440474433b1b129fc6ba18257c3"),
            ("freshbooks_token=4b1079b5430ea88721435e06174aa62230d3cb9ce9ce848550b17f07baaeb66a", "4b1079b5430ea88721435e06174aa62230d3cb9ce9ce848550b17f07baaeb66a"),
        ],
        counterexamples: &["FRESHBOOKS_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FRESHBOOKS_CLIENT_SECRET=<your-freshbooks-key>", "FRESHBOOKS_CLIENT_SECRET=c2798996fb2f9135d671b40b6b27d4da393ccf94b6afd13cba6b8f5f3e8d763"],
        ..NAMED
    },
    Builtin {
        id: "quickbooks_client_secret",
        provider: "quickbooks",
        description: "QuickBooks / Intuit client secret (40) beside a QuickBooks or Intuit secret name",
        keywords: &["quickbooks", "intuit"],
        pattern: concat!(r"(?-u)(?i:quickbooks|intuit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("QUICKBOOKS_CLIENT_SECRET = Ltd7c8lyiir9giKLIFBpU0w0s128nTFLeu1P1aRE", "Ltd7c8lyiir9giKLIFBpU0w0s128nTFLeu1P1aRE"),
            (r#"intuit_client_secret: "fjJJnQH0uJGDA3hV18I2LXb54l0JFNeMeLgPL3kR""#, "fjJJnQH0uJGDA3hV18I2LXb54l0JFNeMeLgPL3kR"),
        ],
        counterexamples: &["QUICKBOOKS_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QUICKBOOKS_CLIENT_SECRET=<your-quickbooks-key>", "QUICKBOOKS_CLIENT_SECRET=4fOlQomTL3zRPmOLUC0AtgVwyPUZoUMn1JunioW"],
        ..NAMED
    },
    Builtin {
        id: "xero_client_secret",
        provider: "xero",
        description: "Xero client secret (48) beside a Xero secret name",
        keywords: &["xero"],
        pattern: concat!(r"(?-u)(?i:xero)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{48})", end_url!()),
        examples: &[
            ("  XERO_CLIENT_SECRET: XLwI2PERhax9XpMROvAQqXrpeAMs8f0Br1RctHQrHF9UPqZx", "XLwI2PERhax9XpMROvAQqXrpeAMs8f0Br1RctHQrHF9UPqZx"),
            (r#"export xero_secret="SQvH4JqDsH7Mqtpv9TMIAj4DDILnthOto72ELSz73GrJGfbV""#, "SQvH4JqDsH7Mqtpv9TMIAj4DDILnthOto72ELSz73GrJGfbV"),
        ],
        counterexamples: &["XERO_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XERO_CLIENT_SECRET=<your-xero-key>", "XERO_CLIENT_SECRET=kSMQqokvDcOzfleBR0oWGqDDQI5Ly2W-Q8ZSa2adLbSI002"],
        ..NAMED
    },
    Builtin {
        id: "intra42_secret",
        provider: "42",
        description: "42 Intra OAuth client secret (s-s4t2ud- + 64 hex)",
        keywords: &["s-s4t2ud-"],
        pattern: prefixed!(r"s-s4t2ud-", r"[a-f0-9]{64}"),
        examples: &[
            (r#"intra42_secret = "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""#, "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"),
            ("curl -s -H 'Authorization: Bearer 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' https://api.example.net/v1/me", "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"),
        ],
        counterexamples: &["s-s4t2ud-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like s-s4t2ud-1234567890", "s-s4t2ud-8e7d23d63e46711e9897a7f48499bbb69f89b05cdbdef3a1afc19ba36f55b71"],
        ..PREFIXED
    },
];
