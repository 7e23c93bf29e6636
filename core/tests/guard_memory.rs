//! Memory per token, measured with a counting global allocator: at most 256 bytes per token
//! beyond its metadata strings (which are interned and shared).

use tokenward::{Guard, GuardConfig, TokenKey, TokenMeta};

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

#[global_allocator]
static ALLOC: counting_alloc::Counting = counting_alloc::Counting;

#[test]
fn at_most_256_bytes_per_token() {
    const N: usize = 200_000;
    let config =
        GuardConfig::from_toml("event_capacity = 16\n[policies.ci]\nallow_ips = [\"10.0.0.0/8\"]")
            .unwrap();
    let guard = Guard::with_config(TokenKey::new(b"memory"), &config).unwrap();
    // Intern the metadata strings first, so only per-token cost is measured.
    guard.register("warm-up-token", &meta(), 0).unwrap();
    let before = counting_alloc::live_bytes();
    for i in 0..N {
        guard
            .register_id(guard.token_id(&(i as u64).to_le_bytes()), &meta(), 0)
            .unwrap();
    }
    let after = counting_alloc::live_bytes();
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
