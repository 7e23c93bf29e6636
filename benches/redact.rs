//! Redaction throughput (issue 2, item 7):
//! (a) clean log text with no secrets, (b) the lines of the labeled corpus, (c) adversarial lines
//! of 1 and 4 MiB (the ratio shows the cost is linear), and the per-call cost of one clean line.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokenward::Redactor;
use tokenward_benches::{adversarial_line, clean_lines, corpus_path, CLEAN_LINE};

fn per_line(redactor: &Redactor, lines: &[String]) -> usize {
    lines
        .iter()
        .map(|line| redactor.redact(black_box(line)).len())
        .sum()
}

fn clean(c: &mut Criterion) {
    let redactor = Redactor::new();
    let lines = clean_lines(20_000);
    assert!(
        lines.iter().all(|l| redactor.find(l).is_empty()),
        "clean text must hold no secret"
    );
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let blob = lines.join("\n");
    let mut group = c.benchmark_group("a_clean");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("per_line", |b| b.iter(|| per_line(&redactor, &lines)));
    group.bench_function("one_blob", |b| {
        b.iter(|| redactor.redact(black_box(&blob)).len())
    });
    group.finish();

    let line = CLEAN_LINE;
    assert!((140..=160).contains(&line.len()), "{}", line.len());
    c.bench_function("clean_line_150b", |b| {
        b.iter(|| redactor.redact(black_box(line)).len())
    });
}

fn corpus(c: &mut Criterion) {
    let Some(path) = corpus_path() else {
        eprintln!("b_corpus skipped: ../shared/corpus/dev.jsonl not found");
        return;
    };
    let text = std::fs::read_to_string(path).expect("corpus readable");
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["line"].as_str().map(str::to_owned))
        .collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let redactor = Redactor::new();
    let mut group = c.benchmark_group("b_corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("per_line", |b| b.iter(|| per_line(&redactor, &lines)));
    group.finish();
}

fn adversarial(c: &mut Criterion) {
    let redactor = Redactor::new();
    let mut group = c.benchmark_group("c_adversarial");
    group.sample_size(10);
    // The 4 MiB line repeats the 1 MiB one, so the two differ only in length: their time ratio
    // shows whether the cost is linear.
    let one = adversarial_line(1 << 20);
    for mib in [1usize, 4] {
        let line = one.repeat(mib);
        group.throughput(Throughput::Bytes(line.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{mib}MiB")),
            &line,
            |b, line| b.iter(|| redactor.redact(black_box(line)).len()),
        );
    }
    group.finish();
}

criterion_group!(benches, clean, corpus, adversarial);
criterion_main!(benches);
