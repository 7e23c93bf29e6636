//! Redaction configs from TOML and JSON, then building a redactor from them and using it.
//!
//! Input: one byte choosing TOML, JSON or `Config::parse`, then the document. Hostile user
//! regexes (huge repetitions, nested groups) must give a typed error or compile within the
//! allocation bound; a redactor that builds must redact the sample text without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tokenward::{Config, Redactor};
use tokenward_fuzz::{check_findings, check_redaction, Bytes, FINGERPRINT_KEY};

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

/// Text with a credential of several built-in formats and words user rules tend to use.
const SAMPLE: &[u8] = b"key=AKIA7QX2M4RB5KQ3YHV6 token ghp_0123456789abcdefghijABCDEFGHIJ012345 \
password=hunter2hunter2 acme_0123456789abcdef0123456789abcdef\n\x1b[31mred\x1b[0m \xff\xfe";

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let format = input.byte();
    let Ok(text) = std::str::from_utf8(input.rest()) else {
        return;
    };
    let config = match format % 3 {
        0 => Config::from_toml(text),
        1 => Config::from_json(text),
        _ => Config::parse(text),
    };
    let Ok(config) = config else {
        return;
    };
    // Without the catalogue unless the config asks for it: compiling it costs milliseconds,
    // which would leave little time for the user's rules.
    let builder = Redactor::builder()
        .builtins(false)
        .fingerprint_key(FINGERPRINT_KEY)
        .config(config);
    let Ok(redactor) = builder.build() else {
        return;
    };
    for sample in [SAMPLE, text.as_bytes()] {
        let findings = redactor.find_bytes(sample);
        check_findings(sample, &findings, false);
        let out = redactor.redact_bytes(sample);
        check_redaction(sample, &findings, redactor.style(), &out);
    }
});
