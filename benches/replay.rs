//! Replay throughput: the shipped example (`examples/guard.toml`, `examples/traffic.jsonl`)
//! through `tokenward_cli::Replay`, the loop `tokenward replay` runs: JSON parsing, the Guard's
//! check with usage tracking, detectors and response rules, and `record_outcome`.
//!
//! Run: `cargo bench -p tokenward-benches --bench replay`. Throughput is in requests.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tokenward::TokenKey;
use tokenward_cli::{Replay, ReplayConfig, DEFAULT_KEY};

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(name)
}

fn replay(c: &mut Criterion) {
    let config = ReplayConfig::load(&example("guard.toml")).expect("example config");
    let traffic = std::fs::read(example("traffic.jsonl")).expect("example traffic");
    let lines: Vec<&[u8]> = traffic
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let run = |json: bool| {
        let mut replay = Replay::new(&config, TokenKey::new(DEFAULT_KEY)).unwrap();
        let mut out = Vec::with_capacity(if json { 16 << 20 } else { 0 });
        for (i, line) in lines.iter().enumerate() {
            let processed = replay.process(i as u64 + 1, line).expect("valid line");
            if json {
                tokenward_cli::write_json(&mut out, i as u64 + 1, &processed).unwrap();
            }
        }
        assert_eq!(replay.summary().malformed, 0);
        black_box((replay.summary().requests, out.len()))
    };
    let mut group = c.benchmark_group("replay_example");
    group.sample_size(10);
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("summary", |b| b.iter(|| run(false)));
    group.bench_function("json_lines", |b| b.iter(|| run(true)));
    group.finish();
}

criterion_group!(benches, replay);
criterion_main!(benches);
