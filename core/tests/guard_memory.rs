//! Memory per token, measured with a counting global allocator: at most 256 bytes per token
//! beyond its metadata strings (which are interned and shared).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use tokenward::{Guard, GuardConfig, TokenKey, TokenMeta};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts the bytes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn at_most_256_bytes_per_token() {
    const N: usize = 200_000;
    let config =
        GuardConfig::from_toml("event_capacity = 16\n[policies.ci]\nallow_ips = [\"10.0.0.0/8\"]")
            .unwrap();
    let guard = Guard::with_config(TokenKey::new(b"memory"), &config).unwrap();
    // Intern the metadata strings first, so only per-token cost is measured.
    guard.register("warm-up-token", meta(), 0).unwrap();
    let before = LIVE.load(Ordering::Relaxed);
    for i in 0..N {
        guard
            .register_id(guard.token_id(&(i as u64).to_le_bytes()), meta(), 0)
            .unwrap();
    }
    let after = LIVE.load(Ordering::Relaxed);
    let per_token = (after - before) as f64 / N as f64;
    eprintln!("{per_token:.1} bytes per token over {N} tokens");
    assert!(per_token <= 256.0, "{per_token} bytes per token");
    assert_eq!(guard.len(), N + 1);
}

fn meta() -> TokenMeta {
    TokenMeta::new()
        .owner("alice")
        .service("billing")
        .environment("prod")
        .tag("ci")
        .tag("eu")
        .policy("ci")
}
