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
            ("curl -s -H 'Authorization: Bearer EAA7sKlKP0WGDZaObFyXh9R82Gxa1I540jiY4xJTPe6YZZUJOlBO0nBNly6enX9mYbm5elyMtS4rtZPMY8tTUddEYvtNOf8cKCYbc' https://api.example.net/v1/me", "EAA7sKlKP0WGDZaObFyXh9R82Gxa1I540jiY4xJTPe6YZZUJOlBO0nBNly6enX9mYbm5elyMtS4rtZPMY8tTUddEYvtNOf8cKCYbc"),
            ("  facebook_access_token: EAA82the86JGVLOKIcSSj4gWQTSL4ThLwRpN5KRZXJkD9zarhCeyevkhWcSOc6bd3fKLoWMmBSfxbdjtz49HsyiymL50LF0f4YDR", "EAA82the86JGVLOKIcSSj4gWQTSL4ThLwRpN5KRZXJkD9zarhCeyevkhWcSOc6bd3fKLoWMmBSfxbdjtz49HsyiymL50LF0f4YDR"),
        ],
        counterexamples: &["EAAxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EAA1234567890", "EAAKpVTmlxNc8mCmqypOOx1FQ0RzSLKIgHoyzPOVbCxZFMJAGHKz7jw5rqsAwLdMxVqrbSnUwD3Wb7dvPyLH3gXmfGj4z"],
        ..PREFIXED
    },
    Builtin {
        id: "instagram_access_token",
        provider: "instagram",
        description: "Instagram access token (IGQV... Basic Display, IGAA... Instagram Login; 100 to 300)",
        keywords: &["IGQV", "IGAA"],
        pattern: prefixed!(r"(?:IGQV|IGAA)", r"[A-Za-z0-9_-]{120,200}"),
        examples: &[
            (r#"level=info msg="auth ok" key=IGQVFJhABB_lIUGI9HQK8CLR9_EFzCDFjMfhfy8tziEWrVCqQtGyPKLHxHB5b_SRm9WvtPnEK5CNa1XwyCYOzCw9nykofhEcdfmq9Z3M3lKCqmcir8M43kSnjCICOz8"#, "IGQVFJhABB_lIUGI9HQK8CLR9_EFzCDFjMfhfy8tziEWrVCqQtGyPKLHxHB5b_SRm9WvtPnEK5CNa1XwyCYOzCw9nykofhEcdfmq9Z3M3lKCqmcir8M43kSnjCICOz8"),
            ("  instagram_access_token: IGAAyNr9tAuSh8FTktP5RTP9k38XTOTU3X1LMrmNIzTp3qnc-4yXWHKDGEWEY6ZJrrIONSTKO-dDeH1UrT8iQ6mZu5WbylRj1Gn3t3AKPduG1wSeBQ7KBvjxqpngQt950XW", "IGAAyNr9tAuSh8FTktP5RTP9k38XTOTU3X1LMrmNIzTp3qnc-4yXWHKDGEWEY6ZJrrIONSTKO-dDeH1UrT8iQ6mZu5WbylRj1Gn3t3AKPduG1wSeBQ7KBvjxqpngQt950XW"),
        ],
        counterexamples: &["IGQVxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like IGQV1234567890", "IGQV3ARmj_JprY-JWEuR2zHo0rOWD1MuS0rPiC3trScXRn26hHuvzLSCIzjfmDRsxr6ShAoMltcDCw4dCrW2eDzoeBgr_PyJwA27CNble9M9Qy6F-f_h1mELoXS"],
        ..PREFIXED
    },
    Builtin {
        id: "facebook_app_secret",
        provider: "facebook",
        description: "Facebook / Meta app secret (32 hex) beside a Facebook secret name",
        keywords: &["facebook", "fb_app", "fb-app", "fb_secret", "meta_app"],
        pattern: concat!(r"(?-u)(?i:facebook|fb|meta)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("FACEBOOK_APP_SECRET = dfc8330fb4605428a24ae450150122ad", "dfc8330fb4605428a24ae450150122ad"),
            (r#"fb_app_secret: "b39eb27159cf73bd89c6608e981497f2""#, "b39eb27159cf73bd89c6608e981497f2"),
        ],
        counterexamples: &["FACEBOOK_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FACEBOOK_APP_SECRET=<your-facebook-key>", "FACEBOOK_APP_SECRET=3efebfaa3f0c038ed51dd0d90074564"],
        ..NAMED
    },
    Builtin {
        id: "twitch_stream_key",
        provider: "twitch",
        description: "Twitch stream key (live_ + channel id + _ + 30)",
        keywords: &["live_"],
        pattern: prefixed!(r"live_", r"[0-9]{6,12}_[A-Za-z0-9]{30}"),
        examples: &[
            ("docker run -e TWITCH_STREAM_KEY=live_47249767421_4OFtfYw7ypBtyTBAj6Me1EWtLuYSB7 app:latest", "live_47249767421_4OFtfYw7ypBtyTBAj6Me1EWtLuYSB7"),
            ("export TWITCH_STREAM_KEY=live_18599206_xmogKSOpJvpVcynN8eT70irmybRcES", "live_18599206_xmogKSOpJvpVcynN8eT70irmybRcES"),
        ],
        counterexamples: &["live_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like live_1234567890", "live_27152684409_j2XeGiVkkxN93ozdn7gqSHVrscUiJ"],
        ..PREFIXED
    },
    Builtin {
        id: "twitter_api_secret",
        provider: "twitter",
        description: "Twitter / X API secret or access token secret (45 to 50) beside a Twitter key name",
        keywords: &["twitter", "x_api"],
        pattern: concat!(r"(?-u)(?i:twitter|x_api)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{45,50})", end_url!()),
        examples: &[
            ("TWITTER_API_SECRET=ybAxlLGFQd1Qnm5Dc3TcMh8Pvova6n2bOGwRTwLyCFrCygEHu", "ybAxlLGFQd1Qnm5Dc3TcMh8Pvova6n2bOGwRTwLyCFrCygEHu"),
            (r#"{"twitter_access_token_secret":"7YgJCtP5ehtpH6rymOISNvZZ6ZyExVyXpsu2T8obLISfLxui"}"#, "7YgJCtP5ehtpH6rymOISNvZZ6ZyExVyXpsu2T8obLISfLxui"),
        ],
        counterexamples: &["TWITTER_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_API_SECRET=<your-twitter-key>", "TWITTER_API_SECRET=yJy66d0KvsGwBxn05dYve5JPeaJWOYZoE3mTqrLpEGdV"],
        ..NAMED
    },
    Builtin {
        id: "twitter_access_token",
        provider: "twitter",
        description: "Twitter / X user access token (<user id>-<40>) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[0-9]{8,19}-[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"TWITTER_ACCESS_TOKEN: "9449502032041-Ag6ShbkmoQTxCtiABKmS9pVCBrmmENhp3Kj5SKRF""#, "9449502032041-Ag6ShbkmoQTxCtiABKmS9pVCBrmmENhp3Kj5SKRF"),
            ("twitter_oauth_token = 956852824-wojyBe0XX1Cb56Zed0Npzjy2fTSCx6DbllVUMw9G", "956852824-wojyBe0XX1Cb56Zed0Npzjy2fTSCx6DbllVUMw9G"),
        ],
        counterexamples: &["TWITTER_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_ACCESS_TOKEN=<your-twitter-key>", "TWITTER_ACCESS_TOKEN=811763352038-QiGICin9yg7qzebpQaeIGewYS8vLURELzdl2xaU"],
        ..NAMED
    },
    Builtin {
        id: "twitter_consumer_key",
        provider: "twitter",
        description: "Twitter / X API (consumer) key (25) beside a Twitter key name",
        keywords: &["twitter"],
        pattern: concat!(r"(?-u)(?i:twitter)[A-Za-z0-9_.-]{0,24}?(?i:key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{25})", end_url!()),
        examples: &[
            (r#"export TWITTER_CONSUMER_KEY="foKVyaIZ1S8GUTYy8AqfBKxNv""#, "foKVyaIZ1S8GUTYy8AqfBKxNv"),
            ("  twitter_api_key: JI8emmIiNnarWcQxKA79FTlaZ", "JI8emmIiNnarWcQxKA79FTlaZ"),
        ],
        counterexamples: &["TWITTER_CONSUMER_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TWITTER_CONSUMER_KEY=<your-twitter-key>", "TWITTER_CONSUMER_KEY=fEBIYDSsyiYZIwdVjaP7IMiF"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_client_secret",
        provider: "linkedin",
        description: "LinkedIn client secret (16) beside a LinkedIn secret name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16})", end_url!()),
        examples: &[
            (r#"{"LINKEDIN_CLIENT_SECRET":"9sEkup4NQrbuA4rr"}"#, "9sEkup4NQrbuA4rr"),
            ("linkedin_secret=kWtr5q9DTq6TkrsY", "kWtr5q9DTq6TkrsY"),
        ],
        counterexamples: &["LINKEDIN_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_CLIENT_SECRET=<your-linkedin-key>", "LINKEDIN_CLIENT_SECRET=KddMaMDuONCKx3N"],
        ..NAMED
    },
    Builtin {
        id: "linkedin_access_token",
        provider: "linkedin",
        description: "LinkedIn access token (AQ + 300 or more) beside a LinkedIn key name",
        keywords: &["linkedin"],
        pattern: concat!(r"(?-u)(?i:linkedin)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>AQ[A-Za-z0-9_-]{300,400})", end_url!()),
        examples: &[
            ("LINKEDIN_ACCESS_TOKEN = AQbX6KXtG41DD627M2EeNtP0HMyqhdww9hvoHHFA_3Lw6Qrj-q1TbFVZUGaNSTWSCy98c6uF5xikUX1dJzR0IxiG2iSvDV6wtUBz3wRvEqDyDk-TRKVeP-IPgJg4ZeAMrw_cMnO07bYcxpHSnyirv7EJokeSXfAximLof_E6i7YFDHl-oZOG-PVXTRaHraFFc-6ZIBySwhO1j4_IfXgeNaKAeod-JDLVVPnBJuu33s4EUKQxMqbWg0a7hSwi3yMVKGkcTpD5cBRbRMafxq3JlMTTVEI6VU15C_5joBHFSR2jQX71-73m9bh", "AQbX6KXtG41DD627M2EeNtP0HMyqhdww9hvoHHFA_3Lw6Qrj-q1TbFVZUGaNSTWSCy98c6uF5xikUX1dJzR0IxiG2iSvDV6wtUBz3wRvEqDyDk-TRKVeP-IPgJg4ZeAMrw_cMnO07bYcxpHSnyirv7EJokeSXfAximLof_E6i7YFDHl-oZOG-PVXTRaHraFFc-6ZIBySwhO1j4_IfXgeNaKAeod-JDLVVPnBJuu33s4EUKQxMqbWg0a7hSwi3yMVKGkcTpD5cBRbRMafxq3JlMTTVEI6VU15C_5joBHFSR2jQX71-73m9bh"),
            (r#"linkedin_token: "AQL-EnAHPIoYMpIXtmupqwmRDA2TiRerCFv_LZmWsJxiac1s937Tb-nE2fMr0uiv6NJCQq8BqZiKk43IN6UUrzt0mTPsMg7_LQtbMZx9nTbMIf5-JxBonfOhJ7WoBnGIHR87tsIulVzN09wYdGIosOQWXbfp-Vhzw9zUviuEyJpA83SqxXxtbKqRSXcfJoI2BikIATH4ys4q7O2uyDlfvjtaK11zM7kqtiQf8pDWTL5X5SK1eTqfNFXhAr2sJokuqzxhCkbl8sPIYmEpgOkEAOGQCjd2mCAWehXT103HXgCNOwmo1Ij""#, "AQL-EnAHPIoYMpIXtmupqwmRDA2TiRerCFv_LZmWsJxiac1s937Tb-nE2fMr0uiv6NJCQq8BqZiKk43IN6UUrzt0mTPsMg7_LQtbMZx9nTbMIf5-JxBonfOhJ7WoBnGIHR87tsIulVzN09wYdGIosOQWXbfp-Vhzw9zUviuEyJpA83SqxXxtbKqRSXcfJoI2BikIATH4ys4q7O2uyDlfvjtaK11zM7kqtiQf8pDWTL5X5SK1eTqfNFXhAr2sJokuqzxhCkbl8sPIYmEpgOkEAOGQCjd2mCAWehXT103HXgCNOwmo1Ij"),
        ],
        counterexamples: &["LINKEDIN_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINKEDIN_ACCESS_TOKEN=<your-linkedin-key>", "LINKEDIN_ACCESS_TOKEN=AQTCtoDISXZsjbwyA0iYmyUsx6u7GXBVTIv-5MuccK4KfStxOnkFTVa18OcUe_FZMeXGBiygEIcF14rSZx_YPZl1yroORDgdhWex__pkMivbadO4-mUVQ4hdXiSBwsZPHELJjFtn9Lflcb1dWD8EloUwOxnIiql2Ym-APWMCeddYYga1Z66O6fJZN0PHxptNzCRFzkOqq3i3oGffN7Em-nD7oOBWB-3xARk5diMeGVUf9tCb9gnc0nZfNFnqRcpCCLqrGPrTW9Ca0iMC_ICrVTPro4kTZ8KaB5fSXoiyXZ6sV"],
        ..NAMED
    },
    Builtin {
        id: "reddit_client_secret",
        provider: "reddit",
        description: "Reddit app client secret (27 to 30) beside a Reddit secret name",
        keywords: &["reddit"],
        pattern: concat!(r"(?-u)(?i:reddit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{27,30})", end_url!()),
        examples: &[
            ("  REDDIT_CLIENT_SECRET: 47wnGxIt_WJMO75r1QQJUbcG3oW5B", "47wnGxIt_WJMO75r1QQJUbcG3oW5B"),
            (r#"export reddit_secret="39T42klFB_b32PvxhCDl1iRkguhm""#, "39T42klFB_b32PvxhCDl1iRkguhm"),
        ],
        counterexamples: &["REDDIT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "REDDIT_CLIENT_SECRET=<your-reddit-key>", "REDDIT_CLIENT_SECRET=abHq9ZcVVxopzvLoDsTIk53XUh"],
        ..NAMED
    },
    Builtin {
        id: "spotify_client_secret",
        provider: "spotify",
        description: "Spotify client secret (32 hex) beside a Spotify secret name",
        keywords: &["spotify"],
        pattern: concat!(r"(?-u)(?i:spotify)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SPOTIFY_CLIENT_SECRET=aff02050c8666b5f2ec9c5c0010ad8ba", "aff02050c8666b5f2ec9c5c0010ad8ba"),
            (r#"{"spotify_secret":"5e1332030356850ecc1f4808cbebcdfb"}"#, "5e1332030356850ecc1f4808cbebcdfb"),
        ],
        counterexamples: &["SPOTIFY_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPOTIFY_CLIENT_SECRET=<your-spotify-key>", "SPOTIFY_CLIENT_SECRET=5a37d75900df47d3d25e3d9d151c0de"],
        ..NAMED
    },
    Builtin {
        id: "tiktok_client_secret",
        provider: "tiktok",
        description: "TikTok client secret (32) beside a TikTok secret name",
        keywords: &["tiktok"],
        pattern: concat!(r"(?-u)(?i:tiktok)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"TIKTOK_CLIENT_SECRET: "4UcuwAHEd8bKa9ly6OY1aqdblx0P4qbK""#, "4UcuwAHEd8bKa9ly6OY1aqdblx0P4qbK"),
            ("tiktok_app_secret = QGItCwSLD6dohytWm7Dbn52wcXkIY0i6", "QGItCwSLD6dohytWm7Dbn52wcXkIY0i6"),
        ],
        counterexamples: &["TIKTOK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TIKTOK_CLIENT_SECRET=<your-tiktok-key>", "TIKTOK_CLIENT_SECRET=qq2jhL70yN21TVWZiCNeme8Ii4HhKtm"],
        ..NAMED
    },
    Builtin {
        id: "mastodon_token",
        provider: "mastodon",
        description: "Mastodon access token (43) beside a Mastodon key name",
        keywords: &["mastodon"],
        pattern: concat!(r"(?-u)(?i:mastodon)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export MASTODON_ACCESS_TOKEN="kslDQY-Dllxm4qeUaYICX9O6scuJkRqzx_-VxlDzlWg""#, "kslDQY-Dllxm4qeUaYICX9O6scuJkRqzx_-VxlDzlWg"),
            ("  mastodon_token: j6LRr_M0LAQbcpbhcSdt7sQKPXNYZORkqbTtitcNZsT", "j6LRr_M0LAQbcpbhcSdt7sQKPXNYZORkqbTtitcNZsT"),
        ],
        counterexamples: &["MASTODON_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MASTODON_ACCESS_TOKEN=<your-mastodon-key>", "MASTODON_ACCESS_TOKEN=_hLFYxt-S5jrgqquIUHnElO_do1lFGIqKYj_jjLimE"],
        ..NAMED
    },
    Builtin {
        id: "youtube_stream_key",
        provider: "youtube",
        description: "YouTube live stream key (xxxx-xxxx-xxxx-xxxx-xxxx) beside a YouTube key name",
        keywords: &["youtube"],
        pattern: concat!(r"(?-u)(?i:youtube)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"YOUTUBE_STREAM_KEY":"8fbs-f5i3-7r3f-bozj-ppct"}"#, "8fbs-f5i3-7r3f-bozj-ppct"),
            ("youtube_stream_key=xdmp-sk0b-7wy1-ce01-l113", "xdmp-sk0b-7wy1-ce01-l113"),
        ],
        counterexamples: &["YOUTUBE_STREAM_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YOUTUBE_STREAM_KEY=<your-youtube-key>", "YOUTUBE_STREAM_KEY=uqup-r1mk-4fhf-terp-n85"],
        ..NAMED
    },
    Builtin {
        id: "vimeo_access_token",
        provider: "vimeo",
        description: "Vimeo access token (32 hex) beside a Vimeo key name",
        keywords: &["vimeo"],
        pattern: concat!(r"(?-u)(?i:vimeo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("VIMEO_ACCESS_TOKEN = dfc0d8bf5ef710e29903d4006bd572bb", "dfc0d8bf5ef710e29903d4006bd572bb"),
            (r#"vimeo_token: "2790e41252f5a2438ea4220c2b3f3d2a""#, "2790e41252f5a2438ea4220c2b3f3d2a"),
        ],
        counterexamples: &["VIMEO_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VIMEO_ACCESS_TOKEN=<your-vimeo-key>", "VIMEO_ACCESS_TOKEN=1f6103f2bd79f1125c9bfb4fd8cbfe8"],
        ..NAMED
    },
    Builtin {
        id: "flickr_api_secret",
        provider: "flickr",
        description: "Flickr API key / secret (32 or 16 hex) beside a Flickr key name",
        keywords: &["flickr"],
        pattern: concat!(r"(?-u)(?i:flickr)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  FLICKR_API_KEY: ee179eb8374fc148aae51804dadd3cd9", "ee179eb8374fc148aae51804dadd3cd9"),
            (r#"export flickr_secret="594333c2437403545c3258685729d9db""#, "594333c2437403545c3258685729d9db"),
        ],
        counterexamples: &["FLICKR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FLICKR_API_KEY=<your-flickr-key>", "FLICKR_API_KEY=e433ef7d10d044efc45b4a529fd79ec"],
        ..NAMED
    },
    Builtin {
        id: "giphy_api_key",
        provider: "giphy",
        description: "Giphy API key (32) beside a Giphy key name",
        keywords: &["giphy"],
        pattern: concat!(r"(?-u)(?i:giphy)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("GIPHY_API_KEY=DxNwPzboJH45usKNjNwN3XifQxYDNHWW", "DxNwPzboJH45usKNjNwN3XifQxYDNHWW"),
            (r#"{"giphy_key":"gpWbq7aRSF6V6c6Y27JgvG7U6jxgqmHC"}"#, "gpWbq7aRSF6V6c6Y27JgvG7U6jxgqmHC"),
        ],
        counterexamples: &["GIPHY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GIPHY_API_KEY=<your-giphy-key>", "GIPHY_API_KEY=WM7NFsPMmOAWyPoom8lF79rRxeCctyy"],
        ..NAMED
    },
    Builtin {
        id: "tumblr_secret",
        provider: "tumblr",
        description: "Tumblr consumer / token secret (50) beside a Tumblr key name",
        keywords: &["tumblr"],
        pattern: concat!(r"(?-u)(?i:tumblr)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"TUMBLR_CONSUMER_SECRET: "txeZsUZw9b9UDVcQMNpnslHVPXh41pt48ymTf4TCHEVnj3fbip""#, "txeZsUZw9b9UDVcQMNpnslHVPXh41pt48ymTf4TCHEVnj3fbip"),
            ("tumblr_token_secret = j3QlEE4LEhpuUv5YV7urewpJ8FOTWs7TmkaobISTh37L5RLGVH", "j3QlEE4LEhpuUv5YV7urewpJ8FOTWs7TmkaobISTh37L5RLGVH"),
        ],
        counterexamples: &["TUMBLR_CONSUMER_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TUMBLR_CONSUMER_SECRET=<your-tumblr-key>", "TUMBLR_CONSUMER_SECRET=6kcfQPThC8R6DCeZjTemOG2UEoBrD8s3Z4h2sJiusDwCyz29s"],
        ..NAMED
    },
    Builtin {
        id: "yelp_api_key",
        provider: "yelp",
        description: "Yelp Fusion API key (128) beside a Yelp key name",
        keywords: &["yelp"],
        pattern: concat!(r"(?-u)(?i:yelp)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{128})", end_url!()),
        examples: &[
            (r#"export YELP_API_KEY="xmxUBP2LkDywgKp6QRW5v_Y2NMwRDpHYEcK4nzLCYOAQcBu1lqPVvQMTVCNaFFIYdj2qAq9FdirmWdW1PfhACuZnXdTNrF06odSOSB1EcMZBRwQugpli3LZ5wGFR1if2""#, "xmxUBP2LkDywgKp6QRW5v_Y2NMwRDpHYEcK4nzLCYOAQcBu1lqPVvQMTVCNaFFIYdj2qAq9FdirmWdW1PfhACuZnXdTNrF06odSOSB1EcMZBRwQugpli3LZ5wGFR1if2"),
            ("  yelp_key: fN2jLCybL1OIT9htDVgkfMSOeZ3T9zN8Hg2ujcmHn6ugK58JEgTAdj7h_3c0Z48PkPglrkfORV872V0ggSJQY5Tw8D8miJo8Kr1Pj2Dxua0Vtisjh5nXh9Qr2oiE0Hl1", "fN2jLCybL1OIT9htDVgkfMSOeZ3T9zN8Hg2ujcmHn6ugK58JEgTAdj7h_3c0Z48PkPglrkfORV872V0ggSJQY5Tw8D8miJo8Kr1Pj2Dxua0Vtisjh5nXh9Qr2oiE0Hl1"),
        ],
        counterexamples: &["YELP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "YELP_API_KEY=<your-yelp-key>", "YELP_API_KEY=MogbQdfIW_MtHisaAkEjfVtZ8HtOkkL_oR2NNqkrXm6pUSiv8bMsoRFszJz7qDqhkj4pvnUI-WsTNdmPflJy0gIFGzJxFbkoI74Y0HZRWb7UboQs01wEL-6LFlRAdjC"],
        ..NAMED
    },
    Builtin {
        id: "foursquare_api_key",
        provider: "foursquare",
        description: "Foursquare Places API key (fsq3 + 44)",
        keywords: &["fsq3"],
        pattern: concat!(r#"(?-u)(?P<token>fsq3(?P<secret>[A-Za-z0-9+/]{44}))"#, end_b64!()),
        examples: &[
            ("Authorization: Bearer fsq3cWvTs2mEwgi36d90eE2wvhCSL+Zo/JUD9qaNYbZSNWtj", "fsq3cWvTs2mEwgi36d90eE2wvhCSL+Zo/JUD9qaNYbZSNWtj"),
            (r#"{"foursquare_api_key": "fsq3xQUZs25QSQWRGY7CFKtqPadlukAgQv/DmvMQGZhiqCNa", "region": "eu-west-1"}"#, "fsq3xQUZs25QSQWRGY7CFKtqPadlukAgQv/DmvMQGZhiqCNa"),
        ],
        counterexamples: &["fsq3xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like fsq31234567890", "fsq3wxtHKuuxvvSng37/KWTiUwCggfjcJK8y4OzF3pMyovz"],
        ..PREFIXED
    },
    Builtin {
        id: "steam_api_key",
        provider: "steam",
        description: "Steam Web API key (32 upper-case hex) beside a Steam key name",
        keywords: &["steam"],
        pattern: concat!(r"(?-u)(?i:steam)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{32})", end_url!()),
        examples: &[
            ("STEAM_API_KEY = F55733B01710CA8FD4B75BD0D4511C0C", "F55733B01710CA8FD4B75BD0D4511C0C"),
            (r#"steam_web_api_key: "8594090F705F074BF08A67857968BF1F""#, "8594090F705F074BF08A67857968BF1F"),
        ],
        counterexamples: &["STEAM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "STEAM_API_KEY=<your-steam-key>", "STEAM_API_KEY=C35523E93A17BE1E54B3A35AB34706A"],
        ..NAMED
    },
    Builtin {
        id: "riot_api_key",
        provider: "riot",
        description: "Riot Games API key (RGAPI- + UUID)",
        keywords: &["RGAPI-"],
        pattern: prefixed!(r"RGAPI-", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("  riot_api_key: RGAPI-e8409477-de09-f033-06c2-abf505ccc093", "RGAPI-e8409477-de09-f033-06c2-abf505ccc093"),
            ("Authorization: Bearer RGAPI-3038c003-5248-b9d8-7bcd-a6a46d06c0dc", "RGAPI-3038c003-5248-b9d8-7bcd-a6a46d06c0dc"),
        ],
        counterexamples: &["RGAPI-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like RGAPI-1234567890", "RGAPI-0aecebc5-503e-bfa7-b735-e6bef40895d"],
        ..PREFIXED
    },
    Builtin {
        id: "pinterest_access_token",
        provider: "pinterest",
        description: "Pinterest access token (pina_ + 80 or more) beside a Pinterest key name",
        keywords: &["pinterest"],
        pattern: concat!(r"(?-u)(?i:pinterest)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>pina_[A-Z0-9]{80,120})", end_url!()),
        examples: &[
            ("PINTEREST_ACCESS_TOKEN=pina_Z34OP9XIIY3XWY5V3ZNLI3I1UJ4LTQAJ7JOH8F7U55KHYGX3POM4HA0AJNW4O07O9JPNKGSXRMN338QSFMY016T7Z", "pina_Z34OP9XIIY3XWY5V3ZNLI3I1UJ4LTQAJ7JOH8F7U55KHYGX3POM4HA0AJNW4O07O9JPNKGSXRMN338QSFMY016T7Z"),
            (r#"{"pinterest_token":"pina_PP1MNVZS02PHIMS3BL40PYCQW7W7E2YC0H647S8V4F45G83XG277MQJ8EB21ATFZ2HHFIG7PIY5ORJLDUTAG37PN"}"#, "pina_PP1MNVZS02PHIMS3BL40PYCQW7W7E2YC0H647S8V4F45G83XG277MQJ8EB21ATFZ2HHFIG7PIY5ORJLDUTAG37PN"),
        ],
        counterexamples: &["PINTEREST_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PINTEREST_ACCESS_TOKEN=<your-pinterest-key>", "PINTEREST_ACCESS_TOKEN=pina_S2S8JHPUE8I7I38EU6F4O2KEF4Q2R83LNKFX6VUG2CDDHA270HAH91XLRK33N8MOU7YMMQ1OOUK4WM8"],
        ..NAMED
    },
    Builtin {
        id: "snapchat_client_secret",
        provider: "snapchat",
        description: "Snapchat / Snap Kit client secret beside a Snapchat secret name",
        keywords: &["snapchat", "snap_kit", "snap-kit", "snapkit"],
        pattern: concat!(r"(?-u)(?i:snapchat|snap[_-]?kit)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"SNAPCHAT_CLIENT_SECRET: "ntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSW""#, "ntFRLY9EdbKYJQDia3AovlX-6e1aWz56Vea0lbvDoSW"),
            ("snap_kit_secret = J2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcT", "J2gzjaiYf3KBrFe0mnzNmHUc6aIjO8tFm2AgVCOLdcT"),
        ],
        counterexamples: &["SNAPCHAT_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SNAPCHAT_CLIENT_SECRET=<your-snapchat-key>", "SNAPCHAT_CLIENT_SECRET=UC8AqTsomUgg_YF3kuLo4l3onz0e4RaSL9at-Ooy5U"],
        ..NAMED
    },
    Builtin {
        id: "kick_client_secret",
        provider: "kick",
        description: "Kick client secret beside a Kick secret name",
        keywords: &["kick_"],
        pattern: concat!(r"(?-u)(?i:kick)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export KICK_CLIENT_SECRET="05b447f312019e134131f53161a890de3b09cf7280849327b97c347eb500a773""#, "05b447f312019e134131f53161a890de3b09cf7280849327b97c347eb500a773"),
            ("  kick_app_secret: d3bd190cce0a09a2aed5bfe06a0f9c6762f4ae82e4248269ad155a7f23237b3e", "d3bd190cce0a09a2aed5bfe06a0f9c6762f4ae82e4248269ad155a7f23237b3e"),
        ],
        counterexamples: &["KICK_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "KICK_CLIENT_SECRET=<your-kick-key>", "KICK_CLIENT_SECRET=51b88bb509a08d33fecdc58cae4d0f602a6e5f9517b7a0322d7051e58853502"],
        ..NAMED
    },
    Builtin {
        id: "bluesky_app_password",
        provider: "bluesky",
        description: "Bluesky app password (xxxx-xxxx-xxxx-xxxx) beside a Bluesky key name",
        keywords: &["bluesky", "bsky"],
        pattern: concat!(r"(?-u)(?i:bluesky|bsky)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})", end_url!()),
        examples: &[
            (r#"{"BLUESKY_APP_PASSWORD":"lpjd-bngw-7s1v-xjpb"}"#, "lpjd-bngw-7s1v-xjpb"),
            ("bsky_password=pwt0-0ght-hprv-fkhu", "pwt0-0ght-hprv-fkhu"),
        ],
        counterexamples: &["BLUESKY_APP_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BLUESKY_APP_PASSWORD=<your-bluesky-key>", "BLUESKY_APP_PASSWORD=xdhw-jljq-pczs-2zk"],
        ..NAMED
    },
];
