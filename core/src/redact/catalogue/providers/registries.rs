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
];
