//! The Rust side of `benches/c_guard_check.sh`: times `tokenward::Guard::check` on one allowed
//! request, for comparison with the same check made from C through `tw_guard_check`
//! (`benches/c_guard_check.c`, same config, key, token and request).
//!
//! ```text
//! rust_guard_check CONFIG ROUNDS CHECKS    # prints "rust_check median_ns=<per check>"
//! ```

use std::hint::black_box;
use std::time::Instant;

use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};

/// What both sides use: the key, the token (registered under policy `bench`), the time.
const KEY: &[u8] = b"benchmark key";
const TOKEN: &str = "tw_benchmark_token_7Qm2xV9pL4kR8sT1";
const NOW: i64 = 1_767_225_600_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, config, rounds, checks] = &args[..] else {
        eprintln!("usage: rust_guard_check CONFIG ROUNDS CHECKS");
        std::process::exit(2);
    };
    let config = std::fs::read_to_string(config).expect("read the config");
    let config = GuardConfig::from_toml(&config).expect("a valid config");
    let guard = Guard::with_config(TokenKey::new(KEY), &config).expect("a valid Guard");
    guard
        .register(TOKEN, &TokenMeta::new().policy("bench"), NOW)
        .expect("register");
    let request = Request::new(TOKEN)
        .subject("ci-runner")
        .ip("10.2.3.4".parse().unwrap())
        .endpoint("POST", "/v1/deploys/42")
        .user_agent("bench/1.0");
    assert!(guard.check(&request, NOW).is_allowed());

    let rounds: usize = rounds.parse().expect("ROUNDS is a number");
    let checks: u32 = checks.parse().expect("CHECKS is a number");
    let mut times: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            checks_loop(&guard, &request, checks);
            start.elapsed().as_nanos() as f64 / f64::from(checks)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!("rust_check median_ns={:.1}", times[times.len() / 2]);
}

/// The measured loop; not inlined, so callgrind can count its instructions by name.
#[inline(never)]
fn checks_loop(guard: &Guard, request: &Request<'_>, checks: u32) {
    for i in 0..checks {
        let verdict = guard.check(black_box(request), NOW + i64::from(i % 1000));
        black_box(verdict.is_allowed());
    }
}
