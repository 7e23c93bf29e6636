//! Redaction throughput (issue 2, item 7):
//! (a) clean log text with no secrets, (b) the lines of the labeled corpus, (c) adversarial lines
//! of 1 and 4 MiB (the ratio shows the cost is linear), and the per-call cost of one clean line.
//!
//! `floor_*` time the keyword automaton that every redaction runs first, alone, built over the
//! same keywords with the same settings as the core's: no redaction can cost less than it,
//! so it shows how much of a target the matching engine's first step already takes.

use std::hint::black_box;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
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

/// The core's keyword automaton (`build_prefilter` in core/src/redact/mod.rs): every rule
/// keyword, lower-cased, as one case-insensitive DFA.
fn keyword_automaton(redactor: &Redactor) -> AhoCorasick {
    let mut keywords: Vec<String> = redactor
        .rules()
        .flat_map(|r| r.keywords.iter().map(|k| k.to_ascii_lowercase()))
        .collect();
    keywords.sort();
    keywords.dedup();
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&keywords)
        .expect("keywords build")
}

fn floor(c: &mut Criterion) {
    let automaton = keyword_automaton(&Redactor::new());
    c.bench_function("floor_keyword_scan_150b", |b| {
        b.iter(|| automaton.find(black_box(CLEAN_LINE)).map_or(0, |m| m.end()))
    });
    let lines = clean_lines(20_000);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let mut group = c.benchmark_group("floor_keyword_scan_clean");
    group.throughput(Throughput::Bytes(bytes as u64));
    // Every keyword of every line: what the core needs to know which rules to run.
    group.bench_function("per_line", |b| {
        b.iter(|| {
            lines
                .iter()
                .map(|l| {
                    automaton
                        .find_overlapping_iter(black_box(l.as_str()))
                        .count()
                })
                .sum::<usize>()
        })
    });
    group.finish();
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

criterion_group!(benches, clean, floor, corpus, adversarial);
criterion_main!(benches);
