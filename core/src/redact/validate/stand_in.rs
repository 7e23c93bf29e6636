//! Values under a secret's key that are not secrets: code (identifiers, member accesses, calls,
//! casts, concatenations, CSS selectors), UI text (labels, translations), the dummies that
//! documentation writes (`YOURPASSWORD`, `AbCeFG123`, `<user:password>`, `xxx:yyy`), and
//! tokenward's own token ids (`"token": "tid_…"` in the Guard's audit events).
//!
//! Generic rules find a value by the key beside it, so what the value is must be judged on its
//! own: `this.addPassword = "#add-password"` has a password key and a string value, and is a
//! selector. Each test below looks at the value and, where code gives itself away only there,
//! at the bytes just around it (`(char *) (...)`, `" + getPassword() + "`, `$request->`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{is_placeholder, Candidate};

/// True when the candidate's value is code, UI text or a documented dummy, not a secret.
pub(crate) fn is_code_or_dummy(c: &Candidate<'_>) -> bool {
    let v = c.secret.trim();
    is_placeholder(v)
        || is_token_id_under_token_key(c)
        || is_dummy(v)
        || is_code_value(c.secret)
        || is_label(v)
        || continues_as_code(c)
        || is_enclosed_placeholder(c)
        || is_cmdlet_call(c)
}

/// A PowerShell cmdlet called for the value (`$password = Read-Host -AsSecureString`): a bare
/// cmdlet name. Quoted, `"Reset-Summer24"` is a string someone chose, maybe a password.
fn is_cmdlet_call(c: &Candidate<'_>) -> bool {
    !matches!(before(c).last(), Some(b'"' | b'\'' | b'`')) && is_cmdlet(c.secret.trim())
}

/// Keys their providers publish by design, made to sit in browser code: Mapbox public tokens
/// (`pk.eyJ...`; its secret ones are `sk.`), Stripe publishable keys (`pk_live_`,
/// `pk_test_`), PostHog project keys (`phc_`; its personal API keys are `phx_`) and JWTs of
/// the `anon` role.
pub(crate) fn is_public_by_design(v: &str) -> bool {
    ["pk.eyJ", "pk_live_", "pk_test_", "phc_"]
        .iter()
        .any(|p| v.starts_with(p))
        || is_anon_jwt(v)
}

/// A JWT whose claims give it the `anon` role: the key Supabase (and PostgREST set-ups)
/// hand every browser, which row-level security then limits. Its `service_role` sibling, and
/// every user's session token, are secrets.
fn is_anon_jwt(v: &str) -> bool {
    let mut parts = v.split('.');
    let (Some(header), Some(claims)) = (parts.next(), parts.next()) else {
        return false;
    };
    if !header.starts_with("eyJ") || !claims.starts_with("eyJ") {
        return false;
    }
    // The top-level claim only: a nested one (`user_metadata`, which users may edit) says
    // nothing of the token.
    #[derive(serde::Deserialize)]
    struct Claims {
        role: Option<String>,
    }
    URL_SAFE_NO_PAD
        .decode(claims.trim_end_matches('='))
        .ok()
        .and_then(|json| serde_json::from_slice::<Claims>(&json).ok())
        .is_some_and(|claims| claims.role.as_deref() == Some("anon"))
}

/// A tokenward token id under a key naming tokens (`"token": "tid_…"`, `token_id=tid_…`), as
/// the Guard's events write it. Only there: under `password` or in a URL's user info the same
/// shape is whatever its owner chose, and stays a secret.
fn is_token_id_under_token_key(c: &Candidate<'_>) -> bool {
    let token_key = c.key.is_some_and(|k| {
        let k = k.trim_matches(|ch: char| !ch.is_ascii_alphanumeric());
        k.eq_ignore_ascii_case("token")
            || k.eq_ignore_ascii_case("tokens")
            || k.eq_ignore_ascii_case("token_id")
            || k.eq_ignore_ascii_case("tokenid")
            || k.eq_ignore_ascii_case("token-id")
    });
    token_key && is_token_id(c.secret.trim())
}

/// A tokenward token id as it prints (`tid_` and 32 lowercase hex digits): a keyed hash of a
/// token, made to be logged.
fn is_token_id(v: &str) -> bool {
    v.strip_prefix("tid_").is_some_and(|hex| {
        hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// Words that documentation strings together into a stand-in (`mypassword`, `YOUR_API_KEY`,
/// `supersecret`, `user:pass`): a value made only of these is a dummy.
const DUMMY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pass",
    "pwd",
    "secret",
    "token",
    "apikey",
    "api",
    "key",
    "access",
    "auth",
    "credentials",
    "credential",
    "my",
    "your",
    "the",
    "some",
    "super",
    "db",
    "database",
    "user",
    "username",
    "admin",
    "root",
    "new",
    "old",
    "here",
    "value",
    "string",
    "test",
    "foo",
    "bar",
    "baz",
    "demo",
    "default",
    "strong",
    "long",
    "random",
    "app",
    // Documented defaults: the JDK trust store's password.
    "changeit",
];

/// Translations of "password" that stand alone as a value (`'password' => 'Passwort'` in a
/// translation file).
const LABEL_WORDS: &[&str] = &[
    "passwort",
    "kennwort",
    "contraseña",
    "contrasena",
    "senha",
    "wachtwoord",
    "parola",
    "hasło",
    "haslo",
    "lösenord",
    "losenord",
    "adgangskode",
    "salasana",
    "пароль",
    "パスワード",
    "密码",
    "비밀번호",
];

/// Key words whose presence makes an identifier or a phrase about a secret rather than one.
const KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passwort",
    "pwd",
    "pass",
    "secret",
    "token",
    "key",
    "credential",
    "credentials",
    "auth",
    "passe",
    "contraseña",
    "senha",
    "kennwort",
];

/// Dummies: a value made of stand-in words (`YOURPASSWORD`, `my_db_password`), one letter
/// repeated (`yyy`), or a sequence (`AbCeFG123`, `abcdef123456`, `1234567890`, `qwerty123`),
/// maybe after a provider-style prefix (`xoxp-1234567890`).
pub(crate) fn is_dummy(v: &str) -> bool {
    // `yyy`, `zzzz`: a short run of one letter (a long one is left to the rules' judgement).
    if (3..=16).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphabetic()) {
        let first = v.as_bytes()[0].to_ascii_lowercase();
        if v.bytes().all(|b| b.to_ascii_lowercase() == first) {
            return true;
        }
    }
    if made_of_words(v, DUMMY_WORDS) {
        return true;
    }
    // A prefix such as `xoxp-` or `sk_` before the body.
    let body = match v.find(['-', '_']) {
        Some(at) if at <= 8 && v[..at].bytes().all(|b| b.is_ascii_alphabetic()) => &v[at + 1..],
        _ => v,
    };
    is_sequence(v) || (body.len() < v.len() && is_sequence(body))
}

/// Whether `v`, without `_`, `-`, `.`, `:` and blank separators, splits into `words` (case
/// ignored).
fn made_of_words(v: &str, words: &[&str]) -> bool {
    let lower = v.to_lowercase();
    let mut rest = lower.as_str();
    let mut count = 0;
    loop {
        rest = rest.trim_start_matches(['_', '-', '.', ':', ' ']);
        if rest.is_empty() {
            return count > 0;
        }
        let longest = words
            .iter()
            .filter(|w| rest.starts_with(**w))
            .max_by_key(|w| w.len());
        match longest {
            Some(w) => {
                rest = &rest[w.len()..];
                count += 1;
            }
            None => return false,
        }
    }
}

/// Letters in alphabet or keyboard order and digits counting up: `AbCeFG123`, `abc123`,
/// `123456789`, `qwerty`, `asdf1234`. Six characters at least; a skipped letter is allowed.
fn is_sequence(v: &str) -> bool {
    if v.len() < 6 || !v.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let letters: Vec<u8> = v
        .bytes()
        .take_while(u8::is_ascii_alphabetic)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    let digits = &v.as_bytes()[letters.len()..];
    if !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let rising_letters = letters.windows(2).all(|w| w[1] > w[0] && w[1] - w[0] <= 2);
    let keyboard = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
        .iter()
        .any(|row| letters.len() >= 4 && row.as_bytes().starts_with(&letters));
    let rising_digits = digits
        .windows(2)
        .all(|w| w[1] == w[0] + 1 || (w[0] == b'9' && w[1] == b'0'));
    let letters_ok = letters.is_empty() || (letters.len() >= 3 && (rising_letters || keyboard));
    let digits_ok = digits.is_empty() || (digits.len() >= 3 && rising_digits);
    letters_ok && digits_ok
}

/// Code as a value: an identifier naming a secret (`edit_password`, `addPassword`), a CSS
/// selector (`#add-password`, `.btn-token`), a member access (`this.form.password`,
/// `user.pwd`), a cast or parenthesised expression (`(char *)`, `(p + 2)`), a concatenation
/// between string literals (`" + getPassword() + "`).
pub(crate) fn is_code_value(v: &str) -> bool {
    let selector = v.strip_prefix(['#', '.']).unwrap_or(v);
    if is_secret_identifier(selector) {
        return true;
    }
    if selector.len() < v.len()
        && selector
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && selector.contains('-')
    {
        return true;
    }
    if is_member_access(v) || is_primitive_type(v) {
        return true;
    }
    // A cast or parenthesised expression: `(char *) (p + 2)`, `(String) x`, `(p + ulen`.
    if let Some(inner) = v.strip_prefix('(') {
        let head_len = inner
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        if head_len > 0 && inner.as_bytes()[0].is_ascii_alphabetic() {
            let rest = inner[head_len..].trim_start();
            if rest.is_empty()
                || rest.starts_with(['*', ')', '+', '-', '[', '&'])
                || is_cast_type(inner)
            {
                return true;
            }
        }
    }
    if is_yaml_tag(v) {
        return true;
    }
    // Code between two string literals, caught as a quoted value: `" + f() + "`, `" . $x . "`;
    // or after the last one, to the end of the statement: `"&password=" + password;`.
    let t = v.trim();
    let ops = ["+", ".", "||", "&"];
    let between = ops.iter().any(|op| t.starts_with(op)) && ops.iter().any(|op| t.ends_with(op));
    let after_literal = ["+ ", ". "].iter().any(|op| {
        t.strip_prefix(op).is_some_and(|rest| {
            let rest = rest.trim_end_matches([';', ')', ',']);
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_.$()".contains(&b))
        })
    });
    t.len() > 2 && t != v && (between || after_literal)
}

/// A cast to a type of several words or a pointer, read after its `(`: `const char *)`,
/// `unsigned long)`, `LPWSTR *)` (a one-word cast, `(LPWSTR)`, is the caller's).
fn is_cast_type(inner: &str) -> bool {
    let Some(close) = inner.find(')') else {
        return false;
    };
    let ty = &inner[..close];
    let words = ty.trim_end_matches(['*', '&', ' ']);
    (words.len() < ty.len() || words.contains(' '))
        && !words.is_empty()
        && words
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b' ')
}

/// A YAML tag that names where the value comes from rather than the value: CloudFormation's
/// intrinsic functions (`password: !Ref DbPassword`), Home Assistant's `!secret`, Ansible's
/// `!vault` (the encrypted text follows on the next lines).
fn is_yaml_tag(v: &str) -> bool {
    const TAGS: &[&str] = &[
        "Ref",
        "GetAtt",
        "Sub",
        "Join",
        "ImportValue",
        "FindInMap",
        "Select",
        "If",
        "Base64",
        "Split",
        "GetAZs",
        "Cidr",
        "Transform",
        "secret",
        "vault",
        "env_var",
        "include",
    ];
    v.strip_prefix('!').is_some_and(|tag| TAGS.contains(&tag))
}

/// A type in a declaration: a primitive (`credentials: u32`, `log_passwd: __u32`), a pointer
/// (`pwd: *mut passwd`, cut at the blank), an array (`szPassword: [u16; 257]`, cut at `;`), or
/// a path (`kind: token::LitKind::Str`, `sid: super::Security::PSID`).
fn is_primitive_type(v: &str) -> bool {
    if matches!(v, "*mut" | "*const" | "&mut" | "&'static") {
        return true;
    }
    if let Some(element) = v.strip_prefix('[') {
        return is_primitive_type(element);
    }
    if v.contains("::")
        && v.split("::").all(|s| {
            let s = s.trim_end_matches(['(', ')', '?', ',', '>', '<']);
            s.is_empty() || s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
    {
        return true;
    }
    let v = v.trim_start_matches('_');
    let width = |w: &str| matches!(w, "8" | "16" | "32" | "64" | "128" | "size");
    match v.as_bytes().first() {
        Some(b'u' | b'i') => width(&v[1..]),
        Some(b'f') => matches!(&v[1..], "32" | "64"),
        _ => false,
    }
}

/// An identifier of two or more words, one of them a key word: `edit_password`,
/// `addPassword`, `password-confirm`, `user.password.label`.
fn is_secret_identifier(v: &str) -> bool {
    if v.is_empty()
        || !v.as_bytes()[0].is_ascii_alphabetic()
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || matches!(b, b'_' | b'-' | b'.'))
    {
        return false;
    }
    let words = split_words(v);
    words.len() >= 2 && words.iter().any(|w| KEY_WORDS.contains(&w.as_str()))
}

/// The words of an identifier, lower case: split at `_`, `-`, `.` and camel humps.
fn split_words(v: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in v.chars() {
        if matches!(c, '_' | '-' | '.') {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// PowerShell's approved verbs (Microsoft's "Approved Verbs for PowerShell Commands"): a
/// cmdlet's name is one of them, a hyphen and a noun.
const CMDLET_VERBS: &str = "\
    Add Approve Assert Backup Block Build Checkpoint Clear Close Compare Complete Compress \
    Confirm Connect Convert ConvertFrom ConvertTo Copy Debug Deny Deploy Disable Disconnect \
    Dismount Edit Enable Enter Exit Expand Export Find Format Get Grant Group Hide Import \
    Initialize Install Invoke Join Limit Lock Measure Merge Mount Move New Open Optimize Out \
    Ping Pop Protect Publish Push Read Receive Redo Register Remove Rename Repair Request \
    Reset Resize Resolve Restart Restore Resume Revoke Save Search Select Send Set Show Skip \
    Split Start Step Stop Submit Suspend Switch Sync Test Trace Unblock Undo Uninstall Unlock \
    Unprotect Unpublish Unregister Update Use Wait Watch Write";

/// A PowerShell cmdlet call's name as the value (`$password = Read-Host -AsSecureString`,
/// `$cred = Get-Credential`): an approved verb, a hyphen, a capitalised noun of letters.
fn is_cmdlet(v: &str) -> bool {
    let Some((verb, noun)) = v.split_once('-') else {
        return false;
    };
    CMDLET_VERBS.split_ascii_whitespace().any(|w| w == verb)
        && noun.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
        && noun.bytes().all(|b| b.is_ascii_alphabetic())
}

/// `this.form.value.password`, `user.pwd`, `props.password`: identifiers joined by dots,
/// the first starting lower case. Digits are left out: `hunter2.x` is a password.
fn is_member_access(v: &str) -> bool {
    if v.bytes().any(|b| b.is_ascii_digit()) {
        return false;
    }
    let segments: Vec<&str> = v.split('.').collect();
    let identifier = |s: &str| {
        let s = s.strip_prefix('$').unwrap_or(s);
        s.as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    segments.len() >= 2
        && segments[0]
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_' || *b == b'$')
        && segments.iter().all(|s| identifier(s))
}

/// UI text: a label ending with a colon (`Password:`, `Mot de passe :`), a phrase of words one
/// of which names a secret (`Confirm password`, `Reset your password`), or a translation of
/// "password" standing alone (`Passwort`).
pub(crate) fn is_label(v: &str) -> bool {
    let words_only = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_alphabetic() || c == ' ' || c == '\'' || c == '’' || c == '-')
    };
    if let Some(text) = v.strip_suffix([':', '?', '…']) {
        if words_only(text.trim_end()) {
            return true;
        }
    }
    let lower = v.to_lowercase();
    if LABEL_WORDS.contains(&lower.as_str()) {
        return true;
    }
    words_only(v)
        && v.contains(' ')
        && lower
            .split([' ', '-'])
            .any(|w| KEY_WORDS.contains(&w) || LABEL_WORDS.contains(&w))
}

/// A bare value cut short where code goes on: `$request->input(...)` (cut at `>`), `(char`
/// followed by ` *)`.
fn continues_as_code(c: &Candidate<'_>) -> bool {
    let after = after(c);
    let arrow = c.secret.ends_with('-') && after.first() == Some(&b'>');
    let cast = c.secret.starts_with('(')
        && after.iter().find(|b| **b != b' ' && **b != b'*') == Some(&b')');
    arrow || cast
}

/// A placeholder in brackets that the rule's value grammar cut: `{SumoAccessKey` before `}`,
/// `password>` after `<user:` (`curl -u <user:password>`). The content is words, no digits.
fn is_enclosed_placeholder(c: &Candidate<'_>) -> bool {
    let (before, after) = (before(c), after(c));
    // The token the secret ends: back to a blank, a quote or `=`.
    let token_start = before
        .iter()
        .rposition(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'='))
        .map_or(0, |i| i + 1);
    let lead = &before[token_start..];
    let secret = c.secret.as_bytes();
    let opener = lead.first().or(secret.first()).copied();
    let closer = match opener {
        Some(b'<') => b'>',
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => return false,
    };
    let closed = secret.last() == Some(&closer) || after.first() == Some(&closer);
    let inner_is_words = lead
        .iter()
        .chain(secret)
        .all(|b| b.is_ascii_alphabetic() || b"_-.: <>{}[]".contains(b));
    closed && inner_is_words
}

/// Up to 64 bytes of the haystack before the secret, on its line.
fn before<'h>(c: &Candidate<'h>) -> &'h [u8] {
    let start = offset(c);
    let window = &c.haystack[start.saturating_sub(64)..start];
    memchr::memrchr(b'\n', window).map_or(window, |nl| &window[nl + 1..])
}

/// Up to 64 bytes of the haystack after the secret, on its line.
fn after<'h>(c: &Candidate<'h>) -> &'h [u8] {
    let end = (offset(c) + c.secret.len()).min(c.haystack.len());
    let window = &c.haystack[end..(end + 64).min(c.haystack.len())];
    memchr::memchr(b'\n', window).map_or(window, |nl| &window[..nl])
}

/// Where the secret starts in the haystack (it is a slice of it).
fn offset(c: &Candidate<'_>) -> usize {
    (c.secret.as_ptr() as usize)
        .wrapping_sub(c.haystack.as_ptr() as usize)
        .min(c.haystack.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummies() {
        for v in [
            "YOURPASSWORD",
            "mypassword",
            "my_db_password",
            "AbCeFG123",
            "abcdef123456",
            "1234567890",
            "xoxp-1234567890",
            "qwerty123",
            "yyy",
            "supersecret",
            "pass",
        ] {
            assert!(is_dummy(v), "{v}");
        }
        for v in [
            "hunter2",
            "Tr0ub4dor3",
            "Summer2024",
            "q8Zr2LmX9vTn4KpW",
            "letmein",
        ] {
            assert!(!is_dummy(v), "{v}");
        }
    }

    #[test]
    fn token_ids() {
        let id = crate::TokenKey::new(b"k").id(b"tw_secret").to_string();
        assert!(is_token_id(&id), "{id}");
        for v in [
            "tid_7519AF2EAEFC7393F4C1DA30483DD5C1",
            "tid_7519af2eaefc7393f4c1da30483dd5c",
            "tid_7519af2eaefc7393f4c1da30483dd5c1a",
            "tid_7519af2eaefc7393f4c1da30483dd5cz",
            "tw_7519af2eaefc7393f4c1da30483dd5c1",
        ] {
            assert!(!is_token_id(v), "{v}");
        }
    }

    #[test]
    fn code_and_labels() {
        for v in [
            "#add-password",
            "edit_password",
            "addPassword",
            "this.form.value.password",
            "(char",
            "(String)",
            " + getMasterUserPassword() + ",
            "u32",
            "__u32",
            "*mut",
            "[u16",
            "super::super::Foundation::HANDLE",
        ] {
            assert!(is_code_value(v), "{v}");
        }
        for v in [
            "Read-Host",
            "ConvertTo-SecureString",
            "Get-AzKeyVaultSecret",
        ] {
            assert!(is_cmdlet(v), "{v}");
        }
        for v in ["Password:", "Confirm password", "Passwort", "Mot de passe"] {
            assert!(is_label(v), "{v}");
        }
        for v in [
            "hunter2",
            "correct horse battery staple",
            "Gr4dl3-Dep!oy",
            "c0rp-V4ult",
            "Blue-Horse7",
            "Get-",
            "Set-up-Now!",
        ] {
            assert!(!is_code_value(v) && !is_label(v) && !is_cmdlet(v), "{v}");
        }
    }
}
