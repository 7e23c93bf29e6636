//! `tokenward rules`: the detection rules in force.

use std::io::{self, Write};

use serde_json::json;

use crate::common::{self, CliError, Outcome, RuleArgs};

/// How `rules` lists the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Rules grouped by provider, each group under a heading that counts its rules; aligned
    /// columns: id, provider, `checksum` (findings verified by a checksum) or `-`, description.
    Text,
    /// One JSON array of {id, provider, description, keywords, builtin, checksum}.
    Json,
}

/// The long description shown by `tokenward rules --help`.
pub const LONG_ABOUT: &str = "List the detection rules in force: the built-in catalogue plus \
    the rules of --config, less those disabled, grouped by provider. Rule ids are what labels \
    ([REDACTED:<id>]), scan reports and --disable use. A rule marked `checksum` verifies its \
    findings by a checksum or an encoded structure; one that fails is still redacted and \
    reported unverified.";

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
        Format::Text => write_grouped(&mut out, &redactor),
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
                        "checksum": rule.checksum,
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

/// The rules grouped by provider (groups in order of first appearance, so the catalogue's
/// own order of providers, then generic forms, then config rules, is kept), each group under
/// a `<provider> (<n> rules, <m> checksum-verified)` heading.
fn write_grouped(out: &mut impl Write, redactor: &tokenward::Redactor) -> io::Result<()> {
    let mut groups: Vec<(&str, Vec<&tokenward::RuleInfo>)> = Vec::new();
    for rule in redactor.rules() {
        match groups.iter_mut().find(|(p, _)| *p == rule.provider) {
            Some((_, rules)) => rules.push(rule),
            None => groups.push((&rule.provider, vec![rule])),
        }
    }
    let id_width = redactor.rules().map(|r| r.id.len()).max().unwrap_or(0);
    let provider_width = redactor
        .rules()
        .map(|r| r.provider.len())
        .max()
        .unwrap_or(0);
    for (provider, rules) in groups {
        let verified = rules.iter().filter(|r| r.checksum).count();
        let plural = if rules.len() == 1 { "" } else { "s" };
        writeln!(
            out,
            "{provider} ({} rule{plural}, {verified} checksum-verified)",
            rules.len()
        )?;
        for rule in rules {
            let check = if rule.checksum { "checksum" } else { "-" };
            writeln!(
                out,
                "  {:id_width$}  {:provider_width$}  {check:8}  {}",
                rule.id, rule.provider, rule.description
            )?;
        }
    }
    Ok(())
}
