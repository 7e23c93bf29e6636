//! The stream fuzz target's seeds, replayed as a regression test: each input that ever made
//! `StreamRedactor` differ from whole-text redaction (kept under `fuzz/corpus/stream/`) is
//! decoded and chunked exactly as the target does, and must now agree.

use tokenward::{Redactor, StreamRedactor};

/// The target's chunk lengths (a xorshift from the seed): mostly short, sometimes long or 0.
fn chunks(text: &[u8], seed: u16, window: usize) -> Vec<&[u8]> {
    let mut state = u32::from(seed) | 0x1_0000;
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let r = state as usize;
        let len = match r % 8 {
            0 => 0,
            1 => window + r % (2 * window),
            _ => 1 + r % 64,
        };
        let end = (at + len).min(text.len());
        out.push(&text[at..end]);
        at = end;
    }
    out
}

#[test]
fn every_stream_seed_agrees_with_whole_text_redaction() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/stream");
    let redactor = Redactor::new();
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).expect("the fuzz seeds are in the repository") {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        if data.len() < 4 {
            continue;
        }
        let window = 256 + usize::from(u16::from_le_bytes([data[0], data[1]]) % 2048);
        let seed = u16::from_le_bytes([data[2], data[3]]);
        let text = &data[4..];
        let whole = redactor.redact_bytes(text);
        let fits = text.split(|&b| b == b'\n').all(|line| line.len() < window)
            && redactor
                .find_bytes(text)
                .iter()
                .all(|f| f.span.len() < window);
        if !fits {
            continue;
        }
        let mut stream = StreamRedactor::with_window(redactor.clone(), window);
        let mut out = Vec::new();
        for chunk in chunks(text, seed, window) {
            stream.push(chunk, &mut out);
        }
        stream.finish(&mut out);
        assert!(
            out == *whole,
            "seed with window {window} and chunk seed {seed}"
        );
        replayed += 1;
    }
    assert!(replayed >= 3, "only {replayed} seeds replayed");
}
