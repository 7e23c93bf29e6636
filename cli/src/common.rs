//! What the subcommands share: rule-set options, building the redactor, errors and exit codes.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use tokenward::{Config, Redactor, Style};

/// How a subcommand ended; each maps to one exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done, nothing to report (exit 0).
    Clean,
    /// `scan` found secrets (exit 1).
    Found,
    /// Something could not be done; the reasons were printed on stderr (exit 2).
    Failed,
}

impl Outcome {
    /// The process exit status for this outcome.
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Found => ExitCode::from(1),
            Outcome::Failed => ExitCode::from(2),
        }
    }
}

/// An error shown to the user as one line: `tokenward: <what>: <why>`.
///
/// `why` never holds input text, so a secret cannot leak through an error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// The thing that failed: a path, an option, `stdout`.
    pub what: String,
    /// The reason, in words.
    pub why: String,
}

impl CliError {
    /// An error about `what` for the reason `why`.
    pub fn new(what: impl Into<String>, why: impl fmt::Display) -> CliError {
        CliError {
            what: one_line(&what.into()),
            why: one_line(&why.to_string()),
        }
    }

    /// An I/O error on a file.
    pub fn io(path: &Path, error: &std::io::Error) -> CliError {
        CliError::new(display_path(path), io_reason(error))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

/// Prints an error as its one line on stderr.
pub fn report(error: &CliError) {
    eprintln!("tokenward: {error}");
}

/// An I/O error in words, without Rust's `(os error N)` suffix.
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// A path as shown in messages and reports (lossy for names that are not UTF-8).
pub fn display_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let text = text.strip_prefix("./").unwrap_or(&text);
    one_line(text)
}

/// Replaces line breaks and other control characters so a message stays on one line.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// A clap usage error as one line: its headline plus, when it has them, the accepted values.
pub fn usage_error_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let headline = rendered.lines().next().unwrap_or("invalid arguments");
    let mut line = headline
        .strip_prefix("error: ")
        .unwrap_or(headline)
        .to_string();
    if let Some(ContextValue::Strings(values)) = error.get(ContextKind::ValidValue) {
        line.push_str(&format!(" (expected one of: {})", values.join(", ")));
    }
    if error.kind() == ErrorKind::MissingSubcommand
        || error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        line = "a command is needed: redact, scan, rules or replay (see 'tokenward --help')".into();
    }
    line
}

/// Options that choose the rule set; shared by every subcommand that matches secrets.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RuleArgs {
    /// Configuration file (TOML, or JSON when it starts with '{'): extra rules, disabled
    /// built-ins, allowlisted values and patterns, style.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not load the built-in catalogue; only the rules of --config apply.
    #[arg(long)]
    pub no_builtins: bool,
    /// Turn off a built-in rule by id (repeatable; see 'tokenward rules').
    #[arg(long, value_name = "RULE_ID")]
    pub disable: Vec<String>,
}

/// Builds the redactor for `rules`; `style`, when given, wins over the config's.
pub fn build_redactor(
    rules: &RuleArgs,
    style: Option<Style>,
    fingerprint_key: Option<&[u8]>,
) -> Result<Redactor, CliError> {
    let mut builder = Redactor::builder();
    if let Some(path) = &rules.config {
        builder = builder.config(read_config(path)?);
    }
    if rules.no_builtins {
        builder = builder.builtins(false);
    }
    for id in &rules.disable {
        builder = builder.disable(id.clone());
    }
    if let Some(style) = style {
        builder = builder.style(style);
    }
    if let Some(key) = fingerprint_key {
        builder = builder.fingerprint_key(key);
    }
    builder.build().map_err(|error| {
        let what = match (&error, &rules.config) {
            (tokenward::Error::MissingFingerprintKey, _) => "--style fingerprint".to_string(),
            (tokenward::Error::UnknownRule { .. }, _) if rules.config.is_none() => {
                "--disable".to_string()
            }
            (_, Some(path)) => display_path(path),
            (_, None) => "rules".to_string(),
        };
        let why = match error {
            tokenward::Error::MissingFingerprintKey => {
                "needs a key: pass --fingerprint-key-env VAR".to_string()
            }
            other => other.to_string(),
        };
        CliError::new(what, why)
    })
}

/// Reads and parses a config file: `.json` as JSON, `.toml` as TOML, otherwise by content.
fn read_config(path: &Path) -> Result<Config, CliError> {
    let text = std::fs::read(path).map_err(|e| CliError::io(path, &e))?;
    let text = String::from_utf8(text)
        .map_err(|_| CliError::new(display_path(path), "config is not valid UTF-8"))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let parsed = match extension.as_deref() {
        Some("json") => Config::from_json(&text),
        Some("toml") => Config::from_toml(&text),
        _ => Config::parse(&text),
    };
    parsed.map_err(|e| CliError::new(display_path(path), e))
}

/// Renders a credential for reports without its secret: the public prefix (`ghp_`), if the
/// format has one, then `****`.
pub fn masked(text: &[u8], finding: &tokenward::Finding) -> String {
    let public = &text[finding.span.start..finding.secret_span.start.max(finding.span.start)];
    let public = String::from_utf8_lossy(public);
    format!("{}****", one_line(&public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_keeps_only_the_public_prefix() {
        let text = b"x 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 y";
        let finding = Redactor::new().find_bytes(text).remove(0);
        assert_eq!(masked(text, &finding), "ghp_****");
    }

    #[test]
    fn errors_stay_on_one_line() {
        let error = CliError::new("a\nb", "c\rd");
        assert_eq!(error.to_string(), "a b: c d");
        assert_eq!(display_path(Path::new("./x/y")), "x/y");
    }
}
