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
            ("docker run -e SONARQUBE_TOKEN=sqp_362e6c5549d580badc704221c041c060e00832de app:latest", "sqp_362e6c5549d580badc704221c041c060e00832de"),
            (r#"sonarqube_token = "sqa_ebd9a22a7f9861c4802f38feed721a0e5c308b9a""#, "sqa_ebd9a22a7f9861c4802f38feed721a0e5c308b9a"),
        ],
        counterexamples: &["sqp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sqp_1234567890", "sqp_b643d5569c0aaee5faea5e8965490f3e935f849"],
        ..PREFIXED
    },
    Builtin {
        id: "sonar_token",
        provider: "sonar",
        description: "SonarQube / SonarCloud token (40 hex) beside a Sonar key name",
        keywords: &["sonar"],
        pattern: concat!(r"(?-u)(?i:sonar)[A-Za-z0-9_.-]{0,24}?(?i:token|login|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("SONAR_TOKEN=1d031a73c7c0ff071ef9cf8ab7205ae0b22a63ca", "1d031a73c7c0ff071ef9cf8ab7205ae0b22a63ca"),
            (r#"{"sonar.login":"f7af61efe52ce81291e9fc4abd82e7cb614edf13"}"#, "f7af61efe52ce81291e9fc4abd82e7cb614edf13"),
        ],
        counterexamples: &["SONAR_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SONAR_TOKEN=<your-sonar-key>", "SONAR_TOKEN=c760476552a76b5a2d0d97a84bd149fc4968393"],
        ..NAMED
    },
    Builtin {
        id: "circleci_token",
        provider: "circleci",
        description: "CircleCI personal (CCIPAT_) and project (CCIPRJ_) API tokens",
        keywords: &["CCIPAT_", "CCIPRJ_"],
        pattern: prefixed!(r"(?:CCIPAT_|CCIPRJ_)", r"[A-Za-z0-9]{22}_[a-f0-9]{40}"),
        examples: &[
            ("Authorization: Bearer CCIPAT_aknLPZmqVF9XWa7V4Sfog5_4b6bd1d4e4f603beb24d2685eb60f2a4a25430fb", "CCIPAT_aknLPZmqVF9XWa7V4Sfog5_4b6bd1d4e4f603beb24d2685eb60f2a4a25430fb"),
            ("  circleci_token: CCIPRJ_aGDfTC6n1tBzQey0p6rDHd_30a2b5de424341c1c52a32b9033db15fcc439aca", "CCIPRJ_aGDfTC6n1tBzQey0p6rDHd_30a2b5de424341c1c52a32b9033db15fcc439aca"),
        ],
        counterexamples: &["CCIPAT_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like CCIPAT_1234567890", "CCIPAT_pdWW7iH6fe13hIVoiMmMag_bb1169c83c06e2c119070eabf00dd210c2e1f6e"],
        ..PREFIXED
    },
    Builtin {
        id: "circleci_legacy_token",
        provider: "circleci",
        description: "CircleCI legacy API token (40 hex) beside a CircleCI key name",
        keywords: &["circle"],
        pattern: concat!(r"(?-u)(?i:circle(?:ci)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export CIRCLECI_TOKEN="303ef02280641c936d3fffa53efcb7f3f5661038""#, "303ef02280641c936d3fffa53efcb7f3f5661038"),
            ("  circle_token: ddd8676011258d610555dfa27f3b01b1cce15b67", "ddd8676011258d610555dfa27f3b01b1cce15b67"),
        ],
        counterexamples: &["CIRCLECI_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CIRCLECI_TOKEN=<your-circleci-key>", "CIRCLECI_TOKEN=3c48b933c4a107be02cd19b5e9eae607529382e"],
        ..NAMED
    },
    Builtin {
        id: "buildkite_token",
        provider: "buildkite",
        description: "Buildkite user API access token (bkua_ + 40 hex)",
        keywords: &["bkua_"],
        pattern: prefixed!(r"bkua_", r"[a-f0-9]{40}"),
        examples: &[
            ("env BUILDKITE_TOKEN=bkua_24c6097bc846ee24a548a5b0054fd39cd68b1a3c ./deploy.sh", "bkua_24c6097bc846ee24a548a5b0054fd39cd68b1a3c"),
            (r#"BUILDKITE_TOKEN="bkua_41b1a07cbc18f6256c61749890b97faf650b2a86""#, "bkua_41b1a07cbc18f6256c61749890b97faf650b2a86"),
        ],
        counterexamples: &["bkua_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bkua_1234567890", "bkua_75e751f7dd73ce3a91d019b373bf8e6e3db5508"],
        ..PREFIXED
    },
    Builtin {
        id: "buildkite_agent_token",
        provider: "buildkite",
        description: "Buildkite cluster agent token (bkct_ + 40 hex)",
        keywords: &["bkct_"],
        pattern: prefixed!(r"bkct_", r"[a-f0-9]{40}"),
        examples: &[
            (r#"BUILDKITE_AGENT_TOKEN="bkct_70442ef6df69448b21bece5631faeef20487e347""#, "bkct_70442ef6df69448b21bece5631faeef20487e347"),
            ("  buildkite_agent_token: bkct_1c7e5353936fb12ff33df8c77593c1f2fd58f720", "bkct_1c7e5353936fb12ff33df8c77593c1f2fd58f720"),
        ],
        counterexamples: &["bkct_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bkct_1234567890", "bkct_d2ba9355df44f2d169e98d506d5844ff22d323f"],
        ..PREFIXED
    },
    Builtin {
        id: "buildkite_agent_legacy_token",
        provider: "buildkite",
        description: "Buildkite agent registration token (50 hex) beside a Buildkite key name",
        keywords: &["buildkite"],
        pattern: concat!(r"(?-u)(?i:buildkite)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{50})", end_url!()),
        examples: &[
            ("  BUILDKITE_AGENT_TOKEN: e10b4f77f04aa428e8e1b25d58ff57589bf156af8fb1db3176", "e10b4f77f04aa428e8e1b25d58ff57589bf156af8fb1db3176"),
            (r#"export buildkite_agent_token="71efe5590bb2e715f6a667541e6351577ab3c5fc265f107363""#, "71efe5590bb2e715f6a667541e6351577ab3c5fc265f107363"),
        ],
        counterexamples: &["BUILDKITE_AGENT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUILDKITE_AGENT_TOKEN=<your-buildkite-key>", "BUILDKITE_AGENT_TOKEN=f01b62b796e1b90497e4cfd0d28505754c80e839d40f02107"],
        ..NAMED
    },
    Builtin {
        id: "travis_token",
        provider: "travis",
        description: "Travis CI API token (22) beside a Travis key name",
        keywords: &["travis"],
        pattern: concat!(r"(?-u)(?i:travis)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22})", end_url!()),
        examples: &[
            ("TRAVIS_API_TOKEN=NnrrCK405aOn5OBLGc_jhE", "NnrrCK405aOn5OBLGc_jhE"),
            (r#"{"travis_token":"GOZuATXwdv56kDqTeSi3F3"}"#, "GOZuATXwdv56kDqTeSi3F3"),
        ],
        counterexamples: &["TRAVIS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TRAVIS_API_TOKEN=<your-travis-key>", "TRAVIS_API_TOKEN=M_9-uKGlyH8rjpzDtYs4S"],
        ..NAMED
    },
    Builtin {
        id: "drone_token",
        provider: "drone",
        description: "Drone CI personal token (32 alphanumerics) beside a Drone key name",
        keywords: &["drone"],
        pattern: concat!(r"(?-u)(?i:drone)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"DRONE_TOKEN: "twM9nPStmPBMm4AcpDRIrMC9jNv7bzAZ""#, "twM9nPStmPBMm4AcpDRIrMC9jNv7bzAZ"),
            ("drone_rpc_secret = yN6Mx0y660twdTKryPZ8ujrE0OKbeODm", "yN6Mx0y660twdTKryPZ8ujrE0OKbeODm"),
        ],
        counterexamples: &["DRONE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DRONE_TOKEN=<your-drone-key>", "DRONE_TOKEN=p5FlMpY5HK5nD0hdryr8sUuZ529JJ1k"],
        ..NAMED
    },
    Builtin {
        id: "harness_token",
        provider: "harness",
        description: "Harness personal (pat.) and service-account (sat.) tokens: account id . token id . secret",
        keywords: &["pat.", "sat."],
        pattern: prefixed!(r"(?:pat\.|sat\.)", r"[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}"),
        examples: &[
            ("export HARNESS_TOKEN=pat.Y3dkaofQYENVFcqbtHZSdH.3cd859a4625e3df478a09bdb.c0CUA2SmLL9mWwaybE6b", "pat.Y3dkaofQYENVFcqbtHZSdH.3cd859a4625e3df478a09bdb.c0CUA2SmLL9mWwaybE6b"),
            ("docker run -e HARNESS_TOKEN=sat.vUn9t1TjkQ5j-KuwS_tssK.cd5062d9b1e1d9a836ab95a4.u4cUiKpnG5u3cbY18gea app:latest", "sat.vUn9t1TjkQ5j-KuwS_tssK.cd5062d9b1e1d9a836ab95a4.u4cUiKpnG5u3cbY18gea"),
        ],
        counterexamples: &["pat.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pat.1234567890", "pat.JnVkH9j-PqfL0wwJQtOmmZ.e94d2c3565ebc018a64593d8.QVJo8PCpdLiktCZVdnc"],
        ..PREFIXED
    },
    Builtin {
        id: "octopus_api_key",
        provider: "octopus",
        description: "Octopus Deploy API key (API- + 25 to 32 upper-case alphanumerics)",
        keywords: &["API-"],
        pattern: prefixed!(r"API-", r"[A-Z0-9]{25,32}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG octopus client configured token=API-6SJIV1DWGK8ZPL76RNI9YVNC6EW979", "API-6SJIV1DWGK8ZPL76RNI9YVNC6EW979"),
            (r#"level=info msg="auth ok" key=API-98JETYZRE5XLWZMIYN158EZILCGF9P"#, "API-98JETYZRE5XLWZMIYN158EZILCGF9P"),
        ],
        counterexamples: &["API-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like API-1234567890", "API-FPUG3SVGVHNAE610HCTT6HHV"],
        ..PREFIXED
    },
    Builtin {
        id: "codecov_token",
        provider: "codecov",
        description: "Codecov upload token (UUID) beside a Codecov key name",
        keywords: &["codecov"],
        pattern: concat!(r"(?-u)(?i:codecov)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("CODECOV_TOKEN = 0a1532b7-4365-12a6-bb0f-5f5cba5bef12", "0a1532b7-4365-12a6-bb0f-5f5cba5bef12"),
            (r#"codecov_upload_token: "eb5f6344-4b93-fbb5-4e0a-a763dcd54d31""#, "eb5f6344-4b93-fbb5-4e0a-a763dcd54d31"),
        ],
        counterexamples: &["CODECOV_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODECOV_TOKEN=<your-codecov-key>", "CODECOV_TOKEN=5610b775-273c-3179-0299-28fbf24bf79"],
        ..NAMED
    },
    Builtin {
        id: "coveralls_token",
        provider: "coveralls",
        description: "Coveralls repository token beside a Coveralls key name",
        keywords: &["coveralls"],
        pattern: concat!(r"(?-u)(?i:coveralls)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,37})", end_url!()),
        examples: &[
            ("  COVERALLS_REPO_TOKEN: tmJ2wO4H3DRg7Y900iULtDbhM3ejgUKu", "tmJ2wO4H3DRg7Y900iULtDbhM3ejgUKu"),
            (r#"export coveralls_token="zkvjYC1mhblj4wvPIZmlZJM4bMm0k8kz""#, "zkvjYC1mhblj4wvPIZmlZJM4bMm0k8kz"),
        ],
        counterexamples: &["COVERALLS_REPO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COVERALLS_REPO_TOKEN=<your-coveralls-key>", "COVERALLS_REPO_TOKEN=v27TRLbaRIMndsnbPFXFi1cAJyCwb9W"],
        ..NAMED
    },
    Builtin {
        id: "codacy_token",
        provider: "codacy",
        description: "Codacy project / account API token (32 alphanumerics) beside a Codacy key name",
        keywords: &["codacy"],
        pattern: concat!(r"(?-u)(?i:codacy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("CODACY_PROJECT_TOKEN=DWntRmehbpaf2lyWvI5muS3TapFRC1Pb", "DWntRmehbpaf2lyWvI5muS3TapFRC1Pb"),
            (r#"{"codacy_api_token":"tHNyHpEizivUaDWf2xUne5idO9hsjKRA"}"#, "tHNyHpEizivUaDWf2xUne5idO9hsjKRA"),
        ],
        counterexamples: &["CODACY_PROJECT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODACY_PROJECT_TOKEN=<your-codacy-key>", "CODACY_PROJECT_TOKEN=Kdua0Y3lnw8hRlyPgMr1X3MIZUDEKp4"],
        ..NAMED
    },
    Builtin {
        id: "snyk_token",
        provider: "snyk",
        description: "Snyk API token (UUID) beside a Snyk key name",
        keywords: &["snyk"],
        pattern: concat!(r"(?-u)(?i:snyk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"SNYK_TOKEN: "e311821f-8ce0-2bdb-a451-35da8b7251ca""#, "e311821f-8ce0-2bdb-a451-35da8b7251ca"),
            ("snyk_api_key = eb2245cd-ff50-ba2f-eaf1-f13ea187009f", "eb2245cd-ff50-ba2f-eaf1-f13ea187009f"),
        ],
        counterexamples: &["SNYK_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNYK_TOKEN=<your-snyk-key>", "SNYK_TOKEN=554e5023-8ca6-0451-ca57-1d90ea2f251"],
        ..NAMED
    },
    Builtin {
        id: "dependency_track_api_key",
        provider: "dependency-track",
        description: "OWASP Dependency-Track API key (odt_ + 32 or more alphanumerics)",
        keywords: &["odt_"],
        pattern: prefixed!(r"odt_", r"[A-Za-z0-9_]{32,48}"),
        examples: &[
            ("env DEPENDENCY_TRACK_API_KEY=odt_QmeKLwN53afnnXM92dO19TnKDCsd2ePll ./deploy.sh", "odt_QmeKLwN53afnnXM92dO19TnKDCsd2ePll"),
            (r#"level=info msg="auth ok" key=odt_NQGJDc2ClDRP1atTj4GTgaV7ZRqcPara9m3iS"#, "odt_NQGJDc2ClDRP1atTj4GTgaV7ZRqcPara9m3iS"),
        ],
        counterexamples: &["odt_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like odt_1234567890", "odt_kQwUaDKLv0nXT5zPPO6aekY5YhHM2vF"],
        ..PREFIXED
    },
    Builtin {
        id: "dependency_track_legacy_key",
        provider: "dependency-track",
        description: "OWASP Dependency-Track API key without the odt_ prefix (32 alphanumerics) beside a Dependency-Track key name",
        keywords: &["dependency_track", "dependency-track", "dependencytrack", "dtrack"],
        pattern: concat!(r"(?-u)(?i:dependency[_-]?track|dtrack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"DEPENDENCY_TRACK_API_KEY":"ctk90dZmsUG070YpSHAQ3xRxG3rfQQgG"}"#, "ctk90dZmsUG070YpSHAQ3xRxG3rfQQgG"),
            ("dtrack_api_key=onaYuGuTVF4NKzf9S7KCR6Be5UZA43sP", "onaYuGuTVF4NKzf9S7KCR6Be5UZA43sP"),
        ],
        counterexamples: &["DEPENDENCY_TRACK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEPENDENCY_TRACK_API_KEY=<your-dependency-track-key>", "DEPENDENCY_TRACK_API_KEY=399MteXPptNFwMpgIo72VfbnCIZlZUs"],
        ..NAMED
    },
    Builtin {
        id: "teamcity_token",
        provider: "teamcity",
        description: "TeamCity access token (eyJ0eXAiOiAiVENWMiJ9 header + . + secret)",
        keywords: &["eyJ0eXAiOiAiVENWMiJ9."],
        pattern: prefixed!(r"eyJ0eXAiOiAiVENWMiJ9\.", r"[A-Za-z0-9_-]{36,60}"),
        examples: &[
            ("  teamcity_token: eyJ0eXAiOiAiVENWMiJ9.gURskgSr9IoPAaP3FAO5uIS0CyiK1ZlDiE6jy-4nMD", "eyJ0eXAiOiAiVENWMiJ9.gURskgSr9IoPAaP3FAO5uIS0CyiK1ZlDiE6jy-4nMD"),
            ("export TEAMCITY_TOKEN=eyJ0eXAiOiAiVENWMiJ9.EfXf9Qq6ODlldM5fnMUq-fOB1N0OWSOGzX7Ob8P", "eyJ0eXAiOiAiVENWMiJ9.EfXf9Qq6ODlldM5fnMUq-fOB1N0OWSOGzX7Ob8P"),
        ],
        counterexamples: &["eyJ0eXAiOiAiVENWMiJ9.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJ0eXAiOiAiVENWMiJ9.1234567890", "eyJ0eXAiOiAiVENWMiJ9.KQmiMsnQcq2u5t7TB1SORpIJ3deoLNfPgJd"],
        ..PREFIXED
    },
    Builtin {
        id: "jenkins_api_token",
        provider: "jenkins",
        description: "Jenkins API token (11 + 32 hex, or 32 to 34 hex) beside a Jenkins key name",
        keywords: &["jenkins"],
        pattern: concat!(r"(?-u)(?i:jenkins)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32,34})", end_url!()),
        examples: &[
            ("  JENKINS_API_TOKEN: 5c4f6a7f7c572a32d530fbaf8493726f", "5c4f6a7f7c572a32d530fbaf8493726f"),
            (r#"export jenkins_token="3cbf32316e9d5885af0de5df7f93b0bf8""#, "3cbf32316e9d5885af0de5df7f93b0bf8"),
        ],
        counterexamples: &["JENKINS_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "JENKINS_API_TOKEN=<your-jenkins-key>", "JENKINS_API_TOKEN=068143fe20228c2566eba63622c9850"],
        ..NAMED
    },
    Builtin {
        id: "gitea_token",
        provider: "gitea",
        description: "Gitea / Forgejo access token (40 hex) beside a Gitea key name",
        keywords: &["gitea"],
        pattern: concat!(r"(?-u)(?i:gitea)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("GITEA_TOKEN=57527441ce24077610336ece6b8ecfb89e65e672", "57527441ce24077610336ece6b8ecfb89e65e672"),
            (r#"{"gitea_access_token":"caa79b8aa51579312341d8cd8e3e2ea67f028ff4"}"#, "caa79b8aa51579312341d8cd8e3e2ea67f028ff4"),
        ],
        counterexamples: &["GITEA_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITEA_TOKEN=<your-gitea-key>", "GITEA_TOKEN=5a795aef512b4b2c2736a7de9700ee425672738"],
        ..NAMED
    },
    Builtin {
        id: "gitee_token",
        provider: "gitee",
        description: "Gitee access token (32 hex) beside a Gitee key name",
        keywords: &["gitee"],
        pattern: concat!(r"(?-u)(?i:gitee)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"GITEE_TOKEN: "31c6dc7ada4b4432578a285ece230db9""#, "31c6dc7ada4b4432578a285ece230db9"),
            ("gitee_access_token = b3ae8c6290c22f62b27cb3f264bcf826", "b3ae8c6290c22f62b27cb3f264bcf826"),
        ],
        counterexamples: &["GITEE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITEE_TOKEN=<your-gitee-key>", "GITEE_TOKEN=e20dab94ac98c7bee0efafea1d59512"],
        ..NAMED
    },
    Builtin {
        id: "bitbucket_client_secret",
        provider: "bitbucket",
        description: "Bitbucket OAuth consumer secret (32) beside a Bitbucket key name",
        keywords: &["bitbucket"],
        pattern: concat!(r"(?-u)(?i:bitbucket)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export BITBUCKET_CLIENT_SECRET="6IGeO2csQnGcHlATkzq0WONG8dBfBIv0""#, "6IGeO2csQnGcHlATkzq0WONG8dBfBIv0"),
            ("  bitbucket_secret: cNgtkjbJaNFzYknqr6AnZTLLeHsqd52o", "cNgtkjbJaNFzYknqr6AnZTLLeHsqd52o"),
        ],
        counterexamples: &["BITBUCKET_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITBUCKET_CLIENT_SECRET=<your-bitbucket-key>", "BITBUCKET_CLIENT_SECRET=V1IrkgmEwlZt6PoCMomiupavIdKhKnZ"],
        ..NAMED
    },
    Builtin {
        id: "github_oauth_secret",
        provider: "github",
        description: "GitHub OAuth / app client secret (40 hex) beside a GitHub secret name",
        keywords: &["github"],
        pattern: concat!(r"(?-u)(?i:github)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"{"GITHUB_CLIENT_SECRET":"d169f010e125cc513e1c14d24bf7e4c943583cfa"}"#, "d169f010e125cc513e1c14d24bf7e4c943583cfa"),
            ("github_oauth_secret=5a2ab0850dfb17f538e9114d63fce0446ab6a391", "5a2ab0850dfb17f538e9114d63fce0446ab6a391"),
        ],
        counterexamples: &["GITHUB_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITHUB_CLIENT_SECRET=<your-github-key>", "GITHUB_CLIENT_SECRET=abc6df30fb9d99bc8b08ec31f50038d2df09fa0"],
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
            (r#"level=info msg="auth ok" key=sgp_local_7ccb2397d445abc73f60c3b75620c1d15a44b637"#, "sgp_local_7ccb2397d445abc73f60c3b75620c1d15a44b637"),
            (r#"{"sourcegraph_dotcom_token": "sgph_2a52e0c8c4f8e09ed6e95a2c4cefba36c8d2d583", "region": "eu-west-1"}"#, "sgph_2a52e0c8c4f8e09ed6e95a2c4cefba36c8d2d583"),
        ],
        counterexamples: &["sgp_local_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sgp_local_1234567890", "sgp_local_44c669a8342daf4c89fee6ca5fa005063a56d3f"],
        ..PREFIXED
    },
    Builtin {
        id: "semgrep_app_token",
        provider: "semgrep",
        description: "Semgrep App token (64 hex) beside a Semgrep key name",
        keywords: &["semgrep"],
        pattern: concat!(r"(?-u)(?i:semgrep)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("SEMGREP_APP_TOKEN=dda8a7c44b77ed3ec529e5f716abeac8395427f07ead7257137961bbe6c421e8", "dda8a7c44b77ed3ec529e5f716abeac8395427f07ead7257137961bbe6c421e8"),
            (r#"{"semgrep_token":"b5d5ef908502703886b1f6fd1cf9c20d5ea096648362dc3673d6773f0b7175c9"}"#, "b5d5ef908502703886b1f6fd1cf9c20d5ea096648362dc3673d6773f0b7175c9"),
        ],
        counterexamples: &["SEMGREP_APP_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SEMGREP_APP_TOKEN=<your-semgrep-key>", "SEMGREP_APP_TOKEN=e0b61d69c5e4f6533273ea0ca313fbb5f48b62c08a1e550a637e9511b8b0c90"],
        ..NAMED
    },
    Builtin {
        id: "deepsource_token",
        provider: "deepsource",
        description: "DeepSource personal access token (dsp_ + 40 hex)",
        keywords: &["dsp_"],
        pattern: prefixed!(r"dsp_", r"[a-f0-9]{40}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG deepsource client configured token=dsp_a1949607cff87cf3d0498682aee4046d625d96f9", "dsp_a1949607cff87cf3d0498682aee4046d625d96f9"),
            ("Authorization: Bearer dsp_5656744645b648839e59bb0f75f5a38890fbc9e0", "dsp_5656744645b648839e59bb0f75f5a38890fbc9e0"),
        ],
        counterexamples: &["dsp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dsp_1234567890", "dsp_cfdbc76ff711152381a6a11c3e64b2d9d190cd9"],
        ..PREFIXED
    },
    Builtin {
        id: "bitrise_token",
        provider: "bitrise",
        description: "Bitrise personal access token (86) beside a Bitrise key name",
        keywords: &["bitrise"],
        pattern: concat!(r"(?-u)(?i:bitrise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{86})", end_url!()),
        examples: &[
            (r#"export BITRISE_TOKEN="wLaihaLessMgHvX8EuGxpHNnCKhANyqcZePnsx5r777TKWNEx87Ax5AsozQdrJd28av9B-Q7q-e9CDvPWjcjNb""#, "wLaihaLessMgHvX8EuGxpHNnCKhANyqcZePnsx5r777TKWNEx87Ax5AsozQdrJd28av9B-Q7q-e9CDvPWjcjNb"),
            ("  bitrise_access_token: 0WtC55k1tf2XRqhwB__iWSyGn8WbDRinhOzLwTV2nojn8Gd2RxsUH7R91oJNIsHAZwkZBbJNapGHcIY8cfgeYP", "0WtC55k1tf2XRqhwB__iWSyGn8WbDRinhOzLwTV2nojn8Gd2RxsUH7R91oJNIsHAZwkZBbJNapGHcIY8cfgeYP"),
        ],
        counterexamples: &["BITRISE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITRISE_TOKEN=<your-bitrise-key>", "BITRISE_TOKEN=uBL3yZzVC8RXCG2W5LE1dF5ZTIwA1zwBQgDx1lE9y0pYA3PnEV0cJNPiB6hL5t9aMs2S7oZvyo369L-W9tnvy"],
        ..NAMED
    },
    Builtin {
        id: "semaphore_token",
        provider: "semaphore",
        description: "Semaphore CI API token (20) beside a Semaphore key name",
        keywords: &["semaphore"],
        pattern: concat!(r"(?-u)(?i:semaphore)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            (r#"{"SEMAPHORE_API_TOKEN":"w1ZPbckEMvgYkWE6uK71"}"#, "w1ZPbckEMvgYkWE6uK71"),
            ("semaphore_token=TzqEm1lBj2pOBi386Z9v", "TzqEm1lBj2pOBi386Z9v"),
        ],
        counterexamples: &["SEMAPHORE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SEMAPHORE_API_TOKEN=<your-semaphore-key>", "SEMAPHORE_API_TOKEN=3aBkT9HbeEtnG37jZdw"],
        ..NAMED
    },
    Builtin {
        id: "codefresh_token",
        provider: "codefresh",
        description: "Codefresh API key (24 hex . 32 hex) beside a Codefresh key name",
        keywords: &["codefresh"],
        pattern: concat!(r"(?-u)(?i:codefresh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{24}\.[a-f0-9]{32})", end_url!()),
        examples: &[
            ("CODEFRESH_API_KEY = 9b37fd7291025f158d235de4.d14fe61681909212eaabcfd80624f225", "9b37fd7291025f158d235de4.d14fe61681909212eaabcfd80624f225"),
            (r#"codefresh_token: "f4c7654a33534ba1687b02ec.eed594e83dedaf7e2dc19cd1344019ec""#, "f4c7654a33534ba1687b02ec.eed594e83dedaf7e2dc19cd1344019ec"),
        ],
        counterexamples: &["CODEFRESH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CODEFRESH_API_KEY=<your-codefresh-key>", "CODEFRESH_API_KEY=ad832786d94c24accfc41816.f4d6a205e5498e2a05363323c0db8e6"],
        ..NAMED
    },
    Builtin {
        id: "appveyor_token",
        provider: "appveyor",
        description: "AppVeyor API token (v2. + 20, or 20) beside an AppVeyor key name",
        keywords: &["appveyor"],
        pattern: concat!(r"(?-u)(?i:appveyor)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>v2\.[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("  APPVEYOR_API_TOKEN: v2.Mab9KTjwzLm002fwIvqF", "v2.Mab9KTjwzLm002fwIvqF"),
            (r#"export appveyor_token="v2.MRhDJuzH0EWsZxfMKQ2F""#, "v2.MRhDJuzH0EWsZxfMKQ2F"),
        ],
        counterexamples: &["APPVEYOR_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APPVEYOR_API_TOKEN=<your-appveyor-key>", "APPVEYOR_API_TOKEN=v2.XuRCCqCS1aoqF9kNk16"],
        ..NAMED
    },
    Builtin {
        id: "browserstack_access_key",
        provider: "browserstack",
        description: "BrowserStack access key (20) beside a BrowserStack key name",
        keywords: &["browserstack"],
        pattern: concat!(r"(?-u)(?i:browserstack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("BROWSERSTACK_ACCESS_KEY=yfUehHum9BuuMngMpX5q", "yfUehHum9BuuMngMpX5q"),
            (r#"{"browserstack_key":"uqvZCLitzjsJZB45n1p1"}"#, "uqvZCLitzjsJZB45n1p1"),
        ],
        counterexamples: &["BROWSERSTACK_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BROWSERSTACK_ACCESS_KEY=<your-browserstack-key>", "BROWSERSTACK_ACCESS_KEY=LmV9niuGoJcvktglYiP"],
        ..NAMED
    },
    Builtin {
        id: "saucelabs_access_key",
        provider: "saucelabs",
        description: "Sauce Labs access key (UUID) beside a Sauce key name",
        keywords: &["sauce"],
        pattern: concat!(r"(?-u)(?i:sauce(?:labs)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"SAUCE_ACCESS_KEY: "4b65fadf-f89a-f553-34ca-b417b0ab7fa2""#, "4b65fadf-f89a-f553-34ca-b417b0ab7fa2"),
            ("saucelabs_key = ee0be8a3-b119-b04d-7f75-bb8d8ec80787", "ee0be8a3-b119-b04d-7f75-bb8d8ec80787"),
        ],
        counterexamples: &["SAUCE_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SAUCE_ACCESS_KEY=<your-saucelabs-key>", "SAUCE_ACCESS_KEY=4110a49a-0c93-154e-f715-17d928e4f2d"],
        ..NAMED
    },
    Builtin {
        id: "lambdatest_access_key",
        provider: "lambdatest",
        description: "LambdaTest access key (50) beside a LambdaTest key name",
        keywords: &["lambdatest"],
        pattern: concat!(r"(?-u)(?i:lambdatest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"export LAMBDATEST_ACCESS_KEY="OsMSPtMhmSAWxdEUQumTQQnAlpz9QxzrPD9cWRc5BUvmDOQekA""#, "OsMSPtMhmSAWxdEUQumTQQnAlpz9QxzrPD9cWRc5BUvmDOQekA"),
            ("  lambdatest_key: LgKvdLvHcltI7NMmOdfpa9km15m5LckeaFC46ISHCNzlj2RLfK", "LgKvdLvHcltI7NMmOdfpa9km15m5LckeaFC46ISHCNzlj2RLfK"),
        ],
        counterexamples: &["LAMBDATEST_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LAMBDATEST_ACCESS_KEY=<your-lambdatest-key>", "LAMBDATEST_ACCESS_KEY=UAg9sqvTEz4dHptzNq3mV0VX2yASrUEHxMDXP4Br06lbROQUn"],
        ..NAMED
    },
    Builtin {
        id: "cypress_record_key",
        provider: "cypress",
        description: "Cypress Cloud record key (UUID) beside a Cypress key name",
        keywords: &["cypress"],
        pattern: concat!(r"(?-u)(?i:cypress)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"CYPRESS_RECORD_KEY":"4fedf1c0-683e-6dc7-326e-61cce19d79ce"}"#, "4fedf1c0-683e-6dc7-326e-61cce19d79ce"),
            ("cypress_key=7f8cc81b-7707-d669-58ab-688aa300944c", "7f8cc81b-7707-d669-58ab-688aa300944c"),
        ],
        counterexamples: &["CYPRESS_RECORD_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CYPRESS_RECORD_KEY=<your-cypress-key>", "CYPRESS_RECORD_KEY=c7b0cf70-051b-47b5-c7d5-2798775e172"],
        ..NAMED
    },
    Builtin {
        id: "percy_token",
        provider: "percy",
        description: "Percy project token (64 hex) beside a Percy key name",
        keywords: &["percy"],
        pattern: concat!(r"(?-u)(?i:percy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("PERCY_TOKEN = 19c26e6223f6f5572901405da108d68ad772b6eec197225f4d129075d489b8cf", "19c26e6223f6f5572901405da108d68ad772b6eec197225f4d129075d489b8cf"),
            (r#"percy_token: "0bc9ee65290736a68881598e7d9d299ee3fd46011138ca6c6213e9a9242b66dc""#, "0bc9ee65290736a68881598e7d9d299ee3fd46011138ca6c6213e9a9242b66dc"),
        ],
        counterexamples: &["PERCY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PERCY_TOKEN=<your-percy-key>", "PERCY_TOKEN=b7c9904cbd1f6729dce40869e1f1353be1f0cc98b1de51a771d9f1460177314"],
        ..NAMED
    },
    Builtin {
        id: "chromatic_token",
        provider: "chromatic",
        description: "Chromatic project token beside a Chromatic key name",
        keywords: &["chromatic"],
        pattern: concat!(r"(?-u)(?i:chromatic)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{12})", end_url!()),
        examples: &[
            ("  CHROMATIC_PROJECT_TOKEN: byr96bb6tfiq", "byr96bb6tfiq"),
            (r#"export chromatic_token="kdzokj3u62w0""#, "kdzokj3u62w0"),
        ],
        counterexamples: &["CHROMATIC_PROJECT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHROMATIC_PROJECT_TOKEN=<your-chromatic-key>", "CHROMATIC_PROJECT_TOKEN=e6b2f82s8tu"],
        ..NAMED
    },
    Builtin {
        id: "gitguardian_api_key",
        provider: "gitguardian",
        description: "GitGuardian API key (71) beside a GitGuardian key name",
        keywords: &["gitguardian"],
        pattern: concat!(r"(?-u)(?i:gitguardian)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{71})", end_url!()),
        examples: &[
            ("GITGUARDIAN_API_KEY=5bhzkfA9BwvtGwFhmPSDKy714LIZa1Mv8VmAFMaYQOhQnXGmG11JhqnEtnh8ONL1QBoa6xe", "5bhzkfA9BwvtGwFhmPSDKy714LIZa1Mv8VmAFMaYQOhQnXGmG11JhqnEtnh8ONL1QBoa6xe"),
            (r#"{"gitguardian_token":"QbxOV6GIwdiOWlS5cBfi1YP936iajPXsud05iUJFoUb1PAEG5rty4hYPQ90HbrvNhCa1Ys6"}"#, "QbxOV6GIwdiOWlS5cBfi1YP936iajPXsud05iUJFoUb1PAEG5rty4hYPQ90HbrvNhCa1Ys6"),
        ],
        counterexamples: &["GITGUARDIAN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GITGUARDIAN_API_KEY=<your-gitguardian-key>", "GITGUARDIAN_API_KEY=QIgSlUUKWNCO41D8JuxzW1HYcY3ZS1dX5Q0O16hcSiQ7u6bqT5R8xxjwkz7ifwieP7UXLk"],
        ..NAMED
    },
    Builtin {
        id: "depot_token",
        provider: "depot",
        description: "Depot project / user token beside a Depot key name",
        keywords: &["depot"],
        pattern: concat!(r"(?-u)(?i:depot)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            (r#"DEPOT_TOKEN: "ROyLRQpaZTyFtQW3mImuZolWKctRiA_UIESmr9TVzcc""#, "ROyLRQpaZTyFtQW3mImuZolWKctRiA_UIESmr9TVzcc"),
            ("depot_api_token = LM6evwvWi99w4wASAGFHMWXKFTr1rPCjyYeiWR313NvMlWz9s9", "LM6evwvWi99w4wASAGFHMWXKFTr1rPCjyYeiWR313NvMlWz9s9"),
        ],
        counterexamples: &["DEPOT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEPOT_TOKEN=<your-depot-key>", "DEPOT_TOKEN=f14KbHdBcx63Uckh_DIXSGxTZOWvRIoA7PBYxXU"],
        ..NAMED
    },
    Builtin {
        id: "spacelift_key",
        provider: "spacelift",
        description: "Spacelift API key secret beside a Spacelift key name",
        keywords: &["spacelift"],
        pattern: concat!(r"(?-u)(?i:spacelift)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export SPACELIFT_API_KEY_SECRET="65d9211a5ee8013d3ab7b870e0bb1a746bb1cc9016468cbdea80ddeeca2607ea""#, "65d9211a5ee8013d3ab7b870e0bb1a746bb1cc9016468cbdea80ddeeca2607ea"),
            ("  spacelift_secret: 6d9e015a0a52b1da9fee521b186d03d0583ea67fab1beb507199bc8b0b830c39", "6d9e015a0a52b1da9fee521b186d03d0583ea67fab1beb507199bc8b0b830c39"),
        ],
        counterexamples: &["SPACELIFT_API_KEY_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPACELIFT_API_KEY_SECRET=<your-spacelift-key>", "SPACELIFT_API_KEY_SECRET=e1714c6be99b64724525a161f710cded63e9047104edcd4630351197b9d4259"],
        ..NAMED
    },
    Builtin {
        id: "env0_key",
        provider: "env0",
        description: "env0 API key secret beside an env0 key name",
        keywords: &["env0"],
        pattern: concat!(r"(?-u)(?i:env0)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ENV0_API_SECRET":"enl7ThoFRZGOTPP8VGfsZBbpAnOD37q7"}"#, "enl7ThoFRZGOTPP8VGfsZBbpAnOD37q7"),
            ("env0_api_key=9LCY8lERbUM5Kd14Pp7JuiWK49EkcaWp", "9LCY8lERbUM5Kd14Pp7JuiWK49EkcaWp"),
        ],
        counterexamples: &["ENV0_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ENV0_API_SECRET=<your-env0-key>", "ENV0_API_SECRET=RJDKAcg7ehaQ3Eq5tBlPswR2Q6h2w24"],
        ..NAMED
    },
    Builtin {
        id: "kong_konnect_token",
        provider: "kong",
        description: "Kong Konnect personal (kpat_) and system (spat_) access tokens",
        keywords: &["kpat_", "spat_"],
        pattern: prefixed!(r"(?:kpat_|spat_)", r"[A-Za-z0-9]{49}"),
        examples: &[
            ("docker run -e KONG_KONNECT_TOKEN=kpat_ZDQvfxeZnQ9OallfhyziD3wVPH4e6gZHTUUPG0YyxG0LhahEJ app:latest", "kpat_ZDQvfxeZnQ9OallfhyziD3wVPH4e6gZHTUUPG0YyxG0LhahEJ"),
            ("curl -s -H 'Authorization: Bearer spat_UyulAkru5ZphSVfhLie813ZzsGGfUFfmROBtrEoYuXvNg4sxm' https://api.example.net/v1/me", "spat_UyulAkru5ZphSVfhLie813ZzsGGfUFfmROBtrEoYuXvNg4sxm"),
        ],
        counterexamples: &["kpat_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like kpat_1234567890", "kpat_Q7wxgFtJBrYxgGwMYubkzaCnfX4GB9r5nGnHmCSK6VMqh6l0"],
        ..PREFIXED
    },
];
