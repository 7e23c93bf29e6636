//! IoT platforms and device clouds.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "adafruit_io_key",
        provider: "adafruit",
        description: "Adafruit IO key (aio_ + 28 alphanumerics)",
        keywords: &["aio_"],
        pattern: prefixed!(r"aio_", r"[A-Za-z0-9]{28}"),
        examples: &[
            (r#"{"adafruit_io_key": "aio_daU582K9IbDadXrnxxB4vt2nxF0G", "region": "eu-west-1"}"#, "aio_daU582K9IbDadXrnxxB4vt2nxF0G"),
            (r#"adafruit_io_key = "aio_xtL9jMcKoTaxnyGnkf51gQL1g8oy""#, "aio_xtL9jMcKoTaxnyGnkf51gQL1g8oy"),
        ],
        counterexamples: &["aio_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like aio_1234567890", "aio_Obc24n91IC6SDSAZtbkjNW46d9g"],
        ..PREFIXED
    },
    Builtin {
        id: "thingsboard_device_token_url",
        provider: "thingsboard",
        description: "ThingsBoard device access token in a device API URL (/api/v1/<token>/telemetry, attributes, rpc, claim)",
        keywords: &["/telemetry", "/attributes", "/rpc", "/claim"],
        pattern: r"(?-u)/api/v1/(?P<secret>[A-Za-z0-9_-]{20,64})/(?:telemetry|attributes|rpc|claim)\b",
        examples: &[
            ("curl -v -X POST http://tb.example.com:8080/api/v1/oXrdLWpYgU8bSzUS3VRs/telemetry -d @t.json", "oXrdLWpYgU8bSzUS3VRs"),
            ("POST /api/v1/mXYdS57LCbpveNP5z9bN/attributes HTTP/1.1", "mXYdS57LCbpveNP5z9bN"),
        ],
        counterexamples: &["POST /api/v1/$ACCESS_TOKEN/telemetry", "curl http://localhost:8080/api/v1/ACCESS_TOKEN_HERE/telemetry", "GET /api/v1/devices/telemetry"],
        ..NAMED
    },
    Builtin {
        id: "thingsboard_access_token",
        provider: "thingsboard",
        description: "ThingsBoard device access token / API key beside a ThingsBoard key name",
        keywords: &["thingsboard"],
        pattern: concat!(r"(?-u)(?i:thingsboard)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{20,64})", end_url!()),
        examples: &[
            (r#"export THINGSBOARD_ACCESS_TOKEN="PDtaDXWW2OJanldRrTBbBrQ2RffOFg""#, "PDtaDXWW2OJanldRrTBbBrQ2RffOFg"),
            ("  thingsboard_api_key: YHL2OkSAoFLmnNtotpNLiB27YXl", "YHL2OkSAoFLmnNtotpNLiB27YXl"),
        ],
        counterexamples: &["THINGSBOARD_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "THINGSBOARD_ACCESS_TOKEN=<your-thingsboard-key>", "THINGSBOARD_ACCESS_TOKEN=XxIkTmZ7IRYbqexm9S3"],
        ..NAMED
    },
    Builtin {
        id: "thingsboard_api_key",
        provider: "thingsboard",
        description: "ThingsBoard API key (tb_ + 43)",
        keywords: &["tb_"],
        pattern: prefixed!(r"tb_", r"[A-Za-z0-9_-]{43}"),
        examples: &[
            (r#"THINGSBOARD_API_KEY="tb_92j0w3ogGbYaocx2XQTomAcdGVuw8uZR2pYs-3gqJXb""#, "tb_92j0w3ogGbYaocx2XQTomAcdGVuw8uZR2pYs-3gqJXb"),
            ("export THINGSBOARD_API_KEY=tb_zGtpnY59LsFlQdZgBycD0nwp1ibgoxh6G3L_9gyDsyO", "tb_zGtpnY59LsFlQdZgBycD0nwp1ibgoxh6G3L_9gyDsyO"),
        ],
        counterexamples: &["tb_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like tb_1234567890", "tb_hogCqZdpyrhXoZ0KshWggtnIN5oZBgZg0yBu-FeFUk"],
        ..PREFIXED
    },
    Builtin {
        id: "particle_token",
        provider: "particle",
        description: "Particle access token (40 hex) beside a Particle key name",
        keywords: &["particle"],
        pattern: concat!(r"(?-u)(?i:particle)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            ("PARTICLE_ACCESS_TOKEN = 2cc57dd69806264a9be8ac3b5cfccd4f3a9cbc01", "2cc57dd69806264a9be8ac3b5cfccd4f3a9cbc01"),
            (r#"particle_token: "9a8770ff58cbd4ce0336f7ece3f29a1710f78f9e""#, "9a8770ff58cbd4ce0336f7ece3f29a1710f78f9e"),
        ],
        counterexamples: &["PARTICLE_ACCESS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "PARTICLE_ACCESS_TOKEN=<your-particle-key>", "PARTICLE_ACCESS_TOKEN=3fd47a2c1d0f9a80b26f6ecaf7ebe9319f28b1b"],
        ..NAMED
    },
    Builtin {
        id: "blynk_token",
        provider: "blynk",
        description: "Blynk auth token (32) beside a Blynk key name",
        keywords: &["blynk"],
        pattern: concat!(r"(?-u)(?i:blynk)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            ("  BLYNK_AUTH_TOKEN: exIBpMYTX9i0KIxJx_dWJ92OsmMceWxj", "exIBpMYTX9i0KIxJx_dWJ92OsmMceWxj"),
            (r#"export blynk_token="r06v2hqBOf452nLHqqklLfF9n-yTmwQP""#, "r06v2hqBOf452nLHqqklLfF9n-yTmwQP"),
        ],
        counterexamples: &["BLYNK_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BLYNK_AUTH_TOKEN=<your-blynk-key>", "BLYNK_AUTH_TOKEN=ziPXH7O16B6TFN9ARnMVCX5UYRwG4vR"],
        ..NAMED
    },
    Builtin {
        id: "arduino_cloud_secret",
        provider: "arduino",
        description: "Arduino Cloud client secret / device secret beside an Arduino key name",
        keywords: &["arduino"],
        pattern: concat!(r"(?-u)(?i:arduino)[A-Za-z0-9_.-]{0,24}?(?i:secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40,64})", end_url!()),
        examples: &[
            ("ARDUINO_CLIENT_SECRET=gH4TnhAyWU6G23WtKdAogQhCJoW4p46R7QZ1987ojhKKaW0Rsy", "gH4TnhAyWU6G23WtKdAogQhCJoW4p46R7QZ1987ojhKKaW0Rsy"),
            (r#"{"arduino_secret_key":"okfdq4N84AALGaBHqfDpCQUY3bnMh1E8n3kg1A1DQ0PPCIYJt"}"#, "okfdq4N84AALGaBHqfDpCQUY3bnMh1E8n3kg1A1DQ0PPCIYJt"),
        ],
        counterexamples: &["ARDUINO_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ARDUINO_CLIENT_SECRET=<your-arduino-key>", "ARDUINO_CLIENT_SECRET=VqEa9Qea5ddQexgDotnNg0CLlHmUHEFP6b1BSML"],
        ..NAMED
    },
    Builtin {
        id: "smartthings_token",
        provider: "smartthings",
        description: "SmartThings personal access token (UUID) beside a SmartThings key name",
        keywords: &["smartthings"],
        pattern: concat!(r"(?-u)(?i:smartthings)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"SMARTTHINGS_TOKEN: "6ac5e5b0-71c3-4499-233f-19d9a8f38b56""#, "6ac5e5b0-71c3-4499-233f-19d9a8f38b56"),
            ("smartthings_pat = a7228a22-ed21-5439-9999-db93f2e860aa", "a7228a22-ed21-5439-9999-db93f2e860aa"),
        ],
        counterexamples: &["SMARTTHINGS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SMARTTHINGS_TOKEN=<your-smartthings-key>", "SMARTTHINGS_TOKEN=1e4542a4-8927-6475-96f2-f72af9339d6"],
        ..NAMED
    },
    Builtin {
        id: "home_assistant_token",
        provider: "homeassistant",
        description: "Home Assistant long-lived access token (JWT) beside a Home Assistant key name",
        keywords: &["hass", "homeassistant", "home_assistant", "home-assistant"],
        pattern: concat!(r"(?-u)(?i:hass|home[_-]?assistant)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\.[A-Za-z0-9_-]{100,200}\.[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"export HASS_TOKEN="eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.sTjCJ4KXrO_eDG8nSc6uiPt18KRTrNAa3T2b2VU6Dv68eNLEM_cJcuBfWzNYbkkV6F8TgNS339HLDudRb_AHo7AYqdV_9AhCO-q5-V27x.qx4c2TnYquXcf9abqFkrs45JZnjZNpSzz3Yr15AJmhV""#, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.sTjCJ4KXrO_eDG8nSc6uiPt18KRTrNAa3T2b2VU6Dv68eNLEM_cJcuBfWzNYbkkV6F8TgNS339HLDudRb_AHo7AYqdV_9AhCO-q5-V27x.qx4c2TnYquXcf9abqFkrs45JZnjZNpSzz3Yr15AJmhV"),
            ("  HOMEASSISTANT_TOKEN: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ctHn7t4ZOKC_gQktlHrFKD64r5V4OVOyHfoQJQ2dDdE1ZSYTTWTphp5Z2fzzCRv2nvexEjmOZGG3EcVgsC5RSkPwhpm4a3sukonlGmP7S6cbSr.EDthIhFAdsYmkt5X_TqsF6wDYwVtmTTJOKGnaTH4lyq", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.ctHn7t4ZOKC_gQktlHrFKD64r5V4OVOyHfoQJQ2dDdE1ZSYTTWTphp5Z2fzzCRv2nvexEjmOZGG3EcVgsC5RSkPwhpm4a3sukonlGmP7S6cbSr.EDthIhFAdsYmkt5X_TqsF6wDYwVtmTTJOKGnaTH4lyq"),
        ],
        counterexamples: &["HASS_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HASS_TOKEN=<your-homeassistant-key>", "HASS_TOKEN=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.dypVr_jId_h2A7_ntAqGLmG2XLjcOQQtnbnLfhXMmRXId9At9Xq06tT-OnpFoOpGVm-Iy9JZ---52Ws-MJ7GQ45srff-zc60SsEpAxkmZbyeoG.8HL66QpU88Sc3qkomOmAExvdbyGU0EeC-CBUFpRVCP"],
        ..NAMED
    },
    Builtin {
        id: "meraki_api_key",
        provider: "meraki",
        description: "Cisco Meraki Dashboard API key (40 hex) beside a Meraki key name",
        keywords: &["meraki"],
        pattern: concat!(r"(?-u)(?i:meraki)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{40})", end_url!()),
        examples: &[
            (r#"{"MERAKI_DASHBOARD_API_KEY":"47a5650a635404a42b7ae2066b55408cfed12d84"}"#, "47a5650a635404a42b7ae2066b55408cfed12d84"),
            ("meraki_api_key=fd40d597c804fb67c145ca84f6ef367c253d8ca2", "fd40d597c804fb67c145ca84f6ef367c253d8ca2"),
        ],
        counterexamples: &["MERAKI_DASHBOARD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "MERAKI_DASHBOARD_API_KEY=<your-meraki-key>", "MERAKI_DASHBOARD_API_KEY=58ec359fdac0da50136a0c213979cb6515df3c9"],
        ..NAMED
    },
    Builtin {
        id: "tuya_secret",
        provider: "tuya",
        description: "Tuya IoT access secret (32) beside a Tuya key name",
        keywords: &["tuya"],
        pattern: concat!(r"(?-u)(?i:tuya)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-z0-9]{32})", end_url!()),
        examples: &[
            ("TUYA_ACCESS_SECRET = ddwr0s3kgofx6gt7h1lgibsp0ao4e20q", "ddwr0s3kgofx6gt7h1lgibsp0ao4e20q"),
            (r#"tuya_client_secret: "lqe8j4vzuis6bevkbfcbjj1kresa3c2l""#, "lqe8j4vzuis6bevkbfcbjj1kresa3c2l"),
        ],
        counterexamples: &["TUYA_ACCESS_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "TUYA_ACCESS_SECRET=<your-tuya-key>", "TUYA_ACCESS_SECRET=w4ee7zmyo60s5c5gxtudgze8qcrdogs"],
        ..NAMED
    },
    Builtin {
        id: "losant_token",
        provider: "losant",
        description: "Losant API / device access token beside a Losant key name",
        keywords: &["losant"],
        pattern: concat!(r"(?-u)(?i:losant)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("  LOSANT_API_TOKEN: f0f703fe001a166818e5255f219a37641773ebb70fca78071462b94b16ec4134", "f0f703fe001a166818e5255f219a37641773ebb70fca78071462b94b16ec4134"),
            (r#"export losant_access_secret="a761a70ccd97546e03c1031067464f8f02ce72762e1109ecb9b077f774e171c4""#, "a761a70ccd97546e03c1031067464f8f02ce72762e1109ecb9b077f774e171c4"),
        ],
        counterexamples: &["LOSANT_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LOSANT_API_TOKEN=<your-losant-key>", "LOSANT_API_TOKEN=2756c2ba03075e50bc240663905dc53936d874dc23d44170cc9cf442ee3d9f9"],
        ..NAMED
    },
    Builtin {
        id: "hivemq_password",
        provider: "hivemq",
        description: "HiveMQ Cloud credential beside a HiveMQ key name",
        keywords: &["hivemq"],
        pattern: concat!(r"(?-u)(?i:hivemq)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16,40})", end_url!()),
        examples: &[
            ("HIVEMQ_PASSWORD=Azy5scjHoNWeC5ksP24K9DGy", "Azy5scjHoNWeC5ksP24K9DGy"),
            (r#"{"hivemq_token":"hqYI68Ll3YvqyDnVWwBfvG7"}"#, "hqYI68Ll3YvqyDnVWwBfvG7"),
        ],
        counterexamples: &["HIVEMQ_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HIVEMQ_PASSWORD=<your-hivemq-key>", "HIVEMQ_PASSWORD=kEzTVOaV5DIq40u"],
        ..NAMED
    },
    Builtin {
        id: "balena_token",
        provider: "balena",
        description: "balenaCloud API key beside a balena key name",
        keywords: &["balena"],
        pattern: concat!(r"(?-u)(?i:balena)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            (r#"BALENA_API_KEY: "1744KDPtFD3q0ev0MQgPUQq6DcitthIJ""#, "1744KDPtFD3q0ev0MQgPUQq6DcitthIJ"),
            ("balena_token = znJSK4qx1D1SQUguporOfY2POC226xXg", "znJSK4qx1D1SQUguporOfY2POC226xXg"),
        ],
        counterexamples: &["BALENA_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BALENA_API_KEY=<your-balena-key>", "BALENA_API_KEY=m3aDnmxY1hGr92x3HNYYEouO7HdjnWQ"],
        ..NAMED
    },
];
