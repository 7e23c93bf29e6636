//! The replay config: a Guard config plus the tokens to register.

use std::collections::HashSet;
use std::fmt;
use std::io;
use std::path::Path;

use serde_json::Value;
use tokenward::{GuardConfig, TokenKey, TokenMeta};

use super::Error;

/// A token to register before the replay: its raw value and the Guard's token metadata
/// (whose `issued_at` and `expires_at` may also be RFC 3339 text here).
#[derive(Clone)]
pub struct TokenEntry {
    /// The raw token as requests present it. Hashed when the replay starts; never printed.
    pub token: String,
    /// Owner, service, environment, tags, policy and times.
    pub meta: TokenMeta,
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field(
                "token",
                &format_args!("<{} bytes hidden>", self.token.len()),
            )
            .field("meta", &self.meta)
            .finish()
    }
}

impl TokenEntry {
    /// One `[[tokens]]` item, as a JSON value (TOML items are converted first), parsed by the
    /// core's document machinery: errors name the field path and what was expected, never a
    /// value found or an unknown key, and never the token.
    fn parse(index: usize, item: Value) -> Result<TokenEntry, String> {
        let at = |path: &str, why: &str| {
            if path.is_empty() {
                format!("tokens[{index}]: {why}")
            } else if path.starts_with('[') {
                format!("tokens[{index}]{path}: {why}")
            } else {
                format!("tokens[{index}].{path}: {why}")
            }
        };
        let Value::Object(mut fields) = item else {
            return Err(at("", "expected a table"));
        };
        let token = match fields.remove("token") {
            Some(Value::String(token)) => token,
            Some(_) => return Err(at("token", "expected a string")),
            None => return Err(at("", "missing field `token`")),
        };
        for field in ["issued_at", "expires_at"] {
            if let Some(Value::String(text)) = fields.get(field) {
                let ms = tokenward::policy::parse_instant(text)
                    .map_err(|e| at(field, &e.to_string()))?;
                fields.insert(field.into(), ms.into());
            }
        }
        let meta =
            TokenMeta::from_value(Value::Object(fields)).map_err(|e| at(&e.path, &e.reason))?;
        Ok(TokenEntry { token, meta })
    }
}

/// A replay's configuration: the Guard's and the tokens to register.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// The Guard configuration (everything but `tokens`).
    pub guard: GuardConfig,
    /// The tokens to register.
    pub tokens: Vec<TokenEntry>,
}

impl ReplayConfig {
    /// Parses a config: JSON when `json` says so or (when `None`) the text starts with `{`,
    /// TOML otherwise. Errors name the field path and never show a token.
    pub fn parse(text: &str, json: Option<bool>) -> Result<ReplayConfig, String> {
        let json = json.unwrap_or_else(|| text.trim_start().starts_with('{'));
        if json {
            let mut value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
            let tokens = match value.as_object_mut() {
                Some(map) => map.remove("tokens"),
                None => return Err("the config must be a JSON object".into()),
            };
            let guard = GuardConfig::from_json(&value.to_string()).map_err(|e| e.to_string())?;
            return ReplayConfig::checked(guard, tokens);
        }
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => format!("{} (line {line})", e.message()),
                None => e.message().to_string(),
            }
        })?;
        let tokens = table.remove("tokens");
        let rest = toml::to_string(&table).map_err(|e| e.to_string())?;
        // The rest is parsed again from re-serialized text, whose line numbers are not the
        // file's: keep the field path, drop the line.
        let guard = GuardConfig::from_toml(&rest).map_err(|e| strip_line(&e.to_string()))?;
        let tokens = tokens
            .map(|t| serde_json::to_value(t).map_err(|e| e.to_string()))
            .transpose()?;
        ReplayConfig::checked(guard, tokens)
    }

    /// Parses the `tokens` array and checks every token's length and uniqueness.
    fn checked(guard: GuardConfig, tokens: Option<Value>) -> Result<ReplayConfig, String> {
        let tokens = match tokens {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| TokenEntry::parse(i, item))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("tokens: expected an array of tables ([[tokens]])".into()),
        };
        let key = TokenKey::new(b"duplicate check");
        let mut seen = HashSet::new();
        for (i, t) in tokens.iter().enumerate() {
            let len = t.token.len();
            if len == 0 || len > tokenward::guard::MAX_TOKEN_LEN {
                return Err(format!(
                    "tokens[{i}].token: length {len} is outside 1..=4096"
                ));
            }
            if !seen.insert(key.id(t.token.as_bytes())) {
                return Err(format!("tokens[{i}].token: listed twice"));
            }
        }
        Ok(ReplayConfig { guard, tokens })
    }

    /// Reads and parses a config file (`.json` as JSON, `.toml` as TOML, else by content).
    pub fn load(path: &Path) -> Result<ReplayConfig, Error> {
        let what = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::new(&what, io_reason(&e)))?;
        let text =
            String::from_utf8(bytes).map_err(|_| Error::new(&what, "config is not UTF-8"))?;
        let json = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Some(true),
            Some(e) if e.eq_ignore_ascii_case("toml") => Some(false),
            _ => None,
        };
        ReplayConfig::parse(&text, json).map_err(|why| Error::new(what, why))
    }
}

fn strip_line(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(at) if message.ends_with(')') => message[..at].to_string(),
        _ => message.to_string(),
    }
}

/// An I/O error's text without the `(os error N)` suffix.
pub(crate) fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field_and_hide_tokens() {
        let e = ReplayConfig::parse("[[tokens]]\ntoken = \"tw_secret_value\"\nowner = 3", None)
            .unwrap_err();
        assert!(
            e.starts_with("tokens[0].owner: invalid type: integer, expected"),
            "{e}"
        );
        assert!(!e.contains("tw_secret_value"));
        let e = ReplayConfig::parse("[[tokens]]\ntoken = \"a\"\n[[tokens]]\ntoken = \"a\"", None)
            .unwrap_err();
        assert_eq!(e, "tokens[1].token: listed twice");
        let e =
            ReplayConfig::parse("[policies.x]\nallow_ips = [\"10.0.0.0/33\"]", None).unwrap_err();
        assert_eq!(
            e,
            "policies.x.allow_ips[0]: invalid CIDR: prefix length above 32"
        );
        let e =
            ReplayConfig::parse(r#"{"tokens": [{"token": "t", "colour": 1}]}"#, None).unwrap_err();
        assert!(e.starts_with("tokens[0]: unknown field, expected"), "{e}");
        assert!(!e.contains("colour"), "{e}");
        let e = ReplayConfig::parse(
            "[[tokens]]\ntoken = \"t\"\nexpect = { networks = [\"10.0.0.0/33\"] }",
            None,
        )
        .unwrap_err();
        assert!(e.starts_with("tokens[0].expect.networks[0]:"), "{e}");
        let c = ReplayConfig::parse(
            "[[tokens]]\ntoken = \"t\"\nexpect = { countries = [\"DE\", \"FR\"] }",
            None,
        )
        .unwrap();
        assert_eq!(
            c.tokens[0].meta.expect.as_ref().unwrap().countries,
            ["DE", "FR"]
        );
        let c = ReplayConfig::parse(
            "[[tokens]]\ntoken = \"t\"\nissued_at = \"2026-01-01T00:00:00Z\"",
            None,
        )
        .unwrap();
        assert_eq!(c.tokens[0].meta.issued_at, Some(1_767_225_600_000));
        assert!(!format!("{c:?}").contains("\"t\""));
    }
}
