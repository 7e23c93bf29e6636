//! `tokenward rules`: the detection rules in force.

use std::io::{self, Write};

use serde_json::json;

use crate::common::{self, CliError, Outcome, RuleArgs};

/// How `rules` lists the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns: id, provider, description.
    Text,
    /// One JSON array of {id, provider, description, keywords, builtin}.
    Json,
}

/// The long description shown by `tokenward rules --help`.
pub const LONG_ABOUT: &str = "List the detection rules in force: the built-in catalogue plus \
    the rules of --config, less those disabled. Rule ids are what labels ([REDACTED:<id>]), \
    scan reports and --disable use.";

/// Arguments of `tokenward rules`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Runs `tokenward rules`.
pub fn run(args: &Args) -> Result<Outcome, CliError> {
    let redactor = common::build_redactor(&args.rules, Some(tokenward::Style::Label), None)?;
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Text => {
            let id_width = redactor.rules().map(|r| r.id.len()).max().unwrap_or(0);
            let provider_width = redactor
                .rules()
                .map(|r| r.provider.len())
                .max()
                .unwrap_or(0);
            redactor.rules().try_for_each(|rule| {
                writeln!(
                    out,
                    "{:id_width$}  {:provider_width$}  {}",
                    rule.id, rule.provider, rule.description
                )
            })
        }
        Format::Json => {
            let list: Vec<_> = redactor
                .rules()
                .map(|rule| {
                    json!({
                        "id": &*rule.id,
                        "provider": rule.provider,
                        "description": rule.description,
                        "keywords": rule.keywords,
                        "builtin": rule.builtin,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &list)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        }
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(Outcome::Clean),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(Outcome::Clean),
        Err(e) => Err(CliError::new("stdout", common::io_reason(&e))),
    }
}
