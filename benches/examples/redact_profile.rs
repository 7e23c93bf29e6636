//! A fixed redaction workload for profilers, whose instruction counts do not depend on the
//! machine's load the way criterion's times do:
//!
//! ```text
//! cargo build --release -p tokenward-benches --example redact_profile
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='redact_profile::measured' \
//!     target/release/examples/redact_profile corpus 1
//! ```
//!
//! Workloads: `clean` (the bench's clean lines), `line` (its one 150-byte line, repeated),
//! `corpus` (the labeled corpus's lines), `adversarial` (one 1 MiB hostile line) and
//! `file:PATH` (the lines of a text file). The second argument repeats the measured pass; a
//! further `literals` turns on the literal stage (`RedactorBuilder::literal_stage`), and
//! `batch` hands the lines over in batches of 256 (`Redactor::redact_lines`).

use std::hint::black_box;
use std::time::Instant;

use tokenward::Redactor;
use tokenward_benches::{adversarial_line, clean_lines, corpus_path, CLEAN_LINE};

fn main() {
    let mut args = std::env::args().skip(1);
    let workload = args.next().unwrap_or_else(|| "corpus".into());
    let reps: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(5);
    let lines = match workload.as_str() {
        "clean" => clean_lines(20_000),
        "adversarial" => vec![adversarial_line(1 << 20)],
        // The bench's single clean access-log line, 20,000 times.
        "line" => vec![CLEAN_LINE.to_string(); 20_000],
        "corpus" => corpus_lines(),
        other if other.starts_with("file:") => file_lines(&other["file:".len()..]),
        other => {
            eprintln!("unknown workload {other:?}: clean, line, corpus, adversarial or file:PATH");
            std::process::exit(2);
        }
    };
    let options: Vec<String> = args.collect();
    let redactor = Redactor::builder()
        .literal_stage(options.iter().any(|o| o == "literals"))
        .build()
        .expect("the catalogue builds");
    let batch = options.iter().any(|o| o == "batch");
    let lines = if batch {
        lines
            .chunks(256)
            .map(|chunk| chunk.join("\n") + "\n")
            .collect()
    } else {
        lines
    };
    let count: usize = lines.iter().map(|l| l.matches('\n').count().max(1)).sum();
    // One pass compiles the rules the workload triggers and warms the regex caches.
    for line in &lines {
        black_box(redactor.redact(line));
    }
    let started = Instant::now();
    let out = measured(&redactor, &lines, reps, batch);
    let seconds = started.elapsed().as_secs_f64();
    let bytes: usize = lines
        .iter()
        .map(|l| l.len() + usize::from(!batch))
        .sum::<usize>()
        * reps;
    let lines_count = count * reps;
    println!(
        "{workload}: {:.1} MiB/s, {:.0} ns per line ({out} bytes out)",
        bytes as f64 / seconds / (1 << 20) as f64,
        seconds * 1e9 / lines_count as f64
    );
}

fn corpus_lines() -> Vec<String> {
    let Some(path) = corpus_path() else {
        eprintln!("../shared/corpus/dev.jsonl not found");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(path).expect("corpus readable");
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["line"].as_str().map(str::to_owned))
        .collect()
}

fn file_lines(path: &str) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(err) => {
            eprintln!("{path}: {err}");
            std::process::exit(2);
        }
    }
}

#[inline(never)]
fn measured(redactor: &Redactor, lines: &[String], reps: usize, batch: bool) -> usize {
    let mut out = 0;
    for _ in 0..reps {
        for line in lines {
            out += if batch {
                redactor.redact_lines(black_box(line.as_bytes())).len()
            } else {
                redactor.redact(black_box(line)).len()
            };
        }
    }
    out
}
