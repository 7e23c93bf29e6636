//! Credentials recognised by their context rather than their format: key/value assignments in
//! every common syntax, URLs with credentials, HTTP authorization headers and cookies,
//! connection strings, command-line flags, SQL statements, private-key blocks and JWTs.
//!
//! The key/value rules share one grammar (see the `value!` and `assignment!` macros): a key
//! that ends with a word naming a secret, a separator (`=`, `:`, `=>`, `:=`, optionally after
//! the key's closing quote), then a value that is double-quoted (escaped quotes included, as in
//! JSON inside a log string), single-quoted, or bare up to a delimiter. What the key names
//! decides how the value is judged: a password may be any human-chosen string, a token or
//! key must look machine-made ([`looks_random`]), so `token_count=512` or `session=started`
//! are left alone.

mod kubernetes;
mod tool_flags;

use std::ops::Range;

use crate::redact::rule::{Builtin, Candidate};
use crate::redact::validate::{
    is_basic_credential, is_code_or_dummy, is_jose_header, looks_like_password, looks_random,
    shannon_entropy,
};

/// `key <separator> value` where the key ends with one of `$words`.
macro_rules! assignment {
    ($words:expr) => {
        concat!(
            assignment_key_open!(),
            $words,
            r#")"#,
            key_suffix!(),
            r#")"#,
            assignment_tail!()
        )
    };
}

/// What may follow the key word and keep its meaning: `SECRET_KEY_BASE`, `token_value`,
/// `password2`, `password_confirmation`.
macro_rules! key_suffix {
    () => {
        r"(?:[_\-.]?(?:base|value|b64|base64|hex|raw|plain|plaintext|confirm|confirmation)|[0-9])?"
    };
}

/// Key endings that name a password.
macro_rules! password_words {
    () => {
        r"pass(?:word|wd|wort|phrase|code)?|pwd|pw|psk"
    };
}

/// Key endings that name a machine-made secret.
macro_rules! secret_words {
    () => {
        r"secrets?|tokens?|(?:api|access|secret|private|signing|encryption|master|account|app|client|shared|auth|sas|subscription|service|hmac|admin|deploy|license|storage|webhook|jwt|cookie|application|integration|ingest|write|read)[_\-]?keys?|(?:api|access|secret|private|signing|encryption)\.keys?|apikeys?|credentials?|creds?|auth|bearer"
    };
}

/// Key endings that name a session identifier.
macro_rules! session_words {
    () => {
        r"session(?:[_\-.]?(?:id|key|token|cookie|secret))?|sess(?:[_\-.]?id)?|sid|jsessionid|phpsessid|aspsessionid[a-z]*|remember[_\-]?(?:me|token|user)"
    };
}

/// A key word naming a password or a machine-made secret, case-insensitive: for rules that
/// find a key in a form of their own (`env('DB_PASSWORD', ...)`, `${API_TOKEN:...}`).
macro_rules! secret_key_words {
    () => {
        concat!("(?i:", password_words!(), "|", secret_words!(), ")")
    };
}

/// Keywords for keys naming a machine-made secret (the prefilter is case-insensitive).
const SECRET_KEYWORDS: &[&str] = &[
    "secret",
    "token",
    // `credential`, and the short `cred` / `creds` (`svc_cred`, `dbCreds`).
    "cred",
    "auth",
    "bearer",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    // Dotted, as Java and Kafka Connect properties write them (`aws.secret.access.key`).
    "access.key",
    "api.key",
    "secret.key",
    "private.key",
    "signing.key",
    "encryption.key",
    "privatekey",
    "private_key",
    "private-key",
    "signingkey",
    "signing_key",
    "signing-key",
    "encryptionkey",
    "encryption_key",
    "encryption-key",
    "masterkey",
    "master_key",
    "master-key",
    "accountkey",
    "account_key",
    "account-key",
    "appkey",
    "app_key",
    "app-key",
    "clientkey",
    "client_key",
    "client-key",
    "sharedkey",
    "shared_key",
    "shared-key",
    "saskey",
    "sas_key",
    "sas-key",
    "subscriptionkey",
    "subscription_key",
    "subscription-key",
    "servicekey",
    "service_key",
    "service-key",
    "hmackey",
    "hmac_key",
    "hmac-key",
    "adminkey",
    "admin_key",
    "admin-key",
    "deploykey",
    "deploy_key",
    "deploy-key",
    "licensekey",
    "license_key",
    "license-key",
    "storagekey",
    "storage_key",
    "storage-key",
    "webhookkey",
    "webhook_key",
    "webhook-key",
    "jwtkey",
    "jwt_key",
    "jwt-key",
    "cookiekey",
    "cookie_key",
    "cookie-key",
    "applicationkey",
    "application_key",
    "application-key",
    "integrationkey",
    "integration_key",
    "integration-key",
    "ingestkey",
    "ingest_key",
    "ingest-key",
    "writekey",
    "write_key",
    "write-key",
    "readkey",
    "read_key",
    "read-key",
];

/// Keywords for keys naming a session identifier.
const SESSION_KEYWORDS: &[&str] = &["sess", "sid", "remember"];

/// Keywords of every key family, for rules that take any of them.
const ANY_KEY_KEYWORDS: &[&str] = &[
    "pass", "pwd", "secret", "token",
    // `credential`, and the short `cred` / `creds` (`svc_cred`, `dbCreds`).
    "cred", "auth", "bearer", "key", "sess", "sid", "remember",
];

/// Words that run into `pass` or `pwd` in lower-case keys (`dbpass`, `rootpwd`,
/// `keystorepass`) and name what the password unlocks.
const PASS_OWNERS: &[&str] = &[
    "db", "root", "admin", "user", "mysql", "pg", "redis", "smtp", "mail", "imap", "ldap", "ftp",
    "ssh", "sql", "app", "api", "bind", "proxy", "vnc", "wifi", "store", "key", "master", "sa",
];

/// What a key names, which decides how its value is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Password,
    Session,
    Secret,
    /// `dbCredential`, `storageCredentials`: a password or a machine-made secret.
    Credential,
}

/// Key prefixes of tokens that are not credentials: pagination cursors, idempotency and
/// anti-forgery tokens.
const NOT_CREDENTIAL_KEYS: &[&str] = &[
    "page",
    "next",
    "prev",
    "continuation",
    "pagination",
    "cursor",
    "sync",
    "resume",
    "idempotency",
    "csrf",
    "xsrf",
    "max",
    "num",
    "total",
    "count",
    "input",
    "output",
];

fn family(key: &str) -> Option<Family> {
    let key = strip_key_suffix(key);
    let lower = key.trim_start_matches(['-', '<']).to_ascii_lowercase();
    // A digest (`hashed_password`, `user.hashed_token`) is not the secret; a crypt-format
    // hash is still found by `password_hash`.
    if lower.contains("hashed") {
        return None;
    }
    let ends = |words: &[&str]| words.iter().find(|w| lower.ends_with(*w)).map(|w| w.len());
    if let Some(len) = ends(&["password", "passwd", "passwort", "passphrase", "passcode"]) {
        return word_starts_cleanly(key, len, false).then_some(Family::Password);
    }
    if let Some(len) = ends(&["pass", "pwd", "pw", "psk"]) {
        // `dbpass`, `keystorepass`: run together after a word that names what it unlocks
        // (`bypass` and `compass` do not).
        let joined = PASS_OWNERS
            .iter()
            .any(|w| lower[..lower.len() - len].ends_with(w));
        return (word_starts_cleanly(key, len, true) || joined).then_some(Family::Password);
    }
    if let Some(len) = ends(&["sid", "sess", "sessid", "sess_id", "sess-id"]) {
        // Resource ids named `*Sid` (Twilio `AccountSid`, `MessageSid`; Oracle `ORACLE_SID`)
        // are identifiers, not sessions.
        let resource = [
            "account",
            "message",
            "call",
            "service",
            "conference",
            "recording",
            "oracle",
        ]
        .iter()
        .any(|r| lower.contains(r));
        return (word_starts_cleanly(key, len, true) && !resource).then_some(Family::Session);
    }
    if [
        "session",
        "sessionid",
        "session_id",
        "session-id",
        "session.id",
        "jsessionid",
    ]
    .iter()
    .any(|w| lower.ends_with(w))
        || lower.contains("sessid")
        || lower.starts_with("remember")
        || (lower.contains("session_") && !lower.ends_with("secret"))
    {
        return Some(Family::Session);
    }
    let head = key.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    let not_credential = NOT_CREDENTIAL_KEYS.iter().any(|p| {
        head.len() > p.len()
            && head[..p.len()].eq_ignore_ascii_case(p)
            && (head.as_bytes()[p.len()].is_ascii_punctuation()
                || (head.as_bytes()[p.len() - 1].is_ascii_lowercase()
                    && head.as_bytes()[p.len()].is_ascii_uppercase()))
    });
    if not_credential {
        return None;
    }
    if lower.ends_with("credential") || lower.ends_with("credentials") {
        return Some(Family::Credential);
    }
    if let Some(len) = ends(&["creds", "cred"]) {
        // `svc_cred`, `dbCreds`; not `sacred` or `accred`.
        return word_starts_cleanly(key, len, true).then_some(Family::Credential);
    }
    Some(Family::Secret)
}

/// `key` without a suffix that `key_suffix!` allows.
fn strip_key_suffix(key: &str) -> &str {
    let key = key.trim_end_matches(|c: char| c.is_ascii_digit());
    let lower = key.to_ascii_lowercase();
    let suffix = [
        "base64",
        "base",
        "value",
        "b64",
        "hex",
        "raw",
        "plaintext",
        "plain",
        "confirmation",
        "confirm",
    ]
    .iter()
    .find(|s| lower.ends_with(*s) && lower.len() > s.len());
    match suffix {
        Some(s) => key[..key.len() - s.len()].trim_end_matches(['_', '-', '.']),
        None => key,
    }
}

/// Whether the key word of `len` bytes at the end of `key` begins a word of its own, so that
/// `db_pass` and `dbPass` name a password and `bypass` or `compass` do not. With `strict`
/// false, any prefix is accepted (`rootpassword`).
fn word_starts_cleanly(key: &str, len: usize, strict: bool) -> bool {
    let bytes = key.as_bytes();
    let Some(at) = bytes.len().checked_sub(len) else {
        return false;
    };
    if at == 0 || !strict {
        return true;
    }
    let (prev, first) = (bytes[at - 1], bytes[at]);
    let all_upper = !bytes.iter().any(u8::is_ascii_lowercase);
    !prev.is_ascii_alphanumeric()
        || ((prev.is_ascii_lowercase() || prev.is_ascii_digit()) && first.is_ascii_uppercase())
        || (all_upper && key.len() <= 12 && at >= 2)
}

/// Where `part`, a slice of the candidate's haystack, lies in it.
fn span_of(c: &Candidate<'_>, part: &str) -> Range<usize> {
    let start = (part.as_ptr() as usize)
        .wrapping_sub(c.haystack.as_ptr() as usize)
        .min(c.haystack.len());
    start..(start + part.len()).min(c.haystack.len())
}

/// How far validators look around a value for context (the command or header it belongs to).
/// Bounded, so a candidate's cost does not grow with the length of the line it is in: a long
/// line with many candidates must stay linear.
const CONTEXT: usize = 512;

/// The text on the same line before `part`, at most `CONTEXT` bytes of it.
fn text_before<'h>(c: &Candidate<'h>, part: &str) -> &'h [u8] {
    let end = span_of(c, part).start;
    let window = &c.haystack[end.saturating_sub(CONTEXT)..end];
    memchr::memrchr(b'\n', window).map_or(window, |nl| &window[nl + 1..])
}

/// The text on the same line after `part`, at most `CONTEXT` bytes of it.
fn text_after<'h>(c: &Candidate<'h>, part: &str) -> &'h [u8] {
    let start = span_of(c, part).end;
    let window = &c.haystack[start..(start + CONTEXT).min(c.haystack.len())];
    memchr::memchr(b'\n', window).map_or(window, |nl| &window[..nl])
}

/// True when the secret was written without quotes.
fn is_bare(c: &Candidate<'_>) -> bool {
    !matches!(text_before(c, c.secret).last(), Some(b'"' | b'\''))
}

/// `Password: incorrect`, `password: expired`: a bare word after a colon and a space reads as
/// prose or a status, not as a YAML password.
fn is_prose(c: &Candidate<'_>) -> bool {
    let before = text_before(c, c.secret);
    let sep_is_colon_space = before.ends_with(b": ") || before.ends_with(b":\t");
    is_bare(c) && sep_is_colon_space && c.secret.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A bare lower-case identifier that contains the key word: `password=db_password`,
/// `token=access_token` (code passing a variable, not a value).
fn is_variable(c: &Candidate<'_>) -> bool {
    let v = c.secret;
    let lower_ident = v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    let key = c.key.unwrap_or("").to_ascii_lowercase();
    is_bare(c)
        && lower_ident
        && [
            "pass", "pwd", "secret", "token", "key", "auth", "cred", "session",
        ]
        .iter()
        .any(|w| v.contains(w) && key.contains(w))
}

/// `{User:bob Password: Host:db}`: an empty field in a Go `%+v` dump, followed by the next.
fn is_next_field(c: &Candidate<'_>) -> bool {
    let before = text_before(c, c.secret);
    let field = c.secret.split_once(':').is_some_and(|(name, _)| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    is_bare(c) && (before.ends_with(b": ") || before.ends_with(b":\t")) && field
}

fn password_value(c: &Candidate<'_>) -> bool {
    let v = c.secret;
    // nsswitch.conf's `passwd: files systemd` names where accounts are looked up.
    const NSS_SOURCES: &[&str] = &["files", "compat", "systemd", "sss", "ldap", "nis", "db"];
    if c.key.is_some_and(|k| k.eq_ignore_ascii_case("passwd")) && NSS_SOURCES.contains(&v) {
        return false;
    }
    let key = c.key.unwrap_or("");
    if is_next_field(c) {
        return false;
    }
    // `pass=3 fail=0`: counts under a bare `pass` key.
    if key.eq_ignore_ascii_case("pass") && v.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    looks_like_password(v)
        && !is_prose(c)
        && !is_variable(c)
        && !v.eq_ignore_ascii_case(key)
        && !is_code_or_dummy(c)
}

fn session_value(c: &Candidate<'_>) -> bool {
    c.secret.len() >= 12 && looks_random(c.secret) && !is_variable(c) && !is_code_or_dummy(c)
}

fn secret_value(c: &Candidate<'_>) -> bool {
    let key = c.key.unwrap_or("").to_ascii_lowercase();
    if key.ends_with("auth") && is_basic_credential(c.secret) {
        return true;
    }
    // `X-Auth-Token: {SHA256}5285...`: the digest a client logs in place of its token.
    let digest = ["{SHA256}", "{SHA1}", "{MD5}"]
        .iter()
        .any(|p| c.secret.starts_with(p));
    looks_random(c.secret) && !digest && !is_variable(c) && !is_code_or_dummy(c)
}

/// A credential may be a machine-made secret or a password; a password here must mix letters
/// with digits or symbols, since `credentials: include`, `same-origin` or `aws-creds` name a
/// mode or a profile, and must be quoted or follow `=`: `credentials: u32` or
/// `TokenCredential::new(...)` is code.
fn credential_value(c: &Candidate<'_>) -> bool {
    let v = c.secret;
    let letters = v.bytes().any(|b| b.is_ascii_alphabetic());
    let marks = v
        .bytes()
        .any(|b| b.is_ascii_digit() || (b.is_ascii_punctuation() && !b"-_./:".contains(&b)));
    let assigned = !is_bare(c)
        || (text_before(c, v).trim_ascii_end().ends_with(b"=")
            && !v.contains(['(', ':', '*', '&']));
    let password = letters && marks && assigned && password_value(c);
    (password || (looks_random(v) && !v.contains("::"))) && !is_code_or_dummy(c)
}

/// Judges a key/value candidate by what its key names.
fn key_value(c: &Candidate<'_>) -> bool {
    if not_a_key(c) {
        return false;
    }
    match c.key.and_then(family) {
        Some(Family::Password) => password_value(c),
        Some(Family::Session) => session_value(c),
        Some(Family::Secret) => secret_value(c),
        Some(Family::Credential) => credential_value(c),
        None => false,
    }
}

/// `https://x-access-token:TOKEN@host`: the "key" is a URL's user name (`url_password`
/// takes the token, without eating the host).
fn key_is_url_userinfo(c: &Candidate<'_>) -> bool {
    c.key
        .is_some_and(|key| text_before(c, key).ends_with(b"://"))
}

/// Where what reads as a key is part of something else: a URL's user name, an ARN.
fn not_a_key(c: &Candidate<'_>) -> bool {
    key_is_url_userinfo(c) || key_in_arn(c)
}

/// `arn:aws:secretsmanager:...:secret:prod/db`: the "key" is an ARN's resource type (right
/// after one of the ARN's colons), and the value the resource's name.
fn key_in_arn(c: &Candidate<'_>) -> bool {
    c.key.is_some_and(|key| {
        let before = text_before(c, key);
        let start = before
            .iter()
            .rposition(|b| b.is_ascii_whitespace() || b"\"'=,;([{<>&|?".contains(b))
            .map_or(0, |i| i + 1);
        before.ends_with(b":")
            && before[start..]
                .get(..4)
                .is_some_and(|head| head.eq_ignore_ascii_case(b"arn:"))
    })
}

/// A secret-family key whose value must look machine-made.
fn secret_key_value(c: &Candidate<'_>) -> bool {
    if not_a_key(c) {
        return false;
    }
    match c.key.and_then(family) {
        Some(Family::Secret) => secret_value(c),
        Some(Family::Credential) => credential_value(c),
        _ => false,
    }
}

/// Command-line flags: `--password x`, `--token x`; not `--no-password host`.
fn flag_value(c: &Candidate<'_>) -> bool {
    let key = c.key.unwrap_or("").to_ascii_lowercase();
    let negated = [
        "--no-",
        "--skip-",
        "--use-",
        "--ask-",
        "--prompt-",
        "--require-",
        "--with-",
    ]
    .iter()
    .any(|p| key.starts_with(p));
    !negated && !is_flag_in_prose(c) && key_value(c)
}

/// A flag named in a sentence rather than given a value: Docker's `WARNING! Using --password
/// via the CLI is insecure`.
fn is_flag_in_prose(c: &Candidate<'_>) -> bool {
    const FUNCTION_WORDS: &[&str] = &[
        "via", "on", "in", "for", "from", "to", "is", "are", "the", "and", "or", "with", "when",
        "if", "of", "at", "by", "as", "instead", "option", "flag",
    ];
    is_bare(c) && FUNCTION_WORDS.contains(&c.secret)
}

fn jwt(c: &Candidate<'_>) -> bool {
    c.secret.split('.').next().is_some_and(is_jose_header)
}

fn bearer(c: &Candidate<'_>) -> bool {
    looks_random(c.secret) || jwt(c) || random_part(c.secret)
}

/// A credential in parts, one of them long and random: Asana's
/// `2/<user id>/<app id>:<32 hex>`, which reads as a path where a value's shape is all there
/// is to go by, but after `Bearer` is a token.
fn random_part(v: &str) -> bool {
    v.split(['/', ':'])
        .any(|part| part.len() >= 24 && looks_random(part))
}

fn basic(c: &Candidate<'_>) -> bool {
    is_basic_credential(c.secret)
}

/// `Authorization: <scheme> <credential>` for schemes other than Bearer, Basic and Digest,
/// and scheme-less raw tokens; not `AWS4-HMAC-SHA256 Credential=...` (a scheme with
/// parameters, whose signature is no reusable secret).
fn authorization(c: &Candidate<'_>) -> bool {
    let after = text_after(c, c.secret);
    let has_params = after.first().is_some_and(|b| *b == b' ' || *b == b'\t')
        && after
            .iter()
            .find(|b| **b != b' ' && **b != b'\t')
            .is_some_and(u8::is_ascii_alphabetic);
    !has_params && (looks_random(c.secret) || jwt(c))
}

fn url_password(c: &Candidate<'_>) -> bool {
    looks_like_password(c.secret) && !is_code_or_dummy(c)
}

/// 40 characters of base64 with both letter cases and a digit or `+`/`/`: no word or path.
fn aws_secret(c: &Candidate<'_>) -> bool {
    let v = c.secret.as_bytes();
    v.iter().any(u8::is_ascii_uppercase)
        && v.iter().any(u8::is_ascii_lowercase)
        && v.iter()
            .any(|b| b.is_ascii_digit() || *b == b'+' || *b == b'/')
        && shannon_entropy(c.secret) >= 3.5
}

/// The password argument of a database connect call: `new PDO($dsn, 'user', 'pw')`,
/// `mysqli_connect('host', 'user', 'pw')`, `DriverManager.getConnection(url, "user", "pw")`.
fn connect_call(c: &Candidate<'_>) -> bool {
    password_only(c)
}

/// A PHP constant's value: judged as the constant's name says (a password, a machine-made
/// secret); a salt (`NONCE_SALT`) is a machine-made secret.
fn define_value(c: &Candidate<'_>) -> bool {
    if c.key
        .is_some_and(|k| k.to_ascii_lowercase().ends_with("salt"))
    {
        return secret_value(c);
    }
    key_value(c)
}

fn password_only(c: &Candidate<'_>) -> bool {
    looks_like_password(c.secret) && !is_code_or_dummy(c)
}

fn random_only(c: &Candidate<'_>) -> bool {
    looks_random(c.secret)
}

/// An OAuth code: random, and on a line that is part of an OAuth exchange (a callback with
/// `state`, a token request with `grant_type`), since `code=` alone is a country, an exit
/// status or a product code.
fn oauth_code(c: &Candidate<'_>) -> bool {
    let verifier = c
        .key
        .is_some_and(|k| k.eq_ignore_ascii_case("code_verifier"));
    // Read in place: a hostile line of many `code=` candidates must not copy its context
    // once per candidate.
    let around = [text_before(c, c.secret), text_after(c, c.secret)];
    let exchange = ["state", "grant_type", "callback", "oauth", "redirect_uri"]
        .iter()
        .any(|w| {
            around
                .iter()
                .any(|part| tool_flags::find_ignore_case(part, w.as_bytes()).is_some())
        });
    (verifier || exchange) && looks_random(c.secret)
}

/// SASL PLAIN: base64 of `authzid NUL user NUL password` with a non-empty password.
fn sasl_plain(c: &Candidate<'_>) -> bool {
    use base64::Engine;
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(c.secret) else {
        return false;
    };
    let mut parts = decoded.split(|&b| b == 0);
    let (Some(_), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    !user.is_empty() && !password.is_empty()
}

/// A crypt-format hash: its last field (the hash, after the salt and parameters) has the
/// spread of hash output, not a documentation stand-in.
fn crypt_hash(c: &Candidate<'_>) -> bool {
    let hash = c.secret.rsplit('$').next().unwrap_or("");
    hash.len() >= 22 && shannon_entropy(hash) >= 3.5
}

/// htpasswd takes the password on its command line only in batch mode (`-b`, alone or among
/// other letters: `-nbB`); otherwise the last word is the user and it prompts.
fn htpasswd_batch(c: &Candidate<'_>) -> bool {
    let flags = c.key.unwrap_or("");
    flags
        .split_whitespace()
        .any(|flag| flag.starts_with('-') && flag.contains('b'))
        && password_only(c)
}

/// `-u user:password` / `--user user:password` (curl, httpie, wget): not `-u 1000:1000` or
/// `-u node:node` (a uid and gid for docker or ps).
fn cli_user(c: &Candidate<'_>) -> bool {
    let before = text_before(c, c.secret);
    let user_start = before
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || *b == b'\'' || *b == b'"' || *b == b'=')
        .map_or(0, |i| i + 1);
    let user = &before[user_start..before.len().saturating_sub(1)];
    let v = c.secret;
    if v.bytes().all(|b| b.is_ascii_digit()) && user.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let line = String::from_utf8_lossy(before).to_ascii_lowercase();
    let http_tool = ["curl", "wget", "http", "--user"]
        .iter()
        .any(|t| line.contains(t));
    let word = v
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_');
    looks_like_password(v) && (http_tool || !word) && v.as_bytes() != user && !is_code_or_dummy(c)
}

/// `-p secret` for commands that take a password that way (`docker login`, `sshpass`) and
/// `-a secret` for `redis-cli`; `-p 8080` and `mkdir -p dir` elsewhere are left alone.
fn short_flag(c: &Candidate<'_>) -> bool {
    let line = String::from_utf8_lossy(text_before(c, c.secret)).to_ascii_lowercase();
    let context = match c.key {
        Some("-p") => ["sshpass", " login", "mongo"]
            .iter()
            .any(|c| line.contains(c)),
        Some("-a") => line.contains("redis-cli"),
        _ => false,
    };
    context && !c.secret.bytes().all(|b| b.is_ascii_digit()) && password_only(c)
}

/// `mysql -uroot -pS3cret`: only on a line that runs a MySQL client.
fn mysql_flag(c: &Candidate<'_>) -> bool {
    let line = String::from_utf8_lossy(text_before(c, c.secret)).to_ascii_lowercase();
    (line.contains("mysql") || line.contains("mariadb")) && password_only(c)
}

/// A libpq-style `key=value key=value` string is not an ADO one: `password=x sslmode=...`.
fn connection_string(c: &Candidate<'_>) -> bool {
    let v = c.secret.trim();
    let libpq_tail = v
        .split_once(' ')
        .is_some_and(|(_, rest)| rest.contains('='));
    !libpq_tail && looks_like_password(v) && !is_code_or_dummy(c)
}

/// `Password=x` in a block of assignments or a `key value` line: a password that a person or a
/// tool wrote, judged by its key.
fn block_value(c: &Candidate<'_>) -> bool {
    key_value(c)
}

/// `password Ftp!Dep2024` alone on its line (a .netrc entry over several lines): the value must
/// mix letters with digits or symbols, since `password changed` or `Password expired` is prose.
fn bare_password(c: &Candidate<'_>) -> bool {
    // A sentence's closing punctuation is no mark: "password combination."
    let v = c
        .secret
        .trim_end_matches(['.', ',', ';', ':', '?', '!', ')']);
    let marks = v
        .bytes()
        .any(|b| b.is_ascii_digit() || b.is_ascii_punctuation());
    marks && password_value(c)
}

/// The body of a private-key block must look like key material: at least 16 characters of
/// base64 with the mix of a random string. A block around `...`, `<key here>`,
/// `YOUR_PRIVATE_KEY` or nothing is documentation. Encrypted PEM headers are always key.
fn pem_body(c: &Candidate<'_>) -> bool {
    if c.secret.contains("Proc-Type:") || c.secret.contains("DEK-Info:") {
        return true;
    }
    let body_end = c.secret.find("-----END").unwrap_or(c.secret.len());
    let body: String = c.secret[..body_end]
        .replace("\\n", "")
        .replace("\\r", "")
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '+' | '/' | '='))
        .take(256)
        .collect();
    body.len() >= 16 && looks_random(&body)
}

pub(crate) static RULES: &[Builtin] = &[
    Builtin {
        id: "private_key_pem",
        provider: "generic",
        description: "PEM or OpenSSH private key block (RSA, EC, DSA, OpenSSH, encrypted PKCS#8, PGP), multi-line or with literal \\n escapes, also cut short",
        keywords: &["PRIVATE KEY"],
        // In a body cut short a dash only follows another body character (`AES-128-CBC`), so
        // the body stops before a line or escape that opens with `-----`: a repeated or empty
        // header does not swallow the next block's header, and that block is found whole.
        pattern: r"(?-u)(?P<token>-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:(?P<secret>(?:[A-Za-z0-9+/=\\]|\r?\n[ \t]*|(?:Proc-Type|DEK-Info|Version|Comment|Hash):[^\r\n\\]{0,128})*?-----END[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----)|(?P<secret_cut>(?:\\[rn]|\r?\n[ \t]*|[A-Za-z0-9+/=,:]-*)*[A-Za-z0-9+/=])))",
        validate: Some(pem_body),
        generic: false,
        examples: &[
            (
                "key: -----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ\\nZ9u8cX1yK2w3E4r5T6y7U8i9O0p=\\n-----END RSA PRIVATE KEY----- loaded",
                "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ\\nZ9u8cX1yK2w3E4r5T6y7U8i9O0p=\\n-----END RSA PRIVATE KEY-----",
            ),
            (
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBz0V2Q3T4gQ1k2n9f8h7j6k5l4m3n2b1v0c9x8z7a6s5\n-----END OPENSSH PRIVATE KEY-----\n",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBz0V2Q3T4gQ1k2n9f8h7j6k5l4m3n2b1v0c9x8z7a6s5\n-----END OPENSSH PRIVATE KEY-----",
            ),
            (
                r#"{"sshKey": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKiHtEJIe9qwcA1dkS4bAYC05H2kADW8/GGkzqro\nAwEHoUQDQgAEXWzi8P6v9Dj5"}"#,
                r"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKiHtEJIe9qwcA1dkS4bAYC05H2kADW8/GGkzqro\nAwEHoUQDQgAEXWzi8P6v9Dj5",
            ),
            (
                "tls:\n  key: |\n    -----BEGIN RSA PRIVATE KEY-----\n    Proc-Type: 4,ENCRYPTED\n    DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n    MIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ\n    -----END RSA PRIVATE KEY-----\n",
                "-----BEGIN RSA PRIVATE KEY-----\n    Proc-Type: 4,ENCRYPTED\n    DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n    MIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ\n    -----END RSA PRIVATE KEY-----",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\r\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\r\n-----END ENCRYPTED PRIVATE KEY-----",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\r\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\r\n-----END ENCRYPTED PRIVATE KEY-----",
            ),
        ],
        counterexamples: &[
            "-----BEGIN PUBLIC KEY-----\\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgK\\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----",
            "grep -r 'BEGIN RSA PRIVATE KEY' .",
            "-----BEGIN PRIVATE KEY-----\nYOUR_PRIVATE_KEY_HERE\n-----END PRIVATE KEY-----",
            "-----BEGIN RSA PRIVATE KEY-----\nprivatekeycontent\n-----END RSA PRIVATE KEY-----",
        ],
    },
    Builtin {
        id: "jwt",
        provider: "generic",
        description: "JSON Web Token (JWS header.payload.signature, or a five-part JWE) whose header names an algorithm",
        keywords: &["eyJ"],
        // Three parts with claims (`header..sig` is a header cut short: `eyJ...[truncated]`),
        // or five (a JWE's encrypted key may be empty).
        pattern: r"(?-u)\b(?P<secret>eyJ[A-Za-z0-9_\-]{10,}(?:\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+|\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*))",
        validate: Some(jwt),
        generic: true,
        examples: &[
            ("service_role: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ.Qm9rZW4tU2lnbmF0dXJlLVhYWFl6cTk4N3Y", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJzZXJ2aWNlX3JvbGUifQ.Qm9rZW4tU2lnbmF0dXJlLVhYWFl6cTk4N3Y"),
            (
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            ),
            (
                "id_token=eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.aGVsbG8td29ybGQtc2lnbmF0dXJl&state=af0ifjsldkj",
                "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.aGVsbG8td29ybGQtc2lnbmF0dXJl",
            ),
            (
                "jwe: eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ end",
                "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ",
            ),
        ],
        counterexamples: &[
            "eyJhbGciOiJIUzI1NiJ9 alone",
            // {"foo":"bar"}: base64 JSON that is no JOSE header.
            "data=eyJmb28iOiJiYXIifQ.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
            "DEBUG auth: received token eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9...[truncated 812 chars]",
            // The anon role's key is public by design (Supabase hands it to every browser).
            "createClient(url, 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJhbm9uIn0.fLlZpFjkukoedKuivACZ1M9iOvKvsV6zuWf6iJJI1BY')",
        ],
    },
    Builtin {
        id: "private_key_hex",
        provider: "generic",
        description: "A 256-bit hex private key (wallet, signer, validator keys) under a key name that says so",
        // Every match holds `<word>key`, `<word>_key` or `<word>-key`; the bare words (`eth`
        // in "method", `owner`, `account`) would send most lines to this pattern.
        keywords: &[
            "privatekey", "private_key", "private-key", "privkey", "priv_key", "priv-key",
            "signerkey", "signer_key", "signer-key", "signingkey", "signing_key", "signing-key",
            "walletkey", "wallet_key", "wallet-key", "deployerkey", "deployer_key",
            "deployer-key", "validatorkey", "validator_key", "validator-key", "ownerkey",
            "owner_key", "owner-key", "operatorkey", "operator_key", "operator-key",
            "relayerkey", "relayer_key", "relayer-key", "minerkey", "miner_key", "miner-key",
            "ethkey", "eth_key", "eth-key", "evmkey", "evm_key", "evm-key", "accountkey",
            "account_key", "account-key", "mnemonickey", "mnemonic_key", "mnemonic-key",
            "seedkey", "seed_key", "seed-key",
        ],
        pattern: r#"(?i-u)(?P<key>[a-z0-9_.\-]*(?:private|priv|signer|signing|wallet|deployer|validator|owner|operator|relayer|miner|eth|evm|account|mnemonic|seed)[_\-]?key)(?:\\{0,3}["'])?(?:[ \t]*(?:=>|:=|[:=])[ \t]*|[ \t]+)(?:\\{0,3}["'])?(?P<secret>(?:0x)?[0-9a-f]{64})(?:[^0-9a-z]|$)"#,
        validate: None,
        generic: true,
        examples: &[
            (
                "WALLET_PRIVATE_KEY=0x7f1c917a8af20101cfc23a87214b0cd9c8fe8442fbdebe21cec2ff2af2a36e41",
                "0x7f1c917a8af20101cfc23a87214b0cd9c8fe8442fbdebe21cec2ff2af2a36e41",
            ),
            (
                r#"{"signerKey": "447a4a4d17686fb71b370ef8ebe5d77c16166588c67426324fa00d434f8c140b", "chain": 1}"#,
                "447a4a4d17686fb71b370ef8ebe5d77c16166588c67426324fa00d434f8c140b",
            ),
            (
                "deployer_private_key: 0xB7FFF6C76B8B49EF942937F3025E0214012D9CA7334AE5C59A85CA616C2A0D57 # hardhat",
                "0xB7FFF6C76B8B49EF942937F3025E0214012D9CA7334AE5C59A85CA616C2A0D57",
            ),
        ],
        counterexamples: &[
            "wallet_address=0x7f1c917a8af20101cfc23a87214b0cd9c8fe8442",
            "tx_hash=0x7f1c917a8af20101cfc23a87214b0cd9c8fe8442fbdebe21cec2ff2af2a36e41",
            "private_key_path=/etc/ssl/private/server.key",
        ],
    },
    Builtin {
        id: "aws_secret_access_key",
        provider: "aws",
        description: "AWS secret access key (40 characters) beside its key name",
        keywords: &[
            "secret_access", "secretaccess", "secret-access", "aws_secret", "awssecret",
            "aws-secret",
        ],
        pattern: r#"(?i-u)(?P<key>[a-z0-9_.\-]*(?:secret[_\-]?access[_\-]?key|aws[_\-]?secret(?:[_\-]?access)?[_\-]?key))(?:\\{0,3}["'])?(?:[ \t]*(?:=>|:=|[:=])[ \t]*|[ \t]+)(?:\\{0,3}["'])?(?P<secret>[a-z0-9/+]{40})(?:[^a-z0-9/+=]|$)"#,
        validate: Some(aws_secret),
        generic: true,
        examples: &[
            (
                "aws configure set aws_secret_access_key /37zzXoVqC+iYcqcHKf3HKRv57MVNi6+Qdnw9LFZ",
                "/37zzXoVqC+iYcqcHKf3HKRv57MVNi6+Qdnw9LFZ",
            ),
            (
                "AWS_SECRET_ACCESS_KEY=CALCYRkoKb6pWt+eYg+CN50SiCw1tM5ecEvnHF0S AWS_DEFAULT_REGION=us-east-1",
                "CALCYRkoKb6pWt+eYg+CN50SiCw1tM5ecEvnHF0S",
            ),
            (
                r#"{"awsSecretAccessKey": "Jv100m5tS6O+MKOaHk6sjOkjgurTSaYBTnqJ1QdQ"}"#,
                "Jv100m5tS6O+MKOaHk6sjOkjgurTSaYBTnqJ1QdQ",
            ),
            (
                "aws_secret_key = 'u9UtGGrZUZLwPS9LcL0yT73/RhTTGbH8PeMrTbS6'",
                "u9UtGGrZUZLwPS9LcL0yT73/RhTTGbH8PeMrTbS6",
            ),
        ],
        counterexamples: &[
            "aws_secret_access_key = ''",
            "AWS_SECRET_ACCESS_KEY: ***",
            "aws_secret_access_key=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ],
    },
    Builtin {
        id: "url_password",
        provider: "generic",
        description: "Password in a URL's userinfo (scheme://user:password@host), any scheme; the user name stays",
        keywords: &["://"],
        pattern: r##"(?i-u)\b[a-z][a-z0-9+.\-]{0,30}://[^\s:/?#@"'<>\[\]\\]*:(?P<secret>[^\s/?#"'<>\\]+)@"##,
        validate: Some(url_password),
        generic: true,
        examples: &[
            (
                "connect failed: postgresql://billing_rw:c7eX31Dr$14%40CQW_XE*$@db-2.example.com:5432/orders",
                "c7eX31Dr$14%40CQW_XE*$",
            ),
            ("broker: rediss://:Maverick%238665@db-1:6380/1", "Maverick%238665"),
            ("mongodb+srv://root:p@ss:w0rd@cluster0.mongodb.net/?retryWrites=true", "p@ss:w0rd"),
            (
                "git clone https://x-access-token:Zx81kq0PLmw2vT7sAq9@git.corp.example/org/repo.git",
                "Zx81kq0PLmw2vT7sAq9",
            ),
            ("amqps://guest:winter-monkey-68@mq.internal:5671/", "winter-monkey-68"),
        ],
        counterexamples: &[
            "postgres://app:${DB_PASSWORD}@10.48.155.151:5432/app",
            "redis://user:***@cache:6379",
            "https://user:@example.com/",
            "ssh://git@github.com:22/org/repo",
            "http://example.com:8080/path?x=1",
        ],
    },
    Builtin {
        id: "dsn_password",
        provider: "generic",
        description: "Password in a scheme-less DSN: Go MySQL user:password@tcp(host)/db, Oracle user/password@service for sqlplus and its tools",
        keywords: &["@tcp(", "@unix(", "@udp(", "sqlplus", "rman", "expdp", "impdp", "sqlldr"],
        pattern: r#"(?i-u)(?:[^\s:/@"'`=]{1,64}:(?P<secret>[^\s@"'`]{1,256})@(?:tcp|unix|udp)\(|\b(?:sqlplus|rman|expdp|impdp|sqlldr)(?:[ \t]+-[a-z]+)*[ \t]+[a-z0-9_$#]{1,64}/(?P<secret_oracle>[^\s@/"']{1,256})@)"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("dsn=app:Tr0ub4dor3@tcp(10.0.0.5:3306)/shop?parseTime=true", "Tr0ub4dor3"),
            ("sqlplus -s scott/T1ger#99@//db.example.com:1521/ORCL @report.sql", "T1ger#99"),
        ],
        counterexamples: &[
            "dsn=app:${DB_PASSWORD}@tcp(db:3306)/shop",
            "sqlplus /nolog @init.sql",
        ],
    },
    Builtin {
        id: "oracle_connect_password",
        provider: "generic",
        description: "Password in an Oracle connect string user/password@host[:port][/service] or user/password@alias under a DSN or connect-string key, or in a JDBC URL (jdbc:oracle:thin:user/password@//host:port/service)",
        keywords: &["dsn", "conn", "tns", "jdbc:oracle"],
        pattern: r#"(?i-u)(?:(?:dsn|conn(?:ect(?:ion)?)?(?:[_\-]?(?:str(?:ing)?|url|desc(?:riptor)?))?|tns[a-z_]*)["']?[ \t]*[:=][ \t]*["']?|\bjdbc:oracle:(?:thin|oci8?):)[a-z0-9_$#]+/(?P<secret>[^\s@/"']+)@(?://)?[a-z0-9]"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("DSN=scott/Tiger123@dbhost:1521/orcl", "Tiger123"),
            (r#"oracle: {connect_string: "app_user/Xq7!pw2z@//db.prod:1521/SALES"}"#, "Xq7!pw2z"),
            ("ORACLE_CONN=etl/Wm4-qz8Lp@PRODTNS", "Wm4-qz8Lp"),
            ("spring.datasource.url=jdbc:oracle:thin:app/Ora_9xQ2-p@//db.corp:1521/ORCLPDB1", "Ora_9xQ2-p"),
        ],
        counterexamples: &[
            "connected to db/primary@host in 3ms",
            "conn=scott/${ORACLE_PASSWORD}@db:1521/orcl",
            "dsn=\"host=db user=app\"",
            "conn_pool: main/primary@2",
            "url=jdbc:oracle:thin:@//db.corp:1521/ORCLPDB1",
            "jdbc:oracle:thin:app/${DB_PASSWORD}@//db:1521/svc",
        ],
    },
    Builtin {
        id: "url_token",
        provider: "generic",
        description: "A token as the whole userinfo of a URL (https://TOKEN@host), as in git remotes",
        keywords: &["://"],
        pattern: r"(?i-u)\b(?:https?|git|ssh|ftps?|wss?)://(?P<secret>[a-z0-9_\-.~%+]{16,})@[a-z0-9]",
        validate: Some(random_only),
        generic: true,
        examples: &[(
            "remote: https://9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a@git.example.com/team/app.git",
            "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a",
        )],
        counterexamples: &[
            "https://git@github.com/org/repo.git",
            "ftp://anonymous.user.name@ftp.example.org/pub",
        ],
    },
    Builtin {
        id: "bearer_token",
        provider: "generic",
        description: "Bearer token in an Authorization header, a header dump, a dict repr or curl's --oauth2-bearer",
        keywords: &["bearer"],
        pattern: r"(?i-u)\bbearer[ \t]+(?P<secret>[a-z0-9\-._~+/]+(?::[a-z0-9\-._~+/]+)*=*)",
        validate: Some(bearer),
        generic: true,
        examples: &[
            (
                "'Authorization': 'Bearer DPuFWEeAucf_AUHq7nJqxqJAKOq7ZKACBrljomWEeK', 'Content-Length': '42'",
                "DPuFWEeAucf_AUHq7nJqxqJAKOq7ZKACBrljomWEeK",
            ),
            (
                "curl -sS --oauth2-bearer ifz5xehaiogg0BZoMJewoOppLsMaq-1pr-y6CYX9v3 https://api.example.com",
                "ifz5xehaiogg0BZoMJewoOppLsMaq-1pr-y6CYX9v3",
            ),
            ("AUTHORIZATION: BEARER 4cPikCcRIFIeAt7o1nryTJwZEYH61IgMg\r", "4cPikCcRIFIeAt7o1nryTJwZEYH61IgMg"),
            (
                "-H 'Authorization: Bearer 1/1204471329716318/8150623904725509:c1e9e8bd50f60e27a4e8de3f95e7a0b1'",
                "1/1204471329716318/8150623904725509:c1e9e8bd50f60e27a4e8de3f95e7a0b1",
            ),
        ],
        counterexamples: &[
            "Authorization: Bearer ${TOKEN}",
            "missing bearer token in request",
            "WWW-Authenticate: Bearer realm=\"api\", error=\"invalid_token\"",
            "Authorization: Bearer <token>",
        ],
    },
    Builtin {
        id: "basic_auth",
        provider: "generic",
        description: "HTTP Basic credential (base64 of user:password, checked by decoding)",
        keywords: &["basic"],
        pattern: r"(?i-u)\bbasic[ \t]+(?P<secret>[a-z0-9+/]{6,}={0,2})",
        validate: Some(basic),
        generic: true,
        examples: &[
            ("> Authorization: Basic cGVnZ3k6Y2hhcmxpZS1yYW5nZXItMjM=", "cGVnZ3k6Y2hhcmxpZS1yYW5nZXItMjM="),
            (
                "headers: { authorization: 'Basic ZXRsOkJhc2ViYWxsLjIzOTQ=', host: 'x' }",
                "ZXRsOkJhc2ViYWxsLjIzOTQ=",
            ),
        ],
        counterexamples: &[
            "WWW-Authenticate: Basic realm=\"staging\"",
            "basic authentication failed",
            "Authorization: Basic dXNlcm5hbWU=",
        ],
    },
    Builtin {
        id: "digest_auth",
        provider: "generic",
        description: "The response hash of an HTTP Digest Authorization header",
        keywords: &["digest"],
        pattern: r#"(?i-u)\bdigest[ \t]+[^\r\n]{0,1024}?\bresponse[ \t]*=[ \t]*\\{0,3}"?(?P<secret>[0-9a-f]{32,128})\b"#,
        validate: None,
        generic: true,
        examples: &[(
            r#"Authorization: Digest username="bob", realm="api", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/dir/index.html", response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
            "6629fae49393a05397450978507c4ef1",
        )],
        counterexamples: &["WWW-Authenticate: Digest realm=\"api\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\""],
    },
    Builtin {
        id: "authorization_header",
        provider: "generic",
        description: "Credential of an Authorization or Proxy-Authorization header with another scheme (Token, Bot, SSWS, ApiKey, GenieKey, Klaviyo-API-Key, DeepL-Auth-Key, sso-key, ...) or none",
        keywords: &["authorization"],
        pattern: r#"(?i-u)\b(?:http_)?(?:proxy-)?authorization(?:\\{0,3}["'])?[ \t]*[:=][ \t]*(?:\\{0,3}["'])?[ \t]*(?:(?:token|bot|ssws|apikey|api-key|key|splunk|gitlab-token|sharedkey|hmac|negotiate|otp|dsn|geniekey|klaviyo-api-key|deepl-auth-key|zoho-oauthtoken|oauth|sso-key)[ \t]+)?(?P<secret>[a-z0-9\-._~+/:=]{8,})"#,
        validate: Some(authorization),
        generic: true,
        examples: &[
            (
                "Authorization: token 3f1c9a77e2b44d0c8a5e6f7081b2c3d4e5f60718",
                "3f1c9a77e2b44d0c8a5e6f7081b2c3d4e5f60718",
            ),
            (
                r#"{"Authorization": "SSWS 00QCjAl4MlV-WPXM6wXVvYo8N1l4tVb3Xdd9jY"}"#,
                "00QCjAl4MlV-WPXM6wXVvYo8N1l4tVb3Xdd9jY",
            ),
            ("proxy-authorization=Zk3Lq9Xw2PvB7nRt", "Zk3Lq9Xw2PvB7nRt"),
            (
                "curl -H \"Authorization: GenieKey 7c1d2e4f-9a3b-4c5d-8e6f-0a1b2c3d4e5f\" https://api.opsgenie.com/v2/alerts",
                "7c1d2e4f-9a3b-4c5d-8e6f-0a1b2c3d4e5f",
            ),
            ("Authorization: DeepL-Auth-Key 2f0c8a9e-5b1d-4e7a-9c3f-6d8e2b4a1c70:fx", "2f0c8a9e-5b1d-4e7a-9c3f-6d8e2b4a1c70:fx"),
            ("headers={'HTTP_HOST': 'api.example.com', 'HTTP_AUTHORIZATION': 'Token 6ebd5daff60fd83e4da85db5fa58faa96671f46b'}", "6ebd5daff60fd83e4da85db5fa58faa96671f46b"),
        ],
        counterexamples: &[
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request",
            "Authorization header missing",
            "authorization: required",
        ],
    },
    Builtin {
        id: "session_cookie",
        provider: "generic",
        description: "Session identifier in a Cookie or Set-Cookie header or under a session key (session, sid, JSESSIONID, PHPSESSID, connect.sid, remember_token, ...)",
        keywords: SESSION_KEYWORDS,
        pattern: assignment!(session_words!()),
        validate: Some(key_value),
        generic: true,
        examples: &[
            (
                "cookie: '_ga=GA1.2.5732392223.1710240736; connect.sid=s%3ACZD3qLD46BdpzDX9oYiiaWs7zD5J9dXl.DSnRci8AYds4aNxxAlW8C0040WVrMVc; theme=dark'",
                "s%3ACZD3qLD46BdpzDX9oYiiaWs7zD5J9dXl.DSnRci8AYds4aNxxAlW8C0040WVrMVc",
            ),
            (
                "Set-Cookie: JSESSIONID=4B9805C78982C5F15B255349622071E7; Path=/; HttpOnly",
                "4B9805C78982C5F15B255349622071E7",
            ),
            ("session = TpDsy_dH9bOnDedX5TsCYB4DODmjZNuGnPlZrBcb0_4", "TpDsy_dH9bOnDedX5TsCYB4DODmjZNuGnPlZrBcb0_4"),
        ],
        counterexamples: &[
            "session=started user=bob",
            "session:46062 expired",
            "Cookie: _ga=GA1.2.5732392223.1710240736; theme=dark",
            "session_timeout=1800",
            "inside=yes sid=12345",
            "AccountSid=AC6f2b9d1e0c8a4b7f3e5d2c1a0b9e8f7d",
            "cache miss for key session:00003e7a:profile",
        ],
    },
    Builtin {
        id: "connection_string_password",
        provider: "generic",
        description: "Password of an ADO.NET, ODBC or JDBC connection string (Password=...; Pwd=...;)",
        keywords: &["password", "pwd"],
        pattern: r"(?i-u)(?:;[ \t]*(?:password|pwd)[ \t]*=[ \t]*(?:\{(?P<secret_brace>[^}\r\n]+)\}|(?P<secret>[^;\x22'\r\n]+))|\b(?:password|pwd)[ \t]*=[ \t]*(?P<secret_first>[^;\x22'\r\n]{1,256});)",
        validate: Some(connection_string),
        generic: true,
        examples: &[
            (
                "Server=tcp:10.28.116.32,1433;Database=app;User Id=admin;Password=4W71=d@IKy gIfDg6kil-X@c;Encrypt=True;",
                "4W71=d@IKy gIfDg6kil-X@c",
            ),
            (
                "Driver={ODBC Driver 18};Server=db;UID=sa;PWD={p;ss w0rd}",
                "p;ss w0rd",
            ),
            (
                "jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=Tigger!7851",
                "Tigger!7851",
            ),
        ],
        counterexamples: &[
            "Server=db;User Id=sa;Password=;",
            "Data Source=db;Password=${DB_PASSWORD};",
            "host=db password=hunter22 sslmode=require;",
        ],
    },
    Builtin {
        id: "connection_string_account_key",
        provider: "generic",
        description: "AccountKey / SharedAccessKey of a connection string (Azure-style)",
        keywords: &["accountkey", "sharedaccesskey", "sharedsecretvalue"],
        pattern: r"(?i-u)\b(?:accountkey|sharedaccesskey|sharedsecretvalue)[ \t]*=[ \t]*(?P<secret>[a-z0-9+/]{20,}={0,2})",
        validate: Some(random_only),
        generic: true,
        examples: &[(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=3kq0Yv9rA8hXz2LmN4pT6wB1cD5eF7gH9iJ0kL2mN4o=",
            "3kq0Yv9rA8hXz2LmN4pT6wB1cD5eF7gH9iJ0kL2mN4o=",
        )],
        counterexamples: &["SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<key>"],
    },
    Builtin {
        id: "db_connect_password",
        provider: "generic",
        description: "Password passed positionally to a database connect call (PHP PDO and mysqli, JDBC DriverManager.getConnection), as shown in stack traces",
        keywords: &["pdo", "mysqli", "mysql_connect", "getconnection", "dbi->connect"],
        pattern: r#"(?i-u)\b(?:pdo(?:->|::)?(?:__construct)?|mysqli(?:_connect|_real_connect|->__construct|::__construct)?|mysql_connect|getconnection|dbi->connect)[ \t]*\([ \t]*(?:(?:'[^'\r\n]*'|"[^"\r\n]*"|[^,'"()\r\n]*)[ \t]*,[ \t]*){2}(?:'(?P<secret_sq>[^'\r\n]+)'|"(?P<secret_dq>[^"\r\n]+)")"#,
        validate: Some(connect_call),
        generic: true,
        examples: &[
            (r#"my $dbh = DBI->connect("dbi:mysql:database=crm;host=db1", "crm", "Ruetjg8GgOemgRrv", { RaiseError => 1 });"#, "Ruetjg8GgOemgRrv"),
            (
                "#0 /var/www/html/lib/Db.php(49): PDO->__construct('mysql:host=db;dbname=shop', 'admin', 'kyKN=Imz7m32%em5YL*_')",
                "kyKN=Imz7m32%em5YL*_",
            ),
            ("$db = mysqli_connect(\"10.0.0.7\", \"shop\", \"Liverpool2013.\", \"shop\");", "Liverpool2013."),
            (
                "at DriverManager.getConnection(\"jdbc:postgresql://db/app\", \"etl\", \"monkey-hunter-48\")",
                "monkey-hunter-48",
            ),
        ],
        counterexamples: &[
            "PDO->__construct('mysql:host=db;dbname=shop', 'admin', '********')",
            "new PDO($dsn, $user, $password)",
            "mysqli_connect('db', 'app', '')",
        ],
    },
    Builtin {
        id: "sql_password",
        provider: "generic",
        description: "Password in SQL: IDENTIFIED BY '...', [WITH] [ENCRYPTED] PASSWORD '...', PASSWORD('...')",
        keywords: &["identified", "password"],
        pattern: r#"(?i-u)(?:^|[^'"\w])(?:identified[ \t]+(?:with[ \t]+[a-z0-9_]+[ \t]+)?by|password)(?:[ \t]+|[ \t]*\([ \t]*)'(?P<secret>[^'\s][^'\r\n]*)'"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("Query\tCREATE USER 'etl'@'%' IDENTIFIED BY '_WxKTn#Os!g66d'", "_WxKTn#Os!g66d"),
            ("statement: CREATE USER app WITH PASSWORD 'Tigger$7611'", "Tigger$7611"),
            ("ALTER ROLE report ENCRYPTED PASSWORD 'correct horse battery'", "correct horse battery"),
            ("SET PASSWORD FOR 'bob'@'%' = PASSWORD('Fr33d0m811')", "Fr33d0m811"),
        ],
        counterexamples: &[
            "statement: ALTER USER app WITH PASSWORD '********'",
            "ALTER USER x PASSWORD ''",
            "DB_PASSWORD:  <set to the key 'password' in secret 'auth-db'>",
        ],
    },
    Builtin {
        id: "netrc_password",
        provider: "generic",
        description: "Password of a .netrc entry (machine host login user password secret)",
        keywords: &["password"],
        pattern: r"(?i-u)\blogin[ \t]+[^\s]+[ \t]+password[ \t]+(?P<secret>[^\s]+)",
        validate: Some(password_only),
        generic: true,
        examples: &[(
            "machine api.heroku.com login me@example.com password Xw9-ab12-CD34",
            "Xw9-ab12-CD34",
        )],
        counterexamples: &["login failed: password expired"],
    },
    Builtin {
        id: "cli_user_password",
        provider: "generic",
        description: "user:password given to curl, wget or httpie (-u, --user, --proxy-user, --auth)",
        keywords: &["-u", "--user", "--proxy-user", "--auth"],
        pattern: r#"(?-u)(?:(?m:^)|[ \t])(?:-u|-U|--user|--proxy-user|--auth|--http-user)(?:[ \t]*|=)(?:'[^':\r\n]*:(?P<secret_sq>[^'\r\n]+)'|"[^":\r\n]*:(?P<secret_dq>[^"\r\n]+)"|[^\s:"'\-][^\s:"']*:(?P<secret>[^\s"']+))"#,
        validate: Some(cli_user),
        generic: true,
        examples: &[
            ("curl -X DELETE -u heidi:L1v3rp00l142 'https://api.example.com/v1/x'", "L1v3rp00l142"),
            ("curl --user 'admin:pepper charlie 4' https://nexus.local/", "pepper charlie 4"),
            ("wget --http-user=svc --http-password=x https://h --user=bob:Tr0ub4dor3", "Tr0ub4dor3"),
        ],
        counterexamples: &[
            "docker run -u 1000:1000 alpine",
            "docker exec -u node:node app ls",
            "curl -u admin:$ADMIN_PASS https://x",
        ],
    },
    Builtin {
        id: "lftp_user_password",
        provider: "generic",
        description: "Password in lftp's -u user,password",
        keywords: &["lftp"],
        pattern: r#"(?-u)\blftp\b[^\r\n]{0,256}?[ \t]-u[ \t]+(?:'[^',\r\n]*,(?P<secret_sq>[^'\r\n]+)'|"[^",\r\n]*,(?P<secret_dq>[^"\r\n]+)"|[^\s,"']+,(?P<secret>[^\s"']+))"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("lftp -u uploader,Up-L0ad!x9 ftp.partner.example -e 'mirror -R dist /www; quit'", "Up-L0ad!x9"),
            ("lftp -e 'set ssl:verify-certificate no' -u 'deploy,Spr1ng #42' sftp://files.example", "Spr1ng #42"),
        ],
        counterexamples: &["lftp -u anonymous ftp.example.org", "lftp -u deploy,$FTP_PASSWORD ftp.example"],
    },
    Builtin {
        id: "mysql_password_flag",
        provider: "generic",
        description: "Password glued to -p on a MySQL/MariaDB client command line (mysql -uroot -pS3cret)",
        keywords: &["mysql", "mariadb"],
        pattern: r#"(?-u)(?:(?m:^)|[ \t])-p(?:'(?P<secret_sq>[^'\r\n]+)'|"(?P<secret_dq>[^"\r\n]+)"|(?P<secret>[^\s"'\-][^\s"']*))"#,
        validate: Some(mysql_flag),
        generic: true,
        examples: &[
            ("mysqldump -h db -uroot -pS3cr3t!x app > dump.sql", "S3cr3t!x"),
            ("mysql -u admin -p'winter monkey 68' -h 10.0.0.5", "winter monkey 68"),
        ],
        counterexamples: &["mkdir -p /var/lib/mysql", "mysql -u root -p app"],
    },
    Builtin {
        id: "cli_password_short_flag",
        provider: "generic",
        description: "Password after -p for docker/podman/helm login, sshpass and the mongo shells, after -a for redis-cli",
        keywords: &["sshpass", "login", "redis-cli", "mongo"],
        pattern: concat!(r"(?-u)(?:(?m:^)|[ \t])(?P<key>-[pa])[ \t]+", value!(r"\-")),
        validate: Some(short_flag),
        generic: true,
        examples: &[
            ("docker login -u ci-bot -p 9fQ2xL7mWv registry.example.com", "9fQ2xL7mWv"),
            ("sshpass -p 'hunter2' ssh deploy@10.0.0.4", "hunter2"),
            ("redis-cli -h cache -a Zx9!kLmq2 ping", "Zx9!kLmq2"),
            ("mongosh --host db -u admin -p 'Gr33n!Tea' --authenticationDatabase admin", "Gr33n!Tea"),
        ],
        counterexamples: &[
            "ssh -p 2222 deploy@host",
            "docker run -p 8080:80 nginx",
            "docker login -u bob -p $REGISTRY_PASSWORD",
        ],
    },
    Builtin {
        id: "cli_secret_flag",
        provider: "generic",
        description: "Secret after a command-line flag that names it (--password x, --token x, --client-secret x)",
        keywords: ANY_KEY_KEYWORDS,
        pattern: concat!(
            r"(?i-u)(?:(?m:^)|[ \t])(?P<key>--?[a-z0-9_.\-]*(?:",
            password_words!(),
            "|",
            secret_words!(),
            ")",
            key_suffix!(),
            r")[ \t]+",
            value!(r"\-")
        ),
        validate: Some(flag_value),
        generic: true,
        examples: &[
            ("vault login --method=userpass --password 'Fr33d0m 811' -u bob", "Fr33d0m 811"),
            ("gh auth login --with-token --token 7Rk2PqL9zXw3VbN8mT4s", "7Rk2PqL9zXw3VbN8mT4s"),
            (
                "az login --service-principal -u app --client-secret Q7x8Q~abcDEF1234ghiJKL -t tenant",
                "Q7x8Q~abcDEF1234ghiJKL",
            ),
        ],
        counterexamples: &[
            "docker login --password-stdin",
            "WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
            "psql --no-password postgres",
            "kubectl get secret --token-ttl 3600",
            "tool --token $TOKEN",
        ],
    },
    Builtin {
        id: "password_assignment",
        provider: "generic",
        description: "A value assigned to a key naming a password (password, passwd, pwd, pass, passphrase, in any spelling) in JSON, YAML, logfmt, INI, .env, query strings, XML attributes, Ruby and Python",
        keywords: &["pass", "pwd", "pw", "psk"],
        pattern: assignment!(password_words!()),
        validate: Some(key_value),
        generic: true,
        examples: &[
            (r#"{"password": "Tr0ub4dor3"}"#, "Tr0ub4dor3"),
            (r#"Parameters: {"user"=>{"email"=>"a@b.io", "password"=>"Baseball!1197"}}"#, "Baseball!1197"),
            ("DB_PASSWORD=winter-monkey-68 DB_HOST=db", "winter-monkey-68"),
            ("export PGPASSWORD=\"correct horse battery staple\"", "correct horse battery staple"),
            ("redis_pass: hunter2", "hunter2"),
            ("MYSQL_PASSWORD2=Zebra-Crossing-9", "Zebra-Crossing-9"),
            (r#"{"password_confirmation"=>"Zebra-Crossing-9"}"#, "Zebra-Crossing-9"),
            ("/login?user=bob&passwd=Fr33d0m811&next=/", "Fr33d0m811"),
            (r#"<user name="bob" password="s3cr3t-Pa55"/>"#, "s3cr3t-Pa55"),
            (r#"msg="{\"redisPassword\": \"6TbISzZR*%i#nZk%\"}""#, "6TbISzZR*%i#nZk%"),
            ("connect(host='db', passphrase='blue fish 42')", "blue fish 42"),
            ("Config{user=bob, password=Purpl3250}", "Purpl3250"),
            ("smtp.pwd := \"q9!Lk2#x\"", "q9!Lk2#x"),
            (r#"$DbPassword = "Reset-Summer24""#, "Reset-Summer24"),
            (r#"$cfg["db_password"] = "Sx9!mQ2pLr";"#, "Sx9!mQ2pLr"),
            ("wifi_psk=Wp4Supp!icant", "Wp4Supp!icant"),
            ("$VAR1 = { 'dbuser' => 'report', 'dbpass' => 'YiDgdtIq6C0-!w' };", "YiDgdtIq6C0-!w"),
            ("AH01071: ldap_bind(): Invalid credentials (bind_dn=cn=wp-sync,ou=svc,dc=example,dc=org bind_pw=YdHVzv65cg92HY*5*%pcr) in sync.php", "YdHVzv65cg92HY*5*%pcr"),
        ],
        counterexamples: &[
            r#"$password = Read-Host -AsSecureString "Enter password""#,
            "password reset email sent",
            "password_reset=true",
            "PASSWORD_LENGTH=16",
            "Password: incorrect",
            "password=${DB_PASSWORD}",
            "DB_PASSWORD=xxxxxxxxxxxxxxxx",
            "password: str",
            "connect(password=password)",
            "bypass=enabled compass=north",
            "pass=3 fail=0",
            "USER_PASSWORD=%(user_password)s",
            "password = os.environ[\"DB_PASSWORD\"]",
            "redis_password=<hidden>",
            "passwd = ****",
            "password: (none)",
            r#"input[type="password"]:focus { outline: 2px solid #3b82f6; }"#,
            "password: !Ref DatabasePassword",
            "  password: !secret mqtt_password",
            r#"String url = base + "?user=" + user + "&password=" + password;"#,
            "pwd = (const char *)password_buf; memcpy(dst, password + offset, len);",
            "admin_password = $__file{/etc/secrets/grafana_admin}",
            "set imap_pass=\"`pass show mail/imap`\"",
            "passwd:         files systemd",
            r#"#MyApp.Accounts.User<id: 7, email: "ana@example.com", hashed_password: "hash-of-Summer2024!", ...>"#,
        ],
    },
    Builtin {
        id: "secret_assignment",
        provider: "generic",
        description: "A machine-made value assigned to a key naming a secret (secret, token, api key, access key, private key, client secret, credential, auth, signing key, ...) in any spelling and syntax, headers included",
        keywords: SECRET_KEYWORDS,
        pattern: assignment!(secret_words!()),
        validate: Some(secret_key_value),
        generic: true,
        examples: &[
            (
                r#"export OAUTH_TOKEN="036f39b2a1629e0de055f5e71be4aabc4625051525db51daa7d722a07f6874d6""#,
                "036f39b2a1629e0de055f5e71be4aabc4625051525db51daa7d722a07f6874d6",
            ),
            ("msg=\"timed out\" api_token=BRJO6c9YiBZb8O18Pd4SlZ duration_ms=2813", "BRJO6c9YiBZb8O18Pd4SlZ"),
            ("GET /v1/jobs?access_token=nSrIMnRejKn45KNeOPW6xEldggMxYi0g5zDDL&page=2", "nSrIMnRejKn45KNeOPW6xEldggMxYi0g5zDDL"),
            ("error: https://api.example.com/v1?apikey=hr3b0apfMQXWJiUzIwcZ: 401 Unauthorized", "hr3b0apfMQXWJiUzIwcZ"),
            ("fatal: Authentication failed for 'https://git.example.com/r?token=hr3b0apfMQXWJiUzIwcZ/'", "hr3b0apfMQXWJiUzIwcZ"),
            ("> X-API-KEY: a368e1ea94291b76cf9af9fd999c7d105ef9c8d4daad705d102ccd1488ec9cd1", "a368e1ea94291b76cf9af9fd999c7d105ef9c8d4daad705d102ccd1488ec9cd1"),
            ("{'x-auth-token': 'Zk3Lq9Xw2PvB7nRtQ4sD'}", "Zk3Lq9Xw2PvB7nRtQ4sD"),
            ("stripeSecretKey: \"Vt7yQp2LmZ9xKw4RbN8s\"", "Vt7yQp2LmZ9xKw4RbN8s"),
            ("kubectl create secret generic s --from-literal=client-secret=xiFF4ASNg6lMBmJyuxJR997o6pweR9jp -n x", "xiFF4ASNg6lMBmJyuxJR997o6pweR9jp"),
            ("      \"auth\": \"c3ZjX2FwaTpNb25rZXkjNzExNw==\"", "c3ZjX2FwaTpNb25rZXkjNzExNw=="),
            ("Ocp-Apim-Subscription-Key: 0f1e2d3c4b5a69788796a5b4c3d2e1f0", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
            ("SECRET_KEY_BASE=9f1c7e2b4d6a8c0e1f3a5b7c9d2e4f6a", "9f1c7e2b4d6a8c0e1f3a5b7c9d2e4f6a"),
            ("dbCredential=Summer2024", "Summer2024"),
            ("storageCredential: \"Azur3St0r!\"", "Azur3St0r!"),
            ("msg=\"loaded target\" target=pg-replica-3 svc_cred=A3ZMCU_2_kW31tPv0 scrape_interval=30s", "A3ZMCU_2_kW31tPv0"),
            ("app.config['SECRET_KEY'] = '0d2b05763038bc6ae13ec2deaa7ea5d6'", "0d2b05763038bc6ae13ec2deaa7ea5d6"),
            (r#"{"connector.class":"io.confluent.connect.s3.S3SinkConnector","aws.secret.access.key":"p1K9wCyRHBU+EQq5mICfaHGeWS+8lpeACQQkTbVn"}"#, "p1K9wCyRHBU+EQq5mICfaHGeWS+8lpeACQQkTbVn"),
        ],
        counterexamples: &[
            "SecretId=arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab3xYz VersionId=1",
            "mapboxgl.accessToken = 'pk.eyJ1IjoiYWNtZSIsImEiOiJjbHg0In0.Qm9rZW4tU2lnbmF0dXJlLVg';",
            "token_type=bearer&expires_in=3600",
            "auth=ok",
            "token_count=512",
            "max_tokens=4096",
            "secret_name=db-credentials",
            "api_key = os.environ[\"OPENAI_API_KEY\"]",
            "access_token=[FILTERED]",
            "client_secret=<redacted>",
            "GITHUB_TOKEN=***REMOVED***",
            "secret_ref=projects/globex/secrets/db-credentials/versions/3",
            "credentials_file=/etc/app/credentials.json",
            "next_page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA0",
            "tokenizer=cl100k_base",
            "x-api-key: REDACTED",
            "api_key=%24%7BAPI_KEY%7D",
            "auth_method=password",
            "secret: ${{ secrets.API_TOKEN }}",
            "git fetch https://x-access-token:${GITHUB_TOKEN}@github.com/org/repo",
            "pub const SCM_CREDENTIALS: u32 = 2;",
            "let provider = ClientSecretCredential::new(&tenant_id, client_id, options)",
            "credentials: include",
            "sacred=true accred: pending",
            "credit_card_last4=4242",
            "pub credentials: *mut IKEEXT_CREDENTIAL_PAIR0,",
            "const supabase = createClient(url, 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJhbm9uIn0.fLlZpFjkukoedKuivACZ1M9iOvKvsV6zuWf6iJJI1BY'); // anon_key: public",
            "SUPABASE_ANON_KEY=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJhbm9uIn0.fLlZpFjkukoedKuivACZ1M9iOvKvsV6zuWf6iJJI1BY",
            r#"{"action":"personal_access_token.request_created","hashed_token":"GUMoPt7EOhyqxdj2mzZIu1+OkaGmkL7e5KTp33nmJ3Y="}"#,
            r#"REQ: curl -g -i -X GET http://controller:8774/v2.1/servers/detail -H "X-Auth-Token: {SHA256}5285920073ddd6415ae5d9d3026d5c2714b9f22999c3d43a44b443f4c5c75a58""#,
        ],
    },
    Builtin {
        id: "xml_key_value_pair",
        provider: "generic",
        description: "A secret in a key/value pair of XML attributes (<add key=\"ApiSecret\" value=\"...\"/>, <property name=\"password\" value=\"...\"/>)",
        keywords: ANY_KEY_KEYWORDS,
        pattern: concat!(
            r#"(?i-u)\b(?:key|name)[ \t]*=[ \t]*"(?P<key>[a-z0-9_.:\-]*(?:"#,
            password_words!(),
            "|",
            secret_words!(),
            "|",
            session_words!(),
            ")",
            key_suffix!(),
            r#")"[ \t]+value[ \t]*=[ \t]*"(?P<secret>[^"\r\n]+)""#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            (r#"<add key="ApiSecret" value="Zk3Lq9Xw2PvB7nRtQ4sD"/>"#, "Zk3Lq9Xw2PvB7nRtQ4sD"),
            (r#"<property name="hibernate.connection.password" value="Gh8!kq2Lz"/>"#, "Gh8!kq2Lz"),
        ],
        counterexamples: &[r#"<add key="ApiSecretName" value="prod"/>"#, r#"<property name="password" value="${db.password}"/>"#],
    },
    Builtin {
        id: "xml_secret_element",
        provider: "generic",
        description: "A secret as the text of an XML element naming it (<password>...</password>, <apiKey>...</apiKey>)",
        keywords: ANY_KEY_KEYWORDS,
        pattern: concat!(
            r"(?i-u)<(?P<key>[a-z0-9_.:\-]*(?:",
            password_words!(),
            "|",
            secret_words!(),
            "|",
            session_words!(),
            ")",
            key_suffix!(),
            // Attributes (`Type="...#PasswordText"`), but no self-closing `/`; the value may
            // sit on a line of its own.
            r")(?:[ \t\r\n]+(?:[^<>]{0,511}[^<>/])?)?>\s*(?P<secret>[^<\s](?:[^<\r\n]*[^<\s])?)\s*</"
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            ("<password>Fr33d0m811</password>", "Fr33d0m811"),
            ("<session_id>f3b9c2d1e0a4b5c6d7e8f9a0b1c2d3e4</session_id>", "f3b9c2d1e0a4b5c6d7e8f9a0b1c2d3e4"),
            ("<ns:ApiKey>0f1e2d3c4b5a69788796a5b4c3d2e1f0</ns:ApiKey>", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
            (
                r#"<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">Wss3c!Pass</wsse:Password>"#,
                "Wss3c!Pass",
            ),
            ("<o:Password>\n    Mult1L1ne!Pw\n</o:Password>", "Mult1L1ne!Pw"),
        ],
        counterexamples: &[
            "<password></password>",
            "<token>${TOKEN}</token>",
            "<passwordPolicy>strict</passwordPolicy>",
            "<password /> <b>Required</b>",
            r#"<wsse:Password Type="PasswordText">#add-password</wsse:Password>"#,
        ],
    },
    Builtin {
        id: "php_define_secret",
        provider: "generic",
        description: "A secret given to PHP's define() under a secret's constant name: define('DB_PASSWORD', '...'), and WordPress's authentication keys and salts (AUTH_KEY, NONCE_SALT, ...)",
        keywords: &["define(", "define ("],
        pattern: r#"(?i-u)\bdefine[ \t]*\([ \t]*["'](?P<key>[a-z0-9_]{0,40}(?:pass(?:word|wd)?|pwd|secret|token|key|salt))["'][ \t]*,[ \t]*(?:'(?P<secret_sq>[^'\r\n]{6,256})'|"(?P<secret_dq>[^"\r\n]{6,256})")[ \t]*\)"#,
        validate: Some(define_value),
        generic: true,
        examples: &[
            ("define( 'DB_PASSWORD', 'Wp-Db#2026pass' );", "Wp-Db#2026pass"),
            (
                r#"define('SECURE_AUTH_KEY',  'k<Q]x9$Lm~2v!Rz^8N|p@4Tw{6yHs_0Bd%c3Jf*E7gU+aK5e-Wn1(Zq)Xr&Vt;Y');"#,
                "k<Q]x9$Lm~2v!Rz^8N|p@4Tw{6yHs_0Bd%c3Jf*E7gU+aK5e-Wn1(Zq)Xr&Vt;Y",
            ),
            (r#"define("STRIPE_SECRET", "Zx8Vq2Lp0Rt6Yw4Nm1Kc7Jh3Gd9Fs5Ab");"#, "Zx8Vq2Lp0Rt6Yw4Nm1Kc7Jh3Gd9Fs5Ab"),
        ],
        counterexamples: &[
            "define( 'AUTH_KEY',         'put your unique phrase here' );",
            "define( 'DB_PASSWORD', 'password_here' );",
            "define('WP_CACHE_KEY_SALT', 'example.com');",
            "define('DB_PASSWORD', getenv('DB_PASSWORD'));",
            "define('API_TOKEN_HEADER', 'X-Api-Token');",
        ],
    },
    Builtin {
        id: "cli_tool_password",
        provider: "generic",
        description: "Password after the password flag of an admin tool, from a table of (tool, flag) pairs: PsExec -p, schtasks /rp and /p, wmic /password:, cmdkey /pass:, winrs, FreeRDP, sqlcmd/bcp/osql -P, ldap* -w, ipmitool -P, SNMPv3 -A/-X, zip -P, keytool -storepass/-keypass, openssl -passin pass:, redis-cli -a, cqlsh -p, influx -password, vsql -w, sshpass and the mongo tools -p",
        keywords: tool_flags::KEYWORDS,
        pattern: tool_flags::PATTERN,
        validate: Some(tool_flags::tool_flag),
        generic: true,
        examples: &[
            (r"psexec \\10.0.0.5 -u CORP\admin -p Winter2024! cmd.exe", "Winter2024!"),
            ("schtasks /create /tn Backup /ru CORP\\svc /rp \"Spr1ng Time#42\" /sc daily", "Spr1ng Time#42"),
            ("wmic /node:10.0.0.7 /user:admin /password:Gr8Scott!x process list", "Gr8Scott!x"),
            ("cmdkey /add:server01 /user:CORP\\admin /pass:Tr1cky-Pass", "Tr1cky-Pass"),
            ("sqlcmd -S tcp:db01,1433 -U sa -P 'Yuk0n!900' -Q \"SELECT 1\"", "Yuk0n!900"),
            ("keytool -list -keystore app.jks -storepass St0reIt!9", "St0reIt!9"),
            ("openssl rsa -in key.pem -passin pass:Rs4Key#1 -out plain.pem", "Rs4Key#1"),
            ("ipmitool -I lanplus -H 10.0.0.9 -U ADMIN -P Ipm1Pass! chassis status", "Ipm1Pass!"),
            ("cqlsh -u cassandra -p Kx9-Ring2aar 10.0.3.15 9042", "Kx9-Ring2aar"),
            ("influx -host db -username admin -password 'Infl#ux2026' -execute 'SHOW DATABASES'", "Infl#ux2026"),
        ],
        counterexamples: &[
            "ipmitool -H 10.0.0.9 -p 623 -U ADMIN chassis status",
            "ssh -p 2222 deploy@host",
            "gzip -P x file",
            "sqlcmd -S db -U sa -P $SA_PASSWORD",
            "psexec \\\\host -u user -p password cmd",
            "keytool -list -keystore app.jks -storepass changeit",
            "openssl genrsa -aes256 -passout stdin 4096",
        ],
    },
    Builtin {
        id: "net_use_password",
        provider: "generic",
        description: "Password given positionally to Windows net use (net use Z: \\\\host\\share PASSWORD /user:DOMAIN\\name) and net user (net user NAME PASSWORD /add)",
        keywords: &["net use", "net.exe use", "net user", "net.exe user"],
        pattern: r#"(?i-u)\bnet(?:\.exe)?[ \t]+(?:use[ \t]+(?:[a-z]:[ \t]+)?(?:"\\\\[^"\r\n]+"|\\\\[^\s]+)(?:[ \t]+/[a-z]+(?::(?:"[^"\r\n]*"|[^\s]*))?)*|user[ \t]+(?:"[^"\r\n]+"|[^\s"/]+))[ \t]+(?:"(?P<secret_dq>[^"\r\n]+)"|(?P<secret>[^\s"/*][^\s"]*))"#,
        validate: Some(net_command_password),
        generic: true,
        examples: &[
            (r"net use Z: \\fileserver\share /user:CORP\jdoe Summer2024!", "Summer2024!"),
            (r#"NET USE \\10.1.1.5\C$ "Qz8!vLm#2p" /user:Administrator"#, "Qz8!vLm#2p"),
            ("net user svc_backup Bl4ckB0x!7 /add /domain", "Bl4ckB0x!7"),
        ],
        counterexamples: &[
            "net user bob * /add",
            "net user bob /delete",
            "the net user accounts are listed below",
            r"net use Z: \\server\share * /user:DOMAIN\user",
            r"net use Z: \\server\share /persistent:yes",
            r"net use \\server\share /user:domain\username password",
        ],
    },
    Builtin {
        id: "credential_constructor_password",
        provider: "generic",
        description: "The password argument of a credential object built in code, or of a client's login call: NetworkCredential(user, \"pw\"), PasswordAuthentication(user, \"pw\".toCharArray()), HTTPBasicAuth/HTTPDigestAuth(user, 'pw'), UsernamePasswordCredentials(user, \"pw\"), smtp.login(user, \"pw\") (smtplib, imaplib, ftplib)",
        keywords: &[
            "networkcredential",
            "passwordauthentication",
            "basicauth",
            "digestauth",
            "usernamepassword",
            ".login(",
        ],
        pattern: r#"(?i-u)(?:\b(?:NetworkCredential|PasswordAuthentication|HTTPBasicAuth|HttpBasicAuth|HTTPDigestAuth|HttpDigestAuth|UsernamePasswordCredentials|UsernamePasswordAuthenticationToken)|\.login)[ \t]*\([ \t]*(?:"[^"\r\n]*"|'[^'\r\n]*'|[a-z_$][a-z0-9_.$]*)[ \t]*,[ \t]*(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)')"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            (r#"var cred = new NetworkCredential("svc_report", "R3p0rt!Svc", "CORP");"#, "R3p0rt!Svc"),
            (r#"return new PasswordAuthentication("mailer", "M4il!Relay".toCharArray());"#, "M4il!Relay"),
            ("requests.get(url, auth=HTTPBasicAuth('api', 'B4sic-Auth!9'))", "B4sic-Auth!9"),
            (r#"    server.login("alerts@example.org", "Sm7p-Relay!26")"#, "Sm7p-Relay!26"),
        ],
        counterexamples: &[
            "new NetworkCredential(user, password)",
            "auth=HTTPBasicAuth(username, password)",
            r#"new NetworkCredential("user", "password")"#,
            "server.login(user, password)",
            r#"mail.login("alerts@example.org", os.environ["SMTP_PASSWORD"])"#,
            r#"page.login("admin", "admin")"#,
        ],
    },
    Builtin {
        id: "powershell_plaintext_password",
        provider: "generic",
        description: "Plain text turned into a PowerShell SecureString (ConvertTo-SecureString \"...\" -AsPlainText), as passed to New-Object PSCredential",
        keywords: &["convertto-securestring"],
        pattern: r#"(?i-u)\bconvertto-securestring(?:[ \t]+-(?:asplaintext|force)(?::\$true)?)*[ \t]+(?:-string[ \t]+)?(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)')"#,
        validate: Some(plaintext_secure_string),
        generic: true,
        examples: &[
            (r#"$pw = ConvertTo-SecureString "Sup3rS3cret!" -AsPlainText -Force"#, "Sup3rS3cret!"),
            ("ConvertTo-SecureString -AsPlainText -Force -String 'c0rp-V4ult'", "c0rp-V4ult"),
        ],
        counterexamples: &[
            "$pw = ConvertTo-SecureString $plain -AsPlainText -Force",
            r#"$s = ConvertTo-SecureString "01000000d08c9ddf0115d1118c7a00c04fc297eb01000000""#,
            r#"ConvertTo-SecureString "$env:ADMIN_PASSWORD" -AsPlainText -Force"#,
        ],
    },
    Builtin {
        id: "samba_user_password",
        provider: "generic",
        description: "Password after % in the user argument of Samba tools (smbclient -U user%password)",
        keywords: &["smbclient", "rpcclient", "smbcacls", "smbget", "smbmap", "winexe"],
        pattern: r#"(?-u)(?:-U|--user(?:name)?)(?:[ \t]+|=)["']?[^\s%"']{1,128}%(?P<secret>[^\s"']+)"#,
        validate: Some(password_only),
        generic: true,
        examples: &[("smbclient //srv/share -U admin%Smb#Pass1 -c 'ls'", "Smb#Pass1")],
        counterexamples: &["smbclient //srv/share -U admin%$SMB_PASS", "smbclient -L srv -U guest%"],
    },
    Builtin {
        id: "seven_zip_password",
        provider: "generic",
        description: "Password of 7-Zip's -p switch, written against it (7z a -pSECRET archive.7z)",
        keywords: &["7z"],
        pattern: r#"(?i-u)\b7z[a-z]?(?:\.exe)?[ \t][^\r\n|;&]{0,256}?[ \t]-p(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"']+))"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("7z a -pH8x#Qm2Lr -mhe=on archive.7z /data/hr", "H8x#Qm2Lr"),
            (r#"7za x backup.7z -p"Zip it 42!" -o/restore"#, "Zip it 42!"),
        ],
        counterexamples: &["7z a -p archive.7z files", "7z x a.7z && ssh -p2222 host", "7z x -p$ARCHIVE_PASSWORD a.7z", "7z x -p\"${ZIP_PW}\" a.7z"],
    },
    Builtin {
        id: "htpasswd_password",
        provider: "generic",
        description: "Password given on htpasswd's command line in batch mode (htpasswd -b [-c] FILE USER PASSWORD, htpasswd -nb USER PASSWORD)",
        keywords: &["htpasswd"],
        pattern: r#"(?-u)\bhtpasswd(?:\.exe)?[ \t]+(?P<key>(?:-[A-Za-z]+[ \t]+)+)(?:[^\s\-][^\s]*[ \t]+)?[^\s\-][^\s]*[ \t]+(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"']+))[ \t]*(?:(?m:$)|\r|[;&|)<>])"#,
        validate: Some(htpasswd_batch),
        generic: true,
        examples: &[
            ("htpasswd -b -c /etc/nginx/.htpasswd monitor Mn7$zQx4Wp", "Mn7$zQx4Wp"),
            ("htpasswd -nbB admin 'S3cr3t!pw' > auth/htpasswd", "S3cr3t!pw"),
        ],
        counterexamples: &[
            "htpasswd -c /etc/nginx/.htpasswd monitor",
            "htpasswd -b .htpasswd user $PASS",
            "htpasswd -D /etc/nginx/.htpasswd olduser",
        ],
    },
    Builtin {
        id: "piped_password",
        provider: "generic",
        description: "A password echoed into a command that reads it from standard input (echo 'x' | docker login --password-stdin, | gh auth login --with-token)",
        keywords: &["--password-stdin", "--with-token"],
        pattern: r#"(?-u)\b(?:echo|printf)[ \t]+(?:-[nEe]+[ \t]+)?(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"'|;&]+))[ \t]*\|[^\r\n|]{0,256}?[ \t](?:--password-stdin|--with-token)\b"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            (r#"echo "Ng5wP2xL9q" | docker login --username builder --password-stdin harbor.corp"#, "Ng5wP2xL9q"),
            ("echo -n 'Reg!stry-2026' | helm registry login registry.example --username ci --password-stdin", "Reg!stry-2026"),
        ],
        counterexamples: &[
            r#"echo "$CR_PAT" | docker login ghcr.io -u bot --password-stdin"#,
            "cat ~/my_password.txt | docker login --username foo --password-stdin",
            r#"echo "${{ secrets.GITHUB_TOKEN }}" | docker login ghcr.io -u ${{ github.actor }} --password-stdin"#,
        ],
    },
    Builtin {
        id: "env_default_secret",
        provider: "generic",
        description: "A secret written as the fallback of an environment lookup whose variable names a secret (env('DB_PASSWORD', 'x'), os.getenv(\"SECRET_KEY\", \"x\"), process.env.JWT_SECRET || 'x')",
        keywords: &["env(", "getenv(", "environ.get(", "env.fetch(", "process.env."],
        pattern: concat!(
            r#"(?-u)(?:\b(?:env|getenv|environ\.get|ENV\.fetch)[ \t]*\([ \t]*["']|\bprocess\.env\.)(?P<key>[A-Za-z0-9_.\-]{0,40}"#,
            secret_key_words!(),
            r#")(?:["'][ \t]*,|[ \t]*(?:\|\||\?\?))[ \t]*(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)')"#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            ("'password' => env('DB_PASSWORD', 'Lv8fQz2Xm'),", "Lv8fQz2Xm"),
            (r#"SECRET_KEY = os.getenv("DJANGO_SECRET_KEY", "k7#vQ2xL9m!pR4tW8zY3bN6cF1hJ5sD0")"#, "k7#vQ2xL9m!pR4tW8zY3bN6cF1hJ5sD0"),
            ("const secret = process.env.JWT_SECRET || 'Tq8vB2nX5mLz9RcW4yKp7HdJ';", "Tq8vB2nX5mLz9RcW4yKp7HdJ"),
        ],
        counterexamples: &[
            "'password' => env('DB_PASSWORD', ''),",
            r#"os.getenv("API_TOKEN", "changeme")"#,
            r#"os.getenv("TOKEN_TTL", "3600")"#,
            "process.env.SESSION_SECRET || generateSecret()",
        ],
    },
    Builtin {
        id: "ldap_bind_password",
        provider: "generic",
        description: "The password of an LDAP bind in code: a bind call whose first argument is a DN (conn.simple_bind_s(\"cn=admin,dc=corp\", \"pw\")), JNDI's Context.SECURITY_CREDENTIALS, or the simple credentials of a BIND request in ldap3's protocol log",
        keywords: &["bind_s(", "bind(", "security_credentials", "bind request"],
        pattern: r#"(?-u)(?:\.(?:simple_bind_s|simple_bind|bind_s|bind)[ \t]*\([ \t]*["'](?i:cn|uid|ou|dc|o|mail)=[^"'\r\n]*["'][ \t]*,[ \t]*|\bSECURITY_CREDENTIALS["']?[ \t]*,[ \t]*|\bBIND request <[^\r\n]{0,512}?["']simple["']:[ \t]*)(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)')"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            (r#"ldap_conn.simple_bind_s("cn=admin,dc=corp,dc=local", "Ld9pPy!Bind")"#, "Ld9pPy!Bind"),
            (r#"env.put(Context.SECURITY_CREDENTIALS, "Jnd1-B!nd-26");"#, "Jnd1-B!nd-26"),
            ("DEBUG:ldap3:PROTOCOL:BIND request <{'version': 3, 'name': 'cn=svc-report,ou=svc,dc=example,dc=org', 'authentication': {'sasl': None, 'simple': 'EqQH9oRI*FU?l'}}> sent via <ldaps://ldap.example.org:636>", "EqQH9oRI*FU?l"),
        ],
        counterexamples: &[
            r#"conn.simple_bind_s("cn=admin,dc=corp", os.environ["LDAP_PW"])"#,
            r#"handler.bind(this, "click")"#,
            "env.put(Context.SECURITY_CREDENTIALS, password);",
        ],
    },
    Builtin {
        id: "password_hash",
        provider: "generic",
        description: "A password hash in the crypt formats (bcrypt $2b$, SHA-crypt $5$ and $6$, MD5-crypt $1$ and $apr1$, yescrypt $y$, Argon2 $argon2id$): offline cracking turns it back into the password",
        keywords: &["$2a$", "$2b$", "$2y$", "$1$", "$5$", "$6$", "$apr1$", "$y$", "$argon2"],
        pattern: r"(?-u)(?P<secret>\$(?:2[abxy]\$[0-9]{2}\$[./A-Za-z0-9]{53}|[156]\$(?:rounds=[0-9]{1,9}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|y\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43}|argon2(?:id|i|d)\$v=[0-9]{1,3}\$m=[0-9]{1,9},t=[0-9]{1,9},p=[0-9]{1,3}\$[A-Za-z0-9+/]{8,}\$[A-Za-z0-9+/]{22,}))(?:[^./A-Za-z0-9+]|$)",
        validate: Some(crypt_hash),
        generic: true,
        examples: &[
            (r#"{"email":"ana@corp.com","password_hash":"$2b$12$jR6Zvl4vy3.nADfMvr9RXGO20ka2F/AKsqC2fSQ3TwPm9kpe4b1fL"}"#, "$2b$12$jR6Zvl4vy3.nADfMvr9RXGO20ka2F/AKsqC2fSQ3TwPm9kpe4b1fL"),
            ("deploy:$6$wakCnU8yLrTxRXPa$.DRHriViMf9cUPOgY3SkofzPWKPUGR8H0PW1q75etv5BSDquYVSYfN.kDxIAjRraw9XYcXSODG18AgUx9mEBfN:19700:0:99999:7:::", "$6$wakCnU8yLrTxRXPa$.DRHriViMf9cUPOgY3SkofzPWKPUGR8H0PW1q75etv5BSDquYVSYfN.kDxIAjRraw9XYcXSODG18AgUx9mEBfN"),
            ("monitor:$apr1$r3Lq9xYz$HqJZimcKQFAMYayBlzkrA/", "$apr1$r3Lq9xYz$HqJZimcKQFAMYayBlzkrA/"),
        ],
        counterexamples: &[
            "deploy:!:19700:0:99999:7:::",
            "root:*:19700:0:99999:7:::",
            "sed -e 's/^\\(.*\\)$/$1$2/' file",
            "bcrypt hashes look like $2b$12$<22-char salt><31-char hash>",
        ],
    },
    Builtin {
        id: "cli_api_key_user",
        provider: "generic",
        description: "An API key given as the user name of HTTP basic auth with a dummy or empty password, as several APIs document it (curl -u KEY:x, curl -u KEY:)",
        keywords: &["-u", "--user"],
        pattern: r#"(?-u)(?:(?m:^)|[ \t])(?:-u|--user)(?:[ \t]+|=)(?:"(?P<secret_dq>[A-Za-z0-9_.\-]{16,}):[xX]?"|'(?P<secret_sq>[A-Za-z0-9_.\-]{16,}):[xX]?'|(?P<secret>[A-Za-z0-9_.\-]{16,}):[xX]?)(?:[ \t]|\r|(?m:$))"#,
        validate: Some(random_only),
        generic: true,
        examples: &[
            (r#"curl -u "287a38f4566d4d54181e1bb83bedc8176feda642:x" https://api.bamboohr.com/api/gateway.php/acme/v1/employees/directory"#, "287a38f4566d4d54181e1bb83bedc8176feda642"),
            ("curl -v -u Qm7xR2kLp9Vz4Tn8Wc3B:X -H 'Content-Type: application/json' https://acme.freshdesk.com/api/v2/tickets", "Qm7xR2kLp9Vz4Tn8Wc3B"),
        ],
        counterexamples: &["docker run -u 1000:1000 alpine", "curl -u deploy-automation-user:x https://h", "curl -u $API_KEY:x https://h"],
    },
    Builtin {
        id: "minio_client_secret",
        provider: "minio",
        description: "Secret key of a MinIO client alias (mc alias set NAME URL ACCESS_KEY SECRET_KEY, mc config host add ...)",
        keywords: &["mc alias", "mc config", "mc.exe"],
        pattern: r#"(?-u)\bmc(?:\.exe)?[ \t]+(?:alias[ \t]+set|config[ \t]+host[ \t]+add)[ \t]+[^\s]+[ \t]+[a-z]+://[^\s]+[ \t]+(?:"[^"\r\n]*"|'[^'\r\n]*'|[^\s"']+)[ \t]+(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"']+))"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("mc alias set prod https://minio.acme.internal L7JO63PBCDV5IVC5XW4P Iv4TX0EAMy9ssqXfiHV4t1Kw2bZ51Xo5LYpyuhIi --api S3v4", "Iv4TX0EAMy9ssqXfiHV4t1Kw2bZ51Xo5LYpyuhIi"),
            ("mc config host add backup http://10.0.4.7:9000 backup-user 'B4ckup!Minio26'", "B4ckup!Minio26"),
        ],
        counterexamples: &["mc alias set local http://localhost:9000 $MINIO_USER $MINIO_PASSWORD", "mc alias list"],
    },
    Builtin {
        id: "url_signature",
        provider: "generic",
        description: "The signature of a signed URL, which grants what it signs until it expires: S3 and GCS presigned URLs (X-Amz-Signature, X-Goog-Signature), CloudFront and Laravel signed URLs (Signature=, signature=)",
        keywords: &["signature="],
        pattern: r#"(?i-u)[?&](?:x-amz-signature|x-goog-signature|signature)=(?P<secret>[A-Za-z0-9%_~+/=\-]{16,})"#,
        validate: Some(random_only),
        generic: true,
        examples: &[
            ("GET /dl/backup.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=0654ae42abe64abdcc90ca0ed0ced689bcd0211c0da67936e3c3564aa9ab73b0 200", "0654ae42abe64abdcc90ca0ed0ced689bcd0211c0da67936e3c3564aa9ab73b0"),
            ("\"GET /api/files/8812/download?expires=1710425201&signature=a2f9369d5ed2c5ccc807fb7ddbd29a2492e8c5b60daba9246437b7937eb9c36f HTTP/1.1\" 200", "a2f9369d5ed2c5ccc807fb7ddbd29a2492e8c5b60daba9246437b7937eb9c36f"),
        ],
        counterexamples: &["?signature=invalid&expires=0", "X-Amz-SignedHeaders=host;x-amz-date", "verify(signature=sig, key=pub)"],
    },
    Builtin {
        id: "oauth_code",
        provider: "generic",
        description: "An OAuth authorization code or PKCE code verifier on its way to the token endpoint (a callback URL with state=, a token request with grant_type=): whoever replays it first gets the tokens",
        keywords: &["code=", "code\"", "code'", "code_verifier"],
        pattern: r#"(?-u)\b(?P<key>code|code_verifier)(?:["']?[ \t]*(?:=>|:)[ \t]*["']?|=)(?P<secret>[A-Za-z0-9._~+/\-]{16,128})"#,
        validate: Some(oauth_code),
        generic: true,
        examples: &[
            ("\"GET /oauth/callback?code=B8ym6b6d1EkPZ6atiF5a5a1eriQFneJ4NL040slg&state=ciuLno9XbCuHieT4Mg3UFDbdmdE8qDY2 HTTP/1.1\" 302", "B8ym6b6d1EkPZ6atiF5a5a1eriQFneJ4NL040slg"),
            ("POST /oauth/token grant_type=authorization_code&code_verifier=3tAxwcibZqgTAtHduCSnYzJHRBFSQaDYovy8f6aruEzIw6wQ0YqgIqBYnUImcmhg&client_id=mobile", "3tAxwcibZqgTAtHduCSnYzJHRBFSQaDYovy8f6aruEzIw6wQ0YqgIqBYnUImcmhg"),
            (r#"  Parameters: {"code"=>"15cb602b05cdd58597bf", "state"=>"51d48007b485c9b81fef75ecc198cc9d8b5ce640a8f7961d"}"#, "15cb602b05cdd58597bf"),
        ],
        counterexamples: &[
            "GET /api/countries?code=US&state=CA",
            "process exited with code=137 state=OOMKilled",
            "GET /verify?code=1234567890123456&state=ok",
            "GET /search?code=def_handler_for_request_state&state=x",
        ],
    },
    Builtin {
        id: "bound_property_secret",
        provider: "generic",
        description: "A configuration property named for a secret, logged with its value as Spring's binder and similar loaders write it (Binding property 'spring.mail.password' with value '...')",
        keywords: &["with value"],
        pattern: concat!(
            r#"(?i-u)\bproperty[ \t]+["'](?P<key>[a-z0-9_.\-\[\]]{0,80}?"#,
            secret_key_words!(),
            r#")["'][ \t]+with[ \t]+value[ \t]+(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)')"#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            ("o.s.b.c.p.bind.JavaBeanBinder : Binding property 'spring.mail.password' with value 'Falcon-quartz-winter-71' from origin 'class path resource [application-prod.yml] - 14:17'", "Falcon-quartz-winter-71"),
        ],
        counterexamples: &["Binding property 'spring.mail.password' with value '${MAIL_PASSWORD}'", "Binding property 'server.port' with value '8080'"],
    },
    Builtin {
        id: "url_password_encoded",
        provider: "generic",
        description: "Password in the userinfo of a percent-encoded URL inside another (target=https%3A%2F%2Fuser%3APASSWORD%40host)",
        keywords: &["%3a%2f%2f"],
        pattern: r#"(?i-u)%3A%2F%2F[A-Za-z0-9._~\-]{1,64}%3A(?P<secret>(?:[A-Za-z0-9._~!*'()\-]|%2[1-9A-Ba-b]|%3[B-Db-d]|%5[BDbd])+)%40"#,
        validate: Some(password_only),
        generic: true,
        examples: &[("target=\"http://blackbox:9115/probe?module=http_2xx&target=https%3A%2F%2Fadmin%3Aj8gWCjI_fI_Hr%40legacy.example.com%2Fstatus\"", "j8gWCjI_fI_Hr")],
        counterexamples: &["next=https%3A%2F%2Fuser%3A%24%7BPASSWORD%7D%40host"],
    },
    Builtin {
        id: "smtp_auth_plain",
        provider: "generic",
        description: "The credentials of an SMTP or IMAP AUTH PLAIN exchange in a protocol transcript (base64 of authorization id, user and password)",
        keywords: &["auth plain"],
        pattern: r#"(?i-u)\bAUTH[ \t]+PLAIN[ \t]+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})"#,
        validate: Some(sasl_plain),
        generic: true,
        examples: &[("send: 'AUTH PLAIN AGFwaWtleQBTRy5rY0RVNTZ5dFJTajE2N1VQV2RGX0RiLm5TNVcwYW5fVlRRSmtfRW50Q2hQa2dKRWVuaTV1VDJDZTZhQUF5bzNsTUY=\\r\\n'", "AGFwaWtleQBTRy5rY0RVNTZ5dFJTajE2N1VQV2RGX0RiLm5TNVcwYW5fVlRRSmtfRW50Q2hQa2dKRWVuaTV1VDJDZTZhQUF5bzNsTUY=")],
        counterexamples: &["250-AUTH PLAIN LOGIN CRAM-MD5", "AUTH PLAIN dXNlcm5hbWU="],
    },
    Builtin {
        id: "otpauth_secret",
        provider: "generic",
        description: "The shared secret of a one-time-password enrolment URI (otpauth://totp/...?secret=BASE32): it generates every future code",
        keywords: &["otpauth://"],
        pattern: r#"(?i-u)\botpauth://[^\s"'<>]*?[?&]secret=(?P<secret>[A-Z2-7]{16,128})"#,
        validate: Some(random_only),
        generic: true,
        examples: &[("enrollment uri=otpauth://totp/Acme:jdoe%40example.com?secret=JHU5Y6EKOCCVCAXTTKJ5CNWYRFDV5INM&issuer=Acme&digits=6", "JHU5Y6EKOCCVCAXTTKJ5CNWYRFDV5INM")],
        counterexamples: &["otpauth://totp/Acme:jdoe?secret=AAAAAAAAAAAAAAAA&issuer=Acme", "otpauth://totp/{label}?secret={secret}"],
    },
    Builtin {
        id: "placeholder_default_secret",
        provider: "generic",
        description: "The default of a placeholder whose variable names a secret: Spring's ${DB_PASSWORD:default}, the shell's and Compose's ${API_TOKEN:-default}",
        keywords: &["${"],
        pattern: concat!(
            r#"(?-u)\$\{(?P<key>[A-Za-z0-9_.\-]{0,64}"#,
            secret_key_words!(),
            r#")(?::-|:=|:|-)(?P<secret>[^}\s"'$]{1,256})\}"#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            ("spring.datasource.password=${DB_PASSWORD:nZvsvD8Hd1OApJOy}", "nZvsvD8Hd1OApJOy"),
            ("      - API_TOKEN=${API_TOKEN:-Tq8vB2nX5mLz9RcW4yKp7HdJ}", "Tq8vB2nX5mLz9RcW4yKp7HdJ"),
        ],
        counterexamples: &["password: ${DB_PASSWORD:-changeme}", "token: ${API_TOKEN:?API_TOKEN must be set}", "password=${DB_PASSWORD}", "url: ${DATABASE_URL:-postgres://localhost/app}"],
    },
    Builtin {
        id: "wrapped_value_secret",
        provider: "generic",
        description: "A secret-named field whose value a debug print wraps in an optional (Rust's password: Some(\"...\"), Swift's Optional(\"...\"))",
        keywords: &["some(\"", "optional(\""],
        pattern: concat!(
            r#"(?-u)\b(?P<key>[A-Za-z0-9_]{0,48}"#,
            secret_key_words!(),
            r#")[ \t]*:[ \t]*(?:Some|Optional)\("(?P<secret_dq>[^"\r\n]+)"\)"#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[
            (r#"DbSettings { username: "app", password: Some("Pelican#Harbor2020"), port: 5432 }"#, "Pelican#Harbor2020"),
            (r#"LoginRequest(username: "jdoe", password: Optional("Snowfall_Tiger31"))"#, "Snowfall_Tiger31"),
        ],
        counterexamples: &[r#"Config { password: Some("<redacted>"), token: None }"#, r#"Settings { api_key: Some("${API_KEY}") }"#],
    },
    Builtin {
        id: "plist_secret",
        provider: "generic",
        description: "A property-list entry whose key names a secret (<key>APIKey</key> then its <string>)",
        keywords: &["<key>"],
        pattern: concat!(
            r#"(?-u)<key>(?P<key>[A-Za-z0-9_.\-]{0,64}"#,
            secret_key_words!(),
            r#")</key>\s{0,64}<string>(?P<secret>[^<\r\n]{1,512})</string>"#
        ),
        validate: Some(key_value),
        generic: true,
        examples: &[("<key>APIKey</key>\n<string>x9BvD3aQd8VduLLmr7LfwTnE2U8kzBz8</string>", "x9BvD3aQd8VduLLmr7LfwTnE2U8kzBz8")],
        counterexamples: &["<key>APIKey</key>\n<string>$(API_KEY)</string>", "<key>NSFaceIDUsageDescription</key><string>Unlock your password vault</string>"],
    },
    Builtin {
        id: "haproxy_insecure_password",
        provider: "generic",
        description: "A plain-text password of an HAProxy userlist (user NAME insecure-password PASSWORD)",
        keywords: &["insecure-password"],
        pattern: r#"(?-u)\binsecure-password[ \t]+(?P<secret>[^\s]+)"#,
        validate: Some(password_only),
        generic: true,
        examples: &[("userlist admins\n  user ops insecure-password KaQfkwXiiiUD3mfc", "KaQfkwXiiiUD3mfc")],
        counterexamples: &["  user ops password $6$rounds=5000$abc", "user ops insecure-password ${HAPROXY_PW}"],
    },
    Builtin {
        id: "translated_password_assignment",
        provider: "generic",
        description: "A value under a key that says password in another language (senha, contraseña, mot_de_passe, wachtwoord, kennwort, lösenord, salasana, hasło, пароль, パスワード, 密码)",
        keywords: &["senha", "contrase", "mot_de_passe", "motdepasse", "wachtwoord", "kennwort", "lösenord", "lÖsenord", "losenord", "salasana", "hasło", "hasŁo", "haslo", "пароль", "Пароль", "ПАРОЛЬ", "パスワード", "密码"],
        // The prefilter and `(?i)` fold ASCII letters only: the capitals of the others are
        // listed. A letter or digit before the key makes it part of another word (`resenha`).
        pattern: r#"(?i-u)(?:(?m:^)|[^A-Za-z0-9])(?P<key>senha|contrase(?:ñ|Ñ|n)a|mot_?de_?passe|wachtwoord|kennwort|l(?:ö|Ö|o)senord|salasana|has(?:ł|Ł|l)o|пароль|ПАРОЛЬ|Пароль|パスワード|密码)["']?[ \t]*(?:=>|[:=]|：)[ \t]*(?:"(?P<secret_dq>[^"\r\n]+)"|'(?P<secret_sq>[^'\r\n]+)'|(?P<secret>[^\s"',;&<>]+))"#,
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("senha: Girassol.Verde13", "Girassol.Verde13"),
            ("contraseña: Girasol_Azul_27", "Girasol_Azul_27"),
            ("пароль=RI2G9Vx2Y3xFWP", "RI2G9Vx2Y3xFWP"),
            ("DB_CONTRASEÑA=Girasol_Azul_27", "Girasol_Azul_27"),
            ("パスワード: eg9oCuiJA8110d", "eg9oCuiJA8110d"),
        ],
        counterexamples: &["'password' => 'Senha'", "senha: Senha", "resenha: Otimo_Produto_2024", "label_senha: \"Digite sua senha\"", "contraseña: ${DB_PASS}"],
    },
    Builtin {
        id: "block_credential",
        provider: "generic",
        description: "A quoted password after its key and a blank, as in credentials blocks (Gradle credentials { password 'x' }) and method-call configuration",
        // Password words only, and not the bare verb `pass` ("pass '--cfg x' to enable"):
        // token, key and auth words are on most log lines, and the rule would run on them all.
        keywords: &["password", "passwd", "passwort", "passphrase", "passcode", "pwd", "psk"],
        pattern: r#"(?i-u)(?:(?m:^)|[{;(\s])(?P<key>pass(?:word|wd|wort|phrase|code)|pwd|psk)[ \t]+(?:"(?P<secret_dq>[^"\r\n\-][^"\r\n]*)"|'(?P<secret_sq>[^'\r\n\-][^'\r\n]*)')"#,
        validate: Some(block_value),
        generic: true,
        examples: &[
            ("credentials {\n    username 'deployer'\n    password 'Gr4dl3-Dep!oy'\n}", "Gr4dl3-Dep!oy"),
            (r#"credentials { username "ci"; password "M4ven!Push" }"#, "M4ven!Push"),
            (r#"ipsec.secrets: 203.0.113.1 198.51.100.1 : PSK "pSCpi3WIEtPi&bsBM$$nv""#, "pSCpi3WIEtPi&bsBM$$nv"),
        ],
        counterexamples: &[
            "credentials { username project.findProperty('u'); password project.findProperty('p') }",
            r##"password "#add-password""##,
            "implementation 'org.springframework:spring-core:6.1.0'",
            "error: `invariant` is experimental; pass '--cfg zerocopy_unstable_ptr' to enable",
            "we can't pass 'cache' wholesale",
        ],
    },
    Builtin {
        id: "bare_password_line",
        provider: "generic",
        description: "A password alone on a line after its key and a blank (a .netrc entry spread over lines)",
        keywords: &["password", "passwd", "passphrase"],
        pattern: r"(?i-u)(?m:^)[ \t]*(?P<key>[a-z]{0,32}(?:password|passwd|passphrase))[ \t]+(?P<secret>[^\s]+)[ \t]*(?:\r|(?m:$))",
        validate: Some(bare_password),
        generic: true,
        examples: &[
            ("machine ftp.corp.local\n  login deploy\n  password Ftp!Dep2024\n", "Ftp!Dep2024"),
            ("    AuthLDAPBindPassword 6J*.1q4qkyhxhEfX", "6J*.1q4qkyhxhEfX"),
        ],
        counterexamples: &[
            "password changed",
            "Password expired",
            "password 123456",
            "    password combination.",
        ],
    },
    Builtin {
        id: "pgpass_password",
        provider: "generic",
        description: "Password field of a PostgreSQL .pgpass line (host:port:database:user:password)",
        // PostgreSQL's default port or a wildcard: a .pgpass line has no other anchor.
        keywords: &[":*:", ":5432:"],
        // Five fields exactly: a colon in the password is escaped (`\:`), so /etc/shadow's
        // nine fields are no match.
        pattern: r"(?-u)(?m:^)[^:\s#]{1,253}:(?:[0-9]{1,5}|\*):[^:\s]{1,63}:[^:\s]{1,63}:(?P<secret>(?:[^\s:\\]|\\[^\s])+)[ \t]*(?:\r|(?m:$))",
        validate: Some(password_only),
        generic: true,
        examples: &[
            ("db.corp.local:5432:orders:app_user:Pg!Pass2024", "Pg!Pass2024"),
            ("localhost:*:*:postgres:Wh1te-Rabbit", "Wh1te-Rabbit"),
        ],
        counterexamples: &[
            "db:5432:app:app:*",
            "localhost:5432:*:app:${PGPASS}",
            "root:*:20228:0:99999:7:::",
        ],
    },
    Builtin {
        id: "kubernetes_secret_data",
        provider: "kubernetes",
        description: "Base64 values of a Kubernetes Secret's data map (YAML or JSON), whatever their keys",
        keywords: kubernetes::KEYWORDS,
        pattern: kubernetes::PATTERN,
        validate: Some(kubernetes::secret_data),
        generic: true,
        examples: &[
            (
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n  DATABASE_URL: cG9zdGdyZXM6Ly9hcHA6czNjcjN0QGRiOjU0MzIvYXBw\n",
                "cG9zdGdyZXM6Ly9hcHA6czNjcjN0QGRiOjU0MzIvYXBw",
            ),
            (
                r#"{"apiVersion":"v1","data":{"config.json":"eyJkYiI6InN0cm9uZ3B3In0="},"kind":"Secret"}"#,
                "eyJkYiI6InN0cm9uZ3B3In0=",
            ),
        ],
        counterexamples: &[
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  mode: cHJvZA==\n",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: abcd\n  labels:\n    app: frontend\n",
            "kind: Secret\ndata:\n  password: Y2hhbmdlbWU=\n",
        ],
    },
];

/// `net use` takes any password; after `net user NAME` a bare word may be prose ("net user
/// accounts are ..."), so there it must be quoted, hold a digit or a symbol, or come with
/// `/add`.
fn net_command_password(c: &Candidate<'_>) -> bool {
    let before = text_before(c, c.secret).to_ascii_lowercase();
    let user_form =
        before.windows(5).any(|w| w == b"user ") && !before.windows(4).any(|w| w == b"use ");
    let marked = !is_bare(c)
        || c.secret.bytes().any(|b| !b.is_ascii_alphabetic())
        || text_after(c, c.secret)
            .to_ascii_lowercase()
            .windows(4)
            .any(|w| w == b"/add");
    (!user_form || marked) && password_only(c)
}

/// The string of `ConvertTo-SecureString` counts only with `-AsPlainText`: without it, it is
/// an encrypted standard string bound to one user and machine.
fn plaintext_secure_string(c: &Candidate<'_>) -> bool {
    let line = [text_before(c, c.secret), text_after(c, c.secret)].concat();
    line.to_ascii_lowercase()
        .windows(12)
        .any(|w| w == b"-asplaintext")
        && password_only(c)
}

#[cfg(test)]
mod tests {
    use super::super::builtins;
    use crate::{Redactor, Style};

    /// The engine runs an assignment rule only from a key holding one of its keywords
    /// (`Rule::keyed`): so each key word its pattern allows must hold one.
    #[test]
    fn every_key_word_of_an_assignment_rule_holds_one_of_its_keywords() {
        use regex_syntax::hir::literal::{ExtractKind, Extractor};
        let mut checked = 0;
        for b in builtins() {
            if !crate::redact::assignment::is_assignment(b.pattern) {
                continue;
            }
            let words = b
                .pattern
                .strip_prefix(assignment_key_open!())
                .and_then(|p| p.strip_suffix(crate::redact::assignment::TAIL))
                .and_then(|p| p.strip_suffix(concat!(")", key_suffix!(), ")")))
                .unwrap_or_else(|| panic!("{}: not key words, suffix and tail", b.id));
            // Case aside: the keyword automaton ignores ASCII case, so the words are read
            // lower-case.
            let hir = regex_syntax::parse(&format!("(?-u)(?:{words})")).unwrap();
            let mut extractor = Extractor::new();
            extractor
                .kind(ExtractKind::Prefix)
                .limit_total(4096)
                .limit_class(16)
                .limit_repeat(16)
                .limit_literal_len(64);
            let prefixes = extractor.extract(&hir);
            let literals = prefixes
                .literals()
                .expect("a finite set of key word prefixes");
            for literal in literals {
                let word = String::from_utf8_lossy(literal.as_bytes()).to_ascii_lowercase();
                assert!(
                    b.keywords
                        .iter()
                        .any(|k| word.contains(&k.to_ascii_lowercase())),
                    "{}: key word {word:?} holds none of its keywords",
                    b.id
                );
            }
            checked += 1;
        }
        assert_eq!(
            checked, 3,
            "the password, secret and session assignment rules"
        );
    }

    /// Whether any run of 8 characters of `secret` (all of it when shorter) is in `out`.
    fn leaks(secret: &str, out: &str) -> bool {
        let chars: Vec<char> = secret.chars().collect();
        if chars.len() < 8 {
            return out.contains(secret);
        }
        chars
            .windows(8)
            .any(|w| out.contains(&w.iter().collect::<String>()))
    }

    #[test]
    fn no_style_leaves_part_of_any_example_secret() {
        for style in Style::ALL {
            let redactor = Redactor::builder()
                .style(style)
                .fingerprint_key(b"test")
                .build()
                .unwrap();
            for rule in builtins() {
                for (text, credential) in rule.examples {
                    let out = redactor.redact(text);
                    // The part that must go: the credential minus any public prefix a
                    // finding declares (`ghp_`, a PEM header), which `Prefix` keeps.
                    let at = text.find(credential).unwrap();
                    let public = redactor
                        .find(text)
                        .iter()
                        .find(|f| f.span.start <= at && at < f.span.end)
                        .map_or(0, |f| f.secret_span.start.saturating_sub(at));
                    let public = public.min(credential.len());
                    let secret = &credential[public..];
                    // Runs found elsewhere in the text too (`PRIVATE KEY-----` in a kept PEM
                    // header, an indentation) are no leak.
                    let prefix = text.replacen(secret, "", 1);
                    let leaked = secret
                        .char_indices()
                        .map(|(i, _)| &secret[i..])
                        .filter(|rest| rest.chars().count() >= 8)
                        .map(|rest| {
                            &rest[..rest.char_indices().nth(8).map_or(rest.len(), |(i, _)| i)]
                        })
                        .any(|run| out.contains(run) && !prefix.contains(run));
                    assert!(
                        !(leaked || (secret.chars().count() < 8 && leaks(secret, &out))),
                        "{} with {style:?}: {text:?} -> {out:?}",
                        rule.id
                    );
                }
            }
        }
    }

    #[test]
    fn key_families() {
        use super::{family, Family};
        assert_eq!(family("DB_PASSWORD"), Some(Family::Password));
        assert_eq!(family("dbPass"), Some(Family::Password));
        assert_eq!(family("DBPASS"), Some(Family::Password));
        assert_eq!(family("bypass"), None);
        assert_eq!(family("compass"), None);
        assert_eq!(family("connect.sid"), Some(Family::Session));
        assert_eq!(family("JSESSIONID"), Some(Family::Session));
        assert_eq!(family("bsid"), None);
        assert_eq!(family("x-api-key"), Some(Family::Secret));
        assert_eq!(family("NEXTAUTH_SECRET"), Some(Family::Secret));
        assert_eq!(family("next_page_token"), None);
        assert_eq!(family("pageToken"), None);
        assert_eq!(family("SECRET_KEY_BASE"), Some(Family::Secret));
        assert_eq!(family("password2"), Some(Family::Password));
        assert_eq!(family("sid_value"), Some(Family::Session));
    }
}
