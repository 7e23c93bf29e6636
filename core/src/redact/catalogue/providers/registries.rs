//! Package and container registries.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "npm_token",
        provider: "npm",
        description: "npm access token (npm_ + 36, CRC32/base62 checksum verified)",
        keywords: &["npm_"],
        pattern: r"(?-u)(?P<token>npm_(?P<secret>[A-Za-z0-9]{36}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("//registry.npmjs.org/:_authToken=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", "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"),
            ("NPM_TOKEN=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", "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"),
        ],
        counterexamples: &[
            "npm_PGg36SmMTBBZJmhwPGBYa8kRaDS5as0yxZ1",
            "npm_config_cache=/tmp/npmcache1234567890abcdefghijk",
        ],
    },
    Builtin {
        id: "pypi_token",
        provider: "pypi",
        description: "PyPI API token (pypi- + base64url macaroon whose head names pypi.org or test.pypi.org)",
        keywords: &["pypi-Ag"],
        pattern: concat!(r"(?-u)(?P<token>pypi-(?P<secret>Ag[A-Za-z0-9_-]{60,800}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCJDQxblRTMjdLbHFUS2RBOE5oUHpySlBibjhvSEVBQXVQRjBMWACjx6aqNQeAI_UakL2GIid5uRRY8tOaEQuoEj9P5gEWsewEVpo-3CQXC3X48lFnHZ2f3pI0q3wIUkQyiQ4mHeVPyLXFma1Js6u1eJviVf8EXqd5ebguv6heh_I", "pypi-AgEIcHlwaS5vcmcCJDQxblRTMjdLbHFUS2RBOE5oUHpySlBibjhvSEVBQXVQRjBMWACjx6aqNQeAI_UakL2GIid5uRRY8tOaEQuoEj9P5gEWsewEVpo-3CQXC3X48lFnHZ2f3pI0q3wIUkQyiQ4mHeVPyLXFma1Js6u1eJviVf8EXqd5ebguv6heh_I"),
            ("password = pypi-AgENdGVzdC5weXBpLm9yZwIkV3ZoQ2NBaUloWDN6Y2hYZWQ1c3J3RzdvQ1RnWWVWSW9sYzZKACM37eos1LEoPLnGJOw4iYRvJt8VUdk3tSuAKLyC-FFsS8SO6Q8UvFrv5lzlei9m_ZQjiMNTSTHRq8IsdobcMyVGY_aLWILmju_dNckldNeu4nNyGaWz0EASgg", "pypi-AgENdGVzdC5weXBpLm9yZwIkV3ZoQ2NBaUloWDN6Y2hYZWQ1c3J3RzdvQ1RnWWVWSW9sYzZKACM37eos1LEoPLnGJOw4iYRvJt8VUdk3tSuAKLyC-FFsS8SO6Q8UvFrv5lzlei9m_ZQjiMNTSTHRq8IsdobcMyVGY_aLWILmju_dNckldNeu4nNyGaWz0EASgg"),
        ],
        counterexamples: &[
            "pypi-AgEIcHlwaS5vcmc",
        ],
    },
    Builtin {
        id: "docker_hub_pat",
        provider: "docker",
        description: "Docker Hub personal (dckr_pat_) and organisation (dckr_oat_) access tokens",
        keywords: &["dckr_pat_", "dckr_oat_"],
        pattern: concat!(r"(?-u)(?P<token>dckr_(?:pat|oat)_(?P<secret>[A-Za-z0-9_-]{24,64}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("docker login -u ci -p dckr_pat_WJsTdVYZtNFAwdpkdyHc_hdLQBU", "dckr_pat_WJsTdVYZtNFAwdpkdyHc_hdLQBU"),
            ("DOCKER_PAT=dckr_pat_i8humh0TATOQRuNqbNTRraA4TO_ end", "dckr_pat_i8humh0TATOQRuNqbNTRraA4TO_"),
        ],
        counterexamples: &["dckr_pat_short", "dckr_pat_ prefix"],
    },
    Builtin {
        id: "gem_host_api_key",
        provider: "rubygems",
        description: "RubyGems API key (rubygems_ + 48 hex)",
        keywords: &["rubygems_"],
        pattern: r"(?-u)(?P<token>rubygems_(?P<secret>[a-f0-9]{48}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("GEM_HOST_API_KEY=rubygems_e01f48e91e9d21b5b9f3cd222405a9ad5e7727ec42b5ac9a", "rubygems_e01f48e91e9d21b5b9f3cd222405a9ad5e7727ec42b5ac9a")],
        counterexamples: &["rubygems_e01f48e91e9d21b5b9f3cd222405a9ad5e7727ec42b5ac9", "rubygems_org"],
    },
    Builtin {
        id: "nuget_api_key",
        provider: "nuget",
        description: "NuGet.org API key (oy2 + 43)",
        keywords: &["oy2"],
        pattern: r"(?-u)(?P<secret>oy2[a-z0-9]{43})\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("dotnet nuget push -k oy220tene706cauk5kybvyqkgihv3pl56kfjuqzqahtb99", "oy220tene706cauk5kybvyqkgihv3pl56kfjuqzqahtb99")],
        counterexamples: &["oy220tene706cauk5kybvyqkgihv3pl56kfjuqzqahtb9", "oy2 is a prefix"],
    },
    Builtin {
        id: "clojars_token",
        provider: "clojars",
        description: "Clojars deploy token (CLOJARS_ + 60)",
        keywords: &["CLOJARS_"],
        pattern: r"(?-u)(?P<token>CLOJARS_(?P<secret>[a-z0-9]{60}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("deploy token: CLOJARS_c507g41t5nrq4gu0ezksyzvva7gn9lus95ambcfyl45x35hfzer9v47hywva", "CLOJARS_c507g41t5nrq4gu0ezksyzvva7gn9lus95ambcfyl45x35hfzer9v47hywva")],
        counterexamples: &["CLOJARS_USERNAME=me"],
    },
    Builtin {
        id: "crates_io_token",
        provider: "crates.io",
        description: "crates.io API token (cio + 32 alphanumerics)",
        keywords: &["cio"],
        pattern: prefixed!(r"cio", r"[A-Za-z0-9]{32}"),
        examples: &[
            (r#"[registry]
token = "ciohuoRzfUZ3aaSwcuhY4Khs7rB7ShrCfP7""#, "ciohuoRzfUZ3aaSwcuhY4Khs7rB7ShrCfP7"),
            ("CARGO_REGISTRY_TOKEN=cioAz3PWOJUvtqSb52KFHJbsqURcP9SCKZI", "cioAz3PWOJUvtqSb52KFHJbsqURcP9SCKZI"),
        ],
        counterexamples: &["cioxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cio1234567890", "cioLjVJIeKNcLsFrCN1e4F9DGuxaK78cCg"],
        ..PREFIXED
    },
    Builtin {
        id: "jfrog_reference_token",
        provider: "jfrog",
        description: "JFrog reference token (base64 of reftkn:01:...)",
        keywords: &["cmVmdGtuOjAxOj"],
        pattern: prefixed!(r"cmVmdGtuOjAxOj", r"[A-Za-z0-9]{50,64}"),
        examples: &[
            (r#"jfrog_reference_token = "cmVmdGtuOjAxOjuj78vaMHRRZ0AqupHp1pevWuDCWV6TfFuhLkHZ8dmxlJihnCwydC2""#, "cmVmdGtuOjAxOjuj78vaMHRRZ0AqupHp1pevWuDCWV6TfFuhLkHZ8dmxlJihnCwydC2"),
            ("2024-06-11T08:14:52Z DEBUG jfrog client configured token=cmVmdGtuOjAxOj8ZIwGH10LLhYKRzyUijxTtzRQZkid2xoTXSCilZPBb1MIuAXA0D7HQ2Bux", "cmVmdGtuOjAxOj8ZIwGH10LLhYKRzyUijxTtzRQZkid2xoTXSCilZPBb1MIuAXA0D7HQ2Bux"),
        ],
        counterexamples: &["cmVmdGtuOjAxOjxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like cmVmdGtuOjAxOj1234567890", "cmVmdGtuOjAxOjTvK0UeurwIelvGlvA09FurIhcKZe6n1nUbidSb8ju8abpedYf"],
        ..PREFIXED
    },
    Builtin {
        id: "jfrog_api_key",
        provider: "jfrog",
        description: "JFrog Artifactory API key (AKCp + 69 alphanumerics)",
        keywords: &["AKCp"],
        pattern: prefixed!(r"AKCp", r"[A-Za-z0-9]{69}"),
        examples: &[
            ("  jfrog_api_key: AKCpl3XCyYsJ14AmY2na2alBTvqXMCWlToTzWE0rsgddg3ZhHLHxRDjVIPaSOoAEqx25GFHn3", "AKCpl3XCyYsJ14AmY2na2alBTvqXMCWlToTzWE0rsgddg3ZhHLHxRDjVIPaSOoAEqx25GFHn3"),
            (r#"level=info msg="auth ok" key=AKCpgWXOyKuTHJ79ayP4wEO1v11XgHyf9phByzdCcNh0yA5ctSFaIs4ozRZHVzEw2XO6TpXXO"#, "AKCpgWXOyKuTHJ79ayP4wEO1v11XgHyf9phByzdCcNh0yA5ctSFaIs4ozRZHVzEw2XO6TpXXO"),
        ],
        counterexamples: &["AKCpxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like AKCp1234567890", "AKCpbMLiBCf5OfvbuvndhsKCpAWjz7ExtsEaJBGc45trFMY0on5L5pN8oHgvDcaAtvLjZL6Q"],
        ..PREFIXED
    },
    Builtin {
        id: "sidekiq_gem_credentials_url",
        provider: "contribsys",
        description: "Sidekiq Pro / Enterprise credentials in a gems.contribsys.com source URL (8 hex user : 8 hex password)",
        keywords: &["@gems.contribsys.com"],
        pattern: r"(?-u)https?://(?P<secret>[a-f0-9]{8}:[a-f0-9]{8})@gems\.contribsys\.com\b",
        examples: &[
            (r#"source "https://4c2e9a1f:8d07b35e@gems.contribsys.com/" do"#, "4c2e9a1f:8d07b35e"),
            ("gem install sidekiq-ent --source https://e5a17c90:31fb2d6a@gems.contribsys.com/", "e5a17c90:31fb2d6a"),
        ],
        counterexamples: &[r#"source "https://xxxxxxxx:xxxxxxxx@gems.contribsys.com/""#, r#"source "https://user:pass@gems.contribsys.com/""#, "https://4c2e9a1f@gems.contribsys.com/"],
        ..PREFIXED
    },
    Builtin {
        id: "sidekiq_bundle_credentials",
        provider: "contribsys",
        description: "Sidekiq Pro / Enterprise credentials in BUNDLE_GEMS__CONTRIBSYS__COM (8 hex user : 8 hex password)",
        keywords: &["BUNDLE_GEMS__CONTRIBSYS__COM", "gems.contribsys.com"],
        pattern: concat!(r#"(?-u)(?:BUNDLE_GEMS__CONTRIBSYS__COM|(?i:bundle\s+config\s+(?:set\s+)?(?:--global\s+)?gems\.contribsys\.com))["']?\s{0,4}[=:\s]\s{0,4}["']?(?P<secret>[a-f0-9]{8}:[a-f0-9]{8})"#, end_url!()),
        examples: &[
            ("BUNDLE_GEMS__CONTRIBSYS__COM=3f9a0c1e:7b24d86f", "3f9a0c1e:7b24d86f"),
            ("bundle config --global gems.contribsys.com 9e1d4b7a:c03f58e2", "9e1d4b7a:c03f58e2"),
            (r#"  BUNDLE_GEMS__CONTRIBSYS__COM: "a81c3e5f:2d9b7460""#, "a81c3e5f:2d9b7460"),
        ],
        counterexamples: &["BUNDLE_GEMS__CONTRIBSYS__COM=xxxxxxxx:yyyyyyyy", "BUNDLE_GEMS__CONTRIBSYS__COM=${SIDEKIQ_CREDS}", "BUNDLE_GEMS__CONTRIBSYS__COM=3f9a0c1e"],
        ..PREFIXED
    },
    Builtin {
        id: "docker_org_access_token",
        provider: "docker",
        description: "Docker Hub organisation access token (dckr_oat_ + 32)",
        keywords: &["dckr_oat_"],
        pattern: prefixed!(r"dckr_oat_", r"[A-Za-z0-9_-]{32}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG docker client configured token=dckr_oat_e4S6WBGjcHSeYQKRhJEOl0N0Wx_x_Ooz", "dckr_oat_e4S6WBGjcHSeYQKRhJEOl0N0Wx_x_Ooz"),
            ("curl -s -H 'Authorization: Bearer dckr_oat_XXOyDIMrXr07ymEzWB0xFaz8KN-5yGw5' https://api.example.net/v1/me", "dckr_oat_XXOyDIMrXr07ymEzWB0xFaz8KN-5yGw5"),
        ],
        counterexamples: &["dckr_oat_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like dckr_oat_1234567890", "dckr_oat_jK8YHq9st_rc7VUaEi3hbFtzpd9z6WM"],
        ..PREFIXED
    },
    Builtin {
        id: "cloudsmith_api_key",
        provider: "cloudsmith",
        description: "Cloudsmith API key (40 hex beside a Cloudsmith key name)",
        keywords: &["cloudsmith"],
        pattern: concat!(r"(?-u)(?i:cloudsmith)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"CLOUDSMITH_API_KEY: "325de566aa991ed452f0f0278894489f99ab7fea""#, "325de566aa991ed452f0f0278894489f99ab7fea"),
            ("cloudsmith_token = c86e4b1d5d8ebb3ef462e3dbdb7f660fe8872922", "c86e4b1d5d8ebb3ef462e3dbdb7f660fe8872922"),
        ],
        counterexamples: &["CLOUDSMITH_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLOUDSMITH_API_KEY=<your-cloudsmith-key>", "CLOUDSMITH_API_KEY=38676f59c364d22a825a153624c8e41428f6821"],
        ..NAMED
    },
    Builtin {
        id: "gemfury_token",
        provider: "gemfury",
        description: "Gemfury push / deploy token beside a Gemfury or fury key name",
        keywords: &["fury"],
        pattern: concat!(r"(?-u)(?i:gemfury|fury)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20,40})", end_url!()),
        examples: &[
            (r#"export GEMFURY_TOKEN="OU83LIuEOplJTqojCxhiQhh""#, "OU83LIuEOplJTqojCxhiQhh"),
            ("  FURY_AUTH: NhZYz0J5wCzB7VqjRmPWkzTaG", "NhZYz0J5wCzB7VqjRmPWkzTaG"),
        ],
        counterexamples: &["GEMFURY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GEMFURY_TOKEN=<your-gemfury-key>", "GEMFURY_TOKEN=K1p5ywtAfXTN9KKWmot"],
        ..NAMED
    },
    Builtin {
        id: "packagist_token",
        provider: "packagist",
        description: "Private Packagist / packagist.com token beside a Packagist key name",
        keywords: &["packagist"],
        pattern: concat!(r"(?-u)(?i:packagist)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40,64})", end_url!()),
        examples: &[
            (r#"{"PACKAGIST_TOKEN":"ceed362e6c5549d580badc704221c041c060e00832de"}"#, "ceed362e6c5549d580badc704221c041c060e00832de"),
            ("packagist_api_token=ebd9a22a7f9861c4802f38feed721a0e5c308b9a4b643d5", "ebd9a22a7f9861c4802f38feed721a0e5c308b9a4b643d5"),
        ],
        counterexamples: &["PACKAGIST_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PACKAGIST_TOKEN=<your-packagist-key>", "PACKAGIST_TOKEN=569c0aaee5faea5e8965490f3e935f84921d031"],
        ..NAMED
    },
    Builtin {
        id: "anaconda_token",
        provider: "anaconda",
        description: "Anaconda.org API token beside an Anaconda key name",
        keywords: &["anaconda"],
        pattern: concat!(r"(?-u)(?i:anaconda)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{30,40})", end_url!()),
        examples: &[
            ("ANACONDA_API_TOKEN = QFoZFZd_8cFh59LX8GOSEkcuO4bSjjQypWQw9ER", "QFoZFZd_8cFh59LX8GOSEkcuO4bSjjQypWQw9ER"),
            (r#"anaconda_token: "ye7_7xkY7HfiKg6K8XqQS1Ik7FXUBgt539epb""#, "ye7_7xkY7HfiKg6K8XqQS1Ik7FXUBgt539epb"),
        ],
        counterexamples: &["ANACONDA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ANACONDA_API_TOKEN=<your-anaconda-key>", "ANACONDA_API_TOKEN=WCzaqFzvxiREySuOl1d3NDQHrV2ft"],
        ..NAMED
    },
];
