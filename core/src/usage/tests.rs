//! Unit tests that need the tracker's internals.

use super::state::TokenUsage;
use super::*;

#[test]
fn token_state_fits_the_memory_budget() {
    let config = UsageConfig::default();
    let derived = Derived::new(&config);
    let s = TokenUsage::new(&config, &derived, 0);
    let bytes = std::mem::size_of::<TokenUsage>() + s.heap_bytes();
    assert!(bytes <= 2048, "{bytes} bytes");
}

#[test]
fn tracker_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<UsageTracker>();
}

#[test]
fn observation_debug_hides_queries() {
    let obs = Observation {
        path: Some("/reset?token=ghp_secretsecretsecret"),
        method: Some("GET"),
        ..Observation::default()
    };
    let text = format!("{obs:?}");
    assert!(!text.contains("secret"), "{text}");
    assert!(text.contains("GET /reset"), "{text}");
}
