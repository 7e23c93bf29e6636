//! `Guard::restore` from arbitrary bytes, from fuzzed payloads behind a valid frame and
//! checksum, and from mutations of a real snapshot.
//!
//! Input: a mode byte, then
//! - mode 0: the snapshot bytes as given (framing, length and checksum checks);
//! - mode 1: a payload, framed with a valid header and checksum (the decoder and `build`);
//! - mode 2: edits (offset, value) applied to the payload of a real snapshot, then framed.
//!
//! Checks: restore returns an error or succeeds, never panics or allocates without bound (the
//! allocator aborts above 256 MiB); an error leaves the Guard exactly as it was; a restored
//! state snapshots and restores again, and its tokens can be checked.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenward::{Guard, Request};
use tokenward_fuzz::snapshot::{empty_guard, frame, payload, sample_guard};
use tokenward_fuzz::Bytes;

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

struct Sample {
    snapshot: Vec<u8>,
    tokens: Vec<String>,
}

fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        let (guard, tokens) = sample_guard();
        Sample {
            snapshot: guard.snapshot(),
            tokens,
        }
    })
}

/// The sample's payload with `edits`: (offset: u16, kind, value) triples that set, insert or
/// delete bytes.
fn mutated(mut input: Bytes) -> Vec<u8> {
    let mut payload = payload(&sample().snapshot).to_vec();
    for _ in 0..16 {
        let (at, kind, value) = (input.u16() as usize, input.byte(), input.byte());
        if payload.is_empty() {
            break;
        }
        let at = at % payload.len();
        match kind % 4 {
            0 => payload[at] = value,
            1 => payload.insert(at, value),
            2 => drop(payload.drain(at..(at + usize::from(value)).min(payload.len()))),
            _ => payload[at] ^= 1 << (value % 8),
        }
    }
    payload
}

fn restored_is_usable(guard: &Guard, now: i64) {
    let again = empty_guard();
    again
        .restore(&guard.snapshot(), now)
        .expect("a restored state snapshots and restores again");
    for token in &sample().tokens {
        let _ = guard.check(&Request::new(token).subject("ci").country("DE"), now);
    }
    let _ = guard.drain_events();
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let mode = input.byte() % 3;
    let now = 1_767_225_600_000 + i64::from(input.u16());
    // The version this build reads: framed seeds stay valid across a version bump.
    let version = tokenward::guard::SNAPSHOT_VERSION.to_le_bytes();
    let bytes = match mode {
        0 => input.rest().to_vec(),
        1 => frame(input.rest(), version),
        _ => frame(&mutated(input), version),
    };

    // Restore over a Guard with state, so "an error changes nothing" means something. The
    // Guard is built again only after a restore succeeded (most inputs fail).
    TARGET.with_borrow_mut(|target| {
        let (guard, before) = target.get_or_insert_with(|| {
            let (guard, _) = sample_guard();
            let before = guard.snapshot();
            (guard, before)
        });
        match guard.restore(&bytes, now) {
            Err(_) => assert!(
                guard.snapshot() == *before,
                "a failed restore changed the Guard"
            ),
            Ok(()) => {
                restored_is_usable(guard, now);
                *target = None;
            }
        }
    });
});

thread_local! {
    static TARGET: std::cell::RefCell<Option<(Guard, Vec<u8>)>> = const { std::cell::RefCell::new(None) };
}
