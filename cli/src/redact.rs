//! `tokenward redact`: files or stdin to stdout, secrets redacted, line for line.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use tokenward::{Redactor, StreamRedactor, Style};

use crate::common::{self, CliError, Outcome, RuleArgs};

/// Size of a read; also bounds how much output waits before it is written.
const READ_SIZE: usize = 64 * 1024;

/// The long description shown by `tokenward redact --help`.
pub const LONG_ABOUT: &str = "Copy files (or stdin) to stdout with every secret redacted.\n\n\
        Each line is redacted on its own (a private-key block as a whole), so the result does \
        not depend on how the input arrives. \
        Output has exactly one line per input line: a private-key block keeps its line \
        breaks, a missing final newline stays missing, CRLF stays CRLF, and bytes that are \
        not UTF-8 pass through untouched. Several files are concatenated, as cat does. \
        Memory stays bounded whatever the line length. \
        Output is flushed whenever the input has nothing more buffered, so \
        'app | tokenward redact' shows each line as soon as the app writes it.";

/// Arguments of `tokenward redact`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
        tokenward redact app.log > app.redacted.log\n  \
        kubectl logs -f deploy/api | tokenward redact --style prefix\n  \
        export TW_KEY=$(cat /run/secrets/tw_key)\n  \
        tokenward redact --style fingerprint --fingerprint-key-env TW_KEY app.log")]
pub struct Args {
    /// Files to redact, in order; '-' or none reads stdin.
    #[arg(value_name = "FILE")]
    pub files: Vec<OsString>,
    /// How a secret is replaced (see the help text).
    #[arg(
        long,
        help = "How a secret is replaced: mask (********), prefix (ghp_********), label \
                ([REDACTED:rule], the default) or fingerprint ([REDACTED:rule:8hex], needs a key)",
        value_name = "STYLE",
        value_parser = PossibleValuesParser::new(Style::ALL.map(Style::name))
            .map(|name| name.parse::<Style>().expect("only known style names get here"))
    )]
    pub style: Option<Style>,
    /// Read the fingerprint key from this environment variable. The key is never taken as
    /// an argument, because arguments are visible to every user of the machine (ps,
    /// /proc/PID/cmdline) and end up in shell history and CI logs.
    #[arg(long, value_name = "VAR")]
    pub fingerprint_key_env: Option<OsString>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Runs `tokenward redact`.
pub fn run(args: &Args) -> Result<Outcome, CliError> {
    let key = fingerprint_key(args)?;
    let redactor = common::build_redactor(&args.rules, args.style, key.as_deref())?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let stdin_only = [OsString::from("-")];
    let inputs = if args.files.is_empty() {
        &stdin_only[..]
    } else {
        &args.files[..]
    };
    let mut outcome = Outcome::Clean;
    for name in inputs {
        let result = if name == "-" {
            redact_stream(&redactor, io::stdin().lock(), &mut out).map_err(|e| e.described("stdin"))
        } else {
            let path = Path::new(name);
            match File::open(path) {
                Ok(file) => redact_stream(&redactor, file, &mut out)
                    .map_err(|e| e.described(&common::display_path(path))),
                Err(e) => Err(StreamError::Read(e).described(&common::display_path(path))),
            }
        };
        match result {
            Ok(()) => {}
            // The reader went away (`tokenward redact big.log | head`): stop quietly.
            Err(Stopped::OutputClosed) => return Ok(outcome),
            Err(Stopped::Output(error)) => return Err(error),
            Err(Stopped::Input(error)) => {
                // One unreadable input does not stop the others.
                common::report(&error);
                outcome = Outcome::Failed;
            }
        }
    }
    Ok(outcome)
}

/// The fingerprint key from the variable named by `--fingerprint-key-env`, if any.
fn fingerprint_key(args: &Args) -> Result<Option<Vec<u8>>, CliError> {
    let Some(var) = &args.fingerprint_key_env else {
        return Ok(None);
    };
    let what = format!("--fingerprint-key-env {}", var.to_string_lossy());
    match std::env::var_os(var) {
        Some(value) if !value.is_empty() => Ok(Some(value.into_encoded_bytes())),
        Some(_) => Err(CliError::new(what, "the variable is empty")),
        None => Err(CliError::new(what, "the variable is not set")),
    }
}

/// Why redacting one input stopped early.
#[derive(Debug)]
enum StreamError {
    Read(io::Error),
    Write(io::Error),
}

/// What [`run`] does about a [`StreamError`].
enum Stopped {
    /// stdout was closed by its reader: stop, and say nothing.
    OutputClosed,
    /// stdout failed: nothing more can be written, stop.
    Output(CliError),
    /// One input failed: report it and go on with the next.
    Input(CliError),
}

impl StreamError {
    fn described(self, input: &str) -> Stopped {
        match self {
            StreamError::Write(e) if e.kind() == io::ErrorKind::BrokenPipe => Stopped::OutputClosed,
            StreamError::Write(e) => {
                Stopped::Output(CliError::new("stdout", common::io_reason(&e)))
            }
            StreamError::Read(e) => Stopped::Input(CliError::new(input, common::io_reason(&e))),
        }
    }
}

/// Redacts `input` to `out` chunk by chunk, never holding a whole line: each chunk the reader
/// has goes to the [`StreamRedactor`], whatever it releases is written at once, and `out` is
/// flushed before the next read, which is where reading from a pipe would wait.
fn redact_stream(
    redactor: &Redactor,
    input: impl Read,
    out: &mut impl Write,
) -> Result<(), StreamError> {
    let mut reader = BufReader::with_capacity(READ_SIZE, input);
    let mut stream = StreamRedactor::new(redactor.clone());
    let mut released = Vec::with_capacity(READ_SIZE);
    loop {
        let chunk = match reader.fill_buf() {
            Ok([]) => break,
            Ok(chunk) => chunk,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(StreamError::Read(e)),
        };
        let length = chunk.len();
        // Each line is redacted on its own (a key block whole), so a rule's pattern runs only
        // on the lines that call for it, and the output does not depend on the reads.
        stream.push_lines(chunk, &mut released);
        reader.consume(length);
        write_released(out, &mut released)?;
        // Everything read has been handed over, so the next read may block: flush first.
        out.flush().map_err(StreamError::Write)?;
    }
    stream.finish(&mut released);
    write_released(out, &mut released)?;
    out.flush().map_err(StreamError::Write)
}

fn write_released(out: &mut impl Write, released: &mut Vec<u8>) -> Result<(), StreamError> {
    if !released.is_empty() {
        out.write_all(released).map_err(StreamError::Write)?;
        released.clear();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns its input a few bytes at a time, as a slow pipe would.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn key_blocks_and_lines_come_out_the_same_whatever_the_read_size() {
        let input = "a AKIA7QX2M4RB5KQ3YHV6\n-----BEGIN TEST BLOCK-----\nQm9ndXNLZXlNYXRlcmlhbA\n\
                     -----END TEST BLOCK-----\nb 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\n";
        let redactor = Redactor::builder()
            .rule(tokenward::RuleDef {
                id: "test_block".into(),
                keywords: vec!["-----BEGIN TEST BLOCK-----".into()],
                pattern: r"(?s)-----BEGIN TEST BLOCK-----.{1,200}?-----END TEST BLOCK-----".into(),
                ..tokenward::RuleDef::default()
            })
            .build()
            .unwrap();
        let expected = "a [REDACTED:aws_access_key_id]\n[REDACTED:test_block]\n\n\n\
                        b [REDACTED:github_classic_token]\n";
        for step in [1, 5, 40, input.len()] {
            let mut out = Vec::new();
            redact_stream(&redactor, Trickle(input.as_bytes(), step), &mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "step {step}");
        }
    }

    #[test]
    fn secrets_split_across_reads_are_redacted() {
        let input = b"a 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 b\nAKIA7QX2M4RB5KQ3YHV6";
        for step in [1, 3, 7, 64] {
            let mut out = Vec::new();
            redact_stream(&Redactor::new(), Trickle(input, step), &mut out).unwrap();
            assert_eq!(
                String::from_utf8(out).unwrap(),
                "a [REDACTED:github_classic_token] b\n[REDACTED:aws_access_key_id]",
                "step {step}"
            );
        }
    }
}
