//! `Redactor::find` / `redact` / `redact_bytes` over arbitrary text, in every style.
//!
//! Input: one byte choosing the style, then the text. Checks: findings sorted, disjoint, in
//! bounds (on char boundaries for `&str`); the output is the text with each finding replaced by
//! its style's rendering, which never holds the secret; `&str` and byte paths agree; a clean
//! text comes back borrowed.
#![no_main]

use std::borrow::Cow;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tokenward::{Redactor, Style};
use tokenward_fuzz::{builtin_redactor, check_findings, check_redaction, style_of, Bytes};

#[global_allocator]
static ALLOC: tokenward_fuzz::BoundedAlloc = tokenward_fuzz::BoundedAlloc;

fn redactor(style: Style) -> &'static Redactor {
    static ALL: OnceLock<Vec<Redactor>> = OnceLock::new();
    let all = ALL.get_or_init(|| Style::ALL.iter().map(|&s| builtin_redactor(s)).collect());
    &all[Style::ALL
        .iter()
        .position(|&s| s == style)
        .expect("a style")]
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let style = style_of(input.byte());
    let text = input.rest();
    let redactor = redactor(style);

    let findings = redactor.find_bytes(text);
    check_findings(text, &findings, false);
    let out = redactor.redact_bytes(text);
    if findings.is_empty() {
        assert!(matches!(out, Cow::Borrowed(_)), "clean text was copied");
    }
    check_redaction(text, &findings, style, &out);

    if let Ok(s) = std::str::from_utf8(text) {
        assert_eq!(redactor.find(s), findings, "str and byte findings differ");
        check_findings(text, &findings, true);
        assert_eq!(
            redactor.redact(s).as_bytes(),
            &out[..],
            "str and byte outputs differ"
        );
    }
});
