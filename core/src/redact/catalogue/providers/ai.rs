//! AI model providers and ML platforms.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "openai_api_key",
        provider: "openai",
        description: "OpenAI API key: project sk-proj-, service account sk-svcacct-, and legacy sk-...T3BlbkFJ...",
        keywords: &["T3BlbkFJ", "sk-proj-", "sk-svcacct-", "sk-None-"],
        pattern: concat!(
            r"(?-u)(?P<token>sk-(?P<secret>(?:proj|svcacct|None)-[A-Za-z0-9_-]{40,250}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}))",
            end_url!()
        ),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("OPENAI_API_KEY=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", "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"),
            ("Bearer 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", "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"),
            ("key 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", "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"),
        ],
        counterexamples: &["sk-3z71nyyYdnAwplYJZkEnT3BlbkFJznMDWtECFORl3FnIyAe", "sk-proj-short", "the sk-proj- prefix"],
    },
    Builtin {
        id: "openai_admin_key",
        provider: "openai",
        description: "OpenAI admin key (sk-admin-)",
        keywords: &["sk-admin-"],
        pattern: concat!(r"(?-u)(?P<token>sk-admin-(?P<secret>[A-Za-z0-9_-]{40,250}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("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", "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"),
        ],
        counterexamples: &["sk-admin-short"],
    },
    Builtin {
        id: "anthropic_api_key",
        provider: "anthropic",
        description: "Anthropic API key (sk-ant-api03-) and OAuth tokens (sk-ant-oat01-, sk-ant-ort01-)",
        keywords: &["sk-ant-"],
        // From 24 characters on: a key cut short in a log or a chat (`sk-ant-api03-Fm-Dt...`)
        // has leaked that much of itself.
        pattern: concat!(r"(?-u)(?P<token>sk-ant-(?:api|oat|ort|sid)[0-9]{2}-(?P<secret>[A-Za-z0-9_-]{24,120}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("x-api-key: sk-ant-api03-2z_JEjn4_Ej-hitUwmQeSCKp1xXd7_jlAOz3WbROJAAxqv7fqJoHSTNzbiAUN0zsjI2V0J6rpmS1E-pKpKk6C9Xz0C5iUAA", "sk-ant-api03-2z_JEjn4_Ej-hitUwmQeSCKp1xXd7_jlAOz3WbROJAAxqv7fqJoHSTNzbiAUN0zsjI2V0J6rpmS1E-pKpKk6C9Xz0C5iUAA"),
        ],
        counterexamples: &["sk-ant-api03-short", "sk-ant-api03-"],
    },
    Builtin {
        id: "anthropic_admin_key",
        provider: "anthropic",
        description: "Anthropic admin API key (sk-ant-admin01-)",
        keywords: &["sk-ant-admin"],
        pattern: concat!(r"(?-u)(?P<token>sk-ant-admin[0-9]{2}-(?P<secret>[A-Za-z0-9_-]{80,120}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("ANTHROPIC_ADMIN_KEY=sk-ant-admin01-1QK4ILbFb0VqGX1JRnnm6AlUcVdSct8jUv7O9hCcY3Dohi7ZBA-VsYmkavG8p37tcVUdnS0omMpiEqlNLTFF07gB5vn6rAA", "sk-ant-admin01-1QK4ILbFb0VqGX1JRnnm6AlUcVdSct8jUv7O9hCcY3Dohi7ZBA-VsYmkavG8p37tcVUdnS0omMpiEqlNLTFF07gB5vn6rAA"),
        ],
        counterexamples: &["sk-ant-admin01-short"],
    },
    Builtin {
        id: "huggingface_token",
        provider: "huggingface",
        description: "Hugging Face user access token (hf_ + 34) and organisation token (api_org_ + 34)",
        keywords: &["hf_", "api_org_"],
        pattern: r"(?-u)(?P<token>(?:hf|api_org)_(?P<secret>[A-Za-z0-9]{34}))\b",
        validate: Some(bounded::mixed_case_letters),
        generic: false,
        examples: &[
            ("HF_TOKEN=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", "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"),
            ("token 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", "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"),
        ],
        counterexamples: &["hf_SuvZnESubCZYKsMGwoJoMNujPvYCBllLR", "hf_SuvZnESubCZYKsMGwoJoMNujPvYCBllLRWQ", "hf_abcdefghijklmnopqrstuvwxyzabcdefgh"],
    },
    Builtin {
        id: "replicate_api_token",
        provider: "replicate",
        description: "Replicate API token (r8_ + 37)",
        keywords: &["r8_"],
        pattern: r"(?-u)(?P<token>r8_(?P<secret>[A-Za-z0-9]{37}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("REPLICATE_API_TOKEN=r8_3NcmgI2RZeppNs1tDgQsf5gaLJbdtmtfUS9fP", "r8_3NcmgI2RZeppNs1tDgQsf5gaLJbdtmtfUS9fP")],
        counterexamples: &["r8_3NcmgI2RZeppNs1tDgQsf5gaLJbdtmtfUS9f"],
    },
    Builtin {
        id: "groq_api_key",
        provider: "groq",
        description: "Groq API key (gsk_ + 52)",
        keywords: &["gsk_"],
        pattern: r"(?-u)(?P<token>gsk_(?P<secret>[A-Za-z0-9]{52}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("GROQ_API_KEY=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", "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")],
        counterexamples: &["gsk_xzykytLqF8XdYLIeM1EfB9v20Gz3Cwavqyc3dvO9J0nBjqM1mwv"],
    },
    Builtin {
        id: "perplexity_api_key",
        provider: "perplexity",
        description: "Perplexity API key (pplx- + 48)",
        keywords: &["pplx-"],
        pattern: r"(?-u)(?P<token>pplx-(?P<secret>[A-Za-z0-9]{48}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("PPLX_API_KEY=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", "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")],
        counterexamples: &["pplx-short"],
    },
    Builtin {
        id: "xai_api_key",
        provider: "xai",
        description: "xAI API key (xai- + 80)",
        keywords: &["xai-"],
        pattern: r"(?-u)(?P<token>xai-(?P<secret>[A-Za-z0-9]{80}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("XAI_API_KEY=xai-yy8T4EfMsabIspdj6lCTlhvFO8rxekjnGVqLxlBb24ojmJE7SiQYqx0ja4RVmpnvh59lz08r7OvAYGld", "xai-yy8T4EfMsabIspdj6lCTlhvFO8rxekjnGVqLxlBb24ojmJE7SiQYqx0ja4RVmpnvh59lz08r7OvAYGld")],
        counterexamples: &["xai-short"],
    },
    Builtin {
        id: "openrouter_api_key",
        provider: "openrouter",
        description: "OpenRouter API key (sk-or-v1- + 64 hex)",
        keywords: &["sk-or-v1-"],
        pattern: prefixed!(r"sk-or-v1-", r"[a-f0-9]{64}"),
        examples: &[
            ("docker run -e OPENROUTER_API_KEY=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 app:latest", "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"),
            ("export OPENROUTER_API_KEY=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", "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"),
        ],
        counterexamples: &["sk-or-v1-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sk-or-v1-1234567890", "sk-or-v1-eff902831287ab4580dcf81f61821129204b8eecdb1a2a2cc1bf0bb81676644"],
        ..PREFIXED
    },
    Builtin {
        id: "langsmith_api_key",
        provider: "langchain",
        description: "LangSmith personal and service keys (lsv2_pt_ / lsv2_sk_ + 32 hex + _ + 10 hex)",
        keywords: &["lsv2_pt_", "lsv2_sk_"],
        pattern: prefixed!(r"(?:lsv2_pt_|lsv2_sk_)", r"[a-f0-9]{32}_[a-f0-9]{10}"),
        examples: &[
            ("  langsmith_api_key: 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", "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"),
            (r#"level=info msg="auth ok" key=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"#, "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"),
        ],
        counterexamples: &["lsv2_pt_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like lsv2_pt_1234567890", "lsv2_pt_a7c65dffe3084a138c9cb4f3339edecf_aae333583"],
        ..PREFIXED
    },
    Builtin {
        id: "pinecone_api_key",
        provider: "pinecone",
        description: "Pinecone API key (pcsk_ + key id + _ + secret)",
        keywords: &["pcsk_"],
        pattern: prefixed!(r"pcsk_", r"[A-Za-z0-9]{5,6}_[A-Za-z0-9]{60,70}"),
        examples: &[
            (r#"level=info msg="auth ok" key=pcsk_79ZL7N_y8gcJIac4gZltdj3zJ96YS3SoQrFHEIf1diQZj29YSsIml2B3fBwCI7pUHaHU"#, "pcsk_79ZL7N_y8gcJIac4gZltdj3zJ96YS3SoQrFHEIf1diQZj29YSsIml2B3fBwCI7pUHaHU"),
            (r#"{"pinecone_api_key": "pcsk_ZMr0Oa_0CQxOZgjh3dwLWSbA7yuHQhjt9ZAsK6INleRaCwjrbodSW9FJhmcwIB30DCuqVq46Mj5", "region": "eu-west-1"}"#, "pcsk_ZMr0Oa_0CQxOZgjh3dwLWSbA7yuHQhjt9ZAsK6INleRaCwjrbodSW9FJhmcwIB30DCuqVq46Mj5"),
        ],
        counterexamples: &["pcsk_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pcsk_1234567890", "pcsk_AEn5T_TorXo1wgHHTYSntISKJTfMS6jk41wiWgnM2bqVIxB7NIA4aTwSJqsUiJrqV"],
        ..PREFIXED
    },
    Builtin {
        id: "cerebras_api_key",
        provider: "cerebras",
        description: "Cerebras inference API key (csk- + 48 lower-case alphanumerics)",
        keywords: &["csk-"],
        pattern: prefixed!(r"csk-", r"[a-z0-9]{48}"),
        examples: &[
            ("export CEREBRAS_API_KEY=csk-7t2thvkv2s7l27dvyykrg034mlwmuyp82akkw8py75ykro6u", "csk-7t2thvkv2s7l27dvyykrg034mlwmuyp82akkw8py75ykro6u"),
            ("2024-06-11T08:14:52Z DEBUG cerebras client configured token=csk-madcirpli4gnaxbpf0ctyhc4csy3qed2ek31lvkyzcwrwbxh", "csk-madcirpli4gnaxbpf0ctyhc4csy3qed2ek31lvkyzcwrwbxh"),
        ],
        counterexamples: &["csk-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like csk-1234567890", "csk-2vr2f683dphwfgbkuxwsbd5jlguvvqzp8jubjiqsbj63day"],
        ..PREFIXED
    },
    Builtin {
        id: "nvidia_api_key",
        provider: "nvidia",
        description: "NVIDIA NGC / build.nvidia.com API key (nvapi- + 64)",
        keywords: &["nvapi-"],
        pattern: prefixed!(r"nvapi-", r"[A-Za-z0-9_-]{64}"),
        examples: &[
            ("Authorization: Bearer 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", "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"),
            ("docker run -e NVIDIA_API_KEY=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 app:latest", "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"),
        ],
        counterexamples: &["nvapi-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like nvapi-1234567890", "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"],
        ..PREFIXED
    },
    Builtin {
        id: "huggingface_org_token",
        provider: "huggingface",
        description: "Hugging Face legacy organisation API token (api_org_ + 34 letters)",
        keywords: &["api_org_"],
        pattern: prefixed!(r"api_org_", r"[A-Za-z]{34}"),
        validate: Some(bounded::mixed_case_letters),
        examples: &[
            (r#"huggingface_org_token = "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""#, "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"),
            ("Authorization: Bearer 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", "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"),
        ],
        counterexamples: &["api_org_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like api_org_1234567890", "api_org_yqFMzDYfQqnillnTpELuECcenQFmfFEMn"],
        ..PREFIXED
    },
    Builtin {
        id: "jina_api_key",
        provider: "jina",
        description: "Jina AI API key (jina_ + 60)",
        keywords: &["jina_"],
        pattern: prefixed!(r"jina_", r"[A-Za-z0-9_-]{60}"),
        examples: &[
            ("export JINA_API_KEY=jina_6iz6GB-DtQEHTDLbFs9BpIzgXobmd_BtFhfepJAhwv2x5UTzt8H7LkaBZ2wL", "jina_6iz6GB-DtQEHTDLbFs9BpIzgXobmd_BtFhfepJAhwv2x5UTzt8H7LkaBZ2wL"),
            ("Authorization: Bearer jina_7sMCEhcSGI_2DazOPbNam0qvSAY8FrgVy0x9QsEzvYX63YzufY7Z8HU3eYvb", "jina_7sMCEhcSGI_2DazOPbNam0qvSAY8FrgVy0x9QsEzvYX63YzufY7Z8HU3eYvb"),
        ],
        counterexamples: &["jina_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like jina_1234567890", "jina_8m_U2b-hhNqP4UF6LzvQ5AifTtlSEeidY5djUo-5uwconHLq76Ywo43-AXD"],
        ..PREFIXED
    },
    Builtin {
        id: "tavily_api_key",
        provider: "tavily",
        description: "Tavily search API key (tvly- + optional tier + 32 alphanumerics)",
        keywords: &["tvly-", "tvly-dev-", "tvly-prod-"],
        pattern: prefixed!(r"(?:tvly-|tvly-dev-|tvly-prod-)", r"[A-Za-z0-9]{32}"),
        examples: &[
            (r#"TAVILY_API_KEY="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""#, "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"),
            (r#"{"tavily_api_key": "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", "region": "eu-west-1"}"#, "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"),
        ],
        counterexamples: &["tvly-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tvly-1234567890", "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"],
        ..PREFIXED
    },
    Builtin {
        id: "firecrawl_api_key",
        provider: "firecrawl",
        description: "Firecrawl API key (fc- + 32 hex) in a line naming Firecrawl",
        keywords: &["firecrawl"],
        pattern: prefixed!(r"fc-", r"[a-f0-9]{32}"),
        examples: &[
            ("FIRECRAWL_API_KEY=fc-8d1944f97577380884d4ec9a5fe52aa5", "fc-8d1944f97577380884d4ec9a5fe52aa5"),
            (r#"app = FirecrawlApp(api_key="fc-c8007395ea971e8b1616e19034606bbf")"#, "fc-c8007395ea971e8b1616e19034606bbf"),
        ],
        counterexamples: &["fc-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fc-1234567890", "fc-2a7c46b010950cc4ddc1144f84002b1"],
        ..PREFIXED
    },
    Builtin {
        id: "e2b_api_key",
        provider: "e2b",
        description: "E2B sandbox API key (e2b_ + 40 hex)",
        keywords: &["e2b_"],
        pattern: prefixed!(r"e2b_", r"[a-f0-9]{40}"),
        examples: &[
            (r#"E2B_API_KEY="e2b_a1ae8bbca07cd444beb7421a9bee35b4be53e889""#, "e2b_a1ae8bbca07cd444beb7421a9bee35b4be53e889"),
            (r#"level=info msg="auth ok" key=e2b_56b1b1e533796e7adc4d9dd77f06cc3e0ea92b1e"#, "e2b_56b1b1e533796e7adc4d9dd77f06cc3e0ea92b1e"),
        ],
        counterexamples: &["e2b_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like e2b_1234567890", "e2b_f566bf51c4df6b3c692d23a67644b5645261954"],
        ..PREFIXED
    },
    Builtin {
        id: "browserbase_api_key",
        provider: "browserbase",
        description: "Browserbase API key (bb_live_ + 27)",
        keywords: &["bb_live_"],
        pattern: prefixed!(r"bb_live_", r"[A-Za-z0-9_-]{27}"),
        examples: &[
            ("  browserbase_api_key: bb_live_YXIxse6yONe22uR8CxkPpZFQbRw", "bb_live_YXIxse6yONe22uR8CxkPpZFQbRw"),
            ("export BROWSERBASE_API_KEY=bb_live_L11AoXVJPptMqVGK7y2X16odQmO", "bb_live_L11AoXVJPptMqVGK7y2X16odQmO"),
        ],
        counterexamples: &["bb_live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bb_live_1234567890", "bb_live_1hNa7S3LUgvhtp8MRPeU358kyf"],
        ..PREFIXED
    },
    Builtin {
        id: "bedrock_api_key",
        provider: "aws",
        description: "Amazon Bedrock long-term API key (ABSK + base64 of BedrockAPIKey-...)",
        keywords: &["ABSKQmVkcm9ja0FQSUtleS"],
        pattern: concat!(r#"(?-u)(?P<token>ABSK(?P<secret>QmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{60,200}))"#, end_b64!()),
        examples: &[
            ("Authorization: Bearer ABSKQmVkcm9ja0FQSUtleS3yK0DCZbcWQfPaiW7MX7SkAPgOQnIDRL/pbofSQWfWIJhdp9adtmEe4WUuoAoUX", "ABSKQmVkcm9ja0FQSUtleS3yK0DCZbcWQfPaiW7MX7SkAPgOQnIDRL/pbofSQWfWIJhdp9adtmEe4WUuoAoUX"),
            ("2024-06-11T08:14:52Z DEBUG aws client configured token=ABSKQmVkcm9ja0FQSUtleSALgzLhafCyhsxnTL6M8U8JYy8lYr5BkdL/dzdiLj/qvoh4Dz0JwvttGFe0aTYK+x", "ABSKQmVkcm9ja0FQSUtleSALgzLhafCyhsxnTL6M8U8JYy8lYr5BkdL/dzdiLj/qvoh4Dz0JwvttGFe0aTYK+x"),
        ],
        counterexamples: &["ABSKxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ABSK1234567890", "ABSKQmVkcm9ja0FQSUtleSt9V4RXdcC71QJ8vvQzhdlXLGKIUO+bQaTSH/CqbjrouKy0IIE4+4m53XHps"],
        ..PREFIXED
    },
    Builtin {
        id: "bedrock_short_term_key",
        provider: "aws",
        description: "Amazon Bedrock short-term API key (bedrock-api-key- + base64 of a presigned bedrock.amazonaws.com URL)",
        keywords: &["bedrock-api-key-"],
        pattern: concat!(r#"(?-u)(?P<token>bedrock-api-key-(?P<secret>YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/]{100,1500}))"#, end_b64!()),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG aws client configured token=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tbKor1aYvDMB2WWhL5Vib8aPXoeKEzXLYEGjxqfJ95v/oXdLq62XDsgFY6vT13pOOlyG5jxwOUUtsPruCTlY5nC9uRcsLKnh3sB9qFDZEV9", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tbKor1aYvDMB2WWhL5Vib8aPXoeKEzXLYEGjxqfJ95v/oXdLq62XDsgFY6vT13pOOlyG5jxwOUUtsPruCTlY5nC9uRcsLKnh3sB9qFDZEV9"),
            ("docker run -e BEDROCK_SHORT_TERM_KEY=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tgm/uAGaHmLa37M373+JMTRpCf0wFxS2ZKbuhVS/TxTP78GC+ZdS6CaYogEFmkubuvldgy6LEVEk6a9fV+3aN7/3cNcnhLs9TTZqBoKO app:latest", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tgm/uAGaHmLa37M373+JMTRpCf0wFxS2ZKbuhVS/TxTP78GC+ZdS6CaYogEFmkubuvldgy6LEVEk6a9fV+3aN7/3cNcnhLs9TTZqBoKO"),
        ],
        counterexamples: &["bedrock-api-key-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like bedrock-api-key-1234567890", "bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tIZsIdhNDiCxNZkiwSz9p7HWmgR9e3oSlgxFRTscPxIurEt0oO2BjjHwaumhpqCxb5+yAe6Mer5ytplmUlSVmCkW2/3KcrjYvYZ2"],
        ..PREFIXED
    },
    Builtin {
        id: "neptune_api_token",
        provider: "neptune",
        description: "neptune.ai API token (base64 JSON starting {\"api_address\":)",
        keywords: &["eyJhcGlfYWRkcmVzcyI6"],
        pattern: concat!(r#"(?-u)(?P<token>eyJhcGlfYWRkcmVzcyI6(?P<secret>[A-Za-z0-9+/]{60,400}))"#, end_b64!()),
        examples: &[
            ("  neptune_api_token: eyJhcGlfYWRkcmVzcyI652iB+rUTG2oyRPxK2oRQEbCzA41ltRqFbXOzVeeHnPTUDnrvNXooLzagUTfu7F", "eyJhcGlfYWRkcmVzcyI652iB+rUTG2oyRPxK2oRQEbCzA41ltRqFbXOzVeeHnPTUDnrvNXooLzagUTfu7F"),
            (r#"{"neptune_api_token": "eyJhcGlfYWRkcmVzcyI6qf59+vHnMmaPGDK2GHmdQRZ8FDEzvnr3GZMEF1V0cYRcvpcTs/ZLVn2OHoyQYs", "region": "eu-west-1"}"#, "eyJhcGlfYWRkcmVzcyI6qf59+vHnMmaPGDK2GHmdQRZ8FDEzvnr3GZMEF1V0cYRcvpcTs/ZLVn2OHoyQYs"),
        ],
        counterexamples: &["eyJhcGlfYWRkcmVzcyI6xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJhcGlfYWRkcmVzcyI61234567890", "eyJhcGlfYWRkcmVzcyI67/tdTnUf9rUV74OyVxM1uka7y7ildsS/5K+FvyxzDoIKFP+pUkydAVL5wN2"],
        ..PREFIXED
    },
    Builtin {
        id: "fireworks_api_key",
        provider: "fireworks",
        description: "Fireworks AI API key (fw_ + 24 alphanumerics)",
        keywords: &["fw_"],
        pattern: prefixed!(r"fw_", r"[A-Za-z0-9]{24}"),
        examples: &[
            (r#"level=info msg="auth ok" key=fw_8LlJU57NuUQjwGlok25GuCAq"#, "fw_8LlJU57NuUQjwGlok25GuCAq"),
            ("2024-06-11T08:14:52Z DEBUG fireworks client configured token=fw_2qVz8RBj7PARrzbN7sI5I6h8", "fw_2qVz8RBj7PARrzbN7sI5I6h8"),
        ],
        counterexamples: &["fw_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fw_1234567890", "fw_vVuzr7mXbTSxfyahHzfJre2"],
        ..PREFIXED
    },
    Builtin {
        id: "voyage_api_key",
        provider: "voyage",
        description: "Voyage AI API key (pa- + 43 beside a Voyage key name)",
        keywords: &["voyage"],
        pattern: concat!(r"(?-u)(?i:voyage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>pa-[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("VOYAGE_API_KEY = pa-Obi_9QOGY-5x4MRY3WINMVtMOfwIsfLK0YVcInURfas", "pa-Obi_9QOGY-5x4MRY3WINMVtMOfwIsfLK0YVcInURfas"),
            (r#"voyage_key: "pa-5Xw9KGV0oPDamcUV-zQHMd1luMpq05IQI6mjkVMueUp""#, "pa-5Xw9KGV0oPDamcUV-zQHMd1luMpq05IQI6mjkVMueUp"),
        ],
        counterexamples: &["VOYAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VOYAGE_API_KEY=<your-voyage-key>", "VOYAGE_API_KEY=pa-uXwMZ4NIEu2jHRpOQKAbkL_rF52ET5TrGkDDlSWmLn"],
        ..NAMED
    },
    Builtin {
        id: "cohere_api_key",
        provider: "cohere",
        description: "Cohere API key (40 alphanumerics beside a Cohere key name)",
        keywords: &["cohere"],
        pattern: concat!(r"(?-u)(?i:cohere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  COHERE_API_KEY: MdDnk5a6zbHZGdSNQG3AUWvGRtdF1eqPeQHu6iIB", "MdDnk5a6zbHZGdSNQG3AUWvGRtdF1eqPeQHu6iIB"),
            (r#"export cohere_token="54WQB111PEGXBUIWQAnNV65OAXIX8bnzcqErrAvI""#, "54WQB111PEGXBUIWQAnNV65OAXIX8bnzcqErrAvI"),
        ],
        counterexamples: &["COHERE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COHERE_API_KEY=<your-cohere-key>", "COHERE_API_KEY=LRl5Tj85gdngwDhZlYDPQe15mHcRvkhjwNVKmn7"],
        ..NAMED
    },
    Builtin {
        id: "mistral_api_key",
        provider: "mistral",
        description: "Mistral AI API key (32 alphanumerics beside a Mistral key name)",
        keywords: &["mistral"],
        pattern: concat!(r"(?-u)(?i:mistral)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("MISTRAL_API_KEY=wa7O0HmWHNqJNimcW1081xcDmw00shmK", "wa7O0HmWHNqJNimcW1081xcDmw00shmK"),
            (r#"{"mistral_key":"Ar5y2yOhHcUViqTropgI7JNNoYxDvWoC"}"#, "Ar5y2yOhHcUViqTropgI7JNNoYxDvWoC"),
        ],
        counterexamples: &["MISTRAL_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MISTRAL_API_KEY=<your-mistral-key>", "MISTRAL_API_KEY=GsWerrITg9k7v64j10cq7sXiH2jUTXx"],
        ..NAMED
    },
    Builtin {
        id: "deepseek_api_key",
        provider: "deepseek",
        description: "DeepSeek API key (sk- + 32 hex beside a DeepSeek key name)",
        keywords: &["deepseek"],
        pattern: concat!(r"(?-u)(?i:deepseek)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk-[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"DEEPSEEK_API_KEY: "sk-d3bfa74b4ddf93803c49c5a2c3897bf1""#, "sk-d3bfa74b4ddf93803c49c5a2c3897bf1"),
            ("deepseek_token = sk-d1a677b992b9b84e93229338f86052b6", "sk-d1a677b992b9b84e93229338f86052b6"),
        ],
        counterexamples: &["DEEPSEEK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEEPSEEK_API_KEY=<your-deepseek-key>", "DEEPSEEK_API_KEY=sk-213c25ca2712fb95afef686affd412e"],
        ..NAMED
    },
    Builtin {
        id: "moonshot_api_key",
        provider: "moonshot",
        description: "Moonshot / Kimi API key (sk- + 48 beside a Moonshot or Kimi key name)",
        keywords: &["moonshot", "kimi"],
        pattern: concat!(r"(?-u)(?i:moonshot|kimi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk-[A-Za-z0-9]{48})", end_url!()),
        examples: &[
            (r#"export MOONSHOT_API_KEY="sk-j8c7RJY9eCanTt1Ajtb1clG1jwNGW8YYwGfwWaw2VJVK5esf""#, "sk-j8c7RJY9eCanTt1Ajtb1clG1jwNGW8YYwGfwWaw2VJVK5esf"),
            ("  KIMI_API_KEY: sk-ppRtNf2SStjuU5PoRtrjzG7kE4psVx6B3Jp7exJ8jR9ai0Vh", "sk-ppRtNf2SStjuU5PoRtrjzG7kE4psVx6B3Jp7exJ8jR9ai0Vh"),
        ],
        counterexamples: &["MOONSHOT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MOONSHOT_API_KEY=<your-moonshot-key>", "MOONSHOT_API_KEY=sk-HP5JgCdxUBuchctSxXaGtaLaNELqi4aIUkxCMUotMZkjlde"],
        ..NAMED
    },
    Builtin {
        id: "dashscope_api_key",
        provider: "dashscope",
        description: "Alibaba DashScope / Qwen API key (sk- + 32 hex beside a DashScope key name)",
        keywords: &["dashscope"],
        pattern: concat!(r"(?-u)(?i:dashscope)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk-[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"DASHSCOPE_API_KEY":"sk-e54762c1d5659fd1647a7b256b7717b8"}"#, "sk-e54762c1d5659fd1647a7b256b7717b8"),
            ("dashscope_key=sk-5f363360665c015b0ca5e1fd0dae841e", "sk-5f363360665c015b0ca5e1fd0dae841e"),
        ],
        counterexamples: &["DASHSCOPE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DASHSCOPE_API_KEY=<your-dashscope-key>", "DASHSCOPE_API_KEY=sk-92096ff94583814246af0dbac864464"],
        ..NAMED
    },
    Builtin {
        id: "zhipu_api_key",
        provider: "zhipu",
        description: "Zhipu / BigModel API key (32 hex . 16 beside a Zhipu key name)",
        keywords: &["zhipu"],
        pattern: concat!(r"(?-u)(?i:zhipu)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32}\.[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            ("ZHIPUAI_API_KEY = ca0cd72db421f9f88e8c04acca50c2ac.qNX7OjsEwV9u9AfV", "ca0cd72db421f9f88e8c04acca50c2ac.qNX7OjsEwV9u9AfV"),
            (r#"zhipu_api_key: "10c7d5fd99c762c495f4193fb6b18b3d.nBLnVaR2f9oS6p9V""#, "10c7d5fd99c762c495f4193fb6b18b3d.nBLnVaR2f9oS6p9V"),
        ],
        counterexamples: &["ZHIPUAI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZHIPUAI_API_KEY=<your-zhipu-key>", "ZHIPUAI_API_KEY=586446be5e7bee66b359449f768649d3.r8c5Ad4TJxrviXU"],
        ..NAMED
    },
    Builtin {
        id: "siliconflow_api_key",
        provider: "siliconflow",
        description: "SiliconFlow API key (sk- + 48 lower-case letters beside a SiliconFlow key name)",
        keywords: &["siliconflow"],
        pattern: concat!(r"(?-u)(?i:siliconflow)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk-[a-z]{48})", end_url!()),
        validate: Some(high_entropy),
        examples: &[
            ("  SILICONFLOW_API_KEY: sk-daujlyyruxykxcvyjwzvtioljyegopugwskjcqryivsjfhlm", "sk-daujlyyruxykxcvyjwzvtioljyegopugwskjcqryivsjfhlm"),
            (r#"export siliconflow_token="sk-tgdfuumwkyxhjnyigoneflovwknfrikecghnlwvfqibpprfk""#, "sk-tgdfuumwkyxhjnyigoneflovwknfrikecghnlwvfqibpprfk"),
        ],
        counterexamples: &["SILICONFLOW_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SILICONFLOW_API_KEY=<your-siliconflow-key>", "SILICONFLOW_API_KEY=sk-onjopibayyjpltirrmowazqtkiinnumzdfrkiivlwwayock"],
        ..NAMED
    },
    Builtin {
        id: "together_api_key",
        provider: "together",
        description: "Together AI API key (64 hex, or tgp_v1_ + 43, beside a Together key name)",
        keywords: &["together"],
        pattern: concat!(r"(?-u)(?i:together)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("TOGETHER_API_KEY=64de93b1b81ba5632002db4bcc99cb3fe115077121327787046dfac07c64f808", "64de93b1b81ba5632002db4bcc99cb3fe115077121327787046dfac07c64f808"),
            (r#"{"together_ai_key":"8a8898fab51e04410a2b38b1afad7192b916a520573ab10361c1cf86fc4633a8"}"#, "8a8898fab51e04410a2b38b1afad7192b916a520573ab10361c1cf86fc4633a8"),
        ],
        counterexamples: &["TOGETHER_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TOGETHER_API_KEY=<your-together-key>", "TOGETHER_API_KEY=99d39ff1cc6beba5193ffc6c024040a52640b5443eb13cdd40c582250855eaf"],
        ..NAMED
    },
    Builtin {
        id: "ai21_api_key",
        provider: "ai21",
        description: "AI21 Labs API key (32 alphanumerics beside an AI21 key name)",
        keywords: &["ai21"],
        pattern: concat!(r"(?-u)(?i:ai21)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"AI21_API_KEY: "AU46ViwTCm6n5EeLPTgutYgNiZz7Qoq3""#, "AU46ViwTCm6n5EeLPTgutYgNiZz7Qoq3"),
            ("ai21_key = v51i4TA3dAjNVshDYcaKxzYD4CionAVF", "v51i4TA3dAjNVshDYcaKxzYD4CionAVF"),
        ],
        counterexamples: &["AI21_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AI21_API_KEY=<your-ai21-key>", "AI21_API_KEY=ZNzW5hPYgWhqJ6tmK9qHwM9FfeUAdvv"],
        ..NAMED
    },
    Builtin {
        id: "elevenlabs_api_key",
        provider: "elevenlabs",
        description: "ElevenLabs API key (sk_ + 48 hex, or 32 hex, beside an ElevenLabs key name)",
        keywords: &["elevenlabs"],
        pattern: concat!(r"(?-u)(?i:elevenlabs)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_[a-f0-9]{48})", end_url!()),
        examples: &[
            (r#"export ELEVENLABS_API_KEY="sk_626db5e91aefcd1c42bfdb8206d9bd07673b8e77a76fb784""#, "sk_626db5e91aefcd1c42bfdb8206d9bd07673b8e77a76fb784"),
            ("  elevenlabs_key: sk_cce9fc9d8f35ede825a7fd4d96ac63ae923193d04de2cce0", "sk_cce9fc9d8f35ede825a7fd4d96ac63ae923193d04de2cce0"),
        ],
        counterexamples: &["ELEVENLABS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ELEVENLABS_API_KEY=<your-elevenlabs-key>", "ELEVENLABS_API_KEY=sk_86a3553fa5099446b86e0c2c9c5090911589a40197d1a14"],
        ..NAMED
    },
    Builtin {
        id: "assemblyai_api_key",
        provider: "assemblyai",
        description: "AssemblyAI API key (32 hex beside an AssemblyAI key name)",
        keywords: &["assemblyai"],
        pattern: concat!(r"(?-u)(?i:assemblyai)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"ASSEMBLYAI_API_KEY":"af16d745151c9f31ff764e5292909d1a"}"#, "af16d745151c9f31ff764e5292909d1a"),
            ("assemblyai_token=9161cd25669d1deaa39863c0fbd6baa8", "9161cd25669d1deaa39863c0fbd6baa8"),
        ],
        counterexamples: &["ASSEMBLYAI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ASSEMBLYAI_API_KEY=<your-assemblyai-key>", "ASSEMBLYAI_API_KEY=61784546ab154e2e2f13574b29dbecd"],
        ..NAMED
    },
    Builtin {
        id: "deepgram_api_key",
        provider: "deepgram",
        description: "Deepgram API key (40 hex beside a Deepgram key name)",
        keywords: &["deepgram"],
        pattern: concat!(r"(?-u)(?i:deepgram)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("DEEPGRAM_API_KEY = 85b69fc1f4a316e476012af6f51f8bf7cd8a3213", "85b69fc1f4a316e476012af6f51f8bf7cd8a3213"),
            (r#"deepgram_secret: "c79293508ac02910bcf6a4c8eeba7bb6facd228c""#, "c79293508ac02910bcf6a4c8eeba7bb6facd228c"),
        ],
        counterexamples: &["DEEPGRAM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DEEPGRAM_API_KEY=<your-deepgram-key>", "DEEPGRAM_API_KEY=201d7230905be414a628314ec60e44f799094f5"],
        ..NAMED
    },
    Builtin {
        id: "stability_api_key",
        provider: "stability",
        description: "Stability AI API key (sk- + 48 beside a Stability key name)",
        keywords: &["stability"],
        pattern: concat!(r"(?-u)(?i:stability)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk-[A-Za-z0-9]{48})", end_url!()),
        examples: &[
            ("  STABILITY_API_KEY: sk-ULQYshBIy8n67CxXb4ddODjYPXQgyee0MFTDYMYGLou98t4W", "sk-ULQYshBIy8n67CxXb4ddODjYPXQgyee0MFTDYMYGLou98t4W"),
            (r#"export stability_key="sk-IZRy19rqcEVHLBU9sNxECqe1UkKKJO0j0LChrBmD7FKW0yh6""#, "sk-IZRy19rqcEVHLBU9sNxECqe1UkKKJO0j0LChrBmD7FKW0yh6"),
        ],
        counterexamples: &["STABILITY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STABILITY_API_KEY=<your-stability-key>", "STABILITY_API_KEY=sk-yA5oXMAHPamFOt7fEGy6Q8DtdfmlpKaP9i5obESKLIvnHYr"],
        ..NAMED
    },
    Builtin {
        id: "wandb_api_key",
        provider: "wandb",
        description: "Weights & Biases API key (40 hex beside a wandb key name, or given to wandb login)",
        keywords: &["wandb"],
        pattern: concat!(r"(?-u)(?:(?i:wandb)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})|\bwandb[ \t]+login(?:[ \t]+--?[a-z][a-z-]*)*[ \t]+(?P<secret_cli>[a-f0-9]{40}))", end_url!()),
        examples: &[
            ("WANDB_API_KEY=b409ee54c1bfa21879ae03123b9d6bbd36df0b2e", "b409ee54c1bfa21879ae03123b9d6bbd36df0b2e"),
            (r#"{"wandb_key":"494ec2e4c746143aeff690c1962c29e02d26f7d1"}"#, "494ec2e4c746143aeff690c1962c29e02d26f7d1"),
            ("$ wandb login --relogin 5f2d8c1a9e7b3f604d1c8e2a7b9f0d3e6a4c1b8e", "5f2d8c1a9e7b3f604d1c8e2a7b9f0d3e6a4c1b8e"),
        ],
        counterexamples: &["WANDB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WANDB_API_KEY=<your-wandb-key>", "WANDB_API_KEY=1bb0c9ac7c545ae39b8179607026e206457e7f6", "wandb login --relogin"],
        ..NAMED
    },
    Builtin {
        id: "comet_api_key",
        provider: "comet",
        description: "Comet ML API key (25 alphanumerics beside a Comet key name)",
        keywords: &["comet"],
        pattern: concat!(r"(?-u)(?i:comet)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            (r#"COMET_API_KEY: "IQWGE22QJLniB5mEC7gMEqBdW""#, "IQWGE22QJLniB5mEC7gMEqBdW"),
            ("comet_ml_api_key = F8zAqqW4IRZAkswjXKZHupLmY", "F8zAqqW4IRZAkswjXKZHupLmY"),
        ],
        counterexamples: &["COMET_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COMET_API_KEY=<your-comet-key>", "COMET_API_KEY=LTPh1LIiFO4h2EE3usn3FPZZ"],
        ..NAMED
    },
    Builtin {
        id: "kaggle_api_key",
        provider: "kaggle",
        description: "Kaggle API key (32 hex beside a Kaggle key name)",
        keywords: &["kaggle"],
        pattern: concat!(r"(?-u)(?i:kaggle)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export KAGGLE_KEY="252a46c50b1d94ee52c0b08857062105""#, "252a46c50b1d94ee52c0b08857062105"),
            ("  kaggle_api_key: c9f69c53cf3a0c61edf9249af1597237", "c9f69c53cf3a0c61edf9249af1597237"),
        ],
        counterexamples: &["KAGGLE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KAGGLE_KEY=<your-kaggle-key>", "KAGGLE_KEY=5bfba890288bc113c87185d5ad8aa5b"],
        ..NAMED
    },
    Builtin {
        id: "clarifai_pat",
        provider: "clarifai",
        description: "Clarifai personal access token (32 hex beside a Clarifai key name)",
        keywords: &["clarifai"],
        pattern: concat!(r"(?-u)(?i:clarifai)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"CLARIFAI_PAT":"656dcdc19c5094c064983eed40d52a89"}"#, "656dcdc19c5094c064983eed40d52a89"),
            ("clarifai_api_key=1142e54633b1a6ace43d1310fbe2883a", "1142e54633b1a6ace43d1310fbe2883a"),
        ],
        counterexamples: &["CLARIFAI_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLARIFAI_PAT=<your-clarifai-key>", "CLARIFAI_PAT=bf7867edc228895d619f3982286c77d"],
        ..NAMED
    },
    Builtin {
        id: "roboflow_api_key",
        provider: "roboflow",
        description: "Roboflow API key (20 alphanumerics beside a Roboflow key name)",
        keywords: &["roboflow"],
        pattern: concat!(r"(?-u)(?i:roboflow)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("ROBOFLOW_API_KEY = mwyo7aEfmCaDmuT5hImt", "mwyo7aEfmCaDmuT5hImt"),
            (r#"roboflow_key: "WX4qoAc1zzFX6AQGYTG8""#, "WX4qoAc1zzFX6AQGYTG8"),
        ],
        counterexamples: &["ROBOFLOW_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ROBOFLOW_API_KEY=<your-roboflow-key>", "ROBOFLOW_API_KEY=uYIGC95tHDDIaMNhS09"],
        ..NAMED
    },
    Builtin {
        id: "runpod_api_key",
        provider: "runpod",
        description: "RunPod API key (rpa_ + 40, or 32 upper-case, beside a RunPod key name)",
        keywords: &["runpod"],
        pattern: concat!(r"(?-u)(?i:runpod)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>rpa_[A-Z0-9]{40})", end_url!()),
        examples: &[
            ("  RUNPOD_API_KEY: rpa_4U1NVU7NZWX92XGLE3W1XG1Y030DG76VYC49NOSK", "rpa_4U1NVU7NZWX92XGLE3W1XG1Y030DG76VYC49NOSK"),
            (r#"export runpod_key="rpa_3B0CXQ0U1LEFUYTNZ5ZWWR8JVTHKQFK21O63DH7N""#, "rpa_3B0CXQ0U1LEFUYTNZ5ZWWR8JVTHKQFK21O63DH7N"),
        ],
        counterexamples: &["RUNPOD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RUNPOD_API_KEY=<your-runpod-key>", "RUNPOD_API_KEY=rpa_DHT0HHBEVC63HQ4F9S28W2LGXDD4OY7LDUU3T3Z"],
        ..NAMED
    },
    Builtin {
        id: "modal_token_secret",
        provider: "modal",
        description: "Modal token secret (as- + 22 beside a Modal token name)",
        keywords: &["modal_token", "modal-token"],
        pattern: concat!(r"(?-u)(?i:modal)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>as-[A-Za-z0-9]{22})", end_url!()),
        examples: &[
            ("MODAL_TOKEN_SECRET=as-78msuMiDVvunwqMKbPR7zo", "as-78msuMiDVvunwqMKbPR7zo"),
            (r#"{"modal_token_secret":"as-HJTKx67VKkY8drwIQu4hpU"}"#, "as-HJTKx67VKkY8drwIQu4hpU"),
        ],
        counterexamples: &["MODAL_TOKEN_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MODAL_TOKEN_SECRET=<your-modal-key>", "MODAL_TOKEN_SECRET=as-ZFX1sN8546X6GU8h9TmyG"],
        ..NAMED
    },
    Builtin {
        id: "vastai_api_key",
        provider: "vastai",
        description: "Vast.ai API key (64 hex beside a Vast key name)",
        keywords: &["vastai", "vast_"],
        pattern: concat!(r"(?-u)(?i:vast(?:ai|_ai)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"VAST_API_KEY: "4f169de626841ac617640be82b7e00f2c41c6fb957d0a7931d6577ba601ffbd6""#, "4f169de626841ac617640be82b7e00f2c41c6fb957d0a7931d6577ba601ffbd6"),
            ("vastai_api_key = 67a4b3c1fbdaef7e812174b830d6c4d9f9aa268c72d3d71ad3f7d486b30cee73", "67a4b3c1fbdaef7e812174b830d6c4d9f9aa268c72d3d71ad3f7d486b30cee73"),
        ],
        counterexamples: &["VAST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VAST_API_KEY=<your-vastai-key>", "VAST_API_KEY=f0b2ebf578d1e72aee876944ba7fc0d11c6ad6a77fac3b0c0649f921e390bfa"],
        ..NAMED
    },
    Builtin {
        id: "azure_openai_key",
        provider: "azure",
        description: "Azure OpenAI / Cognitive Services key (32 hex beside an Azure OpenAI key name)",
        keywords: &["azure_openai", "azure-openai", "azureopenai"],
        pattern: concat!(r"(?-u)(?i:azure[_-]?openai)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export AZURE_OPENAI_API_KEY="4353d7eb0463158cf98ccc76837b2860""#, "4353d7eb0463158cf98ccc76837b2860"),
            ("  azure_openai_key: 48f52dc2836eabd6b88147970879fc39", "48f52dc2836eabd6b88147970879fc39"),
        ],
        counterexamples: &["AZURE_OPENAI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AZURE_OPENAI_API_KEY=<your-azure-key>", "AZURE_OPENAI_API_KEY=f1fb24ed8bcaaf8d10fa45c1ce1d5fe"],
        ..NAMED
    },
    Builtin {
        id: "exa_api_key",
        provider: "exa",
        description: "Exa search API key (UUID beside an Exa key name)",
        keywords: &["exa_api", "exa-api"],
        pattern: concat!(r"(?-u)(?i:exa)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"EXA_API_KEY":"7c9b1814-3ced-70d7-29a0-856ec31af894"}"#, "7c9b1814-3ced-70d7-29a0-856ec31af894"),
            ("exa_api_key=b193aca0-68cf-6d93-2a10-d0aa74ebf062", "b193aca0-68cf-6d93-2a10-d0aa74ebf062"),
        ],
        counterexamples: &["EXA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EXA_API_KEY=<your-exa-key>", "EXA_API_KEY=c12ae38d-e2cf-0f84-fad2-e98efda647c"],
        ..NAMED
    },
    Builtin {
        id: "leonardo_api_key",
        provider: "leonardo",
        description: "Leonardo.Ai API key (UUID beside a Leonardo key name)",
        keywords: &["leonardo"],
        pattern: concat!(r"(?-u)(?i:leonardo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("LEONARDO_API_KEY = 9896a9fe-4375-59de-7170-fc7f601c9835", "9896a9fe-4375-59de-7170-fc7f601c9835"),
            (r#"leonardo_key: "e4b1a5bc-ced7-c9c1-9061-762ed9fbcdc4""#, "e4b1a5bc-ced7-c9c1-9061-762ed9fbcdc4"),
        ],
        counterexamples: &["LEONARDO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LEONARDO_API_KEY=<your-leonardo-key>", "LEONARDO_API_KEY=4035c0f1-c54d-0199-76ef-a2f7ba5f63b"],
        ..NAMED
    },
    Builtin {
        id: "portkey_api_key",
        provider: "portkey",
        description: "Portkey API key (32 beside a Portkey key name)",
        keywords: &["portkey"],
        pattern: concat!(r"(?-u)(?i:portkey)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  PORTKEY_API_KEY: RvzDeMS8PBJZXAyci3SyevL2tmCWeZkR", "RvzDeMS8PBJZXAyci3SyevL2tmCWeZkR"),
            (r#"export portkey_key="qsXyP8SvKwepspRebBA0CCNu3c6wj45n""#, "qsXyP8SvKwepspRebBA0CCNu3c6wj45n"),
        ],
        counterexamples: &["PORTKEY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PORTKEY_API_KEY=<your-portkey-key>", "PORTKEY_API_KEY=8WLN98a7uiy4w97906S2DeKWkh9Qoy3"],
        ..NAMED
    },
    Builtin {
        id: "unstructured_api_key",
        provider: "unstructured",
        description: "Unstructured API key (30 alphanumerics beside an Unstructured key name)",
        keywords: &["unstructured"],
        pattern: concat!(r"(?-u)(?i:unstructured)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{30})", end_url!()),
        examples: &[
            ("UNSTRUCTURED_API_KEY=DF0Voz0tjtRPJfDAgwHzU5BEwBg2ZU", "DF0Voz0tjtRPJfDAgwHzU5BEwBg2ZU"),
            (r#"{"unstructured_key":"Hj9V17dqVERm1riwFThz6sjRxAdyoL"}"#, "Hj9V17dqVERm1riwFThz6sjRxAdyoL"),
        ],
        counterexamples: &["UNSTRUCTURED_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UNSTRUCTURED_API_KEY=<your-unstructured-key>", "UNSTRUCTURED_API_KEY=OtWDt14toDSvgPvkyX381uVDr8OmI"],
        ..NAMED
    },
];
