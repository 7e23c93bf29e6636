//! CRM, customer support, marketing and commerce content platforms.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "hubspot_pat",
        provider: "hubspot",
        description: "HubSpot private app access token (pat-<region>- + UUID)",
        keywords: &["pat-na1-", "pat-na2-", "pat-eu1-", "pat-ap1-"],
        pattern: prefixed!(r"(?:pat-na1-|pat-na2-|pat-eu1-|pat-ap1-)", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("Authorization: Bearer pat-na1-614322ac-2b82-9599-7801-1c8ac9f49d72", "pat-na1-614322ac-2b82-9599-7801-1c8ac9f49d72"),
            (r#"level=info msg="auth ok" key=pat-ap1-2051e047-1052-2357-6a28-4a1d393521b0"#, "pat-ap1-2051e047-1052-2357-6a28-4a1d393521b0"),
        ],
        counterexamples: &["pat-na1-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like pat-na1-1234567890", "pat-na1-d2a6078d-e127-8a32-0027-0df08522806"],
        ..PREFIXED
    },
    Builtin {
        id: "hubspot_api_key",
        provider: "hubspot",
        description: "HubSpot legacy API key (UUID) beside a HubSpot key name or hapikey parameter",
        keywords: &["hubspot", "hapikey"],
        pattern: concat!(r"(?-u)(?i:hubspot|hapikey)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("HUBSPOT_API_KEY=4a4ce2d2-0834-93bf-ef93-fb4c820e2a77", "4a4ce2d2-0834-93bf-ef93-fb4c820e2a77"),
            (r#"{"hapikey":"a9fdfcce-d755-daff-ee12-4bd227f1138c"}"#, "a9fdfcce-d755-daff-ee12-4bd227f1138c"),
        ],
        counterexamples: &["HUBSPOT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HUBSPOT_API_KEY=<your-hubspot-key>", "HUBSPOT_API_KEY=9a72e9a7-acfd-e1bc-072f-de50a30c372"],
        ..NAMED
    },
    Builtin {
        id: "salesforce_access_token",
        provider: "salesforce",
        description: "Salesforce OAuth access / session token (org id 00D... ! + 80 to 200) in a line naming Salesforce",
        keywords: &["salesforce", "sfdc", "force.com", "sf_"],
        pattern: concat!(r"(?-u)(?P<secret>00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,200})", end_url!()),
        examples: &[
            ("salesforce: Authorization: Bearer 00D5g000004ZyXq!ARgAQ9x1BDoFJzwigouY3TrKpS4B4md8fg4kke4XUEmfP0hj1fj3waok9CoRU69NIjyNv1BLdkCi5mbCS9xrc8f1Bi7lasi4D", "00D5g000004ZyXq!ARgAQ9x1BDoFJzwigouY3TrKpS4B4md8fg4kke4XUEmfP0hj1fj3waok9CoRU69NIjyNv1BLdkCi5mbCS9xrc8f1Bi7lasi4D"),
            ("SF_SESSION=00DHn0000023dkL!AQcAQvxdGeOLmp7jbGCE0s3F6IKXRJYSxtbcwmZMHfdj5Rds8HhqPSNIdAnDMLNn0MupzGbiGiub3SIUENOyw3TQcgqIDzasaurrsW4g3", "00DHn0000023dkL!AQcAQvxdGeOLmp7jbGCE0s3F6IKXRJYSxtbcwmZMHfdj5Rds8HhqPSNIdAnDMLNn0MupzGbiGiub3SIUENOyw3TQcgqIDzasaurrsW4g3"),
        ],
        counterexamples: &["00D is the org id prefix", "00D5g000004ZyXq!short", "00Dxxxxxxxxxxxxxx!xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
        ..PREFIXED
    },
    Builtin {
        id: "salesforce_consumer_secret",
        provider: "salesforce",
        description: "Salesforce connected app consumer secret (64 hex) beside a Salesforce secret name",
        keywords: &["salesforce", "sf_consumer", "sf_client"],
        pattern: concat!(r"(?-u)(?i:salesforce|sf)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-F0-9]{64})", end_url!()),
        examples: &[
            (r#"export SALESFORCE_CLIENT_SECRET="601B38EAC7D0CF91CB5A594432A66C39BF4A8A90F299558C4D4D45DA70F1247C""#, "601B38EAC7D0CF91CB5A594432A66C39BF4A8A90F299558C4D4D45DA70F1247C"),
            ("  sf_consumer_secret: 12194E7BF3AB5E8FF27A52A7953AD9DEF0CDB8ED0AF872C4046BA041CCF0F5A6", "12194E7BF3AB5E8FF27A52A7953AD9DEF0CDB8ED0AF872C4046BA041CCF0F5A6"),
        ],
        counterexamples: &["SALESFORCE_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SALESFORCE_CLIENT_SECRET=<your-salesforce-key>", "SALESFORCE_CLIENT_SECRET=A08029E03B65C947AED341EBB80A423EDF18B4C54CA6A49077587EC48F30A0D"],
        ..NAMED
    },
    Builtin {
        id: "zendesk_api_token",
        provider: "zendesk",
        description: "Zendesk API token (40) beside a Zendesk key name",
        keywords: &["zendesk"],
        pattern: concat!(r"(?-u)(?i:zendesk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            (r#"{"ZENDESK_API_TOKEN":"0GIIcqVx9CCV4ltO3JI2xRUdGC5iAeCIGLHUWlDb"}"#, "0GIIcqVx9CCV4ltO3JI2xRUdGC5iAeCIGLHUWlDb"),
            ("zendesk_token=8Qq5Dds9j7QhboihvgpZI0yyxE4pPlUsTjpCBzbX", "8Qq5Dds9j7QhboihvgpZI0yyxE4pPlUsTjpCBzbX"),
        ],
        counterexamples: &["ZENDESK_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZENDESK_API_TOKEN=<your-zendesk-key>", "ZENDESK_API_TOKEN=drrsxHMem54DkUhU2JJzmz6s0ri1XsU9fCxHKkV"],
        ..NAMED
    },
    Builtin {
        id: "freshdesk_api_key",
        provider: "freshdesk",
        description: "Freshdesk / Freshservice API key (20) beside a Freshdesk key name",
        keywords: &["freshdesk", "freshservice"],
        pattern: concat!(r"(?-u)(?i:fresh(?:desk|service))[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20})", end_url!()),
        examples: &[
            ("FRESHDESK_API_KEY = iJWSr9wjFj3Q9Bg4XZbf", "iJWSr9wjFj3Q9Bg4XZbf"),
            (r#"freshservice_api_key: "UPhSWNUVIWg3v91B5JJC""#, "UPhSWNUVIWg3v91B5JJC"),
        ],
        counterexamples: &["FRESHDESK_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FRESHDESK_API_KEY=<your-freshdesk-key>", "FRESHDESK_API_KEY=zY0KjhC64KS02f8Uip1"],
        ..NAMED
    },
    Builtin {
        id: "pipedrive_token",
        provider: "pipedrive",
        description: "Pipedrive API token (40 hex) beside a Pipedrive key name",
        keywords: &["pipedrive"],
        pattern: concat!(r"(?-u)(?i:pipedrive)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("  PIPEDRIVE_API_TOKEN: 4625173c372486cb03d55935101f727b11c04889", "4625173c372486cb03d55935101f727b11c04889"),
            (r#"export pipedrive_token="9cc99f168a4e58953a4462ed037b93622360c96e""#, "9cc99f168a4e58953a4462ed037b93622360c96e"),
        ],
        counterexamples: &["PIPEDRIVE_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PIPEDRIVE_API_TOKEN=<your-pipedrive-key>", "PIPEDRIVE_API_TOKEN=0fb1cc15285be6257d6907a9bd07b4ff6cc1b68"],
        ..NAMED
    },
    Builtin {
        id: "attio_token",
        provider: "attio",
        description: "Attio API access token (64 hex) beside an Attio key name",
        keywords: &["attio"],
        pattern: concat!(r"(?-u)(?i:attio)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("ATTIO_API_KEY=806476cd1ea0b3a89039a325ededcacfc10cf16a2406739ff7087aab9c4e7630", "806476cd1ea0b3a89039a325ededcacfc10cf16a2406739ff7087aab9c4e7630"),
            (r#"{"attio_access_token":"98f653851ba594066c02bb9f2a96562c80a5b9f3936b1669de134e1702618cf7"}"#, "98f653851ba594066c02bb9f2a96562c80a5b9f3936b1669de134e1702618cf7"),
        ],
        counterexamples: &["ATTIO_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ATTIO_API_KEY=<your-attio-key>", "ATTIO_API_KEY=d41359c84cb4dac0fbb8a728e8e9a3a8db75ccfb1040061b98a2f0bb03eac13"],
        ..NAMED
    },
    Builtin {
        id: "close_api_key",
        provider: "close",
        description: "Close CRM API key (api_ + 22 + . + 22) beside a Close key name",
        keywords: &["close_api", "closeio", "close.io", "close_io"],
        pattern: concat!(r"(?-u)(?i:close(?:io|_io|\.io)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>api_[A-Za-z0-9]{22}\.[A-Za-z0-9]{22})", end_url!()),
        examples: &[
            (r#"CLOSE_API_KEY: "api_aeTI4F1UZhff3NPTCZwYNM.KGzquzZlukPT6MAjGhdsYw""#, "api_aeTI4F1UZhff3NPTCZwYNM.KGzquzZlukPT6MAjGhdsYw"),
            ("closeio_api_key = api_NaNLJ0AUgM2XdLTveDjyNS.951gpx6b2lEB65ktvfmgHP", "api_NaNLJ0AUgM2XdLTveDjyNS.951gpx6b2lEB65ktvfmgHP"),
        ],
        counterexamples: &["CLOSE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLOSE_API_KEY=<your-close-key>", "CLOSE_API_KEY=api_sI3K5n9mwLuQGwD9B9vd0x.OIbf5y0ovJ5k3q2VbzUKT"],
        ..NAMED
    },
    Builtin {
        id: "front_api_token",
        provider: "front",
        description: "Front API token (JWT) beside a Front key name",
        keywords: &["front_api", "frontapp"],
        pattern: concat!(r"(?-u)(?i:front(?:app)?)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{100,250}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export FRONT_API_TOKEN="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.OqUPnK3odbbqGHGdiq91cWsSRCPJFRe1xPID-R4YeOP9fh5-gAe69JX27_3hpLtJjdrHHw_ljCdii4fUIzM0LuSqfYiWHGLs5vGEa29Wn.F9AM_XmSB2muQIHPNca6x6eaBWev8MeSZRcGvmDL-ns""#, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.OqUPnK3odbbqGHGdiq91cWsSRCPJFRe1xPID-R4YeOP9fh5-gAe69JX27_3hpLtJjdrHHw_ljCdii4fUIzM0LuSqfYiWHGLs5vGEa29Wn.F9AM_XmSB2muQIHPNca6x6eaBWev8MeSZRcGvmDL-ns"),
            ("  frontapp_token: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.uFbXrf9tjMsAzHUBR8c5_IJXX6Rb6M7xWY_8LdCioetGOyI_Xx6ghS1OLAC7dd8t_J4bj2S1bS4lzWeDm33ERbxve3LjcWPSgGPW6fdjOdX-.c4NRE76Wp1BFEgXnus1IfVhNQHiQXV54BKVkQj40McT", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.uFbXrf9tjMsAzHUBR8c5_IJXX6Rb6M7xWY_8LdCioetGOyI_Xx6ghS1OLAC7dd8t_J4bj2S1bS4lzWeDm33ERbxve3LjcWPSgGPW6fdjOdX-.c4NRE76Wp1BFEgXnus1IfVhNQHiQXV54BKVkQj40McT"),
        ],
        counterexamples: &["FRONT_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FRONT_API_TOKEN=<your-front-key>", "FRONT_API_TOKEN=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.TvrWSEON2yhGRrYIaBwSn2HsOKkUbKgRc8N3XPaMZ87gorckxtfhdFiuUVAMkzfBShGdB_HRwyQFz1Sr07HsQcaQSPqhOuo3UDjl8Ra7yhQ.B4iEd9o5P9BfRn91kWNdveM8B8mluZNREJ_g6UbhzI"],
        ..NAMED
    },
    Builtin {
        id: "helpscout_secret",
        provider: "helpscout",
        description: "Help Scout app secret (32) beside a Help Scout key name",
        keywords: &["helpscout", "help_scout", "help-scout"],
        pattern: concat!(r"(?-u)(?i:help[_-]?scout)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"HELPSCOUT_APP_SECRET":"MiL95FI6WSdEyt6ebddXujkKHZcbIoFy"}"#, "MiL95FI6WSdEyt6ebddXujkKHZcbIoFy"),
            ("helpscout_secret=JScx9W0NmJWj3aWW93crlViFxtr25Zsl", "JScx9W0NmJWj3aWW93crlViFxtr25Zsl"),
        ],
        counterexamples: &["HELPSCOUT_APP_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HELPSCOUT_APP_SECRET=<your-helpscout-key>", "HELPSCOUT_APP_SECRET=gzu2cLctkeyROFfzy78pG2S9wcZYChQ"],
        ..NAMED
    },
    Builtin {
        id: "drift_token",
        provider: "drift",
        description: "Drift access token beside a Drift key name",
        keywords: &["drift_", "drift-"],
        pattern: concat!(r"(?-u)(?i:drift)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("DRIFT_ACCESS_TOKEN = l1vz05j3L71agnWTWQQbcG8r5f6FQ9G3", "l1vz05j3L71agnWTWQQbcG8r5f6FQ9G3"),
            (r#"drift_token: "eI7vrMXKfXlWIuLh1NehxLF69Yr74I0Z""#, "eI7vrMXKfXlWIuLh1NehxLF69Yr74I0Z"),
        ],
        counterexamples: &["DRIFT_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "DRIFT_ACCESS_TOKEN=<your-drift-key>", "DRIFT_ACCESS_TOKEN=aa660decdDxuy1ZIkkDq2P3sW3kC6Xy"],
        ..NAMED
    },
    Builtin {
        id: "crisp_token",
        provider: "crisp",
        description: "Crisp plugin token key beside a Crisp key name",
        keywords: &["crisp"],
        pattern: concat!(r"(?-u)(?i:crisp)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("  CRISP_TOKEN_KEY: 611cad8e8b0b1648b5e3b37e4efaf6205e06685df93b53ec86d24e00d463d20b", "611cad8e8b0b1648b5e3b37e4efaf6205e06685df93b53ec86d24e00d463d20b"),
            (r#"export crisp_secret="154c60611017913aa01bb2a1877365058b4d7ea6b5923567bf00e8da268ef317""#, "154c60611017913aa01bb2a1877365058b4d7ea6b5923567bf00e8da268ef317"),
        ],
        counterexamples: &["CRISP_TOKEN_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CRISP_TOKEN_KEY=<your-crisp-key>", "CRISP_TOKEN_KEY=5f9122c0d27e1acf23c097f791c21c32c1d33135edde3d824e88932b258b1f7"],
        ..NAMED
    },
    Builtin {
        id: "gorgias_api_key",
        provider: "gorgias",
        description: "Gorgias API key (64 hex) beside a Gorgias key name",
        keywords: &["gorgias"],
        pattern: concat!(r"(?-u)(?i:gorgias)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("GORGIAS_API_KEY=34bd1ca19c02743e23a42780d37f5043755a6f8cded099e5be01e2e7fccde862", "34bd1ca19c02743e23a42780d37f5043755a6f8cded099e5be01e2e7fccde862"),
            (r#"{"gorgias_key":"7dc1a720feb9afe890ae4fda1de99e044963a136908d4b234302f31ab69c3102"}"#, "7dc1a720feb9afe890ae4fda1de99e044963a136908d4b234302f31ab69c3102"),
        ],
        counterexamples: &["GORGIAS_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GORGIAS_API_KEY=<your-gorgias-key>", "GORGIAS_API_KEY=8c0076097ece72f16f7b4f8f94c9c9dba96698f01da0bb8f04ff5173efd6a27"],
        ..NAMED
    },
    Builtin {
        id: "zoho_crm_secret",
        provider: "zoho",
        description: "Zoho client secret (42 hex) beside a Zoho secret name",
        keywords: &["zoho"],
        pattern: concat!(r"(?-u)(?i:zoho)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{42})", end_url!()),
        examples: &[
            (r#"ZOHO_CLIENT_SECRET: "5e1ce2ad66f15b397b24ee2913462e39b61c5341c3""#, "5e1ce2ad66f15b397b24ee2913462e39b61c5341c3"),
            ("zoho_secret = 0dcff85bd377c05fa0cb9923d4ae77a15fd176604d", "0dcff85bd377c05fa0cb9923d4ae77a15fd176604d"),
        ],
        counterexamples: &["ZOHO_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ZOHO_CLIENT_SECRET=<your-zoho-key>", "ZOHO_CLIENT_SECRET=ae61319bd62e10431360a70700eb858b96dfce388"],
        ..NAMED
    },
    Builtin {
        id: "activecampaign_api_key",
        provider: "activecampaign",
        description: "ActiveCampaign API key (72 hex) beside an ActiveCampaign key name",
        keywords: &["activecampaign"],
        pattern: concat!(r"(?-u)(?i:activecampaign)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{72})", end_url!()),
        examples: &[
            (r#"export ACTIVECAMPAIGN_API_KEY="1c2e5dc8a7156d64175b14b82b3cf1ee6d4428379e226e7feac85065dea8e16f1c3bf9a4""#, "1c2e5dc8a7156d64175b14b82b3cf1ee6d4428379e226e7feac85065dea8e16f1c3bf9a4"),
            ("  activecampaign_key: 83046acd114f5733134014540dc58ad896e3eb9b13a830572be020f1bb59c83b21f5f4b4", "83046acd114f5733134014540dc58ad896e3eb9b13a830572be020f1bb59c83b21f5f4b4"),
        ],
        counterexamples: &["ACTIVECAMPAIGN_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ACTIVECAMPAIGN_API_KEY=<your-activecampaign-key>", "ACTIVECAMPAIGN_API_KEY=ce624dfde87adbe3ee1d45da4f2f6a7663321e9cca098d24d3aa118e7cc42a255834882"],
        ..NAMED
    },
    Builtin {
        id: "marketo_client_secret",
        provider: "marketo",
        description: "Marketo client secret (32) beside a Marketo secret name",
        keywords: &["marketo"],
        pattern: concat!(r"(?-u)(?i:marketo)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"{"MARKETO_CLIENT_SECRET":"KVJ4ZXv2YGlscS5sEumFngqsfTfkXZPp"}"#, "KVJ4ZXv2YGlscS5sEumFngqsfTfkXZPp"),
            ("marketo_secret=7o33iGsyFh4DIanmBiHtNeuE6lSv8G3O", "7o33iGsyFh4DIanmBiHtNeuE6lSv8G3O"),
        ],
        counterexamples: &["MARKETO_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MARKETO_CLIENT_SECRET=<your-marketo-key>", "MARKETO_CLIENT_SECRET=UpOGXkAmOpQuEUNuy8cHPXbKgi8qNrk"],
        ..NAMED
    },
    Builtin {
        id: "braze_api_key",
        provider: "braze",
        description: "Braze REST API key (UUID) beside a Braze key name",
        keywords: &["braze"],
        pattern: concat!(r"(?-u)(?i:braze)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            ("BRAZE_REST_API_KEY = f0a9f043-2e90-1887-c6a6-947b6e0e33cf", "f0a9f043-2e90-1887-c6a6-947b6e0e33cf"),
            (r#"braze_api_key: "af01ed70-fab3-aae4-4806-e096f617a83f""#, "af01ed70-fab3-aae4-4806-e096f617a83f"),
        ],
        counterexamples: &["BRAZE_REST_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BRAZE_REST_API_KEY=<your-braze-key>", "BRAZE_REST_API_KEY=41e82f25-a725-5474-0515-c95b9c68071"],
        ..NAMED
    },
    Builtin {
        id: "iterable_api_key",
        provider: "iterable",
        description: "Iterable API key (32 hex) beside an Iterable key name",
        keywords: &["iterable"],
        pattern: concat!(r"(?-u)(?i:iterable)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("  ITERABLE_API_KEY: e9bd414322ed3bc27f8a0292312c8266", "e9bd414322ed3bc27f8a0292312c8266"),
            (r#"export iterable_key="059a5276626dbd35cb7170d741726795""#, "059a5276626dbd35cb7170d741726795"),
        ],
        counterexamples: &["ITERABLE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ITERABLE_API_KEY=<your-iterable-key>", "ITERABLE_API_KEY=8f926036de233ec4e01ce1fe8f3aec4"],
        ..NAMED
    },
    Builtin {
        id: "gong_access_key",
        provider: "gong",
        description: "Gong access key secret beside a Gong key name",
        keywords: &["gong_", "gong-"],
        pattern: concat!(r"(?-u)(?i:gong)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJIUzI1NiJ9\.[A-Za-z0-9_-]{60,200}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            ("GONG_ACCESS_KEY_SECRET=eyJhbGciOiJIUzI1NiJ9.l9nyGAY9enMk1-OhSD7Y7xL8fICNVfnAvbZYTsXEBXkF8YbEUublicCfJdEnthOAF.18atB9kD9dX724aQoGpZdK83tQZQFXciPn04_o1BLzl", "eyJhbGciOiJIUzI1NiJ9.l9nyGAY9enMk1-OhSD7Y7xL8fICNVfnAvbZYTsXEBXkF8YbEUublicCfJdEnthOAF.18atB9kD9dX724aQoGpZdK83tQZQFXciPn04_o1BLzl"),
            (r#"{"gong_secret":"eyJhbGciOiJIUzI1NiJ9.a4duKGNwqQjvdd0_x-boGn2AC3sNIlG-E_FKzxN4eku-vBtVbHSI-fW4mdYsA3W.uEx6lmBABsP2y5eGFHSfBPZwRuW7dwgF8WfpA_waL4x"}"#, "eyJhbGciOiJIUzI1NiJ9.a4duKGNwqQjvdd0_x-boGn2AC3sNIlG-E_FKzxN4eku-vBtVbHSI-fW4mdYsA3W.uEx6lmBABsP2y5eGFHSfBPZwRuW7dwgF8WfpA_waL4x"),
        ],
        counterexamples: &["GONG_ACCESS_KEY_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "GONG_ACCESS_KEY_SECRET=<your-gong-key>", "GONG_ACCESS_KEY_SECRET=eyJhbGciOiJIUzI1NiJ9.DqSeF6Ht4IJs1risPr1zrN7g9b7ExN6Ar7xOlbhAFhXwtq3TM0ZjV3qyhmrBiD.OOp-UWCg5LAoazfPYB_lHRaNrpQhh6kxybl912tQgI"],
        ..NAMED
    },
    Builtin {
        id: "outreach_secret",
        provider: "outreach",
        description: "Outreach client secret beside an Outreach secret name",
        keywords: &["outreach"],
        pattern: concat!(r"(?-u)(?i:outreach)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"OUTREACH_CLIENT_SECRET: "DKnKx0kPjynNxilpSavOFo7ZlTXv1vvqwtOJ6LvS73R""#, "DKnKx0kPjynNxilpSavOFo7ZlTXv1vvqwtOJ6LvS73R"),
            ("outreach_secret = WeNtIGQeu_68pfDWYH-e_RiBkrXi1y9yOe2O9oCTcfF", "WeNtIGQeu_68pfDWYH-e_RiBkrXi1y9yOe2O9oCTcfF"),
        ],
        counterexamples: &["OUTREACH_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OUTREACH_CLIENT_SECRET=<your-outreach-key>", "OUTREACH_CLIENT_SECRET=_gRG61DdVsFi3D_7bT4LTFSmL7qcAXPKYVvf0DeNBi"],
        ..NAMED
    },
    Builtin {
        id: "salesloft_api_key",
        provider: "salesloft",
        description: "Salesloft API key beside a Salesloft key name",
        keywords: &["salesloft"],
        pattern: concat!(r"(?-u)(?i:salesloft)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>v2_ak_[0-9]{5,7}_[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"export SALESLOFT_API_KEY="v2_ak_11152_ca4fc576c277466ce3dd1c510293a40bffbed5036e066e2f659c6c5947cc6884""#, "v2_ak_11152_ca4fc576c277466ce3dd1c510293a40bffbed5036e066e2f659c6c5947cc6884"),
            ("  salesloft_key: v2_ak_80374_5397b850e2661930d1a44bea3272e25b3fac6c7b37d9aa5368a8584f478a806a", "v2_ak_80374_5397b850e2661930d1a44bea3272e25b3fac6c7b37d9aa5368a8584f478a806a"),
        ],
        counterexamples: &["SALESLOFT_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SALESLOFT_API_KEY=<your-salesloft-key>", "SALESLOFT_API_KEY=v2_ak_3340861_73ce2ddf3aa6c671aca0a46316862e18758cb377942ee2bba69e1a98573c438"],
        ..NAMED
    },
    Builtin {
        id: "survey_monkey_token",
        provider: "surveymonkey",
        description: "SurveyMonkey access token beside a SurveyMonkey key name",
        keywords: &["surveymonkey"],
        pattern: concat!(r"(?-u)(?i:surveymonkey)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{60,80})", end_url!()),
        examples: &[
            (r#"{"SURVEYMONKEY_ACCESS_TOKEN":"uHIJ3M10CSAlfC2ioqsgIPa51-QZxDRfxXH6ra85MwpxEo4dUo7zMB2Sql7UBmoxtJi3_V"}"#, "uHIJ3M10CSAlfC2ioqsgIPa51-QZxDRfxXH6ra85MwpxEo4dUo7zMB2Sql7UBmoxtJi3_V"),
            ("surveymonkey_token=tfa8c4fhEICZDvfy0DnYOuZYAhwP1sPpWTQafgs1Qe4yQ0QgZszVByWBUfa8rRph4PDdCK", "tfa8c4fhEICZDvfy0DnYOuZYAhwP1sPpWTQafgs1Qe4yQ0QgZszVByWBUfa8rRph4PDdCK"),
        ],
        counterexamples: &["SURVEYMONKEY_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SURVEYMONKEY_ACCESS_TOKEN=<your-surveymonkey-key>", "SURVEYMONKEY_ACCESS_TOKEN=M87Yub2_yBnnyCXK6WWqufbGPHvr-Y9U9B_iOjFfQSTdVl09h_L2o86ygFG"],
        ..NAMED
    },
    Builtin {
        id: "jotform_api_key",
        provider: "jotform",
        description: "Jotform API key (32 hex) beside a Jotform key name",
        keywords: &["jotform"],
        pattern: concat!(r"(?-u)(?i:jotform)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            ("JOTFORM_API_KEY = 52330d4ed6d1f2a732d59f271d08ed50", "52330d4ed6d1f2a732d59f271d08ed50"),
            (r#"jotform_key: "496043285cd67201e141bf40bfd7eadc""#, "496043285cd67201e141bf40bfd7eadc"),
        ],
        counterexamples: &["JOTFORM_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "JOTFORM_API_KEY=<your-jotform-key>", "JOTFORM_API_KEY=7ed4087fb597266c66a67be332c9779"],
        ..NAMED
    },
    Builtin {
        id: "eventbrite_token",
        provider: "eventbrite",
        description: "Eventbrite private token (20 upper-case alphanumerics) beside an Eventbrite key name",
        keywords: &["eventbrite"],
        pattern: concat!(r"(?-u)(?i:eventbrite)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{20})", end_url!()),
        examples: &[
            ("  EVENTBRITE_TOKEN: MUO9PJDGITFYRSBPQT4V", "MUO9PJDGITFYRSBPQT4V"),
            (r#"export eventbrite_private_token="B37EBBF5ZIHOJXV7713Y""#, "B37EBBF5ZIHOJXV7713Y"),
        ],
        counterexamples: &["EVENTBRITE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EVENTBRITE_TOKEN=<your-eventbrite-key>", "EVENTBRITE_TOKEN=HXH1TIL1KIJVPVXRH0L"],
        ..NAMED
    },
];
