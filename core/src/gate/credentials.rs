//! Where the token is: an `Authorization: Bearer` header, another header, a cookie, a query
//! parameter. Each reader returns the raw credential bytes or says why there is none.

use std::borrow::Cow;

/// What a source held.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found<'r> {
    /// Nothing there: try the next source.
    Absent,
    /// A credential.
    Token(Cow<'r, [u8]>),
    /// Something there that cannot be read as one credential (two `Authorization` headers, a
    /// bearer value with spaces). Refused rather than guessed: servers and proxies behind the
    /// host might pick a different one.
    Malformed,
}

/// The credential of an `Authorization` header: `Bearer <token68>`, scheme case-insensitive.
/// Another scheme (`Basic`) is absent: this is not its token.
pub(crate) fn bearer<'r>(values: &[&'r [u8]]) -> Found<'r> {
    match values {
        [] => Found::Absent,
        [value] => {
            let value = value.trim_ascii();
            let Some(space) = value.iter().position(|b| *b == b' ' || *b == b'\t') else {
                return if value.eq_ignore_ascii_case(b"bearer") {
                    Found::Malformed
                } else {
                    Found::Absent
                };
            };
            if !value[..space].eq_ignore_ascii_case(b"bearer") {
                return Found::Absent;
            }
            single(value[space..].trim_ascii())
        }
        _ => Found::Malformed,
    }
}

/// The whole value of a dedicated header (`X-Api-Key: <token>`).
pub(crate) fn whole<'r>(values: &[&'r [u8]]) -> Found<'r> {
    match values {
        [] => Found::Absent,
        [value] => single(value.trim_ascii()),
        _ => Found::Malformed,
    }
}

fn single(credential: &[u8]) -> Found<'_> {
    if credential.is_empty() {
        Found::Absent
    } else if credential.iter().any(|b| b.is_ascii_whitespace()) {
        Found::Malformed
    } else {
        Found::Token(Cow::Borrowed(credential))
    }
}

/// The value of cookie `name` in `Cookie` headers (`a=1; name=value`), quotes removed. Twice
/// the same name is malformed (browsers send both when paths differ; which one is meant is
/// unknowable here).
pub(crate) fn cookie<'r>(values: &[&'r [u8]], name: &str) -> Found<'r> {
    let mut found = Found::Absent;
    let pairs = values.iter().flat_map(|v| v.split(|b| *b == b';'));
    for pair in pairs {
        let pair = pair.trim_ascii();
        let Some(eq) = pair.iter().position(|b| *b == b'=') else {
            continue;
        };
        if pair[..eq].trim_ascii() != name.as_bytes() {
            continue;
        }
        let value = pair[eq + 1..].trim_ascii();
        let value = value
            .strip_prefix(b"\"")
            .and_then(|v| v.strip_suffix(b"\""))
            .unwrap_or(value);
        if !matches!(found, Found::Absent) {
            return Found::Malformed;
        }
        found = single(value);
    }
    found
}

/// The value of query parameter `name` (`?a=1&name=value`), percent-decoded (`+` is a space,
/// as in forms). Twice the same name is malformed.
pub(crate) fn query<'r>(query: &'r str, name: &str) -> Found<'r> {
    let mut found = Found::Absent;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if percent_decode(key).as_deref() != Some(name.as_bytes()) {
            continue;
        }
        if !matches!(found, Found::Absent) {
            return Found::Malformed;
        }
        found = match percent_decode(value) {
            Some(Cow::Borrowed(raw)) => single(raw),
            Some(Cow::Owned(decoded)) => match single(&decoded) {
                Found::Token(_) => Found::Token(Cow::Owned(decoded)),
                other => other.detached(),
            },
            None => Found::Malformed,
        };
    }
    found
}

impl<'r> Found<'r> {
    /// Combines what two sources held: one credential, or the same in both, is that
    /// credential; two different ones, or a malformed one anywhere, are malformed.
    pub(crate) fn or(self, other: Found<'r>) -> Found<'r> {
        match (self, other) {
            (Found::Absent, other) | (other, Found::Absent) => other,
            (Found::Token(a), Found::Token(b)) if a == b => Found::Token(a),
            _ => Found::Malformed,
        }
    }

    fn detached(self) -> Found<'static> {
        match self {
            Found::Absent => Found::Absent,
            Found::Malformed => Found::Malformed,
            Found::Token(token) => Found::Token(Cow::Owned(token.into_owned())),
        }
    }
}

/// Form-style percent-decoding; `None` for a malformed escape. Borrowed when there is nothing
/// to decode.
fn percent_decode(text: &str) -> Option<Cow<'_, [u8]>> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'%' | b'+')) {
        return Some(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                if !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(found: Found<'_>) -> Option<String> {
        match found {
            Found::Token(t) => Some(String::from_utf8(t.into_owned()).unwrap()),
            Found::Absent => None,
            Found::Malformed => Some("<malformed>".into()),
        }
    }

    #[test]
    fn bearer_takes_only_one_well_formed_bearer_credential() {
        assert_eq!(token(bearer(&[b"Bearer tw_abc"])).unwrap(), "tw_abc");
        assert_eq!(token(bearer(&[b"  bEaReR \t tw_abc  "])).unwrap(), "tw_abc");
        assert_eq!(token(bearer(&[b"Basic dXNlcjpwYXNz"])), None);
        assert_eq!(token(bearer(&[b"Bearer"])).unwrap(), "<malformed>");
        assert_eq!(token(bearer(&[b"Bearer a b"])).unwrap(), "<malformed>");
        assert_eq!(
            token(bearer(&[b"Bearer a", b"Bearer b"])).unwrap(),
            "<malformed>"
        );
        assert_eq!(token(bearer(&[b"Bearertw_abc"])), None);
        assert_eq!(token(bearer(&[])), None);
    }

    #[test]
    fn cookies_and_query_parameters() {
        let jar: &[&[u8]] = &[b"theme=dark; tw=\"tw_abc\"", b"other=1"];
        assert_eq!(token(cookie(jar, "tw")).unwrap(), "tw_abc");
        assert_eq!(token(cookie(jar, "t")), None);
        assert_eq!(
            token(cookie(&[b"tw=a; tw=b"], "tw")).unwrap(),
            "<malformed>"
        );
        assert_eq!(
            token(query("a=1&access%5Ftoken=tw%5Fabc", "access_token")).unwrap(),
            "tw_abc"
        );
        assert_eq!(token(query("access_token=", "access_token")), None);
        assert_eq!(
            token(query("access_token=%zz", "access_token")).unwrap(),
            "<malformed>"
        );
        assert_eq!(token(query("t=a&t=b", "t")).unwrap(), "<malformed>");
        assert_eq!(token(query("t=a+b", "t")).unwrap(), "<malformed>");
        assert_eq!(token(query("t=%+f", "t")).unwrap(), "<malformed>");
    }
}
