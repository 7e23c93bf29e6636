//! Accuracy of the generic rules on hand-written lines in formats and syntaxes that the
//! development corpus lacks: each secret must be found exactly (no character of it left, none
//! of its surroundings taken), and clean lines must pass through unchanged.

use tokenward::Redactor;

/// `(line, secret)`: the finding must cover exactly `secret`.
const SECRETS: &[(&str, &str)] = &[
    // Config files.
    (
        r#"password = "correct horse battery staple""#,
        "correct horse battery staple",
    ),
    (
        r#"  client_secret = "Q7x8Q~abcDEF1234ghiJKL""#,
        "Q7x8Q~abcDEF1234ghiJKL",
    ),
    ("spring.datasource.password=S3cure!Pass", "S3cure!Pass"),
    (
        "    api_key: 6f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6",
        "6f1c2e3d4b5a69788796a5b4c3d2e1f0a9b8c7d6",
    ),
    ("pass = ab12CD34ef", "ab12CD34ef"),
    (
        r#"<add key="ApiSecret" value="Zk3Lq9Xw2PvB7nRtQ4sD"/>"#,
        "Zk3Lq9Xw2PvB7nRtQ4sD",
    ),
    ("<db:password>Winter2024!x</db:password>", "Winter2024!x"),
    (
        "//npm.pkg.example.com/:_authToken=Zx81kq0PLmw2vT7sAq9rTy",
        "Zx81kq0PLmw2vT7sAq9rTy",
    ),
    ("DB_PASS=Tr0ub4dor3", "Tr0ub4dor3"),
    (
        "clientSecret: 'Zk3Lq9Xw2PvB7nRtQ4sD'",
        "Zk3Lq9Xw2PvB7nRtQ4sD",
    ),
    (
        r#""secret": "bXlTdXBlclNlY3JldEtleUZvckhNQUMxMjM0NQ==""#,
        "bXlTdXBlclNlY3JldEtleUZvckhNQUMxMjM0NQ==",
    ),
    (
        "signing_secret=8f14e45fceea167a5a36dedd4bea2543",
        "8f14e45fceea167a5a36dedd4bea2543",
    ),
    // Program output: struct dumps, reprs, hashes.
    (
        "config: {Host:db Port:5432 User:app Password:Gh8!kq2Lz Timeout:30s}",
        "Gh8!kq2Lz",
    ),
    (
        "psycopg2.connect(host='db', user='app', password='t7#Kp!2xQ')",
        "t7#Kp!2xQ",
    ),
    (r#"{:password=>"Fr33d0m811", :user=>"bob"}"#, "Fr33d0m811"),
    ("  'db_password' => 'Rainbow$Unicorn7',", "Rainbow$Unicorn7"),
    ("INFO {'user': 'bob', 'passwd': 'hunter2'}", "hunter2"),
    ("map[password:hunter2x user:bob]", "hunter2x"),
    (
        "DataSourceConfig(url=jdbc:h2:mem, username=app, password=Gh8!kq2Lz)",
        "Gh8!kq2Lz",
    ),
    (
        r#""body": "{\"apiKey\":\"Xq9LmZ2vT8nK4pW7\"}""#,
        "Xq9LmZ2vT8nK4pW7",
    ),
    (
        "level=warn msg=login password=\"pa ss w0rd!\"",
        "pa ss w0rd!",
    ),
    // Command lines.
    (
        "docker run -e POSTGRES_PASSWORD=Blue-Elephant-42 postgres:16",
        "Blue-Elephant-42",
    ),
    (
        "kubectl create secret generic db --from-literal=password='Sx9#qLm2vB'",
        "Sx9#qLm2vB",
    ),
    ("mysql -h db -u root -p'Sup3r$ecret' app", "Sup3r$ecret"),
    (
        r#"psql "host=db user=app password=Qw3rty!9 dbname=app""#,
        "Qw3rty!9",
    ),
    (
        "tool --api-key=Zk3Lq9Xw2PvB7nRtQ4sD --verbose",
        "Zk3Lq9Xw2PvB7nRtQ4sD",
    ),
    (
        r#"tool --client-secret "Zk3Lq9Xw2PvB7nRtQ4sD" --tenant t"#,
        "Zk3Lq9Xw2PvB7nRtQ4sD",
    ),
    (r#"sshpass -p "Gr33n!Tea" ssh deploy@10.0.0.9"#, "Gr33n!Tea"),
    ("  - --password=Sx9#qLm2vB", "Sx9#qLm2vB"),
    (
        r#"curl -H "X-Auth-Token: 7Rk2PqL9zXw3VbN8mT4sQ" https://api.example.com"#,
        "7Rk2PqL9zXw3VbN8mT4sQ",
    ),
    // URLs and connection strings.
    (
        "ftp://deploy:Pa55w0rd!x@ftp.example.com/upload",
        "Pa55w0rd!x",
    ),
    ("redis://:s3cr3tR3dis@cache:6379/0", "s3cr3tR3dis"),
    (
        "https://oauth2:Zx81kq0PLmw2vT7sAq9rT@gitlab.example.com/g/p.git",
        "Zx81kq0PLmw2vT7sAq9rT",
    ),
    (
        "index-url = https://user:Tr0ub4dor3x@pypi.internal/simple",
        "Tr0ub4dor3x",
    ),
    (
        "jdbc:mysql://db:3306/app?user=app&password=Xk9!mQ2z&useSSL=true",
        "Xk9!mQ2z",
    ),
    ("DSN=prod;UID=report;PWD=R3p0rt!ng;", "R3p0rt!ng"),
    (
        "GET /callback?code=abc&client_secret=Zk3Lq9Xw2PvB7nRtQ4sD HTTP/1.1",
        "Zk3Lq9Xw2PvB7nRtQ4sD",
    ),
    // HTTP.
    (
        "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
        "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
    ),
    (
        "{'X-Api-Key': 'a8Fk2LmQ9zXw3VbN7tR4'}",
        "a8Fk2LmQ9zXw3VbN7tR4",
    ),
    (
        r#"headers: { 'api-key': "kL9mN2bV5cX8zQ1wE4rT" }"#,
        "kL9mN2bV5cX8zQ1wE4rT",
    ),
    (
        "Proxy-Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l",
        "YWxhZGRpbjpvcGVuc2VzYW1l",
    ),
    (
        "Set-Cookie: laravel_session=a8Kx2LmQ9zXw3VbN7tR4pY6s; path=/; httponly",
        "a8Kx2LmQ9zXw3VbN7tR4pY6s",
    ),
    (
        "Cookie: PHPSESSID=9q8u4f0l7v2k1j3h5g6d8s0a4m",
        "9q8u4f0l7v2k1j3h5g6d8s0a4m",
    ),
    (
        r#"\"Authorization\": \"Bearer abcDEF123456ghiJKL789\""#,
        "abcDEF123456ghiJKL789",
    ),
    // SQL.
    (
        "ALTER USER 'app'@'%' IDENTIFIED WITH mysql_native_password BY 'N3wP@ss!'",
        "N3wP@ss!",
    ),
    (
        "CREATE ROLE ro LOGIN PASSWORD 'ReadOnly#2024'",
        "ReadOnly#2024",
    ),
    // Keys.
    (
        r#""private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n","#,
        r"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----",
    ),
    (
        r"key=-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
        r"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU",
    ),
    (
        r#"signer_key = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318""#,
        "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
    ),
];

/// Lines with no secret, many of them close to one.
const CLEAN: &[&str] = &[
    "password reset link sent to bob@example.com",
    "Enter password:",
    "Password: ********",
    "password_expires_at=2024-06-01T00:00:00Z",
    "token_type=Bearer expires_in=3600",
    r#""tokenType": "Bearer""#,
    "commit=9fceb02d0ae598e95dc970b74767f19372d61af8",
    r#"etag: "33a64df551425fcc55e4d42a148795d9f25f89d4""#,
    "request_id=550e8400-e29b-41d4-a716-446655440000 trace_id=4bf92f3577b34da6a3ce929d0e0e4736",
    "session started for user bob",
    "auth=ok auth_type=oauth2",
    "auth: basic",
    "secret_name: prod-db-credentials",
    "api_key_id=12345 token_count=512 max_tokens=4096",
    "password_policy=min12",
    "GET /reset-password?user=bob HTTP/1.1",
    "ssh git@github.com",
    "https://user@github.com/org/repo",
    "docker login -u bob --password-stdin",
    "Authorization header missing",
    r#"WWW-Authenticate: Basic realm="x""#,
    "export API_KEY=$(vault kv get -field=key secret/app)",
    "api_key: ${API_KEY:-default}",
    r#"password: "{{ vault_db_password }}""#,
    "DB_PASSWORD=<set in vault>",
    "passwd: files systemd",
    "cat /etc/passwd",
    "pwd=/home/bob",
    "private_key_path=/etc/ssl/private/key.pem",
    "public_key=ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxZ user@host",
    "sessionTimeout=30m",
    "credentials: true withCredentials=true",
    "token: null",
    "x-api-key: <your-api-key>",
    "secret=true",
    "bypass_cache=true",
    "KeyError: 'password'",
    "kid=8e44172285be614d",
    "password_hash=$2b$12$KIXQJ6Z1r1wz5n7d0b8RUe",
    r#"{"password": true, "hasPassword": false}"#,
    "sid=S-1-5-21-3623811015-3361044348-30300820-1013",
    "auth_token_ttl=3600 author=jsmith oauth_callback=https://app.example.com/cb",
    "session_id= password=",
    r#""password": {"type": "string", "minLength": 8}"#,
    "Set-Cookie: theme=dark; Path=/",
    "Cookie: _ga=GA1.2.123.456; _gid=GA1.2.789.012",
    "The token has expired, please login again",
    "usage: prompt_tokens=1200 completion_tokens=300",
    "{User:bob Password: Host:db}",
    "password: str = Field(..., min_length=8)",
    "def login(username: str, password: str) -> Token:",
    "if password == confirm_password:",
    "token = request.headers.get('Authorization')",
    "api_key = settings.API_KEY",
    "password=self.password",
    "-----BEGIN PUBLIC KEY-----",
    "next_page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0",
    "pass: 12 fail: 0 skip: 3",
    "secrets: 3 loaded",
    "auth.go:312] user authenticated",
];

#[test]
fn every_secret_is_found_exactly() {
    let redactor = Redactor::new();
    let mut failures = Vec::new();
    for (line, secret) in SECRETS {
        let at = line.find(secret).expect("the secret is in its line");
        let expected = at..at + secret.len();
        let found = redactor.find(line);
        if !found.iter().any(|f| f.span == expected) {
            let spans: Vec<&str> = found.iter().map(|f| &line[f.span.clone()]).collect();
            failures.push(format!("{line}\n    expected {secret:?}, found {spans:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn clean_lines_pass_through() {
    let redactor = Redactor::new();
    let failures: Vec<String> = CLEAN
        .iter()
        .filter(|line| redactor.redact(line) != **line)
        .map(|line| format!("{line}\n    -> {}", redactor.redact(line)))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
