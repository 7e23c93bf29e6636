//! Fleet benchmarks, on loopback against a real `redis-server` (started here on a free port,
//! stopped at the end):
//!
//! 1. revocation propagation latency: a token revoked on instance A, until instance B denies
//!    it (p50, p99 over 400 revocations; target p99 <= 50 ms);
//! 2. `check()` with usage tracking, on a Guard alone and on one attached to a fleet whose
//!    other instance sends usage deltas of the same 10k tokens every second, in the same run
//!    (criterion; wall and thread CPU time; target: at most 10% more);
//! 3. usage delta traffic per instance per second at 10k active tokens (each token used
//!    every second).
//!
//! Run: `cargo bench -p tokenward-benches --bench fleet` (needs `redis-server` on the PATH;
//! `bash fleet/test.sh` installs it).

use std::hint::black_box;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};
use tokenward_fleet::{Fleet, FleetConfig};

const TOKENS: usize = 10_000;

struct Server(Child, u16);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_redis() -> Option<Server> {
    let port = TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .spawn()
        .ok()?;
    let server = Server(child, port);
    let url = format!("redis://127.0.0.1:{port}");
    for _ in 0..500 {
        let ok = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
            .is_ok();
        if ok {
            return Some(server);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn guard(usage: bool) -> Arc<Guard> {
    let text = if usage {
        "[usage]\ntrack_deltas = true\n"
    } else {
        ""
    };
    let config = GuardConfig::from_toml(text).unwrap();
    Arc::new(Guard::with_config(TokenKey::new(b"fleet bench key"), &config).unwrap())
}

fn fleet(guard: &Arc<Guard>, port: u16, prefix: &str) -> Fleet {
    let config = FleetConfig::new(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .prefix(prefix);
    let fleet = Fleet::attach(guard.clone(), config).unwrap();
    assert!(fleet.flush(Duration::from_secs(10)), "no Redis");
    fleet
}

fn raw(n: usize) -> String {
    format!("tw_fleet_bench_token_{n:08}")
}

fn request(token: &str, n: usize) -> Request<'_> {
    let ip = format!("10.{}.{}.{}", n % 7, (n / 7) % 250, n % 250);
    Request::new(token).ip(ip.parse().unwrap())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn propagation(port: u16) {
    let (a, b) = (guard(false), guard(false));
    let (_fa, _fb) = (fleet(&a, port, "latency"), fleet(&b, port, "latency"));
    let count = 400;
    let ids: Vec<_> = (0..count)
        .map(|n| a.register(&raw(n), &TokenMeta::new(), now()).unwrap())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ids.iter().any(|id| b.token(id).is_none()) {
        assert!(Instant::now() < deadline, "registrations did not arrive");
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut latencies = Vec::with_capacity(count);
    for (n, id) in ids.iter().enumerate() {
        let token = raw(n);
        let start = Instant::now();
        a.revoke(id, now()).unwrap();
        while b.check(&Request::new(&token), now()).is_allowed() {
            assert!(start.elapsed() < Duration::from_secs(10), "never arrived");
            std::thread::yield_now();
        }
        latencies.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(2));
    }
    latencies.sort_unstable();
    println!(
        "fleet/revocation_propagation: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms over {count} (target p99 <= 50 ms)",
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies[count - 1].as_secs_f64() * 1e3,
    );
}

/// Every token used once per `period`, cycling, on its own thread until `stop`.
fn traffic(
    guard: Arc<Guard>,
    stop: Arc<AtomicBool>,
    period: Duration,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let tokens: Vec<String> = (0..TOKENS).map(raw).collect();
        while !stop.load(Ordering::Relaxed) {
            let started = Instant::now();
            for (n, token) in tokens.iter().enumerate() {
                black_box(guard.check(&request(token, n), now()));
            }
            if let Some(rest) = period.checked_sub(started.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    })
}

fn register_all(guard: &Guard) {
    let tokens: Vec<String> = (0..TOKENS).map(raw).collect();
    guard
        .register_many(tokens.iter().map(String::as_str), &TokenMeta::new(), now())
        .unwrap();
}

fn check_cost(c: &mut Criterion, port: u16) {
    // The peer: uses every token every second and publishes its deltas to the fleet.
    let peer = guard(true);
    let peer_fleet = fleet(&peer, port, "cost");
    register_all(&peer);
    let stop = Arc::new(AtomicBool::new(false));
    let peer_traffic = traffic(peer.clone(), stop.clone(), Duration::from_secs(1));

    let alone = guard(true);
    register_all(&alone);
    let attached = guard(true);
    let attached_fleet = fleet(&attached, port, "cost");
    assert!(attached_fleet.flush(Duration::from_secs(30)));
    let tokens: Vec<String> = (0..TOKENS).map(raw).collect();
    let mut group = c.benchmark_group("fleet_check_usage");
    for (name, guard) in [("alone", &alone), ("attached", &attached)] {
        let mut n = 0usize;
        group.bench_function(name, |bench| {
            bench.iter(|| {
                n = (n + 1) % TOKENS;
                black_box(guard.check(&request(&tokens[n], n), now()))
            })
        });
    }
    group.finish();
    let health = attached_fleet.health();
    println!(
        "fleet/check_cost: the attached instance merged {} deltas of its peer meanwhile",
        health.deltas_merged
    );
    stop.store(true, Ordering::Relaxed);
    peer_traffic.join().unwrap();
    drop(peer_fleet);
}

fn delta_traffic(port: u16) {
    let instance = guard(true);
    let fleet = fleet(&instance, port, "bytes");
    register_all(&instance);
    assert!(fleet.flush(Duration::from_secs(30)));
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = traffic(instance.clone(), stop.clone(), Duration::from_secs(1));
    std::thread::sleep(Duration::from_secs(2));
    let (bytes_before, deltas_before) = {
        let h = fleet.health();
        (h.delta_bytes_published, h.deltas_published)
    };
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(10));
    let h = fleet.health();
    let seconds = start.elapsed().as_secs_f64();
    let bytes = (h.delta_bytes_published - bytes_before) as f64;
    println!(
        "fleet/delta_traffic: {:.0} KB/s per instance at {TOKENS} active tokens ({:.0} bytes per token per second, {} deltas in {seconds:.1} s)",
        bytes / seconds / 1e3,
        bytes / seconds / TOKENS as f64,
        h.deltas_published - deltas_before,
    );
    stop.store(true, Ordering::Relaxed);
    traffic.join().unwrap();
}

/// The benchmark name filter of the command line: its first argument that is neither an
/// option nor an option's value.
fn name_filter() -> Option<String> {
    const WITH_VALUE: [&str; 6] = [
        "--warm-up-time",
        "--measurement-time",
        "--sample-size",
        "--save-baseline",
        "--baseline",
        "--noise-threshold",
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter().enumerate().find_map(|(i, arg)| {
        let is_value = i > 0 && WITH_VALUE.contains(&args[i - 1].as_str());
        (!arg.starts_with('-') && !is_value).then(|| arg.clone())
    })
}

fn main() {
    let Some(server) = start_redis() else {
        eprintln!("fleet bench: redis-server is not available (bash fleet/test.sh installs it)");
        return;
    };
    let port = server.1;
    let mut criterion = Criterion::default().configure_from_args();
    let filter = name_filter();
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wants("fleet/revocation_propagation") {
        propagation(port);
    }
    if wants("fleet/delta_traffic") {
        delta_traffic(port);
    }
    if wants("fleet_check_usage") {
        check_cost(&mut criterion, port);
    }
    criterion.final_summary();
}
