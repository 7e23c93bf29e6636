use std::sync::Arc;
use std::time::Duration;

use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};
use tokenward_fleet::{Fleet, FleetConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every instance: the same key, the same config (usage deltas on for fleet detection).
    let config = GuardConfig::from_toml("[usage]\ntrack_deltas = true\n")?;
    let guard = Arc::new(Guard::with_config(
        TokenKey::new(b"key shared by the fleet"),
        &config,
    )?);
    let url = std::env::var("REDIS_URL").unwrap_or("redis://127.0.0.1:6379".into());
    let fleet = Fleet::attach(guard.clone(), FleetConfig::new(url)?.prefix("billing-api"))?;

    let now = || {
        std::time::UNIX_EPOCH
            .elapsed()
            .map_or(0, |d| d.as_millis() as i64)
    };
    let minted = guard.mint(&TokenMeta::new().owner("alice"), &[7; 32], now())?;
    assert!(guard
        .check(&Request::new(minted.token.expose()), now())
        .is_allowed());

    // Revoked here at once, and on every other instance within milliseconds.
    guard.revoke(&minted.id, now())?;
    let published = fleet.flush(Duration::from_secs(2));
    println!("published: {published}, health: {:?}", fleet.health());
    for event in fleet.drain_events() {
        println!("fleet event: {}", serde_json::to_string(&event)?);
    }
    fleet.detach();
    Ok(())
}
