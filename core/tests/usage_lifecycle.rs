//! Idle eviction, and many threads observing at once.

use std::sync::Arc;

use tokenward::usage::{Observation, UsageConfig, UsageTracker};
use tokenward::{TokenId, TokenKey};

const START: i64 = 1_767_225_600_000;

fn id(n: u64) -> TokenId {
    TokenKey::new(b"mem").id(&n.to_le_bytes())
}

fn hostile(t: &UsageTracker, token: TokenId, n: u64, now: i64) {
    let obs = Observation {
        ip: Some(std::net::Ipv4Addr::from(n as u32).into()),
        path: Some("/x"),
        ..Observation::default()
    };
    t.observe(token, &obs, now);
}

#[test]
fn idle_tokens_are_evicted_and_forgotten() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    for k in 0..100 {
        hostile(&t, id(k), k, START);
    }
    hostile(&t, id(0), 1, START + 6 * 86_400_000);
    let ev = t.evict_idle(START + 7 * 86_400_000);
    assert_eq!((ev.evicted, ev.forgotten), (99, 0));
    assert_eq!((t.len(), t.dormant_len()), (1, 99));
    let ev = t.evict_idle(START + 401 * 86_400_000);
    assert_eq!((ev.evicted, ev.forgotten), (1, 99));
    assert_eq!((t.len(), t.dormant_len()), (0, 1));
}

#[test]
fn many_threads_observe_at_once() {
    let t = Arc::new(UsageTracker::new(UsageConfig::default()).unwrap());
    let threads: Vec<_> = (0..4u64)
        .map(|th| {
            let t = Arc::clone(&t);
            std::thread::spawn(move || {
                for i in 0..5_000u64 {
                    let obs = Observation {
                        ip: Some("192.0.2.1".parse().unwrap()),
                        ..Observation::default()
                    };
                    // Four threads share token 0; each also has its own.
                    t.observe(id(0), &obs, START + (i as i64) * 10);
                    t.observe(id(10 + th), &obs, START + (i as i64) * 10);
                }
            })
        })
        .collect();
    threads.into_iter().for_each(|h| h.join().unwrap());
    let now = START + 50_000;
    assert_eq!(t.stats(id(0), now).unwrap().total_requests, 20_000);
    for th in 0..4 {
        assert_eq!(t.stats(id(10 + th), now).unwrap().total_requests, 5_000);
    }
}

mod hostile_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any timestamps (out of order, negative, extreme), any strings, any coordinates:
        /// no panic, and counts stay consistent.
        #[test]
        fn never_panics(
            events in proptest::collection::vec(
                (any::<i64>(), any::<u32>(), ".{0,40}", ".{0,60}", any::<f64>(), any::<f64>(), any::<u16>(), any::<bool>()),
                1..60,
            )
        ) {
            let t = UsageTracker::new(UsageConfig { track_deltas: true, ..UsageConfig::default() }).unwrap();
            let token = id(1);
            for (ts, ip, country, path, lat, lon, status, denied) in &events {
                let obs = Observation {
                    ip: Some(std::net::Ipv4Addr::from(*ip).into()),
                    country: Some(country),
                    user_agent: Some(path),
                    method: Some(country),
                    path: Some(path),
                    location: Some((*lat, *lon)),
                    denied: *denied,
                    declared_scope_match: Some(*denied),
                    expected: Default::default(),
                    group: None,
                };
                let _ = t.observe(token, &obs, *ts);
                let _ = t.record_outcome(token, *status, *ts);
                let _ = t.stats(token, *ts);
            }
            let s = t.stats(token, 0).unwrap();
            prop_assert_eq!(s.total_requests, events.len() as u64);
            let delta = t.delta().unwrap();
            let other = UsageTracker::new(UsageConfig { track_deltas: true, ..UsageConfig::default() }).unwrap();
            other.merge(&delta, 0).unwrap();
            let _ = t.evict_idle(i64::MAX);
            let _ = t.evict_idle(i64::MIN);
        }
    }
}
