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
            (r#"{"render_api_key": "rnd_B6NPyCLU4muPdajORnozy2eIytYQuU8F", "region": "eu-west-1"}"#, "rnd_B6NPyCLU4muPdajORnozy2eIytYQuU8F"),
            ("2024-06-11T08:14:52Z DEBUG render client configured token=rnd_UhdKSWQdko9xmxoYh5s39TAnszbf53gt", "rnd_UhdKSWQdko9xmxoYh5s39TAnszbf53gt"),
        ],
        counterexamples: &["rnd_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like rnd_1234567890", "rnd_GIrFpQnZoIKCdBGgzUl8ZhjAjkLSYTS"],
        ..PREFIXED
    },
    Builtin {
        id: "railway_token",
        provider: "railway",
        description: "Railway API / project token (UUID) beside a Railway key name",
        keywords: &["railway"],
        pattern: concat!(r"(?-u)(?i:railway)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  RAILWAY_TOKEN: 58039a06-07cf-e810-d865-3e91d25536b4", "58039a06-07cf-e810-d865-3e91d25536b4"),
            (r#"export railway_api_token="06ac59e5-57ce-47d6-0271-fa0cc3734ef6""#, "06ac59e5-57ce-47d6-0271-fa0cc3734ef6"),
        ],
        counterexamples: &["RAILWAY_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAILWAY_TOKEN=<your-railway-key>", "RAILWAY_TOKEN=ba5e5916-fd0f-1dfd-d838-b82b7f3d528"],
        ..NAMED
    },
    Builtin {
        id: "deno_deploy_token",
        provider: "deno",
        description: "Deno Deploy personal (ddp_) and organisation (ddo_) access tokens (+ 36)",
        keywords: &["ddp_", "ddo_"],
        pattern: prefixed!(r"(?:ddp_|ddo_)", r"[A-Za-z0-9]{36}"),
        examples: &[
            ("export DENO_DEPLOY_TOKEN=ddp_oN35yAFgcQ1ADHgOs6FWqw1Q5yB0TUhJsvjW", "ddp_oN35yAFgcQ1ADHgOs6FWqw1Q5yB0TUhJsvjW"),
            (r#"{"deno_deploy_token": "ddo_s1gWzstkWR5plOq90SmVvR4a2NzMta3xJBc8", "region": "eu-west-1"}"#, "ddo_s1gWzstkWR5plOq90SmVvR4a2NzMta3xJBc8"),
        ],
        counterexamples: &["ddp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ddp_1234567890", "ddp_Pqz5ys4rGlIhRDmOJbpypDL2BySippy95UP"],
        ..PREFIXED
    },
    Builtin {
        id: "appwrite_api_key",
        provider: "appwrite",
        description: "Appwrite API key (standard_ + 256 hex)",
        keywords: &["standard_"],
        pattern: prefixed!(r"standard_", r"[a-f0-9]{256}"),
        examples: &[
            (r#"level=info msg="auth ok" key=standard_c0cccf5a740c396145bc588ac45b5d9d09e6d05f30f9faf7748b444267b55ede375f530e5bec09c47a1cb20673d381829ce0f04812d1f48d25f5a5726a1c02f96363eb8db2b9bb09b85d398347c671ffba582150e96fad8f40ec90a4664c04c28fcd7ee77e2900312fb8b6c3283c5e9c9f67cfa03de1630c977ffdc727f0d2f8"#, "standard_c0cccf5a740c396145bc588ac45b5d9d09e6d05f30f9faf7748b444267b55ede375f530e5bec09c47a1cb20673d381829ce0f04812d1f48d25f5a5726a1c02f96363eb8db2b9bb09b85d398347c671ffba582150e96fad8f40ec90a4664c04c28fcd7ee77e2900312fb8b6c3283c5e9c9f67cfa03de1630c977ffdc727f0d2f8"),
            ("env APPWRITE_API_KEY=standard_0930f672c9773069559e575b86be2070448af7c4b08933a145196eabbedf71fd63c0c1f725d1e36696c4a5163b48a101f316c54256b1bfc8eb8f77a42a2199c9faaed36ff02f34c9a74213dc7d37475562b875a233ab8844b2a6a5244352ea7b2e44f7da160976a926a4992b6b7addc1f1258e153f3354c1d8e548e8fdbf6f11 ./deploy.sh", "standard_0930f672c9773069559e575b86be2070448af7c4b08933a145196eabbedf71fd63c0c1f725d1e36696c4a5163b48a101f316c54256b1bfc8eb8f77a42a2199c9faaed36ff02f34c9a74213dc7d37475562b875a233ab8844b2a6a5244352ea7b2e44f7da160976a926a4992b6b7addc1f1258e153f3354c1d8e548e8fdbf6f11"),
        ],
        counterexamples: &["standard_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like standard_1234567890", "standard_03f06d33b8322241b9b90c7a802cec00d95e71f29995abc05bac08d0828649d4245d30512071eda40b50bb4c63c51f993710b3b76e1b5aa8984c397eaeda22e33667a182883573663be1f73bd0a9333f2be15fda041f512775e1beebc44515ea07e38370568bfdecaf18714af3f74548d8c7877de6f7d3e183033c84d3ad0a4"],
        ..PREFIXED
    },
    Builtin {
        id: "koyeb_token",
        provider: "koyeb",
        description: "Koyeb API token (64) beside a Koyeb key name",
        keywords: &["koyeb"],
        pattern: concat!(r"(?-u)(?i:koyeb)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"export KOYEB_TOKEN="7xFwZ6rZhSGCS399qKy4Z82ATICV01k5wFaIDhCQ6Wp3LBIzm8psFJocpDF14dPR""#, "7xFwZ6rZhSGCS399qKy4Z82ATICV01k5wFaIDhCQ6Wp3LBIzm8psFJocpDF14dPR"),
            ("  koyeb_api_token: zXWBG43C1hlXSDmWRRCxnj8fRSyjMSpS2fBXYayXMJHjcFhUb9XylryC00yO3a33", "zXWBG43C1hlXSDmWRRCxnj8fRSyjMSpS2fBXYayXMJHjcFhUb9XylryC00yO3a33"),
        ],
        counterexamples: &["KOYEB_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KOYEB_TOKEN=<your-koyeb-key>", "KOYEB_TOKEN=uUCmtak0BfIWCZ2f3rdymaTpLDoPuQZ9SyY458Cl56P3aOmg7gApRDHNTCHcAEY"],
        ..NAMED
    },
    Builtin {
        id: "replit_token",
        provider: "replit",
        description: "Replit token beside a Replit key name",
        keywords: &["replit"],
        pattern: concat!(r"(?-u)(?i:replit)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            (r#"{"REPLIT_TOKEN":"GO1PpRbCNZkCjFin0Q4PzKwjc2R4qWmJNLgw5FwM-ngVRz6lfH5"}"#, "GO1PpRbCNZkCjFin0Q4PzKwjc2R4qWmJNLgw5FwM-ngVRz6lfH5"),
            ("replit_api_key=gGcH1b-equan_CQeFO-KNZVPffOgG3-CFHxofP4dxOOrAQDZ", "gGcH1b-equan_CQeFO-KNZVPffOgG3-CFHxofP4dxOOrAQDZ"),
        ],
        counterexamples: &["REPLIT_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REPLIT_TOKEN=<your-replit-key>", "REPLIT_TOKEN=EYzPP-2N4aYaBJnD8AVlNOnmvbW-tz6Iouz4J-y"],
        ..NAMED
    },
    Builtin {
        id: "northflank_token",
        provider: "northflank",
        description: "Northflank API token beside a Northflank key name",
        keywords: &["northflank"],
        pattern: concat!(r"(?-u)(?i:northflank)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{40,64})", end_url!()),
        examples: &[
            ("NORTHFLANK_API_TOKEN = 8zsQmEEaaReaXe82t_fpDOvLucX7VtuIH7PC8haij6N", "8zsQmEEaaReaXe82t_fpDOvLucX7VtuIH7PC8haij6N"),
            (r#"northflank_token: "0LwdtJdWmb2eaeXLnBs0AMbPuNxJHeCSFnQRP6QSsm5wWlsD""#, "0LwdtJdWmb2eaeXLnBs0AMbPuNxJHeCSFnQRP6QSsm5wWlsD"),
        ],
        counterexamples: &["NORTHFLANK_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NORTHFLANK_API_TOKEN=<your-northflank-key>", "NORTHFLANK_API_TOKEN=nxc8mTWCdiMcZxO4awty1h2IHP_ZYt_JyvhlOjq"],
        ..NAMED
    },
    Builtin {
        id: "netlify_build_hook",
        provider: "netlify",
        description: "Netlify deploy / API token (43 to 64) beside a Netlify key name",
        keywords: &["netlify"],
        pattern: concat!(r"(?-u)(?i:netlify)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43,64})", end_url!()),
        examples: &[
            ("  NETLIFY_AUTH_TOKEN: WheQMN4_s3W4oc7gj3nO1ZEYTSMfdzUFsigakDkNdYMkd4vCyZ", "WheQMN4_s3W4oc7gj3nO1ZEYTSMfdzUFsigakDkNdYMkd4vCyZ"),
            (r#"export netlify_api_token="JtI5jFxSlXRIHrEKU8Wa-mLukntCOH59zTQym_y6vGznjx1uJk""#, "JtI5jFxSlXRIHrEKU8Wa-mLukntCOH59zTQym_y6vGznjx1uJk"),
        ],
        counterexamples: &["NETLIFY_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NETLIFY_AUTH_TOKEN=<your-netlify-key>", "NETLIFY_AUTH_TOKEN=fUjZhBeTdKrANhOOAdFdJOj3NR1a_Jks5MGPaqdXLd"],
        ..NAMED
    },
    Builtin {
        id: "vercel_legacy_token",
        provider: "vercel",
        description: "Vercel access token (24 alphanumerics) beside a Vercel key name",
        keywords: &["vercel"],
        pattern: concat!(r"(?-u)(?i:vercel)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            ("VERCEL_TOKEN=hkV6utpsiSUkGqrAKx5c6NEV", "hkV6utpsiSUkGqrAKx5c6NEV"),
            (r#"{"vercel_api_token":"XUB0vXY99OhB55q5xcoHa0kE"}"#, "XUB0vXY99OhB55q5xcoHa0kE"),
        ],
        counterexamples: &["VERCEL_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VERCEL_TOKEN=<your-vercel-key>", "VERCEL_TOKEN=9WRNdIS8JYwlesqNbBoBCKO"],
        ..NAMED
    },
    Builtin {
        id: "vercel_prefixed_token",
        provider: "vercel",
        description: "Vercel access tokens with a type prefix (vcp_, vci_, vca_, vcr_, vck_ + 56)",
        keywords: &["vcp_", "vci_", "vca_", "vcr_", "vck_"],
        pattern: prefixed!(r"(?:vcp_|vci_|vca_|vcr_|vck_)", r"[A-Za-z0-9]{56}"),
        examples: &[
            (r#"{"vercel_prefixed_token": "vcp_29MAVqtXLSCXGtW8LU2pKmzOp7UwAnNDlGGLBu8IlRR06WQeyXqsVeej", "region": "eu-west-1"}"#, "vcp_29MAVqtXLSCXGtW8LU2pKmzOp7UwAnNDlGGLBu8IlRR06WQeyXqsVeej"),
            ("  vercel_prefixed_token: vck_mDsaYgXV0wwf0vHTaLnCGv0wczED0VUcCq0cWNPZjl7tbYxESiqMaMxB", "vck_mDsaYgXV0wwf0vHTaLnCGv0wczED0VUcCq0cWNPZjl7tbYxESiqMaMxB"),
        ],
        counterexamples: &["vcp_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like vcp_1234567890", "vcp_Wn4lAoVSeOY3hGcDfYBFIB7WdVC5Nvlx48UrrY66xzkDMRqjTVtal3I"],
        ..PREFIXED
    },
    Builtin {
        id: "heroku_oauth_secret",
        provider: "heroku",
        description: "Heroku OAuth client secret (UUID) beside a Heroku secret name",
        keywords: &["heroku"],
        pattern: concat!(r"(?-u)(?i:heroku)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export HEROKU_OAUTH_SECRET="534e7ab1-7004-e819-fa80-81a7f1be5490""#, "534e7ab1-7004-e819-fa80-81a7f1be5490"),
            ("  heroku_client_secret: ae7a20a7-187b-4693-ed6c-0a04ba90197b", "ae7a20a7-187b-4693-ed6c-0a04ba90197b"),
        ],
        counterexamples: &["HEROKU_OAUTH_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HEROKU_OAUTH_SECRET=<your-heroku-key>", "HEROKU_OAUTH_SECRET=4d073f03-f01d-472d-e54a-f9ef37aa283"],
        ..NAMED
    },
    Builtin {
        id: "glitch_token",
        provider: "glitch",
        description: "Glitch persistent token (UUID) beside a Glitch key name",
        keywords: &["glitch"],
        pattern: concat!(r"(?-u)(?i:glitch)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"{"GLITCH_TOKEN":"1b7dfe3a-8e23-d2c5-e9cc-08f5cb3b3ff0"}"#, "1b7dfe3a-8e23-d2c5-e9cc-08f5cb3b3ff0"),
            ("glitch_persistent_token=88aef8f6-3844-a6db-5f99-9f321d8a8eab", "88aef8f6-3844-a6db-5f99-9f321d8a8eab"),
        ],
        counterexamples: &["GLITCH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GLITCH_TOKEN=<your-glitch-key>", "GLITCH_TOKEN=2cdee46c-f641-afe3-0263-b9e1466915c"],
        ..NAMED
    },
    Builtin {
        id: "pythonanywhere_token",
        provider: "pythonanywhere",
        description: "PythonAnywhere API token (40 hex) beside a PythonAnywhere key name",
        keywords: &["pythonanywhere"],
        pattern: concat!(r"(?-u)(?i:pythonanywhere)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("PYTHONANYWHERE_API_TOKEN = 3cb51bdf658cfa719fd2f0f7f54d1444b38c427c", "3cb51bdf658cfa719fd2f0f7f54d1444b38c427c"),
            (r#"pythonanywhere_token: "0d2a0c022bfbf76c64ccb0b6e41539c24afa99e9""#, "0d2a0c022bfbf76c64ccb0b6e41539c24afa99e9"),
        ],
        counterexamples: &["PYTHONANYWHERE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PYTHONANYWHERE_API_TOKEN=<your-pythonanywhere-key>", "PYTHONANYWHERE_API_TOKEN=13bb6e3d68fa2cb1efe0d75b0e94a5ad09d1c1c"],
        ..NAMED
    },
    Builtin {
        id: "scalingo_token",
        provider: "scalingo",
        description: "Scalingo API token (tk-us- + 48) beside a Scalingo key name",
        keywords: &["scalingo"],
        pattern: concat!(r"(?-u)(?i:scalingo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>tk-us-[A-Za-z0-9_-]{48})", end_url!()),
        examples: &[
            ("  SCALINGO_API_TOKEN: tk-us-yXaDsBps4AeBG0CKDJHHi6KIy0vZrJT-j9F1P2sR9gY-Zx2s", "tk-us-yXaDsBps4AeBG0CKDJHHi6KIy0vZrJT-j9F1P2sR9gY-Zx2s"),
            (r#"export scalingo_token="tk-us-FCe-rIdwxSpexHkrvmW-cITQ8PQs-RdRywH-RiBz0PAud9fq""#, "tk-us-FCe-rIdwxSpexHkrvmW-cITQ8PQs-RdRywH-RiBz0PAud9fq"),
        ],
        counterexamples: &["SCALINGO_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCALINGO_API_TOKEN=<your-scalingo-key>", "SCALINGO_API_TOKEN=tk-us-Tx1uRGB4amQqCUzrMAbGcu0h7bM2Kle1KGBvyEu9asR3IJb"],
        ..NAMED
    },
    Builtin {
        id: "scalingo_prefixed_token",
        provider: "scalingo",
        description: "Scalingo API token (tk-us- + 48)",
        keywords: &["tk-us-"],
        pattern: prefixed!(r"tk-us-", r"[A-Za-z0-9_-]{48}"),
        examples: &[
            ("  scalingo_prefixed_token: tk-us-3w1nBG_NcCIDOjJ22snQwqjp1Dm7SumEf1D5k8y22KE9Xz8P", "tk-us-3w1nBG_NcCIDOjJ22snQwqjp1Dm7SumEf1D5k8y22KE9Xz8P"),
            (r#"SCALINGO_PREFIXED_TOKEN="tk-us-BoZVdltk1RwXzo6to7veHC1OiiLhAMj3yRBQZcoRtR0cyLlN""#, "tk-us-BoZVdltk1RwXzo6to7veHC1OiiLhAMj3yRBQZcoRtR0cyLlN"),
        ],
        counterexamples: &["tk-us-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tk-us-1234567890", "tk-us-Md7Xd0ZeYDFpL2rPq582MSC7K6_lYeXwy-9pn3QEhOtrLUL"],
        ..PREFIXED
    },
    Builtin {
        id: "infracost_api_key",
        provider: "infracost",
        description: "Infracost API key (ico- + 32 alphanumerics)",
        keywords: &["ico-"],
        pattern: prefixed!(r"ico-", r"[A-Za-z0-9]{32}"),
        examples: &[
            (r#"{"infracost_api_key": "ico-jj8VqUoY0DCnXy5pldw8wsgaFSI3HirE", "region": "eu-west-1"}"#, "ico-jj8VqUoY0DCnXy5pldw8wsgaFSI3HirE"),
            (r#"infracost_api_key = "ico-RqejGgr0y2vH459dndQJySbyNavLgCYl""#, "ico-RqejGgr0y2vH459dndQJySbyNavLgCYl"),
        ],
        counterexamples: &["ico-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like ico-1234567890", "ico-4vO4Xu0PyJPcMXg0WIq7zA5DzcvamtT"],
        ..PREFIXED
    },
    Builtin {
        id: "platformsh_token",
        provider: "platformsh",
        description: "Platform.sh / Upsun API token (43) beside a Platform.sh key name",
        keywords: &["platformsh"],
        pattern: concat!(r"(?-u)(?i:platformsh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export PLATFORMSH_CLI_TOKEN="73uqOuZ_QxY6PwSbftxHflRDOCqH3-wdC1tdxt8mqqe""#, "73uqOuZ_QxY6PwSbftxHflRDOCqH3-wdC1tdxt8mqqe"),
            ("  platformsh_token: LJeCAWolbm08YCgrx0qJnqi0qfgSwjR7m86vo_G4F9b", "LJeCAWolbm08YCgrx0qJnqi0qfgSwjR7m86vo_G4F9b"),
        ],
        counterexamples: &["PLATFORMSH_CLI_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLATFORMSH_CLI_TOKEN=<your-platformsh-key>", "PLATFORMSH_CLI_TOKEN=OYDOVMTBN8QamGbw_TH_QIkSs-sTbSz7RDzJJNoeXu"],
        ..NAMED
    },
    Builtin {
        id: "hasura_admin_secret",
        provider: "hasura",
        description: "Hasura GraphQL admin secret beside a Hasura secret name",
        keywords: &["hasura"],
        pattern: concat!(r"(?-u)(?i:hasura)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,64})", end_url!()),
        examples: &[
            (r#"{"HASURA_GRAPHQL_ADMIN_SECRET":"R0tdEzcqbSfi8opXCmQrm53l8xyQqnXydYWx"}"#, "R0tdEzcqbSfi8opXCmQrm53l8xyQqnXydYWx"),
            ("hasura_admin_secret=g2z7VKlKplNJhLExR9FiZu5f7UdzKUCp7wWgdMc438g", "g2z7VKlKplNJhLExR9FiZu5f7UdzKUCp7wWgdMc438g"),
        ],
        counterexamples: &["HASURA_GRAPHQL_ADMIN_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HASURA_GRAPHQL_ADMIN_SECRET=<your-hasura-key>", "HASURA_GRAPHQL_ADMIN_SECRET=tDkkqH17xGnmLaSTrBKqfyixFKeAB0P"],
        ..NAMED
    },
    Builtin {
        id: "apigee_secret",
        provider: "apigee",
        description: "Apigee consumer secret (64) beside an Apigee key name",
        keywords: &["apigee"],
        pattern: concat!(r"(?-u)(?i:apigee)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32,64})", end_url!()),
        examples: &[
            ("APIGEE_CONSUMER_SECRET = nqqO3UBlYJnPxDCv8kNPgHa5xjBJfaVnzxKWUkmUnrAd", "nqqO3UBlYJnPxDCv8kNPgHa5xjBJfaVnzxKWUkmUnrAd"),
            (r#"apigee_client_secret: "8uOcCsT07Pv3ro9IqFJG5eei9sPH82K9""#, "8uOcCsT07Pv3ro9IqFJG5eei9sPH82K9"),
        ],
        counterexamples: &["APIGEE_CONSUMER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APIGEE_CONSUMER_SECRET=<your-apigee-key>", "APIGEE_CONSUMER_SECRET=szimfVlYRrQWeIr2na9nIZ9KzFjhASN"],
        ..NAMED
    },
    Builtin {
        id: "tyk_api_key",
        provider: "tyk",
        description: "Tyk gateway / dashboard secret beside a Tyk key name",
        keywords: &["tyk"],
        pattern: concat!(r"(?-u)(?i:tyk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  TYK_GW_SECRET: b70453f7dcbcb27fe705aa9e141dc2e9", "b70453f7dcbcb27fe705aa9e141dc2e9"),
            (r#"export tyk_api_key="b2adfa8713b15f26f0ce7bc88584d353""#, "b2adfa8713b15f26f0ce7bc88584d353"),
        ],
        counterexamples: &["TYK_GW_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TYK_GW_SECRET=<your-tyk-key>", "TYK_GW_SECRET=df2b52cb3daf62ef3a0c4a8bf02e8b2"],
        ..NAMED
    },
];
