//! Redaction throughput (issues 2 and 18):
//! (a) clean log text with no secrets, line by line and in batches (`Redactor::redact_lines`),
//! (b) the lines of the labeled corpus, (c) adversarial lines of 1 and 4 MiB (the ratio shows
//! the cost is linear), and the per-call cost of one clean 150-byte line.
//!
//! Every workload runs on the engine (`keywords` in the ids: every rule triggered by its
//! keywords) and on the engine with its literal stage (`literal_stage`: rules whose matches
//! start with a few case-sensitive literals triggered by those, found with Teddy), so the
//! ratios come from one run on this shared machine.
//!
//! `floor_*` time the first stage's scans alone, over the whole text: the keyword automaton
//! over every keyword, the keyword automaton over the keywords left once literal rules are
//! taken out, the Teddy searchers over the literals, and a byte-class scan (`memchr3` over
//! `=`, `:`, `@`). No redaction can cost less than the scans it runs.

use std::hint::black_box;

use aho_corasick::{packed, AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tokenward::Redactor;
use tokenward_benches::{adversarial_line, clean_lines, corpus_path, CLEAN_LINE};

fn per_line(redactor: &Redactor, lines: &[String]) -> usize {
    lines
        .iter()
        .map(|line| redactor.redact(black_box(line)).len())
        .sum()
}

/// The engine, and the engine with its literal stage, by name.
fn engines() -> [(&'static str, Redactor); 2] {
    [
        ("keywords", Redactor::new()),
        (
            "literal_stage",
            Redactor::builder()
                .literal_stage(true)
                .build()
                .expect("the catalogue builds"),
        ),
    ]
}

fn clean(c: &mut Criterion) {
    let lines = clean_lines(20_000);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let blob = lines.join("\n") + "\n";
    let mut group = c.benchmark_group("a_clean");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, redactor) in engines() {
        assert!(
            lines.iter().all(|l| redactor.find(l).is_empty()),
            "clean text must hold no secret"
        );
        group.bench_function(format!("per_line/{name}"), |b| {
            b.iter(|| per_line(&redactor, &lines))
        });
        // Batches of 256 lines, as a log shipper or the CLI hands them over.
        let batches: Vec<String> = lines
            .chunks(256)
            .map(|chunk| chunk.join("\n") + "\n")
            .collect();
        group.bench_function(format!("batch_256/{name}"), |b| {
            b.iter(|| {
                batches
                    .iter()
                    .map(|batch| redactor.redact_lines(black_box(batch.as_bytes())).len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("one_blob/{name}"), |b| {
            b.iter(|| redactor.redact(black_box(&blob)).len())
        });
    }
    group.finish();

    let line = CLEAN_LINE;
    assert!((140..=160).contains(&line.len()), "{}", line.len());
    for (name, redactor) in engines() {
        c.bench_function(&format!("clean_line_150b/{name}"), |b| {
            b.iter(|| redactor.redact(black_box(line)).len())
        });
    }
}

/// A scan of the first stage: how many triggers a text holds.
type Scan = Box<dyn Fn(&[u8]) -> usize>;

fn keyword_automaton(keywords: &[String]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(keywords)
        .expect("keywords build")
}

fn floor(c: &mut Criterion) {
    let [(_, keywords_only), (_, literal_stage)] = engines();
    let (literals, keywords) = literal_stage.first_stage_triggers();
    let (_, all_keywords) = keywords_only.first_stage_triggers();
    let scans: Vec<(&str, Scan)> = {
        let all = keyword_automaton(&all_keywords);
        let left = keyword_automaton(&keywords);
        let teddy: Vec<packed::Searcher> = literals
            .chunks(64)
            .map(|chunk| {
                packed::Config::new()
                    .builder()
                    .extend(chunk)
                    .build()
                    .expect("Teddy on this CPU")
            })
            .collect();
        vec![
            (
                "keywords_all",
                Box::new(move |t: &[u8]| all.find_iter(t).count()),
            ),
            (
                "keywords_left",
                Box::new(move |t: &[u8]| left.find_iter(t).count()),
            ),
            (
                "teddy_literals",
                Box::new(move |t: &[u8]| {
                    teddy.iter().map(|s| s.find(t).map_or(0, |m| m.end())).sum()
                }),
            ),
            ("byte_class", Box::new(memchr_count)),
        ]
    };
    let lines = clean_lines(20_000);
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let blob = lines.join("\n") + "\n";
    let mut group = c.benchmark_group("floor_clean");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, scan) in &scans {
        group.bench_function(format!("per_line/{name}"), |b| {
            b.iter(|| {
                lines
                    .iter()
                    .map(|l| scan(black_box(l.as_bytes())))
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("one_blob/{name}"), |b| {
            b.iter(|| scan(black_box(blob.as_bytes())))
        });
    }
    group.finish();
    for (name, scan) in &scans {
        c.bench_function(&format!("floor_150b/{name}"), |b| {
            b.iter(|| scan(black_box(CLEAN_LINE.as_bytes())))
        });
    }
}

/// Assignment and URL structure: every `=`, `:` and `@`, found with SIMD.
fn memchr_count(text: &[u8]) -> usize {
    memchr::memchr3_iter(b'=', b':', b'@', text).count()
}

fn corpus(c: &mut Criterion) {
    let Some(path) = corpus_path() else {
        eprintln!("b_corpus skipped: ../shared/corpus/dev.jsonl not found (set TOKENWARD_CORPUS)");
        return;
    };
    let text = std::fs::read_to_string(path).expect("corpus readable");
    let lines: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["line"].as_str().map(str::to_owned))
        .collect();
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    let batches: Vec<String> = lines
        .chunks(256)
        .map(|chunk| chunk.join("\n") + "\n")
        .collect();
    let mut group = c.benchmark_group("b_corpus");
    group.throughput(Throughput::Bytes(bytes as u64));
    for (name, redactor) in engines() {
        group.bench_function(format!("per_line/{name}"), |b| {
            b.iter(|| per_line(&redactor, &lines))
        });
        group.bench_function(format!("batch_256/{name}"), |b| {
            b.iter(|| {
                batches
                    .iter()
                    .map(|batch| redactor.redact_lines(black_box(batch.as_bytes())).len())
                    .sum::<usize>()
            })
        });
    }
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
