//! Source control, code search, code quality and CI/CD services.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "github_classic_token",
        provider: "github",
        description: "GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens (checksum verified)",
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        pattern: r"(?-u)(?P<token>gh[pousr]_(?P<secret>[A-Za-z0-9]{36}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("token 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.", "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"),
            ("git clone https://x-access-token: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@github.com/o/r", "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"),
            (r#"{"token":"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"}"#, "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"),
            ("GET /hook?cfg=%7B%22token%22%3A%22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%22%7D", "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"),
            (r#"{"msg":"env:\n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\n"}"#, "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"),
        ],
        counterexamples: &[
            "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x",
            "x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",
            "prefix ghp_ in prose",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ],
    },
    Builtin {
        id: "github_fine_grained_pat",
        provider: "github",
        description: "GitHub fine-grained personal access token (github_pat_ + 22 + _ + 59)",
        keywords: &["github_pat_"],
        pattern: r"(?-u)(?P<token>github_pat_(?P<secret>[A-Za-z0-9]{22}_[A-Za-z0-9]{59}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("GITHUB_TOKEN=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", "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"),
        ],
        counterexamples: &[
            "github_pat_lorXwIS8HGNWkz2YS5ofA7_5UyiCDmO46ayJKP4GY08vDuPngU30ZP7Thnp5yftIY7uq6T2bwGfcCvJAX",
            "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Q",
            "set github_pat_ in the settings",
        ],
    },
    Builtin {
        id: "gitlab_routable_token",
        provider: "gitlab",
        description: "GitLab routable token (gl prefix + base64url payload + .version.length + CRC32 base36; checksum verified)",
        keywords: &["glpat-", "glrt-", "gldt-", "glft-", "glcbt-", "glimt-", "glsoat-", "glptt-", "gloas-", "glagent-", "glffct-", "glwt-"],
        pattern: concat!(
            r"(?-u)(?P<token>gl(?:pat|rt|dt|ft|cbt|imt|soat|ptt|oas|agent|ffct|wt)-(?P<secret>[A-Za-z0-9_-]{27,260}\.[0-9a-z]{2}\.[0-9a-z]{9}))",
            end_url!()
        ),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("PRIVATE-TOKEN: glpat-kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw.01.120j6tqze", "glpat-kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw.01.120j6tqze"),
            ("runner token=glrt-t1_tVzc5EKk3SiCPkiAPZfbyG86MWEyYgp1OjNmCw.01.120r5syz9 registered", "glrt-t1_tVzc5EKk3SiCPkiAPZfbyG86MWEyYgp1OjNmCw.01.120r5syz9"),
        ],
        counterexamples: &[
            "glpat-kQWrwmmz0rfUH_gg0QP-zG86MWEyYgp1OjNmCw.01.120j6tqzeX",
        ],
    },
    Builtin {
        id: "gitlab_pat",
        provider: "gitlab",
        description: "GitLab personal, project or group access token (legacy glpat- + 20; a longer run is taken whole)",
        keywords: &["glpat-"],
        pattern: concat!(r"(?-u)(?P<token>glpat-(?P<secret>[A-Za-z0-9_-]{20,50}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("curl -H 'PRIVATE-TOKEN: glpat-_dBi2ewQr8t4-lC4LvGN' https://gitlab.com/api/v4/user", "glpat-_dBi2ewQr8t4-lC4LvGN"),
            ("GITLAB_TOKEN=glpat-qHqQpzkO0CotiAqsZgPQ", "glpat-qHqQpzkO0CotiAqsZgPQ"),
        ],
        counterexamples: &["glpat-qHqQpzkO0CotiAqsZgP", "glpat-xxxxxxxxxxxxxxxxxxxx", "myglpat-qHqQpzkO0CotiAqsZgPQ"],
    },
    Builtin {
        id: "gitlab_runner_token",
        provider: "gitlab",
        description: "GitLab runner authentication token (legacy glrt- + 20) and registration token (GR1348941 + 20)",
        keywords: &["glrt-", "GR1348941"],
        pattern: concat!(r"(?-u)(?P<token>(?:glrt-|GR1348941)(?P<secret>[A-Za-z0-9_-]{20}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("token = \"glrt-WAMsI-z0oaWdfZp_lvi6\"", "glrt-WAMsI-z0oaWdfZp_lvi6"),
            ("--registration-token GR1348941uEV99TARR-rjp5B42HXt", "GR1348941uEV99TARR-rjp5B42HXt"),
        ],
        counterexamples: &["glrt-WAMsI-z0oaWdfZp_lvi", "GR1348941 is the prefix"],
    },
    Builtin {
        id: "gitlab_deploy_token",
        provider: "gitlab",
        description: "GitLab deploy token (gldt- + 20)",
        keywords: &["gldt-"],
        pattern: concat!(r"(?-u)(?P<token>gldt-(?P<secret>[A-Za-z0-9_-]{20}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("docker login -u deploy -p gldt-0ZIF8-qR38Ony1dHqcey registry.gitlab.com", "gldt-0ZIF8-qR38Ony1dHqcey")],
        counterexamples: &["gldt-0ZIF8-qR38Ony1dHqce", "gldt-0ZIF8-qR38Ony1dHqceyQ"],
    },
    Builtin {
        id: "gitlab_token",
        provider: "gitlab",
        description: "Other GitLab tokens: feed glft-, CI job glcbt-, incoming mail glimt-, SCIM glsoat-, pipeline trigger glptt-, agent glagent-, OAuth app gloas-, feature flags glffct-, workspace glwt-",
        keywords: &["glft-", "glcbt-", "glimt-", "glsoat-", "glptt-", "glagent-", "gloas-", "glffct-", "glwt-"],
        pattern: concat!(
            r"(?-u)(?P<token>(?:glft-|glcbt-(?:[0-9A-Za-z]{1,5}_)?|glimt-|glsoat-|glptt-|glagent-|gloas-|glffct-|glwt-)(?P<secret>[A-Za-z0-9_-]{20,64}))",
            end_url!()
        ),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("feed url ?feed_token=glft-qzZcmzTUoRyj9nde9syx", "glft-qzZcmzTUoRyj9nde9syx"),
            ("CI_JOB_TOKEN=glcbt-hn_wuKmhr7jmPY72T3AVbfz", "glcbt-hn_wuKmhr7jmPY72T3AVbfz"),
            ("trigger glptt-4709ab7f3f386d0cd566647b5aa666347428c3dd", "glptt-4709ab7f3f386d0cd566647b5aa666347428c3dd"),
            ("agent token glagent--BpYconEG4ZgzWbmHGJR1m4jfXuX8v-h2-1KZNUK9IKLdbFfu0", "glagent--BpYconEG4ZgzWbmHGJR1m4jfXuX8v-h2-1KZNUK9IKLdbFfu0"),
            ("glimt-x06UVZyvmbPkZyRHJouZrQV3x", "glimt-x06UVZyvmbPkZyRHJouZrQV3x"),
        ],
        counterexamples: &["glft-short", "use a glsoat- token"],
    },
    Builtin {
        id: "bitbucket_app_password",
        provider: "atlassian",
        description: "Bitbucket app password (ATBB + 32)",
        keywords: &["ATBB"],
        pattern: r"(?-u)(?P<token>ATBB(?P<secret>[A-Za-z0-9]{28,40}))\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("BITBUCKET_APP_PASSWORD=ATBBtfeqvEOJuLbVwYOFXV777I9ppv4wODK4DCAC5D79", "ATBBtfeqvEOJuLbVwYOFXV777I9ppv4wODK4DCAC5D79")],
        counterexamples: &["ATBB prefix", "ATBBshort"],
    },
    Builtin {
        id: "sourcegraph_token",
        provider: "sourcegraph",
        description: "Sourcegraph access token (sgp_ + optional 16 hex instance id _ + 40 hex)",
        keywords: &["sgp_"],
        pattern: r"(?-u)(?P<token>sgp_(?:[a-f0-9]{16}_|local_)?(?P<secret>[a-f0-9]{40}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("SRC_ACCESS_TOKEN=sgp_11f3a844006bd05e_ef07752dc286782ef115658db5a83a0f33b0287e", "sgp_11f3a844006bd05e_ef07752dc286782ef115658db5a83a0f33b0287e")],
        counterexamples: &["sgp_11f3a844006bd05e_short"],
    },
    Builtin {
        id: "sonarqube_token",
        provider: "sonarqube",
        description: "SonarQube project (sqp_), user (squ_) and global analysis (sqa_) tokens (+ 40 hex)",
        keywords: &["sqp_", "squ_", "sqa_"],
        pattern: prefixed!(r"(?:sqp_|squ_|sqa_)", r"[a-f0-9]{40}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG sonarqube client configured token=sqp_49683936ba05668f027304b6bd1d4e4f603beb24", "sqp_49683936ba05668f027304b6bd1d4e4f603beb24"),
            ("docker run -e SONARQUBE_TOKEN=sqa_2685eb60f2a4a25430fb70e2e69dc2c78e1530a2 app:latest", "sqa_2685eb60f2a4a25430fb70e2e69dc2c78e1530a2"),
        ],
        counterexamples: &["sqp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sqp_1234567890", "sqp_5de424341c1c52a32b9033db15fcc439aca5714"],
        ..PREFIXED
    },
    Builtin {
        id: "sonar_token",
        provider: "sonar",
        description: "SonarQube / SonarCloud token (40 hex) beside a Sonar key name",
        keywords: &["sonar"],
        pattern: concat!(r"(?-u)(?i:sonar)[A-Za-z0-9_.-]{0,24}?(?i:token|login|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("SONAR_TOKEN=23746038bb1169c83c06e2c119070eabf00dd210", "23746038bb1169c83c06e2c119070eabf00dd210"),
            (r#"{"sonar.login":"2e1f6e5303ef02280641c936d3fffa53efcb7f3f"}"#, "2e1f6e5303ef02280641c936d3fffa53efcb7f3f"),
        ],
        counterexamples: &["SONAR_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SONAR_TOKEN=<your-sonar-key>", "SONAR_TOKEN=6610381ddd8676011258d610555dfa27f3b01b1"],
        ..NAMED
    },
    Builtin {
        id: "circleci_token",
        provider: "circleci",
        description: "CircleCI personal (CCIPAT_) and project (CCIPRJ_) API tokens",
        keywords: &["CCIPAT_", "CCIPRJ_"],
        pattern: prefixed!(r"(?:CCIPAT_|CCIPRJ_)", r"[A-Za-z0-9]{22}_[a-f0-9]{40}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer CCIPAT_c7lxWnpTQhgJMzjq966wIt_3c4a107be02cd19b5e9eae607529382e2224c609' https://api.example.net/v1/me", "CCIPAT_c7lxWnpTQhgJMzjq966wIt_3c4a107be02cd19b5e9eae607529382e2224c609"),
            (r#"level=info msg="auth ok" key=CCIPRJ_JT2KwyrjU6nCDeiSvSk68j_a5b0054fd39cd68b1a3c541b1a07cbc18f6256c6"#, "CCIPRJ_JT2KwyrjU6nCDeiSvSk68j_a5b0054fd39cd68b1a3c541b1a07cbc18f6256c6"),
        ],
        counterexamples: &["CCIPAT_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like CCIPAT_1234567890", "CCIPAT_oOTjQKsWHNqsbLwsoZ8ENv_650b2a86e75e751f7dd73ce3a91d019b373bf8e"],
        ..PREFIXED
    },
    Builtin {
        id: "circleci_legacy_token",
        provider: "circleci",
        description: "CircleCI legacy API token (40 hex) beside a CircleCI key name",
        keywords: &["circle"],
        pattern: concat!(r"(?-u)(?i:circle(?:ci)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export CIRCLECI_TOKEN="e3db55082aa70442ef6df69448b21bece5631fae""#, "e3db55082aa70442ef6df69448b21bece5631fae"),
            ("  circle_token: f20487e34701c7e5353936fb12ff33df8c77593c", "f20487e34701c7e5353936fb12ff33df8c77593c"),
        ],
        counterexamples: &["CIRCLECI_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CIRCLECI_TOKEN=<your-circleci-key>", "CIRCLECI_TOKEN=f2fd58f720bd2ba9355df44f2d169e98d506d58"],
        ..NAMED
    },
    Builtin {
        id: "buildkite_token",
        provider: "buildkite",
        description: "Buildkite user API access token (bkua_ + 40 hex)",
        keywords: &["bkua_"],
        pattern: prefixed!(r"bkua_", r"[a-f0-9]{40}"),
        examples: &[
            (r#"{"buildkite_token": "bkua_f22d323f3e10b4f77f04aa428e8e1b25d58ff575", "region": "eu-west-1"}"#, "bkua_f22d323f3e10b4f77f04aa428e8e1b25d58ff575"),
            (r#"level=info msg="auth ok" key=bkua_9bf156af8fb1db3176f71efe5590bb2e715f6a66"#, "bkua_9bf156af8fb1db3176f71efe5590bb2e715f6a66"),
        ],
        counterexamples: &["bkua_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bkua_1234567890", "bkua_541e6351577ab3c5fc265f107363af01b62b796"],
        ..PREFIXED
    },
    Builtin {
        id: "buildkite_agent_token",
        provider: "buildkite",
        description: "Buildkite cluster agent token (bkct_ + 40 hex)",
        keywords: &["bkct_"],
        pattern: prefixed!(r"bkct_", r"[a-f0-9]{40}"),
        examples: &[
            ("docker run -e BUILDKITE_AGENT_TOKEN=bkct_90497e4cfd0d28505754c80e839d40f021070934 app:latest", "bkct_90497e4cfd0d28505754c80e839d40f021070934"),
            ("export BUILDKITE_AGENT_TOKEN=bkct_79ede0a3ea6980f21758ac56bc505ee274b1b2d7", "bkct_79ede0a3ea6980f21758ac56bc505ee274b1b2d7"),
        ],
        counterexamples: &["bkct_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bkct_1234567890", "bkct_d9fff598268f423674c4eba9b696d6d17e8e4a0"],
        ..PREFIXED
    },
    Builtin {
        id: "buildkite_agent_legacy_token",
        provider: "buildkite",
        description: "Buildkite agent registration token (50 hex) beside a Buildkite key name",
        keywords: &["buildkite"],
        pattern: concat!(r"(?-u)(?i:buildkite)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{50})", end_url!()),
        examples: &[
            ("  BUILDKITE_AGENT_TOKEN: d5cbc9b18ca48f02e667f576e318c89a50e9cd02031ac79b70", "d5cbc9b18ca48f02e667f576e318c89a50e9cd02031ac79b70"),
            (r#"export buildkite_agent_token="048cb0823cd859a4625e3df478a09bdb51ed66b0c0f085b3f4""#, "048cb0823cd859a4625e3df478a09bdb51ed66b0c0f085b3f4"),
        ],
        counterexamples: &["BUILDKITE_AGENT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUILDKITE_AGENT_TOKEN=<your-buildkite-key>", "BUILDKITE_AGENT_TOKEN=b22ae2f955bf4449acd5062d9b1e1d9a836ab95a45a1476a1"],
        ..NAMED
    },
    Builtin {
        id: "travis_token",
        provider: "travis",
        description: "Travis CI API token (22) beside a Travis key name",
        keywords: &["travis"],
        pattern: concat!(r"(?-u)(?i:travis)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            ("TRAVIS_API_TOKEN=njbaJnVkH9j-PqfL0wwJQt", "njbaJnVkH9j-PqfL0wwJQt"),
            (r#"{"travis_token":"mmZ94Lr2lZnwBx5SXafGRA"}"#, "mmZ94Lr2lZnwBx5SXafGRA"),
        ],
        counterexamples: &["TRAVIS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRAVIS_API_TOKEN=<your-travis-key>", "TRAVIS_API_TOKEN=uLn2GtD5EhrvN5hAeGHSL"],
        ..NAMED
    },
    Builtin {
        id: "drone_token",
        provider: "drone",
        description: "Drone CI personal token (32 alphanumerics) beside a Drone key name",
        keywords: &["drone"],
        pattern: concat!(r"(?-u)(?i:drone)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"DRONE_TOKEN: "ivMBK9dw5Mg89kIzpWlL6HGr8niJyvSn""#, "ivMBK9dw5Mg89kIzpWlL6HGr8niJyvSn"),
            ("drone_rpc_secret = 9GewUQUJLHJQGS2YxJIjetyYzr0MeFxl", "9GewUQUJLHJQGS2YxJIjetyYzr0MeFxl"),
        ],
        counterexamples: &["DRONE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DRONE_TOKEN=<your-drone-key>", "DRONE_TOKEN=Tzm6Wi3KynB0FIez6QLKil2cgfOUZJL"],
        ..NAMED
    },
    Builtin {
        id: "harness_token",
        provider: "harness",
        description: "Harness personal (pat.) and service-account (sat.) tokens: account id . token id . secret",
        keywords: &["pat.", "sat."],
        pattern: prefixed!(r"(?:pat\.|sat\.)", r"[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}"),
        examples: &[
            ("Authorization: Bearer pat.kEOn6LRmRpAbj20ofNMooR.0a1532b774365512a6ebb0f9.0E2kHyxYvKkXX2wO4QDJ", "pat.kEOn6LRmRpAbj20ofNMooR.0a1532b774365512a6ebb0f9.0E2kHyxYvKkXX2wO4QDJ"),
            (r#"harness_token = "sat.fin6Vu_ymqtwqVLnG8SVvM.e0aaa763dcd54d3165610b77.mfphyghcpsabe2ttQTy6""#, "sat.fin6Vu_ymqtwqVLnG8SVvM.e0aaa763dcd54d3165610b77.mfphyghcpsabe2ttQTy6"),
        ],
        counterexamples: &["pat.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pat.1234567890", "pat.J9V9lrV-FKkMzT6mrM6doj.0061960ff41dceb0ae696230.af2lyWvI5muS3TapFRC"],
        ..PREFIXED
    },
    Builtin {
        id: "octopus_api_key",
        provider: "octopus",
        description: "Octopus Deploy API key (API- + 25 to 32 upper-case alphanumerics)",
        keywords: &["API-"],
        pattern: prefixed!(r"API-", r"[A-Z0-9]{25,32}"),
        examples: &[
            (r#"level=info msg="auth ok" key=API-T7Y7P4IZIVA3FXNEIDHSJ067PDUALNW"#, "API-T7Y7P4IZIVA3FXNEIDHSJ067PDUALNW"),
            ("export OCTOPUS_API_KEY=API-LYGR834PG2HC6DREC5CRY3AREW", "API-LYGR834PG2HC6DREC5CRY3AREW"),
        ],
        counterexamples: &["API-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like API-1234567890", "API-XHVI9K8DKG9L0VQWPFLDZV32"],
        ..PREFIXED
    },
    Builtin {
        id: "codecov_token",
        provider: "codecov",
        description: "Codecov upload token (UUID) beside a Codecov key name",
        keywords: &["codecov"],
        pattern: concat!(r"(?-u)(?i:codecov)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("CODECOV_TOKEN = 2245cdbf-509b-2f6e-f13f-3ea187009f15", "2245cdbf-509b-2f6e-f13f-3ea187009f15"),
            (r#"codecov_upload_token: "4e502368-a660-51bc-5741-ea6c0253af51""#, "4e502368-a660-51bc-5741-ea6c0253af51"),
        ],
        counterexamples: &["CODECOV_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODECOV_TOKEN=<your-codecov-key>", "CODECOV_TOKEN=51697dbb-2357-0aaf-2ed2-9b9279fb737"],
        ..NAMED
    },
    Builtin {
        id: "coveralls_token",
        provider: "coveralls",
        description: "Coveralls repository token beside a Coveralls key name",
        keywords: &["coveralls"],
        pattern: concat!(r"(?-u)(?i:coveralls)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,37})", end_url!()),
        examples: &[
            ("  COVERALLS_REPO_TOKEN: fbnCIZlZUsubBd7xLJKvSW8M83ZjGWIfdU06w", "fbnCIZlZUsubBd7xLJKvSW8M83ZjGWIfdU06w"),
            (r#"export coveralls_token="GQErh5RTNunauMB5275ZpnuCkrSGwAom5""#, "GQErh5RTNunauMB5275ZpnuCkrSGwAom5"),
        ],
        counterexamples: &["COVERALLS_REPO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COVERALLS_REPO_TOKEN=<your-coveralls-key>", "COVERALLS_REPO_TOKEN=sXAzLfoeG1HpPDeZmF6WKT0CLgRtonp"],
        ..NAMED
    },
    Builtin {
        id: "codacy_token",
        provider: "codacy",
        description: "Codacy project / account API token (32 alphanumerics) beside a Codacy key name",
        keywords: &["codacy"],
        pattern: concat!(r"(?-u)(?i:codacy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("CODACY_PROJECT_TOKEN=ycWEUZvi1DOQuof3MWf7bMtCcgtxiZGF", "ycWEUZvi1DOQuof3MWf7bMtCcgtxiZGF"),
            (r#"{"codacy_api_token":"un4A0X8tAuPy2wVu0qWJm5R3yQDUNuaE"}"#, "un4A0X8tAuPy2wVu0qWJm5R3yQDUNuaE"),
        ],
        counterexamples: &["CODACY_PROJECT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODACY_PROJECT_TOKEN=<your-codacy-key>", "CODACY_PROJECT_TOKEN=f2Q4svgRXSetRjgvVbiV1UXMBkGCjD8"],
        ..NAMED
    },
    Builtin {
        id: "snyk_token",
        provider: "snyk",
        description: "Snyk API token (UUID) beside a Snyk key name, or given to snyk auth",
        keywords: &["snyk"],
        pattern: concat!(r"(?-u)(?:(?i:snyk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})|\bsnyk[ \t]+auth[ \t]+(?P<secret_cli>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}))", end_url!()),
        examples: &[
            (r#"SNYK_TOKEN: "6dbaa388-0139-1a18-25c4-d530fbaf8493""#, "6dbaa388-0139-1a18-25c4-d530fbaf8493"),
            ("snyk_api_key = 26fc3cbf-2316-9d58-5af0-cf8264e20dab", "26fc3cbf-2316-9d58-5af0-cf8264e20dab"),
            ("- run: snyk auth 0c4e2a9b-7d1f-4e3a-b8c6-5f2d9e1a7b40 && snyk test", "0c4e2a9b-7d1f-4e3a-b8c6-5f2d9e1a7b40"),
        ],
        counterexamples: &["SNYK_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNYK_TOKEN=<your-snyk-key>", "SNYK_TOKEN=4ac98c7b-e0ef-fea1-5951-a219615d5c8", "snyk auth $SNYK_TOKEN"],
        ..NAMED
    },
    Builtin {
        id: "dependency_track_api_key",
        provider: "dependency-track",
        description: "OWASP Dependency-Track API key (odt_ + 32 or more alphanumerics)",
        keywords: &["odt_"],
        pattern: prefixed!(r"odt_", r"[A-Za-z0-9_]{32,48}"),
        examples: &[
            (r#"level=info msg="auth ok" key=odt_8dBfBIv0NpcNgtkjbJaNFzYknqr6AnZTLLeHsqd5"#, "odt_8dBfBIv0NpcNgtkjbJaNFzYknqr6AnZTLLeHsqd5"),
            ("env DEPENDENCY_TRACK_API_KEY=odt_hV1IrkgmEwlZt_6PoCMomiupavIdKhKnZh8 ./deploy.sh", "odt_hV1IrkgmEwlZt_6PoCMomiupavIdKhKnZh8"),
        ],
        counterexamples: &["odt_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like odt_1234567890", "odt_Ac9nXGWtEUa8cPbKGRQ4SC38c5Wfkyy"],
        ..PREFIXED
    },
    Builtin {
        id: "dependency_track_legacy_key",
        provider: "dependency-track",
        description: "OWASP Dependency-Track API key without the odt_ prefix (32 alphanumerics) beside a Dependency-Track key name",
        keywords: &["dependency_track", "dependency-track", "dependencytrack", "dtrack"],
        pattern: concat!(r"(?-u)(?i:dependency[_-]?track|dtrack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"DEPENDENCY_TRACK_API_KEY":"cgM2UQ9Ccz4ciYBfQjMwEoCi60YzsU3S"}"#, "cgM2UQ9Ccz4ciYBfQjMwEoCi60YzsU3S"),
            ("dtrack_api_key=Th4kTZ86rhOTyF9uYGcOZ4Wl34ufuwH1", "Th4kTZ86rhOTyF9uYGcOZ4Wl34ufuwH1"),
        ],
        counterexamples: &["DEPENDENCY_TRACK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEPENDENCY_TRACK_API_KEY=<your-dependency-track-key>", "DEPENDENCY_TRACK_API_KEY=qKlObAESHU6xc1Wo5Fl0hrRDtM67dcR"],
        ..NAMED
    },
    Builtin {
        id: "teamcity_token",
        provider: "teamcity",
        description: "TeamCity access token (eyJ0eXAiOiAiVENWMiJ9 header + . + secret)",
        keywords: &["eyJ0eXAiOiAiVENWMiJ9."],
        pattern: prefixed!(r"eyJ0eXAiOiAiVENWMiJ9\.", r"[A-Za-z0-9_-]{36,60}"),
        examples: &[
            (r#"{"teamcity_token": "eyJ0eXAiOiAiVENWMiJ9.yp_Z5arrzPSBOoNe9QTZB3_pa8SL0MNUXGTcJ6Wog9vcdpJ1", "region": "eu-west-1"}"#, "eyJ0eXAiOiAiVENWMiJ9.yp_Z5arrzPSBOoNe9QTZB3_pa8SL0MNUXGTcJ6Wog9vcdpJ1"),
            ("curl -s -H 'Authorization: Bearer eyJ0eXAiOiAiVENWMiJ9.28aL9ObqsEXYVkpKD3sqwRSWEn-BbXnUDxzjd' https://api.example.net/v1/me", "eyJ0eXAiOiAiVENWMiJ9.28aL9ObqsEXYVkpKD3sqwRSWEn-BbXnUDxzjd"),
        ],
        counterexamples: &["eyJ0eXAiOiAiVENWMiJ9.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJ0eXAiOiAiVENWMiJ9.1234567890", "eyJ0eXAiOiAiVENWMiJ9.e0hvQrqTBmCkjQul4aXIXr8H5cN40z4KuPj"],
        ..PREFIXED
    },
    Builtin {
        id: "jenkins_api_token",
        provider: "jenkins",
        description: "Jenkins API token (11 + 32 hex, or 32 to 34 hex) beside a Jenkins key name",
        keywords: &["jenkins"],
        pattern: concat!(r"(?-u)(?i:jenkins)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32,34})", end_url!()),
        examples: &[
            ("  JENKINS_API_TOKEN: 4cefba36c8d2d583744c669a8342daf4c", "4cefba36c8d2d583744c669a8342daf4c"),
            (r#"export jenkins_token="89fee6ca5fa005063a56d3f3dda8a7c44b""#, "89fee6ca5fa005063a56d3f3dda8a7c44b"),
        ],
        counterexamples: &["JENKINS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "JENKINS_API_TOKEN=<your-jenkins-key>", "JENKINS_API_TOKEN=7ed3ec529e5f716abeac8395427f07e"],
        ..NAMED
    },
    Builtin {
        id: "gitea_token",
        provider: "gitea",
        description: "Gitea / Forgejo access token (40 hex) beside a Gitea key name",
        keywords: &["gitea"],
        pattern: concat!(r"(?-u)(?i:gitea)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("GITEA_TOKEN=d7257137961bbe6c421e8eb5d5ef908502703886", "d7257137961bbe6c421e8eb5d5ef908502703886"),
            (r#"{"gitea_access_token":"1f6fd1cf9c20d5ea096648362dc3673d6773f0b7"}"#, "1f6fd1cf9c20d5ea096648362dc3673d6773f0b7"),
        ],
        counterexamples: &["GITEA_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITEA_TOKEN=<your-gitea-key>", "GITEA_TOKEN=75c9fe0b61d69c5e4f6533273ea0ca313fbb5f4"],
        ..NAMED
    },
    Builtin {
        id: "gitee_token",
        provider: "gitee",
        description: "Gitee access token (32 hex) beside a Gitee key name",
        keywords: &["gitee"],
        pattern: concat!(r"(?-u)(?i:gitee)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"GITEE_TOKEN: "b62c08a1e550a637e9511b8b0c90866a""#, "b62c08a1e550a637e9511b8b0c90866a"),
            ("gitee_access_token = 949607cff87cf3d0498682aee4046d62", "949607cff87cf3d0498682aee4046d62"),
        ],
        counterexamples: &["GITEE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITEE_TOKEN=<your-gitee-key>", "GITEE_TOKEN=d96f9e5656744645b648839e59bb0f7"],
        ..NAMED
    },
    Builtin {
        id: "bitbucket_client_secret",
        provider: "bitbucket",
        description: "Bitbucket OAuth consumer secret (32) beside a Bitbucket key name",
        keywords: &["bitbucket"],
        pattern: concat!(r"(?-u)(?i:bitbucket)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export BITBUCKET_CLIENT_SECRET="E5l2vhqrtb0GIExz4s53STZRDPaxP4zK""#, "E5l2vhqrtb0GIExz4s53STZRDPaxP4zK"),
            ("  bitbucket_secret: ALwyoZUnGE91NF0pdd9HckfhPUrcLKv6", "ALwyoZUnGE91NF0pdd9HckfhPUrcLKv6"),
        ],
        counterexamples: &["BITBUCKET_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITBUCKET_CLIENT_SECRET=<your-bitbucket-key>", "BITBUCKET_CLIENT_SECRET=4TvcdzgQDOIm28iNwYWfYBsMQBctT8a"],
        ..NAMED
    },
    Builtin {
        id: "github_oauth_secret",
        provider: "github",
        description: "GitHub OAuth / app client secret (40 hex) beside a GitHub secret name",
        keywords: &["github"],
        pattern: concat!(r"(?-u)(?i:github)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"{"GITHUB_CLIENT_SECRET":"d9459021091449185cf7585389379169640c1a34"}"#, "d9459021091449185cf7585389379169640c1a34"),
            ("github_oauth_secret=e4eeeb9c975fe65e6436a0480df05f6fae4f1f77", "e4eeeb9c975fe65e6436a0480df05f6fae4f1f77"),
        ],
        counterexamples: &["GITHUB_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITHUB_CLIENT_SECRET=<your-github-key>", "GITHUB_CLIENT_SECRET=ac202905dc47ee2d41dca4156ff2cb683fc07a2"],
        ..NAMED
    },
    Builtin {
        id: "sourcegraph_legacy_token",
        provider: "sourcegraph",
        description: "Sourcegraph legacy access token (40 hex) after `token` in a line naming Sourcegraph",
        keywords: &["sourcegraph"],
        pattern: r#"(?-u)(?i:sourcegraph)[^\n]{0,80}?(?i:token)(?:\s+|\s*[=:]\s*["']?)(?P<secret>[a-f0-9]{40})\b|\b(?i:token)\s+(?P<secret_before>[a-f0-9]{40})\b[^\n]{0,120}?(?i:sourcegraph)"#,
        examples: &[
            (r#"curl -H "Authorization: token 5b1e7d30c94a2f68e03d7c1b94a6f52e8d0c3b71" https://sourcegraph.example.com/.api/graphql"#, "5b1e7d30c94a2f68e03d7c1b94a6f52e8d0c3b71"),
            ("sourcegraph access token: 9f04c2a7b1e38d56a2c9e0f4b7d1a63c58e2f90b", "9f04c2a7b1e38d56a2c9e0f4b7d1a63c58e2f90b"),
        ],
        counterexamples: &["sourcegraph commit 5b1e7d30c94a2f68e03d7c1b94a6f52e8d0c3b71", "sourcegraph token: 0000000000000000000000000000000000000000", "Authorization: token 5b1e7d30c94a2f68e03d7c1b94a6f52e8d0c3b71"],
        ..NAMED
    },
    Builtin {
        id: "sourcegraph_dotcom_token",
        provider: "sourcegraph",
        description: "Sourcegraph access token with a dotcom / local / instance marker (sgp_local_, sgd_, sgph_) ",
        keywords: &["sgp_local_", "sgd_", "sgph_"],
        pattern: prefixed!(r"(?:sgp_local_|sgd_|sgph_)", r"[a-f0-9]{40}"),
        examples: &[
            (r#"SOURCEGRAPH_DOTCOM_TOKEN="sgp_local_695bbd3323f80da54b8eafd3898486c52c608903""#, "sgp_local_695bbd3323f80da54b8eafd3898486c52c608903"),
            ("export SOURCEGRAPH_DOTCOM_TOKEN=sgph_808cf0111ca7569d6c6b7fac78dce97d07ecb856", "sgph_808cf0111ca7569d6c6b7fac78dce97d07ecb856"),
        ],
        counterexamples: &["sgp_local_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sgp_local_1234567890", "sgp_local_656a175d27f6d3c6da37bd089a26e19e4f094db"],
        ..PREFIXED
    },
    Builtin {
        id: "semgrep_app_token",
        provider: "semgrep",
        description: "Semgrep App token (64 hex) beside a Semgrep key name",
        keywords: &["semgrep"],
        pattern: concat!(r"(?-u)(?i:semgrep)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("SEMGREP_APP_TOKEN=3c563def9fcf43568b015fa35fa5c8f65d47d4a70d502f9641be9b37fd729102", "3c563def9fcf43568b015fa35fa5c8f65d47d4a70d502f9641be9b37fd729102"),
            (r#"{"semgrep_token":"f158d235de4fd14fe61681909212eaabcfd80624f225af4c7654a33534ba1687"}"#, "f158d235de4fd14fe61681909212eaabcfd80624f225af4c7654a33534ba1687"),
        ],
        counterexamples: &["SEMGREP_APP_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SEMGREP_APP_TOKEN=<your-semgrep-key>", "SEMGREP_APP_TOKEN=02ecdeed594e83dedaf7e2dc19cd1344019ec1ad832786d94c24accfc418167"],
        ..NAMED
    },
    Builtin {
        id: "deepsource_token",
        provider: "deepsource",
        description: "DeepSource personal access token (dsp_ + 40 hex)",
        keywords: &["dsp_"],
        pattern: prefixed!(r"dsp_", r"[a-f0-9]{40}"),
        examples: &[
            ("docker run -e DEEPSOURCE_TOKEN=dsp_6a205e5498e2a05363323c0db8e6f004bc62ba8f app:latest", "dsp_6a205e5498e2a05363323c0db8e6f004bc62ba8f"),
            (r#"{"deepsource_token": "dsp_3eacf9b2f6aee8e078f55bc223a6daa63782ad28", "region": "eu-west-1"}"#, "dsp_3eacf9b2f6aee8e078f55bc223a6daa63782ad28"),
        ],
        counterexamples: &["dsp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dsp_1234567890", "dsp_5737c7120a8ae49c49d67b664a71a5935464b65"],
        ..PREFIXED
    },
    Builtin {
        id: "bitrise_token",
        provider: "bitrise",
        description: "Bitrise personal access token (86) beside a Bitrise key name",
        keywords: &["bitrise"],
        pattern: concat!(r"(?-u)(?i:bitrise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            (r#"export BITRISE_TOKEN="O39J8IKQz9vxoHoqXOtUqfCTdRVF-OjY45dU7GRnYSghNQTdt1TE8CxSSUG1J7ZHbFGF2sggcRrLQYaWLpDfws""#, "O39J8IKQz9vxoHoqXOtUqfCTdRVF-OjY45dU7GRnYSghNQTdt1TE8CxSSUG1J7ZHbFGF2sggcRrLQYaWLpDfws"),
            ("  bitrise_access_token: E8DhxegC1LlJ6s8k3rKMoy1Uh9PyA0xFYVZI6ef3Ry7jv1HnRhRewNzgkFauyzfuib-54YwskP1nLGR8YgENZH", "E8DhxegC1LlJ6s8k3rKMoy1Uh9PyA0xFYVZI6ef3Ry7jv1HnRhRewNzgkFauyzfuib-54YwskP1nLGR8YgENZH"),
        ],
        counterexamples: &["BITRISE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITRISE_TOKEN=<your-bitrise-key>", "BITRISE_TOKEN=W1J8U63JxcAVt_608eYbZAHn6UA0WCwnjz41zgZZ6gK3FMY7cE-IYZHeShFDbCI1AAKPwHPVkzIIQQobcKstY"],
        ..NAMED
    },
    Builtin {
        id: "semaphore_token",
        provider: "semaphore",
        description: "Semaphore CI API token (20) beside a Semaphore key name",
        keywords: &["semaphore"],
        pattern: concat!(r"(?-u)(?i:semaphore)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            (r#"{"SEMAPHORE_API_TOKEN":"y58pGwbzFpVaraM6Jl5c"}"#, "y58pGwbzFpVaraM6Jl5c"),
            ("semaphore_token=7R1nZN2SSi7PpxUTTkU9", "7R1nZN2SSi7PpxUTTkU9"),
        ],
        counterexamples: &["SEMAPHORE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SEMAPHORE_API_TOKEN=<your-semaphore-key>", "SEMAPHORE_API_TOKEN=6zo2AKMlCepR94t0HOr"],
        ..NAMED
    },
    Builtin {
        id: "codefresh_token",
        provider: "codefresh",
        description: "Codefresh API key (24 hex . 32 hex) beside a Codefresh key name",
        keywords: &["codefresh"],
        pattern: concat!(r"(?-u)(?i:codefresh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{24}\.[a-f0-9]{32})", end_url!()),
        examples: &[
            ("CODEFRESH_API_KEY = 75e172b19c26e6223f6f5572.01405da108d68ad772b6eec197225f4d", "75e172b19c26e6223f6f5572.01405da108d68ad772b6eec197225f4d"),
            (r#"codefresh_token: "29075d489b8cf20bc9ee6529.736a68881598e7d9d299ee3fd4601113""#, "29075d489b8cf20bc9ee6529.736a68881598e7d9d299ee3fd4601113"),
        ],
        counterexamples: &["CODEFRESH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODEFRESH_API_KEY=<your-codefresh-key>", "CODEFRESH_API_KEY=ca6c6213e9a9242b66dc7b7c.904cbd1f6729dce40869e1f1353be1f"],
        ..NAMED
    },
    Builtin {
        id: "appveyor_token",
        provider: "appveyor",
        description: "AppVeyor API token (v2. + 20, or 20) beside an AppVeyor key name",
        keywords: &["appveyor"],
        pattern: concat!(r"(?-u)(?i:appveyor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>v2\.[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("  APPVEYOR_API_TOKEN: v2.yzt6rxdAPYDl2dZvTJpo", "v2.yzt6rxdAPYDl2dZvTJpo"),
            (r#"export appveyor_token="v2.K7ZAt6FcimacppTWh9cP""#, "v2.K7ZAt6FcimacppTWh9cP"),
        ],
        counterexamples: &["APPVEYOR_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APPVEYOR_API_TOKEN=<your-appveyor-key>", "APPVEYOR_API_TOKEN=v2.sbyZYrQJ0UVGbbR6NGR"],
        ..NAMED
    },
    Builtin {
        id: "browserstack_access_key",
        provider: "browserstack",
        description: "BrowserStack access key (20) beside a BrowserStack key name",
        keywords: &["browserstack"],
        pattern: concat!(r"(?-u)(?i:browserstack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("BROWSERSTACK_ACCESS_KEY=fiqU2KRGtkdTKzNokjDu", "fiqU2KRGtkdTKzNokjDu"),
            (r#"{"browserstack_key":"VN8wAveGRbCfIQ8CsIOt"}"#, "VN8wAveGRbCfIQ8CsIOt"),
        ],
        counterexamples: &["BROWSERSTACK_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BROWSERSTACK_ACCESS_KEY=<your-browserstack-key>", "BROWSERSTACK_ACCESS_KEY=ZG4N6TZv5bhzkfA9Bwv"],
        ..NAMED
    },
    Builtin {
        id: "saucelabs_access_key",
        provider: "saucelabs",
        description: "Sauce Labs access key (UUID) beside a Sauce key name",
        keywords: &["sauce"],
        pattern: concat!(r"(?-u)(?i:sauce(?:labs)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"SAUCE_ACCESS_KEY: "bf36ec0a-df03-6386-963d-30cb674acd38""#, "bf36ec0a-df03-6386-963d-30cb674acd38"),
            ("saucelabs_key = 5c32c904-26fb-7b34-bb60-5edb021f78cb", "5c32c904-26fb-7b34-bb60-5edb021f78cb"),
        ],
        counterexamples: &["SAUCE_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SAUCE_ACCESS_KEY=<your-saucelabs-key>", "SAUCE_ACCESS_KEY=5bcac5a8-6ea6-5cb2-5d92-1a5ee8013d3"],
        ..NAMED
    },
    Builtin {
        id: "lambdatest_access_key",
        provider: "lambdatest",
        description: "LambdaTest access key (50) beside a LambdaTest key name",
        keywords: &["lambdatest"],
        pattern: concat!(r"(?-u)(?i:lambdatest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"export LAMBDATEST_ACCESS_KEY="wo6x2roTNbDaxw5Pd7v0pjmwO8YPxcy3zt1KR1PacnWinryxB1""#, "wo6x2roTNbDaxw5Pd7v0pjmwO8YPxcy3zt1KR1PacnWinryxB1"),
            ("  lambdatest_key: v2S4qS2aAG90BS81CUD0yRufmbpKDvgUnSGZ9BOtDMKWbcSkHP", "v2S4qS2aAG90BS81CUD0yRufmbpKDvgUnSGZ9BOtDMKWbcSkHP"),
        ],
        counterexamples: &["LAMBDATEST_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LAMBDATEST_ACCESS_KEY=<your-lambdatest-key>", "LAMBDATEST_ACCESS_KEY=VbI7Q5vWSkeHLLxd4MW2BJvtNEC382DkfdLVwNdqRmTK4IKB2"],
        ..NAMED
    },
    Builtin {
        id: "cypress_record_key",
        provider: "cypress",
        description: "Cypress Cloud record key (UUID) beside a Cypress key name",
        keywords: &["cypress"],
        pattern: concat!(r"(?-u)(?i:cypress)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"CYPRESS_RECORD_KEY":"3d0583ea-7fab-beb5-7199-f710cded63e9"}"#, "3d0583ea-7fab-beb5-7199-f710cded63e9"),
            ("cypress_key=47104edc-4630-5119-b9d4-07d6e84e5f01", "47104edc-4630-5119-b9d4-07d6e84e5f01"),
        ],
        counterexamples: &["CYPRESS_RECORD_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CYPRESS_RECORD_KEY=<your-cypress-key>", "CYPRESS_RECORD_KEY=a4f5107d-d132-0f89-59b3-fc8ea2b2605"],
        ..NAMED
    },
    Builtin {
        id: "percy_token",
        provider: "percy",
        description: "Percy project token (64 hex) beside a Percy key name",
        keywords: &["percy"],
        pattern: concat!(r"(?-u)(?i:percy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("PERCY_TOKEN = 23cc4eb23cb303f0ca5d58a732342c92f26d98f7aa39b61bb3f9d8b3ba05c0e6", "23cc4eb23cb303f0ca5d58a732342c92f26d98f7aa39b61bb3f9d8b3ba05c0e6"),
            (r#"percy_token: "d8666e835da30c62e9795c34b3523566c35ab68671f366758a1e9df135a0bc0d""#, "d8666e835da30c62e9795c34b3523566c35ab68671f366758a1e9df135a0bc0d"),
        ],
        counterexamples: &["PERCY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PERCY_TOKEN=<your-percy-key>", "PERCY_TOKEN=61372f35fc5e3714c8773a8e3dbf6e3a4516753fb0eadf777ce7fc466aa3247"],
        ..NAMED
    },
    Builtin {
        id: "chromatic_token",
        provider: "chromatic",
        description: "Chromatic project token beside a Chromatic key name",
        keywords: &["chromatic"],
        pattern: concat!(r"(?-u)(?i:chromatic)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{12})", end_url!()),
        examples: &[
            ("  CHROMATIC_PROJECT_TOKEN: 2bwwi91rof6c", "2bwwi91rof6c"),
            (r#"export chromatic_token="pdesnywgrk7h""#, "pdesnywgrk7h"),
        ],
        counterexamples: &["CHROMATIC_PROJECT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHROMATIC_PROJECT_TOKEN=<your-chromatic-key>", "CHROMATIC_PROJECT_TOKEN=5if8fspglbg"],
        ..NAMED
    },
    Builtin {
        id: "gitguardian_api_key",
        provider: "gitguardian",
        description: "GitGuardian API key (71) beside a GitGuardian key name",
        keywords: &["gitguardian"],
        pattern: concat!(r"(?-u)(?i:gitguardian)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{71})", end_url!()),
        examples: &[
            ("GITGUARDIAN_API_KEY=KELRu2LdbIwjJzDjOGAIS6F2g0URVYuvrjglPTMHqbOh8GnEu7kx6NJw79ynitCJzXsTRjt", "KELRu2LdbIwjJzDjOGAIS6F2g0URVYuvrjglPTMHqbOh8GnEu7kx6NJw79ynitCJzXsTRjt"),
            (r#"{"gitguardian_token":"M7lOav5wfYSvQkzi5spgY5lJqCZDWBcku9cUR48nm3Zx7er1v1ISKvnqySHPHfeIWxDDNVE"}"#, "M7lOav5wfYSvQkzi5spgY5lJqCZDWBcku9cUR48nm3Zx7er1v1ISKvnqySHPHfeIWxDDNVE"),
        ],
        counterexamples: &["GITGUARDIAN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITGUARDIAN_API_KEY=<your-gitguardian-key>", "GITGUARDIAN_API_KEY=hUGPp6Qe8wz9SoAQvFpxt3hSLACVEU0fenFfuPLZreN1fiPkRAg7yim6bhFyVWegwN1J5R"],
        ..NAMED
    },
    Builtin {
        id: "depot_token",
        provider: "depot",
        description: "Depot project / user token beside a Depot key name",
        keywords: &["depot"],
        pattern: concat!(r"(?-u)(?i:depot)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            (r#"DEPOT_TOKEN: "FRjY_h8ITMCe92g9gucOKMbpDN5rRHUUeBqaGh8TyQT_-5p""#, "FRjY_h8ITMCe92g9gucOKMbpDN5rRHUUeBqaGh8TyQT_-5p"),
            ("depot_api_token = _sVk8pM44lF5gs092LvrzQmrQRT6XlL9ky3YJ2VzZliXaMXrNE", "_sVk8pM44lF5gs092LvrzQmrQRT6XlL9ky3YJ2VzZliXaMXrNE"),
        ],
        counterexamples: &["DEPOT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEPOT_TOKEN=<your-depot-key>", "DEPOT_TOKEN=_U-jPsRpcGW9OFpzDb5kvq6J3423bE7F5tHwjRb"],
        ..NAMED
    },
    Builtin {
        id: "spacelift_key",
        provider: "spacelift",
        description: "Spacelift API key secret beside a Spacelift key name",
        keywords: &["spacelift"],
        pattern: concat!(r"(?-u)(?i:spacelift)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export SPACELIFT_API_KEY_SECRET="99f4713757af332f9b9f8f6c4975ac9c95eaf1f39982218a2391eb8ab6f8095b""#, "99f4713757af332f9b9f8f6c4975ac9c95eaf1f39982218a2391eb8ab6f8095b"),
            ("  spacelift_secret: f28d52dc30f3f948eaad3e04cd795a62da4f760989730849f985f49c4a6591d9", "f28d52dc30f3f948eaad3e04cd795a62da4f760989730849f985f49c4a6591d9"),
        ],
        counterexamples: &["SPACELIFT_API_KEY_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPACELIFT_API_KEY_SECRET=<your-spacelift-key>", "SPACELIFT_API_KEY_SECRET=7a58693778be19179f4c6ee51b011498c21cd0e46008af68f56158eb97178e5"],
        ..NAMED
    },
    Builtin {
        id: "env0_key",
        provider: "env0",
        description: "env0 API key secret beside an env0 key name",
        keywords: &["env0"],
        pattern: concat!(r"(?-u)(?i:env0)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ENV0_API_SECRET":"OJo1WOfXiimN5iRUHSHpbU89wWFeZkjX"}"#, "OJo1WOfXiimN5iRUHSHpbU89wWFeZkjX"),
            ("env0_api_key=Rcjw0KzlIIAKbYX9kFxgJylGCLocwOPT", "Rcjw0KzlIIAKbYX9kFxgJylGCLocwOPT"),
        ],
        counterexamples: &["ENV0_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ENV0_API_SECRET=<your-env0-key>", "ENV0_API_SECRET=4gmUolZE9my9X0zMKKSniYiRlSQOKtW"],
        ..NAMED
    },
    Builtin {
        id: "kong_konnect_token",
        provider: "kong",
        description: "Kong Konnect personal (kpat_) and system (spat_) access tokens",
        keywords: &["kpat_", "spat_"],
        pattern: prefixed!(r"(?:kpat_|spat_)", r"[A-Za-z0-9]{49}"),
        examples: &[
            ("docker run -e KONG_KONNECT_TOKEN=kpat_DFaJphTTM4fxvX5nKPNkqcHuFmPcVJx3suwWtpSA65j4sWAiA app:latest", "kpat_DFaJphTTM4fxvX5nKPNkqcHuFmPcVJx3suwWtpSA65j4sWAiA"),
            (r#"KONG_KONNECT_TOKEN="spat_DMnycQ47nsmeFc0VRz3JmwYU9TjctBBmRZHBDnxYyQJQirMGa""#, "spat_DMnycQ47nsmeFc0VRz3JmwYU9TjctBBmRZHBDnxYyQJQirMGa"),
        ],
        counterexamples: &["kpat_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like kpat_1234567890", "kpat_jnat2OTquPfPvv2Nr58OIuNn9GRxYdouuOrA2z8OTQritgsX"],
        ..PREFIXED
    },
];
