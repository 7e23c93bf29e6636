//! Shared pieces of the fuzz targets: an allocator that turns an unbounded allocation into a
//! crash, a reader that splits the fuzzer's bytes into choices, and the redaction oracle.

use std::alloc::{GlobalAlloc, Layout, System};

use tokenward::{Finding, Redactor, Style};

/// The largest single allocation a target may make. Inputs are at most some KiB, so anything
/// near this is an allocation sized by a hostile length field, not by the input.
pub const MAX_ALLOCATION: usize = 256 << 20;

/// The system allocator, aborting (a crash libFuzzer reports, with the input) on any single
/// allocation above [`MAX_ALLOCATION`]. libFuzzer's own `-malloc_limit_mb` needs a sanitizer's
/// malloc hooks, which a build without ASan lacks.
pub struct BoundedAlloc;

// SAFETY: every call is forwarded to `System` unchanged, after a size check.
unsafe impl GlobalAlloc for BoundedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // No formatting machinery here: it could allocate, re-entering the allocator.
        let msg = b"==fuzz== allocation above MAX_ALLOCATION: unbounded allocation\n";
        // SAFETY: writing a static buffer to stderr.
        unsafe { libc_write(2, msg.as_ptr(), msg.len()) };
        std::process::abort();
    }
}

extern "C" {
    #[link_name = "write"]
    fn libc_write(fd: i32, buf: *const u8, count: usize) -> isize;
}

/// Splits the fuzzer's bytes into small choices and a remainder.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Bytes<'a> {
        Bytes { data }
    }

    /// The next byte, 0 once the input is used up.
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes as a little-endian number.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    /// Up to `n` bytes.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// A part ended by a 0xFF byte (or the end), without it.
    pub fn part(&mut self) -> &'a [u8] {
        let end = self
            .data
            .iter()
            .position(|&b| b == 0xFF)
            .unwrap_or(self.data.len());
        let part = &self.data[..end];
        self.data = &self.data[(end + 1).min(self.data.len())..];
        part
    }

    /// Everything left.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }
}

/// One of the styles whose output the oracle can rebuild exactly (the fingerprint style's
/// digest is checked for shape only, in [`check_redaction`]).
pub fn style_of(choice: u8) -> Style {
    Style::ALL[usize::from(choice) % Style::ALL.len()]
}

/// The fingerprint key the targets use when a style needs one.
pub const FINGERPRINT_KEY: &[u8] = b"fuzz fingerprint key";

/// A redactor over the built-in catalogue in `style`.
pub fn builtin_redactor(style: Style) -> Redactor {
    Redactor::builder()
        .style(style)
        .fingerprint_key(FINGERPRINT_KEY)
        .build()
        .expect("the built-in catalogue builds in every style")
}

/// Checks that `findings` of `text` are sorted, disjoint, in bounds, with the secret inside the
/// credential; and, for `&str` input, on character boundaries.
pub fn check_findings(text: &[u8], findings: &[Finding], utf8: bool) {
    let mut end = 0;
    for f in findings {
        assert!(f.span.start >= end, "findings overlap or are unsorted");
        assert!(f.span.start < f.span.end, "empty finding");
        assert!(f.span.end <= text.len(), "finding out of bounds");
        assert!(
            f.span.start <= f.secret_span.start
                && f.secret_span.start <= f.secret_span.end
                && f.secret_span.end <= f.span.end,
            "secret span outside the credential span"
        );
        if utf8 {
            let s = std::str::from_utf8(text).expect("utf8 input");
            for at in [
                f.span.start,
                f.span.end,
                f.secret_span.start,
                f.secret_span.end,
            ] {
                assert!(s.is_char_boundary(at), "span not on a char boundary");
            }
        }
        end = f.span.end;
    }
}

/// Checks `out` = `text` with each finding replaced by its rendering in `style`, rebuilt here
/// from the documented formats out of the rule id, the public prefix and line breaks only (the
/// fingerprint's digest: its form). So no byte of a finding's secret reaches the output.
pub fn check_redaction(text: &[u8], findings: &[Finding], style: Style, out: &[u8]) {
    let mut at = 0;
    let mut pos = 0;
    for f in findings {
        let before = &text[at..f.span.start];
        assert_eq!(
            &out[pos..pos + before.len()],
            before,
            "text outside findings changed"
        );
        pos += before.len();
        pos += rendered_len(text, f, style, &out[pos..]);
        at = f.span.end;
    }
    assert_eq!(
        &out[pos..],
        &text[at..],
        "text after the last finding changed"
    );
}

/// The length of the rendering of `f` at the start of `out`, after checking its form.
fn rendered_len(text: &[u8], f: &Finding, style: Style, out: &[u8]) -> usize {
    let token = &text[f.span.clone()];
    let newlines = token.iter().filter(|&&b| b == b'\n').count();
    let mut expected = Vec::new();
    match style {
        Style::Mask => expected.extend_from_slice(b"********"),
        Style::Prefix => {
            expected.extend_from_slice(&text[f.span.start..f.secret_span.start]);
            expected.extend_from_slice(b"********");
        }
        Style::Label => {
            expected.extend_from_slice(format!("[REDACTED:{}]", f.rule).as_bytes());
        }
        Style::Fingerprint => {
            let head = format!("[REDACTED:{}:", f.rule);
            assert!(
                out.starts_with(head.as_bytes()),
                "fingerprint rendering form"
            );
            let hex = &out[head.len()..];
            let digits = hex.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            assert!(
                digits == 8 && hex.get(digits) == Some(&b']'),
                "fingerprint digest form"
            );
            expected.extend_from_slice(&out[..head.len() + digits + 1]);
        }
    }
    expected.extend(std::iter::repeat_n(b'\n', newlines));
    assert!(
        out.starts_with(&expected),
        "rendering differs from its style"
    );
    expected.len()
}

/// Snapshot plumbing for the `restore` target and the seed generator: a Guard with some of
/// every kind of state, and the snapshot framing (`TWGS`, version, length, BLAKE3) so a
/// fuzzed payload can reach the decoder past the checksum.
pub mod snapshot {
    use tokenward::{Guard, GuardConfig, Request, TokenKey, TokenMeta};

    /// The key of every Guard in the target (a snapshot restores only under its own key).
    pub const KEY: &[u8] = b"fuzz snapshot key";

    /// Usage tracking on (its state is in the snapshot), a small event queue, two named
    /// policies and a response rule.
    const CONFIG: &str = r#"
        event_capacity = 64
        [usage]
        learning_period_secs = 0
        learning_min_requests = 1
        [policies.ci]
        subjects = ["ci"]
        allow_ips = ["10.0.0.0/8", "2001:db8::/32"]
        endpoints = ["POST /v1/deploys", "GET /v1/**"]
        rate_limit = { requests = 5, window = "1m" }
        rotation_grace = "1h"
        [policies.office]
        countries = ["DE", "FR"]
        time_windows = ["mon-fri 08:00-18:00"]
        utc_offset = "+02:00"
        idle_expiry = "30d"
        [[respond]]
        on = "any"
        min_severity = "high"
        action = "quarantine"
    "#;

    /// The config every Guard in the target is built with.
    pub fn config() -> GuardConfig {
        GuardConfig::from_toml(CONFIG).expect("the sample config is valid")
    }

    /// An empty Guard with the sample config.
    pub fn empty_guard() -> Guard {
        Guard::with_config(TokenKey::new(KEY), &config()).expect("the sample config builds")
    }

    /// A Guard holding minted, registered, rotated, revoked and quarantined tokens with
    /// metadata, named and inline policies, usage statistics and queued events; and the raw
    /// tokens, to check against after a restore.
    pub fn sample_guard() -> (Guard, Vec<String>) {
        let guard = empty_guard();
        let t0 = 1_767_225_600_000; // 2026-01-01
        let ci = TokenMeta::new()
            .owner("ops")
            .service("deployer")
            .environment("prod")
            .tag("ci")
            .tag("critical")
            .policy("ci");
        let a = guard.mint(&ci, &[1; 32], t0).expect("mint");
        let b = guard
            .mint(&ci.clone().tag("spare"), &[2; 32], t0)
            .expect("mint");
        let inline = tokenward::PolicyDoc::from_toml(r#"deny_ips = ["192.0.2.0/24"]"#)
            .expect("inline policy");
        let c = guard
            .register(
                "tw_registered_example_0001",
                &TokenMeta::new()
                    .owner("dev")
                    .inline_policy(inline)
                    .expires_at(t0 + 86_400_000),
                t0,
            )
            .expect("register");
        let d = guard
            .register(
                "tw_registered_example_0002",
                &TokenMeta::new().policy("office"),
                t0,
            )
            .expect("register");
        // Before the checks: an alert may quarantine a token, which then cannot rotate.
        let rotated = guard
            .rotate(&a.id, &[3; 32], None, t0 + 500)
            .expect("rotate");
        let mut raw = vec![a.token.expose().to_string(), b.token.expose().to_string()];
        raw.push(rotated.token.expose().to_string());
        raw.push("tw_registered_example_0001".into());
        raw.push("tw_registered_example_0002".into());
        for (i, token) in raw.iter().enumerate() {
            let ip = [10, 0, 0, i as u8 + 1].into();
            let request = Request::new(token)
                .subject("ci")
                .ip(ip)
                .country("DE")
                .user_agent("curl/8")
                .endpoint("GET", "/v1/status");
            let _ = guard.check(&request, t0 + 1_000 * i as i64);
        }
        guard.revoke(&c, t0 + 6_000).expect("revoke");
        // The response rule may have quarantined it already.
        let _ = guard.quarantine(&d, t0 + 7_000);
        let _ = b;
        (guard, raw)
    }

    const HEADER_LEN: usize = 16;
    const CHECKSUM_LEN: usize = 32;

    /// The payload of a well-formed snapshot (between header and checksum).
    pub fn payload(snapshot: &[u8]) -> &[u8] {
        &snapshot[HEADER_LEN..snapshot.len() - CHECKSUM_LEN]
    }

    /// `payload` framed as a snapshot of the current version with a valid checksum.
    pub fn frame(payload: &[u8], version: [u8; 2]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + CHECKSUM_LEN);
        out.extend_from_slice(b"TWGS");
        out.extend_from_slice(&version);
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(payload);
        let checksum = blake3::hash(&out);
        out.extend_from_slice(checksum.as_bytes());
        out
    }
}
