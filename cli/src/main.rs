//! `tokenward`: the command line.
//!
//! One module per subcommand, each with an `Args` struct (clap derive) and a `run` function
//! returning an [`Outcome`]; `main` parses, dispatches and turns the outcome into an exit code.
//! A new subcommand is a new module plus one variant in [`Command`] and one arm in `main`.

mod common;
mod fleet;
mod redact;
mod rules;
mod scan;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use common::Outcome;

/// Keep secrets out of logs, commits and CI output.
///
/// tokenward finds credentials (cloud keys, API tokens, private keys, passwords in
/// assignments, ...) with a catalogue of checksum- and context-verified rules.
#[derive(Debug, Parser)]
#[command(
    name = "tokenward",
    version,
    propagate_version = true,
    after_help = "Exit status: 0 success (scan: nothing found), 1 scan found secrets, \
                  2 error (bad arguments or config, unreadable input).\n\n\
                  Run 'tokenward <COMMAND> --help' for each command's options."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Copy files or stdin to stdout with every secret redacted, line for line.
    #[command(long_about = redact::LONG_ABOUT)]
    Redact(redact::Args),
    /// Report secrets in files and directory trees (a pre-commit hook and CI gate).
    #[command(long_about = scan::LONG_ABOUT)]
    Scan(scan::Args),
    /// List the detection rules in force.
    #[command(long_about = rules::LONG_ABOUT)]
    Rules(rules::Args),
    /// Replay recorded traffic through a Guard: decisions, usage alerts, responses.
    #[command(long_about = tokenward_cli::LONG_ABOUT)]
    Replay(tokenward_cli::Args),
    /// Act on a fleet of instances sharing their Guard state through Redis.
    #[command(long_about = fleet::LONG_ABOUT)]
    Fleet(fleet::Args),
}

fn main() -> ExitCode {
    let cli = match parse_args() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let outcome = match cli.command {
        Command::Redact(args) => redact::run(&args),
        Command::Scan(args) => scan::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::Fleet(args) => fleet::run(&args),
        Command::Replay(args) => tokenward_cli::run(&args)
            .map(|()| Outcome::Clean)
            .map_err(|e| common::CliError::new(e.what, e.why)),
    };
    match outcome {
        Ok(outcome) => outcome.exit_code(),
        Err(error) => {
            common::report(&error);
            Outcome::Failed.exit_code()
        }
    }
}

/// Parses the command line. Help and version go to stdout with status 0; a usage error is
/// printed as one `tokenward: ...` line on stderr with status 2.
fn parse_args() -> Result<Cli, ExitCode> {
    let matches = Cli::command().try_get_matches();
    match matches.and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => Ok(cli),
        Err(error) if !error.use_stderr() => {
            // --help, --version: clap prints them.
            let _ = error.print();
            Err(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("tokenward: {}", common::usage_error_line(&error));
            Err(Outcome::Failed.exit_code())
        }
    }
}
