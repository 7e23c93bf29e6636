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
            (r#"square_legacy_access_token = "sq0atp-KMZQK6cY_NvahE1JTmG404""#, "sq0atp-KMZQK6cY_NvahE1JTmG404"),
            ("Authorization: Bearer sq0atp-w_VsoY6zjyKE0JYCHAd_KE", "sq0atp-w_VsoY6zjyKE0JYCHAd_KE"),
        ],
        counterexamples: &["sq0atp-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like sq0atp-1234567890", "sq0atp-FKHx_3y7uoJAWOymMCrjW"],
        ..PREFIXED
    },
    Builtin {
        id: "paypal_braintree_token",
        provider: "paypal",
        description: "PayPal / Braintree access token (access_token$production$ + 16 + $ + 32 hex)",
        keywords: &["access_token$"],
        pattern: prefixed!(r"(?:access_token\$production\$|access_token\$sandbox\$)", r"[a-z0-9]{16}\$[a-f0-9]{32}"),
        examples: &[
            ("Authorization: Bearer access_token$production$re4e4irqgytrdf1z$fc19e2825522dc4fe505b5876c3cb5e2", "access_token$production$re4e4irqgytrdf1z$fc19e2825522dc4fe505b5876c3cb5e2"),
            ("curl -s -H 'Authorization: Bearer access_token$sandbox$vzytij7j57afwmz1$78267f5a092b2e55f608b9ea4a16e33c' https://api.example.net/v1/me", "access_token$sandbox$vzytij7j57afwmz1$78267f5a092b2e55f608b9ea4a16e33c"),
        ],
        counterexamples: &["access_token$production$xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like access_token$production$1234567890", "access_token$production$womxameyhfn00p9a$b4e7887fd00c84e3bf8cbd224dfb7ad"],
        ..PREFIXED
    },
    Builtin {
        id: "paypal_client_secret",
        provider: "paypal",
        description: "PayPal REST client secret (80) beside a PayPal secret name",
        keywords: &["paypal"],
        pattern: concat!(r"(?-u)(?i:paypal)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{80})", end_url!()),
        examples: &[
            (r#"export PAYPAL_CLIENT_SECRET="4HAMSCboiw5JWkfKDS06R8Iwg8Jbjk3cqVN7s0MswZNbKihiFUi7rPMBM6Nr7FYgP3D6uwMquF6Ffa5M""#, "4HAMSCboiw5JWkfKDS06R8Iwg8Jbjk3cqVN7s0MswZNbKihiFUi7rPMBM6Nr7FYgP3D6uwMquF6Ffa5M"),
            ("  paypal_secret: dtqdcxHRD1ARZe9JDMwGp2ZOSoZoVPZduRuQvoD1D1VCIJxSDN5eRKIguu1BnUPqj6_3Enz-ri6x6is3", "dtqdcxHRD1ARZe9JDMwGp2ZOSoZoVPZduRuQvoD1D1VCIJxSDN5eRKIguu1BnUPqj6_3Enz-ri6x6is3"),
        ],
        counterexamples: &["PAYPAL_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAYPAL_CLIENT_SECRET=<your-paypal-key>", "PAYPAL_CLIENT_SECRET=rqE1k6ndhoTKO-ynIMZ2QruDs-Z73XU6ZQcIoE20Zifdxrxax29M36f-HA01yLdr4gzt5AdzUl-fO5u"],
        ..NAMED
    },
    Builtin {
        id: "braintree_private_key",
        provider: "braintree",
        description: "Braintree private key (32 hex) beside a Braintree key name",
        keywords: &["braintree"],
        pattern: concat!(r"(?-u)(?i:braintree)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"BRAINTREE_PRIVATE_KEY":"e57845a3faa695164811d0c462d1c9c8"}"#, "e57845a3faa695164811d0c462d1c9c8"),
            ("braintree_private_key=d95315f8894c10c484f18c26f87e3057", "d95315f8894c10c484f18c26f87e3057"),
        ],
        counterexamples: &["BRAINTREE_PRIVATE_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BRAINTREE_PRIVATE_KEY=<your-braintree-key>", "BRAINTREE_PRIVATE_KEY=09a6d196dc944af3d3b2bca106b64a5"],
        ..NAMED
    },
    Builtin {
        id: "plaid_access_token",
        provider: "plaid",
        description: "Plaid access token (access-<environment>- + UUID)",
        keywords: &["access-production-", "access-development-", "access-sandbox-"],
        pattern: prefixed!(r"(?:access-production-|access-development-|access-sandbox-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"plaid_access_token = "access-production-5939a955-9bd8-4a67-71ae-b7a2827b95d1""#, "access-production-5939a955-9bd8-4a67-71ae-b7a2827b95d1"),
            ("docker run -e PLAID_ACCESS_TOKEN=access-sandbox-b75ccaac-1611-4659-d272-9a48949d1a5c app:latest", "access-sandbox-b75ccaac-1611-4659-d272-9a48949d1a5c"),
        ],
        counterexamples: &["access-production-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like access-production-1234567890", "access-production-c1eb8f41-06f9-2aa9-f5b3-6f4f80d2b8a"],
        ..PREFIXED
    },
    Builtin {
        id: "plaid_secret",
        provider: "plaid",
        description: "Plaid API secret (30 hex) beside a Plaid key name",
        keywords: &["plaid"],
        pattern: concat!(r"(?-u)(?i:plaid)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{30})", end_url!()),
        examples: &[
            ("  PLAID_SECRET: c6826f5779db7fb24e4f3c0b52c512", "c6826f5779db7fb24e4f3c0b52c512"),
            (r#"export plaid_secret_key="5f48ba2e62c12ff930a3727e7c07d2""#, "5f48ba2e62c12ff930a3727e7c07d2"),
        ],
        counterexamples: &["PLAID_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PLAID_SECRET=<your-plaid-key>", "PLAID_SECRET=1f26c1bd18eb5e60e49ac2afe6ba0"],
        ..NAMED
    },
    Builtin {
        id: "flutterwave_secret_key",
        provider: "flutterwave",
        description: "Flutterwave secret key (FLWSECK- / FLWSECK_TEST- + 32 hex + -X)",
        keywords: &["FLWSECK-", "FLWSECK_TEST-"],
        pattern: prefixed!(r"(?:FLWSECK-|FLWSECK_TEST-)", r"[a-f0-9]{32}-X"),
        examples: &[
            ("env FLUTTERWAVE_SECRET_KEY=FLWSECK-f89eef46847776c4e53f89e9d549d02b-X ./deploy.sh", "FLWSECK-f89eef46847776c4e53f89e9d549d02b-X"),
            ("curl -s -H 'Authorization: Bearer FLWSECK_TEST-5ba4ecc1cc4a55b727c5572adfa7c137-X' https://api.example.net/v1/me", "FLWSECK_TEST-5ba4ecc1cc4a55b727c5572adfa7c137-X"),
        ],
        counterexamples: &["FLWSECK-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like FLWSECK-1234567890", "FLWSECK-10d792ed0e05101b0ca14a10a1e55de-X"],
        ..PREFIXED
    },
    Builtin {
        id: "razorpay_key_secret",
        provider: "razorpay",
        description: "Razorpay key secret (24) beside a Razorpay key name",
        keywords: &["razorpay"],
        pattern: concat!(r"(?-u)(?i:razorpay)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24})", end_url!()),
        examples: &[
            (r#"RAZORPAY_KEY_SECRET: "wvYGrGq67grdHLqdcSNhSIgK""#, "wvYGrGq67grdHLqdcSNhSIgK"),
            ("razorpay_secret = wg7pv42GPZTxkkOXU3xfeDrG", "wg7pv42GPZTxkkOXU3xfeDrG"),
        ],
        counterexamples: &["RAZORPAY_KEY_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RAZORPAY_KEY_SECRET=<your-razorpay-key>", "RAZORPAY_KEY_SECRET=WrlQKTPMgEHcwCsR0VdncKK"],
        ..NAMED
    },
    Builtin {
        id: "paystack_secret_key",
        provider: "paystack",
        description: "Paystack secret key (sk_live_ / sk_test_ + 40 hex) beside a Paystack key name",
        keywords: &["paystack"],
        pattern: concat!(r"(?-u)(?i:paystack)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_test_[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"export PAYSTACK_SECRET_KEY="sk_test_3acf47d773a5ae34041f473c692e8395d7bf1b31""#, "sk_test_3acf47d773a5ae34041f473c692e8395d7bf1b31"),
            ("  paystack_key: sk_test_da9cf7e00fd637445686c00bd2e6fa37f6a35584", "sk_test_da9cf7e00fd637445686c00bd2e6fa37f6a35584"),
        ],
        counterexamples: &["PAYSTACK_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PAYSTACK_SECRET_KEY=<your-paystack-key>", "PAYSTACK_SECRET_KEY=sk_test_5618c45188ebd1b044769c88dca8ca433484e47"],
        ..NAMED
    },
    Builtin {
        id: "mollie_api_key",
        provider: "mollie",
        description: "Mollie API key (live_ / test_ + 30) beside a Mollie key name",
        keywords: &["mollie"],
        pattern: concat!(r"(?-u)(?i:mollie)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9]{30})", end_url!()),
        examples: &[
            (r#"{"MOLLIE_API_KEY":"live_D9sSzOrhNMJ83Ad34LaBkpfPi2vn86"}"#, "live_D9sSzOrhNMJ83Ad34LaBkpfPi2vn86"),
            ("mollie_key=live_QmXjH6JjHAT4SR2v6nBevCOnpmzyyo", "live_QmXjH6JjHAT4SR2v6nBevCOnpmzyyo"),
        ],
        counterexamples: &["MOLLIE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MOLLIE_API_KEY=<your-mollie-key>", "MOLLIE_API_KEY=live_D46zsuAgSdnIoBjxmagbPREBvOz9P"],
        ..NAMED
    },
    Builtin {
        id: "gocardless_access_token",
        provider: "gocardless",
        description: "GoCardless access token (live_ / sandbox_ + 40) beside a GoCardless key name",
        keywords: &["gocardless"],
        pattern: concat!(r"(?-u)(?i:gocardless)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9_-]{40})", end_url!()),
        examples: &[
            ("GOCARDLESS_ACCESS_TOKEN = live_TT2_9efvKaFfVq0kI944lyrlvuhlJjl1XFkZAJb4", "live_TT2_9efvKaFfVq0kI944lyrlvuhlJjl1XFkZAJb4"),
            (r#"gocardless_token: "live_snWk43nslawkn7pSW6Q-XSQR-kbvchaJiov1HPTQ""#, "live_snWk43nslawkn7pSW6Q-XSQR-kbvchaJiov1HPTQ"),
        ],
        counterexamples: &["GOCARDLESS_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GOCARDLESS_ACCESS_TOKEN=<your-gocardless-key>", "GOCARDLESS_ACCESS_TOKEN=live_PFGOZrxC4niAX358mAh7mcyX4DTKMOBsUMO7Ztf"],
        ..NAMED
    },
    Builtin {
        id: "paddle_api_key",
        provider: "paddle",
        description: "Paddle Billing API key (pdl_live_apikey_ / pdl_sdbx_apikey_ + id + _ + secret)",
        keywords: &["pdl_live_apikey_", "pdl_sdbx_apikey_"],
        pattern: prefixed!(r"(?:pdl_live_apikey_|pdl_sdbx_apikey_)", r"[a-z0-9]{26}_[A-Za-z0-9_-]{22}_[A-Za-z0-9_-]{3}"),
        examples: &[
            ("export PADDLE_API_KEY=pdl_live_apikey_udifv8mi2ifdby38sjmg8gwn70_iqSFeX0NWYVeLLXEd4KNrb_Bh0", "pdl_live_apikey_udifv8mi2ifdby38sjmg8gwn70_iqSFeX0NWYVeLLXEd4KNrb_Bh0"),
            ("  paddle_api_key: pdl_sdbx_apikey_3z0hw1n9805qfgjkdjegc3sf0j_14RqVp60MpTKwugrk1mI0x_avW", "pdl_sdbx_apikey_3z0hw1n9805qfgjkdjegc3sf0j_14RqVp60MpTKwugrk1mI0x_avW"),
        ],
        counterexamples: &["pdl_live_apikey_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pdl_live_apikey_1234567890", "pdl_live_apikey_kb4osuv8zyxqpobapd4hjubdkl_3JSTQw4xOEYodg_nLMXFEF_G9"],
        ..PREFIXED
    },
    Builtin {
        id: "paddle_vendor_auth",
        provider: "paddle",
        description: "Paddle Classic vendor auth code (50 hex) beside a Paddle key name",
        keywords: &["paddle"],
        pattern: concat!(r"(?-u)(?i:paddle)[A-Za-z0-9_.-]{0,24}?(?i:auth|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{50})", end_url!()),
        examples: &[
            ("PADDLE_VENDOR_AUTH_CODE=9cf465e1caba4399cd830a22edaf0f0801257f612c0651dbbc", "9cf465e1caba4399cd830a22edaf0f0801257f612c0651dbbc"),
            (r#"{"paddle_auth_code":"74fe01091c3a4c3bda252a043b9999ced9eabcff875af4980b"}"#, "74fe01091c3a4c3bda252a043b9999ced9eabcff875af4980b"),
        ],
        counterexamples: &["PADDLE_VENDOR_AUTH_CODE=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PADDLE_VENDOR_AUTH_CODE=<your-paddle-key>", "PADDLE_VENDOR_AUTH_CODE=88a0677458b7bb67306f659269efa5e8f0c3ec35df2317d1b"],
        ..NAMED
    },
    Builtin {
        id: "easypost_api_key",
        provider: "easypost",
        description: "EasyPost production (EZAK) and test (EZTK) API keys (+ 54)",
        keywords: &["EZAK", "EZTK"],
        pattern: prefixed!(r"(?:EZAK|EZTK)", r"[A-Za-z0-9]{54}"),
        examples: &[
            (r#"level=info msg="auth ok" key=EZAKhfvYY7ARfLw5nLdbry7wBNethd7oPQI7B0Js2dZi8QwXlcRhqobBGf"#, "EZAKhfvYY7ARfLw5nLdbry7wBNethd7oPQI7B0Js2dZi8QwXlcRhqobBGf"),
            (r#"{"easypost_api_key": "EZTKmXU5IwteUCEl4jwUMZcGSoI7fH2WSV0kIuc2OqEsDCqKheCewL4RF5", "region": "eu-west-1"}"#, "EZTKmXU5IwteUCEl4jwUMZcGSoI7fH2WSV0kIuc2OqEsDCqKheCewL4RF5"),
        ],
        counterexamples: &["EZAKxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EZAK1234567890", "EZAKil3TRDAIkbusSjhbMnDKQrfnAkQhG5SjBJ6Ay8yAVDvXU2KHuvkRL"],
        ..PREFIXED
    },
    Builtin {
        id: "lob_api_key",
        provider: "lob",
        description: "Lob API key (live_ / test_ + 35 hex) beside a Lob key name",
        keywords: &["lob"],
        pattern: concat!(r"(?-u)(?i:lob)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[a-f0-9]{35})", end_url!()),
        examples: &[
            (r#"export LOB_API_KEY="live_869f475ca4c9d526ae964059eb781b29548""#, "live_869f475ca4c9d526ae964059eb781b29548"),
            ("  lob_secret_key: live_479a42b4558138d76840317d98367c645ad", "live_479a42b4558138d76840317d98367c645ad"),
        ],
        counterexamples: &["LOB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOB_API_KEY=<your-lob-key>", "LOB_API_KEY=live_534032d223e048e39b68ff685a3cac87d9"],
        ..NAMED
    },
    Builtin {
        id: "shipengine_api_key",
        provider: "shipengine",
        description: "ShipEngine API key (TEST_ + 43, or 43) beside a ShipEngine key name",
        keywords: &["shipengine"],
        pattern: concat!(r"(?-u)(?i:shipengine)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>TEST_[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"{"SHIPENGINE_API_KEY":"TEST_W_M0bU4i-IILsRmc4Jp7Dfkvm1NmKx789kbSA9J0REr"}"#, "TEST_W_M0bU4i-IILsRmc4Jp7Dfkvm1NmKx789kbSA9J0REr"),
            ("shipengine_key=TEST_Y8MkoZRwEa_jNuE2wXMuWjVRGMKw1xZk-7t_XtEHAvr", "TEST_Y8MkoZRwEa_jNuE2wXMuWjVRGMKw1xZk-7t_XtEHAvr"),
        ],
        counterexamples: &["SHIPENGINE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHIPENGINE_API_KEY=<your-shipengine-key>", "SHIPENGINE_API_KEY=TEST_c5ktdxM7twucRQq0HmPesubU0mCRHiKxgWQma1X_53"],
        ..NAMED
    },
    Builtin {
        id: "checkout_secret_key",
        provider: "checkout",
        description: "Checkout.com secret key (sk_ / sk_sbox_ + 26 to 36) beside a Checkout key name",
        keywords: &["checkout"],
        pattern: concat!(r"(?-u)(?i:checkout)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_sbox_[a-z0-9]{26,36})", end_url!()),
        examples: &[
            ("CHECKOUT_SECRET_KEY = sk_sbox_0n32u6dmkbod40pqov7nuobompw0efdwrwl", "sk_sbox_0n32u6dmkbod40pqov7nuobompw0efdwrwl"),
            (r#"checkout_com_secret_key: "sk_sbox_jld78kpd1gqclveezktw6cg7jl""#, "sk_sbox_jld78kpd1gqclveezktw6cg7jl"),
        ],
        counterexamples: &["CHECKOUT_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHECKOUT_SECRET_KEY=<your-checkout-key>", "CHECKOUT_SECRET_KEY=sk_sbox_0gk8mfagipx2zgsho6gdaray8"],
        ..NAMED
    },
    Builtin {
        id: "adyen_api_key",
        provider: "adyen",
        description: "Adyen API key (AQE + ...) beside an Adyen key name",
        keywords: &["adyen"],
        pattern: concat!(r"(?-u)(?i:adyen)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>AQE[A-Za-z0-9_-]{60,200})", end_url!()),
        examples: &[
            ("  ADYEN_API_KEY: AQEC5sA71PtyBcgIoTv36XaIm0RsYZZCqpiKbO3Ur5cNftor3dKoVFkCdgYHtWtY1KSFUM", "AQEC5sA71PtyBcgIoTv36XaIm0RsYZZCqpiKbO3Ur5cNftor3dKoVFkCdgYHtWtY1KSFUM"),
            (r#"export adyen_key="AQE_M8wdruqVFOe0lfe0us5kK_YurpPBj4k3Gh_Sst-Ud-q-freVhr1ojastj-jLksZWotxGtj4""#, "AQE_M8wdruqVFOe0lfe0us5kK_YurpPBj4k3Gh_Sst-Ud-q-freVhr1ojastj-jLksZWotxGtj4"),
        ],
        counterexamples: &["ADYEN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ADYEN_API_KEY=<your-adyen-key>", "ADYEN_API_KEY=AQEPAY_lZnWvsLwJ1HH0FXUyOFIPqWMoLboU66wNAfbBIskHaznq2vlGlHPOZg"],
        ..NAMED
    },
    Builtin {
        id: "wise_api_token",
        provider: "wise",
        description: "Wise (TransferWise) API token (UUID) beside a Wise key name",
        keywords: &["wise"],
        pattern: concat!(r"(?-u)(?i:wise|transferwise)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("WISE_API_TOKEN=39b7c0a5-9ed4-f29b-68f5-5e5d386803bb", "39b7c0a5-9ed4-f29b-68f5-5e5d386803bb"),
            (r#"{"transferwise_token":"dea0d3ae-45ba-5fdc-e416-27c4731217e0"}"#, "dea0d3ae-45ba-5fdc-e416-27c4731217e0"),
        ],
        counterexamples: &["WISE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WISE_API_TOKEN=<your-wise-key>", "WISE_API_TOKEN=b632224a-db2c-7d59-82f7-09394ac33e2"],
        ..NAMED
    },
    Builtin {
        id: "coinbase_api_secret",
        provider: "coinbase",
        description: "Coinbase API secret beside a Coinbase key name",
        keywords: &["coinbase"],
        pattern: concat!(r"(?-u)(?i:coinbase)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{32,88})", end_b64!()),
        examples: &[
            (r#"COINBASE_API_SECRET: "N5dpxMi1D6NeBCzVzcsrTZJVmV5VAb/BfZ""#, "N5dpxMi1D6NeBCzVzcsrTZJVmV5VAb/BfZ"),
            ("coinbase_secret = A8ptoumo38VMlddR/yQoU19VAl7olou0lfwS", "A8ptoumo38VMlddR/yQoU19VAl7olou0lfwS"),
        ],
        counterexamples: &["COINBASE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "COINBASE_API_SECRET=<your-coinbase-key>", "COINBASE_API_SECRET=uRj4gpVnokcSrD9JkVWRUUCECs3Hc6J"],
        ..NAMED
    },
    Builtin {
        id: "kraken_api_secret",
        provider: "kraken",
        description: "Kraken API private key (88 base64) beside a Kraken key name",
        keywords: &["kraken"],
        pattern: concat!(r"(?-u)(?i:kraken)[A-Za-z0-9_.-]{0,24}?(?i:secret|private)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{86}==)", end_b64!()),
        examples: &[
            (r#"export KRAKEN_API_SECRET="x+aCdAwWxOyICcl+/S4WmpVFQXg1NfREcHdfBwAPVakLSiQp+hUrqM7INhos6Bycjxll+P9U4NABZJPcAng6kK==""#, "x+aCdAwWxOyICcl+/S4WmpVFQXg1NfREcHdfBwAPVakLSiQp+hUrqM7INhos6Bycjxll+P9U4NABZJPcAng6kK=="),
            ("  kraken_private_key: NSgDlWKsOwLGZnam2MJDZuW9sK92lIIOCNGN5t+t1QbZgfH7kikHZjBVAa7NaXno6yC26HfHoeTkio6IMX8O4y==", "NSgDlWKsOwLGZnam2MJDZuW9sK92lIIOCNGN5t+t1QbZgfH7kikHZjBVAa7NaXno6yC26HfHoeTkio6IMX8O4y=="),
        ],
        counterexamples: &["KRAKEN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KRAKEN_API_SECRET=<your-kraken-key>", "KRAKEN_API_SECRET=wm87qyYbfdKPCfpzeZvNxz8CVWeDFU/wpCshbMPlsobB4qDAJtPJpmQilSQfHh48KDp5Q/oJT4lcDTTxpnmAj=="],
        ..NAMED
    },
    Builtin {
        id: "binance_api_secret",
        provider: "binance",
        description: "Binance API key or secret (64 alphanumerics) beside a Binance key name",
        keywords: &["binance"],
        pattern: concat!(r"(?-u)(?i:binance)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"BINANCE_API_SECRET":"vkqA8ZmK07PsM2FckShG4I1spOjyBZxm6VCoF6l7Ptj4bL9Za5zIY392tLFjtMvR"}"#, "vkqA8ZmK07PsM2FckShG4I1spOjyBZxm6VCoF6l7Ptj4bL9Za5zIY392tLFjtMvR"),
            ("binance_api_key=epxS9NzJFaHAfzidWXdZsXC7jrRFkfSJSv4Mf07pVQaETXGSewq6XrHKjovFsxVa", "epxS9NzJFaHAfzidWXdZsXC7jrRFkfSJSv4Mf07pVQaETXGSewq6XrHKjovFsxVa"),
        ],
        counterexamples: &["BINANCE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BINANCE_API_SECRET=<your-binance-key>", "BINANCE_API_SECRET=G374NyGApBCw2w9kZ2LRYSLaN6hyTrdPRrNXTuwvAsPsTvEibajdxy5yaNO6qHS"],
        ..NAMED
    },
    Builtin {
        id: "bitfinex_api_secret",
        provider: "bitfinex",
        description: "Bitfinex API key or secret (43) beside a Bitfinex key name",
        keywords: &["bitfinex"],
        pattern: concat!(r"(?-u)(?i:bitfinex)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{43})", end_url!()),
        examples: &[
            ("BITFINEX_API_SECRET = 5KQKS4hie97plnaXgKA6dEne9qvDJlsg2778rzDdoR3", "5KQKS4hie97plnaXgKA6dEne9qvDJlsg2778rzDdoR3"),
            (r#"bitfinex_key: "KAM627jhAq2sv4E6qP6XnjuV79bz19n4TxMHvv5p0oa""#, "KAM627jhAq2sv4E6qP6XnjuV79bz19n4TxMHvv5p0oa"),
        ],
        counterexamples: &["BITFINEX_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BITFINEX_API_SECRET=<your-bitfinex-key>", "BITFINEX_API_SECRET=oIFvcgOIAxSQ5Br3ZNGoEdKRkct9KxnPxElLNtO2ej"],
        ..NAMED
    },
    Builtin {
        id: "kucoin_api_secret",
        provider: "kucoin",
        description: "KuCoin API secret (UUID) beside a KuCoin key name",
        keywords: &["kucoin"],
        pattern: concat!(r"(?-u)(?i:kucoin)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("  KUCOIN_API_SECRET: a7b7da1b-d715-7e46-c162-921505329f0a", "a7b7da1b-d715-7e46-c162-921505329f0a"),
            (r#"export kucoin_secret="357c2c1e-106b-c86a-2364-fa608c7ceeba""#, "357c2c1e-106b-c86a-2364-fa608c7ceeba"),
        ],
        counterexamples: &["KUCOIN_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KUCOIN_API_SECRET=<your-kucoin-key>", "KUCOIN_API_SECRET=719053b0-5fa8-d8f1-318f-13e7cce89e8"],
        ..NAMED
    },
    Builtin {
        id: "etherscan_api_key",
        provider: "etherscan",
        description: "Etherscan / block-explorer API key (34 upper-case alphanumerics) beside an Etherscan key name",
        keywords: &["etherscan"],
        pattern: concat!(r"(?-u)(?i:etherscan)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{34})", end_url!()),
        examples: &[
            ("ETHERSCAN_API_KEY=2J89B7PL3NTIZEU9DDEF0GVVJTRVPNLCGK", "2J89B7PL3NTIZEU9DDEF0GVVJTRVPNLCGK"),
            (r#"{"etherscan_key":"FOIKXT7Z62E76TWA22EO8JI96SJB00G2MZ"}"#, "FOIKXT7Z62E76TWA22EO8JI96SJB00G2MZ"),
        ],
        counterexamples: &["ETHERSCAN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ETHERSCAN_API_KEY=<your-etherscan-key>", "ETHERSCAN_API_KEY=B5E7I07HC2LXVK0LJL9VSHX2MGJ3YJCH0"],
        ..NAMED
    },
    Builtin {
        id: "alchemy_api_key",
        provider: "alchemy",
        description: "Alchemy API key (32) beside an Alchemy key name",
        keywords: &["alchemy"],
        pattern: concat!(r"(?-u)(?i:alchemy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            (r#"ALCHEMY_API_KEY: "iNNE_0-VkkSIqh_ZkZ_MS1j9D9rnwoUq""#, "iNNE_0-VkkSIqh_ZkZ_MS1j9D9rnwoUq"),
            ("alchemy_key = LfXNyOtq428bLCD8mU5EJsn0K6dHhYUz", "LfXNyOtq428bLCD8mU5EJsn0K6dHhYUz"),
        ],
        counterexamples: &["ALCHEMY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALCHEMY_API_KEY=<your-alchemy-key>", "ALCHEMY_API_KEY=BX9r7OIr_r00ms84edID0q8PJzG0Paj"],
        ..NAMED
    },
    Builtin {
        id: "infura_project_secret",
        provider: "infura",
        description: "Infura project id / secret (32 hex) beside an Infura key name",
        keywords: &["infura"],
        pattern: concat!(r"(?-u)(?i:infura)[A-Za-z0-9_.-]{0,24}?(?i:key|secret|id)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export INFURA_PROJECT_SECRET="63522f3ad1af5f042ba904d4a5881e3d""#, "63522f3ad1af5f042ba904d4a5881e3d"),
            ("  infura_api_key: e0b7923bafc215dc2b26fa6493b29993", "e0b7923bafc215dc2b26fa6493b29993"),
        ],
        counterexamples: &["INFURA_PROJECT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "INFURA_PROJECT_SECRET=<your-infura-key>", "INFURA_PROJECT_SECRET=01df0d9ae5fb9f2a205a24d0f372605"],
        ..NAMED
    },
    Builtin {
        id: "moralis_api_key",
        provider: "moralis",
        description: "Moralis API key (64) beside a Moralis key name",
        keywords: &["moralis"],
        pattern: concat!(r"(?-u)(?i:moralis)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"MORALIS_API_KEY":"Mow89cSGRrXXZFwyuoxklVjTee2dAIhdHWnd8nS1JrA5qEQzwDWSPYWv1k2qrFX8"}"#, "Mow89cSGRrXXZFwyuoxklVjTee2dAIhdHWnd8nS1JrA5qEQzwDWSPYWv1k2qrFX8"),
            ("moralis_key=b18DDS8am4NyGzF6oq5IDgj7bZeJhwsVTBRWKEFIVfhbqSX9hJljhD33IOKew4dc", "b18DDS8am4NyGzF6oq5IDgj7bZeJhwsVTBRWKEFIVfhbqSX9hJljhD33IOKew4dc"),
        ],
        counterexamples: &["MORALIS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MORALIS_API_KEY=<your-moralis-key>", "MORALIS_API_KEY=dlsxeeCPVoMRnRzlvKgRtTbHlDYAUGCb2Qu9gcb19rTJXh2vdqGzSCmPSy2l5BX"],
        ..NAMED
    },
    Builtin {
        id: "quicknode_token",
        provider: "quicknode",
        description: "QuickNode endpoint token (40 hex) beside a QuickNode key name",
        keywords: &["quicknode"],
        pattern: concat!(r"(?-u)(?i:quicknode)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("QUICKNODE_TOKEN = dc33e191e1d65e3e688fdeeceed8b3a827792045", "dc33e191e1d65e3e688fdeeceed8b3a827792045"),
            (r#"quicknode_api_key: "44ad01d5a97c70346bef0415eade7a0937699c43""#, "44ad01d5a97c70346bef0415eade7a0937699c43"),
        ],
        counterexamples: &["QUICKNODE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "QUICKNODE_TOKEN=<your-quicknode-key>", "QUICKNODE_TOKEN=87055686ab9b3b27bd513ab2e399aef6791828b"],
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
            ("FINNHUB_API_KEY=v3hg0cztckx4av6gd47s", "v3hg0cztckx4av6gd47s"),
            (r#"{"finnhub_token":"17p6pc9tlv3bcn4mptmy"}"#, "17p6pc9tlv3bcn4mptmy"),
        ],
        counterexamples: &["FINNHUB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FINNHUB_API_KEY=<your-finnhub-key>", "FINNHUB_API_KEY=qmj27qjgxbc7v37ikf5"],
        ..NAMED
    },
    Builtin {
        id: "polygon_api_key",
        provider: "polygon",
        description: "Polygon.io API key (32) beside a Polygon key name",
        keywords: &["polygon"],
        pattern: concat!(r"(?-u)(?i:polygon)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            (r#"POLYGON_API_KEY: "4RMZqO0D35CAbrMvf1r2NTXJ4S7Qyout""#, "4RMZqO0D35CAbrMvf1r2NTXJ4S7Qyout"),
            ("polygon_key = RUstHTd2UgY44RBB7_19wCMuBXMRtsIA", "RUstHTd2UgY44RBB7_19wCMuBXMRtsIA"),
        ],
        counterexamples: &["POLYGON_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "POLYGON_API_KEY=<your-polygon-key>", "POLYGON_API_KEY=AzvW4TYeOGmp7YAGRRRjOLNX71F-BG0"],
        ..NAMED
    },
    Builtin {
        id: "alpaca_secret_key",
        provider: "alpaca",
        description: "Alpaca API secret key (40) beside an Alpaca key name",
        keywords: &["apca", "alpaca"],
        pattern: concat!(r"(?-u)(?i:apca|alpaca)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"export APCA_API_SECRET_KEY="vkVlPYQMddPaeA6qkl9G7cTCrbQrL689jCfbJa64""#, "vkVlPYQMddPaeA6qkl9G7cTCrbQrL689jCfbJa64"),
            ("  alpaca_secret_key: 3elsVcuxSnqicuUTBXVfctQ7bQySX7Q9oVs6Eva2", "3elsVcuxSnqicuUTBXVfctQ7bQySX7Q9oVs6Eva2"),
        ],
        counterexamples: &["APCA_API_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "APCA_API_SECRET_KEY=<your-alpaca-key>", "APCA_API_SECRET_KEY=Dyc7VuvujeZuncXp9cAgHXj5LibDMkKuYiWS3Gs"],
        ..NAMED
    },
    Builtin {
        id: "alpha_vantage_api_key",
        provider: "alphavantage",
        description: "Alpha Vantage API key (16 upper-case alphanumerics) beside an Alpha Vantage key name",
        keywords: &["alphavantage", "alpha_vantage", "alpha-vantage"],
        pattern: concat!(r"(?-u)(?i:alpha[_-]?vantage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{16})", end_url!()),
        examples: &[
            (r#"{"ALPHAVANTAGE_API_KEY":"UJNGHLRK8QD2YFB1"}"#, "UJNGHLRK8QD2YFB1"),
            ("alpha_vantage_key=ZR972S9B5T8T76OW", "ZR972S9B5T8T76OW"),
        ],
        counterexamples: &["ALPHAVANTAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ALPHAVANTAGE_API_KEY=<your-alphavantage-key>", "ALPHAVANTAGE_API_KEY=SDMHDL3YDZKIM1O"],
        ..NAMED
    },
    Builtin {
        id: "lemonsqueezy_api_key",
        provider: "lemonsqueezy",
        description: "Lemon Squeezy API key beside a Lemon Squeezy key name",
        keywords: &["lemonsqueezy", "lemon_squeezy", "lemon-squeezy"],
        pattern: concat!(r"(?-u)(?i:lemon[_-]?squeezy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9\.[A-Za-z0-9_-]{100,200})", end_url!()),
        examples: &[
            ("LEMONSQUEEZY_API_KEY = eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.yZjkci0rwN7WfI_ommnCk5xwy5GE3QwIcl3KHThJ9-toAEMrpqb7r6k_oQlsV9Ncom4apqjC9ggcOE4c5Rg40vF_ZqtrOWf68_aHqI8R3y", "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.yZjkci0rwN7WfI_ommnCk5xwy5GE3QwIcl3KHThJ9-toAEMrpqb7r6k_oQlsV9Ncom4apqjC9ggcOE4c5Rg40vF_ZqtrOWf68_aHqI8R3y"),
            (r#"lemon_squeezy_key: "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.H96UeALi7Ib0w6_vLBjMShSRolRgTQu0b_QhYxmr2B14dT1UIB_MYO7boqzwIzUS-Q_Jwj7w77Lz6I1NCclCu-nXeNfLx9eOn8QWT7lFsLqx""#, "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.H96UeALi7Ib0w6_vLBjMShSRolRgTQu0b_QhYxmr2B14dT1UIB_MYO7boqzwIzUS-Q_Jwj7w77Lz6I1NCclCu-nXeNfLx9eOn8QWT7lFsLqx"),
        ],
        counterexamples: &["LEMONSQUEEZY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LEMONSQUEEZY_API_KEY=<your-lemonsqueezy-key>", "LEMONSQUEEZY_API_KEY=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.V30CmVfbUFUy3KgsW4AF0o8oncVnHu1d00OYAbZR7TAAcQYuTEyq0KdeXLyzbL4BkccM0j7-Zt0Kf0ETOcG2hjynz-NkD2jdGTi"],
        ..NAMED
    },
    Builtin {
        id: "recurly_api_key",
        provider: "recurly",
        description: "Recurly private API key (32 hex) beside a Recurly key name",
        keywords: &["recurly"],
        pattern: concat!(r"(?-u)(?i:recurly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  RECURLY_API_KEY: 0e167824ce634b62703a8d6fc87f7eef", "0e167824ce634b62703a8d6fc87f7eef"),
            (r#"export recurly_private_key="a5eab587223385ba60d21468e9535978""#, "a5eab587223385ba60d21468e9535978"),
        ],
        counterexamples: &["RECURLY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "RECURLY_API_KEY=<your-recurly-key>", "RECURLY_API_KEY=ab116b7fac5ea7153cc1c7171dcb9d7"],
        ..NAMED
    },
    Builtin {
        id: "chargebee_api_key",
        provider: "chargebee",
        description: "Chargebee API key (live_ / test_ + 32) beside a Chargebee key name",
        keywords: &["chargebee"],
        pattern: concat!(r"(?-u)(?i:chargebee)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>live_[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("CHARGEBEE_API_KEY=live_igsjmeJSP0aD5rTY0iyzrHxkfiopoA3O", "live_igsjmeJSP0aD5rTY0iyzrHxkfiopoA3O"),
            (r#"{"chargebee_key":"live_ggkWR8tUrPsOkXWSID57bTa6J4AAAip4"}"#, "live_ggkWR8tUrPsOkXWSID57bTa6J4AAAip4"),
        ],
        counterexamples: &["CHARGEBEE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CHARGEBEE_API_KEY=<your-chargebee-key>", "CHARGEBEE_API_KEY=live_Mbz81pW6Z3so16qhIsENewGzDPIPdPB"],
        ..NAMED
    },
    Builtin {
        id: "authorize_net_transaction_key",
        provider: "authorizenet",
        description: "Authorize.Net transaction key (16) beside an Authorize.Net key name",
        keywords: &["authorizenet", "authorize_net", "authorize.net"],
        pattern: concat!(r"(?-u)(?i:authorize[_.-]?net)[A-Za-z0-9_.-]{0,24}?(?i:key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            (r#"AUTHORIZENET_TRANSACTION_KEY: "VNBMLSazoF6v0Sm9""#, "VNBMLSazoF6v0Sm9"),
            ("authorize_net_transaction_key = 55VIwqRPea4ry0Vl", "55VIwqRPea4ry0Vl"),
        ],
        counterexamples: &["AUTHORIZENET_TRANSACTION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AUTHORIZENET_TRANSACTION_KEY=<your-authorizenet-key>", "AUTHORIZENET_TRANSACTION_KEY=6vnTjIhkNRxfDaQ"],
        ..NAMED
    },
    Builtin {
        id: "shopify_app_secret",
        provider: "shopify",
        description: "Shopify app API secret (32 hex) beside a Shopify secret name",
        keywords: &["shopify"],
        pattern: concat!(r"(?-u)(?i:shopify)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export SHOPIFY_API_SECRET="68d6c9155a62566564a09b8d375c0f13""#, "68d6c9155a62566564a09b8d375c0f13"),
            ("  shopify_client_secret: b93599467c096ebc950ecc5bbabff281", "b93599467c096ebc950ecc5bbabff281"),
        ],
        counterexamples: &["SHOPIFY_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHOPIFY_API_SECRET=<your-shopify-key>", "SHOPIFY_API_SECRET=efcaaeb2b1080b892fe6d5c30a127e7"],
        ..NAMED
    },
    Builtin {
        id: "shopify_partner_token",
        provider: "shopify",
        description: "Shopify Partner / storefront / custom app tokens (shppa_, shpua_, shptka_, prtapi_ + 32 hex)",
        keywords: &["shppa_", "shpua_", "shptka_", "prtapi_"],
        pattern: prefixed!(r"(?:shppa_|shpua_|shptka_|prtapi_)", r"[a-f0-9]{32}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer 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' https://api.example.net/v1/me", "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"),
            ("Authorization: Bearer prtapi_b1d881f0c6d2b3cb938939afae19718b", "prtapi_b1d881f0c6d2b3cb938939afae19718b"),
        ],
        counterexamples: &["shppa_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like shppa_1234567890", "shppa_a7dcf7d6ae3200413cc7fd8eea99f48"],
        ..PREFIXED
    },
];
