//! `StreamRedactor` over random chunkings, against whole-text redaction.
//!
//! Input: the window (two bytes, from 256 up), a chunking seed (two bytes), then the text.
//! Checks:
//! - memory: after each push, the held bytes stay within the documented bound (about three
//!   windows, plus the chunk just pushed);
//! - equality: when every line fits the window (and so does every credential, and every key
//!   block closes within it), the stream's output equals `redact_bytes` of the whole text,
//!   wherever the chunks fall;
//! - no leak: a secret that whole-text redaction removes (and whose credential fits a quarter
//!   of the window) never appears in the stream's output where the whole text's output has
//!   none, whatever the line lengths.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenward::{Redactor, StreamRedactor, Style};
use tokenward_fuzz::{builtin_redactor, Bytes};

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

fn redactor() -> &'static Redactor {
    static REDACTOR: OnceLock<Redactor> = OnceLock::new();
    REDACTOR.get_or_init(|| builtin_redactor(Style::Label))
}

/// Chunk lengths from a small xorshift generator: mostly short, sometimes long, sometimes 0.
fn chunks(text: &[u8], seed: u16, window: usize) -> Vec<&[u8]> {
    let mut state = u32::from(seed) | 0x1_0000;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as usize
    };
    let mut out = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let r = next();
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

/// Whether every `-----BEGIN` is followed by a `-----END` within `window` bytes. A key block
/// held longer than the window goes out unfinished and the lines after it are masked as its
/// body (documented): more than whole-text redaction masks, so equality is not asked there.
fn blocks_close_in(text: &[u8], window: usize) -> bool {
    memchr::memmem::find_iter(text, b"-----BEGIN").all(|begin| {
        let end = (begin + window).min(text.len());
        memchr::memmem::find(&text[begin..end], b"-----END").is_some()
    })
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let window = 256 + usize::from(input.u16() % 2048);
    let seed = input.u16();
    let text = input.rest();
    let redactor = redactor();

    let mut stream = StreamRedactor::with_window(redactor.clone(), window);
    let mut streamed = Vec::new();
    for chunk in chunks(text, seed, window) {
        stream.push(chunk, &mut streamed);
        assert!(
            stream.pending() <= 3 * window + chunk.len(),
            "the stream holds more than its window bound"
        );
    }
    stream.finish(&mut streamed);
    assert_eq!(stream.pending(), 0, "finish left bytes held");

    let whole = redactor.redact_bytes(text);
    let findings = redactor.find_bytes(text);
    let lines_fit = text.split(|&b| b == b'\n').all(|line| line.len() < window);
    let credentials_fit = findings.iter().all(|f| f.span.len() < window);
    if lines_fit && credentials_fit && blocks_close_in(text, window) {
        assert!(
            streamed == *whole,
            "stream output differs from whole-text redaction"
        );
    }
    for f in findings.iter().filter(|f| f.span.len() <= window / 4) {
        let secret = &text[f.secret_span.clone()];
        if secret.len() >= 8 && memchr::memmem::find(&whole, secret).is_none() {
            assert!(
                memchr::memmem::find(&streamed, secret).is_none(),
                "the stream leaked a secret that whole-text redaction removes"
            );
        }
    }
});
