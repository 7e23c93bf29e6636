//! `tokenward scan`: report the secrets in files and directory trees.

mod locate;
mod report;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;
use tokenward::{Redactor, Style};

use crate::common::{self, CliError, Outcome, RuleArgs};
use report::{Format, Hit, Reporter};

/// Bytes looked at to tell a binary file: one NUL among them and the file is skipped.
const BINARY_SNIFF: usize = 8 * 1024;

/// The long description shown by `tokenward scan --help`.
pub const LONG_ABOUT: &str = "Report the secrets in files and directory trees.\n\n\
        Directories are walked honouring .gitignore, .ignore and .git/info/exclude (also \
        outside a git repository); hidden files such as .env are scanned, .git directories \
        are not. Files given by name are always scanned. Binary files (a NUL byte in the \
        first 8 KiB) are skipped. Files over --max-size are not scanned either: each is \
        named on stderr, a summary line counts them, and the scan ends with exit status 2 \
        (a scan that left files out cannot call them clean). Text need not be UTF-8.\n\n\
        Each finding is reported at the line and column where it starts (a private-key \
        block at its BEGIN line). Columns are 1-based and count characters (Unicode code \
        points; a byte that is not valid UTF-8 counts as one). Only the public prefix of a \
        credential is ever shown (ghp_****), never the secret.";

/// Arguments of `tokenward scan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Output formats:\n  \
        text   path:line:column rule masked (one finding per line)\n  \
        json   JSON Lines: one object per finding with path, line, column, end_line,\n         \
        end_column, rule, masked\n  \
        sarif  one SARIF 2.1.0 log (for GitHub code scanning and other SARIF viewers)\n\n\
        Exit status: 0 nothing found, 1 secrets found, 2 some input could not be scanned \
        (unreadable file, missing path, file over --max-size, bad config); 2 wins over 1, \
        because a scan that missed files cannot vouch for them. Findings are reported in \
        every case; a file left out for its size is also a JSON record {\"path\", \
        \"skipped\": \"max_size\", \"size\", \"max_size\"} and a SARIF notification.\n\n\
        Examples:\n  \
        tokenward scan .\n  \
        git diff --cached --name-only -z --diff-filter=ACM | xargs -0 -r tokenward scan\n  \
        tokenward scan --format sarif . > tokenward.sarif")]
pub struct Args {
    /// Files and directories to scan.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Scan files that .gitignore, .ignore and git excludes would leave out.
    #[arg(long)]
    pub no_ignore: bool,
    /// Do not scan files larger than this (they make the exit status 2); a number of bytes,
    /// or with a K, M or G suffix (powers of 1024: 512K, 10M, 1G).
    #[arg(long, value_name = "SIZE", default_value = "10M", value_parser = parse_size)]
    pub max_size: u64,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Runs `tokenward scan`.
pub fn run(args: &Args) -> Result<Outcome, CliError> {
    // Scans never render a replacement, so the style is irrelevant; fixing it keeps a config
    // that asks for fingerprints from demanding a key.
    let redactor = common::build_redactor(&args.rules, Some(Style::Label), None)?;
    let stdout = io::stdout();
    let mut reporter = Reporter::new(args.format, &redactor, stdout.lock());
    let mut errors = 0usize;
    let mut too_large = 0usize;
    for entry in walker(args).build() {
        let scanned = match &entry {
            Ok(entry) if entry.file_type().is_some_and(|t| t.is_file()) => {
                scan_file(&redactor, entry.path(), args.max_size)
            }
            Ok(_) => continue,
            Err(error) => Err(walk_error(error)),
        };
        let written = match scanned {
            Ok(Scanned::Text(hits)) => reporter.hits(&hits),
            Ok(Scanned::Binary) => Ok(()),
            Ok(Scanned::TooLarge(size)) => {
                too_large += 1;
                reporter.too_large(entry_path(&entry), size, args.max_size)
            }
            Err(error) => {
                common::report(&error);
                errors += 1;
                reporter.error(&error)
            }
        };
        if let Err(error) = written {
            return stopped_writing(&error, outcome(errors + too_large, reporter.found()));
        }
    }
    if too_large > 0 {
        eprintln!(
            "tokenward: {too_large} file{} not scanned (larger than --max-size {} bytes); \
             the scan is incomplete",
            if too_large == 1 { "" } else { "s" },
            args.max_size
        );
    }
    let unscanned = errors + too_large;
    let outcome = outcome(unscanned, reporter.found());
    match reporter.finish(unscanned == 0) {
        Ok(()) => Ok(outcome),
        Err(error) => stopped_writing(&error, outcome),
    }
}

/// The path of a walked entry (a walk error has none worth naming).
fn entry_path(entry: &Result<ignore::DirEntry, ignore::Error>) -> &Path {
    entry.as_ref().map_or(Path::new(""), |e| e.path())
}

/// Inputs left unscanned (errors, files over the size cap) win over findings: a scan that
/// missed files cannot vouch for them.
fn outcome(unscanned: usize, found: usize) -> Outcome {
    if unscanned > 0 {
        Outcome::Failed
    } else if found > 0 {
        Outcome::Found
    } else {
        Outcome::Clean
    }
}

/// Ends the scan when stdout fails; quietly when its reader left (`tokenward scan | head`).
fn stopped_writing(error: &io::Error, so_far: Outcome) -> Result<Outcome, CliError> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Ok(so_far)
    } else {
        Err(CliError::new("stdout", common::io_reason(error)))
    }
}

/// The directory walker for `args.paths`, in a stable (sorted) order.
fn walker(args: &Args) -> WalkBuilder {
    let mut builder = WalkBuilder::new(&args.paths[0]);
    for path in &args.paths[1..] {
        builder.add(path);
    }
    builder
        .standard_filters(!args.no_ignore)
        // Dotfiles (.env, .npmrc, .aws/credentials) are where secrets live.
        .hidden(false)
        // A .gitignore counts in a tree that is not (yet) a git repository, too.
        .require_git(false)
        .filter_entry(|entry| entry.file_name() != ".git")
        .sort_by_file_name(|a, b| a.cmp(b));
    builder
}

/// What scanning one file gave.
enum Scanned {
    /// A text file and the secrets found in it (maybe none).
    Text(Vec<Hit>),
    /// A binary file: not text, not scanned.
    Binary,
    /// A file over the size cap, of this many bytes at least: not scanned.
    TooLarge(u64),
}

/// Reads one file (at most `max_size` bytes) and finds its secrets.
fn scan_file(redactor: &Redactor, path: &Path, max_size: u64) -> Result<Scanned, CliError> {
    let io_error = |e: io::Error| CliError::io(path, &e);
    let file = File::open(path).map_err(io_error)?;
    let size = file.metadata().map_err(io_error)?.len();
    let mut text = Vec::with_capacity(size.min(max_size) as usize + 1);
    // Read one byte past the cap, so a file that grew since its metadata was read is caught.
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut text)
        .map_err(io_error)?;
    if text.len() as u64 > max_size {
        eprintln!(
            "tokenward: warning: {}: skipped, larger than --max-size {max_size} bytes",
            common::display_path(path)
        );
        return Ok(Scanned::TooLarge(size.max(text.len() as u64)));
    }
    if text[..text.len().min(BINARY_SNIFF)].contains(&0) {
        return Ok(Scanned::Binary);
    }
    let findings = redactor.find_bytes(&text);
    let mut locator = locate::Locator::new(&text);
    let hits = findings
        .iter()
        .map(|finding| Hit {
            path: path.to_path_buf(),
            start: locator.position(finding.span.start),
            end: locator.position(finding.span.end),
            rule: finding.rule.clone(),
            masked: common::masked(&text, finding),
        })
        .collect();
    Ok(Scanned::Text(hits))
}

/// A walk error (missing path, unreadable directory, bad ignore file) as one line.
fn walk_error(error: &ignore::Error) -> CliError {
    match error {
        ignore::Error::WithPath { path, err } => {
            CliError::new(common::display_path(path), walk_reason(err))
        }
        ignore::Error::WithDepth { err, .. } => walk_error(err),
        other => CliError::new("scan", walk_reason(other)),
    }
}

fn walk_reason(error: &ignore::Error) -> String {
    match error {
        ignore::Error::Io(e) => {
            // Errors from the directory walk wrap the OS error in a message that repeats the
            // path; report the OS error alone, the path is already in front.
            let os_error = e
                .get_ref()
                .and_then(|inner| inner.source())
                .and_then(|source| source.downcast_ref::<io::Error>());
            common::io_reason(os_error.unwrap_or(e))
        }
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            walk_reason(err)
        }
        ignore::Error::WithLineNumber { line, err } => format!("line {line}: {}", walk_reason(err)),
        ignore::Error::Partial(errors) => errors
            .iter()
            .map(walk_reason)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// Parses a size such as `10M`, `512K`, `1G` or `4096` (bytes); suffixes are powers of 1024
/// (`10MiB`, `10MB` and `10 M` read as `10M`). Zero is refused: it would leave out every file.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((at, _)) => text.split_at(at),
        None => (text, ""),
    };
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches(['B', 'I'])
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("unknown unit {unit:?} (use K, M or G)")),
    };
    let number: u64 = digits
        .parse()
        .map_err(|_| "expected a number of bytes such as 4096, 512K or 10M".to_string())?;
    if number == 0 {
        return Err("the size must be at least 1 byte".to_string());
    }
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| "size too large".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        assert_eq!(parse_size("10 MB"), Ok(10 << 20));
        assert_eq!(parse_size("100b"), Ok(100));
        assert!(parse_size("0").is_err());
        assert!(parse_size("0K").is_err());
        assert!(parse_size("1.5M").is_err());
        assert!(parse_size("-5").is_err());
        assert!(parse_size("ten").is_err());
        assert!(parse_size("5T").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
    }
}
