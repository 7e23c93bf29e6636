//! `tokenward replay`: arguments, input and output around the replay loop.

use std::ffi::OsString;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use tokenward::TokenKey;

use super::config::{io_reason, ReplayConfig};
use super::engine::Replay;
use super::report::{write_json, write_summary};
use super::traffic::Lines;
use super::{Error, DEFAULT_KEY, MAX_LINE};

/// The long description shown by `tokenward replay --help`.
pub const LONG_ABOUT: &str = "Replay recorded traffic (JSON lines) through a Guard built from \
    --config, and report its decisions, the usage alerts its detectors raised and what the \
    response rules did.\n\n\
    The config is a Guard config (policies, [usage], [[respond]]) plus [[tokens]] entries: \
    each token's raw value (hashed when loaded, never printed) and metadata (owner, service, \
    environment, tags, policy, issued_at, expires_at). Tokens are shown by their ids.\n\n\
    Traffic lines: {\"ts\": RFC 3339 or Unix ms, \"token\", \"ip\", \"country\", \"method\", \
    \"path\", \"user_agent\", \"subject\", \"device\", \"environment\", \"status\", \"lat\", \
    \"lon\"}; all but ts and token optional. status feeds the Guard's record_outcome when the \
    request was allowed. A malformed line is reported on stderr with its number and skipped.";

/// Arguments of `tokenward replay`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
        tokenward replay --config examples/guard.toml examples/traffic.jsonl\n  \
        tokenward replay --config guard.toml --json traffic.jsonl | jq 'select(.alerts != [])'\n  \
        zcat traffic.jsonl.gz | tokenward replay --config guard.toml -")]
pub struct Args {
    /// Guard config plus the tokens to register (TOML, or JSON when .json or starting with '{').
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Traffic file (JSON lines); '-' reads stdin.
    #[arg(value_name = "TRAFFIC")]
    pub traffic: OsString,
    /// Print one JSON line per request (decision, reasons, token id, alerts, actions) instead
    /// of the summary.
    #[arg(long)]
    pub json: bool,
    /// With --json, print only requests that raised an alert or were denied.
    #[arg(long, requires = "json")]
    pub only_flagged: bool,
    /// Read the key token ids are computed with from this environment variable (default: a
    /// fixed replay key).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<OsString>,
}

/// Runs `tokenward replay`: errors in the config, the key or the input end it (exit 2);
/// malformed lines are reported on stderr and skipped.
pub fn run(args: &Args) -> Result<(), Error> {
    match replay_to_stdout(args) {
        // A reader that stopped early (`| head`) is not an error.
        Err(Stop::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(Stop::Io(e)) => Err(Error::new("stdout", io_reason(&e))),
        Err(Stop::Error(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

/// Why a replay stopped early.
enum Stop {
    Error(Error),
    /// Writing stdout failed.
    Io(io::Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Error(e)
    }
}

fn replay_to_stdout(args: &Args) -> Result<(), Stop> {
    let key = match &args.key_env {
        None => TokenKey::new(DEFAULT_KEY),
        Some(var) => {
            let name = var.to_string_lossy().to_string();
            let value = std::env::var_os(var)
                .ok_or_else(|| Error::new("--key-env", format!("{name} is not set")))?;
            if value.is_empty() {
                return Err(Error::new("--key-env", format!("{name} is empty")).into());
            }
            TokenKey::new(value.as_encoded_bytes())
        }
    };
    let config = ReplayConfig::load(&args.config)?;
    let what = args.config.display().to_string();
    let mut replay = Replay::new(&config, key).map_err(|why| Error::new(what, why))?;
    let source = if args.traffic == "-" {
        "stdin".to_string()
    } else {
        Path::new(&args.traffic).display().to_string()
    };
    let input: Box<dyn BufRead> = if args.traffic == "-" {
        Box::new(io::BufReader::with_capacity(1 << 16, io::stdin().lock()))
    } else {
        let file =
            std::fs::File::open(&args.traffic).map_err(|e| Error::new(&source, io_reason(&e)))?;
        Box::new(io::BufReader::with_capacity(1 << 16, file))
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut lines = Lines::new(input);
    let mut number = 0u64;
    while let Some(line) = lines
        .next_line()
        .map_err(|e| Error::new(&source, io_reason(&e)))?
    {
        number += 1;
        let bytes = match line {
            Some(bytes) => bytes,
            None => {
                replay.skip_malformed();
                eprintln!("tokenward: {source}:{number}: skipped: longer than {MAX_LINE} bytes");
                continue;
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match replay.process(number, bytes) {
            Ok(processed) => {
                let flagged =
                    !processed.verdict.is_allowed() || processed.alerts().next().is_some();
                if args.json && (flagged || !args.only_flagged) {
                    write_json(&mut out, number, &processed).map_err(Stop::Io)?;
                }
            }
            Err(why) => eprintln!("tokenward: {source}:{number}: skipped: {why}"),
        }
    }
    if !args.json {
        write_summary(&mut out, &source, &replay).map_err(Stop::Io)?;
    }
    out.flush().map_err(Stop::Io)
}
