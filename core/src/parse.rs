//! Reading configuration documents (TOML, JSON) into typed values, with errors that name the
//! field path and what was expected, never the value found.
//!
//! serde's messages quote what they found (`invalid type: string "AKIA...", expected a
//! sequence`); a value in the wrong place may well be a credential, so the part of the message
//! before `expected` keeps only the kind of value (`string`, `integer`) and drops every quoted
//! fragment. What follows `expected` is written from our own types and stays.

use serde::de::DeserializeOwned;
use serde_path_to_error::{Path, Segment};

use crate::error::FieldError;

/// Deserializes a TOML document.
pub(crate) fn toml<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    let deserializer = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = field_path(e.path(), e.inner().message());
        let inner = e.into_inner();
        // toml's Display quotes the source line; keep the message and the line number only.
        let mut reason = unquoted(inner.message());
        if let Some(span) = inner.span() {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            reason.push_str(&format!(" (line {line})"));
        }
        FieldError::new(path, reason)
    })
}

/// Deserializes a JSON document.
pub(crate) fn json<T: DeserializeOwned>(text: &str) -> Result<T, FieldError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let message = e.inner().to_string();
        FieldError::new(field_path(e.path(), &message), unquoted(&message))
    })?;
    deserializer
        .end()
        .map_err(|e| FieldError::new("", unquoted(&e.to_string())))?;
    Ok(value)
}

/// Deserializes a JSON value already parsed (a table taken out of a larger document).
pub(crate) fn value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let message = e.inner().to_string();
        FieldError::new(field_path(e.path(), &message), unquoted(&message))
    })
}

/// `a.b[2].c`, empty for the document itself. The key of an unknown field is user text, so
/// its path stops at the table that holds it (the message lists the fields it may have).
fn field_path(path: &Path, message: &str) -> String {
    let mut segments: Vec<&Segment> = path.iter().collect();
    if message.starts_with("unknown field") && matches!(segments.last(), Some(Segment::Map { .. }))
    {
        segments.pop();
    }
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key: name } | Segment::Enum { variant: name } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Unknown => out.push_str(if out.is_empty() { "?" } else { ".?" }),
        }
    }
    out
}

/// `message` reduced to what our own types wrote: of what was found, only its kind (the
/// leading words, `invalid type: string`), then what was expected (after the last `, expected `
/// or ` (expected `: the value comes before it), then serde_json's ` at line N column M`.
/// `invalid type: string "x", expected a sequence` becomes `invalid type: string, expected a
/// sequence`; `unknown field `x`, expected one of ...` becomes `unknown field, expected ...`.
/// Nothing between is kept, so quotes, escapes or the word "expected" inside a value cannot
/// carry it through. A missing or duplicate field is one of our own fields, and stays named.
fn unquoted(message: &str) -> String {
    if message.starts_with("missing field") || message.starts_with("duplicate field") {
        return message.to_string();
    }
    let (body, place) = split_place(message);
    let expected = [", expected ", " (expected "]
        .iter()
        .filter_map(|marker| body.rfind(marker))
        .max();
    let (head, tail) = body.split_at(expected.unwrap_or(body.len()));
    let kind_end = head
        .find(|c: char| !(c.is_ascii_alphabetic() || c == ' ' || c == ':'))
        .unwrap_or(head.len());
    format!("{}{tail}{place}", head[..kind_end].trim_end())
}

/// `message` and its trailing ` at line N column M` (serde_json's), if it has one.
fn split_place(message: &str) -> (&str, &str) {
    let Some(at) = message.rfind(" at line ") else {
        return (message, "");
    };
    let place = &message[at..];
    let digits_and_words = place[" at line ".len()..]
        .split(" column ")
        .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if digits_and_words && place.contains(" column ") {
        (&message[..at], place)
    } else {
        (message, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        #[serde(default)]
        allow: Vec<String>,
        #[serde(default)]
        count: u32,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        mode: Mode,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        Fast,
    }

    const SECRET: &str = "AKIA7QX2M4RB5KQ3YHV6";

    fn errors(toml_text: &str, json_text: &str) -> [FieldError; 2] {
        [
            toml::<Doc>(toml_text).unwrap_err(),
            json::<Doc>(json_text).unwrap_err(),
        ]
    }

    #[test]
    fn a_wrong_type_names_the_path_and_the_expected_type_only() {
        for err in errors(
            &format!("allow = \"{SECRET}\""),
            &format!("{{\"allow\": \"{SECRET}\"}}"),
        ) {
            assert_eq!(err.path, "allow");
            assert!(
                err.reason
                    .starts_with("invalid type: string, expected a sequence"),
                "{err}"
            );
            assert!(!err.to_string().contains("7QX2M4"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_variants_and_numbers_are_not_quoted() {
        let cases = [
            (
                format!("{SECRET} = 1"),
                format!("{{\"{SECRET}\": 1}}"),
                "unknown field, expected one of",
            ),
            (
                format!("[inner]\nmode = \"{SECRET}\""),
                format!("{{\"inner\": {{\"mode\": \"{SECRET}\"}}}}"),
                "unknown variant, expected",
            ),
            (
                "count = -712345".to_string(),
                "{\"count\": -712345}".to_string(),
                "invalid value: integer, expected u32",
            ),
        ];
        for (toml_text, json_text, reason) in cases {
            for err in errors(&toml_text, &json_text) {
                assert!(err.reason.starts_with(reason), "{err}");
                assert!(
                    ["", "inner.mode", "count"].contains(&err.path.as_str()),
                    "{err}"
                );
                assert!(!err.to_string().contains("7QX2M4"), "{err}");
                assert!(!err.to_string().contains("712345"), "{err}");
            }
        }
    }

    #[test]
    fn quotes_escapes_and_the_word_expected_inside_a_value_carry_nothing() {
        // Found in review: an escaped quote or a backtick closed the fragment early, and
        // `expected` inside the value was taken for the start of the expectation.
        for value in [
            r#"ab\"AKIA7QX2M4RB5KQ3YHV6"#,
            "a`AKIA7QX2M4RB5KQ3YHV6",
            "myexpectedAKIA7QX2M4RB5KQ3YHV6",
            "x, expected AKIA7QX2M4RB5KQ3YHV6",
            "x (expected AKIA7QX2M4RB5KQ3YHV6",
        ] {
            let toml_text = format!("allow = '{value}'");
            let json_text = format!("{{\"allow\": {}}}", serde_json::to_string(value).unwrap());
            for err in errors(&toml_text, &json_text) {
                assert!(!err.to_string().contains("7QX2M4"), "{err}");
                assert!(
                    err.reason
                        .starts_with("invalid type: string, expected a sequence"),
                    "{err}"
                );
            }
            let toml_text = format!("[inner]\nmode = '{value}'");
            let json_text = format!(
                "{{\"inner\": {{\"mode\": {}}}}}",
                serde_json::to_string(value).unwrap()
            );
            for err in errors(&toml_text, &json_text) {
                assert!(!err.to_string().contains("7QX2M4"), "{err}");
            }
        }
    }

    #[test]
    fn nested_paths_and_lines() {
        let err = toml::<Doc>("count = 1\n[inner]\nmode = 3").unwrap_err();
        assert_eq!(err.path, "inner.mode");
        assert!(err.reason.ends_with("(line 3)"), "{err}");
    }

    #[test]
    fn syntax_errors_do_not_quote_the_text() {
        for text in [format!("allow = [\"{SECRET}"), format!("x = \"{SECRET}\"x")] {
            let err = toml::<Doc>(&text).unwrap_err();
            assert!(!err.to_string().contains("7QX2M4"), "{err}");
        }
        for text in [
            format!("{{\"allow\": [\"{SECRET}"),
            format!("{{}} \"{SECRET}\""),
        ] {
            let err = json::<Doc>(&text).unwrap_err();
            assert!(!err.to_string().contains("7QX2M4"), "{err}");
        }
    }

    #[test]
    fn unquoted_keeps_the_expected_part() {
        assert_eq!(
            unquoted("unknown field `x`, expected one of `a`, `b`"),
            "unknown field, expected one of `a`, `b`"
        );
        assert_eq!(
            unquoted("invalid length 3, expected 2"),
            "invalid length, expected 2"
        );
        assert_eq!(unquoted("bad \"unclosed"), "bad");
        assert_eq!(
            unquoted("expected value at line 1 column 5"),
            "expected value at line 1 column 5"
        );
        assert_eq!(unquoted("missing field `on`"), "missing field `on`");
    }
}
