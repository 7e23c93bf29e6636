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

/// `message` with every quoted or backticked fragment before its `expected` removed:
/// `invalid type: string "x", expected a sequence` becomes `invalid type: string, expected a
/// sequence`; `unknown field `x`, expected one of ...` becomes `unknown field, expected ...`.
/// A missing or duplicate field is one of our own fields, and stays named.
fn unquoted(message: &str) -> String {
    if message.starts_with("missing field") || message.starts_with("duplicate field") {
        return message.to_string();
    }
    let (head, tail) = match message.find("expected") {
        Some(at) => message.split_at(at),
        None => (message, ""),
    };
    let mut out = String::with_capacity(message.len());
    let mut rest = head;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open];
        out.push_str(rest[..open].trim_end());
        rest = match rest[open + 1..].find(quote as char) {
            Some(close) => &rest[open + 1 + close + 1..],
            // An unclosed quote: drop everything after it.
            None => "",
        };
    }
    out.push_str(rest);
    out.push_str(tail);
    out
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
            "invalid length 3, expected 2"
        );
        assert_eq!(unquoted("bad \"unclosed"), "bad");
        assert_eq!(unquoted("missing field `on`"), "missing field `on`");
    }
}
