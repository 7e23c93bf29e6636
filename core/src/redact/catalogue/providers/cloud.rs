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
            ("curl -s -H 'Authorization: Bearer amzn1.oa2-cs.v1.0c62e9795c34b3523566c35ab68671f366758a1e9df135a0bc0d461372f35fc5' https://api.example.net/v1/me", "amzn1.oa2-cs.v1.0c62e9795c34b3523566c35ab68671f366758a1e9df135a0bc0d461372f35fc5"),
            ("  amazon_lwa_client_secret: amzn1.oa2-cs.v1.3714c8773a8e3dbf6e3a4516753fb0eadf777ce7fc466aa32475e0bb4d872127", "amzn1.oa2-cs.v1.3714c8773a8e3dbf6e3a4516753fb0eadf777ce7fc466aa32475e0bb4d872127"),
        ],
        counterexamples: &["amzn1.oa2-cs.v1.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like amzn1.oa2-cs.v1.1234567890", "amzn1.oa2-cs.v1.296cb38531f422973503efa10b4ce4df3aa84358036fa5bbc649ec949a50ab2"],
        ..PREFIXED
    },
    Builtin {
        id: "amazon_mws_token",
        provider: "amazon",
        description: "Amazon MWS auth token (amzn.mws. + UUID)",
        keywords: &["amzn.mws."],
        pattern: prefixed!(r"amzn\.mws\.", r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"),
        examples: &[
            ("  amazon_mws_token: amzn.mws.497358ee-15a1-6b28-a68c-2beef9372bc7", "amzn.mws.497358ee-15a1-6b28-a68c-2beef9372bc7"),
            (r#"{"amazon_mws_token": "amzn.mws.af7b93de-226f-a822-5d3c-603fc23bf7a2", "region": "eu-west-1"}"#, "amzn.mws.af7b93de-226f-a822-5d3c-603fc23bf7a2"),
        ],
        counterexamples: &["amzn.mws.xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like amzn.mws.1234567890", "amzn.mws.f1f8b971-d1f1-0a99-379e-a8bb164081f"],
        ..PREFIXED
    },
    Builtin {
        id: "aws_secret_key_quoted_beside_id",
        provider: "aws",
        description: "AWS secret access key quoted right after its quoted access key id (`\"AKIA...\", \"secret\"`, argument lists and tuples)",
        keywords: &["AKIA", "ASIA"],
        pattern: concat!(r#"(?-u)["'`](?:AKIA|ASIA)[A-Z0-9]{16}["'`]\s{0,4}[,;)\]]?\s{0,8}(?:[A-Za-z_]{1,40}\s{0,2}=\s{0,2})?["'`](?P<secret>[A-Za-z0-9/+]{40})["'`]"#),
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
            ("  azure_storage_identifiable_key: T+/5p+sVk8pM44lF5gs092LvrzQmrQRT6XlL9ky3YJ2VzZliXaMXrNE+U/jPsRpcGW9OFpzDb5kv+ASt6J3423==", "T+/5p+sVk8pM44lF5gs092LvrzQmrQRT6XlL9ky3YJ2VzZliXaMXrNE+U/jPsRpcGW9OFpzDb5kv+ASt6J3423=="),
            ("Authorization: Bearer E7F5tHwjRbnMM9tDhpDuFO+nni9MSK+I/BWqNEvRWMYKw5R8g/pLNIllgHPkpNe4UIPSB/HdMvTg+AStiI3vj2==", "E7F5tHwjRbnMM9tDhpDuFO+nni9MSK+I/BWqNEvRWMYKw5R8g/pLNIllgHPkpNe4UIPSB/HdMvTg+AStiI3vj2=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "nb+n+NsG5OP0o7aqY3DMxRBi1Oq9CAaKGMFmbHsK/NGv8qMYqPBxKe1KKDRuHAMmECGV4fKeEL/q+AStA56wg==", "AccountKey=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+AStAAAAAA=="],
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
            ("  azure_cosmos_identifiable_key: fqMIWigX2d7tBacGQ/zJ+uBgwG5TNEgCJ4vODlrrzqEdT+ivt5ftSYx1cu/VnWx4CfTfnzCw8yXZACDbqrwM8i==", "fqMIWigX2d7tBacGQ/zJ+uBgwG5TNEgCJ4vODlrrzqEdT+ivt5ftSYx1cu/VnWx4CfTfnzCw8yXZACDbqrwM8i=="),
            ("export AZURE_COSMOS_IDENTIFIABLE_KEY=6+bEokURAvGeO/zeVKPSME0sL0r1j6AWfBKyi/fZyTseN32y36BUXrIbhsBaNHOlRQJOAUhCOOI0ACDbJqMmL8==", "6+bEokURAvGeO/zeVKPSME0sL0r1j6AWfBKyi/fZyTseN32y36BUXrIbhsBaNHOlRQJOAUhCOOI0ACDbJqMmL8=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "m1Zm3Cai6g/6u5xqXHC7Cbtro+CVkz6nymW6ugCIbD27+TbAivi8pOAOojRx13GElTntBpRxLrEUACDb9pYyk=="],
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
            (r#"azure_apim_identifiable_key = "Lv7wTjO3fjPOOHBejEZ59v0KeSEWZEwHwfGbLPRHBzWzHawh6iWsnzc/5WAosXqS2nyJoldXy5fPAPIMWz8yqj==""#, "Lv7wTjO3fjPOOHBejEZ59v0KeSEWZEwHwfGbLPRHBzWzHawh6iWsnzc/5WAosXqS2nyJoldXy5fPAPIMWz8yqj=="),
            ("  azure_apim_identifiable_key: Y3q+I9t+8D3XVWT2sZZhT9X95sv+dhM1FxGPw8yVnhtlSnVlchC9CsRWgS/P5JMnS3CDWEn11jLPAPIMOQC2ZH==", "Y3q+I9t+8D3XVWT2sZZhT9X95sv+dhM1FxGPw8yVnhtlSnVlchC9CsRWgS/P5JMnS3CDWEn11jLPAPIMOQC2ZH=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "H39mtHodICu2ht/sknQOSsWs3OXfrcprxxuBwHSA5oUz105jsmvBGmtCwGmSeY0+/NpuibXg14NeAPIMCmx1z=="],
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
            (r#"level=info msg="auth ok" key=TNd5rFGSgvKtxF2YhOzFAX+lKisVl5wCZ+ASbeUH9JX="#, "TNd5rFGSgvKtxF2YhOzFAX+lKisVl5wCZ+ASbeUH9JX="),
            ("docker run -e AZURE_SERVICE_BUS_IDENTIFIABLE_KEY=eB/1nCGk5LQYhHEUdFN4Ka/xzK/6CIkjZ+ASbg6qghg= app:latest", "eB/1nCGk5LQYhHEUdFN4Ka/xzK/6CIkjZ+ASbg6qghg="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "nmEXQROozoIWyZPyNpj2WKfFRvOPWsITm+ASba20js="],
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
            ("2024-06-11T08:14:52Z DEBUG azure client configured token=Dn3G9a+Rsqhmujg1pB1GYZGdXgGBr0T+C+AEhqcYHR7=", "Dn3G9a+Rsqhmujg1pB1GYZGdXgGBr0T+C+AEhqcYHR7="),
            ("docker run -e AZURE_EVENT_HUBS_IDENTIFIABLE_KEY=M/AiX97h/1cNI7iy7uy28cFpEkHlOxMyq+AEhU0MyZd= app:latest", "M/AiX97h/1cNI7iy7uy28cFpEkHlOxMyq+AEhU0MyZd="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "rBAI7gMPvZE8IB1e7cGwM/EbMjPaMF79m+AEhKgPkp="],
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
            ("Authorization: Bearer cAv/gD0qwcZaPSEfmeHkiWLYhkMrbK7hQ+ARmXJR2bP=", "cAv/gD0qwcZaPSEfmeHkiWLYhkMrbK7hQ+ARmXJR2bP="),
            ("env AZURE_RELAY_IDENTIFIABLE_KEY=J1YlZeSqtys37FxoGWucKtrgUJfYZM2wQ+ARmiD2/de= ./deploy.sh", "J1YlZeSqtys37FxoGWucKtrgUJfYZM2wQ+ARmiD2/de="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "RKZMXXiMFO1ahUML0VHYzazV76mQULxRA+ARmoKPaS="],
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
            ("env AZURE_IOT_IDENTIFIABLE_KEY=znJ13Q2I8bJ5Uoad4pqd2O22ir0eZicGNAIoTZL+R8U= ./deploy.sh", "znJ13Q2I8bJ5Uoad4pqd2O22ir0eZicGNAIoTZL+R8U="),
            (r#"{"azure_iot_identifiable_key": "QKKvjJDdNDYpY+d/u2h3cdEtCHOO2vffJAIoT/My8Zm=", "region": "eu-west-1"}"#, "QKKvjJDdNDYpY+d/u2h3cdEtCHOO2vffJAIoT/My8Zm="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "aiIBBd03Fa6iDw2TVMmgEH2ezXnun9sWWAIoTPlb6d="],
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
            (r#"AZURE_EVENT_GRID_IDENTIFIABLE_KEY="CDOl2mK6YDPVSO3ZJBglULhfTxDizTDhbAZEGae0oHl=""#, "CDOl2mK6YDPVSO3ZJBglULhfTxDizTDhbAZEGae0oHl="),
            (r#"{"azure_event_grid_identifiable_key": "nG0q2Alj3ExMRmwh8QCovH0gez3m/lFoSAZEGrt9BB4=", "region": "eu-west-1"}"#, "nG0q2Alj3ExMRmwh8QCovH0gez3m/lFoSAZEGrt9BB4="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "1bUF46mJc+IbF/PSojuU00nhhqJb0RU3KAZEGHdNS9="],
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
            (r#"azure_redis_identifiable_key = "LEtxXk31AHYHZLIZxOXZKcq6bWGHX9qTJAzCaBpnEPI=""#, "LEtxXk31AHYHZLIZxOXZKcq6bWGHX9qTJAzCaBpnEPI="),
            (r#"{"azure_redis_identifiable_key": "hp7EWr3P50FnAXmNteuuWZf6q74Oz2ogxAzCaIAmNrN=", "region": "eu-west-1"}"#, "hp7EWr3P50FnAXmNteuuWZf6q74Oz2ogxAzCaIAmNrN="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "Efm5tguaEIMyDMj5r9CSDkxPZG50Uck3UAzCa6gOet="],
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
            ("2024-06-11T08:14:52Z DEBUG azure client configured token=G9u6ByFsczumFlV00aJNeGuDN2kqzdH5sRgM-mfltu3yAzFukKaX0AQ==", "G9u6ByFsczumFlV00aJNeGuDN2kqzdH5sRgM-mfltu3yAzFukKaX0AQ=="),
            ("  azure_functions_identifiable_key: AkXNVzvTTUpdFbe-4j3p4CoO8BqN_wkGvnZqdpYCRLJdAzFu55qZwAQ==", "AkXNVzvTTUpdFbe-4j3p4CoO8BqN_wkGvnZqdpYCRLJdAzFu55qZwAQ=="),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "RMqcrNqBHeOmca74vdc6r-lfJfGq2RwpZ2zDrmtPbGkwAzFuzAAKAQ=="],
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
            (r#"level=info msg="auth ok" key=ZFqRfF3yAfebLAnlQ8EetbuZVzOUmMHjx7O3O1LNyXAzSeOfEo3M"#, "ZFqRfF3yAfebLAnlQ8EetbuZVzOUmMHjx7O3O1LNyXAzSeOfEo3M"),
            (r#"{"azure_search_identifiable_key": "f4qgDg65sINFG5C8QPJKYUAWKGq0obQh7m8vFeZfptAzSe5UU3Kp", "region": "eu-west-1"}"#, "f4qgDg65sINFG5C8QPJKYUAWKGq0obQh7m8vFeZfptAzSe5UU3Kp"),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "j9O4vBPJ69Lhn63bm6ScZ6fUql1qapL5xX10LmVsihAzSeh8oWF"],
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
            ("env AZURE_CONTAINER_REGISTRY_KEY=ZaE6X0W4pzx3UzX0C+vMtVsLQC6I7aRn8aq/+11Jcf+ACRhY6Y01 ./deploy.sh", "ZaE6X0W4pzx3UzX0C+vMtVsLQC6I7aRn8aq/+11Jcf+ACRhY6Y01"),
            (r#"{"azure_container_registry_key": "as4dKJlsvPo2+Yg+bcyNYha98QSBNzxCqRTnnOWZLw+ACR9OSN3W", "region": "eu-west-1"}"#, "as4dKJlsvPo2+Yg+bcyNYha98QSBNzxCqRTnnOWZLw+ACR9OSN3W"),
        ],
        counterexamples: &["xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like 1234567890", "0dKunz4EbpIZcwY3X1escrkLI79etXw7Ff6f+vZUnT+ACR0MApi"],
        ..PREFIXED
    },
    Builtin {
        id: "azure_apim_subscription_key",
        provider: "azure",
        description: "Azure API Management / Cognitive Services subscription key (32 hex) in an Ocp-Apim-Subscription-Key header or parameter",
        keywords: &["ocp-apim"],
        pattern: concat!(r"(?-u)(?i:ocp-apim)[A-Za-z0-9_.-]{0,24}?(?i:subscription-key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{32})", end_url!()),
        examples: &[
            (r#"export Ocp-Apim-Subscription-Key="a02e4c98d425837683f174a376c9d0cc""#, "a02e4c98d425837683f174a376c9d0cc"),
            ("  ocp-apim-subscription-key: 9f5830efbdb4bc3451b503b36b1984c5", "9f5830efbdb4bc3451b503b36b1984c5"),
        ],
        counterexamples: &["Ocp-Apim-Subscription-Key=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "Ocp-Apim-Subscription-Key=<your-azure-key>", "Ocp-Apim-Subscription-Key=eddfcb2728474ccfef8a3ebb5fcdfb5"],
        ..NAMED
    },
    Builtin {
        id: "huawei_access_key",
        provider: "huawei",
        description: "Huawei Cloud access key id (20 upper-case alphanumerics) or secret (40) beside a Huawei key name",
        keywords: &["huawei"],
        pattern: concat!(r"(?-u)(?i:huawei)[A-Za-z0-9_.-]{0,24}?(?i:ak|sk|key|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{20})", end_url!()),
        examples: &[
            (r#"{"HUAWEICLOUD_SDK_AK":"WOBM3YQF2K5KO195NLZI"}"#, "WOBM3YQF2K5KO195NLZI"),
            ("huawei_access_key=HQNSRSL10EFKS73J3BZH", "HQNSRSL10EFKS73J3BZH"),
        ],
        counterexamples: &["HUAWEICLOUD_SDK_AK=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HUAWEICLOUD_SDK_AK=<your-huawei-key>", "HUAWEICLOUD_SDK_AK=UXKPI7V2A0RQF9WPTZB"],
        ..NAMED
    },
    Builtin {
        id: "huawei_secret_key",
        provider: "huawei",
        description: "Huawei Cloud secret access key (40) beside a Huawei key name",
        keywords: &["huawei"],
        pattern: concat!(r"(?-u)(?i:huawei)[A-Za-z0-9_.-]{0,24}?(?i:sk|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("HUAWEICLOUD_SDK_SK = JqiHBYqAtHAsAbgbCi6R1ukWRCJXKDEhQ4UtYOwz", "JqiHBYqAtHAsAbgbCi6R1ukWRCJXKDEhQ4UtYOwz"),
            (r#"huawei_secret_key: "EIfuglbyTOQinMKY3nKIDtDKXUxkUGVYhm7SQPYd""#, "EIfuglbyTOQinMKY3nKIDtDKXUxkUGVYhm7SQPYd"),
        ],
        counterexamples: &["HUAWEICLOUD_SDK_SK=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HUAWEICLOUD_SDK_SK=<your-huawei-key>", "HUAWEICLOUD_SDK_SK=NcMoDoYnYt7AomrTBMV3coYz9bFQPcuz8RFiCpm"],
        ..NAMED
    },
    Builtin {
        id: "yandex_api_key",
        provider: "yandex",
        description: "Yandex Cloud API key (AQVN + 35 to 38)",
        keywords: &["AQVN"],
        pattern: prefixed!(r"AQVN", r"[A-Za-z0-9_-]{35,38}"),
        examples: &[
            (r#"level=info msg="auth ok" key=AQVNZMBpfRWnDgsarSIazVvj2MOoeKVnhF5PEw2k8"#, "AQVNZMBpfRWnDgsarSIazVvj2MOoeKVnhF5PEw2k8"),
            ("  yandex_api_key: AQVNT0K2DvSuyK-zqb9LltTaqXH92XZmc59FS9D", "AQVNT0K2DvSuyK-zqb9LltTaqXH92XZmc59FS9D"),
        ],
        counterexamples: &["AQVNxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like AQVN1234567890", "AQVNwHeHdZ3Bkfl4TJcuXYeommYmi2NpvuqhID"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_static_key_secret",
        provider: "yandex",
        description: "Yandex Cloud static access key secret (YC + 38)",
        keywords: &["YCAJ", "YCAK", "YCM", "YCO"],
        pattern: prefixed!(r"(?:YCAJ|YCAK|YCM|YCO)", r"[A-Za-z0-9_-]{36,38}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer YCAJhIWVDhHiJXVySz-OqG_rYZ9E3JzHd5xMBpgz' https://api.example.net/v1/me", "YCAJhIWVDhHiJXVySz-OqG_rYZ9E3JzHd5xMBpgz"),
            (r#"{"yandex_static_key_secret": "YCOOvwklHOnSC5tSk5gOo8AlNsRFIiGyaNudzV1By", "region": "eu-west-1"}"#, "YCOOvwklHOnSC5tSk5gOo8AlNsRFIiGyaNudzV1By"),
        ],
        counterexamples: &["YCAJxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like YCAJ1234567890", "YCAJjkhDv5_RqsJdQgsnK7oGSOFc0Vr7Mu9d68i"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_iam_token",
        provider: "yandex",
        description: "Yandex Cloud IAM token (t1.9eu + payload + . + 86 signature)",
        keywords: &["t1.9eu"],
        pattern: prefixed!(r"t1\.9eu", r"[A-Za-z0-9_-]{40,200}\.[A-Za-z0-9_-]{86}"),
        examples: &[
            ("docker run -e YANDEX_IAM_TOKEN=t1.9euqCMFGAtsI9ElmELOD_KeowfGpFXj9nBWB8pQsqDr26v.eXj8T5zp0P4k-2jfJdGQ0w-kH0aVxmc-Aa26vGuWtssUNOwWmXi0CkniDTfX0P0s82SWtWaDAWPsqyXDMLcrOq app:latest", "t1.9euqCMFGAtsI9ElmELOD_KeowfGpFXj9nBWB8pQsqDr26v.eXj8T5zp0P4k-2jfJdGQ0w-kH0aVxmc-Aa26vGuWtssUNOwWmXi0CkniDTfX0P0s82SWtWaDAWPsqyXDMLcrOq"),
            (r#"yandex_iam_token = "t1.9eulabvYGyfIxK6AJ8ApsVov8P9mgItutZw3jy_msJPo2r2PNlB.rppbC_gY_c7jjkLwPRvBz4Vnm9nMdKsVq0kgfnLtzRwKwaICrDhnpgKU5e1uv4zTH5nPaHekldcTarYa-s9tJY""#, "t1.9eulabvYGyfIxK6AJ8ApsVov8P9mgItutZw3jy_msJPo2r2PNlB.rppbC_gY_c7jjkLwPRvBz4Vnm9nMdKsVq0kgfnLtzRwKwaICrDhnpgKU5e1uv4zTH5nPaHekldcTarYa-s9tJY"),
        ],
        counterexamples: &["t1.9euxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like t1.9eu1234567890", "t1.9euqOCqUFYIayPHlfqQlEqYHVYZnhnuT91F9-PCmVXY5Wh.LQsOYYlzGP3zr90NqLefe_kuCgBzw_vO2xzEZeREJDzWWIuBY1Eiacxixv4B1g6pclhzQ4g71Tkwq0NCnwjA4"],
        ..PREFIXED
    },
    Builtin {
        id: "yandex_oauth_token",
        provider: "yandex",
        description: "Yandex OAuth token (y0_ to y3_ + 55 to 60)",
        keywords: &["y0_", "y1_", "y2_", "y3_"],
        pattern: prefixed!(r"(?:y0_|y1_|y2_|y3_)", r"[A-Za-z0-9_-]{55,60}"),
        examples: &[
            ("export YANDEX_OAUTH_TOKEN=y0_oolqA7ZvvJ0QVI0rH3cC9R9p5hBI_B9tILvyJ2jhAWJ_EkwvwHxlZcM", "y0_oolqA7ZvvJ0QVI0rH3cC9R9p5hBI_B9tILvyJ2jhAWJ_EkwvwHxlZcM"),
            ("  yandex_oauth_token: y3_BFtzJYExslNC08E7dWWnMMCzV50iIIIgd3PHEMILMga6u7kmYzKx8k2guSLK", "y3_BFtzJYExslNC08E7dWWnMMCzV50iIIIgd3PHEMILMga6u7kmYzKx8k2guSLK"),
        ],
        counterexamples: &["y0_xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like y0_1234567890", "y0_OUz_UPHxrYTEvRhpJGiJcvyhZJf-2ZW8NN_DXuhIwAXWCI4kMsEIqa"],
        ..PREFIXED
    },
    Builtin {
        id: "ibm_cloud_api_key",
        provider: "ibm",
        description: "IBM Cloud API key (44) beside an IBM key name",
        keywords: &["ibm"],
        pattern: concat!(r"(?-u)(?i:ibm)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{44})", end_url!()),
        examples: &[
            (r#"{"IBMCLOUD_API_KEY":"53OND139LUbLM-_MWUioGXxd4ja3M7_wJXeYHzel31ZV"}"#, "53OND139LUbLM-_MWUioGXxd4ja3M7_wJXeYHzel31ZV"),
            ("ibm_cloud_apikey=vHzBN0QJXfNAs5ezNr_qKw1ENDw-_IljsW16NjOqX3co", "vHzBN0QJXfNAs5ezNr_qKw1ENDw-_IljsW16NjOqX3co"),
        ],
        counterexamples: &["IBMCLOUD_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IBMCLOUD_API_KEY=<your-ibm-key>", "IBMCLOUD_API_KEY=WTCK3ZQLPBmUlBmGYARvSCiOI1CHYNIKGDwshFATSRj"],
        ..NAMED
    },
    Builtin {
        id: "ibm_cos_hmac_secret",
        provider: "ibm",
        description: "IBM Cloud Object Storage HMAC secret (48 hex) beside an IBM COS key name",
        keywords: &["ibm"],
        pattern: concat!(r"(?-u)(?i:ibm)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{48})", end_url!()),
        examples: &[
            ("IBM_COS_SECRET_ACCESS_KEY = 889d502f412d9b50fcb29d01a2441bab9eae4baa53f94ce7", "889d502f412d9b50fcb29d01a2441bab9eae4baa53f94ce7"),
            (r#"ibm_cos_secret: "727d26307cf118bd4c7f209fdcd01fa59d07817d4a4394ac""#, "727d26307cf118bd4c7f209fdcd01fa59d07817d4a4394ac"),
        ],
        counterexamples: &["IBM_COS_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IBM_COS_SECRET_ACCESS_KEY=<your-ibm-key>", "IBM_COS_SECRET_ACCESS_KEY=aec88fe67bc8ceefba795a04dfd8baf1b798964f964511b"],
        ..NAMED
    },
    Builtin {
        id: "oracle_oci_auth_token",
        provider: "oracle",
        description: "Oracle Cloud (OCI) auth token beside an Oracle or OCI key name",
        keywords: &["oracle"],
        pattern: concat!(r"(?-u)(?i:oracle)[A-Za-z0-9_.-]{0,24}?(?i:token|password|secret|key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{20})", end_url!()),
        examples: &[
            ("  ORACLE_AUTH_TOKEN: DkZgIuadoRSl2pC0E6bU", "DkZgIuadoRSl2pC0E6bU"),
            (r#"export oracle_cloud_password="XZYJ5jh5Vfeln2hDF8Bu""#, "XZYJ5jh5Vfeln2hDF8Bu"),
        ],
        counterexamples: &["ORACLE_AUTH_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ORACLE_AUTH_TOKEN=<your-oracle-key>", "ORACLE_AUTH_TOKEN=-jBtw2Akv0vl4SjlSyO"],
        ..NAMED
    },
    Builtin {
        id: "linode_token",
        provider: "linode",
        description: "Linode / Akamai Cloud personal access token (64 hex) beside a Linode key name",
        keywords: &["linode"],
        pattern: concat!(r"(?-u)(?i:linode)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            ("LINODE_TOKEN=65954794b31b4c12b98447b4edd70862c2bd8c6f7d80188b00e01be2af52685f", "65954794b31b4c12b98447b4edd70862c2bd8c6f7d80188b00e01be2af52685f"),
            (r#"{"linode_api_token":"a485781089f8b03735cd8eee1c1435dcceb47cb1d26881a0bf87f00df0f2102b"}"#, "a485781089f8b03735cd8eee1c1435dcceb47cb1d26881a0bf87f00df0f2102b"),
        ],
        counterexamples: &["LINODE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "LINODE_TOKEN=<your-linode-key>", "LINODE_TOKEN=a388d12a1fd29e119c8245680da0644c26fc76e9eb55961acb36273539f04e2"],
        ..NAMED
    },
    Builtin {
        id: "scaleway_access_key",
        provider: "scaleway",
        description: "Scaleway access key id (SCW + 17 upper-case alphanumerics)",
        keywords: &["SCW"],
        pattern: prefixed!(r"SCW", r"[A-Z0-9]{17}"),
        examples: &[
            ("curl -s -H 'Authorization: Bearer SCWNNT0S0TX9U3X1RCAC' https://api.example.net/v1/me", "SCWNNT0S0TX9U3X1RCAC"),
            ("env SCALEWAY_ACCESS_KEY=SCW5XK55L5BL9PS90EPQ ./deploy.sh", "SCW5XK55L5BL9PS90EPQ"),
        ],
        counterexamples: &["SCWxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like SCW1234567890", "SCWN5T8NGKAMZANQYO1"],
        ..PREFIXED
    },
    Builtin {
        id: "scaleway_secret_key",
        provider: "scaleway",
        description: "Scaleway secret key (UUID) beside a Scaleway key name",
        keywords: &["scw", "scaleway"],
        pattern: concat!(r"(?-u)(?i:scw|scaleway)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})", end_url!()),
        examples: &[
            (r#"export SCW_SECRET_KEY="32d3754d-af2c-410b-922d-5e463329439d""#, "32d3754d-af2c-410b-922d-5e463329439d"),
            ("  scaleway_secret: 57f191e8-5ecf-e902-1ba4-ed52dc3719b5", "57f191e8-5ecf-e902-1ba4-ed52dc3719b5"),
        ],
        counterexamples: &["SCW_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SCW_SECRET_KEY=<your-scaleway-key>", "SCW_SECRET_KEY=e7637ab7-3fbd-1130-d3c8-1ef317be618"],
        ..NAMED
    },
    Builtin {
        id: "hetzner_token",
        provider: "hetzner",
        description: "Hetzner Cloud API token (64 alphanumerics) beside an hcloud or Hetzner key name",
        keywords: &["hcloud", "hetzner"],
        pattern: concat!(r"(?-u)(?i:hcloud|hetzner)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{64})", end_url!()),
        examples: &[
            (r#"{"HCLOUD_TOKEN":"LGKSjL8rJkRS2RXBbKcboi23sISvaXaExaWEP3wKbrA6KOZEge8IwkRYn3OtcKwA"}"#, "LGKSjL8rJkRS2RXBbKcboi23sISvaXaExaWEP3wKbrA6KOZEge8IwkRYn3OtcKwA"),
            ("hetzner_api_token=tMPM8CFDvPkSUlww4uaM2i4lxORdm75d7z7TVxHw139urnpDjZo1KKkllvBdjnUC", "tMPM8CFDvPkSUlww4uaM2i4lxORdm75d7z7TVxHw139urnpDjZo1KKkllvBdjnUC"),
        ],
        counterexamples: &["HCLOUD_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "HCLOUD_TOKEN=<your-hetzner-key>", "HCLOUD_TOKEN=hC08n4ahuPE9NYq6SO2alTHLXrmN9uxBhaemhmBbfPTzDgs9Rl7YKbBqN9kZTR5"],
        ..NAMED
    },
    Builtin {
        id: "vultr_api_key",
        provider: "vultr",
        description: "Vultr API key (36 upper-case alphanumerics) beside a Vultr key name",
        keywords: &["vultr"],
        pattern: concat!(r"(?-u)(?i:vultr)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Z0-9]{36})", end_url!()),
        examples: &[
            ("VULTR_API_KEY = UYH8G957KSTTZMBGX29MGWL9VF4BGRARUZFO", "UYH8G957KSTTZMBGX29MGWL9VF4BGRARUZFO"),
            (r#"vultr_key: "T5YTI4D4GCBB3RTTV0WXSUTZGHTFWLKG6GGF""#, "T5YTI4D4GCBB3RTTV0WXSUTZGHTFWLKG6GGF"),
        ],
        counterexamples: &["VULTR_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "VULTR_API_KEY=<your-vultr-key>", "VULTR_API_KEY=OOJ720N8HN21NAVT8WUZ0ZHVTBQJ12I6LGL"],
        ..NAMED
    },
    Builtin {
        id: "ovh_secret",
        provider: "ovh",
        description: "OVHcloud application secret / consumer key (32) beside an OVH key name",
        keywords: &["ovh"],
        pattern: concat!(r"(?-u)(?i:ovh)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{32})", end_url!()),
        examples: &[
            ("  OVH_APPLICATION_SECRET: EecvaFxiRjicm7Z3fQqqtbo8aWMolBYD", "EecvaFxiRjicm7Z3fQqqtbo8aWMolBYD"),
            (r#"export ovh_consumer_key="B324D6pWfm6WyRNW0OIRsoLi4ofFxPXq""#, "B324D6pWfm6WyRNW0OIRsoLi4ofFxPXq"),
        ],
        counterexamples: &["OVH_APPLICATION_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "OVH_APPLICATION_SECRET=<your-ovh-key>", "OVH_APPLICATION_SECRET=9qHsAqSML2KT6dJ5LblNUYTUlVhaZ40"],
        ..NAMED
    },
    Builtin {
        id: "exoscale_access_key",
        provider: "exoscale",
        description: "Exoscale API key (EXO + 24 hex)",
        keywords: &["EXO"],
        pattern: prefixed!(r"EXO", r"[a-f0-9]{24}"),
        examples: &[
            (r#"{"exoscale_access_key": "EXO45d3ae3f689acf61f06eb751", "region": "eu-west-1"}"#, "EXO45d3ae3f689acf61f06eb751"),
            ("  exoscale_access_key: EXOf6867b58f3ddc8dfde3fd6d6", "EXOf6867b58f3ddc8dfde3fd6d6"),
        ],
        counterexamples: &["EXOxxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like EXO1234567890", "EXObae7b1ed319d5d7fda1f4bb"],
        ..PREFIXED
    },
    Builtin {
        id: "exoscale_secret",
        provider: "exoscale",
        description: "Exoscale API secret (43) beside an Exoscale key name",
        keywords: &["exoscale"],
        pattern: concat!(r"(?-u)(?i:exoscale)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{43})", end_url!()),
        examples: &[
            (r#"EXOSCALE_API_SECRET: "mowH3P20V0rfHDX0FuNN5lOUkBn9hLkqR973fREPLRi""#, "mowH3P20V0rfHDX0FuNN5lOUkBn9hLkqR973fREPLRi"),
            ("exoscale_secret = FsZrEy3mliC4KKUT-iURl5FYoxXqyk_BIwaOkCKY3BL", "FsZrEy3mliC4KKUT-iURl5FYoxXqyk_BIwaOkCKY3BL"),
        ],
        counterexamples: &["EXOSCALE_API_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "EXOSCALE_API_SECRET=<your-exoscale-key>", "EXOSCALE_API_SECRET=9rrkzaVKn_yCe6VofKFb_VEPmIMOxZFUc7UpnP5nNe"],
        ..NAMED
    },
    Builtin {
        id: "civo_token",
        provider: "civo",
        description: "Civo API key (50 alphanumerics) beside a Civo key name",
        keywords: &["civo"],
        pattern: concat!(r"(?-u)(?i:civo)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{50})", end_url!()),
        examples: &[
            (r#"export CIVO_TOKEN="Ithw9jkMGUNuXfAGkNXG99D8lSvuMXmgemlSEDW72fRpUCIuHm""#, "Ithw9jkMGUNuXfAGkNXG99D8lSvuMXmgemlSEDW72fRpUCIuHm"),
            ("  civo_api_key: UYeiVUbmZjp5rqWLS6x0jK9UlHSqkma29TEkqcCQDfSfmreJOg", "UYeiVUbmZjp5rqWLS6x0jK9UlHSqkma29TEkqcCQDfSfmreJOg"),
        ],
        counterexamples: &["CIVO_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CIVO_TOKEN=<your-civo-key>", "CIVO_TOKEN=t2kA9MHWjpjNQzgk5aro6lvzeZED4JXdPU6Kqul2RDkc2MRx4"],
        ..NAMED
    },
    Builtin {
        id: "upcloud_password",
        provider: "upcloud",
        description: "UpCloud API password / token beside an UpCloud key name",
        keywords: &["upcloud"],
        pattern: concat!(r"(?-u)(?i:upcloud)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{24,64})", end_url!()),
        examples: &[
            (r#"{"UPCLOUD_PASSWORD":"q00vUJJjPAE4AWJW5EHfim2s"}"#, "q00vUJJjPAE4AWJW5EHfim2s"),
            ("upcloud_token=B9253Ija144NTtm23UEUC2WaadP", "B9253Ija144NTtm23UEUC2WaadP"),
        ],
        counterexamples: &["UPCLOUD_PASSWORD=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "UPCLOUD_PASSWORD=<your-upcloud-key>", "UPCLOUD_PASSWORD=vcHBtWS93hEuwz9V0fDeweP"],
        ..NAMED
    },
    Builtin {
        id: "backblaze_application_key",
        provider: "backblaze",
        description: "Backblaze B2 application key (K + 3 digits + 27) beside a B2 key name",
        keywords: &["b2_app", "backblaze"],
        pattern: concat!(r"(?-u)(?i:b2_|backblaze)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>K[0-9]{3}[A-Za-z0-9+/]{27})", end_b64!()),
        examples: &[
            ("B2_APPLICATION_KEY = K362FIH7CMsfbosPau+WOKLtIXAk818", "K362FIH7CMsfbosPau+WOKLtIXAk818"),
            (r#"backblaze_key: "K335dJmr7lSYaAHcKlOiKTC4x1gC7du""#, "K335dJmr7lSYaAHcKlOiKTC4x1gC7du"),
        ],
        counterexamples: &["B2_APPLICATION_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "B2_APPLICATION_KEY=<your-backblaze-key>", "B2_APPLICATION_KEY=K820PyQ1L9V4P3UcERsTTfb60NiSBD"],
        ..NAMED
    },
    Builtin {
        id: "wasabi_secret_key",
        provider: "wasabi",
        description: "Wasabi secret access key (40) beside a Wasabi key name",
        keywords: &["wasabi"],
        pattern: concat!(r"(?-u)(?i:wasabi)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9]{40})", end_url!()),
        examples: &[
            ("  WASABI_SECRET_KEY: BeqtTaV2MOmmYpH8SYltwbKHnYmldxqS4i6Ka5hr", "BeqtTaV2MOmmYpH8SYltwbKHnYmldxqS4i6Ka5hr"),
            (r#"export wasabi_secret="uZIKx8WPtukzeeYBNgf3tIFxakqMFuB2AyFqhXZQ""#, "uZIKx8WPtukzeeYBNgf3tIFxakqMFuB2AyFqhXZQ"),
        ],
        counterexamples: &["WASABI_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "WASABI_SECRET_KEY=<your-wasabi-key>", "WASABI_SECRET_KEY=HDXowYtI1bMnePTle69HRXGhe6epQhiE4eDxrQF"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_global_api_key",
        provider: "cloudflare",
        description: "Cloudflare global API key (37 hex) beside a Cloudflare key name",
        keywords: &["cloudflare", "cf_api", "cf-api", "cf_auth", "x-auth-key"],
        pattern: concat!(r"(?-u)(?i:cloudflare|cf)[A-Za-z0-9_.-]{0,24}?(?i:api[_-]?key|auth[_-]?key)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{37})", end_url!()),
        examples: &[
            ("CLOUDFLARE_API_KEY=f68860f13582c0523deab2977815f8fcb6cae", "f68860f13582c0523deab2977815f8fcb6cae"),
            (r#"{"CF_API_KEY":"96aaa6c94a3792011b9d91df5e51e77f79363"}"#, "96aaa6c94a3792011b9d91df5e51e77f79363"),
        ],
        counterexamples: &["CLOUDFLARE_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "CLOUDFLARE_API_KEY=<your-cloudflare-key>", "CLOUDFLARE_API_KEY=0287d87c4c9bd57484253417e4bb56a09700"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_r2_secret",
        provider: "cloudflare",
        description: "Cloudflare R2 secret access key (64 hex) beside an R2 key name",
        keywords: &["r2_secret", "r2-secret"],
        pattern: concat!(r"(?-u)(?i:r2)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{64})", end_url!()),
        examples: &[
            (r#"R2_SECRET_ACCESS_KEY: "ba883a72070bc304ba222f69f6a8322ff56d65903119f6bb1d5343e275c2a16f""#, "ba883a72070bc304ba222f69f6a8322ff56d65903119f6bb1d5343e275c2a16f"),
            ("r2_secret_key = 23f14d265bde619f45ee7ca180471cd226bd5f03820814c27e283561dc7abcf0", "23f14d265bde619f45ee7ca180471cd226bd5f03820814c27e283561dc7abcf0"),
        ],
        counterexamples: &["R2_SECRET_ACCESS_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "R2_SECRET_ACCESS_KEY=<your-cloudflare-key>", "R2_SECRET_ACCESS_KEY=3c9a6f1875d23186643de255c85277e32b6371d114ac1be09024ed342e1dca5"],
        ..NAMED
    },
    Builtin {
        id: "cloudflare_tunnel_token",
        provider: "cloudflare",
        description: "Cloudflare Tunnel token (base64 JSON starting {\"a\":)",
        keywords: &["eyJhIjoi"],
        pattern: concat!(r#"(?-u)(?P<token>eyJhIjoi(?P<secret>[A-Za-z0-9+/]{80,300}))"#, end_b64!()),
        examples: &[
            ("docker run -e CLOUDFLARE_TUNNEL_TOKEN=eyJhIjoiTqNNe4JMnf9o3CJzUMfo3zoqY3OxST7KsMIicJykL1wHvbckNVZ+i8N/C3W1SCQ/BR/VR9ZWz1cRCHpYKrg app:latest", "eyJhIjoiTqNNe4JMnf9o3CJzUMfo3zoqY3OxST7KsMIicJykL1wHvbckNVZ+i8N/C3W1SCQ/BR/VR9ZWz1cRCHpYKrg"),
            (r#"level=info msg="auth ok" key=eyJhIjoiFq3gOAGcsqeYPJ+7oxuVaoGW9OcFB2PEnznVkIVl3DOpZQhQX6yIue/Ka/72PXwnpAAjCgNqFiKPCuC5iteYcou5/7F"#, "eyJhIjoiFq3gOAGcsqeYPJ+7oxuVaoGW9OcFB2PEnznVkIVl3DOpZQhQX6yIue/Ka/72PXwnpAAjCgNqFiKPCuC5iteYcou5/7F"),
        ],
        counterexamples: &["eyJhIjoixxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like eyJhIjoi1234567890", "eyJhIjoiXGRvTjTv6w8ZaY3Th9YH4800Jwcog2/63H9eOgAcpbVcqWoETA++GVsYTxvfAekbxHDIiMoXUEEwMZO"],
        ..PREFIXED
    },
    Builtin {
        id: "akamai_client_token",
        provider: "akamai",
        description: "Akamai EdgeGrid client token / access token (akab- + 16 + - + 16)",
        keywords: &["akab-"],
        pattern: prefixed!(r"akab-", r"[a-z0-9]{16}-[a-z0-9]{16}"),
        examples: &[
            (r#"level=info msg="auth ok" key=akab-pgzfii5gjt7amfyy-7o7xj2m95h0jfi4h"#, "akab-pgzfii5gjt7amfyy-7o7xj2m95h0jfi4h"),
            ("export AKAMAI_CLIENT_TOKEN=akab-hyxyjalxuf0yqgh6-p0f9f3pgc0omkss6", "akab-hyxyjalxuf0yqgh6-p0f9f3pgc0omkss6"),
        ],
        counterexamples: &["akab-xxxxxxxxxxxxxxxxxxxxxxxx", "see the docs: keys look like akab-1234567890", "akab-8oqeohn46u14jf88-dmnqq01t31hs264"],
        ..PREFIXED
    },
    Builtin {
        id: "akamai_client_secret",
        provider: "akamai",
        description: "Akamai EdgeGrid client secret (44 base64) beside an Akamai / EdgeGrid key name",
        keywords: &["akamai"],
        pattern: concat!(r"(?-u)(?i:akamai)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{43}=)", end_b64!()),
        examples: &[
            ("AKAMAI_CLIENT_SECRET = yJyUCJgOZbq9WEWBuwWrX101IsW/jkOH8+FVdi2KF5w=", "yJyUCJgOZbq9WEWBuwWrX101IsW/jkOH8+FVdi2KF5w="),
            (r#"akamai_client_secret: "FkvOMRHj4Vcrmh1MFYs87UXtQsl538lRuVGQHiUkjka=""#, "FkvOMRHj4Vcrmh1MFYs87UXtQsl538lRuVGQHiUkjka="),
        ],
        counterexamples: &["AKAMAI_CLIENT_SECRET=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "AKAMAI_CLIENT_SECRET=<your-akamai-key>", "AKAMAI_CLIENT_SECRET=2y4oGnScGP/tHspyqjvL9ozMBQvit0h9RR7ZUQV9xe="],
        ..NAMED
    },
    Builtin {
        id: "fastly_api_token",
        provider: "fastly",
        description: "Fastly API token (32) beside a Fastly key name",
        keywords: &["fastly"],
        pattern: concat!(r"(?-u)(?i:fastly)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9_-]{32})", end_url!()),
        examples: &[
            ("  FASTLY_API_TOKEN: TT-6A7yoReU5ASySD0PV3Pq8JkfY4SDi", "TT-6A7yoReU5ASySD0PV3Pq8JkfY4SDi"),
            (r#"export fastly_key="eyi1LuYNIy4xVEBqIuJF9fbeI1IkHdYI""#, "eyi1LuYNIy4xVEBqIuJF9fbeI1IkHdYI"),
        ],
        counterexamples: &["FASTLY_API_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "FASTLY_API_TOKEN=<your-fastly-key>", "FASTLY_API_TOKEN=6WlQ--p4FJLC7ft9N1-vqZxVgLGZtGO"],
        ..NAMED
    },
    Builtin {
        id: "bunny_api_key",
        provider: "bunny",
        description: "bunny.net API / storage key beside a Bunny key name",
        keywords: &["bunny"],
        pattern: concat!(r"(?-u)(?i:bunny)[A-Za-z0-9_.-]{0,24}?(?i:key|token|secret|password|pat|auth)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}-[a-f0-9]{4}[a-f0-9]{8})", end_url!()),
        examples: &[
            ("BUNNY_API_KEY=8b591ff2-4929-cfe0-8f39-269203e0280f-57f3b08d073d", "8b591ff2-4929-cfe0-8f39-269203e0280f-57f3b08d073d"),
            (r#"{"bunnycdn_access_key":"e8d9e51a-73b0-d2e0-f2ad-382ef22c32bf-e6471411b8a9"}"#, "e8d9e51a-73b0-d2e0-f2ad-382ef22c32bf-e6471411b8a9"),
        ],
        counterexamples: &["BUNNY_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "BUNNY_API_KEY=<your-bunny-key>", "BUNNY_API_KEY=3c230972-6170-2689-909c-5f43a93abac8-be887e16799"],
        ..NAMED
    },
    Builtin {
        id: "cloudinary_url",
        provider: "cloudinary",
        description: "Cloudinary URL with its API key and secret (cloudinary://<15 digits>:<27>@cloud)",
        keywords: &["cloudinary://"],
        pattern: concat!(r"(?-u)cloudinary://(?P<secret>[0-9]{15}:[A-Za-z0-9_-]{27})@"),
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
            (r#"export IMGIX_API_KEY="UwT3QpsrY552BftWDytJsT1uMOU""#, "UwT3QpsrY552BftWDytJsT1uMOU"),
            ("  imgix_secure_token: nLh7CDdmLZ1UK1ZCCP4vmEIA3I", "nLh7CDdmLZ1UK1ZCCP4vmEIA3I"),
        ],
        counterexamples: &["IMGIX_API_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "IMGIX_API_KEY=<your-imgix-key>", "IMGIX_API_KEY=0kx9Mj10Q21djoj"],
        ..NAMED
    },
    Builtin {
        id: "digitalocean_spaces_secret",
        provider: "digitalocean",
        description: "DigitalOcean Spaces secret key (43 base64) beside a Spaces key name",
        keywords: &["spaces"],
        pattern: concat!(r"(?-u)(?i:spaces)[A-Za-z0-9_.-]{0,24}?(?i:secret)[A-Za-z_]{0,12}", assign!(), r"(?P<secret>[A-Za-z0-9+/]{43})", end_b64!()),
        examples: &[
            (r#"{"SPACES_SECRET_KEY":"xHBxm1dETdpthYxPWIQLmgx2Frd1uvxE0tPNrUitTS4"}"#, "xHBxm1dETdpthYxPWIQLmgx2Frd1uvxE0tPNrUitTS4"),
            ("do_spaces_secret=dAhRU2pHd5XDHbr9jkn9xo3D4QAS6ZS2tBQyivsbLVx", "dAhRU2pHd5XDHbr9jkn9xo3D4QAS6ZS2tBQyivsbLVx"),
        ],
        counterexamples: &["SPACES_SECRET_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "SPACES_SECRET_KEY=<your-digitalocean-key>", "SPACES_SECRET_KEY=NianDH7gez19BJS4vM/yMcs+CFSTbUewPahS3R+Zet"],
        ..NAMED
    },
];
