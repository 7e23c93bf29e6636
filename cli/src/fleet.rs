//! `tokenward fleet`: act on a fleet of instances that share their Guard state through Redis.

use std::time::{SystemTime, UNIX_EPOCH};

use tokenward::guard::Change;
use tokenward::{Selector, TokenId};
use tokenward_fleet::FleetConfig;

use crate::common::{CliError, Outcome};

/// The long description shown by `tokenward fleet --help`.
pub const LONG_ABOUT: &str = "Act on a fleet of app instances that share their Guard state \
    through Redis (crate tokenward-fleet). 'fleet revoke' publishes a revocation to the fleet's \
    change stream: every instance applies it within milliseconds, and instances that are down \
    apply it when they catch up. A selector (--owner, --service, --environment, --tag, \
    combined with AND) revokes the matching tokens each instance holds; --id revokes tokens \
    by id (tid_..., as events and redacted logs show them), also where no instance holds \
    them yet.";

/// Arguments of `tokenward fleet`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: FleetCommand,
}

/// What to do to the fleet.
#[derive(Debug, clap::Subcommand)]
pub enum FleetCommand {
    /// Revoke tokens on every instance of the fleet.
    Revoke(RevokeArgs),
}

/// Arguments of `tokenward fleet revoke`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).multiple(true)
    .args(["owner", "service", "environment", "tag", "id"])))]
pub struct RevokeArgs {
    /// The fleet's Redis: redis://[user[:password]@]host[:port][/db] (or the
    /// TOKENWARD_REDIS environment variable, which keeps a password off the command line).
    #[arg(long, env = "TOKENWARD_REDIS", hide_env_values = true)]
    pub redis: String,
    /// The fleet's key prefix.
    #[arg(long, default_value = "tokenward")]
    pub prefix: String,
    /// Tokens of this owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// Tokens of this service.
    #[arg(long)]
    pub service: Option<String>,
    /// Tokens of this environment.
    #[arg(long)]
    pub environment: Option<String>,
    /// Tokens with this tag.
    #[arg(long)]
    pub tag: Option<String>,
    /// A token id (tid_...); repeat for several. Not combined with a selector.
    #[arg(long, conflicts_with_all = ["owner", "service", "environment", "tag"])]
    pub id: Vec<String>,
}

/// Runs `tokenward fleet`.
pub fn run(args: &Args) -> Result<Outcome, CliError> {
    match &args.command {
        FleetCommand::Revoke(args) => revoke(args),
    }
}

fn revoke(args: &RevokeArgs) -> Result<Outcome, CliError> {
    let at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let change = if args.id.is_empty() {
        let selector = Selector {
            owner: args.owner.clone(),
            service: args.service.clone(),
            environment: args.environment.clone(),
            tag: args.tag.clone(),
        };
        Change::RevokedWhere { selector, at }
    } else {
        let tokens = args
            .id
            .iter()
            .enumerate()
            .map(|(i, id)| {
                id.parse::<TokenId>().map_err(|_| {
                    CliError::new(
                        format!("--id #{}", i + 1),
                        "expected tid_ and 32 hex digits",
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Change::Revoked { tokens, at }
    };
    let config = FleetConfig::new(args.redis.as_str())
        .map_err(|e| CliError::new("--redis", e))?
        .prefix(args.prefix.as_str());
    let entry = tokenward_fleet::publish(&config, &[change])
        .map_err(|e| CliError::new("fleet revoke", e))?;
    println!(
        "published revocation as stream entry {entry} of {}",
        config.keys().changes
    );
    Ok(Outcome::Clean)
}
