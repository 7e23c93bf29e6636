//! Fleet benchmarks, on loopback against a real `redis-server` (started here on a free port,
//! stopped at the end):
//!
//! 1. revocation propagation latency: a token revoked on instance A, until instance B denies
//!    it (p50, p99 over 400 revocations; target p99 <= 50 ms);
//! 2. `check()` with usage tracking, on tokens picked at random, on a Guard alone and on one
//!    attached to a fleet whose other instance sends usage deltas of the same 10k tokens
//!    every second, alternately in one run (wall and thread CPU time, medians; target: at
//!    most 10% more);
//! 3. usage delta traffic per instance per second at 10k active tokens (each token used
//!    every second).
//!
//! Run: `cargo bench -p tokenward-benches --bench fleet [NAME]` (needs `redis-server` on the
//! PATH; `bash fleet/test.sh` installs it). NAME picks one of `fleet/revocation_propagation`,
//! `fleet/delta_traffic`, `fleet/check_cost`; `FLEET_DELTA_MS` sets the delta interval
//! (default 1000). A plain harness, not criterion: these are
//! latencies across processes, byte counts and an alternating comparison.

use std::hint::black_box;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};
use tokenward_fleet::{Fleet, FleetConfig};

const TOKENS: usize = 10_000;
/// Measured rounds of each side in `check_cost`.
const ROUNDS: usize = 16;

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

/// The delta interval: 1 s, or `FLEET_DELTA_MS` milliseconds.
fn delta_interval() -> Duration {
    let ms = std::env::var("FLEET_DELTA_MS")
        .ok()
        .and_then(|v| v.parse().ok());
    Duration::from_millis(ms.unwrap_or(1000))
}

fn fleet(guard: &Arc<Guard>, port: u16, prefix: &str) -> Fleet {
    let config = FleetConfig::new(format!("redis://127.0.0.1:{port}"))
        .unwrap()
        .prefix(prefix)
        .delta_interval(delta_interval());
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

/// The next token of a pseudo-random walk over `len` tokens (xorshift64 state in `*x`).
fn next_token(x: &mut u64, len: usize) -> usize {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    (*x % len as u64) as usize
}

/// Checks on `guard` for about `span`, on tokens picked at random (state `*x`): nanoseconds
/// per check in wall time and in this thread's CPU time.
///
/// Random, as requests come: cycling over the tokens in order would let the instance alone
/// walk its usage states in the order it allocated them (its first pass created them), which
/// the hardware prefetcher follows, while the attached instance's states were created by the
/// merges of its peer's deltas, in hash order. That layout effect alone made `attached` up to
/// 1.7x `alone` with no fleet work on the check path at all.
fn measure(guard: &Guard, tokens: &[String], x: &mut u64, span: Duration) -> (f64, f64) {
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let mut checks = 0u64;
    while wall.elapsed() < span {
        for _ in 0..1000 {
            let n = next_token(x, tokens.len());
            black_box(guard.check(&request(&tokens[n], n), now()));
        }
        checks += 1000;
    }
    let per = |d: Duration| d.as_nanos() as f64 / checks as f64;
    (per(wall.elapsed()), per(thread_cpu_time() - cpu))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// `check()` with usage tracking on 10k tokens, on a Guard alone and on one attached to a
/// fleet, alternately in one-second rounds of one run (so machine load drifts alike), while
/// a peer instance uses every token every second and sends its deltas.
fn check_cost(port: u16, usage: bool) {
    let prefix = if usage { "cost" } else { "cost-lifecycle" };
    let peer = guard(usage);
    let peer_fleet = fleet(&peer, port, prefix);
    register_all(&peer);
    let stop = Arc::new(AtomicBool::new(false));
    let peer_traffic = traffic(peer.clone(), stop.clone(), Duration::from_secs(1));

    let alone = guard(usage);
    register_all(&alone);
    let attached = guard(usage);
    let attached_fleet = fleet(&attached, port, prefix);
    assert!(attached_fleet.flush(Duration::from_secs(30)));
    let tokens: Vec<String> = (0..TOKENS).map(raw).collect();
    let (mut n_alone, mut n_attached) = (0x9e37_79b9_7f4a_7c15, 0x9e37_79b9_7f4a_7c15);
    // Warm up both: every token has usage state.
    measure(&alone, &tokens, &mut n_alone, Duration::from_secs(1));
    measure(&attached, &tokens, &mut n_attached, Duration::from_secs(1));
    let (mut wall, mut cpu) = ([Vec::new(), Vec::new()], [Vec::new(), Vec::new()]);
    for _ in 0..ROUNDS {
        let span = Duration::from_secs(1);
        let a = measure(&alone, &tokens, &mut n_alone, span);
        let b = measure(&attached, &tokens, &mut n_attached, span);
        for (side, (w, c)) in [a, b].into_iter().enumerate() {
            wall[side].push(w);
            cpu[side].push(c);
        }
    }
    // Each attached round against the alone round just before it: drift in the machine's
    // load between rounds cancels out of these.
    let paired = |sides: &[Vec<f64>; 2]| {
        median(sides[1].iter().zip(&sides[0]).map(|(b, a)| b / a).collect())
    };
    let (wall_paired, cpu_paired) = (paired(&wall), paired(&cpu));
    let [wall_alone, wall_attached] = wall.map(median);
    let [cpu_alone, cpu_attached] = cpu.map(median);
    let what = if usage { "with usage" } else { "without usage" };
    println!(
        "fleet/check_cost {what}: alone {wall_alone:.0} ns wall, {cpu_alone:.0} ns CPU; attached {wall_attached:.0} ns wall, {cpu_attached:.0} ns CPU; ratio of medians {:.3} wall, {:.3} CPU; median of paired ratios {wall_paired:.3} wall, {cpu_paired:.3} CPU ({ROUNDS} alternating 1 s rounds; target <= 1.10)",
        wall_attached / wall_alone,
        cpu_attached / cpu_alone,
    );
    println!(
        "fleet/check_cost: the attached instance merged {} deltas of its peer and published {} meanwhile",
        attached_fleet.health().deltas_merged,
        attached_fleet.health().deltas_published,
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
    let filter = name_filter();
    let wants = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    if wants("fleet/revocation_propagation") {
        propagation(port);
    }
    if wants("fleet/delta_traffic") {
        delta_traffic(port);
    }
    if wants("fleet/check_cost") {
        check_cost(port, true);
        check_cost(port, false);
    }
}
