//! Usage tracking and anomaly detection: the per-request cost a Guard pays.
//!
//! `cargo bench -p tokenward-benches --bench usage`
use std::hint::black_box;
use std::net::IpAddr;

use criterion::{criterion_group, criterion_main, Criterion};
use tokenward::usage::{Observation, UsageConfig, UsageTracker};
use tokenward::{TokenId, TokenKey};

const START: i64 = 1_767_225_600_000;
const PATHS: [&str; 4] = [
    "/v1/builds",
    "/v1/builds/18273/logs",
    "/v1/artifacts?page=2",
    "/v1/repos/9912",
];

fn ips() -> [IpAddr; 2] {
    [
        "198.51.100.7".parse().unwrap(),
        "198.51.100.9".parse().unwrap(),
    ]
}

fn normal(i: u64, ips: &[IpAddr; 2]) -> Observation<'static> {
    Observation {
        ip: Some(ips[(i % 2) as usize]),
        country: Some("DE"),
        user_agent: Some("deploy-cli/1.4.2 (linux; amd64)"),
        method: Some("GET"),
        path: Some(PATHS[(i % 4) as usize]),
        ..Observation::default()
    }
}

/// A tracker holding 10,000 tokens, each with three days of history (so detectors are live).
fn warmed() -> (UsageTracker, Vec<TokenId>, i64) {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let key = TokenKey::new(b"bench");
    let ids: Vec<TokenId> = (0..10_000u32).map(|i| key.id(&i.to_le_bytes())).collect();
    let ips = ips();
    let mut now = START;
    for round in 0..60u64 {
        for (k, id) in ids.iter().enumerate() {
            t.observe(*id, &normal(round + k as u64, &ips), now + k as i64);
        }
        now += 75 * 60_000; // three days and more over 60 rounds
    }
    (t, ids, now)
}

fn observe(c: &mut Criterion) {
    let (t, ids, start) = warmed();
    let ips = ips();
    let mut g = c.benchmark_group("usage");

    // Reference points measured in the same run.
    let key = TokenKey::new(b"bench");
    g.bench_function("baseline_token_id_of_40_byte_token", |b| {
        b.iter(|| key.id(black_box(b"tw_live_8f2k3j4h5g6f7d8s9a0q1w2e3r4t5y6u")))
    });
    let mut now = start;
    let mut i = 0u64;
    g.bench_function("observe_empty_one_token", |b| {
        b.iter(|| {
            now += 50;
            t.observe(ids[3], &Observation::default(), now)
        })
    });

    // One busy token (state in cache), then 10,000 tokens in turn (state mostly not cached).
    g.bench_function("observe_normal_request_one_token", |b| {
        b.iter(|| {
            now += 50;
            i += 1;
            let obs = normal(i, &ips);
            t.observe(ids[7], black_box(&obs), now)
        })
    });
    g.bench_function("observe_normal_request_10k_tokens", |b| {
        b.iter(|| {
            now += 50;
            i += 1;
            let obs = normal(i, &ips);
            t.observe(ids[(i % 10_000) as usize], black_box(&obs), now)
        })
    });

    // Hostile cardinality: every request a new IP, agent and path (sketches in use).
    let hostile = ids[0];
    g.bench_function("observe_hostile_request", |b| {
        let mut agent = String::new();
        let mut path = String::new();
        b.iter(|| {
            now += 50;
            i += 1;
            agent.clear();
            path.clear();
            use std::fmt::Write;
            let _ = write!(agent, "bot/{i}");
            let _ = write!(path, "/scan/x{i}");
            let obs = Observation {
                ip: Some(IpAddr::V4((i as u32).wrapping_mul(2_654_435_761).into())),
                country: Some("BR"),
                user_agent: Some(&agent),
                method: Some("GET"),
                path: Some(&path),
                ..Observation::default()
            };
            t.observe(hostile, black_box(&obs), now)
        })
    });

    g.bench_function("record_outcome_200", |b| {
        b.iter(|| {
            i += 1;
            t.record_outcome(ids[(i % 10_000) as usize], black_box(200), now)
        })
    });
    g.bench_function("record_outcome_404_one_token", |b| {
        b.iter(|| {
            now += 50;
            t.record_outcome(ids[9], black_box(404), now)
        })
    });
    g.bench_function("record_outcome_404_10k_tokens", |b| {
        b.iter(|| {
            now += 50;
            i += 1;
            t.record_outcome(ids[(i % 10_000) as usize], black_box(404), now)
        })
    });
    g.bench_function("stats", |b| {
        b.iter(|| {
            i += 1;
            t.stats(ids[(i % 10_000) as usize], now)
        })
    });
    g.finish();
}

/// Thread CPU time: on a shared, overloaded machine wall-clock medians include time spent
/// descheduled; CPU time of the benchmarking thread does not.
fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn cpu_time(c: &mut Criterion) {
    let (t, ids, start) = warmed();
    let ips = ips();
    let key = TokenKey::new(b"bench");
    let mut g = c.benchmark_group("usage_cpu_time");
    g.bench_function("baseline_token_id_of_40_byte_token", |b| {
        b.iter_custom(|n| {
            let t0 = thread_cpu_time();
            for _ in 0..n {
                black_box(key.id(black_box(b"tw_live_8f2k3j4h5g6f7d8s9a0q1w2e3r4t5y6u")));
            }
            thread_cpu_time() - t0
        })
    });
    let mut now = start;
    let mut i = 0u64;
    g.bench_function("observe_normal_request_one_token", |b| {
        b.iter_custom(|n| {
            let t0 = thread_cpu_time();
            for _ in 0..n {
                now += 50;
                i += 1;
                let obs = normal(i, &ips);
                black_box(t.observe(ids[7], black_box(&obs), now));
            }
            thread_cpu_time() - t0
        })
    });
    g.bench_function("observe_normal_request_10k_tokens", |b| {
        b.iter_custom(|n| {
            let t0 = thread_cpu_time();
            for _ in 0..n {
                now += 50;
                i += 1;
                let obs = normal(i, &ips);
                black_box(t.observe(ids[(i % 10_000) as usize], black_box(&obs), now));
            }
            thread_cpu_time() - t0
        })
    });
    g.bench_function("record_outcome_404_one_token", |b| {
        b.iter_custom(|n| {
            let t0 = thread_cpu_time();
            for _ in 0..n {
                now += 50;
                black_box(t.record_outcome(ids[9], black_box(404), now));
            }
            thread_cpu_time() - t0
        })
    });
    g.bench_function("record_outcome_200", |b| {
        b.iter_custom(|n| {
            let t0 = thread_cpu_time();
            for _ in 0..n {
                i += 1;
                black_box(t.record_outcome(ids[(i % 10_000) as usize], black_box(200), now));
            }
            thread_cpu_time() - t0
        })
    });
    g.finish();
}

criterion_group!(benches, observe, cpu_time);
criterion_main!(benches);
