//! Memory stays bounded under hostile cardinality, measured with a counting allocator; the
//! global cap evicts the least recently used. The only test in its binary, so nothing else
//! allocates while it measures.

use tokenward::usage::{Observation, UsageConfig, UsageTracker};
use tokenward::{TokenId, TokenKey};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

const START: i64 = 1_767_225_600_000;

fn id(n: u64) -> TokenId {
    TokenKey::new(b"mem").id(&n.to_le_bytes())
}

/// Every request from a new IP, country, agent and path.
fn hostile(t: &UsageTracker, token: TokenId, n: u64, now: i64) {
    let ip = std::net::Ipv4Addr::from((n as u32).wrapping_mul(2_654_435_761)).into();
    let agent = format!("agent/{n}-{}", n * 7919);
    let path = format!("/scan/{}/x{}", n % 97, n);
    let countries = ["DE", "US", "BR", "JP", "ZA", "AU", "IN", "FR", "CN", "RU"];
    let obs = Observation {
        ip: Some(ip),
        country: Some(countries[(n % 10) as usize]),
        user_agent: Some(&agent),
        method: Some("POST"),
        path: Some(&path),
        location: Some(((n % 180) as f64 - 90.0, (n % 360) as f64 - 180.0)),
        denied: n % 3 == 0,
        declared_scope_match: Some(n % 5 != 0),
        expected: Default::default(),
        group: None,
    };
    t.observe(token, &obs, now);
    t.record_outcome(token, 404, now + 1);
}

#[test]
fn at_most_two_kib_per_token_under_hostile_cardinality() {
    // One test in this binary measures, so no other test allocates concurrently.
    let tokens = 1_000u64;
    let per_token = 200u64;
    let before = counting_alloc::live_bytes();
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    for round in 0..per_token {
        for k in 0..tokens {
            hostile(
                &t,
                id(k),
                round * tokens + k,
                START + (round as i64) * 7_000 + k as i64,
            );
        }
    }
    let used = counting_alloc::live_bytes() - before;
    let per = used as f64 / tokens as f64;
    println!("usage state: {used} bytes for {tokens} tokens = {per:.0} bytes per token");
    assert!(per <= 2048.0, "{per} bytes per token");
    let reported = t.memory_bytes() as f64 / tokens as f64;
    assert!(
        (reported - per).abs() / per < 0.25,
        "memory_bytes {reported} vs measured {per}"
    );
    let s = t.stats(id(0), START + per_token as i64 * 7_000).unwrap();
    assert!(
        s.distinct.ips > 16,
        "the sketch took over: {}",
        s.distinct.ips
    );

    // The global cap holds: 30k distinct tokens into a tracker capped at 2048.
    let capped = UsageTracker::new(UsageConfig {
        max_tokens: 2048,
        max_dormant_records: 8192,
        ..UsageConfig::default()
    })
    .unwrap();
    let before = counting_alloc::live_bytes();
    for k in 0..30_000u64 {
        hostile(&capped, id(1_000_000 + k), k, START + k as i64 * 10);
    }
    assert!(capped.len() <= 2048);
    assert!(capped.dormant_len() <= 8192);
    let used = (counting_alloc::live_bytes() - before) as f64;
    println!("capped tracker after 30k tokens: {used} bytes");
    assert!(used <= 2048.0 * 2048.0 + 8192.0 * 64.0, "{used}");
    // Least recently used went first: the newest token is still there, the first is not.
    assert!(capped
        .stats(id(1_000_000 + 29_999), START + 1_000_000_000)
        .is_some());
    assert!(capped.stats(id(1_000_000), START + 1_000_000_000).is_none());
}
