//! The Rust side of `benches/c_throughput.sh`: generates the benchmark log and times
//! `tokenward::Redactor::redact_bytes` on it, for comparison with the same work done from C
//! through the FFI (`benches/c_throughput.c`).
//!
//! ```text
//! rust_throughput gen LINES > log      # a deterministic, realistic log
//! rust_throughput run LOG ROUNDS       # prints "<mode> median_ns=<n> bytes=<n> lines=<n>"
//! ```

use std::hint::black_box;
use std::time::Instant;

use tokenward::Redactor;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("gen") => {
            let lines = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(20_000);
            print!("{}", generate(lines));
        }
        Some("run") if args.len() == 4 => {
            let log = std::fs::read(&args[2]).expect("read the log");
            let rounds = args[3].parse().expect("ROUNDS is a number");
            run(&log, rounds);
        }
        _ => {
            eprintln!("usage: rust_throughput gen LINES | run LOG ROUNDS");
            std::process::exit(2);
        }
    }
}

/// Mostly clean access and application log lines; about one line in 40 carries a secret.
fn generate(lines: usize) -> String {
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        // xorshift64: deterministic, so every run benchmarks the same bytes.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let paths = [
        "/api/v1/items",
        "/static/js/app.js",
        "/health",
        "/api/v1/users/me",
        "/login",
    ];
    let mut out = String::new();
    for i in 0..lines {
        let r = next();
        let path = paths[(r % paths.len() as u64) as usize];
        match r % 120 {
            0 => out.push_str(&format!(
                "2026-11-22T10:{:02}:{:02}Z WARN push failed token=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 retry={}\n",
                i / 60 % 60, i % 60, r % 5
            )),
            1 => out.push_str(&format!(
                "2026-11-22T10:{:02}:{:02}Z DEBUG s3 client aws_access_key_id=AKIA7QX2M4RB5KQ3YHV6 region=eu-west-1\n",
                i / 60 % 60, i % 60
            )),
            2 => out.push_str(&format!(
                "{{\"ts\":\"2026-11-22T10:{:02}:{:02}Z\",\"level\":\"info\",\"msg\":\"login\",\"user\":\"u{}\",\"password\":\"hunter2-{:x}\"}}\n",
                i / 60 % 60, i % 60, r % 9000, r >> 40
            )),
            n if n % 2 == 0 => out.push_str(&format!(
                "10.{}.{}.{} - - [22/Nov/2026:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"\n",
                r >> 8 & 255, r >> 16 & 255, r >> 24 & 255, i / 60 % 60, i % 60,
                [200, 200, 200, 304, 404][(r >> 32) as usize % 5], r >> 20 & 0xffff
            )),
            _ => out.push_str(&format!(
                "{{\"ts\":\"2026-11-22T10:{:02}:{:02}Z\",\"level\":\"info\",\"msg\":\"request done\",\"path\":\"{path}\",\"status\":200,\"latency_ms\":{},\"request_id\":\"{:016x}\"}}\n",
                i / 60 % 60, i % 60, r % 300, next()
            )),
        }
    }
    out
}

fn run(log: &[u8], rounds: usize) {
    let redactor = Redactor::new();
    let lines: Vec<&[u8]> = log.split_inclusive(|&b| b == b'\n').collect();
    let per_line = median(rounds, || {
        black_box(redact_lines(&redactor, &lines));
    });
    let whole = median(rounds, || {
        black_box(redact_whole(&redactor, log));
    });
    let n = lines.len();
    println!(
        "rust_lines median_ns={per_line} bytes={} lines={n}",
        log.len()
    );
    println!(
        "rust_buffer median_ns={whole} bytes={} lines={n}",
        log.len()
    );
}

/// One pass over the lines; a named function so `callgrind --toggle-collect` can count it.
#[inline(never)]
fn redact_lines(redactor: &Redactor, lines: &[&[u8]]) -> usize {
    lines
        .iter()
        .map(|line| redactor.redact_bytes(black_box(line)).len())
        .sum()
}

/// The whole log in one call; named for callgrind as well.
#[inline(never)]
fn redact_whole(redactor: &Redactor, log: &[u8]) -> usize {
    redactor.redact_bytes(black_box(log)).len()
}

/// The median wall time of `rounds` runs of `work`, after one warm-up run.
fn median(rounds: usize, mut work: impl FnMut()) -> u128 {
    work();
    let mut times: Vec<u128> = (0..rounds.max(1))
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}
