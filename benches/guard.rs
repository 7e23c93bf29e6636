//! Guard benchmarks: `check()` against a ten-condition policy (also with usage tracking and
//! every detector on), `record_outcome`, scaling from one thread to two, registering a million
//! tokens, memory per token (counting allocator), and request-path canonicalisation.
//!
//! Run: `cargo bench -p tokenward-benches --bench guard`.
//!
//! Every figure is given twice: wall-clock time (criterion's default) and the CPU time of the
//! measuring threads (`*_cpu`), which leaves out time spent descheduled, so the numbers stay
//! meaningful on a machine shared with other work. Contention between threads (cache-line
//! bouncing, lock spinning) is CPU time and still shows.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokenward::{Guard, GuardConfig, Redactor, Request, TokenKey, TokenMeta};

/// Counts live heap bytes, for the bytes-per-token figure.
#[path = "../core/tests/support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

/// CPU time consumed by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc defines.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Criterion measurement of the benchmark thread's CPU time.
struct ThreadCpu;

impl Measurement for ThreadCpu {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time() - start
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WallTime.formatter()
    }
}

/// Monday 2026-01-05 10:00 UTC: inside the policy's window.
const NOW: i64 = 1_767_571_200_000 + 10 * 3_600_000;

/// A policy with ten conditions: subjects, devices, environments, 50 allowed CIDRs, countries,
/// 20 endpoint patterns, a weekly time window, expiry, idle expiry and a rate limit.
fn ten_condition_config() -> GuardConfig {
    let cidrs: Vec<String> = (0..50).map(|i| format!("\"10.{i}.0.0/16\"")).collect();
    let endpoints: Vec<String> = (0..20)
        .map(|i| format!("\"GET /v1/resource{i}/*\""))
        .collect();
    let toml = format!(
        r#"
event_capacity = 1024
[policies.bench]
subjects = ["svc-a", "svc-b", "svc-c", "deploy-bot"]
devices = ["runner-1", "runner-2"]
environments = ["prod", "staging"]
allow_ips = [{}]
countries = ["DE", "FR", "NL", "AT", "CH"]
endpoints = [{}]
time_windows = ["mon-fri 08:00-18:00"]
utc_offset = "+01:00"
expires_at = "2030-01-01T00:00:00Z"
idle_expiry = "30d"
rate_limit = {{ requests = 1000000000, window = "1s" }}
"#,
        cidrs.join(", "),
        endpoints.join(", ")
    );
    GuardConfig::from_toml(&toml).expect("bench config")
}

fn random(n: u64) -> [u8; 32] {
    let mut bytes = [0x5Au8; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes
}

/// A Guard with `n` minted tokens on the ten-condition policy; returns the raw tokens.
fn setup(n: u64) -> (Guard, Vec<String>) {
    let guard = Guard::with_config(TokenKey::new(b"bench key"), &ten_condition_config()).unwrap();
    let tokens = (0..n)
        .map(|i| {
            let meta = TokenMeta::new()
                .owner("bench")
                .policy("bench")
                .issued_at(NOW - 1000);
            guard
                .mint(&meta, &random(i), NOW - 1000)
                .unwrap()
                .token
                .into_string()
        })
        .collect();
    guard.drain_events();
    (guard, tokens)
}

fn request(token: &str) -> Request<'_> {
    Request::new(token)
        .subject("deploy-bot")
        .device("runner-2")
        .environment("prod")
        .ip(std::net::IpAddr::V4([10, 49, 7, 9].into())) // in the last CIDR
        .country("NL")
        .endpoint("GET", "/v1/resource19/42") // matches the last pattern
}

fn check(c: &mut Criterion) {
    check_with(c, "check");
}

fn check_cpu(c: &mut Criterion<ThreadCpu>) {
    check_with(c, "check_cpu");
}

fn check_with<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let (guard, tokens) = setup(1024);
    let mut group = c.benchmark_group(name);
    group.bench_function("ten_conditions_allow", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            let verdict = guard.check(black_box(&request(&tokens[i])), NOW);
            debug_assert!(verdict.is_allowed());
            verdict.is_allowed()
        })
    });
    group.bench_function("ten_conditions_deny_ip", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            let r = request(&tokens[i]).ip(std::net::IpAddr::V4([192, 0, 2, 1].into()));
            guard.check(black_box(&r), NOW).is_allowed()
        });
        guard.drain_events();
    });
    group.bench_function("unknown_token", |b| {
        let unknown = "tw_0000000000000000000000000000000000000000000000000";
        b.iter(|| guard.check(black_box(&request(unknown)), NOW).is_allowed());
        guard.drain_events();
    });
    group.bench_function("ten_conditions_deny_invalid_path", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            let r = request(&tokens[i]).endpoint("GET", "/v1/resource19/..%2fadmin");
            guard.check(black_box(&r), NOW).is_allowed()
        });
        guard.drain_events();
    });
    // Baseline: the keyed hash of one token, the part of a check no design can skip.
    let key = TokenKey::new(b"bench key");
    group.bench_function("baseline_token_hash", |b| {
        b.iter(|| key.id(black_box(tokens[7].as_bytes())))
    });
    group.finish();
}

/// The ten-condition config with usage tracking, every detector on, and response rules.
fn usage_config() -> GuardConfig {
    let mut config = ten_condition_config();
    let with_usage = GuardConfig::from_toml(
        r#"
[usage]
learning_period_secs = 0
learning_min_requests = 1
[[respond]]
on = ["ip_fanout", "impossible_travel"]
min_severity = "high"
action = "quarantine"
[[respond]]
on = "any"
action = "notify"
"#,
    )
    .expect("usage config");
    config.usage = with_usage.usage;
    config.respond = with_usage.respond;
    config
}

/// `check()` with usage tracking: 1024 tokens in turn, one request per token every 1.024 s of
/// simulated time (the clock advances 1 ms per check), each token from its own address. The
/// ordinary path: statistics, sketches and every detector run; no alert is raised (asserted
/// at the end). The same group measures the check without usage as the baseline.
fn check_usage(c: &mut Criterion) {
    check_usage_with(c, "check_usage");
}

fn check_usage_cpu(c: &mut Criterion<ThreadCpu>) {
    check_usage_with(c, "check_usage_cpu");
}

/// 1024 tokens on the usage config, each used from its own address, past their first minute
/// buckets (so the rate peaks are learned). With `owners`, tokens of eight in a row share an
/// owner and service, so their places are pooled in a usage group.
fn usage_guard(owners: bool) -> (Guard, Vec<String>, Vec<std::net::IpAddr>, i64) {
    let guard = Guard::with_config(TokenKey::new(b"bench key"), &usage_config()).unwrap();
    let tokens: Vec<String> = (0..1024u64)
        .map(|i| {
            let mut meta = TokenMeta::new().policy("bench").issued_at(NOW - 1000);
            if owners {
                meta = meta.owner(format!("team-{}", i / 8)).service("api");
            }
            guard
                .mint(&meta, &random(i), NOW - 1000)
                .unwrap()
                .token
                .into_string()
        })
        .collect();
    let ips: Vec<std::net::IpAddr> = (0..1024u32)
        .map(|i| std::net::IpAddr::V4([10, 49, (i >> 8) as u8, i as u8].into()))
        .collect();
    let mut now = NOW;
    for _ in 0..200 {
        for i in 0..1024 {
            now += 1;
            guard.check(&usage_request(&tokens[i], ips[i]), now);
        }
    }
    guard.drain_events();
    (guard, tokens, ips, now)
}

fn usage_request(token: &str, ip: std::net::IpAddr) -> Request<'_> {
    request(token)
        .ip(ip)
        .user_agent("deploy-bot/2.4.1 (linux; amd64)")
}

fn check_usage_with<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let mut group = c.benchmark_group(name);
    for (bench, owners) in [
        ("ten_conditions_usage_allow", false),
        ("ten_conditions_usage_groups_allow", true),
    ] {
        let (guard, tokens, ips, mut now) = usage_guard(owners);
        // The token cursor lives across samples (criterion calls the routine once per
        // sample): restarting it would send the first tokens bursts no real traffic has.
        let mut i = 0;
        group.bench_function(bench, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                now += 1;
                let request = usage_request(&tokens[i], ips[i]);
                guard.check(black_box(&request), now).is_allowed()
            })
        });
        let events = guard.drain_events();
        assert!(events.is_empty(), "the ordinary path raised {events:?}");
    }
    let (guard, tokens, _, now) = usage_guard(false);
    // Baseline in the same run: the same policy without usage tracking.
    let (plain, plain_tokens) = setup(1024);
    group.bench_function("ten_conditions_no_usage_allow", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) & 1023;
            plain
                .check(black_box(&request(&plain_tokens[i])), NOW)
                .is_allowed()
        })
    });
    // record_outcome through the Guard: a 200 (ignored after the lookup) and a 404 (counted,
    // error-burst check; the clock stands still, so the one alert it may raise is followed by
    // its cooldown).
    let id = guard.token_id(tokens[3].as_bytes());
    group.bench_function("record_outcome_200", |b| {
        b.iter(|| guard.record_outcome(black_box(&id), 200, now).is_empty())
    });
    group.bench_function("record_outcome_404", |b| {
        b.iter(|| guard.record_outcome(black_box(&id), 404, now).is_empty())
    });
    group.finish();
    guard.drain_events();
}

/// `CHECKS` checks per thread on 1 and 2 threads; each thread uses its own tokens. The wall
/// variant times the whole run; the CPU variant takes the slowest thread's CPU time, i.e. the
/// run time if each thread had a core to itself.
fn scaling(c: &mut Criterion) {
    for cpu in [false, true] {
        scaling_with(c, cpu);
    }
}

fn scaling_with(c: &mut Criterion, cpu: bool) {
    const CHECKS: u64 = 50_000;
    let (guard, tokens) = setup(2048);
    let guard = Arc::new(guard);
    let tokens = Arc::new(tokens);
    let mut group = c.benchmark_group(if cpu {
        "check_threads_cpu"
    } else {
        "check_threads"
    });
    group.sample_size(20);
    for threads in [1u64, 2] {
        group.throughput(Throughput::Elements(CHECKS * threads));
        group.bench_with_input(
            BenchmarkId::from_parameter(threads),
            &threads,
            |b, &threads| {
                b.iter_custom(|iters| {
                    let start = Instant::now();
                    let handles: Vec<_> = (0..threads)
                        .map(|t| {
                            let (guard, tokens) = (guard.clone(), tokens.clone());
                            std::thread::spawn(move || {
                                let base = (t * 1024) as usize;
                                let cpu_start = thread_cpu_time();
                                let mut allowed = 0u64;
                                for _ in 0..iters {
                                    for i in 0..CHECKS as usize {
                                        let r = request(&tokens[base + (i & 1023)]);
                                        allowed += u64::from(guard.check(&r, NOW).is_allowed());
                                    }
                                }
                                (allowed, thread_cpu_time() - cpu_start)
                            })
                        })
                        .collect();
                    let results: Vec<(u64, Duration)> =
                        handles.into_iter().map(|h| h.join().unwrap()).collect();
                    let elapsed = start.elapsed();
                    assert_eq!(
                        results.iter().map(|r| r.0).sum::<u64>(),
                        iters * CHECKS * threads
                    );
                    if cpu {
                        results.iter().map(|r| r.1).max().unwrap()
                    } else {
                        elapsed
                    }
                })
            },
        );
    }
    group.finish();
}

/// Registering one million tokens by raw value (hash included) into an empty Guard, with the
/// `registered` events drained every 4096 tokens.
fn register(c: &mut Criterion) {
    const N: usize = 1_000_000;
    let raw: Vec<String> = (0..N)
        .map(|i| format!("tw_bench_token_{i:012}_padding_to_fifty_chars"))
        .collect();
    let config =
        GuardConfig::from_toml("event_capacity = 4096\n[policies.p]\ncountries = [\"DE\"]")
            .unwrap();
    let meta = TokenMeta::new()
        .owner("alice")
        .service("billing")
        .environment("prod")
        .tag("ci")
        .policy("p");

    // Memory per token, once: live heap bytes after minus before, over N tokens.
    let memory = || {
        let guard = Guard::with_config(TokenKey::new(b"k"), &config).unwrap();
        guard.register("warm-up", &meta, 0).unwrap();
        let before = counting_alloc::live_bytes();
        for token in &raw {
            guard.register(token, &meta, 0).unwrap();
        }
        let bytes = (counting_alloc::live_bytes() - before) as f64 / N as f64;
        eprintln!(
            "guard memory: {bytes:.1} bytes per token over {N} tokens (metadata strings interned)"
        );
    };
    let once = std::sync::Once::new();

    let mut group = c.benchmark_group("register");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(N as u64));
    for cpu in [false, true] {
        let name = if cpu { "1m_tokens_cpu" } else { "1m_tokens" };
        group.bench_function(name, |b| {
            once.call_once(memory);
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let guard = Guard::with_config(TokenKey::new(b"k"), &config).unwrap();
                    let (start, cpu_start) = (Instant::now(), thread_cpu_time());
                    for (i, token) in raw.iter().enumerate() {
                        guard.register(token, &meta, 0).unwrap();
                        // The host drains the audit queue as it goes, so every event is built.
                        if i % 4096 == 4095 {
                            black_box(guard.drain_events());
                        }
                    }
                    total += if cpu {
                        thread_cpu_time() - cpu_start
                    } else {
                        start.elapsed()
                    };
                    drop(guard);
                }
                total
            })
        });
    }
    // Bulk loading: `register_many` in calls of 65,536 tokens sharing the metadata, one
    // `registered_batch` event per 1024 tokens, drained after each call.
    group.bench_function("1m_tokens_bulk", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let guard = Guard::with_config(TokenKey::new(b"k"), &config).unwrap();
                let start = Instant::now();
                for chunk in raw.chunks(65_536) {
                    guard
                        .register_many(chunk.iter().map(String::as_str), &meta, 0)
                        .unwrap();
                    black_box(guard.drain_events());
                }
                total += start.elapsed();
                drop(guard);
            }
            total
        })
    });
    group.finish();
}

/// The `tokenward_token` rule's cost on a log line full of `_` (but no token), against the
/// same redactor without it: its `tw_` keyword keeps it from running there.
fn redaction_rule_cost(c: &mut Criterion) {
    let line = r#"level=info request_id=af31 user_id=42 msg="order_created" path=/v1/orders/9 elapsed_ms=12"#;
    let with = Redactor::new();
    let without = Redactor::builder()
        .disable("tokenward_token")
        .build()
        .unwrap();
    let mut group = c.benchmark_group("redact_underscore_line");
    group.bench_function("with_tokenward_rule", |b| {
        b.iter(|| with.redact(black_box(line)).len())
    });
    group.bench_function("without_tokenward_rule", |b| {
        b.iter(|| without.redact(black_box(line)).len())
    });
    group.finish();
}

/// `canonical_path` alone: a plain path (borrowed, the usual case), one with escapes to
/// rewrite, and one refused.
fn request_path(c: &mut Criterion) {
    use tokenward::policy::canonical_path;
    let mut group = c.benchmark_group("request_path");
    for (name, path) in [
        ("plain", "/v1/resource19/42?page=2"),
        ("escapes", "/v1/caf%c3%a9/%7euser/a%20b"),
        ("refused", "/v1/resource19/..%2fadmin"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| canonical_path(black_box(path)).map(|p| p.len()))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    check,
    request_path,
    check_usage,
    scaling,
    register,
    redaction_rule_cost
);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpu);
    targets = check_cpu, check_usage_cpu
}
criterion_main!(benches, cpu_benches);
