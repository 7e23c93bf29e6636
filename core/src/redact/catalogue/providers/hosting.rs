//! Application hosting, edge and infrastructure-as-code services.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "heroku_api_key",
        provider: "heroku",
        description: "Heroku API key (HRKU-AA + 58)",
        keywords: &["HRKU-"],
        pattern: concat!(r"(?-u)(?P<token>HRKU-(?P<secret>AA[A-Za-z0-9_-]{50,70}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("HEROKU_API_KEY=HRKU-AAUxm_yI5B_KGnplJJpdu0ol29vX6N_631mG8YE5_is_I4cZ2cSV8HTMyf8G", "HRKU-AAUxm_yI5B_KGnplJJpdu0ol29vX6N_631mG8YE5_is_I4cZ2cSV8HTMyf8G")],
        counterexamples: &["HRKU-AAshort", "HRKU- prefix"],
    },
    Builtin {
        id: "heroku_api_key_legacy",
        provider: "heroku",
        description: "Heroku legacy API key (a UUID beside a heroku key name)",
        keywords: &["heroku"],
        pattern: concat!(
            r"(?-u)(?i:heroku)[A-Za-z0-9_.-]{0,20}(?i:api[_-]?key|key|token|password|secret)",
            assign!(),
            r"(?P<secret>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b"
        ),
        validate: None,
        generic: false,
        examples: &[("HEROKU_API_KEY=3c316900-9b83-1460-7885-76a9b156bfc7", "3c316900-9b83-1460-7885-76a9b156bfc7")],
        counterexamples: &["heroku_app_id=3c316900-9b83-1460-7885-76a9b156bfc7", "HEROKU_API_KEY=$HEROKU_API_KEY"],
    },
    Builtin {
        id: "cloudflare_api_token",
        provider: "cloudflare",
        description: "Cloudflare API token (40) or global API key (37 hex) beside a Cloudflare key name or X-Auth-Key header",
        keywords: &["cloudflare", "cf_api", "cf-api", "cfapi", "x-auth-key"],
        pattern: concat!(
            r"(?-u)(?i:cloudflare[_-]?(?:api[_-]?)?(?:token|key)|cf[_-]?api[_-]?(?:token|key)|x-auth-key)",
            assign!(),
            r"(?P<secret>[A-Za-z0-9_-]{40}|[a-f0-9]{37})",
            end_url!()
        ),
        validate: Some(random_looking),
        generic: false,
        examples: &[
            ("CLOUDFLARE_API_TOKEN=TopYW5LSQdGrKNB4di4RX2G1zdW8FXpCEyGjFl6g", "TopYW5LSQdGrKNB4di4RX2G1zdW8FXpCEyGjFl6g"),
            ("X-Auth-Key: 069de7225be6c3bf6baf915e48f914109fb9b", "069de7225be6c3bf6baf915e48f914109fb9b"),
        ],
        counterexamples: &["CLOUDFLARE_ZONE=TopYW5LSQdGrKNB4di4RX2G1zdW8FXpCEyGjFl6g", "CF_API_TOKEN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    },
    Builtin {
        id: "cloudflare_origin_ca_key",
        provider: "cloudflare",
        description: "Cloudflare Origin CA key (v1.0- + 24 hex - 146 hex)",
        keywords: &["v1.0-"],
        pattern: r"(?-u)(?P<secret>v1\.0-[a-f0-9]{24}-[a-f0-9]{146})\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("origin_ca_key = \"v1.0-8cc396d9a7bf4c152442010d-b2b469942a3958651ecf6cf90b49417a216baf5787d89688d8a851ea68c681dbd86d7caf17d32f256098a20671f3aab8e4a47c22ebb757c07b6dec34b746c55b734f8f31b369166681\"", "v1.0-8cc396d9a7bf4c152442010d-b2b469942a3958651ecf6cf90b49417a216baf5787d89688d8a851ea68c681dbd86d7caf17d32f256098a20671f3aab8e4a47c22ebb757c07b6dec34b746c55b734f8f31b369166681")],
        counterexamples: &["version v1.0-8cc396d9a7bf4c152442010d"],
    },
    Builtin {
        id: "flyio_token",
        provider: "fly",
        description: "Fly.io access tokens (fo1_ + 43, and FlyV1 fm1/fm2 macaroons)",
        keywords: &["fo1_", "FlyV1 fm"],
        pattern: concat!(
            r"(?-u)(?P<token>(?:fo1_|FlyV1 )(?P<secret>[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/=,_-]{60,1500}))",
            r"(?:[^A-Za-z0-9+/=,_-]|$)"
        ),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("FLY_API_TOKEN=fo1_LnaMumMo-XNsIjNJx5wbQmEy-rUtg9GpCXupguF-qgl", "fo1_LnaMumMo-XNsIjNJx5wbQmEy-rUtg9GpCXupguF-qgl")],
        counterexamples: &["fo1_short"],
    },
    Builtin {
        id: "vercel_token",
        provider: "vercel",
        description: "Vercel personal, integration, app access, app refresh and API key tokens (vcp_, vci_, vca_, vcr_, vck_)",
        keywords: &["vcp_", "vci_", "vca_", "vcr_", "vck_"],
        pattern: r"(?-u)(?P<token>vc[pciark]_(?P<secret>[A-Za-z0-9]{24,80}))\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("VERCEL_TOKEN=vcp_h9gIZ9TsNEJhwR1gGb0lV6vT05wsNs1K8ONnmk81BthjVL4AYV8l8GL9", "vcp_h9gIZ9TsNEJhwR1gGb0lV6vT05wsNs1K8ONnmk81BthjVL4AYV8l8GL9")],
        counterexamples: &["vcp_short", "vcp_abcdefghijklmnopqrstuvwxyz"],
    },
    Builtin {
        id: "netlify_token",
        provider: "netlify",
        description: "Netlify personal access and OAuth tokens (nfp_, nfo_, nfc_, nfu_, nfb_)",
        keywords: &["nfp_", "nfo_", "nfc_", "nfu_", "nfb_"],
        pattern: r"(?-u)(?P<token>nf[pocub]_(?P<secret>[A-Za-z0-9]{36,40}))\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("NETLIFY_AUTH_TOKEN=nfp_4lGyDz2iEjaubJ7idO8xntX2zVYCkqtGePKW", "nfp_4lGyDz2iEjaubJ7idO8xntX2zVYCkqtGePKW")],
        counterexamples: &["nfp_short"],
    },
    Builtin {
        id: "terraform_cloud_token",
        provider: "hashicorp",
        description: "Terraform Cloud / Enterprise API token (14 + .atlasv1. + 60-70)",
        keywords: &["atlasv1"],
        pattern: concat!(r"(?-u)(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,70})", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("credentials \"app.terraform.io\" { token = \"O4JDQyR5GZY7z4.atlasv1.jDLD63BMCkRYc1S2HlWCYMz3h-gBYiRU9GG0udrPcJR-Pv-_L1smg674cLT3gjbMvUB\" }", "O4JDQyR5GZY7z4.atlasv1.jDLD63BMCkRYc1S2HlWCYMz3h-gBYiRU9GG0udrPcJR-Pv-_L1smg674cLT3gjbMvUB")],
        counterexamples: &["O4JDQyR5GZY7z4.atlasv1.short", "the atlasv1 format"],
    },
    Builtin {
        id: "pulumi_token",
        provider: "pulumi",
        description: "Pulumi access token (pul- + 40 hex)",
        keywords: &["pul-"],
        pattern: r"(?-u)(?P<token>pul-(?P<secret>[a-f0-9]{40}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("PULUMI_ACCESS_TOKEN=pul-e6e5c354ba6025bbd854077e482b10af2c4288be", "pul-e6e5c354ba6025bbd854077e482b10af2c4288be")],
        counterexamples: &["pul-e6e5c354ba6025bbd854077e482b10af2c4288b", "pull-request"],
    },
    Builtin {
        id: "render_api_key",
        provider: "render",
        description: "Render API key (rnd_ + 32 alphanumerics)",
        keywords: &["rnd_"],
        pattern: prefixed!(r"rnd_", r"[A-Za-z0-9]{32}"),
        examples: &[
            (r#"render_api_key = "rnd_RDxRYjkHrq81WODRuoVUU5EdaKeeDtGA""#, "rnd_RDxRYjkHrq81WODRuoVUU5EdaKeeDtGA"),
            ("export RENDER_API_KEY=rnd_77lRWbOKjrQJ4LXby45Vg9YG7aYB643M", "rnd_77lRWbOKjrQJ4LXby45Vg9YG7aYB643M"),
        ],
        counterexamples: &["rnd_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like rnd_1234567890", "rnd_Jac1yVTKsgOn6jA0ntauktl9rQqcZoL"],
        ..PREFIXED
    },
    Builtin {
        id: "railway_token",
        provider: "railway",
        description: "Railway API / project token (UUID) beside a Railway key name",
        keywords: &["railway"],
        pattern: concat!(r"(?-u)(?i:railway)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  RAILWAY_TOKEN: 73aaaeab-3e5c-4743-0f3b-8479bfc0f395", "73aaaeab-3e5c-4743-0f3b-8479bfc0f395"),
            (r#"export railway_api_token="347a8ef6-a63f-e586-25d5-794588db1fed""#, "347a8ef6-a63f-e586-25d5-794588db1fed"),
        ],
        counterexamples: &["RAILWAY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAILWAY_TOKEN=<your-railway-key>", "RAILWAY_TOKEN=3d8b1705-81b5-980d-de5a-d89e976c7bd"],
        ..NAMED
    },
    Builtin {
        id: "deno_deploy_token",
        provider: "deno",
        description: "Deno Deploy personal (ddp_) and organisation (ddo_) access tokens (+ 36)",
        keywords: &["ddp_", "ddo_"],
        pattern: prefixed!(r"(?:ddp_|ddo_)", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("Authorization: Bearer ddp_lGGLBu8IlRR06WQeyXqsVeejBmDsaYgXV0ww", "ddp_lGGLBu8IlRR06WQeyXqsVeejBmDsaYgXV0ww"),
            ("env DENO_DEPLOY_TOKEN=ddo_0vHTaLnCGv0wczED0VUcCq0cWNPZjl7tbYxE ./deploy.sh", "ddo_0vHTaLnCGv0wczED0VUcCq0cWNPZjl7tbYxE"),
        ],
        counterexamples: &["ddp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ddp_1234567890", "ddp_qMaMxBLKjWn4lAoVSeOY3hGcDfYBFIB7WdV"],
        ..PREFIXED
    },
    Builtin {
        id: "appwrite_api_key",
        provider: "appwrite",
        description: "Appwrite API key (standard_ + 256 hex)",
        keywords: &["standard_"],
        pattern: prefixed!(r"standard_", r"[a-f0-9]{256}"),
        examples: &[
            ("docker run -e APPWRITE_API_KEY=standard_5b88bc5e849054534e7ab1c7004ae8193fa80281a7f1be5490bae7a20a7b187bb46933ed6c80a04ba90197b94d073f030f01da472d7e54aff9ef37aa283f1b7dfe3a38e238d2c58e9cc508f5cb3b3ff0888aef8f6338444a6db25f9949f321d8a8eabb2cdee46c1f641cafe3f02638b9e1466915c63cb51bdf658cfa719fd2f0 app:latest", "standard_5b88bc5e849054534e7ab1c7004ae8193fa80281a7f1be5490bae7a20a7b187bb46933ed6c80a04ba90197b94d073f030f01da472d7e54aff9ef37aa283f1b7dfe3a38e238d2c58e9cc508f5cb3b3ff0888aef8f6338444a6db25f9949f321d8a8eabb2cdee46c1f641cafe3f02638b9e1466915c63cb51bdf658cfa719fd2f0"),
            ("env APPWRITE_API_KEY=standard_7f54d1444b38c427c70d2a0c022bfbf76c64ccb0b6e41539c24afa99e9d13bb6e3d68fa2cb1efe0d75b0e94a5ad09d1c1cf6c074634e6168d7978882e986d5c48bf2f7dad4af1cfc5d46771f48055b31582453cf08bafaa4fa0a658fa266da650f14fb5d5a86e03a47b64960805d1e09d921d9865675f04ad880b2bd5d368f90 ./deploy.sh", "standard_7f54d1444b38c427c70d2a0c022bfbf76c64ccb0b6e41539c24afa99e9d13bb6e3d68fa2cb1efe0d75b0e94a5ad09d1c1cf6c074634e6168d7978882e986d5c48bf2f7dad4af1cfc5d46771f48055b31582453cf08bafaa4fa0a658fa266da650f14fb5d5a86e03a47b64960805d1e09d921d9865675f04ad880b2bd5d368f90"),
        ],
        counterexamples: &["standard_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like standard_1234567890", "standard_87a28dd43a5423d73eb5371d7e2f6dd97fc6fa363cb0242da5c63e43e5187da2291692d6a6ac03a4ad06929890ec0dc1c7739d4a4efd9b7e9ef2c1c56ff33da71a449b9564487ee6c751bb930f48f382438ca161c0c0a3e54aac138cdec1a069aed54a5cfa5cea5b0145812a7a748df507d4054f3441a98176c3203dfc7145d"],
        ..PREFIXED
    },
    Builtin {
        id: "koyeb_token",
        provider: "koyeb",
        description: "Koyeb API token (64) beside a Koyeb key name",
        keywords: &["koyeb"],
        pattern: concat!(r"(?-u)(?i:koyeb)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"export KOYEB_TOKEN="rgP4iO30ReAiYRcMdwTlX2e2vDg9YYED2khFVXRq5CpEa9EuRzouxtwnZt3EYvQa""#, "rgP4iO30ReAiYRcMdwTlX2e2vDg9YYED2khFVXRq5CpEa9EuRzouxtwnZt3EYvQa"),
            ("  koyeb_api_token: WqaWlF9wTLKqFv82rHMZfPwPjO6Fjw3aYwmDvK24ZWQXoQVmMKLrL9r9Xth3O59M", "WqaWlF9wTLKqFv82rHMZfPwPjO6Fjw3aYwmDvK24ZWQXoQVmMKLrL9r9Xth3O59M"),
        ],
        counterexamples: &["KOYEB_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KOYEB_TOKEN=<your-koyeb-key>", "KOYEB_TOKEN=9PyRRktR0tdEzcqbSfi8opXCmQrm53l8xyQqnXydYWxUg2z7VKlKplNJhLExR9F"],
        ..NAMED
    },
    Builtin {
        id: "replit_token",
        provider: "replit",
        description: "Replit token beside a Replit key name",
        keywords: &["replit"],
        pattern: concat!(r"(?-u)(?i:replit)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            (r#"{"REPLIT_TOKEN":"OkgY4ETnhfnbM6vuGVByaJ2HlWrU-j03BHH2xBV74R"}"#, "OkgY4ETnhfnbM6vuGVByaJ2HlWrU-j03BHH2xBV74R"),
            ("replit_api_key=maVt2lbAZUuzBI1ggPf5KRICG_ijrLULYqylxIjIBb", "maVt2lbAZUuzBI1ggPf5KRICG_ijrLULYqylxIjIBb"),
        ],
        counterexamples: &["REPLIT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REPLIT_TOKEN=<your-replit-key>", "REPLIT_TOKEN=Z-so0kVEbtvm8F0XVZVkD94CcwPQK4frf2Zi6L-"],
        ..NAMED
    },
    Builtin {
        id: "northflank_token",
        provider: "northflank",
        description: "Northflank API token beside a Northflank key name",
        keywords: &["northflank"],
        pattern: concat!(r"(?-u)(?i:northflank)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            ("NORTHFLANK_API_TOKEN = iO09OGDgoTew_iA9bZ5DVZGIxJs0nwp638lTwjXSp3O8B", "iO09OGDgoTew_iA9bZ5DVZGIxJs0nwp638lTwjXSp3O8B"),
            (r#"northflank_token: "78oQbWsRJU8bk5JTjBZKMZQK6cY_NvahE1JTmG404""#, "78oQbWsRJU8bk5JTjBZKMZQK6cY_NvahE1JTmG404"),
        ],
        counterexamples: &["NORTHFLANK_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NORTHFLANK_API_TOKEN=<your-northflank-key>", "NORTHFLANK_API_TOKEN=ow_VsoY6zjyKE0JYCHAd_KElFKHx_3y7uoJAWOy"],
        ..NAMED
    },
    Builtin {
        id: "netlify_build_hook",
        provider: "netlify",
        description: "Netlify deploy / API token (43 to 64) beside a Netlify key name",
        keywords: &["netlify"],
        pattern: concat!(r"(?-u)(?i:netlify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43,64})", end_url!()),
        examples: &[
            ("  NETLIFY_AUTH_TOKEN: MCrjWDZjJOYxRgbLpxSuUStgJi9i9rJGnWNJgk2Y4_Xf", "MCrjWDZjJOYxRgbLpxSuUStgJi9i9rJGnWNJgk2Y4_Xf"),
            (r#"export netlify_api_token="7iIivxjl0Zt96udvVwICyZmZSx6i2RZXMqst_bkTyY2JDHl""#, "7iIivxjl0Zt96udvVwICyZmZSx6i2RZXMqst_bkTyY2JDHl"),
        ],
        counterexamples: &["NETLIFY_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NETLIFY_AUTH_TOKEN=<your-netlify-key>", "NETLIFY_AUTH_TOKEN=E8wRaKlVj7ww9zbISL7PtPhz7moXbTDyUaziWolB10"],
        ..NAMED
    },
    Builtin {
        id: "vercel_legacy_token",
        provider: "vercel",
        description: "Vercel access token (24 alphanumerics) beside a Vercel key name",
        keywords: &["vercel"],
        pattern: concat!(r"(?-u)(?i:vercel)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("VERCEL_TOKEN=Jac1x1jCOpZ1Kq1PrpP20FWQ", "Jac1x1jCOpZ1Kq1PrpP20FWQ"),
            (r#"{"vercel_api_token":"bbzrjOVZChxErIQzZYRw6BJY"}"#, "bbzrjOVZChxErIQzZYRw6BJY"),
        ],
        counterexamples: &["VERCEL_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VERCEL_TOKEN=<your-vercel-key>", "VERCEL_TOKEN=ejJNA79FN03xp5u6UXYBR2y"],
        ..NAMED
    },
    Builtin {
        id: "vercel_prefixed_token",
        provider: "vercel",
        description: "Vercel access tokens with a type prefix (vcp_, vci_, vca_, vcr_, vck_ + 56)",
        keywords: &["vcp_", "vci_", "vca_", "vcr_", "vck_"],
        pattern: prefixed!(r"(?:vcp_|vci_|vca_|vcr_|vck_)", r"[A-Za-z0-9]{56}"),
        examples: &[
            ("docker run -e VERCEL_PREFIXED_TOKEN=vcp_Z1KWTP0ntwoahRe2l9LCr92R5yUfKcsowSADvE45rl6dZEYXZMrPaefB app:latest", "vcp_Z1KWTP0ntwoahRe2l9LCr92R5yUfKcsowSADvE45rl6dZEYXZMrPaefB"),
            ("env VERCEL_PREFIXED_TOKEN=vck_GiOxQt6D6jSAtjlz8taVseT8dGHepXxe4VDViWutntDti0DpTXz1Tdu5 ./deploy.sh", "vck_GiOxQt6D6jSAtjlz8taVseT8dGHepXxe4VDViWutntDti0DpTXz1Tdu5"),
        ],
        counterexamples: &["vcp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like vcp_1234567890", "vcp_WXNo3DRkl1MTtHikJpHMP6DpGNcZGIaSCtFbjiY6YbblKIqN769WvRo"],
        ..PREFIXED
    },
    Builtin {
        id: "heroku_oauth_secret",
        provider: "heroku",
        description: "Heroku OAuth client secret (UUID) beside a Heroku secret name",
        keywords: &["heroku"],
        pattern: concat!(r"(?-u)(?i:heroku)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export HEROKU_OAUTH_SECRET="6ac1f879-83dc-b3c3-ac05-d63ba42efd73""#, "6ac1f879-83dc-b3c3-ac05-d63ba42efd73"),
            ("  heroku_client_secret: f42e5e24-e447-2e30-3b9a-6389cda4574f", "f42e5e24-e447-2e30-3b9a-6389cda4574f"),
        ],
        counterexamples: &["HEROKU_OAUTH_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HEROKU_OAUTH_SECRET=<your-heroku-key>", "HEROKU_OAUTH_SECRET=edcbeca0-37dd-2105-505d-9de1f86dd69"],
        ..NAMED
    },
    Builtin {
        id: "glitch_token",
        provider: "glitch",
        description: "Glitch persistent token (UUID) beside a Glitch key name",
        keywords: &["glitch"],
        pattern: concat!(r"(?-u)(?i:glitch)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"GLITCH_TOKEN":"4e164e60-b2f1-e56e-7845-05f48ba2e62c"}"#, "4e164e60-b2f1-e56e-7845-05f48ba2e62c"),
            ("glitch_persistent_token=2ff930a3-27e7-07d2-1f26-e9161a3acf47", "2ff930a3-27e7-07d2-1f26-e9161a3acf47"),
        ],
        counterexamples: &["GLITCH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GLITCH_TOKEN=<your-glitch-key>", "GLITCH_TOKEN=773a5ae3-041f-73c6-2e83-5d7bf1b315d"],
        ..NAMED
    },
    Builtin {
        id: "pythonanywhere_token",
        provider: "pythonanywhere",
        description: "PythonAnywhere API token (40 hex) beside a PythonAnywhere key name",
        keywords: &["pythonanywhere"],
        pattern: concat!(r"(?-u)(?i:pythonanywhere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("PYTHONANYWHERE_API_TOKEN = 9cf7e00fd637445686c00bd2e6fa37f6a3558415", "9cf7e00fd637445686c00bd2e6fa37f6a3558415"),
            (r#"pythonanywhere_token: "18c45188ebd1b044769c88dca8ca433484e472e9""#, "18c45188ebd1b044769c88dca8ca433484e472e9"),
        ],
        counterexamples: &["PYTHONANYWHERE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PYTHONANYWHERE_API_TOKEN=<your-pythonanywhere-key>", "PYTHONANYWHERE_API_TOKEN=83d10d5724a61644da6d2ae676ccc7aec9ad316"],
        ..NAMED
    },
    Builtin {
        id: "scalingo_token",
        provider: "scalingo",
        description: "Scalingo API token (tk-us- + 48) beside a Scalingo key name",
        keywords: &["scalingo"],
        pattern: concat!(r"(?-u)(?i:scalingo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>tk-us-[A-Za-z0-9_-]{48})", end_url!()),
        examples: &[
            ("  SCALINGO_API_TOKEN: tk-us-3tUzbnc92QZBTT2_9efvKaFfVq0kI944lyrlvuhlJjl1XFkZ", "tk-us-3tUzbnc92QZBTT2_9efvKaFfVq0kI944lyrlvuhlJjl1XFkZ"),
            (r#"export scalingo_token="tk-us-Jb46snWk43nslawkn7pSW6Q-XSQR-kbvchaJiov1HPTQ2PFG""#, "tk-us-Jb46snWk43nslawkn7pSW6Q-XSQR-kbvchaJiov1HPTQ2PFG"),
        ],
        counterexamples: &["SCALINGO_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCALINGO_API_TOKEN=<your-scalingo-key>", "SCALINGO_API_TOKEN=tk-us-ZrxC4niAX358mAh7mcyX4DTKMOBsUMO7ZtfeTbPhqlQzr4r"],
        ..NAMED
    },
    Builtin {
        id: "scalingo_prefixed_token",
        provider: "scalingo",
        description: "Scalingo API token (tk-us- + 48)",
        keywords: &["tk-us-"],
        pattern: prefixed!(r"tk-us-", r"[A-Za-z0-9_-]{48}"),
        examples: &[
            (r#"SCALINGO_PREFIXED_TOKEN="tk-us-X6KtzmmTB0NiqSFeX0NWYVeLLXEd4KNrb-Bh0j7Z0pS2B0_G""#, "tk-us-X6KtzmmTB0NiqSFeX0NWYVeLLXEd4KNrb-Bh0j7Z0pS2B0_G"),
            ("export SCALINGO_PREFIXED_TOKEN=tk-us-ntvgsjnf7Ll0sM14RqVp60MpTKwugrk1mI0xIavWOvd9DKOQ", "tk-us-ntvgsjnf7Ll0sM14RqVp60MpTKwugrk1mI0xIavWOvd9DKOQ"),
        ],
        counterexamples: &["tk-us-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tk-us-1234567890", "tk-us-WVHFDcaFh8otOcguwK3JSTQw4xOEYodg_nLMXFEF4G9WLY_"],
        ..PREFIXED
    },
    Builtin {
        id: "infracost_api_key",
        provider: "infracost",
        description: "Infracost API key (ico- + 32 alphanumerics)",
        keywords: &["ico-"],
        pattern: prefixed!(r"ico-", r"[A-Za-z0-9]{32}"),
        examples: &[
            (r#"{"infracost_api_key": "ico-DcyX6GSuxYuj58h8SssyLR9ArQLgWbvQ", "region": "eu-west-1"}"#, "ico-DcyX6GSuxYuj58h8SssyLR9ArQLgWbvQ"),
            ("Authorization: Bearer ico-eTDLPPAuQFaJENbqacPe8kXo1EJ4W8mY", "ico-eTDLPPAuQFaJENbqacPe8kXo1EJ4W8mY"),
        ],
        counterexamples: &["ico-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ico-1234567890", "ico-Q7PezSIaImlcAxxzzpjHE3CbcKMbQNV"],
        ..PREFIXED
    },
    Builtin {
        id: "platformsh_token",
        provider: "platformsh",
        description: "Platform.sh / Upsun API token (43) beside a Platform.sh key name",
        keywords: &["platformsh"],
        pattern: concat!(r"(?-u)(?i:platformsh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export PLATFORMSH_CLI_TOKEN="fWmPtYnU3OiujRdtpVLKLMX50L5PTZ--ICvQ9tKGdVa""#, "fWmPtYnU3OiujRdtpVLKLMX50L5PTZ--ICvQ9tKGdVa"),
            ("  platformsh_token: JRaACFtuJUCSUzEodA_yuNkAN5-Rv5J8bWn6Zov18jp", "JRaACFtuJUCSUzEodA_yuNkAN5-Rv5J8bWn6Zov18jp"),
        ],
        counterexamples: &["PLATFORMSH_CLI_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLATFORMSH_CLI_TOKEN=<your-platformsh-key>", "PLATFORMSH_CLI_TOKEN=D3eStWolR0kSAgdJWT2jMohC2LgrTxfpHCc3koyTNi"],
        ..NAMED
    },
    Builtin {
        id: "hasura_admin_secret",
        provider: "hasura",
        description: "Hasura GraphQL admin secret beside a Hasura secret name",
        keywords: &["hasura"],
        pattern: concat!(r"(?-u)(?i:hasura)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,64})", end_url!()),
        examples: &[
            (r#"{"HASURA_GRAPHQL_ADMIN_SECRET":"CEl4jwUMZcGSoI7fH2WSV0kIuc2OqEsDCqKheCewL4R"}"#, "CEl4jwUMZcGSoI7fH2WSV0kIuc2OqEsDCqKheCewL4R"),
            ("hasura_admin_secret=56Wjil3TRDAIkbusSjhbMnDKQrfnAkQhG5SjBJ6", "56Wjil3TRDAIkbusSjhbMnDKQrfnAkQhG5SjBJ6"),
        ],
        counterexamples: &["HASURA_GRAPHQL_ADMIN_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HASURA_GRAPHQL_ADMIN_SECRET=<your-hasura-key>", "HASURA_GRAPHQL_ADMIN_SECRET=y8yAVDvXU2KHuvkRLvqmsFjol7Hy3QX"],
        ..NAMED
    },
    Builtin {
        id: "apigee_secret",
        provider: "apigee",
        description: "Apigee consumer secret (64) beside an Apigee key name",
        keywords: &["apigee"],
        pattern: concat!(r"(?-u)(?i:apigee)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,64})", end_url!()),
        examples: &[
            ("APIGEE_CONSUMER_SECRET = V6izIWtVAk5e8muD9sTnP27jak9VNMTsDwJJW", "V6izIWtVAk5e8muD9sTnP27jak9VNMTsDwJJW"),
            (r#"apigee_client_secret: "3r9P5OGS38R3YKdZxfslLQiq6L1PAjST6o8""#, "3r9P5OGS38R3YKdZxfslLQiq6L1PAjST6o8"),
        ],
        counterexamples: &["APIGEE_CONSUMER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APIGEE_CONSUMER_SECRET=<your-apigee-key>", "APIGEE_CONSUMER_SECRET=tviHfxT2Ki9klrOI78dh0qGINApG2nJ"],
        ..NAMED
    },
    Builtin {
        id: "tyk_api_key",
        provider: "tyk",
        description: "Tyk gateway / dashboard secret beside a Tyk key name",
        keywords: &["tyk"],
        pattern: concat!(r"(?-u)(?i:tyk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TYK_GW_SECRET: 40317d98367c645adf534032d223e048", "40317d98367c645adf534032d223e048"),
            (r#"export tyk_api_key="39b68ff685a3cac87d9acf9d0be2f889""#, "39b68ff685a3cac87d9acf9d0be2f889"),
        ],
        counterexamples: &["TYK_GW_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TYK_GW_SECRET=<your-tyk-key>", "TYK_GW_SECRET=a30e83e71253d9395eff20b6f8da740"],
        ..NAMED
    },
];
