//! Social networks and streaming.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "twitch_token",
        provider: "twitch",
        description: "Twitch OAuth token or client secret (30 lower-case alphanumerics) beside a twitch key name",
        keywords: &["twitch"],
        pattern: concat!(
            r"(?-u)(?i:twitch)[A-Za-z0-9_.-]{0,20}(?i:token|secret|key|password)",
            assign!(),
            r"(?:oauth:)?(?P<secret>[a-z0-9]{30})\b"
        ),
        validate: Some(random_looking),
        generic: false,
        examples: &[("TWITCH_OAUTH_TOKEN=oauth:kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w", "kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w")],
        counterexamples: &["TWITCH_CHANNEL=kz3h0q9v2m7x1c8b5n4l6j0p9r2t7w", "twitch_token: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    },
    Builtin {
        id: "twitter_bearer_token",
        provider: "twitter",
        description: "Twitter / X app-only bearer token (21 A's + URL-encoded body)",
        keywords: &["AAAAAAAAAAAAAAAAAAAAA"],
        pattern: r"(?-u)(?P<secret>AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{40,150})(?:[^A-Za-z0-9%]|$)",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("TWITTER_BEARER_TOKEN=AAAAAAAAAAAAAAAAAAAAA9naHVck6pbd4ZRj2SxphvDTwrzqwo7%2F2n3wZuot7UGAoKD1AFfD%3DKZxCKu7SPCzX3ZeF981bmiIlN8YS2UbsHFj42g5hzdeDU16Jsz", "AAAAAAAAAAAAAAAAAAAAA9naHVck6pbd4ZRj2SxphvDTwrzqwo7%2F2n3wZuot7UGAoKD1AFfD%3DKZxCKu7SPCzX3ZeF981bmiIlN8YS2UbsHFj42g5hzdeDU16Jsz")],
        counterexamples: &["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "AAAAAAAAAAAAAAAAAAAAAshort"],
    },
    Builtin {
        id: "facebook_access_token",
        provider: "facebook",
        description: "Facebook / Meta Graph API access token (EAA + type letter + 90 to 400 alphanumerics)",
        keywords: &["EAAB", "EAAC", "EAAD", "EAAG", "EAAH", "EAAI", "EAAJ", "EAAK", "EAAL", "EAAM", "EAAN", "EAAO", "EAAP", "EAAQ", "EAAR", "EAAS", "EAAT", "EAAU", "EAAV", "EAAW", "EAAX", "EAAY", "EAAZ"],
        pattern: prefixed!(r"EAA", r"[B-DG-Z]{1}[A-Za-z0-9]{90,200}"),
        validate: Some(bounded::mixed_case_letters),
        examples: &[
            (r#"level=info msg="auth ok" key=EAAHV5OsGK3uNyZt4zGJzu71v1f7iZOawTV01KjejJQbtNZ101Hzjw0ORk2MFd7sL98pzlKMjFw2HHHCeK0R9idiiLkLrxNqgQp"#, "EAAHV5OsGK3uNyZt4zGJzu71v1f7iZOawTV01KjejJQbtNZ101Hzjw0ORk2MFd7sL98pzlKMjFw2HHHCeK0R9idiiLkLrxNqgQp"),
            (r#"{"facebook_access_token": "EAANbhSAfWpq1VrViN2KLs7zeF3XeUeKsegp1000pIZfP73bV3KW1sffXFiL1DhHUr7D9MTSfY2jVbP4ozTj6xQOppctIsZxdm9Up", "region": "eu-west-1"}"#, "EAANbhSAfWpq1VrViN2KLs7zeF3XeUeKsegp1000pIZfP73bV3KW1sffXFiL1DhHUr7D9MTSfY2jVbP4ozTj6xQOppctIsZxdm9Up"),
        ],
        counterexamples: &["EAAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EAA1234567890", "EAAM5VAbG9XK2tHVwyBsRcL2YeABAlBOBDNkuq3RupZRJG25WUWJsrBm7kKNZ6gS6EKfhfF2YtYMer3MYVWpw35QK05nI"],
        ..PREFIXED
    },
    Builtin {
        id: "instagram_access_token",
        provider: "instagram",
        description: "Instagram access token (IGQV... Basic Display, IGAA... Instagram Login; 100 to 300)",
        keywords: &["IGQV", "IGAA"],
        pattern: prefixed!(r"(?:IGQV|IGAA)", r"[A-Za-z0-9_-]{120,200}"),
        examples: &[
            ("docker run -e INSTAGRAM_ACCESS_TOKEN=IGQV29Zc2HS-x7-Dha4jLLam3saczU0uEjVVOiCKa7tfkwj_xOltnJ7RskkdYlSn8o1kPYh9yfdo8lU0DM_ggkuZMV_Tt-2IYS_4HC77gFL6VJmDq8XfrHRP5xeHdt2P10oZ3L8w app:latest", "IGQV29Zc2HS-x7-Dha4jLLam3saczU0uEjVVOiCKa7tfkwj_xOltnJ7RskkdYlSn8o1kPYh9yfdo8lU0DM_ggkuZMV_Tt-2IYS_4HC77gFL6VJmDq8XfrHRP5xeHdt2P10oZ3L8w"),
            (r#"INSTAGRAM_ACCESS_TOKEN="IGAANtpomZltoErcnxsvYpjxIzHvEiL2M0SE7qmn79D0fa2drq48YqxTqRwiK92DK4YK7USYcCOKsTrkV77mFcGb_fnRtVnHz4M_Ky1WCCzx_IUj4fNWWAMVjKSc6eEBLwoFNW""#, "IGAANtpomZltoErcnxsvYpjxIzHvEiL2M0SE7qmn79D0fa2drq48YqxTqRwiK92DK4YK7USYcCOKsTrkV77mFcGb_fnRtVnHz4M_Ky1WCCzx_IUj4fNWWAMVjKSc6eEBLwoFNW"),
        ],
        counterexamples: &["IGQVxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like IGQV1234567890", "IGQVl58AtkcqEYsx889pFPQOIjTE-KzvaDcpwvflo564jtiy8D2I6KpKqPL6T5WYKXxmxUBP2LkDywgKp6QRW5v_Y2NMwRDpHYEcK4nzLCYOAQcBu1lqPVvQMTV"],
        ..PREFIXED
    },
    Builtin {
        id: "facebook_app_secret",
        provider: "facebook",
        description: "Facebook / Meta app secret (32 hex) beside a Facebook secret name",
        keywords: &["facebook", "fb_app", "fb-app", "fb_secret", "meta_app"],
        pattern: concat!(r"(?-u)(?i:facebook|fb|meta)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("FACEBOOK_APP_SECRET = 90778c02d464f70243c0cda11675c3c0", "90778c02d464f70243c0cda11675c3c0"),
            (r#"fb_app_secret: "947de30bab6d709c6a5a51322d9ce587""#, "947de30bab6d709c6a5a51322d9ce587"),
        ],
        counterexamples: &["FACEBOOK_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FACEBOOK_APP_SECRET=<your-facebook-key>", "FACEBOOK_APP_SECRET=d21d219d297609da8bf147b1219ba1c"],
        ..NAMED
    },
    Builtin {
        id: "twitch_stream_key",
        provider: "twitch",
        description: "Twitch stream key (live_ + channel id + _ + 30)",
        keywords: &["live_"],
        pattern: prefixed!(r"live_", r"[0-9]{6,12}_[A-Za-z0-9]{30}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer live_8734974062_65Sb2ZgVMqg2D5VT0kHdsTCQK44ELr' https://api.example.net/v1/me", "live_8734974062_65Sb2ZgVMqg2D5VT0kHdsTCQK44ELr"),
            ("  twitch_stream_key: live_308853801708_Bb5ATzCEufWIudKfURif6cuGRvRLL8", "live_308853801708_Bb5ATzCEufWIudKfURif6cuGRvRLL8"),
        ],
        counterexamples: &["live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like live_1234567890", "live_577658600545_C3RLw5lEVo4EgReQrhEs2Vi1SAuOe"],
        ..PREFIXED
    },
    Builtin {
        id: "twitter_api_secret",
        provider: "twitter",
        description: "Twitter / X API secret or access token secret (45 to 50) beside a Twitter key name",
        keywords: &["twitter", "x_api"],
        pattern: concat!(r"(?-u)(?i:twitter|x_api)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{45,50})", end_url!()),
        examples: &[
            ("TWITTER_API_SECRET=olMka0AxZjGWe9QjX8ed9CgydLEv4iRY3LY2ZIBhepAKPqQf", "olMka0AxZjGWe9QjX8ed9CgydLEv4iRY3LY2ZIBhepAKPqQf"),
            (r#"{"twitter_access_token_secret":"ytThVdaXvHbUJYXQZcryKFt8KjXqe6Kjan8P9IfpeIcZxjQz"}"#, "ytThVdaXvHbUJYXQZcryKFt8KjXqe6Kjan8P9IfpeIcZxjQz"),
        ],
        counterexamples: &["TWITTER_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_API_SECRET=<your-twitter-key>", "TWITTER_API_SECRET=ZqXj5uTfM7G2LfIsOF9RHhSv4P3B77ttRiTfiHyIg4UD"],
        ..NAMED
    },
    Builtin {
        id: "twitter_access_token",
        provider: "twitter",
        description: "Twitter / X user access token (<user id>-<40>) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{8,19}-[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"TWITTER_ACCESS_TOKEN: "585127042-vHpjXmJrmWDiPoiM5R0dPfTJTeChk1gxr6FL3y4W""#, "585127042-vHpjXmJrmWDiPoiM5R0dPfTJTeChk1gxr6FL3y4W"),
            ("twitter_oauth_token = 5480198509-1MYrm5QM5AdrpXq3mrlLpafRhrDCzANPqPzvQyWa", "5480198509-1MYrm5QM5AdrpXq3mrlLpafRhrDCzANPqPzvQyWa"),
        ],
        counterexamples: &["TWITTER_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_ACCESS_TOKEN=<your-twitter-key>", "TWITTER_ACCESS_TOKEN=750152669234979743-vnJLOTbLeomjs2SbORy5kw9jZYBg2pldePBPD9Y"],
        ..NAMED
    },
    Builtin {
        id: "twitter_consumer_key",
        provider: "twitter",
        description: "Twitter / X API (consumer) key (25) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            (r#"export TWITTER_CONSUMER_KEY="EOAcIONp0UB124XlkdJo6wsFV""#, "EOAcIONp0UB124XlkdJo6wsFV"),
            ("  twitter_api_key: hYFrxoEiatzazw5tNyj9WLe2F", "hYFrxoEiatzazw5tNyj9WLe2F"),
        ],
        counterexamples: &["TWITTER_CONSUMER_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_CONSUMER_KEY=<your-twitter-key>", "TWITTER_CONSUMER_KEY=vxYZ6zjB7IZCvMJY5wvyT1vq"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_client_secret",
        provider: "linkedin",
        description: "LinkedIn client secret (16) beside a LinkedIn secret name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            (r#"{"LINKEDIN_CLIENT_SECRET":"DoXps3LL2VZ645VH"}"#, "DoXps3LL2VZ645VH"),
            ("linkedin_secret=OZiS90uabSfk7Y7Y", "OZiS90uabSfk7Y7Y"),
        ],
        counterexamples: &["LINKEDIN_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_CLIENT_SECRET=<your-linkedin-key>", "LINKEDIN_CLIENT_SECRET=KInd6v4kFG44Gog"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_access_token",
        provider: "linkedin",
        description: "LinkedIn access token (AQ + 300 or more) beside a LinkedIn key name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>AQ[A-Za-z0-9_-]{300,400})", end_url!()),
        examples: &[
            ("LINKEDIN_ACCESS_TOKEN = AQMQGZhiqCNabwxtHKuuxvvSng37-KWTiUwCggfjcJK8y4OzF3pMyovzW9uuCmoVdeChaZPH-1qSCvT1b2sxghXdYYHvMrdKa9Dbw9cCrV_bJQAEJxFKzIU-e-CZnxvlm6LoRfCS5g4vsSmPpxRTorEdyOSCb5IrdMrFFz05dKe-bmoXbAWiGRS_uaxYXXcModnbmHXdcmkvksHBSN1JpDSY1XPBRty0cyWd1XEaR4W7UYwfxcm4PV8PD3VFnv-4BV6_sbIMw2Z79DEVqrW7USW-Q6YBxq6r3Pt8wMGbstDokO--", "AQMQGZhiqCNabwxtHKuuxvvSng37-KWTiUwCggfjcJK8y4OzF3pMyovzW9uuCmoVdeChaZPH-1qSCvT1b2sxghXdYYHvMrdKa9Dbw9cCrV_bJQAEJxFKzIU-e-CZnxvlm6LoRfCS5g4vsSmPpxRTorEdyOSCb5IrdMrFFz05dKe-bmoXbAWiGRS_uaxYXXcModnbmHXdcmkvksHBSN1JpDSY1XPBRty0cyWd1XEaR4W7UYwfxcm4PV8PD3VFnv-4BV6_sbIMw2Z79DEVqrW7USW-Q6YBxq6r3Pt8wMGbstDokO--"),
            (r#"linkedin_token: "AQvoXmV7FDy9pa0atBS8D0DsFBvmKUJyA66GLkzW03NZEE3yAQYK15EpqyL7dx90EXfGTSi4Wf1o9KR8k8_m6Vn5yHsjd53bMkY5pplqnFqW-CJsxhPNam6FBL4KtoEOjqq7jPl8C4ujk8G5I6xBvlUROn4eggob41pbp3UwJv77BzDPWyyG2DCPv8TyOntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSWrJ2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcTJUC8AqTsomUgg_YF3kuLo4l3onz0e4RaSL9""#, "AQvoXmV7FDy9pa0atBS8D0DsFBvmKUJyA66GLkzW03NZEE3yAQYK15EpqyL7dx90EXfGTSi4Wf1o9KR8k8_m6Vn5yHsjd53bMkY5pplqnFqW-CJsxhPNam6FBL4KtoEOjqq7jPl8C4ujk8G5I6xBvlUROn4eggob41pbp3UwJv77BzDPWyyG2DCPv8TyOntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSWrJ2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcTJUC8AqTsomUgg_YF3kuLo4l3onz0e4RaSL9"),
        ],
        counterexamples: &["LINKEDIN_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_ACCESS_TOKEN=<your-linkedin-key>", "LINKEDIN_ACCESS_TOKEN=AQat-Ooy5UcawTrsD9phkdgL5hoteng8xmfAfOIMb04mUcNZ-EkGcIqNplDSMFWnsE4SxccOCDmV3oS1eKbXW7aPaMRkQ61xU_7ayPa8MXBCzk_sO5Gl6skqHlyLP3gvvQF_jpjnFTo6zxfTGGUVuaMPaG1nn87W3ZxJWP4s3a_zalQy6w9MveFUERdmll3Ecxe4xIJvnvci1wFsg7dAnTAK3RXUsEcgETM0T1mpM8pFIQWkvoPfUgpTlsxtGVEeZKq5YunbMU035wV2ttfnTtxj4ncg2UsJid4ixHHDw-l_a"],
        ..NAMED
    },
    Builtin {
        id: "reddit_client_secret",
        provider: "reddit",
        description: "Reddit app client secret (27 to 30) beside a Reddit secret name",
        keywords: &["reddit"],
        pattern: concat!(r"(?-u)(?i:reddit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{27,30})", end_url!()),
        examples: &[
            ("  REDDIT_CLIENT_SECRET: fdy9rLVC7KoJTIX-LSJrHFQV5iz", "fdy9rLVC7KoJTIX-LSJrHFQV5iz"),
            (r#"export reddit_secret="YRXQeA_Gk32voqMITXYrKDFH9pPQD""#, "YRXQeA_Gk32voqMITXYrKDFH9pPQD"),
        ],
        counterexamples: &["REDDIT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDDIT_CLIENT_SECRET=<your-reddit-key>", "REDDIT_CLIENT_SECRET=t-2KuRsrVjxVcJaPavTHZ-Quja"],
        ..NAMED
    },
    Builtin {
        id: "spotify_client_secret",
        provider: "spotify",
        description: "Spotify client secret (32 hex) beside a Spotify secret name",
        keywords: &["spotify"],
        pattern: concat!(r"(?-u)(?i:spotify)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SPOTIFY_CLIENT_SECRET=1942254cb71e2c937f038e42c1157b4a", "1942254cb71e2c937f038e42c1157b4a"),
            (r#"{"spotify_secret":"e428c0008ea358475e6081dbe12277f9"}"#, "e428c0008ea358475e6081dbe12277f9"),
        ],
        counterexamples: &["SPOTIFY_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPOTIFY_CLIENT_SECRET=<your-spotify-key>", "SPOTIFY_CLIENT_SECRET=64b795b1ef71f1ee8d742d10ca58fe7"],
        ..NAMED
    },
    Builtin {
        id: "tiktok_client_secret",
        provider: "tiktok",
        description: "TikTok client secret (32) beside a TikTok secret name",
        keywords: &["tiktok"],
        pattern: concat!(r"(?-u)(?i:tiktok)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TIKTOK_CLIENT_SECRET: "RXBAc8ysAxfbqJ7ey4RI2dutxzU94guC""#, "RXBAc8ysAxfbqJ7ey4RI2dutxzU94guC"),
            ("tiktok_app_secret = 8XJjU51WL4xDH06qqhpzYL4g1Ldt3PJz", "8XJjU51WL4xDH06qqhpzYL4g1Ldt3PJz"),
        ],
        counterexamples: &["TIKTOK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TIKTOK_CLIENT_SECRET=<your-tiktok-key>", "TIKTOK_CLIENT_SECRET=4Buv7YooJEAnAwFn0k3qntmR60f5dry"],
        ..NAMED
    },
    Builtin {
        id: "mastodon_token",
        provider: "mastodon",
        description: "Mastodon access token (43) beside a Mastodon key name",
        keywords: &["mastodon"],
        pattern: concat!(r"(?-u)(?i:mastodon)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export MASTODON_ACCESS_TOKEN="33FhiastguVUXpXhYlUpbxMeBVqrtMg8YUBzPMb7pgK""#, "33FhiastguVUXpXhYlUpbxMeBVqrtMg8YUBzPMb7pgK"),
            ("  mastodon_token: arZDls7GX3TSG9Cyps8ak9WnapDcxTYL62D5FSrumxG", "arZDls7GX3TSG9Cyps8ak9WnapDcxTYL62D5FSrumxG"),
        ],
        counterexamples: &["MASTODON_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MASTODON_ACCESS_TOKEN=<your-mastodon-key>", "MASTODON_ACCESS_TOKEN=pkn8ewshqt2JigtL4RIk9ze2Z2ICDmr4xofs_GqU3l"],
        ..NAMED
    },
    Builtin {
        id: "youtube_stream_key",
        provider: "youtube",
        description: "YouTube live stream key (xxxx-xxxx-xxxx-xxxx-xxxx) beside a YouTube key name",
        keywords: &["youtube"],
        pattern: concat!(r"(?-u)(?i:youtube)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"YOUTUBE_STREAM_KEY":"yfgp-e6q1-g6mj-9xnj-vfk0"}"#, "yfgp-e6q1-g6mj-9xnj-vfk0"),
            ("youtube_stream_key=5bz0-t5yf-e6cf-co8v-5nj9", "5bz0-t5yf-e6cf-co8v-5nj9"),
        ],
        counterexamples: &["YOUTUBE_STREAM_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YOUTUBE_STREAM_KEY=<your-youtube-key>", "YOUTUBE_STREAM_KEY=eqzn-kgko-4rbs-ap6o-mhg"],
        ..NAMED
    },
    Builtin {
        id: "vimeo_access_token",
        provider: "vimeo",
        description: "Vimeo access token (32 hex) beside a Vimeo key name",
        keywords: &["vimeo"],
        pattern: concat!(r"(?-u)(?i:vimeo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("VIMEO_ACCESS_TOKEN = 7f72c5b51ba6cc74c52ff0b415673528", "7f72c5b51ba6cc74c52ff0b415673528"),
            (r#"vimeo_token: "18214aa00273b57a029680858e459627""#, "18214aa00273b57a029680858e459627"),
        ],
        counterexamples: &["VIMEO_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VIMEO_ACCESS_TOKEN=<your-vimeo-key>", "VIMEO_ACCESS_TOKEN=2403e42bb0ae13b894cd512884f1607"],
        ..NAMED
    },
    Builtin {
        id: "flickr_api_secret",
        provider: "flickr",
        description: "Flickr API key / secret (32 or 16 hex) beside a Flickr key name",
        keywords: &["flickr"],
        pattern: concat!(r"(?-u)(?i:flickr)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  FLICKR_API_KEY: 2f79cae4ead12b2296d75e6a3a41115a", "2f79cae4ead12b2296d75e6a3a41115a"),
            (r#"export flickr_secret="793d4a08ed3cbe192062a0bfa507ca7c""#, "793d4a08ed3cbe192062a0bfa507ca7c"),
        ],
        counterexamples: &["FLICKR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FLICKR_API_KEY=<your-flickr-key>", "FLICKR_API_KEY=afda64d511ce382025b8da3567b27d8"],
        ..NAMED
    },
    Builtin {
        id: "giphy_api_key",
        provider: "giphy",
        description: "Giphy API key (32) beside a Giphy key name",
        keywords: &["giphy"],
        pattern: concat!(r"(?-u)(?i:giphy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("GIPHY_API_KEY=EXcuAUS1yf3E9qaFuIgnVzQoBVSjFSDB", "EXcuAUS1yf3E9qaFuIgnVzQoBVSjFSDB"),
            (r#"{"giphy_key":"FWrM6wYEjqiHPO3jbJZFoUjqGRFKxLKU"}"#, "FWrM6wYEjqiHPO3jbJZFoUjqGRFKxLKU"),
        ],
        counterexamples: &["GIPHY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GIPHY_API_KEY=<your-giphy-key>", "GIPHY_API_KEY=NVaGJ9XSgliLQ0PuhHOmWk4dwcBQL9S"],
        ..NAMED
    },
    Builtin {
        id: "tumblr_secret",
        provider: "tumblr",
        description: "Tumblr consumer / token secret (50) beside a Tumblr key name",
        keywords: &["tumblr"],
        pattern: concat!(r"(?-u)(?i:tumblr)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"TUMBLR_CONSUMER_SECRET: "9NbRYGl5lCJBIqCSkA9IkdZXAxpRYO4lR782XFI6cObM3LTppk""#, "9NbRYGl5lCJBIqCSkA9IkdZXAxpRYO4lR782XFI6cObM3LTppk"),
            ("tumblr_token_secret = 3tZdsvpdArHYlu8Q9f7vCcAGJqiHkxqz3YfmODTuKpmFnjiFwx", "3tZdsvpdArHYlu8Q9f7vCcAGJqiHkxqz3YfmODTuKpmFnjiFwx"),
        ],
        counterexamples: &["TUMBLR_CONSUMER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TUMBLR_CONSUMER_SECRET=<your-tumblr-key>", "TUMBLR_CONSUMER_SECRET=ENRWNZSJHcFvQ8ubmlcZ5Dp1MaEtrweC5Dz1mMkkAWq7l0WX7"],
        ..NAMED
    },
    Builtin {
        id: "yelp_api_key",
        provider: "yelp",
        description: "Yelp Fusion API key (128) beside a Yelp key name",
        keywords: &["yelp"],
        pattern: concat!(r"(?-u)(?i:yelp)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{128})", end_url!()),
        examples: &[
            (r#"export YELP_API_KEY="G45uDicjMM6h4AphWB3T_PKEdjIWIUfCr8RYb7OTAnpyoaVuuT5eYOGiBP4HvgusM-ItALPQT1N4Jzr4fUf9CrJvxkzDPk5vTCg8BFnPzq1nrmjvx6P-r1o3HDAwb__4""#, "G45uDicjMM6h4AphWB3T_PKEdjIWIUfCr8RYb7OTAnpyoaVuuT5eYOGiBP4HvgusM-ItALPQT1N4Jzr4fUf9CrJvxkzDPk5vTCg8BFnPzq1nrmjvx6P-r1o3HDAwb__4"),
            ("  yelp_key: 2-QcKdax6t9O0nm4sHTSIlHrc1EXn1R0OsuJV_gVT4H0n3knFtn1M_yYflKzxYkKAs2A-o4v-F9VO7eeLKjppdjMqSblt2QsXdnZde17gNkxkDa7XSTBq4iSRimrOlMO", "2-QcKdax6t9O0nm4sHTSIlHrc1EXn1R0OsuJV_gVT4H0n3knFtn1M_yYflKzxYkKAs2A-o4v-F9VO7eeLKjppdjMqSblt2QsXdnZde17gNkxkDa7XSTBq4iSRimrOlMO"),
        ],
        counterexamples: &["YELP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YELP_API_KEY=<your-yelp-key>", "YELP_API_KEY=LvvJQMcFybjaEgEPOW1OBvXOLslvpfIpYgmuoSEdqORW5q82ugDjBlcaqFGdjambP3qanVG6a5OJN9aQ5URZaGR9gZPKBU4IHSFL4WrjdmaNOsfnUHBbntBvU7aEgsh"],
        ..NAMED
    },
    Builtin {
        id: "foursquare_api_key",
        provider: "foursquare",
        description: "Foursquare Places API key (fsq3 + 44)",
        keywords: &["fsq3"],
        pattern: concat!(r#"(?-u)(?P<token>fsq3(?P<secret>[A-Za-z0-9+/]{44}))"#, end_b64!()),
        examples: &[
            (r#"level=info msg="auth ok" key=fsq3DHvtey5VQWPge9e5odfl1pgwb/GDYaCbCTMPGr7hLWS0"#, "fsq3DHvtey5VQWPge9e5odfl1pgwb/GDYaCbCTMPGr7hLWS0"),
            ("curl -s -H 'Authorization: Bearer fsq3pikNNuWDLmLz2EQ41fLbhUHSOHNWg7nHh0UMAJftBZ1l' https://api.example.net/v1/me", "fsq3pikNNuWDLmLz2EQ41fLbhUHSOHNWg7nHh0UMAJftBZ1l"),
        ],
        counterexamples: &["fsq3xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fsq31234567890", "fsq3ueDxx7lTifC4Nxs1yCE1QqtzPz/BrgOHi3CKhzZ9xlc"],
        ..PREFIXED
    },
    Builtin {
        id: "steam_api_key",
        provider: "steam",
        description: "Steam Web API key (32 upper-case hex) beside a Steam key name, or as the key parameter of an api.steampowered.com URL",
        keywords: &["steam"],
        pattern: concat!(r"(?-u)(?:(?i:steam)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{32})|\bapi\.steampowered\.com/[^\s?#]*\?(?:[^\s#]*&)?key=(?P<secret_url>[A-F0-9]{32}))", end_url!()),
        examples: &[
            ("STEAM_API_KEY = 5FEB6DA3FA5C3D9BFB0B7D70E151C773", "5FEB6DA3FA5C3D9BFB0B7D70E151C773"),
            (r#"steam_web_api_key: "65F8582C09EA525D9223B3B79DE2E872""#, "65F8582C09EA525D9223B3B79DE2E872"),
            ("GET https://api.steampowered.com/ISteamUser/GetFriendList/v1/?key=9A0C6E2F4B8D1A3C5E7F9B2D4A6C8E0F&steamid=76561197960435530", "9A0C6E2F4B8D1A3C5E7F9B2D4A6C8E0F"),
        ],
        counterexamples: &["STEAM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STEAM_API_KEY=<your-steam-key>", "STEAM_API_KEY=C3C0357DC9FBFA3F9A24551A67AC7C4", "https://api.steampowered.com/ISteamUser/GetFriendList/v1/?key=YOUR_KEY&steamid=76561197960435530"],
        ..NAMED
    },
    Builtin {
        id: "riot_api_key",
        provider: "riot",
        description: "Riot Games API key (RGAPI- + UUID)",
        keywords: &["RGAPI-"],
        pattern: prefixed!(r"RGAPI-", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"riot_api_key = "RGAPI-36e704cb-97ea-03ef-9402-edc4f15c20ab""#, "RGAPI-36e704cb-97ea-03ef-9402-edc4f15c20ab"),
            ("2024-06-11T08:14:52Z DEBUG riot client configured token=RGAPI-bc436275-009d-9c2e-83c8-b9014afcd28f", "RGAPI-bc436275-009d-9c2e-83c8-b9014afcd28f"),
        ],
        counterexamples: &["RGAPI-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like RGAPI-1234567890", "RGAPI-f62ea813-8de5-9038-4845-4d568e746c7"],
        ..PREFIXED
    },
    Builtin {
        id: "pinterest_access_token",
        provider: "pinterest",
        description: "Pinterest access token (pina_ + 80 or more) beside a Pinterest key name",
        keywords: &["pinterest"],
        pattern: concat!(r"(?-u)(?i:pinterest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>pina_[A-Z0-9]{80,120})", end_url!()),
        examples: &[
            ("PINTEREST_ACCESS_TOKEN=pina_JYHB6VSMXOE7J30R88I3828EDCCWZL5SOID3GXEIFOWD2WJQOJW74WU1O6ES55B11E2Q4VGP8F75G2PK13Y3JC13", "pina_JYHB6VSMXOE7J30R88I3828EDCCWZL5SOID3GXEIFOWD2WJQOJW74WU1O6ES55B11E2Q4VGP8F75G2PK13Y3JC13"),
            (r#"{"pinterest_token":"pina_OIXWV95H7Y1LZCB975KMFVEEF9OCE8FNHD498V8H7542OJXZPN0N2XX5NEFJCEAMCTTYXX1XG8EENJBYF46"}"#, "pina_OIXWV95H7Y1LZCB975KMFVEEF9OCE8FNHD498V8H7542OJXZPN0N2XX5NEFJCEAMCTTYXX1XG8EENJBYF46"),
        ],
        counterexamples: &["PINTEREST_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PINTEREST_ACCESS_TOKEN=<your-pinterest-key>", "PINTEREST_ACCESS_TOKEN=pina_NLLO9SF7AM1JA7XO6G09BQIRV7LL2R5VIJKZWQJFG0AHQWALX99XR393HEWEBW6PKBGOKBTW1B8KHKR"],
        ..NAMED
    },
    Builtin {
        id: "snapchat_client_secret",
        provider: "snapchat",
        description: "Snapchat / Snap Kit client secret beside a Snapchat secret name",
        keywords: &["snapchat", "snap_kit", "snap-kit", "snapkit"],
        pattern: concat!(r"(?-u)(?i:snapchat|snap[_-]?kit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"SNAPCHAT_CLIENT_SECRET: "sajNJftmXIHVZsKb9cs9D9JB2EDw1Lcy7ybG1C4UNaX""#, "sajNJftmXIHVZsKb9cs9D9JB2EDw1Lcy7ybG1C4UNaX"),
            ("snap_kit_secret = jbC-xcOSWkSHqQTIiCbqW9AOAQPj0VVAvb74778Zw8A", "jbC-xcOSWkSHqQTIiCbqW9AOAQPj0VVAvb74778Zw8A"),
        ],
        counterexamples: &["SNAPCHAT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNAPCHAT_CLIENT_SECRET=<your-snapchat-key>", "SNAPCHAT_CLIENT_SECRET=aWtDeDgWnFXt63eFH2jvR7cpHn3tmkw7PVADBk1mdB"],
        ..NAMED
    },
    Builtin {
        id: "kick_client_secret",
        provider: "kick",
        description: "Kick client secret beside a Kick secret name",
        keywords: &["kick_"],
        pattern: concat!(r"(?-u)(?i:kick)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export KICK_CLIENT_SECRET="8a5867178c16885ffd26d65da40c3eb49a00052dbe2172a387ab8e618874aef4""#, "8a5867178c16885ffd26d65da40c3eb49a00052dbe2172a387ab8e618874aef4"),
            ("  kick_app_secret: e945c79f61080fdb388c3764d509876673f9d953a963cd0bf5542833b6b5e57a", "e945c79f61080fdb388c3764d509876673f9d953a963cd0bf5542833b6b5e57a"),
        ],
        counterexamples: &["KICK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KICK_CLIENT_SECRET=<your-kick-key>", "KICK_CLIENT_SECRET=903f8815fb04d5b58e42dc4f11c3ff3aa6a593836cd699f66cb3640ebcf8937"],
        ..NAMED
    },
    Builtin {
        id: "bluesky_app_password",
        provider: "bluesky",
        description: "Bluesky app password (xxxx-xxxx-xxxx-xxxx) beside a Bluesky key name",
        keywords: &["bluesky", "bsky"],
        pattern: concat!(r"(?-u)(?i:bluesky|bsky)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"BLUESKY_APP_PASSWORD":"wn4a-sd71-fxxf-cjwf"}"#, "wn4a-sd71-fxxf-cjwf"),
            ("bsky_password=vnq4-lyu8-3dp4-hsmw", "vnq4-lyu8-3dp4-hsmw"),
        ],
        counterexamples: &["BLUESKY_APP_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BLUESKY_APP_PASSWORD=<your-bluesky-key>", "BLUESKY_APP_PASSWORD=otku-ww1b-ojm9-674"],
        ..NAMED
    },
];
