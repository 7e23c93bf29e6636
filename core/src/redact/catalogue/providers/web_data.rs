//! Web data, search, maps, media and other public-data APIs.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "serpapi_key",
        provider: "serpapi",
        description: "SerpApi key (64 hex) beside a SerpApi key name",
        keywords: &["serpapi"],
        pattern: concat!(r"(?-u)(?i:serpapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export SERPAPI_API_KEY="924fd8697c49ffad5a678e9350c66cb5be896093b22a08eac5c1a32241536b51""#, "924fd8697c49ffad5a678e9350c66cb5be896093b22a08eac5c1a32241536b51"),
            ("  serpapi_key: 8e2b3b15bcd3df674174eec8a30e17cc631845a12190fb2295ae90e4ac45792e", "8e2b3b15bcd3df674174eec8a30e17cc631845a12190fb2295ae90e4ac45792e"),
        ],
        counterexamples: &["SERPAPI_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SERPAPI_API_KEY=<your-serpapi-key>", "SERPAPI_API_KEY=fd26b9f114477083503c0e1cb9f0b100638504ab27f2b6409b564651b084927"],
        ..NAMED
    },
    Builtin {
        id: "scrapingbee_key",
        provider: "scrapingbee",
        description: "ScrapingBee API key (80 upper-case alphanumerics) beside a ScrapingBee key name",
        keywords: &["scrapingbee"],
        pattern: concat!(r"(?-u)(?i:scrapingbee)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{80})", end_url!()),
        examples: &[
            (r#"{"SCRAPINGBEE_API_KEY":"LGH0T4OFNTWP899TZK4SR870GAWYDYVYTEHWJZL7Z9D67BHLCDABY6LRB9OLISWSVDVTC1O79RIUZSME"}"#, "LGH0T4OFNTWP899TZK4SR870GAWYDYVYTEHWJZL7Z9D67BHLCDABY6LRB9OLISWSVDVTC1O79RIUZSME"),
            ("scrapingbee_key=T5RREP9TRWTGQ16KSPDSY9DOO3YHZ04943N9FPV3GNV077VHJ56YHZ022TOWOBBXL4KL9951QTF3JQR1", "T5RREP9TRWTGQ16KSPDSY9DOO3YHZ04943N9FPV3GNV077VHJ56YHZ022TOWOBBXL4KL9951QTF3JQR1"),
        ],
        counterexamples: &["SCRAPINGBEE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCRAPINGBEE_API_KEY=<your-scrapingbee-key>", "SCRAPINGBEE_API_KEY=Y73EP2MN99UQFBFTURRXR5C3RS8ZE5DMY8WEBJSVL3WUG5QJSDPNEC63MOKOK7K8ZY8BJY8IQQ3F8X3"],
        ..NAMED
    },
    Builtin {
        id: "scraperapi_key",
        provider: "scraperapi",
        description: "ScraperAPI key (32 hex) beside a ScraperAPI key name",
        keywords: &["scraperapi"],
        pattern: concat!(r"(?-u)(?i:scraperapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("SCRAPERAPI_KEY = 08119b33bb511edece29608b4d12ad5c", "08119b33bb511edece29608b4d12ad5c"),
            (r#"scraperapi_api_key: "96dc1996fd289f44c2d60e00278640e2""#, "96dc1996fd289f44c2d60e00278640e2"),
        ],
        counterexamples: &["SCRAPERAPI_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCRAPERAPI_KEY=<your-scraperapi-key>", "SCRAPERAPI_KEY=a0dfbe6411296a46b82a66308291409"],
        ..NAMED
    },
    Builtin {
        id: "zenrows_key",
        provider: "zenrows",
        description: "ZenRows API key (40 hex) beside a ZenRows key name",
        keywords: &["zenrows"],
        pattern: concat!(r"(?-u)(?i:zenrows)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  ZENROWS_API_KEY: 1d0bc98bdec34addbfd5722778893f7351a3d10c", "1d0bc98bdec34addbfd5722778893f7351a3d10c"),
            (r#"export zenrows_key="c193c095580052166949415f6e9ee19f3c2cf07d""#, "c193c095580052166949415f6e9ee19f3c2cf07d"),
        ],
        counterexamples: &["ZENROWS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZENROWS_API_KEY=<your-zenrows-key>", "ZENROWS_API_KEY=093ea6f4be9de5cb9d8e08db0efe480fe18cb02"],
        ..NAMED
    },
    Builtin {
        id: "brightdata_token",
        provider: "brightdata",
        description: "Bright Data API token beside a Bright Data key name",
        keywords: &["brightdata", "bright_data", "bright-data"],
        pattern: concat!(r"(?-u)(?i:bright[_-]?data)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("BRIGHTDATA_API_TOKEN=c7c4233728b6a2f1c3dfc13cd99baf449e98da577c700a038444099bed8f4aab", "c7c4233728b6a2f1c3dfc13cd99baf449e98da577c700a038444099bed8f4aab"),
            (r#"{"bright_data_token":"ae6aa1fe4c997847f0a8aedf37631f7bd70d9eada96b752f4934a93708251c73"}"#, "ae6aa1fe4c997847f0a8aedf37631f7bd70d9eada96b752f4934a93708251c73"),
        ],
        counterexamples: &["BRIGHTDATA_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BRIGHTDATA_API_TOKEN=<your-brightdata-key>", "BRIGHTDATA_API_TOKEN=13a0c73cea09482c40d3009a14ca344b0a5825c1f751e6fa3527c8bcd4a25ad"],
        ..NAMED
    },
    Builtin {
        id: "openweathermap_key",
        provider: "openweathermap",
        description: "OpenWeatherMap API key (32 hex) beside an OpenWeather key name",
        keywords: &["openweather", "owm_"],
        pattern: concat!(r"(?-u)(?i:openweather(?:map)?|owm)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"OPENWEATHERMAP_API_KEY: "1e91d82bc83b5238cde300a6cf7c99a3""#, "1e91d82bc83b5238cde300a6cf7c99a3"),
            ("owm_api_key = a1f521f19b9936f5e886dec30d4b72d2", "a1f521f19b9936f5e886dec30d4b72d2"),
        ],
        counterexamples: &["OPENWEATHERMAP_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPENWEATHERMAP_API_KEY=<your-openweathermap-key>", "OPENWEATHERMAP_API_KEY=d192e57a79edefa2651aa168eebe5e2"],
        ..NAMED
    },
    Builtin {
        id: "weatherapi_key",
        provider: "weatherapi",
        description: "WeatherAPI.com key (31 hex) beside a WeatherAPI key name",
        keywords: &["weatherapi"],
        pattern: concat!(r"(?-u)(?i:weatherapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{31})", end_url!()),
        examples: &[
            (r#"export WEATHERAPI_KEY="5b6ffa6eab5f423629acebd2ac8270a""#, "5b6ffa6eab5f423629acebd2ac8270a"),
            ("  weatherapi_api_key: 9f3e1801822e3433a8d33e0a120f8d3", "9f3e1801822e3433a8d33e0a120f8d3"),
        ],
        counterexamples: &["WEATHERAPI_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WEATHERAPI_KEY=<your-weatherapi-key>", "WEATHERAPI_KEY=9675bf18de162d8f087a78f8a25819"],
        ..NAMED
    },
    Builtin {
        id: "tomorrow_io_key",
        provider: "tomorrowio",
        description: "Tomorrow.io API key (32) beside a Tomorrow.io key name",
        keywords: &["tomorrowio", "tomorrow_io", "tomorrow.io", "tomorrow-io"],
        pattern: concat!(r"(?-u)(?i:tomorrow[_.-]?io)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"TOMORROW_IO_API_KEY":"KUNynXJmn9D4sabEn4sBEZn8vQqLT29c"}"#, "KUNynXJmn9D4sabEn4sBEZn8vQqLT29c"),
            ("tomorrowio_key=KZCULcqpab2POjoUXOdgcBGFi98oKLnf", "KZCULcqpab2POjoUXOdgcBGFi98oKLnf"),
        ],
        counterexamples: &["TOMORROW_IO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TOMORROW_IO_API_KEY=<your-tomorrowio-key>", "TOMORROW_IO_API_KEY=HOQEyrpPUAFZI3iW7fGv1L1Zj9UOgH6"],
        ..NAMED
    },
    Builtin {
        id: "here_api_key",
        provider: "here",
        description: "HERE platform API key (43) beside a HERE key name",
        keywords: &["here_api", "here-api", "here_maps"],
        pattern: concat!(r"(?-u)(?i:here)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("HERE_API_KEY = 4ekNltjnc7yNeJo0kDhmmpyD8SBI0tvqFY1m-gFNCRF", "4ekNltjnc7yNeJo0kDhmmpyD8SBI0tvqFY1m-gFNCRF"),
            (r#"here_maps_api_key: "VzeBUtIC0Rx7cFz8_e2cbHj3igfwnC5lHBEbbf76dPb""#, "VzeBUtIC0Rx7cFz8_e2cbHj3igfwnC5lHBEbbf76dPb"),
        ],
        counterexamples: &["HERE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HERE_API_KEY=<your-here-key>", "HERE_API_KEY=K_jOvbzRHIXxL-oO19ouay_7s5HaPQkhohMzFF96mx"],
        ..NAMED
    },
    Builtin {
        id: "tomtom_api_key",
        provider: "tomtom",
        description: "TomTom API key (32) beside a TomTom key name, or as the key parameter of an api.tomtom.com URL",
        keywords: &["tomtom"],
        pattern: concat!(r"(?-u)(?:(?i:tomtom)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})|\bapi\.tomtom\.com/[^\s?#]*\?(?:[^\s#]*&)?key=(?P<secret_url>[A-Za-z0-9]{32}))", end_url!()),
        examples: &[
            ("  TOMTOM_API_KEY: tTXRZDGu27GPe88oR4imhqjuRIz88HkA", "tTXRZDGu27GPe88oR4imhqjuRIz88HkA"),
            (r#"export tomtom_key="MpmULjCMNJ4laP1stEcdxKbEfuSa99ap""#, "MpmULjCMNJ4laP1stEcdxKbEfuSa99ap"),
            ("GET https://api.tomtom.com/search/2/geocode/berlin.json?limit=1&key=Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z 200", "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"),
        ],
        counterexamples: &["TOMTOM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TOMTOM_API_KEY=<your-tomtom-key>", "TOMTOM_API_KEY=zZxJBa9iGr7Xx6WQNVM9CwPpy692hvb", "https://api.tomtom.com/search/2/geocode/berlin.json?key=YOUR_API_KEY"],
        ..NAMED
    },
    Builtin {
        id: "locationiq_token",
        provider: "locationiq",
        description: "LocationIQ access token (pk. + 32 hex) beside a LocationIQ key name",
        keywords: &["locationiq"],
        pattern: concat!(r"(?-u)(?i:locationiq)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>pk\.[a-f0-9]{32})", end_url!()),
        examples: &[
            ("LOCATIONIQ_API_KEY=pk.f885a70bbfb130d8ba050df6933b50e8", "pk.f885a70bbfb130d8ba050df6933b50e8"),
            (r#"{"locationiq_token":"pk.19fff5b8b6e0defb172c1eb5de7296a9"}"#, "pk.19fff5b8b6e0defb172c1eb5de7296a9"),
        ],
        counterexamples: &["LOCATIONIQ_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOCATIONIQ_API_KEY=<your-locationiq-key>", "LOCATIONIQ_API_KEY=pk.4484bdf6ba1120c0893e5b3378ea861"],
        ..NAMED
    },
    Builtin {
        id: "opencage_key",
        provider: "opencage",
        description: "OpenCage geocoder key (32 hex) beside an OpenCage key name",
        keywords: &["opencage"],
        pattern: concat!(r"(?-u)(?i:opencage)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"OPENCAGE_API_KEY: "4b5b0c79a94480e70259078c408da589""#, "4b5b0c79a94480e70259078c408da589"),
            ("opencage_key = 58031ad4c8ef322a78575c2a19a68ef3", "58031ad4c8ef322a78575c2a19a68ef3"),
        ],
        counterexamples: &["OPENCAGE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OPENCAGE_API_KEY=<your-opencage-key>", "OPENCAGE_API_KEY=fbb2e8bbace10ae96817dfbb9c32896"],
        ..NAMED
    },
    Builtin {
        id: "ipinfo_token",
        provider: "ipinfo",
        description: "IPinfo access token (14 hex) beside an IPinfo key name",
        keywords: &["ipinfo"],
        pattern: concat!(r"(?-u)(?i:ipinfo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{14})", end_url!()),
        examples: &[
            (r#"export IPINFO_TOKEN="15c5afd2413266""#, "15c5afd2413266"),
            ("  ipinfo_api_token: fba23e6a568064", "fba23e6a568064"),
        ],
        counterexamples: &["IPINFO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IPINFO_TOKEN=<your-ipinfo-key>", "IPINFO_TOKEN=d4e867361185a"],
        ..NAMED
    },
    Builtin {
        id: "ipstack_key",
        provider: "ipstack",
        description: "ipstack / apilayer access key (32 hex) beside an ipstack key name",
        keywords: &["ipstack", "apilayer"],
        pattern: concat!(r"(?-u)(?i:ipstack|apilayer)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"{"IPSTACK_ACCESS_KEY":"13af734af00620701f47db01ee835e1e"}"#, "13af734af00620701f47db01ee835e1e"),
            ("apilayer_key=120974ced212a060b0574671f175dd5c", "120974ced212a060b0574671f175dd5c"),
        ],
        counterexamples: &["IPSTACK_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IPSTACK_ACCESS_KEY=<your-ipstack-key>", "IPSTACK_ACCESS_KEY=5fe562b8318984db2b4c44430d64154"],
        ..NAMED
    },
    Builtin {
        id: "ipgeolocation_key",
        provider: "ipgeolocation",
        description: "ipgeolocation.io API key (32 hex) beside an ipgeolocation key name",
        keywords: &["ipgeolocation"],
        pattern: concat!(r"(?-u)(?i:ipgeolocation)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("IPGEOLOCATION_API_KEY = 1539e3b0a306507950e81ae4103de2db", "1539e3b0a306507950e81ae4103de2db"),
            (r#"ipgeolocation_key: "10d3b936df5a86c00ba0c00b1a232c01""#, "10d3b936df5a86c00ba0c00b1a232c01"),
        ],
        counterexamples: &["IPGEOLOCATION_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IPGEOLOCATION_API_KEY=<your-ipgeolocation-key>", "IPGEOLOCATION_API_KEY=9be294248de01be72225ac39f5971a3"],
        ..NAMED
    },
    Builtin {
        id: "newsapi_key",
        provider: "newsapi",
        description: "NewsAPI key (32 hex) beside a NewsAPI key name",
        keywords: &["newsapi"],
        pattern: concat!(r"(?-u)(?i:newsapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  NEWSAPI_KEY: ddb3880bcde7e39621a49ae40009137b", "ddb3880bcde7e39621a49ae40009137b"),
            (r#"export newsapi_api_key="1e766d803faf3501af507e40a236e7e6""#, "1e766d803faf3501af507e40a236e7e6"),
        ],
        counterexamples: &["NEWSAPI_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NEWSAPI_KEY=<your-newsapi-key>", "NEWSAPI_KEY=5ce8460b5bc36fb0692bfa580d8487a"],
        ..NAMED
    },
    Builtin {
        id: "nasa_api_key",
        provider: "nasa",
        description: "NASA Open APIs key (40) beside a NASA key name",
        keywords: &["nasa"],
        pattern: concat!(r"(?-u)(?i:nasa)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("NASA_API_KEY=GCWoDWOAWFEa4S2pCCqQQciJzfAbB0pxYhVXr5iN", "GCWoDWOAWFEa4S2pCCqQQciJzfAbB0pxYhVXr5iN"),
            (r#"{"nasa_key":"a7EwFNWssvgfhBExO7YWKUiXdNObfSFeK532zEEi"}"#, "a7EwFNWssvgfhBExO7YWKUiXdNObfSFeK532zEEi"),
        ],
        counterexamples: &["NASA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "NASA_API_KEY=<your-nasa-key>", "NASA_API_KEY=rPXWNevNblBhNFU8olVfcdKMkmDGbhuvMzogE8H"],
        ..NAMED
    },
    Builtin {
        id: "unsplash_secret",
        provider: "unsplash",
        description: "Unsplash access / secret key (43) beside an Unsplash key name",
        keywords: &["unsplash"],
        pattern: concat!(r"(?-u)(?i:unsplash)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"UNSPLASH_ACCESS_KEY: "46mH23CU0eD5qUrknfBszMtsEmckESwCZxdBE99D5hH""#, "46mH23CU0eD5qUrknfBszMtsEmckESwCZxdBE99D5hH"),
            ("unsplash_secret_key = dW942yzMMXQDXRNWz6Ao74dDLzMymtr1WZxcKJYYGBw", "dW942yzMMXQDXRNWz6Ao74dDLzMymtr1WZxcKJYYGBw"),
        ],
        counterexamples: &["UNSPLASH_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UNSPLASH_ACCESS_KEY=<your-unsplash-key>", "UNSPLASH_ACCESS_KEY=cg-uYIMmB4DVXDJUcK7Bepu6BA2FCpIzg1HM-k9vcA"],
        ..NAMED
    },
    Builtin {
        id: "pexels_api_key",
        provider: "pexels",
        description: "Pexels API key (56) beside a Pexels key name",
        keywords: &["pexels"],
        pattern: concat!(r"(?-u)(?i:pexels)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{56})", end_url!()),
        examples: &[
            (r#"export PEXELS_API_KEY="rAqOAXXaKqXLGF3AHolbKf7etUQQgWaOf9M7tW4SKLqkgddLN8a1TkVg""#, "rAqOAXXaKqXLGF3AHolbKf7etUQQgWaOf9M7tW4SKLqkgddLN8a1TkVg"),
            ("  pexels_key: NpiMY5pJberWHOmKBFGtZ9kmZkvI7Mkv9ogL3Wf2zxe9psW4EACyvmOY", "NpiMY5pJberWHOmKBFGtZ9kmZkvI7Mkv9ogL3Wf2zxe9psW4EACyvmOY"),
        ],
        counterexamples: &["PEXELS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PEXELS_API_KEY=<your-pexels-key>", "PEXELS_API_KEY=2hmgCyrJgSxAza3y1kuyOBHswM1yfH2VTOCXd3OoSGzcUIEuFu08ke7"],
        ..NAMED
    },
    Builtin {
        id: "shutterstock_token",
        provider: "shutterstock",
        description: "Shutterstock API token / secret beside a Shutterstock key name",
        keywords: &["shutterstock"],
        pattern: concat!(r"(?-u)(?i:shutterstock)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>v2/[A-Za-z0-9_-]{100,200})", end_url!()),
        examples: &[
            (r#"{"SHUTTERSTOCK_API_TOKEN":"v2/sCKvR5hZAUib_8dpsymVwaXj5-XlSbzj_Q-ELpWZ9eh4xUia6m-W0yL0cYwNE_z_pmLnY5V_ude-7AQ495w1WLgpw3xk_l_zFiN2tW0AogFKu7"}"#, "v2/sCKvR5hZAUib_8dpsymVwaXj5-XlSbzj_Q-ELpWZ9eh4xUia6m-W0yL0cYwNE_z_pmLnY5V_ude-7AQ495w1WLgpw3xk_l_zFiN2tW0AogFKu7"),
            ("shutterstock_client_secret=v2/He6iHWCk7TkTTp-L2AWqkuBWTDbrOogaloDjmObhKOfPw9qYQA4e5tuzBKnyglpIdKjyo6CIAqzc1ACm5G4rNzgPa-bf4kghQdlWiw7", "v2/He6iHWCk7TkTTp-L2AWqkuBWTDbrOogaloDjmObhKOfPw9qYQA4e5tuzBKnyglpIdKjyo6CIAqzc1ACm5G4rNzgPa-bf4kghQdlWiw7"),
        ],
        counterexamples: &["SHUTTERSTOCK_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SHUTTERSTOCK_API_TOKEN=<your-shutterstock-key>", "SHUTTERSTOCK_API_TOKEN=v2/zwx-esB-2D_PGQdTIlEl-VqrR5PMkPPQDXKE0aknLIhh3XrgLXdRxR1iegNL5PX-3RLzBcrrf3xz5tlRiWgEzATuK3UCGdAsrDw"],
        ..NAMED
    },
    Builtin {
        id: "tmdb_api_key",
        provider: "tmdb",
        description: "TMDB API key (32 hex) beside a TMDB key name",
        keywords: &["tmdb", "themoviedb"],
        pattern: concat!(r"(?-u)(?i:tmdb|themoviedb)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("TMDB_API_KEY = f36b2a8d4cfc2aecbbd6959a30962c29", "f36b2a8d4cfc2aecbbd6959a30962c29"),
            (r#"themoviedb_api_key: "e84b2d1723a7fff93bde2f4a04cf53c3""#, "e84b2d1723a7fff93bde2f4a04cf53c3"),
        ],
        counterexamples: &["TMDB_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TMDB_API_KEY=<your-tmdb-key>", "TMDB_API_KEY=93189360c10a898b57434eb30e25459"],
        ..NAMED
    },
    Builtin {
        id: "rapidapi_key",
        provider: "rapidapi",
        description: "RapidAPI key (50) beside a RapidAPI key name or X-RapidAPI-Key header",
        keywords: &["rapidapi"],
        pattern: concat!(r"(?-u)(?i:rapidapi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            ("  X-RapidAPI-Key: C5Gxb3Jau6ECmiRt9nvFb9CLYkwsrkQIZVXsopVUrMA02uITkd", "C5Gxb3Jau6ECmiRt9nvFb9CLYkwsrkQIZVXsopVUrMA02uITkd"),
            (r#"export RAPIDAPI_KEY="fnb8Jbwf7sWVSaUCQrqgNCGAhQEO7HCikJ9mUaXy7BSAT8c5sE""#, "fnb8Jbwf7sWVSaUCQrqgNCGAhQEO7HCikJ9mUaXy7BSAT8c5sE"),
        ],
        counterexamples: &["X-RapidAPI-Key=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "X-RapidAPI-Key=<your-rapidapi-key>", "X-RapidAPI-Key=YkltCLdJs8sZYMtDKDxduXanhJtaiFCRrY6oE5gpUwuJ5sthg"],
        ..NAMED
    },
    Builtin {
        id: "abstractapi_key",
        provider: "abstractapi",
        description: "Abstract API key (32 hex) beside an Abstract API key name",
        keywords: &["abstractapi", "abstract_api", "abstract-api"],
        pattern: concat!(r"(?-u)(?i:abstract[_-]?api)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("ABSTRACTAPI_KEY=b27461b8b5552003f64528ba7dfc2a7d", "b27461b8b5552003f64528ba7dfc2a7d"),
            (r#"{"abstract_api_key":"b98e333e65c79c7fcf455a750328ffff"}"#, "b98e333e65c79c7fcf455a750328ffff"),
        ],
        counterexamples: &["ABSTRACTAPI_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ABSTRACTAPI_KEY=<your-abstractapi-key>", "ABSTRACTAPI_KEY=eeb758f49633342f682aa54802c6115"],
        ..NAMED
    },
    Builtin {
        id: "clearbit_key",
        provider: "clearbit",
        description: "Clearbit secret key (sk_ + 32 hex) beside a Clearbit key name",
        keywords: &["clearbit"],
        pattern: concat!(r"(?-u)(?i:clearbit)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>sk_[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"CLEARBIT_API_KEY: "sk_0693023d06acca67a24b6234bb241ee3""#, "sk_0693023d06acca67a24b6234bb241ee3"),
            ("clearbit_secret_key = sk_90b70aa6fa2560dd7c04eb03e319920b", "sk_90b70aa6fa2560dd7c04eb03e319920b"),
        ],
        counterexamples: &["CLEARBIT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLEARBIT_API_KEY=<your-clearbit-key>", "CLEARBIT_API_KEY=sk_f10498368cd16fdd239e3138be5c141"],
        ..NAMED
    },
    Builtin {
        id: "fullcontact_key",
        provider: "fullcontact",
        description: "FullContact API key (32) beside a FullContact key name",
        keywords: &["fullcontact"],
        pattern: concat!(r"(?-u)(?i:fullcontact)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"export FULLCONTACT_API_KEY="32Kkmh1MkiaW1YGz74T9T0NZ9a1RQ69y""#, "32Kkmh1MkiaW1YGz74T9T0NZ9a1RQ69y"),
            ("  fullcontact_key: jBJXXvyhmdQrq5ckoEGjxFDoHiMYtrpQ", "jBJXXvyhmdQrq5ckoEGjxFDoHiMYtrpQ"),
        ],
        counterexamples: &["FULLCONTACT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FULLCONTACT_API_KEY=<your-fullcontact-key>", "FULLCONTACT_API_KEY=JK4KiBCxHaiQLW4eFepfxuUwGdQSd6t"],
        ..NAMED
    },
    Builtin {
        id: "screenshotone_key",
        provider: "screenshotone",
        description: "ScreenshotOne access / secret key beside a ScreenshotOne key name",
        keywords: &["screenshotone"],
        pattern: concat!(r"(?-u)(?i:screenshotone)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{22,32})", end_url!()),
        examples: &[
            (r#"{"SCREENSHOTONE_SECRET_KEY":"0H9K5t9NFu6xyU_BbdpiKW"}"#, "0H9K5t9NFu6xyU_BbdpiKW"),
            ("screenshotone_access_key=v6sW42tUmGNvCLXbhzA3VlQpROeB", "v6sW42tUmGNvCLXbhzA3VlQpROeB"),
        ],
        counterexamples: &["SCREENSHOTONE_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCREENSHOTONE_SECRET_KEY=<your-screenshotone-key>", "SCREENSHOTONE_SECRET_KEY=Ra8JU-eIShKZwx26l5xwP"],
        ..NAMED
    },
    Builtin {
        id: "ipdata_key",
        provider: "ipdata",
        description: "ipdata API key (56 hex) beside an ipdata key name",
        keywords: &["ipdata"],
        pattern: concat!(r"(?-u)(?i:ipdata)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{56})", end_url!()),
        examples: &[
            ("IPDATA_API_KEY = 07acb002e8a2619a8d7f5b3e9f9d70c842fd16d1037a0f4a1a8c210e", "07acb002e8a2619a8d7f5b3e9f9d70c842fd16d1037a0f4a1a8c210e"),
            (r#"ipdata_key: "4568f578e6521f05621818573e957a056cb44a3730001b30faf70f29""#, "4568f578e6521f05621818573e957a056cb44a3730001b30faf70f29"),
        ],
        counterexamples: &["IPDATA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IPDATA_API_KEY=<your-ipdata-key>", "IPDATA_API_KEY=c1f411fd48553b52de6baa137b88630dcf73b18af8390dabf013c4a"],
        ..NAMED
    },
    Builtin {
        id: "wolfram_appid",
        provider: "wolfram",
        description: "Wolfram|Alpha AppID (XXXXXX-XXXXXXXXXX) beside a Wolfram key name",
        keywords: &["wolfram"],
        pattern: concat!(r"(?-u)(?i:wolfram)[A-Za-z0-9_.-]{0,24}?(?i:app[_-]?id|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{6}-[A-Z0-9]{10})", end_url!()),
        examples: &[
            ("  WOLFRAM_APP_ID: 7VLF9G-JAU9O8A549", "7VLF9G-JAU9O8A549"),
            (r#"export WOLFRAM_ALPHA_APPID="G60MEW-PSXNQ4GYIY""#, "G60MEW-PSXNQ4GYIY"),
        ],
        counterexamples: &["WOLFRAM_APP_ID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WOLFRAM_APP_ID=<your-wolfram-key>", "WOLFRAM_APP_ID=LZ0AR0-Q4DP7PR1W"],
        ..NAMED
    },
    Builtin {
        id: "openweathermap_appid",
        provider: "openweathermap",
        description: "OpenWeatherMap API key (32 hex) as the appid parameter of an api.openweathermap.org URL",
        keywords: &["openweathermap"],
        pattern: concat!(r#"(?-u)(?i:openweathermap\.org)/[^\s"'?#]*\?(?:[^\s"'#]*&)?appid=(?P<secret>[a-f0-9]{32})"#, end_url!()),
        validate: Some(random_hex),
        examples: &[
            ("HTTPError: 401 Client Error: Unauthorized for url: https://api.openweathermap.org/data/2.5/weather?q=Oslo&appid=64712afcdf15adedba508159d8e9e153&units=metric", "64712afcdf15adedba508159d8e9e153"),
        ],
        counterexamples: &["https://api.openweathermap.org/data/2.5/weather?q=Oslo&appid={API key}"],
        ..PREFIXED
    },
];
