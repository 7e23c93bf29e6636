//! Redaction configuration documents (TOML or JSON).

use std::fmt;

use serde::Deserialize;

use super::{RuleDef, Style};
use crate::Error;

/// A redaction configuration: style, user rules, disabled built-ins and allowlists.
///
/// ```
/// use tokenward::{Config, Redactor};
///
/// let config = Config::from_toml(r#"
///     style = "mask"
///     disable = ["jwt"]
///     allow = ["AKIA0000000000000000"]
///
///     [[rules]]
///     id = "acme_key"
///     keywords = ["acme_"]
///     pattern = 'acme_(?P<secret>[a-z0-9]{32})'
/// "#).unwrap();
/// let redactor = Redactor::builder().config(config).build().unwrap();
/// assert_eq!(
///     redactor.redact("k=acme_0123456789abcdef0123456789abcdef"),
///     "k=acme_********",
/// );
/// ```
#[derive(Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Output style; the builder's style when absent.
    #[serde(default)]
    pub style: Option<Style>,
    /// Whether the built-in catalogue is loaded (default true).
    #[serde(default)]
    pub builtins: Option<bool>,
    /// Ids of built-in rules to turn off.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Exact credential values never to redact (test fixtures, documented examples).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes; a credential matching one is never redacted.
    #[serde(default)]
    pub allow_patterns: Vec<String>,
    /// Additional rules.
    #[serde(default)]
    pub rules: Vec<RuleDef>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Allowlisted values are real credentials (test fixtures, documented examples), and a
        // pattern may spell one out: only their counts are shown, as `Redactor` does.
        f.debug_struct("Config")
            .field("style", &self.style)
            .field("builtins", &self.builtins)
            .field("disable", &self.disable)
            .field("allow", &self.allow.len())
            .field("allow_patterns", &self.allow_patterns.len())
            .field("rules", &self.rules)
            .finish()
    }
}

impl Config {
    /// Parses a TOML document.
    pub fn from_toml(text: &str) -> Result<Config, Error> {
        Ok(crate::parse::toml(text)?)
    }

    /// Parses a JSON document.
    pub fn from_json(text: &str) -> Result<Config, Error> {
        Ok(crate::parse::json(text)?)
    }

    /// Parses JSON when the document starts with `{`, TOML otherwise.
    pub fn parse(text: &str) -> Result<Config, Error> {
        if text.trim_start().starts_with('{') {
            Config::from_json(text)
        } else {
            Config::from_toml(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_errors() {
        // The unknown key is not quoted (it could be a pasted secret): the line and the
        // containing table say where it is, the message what may stand there.
        let err = Config::from_toml("stlye = \"mask\"")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("invalid config: unknown field, expected one of `style`"));
        assert!(err.ends_with("(line 1)"), "{err}");
        let err = Config::from_json(r#"{"rules": [{"id": "a", "pattern": "x", "bogus": 1}]}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid config: rules[0]: unknown field"),
            "{err}"
        );
        assert!(!err.contains("bogus"), "{err}");
    }

    #[test]
    fn json_and_toml_agree() {
        let toml = Config::parse("style = \"prefix\"\ndisable = [\"jwt\"]").unwrap();
        let json = Config::parse(r#"{"style": "prefix", "disable": ["jwt"]}"#).unwrap();
        assert_eq!(toml, json);
        assert_eq!(toml.style, Some(Style::Prefix));
    }

    #[test]
    fn a_bad_style_is_reported_without_echoing_the_value() {
        let token = "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";
        for text in [
            format!("style = \"{token}\""),
            format!("{{\"style\": \"{token}\"}}"),
        ] {
            let err = Config::parse(&text).unwrap_err().to_string();
            assert!(err.contains("unknown style"), "{err}");
            assert!(!err.contains("Ky9Pf34q"), "{err}");
        }
        let err = "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"
            .parse::<Style>()
            .unwrap_err();
        assert!(!err.to_string().contains("Ky9Pf34q"));
    }
}
