//! Payments, commerce, shipping and finance.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "stripe_secret_key",
        provider: "stripe",
        description: "Stripe secret key (sk_live_, sk_test_)",
        keywords: &["sk_live_", "sk_test_"],
        pattern: r"(?-u)(?P<token>sk_(?:live|test)_(?P<secret>[A-Za-z0-9]{20,247}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("stripe.api_key = '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'", "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"),
            ("-u sk_live_2GjhdwNdH0HXYVlfTXBtAtpq:", "sk_live_2GjhdwNdH0HXYVlfTXBtAtpq"),
        ],
        counterexamples: &["sk_live_short", "sk_test_xxxxxxxxxxxxxxxxxxxxxxxx", "sk_live_your_key_here_please"],
    },
    Builtin {
        id: "stripe_restricted_key",
        provider: "stripe",
        description: "Stripe restricted key (rk_live_, rk_test_)",
        keywords: &["rk_live_", "rk_test_"],
        pattern: r"(?-u)(?P<token>rk_(?:live|test)_(?P<secret>[A-Za-z0-9]{20,247}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("key=rk_test_sR5xpWKx1klMJZeDczlY78Qi", "rk_test_sR5xpWKx1klMJZeDczlY78Qi")],
        counterexamples: &["rk_live_short"],
    },
    Builtin {
        id: "stripe_webhook_secret",
        provider: "stripe",
        description: "Stripe webhook signing secret (whsec_)",
        keywords: &["whsec_"],
        pattern: r"(?-u)(?P<token>whsec_(?P<secret>[A-Za-z0-9]{32,64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("STRIPE_WEBHOOK_SECRET=whsec_tWQ2V6yNLOZWbkmADcjHyhKzlvHiqpK7", "whsec_tWQ2V6yNLOZWbkmADcjHyhKzlvHiqpK7")],
        counterexamples: &["whsec_short", "whsec_..."],
    },
    Builtin {
        id: "square_access_token",
        provider: "square",
        description: "Square access token (EAAA + 60) and legacy OAuth token (sq0atp-)",
        keywords: &["EAAA", "sq0atp-"],
        pattern: concat!(r"(?-u)(?P<token>(?:EAAA|sq0atp-)(?P<secret>[A-Za-z0-9_-]{22,100}))", end_url!()),
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[
            ("SQUARE_ACCESS_TOKEN=EAAA5R63iappeszhdp3X4d5XfwShzZnIJWyYAOFnuA_6yuohls3WVpX-3hCsI95p", "EAAA5R63iappeszhdp3X4d5XfwShzZnIJWyYAOFnuA_6yuohls3WVpX-3hCsI95p"),
            ("token sq0atp-QKaAE1qleZdJNDtfb59fSm", "sq0atp-QKaAE1qleZdJNDtfb59fSm"),
        ],
        counterexamples: &["EAAA short", "sq0atp-short"],
    },
    Builtin {
        id: "square_oauth_secret",
        provider: "square",
        description: "Square OAuth application secret (sq0csp- + 43)",
        keywords: &["sq0csp-"],
        pattern: concat!(r"(?-u)(?P<token>sq0csp-(?P<secret>[A-Za-z0-9_-]{43}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("application_secret: sq0csp-bwJ_wr_Ven6UOYC1OoCL8rYMsiDiys1pNomI39sFP1z", "sq0csp-bwJ_wr_Ven6UOYC1OoCL8rYMsiDiys1pNomI39sFP1z")],
        counterexamples: &["sq0csp-bwJ_wr_Ven6UOYC1OoCL8rYMsiDiys1pNomI39sFP1", "sq0csp-bwJ_wr_Ven6UOYC1OoCL8rYMsiDiys1pNomI39sFP1zz"],
    },
    Builtin {
        id: "shopify_token",
        provider: "shopify",
        description: "Shopify access tokens (shpat_ admin, shpca_ custom app, shppa_ private app)",
        keywords: &["shpat_", "shpca_", "shppa_"],
        pattern: r"(?-u)(?P<token>shp(?:at|ca|pa)_(?P<secret>[a-fA-F0-9]{32}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("X-Shopify-Access-Token: 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", "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")],
        counterexamples: &["shpat_466b3565bab39837b05899848f28098", "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ab"],
    },
    Builtin {
        id: "shopify_shared_secret",
        provider: "shopify",
        description: "Shopify app shared secret (shpss_)",
        keywords: &["shpss_"],
        pattern: r"(?-u)(?P<token>shpss_(?P<secret>[a-fA-F0-9]{32}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("SHOPIFY_API_SECRET=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", "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")],
        counterexamples: &["shpss_c5425891db7febb68b72329033"],
    },
    Builtin {
        id: "shippo_api_token",
        provider: "shippo",
        description: "Shippo API token (shippo_live_ / shippo_test_ + 40 hex)",
        keywords: &["shippo_"],
        pattern: r"(?-u)(?P<token>shippo_(?:live|test)_(?P<secret>[a-f0-9]{40}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("Authorization: ShippoToken shippo_live_e637284765b975ed4b47993ec5d0eefc4b8725b8", "shippo_live_e637284765b975ed4b47993ec5d0eefc4b8725b8")],
        counterexamples: &["shippo_live_short"],
    },
    Builtin {
        id: "square_legacy_access_token",
        provider: "square",
        description: "Square legacy access token (sq0atp- + 22)",
        keywords: &["sq0atp-"],
        pattern: prefixed!(r"sq0atp-", r"[A-Za-z0-9_-]{22}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer sq0atp-MkoZRwEa_jNuE2wXMuWjVR' https://api.example.net/v1/me", "sq0atp-MkoZRwEa_jNuE2wXMuWjVR"),
            (r#"square_legacy_access_token = "sq0atp-MKw1xZk-7t_XtEHAvrdc5k""#, "sq0atp-MKw1xZk-7t_XtEHAvrdc5k"),
        ],
        counterexamples: &["sq0atp-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sq0atp-1234567890", "sq0atp-dxM7twucRQq0HmPesubU0"],
        ..PREFIXED
    },
    Builtin {
        id: "paypal_braintree_token",
        provider: "paypal",
        description: "PayPal / Braintree access token (access_token$production$ + 16 + $ + 32 hex)",
        keywords: &["access_token$"],
        pattern: prefixed!(r"(?:access_token\$production\$|access_token\$sandbox\$)", r"[a-z0-9]{16}\$[a-f0-9]{32}"),
        examples: &[
            (r#"PAYPAL_BRAINTREE_TOKEN="access_token$production$vqesldyvga0y7965$dd6eea165071fd787a6a70767bd221b8""#, "access_token$production$vqesldyvga0y7965$dd6eea165071fd787a6a70767bd221b8"),
            ("env PAYPAL_BRAINTREE_TOKEN=access_token$sandbox$lajld78kpd1gqclv$2c59b1345cd35620347bec393731080c ./deploy.sh", "access_token$sandbox$lajld78kpd1gqclv$2c59b1345cd35620347bec393731080c"),
        ],
        counterexamples: &["access_token$production$xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like access_token$production$1234567890", "access_token$production$o2jn30u8j9mnbdrh$5dec083da4ccc743290adb4e091434d"],
        ..PREFIXED
    },
    Builtin {
        id: "paypal_client_secret",
        provider: "paypal",
        description: "PayPal REST client secret (80) beside a PayPal secret name",
        keywords: &["paypal"],
        pattern: concat!(r"(?-u)(?i:paypal)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{80})", end_url!()),
        examples: &[
            (r#"export PAYPAL_CLIENT_SECRET="KoVFkCdgYHtWtY1KSFUM_M8wdruqVFOe0lfe0us5kK_YurpPBj4k3Gh_Sst-Ud-q-freVhr1ojastj-j""#, "KoVFkCdgYHtWtY1KSFUM_M8wdruqVFOe0lfe0us5kK_YurpPBj4k3Gh_Sst-Ud-q-freVhr1ojastj-j"),
            ("  paypal_secret: ksZWotxGtj4yPAY_lZnWvsLwJ1HH0FXUyOFIPqWMoLboU66wNAfbBIskHaznq2vlGlHPOZg_icLjDzxL", "ksZWotxGtj4yPAY_lZnWvsLwJ1HH0FXUyOFIPqWMoLboU66wNAfbBIskHaznq2vlGlHPOZg_icLjDzxL"),
        ],
        counterexamples: &["PAYPAL_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAYPAL_CLIENT_SECRET=<your-paypal-key>", "PAYPAL_CLIENT_SECRET=NVDYaOutL63t8_jNUkzI8xkv7x2pIyHbnUSw07Rc3nO7_tuVR6u81Xo6qfBgkCYqDnflfD4cvTAnlkj"],
        ..NAMED
    },
    Builtin {
        id: "braintree_private_key",
        provider: "braintree",
        description: "Braintree private key (32 hex) beside a Braintree key name",
        keywords: &["braintree"],
        pattern: concat!(r"(?-u)(?i:braintree)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"BRAINTREE_PRIVATE_KEY":"a8db2cf7d59082f7109394ac33e259e0"}"#, "a8db2cf7d59082f7109394ac33e259e0"),
            ("braintree_private_key=592d7e91676b6044bc8b3beb60f61c96", "592d7e91676b6044bc8b3beb60f61c96"),
        ],
        counterexamples: &["BRAINTREE_PRIVATE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BRAINTREE_PRIVATE_KEY=<your-braintree-key>", "BRAINTREE_PRIVATE_KEY=343533dfb9200af6a3bdfb62e3235d2"],
        ..NAMED
    },
    Builtin {
        id: "plaid_access_token",
        provider: "plaid",
        description: "Plaid access token (access-<environment>- + UUID)",
        keywords: &["access-production-", "access-development-", "access-sandbox-"],
        pattern: prefixed!(r"(?:access-production-|access-development-|access-sandbox-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("env PLAID_ACCESS_TOKEN=access-production-b95a2e13-3320-47f8-bcab-9e4f4da0c118 ./deploy.sh", "access-production-b95a2e13-3320-47f8-bcab-9e4f4da0c118"),
            ("export PLAID_ACCESS_TOKEN=access-sandbox-2228c26b-0e90-33e6-de81-31b223e89cfa", "access-sandbox-2228c26b-0e90-33e6-de81-31b223e89cfa"),
        ],
        counterexamples: &["access-production-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like access-production-1234567890", "access-production-6a53fe46-0109-7136-c595-f7bc177bf53"],
        ..PREFIXED
    },
    Builtin {
        id: "plaid_secret",
        provider: "plaid",
        description: "Plaid API secret (30 hex) beside a Plaid key name",
        keywords: &["plaid"],
        pattern: concat!(r"(?-u)(?i:plaid)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{30})", end_url!()),
        examples: &[
            ("  PLAID_SECRET: 4109a24306e47684a833a22ba181ef", "4109a24306e47684a833a22ba181ef"),
            (r#"export plaid_secret_key="73eaf38be207bb5333628a58d69f15""#, "73eaf38be207bb5333628a58d69f15"),
        ],
        counterexamples: &["PLAID_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLAID_SECRET=<your-plaid-key>", "PLAID_SECRET=974cdb6e7f59400c9f49a027bcf0d"],
        ..NAMED
    },
    Builtin {
        id: "flutterwave_secret_key",
        provider: "flutterwave",
        description: "Flutterwave secret key (FLWSECK- / FLWSECK_TEST- + 32 hex + -X)",
        keywords: &["FLWSECK-", "FLWSECK_TEST-"],
        pattern: prefixed!(r"(?:FLWSECK-|FLWSECK_TEST-)", r"[a-f0-9]{32}-X"),
        examples: &[
            (r#"FLUTTERWAVE_SECRET_KEY="FLWSECK-119e48f52a270f2b8847af9b0fcd7deb-X""#, "FLWSECK-119e48f52a270f2b8847af9b0fcd7deb-X"),
            ("curl -s -H 'Authorization: Bearer FLWSECK_TEST-503c818abad99af40041bcc08d342756-X' https://api.example.net/v1/me", "FLWSECK_TEST-503c818abad99af40041bcc08d342756-X"),
        ],
        counterexamples: &["FLWSECK-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like FLWSECK-1234567890", "FLWSECK-3d1f628ae5938ce176d43d89af864a0-X"],
        ..PREFIXED
    },
    Builtin {
        id: "razorpay_key_secret",
        provider: "razorpay",
        description: "Razorpay key secret (24) beside a Razorpay key name, or quoted right after its quoted key id (rzp_live_ / rzp_test_ + 14), as the SDKs take the pair",
        keywords: &["razorpay", "rzp_"],
        pattern: concat!(r"(?-u)(?:(?i:razorpay)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})|\brzp_(?:live|test)_[A-Za-z0-9]{14}\\{0,3}[\x22'][ \t]*,[ \t]*\\{0,3}[\x22'](?P<secret_pair>[A-Za-z0-9]{24}))", end_url!()),
        examples: &[
            (r#"RAZORPAY_KEY_SECRET: "19n4TxMHvv5p0oazoIFvcgOI""#, "19n4TxMHvv5p0oazoIFvcgOI"),
            ("razorpay_secret = xSQ5Br3ZNGoEdKRkct9KxnPx", "xSQ5Br3ZNGoEdKRkct9KxnPx"),
            ("client = razorpay.Client(auth=(\"rzp_live_Xb7kQ2mN9pL4vW\", \"q3Rt8yUi0oPa5sDf7gHj2kLz\"))", "q3Rt8yUi0oPa5sDf7gHj2kLz"),
        ],
        counterexamples: &["RAZORPAY_KEY_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAZORPAY_KEY_SECRET=<your-razorpay-key>", "RAZORPAY_KEY_SECRET=lLNtO2ejFvoIwJoBudQKxoA", "auth=(\"rzp_live_Xb7kQ2mN9pL4vW\", os.environ[\"RAZORPAY_SECRET\"])"],
        ..NAMED
    },
    Builtin {
        id: "paystack_secret_key",
        provider: "paystack",
        description: "Paystack secret key (sk_live_ / sk_test_ + 40 hex) beside a Paystack key name",
        keywords: &["paystack"],
        pattern: concat!(r"(?-u)(?i:paystack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_test_[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export PAYSTACK_SECRET_KEY="sk_test_1507e46ec1624921505329f0aa357c2c1e4106b2""#, "sk_test_1507e46ec1624921505329f0aa357c2c1e4106b2"),
            ("  paystack_key: sk_test_86a823644fa608c7ceeba6719053b005fa8ed8f1", "sk_test_86a823644fa608c7ceeba6719053b005fa8ed8f1"),
        ],
        counterexamples: &["PAYSTACK_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAYSTACK_SECRET_KEY=<your-paystack-key>", "PAYSTACK_SECRET_KEY=sk_test_318f613e7cce89e82e4075e694c2a1122d3aa49"],
        ..NAMED
    },
    Builtin {
        id: "mollie_api_key",
        provider: "mollie",
        description: "Mollie API key (live_ / test_ + 30) beside a Mollie key name",
        keywords: &["mollie"],
        pattern: concat!(r"(?-u)(?i:mollie)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9]{30})", end_url!()),
        examples: &[
            (r#"{"MOLLIE_API_KEY":"live_vpnlcVK5LPgZMkIL66329CXfo6iOTT"}"#, "live_vpnlcVK5LPgZMkIL66329CXfo6iOTT"),
            ("mollie_key=live_3xtUHzZUR67G2OCeHYG4QtwaZCNCeo", "live_3xtUHzZUR67G2OCeHYG4QtwaZCNCeo"),
        ],
        counterexamples: &["MOLLIE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MOLLIE_API_KEY=<your-mollie-key>", "MOLLIE_API_KEY=live_NiJG5sjW2QbNAAgCmzdbFe756HM51"],
        ..NAMED
    },
    Builtin {
        id: "gocardless_access_token",
        provider: "gocardless",
        description: "GoCardless access token (live_ / sandbox_ + 40) beside a GoCardless key name",
        keywords: &["gocardless"],
        pattern: concat!(r"(?-u)(?i:gocardless)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9_-]{40})", end_url!()),
        examples: &[
            ("GOCARDLESS_ACCESS_TOKEN = live_1oe5wUQv0xtwRKoV5zms7Wtep1wiNNE_0-VkkSIq", "live_1oe5wUQv0xtwRKoV5zms7Wtep1wiNNE_0-VkkSIq"),
            (r#"gocardless_token: "live__ZkZ_MS1j9D9rnwoUqtLfXNyOtq428bLCD8mU5EJ""#, "live__ZkZ_MS1j9D9rnwoUqtLfXNyOtq428bLCD8mU5EJ"),
        ],
        counterexamples: &["GOCARDLESS_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GOCARDLESS_ACCESS_TOKEN=<your-gocardless-key>", "GOCARDLESS_ACCESS_TOKEN=live_n0K6dHhYUzTBX9r7OIr_r00ms84edID0q8PJzG0"],
        ..NAMED
    },
    Builtin {
        id: "paddle_api_key",
        provider: "paddle",
        description: "Paddle Billing API key (pdl_live_apikey_ / pdl_sdbx_apikey_ + id + _ + secret)",
        keywords: &["pdl_live_apikey_", "pdl_sdbx_apikey_"],
        pattern: prefixed!(r"(?:pdl_live_apikey_|pdl_sdbx_apikey_)", r"[a-z0-9]{26}_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{3}"),
        examples: &[
            (r#"paddle_api_key = "pdl_live_apikey_ewngk7fe5gv0du4k4aifx78uta_3sOwIHe4m2a4bSENknSO9Z_fw0""#, "pdl_live_apikey_ewngk7fe5gv0du4k4aifx78uta_3sOwIHe4m2a4bSENknSO9Z_fw0"),
            ("  paddle_api_key: pdl_sdbx_apikey_ewe7m4vnjsgwfsttgiad904a1t_6v-TL9lPkawPjs0b9pCjAa_LDS", "pdl_sdbx_apikey_ewe7m4vnjsgwfsttgiad904a1t_6v-TL9lPkawPjs0b9pCjAa_LDS"),
        ],
        counterexamples: &["pdl_live_apikey_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pdl_live_apikey_1234567890", "pdl_live_apikey_6r5wyuoxkljeed08hd7ndn9r0q_ZT7QvHJ_gd76azWZ-CG7nt_io"],
        ..PREFIXED
    },
    Builtin {
        id: "paddle_vendor_auth",
        provider: "paddle",
        description: "Paddle Classic vendor auth code (50 hex) beside a Paddle key name",
        keywords: &["paddle"],
        pattern: concat!(r"(?-u)(?i:paddle)[A-Za-z0-9_.-]{0,24}?(?i:auth|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{50})", end_url!()),
        examples: &[
            ("PADDLE_VENDOR_AUTH_CODE=9dff23083543e2b115159b22e76c5a3905ede0a31083a18ce6", "9dff23083543e2b115159b22e76c5a3905ede0a31083a18ce6"),
            (r#"{"paddle_auth_code":"5dcdc33e191e1d65e3e688fdeeceed8b3a827792045644ad01"}"#, "5dcdc33e191e1d65e3e688fdeeceed8b3a827792045644ad01"),
        ],
        counterexamples: &["PADDLE_VENDOR_AUTH_CODE=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PADDLE_VENDOR_AUTH_CODE=<your-paddle-key>", "PADDLE_VENDOR_AUTH_CODE=5a97c70346bef0415eade7a0937699c43e87055686ab9b3b2"],
        ..NAMED
    },
    Builtin {
        id: "easypost_api_key",
        provider: "easypost",
        description: "EasyPost production (EZAK) and test (EZTK) API keys (+ 54)",
        keywords: &["EZAK", "EZTK"],
        pattern: prefixed!(r"(?:EZAK|EZTK)", r"[A-Za-z0-9]{54}"),
        examples: &[
            ("Authorization: Bearer EZAKld2gIvwfT2DPh3sUTt2v6DZFG1Nmpsdre8rxEvDWhgAczt8UcM8kPQ", "EZAKld2gIvwfT2DPh3sUTt2v6DZFG1Nmpsdre8rxEvDWhgAczt8UcM8kPQ"),
            ("  easypost_api_key: EZTKE1Oa0vGYgdEH6s5iBHX7pGpXL1cOJt0lv5KD69bUWcn1EmptYLmZyU", "EZTKE1Oa0vGYgdEH6s5iBHX7pGpXL1cOJt0lv5KD69bUWcn1EmptYLmZyU"),
        ],
        counterexamples: &["EZAKxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EZAK1234567890", "EZAKqQSmMjCHqj7gxbTc8HvDHRikf7FhCvtSziuAoHB2CKonaXiMGMtRR"],
        ..PREFIXED
    },
    Builtin {
        id: "lob_api_key",
        provider: "lob",
        description: "Lob API key (live_ / test_ + 35 hex) beside a Lob key name",
        keywords: &["lob_", "lob-"],
        pattern: concat!(r"(?-u)(?i:lob)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[a-f0-9]{35})", end_url!()),
        examples: &[
            (r#"export LOB_API_KEY="live_1d4d9bc8ebea6354fab448b0db1ceea66ef""#, "live_1d4d9bc8ebea6354fab448b0db1ceea66ef"),
            ("  lob_secret_key: live_f57956c9a44864665cebc1a833ec68aaa2a", "live_f57956c9a44864665cebc1a833ec68aaa2a"),
        ],
        counterexamples: &["LOB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOB_API_KEY=<your-lob-key>", "LOB_API_KEY=live_9ced7f68d1a551102d8551e8084e200125"],
        ..NAMED
    },
    Builtin {
        id: "shipengine_api_key",
        provider: "shipengine",
        description: "ShipEngine API key (TEST_ + 43, or 43) beside a ShipEngine key name",
        keywords: &["shipengine"],
        pattern: concat!(r"(?-u)(?i:shipengine)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>TEST_[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"{"SHIPENGINE_API_KEY":"TEST_eOVBHreO3keNdWCK9QaG7WfPROsjOBfEe1mtrd6uOrK"}"#, "TEST_eOVBHreO3keNdWCK9QaG7WfPROsjOBfEe1mtrd6uOrK"),
            ("shipengine_key=TEST_OtBnoxJuHh5Wlc3PZI5Lc-MMDThLgyohx7XhZvry3DZ", "TEST_OtBnoxJuHh5Wlc3PZI5Lc-MMDThLgyohx7XhZvry3DZ"),
        ],
        counterexamples: &["SHIPENGINE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHIPENGINE_API_KEY=<your-shipengine-key>", "SHIPENGINE_API_KEY=TEST_Zjkci0rwN7WfI_ommnCk5xwy5GE3QwIcl3KHThJ9-t"],
        ..NAMED
    },
    Builtin {
        id: "checkout_secret_key",
        provider: "checkout",
        description: "Checkout.com secret key (sk_ / sk_sbox_ + 26 to 36) beside a Checkout key name",
        keywords: &["checkout"],
        pattern: concat!(r"(?-u)(?i:checkout)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_sbox_[a-z0-9]{26,36})", end_url!()),
        examples: &[
            ("CHECKOUT_SECRET_KEY = sk_sbox_6n9ptihia3i36f5hv7fjx848tbh", "sk_sbox_6n9ptihia3i36f5hv7fjx848tbh"),
            (r#"checkout_com_secret_key: "sk_sbox_g2ahieo4d9dbup2b2vd20kp5zijiuyc3458a""#, "sk_sbox_g2ahieo4d9dbup2b2vd20kp5zijiuyc3458a"),
        ],
        counterexamples: &["CHECKOUT_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHECKOUT_SECRET_KEY=<your-checkout-key>", "CHECKOUT_SECRET_KEY=sk_sbox_qi6r4v1m8q43xcnse3ra0l35k"],
        ..NAMED
    },
    Builtin {
        id: "adyen_api_key",
        provider: "adyen",
        description: "Adyen API key (AQE + ...) beside an Adyen key name",
        keywords: &["adyen"],
        pattern: concat!(r"(?-u)(?i:adyen)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>AQE[A-Za-z0-9_-]{60,200})", end_url!()),
        examples: &[
            ("  ADYEN_API_KEY: AQEBjMShSRolRgTQu0b_QhYxmr2B14dT1UIB_MYO7boqzwIzUS-Q_Jwj7w77Lz6I1NC", "AQEBjMShSRolRgTQu0b_QhYxmr2B14dT1UIB_MYO7boqzwIzUS-Q_Jwj7w77Lz6I1NC"),
            (r#"export adyen_key="AQElCu-nXeNfLx9eOn8QWT7lFsLqx9V30CmVfbUFUy3KgsW4AF0o8oncVnHu1d0""#, "AQElCu-nXeNfLx9eOn8QWT7lFsLqx9V30CmVfbUFUy3KgsW4AF0o8oncVnHu1d0"),
        ],
        counterexamples: &["ADYEN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ADYEN_API_KEY=<your-adyen-key>", "ADYEN_API_KEY=AQE0OYAbZR7TAAcQYuTEyq0KdeXLyzbL4BkccM0j7-Zt0Kf0ETOcG2hjynz-Nk"],
        ..NAMED
    },
    Builtin {
        id: "wise_api_token",
        provider: "wise",
        description: "Wise (TransferWise) API token (UUID) beside a Wise key name",
        keywords: &["transferwise", "wise_api", "wise-api"],
        pattern: concat!(r"(?-u)(?i:wise|transferwise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("WISE_API_TOKEN=d208b210-1678-4ce6-4b62-b2e0768d6c91", "d208b210-1678-4ce6-4b62-b2e0768d6c91"),
            (r#"{"transferwise_token":"5a625665-4a09-8d37-c0f1-892fe6d5c30a"}"#, "5a625665-4a09-8d37-c0f1-892fe6d5c30a"),
        ],
        counterexamples: &["WISE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WISE_API_TOKEN=<your-wise-key>", "WISE_API_TOKEN=27e7d6f5-e92b-2fc1-b46b-464efdf4080"],
        ..NAMED
    },
    Builtin {
        id: "coinbase_api_secret",
        provider: "coinbase",
        description: "Coinbase API secret beside a Coinbase key name",
        keywords: &["coinbase"],
        pattern: concat!(r"(?-u)(?i:coinbase)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{32,88})", end_b64!()),
        examples: &[
            (r#"COINBASE_API_SECRET: "pAC+Se1JIh/dXz0lSpYSLoIKpMR/P7fKCgITRRD""#, "pAC+Se1JIh/dXz0lSpYSLoIKpMR/P7fKCgITRRD"),
            ("coinbase_secret = W8E0zP6njdcthnYZC+2J65ONM+sHGXXDQdwHgJ", "W8E0zP6njdcthnYZC+2J65ONM+sHGXXDQdwHgJ"),
        ],
        counterexamples: &["COINBASE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COINBASE_API_SECRET=<your-coinbase-key>", "COINBASE_API_SECRET=mqJ9Bsx5v8kJtxEUE5lHhH1amOvka+I"],
        ..NAMED
    },
    Builtin {
        id: "kraken_api_secret",
        provider: "kraken",
        description: "Kraken API private key (88 base64) beside a Kraken key name",
        keywords: &["kraken"],
        pattern: concat!(r"(?-u)(?i:kraken)[A-Za-z0-9_.-]{0,24}?(?i:secret|private)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{86}==)", end_b64!()),
        examples: &[
            (r#"export KRAKEN_API_SECRET="TTr0qQVmgtEYl2cajIX7dJNTbCBkegQqG3zxDk1bnCaYRg5oZAq4sO1U/49iCg2wwGYdiZ7IFV2l21rTeIKfrp==""#, "TTr0qQVmgtEYl2cajIX7dJNTbCBkegQqG3zxDk1bnCaYRg5oZAq4sO1U/49iCg2wwGYdiZ7IFV2l21rTeIKfrp=="),
            ("  kraken_private_key: qjA61ZPW95VY4281a390S6R1x7HAQa3Mei975VqUZw82ujOxqsusib/NjGUe8krMAM4iEOmI4ilO4qZEf7JPym==", "qjA61ZPW95VY4281a390S6R1x7HAQa3Mei975VqUZw82ujOxqsusib/NjGUe8krMAM4iEOmI4ilO4qZEf7JPym=="),
        ],
        counterexamples: &["KRAKEN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KRAKEN_API_SECRET=<your-kraken-key>", "KRAKEN_API_SECRET=0tm8s8SCAj/6Q35kK4Dbf6TVVCTavrS3r94y0LkZPp+iBCEAT0ib7USinuvrw2zTBjfhW7JNXTNanPh/cl8TN=="],
        ..NAMED
    },
    Builtin {
        id: "binance_api_secret",
        provider: "binance",
        description: "Binance API key or secret (64 alphanumerics) beside a Binance key name",
        keywords: &["binance"],
        pattern: concat!(r"(?-u)(?i:binance)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"BINANCE_API_SECRET":"TpQsokJovh2u24DuKOCp0ZMY98rDOg9FQ7bwwuhLEYbRJ3l5nFaUduyL3jBDBZqE"}"#, "TpQsokJovh2u24DuKOCp0ZMY98rDOg9FQ7bwwuhLEYbRJ3l5nFaUduyL3jBDBZqE"),
            ("binance_api_key=IVUfnwTjtIKBXTIkKJyUpuGAcwzFVYrj9VH6hAju8lNA1EUo5ynHr0pSnlUyPJeX", "IVUfnwTjtIKBXTIkKJyUpuGAcwzFVYrj9VH6hAju8lNA1EUo5ynHr0pSnlUyPJeX"),
        ],
        counterexamples: &["BINANCE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BINANCE_API_SECRET=<your-binance-key>", "BINANCE_API_SECRET=n802D8LbhHOFwPQD3Gwfa63yD6CUzKCjgjdoEhxohfJ6D7wl0q9Lk30sDW3YY0X"],
        ..NAMED
    },
    Builtin {
        id: "bitfinex_api_secret",
        provider: "bitfinex",
        description: "Bitfinex API key or secret (43) beside a Bitfinex key name",
        keywords: &["bitfinex"],
        pattern: concat!(r"(?-u)(?i:bitfinex)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            ("BITFINEX_API_SECRET = qdnWqzvzfrcUA74njY3SlN37SOcv5T4GlTIqRg9qBpt", "qdnWqzvzfrcUA74njY3SlN37SOcv5T4GlTIqRg9qBpt"),
            (r#"bitfinex_key: "iJFdh5i6CJDttWzwnYeRpguPqnU1jTWuoi8MJGCHkV0""#, "iJFdh5i6CJDttWzwnYeRpguPqnU1jTWuoi8MJGCHkV0"),
        ],
        counterexamples: &["BITFINEX_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITFINEX_API_SECRET=<your-bitfinex-key>", "BITFINEX_API_SECRET=nAkxFMC2xj8vRT3dYNtzM7F4WjRczoHV7Eem6IllAg"],
        ..NAMED
    },
    Builtin {
        id: "kucoin_api_secret",
        provider: "kucoin",
        description: "KuCoin API secret (UUID) beside a KuCoin key name",
        keywords: &["kucoin"],
        pattern: concat!(r"(?-u)(?i:kucoin)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  KUCOIN_API_SECRET: 6bf06454-c55f-fac0-cca7-02fe30d493b7", "6bf06454-c55f-fac0-cca7-02fe30d493b7"),
            (r#"export kucoin_secret="78545ffd-5304-7a07-febf-c274315d2360""#, "78545ffd-5304-7a07-febf-c274315d2360"),
        ],
        counterexamples: &["KUCOIN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KUCOIN_API_SECRET=<your-kucoin-key>", "KUCOIN_API_SECRET=a9a38902-5cd1-6f72-a074-479cfa7e4e1"],
        ..NAMED
    },
    Builtin {
        id: "etherscan_api_key",
        provider: "etherscan",
        description: "Etherscan / block-explorer API key (34 upper-case alphanumerics) beside an Etherscan key name",
        keywords: &["etherscan"],
        pattern: concat!(r"(?-u)(?i:etherscan)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{34})", end_url!()),
        examples: &[
            ("ETHERSCAN_API_KEY=7C25V0KMJGQEP03J9ZO2S1UNY6952ULHD9", "7C25V0KMJGQEP03J9ZO2S1UNY6952ULHD9"),
            (r#"{"etherscan_key":"YI0ZWT39LY61AT4J3XGRROYOMFUDAD26WJ"}"#, "YI0ZWT39LY61AT4J3XGRROYOMFUDAD26WJ"),
        ],
        counterexamples: &["ETHERSCAN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ETHERSCAN_API_KEY=<your-etherscan-key>", "ETHERSCAN_API_KEY=6JAALL51W9G4UO5DFOI73QPA9S808U0YE"],
        ..NAMED
    },
    Builtin {
        id: "alchemy_api_key",
        provider: "alchemy",
        description: "Alchemy API key (32) beside an Alchemy key name",
        keywords: &["alchemy"],
        pattern: concat!(r"(?-u)(?:(?i:alchemy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})|\balchemy(?:api)?\.(?:com|io)/v2/(?P<secret_url>[A-Za-z0-9_-]{32}))", end_url!()),
        examples: &[
            (r#"ALCHEMY_API_KEY: "DlxNNOi5Aw9M6KIjn33R0bSrpXszKEtx""#, "DlxNNOi5Aw9M6KIjn33R0bSrpXszKEtx"),
            ("alchemy_key = N50iYxLYmKgwOyIvdWJDMy-TP2BXQMtc", "N50iYxLYmKgwOyIvdWJDMy-TP2BXQMtc"),
            ("provider = Web3(HTTPProvider('https://eth-mainnet.g.alchemy.com/v2/Qw3rTy9uIoP4aSdFgHjK1lZxCvBnM2q8'))", "Qw3rTy9uIoP4aSdFgHjK1lZxCvBnM2q8"),
        ],
        counterexamples: &["ALCHEMY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALCHEMY_API_KEY=<your-alchemy-key>", "ALCHEMY_API_KEY=2_9jRIOY9acZvzqU_U_acKafpUMJMKh", "https://eth-mainnet.g.alchemy.com/v2/your-api-key"],
        ..NAMED
    },
    Builtin {
        id: "infura_project_secret",
        provider: "infura",
        description: "Infura project id / secret (32 hex) beside an Infura key name, or in an Infura endpoint URL (infura.io/v3/KEY)",
        keywords: &["infura"],
        pattern: concat!(r"(?-u)(?:(?i:infura)[A-Za-z0-9_.-]{0,24}?(?i:key|secret|id)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})|\binfura\.io/(?:ws/)?v3/(?P<secret_url>[a-f0-9]{32}))", end_url!()),
        examples: &[
            (r#"export INFURA_PROJECT_SECRET="574258c33c839fac35319e0d605f5efc""#, "574258c33c839fac35319e0d605f5efc"),
            ("  infura_api_key: 894d573f805856b198d167351bba7e60", "894d573f805856b198d167351bba7e60"),
            ("const rpc = \"https://mainnet.infura.io/v3/3b1f9c0e7a2d4c6e8f0a1b2c3d4e5f60\";", "3b1f9c0e7a2d4c6e8f0a1b2c3d4e5f60"),
            ("WS_URL=wss://sepolia.infura.io/ws/v3/9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b", "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"),
        ],
        counterexamples: &["INFURA_PROJECT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INFURA_PROJECT_SECRET=<your-infura-key>", "INFURA_PROJECT_SECRET=91f6139648d7981f1ca02413e053695", "https://mainnet.infura.io/v3/YOUR-PROJECT-ID"],
        ..NAMED
    },
    Builtin {
        id: "moralis_api_key",
        provider: "moralis",
        description: "Moralis API key (64) beside a Moralis key name",
        keywords: &["moralis"],
        pattern: concat!(r"(?-u)(?i:moralis)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"MORALIS_API_KEY":"sgPOTUChtmf55wGC4yIhtJuRRXXLltJcdlgSK2DfgoaGvHqWZuSrYwNGcnQp2mqj"}"#, "sgPOTUChtmf55wGC4yIhtJuRRXXLltJcdlgSK2DfgoaGvHqWZuSrYwNGcnQp2mqj"),
            ("moralis_key=gc4t9KXp0YVzLcnFiVSXB7l6KWK8vAE7BQlL2h2Yno4BFL11XgFqw8qagzIR0dMN", "gc4t9KXp0YVzLcnFiVSXB7l6KWK8vAE7BQlL2h2Yno4BFL11XgFqw8qagzIR0dMN"),
        ],
        counterexamples: &["MORALIS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MORALIS_API_KEY=<your-moralis-key>", "MORALIS_API_KEY=viSZzqEoYLd6bXPUiNXnlnTQ9Y0WN94Jf7bAiAcrue3TVTcK2Kpb38mvYmZN508"],
        ..NAMED
    },
    Builtin {
        id: "quicknode_token",
        provider: "quicknode",
        description: "QuickNode endpoint token (40 hex) beside a QuickNode key name",
        keywords: &["quicknode"],
        pattern: concat!(r"(?-u)(?i:quicknode)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("QUICKNODE_TOKEN = 05adf822570147a768dd247aefa7b3799fb4dc92", "05adf822570147a768dd247aefa7b3799fb4dc92"),
            (r#"quicknode_api_key: "b878666f3fb38dc83134fdff50636a8502d5d0c7""#, "b878666f3fb38dc83134fdff50636a8502d5d0c7"),
        ],
        counterexamples: &["QUICKNODE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QUICKNODE_TOKEN=<your-quicknode-key>", "QUICKNODE_TOKEN=87f9f6695c0abec8dda83a91cb537021b43ed62"],
        ..NAMED
    },
    Builtin {
        id: "crypto_wallet_private_key",
        provider: "crypto",
        description: "Cryptocurrency wallet private key (64 hex, optionally 0x) beside a wallet / private key name",
        keywords: &["private_key", "privatekey", "private-key", "wallet_key", "wallet-key", "eth_key", "eth-key", "deployer_key", "deployer-key", "signer_key", "signer-key"],
        pattern: concat!(r"(?-u)(?i:private[_-]?key|wallet[_-]?key|eth[_-]?key|deployer[_-]?key|signer[_-]?key)", assign!(), r"(?:0x)?(?P<secret>[a-fA-F0-9]{64})", end_url!()),
        examples: &[
            ("PRIVATE_KEY=0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318", "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"),
            (r#"  deployer_key: "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f""#, "8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f"),
        ],
        counterexamples: &["PRIVATE_KEY=0x0000000000000000000000000000000000000000000000000000000000000001", "private_key = 0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef", "private_key_path=/etc/keys/deploy.pem"],
        ..NAMED
    },
    Builtin {
        id: "finnhub_api_key",
        provider: "finnhub",
        description: "Finnhub API key (20 lower-case alphanumerics) beside a Finnhub key name",
        keywords: &["finnhub"],
        pattern: concat!(r"(?-u)(?i:finnhub)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{20})", end_url!()),
        examples: &[
            ("FINNHUB_API_KEY=84v5esy4u36q2333rrwx", "84v5esy4u36q2333rrwx"),
            (r#"{"finnhub_token":"f5hp59ng6scsn0lbc452"}"#, "f5hp59ng6scsn0lbc452"),
        ],
        counterexamples: &["FINNHUB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FINNHUB_API_KEY=<your-finnhub-key>", "FINNHUB_API_KEY=oy78k0u5oq1j1s6agvv"],
        ..NAMED
    },
    Builtin {
        id: "polygon_api_key",
        provider: "polygon",
        description: "Polygon.io API key (32) beside a Polygon key name",
        keywords: &["polygon"],
        pattern: concat!(r"(?-u)(?i:polygon)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            (r#"POLYGON_API_KEY: "kiEJ9rB2vUg7FhMM6NWxnzN0AHadw5Ke""#, "kiEJ9rB2vUg7FhMM6NWxnzN0AHadw5Ke"),
            ("polygon_key = 79LFchKwfpu7PEyA72FhCKRQGyPO8sbc", "79LFchKwfpu7PEyA72FhCKRQGyPO8sbc"),
        ],
        counterexamples: &["POLYGON_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "POLYGON_API_KEY=<your-polygon-key>", "POLYGON_API_KEY=-_ZPUsMBwXkq_hqY6ny9DdE0vCBJ7x6"],
        ..NAMED
    },
    Builtin {
        id: "alpaca_secret_key",
        provider: "alpaca",
        description: "Alpaca API secret key (40) beside an Alpaca key name",
        keywords: &["apca", "alpaca"],
        pattern: concat!(r"(?-u)(?i:apca|alpaca)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"export APCA_API_SECRET_KEY="lg2Y12jLMy4sJZSoeJrRogUFwcMKg2NVAj7I6uKb""#, "lg2Y12jLMy4sJZSoeJrRogUFwcMKg2NVAj7I6uKb"),
            ("  alpaca_secret_key: hV71tF82VzJffz5syBsn7WYIQRV7wvdBxxJc60Gw", "hV71tF82VzJffz5syBsn7WYIQRV7wvdBxxJc60Gw"),
        ],
        counterexamples: &["APCA_API_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APCA_API_SECRET_KEY=<your-alpaca-key>", "APCA_API_SECRET_KEY=ecADkDEfrt4sJzbMzV6aBfGIaLV7FYYI0Krtm4E"],
        ..NAMED
    },
    Builtin {
        id: "alpha_vantage_api_key",
        provider: "alphavantage",
        description: "Alpha Vantage API key (16 upper-case alphanumerics) beside an Alpha Vantage key name",
        keywords: &["alphavantage", "alpha_vantage", "alpha-vantage"],
        pattern: concat!(r"(?-u)(?i:alpha[_-]?vantage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{16})", end_url!()),
        examples: &[
            (r#"{"ALPHAVANTAGE_API_KEY":"2LSPW41ROYSE0L10"}"#, "2LSPW41ROYSE0L10"),
            ("alpha_vantage_key=V5X1OZYX8L2IA4EW", "V5X1OZYX8L2IA4EW"),
        ],
        counterexamples: &["ALPHAVANTAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALPHAVANTAGE_API_KEY=<your-alphavantage-key>", "ALPHAVANTAGE_API_KEY=VVEHJA12GJJDW8P"],
        ..NAMED
    },
    Builtin {
        id: "lemonsqueezy_api_key",
        provider: "lemonsqueezy",
        description: "Lemon Squeezy API key beside a Lemon Squeezy key name",
        keywords: &["lemonsqueezy", "lemon_squeezy", "lemon-squeezy"],
        pattern: concat!(r"(?-u)(?i:lemon[_-]?squeezy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9\.[A-Za-z0-9_-]{100,200})", end_url!()),
        examples: &[
            ("LEMONSQUEEZY_API_KEY = eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.oPbP-4Y-oPNaKwUYbdWFHVKjBpIkZCZYqVwW0YKFeZo4VVgt2Dut3tuU8ojvOoMRp5zuDpeHCcE2Z1WVSLdRyEislXLk3A0Z_9fK3NZqrgz", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.oPbP-4Y-oPNaKwUYbdWFHVKjBpIkZCZYqVwW0YKFeZo4VVgt2Dut3tuU8ojvOoMRp5zuDpeHCcE2Z1WVSLdRyEislXLk3A0Z_9fK3NZqrgz"),
            (r#"lemon_squeezy_key: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.lFTlzMiWCheUq_61Ec8NhrlIHdWnLJDywOcvrcJzzqH4jnv7gnEdyFJ5rZF8RO8q5xeMrYdLmOzbuZ_LD6xR_12SX506VxdCIkvwsvJ1zgQH""#, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.lFTlzMiWCheUq_61Ec8NhrlIHdWnLJDywOcvrcJzzqH4jnv7gnEdyFJ5rZF8RO8q5xeMrYdLmOzbuZ_LD6xR_12SX506VxdCIkvwsvJ1zgQH"),
        ],
        counterexamples: &["LEMONSQUEEZY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LEMONSQUEEZY_API_KEY=<your-lemonsqueezy-key>", "LEMONSQUEEZY_API_KEY=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.QwpnIxYZvL3tDEd2Xbule2kpZOE0TfKHy6OBcGCpynRUKS0tGYKcPwYdl-SW4RzJ1DrOmpMQj39m22jBfUnLpcEG1y8Q0Wr9pi-"],
        ..NAMED
    },
    Builtin {
        id: "recurly_api_key",
        provider: "recurly",
        description: "Recurly private API key (32 hex) beside a Recurly key name",
        keywords: &["recurly"],
        pattern: concat!(r"(?-u)(?i:recurly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  RECURLY_API_KEY: 18cf1742f0bbdeed986f6c15acc04b3a", "18cf1742f0bbdeed986f6c15acc04b3a"),
            (r#"export recurly_private_key="07bf36530f4fefd02e93beb2ffd1db63""#, "07bf36530f4fefd02e93beb2ffd1db63"),
        ],
        counterexamples: &["RECURLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RECURLY_API_KEY=<your-recurly-key>", "RECURLY_API_KEY=d4cac4cbcdd12136886dae483259878"],
        ..NAMED
    },
    Builtin {
        id: "chargebee_api_key",
        provider: "chargebee",
        description: "Chargebee API key (live_ / test_ + 32) beside a Chargebee key name",
        keywords: &["chargebee"],
        pattern: concat!(r"(?-u)(?i:chargebee)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("CHARGEBEE_API_KEY=live_tBe6mfsAgrCHmT2IaIKsqRVN5vHlFXUv", "live_tBe6mfsAgrCHmT2IaIKsqRVN5vHlFXUv"),
            (r#"{"chargebee_key":"live_Adb5EELtLab9iFYFFQs0HOBRNIJ7oUNE"}"#, "live_Adb5EELtLab9iFYFFQs0HOBRNIJ7oUNE"),
        ],
        counterexamples: &["CHARGEBEE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHARGEBEE_API_KEY=<your-chargebee-key>", "CHARGEBEE_API_KEY=live_kvLYIMTNpAwwNApigJ9R6KGVOthp3tW"],
        ..NAMED
    },
    Builtin {
        id: "authorize_net_transaction_key",
        provider: "authorizenet",
        description: "Authorize.Net transaction key (16) beside an Authorize.Net key name",
        keywords: &["authorizenet", "authorize_net", "authorize.net"],
        pattern: concat!(r"(?-u)(?i:authorize[_.-]?net)[A-Za-z0-9_.-]{0,24}?(?i:key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            (r#"AUTHORIZENET_TRANSACTION_KEY: "lAAAlNrbTiXKvA8v""#, "lAAAlNrbTiXKvA8v"),
            ("authorize_net_transaction_key = fHDPBnpY8roGBM5H", "fHDPBnpY8roGBM5H"),
        ],
        counterexamples: &["AUTHORIZENET_TRANSACTION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AUTHORIZENET_TRANSACTION_KEY=<your-authorizenet-key>", "AUTHORIZENET_TRANSACTION_KEY=VkZ7wfaeMnECumU"],
        ..NAMED
    },
    Builtin {
        id: "shopify_app_secret",
        provider: "shopify",
        description: "Shopify app API secret (32 hex) beside a Shopify secret name",
        keywords: &["shopify"],
        pattern: concat!(r"(?-u)(?i:shopify)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export SHOPIFY_API_SECRET="a016938ae71c3808b2a3f2c9ed6ca13b""#, "a016938ae71c3808b2a3f2c9ed6ca13b"),
            ("  shopify_client_secret: 1068f774471992a63747a69c9beab12b", "1068f774471992a63747a69c9beab12b"),
        ],
        counterexamples: &["SHOPIFY_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHOPIFY_API_SECRET=<your-shopify-key>", "SHOPIFY_API_SECRET=700900986b658dbf1168381957bf493"],
        ..NAMED
    },
    Builtin {
        id: "shopify_partner_token",
        provider: "shopify",
        description: "Shopify Partner / storefront / custom app tokens (shppa_, shpua_, shptka_, prtapi_ + 32 hex)",
        keywords: &["shppa_", "shpua_", "shptka_", "prtapi_"],
        pattern: prefixed!(r"(?:shppa_|shpua_|shptka_|prtapi_)", r"[a-f0-9]{32}"),
        examples: &[
            (r#"level=info msg="auth ok" key=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"#, "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"),
            ("curl -s -H 'Authorization: Bearer prtapi_6acd3dd98ce8cff8a4d65de2d5dfbedf' https://api.example.net/v1/me", "prtapi_6acd3dd98ce8cff8a4d65de2d5dfbedf"),
        ],
        counterexamples: &["shppa_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like shppa_1234567890", "shppa_1f8fa5d9f9559594e461dd8093cc990"],
        ..PREFIXED
    },
    Builtin {
        id: "woocommerce_key",
        provider: "woocommerce",
        description: "WooCommerce REST API consumer key and secret (ck_ / cs_ and 40 hex), near a WooCommerce name or the consumer key fields",
        keywords: &["consumer_key", "consumer_secret", "consumerkey", "consumersecret", "woocommerce", "wc/v", "wc-api"],
        pattern: concat!(r"(?-u)\b(?P<token>c[ks]_(?P<secret>[a-f0-9]{40}))", end_url!()),
        validate: Some(random_hex),
        examples: &[
            (r#"wcapi = API(url="https://shop.acme.io", consumer_key="ck_a8ce3b4cd75a343a912d6ebbff397781941f9894", version="wc/v3")"#, "ck_a8ce3b4cd75a343a912d6ebbff397781941f9894"),
            ("GET /wp-json/wc/v3/orders?consumer_secret=cs_9f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5", "cs_9f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d5"),
        ],
        counterexamples: &[
            "consumer_key=ck_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "woocommerce: track_4b2a1908f7e6d5c3b2a1908f7e6d5c3b2a1908f7",
        ],
        ..PREFIXED
    },
];
