//! Cloud platforms: AWS, Google Cloud, Azure and the other infrastructure clouds.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "aws_access_key_id",
        provider: "aws",
        description: "AWS access key id (long-term AKIA, temporary ASIA, and other IAM prefixes)",
        keywords: &["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA", "A3T"],
        pattern: r"(?-u)(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA|A3T[A-Z0-9])[A-Z0-9]{16})\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("aws_access_key_id=AKIA7QX2M4RB5KQ3YHV6 rest", "AKIA7QX2M4RB5KQ3YHV6"),
            (r#"{"AccessKeyId": "ASIAAEDCMPB5U4MOS7AF", "Expiration": "2024-05-01"}"#, "ASIAAEDCMPB5U4MOS7AF"),
            ("arn principal AROA5R2FQUOSBEGZGSYE assumed", "AROA5R2FQUOSBEGZGSYE"),
        ],
        counterexamples: &["AKIA is the prefix", "xAKIA7QX2M4RB5KQ3YHV61", "AKIA7QX2M4RB5KQ3YH", "akia7qx2m4rb5kq3yhv6"],
    },
    Builtin {
        id: "aws_secret_key_beside_id",
        provider: "aws",
        description: "AWS secret access key written right after its access key id (credentials CSV, `id:secret`, `id secret`)",
        keywords: &["AKIA", "ASIA"],
        pattern: concat!(
            r#"(?-u)(?:AKIA|ASIA)[A-Z0-9]{16}["']?\s{0,3}[,:;|\s]\s{0,3}["']?(?P<secret>[A-Za-z0-9/+]{40})"#,
            end_b64!()
        ),
        validate: Some(bounded::aws_secret_shape),
        generic: false,
        examples: &[
            ("AKIAQSLOJOLIENSB3IAR,skH53rGTD+2U3OpSH5r44wLzwTGV6HJYq+EEyUqj", "skH53rGTD+2U3OpSH5r44wLzwTGV6HJYq+EEyUqj"),
            ("creds AKIA7R3CWM5ZK4N3ZDZZ:caBAg8WY1jzIRlNQb0prFmbh7+wy5yq1XoY1BaIM loaded", "caBAg8WY1jzIRlNQb0prFmbh7+wy5yq1XoY1BaIM"),
        ],
        counterexamples: &[
            "AKIAQSLOJOLIENSB3IAR,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "AKIAQSLOJOLIENSB3IAR,skH53rGTD+2U3OpSH5r44wLzwTGV6HJYq+EEyUqjXYZ",
            "AKIAQSLOJOLIENSB3IAR in region us-east-1",
        ],
    },
    Builtin {
        id: "aws_session_token",
        provider: "aws",
        description: "AWS STS session token (base64 starting with the FwoGZXIvYXdz or IQoJb3JpZ2luX2Vj head)",
        keywords: &["FwoGZXIvYXdz", "IQoJb3JpZ2luX2Vj"],
        pattern: concat!(
            r"(?-u)(?P<secret>(?:FwoGZXIvYXdz|IQoJb3JpZ2luX2Vj)[A-Za-z0-9/+]{100,1500}={0,2})",
            end_b64!()
        ),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("AWS_SESSION_TOKEN=IQoJb3JpZ2luX2Vj37Xa2fCs/4Gu0GSzVrE/BfeTRxLyvoCvi2e4RlaqNp0MIj8UeaOQt/8CALeWusH2BH2ETFK2AS2eOY6lifaNy59XQhL3rsgoVuBNMXLeSqmU+43fSLqgPvqaFtl9VjSHBgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8XItt5MadHJQCFV1u90Ht77yW8yde9wqnarNk/hB2dcsMtg2GC+cmFOb5RCg2EbmVs7TrSDKlGrqwnhsd7TW/0i4JRWpAPWj91Md5X09hkGBasPMA3LbAloqiXBOucuxghD3w0k+",
             "IQoJb3JpZ2luX2Vj37Xa2fCs/4Gu0GSzVrE/BfeTRxLyvoCvi2e4RlaqNp0MIj8UeaOQt/8CALeWusH2BH2ETFK2AS2eOY6lifaNy59XQhL3rsgoVuBNMXLeSqmU+43fSLqgPvqaFtl9VjSHBgEE4yYggorVYMtMHlVgdvbnIlQ2uLfomNZX8XItt5MadHJQCFV1u90Ht77yW8yde9wqnarNk/hB2dcsMtg2GC+cmFOb5RCg2EbmVs7TrSDKlGrqwnhsd7TW/0i4JRWpAPWj91Md5X09hkGBasPMA3LbAloqiXBOucuxghD3w0k+"),
            (r#""SessionToken": "FwoGZXIvYXdzEcAxYmfsB4HbQLXjjlAFbVV6q9rXxtNDFyuzX9k1gnneGEYG1+LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d/bWWbjkloG1QX647kdNl9cDo/+GbVMszvR4/EPZGz3zBXCOArr/SfiJvo58JB0W/O5PjeJfJTNcrZ6ydIEsgo5nVjzz8Gwb8e""#,
             "FwoGZXIvYXdzEcAxYmfsB4HbQLXjjlAFbVV6q9rXxtNDFyuzX9k1gnneGEYG1+LwiqD9jJBAciI05FhfwKVqlUr5Qrec8TNecj9iNOrjj5VfqRTk8j1d/bWWbjkloG1QX647kdNl9cDo/+GbVMszvR4/EPZGz3zBXCOArr/SfiJvo58JB0W/O5PjeJfJTNcrZ6ydIEsgo5nVjzz8Gwb8e"),
        ],
        counterexamples: &["token head FwoGZXIvYXdz truncated", "IQoJb3JpZ2luX2Vj/short"],
    },
    Builtin {
        id: "google_api_key",
        provider: "google",
        description: "Google API key (AIza + 35), also used by Firebase and Maps",
        keywords: &["AIza"],
        pattern: concat!(r"(?-u)(?P<token>AIza(?P<secret>[A-Za-z0-9_-]{35}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("https://maps.googleapis.com/maps/api/geocode/json?key=AIzaQgesZ-n8S00K_703poQ31dPgL3WPNiFp5FY&address=x", "AIzaQgesZ-n8S00K_703poQ31dPgL3WPNiFp5FY"),
            ("client(google_api_key=\"AIzaSyKFRTEhECx853NJ-ed3u2mE7cYTRPZtxZc\")", "AIzaSyKFRTEhECx853NJ-ed3u2mE7cYTRPZtxZc"),
        ],
        counterexamples: &["AIzaSyKFRTEhECx853NJ-ed3u2mE7cYTRPZtxZ", "AIzaSyKFRTEhECx853NJ-ed3u2mE7cYTRPZtxZcQ", "AIza keys"],
    },
    Builtin {
        id: "google_oauth_client_secret",
        provider: "google",
        description: "Google OAuth client secret (GOCSPX-)",
        keywords: &["GOCSPX-"],
        pattern: concat!(r"(?-u)(?P<token>GOCSPX-(?P<secret>[A-Za-z0-9_-]{28}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[(r#""client_secret":"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""#, "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")],
        counterexamples: &["GOCSPX-g8nENYEiV1vC1pjmqp6aLFMdPwi", "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abc"],
    },
    Builtin {
        id: "google_oauth_token",
        provider: "google",
        description: "Google OAuth access token (ya29.) and refresh token (1//0)",
        keywords: &["ya29.", "1//0"],
        pattern: concat!(r"(?-u)(?P<token>(?:ya29\.|1//0)(?P<secret>[A-Za-z0-9_-]{30,1500}))", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("Authorization: Bearer ya29.5YsTDfNd6ONP-s8AzLhzOT8cwzEygnNOJ1rQ41kvCNpzIxELIVoDMxCJql7j4jfaKG2lvKyFwJdxte7Xa-hxiUP9eLwvo3E4GEH_C-Hezg5xPtc-34HdjowE", "ya29.5YsTDfNd6ONP-s8AzLhzOT8cwzEygnNOJ1rQ41kvCNpzIxELIVoDMxCJql7j4jfaKG2lvKyFwJdxte7Xa-hxiUP9eLwvo3E4GEH_C-Hezg5xPtc-34HdjowE"),
            (r#""refresh_token": "1//0sgN2fOH-lvWGFu-6hO07UBfq_rs6faE0slYM82jeDLGpE17lDUNRBfuZhRw7""#, "1//0sgN2fOH-lvWGFu-6hO07UBfq_rs6faE0slYM82jeDLGpE17lDUNRBfuZhRw7"),
        ],
        counterexamples: &["ya29.short", "http://1//0abc"],
    },
    Builtin {
        id: "azure_storage_key",
        provider: "azure",
        description: "Azure storage account key (88-char base64) beside AccountKey= or a storage key name",
        keywords: &["accountkey", "account_key", "account-key", "storagekey", "storage_key", "storage-key", "storageaccountkey", "primarykey", "primary_key", "secondarykey", "secondary_key"],
        pattern: concat!(
            r"(?-u)(?i:account[_-]?key|storage[_-]?(?:account[_-]?)?(?:access[_-]?)?key|(?:primary|secondary)[_-]?key)",
            assign!(),
            r"(?P<secret>[A-Za-z0-9+/]{86}==)",
            end_b64!()
        ),
        validate: None,
        generic: false,
        examples: &[
            ("DefaultEndpointsProtocol=https;AccountName=acmelogs;AccountKey=8ISsWbV9J6Das4VuRAhzjRZlchCl24o2rOugvkZ189XdkyHTUXNoGEQUVwdW3edC2fXAnCwjJe3J/Sg6VARK68==;EndpointSuffix=core.windows.net", "8ISsWbV9J6Das4VuRAhzjRZlchCl24o2rOugvkZ189XdkyHTUXNoGEQUVwdW3edC2fXAnCwjJe3J/Sg6VARK68=="),
            (r#"{"storageAccountKey": "9Ev7UxyCaIRwEbfFoUtdPJpD9+TH4u5LfJQ4BKGdadqI1rEz38hHf13lZzSVXuctdej1zWmTyNI+pBYFj0TPkQ=="}"#, "9Ev7UxyCaIRwEbfFoUtdPJpD9+TH4u5LfJQ4BKGdadqI1rEz38hHf13lZzSVXuctdej1zWmTyNI+pBYFj0TPkQ=="),
        ],
        counterexamples: &["AccountKey=short==", "AccountKey=8ISsWbV9J6Das4VuRAhzjRZlchCl24o2rOugvkZ189XdkyHTUXNoGEQUVwdW3edC2fXAnCwjJe3J/Sg6VARK68==extra"],
    },
    Builtin {
        id: "azure_shared_access_key",
        provider: "azure",
        description: "Azure Service Bus / Event Hubs / IoT Hub SharedAccessKey in a connection string",
        keywords: &["sharedaccesskey="],
        pattern: concat!(r"(?-u)(?i:SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{43}=)", end_b64!()),
        validate: None,
        generic: false,
        examples: &[("Endpoint=sb://acme.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=slNNx3UwdA+4+whR6EPmCaUUJz3LCsQu7XF66gD0Y4g=", "slNNx3UwdA+4+whR6EPmCaUUJz3LCsQu7XF66gD0Y4g=")],
        counterexamples: &["SharedAccessKeyName=RootManageSharedAccessKey", "SharedAccessKey=<key>"],
    },
    Builtin {
        id: "azure_sas_signature",
        provider: "azure",
        description: "Azure shared access signature: the sig= HMAC in a SAS URL or SharedAccessSignature string",
        keywords: &["sig="],
        pattern: r"(?-u)[?&;](?i:sig)=(?P<secret>[A-Za-z0-9%+/]{40,120}(?:%3[Dd]|=){0,2})(?:[^A-Za-z0-9%+/=]|$)",
        validate: Some(sas_signature),
        generic: false,
        examples: &[("GET https://acme.blob.core.windows.net/c/b.txt?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-06-01T00:00:00Z&sig=u3ZrF%2BXn8QzW7m1YbV0pL4kJ9sT2cE6aR5dH3gN8fAq%3D 200", "u3ZrF%2BXn8QzW7m1YbV0pL4kJ9sT2cE6aR5dH3gN8fAq%3D")],
        counterexamples: &["?sig=abc", "&sig=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    },
    Builtin {
        id: "azure_devops_pat",
        provider: "azure",
        description: "Azure DevOps personal access token, 84-char format with the JQQJ9 and AZDO signatures",
        keywords: &["JQQJ9"],
        pattern: r"(?-u)(?P<secret>[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}AZDO[A-Za-z0-9]{4})\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[("AZURE_DEVOPS_PAT=gJKRtwWUbuXF5xOtkiEoZIiqFcBZxsA7OMsy03Y5MujiqPc1QMYYJQQJ99ALyABNQqvAXyFy8z0ZAZDOlkYn", "gJKRtwWUbuXF5xOtkiEoZIiqFcBZxsA7OMsy03Y5MujiqPc1QMYYJQQJ99ALyABNQqvAXyFy8z0ZAZDOlkYn")],
        counterexamples: &[
            "gJKRtwWUbuXF5xOtkiEoZIiqFcBZxsA7OMsy03Y5MujiqPc1QMYYJQQJ99ALyABNQqvAXyFy8z0ZAZDOlkY",
            "1qhrH4d31P3V0TwV6tXi23t13nV43bJtcaZkmkmTZs7mlXtI3bM6JQQJ99BAgxRFImCgHaPiZzGFAStgOsDw",
        ],
    },
    Builtin {
        id: "azure_devops_pat_legacy",
        provider: "azure",
        description: "Azure DevOps personal access token, legacy 52-char lower-case base32, beside an Azure DevOps name",
        keywords: &["devops", "ado_", "ado-", "vsts", "accesstoken"],
        pattern: concat!(
            r"(?-u)(?i:azure[_-]?devops|devops|ado|vsts|system[_.]accesstoken)[A-Za-z0-9_.-]{0,20}",
            r"(?i:pat|token|key|password|accesstoken)?",
            assign!(),
            r"(?P<secret>[a-z2-7]{52})\b"
        ),
        validate: Some(random_looking),
        generic: false,
        examples: &[("AZURE_DEVOPS_PAT=y2brbj7xg3zxeiwdog3fdapbhbo6n5v3upzfvdxjth7iramoh63v", "y2brbj7xg3zxeiwdog3fdapbhbo6n5v3upzfvdxjth7iramoh63v")],
        counterexamples: &["AZURE_DEVOPS_ORG=y2brbj7xg3zxeiwdog3fdapbhbo6n5v3upzfvdxjth7iramoh63", "devops_pat=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    },
    Builtin {
        id: "azure_annotated_key",
        provider: "azure",
        description: "Microsoft common annotated security key (84 or 88 chars with the JQQJ9 signature): storage, Cosmos DB, Cognitive Services and other Azure keys",
        keywords: &["JQQJ9"],
        pattern: concat!(
            r"(?-u)(?P<secret>[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}(?:[A-Za-z0-9]{2}==)?)",
            end_b64!()
        ),
        validate: Some(bounded::azure_annotated_not_devops),
        generic: false,
        examples: &[("key=1qhrH4d31P3V0TwV6tXi23t13nV43bJtcaZkmkmTZs7mlXtI3bM6JQQJ99BAgxRFImCgHaPiZzGFAStgOsDw", "1qhrH4d31P3V0TwV6tXi23t13nV43bJtcaZkmkmTZs7mlXtI3bM6JQQJ99BAgxRFImCgHaPiZzGFAStgOsDw")],
        counterexamples: &["gJKRtwWUbuXF5xOtkiEoZIiqFcBZxsA7OMsy03Y5MujiqPc1QMYYJQQJ99ALyABNQqvAXyFy8z0ZAZDOlkYn", "JQQJ99 alone"],
    },
    Builtin {
        id: "azure_ad_client_secret",
        provider: "azure",
        description: "Microsoft Entra ID (Azure AD) application client secret (3 chars, a digit, Q~, 31-34 chars)",
        keywords: &["Q~"],
        pattern: r"(?-u)(?P<secret>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
        validate: Some(azure_client_secret),
        generic: false,
        examples: &[
            ("AZURE_CLIENT_SECRET=gNS7Q~FIGLj5M7YYpHCOTHUtuJvbipRdkJAWZ4mo", "gNS7Q~FIGLj5M7YYpHCOTHUtuJvbipRdkJAWZ4mo"),
            (r#""clientSecret": "0zW8Q~ORW_RyUiDRXIq4JGR1np-wUtJWQNVTQ6jw""#, "0zW8Q~ORW_RyUiDRXIq4JGR1np-wUtJWQNVTQ6jw"),
        ],
        counterexamples: &["gNS7Q~short", "secret=a0zW8Q~ORW_RyUiDRXIq4JGR1np-wUtJWQNVTQ6jw", "gNS7Q~FIGLj5M7YYpHCOTHUtuJvbipRdkJAWZ4moXYZ12"],
    },
    Builtin {
        id: "alibaba_access_key_id",
        provider: "alibaba",
        description: "Alibaba Cloud AccessKey id (LTAI + 12-20)",
        keywords: &["LTAI"],
        pattern: r"(?-u)(?P<secret>LTAI[A-Za-z0-9]{12,20})\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI93cXk9xx1UdSHeWVOEC0", "LTAI93cXk9xx1UdSHeWVOEC0")],
        counterexamples: &["LTAI short", "LTAIabcdefghijklmnopqrstuvwxyz"],
    },
    Builtin {
        id: "tencent_secret_id",
        provider: "tencent",
        description: "Tencent Cloud SecretId (AKID + 32)",
        keywords: &["AKID"],
        pattern: r"(?-u)(?P<secret>AKID[A-Za-z0-9]{32})\b",
        validate: Some(bounded::random_looking),
        generic: false,
        examples: &[("TENCENTCLOUD_SECRET_ID=AKIDPJTqEYrJO4ZMgbPNATkAuBeB0ZJLBI3X", "AKIDPJTqEYrJO4ZMgbPNATkAuBeB0ZJLBI3X")],
        counterexamples: &["AKIDPJTqEYrJO4ZMgbPNATkAuBeB0ZJLBI3", "AKID is a prefix"],
    },
    Builtin {
        id: "digitalocean_token",
        provider: "digitalocean",
        description: "DigitalOcean personal access (dop_v1_), OAuth (doo_v1_) and refresh (dor_v1_) tokens",
        keywords: &["dop_v1_", "doo_v1_", "dor_v1_"],
        pattern: r"(?-u)(?P<token>do[por]_v1_(?P<secret>[a-f0-9]{64}))\b",
        validate: Some(left_boundary),
        generic: false,
        examples: &[
            ("DIGITALOCEAN_TOKEN=dop_v1_240d42d52bf63d4f62f02498a7844d0fa525133990d14520b26c7dba7bc0781b", "dop_v1_240d42d52bf63d4f62f02498a7844d0fa525133990d14520b26c7dba7bc0781b"),
            ("refresh doo_v1_abe7d56468ef7a5788059729a617227e61d4bb22c4d7a6c92f01f1c2d54265f7 ok", "doo_v1_abe7d56468ef7a5788059729a617227e61d4bb22c4d7a6c92f01f1c2d54265f7"),
        ],
        counterexamples: &["dop_v1_240d42d52bf63d4f62f02498a7844d0fa525133990d14520b26c7dba7bc0781", "dop_v1_ is the prefix"],
    },
    Builtin {
        id: "firebase_fcm_server_key",
        provider: "google",
        description: "Firebase Cloud Messaging legacy server key (AAAA + 7 : APA91b + 134)",
        keywords: &["APA91b"],
        pattern: concat!(r"(?-u)(?P<secret>AAAA[A-Za-z0-9_-]{7}:APA91b[A-Za-z0-9_-]{120,150})", end_url!()),
        validate: Some(left_boundary),
        generic: false,
        examples: &[("Authorization: key=AAAAJZKKLVo:APA91bL6iKuogKR81EsKOwDQvGGEBK85DnFeGjIR0LkqwSdJwzuUAZXao0iyTTTRNufKJD7cb1LyxVLnoRG1Mn4g8n5oHJyCndBQlr5fs1ZsS9fHnLG5hiWIreJvCFABL5XN5Ak-zssh", "AAAAJZKKLVo:APA91bL6iKuogKR81EsKOwDQvGGEBK85DnFeGjIR0LkqwSdJwzuUAZXao0iyTTTRNufKJD7cb1LyxVLnoRG1Mn4g8n5oHJyCndBQlr5fs1ZsS9fHnLG5hiWIreJvCFABL5XN5Ak-zssh")],
        counterexamples: &["registration APA91bL6iKuogKR81EsKOwDQvGGEBK85DnFeGjIR0Lkq"],
    },
    Builtin {
        id: "amazon_lwa_client_secret",
        provider: "amazon",
        description: "Login with Amazon client secret (amzn1.oa2-cs.v1. + 64 hex)",
        keywords: &["amzn1.oa2-cs.v1."],
        pattern: prefixed!(r"amzn1\.oa2-cs\.v1\.", r"[a-f0-9]{64}"),
        examples: &[
            ("docker run -e AMAZON_LWA_CLIENT_SECRET=amzn1.oa2-cs.v1.dc3d702e1fe5e54c87e70443f7b26e363ce517807defb06252f3a6a32a5dd872 app:latest", "amzn1.oa2-cs.v1.dc3d702e1fe5e54c87e70443f7b26e363ce517807defb06252f3a6a32a5dd872"),
            ("export AMAZON_LWA_CLIENT_SECRET=amzn1.oa2-cs.v1.3463a5947baf3c62b695e5b2ad12aaa86127cef5d91b7cc75851809aa866c680", "amzn1.oa2-cs.v1.3463a5947baf3c62b695e5b2ad12aaa86127cef5d91b7cc75851809aa866c680"),
        ],
        counterexamples: &["amzn1.oa2-cs.v1.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like amzn1.oa2-cs.v1.1234567890", "amzn1.oa2-cs.v1.1e2c4360fec634c4bd368320c6e1aec6f6424cd4f8f4ff7dcbcbd4cc1bfcfe4"],
        ..PREFIXED
    },
    Builtin {
        id: "amazon_mws_token",
        provider: "amazon",
        description: "Amazon MWS auth token (amzn.mws. + UUID)",
        keywords: &["amzn.mws."],
        pattern: prefixed!(r"amzn\.mws\.", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            (r#"{"amazon_mws_token": "amzn.mws.19d758a5-6b31-2b3b-017f-4ac1bfae893b", "region": "eu-west-1"}"#, "amzn.mws.19d758a5-6b31-2b3b-017f-4ac1bfae893b"),
            ("docker run -e AMAZON_MWS_TOKEN=amzn.mws.77c73dd2-a830-2a4a-7dc8-2e9ac187b079 app:latest", "amzn.mws.77c73dd2-a830-2a4a-7dc8-2e9ac187b079"),
        ],
        counterexamples: &["amzn.mws.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like amzn.mws.1234567890", "amzn.mws.90f569fe-822c-1e41-1933-caaa3638c6c"],
        ..PREFIXED
    },
    Builtin {
        id: "aws_secret_key_quoted_beside_id",
        provider: "aws",
        description: "AWS secret access key quoted right after its quoted access key id (`\"AKIA...\", \"secret\"`, argument lists and tuples)",
        keywords: &["AKIA", "ASIA"],
        pattern: r#"(?-u)["'`](?:AKIA|ASIA)[A-Z0-9]{16}["'`]\s{0,4}[,;)\]]?\s{0,8}(?:[A-Za-z_]{1,40}\s{0,2}=\s{0,2})?["'`](?P<secret>[A-Za-z0-9/+]{40})["'`]"#,
        validate: Some(bounded::aws_secret_shape),
        examples: &[
            (r#"client = boto3.client("s3", "AKIA2E0A8F3B8F9D1E2C", "yPm4c9f7nWqE0Jr3Hk8dVb2Zt6Lx1Ga5Ro7Is9Uq")"#, "yPm4c9f7nWqE0Jr3Hk8dVb2Zt6Lx1Ga5Ro7Is9Uq"),
            ("creds = ('AKIA5T6Q2R8N4M1B7C3D',\n  'h7K2pX9qL4mN8vB3cR6tY1wZ5sD0fG2jA4eU7iO1')", "h7K2pX9qL4mN8vB3cR6tY1wZ5sD0fG2jA4eU7iO1"),
            (r#"new BasicAWSCredentials("AKIAQ4N7C2X9Z5B1V8M3", secret_key = "Rf8+Jm2Q/kV9pW4xL7cN1bT6yH3gZ0sA5dE2uI8o")"#, "Rf8+Jm2Q/kV9pW4xL7cN1bT6yH3gZ0sA5dE2uI8o"),
        ],
        counterexamples: &[r#"("AKIA2E0A8F3B8F9D1E2C", "abcdefghijabcdefghijabcdefghijabcdefghij")"#, r#"("AKIA2E0A8F3B8F9D1E2C", "us-east-1")"#, r#""AKIA2E0A8F3B8F9D1E2C", "arn:aws:iam::123456789012:role/ReadOnly""#],
        ..PREFIXED
    },
    Builtin {
        id: "azure_storage_identifiable_key",
        provider: "azure",
        description: "Azure Storage account key with its +ASt signature (88 base64)",
        keywords: &["+ASt"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{76}\+ASt[A-Za-z0-9+/]{6}==))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            (r#"level=info msg="auth ok" key=Npj2WKfFRvOPWsITmla20jsG4MDn3G9a+Rsqhmujg1pB1GYZGdXgGBr0T+CzqcYHR7yM/AiX97h/+AStcNI7iy=="#, "Npj2WKfFRvOPWsITmla20jsG4MDn3G9a+Rsqhmujg1pB1GYZGdXgGBr0T+CzqcYHR7yM/AiX97h/+AStcNI7iy=="),
            ("  azure_storage_identifiable_key: uy28cFpEkHlOxMyqpqMZlZ/U0MyZdxrBAI7gMPvZE8IB1e7cGwM/EbMjPaMF79mGKgPkpBAcAv/g+ASt0qwcZa==", "uy28cFpEkHlOxMyqpqMZlZ/U0MyZdxrBAI7gMPvZE8IB1e7cGwM/EbMjPaMF79mGKgPkpBAcAv/g+ASt0qwcZa=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "SEfmeHkiWLYhkMrbK7hQcLVxKVVXJR2bPtJ1YlZeSqtys37FxoGWucKtrgUJfYZM2wQxzUmxVtge+AStssuiD==", "AccountKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+AStAAAAAA=="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_cosmos_identifiable_key",
        provider: "azure",
        description: "Azure Cosmos DB account key with its ACDb signature (88 base64)",
        keywords: &["ACDb"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{76}ACDb[A-Za-z0-9+/]{6}==))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            (r#"azure_cosmos_identifiable_key = "dezRKZMXXiMFO1ahUML0VHYzazV76mQULxRAnoKPaSteznJ13Q2I8bJ5Uoad4pqd2O22ir0eZicGACDbLZL+R8==""#, "dezRKZMXXiMFO1ahUML0VHYzazV76mQULxRAnoKPaSteznJ13Q2I8bJ5Uoad4pqd2O22ir0eZicGACDbLZL+R8=="),
            ("curl -s -H 'Authorization: Bearer UQKKvjJDdNDYpY+d/u2h3cdEtCHOO2vffJthDGT+/sRKuvrmojilb/My8ZmFaiIBBd03Fa6iDw2TACDbMmgEH2==' https://api.example.net/v1/me", "UQKKvjJDdNDYpY+d/u2h3cdEtCHOO2vffJthDGT+/sRKuvrmojilb/My8ZmFaiIBBd03Fa6iDw2TACDbMmgEH2=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "zXnun9sWW0Plb6dntvCDOl2mK6YDPVSO3ZJBglULhfTxDizTDhbDFmHSIbae0oHl5nG0q2Alj3ExACDbRmwh8=="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_apim_identifiable_key",
        provider: "azure",
        description: "Azure API Management key with its APIM signature (88 base64)",
        keywords: &["APIM"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{76}APIM[A-Za-z0-9+/]{6}==))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("  azure_apim_identifiable_key: vH0gez3m/lFoSprt9BB451bUF46mJc+IbF/PSojuU00nhhqJb0RU3KBHdNS9qa9MVv0UfGcGaccEAPIM99oF9J==", "vH0gez3m/lFoSprt9BB451bUF46mJc+IbF/PSojuU00nhhqJb0RU3KBHdNS9qa9MVv0UfGcGaccEAPIM99oF9J=="),
            ("Authorization: Bearer A1zNjPOlHYCnU4qv1yI08lyMnPb8X6sJ56vUfvxQmjNHTwG9u6ByFsczumFlV00aJNeGuDN2kqzdAPIM5sRgM/==", "A1zNjPOlHYCnU4qv1yI08lyMnPb8X6sJ56vUfvxQmjNHTwG9u6ByFsczumFlV00aJNeGuDN2kqzdAPIM5sRgM/=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "fltu3y1kKaX0PAkXNVzvTTUpdFbe/4j3p4CoO8BqN+wkGvnZqdpYCRLJdG55qZwPRMqcrNqBHeOmAPIMa74vd=="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_service_bus_identifiable_key",
        provider: "azure",
        description: "Azure Service Bus shared access key with its +ASb signature (44 base64)",
        keywords: &["+ASb"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{33}\+ASb[A-Za-z0-9+/]{6}=))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("export AZURE_SERVICE_BUS_IDENTIFIABLE_KEY=/lfJfGq2RwpZ2zDrmtPbGkwNzAAKqz+Gk+ASbW0kjc0=", "/lfJfGq2RwpZ2zDrmtPbGkwNzAAKqz+Gk+ASbW0kjc0="),
            ("docker run -e AZURE_SERVICE_BUS_IDENTIFIABLE_KEY=x8jMcPZztUXLk9CkkHn7nL+41HCdpzQ+i+ASbEM4ZG5= app:latest", "x8jMcPZztUXLk9CkkHn7nL+41HCdpzQ+i+ASbEM4ZG5="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "E7tR2oBdzflGxGaFVyLqoZoD+xQZaE6X0+ASb4pzx3="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_event_hubs_identifiable_key",
        provider: "azure",
        description: "Azure Event Hubs shared access key with its +AEh signature (44 base64)",
        keywords: &["+AEh"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{33}\+AEh[A-Za-z0-9+/]{6}=))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("  azure_event_hubs_identifiable_key: 0C+vMtVsLQC6I7aRn8aq/+11JcfRhY6Y0+AEhJas4dK=", "0C+vMtVsLQC6I7aRn8aq/+11JcfRhY6Y0+AEhJas4dK="),
            ("Authorization: Bearer lsvPo2+Yg+bcyNYha98QSBNzxCqRTnnOW+AEhLwu9OS=", "lsvPo2+Yg+bcyNYha98QSBNzxCqRTnnOW+AEhLwu9OS="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "3Wd0dKunz4EbpIZcwY3X1escrkLI79etX+AEh7Ff6f="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_relay_identifiable_key",
        provider: "azure",
        description: "Azure Relay shared access key with its +ARm signature (44 base64)",
        keywords: &["+ARm"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{33}\+ARm[A-Za-z0-9+/]{6}=))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("docker run -e AZURE_RELAY_IDENTIFIABLE_KEY=UnT30MApijRaj4rYKJ1tivIoDyGp+gEqR+ARmDyYL3c= app:latest", "UnT30MApijRaj4rYKJ1tivIoDyGp+gEqR+ARmDyYL3c="),
            (r#"{"azure_relay_identifiable_key": "ZUK+wIpa6/U2VqVZoqvhSwbnSpBVeKJtW+ARmB701/Y=", "region": "eu-west-1"}"#, "ZUK+wIpa6/U2VqVZoqvhSwbnSpBVeKJtW+ARmB701/Y="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "jFiHtCrXW879IQp4TSu8W2/VwtTCdz6XG+ARm4v+uD="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_iot_identifiable_key",
        provider: "azure",
        description: "Azure IoT Hub / Device Provisioning key with its AIoT signature (44 base64)",
        keywords: &["AIoT"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{33}AIoT[A-Za-z0-9+/]{6}=))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("curl -s -H 'Authorization: Bearer AxZrjpGBLJKw20jluK7s6cYotOVuEqQ4bAIoTZdtGq2=' https://api.example.net/v1/me", "AxZrjpGBLJKw20jluK7s6cYotOVuEqQ4bAIoTZdtGq2="),
            (r#"azure_iot_identifiable_key = "0N1L0cmd4qOv468pNSZB9kOnwdXrAB7N6AIoTC6CAM1=""#, "0N1L0cmd4qOv468pNSZB9kOnwdXrAB7N6AIoTC6CAM1="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "yI2eCZc+ePZ+q5EzSQZMBpfRWnDgsarSIAIoTzVvj2="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_event_grid_identifiable_key",
        provider: "azure",
        description: "Azure Event Grid access key with its AZEG signature (44 base64)",
        keywords: &["AZEG"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{33}AZEG[A-Za-z0-9+/]{6}=))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG azure client configured token=eKVnhF5PEw2k8jT0K2DvSuyK/zqb9LltTAZEGqXH92X=", "eKVnhF5PEw2k8jT0K2DvSuyK/zqb9LltTAZEGqXH92X="),
            ("  azure_event_grid_identifiable_key: mc59FS9DAwHeHdZ3Bkfl4TJcuXYeommYmAZEG2Npvuq=", "mc59FS9DAwHeHdZ3Bkfl4TJcuXYeommYmAZEG2Npvuq="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "IDXvrhIWVDhHiJXVySz/OqG+rYZ9E3JzHAZEG5xMBp="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_redis_identifiable_key",
        provider: "azure",
        description: "Azure Cache for Redis access key with its AzCa signature (44)",
        keywords: &["AzCa"],
        pattern: prefixed!(r"", r"[A-Za-z0-9]{33}AzCa[A-Z0-9]{1}[A-Za-z0-9]{5}="),
        validate: Some(sas_signature),
        examples: &[
            ("export AZURE_REDIS_IDENTIFIABLE_KEY=klf9XfquLg08NRMwoCLNjWwfJWCdu5TG4AzCa4UPf9t=", "klf9XfquLg08NRMwoCLNjWwfJWCdu5TG4AzCa4UPf9t="),
            ("Authorization: Bearer XvprGeq3ma9NtkbmYPRx130Q8AUnmdXeYAzCaD1PZkS=", "XvprGeq3ma9NtkbmYPRx130Q8AUnmdXeYAzCaD1PZkS="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "6YFvijU94RHr3bSYPvdjRZgX0LsDhXqwXAzCaPAxi0="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_functions_identifiable_key",
        provider: "azure",
        description: "Azure Functions key with its AzFu signature (56 base64url)",
        keywords: &["AzFu"],
        pattern: prefixed!(r"", r"[A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}AQ=="),
        validate: Some(sas_signature),
        examples: &[
            ("docker run -e AZURE_FUNCTIONS_IDENTIFIABLE_KEY=9d68i7BqCMFGAtsI9ElmELOD_KeowfGpFXj9nBWB8pQsAzFuDr26vAQ== app:latest", "9d68i7BqCMFGAtsI9ElmELOD_KeowfGpFXj9nBWB8pQsAzFuDr26vAQ=="),
            ("2024-06-11T08:14:52Z DEBUG azure client configured token=eXj8T5zp0P4k-2jfJdGQ0w-kH0aVxmc-Aa26vGuWtssUAzFuOwWmXAQ==", "eXj8T5zp0P4k-2jfJdGQ0w-kH0aVxmc-Aa26vGuWtssUAzFuOwWmXAQ=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "0CkniDTfX0P0s82SWtWaDAWPsqyXDMLcrOqlabvYGyfIAzFuK6AJAQ=="],
        ..PREFIXED
    },
    Builtin {
        id: "azure_search_identifiable_key",
        provider: "azure",
        description: "Azure AI Search admin / query key with its AzSe signature (52)",
        keywords: &["AzSe"],
        pattern: prefixed!(r"", r"[A-Za-z0-9]{42}AzSe[A-Za-z0-9]{6}"),
        validate: Some(sas_signature),
        examples: &[
            ("docker run -e AZURE_SEARCH_IDENTIFIABLE_KEY=hjxhkEuEgTUdrKjkYjz8W0lQOV671NBeOmQFgWWRNjAzSeu7MhS8 app:latest", "hjxhkEuEgTUdrKjkYjz8W0lQOV671NBeOmQFgWWRNjAzSeu7MhS8"),
            ("env AZURE_SEARCH_IDENTIFIABLE_KEY=ZQNViBTuT6VtfnNhihMhao76FZdzFbD1Oee0OfUZ5LAzSeknmC7x ./deploy.sh", "ZQNViBTuT6VtfnNhihMhao76FZdzFbD1Oee0OfUZ5LAzSeknmC7x"),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "gHEgtHbsjxiSQHOAfUdcgs23Qj1mvGlIslaVSGQ4W7AzSeIoWiK"],
        ..PREFIXED
    },
    Builtin {
        id: "azure_container_registry_key",
        provider: "azure",
        description: "Azure Container Registry password with its +ACR signature (52 base64)",
        keywords: &["+ACR"],
        pattern: concat!(r#"(?-u)(?P<token>(?P<secret>[A-Za-z0-9+/]{42}\+ACR[A-Za-z0-9+/]{6}))"#, end_b64!()),
        validate: Some(sas_signature),
        examples: &[
            ("Authorization: Bearer pgKU5e1uv4zTH5nPaHekldcTarYa/s9tJYDqOCqUFY+ACRnuT91F", "pgKU5e1uv4zTH5nPaHekldcTarYa/s9tJYDqOCqUFY+ACRnuT91F"),
            ("export AZURE_CONTAINER_REGISTRY_KEY=/PCmVXY5WhpLQsOYYlzGP3zr90NqLefe+kuCgBzw+v+ACR2xzEZe", "/PCmVXY5WhpLQsOYYlzGP3zr90NqLefe+kuCgBzw+v+ACR2xzEZe"),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "EJDzWWIuBY1Eiacxixv4B1g6pclhzQ4g71Tkwq0NCn+ACRjA4hP"],
        ..PREFIXED
    },
    Builtin {
        id: "azure_apim_subscription_key",
        provider: "azure",
        description: "Azure API Management / Cognitive Services subscription key (32 hex) in an Ocp-Apim-Subscription-Key header or parameter",
        keywords: &["ocp-apim"],
        pattern: concat!(r"(?-u)(?i:ocp-apim)[A-Za-z0-9_.-]{0,24}?(?i:subscription-key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export Ocp-Apim-Subscription-Key="33246ec558dab8d48d07faf3e168f6f4""#, "33246ec558dab8d48d07faf3e168f6f4"),
            ("  ocp-apim-subscription-key: 9568d216c8f72555852c0967468c7542", "9568d216c8f72555852c0967468c7542"),
        ],
        counterexamples: &["Ocp-Apim-Subscription-Key=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Ocp-Apim-Subscription-Key=<your-azure-key>", "Ocp-Apim-Subscription-Key=7df7e0cc39976bed288810da8798991"],
        ..NAMED
    },
    Builtin {
        id: "huawei_access_key",
        provider: "huawei",
        description: "Huawei Cloud access key id (20 upper-case alphanumerics) or secret (40) beside a Huawei key name",
        keywords: &["huawei"],
        pattern: concat!(r"(?-u)(?i:huawei)[A-Za-z0-9_.-]{0,24}?(?i:ak|sk|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{20})", end_url!()),
        examples: &[
            (r#"{"HUAWEICLOUD_SDK_AK":"3K3FGZ7MSL4F1DKWSS6U"}"#, "3K3FGZ7MSL4F1DKWSS6U"),
            ("huawei_access_key=M5XUQLI7ZWPKV76DHR8Q", "M5XUQLI7ZWPKV76DHR8Q"),
        ],
        counterexamples: &["HUAWEICLOUD_SDK_AK=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HUAWEICLOUD_SDK_AK=<your-huawei-key>", "HUAWEICLOUD_SDK_AK=RBKMDZR6C51ZY4TT5OY"],
        ..NAMED
    },
    Builtin {
        id: "huawei_secret_key",
        provider: "huawei",
        description: "Huawei Cloud secret access key (40) beside a Huawei key name",
        keywords: &["huawei"],
        pattern: concat!(r"(?-u)(?i:huawei)[A-Za-z0-9_.-]{0,24}?(?i:sk|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("HUAWEICLOUD_SDK_SK = dSr2N5lnMyyor1QCfYWStIj3p4riHRSa59pC2HBX", "dSr2N5lnMyyor1QCfYWStIj3p4riHRSa59pC2HBX"),
            (r#"huawei_secret_key: "W2toA36BGUEs8xR5V9as8S7t6FR2IFtyxehq6ylb""#, "W2toA36BGUEs8xR5V9as8S7t6FR2IFtyxehq6ylb"),
        ],
        counterexamples: &["HUAWEICLOUD_SDK_SK=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HUAWEICLOUD_SDK_SK=<your-huawei-key>", "HUAWEICLOUD_SDK_SK=eaB8ItDFlr6IyczJqMUmcfYRB7AzGxhNk5qm9KP"],
        ..NAMED
    },
    Builtin {
        id: "yandex_api_key",
        provider: "yandex",
        description: "Yandex Cloud API key (AQVN + 35 to 38)",
        keywords: &["AQVN"],
        pattern: prefixed!(r"AQVN", r"[A-Za-z0-9_-]{35,38}"),
        examples: &[
            ("Authorization: Bearer AQVN0QJXfNAs5ezNr_qKw1ENDw-_IljsW16NjOqX3", "AQVN0QJXfNAs5ezNr_qKw1ENDw-_IljsW16NjOqX3"),
            (r#"yandex_api_key = "AQVNoJWTCK3ZQLPBmUlBmGYARvSCiOI1CHYNIKG""#, "AQVNoJWTCK3ZQLPBmUlBmGYARvSCiOI1CHYNIKG"),
        ],
        counterexamples: &["AQVNxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like AQVN1234567890", "AQVNwshFATSRjrHGN2vai8rei3KTxa-XTlN2be"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_static_key_secret",
        provider: "yandex",
        description: "Yandex Cloud static access key secret (YC + 38)",
        keywords: &["YCAJ", "YCAK", "YCM", "YCO"],
        pattern: prefixed!(r"(?:YCAJ|YCAK|YCM|YCO)", r"[A-Za-z0-9_-]{36,38}"),
        examples: &[
            ("  yandex_static_key_secret: YCAJttgVQTL5Q5qUQOvm8KtW6DzEiC0iymdFZ-egGU", "YCAJttgVQTL5Q5qUQOvm8KtW6DzEiC0iymdFZ-egGU"),
            (r#"YANDEX_STATIC_KEY_SECRET="YCOqWC_ldM_1W0dh-RuN3dCJfC3rQtmNsQWSP5YG""#, "YCOqWC_ldM_1W0dh-RuN3dCJfC3rQtmNsQWSP5YG"),
        ],
        counterexamples: &["YCAJxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like YCAJ1234567890", "YCAJ-7BDVWIY76_SRFKwOct1-2ITQ9eVENHMBt8"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_iam_token",
        provider: "yandex",
        description: "Yandex Cloud IAM token (t1.9eu + payload + . + 86 signature)",
        keywords: &["t1.9eu"],
        pattern: prefixed!(r"t1\.9eu", r"[A-Za-z0-9_-]{40,200}\.[A-Za-z0-9_-]{86}"),
        examples: &[
            ("2024-06-11T08:14:52Z DEBUG yandex client configured token=t1.9euxghSJDkZgIuadoRSl2pC0E6bUEXZYJ5jh5Vfeln2hD.8Buf-jBtw2Akv0vl4SjlSyOXyvKutELqSnhVtXgjVKGqtCSt703CbGAlZlS2GWz-C3GceJHUad7agU4iQ_vlzI", "t1.9euxghSJDkZgIuadoRSl2pC0E6bUEXZYJ5jh5Vfeln2hD.8Buf-jBtw2Akv0vl4SjlSyOXyvKutELqSnhVtXgjVKGqtCSt703CbGAlZlS2GWz-C3GceJHUad7agU4iQ_vlzI"),
            ("Authorization: Bearer t1.9eux8PQsHvFJgdIM_GTboCpwZ2I654hXeqox0YZ7TqDWUh0jzIH.PbU8GF-ca38c_lgdlSjRoJJ3hkQe-0jL6gfLZJkqwAGb1OcyqsZlB-WFB7M7VwxKyfPYUnAkDpvnL8bt7l3TBB", "t1.9eux8PQsHvFJgdIM_GTboCpwZ2I654hXeqox0YZ7TqDWUh0jzIH.PbU8GF-ca38c_lgdlSjRoJJ3hkQe-0jL6gfLZJkqwAGb1OcyqsZlB-WFB7M7VwxKyfPYUnAkDpvnL8bt7l3TBB"),
        ],
        counterexamples: &["t1.9euxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like t1.9eu1234567890", "t1.9eu1K1NUP7U3Ifbfs-Vu_-w_dwFL0iEHPB_NBmvazZaAGXC.Qnl2nCvq32P8jXPqfdTaNij13x5tAmmjKtmL1pxD-fMf6GKu5Z8F4NcjshUOtm63wl3WnCgMVvm5EyoCOUCXn"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_oauth_token",
        provider: "yandex",
        description: "Yandex OAuth token (y0_ to y3_ + 55 to 60)",
        keywords: &["y0_", "y1_", "y2_", "y3_"],
        pattern: prefixed!(r"(?:y0_|y1_|y2_|y3_)", r"[A-Za-z0-9_-]{55,60}"),
        examples: &[
            ("env YANDEX_OAUTH_TOKEN=y0_15egnaf1mXILf68peCS4AeIPtJv2cfcCrLRaa9Va9TdJ08miSvANfT1ZM ./deploy.sh", "y0_15egnaf1mXILf68peCS4AeIPtJv2cfcCrLRaa9Va9TdJ08miSvANfT1ZM"),
            ("docker run -e YANDEX_OAUTH_TOKEN=y3_4-7RuwSTPaqwVhzgZUSPJAF7tCvwwQ2hsA5Yo4BaoP8HawIyOU2pbjzoy2c app:latest", "y3_4-7RuwSTPaqwVhzgZUSPJAF7tCvwwQ2hsA5Yo4BaoP8HawIyOU2pbjzoy2c"),
        ],
        counterexamples: &["y0_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like y0_1234567890", "y0_Y6nLwd3HvuPXon-vLNMYzdmU5ymTxQk8cmIaIPYkCTM-WMq9g9mfcd"],
        ..PREFIXED
    },
    Builtin {
        id: "ibm_cloud_api_key",
        provider: "ibm",
        description: "IBM Cloud API key (44) beside an IBM key name",
        keywords: &["ibm"],
        pattern: concat!(r"(?-u)(?i:ibm)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{44})", end_url!()),
        examples: &[
            (r#"{"IBMCLOUD_API_KEY":"INNR0TUKPNYnpMkSwunnnlDDDs40BpA52AaRNSOY1ZoR"}"#, "INNR0TUKPNYnpMkSwunnnlDDDs40BpA52AaRNSOY1ZoR"),
            ("ibm_cloud_apikey=cHt25qxmwy8ifRb-VqtrfylGHNcDaDx26837EkyXLCqD", "cHt25qxmwy8ifRb-VqtrfylGHNcDaDx26837EkyXLCqD"),
        ],
        counterexamples: &["IBMCLOUD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IBMCLOUD_API_KEY=<your-ibm-key>", "IBMCLOUD_API_KEY=-UHrHL0GgcwxpbrTRtu1pO5n-zGKOX-yg9dz4TCweq8"],
        ..NAMED
    },
    Builtin {
        id: "ibm_cos_hmac_secret",
        provider: "ibm",
        description: "IBM Cloud Object Storage HMAC secret (48 hex) beside an IBM COS key name",
        keywords: &["ibm"],
        pattern: concat!(r"(?-u)(?i:ibm)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{48})", end_url!()),
        examples: &[
            ("IBM_COS_SECRET_ACCESS_KEY = 867b58f3ddc8dfde3fd6d64bae7b1ed319d5d7fda1f4bbf3", "867b58f3ddc8dfde3fd6d64bae7b1ed319d5d7fda1f4bbf3"),
            (r#"ibm_cos_secret: "58daddbd4187cd7599e2ab263f1924afed1a7a9a2e74c476""#, "58daddbd4187cd7599e2ab263f1924afed1a7a9a2e74c476"),
        ],
        counterexamples: &["IBM_COS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IBM_COS_SECRET_ACCESS_KEY=<your-ibm-key>", "IBM_COS_SECRET_ACCESS_KEY=3227e99bbf2ba2e7c35c462f6850a279cd695f44260b93f"],
        ..NAMED
    },
    Builtin {
        id: "oracle_oci_auth_token",
        provider: "oracle",
        description: "Oracle Cloud (OCI) auth token beside an Oracle or OCI key name",
        keywords: &["oracle"],
        pattern: concat!(r"(?-u)(?i:oracle)[A-Za-z0-9_.-]{0,24}?(?i:token|password|secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{20})", end_url!()),
        examples: &[
            ("  ORACLE_AUTH_TOKEN: Ce6VofKFb_VEPmIMOxZF", "Ce6VofKFb_VEPmIMOxZF"),
            (r#"export oracle_cloud_password="c7UpnP5nNeUMpStuOl0v""#, "c7UpnP5nNeUMpStuOl0v"),
        ],
        counterexamples: &["ORACLE_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ORACLE_AUTH_TOKEN=<your-oracle-key>", "ORACLE_AUTH_TOKEN=wQPzmjzx96kF4Py1jrc"],
        ..NAMED
    },
    Builtin {
        id: "linode_token",
        provider: "linode",
        description: "Linode / Akamai Cloud personal access token (64 hex) beside a Linode key name",
        keywords: &["linode"],
        pattern: concat!(r"(?-u)(?i:linode)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("LINODE_TOKEN=4788b458560f581ee226823995d474c350875ac2fe18a5e51b18a4dfdf24697d", "4788b458560f581ee226823995d474c350875ac2fe18a5e51b18a4dfdf24697d"),
            (r#"{"linode_api_token":"096fe0019a1d93fabc2e2b296d56788e7941034a05fca9948c62fdf876b50834"}"#, "096fe0019a1d93fabc2e2b296d56788e7941034a05fca9948c62fdf876b50834"),
        ],
        counterexamples: &["LINODE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINODE_TOKEN=<your-linode-key>", "LINODE_TOKEN=2bc068092a29b7e5d17e05a506a6ad9fbeadb07a4bb10ed92b675d289066759"],
        ..NAMED
    },
    Builtin {
        id: "scaleway_access_key",
        provider: "scaleway",
        description: "Scaleway access key id (SCW + 17 upper-case alphanumerics)",
        keywords: &["SCW"],
        pattern: prefixed!(r"SCW", r"[A-Z0-9]{17}"),
        examples: &[
            ("  scaleway_access_key: SCWMLDXQIAHROU8XTUKZ", "SCWMLDXQIAHROU8XTUKZ"),
            ("export SCALEWAY_ACCESS_KEY=SCWE1GFT85XAKQ5U10Y5", "SCWE1GFT85XAKQ5U10Y5"),
        ],
        counterexamples: &["SCWxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like SCW1234567890", "SCWH373OWT8BNELE76H"],
        ..PREFIXED
    },
    Builtin {
        id: "scaleway_secret_key",
        provider: "scaleway",
        description: "Scaleway secret key (UUID) beside a Scaleway key name",
        keywords: &["scw", "scaleway"],
        pattern: concat!(r"(?-u)(?i:scw|scaleway)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export SCW_SECRET_KEY="2734f2eb-fef6-860f-3582-0523deab2977""#, "2734f2eb-fef6-860f-3582-0523deab2977"),
            ("  scaleway_secret: 15f8fcb6-aea9-aaa6-94a3-17e4bb56a097", "15f8fcb6-aea9-aaa6-94a3-17e4bb56a097"),
        ],
        counterexamples: &["SCW_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCW_SECRET_KEY=<your-scaleway-key>", "SCW_SECRET_KEY=00ba883a-2070-c304-a222-69f6a8322ff"],
        ..NAMED
    },
    Builtin {
        id: "hetzner_token",
        provider: "hetzner",
        description: "Hetzner Cloud API token (64 alphanumerics) beside an hcloud or Hetzner key name",
        keywords: &["hcloud", "hetzner"],
        pattern: concat!(r"(?-u)(?i:hcloud|hetzner)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"HCLOUD_TOKEN":"3mL9AnlsMbgQ0c6OcYtHVRES5LnxOxdRAlg0ihCeG2plz7evcYnKFyePgSFOIdGj"}"#, "3mL9AnlsMbgQ0c6OcYtHVRES5LnxOxdRAlg0ihCeG2plz7evcYnKFyePgSFOIdGj"),
            ("hetzner_api_token=6HfR5UnkOwIBDXmdYsRZFjU7INGlMRCCoy7JHSSucr1aiZ3JodyB6ffXm30Y2MxA", "6HfR5UnkOwIBDXmdYsRZFjU7INGlMRCCoy7JHSSucr1aiZ3JodyB6ffXm30Y2MxA"),
        ],
        counterexamples: &["HCLOUD_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HCLOUD_TOKEN=<your-hetzner-key>", "HCLOUD_TOKEN=Fbhq7ebrcjzHfpP91D3eP7rU5gRKGlmGdN36LBQzoMvxzEashVQPWztY5GZXvnE"],
        ..NAMED
    },
    Builtin {
        id: "vultr_api_key",
        provider: "vultr",
        description: "Vultr API key (36 upper-case alphanumerics) beside a Vultr key name",
        keywords: &["vultr"],
        pattern: concat!(r"(?-u)(?i:vultr)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{36})", end_url!()),
        examples: &[
            ("VULTR_API_KEY = 7QOL1EHCRMNJH13FLKZQLFOP2GFWNHPD1D7D", "7QOL1EHCRMNJH13FLKZQLFOP2GFWNHPD1D7D"),
            (r#"vultr_key: "UYCW3ASBFJ3189HI98F2D91YUL44PWITTC2R""#, "UYCW3ASBFJ3189HI98F2D91YUL44PWITTC2R"),
        ],
        counterexamples: &["VULTR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VULTR_API_KEY=<your-vultr-key>", "VULTR_API_KEY=GC4H1ORMXTC7H1MH9IZ1UL7W6W73SJT6RE7"],
        ..NAMED
    },
    Builtin {
        id: "ovh_secret",
        provider: "ovh",
        description: "OVHcloud application secret / consumer key (32) beside an OVH key name",
        keywords: &["ovh"],
        pattern: concat!(r"(?-u)(?i:ovh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  OVH_APPLICATION_SECRET: rmfsAlqXka7bft43xzFGMU8eRREtVFoB", "rmfsAlqXka7bft43xzFGMU8eRREtVFoB"),
            (r#"export ovh_consumer_key="Aw94ovJIF5n1vFx8vEz0ymAbv1oIqh7z""#, "Aw94ovJIF5n1vFx8vEz0ymAbv1oIqh7z"),
        ],
        counterexamples: &["OVH_APPLICATION_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OVH_APPLICATION_SECRET=<your-ovh-key>", "OVH_APPLICATION_SECRET=6iI2dTpHiBd31Kun5qSZbRSjZicJSz4"],
        ..NAMED
    },
    Builtin {
        id: "exoscale_access_key",
        provider: "exoscale",
        description: "Exoscale API key (EXO + 24 hex)",
        keywords: &["EXO"],
        pattern: prefixed!(r"EXO", r"[a-f0-9]{24}"),
        examples: &[
            ("  exoscale_access_key: EXOe355b038cfa076da7363b28b", "EXOe355b038cfa076da7363b28b"),
            ("2024-06-11T08:14:52Z DEBUG exoscale client configured token=EXOd7a3ca1ace6851f90fedac53", "EXOd7a3ca1ace6851f90fedac53"),
        ],
        counterexamples: &["EXOxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EXO1234567890", "EXO6627194729a757e241c035e"],
        ..PREFIXED
    },
    Builtin {
        id: "exoscale_secret",
        provider: "exoscale",
        description: "Exoscale API secret (43) beside an Exoscale key name",
        keywords: &["exoscale"],
        pattern: concat!(r"(?-u)(?i:exoscale)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"EXOSCALE_API_SECRET: "7FXGRvTjTv6w8ZaY3Th9YH4800Jwcog2-63H9eOgAcp""#, "7FXGRvTjTv6w8ZaY3Th9YH4800Jwcog2-63H9eOgAcp"),
            ("exoscale_secret = qq-mtMbylXXtCVs4y_p1tlq9p7pXUWsbwUPl0WHmomE", "qq-mtMbylXXtCVs4y_p1tlq9p7pXUWsbwUPl0WHmomE"),
        ],
        counterexamples: &["EXOSCALE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EXOSCALE_API_SECRET=<your-exoscale-key>", "EXOSCALE_API_SECRET=kk6Enf1DyuKK7CHjCpB9O38tlegyAHH12N73pL58hy"],
        ..NAMED
    },
    Builtin {
        id: "civo_token",
        provider: "civo",
        description: "Civo API key (50 alphanumerics) beside a Civo key name",
        keywords: &["civo"],
        pattern: concat!(r"(?-u)(?i:civo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"export CIVO_TOKEN="mLxoZrdu8zaiEypy6nkl545yQMRZOIiy6AAAVrLRjSy5OFef95""#, "mLxoZrdu8zaiEypy6nkl545yQMRZOIiy6AAAVrLRjSy5OFef95"),
            ("  civo_api_key: q5GEFM6pOxbIeNBspCHP3lCpHfNkutXv7HqIeCxKUNO9bKWiSP", "q5GEFM6pOxbIeNBspCHP3lCpHfNkutXv7HqIeCxKUNO9bKWiSP"),
        ],
        counterexamples: &["CIVO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CIVO_TOKEN=<your-civo-key>", "CIVO_TOKEN=dPOQA9tpzWVjEDx2yj7vMjUXfNHCBVE8fvkxPqvTqePx0Zf7P"],
        ..NAMED
    },
    Builtin {
        id: "upcloud_password",
        provider: "upcloud",
        description: "UpCloud API password / token beside an UpCloud key name",
        keywords: &["upcloud"],
        pattern: concat!(r"(?-u)(?i:upcloud)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24,64})", end_url!()),
        examples: &[
            (r#"{"UPCLOUD_PASSWORD":"QefaLbBPm6CMhqgRwbqYuIFHjqWjhYXG4m"}"#, "QefaLbBPm6CMhqgRwbqYuIFHjqWjhYXG4m"),
            ("upcloud_token=ek7sEhMmMKtHnTvkOULS64KYej", "ek7sEhMmMKtHnTvkOULS64KYej"),
        ],
        counterexamples: &["UPCLOUD_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPCLOUD_PASSWORD=<your-upcloud-key>", "UPCLOUD_PASSWORD=WWQOdIEv20vPGYPW67RSQIZ"],
        ..NAMED
    },
    Builtin {
        id: "backblaze_application_key",
        provider: "backblaze",
        description: "Backblaze B2 application key (K + 3 digits + 27) beside a B2 key name, or given to the b2 CLI's authorize-account after its key id",
        keywords: &["b2_app", "backblaze", "authorize-account", "account authorize"],
        pattern: concat!(r"(?-u)(?:(?i:b2_|backblaze)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>K[0-9]{3}[A-Za-z0-9+/]{27})|\bb2(?:\.exe)?[ \t]+(?:account[ \t]+authorize|authorize[_-]account)(?:[ \t]+--?[a-z][a-z-]*)*[ \t]+[0-9a-f]{12,25}[ \t]+(?P<secret_cli>K[0-9]{3}[A-Za-z0-9+/]{27}))", end_b64!()),
        examples: &[
            ("B2_APPLICATION_KEY = K6559xePTT/6A7yoReU5ASySD0PV3Pq", "K6559xePTT/6A7yoReU5ASySD0PV3Pq"),
            (r#"backblaze_key: "K894fY4SDiLeyi1LuYNIy4xVEBqIuJF""#, "K894fY4SDiLeyi1LuYNIy4xVEBqIuJF"),
            ("b2 authorize-account 0051a2b3c4d5e6f0000000007 K005gXyrCZNiJCyTXiVWaje6ILjwa01", "K005gXyrCZNiJCyTXiVWaje6ILjwa01"),
        ],
        counterexamples: &["B2_APPLICATION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "B2_APPLICATION_KEY=<your-backblaze-key>", "B2_APPLICATION_KEY=K990eI1IkHdYI+6WlQ//p4FJLC7ft9"],
        ..NAMED
    },
    Builtin {
        id: "wasabi_secret_key",
        provider: "wasabi",
        description: "Wasabi secret access key (40) beside a Wasabi key name",
        keywords: &["wasabi"],
        pattern: concat!(r"(?-u)(?i:wasabi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  WASABI_SECRET_KEY: AFOkiY1N3Rz1lxdsI6OqLzjU3quJXiqwltcEEfBY", "AFOkiY1N3Rz1lxdsI6OqLzjU3quJXiqwltcEEfBY"),
            (r#"export wasabi_secret="tMKf8tP9lXYz1E5CaWCR6qFWJP1gs6QtfntebgD0""#, "tMKf8tP9lXYz1E5CaWCR6qFWJP1gs6QtfntebgD0"),
        ],
        counterexamples: &["WASABI_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WASABI_SECRET_KEY=<your-wasabi-key>", "WASABI_SECRET_KEY=W1TMfQrS0Jb50Ef5kZpFSYgFxbq9TBZbWpYgAvJ"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_global_api_key",
        provider: "cloudflare",
        description: "Cloudflare global API key (37 hex) beside a Cloudflare key name",
        keywords: &["cloudflare", "cf_api", "cf-api", "cf_auth", "x-auth-key"],
        pattern: concat!(r"(?-u)(?i:cloudflare|cf)[A-Za-z0-9_.-]{0,24}?(?i:api[_-]?key|auth[_-]?key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{37})", end_url!()),
        examples: &[
            ("CLOUDFLARE_API_KEY=8d9e51ad73b06d2e0ef2add382ef22c32bfce", "8d9e51ad73b06d2e0ef2add382ef22c32bfce"),
            (r#"{"CF_API_KEY":"4751411b8a9b3c23097236170326899909ce5"}"#, "4751411b8a9b3c23097236170326899909ce5"),
        ],
        counterexamples: &["CLOUDFLARE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLOUDFLARE_API_KEY=<your-cloudflare-key>", "CLOUDFLARE_API_KEY=43a93abac8abe8857e16799b798d29ec99a6"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_r2_secret",
        provider: "cloudflare",
        description: "Cloudflare R2 secret access key (64 hex) beside an R2 key name",
        keywords: &["r2_secret", "r2-secret"],
        pattern: concat!(r"(?-u)(?i:r2)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"R2_SECRET_ACCESS_KEY: "ee16eea6fda6b13599bd5b41474658653d07b0341c5ac8a9315d740d5557d4a9""#, "ee16eea6fda6b13599bd5b41474658653d07b0341c5ac8a9315d740d5557d4a9"),
            ("r2_secret_key = b24bbe2061abd380ec7804f223f53d7ea6becbd46a625409b55920378e116df6", "b24bbe2061abd380ec7804f223f53d7ea6becbd46a625409b55920378e116df6"),
        ],
        counterexamples: &["R2_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "R2_SECRET_ACCESS_KEY=<your-cloudflare-key>", "R2_SECRET_ACCESS_KEY=be59f6904f77bb0b15a01bdafc14490dce6a10467cc2c9af931157b6b739d69"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_tunnel_token",
        provider: "cloudflare",
        description: "Cloudflare Tunnel token (base64 JSON starting {\"a\":)",
        keywords: &["eyJhIjoi"],
        pattern: concat!(r#"(?-u)(?P<token>eyJhIjoi(?P<secret>[A-Za-z0-9+/]{80,300}))"#, end_b64!()),
        examples: &[
            ("curl -s -H 'Authorization: Bearer eyJhIjoinNrJ+FAD5h3mZxpt1suMwHcnNOcBKaCW+F7Jfb/3IyvMn7Kf0iwupAUt3dAOYwM6xLxCX4OrE0AHckChj' https://api.example.net/v1/me", "eyJhIjoinNrJ+FAD5h3mZxpt1suMwHcnNOcBKaCW+F7Jfb/3IyvMn7Kf0iwupAUt3dAOYwM6xLxCX4OrE0AHckChj"),
            ("export CLOUDFLARE_TUNNEL_TOKEN=eyJhIjoiukfJeojpdlAu+OcWWoFpt49ASURu4uMfzl83a/xf1+3O1GoHJUHjSC/n1wlJbtADW0+mf16mK+HTX2oKRs7LmZLMvFwG", "eyJhIjoiukfJeojpdlAu+OcWWoFpt49ASURu4uMfzl83a/xf1+3O1GoHJUHjSC/n1wlJbtADW0+mf16mK+HTX2oKRs7LmZLMvFwG"),
        ],
        counterexamples: &["eyJhIjoixxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJhIjoi1234567890", "eyJhIjoiyRbYNbU3e1GYXLJwo7zdEWF72WrEFXcWaZYX+vQCqcXpKzhsvTWwJJRYsxTv3M3dN7z2cu8pb/L8Q9F"],
        ..PREFIXED
    },
    Builtin {
        id: "akamai_client_token",
        provider: "akamai",
        description: "Akamai EdgeGrid client token / access token (akab- + 16 + - + 16)",
        keywords: &["akab-"],
        pattern: prefixed!(r"akab-", r"[a-z0-9]{16}-[a-z0-9]{16}"),
        examples: &[
            ("Authorization: Bearer akab-wiijempwlk302ho6-4kg9b88378lx39y8", "akab-wiijempwlk302ho6-4kg9b88378lx39y8"),
            (r#"{"akamai_client_token": "akab-szj6pvdyxebnpg1h-c96re7sy73a5airc", "region": "eu-west-1"}"#, "akab-szj6pvdyxebnpg1h-c96re7sy73a5airc"),
        ],
        counterexamples: &["akab-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like akab-1234567890", "akab-0d74jq0fk84lvkof-vcy98af48tm7hnh"],
        ..PREFIXED
    },
    Builtin {
        id: "akamai_client_secret",
        provider: "akamai",
        description: "Akamai EdgeGrid client secret (44 base64) beside an Akamai / EdgeGrid key name",
        keywords: &["akamai"],
        pattern: concat!(r"(?-u)(?i:akamai)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{43}=)", end_b64!()),
        examples: &[
            ("AKAMAI_CLIENT_SECRET = TH1VlTLTUaLTHx3nLGosDZBDh9+TRuJigua4LB9P3G9=", "TH1VlTLTUaLTHx3nLGosDZBDh9+TRuJigua4LB9P3G9="),
            (r#"akamai_client_secret: "b7XKcPtyyqXcsXlJ+X0F75EC4kNbaofj9UITAXmkGmZ=""#, "b7XKcPtyyqXcsXlJ+X0F75EC4kNbaofj9UITAXmkGmZ="),
        ],
        counterexamples: &["AKAMAI_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AKAMAI_CLIENT_SECRET=<your-akamai-key>", "AKAMAI_CLIENT_SECRET=4LZL/BFZ/Rcn35gzpaYMCC892WCjF/b1k/GObKna9z="],
        ..NAMED
    },
    Builtin {
        id: "fastly_api_token",
        provider: "fastly",
        description: "Fastly API token (32) beside a Fastly key name",
        keywords: &["fastly"],
        pattern: concat!(r"(?-u)(?i:fastly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            ("  FASTLY_API_TOKEN: iZMCFobALwvK7wDxUHyU7jbEbsqHP8CY", "iZMCFobALwvK7wDxUHyU7jbEbsqHP8CY"),
            (r#"export fastly_key="ScJMpoQhqxeKz4OSU70_Ee91AoYdXf-E""#, "ScJMpoQhqxeKz4OSU70_Ee91AoYdXf-E"),
        ],
        counterexamples: &["FASTLY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FASTLY_API_TOKEN=<your-fastly-key>", "FASTLY_API_TOKEN=u2e6pyBMBWrQwhymStIPhae8ogyZxql"],
        ..NAMED
    },
    Builtin {
        id: "bunny_api_key",
        provider: "bunny",
        description: "bunny.net API / storage key beside a Bunny key name",
        keywords: &["bunny"],
        pattern: concat!(r"(?-u)(?i:bunny)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}-[a-f0-9]{4}[a-f0-9]{8})", end_url!()),
        examples: &[
            ("BUNNY_API_KEY=6b1bfc8e-8f77-42a2-99c9-92b6b7addc1f-258e53f3354c", "6b1bfc8e-8f77-42a2-99c9-92b6b7addc1f-258e53f3354c"),
            (r#"{"bunnycdn_access_key":"d8e548e8-dbf6-1180-f06d-76e1b5aa8984-397eeda22e33"}"#, "d8e548e8-dbf6-1180-f06d-76e1b5aa8984-397eeda22e33"),
        ],
        counterexamples: &["BUNNY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUNNY_API_KEY=<your-bunny-key>", "BUNNY_API_KEY=67a18288-5736-3be1-73bd-905d2e281c60-e7ac50633d7"],
        ..NAMED
    },
    Builtin {
        id: "cloudinary_url",
        provider: "cloudinary",
        description: "Cloudinary URL with its API key and secret (cloudinary://<15 digits>:<27>@cloud)",
        keywords: &["cloudinary://"],
        pattern: r"(?-u)cloudinary://(?P<secret>[0-9]{15}:[A-Za-z0-9_-]{27})@",
        examples: &[
            ("CLOUDINARY_URL=cloudinary://582941736104829:Qf7xK2mN9pL4vB8cR3tY6wZ1sDa@demo-cloud", "582941736104829:Qf7xK2mN9pL4vB8cR3tY6wZ1sDa"),
            (r#"cloudinary.config(url="cloudinary://309174628501937:h3Jk8Lm2Np5Qr9St4Vw7Xy1Za6b@acme")"#, "309174628501937:h3Jk8Lm2Np5Qr9St4Vw7Xy1Za6b"),
        ],
        counterexamples: &["CLOUDINARY_URL=cloudinary://<api_key>:<api_secret>@<cloud_name>", "cloudinary://123456789012345:xxxxxxxxxxxxxxxxxxxxxxxxxxx@demo", "cloudinary://582941736104829@demo"],
        ..PREFIXED
    },
    Builtin {
        id: "imgix_token",
        provider: "imgix",
        description: "imgix API key / signing token beside an imgix key name",
        keywords: &["imgix"],
        pattern: concat!(r"(?-u)(?i:imgix)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{16,64})", end_url!()),
        examples: &[
            (r#"export IMGIX_API_KEY="DHNTCHcAEYSquAuhv60JaNotzf""#, "DHNTCHcAEYSquAuhv60JaNotzf"),
            ("  imgix_secure_token: epe3gAvCuJ0HmNOslSe", "epe3gAvCuJ0HmNOslSe"),
        ],
        counterexamples: &["IMGIX_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IMGIX_API_KEY=<your-imgix-key>", "IMGIX_API_KEY=B7RvCiyZQYKgIrt"],
        ..NAMED
    },
    Builtin {
        id: "digitalocean_spaces_secret",
        provider: "digitalocean",
        description: "DigitalOcean Spaces secret key (43 base64) beside a Spaces key name",
        keywords: &["spaces_secret", "spaces-secret", "do_spaces"],
        pattern: concat!(r"(?-u)(?i:spaces)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{43})", end_b64!()),
        examples: &[
            (r#"{"SPACES_SECRET_KEY":"gw5FwM/ngVRz6lfH5gGcH1b/equan+CQeFO/KNZVPff"}"#, "gw5FwM/ngVRz6lfH5gGcH1b/equan+CQeFO/KNZVPff"),
            ("do_spaces_secret=gG3/CFHxofP4dxOOrAQDZEYzPP/2N4aYaBJnD8AVlNO", "gG3/CFHxofP4dxOOrAQDZEYzPP/2N4aYaBJnD8AVlNO"),
        ],
        counterexamples: &["SPACES_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPACES_SECRET_KEY=<your-digitalocean-key>", "SPACES_SECRET_KEY=mvbW/tz6Iouz4J/yD8zsQmEEaaReaXe82t+fpDOvLu"],
        ..NAMED
    },
];
