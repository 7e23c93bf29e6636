//! Publishing changes without a Guard: what `tokenward fleet revoke` does.

use std::time::Duration;

use tokenward::guard::Change;

use crate::link::{connect, random_id};
use crate::wire::{encode_changes, CHANGES_PER_ENTRY};
use crate::{FleetConfig, FleetError};

/// Publishes `changes` to the fleet's stream and returns the id of the last entry written.
/// Every instance applies them as it reads them (a [`Change::RevokedWhere`] revokes the
/// matching tokens each instance holds). Fails when Redis cannot be reached or refuses.
///
/// ```no_run
/// use tokenward::guard::Change;
/// use tokenward::Selector;
/// use tokenward_fleet::{publish, FleetConfig};
///
/// let config = FleetConfig::new("redis://127.0.0.1:6379")?;
/// let change = Change::RevokedWhere { selector: Selector::new().owner("alice"), at: 1_767_225_600_000 };
/// let id = publish(&config, &[change])?;
/// println!("published as {id}");
/// # Ok::<(), tokenward_fleet::FleetError>(())
/// ```
pub fn publish(config: &FleetConfig, changes: &[Change]) -> Result<String, FleetError> {
    config.validate()?;
    for change in changes {
        if let Change::RevokedWhere { selector, .. } = change {
            if selector.is_empty() {
                return Err(tokenward::GuardError::EmptySelector.into());
            }
        }
    }
    let mut conn = connect(config, Duration::from_secs(5))?;
    let origin = format!("publish-{}", random_id());
    let mut last = String::new();
    for chunk in changes.chunks(CHANGES_PER_ENTRY) {
        last = redis::cmd("XADD")
            .arg(&config.keys().changes)
            .arg("*")
            .arg("o")
            .arg(&origin)
            .arg("c")
            .arg(encode_changes(chunk))
            .query(&mut conn)?;
    }
    Ok(last)
}
