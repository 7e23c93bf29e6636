//! What the guard layer adds to a request: the same axum `Router` called in-process with
//! `tower::ServiceExt::oneshot`, without the layer and with it (a token with a policy of
//! endpoints and a rate limit; then with usage tracking and every detector on as well).
//!
//! Run: `cargo bench -p tokenward-tower --bench layer`.
//!
//! Besides criterion's figures (wall-clock), the run ends with an interleaved comparison in
//! the same process: rounds of a batch through each app in turn, so that drift on a shared
//! machine hits all of them alike, timed by the thread's CPU time (which leaves out time spent
//! descheduled), and the median per-request time of each with its difference from the plain
//! router (the target is at most 2 µs added). `noop_layer` is axum's own cost of any
//! `Router::layer` (it re-wraps every route); `gate_check` is the core's part of the guard's
//! work (the gate reading the request, and `Guard::check`).

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use criterion::Criterion;
use http::Request;
use tokenward::gate::{Gate, GateConfig, HttpRequest, Passage};
use tokenward::{Guard, GuardConfig, TokenKey, TokenMeta};
use tokenward_tower::{GuardLayer, HeaderMapRef};
use tower::util::MapRequestLayer;
use tower::ServiceExt;

const POLICY: &str = r#"
[policies.api]
endpoints = ["GET /v1/orders", "GET /v1/orders/*"]
rate_limit = { requests = 1000000000, window = "1h" }
"#;

fn router() -> Router {
    Router::new().route("/v1/orders", get(|| async { "[]" }))
}

/// A guard with one token, its layer, and the token's bearer header.
fn guard_layer(config: &str) -> (Arc<Guard>, GuardLayer, String) {
    let config = GuardConfig::from_toml(config).expect("config");
    let guard = Guard::with_config(TokenKey::new(b"bench key"), &config).expect("guard");
    let meta = TokenMeta::new().owner("bench").policy("api");
    let minted = guard.mint(&meta, &[7; 32], 0).expect("mint");
    let bearer = format!("Bearer {}", minted.token.expose());
    let gate = Gate::new(&GateConfig::default()).expect("gate");
    let guard = Arc::new(guard);
    (guard.clone(), GuardLayer::new(guard, gate), bearer)
}

/// A router guarded with `Router::layer` and the bearer header of a token it allows.
fn guarded(config: &str) -> (Router, String) {
    let (_, layer, bearer) = guard_layer(config);
    (router().layer(layer), bearer)
}

fn request(bearer: &str) -> Request<axum::body::Body> {
    let mut request = Request::get("/v1/orders?page=2")
        .header("authorization", bearer)
        .header("user-agent", "bench/1.0")
        .body(axum::body::Body::empty())
        .expect("request");
    let peer: SocketAddr = ([198, 51, 100, 7], 40_000).into();
    request.extensions_mut().insert(ConnectInfo(peer));
    request
}

/// One request through `app`; panics unless it was allowed (a denial would be cheaper).
fn call(rt: &tokio::runtime::Runtime, app: &Router, bearer: &str) {
    let response = rt.block_on(app.clone().oneshot(request(bearer)));
    assert_eq!(
        black_box(response).map(|r| r.status()),
        Ok(http::StatusCode::OK)
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
}

fn usage_config() -> String {
    format!("{POLICY}\n[usage]\nlearning_period_secs = 0\n")
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let plain = router();
    let (layered, bearer) = guarded(POLICY);
    let (with_usage, usage_bearer) = guarded(&usage_config());
    // axum's own cost of any `Router::layer`: an identity layer.
    let noop = router().layer(MapRequestLayer::new(|r: Request<axum::body::Body>| r));
    let mut group = c.benchmark_group("tower_layer");
    group.bench_function("router", |b| b.iter(|| call(&rt, &plain, &bearer)));
    group.bench_function("noop_layer", |b| b.iter(|| call(&rt, &noop, &bearer)));
    group.bench_function("guarded", |b| b.iter(|| call(&rt, &layered, &bearer)));
    group.bench_function("guarded_usage", |b| {
        b.iter(|| call(&rt, &with_usage, &usage_bearer))
    });
    group.finish();

    // The core's part of it: the gate reading the request and the Guard's check.
    let (guard, _, bearer) = guard_layer(POLICY);
    let gate = Gate::new(&GateConfig::default()).expect("gate");
    let request = request(&bearer);
    c.bench_function("gate_check", |b| {
        b.iter(|| gate_check(&gate, &guard, &request))
    });
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

/// Median nanoseconds of one run of each case, measured in alternating batches.
fn interleaved(cases: &[&dyn Fn()], rounds: usize, batch: usize) -> Vec<f64> {
    let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for (i, case) in cases.iter().enumerate() {
            let start = thread_cpu_time();
            for _ in 0..batch {
                case();
            }
            let spent = thread_cpu_time() - start;
            samples[i].push(spent.as_nanos() as f64 / batch as f64);
        }
    }
    samples
        .into_iter()
        .map(|mut s| {
            s.sort_by(f64::total_cmp);
            s[s.len() / 2]
        })
        .collect()
}

/// The core's part alone: the gate reading `request` and the Guard's check.
fn gate_check(gate: &Gate, guard: &Guard, request: &Request<axum::body::Body>) {
    let headers = HeaderMapRef(request.headers());
    let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let http = HttpRequest::new("GET", target, &headers).peer([198, 51, 100, 7].into());
    let passage = gate.check(guard, &http, 1_000, None);
    assert!(matches!(black_box(passage), Passage::Allowed(_)));
}

fn report() {
    let rt = runtime();
    let plain = router();
    let (layered, bearer) = guarded(POLICY);
    let (with_usage, usage_bearer) = guarded(&usage_config());
    let noop = router().layer(MapRequestLayer::new(|r: Request<axum::body::Body>| r));
    let (guard, _, core_bearer) = guard_layer(POLICY);
    let gate = Gate::new(&GateConfig::default()).expect("gate");
    let core_request = request(&core_bearer);
    let cases: [&dyn Fn(); 5] = [
        &|| call(&rt, &plain, &bearer),
        &|| call(&rt, &noop, &bearer),
        &|| call(&rt, &layered, &bearer),
        &|| call(&rt, &with_usage, &usage_bearer),
        &|| gate_check(&gate, &guard, &core_request),
    ];
    let medians = interleaved(&cases, 301, 2000);
    println!("interleaved medians, thread CPU time (301 rounds of 2000 requests each):");
    println!("  router               {:8.0} ns/request", medians[0]);
    for (name, median) in [
        ("noop_layer", medians[1]),
        ("guarded", medians[2]),
        ("guarded_usage", medians[3]),
    ] {
        println!(
            "  {name:<20} {median:8.0} ns/request, {:+.0} ns added ({:.2}x)",
            median - medians[0],
            median / medians[0]
        );
    }
    println!("  gate_check alone     {:8.0} ns", medians[4]);
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    // `cargo bench` passes --bench; `cargo test --benches` runs each bench once, without it.
    if std::env::args().any(|a| a == "--bench") {
        report();
    }
}
