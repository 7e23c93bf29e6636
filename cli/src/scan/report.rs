//! Writing scan results: text lines, JSON Lines, or one SARIF 2.1.0 log.

use std::collections::HashMap;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use tokenward::Redactor;

use super::locate::Position;
use crate::common::{display_path, CliError};

/// How `scan` writes what it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `path:line:column rule masked`, one finding per line.
    Text,
    /// JSON Lines: one object per finding.
    Json,
    /// A SARIF 2.1.0 log, written when the scan ends.
    Sarif,
}

/// One secret found in one file, ready to report: where it is, which rule, and the credential
/// with its secret part masked.
#[derive(Debug, Clone)]
pub struct Hit {
    /// The file.
    pub path: PathBuf,
    /// Where the credential starts.
    pub start: Position,
    /// Just past its last character (exclusive), as SARIF's `endColumn`.
    pub end: Position,
    /// The rule that found it.
    pub rule: Arc<str>,
    /// The public prefix followed by `****`; never the secret.
    pub masked: String,
}

/// Writes findings in one [`Format`] as the scan goes (SARIF: at the end).
pub struct Reporter<W: Write> {
    format: Format,
    out: BufWriter<W>,
    found: usize,
    sarif: Option<Sarif>,
}

/// What a SARIF log collects until the scan ends.
struct Sarif {
    rules: Vec<Value>,
    rule_index: HashMap<Arc<str>, (usize, String)>,
    results: Vec<Value>,
    notifications: Vec<Value>,
}

impl<W: Write> Reporter<W> {
    /// A reporter writing `format` to `out`; `redactor` supplies SARIF's rule descriptors.
    pub fn new(format: Format, redactor: &Redactor, out: W) -> Reporter<W> {
        Reporter {
            format,
            out: BufWriter::new(out),
            found: 0,
            sarif: (format == Format::Sarif).then(|| Sarif::new(redactor)),
        }
    }

    /// How many findings were reported so far.
    pub fn found(&self) -> usize {
        self.found
    }

    /// Reports the findings of one file.
    pub fn hits(&mut self, hits: &[Hit]) -> io::Result<()> {
        self.found += hits.len();
        for hit in hits {
            match self.format {
                Format::Text => writeln!(
                    self.out,
                    "{}:{}:{} {} {}",
                    display_path(&hit.path),
                    hit.start.line,
                    hit.start.column,
                    hit.rule,
                    hit.masked
                )?,
                Format::Json => {
                    let record = json!({
                        "path": display_path(&hit.path),
                        "line": hit.start.line,
                        "column": hit.start.column,
                        "end_line": hit.end.line,
                        "end_column": hit.end.column,
                        "rule": &*hit.rule,
                        "masked": hit.masked,
                    });
                    writeln!(self.out, "{record}")?;
                }
                Format::Sarif => {
                    if let Some(sarif) = &mut self.sarif {
                        sarif.result(hit);
                    }
                }
            }
        }
        if !hits.is_empty() {
            self.out.flush()?;
        }
        Ok(())
    }

    /// Records an input that could not be scanned (it is already on stderr).
    pub fn error(&mut self, error: &CliError) -> io::Result<()> {
        if let Some(sarif) = &mut self.sarif {
            sarif.notifications.push(json!({
                "level": "error",
                "message": { "text": error.to_string() },
            }));
        }
        Ok(())
    }

    /// Records a file left unscanned because it holds `size` bytes, over `max_size` (it is
    /// already on stderr): a JSON record, or a SARIF notification.
    pub fn too_large(&mut self, path: &Path, size: u64, max_size: u64) -> io::Result<()> {
        match self.format {
            Format::Text => Ok(()),
            Format::Json => {
                let record = json!({
                    "path": display_path(path),
                    "skipped": "max_size",
                    "size": size,
                    "max_size": max_size,
                });
                writeln!(self.out, "{record}")?;
                self.out.flush()
            }
            Format::Sarif => {
                if let Some(sarif) = &mut self.sarif {
                    sarif.notifications.push(json!({
                        "level": "error",
                        "message": {
                            "text": format!(
                                "{}: not scanned, larger than --max-size {max_size} bytes",
                                display_path(path)
                            ),
                        },
                        "locations": [{
                            "physicalLocation": {
                                "artifactLocation": { "uri": artifact_uri(path) },
                            },
                        }],
                    }));
                }
                Ok(())
            }
        }
    }

    /// Ends the report; `complete` is false when some input could not be scanned.
    pub fn finish(mut self, complete: bool) -> io::Result<()> {
        if let Some(sarif) = self.sarif.take() {
            serde_json::to_writer_pretty(&mut self.out, &sarif.log(complete))?;
            writeln!(self.out)?;
        }
        self.out.flush()
    }
}

impl Sarif {
    fn new(redactor: &Redactor) -> Sarif {
        let mut rules = Vec::new();
        let mut rule_index = HashMap::new();
        for (index, rule) in redactor.rules().enumerate() {
            let description = if rule.description.is_empty() {
                format!("Secret found by rule {}", rule.id)
            } else {
                rule.description.clone()
            };
            rules.push(json!({
                "id": &*rule.id,
                "name": &*rule.id,
                "shortDescription": { "text": description },
                "help": {
                    "text": "Remove the credential from the file and its history, then revoke \
                             and rotate it: anyone who saw the file may hold it.",
                },
                "defaultConfiguration": { "level": "error" },
                "properties": {
                    "provider": rule.provider,
                    "tags": ["security", "secret"],
                    // GitHub code scanning shows this as "high": a leaked credential is.
                    "security-severity": "8.0",
                },
            }));
            rule_index.insert(rule.id.clone(), (index, description));
        }
        Sarif {
            rules,
            rule_index,
            results: Vec::new(),
            notifications: Vec::new(),
        }
    }

    fn result(&mut self, hit: &Hit) {
        let (index, description) = self
            .rule_index
            .get(&hit.rule)
            .cloned()
            .unwrap_or((0, hit.rule.to_string()));
        self.results.push(json!({
            "ruleId": &*hit.rule,
            "ruleIndex": index,
            "level": "error",
            "message": { "text": format!("{description}: {}", hit.masked) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": artifact_uri(&hit.path) },
                    "region": {
                        "startLine": hit.start.line,
                        "startColumn": hit.start.column,
                        "endLine": hit.end.line,
                        "endColumn": hit.end.column,
                    },
                },
            }],
        }));
    }

    fn log(self, complete: bool) -> Value {
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "tokenward",
                        "version": env!("CARGO_PKG_VERSION"),
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "rules": self.rules,
                    },
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [{
                    "executionSuccessful": complete,
                    "toolExecutionNotifications": self.notifications,
                }],
                "results": self.results,
            }],
        })
    }
}

/// A path as a SARIF artifact URI: relative paths stay relative (`src/app.rs`), absolute ones
/// become `file://` URIs; bytes outside the URI-safe set are percent-encoded.
fn artifact_uri(path: &Path) -> String {
    let bytes = path.as_os_str().as_encoded_bytes();
    let bytes = bytes.strip_prefix(b"./").unwrap_or(bytes);
    let mut uri = String::with_capacity(bytes.len() + 8);
    if bytes.first() == Some(&b'/') {
        uri.push_str("file://");
    }
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_are_encoded() {
        assert_eq!(artifact_uri(Path::new("./src/a b.rs")), "src/a%20b.rs");
        assert_eq!(artifact_uri(Path::new("/tmp/é")), "file:///tmp/%C3%A9");
    }
}
