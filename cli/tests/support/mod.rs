//! Helpers shared by the CLI tests.
#![allow(dead_code)]

use std::path::Path;

/// A GitHub classic token with a valid checksum.
pub const GITHUB: &str = "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";
/// A documentation dummy in a GitHub token's shape: not a secret (a token whose checksum
/// fails is one, reported unverified).
pub const GITHUB_DUMMY: &str = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
/// An AWS access key id.
pub const AWS: &str = "AKIA7QX2M4RB5KQ3YHV6";

/// The `tokenward` binary under test.
pub fn tokenward() -> assert_cmd::Command {
    assert_cmd::Command::new(env!("CARGO_BIN_EXE_tokenward"))
}

/// Writes `contents` to `dir/name`, creating parent directories.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A config adding a rule that matches a multi-line block, so line handling can be tested
/// without depending on which built-in rules exist.
pub const BLOCK_RULE_TOML: &str = r#"
[[rules]]
id = "test_block"
description = "A multi-line test block"
keywords = ["-----BEGIN TEST BLOCK-----"]
pattern = '(?s)-----BEGIN TEST BLOCK-----(?P<secret>[A-Za-z0-9+/=\r\n]{16,4096}?)-----END TEST BLOCK-----'
"#;

/// A block `BLOCK_RULE_TOML` finds, three lines long.
pub const BLOCK: &str =
    "-----BEGIN TEST BLOCK-----\nQm9ndXNLZXlNYXRlcmlhbA\nMDEyMzQ1Njc4OWFiY2RlZg\n-----END TEST BLOCK-----";

/// The lines of `bytes`, split as `score.py` does: on `\n`, a final newline ending the last.
pub fn line_count(bytes: &[u8]) -> usize {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        0
    } else {
        body.split(|&b| b == b'\n').count()
    }
}
