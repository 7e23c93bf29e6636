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
        keywords: &["EAA"],
        pattern: prefixed!(r"EAA", r"[A-Z0-9]{1}[A-Za-z0-9]{90,200}"),
        validate: Some(bounded::mixed_case_letters),
        examples: &[
            (r#"{"facebook_access_token": "EAA63uNyZt4zGJzu71v1f7iZOawTV01KjejJQbtNZ101Hzjw0ORk2MFd7sL98pzlKMjFw2HHHCeK0R9idiiLkLrxNqgQpZfuFbhSAfW", "region": "eu-west-1"}"#, "EAA63uNyZt4zGJzu71v1f7iZOawTV01KjejJQbtNZ101Hzjw0ORk2MFd7sL98pzlKMjFw2HHHCeK0R9idiiLkLrxNqgQpZfuFbhSAfW"),
            ("  facebook_access_token: EAAQrViN2KLs7zeF3XeUeKsegp1000pIZfP73bV3KW1sffXFiL1DhHUr7D9MTSfY2jVbP4ozTj6xQOppctIsZxdm9UpYas0k5VAbG9XK2", "EAAQrViN2KLs7zeF3XeUeKsegp1000pIZfP73bV3KW1sffXFiL1DhHUr7D9MTSfY2jVbP4ozTj6xQOppctIsZxdm9UpYas0k5VAbG9XK2"),
        ],
        counterexamples: &["EAAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EAA1234567890", "EAA7wyBsRcL2YeABAlBOBDNkuq3RupZRJG25WUWJsrBm7kKNZ6gS6EKfhfF2YtYMer3MYVWpw35QK05nIFfWI8BIUGEzb"],
        ..PREFIXED
    },
    Builtin {
        id: "instagram_access_token",
        provider: "instagram",
        description: "Instagram access token (IGQV... Basic Display, IGAA... Instagram Login; 100 to 300)",
        keywords: &["IGQV", "IGAA"],
        pattern: prefixed!(r"(?:IGQV|IGAA)", r"[A-Za-z0-9_-]{120,200}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer IGQVS-x7-Dha4jLLam3saczU0uEjVVOiCKa7tfkwj_xOltnJ7RskkdYlSn8o1kPYh9yfdo8lU0DM_ggkuZMV_Tt-2IYS_4HC77gFL6VJmDq8XfrHRP5xeHdt2P10oZ3L' https://api.example.net/v1/me", "IGQVS-x7-Dha4jLLam3saczU0uEjVVOiCKa7tfkwj_xOltnJ7RskkdYlSn8o1kPYh9yfdo8lU0DM_ggkuZMV_Tt-2IYS_4HC77gFL6VJmDq8XfrHRP5xeHdt2P10oZ3L"),
            (r#"instagram_access_token = "IGAA8wNtpomZltoErcnxsvYpjxIzHvEiL2M0SE7qmn79D0fa2drq48YqxTqRwiK92DK4YK7USYcCOKsTrkV77mFcGb_fnRtVnHz4M_Ky1WCCzx_IUj4fNWWAMVjKSc6eEBLwo""#, "IGAA8wNtpomZltoErcnxsvYpjxIzHvEiL2M0SE7qmn79D0fa2drq48YqxTqRwiK92DK4YK7USYcCOKsTrkV77mFcGb_fnRtVnHz4M_Ky1WCCzx_IUj4fNWWAMVjKSc6eEBLwo"),
        ],
        counterexamples: &["IGQVxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like IGQV1234567890", "IGQVNWzl58AtkcqEYsx889pFPQOIjTE-KzvaDcpwvflo564jtiy8D2I6KpKqPL6T5WYKXxmxUBP2LkDywgKp6QRW5v_Y2NMwRDpHYEcK4nzLCYOAQcBu1lqPVvQ"],
        ..PREFIXED
    },
    Builtin {
        id: "facebook_app_secret",
        provider: "facebook",
        description: "Facebook / Meta app secret (32 hex) beside a Facebook secret name",
        keywords: &["facebook", "fb_app", "fb-app", "fb_secret", "meta_app"],
        pattern: concat!(r"(?-u)(?i:facebook|fb|meta)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("FACEBOOK_APP_SECRET = bb790778c02d464f70243c0cda11675c", "bb790778c02d464f70243c0cda11675c"),
            (r#"fb_app_secret: "c0b947de30bab6d709c6a5a51322d9ce""#, "c0b947de30bab6d709c6a5a51322d9ce"),
        ],
        counterexamples: &["FACEBOOK_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FACEBOOK_APP_SECRET=<your-facebook-key>", "FACEBOOK_APP_SECRET=87ad21d219d297609da8bf147b1219b"],
        ..NAMED
    },
    Builtin {
        id: "twitch_stream_key",
        provider: "twitch",
        description: "Twitch stream key (live_ + channel id + _ + 30)",
        keywords: &["live_"],
        pattern: prefixed!(r"live_", r"[0-9]{6,12}_[A-Za-z0-9]{30}"),
        examples: &[
            ("  twitch_stream_key: live_659873497_ZdBkK30J8e65Sb2ZgVMqg2D5VT0kHd", "live_659873497_ZdBkK30J8e65Sb2ZgVMqg2D5VT0kHd"),
            ("export TWITCH_STREAM_KEY=live_79794308_nJbeDd6IVSFBb5ATzCEufWIudKfURi", "live_79794308_nJbeDd6IVSFBb5ATzCEufWIudKfURi"),
        ],
        counterexamples: &["live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like live_1234567890", "live_058599_P4E7DBxHAddw69rvzC3RLw5lEVo4E"],
        ..PREFIXED
    },
    Builtin {
        id: "twitter_api_secret",
        provider: "twitter",
        description: "Twitter / X API secret or access token secret (45 to 50) beside a Twitter key name",
        keywords: &["twitter", "x_api"],
        pattern: concat!(r"(?-u)(?i:twitter|x_api)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{45,50})", end_url!()),
        examples: &[
            ("TWITTER_API_SECRET=ReQrhEs2Vi1SAuOeBolMka0AxZjGWe9QjX8ed9CgydLEv", "ReQrhEs2Vi1SAuOeBolMka0AxZjGWe9QjX8ed9CgydLEv"),
            (r#"{"twitter_access_token_secret":"RY3LY2ZIBhepAKPqQfAytThVdaXvHbUJYXQZcryKFt8KjX"}"#, "RY3LY2ZIBhepAKPqQfAytThVdaXvHbUJYXQZcryKFt8KjX"),
        ],
        counterexamples: &["TWITTER_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_API_SECRET=<your-twitter-key>", "TWITTER_API_SECRET=e6Kjan8P9IfpeIcZxjQzEZqXj5uTfM7G2LfIsOF9RHhS"],
        ..NAMED
    },
    Builtin {
        id: "twitter_access_token",
        provider: "twitter",
        description: "Twitter / X user access token (<user id>-<40>) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{8,19}-[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"TWITTER_ACCESS_TOKEN: "6442128681715-8ekTEatj7hvHpjXmJrmWDiPoiM5R0dPfTJTeChk1""#, "6442128681715-8ekTEatj7hvHpjXmJrmWDiPoiM5R0dPfTJTeChk1"),
            ("twitter_oauth_token = 547962548-VgKIucT8LH9f1MYrm5QM5AdrpXq3mrlLpafRhrDC", "547962548-VgKIucT8LH9f1MYrm5QM5AdrpXq3mrlLpafRhrDC"),
        ],
        counterexamples: &["TWITTER_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_ACCESS_TOKEN=<your-twitter-key>", "TWITTER_ACCESS_TOKEN=69465607501526-NlpsTZNPZFNDspfvnJLOTbLeomjs2SbORy5kw9j"],
        ..NAMED
    },
    Builtin {
        id: "twitter_consumer_key",
        provider: "twitter",
        description: "Twitter / X API (consumer) key (25) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            (r#"export TWITTER_CONSUMER_KEY="g2pldePBPD9YbEOAcIONp0UB1""#, "g2pldePBPD9YbEOAcIONp0UB1"),
            ("  twitter_api_key: kdJo6wsFVzhYFrxoEiatzazw5", "kdJo6wsFVzhYFrxoEiatzazw5"),
        ],
        counterexamples: &["TWITTER_CONSUMER_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_CONSUMER_KEY=<your-twitter-key>", "TWITTER_CONSUMER_KEY=Nyj9WLe2FQ0lvxYZ6zjB7IZC"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_client_secret",
        provider: "linkedin",
        description: "LinkedIn client secret (16) beside a LinkedIn secret name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            (r#"{"LINKEDIN_CLIENT_SECRET":"MJY5wvyT1vqTVzDo"}"#, "MJY5wvyT1vqTVzDo"),
            ("linkedin_secret=s3LL2VZ645VHIT3j", "s3LL2VZ645VHIT3j"),
        ],
        counterexamples: &["LINKEDIN_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_CLIENT_SECRET=<your-linkedin-key>", "LINKEDIN_CLIENT_SECRET=S90uabSfk7Y7Y5V"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_access_token",
        provider: "linkedin",
        description: "LinkedIn access token (AQ + 300 or more) beside a LinkedIn key name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>AQ[A-Za-z0-9_-]{300,400})", end_url!()),
        examples: &[
            ("LINKEDIN_ACCESS_TOKEN = AQAgQv-DmvMQGZhiqCNabwxtHKuuxvvSng37-KWTiUwCggfjcJK8y4OzF3pMyovzW9uuCmoVdeChaZPH-1qSCvT1b2sxghXdYYHvMrdKa9Dbw9cCrV_bJQAEJxFKzIU-e-CZnxvlm6LoRfCS5g4vsSmPpxRTorEdyOSCb5IrdMrFFz05dKe-bmoXbAWiGRS_uaxYXXcModnbmHXdcmkvksHBSN1JpDSY1XPBRty0cyWd1XEaR4W7UYwfxcm4PV8PD3VFnv-4BV6_sbIMw2Z79DEVqrW7USW-Q6YBxq6r3Pt8wMG", "AQAgQv-DmvMQGZhiqCNabwxtHKuuxvvSng37-KWTiUwCggfjcJK8y4OzF3pMyovzW9uuCmoVdeChaZPH-1qSCvT1b2sxghXdYYHvMrdKa9Dbw9cCrV_bJQAEJxFKzIU-e-CZnxvlm6LoRfCS5g4vsSmPpxRTorEdyOSCb5IrdMrFFz05dKe-bmoXbAWiGRS_uaxYXXcModnbmHXdcmkvksHBSN1JpDSY1XPBRty0cyWd1XEaR4W7UYwfxcm4PV8PD3VFnv-4BV6_sbIMw2Z79DEVqrW7USW-Q6YBxq6r3Pt8wMG"),
            (r#"linkedin_token: "AQstDokO--voXmV7FDy9pa0atBS8D0DsFBvmKUJyA66GLkzW03NZEE3yAQYK15EpqyL7dx90EXfGTSi4Wf1o9KR8k8_m6Vn5yHsjd53bMkY5pplqnFqW-CJsxhPNam6FBL4KtoEOjqq7jPl8C4ujk8G5I6xBvlUROn4eggob41pbp3UwJv77BzDPWyyG2DCPv8TyOntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSWrJ2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcTJUC8AqTsomUgg_YF3k""#, "AQstDokO--voXmV7FDy9pa0atBS8D0DsFBvmKUJyA66GLkzW03NZEE3yAQYK15EpqyL7dx90EXfGTSi4Wf1o9KR8k8_m6Vn5yHsjd53bMkY5pplqnFqW-CJsxhPNam6FBL4KtoEOjqq7jPl8C4ujk8G5I6xBvlUROn4eggob41pbp3UwJv77BzDPWyyG2DCPv8TyOntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSWrJ2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcTJUC8AqTsomUgg_YF3k"),
        ],
        counterexamples: &["LINKEDIN_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_ACCESS_TOKEN=<your-linkedin-key>", "LINKEDIN_ACCESS_TOKEN=AQLo4l3onz0e4RaSL9at-Ooy5UcawTrsD9phkdgL5hoteng8xmfAfOIMb04mUcNZ-EkGcIqNplDSMFWnsE4SxccOCDmV3oS1eKbXW7aPaMRkQ61xU_7ayPa8MXBCzk_sO5Gl6skqHlyLP3gvvQF_jpjnFTo6zxfTGGUVuaMPaG1nn87W3ZxJWP4s3a_zalQy6w9MveFUERdmll3Ecxe4xIJvnvci1wFsg7dAnTAK3RXUsEcgETM0T1mpM8pFIQWkvoPfUgpTlsxtGVEeZKq5YunbMU035wV2ttfnTtxj4ncg2"],
        ..NAMED
    },
    Builtin {
        id: "reddit_client_secret",
        provider: "reddit",
        description: "Reddit app client secret (27 to 30) beside a Reddit secret name",
        keywords: &["reddit"],
        pattern: concat!(r"(?-u)(?i:reddit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{27,30})", end_url!()),
        examples: &[
            ("  REDDIT_CLIENT_SECRET: sJid4ixHHDw-l_acfdy9rLVC7KoJT", "sJid4ixHHDw-l_acfdy9rLVC7KoJT"),
            (r#"export reddit_secret="X-LSJrHFQV5izMYRXQeA_Gk32voqM""#, "X-LSJrHFQV5izMYRXQeA_Gk32voqM"),
        ],
        counterexamples: &["REDDIT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDDIT_CLIENT_SECRET=<your-reddit-key>", "REDDIT_CLIENT_SECRET=TXYrKDFH9pPQDPt-2KuRsrVjxV"],
        ..NAMED
    },
    Builtin {
        id: "spotify_client_secret",
        provider: "spotify",
        description: "Spotify client secret (32 hex) beside a Spotify secret name",
        keywords: &["spotify"],
        pattern: concat!(r"(?-u)(?i:spotify)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SPOTIFY_CLIENT_SECRET=80a05b8cfa52081942254cb71e2c937f", "80a05b8cfa52081942254cb71e2c937f"),
            (r#"{"spotify_secret":"38e42c1157b4a0e428c0008ea358475e"}"#, "38e42c1157b4a0e428c0008ea358475e"),
        ],
        counterexamples: &["SPOTIFY_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPOTIFY_CLIENT_SECRET=<your-spotify-key>", "SPOTIFY_CLIENT_SECRET=081dbe12277f9a64b795b1ef71f1ee8"],
        ..NAMED
    },
    Builtin {
        id: "tiktok_client_secret",
        provider: "tiktok",
        description: "TikTok client secret (32) beside a TikTok secret name",
        keywords: &["tiktok"],
        pattern: concat!(r"(?-u)(?i:tiktok)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TIKTOK_CLIENT_SECRET: "o8ieMA3PdYVa56SzvMl0rED0pqRXBAc8""#, "o8ieMA3PdYVa56SzvMl0rED0pqRXBAc8"),
            ("tiktok_app_secret = sAxfbqJ7ey4RI2dutxzU94guCj8XJjU5", "sAxfbqJ7ey4RI2dutxzU94guCj8XJjU5"),
        ],
        counterexamples: &["TIKTOK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TIKTOK_CLIENT_SECRET=<your-tiktok-key>", "TIKTOK_CLIENT_SECRET=DH06qqhpzYL4g1Ldt3PJz4QYc4Buv7Y"],
        ..NAMED
    },
    Builtin {
        id: "mastodon_token",
        provider: "mastodon",
        description: "Mastodon access token (43) beside a Mastodon key name",
        keywords: &["mastodon"],
        pattern: concat!(r"(?-u)(?i:mastodon)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export MASTODON_ACCESS_TOKEN="D80B0S_BvHBNzlgIWE33FhiastguVUXpXhYlUpbxMeB""#, "D80B0S_BvHBNzlgIWE33FhiastguVUXpXhYlUpbxMeB"),
            ("  mastodon_token: qrtMg8YUBzPMb7pgKrarZDls7GX3TSG9Cyps8ak9Wna", "qrtMg8YUBzPMb7pgKrarZDls7GX3TSG9Cyps8ak9Wna"),
        ],
        counterexamples: &["MASTODON_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MASTODON_ACCESS_TOKEN=<your-mastodon-key>", "MASTODON_ACCESS_TOKEN=DcxTYL62D5FSrumxG-pkn8ewshqt2JigtL4RIk9ze2"],
        ..NAMED
    },
    Builtin {
        id: "youtube_stream_key",
        provider: "youtube",
        description: "YouTube live stream key (xxxx-xxxx-xxxx-xxxx-xxxx) beside a YouTube key name",
        keywords: &["youtube"],
        pattern: concat!(r"(?-u)(?i:youtube)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"YOUTUBE_STREAM_KEY":"81ro-6gi2-hcj5-ix1f-yfgp"}"#, "81ro-6gi2-hcj5-ix1f-yfgp"),
            ("youtube_stream_key=e6q1-g6mj-9xnj-vfk0-5bz0", "e6q1-g6mj-9xnj-vfk0-5bz0"),
        ],
        counterexamples: &["YOUTUBE_STREAM_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YOUTUBE_STREAM_KEY=<your-youtube-key>", "YOUTUBE_STREAM_KEY=t5yf-e6cf-co8v-5nj9-eqz"],
        ..NAMED
    },
    Builtin {
        id: "vimeo_access_token",
        provider: "vimeo",
        description: "Vimeo access token (32 hex) beside a Vimeo key name",
        keywords: &["vimeo"],
        pattern: concat!(r"(?-u)(?i:vimeo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("VIMEO_ACCESS_TOKEN = 35357ff8093077a63327f72c5b51ba6c", "35357ff8093077a63327f72c5b51ba6c"),
            (r#"vimeo_token: "74c52ff0b415673528918214aa00273b""#, "74c52ff0b415673528918214aa00273b"),
        ],
        counterexamples: &["VIMEO_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VIMEO_ACCESS_TOKEN=<your-vimeo-key>", "VIMEO_ACCESS_TOKEN=7a029680858e45962722403e42bb0ae"],
        ..NAMED
    },
    Builtin {
        id: "flickr_api_secret",
        provider: "flickr",
        description: "Flickr API key / secret (32 or 16 hex) beside a Flickr key name",
        keywords: &["flickr"],
        pattern: concat!(r"(?-u)(?i:flickr)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  FLICKR_API_KEY: 3b894cd512884f160722f79cae4ead12", "3b894cd512884f160722f79cae4ead12"),
            (r#"export flickr_secret="2296d75e6a3a41115a8793d4a08ed3cb""#, "2296d75e6a3a41115a8793d4a08ed3cb"),
        ],
        counterexamples: &["FLICKR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FLICKR_API_KEY=<your-flickr-key>", "FLICKR_API_KEY=192062a0bfa507ca7c9afda64d511ce"],
        ..NAMED
    },
    Builtin {
        id: "giphy_api_key",
        provider: "giphy",
        description: "Giphy API key (32) beside a Giphy key name",
        keywords: &["giphy"],
        pattern: concat!(r"(?-u)(?i:giphy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("GIPHY_API_KEY=9Xq2S2fRafkxrBOYuRYhknoxe6pBMrWL", "9Xq2S2fRafkxrBOYuRYhknoxe6pBMrWL"),
            (r#"{"giphy_key":"EXcuAUS1yf3E9qaFuIgnVzQoBVSjFSDB"}"#, "EXcuAUS1yf3E9qaFuIgnVzQoBVSjFSDB"),
        ],
        counterexamples: &["GIPHY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GIPHY_API_KEY=<your-giphy-key>", "GIPHY_API_KEY=FWrM6wYEjqiHPO3jbJZFoUjqGRFKxLK"],
        ..NAMED
    },
    Builtin {
        id: "tumblr_secret",
        provider: "tumblr",
        description: "Tumblr consumer / token secret (50) beside a Tumblr key name",
        keywords: &["tumblr"],
        pattern: concat!(r"(?-u)(?i:tumblr)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"TUMBLR_CONSUMER_SECRET: "NVaGJ9XSgliLQ0PuhHOmWk4dwcBQL9SNR2K281X9f9NbRYGl5l""#, "NVaGJ9XSgliLQ0PuhHOmWk4dwcBQL9SNR2K281X9f9NbRYGl5l"),
            ("tumblr_token_secret = JBIqCSkA9IkdZXAxpRYO4lR782XFI6cObM3LTppkD3tZdsvpdA", "JBIqCSkA9IkdZXAxpRYO4lR782XFI6cObM3LTppkD3tZdsvpdA"),
        ],
        counterexamples: &["TUMBLR_CONSUMER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TUMBLR_CONSUMER_SECRET=<your-tumblr-key>", "TUMBLR_CONSUMER_SECRET=HYlu8Q9f7vCcAGJqiHkxqz3YfmODTuKpmFnjiFwxQbENRWNZS"],
        ..NAMED
    },
    Builtin {
        id: "yelp_api_key",
        provider: "yelp",
        description: "Yelp Fusion API key (128) beside a Yelp key name",
        keywords: &["yelp"],
        pattern: concat!(r"(?-u)(?i:yelp)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{128})", end_url!()),
        examples: &[
            (r#"export YELP_API_KEY="-RPcywf6Eb9MJTj47Yzuu0Gw7G45uDicjMM6h4AphWB3T_PKEdjIWIUfCr8RYb7OTAnpyoaVuuT5eYOGiBP4HvgusM-ItALPQT1N4Jzr4fUf9CrJvxkzDPk5vTCg8BFn""#, "-RPcywf6Eb9MJTj47Yzuu0Gw7G45uDicjMM6h4AphWB3T_PKEdjIWIUfCr8RYb7OTAnpyoaVuuT5eYOGiBP4HvgusM-ItALPQT1N4Jzr4fUf9CrJvxkzDPk5vTCg8BFn"),
            ("  yelp_key: zq1nrmjvx6P-r1o3HDAwb__4X2-QcKdax6t9O0nm4sHTSIlHrc1EXn1R0OsuJV_gVT4H0n3knFtn1M_yYflKzxYkKAs2A-o4v-F9VO7eeLKjppdjMqSblt2QsXdnZde1", "zq1nrmjvx6P-r1o3HDAwb__4X2-QcKdax6t9O0nm4sHTSIlHrc1EXn1R0OsuJV_gVT4H0n3knFtn1M_yYflKzxYkKAs2A-o4v-F9VO7eeLKjppdjMqSblt2QsXdnZde1"),
        ],
        counterexamples: &["YELP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YELP_API_KEY=<your-yelp-key>", "YELP_API_KEY=gNkxkDa7XSTBq4iSRimrOlMO0LvvJQMcFybjaEgEPOW1OBvXOLslvpfIpYgmuoSEdqORW5q82ugDjBlcaqFGdjambP3qanVG6a5OJN9aQ5URZaGR9gZPKBU4IHSFL4W"],
        ..NAMED
    },
    Builtin {
        id: "foursquare_api_key",
        provider: "foursquare",
        description: "Foursquare Places API key (fsq3 + 44)",
        keywords: &["fsq3"],
        pattern: concat!(r#"(?-u)(?P<token>fsq3(?P<secret>[A-Za-z0-9+/]{44}))"#, end_b64!()),
        examples: &[
            (r#"{"foursquare_api_key": "fsq3maNOsfnUHBbntBvU7aEgsh14DHvtey5VQWPge9e5odfl", "region": "eu-west-1"}"#, "fsq3maNOsfnUHBbntBvU7aEgsh14DHvtey5VQWPge9e5odfl"),
            (r#"FOURSQUARE_API_KEY="fsq3pgwb/GDYaCbCTMPGr7hLWS0lpikNNuWDLmLz2EQ41fLb""#, "fsq3pgwb/GDYaCbCTMPGr7hLWS0lpikNNuWDLmLz2EQ41fLb"),
        ],
        counterexamples: &["fsq3xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fsq31234567890", "fsq3UHSOHNWg7nHh0UMAJftBZ1laueDxx7lTifC4Nxs1yCE"],
        ..PREFIXED
    },
    Builtin {
        id: "steam_api_key",
        provider: "steam",
        description: "Steam Web API key (32 upper-case hex) beside a Steam key name",
        keywords: &["steam"],
        pattern: concat!(r"(?-u)(?i:steam)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{32})", end_url!()),
        examples: &[
            ("STEAM_API_KEY = A446A6F641A82D7916CF52015FEB6DA3", "A446A6F641A82D7916CF52015FEB6DA3"),
            (r#"steam_web_api_key: "A5C3D9BFB0B7D70E151C773665F8582C""#, "A5C3D9BFB0B7D70E151C773665F8582C"),
        ],
        counterexamples: &["STEAM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STEAM_API_KEY=<your-steam-key>", "STEAM_API_KEY=9EA525D9223B3B79DE2E872CC3C0357"],
        ..NAMED
    },
    Builtin {
        id: "riot_api_key",
        provider: "riot",
        description: "Riot Games API key (RGAPI- + UUID)",
        keywords: &["RGAPI-"],
        pattern: prefixed!(r"RGAPI-", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer RGAPI-fbfa3f9a-4551-67ac-c49c-dc4f15c20aba' https://api.example.net/v1/me", "RGAPI-fbfa3f9a-4551-67ac-c49c-dc4f15c20aba"),
            (r#"level=info msg="auth ok" key=RGAPI-c436275a-09d8-c2ee-3c85-f62ea81378de"#, "RGAPI-c436275a-09d8-c2ee-3c85-f62ea81378de"),
        ],
        counterexamples: &["RGAPI-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like RGAPI-1234567890", "RGAPI-f9038c48-584d-68e7-6c74-30a96b724ed"],
        ..PREFIXED
    },
    Builtin {
        id: "pinterest_access_token",
        provider: "pinterest",
        description: "Pinterest access token (pina_ + 80 or more) beside a Pinterest key name",
        keywords: &["pinterest"],
        pattern: concat!(r"(?-u)(?i:pinterest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>pina_[A-Z0-9]{80,120})", end_url!()),
        examples: &[
            ("PINTEREST_ACCESS_TOKEN=pina_88I3828EDCCWZL5SOID3GXEIFOWD2WJQOJW74WU1O6ES55B11E2Q4VGP8F75G2PK13Y3JC13OOIXWV95H7Y1", "pina_88I3828EDCCWZL5SOID3GXEIFOWD2WJQOJW74WU1O6ES55B11E2Q4VGP8F75G2PK13Y3JC13OOIXWV95H7Y1"),
            (r#"{"pinterest_token":"pina_LZCB975KMFVEEF9OCE8FNHD498V8H7542OJXZPN0N2XX5NEFJCEAMCTTYXX1XG8EENJBYF467NLLO9SF7AM1JA7XO6G0"}"#, "pina_LZCB975KMFVEEF9OCE8FNHD498V8H7542OJXZPN0N2XX5NEFJCEAMCTTYXX1XG8EENJBYF467NLLO9SF7AM1JA7XO6G0"),
        ],
        counterexamples: &["PINTEREST_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PINTEREST_ACCESS_TOKEN=<your-pinterest-key>", "PINTEREST_ACCESS_TOKEN=pina_BQIRV7LL2R5VIJKZWQJFG0AHQWALX99XR393HEWEBW6PKBGOKBTW1B8KHKRPJAETRCJGYRQXZJSA64B"],
        ..NAMED
    },
    Builtin {
        id: "snapchat_client_secret",
        provider: "snapchat",
        description: "Snapchat / Snap Kit client secret beside a Snapchat secret name",
        keywords: &["snapchat", "snap_kit", "snap-kit", "snapkit"],
        pattern: concat!(r"(?-u)(?i:snapchat|snap[_-]?kit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"SNAPCHAT_CLIENT_SECRET: "9D9JB2EDw1Lcy7ybG1C4UNaX4jbC-xcOSWkSHqQTIiC""#, "9D9JB2EDw1Lcy7ybG1C4UNaX4jbC-xcOSWkSHqQTIiC"),
            ("snap_kit_secret = qW9AOAQPj0VVAvb74778Zw8AlaWtDeDgWnFXt63eFH2", "qW9AOAQPj0VVAvb74778Zw8AlaWtDeDgWnFXt63eFH2"),
        ],
        counterexamples: &["SNAPCHAT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNAPCHAT_CLIENT_SECRET=<your-snapchat-key>", "SNAPCHAT_CLIENT_SECRET=vR7cpHn3tmkw7PVADBk1mdB9JQxGzCeEJYhAIHv990"],
        ..NAMED
    },
    Builtin {
        id: "kick_client_secret",
        provider: "kick",
        description: "Kick client secret beside a Kick secret name",
        keywords: &["kick_"],
        pattern: concat!(r"(?-u)(?i:kick)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export KICK_CLIENT_SECRET="6d65da40c3eb49a00052dbe2172a387ab8e618874aef45e945c79f61080fdb38""#, "6d65da40c3eb49a00052dbe2172a387ab8e618874aef45e945c79f61080fdb38"),
            ("  kick_app_secret: c3764d509876673f9d953a963cd0bf5542833b6b5e57ae903f8815fb04d5b58e", "c3764d509876673f9d953a963cd0bf5542833b6b5e57ae903f8815fb04d5b58e"),
        ],
        counterexamples: &["KICK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KICK_CLIENT_SECRET=<your-kick-key>", "KICK_CLIENT_SECRET=2dc4f11c3ff3aa6a593836cd699f66cb3640ebcf89379b6f0991da2bb2614b2"],
        ..NAMED
    },
    Builtin {
        id: "bluesky_app_password",
        provider: "bluesky",
        description: "Bluesky app password (xxxx-xxxx-xxxx-xxxx) beside a Bluesky key name",
        keywords: &["bluesky", "bsky"],
        pattern: concat!(r"(?-u)(?i:bluesky|bsky)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"BLUESKY_APP_PASSWORD":"vnq4-lyu8-3dp4-hsmw"}"#, "vnq4-lyu8-3dp4-hsmw"),
            ("bsky_password=otku-ww1b-ojm9-674b", "otku-ww1b-ojm9-674b"),
        ],
        counterexamples: &["BLUESKY_APP_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BLUESKY_APP_PASSWORD=<your-bluesky-key>", "BLUESKY_APP_PASSWORD=fn44-vgit-38kq-b4f"],
        ..NAMED
    },
];
