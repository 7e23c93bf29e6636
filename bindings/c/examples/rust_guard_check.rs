//! The Rust side of `benches/c_guard_check.sh`: times `tokenward::Guard::check` on one allowed
//! request, for comparison with the same check made from C through `tw_guard_check`
//! (`benches/c_guard_check.c`, same config, key, token and request).
//!
//! It also times `tw_guard_check` itself, called through its C ABI from here with the request
//! in a `tw_request`, in rounds alternating with the `Guard::check` rounds: on a shared machine
//! the load drifts between processes, and alternating in one process cancels that drift.
//!
//! ```text
//! rust_guard_check CONFIG ROUNDS CHECKS
//!     # prints "rust_check median_ns=<per check>" and "ffi_check median_ns=<per check>"
//! ```

use std::hint::black_box;
use std::time::Instant;

use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};
use tokenward_c::{
    tw_guard, tw_guard_check, tw_guard_new, tw_guard_register, tw_ip, tw_request, tw_status,
    tw_str, tw_token_meta, tw_verdict, TW_IP_V4,
};

/// What both sides use: the key, the token (registered under policy `bench`), the time.
const KEY: &[u8] = b"benchmark key";
const TOKEN: &str = "tw_benchmark_token_7Qm2xV9pL4kR8sT1";
const NOW: i64 = 1_767_225_600_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, config, rounds, checks] = &args[..] else {
        eprintln!("usage: rust_guard_check CONFIG ROUNDS CHECKS");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(config).expect("read the config");
    let config = GuardConfig::from_toml(&text).expect("a valid config");
    let guard = Guard::with_config(TokenKey::new(KEY), &config).expect("a valid Guard");
    guard
        .register(TOKEN, &TokenMeta::new().policy("bench"), NOW)
        .expect("register");
    let request = Request::new(TOKEN)
        .subject("ci-runner")
        .ip("10.2.3.4".parse().unwrap())
        .endpoint("POST", "/v1/deploys/42")
        .user_agent("bench/1.0");
    assert!(guard.check(&request, NOW).is_allowed());
    let ffi = FfiGuard::new(&text);

    let rounds: usize = rounds.parse().expect("ROUNDS is a number");
    let checks: u32 = checks.parse().expect("CHECKS is a number");
    let per_check = |start: Instant| start.elapsed().as_nanos() as f64 / f64::from(checks);
    let (mut rust, mut through_ffi) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let start = Instant::now();
        checks_loop(&guard, &request, checks);
        rust.push(per_check(start));
        let start = Instant::now();
        ffi.checks_loop(checks);
        through_ffi.push(per_check(start));
    }
    println!("rust_check median_ns={:.1}", median(rust));
    println!("ffi_check median_ns={:.1}", median(through_ffi));
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The measured loop; not inlined, so callgrind can count its instructions by name.
#[inline(never)]
fn checks_loop(guard: &Guard, request: &Request<'_>, checks: u32) {
    for i in 0..checks {
        let verdict = guard.check(black_box(request), NOW + i64::from(i % 1000));
        black_box(verdict.is_allowed());
    }
}

/// The same Guard and request behind the C API.
struct FfiGuard {
    guard: *mut tw_guard,
    request: tw_request,
}

fn field(text: &'static str) -> tw_str {
    tw_str {
        ptr: text.as_ptr().cast(),
        len: text.len(),
    }
}

impl FfiGuard {
    fn new(config: &str) -> FfiGuard {
        let mut guard = std::ptr::null_mut();
        let status = unsafe {
            tw_guard_new(
                config.as_ptr().cast(),
                config.len(),
                KEY.as_ptr(),
                KEY.len(),
                &mut guard,
            )
        };
        assert_eq!(status, tw_status::TW_OK);
        let none = field("");
        let meta = tw_token_meta {
            owner: none,
            service: none,
            environment: none,
            tags: std::ptr::null(),
            tag_count: 0,
            policy: field("bench"),
            policy_doc: none,
            issued_at: 0,
            expires_at: 0,
            expect: none,
        };
        let status = unsafe {
            tw_guard_register(
                guard,
                TOKEN.as_ptr().cast(),
                TOKEN.len(),
                &meta,
                NOW,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(status, tw_status::TW_OK);
        let request = tw_request {
            token: field(TOKEN),
            // In binary, as C servers hold it (and as `request` above holds it).
            ip: none,
            country: none,
            method: field("POST"),
            path: field("/v1/deploys/42"),
            subject: field("ci-runner"),
            device: none,
            environment: none,
            user_agent: field("bench/1.0"),
            has_location: false,
            latitude: 0.0,
            longitude: 0.0,
            addr: tw_ip {
                family: TW_IP_V4,
                bytes: [10, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            },
        };
        FfiGuard { guard, request }
    }

    #[inline(never)]
    fn checks_loop(&self, checks: u32) {
        let mut verdict = std::mem::MaybeUninit::<tw_verdict>::uninit();
        for i in 0..checks {
            let status = unsafe {
                tw_guard_check(
                    self.guard,
                    black_box(&self.request),
                    NOW + i64::from(i % 1000),
                    verdict.as_mut_ptr(),
                )
            };
            assert_eq!(status, tw_status::TW_OK);
            black_box(unsafe { verdict.assume_init_ref() }.allowed);
        }
    }
}

impl Drop for FfiGuard {
    fn drop(&mut self) {
        unsafe { tokenward_c::tw_guard_free(self.guard) };
    }
}
