//! `tokenward redact`: output, line preservation, styles, config, errors, streaming.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use predicates::prelude::*;
use support::*;

#[test]
fn stdin_is_redacted_with_labels_by_default() {
    tokenward()
        .arg("redact")
        .write_stdin(format!(
            "login ok token={GITHUB} user=ana\nkey {AWS}\nclean line\n"
        ))
        .assert()
        .success()
        .stdout(
            "login ok token=[REDACTED:github_classic_token] user=ana\n\
             key [REDACTED:aws_access_key_id]\nclean line\n",
        )
        .stderr("");
}

#[test]
fn clean_input_comes_out_byte_for_byte() {
    let input = "GET /health 200 12ms\n\n  indented\tline\r\nlast without newline";
    tokenward()
        .arg("redact")
        .write_stdin(input)
        .assert()
        .success()
        .stdout(input);
}

#[test]
fn files_are_redacted_in_order_with_dash_for_stdin() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.log", format!("a {AWS}\n"));
    write(dir.path(), "b.log", "b clean\n");
    tokenward()
        .current_dir(dir.path())
        .args(["redact", "a.log", "-", "b.log"])
        .write_stdin(format!("stdin {GITHUB}\n"))
        .assert()
        .success()
        .stdout("a [REDACTED:aws_access_key_id]\nstdin [REDACTED:github_classic_token]\nb clean\n");
}

#[test]
fn one_line_out_per_line_in() {
    let cases: Vec<String> = vec![
        format!("no final newline {GITHUB}"),
        format!("crlf {GITHUB}\r\nsecond {AWS}\r\n"),
        format!("\n\n{AWS}\n\n"),
        format!("{{\"password\": \"Tr0ub4dor3\"}}\n{GITHUB}"),
    ];
    for input in cases {
        let output = tokenward()
            .arg("redact")
            .write_stdin(input.clone())
            .output()
            .unwrap();
        assert!(output.status.success());
        let out = &output.stdout;
        assert_eq!(line_count(out), line_count(input.as_bytes()), "{input:?}");
        assert_eq!(out.ends_with(b"\n"), input.ends_with('\n'), "{input:?}");
        assert_eq!(
            out.windows(2).filter(|w| w == b"\r\n").count(),
            input.matches("\r\n").count()
        );
        let text = String::from_utf8_lossy(out);
        assert!(!text.contains(GITHUB) && !text.contains(AWS) && !text.contains("Tr0ub4dor3"));
        assert!(text.contains("[REDACTED:"), "{text}");
    }
}

#[test]
fn a_multi_line_block_keeps_its_line_count() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.toml", BLOCK_RULE_TOML);
    let input = format!("before\nkey: {BLOCK}\nafter {AWS}\n");
    let output = tokenward()
        .current_dir(dir.path())
        .args(["redact", "--config", "rules.toml"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text,
        "before\nkey: -----BEGIN TEST BLOCK-----[REDACTED:test_block]\n\n\n\
         -----END TEST BLOCK-----\nafter [REDACTED:aws_access_key_id]\n"
    );
    assert_eq!(line_count(text.as_bytes()), line_count(input.as_bytes()));
}

#[test]
fn invalid_utf8_passes_through_around_redactions() {
    let mut input = b"\xff\xfe bin \xc3(".to_vec();
    input.extend_from_slice(GITHUB.as_bytes());
    input.extend_from_slice(b" \x80tail\n\xe2\x82\n");
    let mut expected = b"\xff\xfe bin \xc3(".to_vec();
    expected.extend_from_slice(b"[REDACTED:github_classic_token]");
    expected.extend_from_slice(b" \x80tail\n\xe2\x82\n");
    tokenward()
        .arg("redact")
        .write_stdin(input)
        .assert()
        .success()
        .stdout(expected);
}

#[test]
fn styles_mask_prefix_label() {
    for (style, expected) in [
        ("mask", "t=********\n"),
        ("prefix", "t=ghp_********\n"),
        ("label", "t=[REDACTED:github_classic_token]\n"),
    ] {
        tokenward()
            .args(["redact", "--style", style])
            .write_stdin(format!("t={GITHUB}\n"))
            .assert()
            .success()
            .stdout(expected);
    }
}

#[test]
fn fingerprint_style_reads_its_key_from_the_environment() {
    let run = |key: &str, input: &str| {
        let output = tokenward()
            .args([
                "redact",
                "--style",
                "fingerprint",
                "--fingerprint-key-env",
                "TW_TEST_KEY",
            ])
            .env("TW_TEST_KEY", key)
            .write_stdin(input.to_string())
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let out = run("k1", &format!("{GITHUB} {GITHUB}\n"));
    let labels: Vec<&str> = out.trim_end().split(' ').collect();
    assert_eq!(labels.len(), 2);
    assert_eq!(labels[0], labels[1], "one credential, one fingerprint");
    assert!(labels[0].starts_with("[REDACTED:github_classic_token:"));
    assert_eq!(labels[0].len(), "[REDACTED:github_classic_token:".len() + 9);
    assert_ne!(
        run("k2", GITHUB),
        labels[0],
        "another key, another fingerprint"
    );
    assert!(!out.contains(GITHUB));
}

#[test]
fn fingerprint_without_a_key_is_one_clear_error() {
    tokenward()
        .args(["redact", "--style", "fingerprint"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr("tokenward: --style fingerprint: needs a key: pass --fingerprint-key-env VAR\n");
    tokenward()
        .args([
            "redact",
            "--style",
            "fingerprint",
            "--fingerprint-key-env",
            "TW_UNSET_VAR",
        ])
        .env_remove("TW_UNSET_VAR")
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr("tokenward: --fingerprint-key-env TW_UNSET_VAR: the variable is not set\n");
}

#[test]
fn a_bad_style_is_one_line_with_the_choices() {
    tokenward()
        .args(["redact", "--style", "blur"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("tokenward: ")
                .and(predicate::str::contains("'blur'"))
                .and(predicate::str::contains("mask, prefix, label, fingerprint"))
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

#[test]
fn config_in_toml_and_json_adds_rules_and_sets_the_style() {
    let dir = tempfile::tempdir().unwrap();
    let rule = r#"acme_(?P<secret>[a-z0-9]{32})"#;
    write(
        dir.path(),
        "c.toml",
        format!("style = \"prefix\"\n[[rules]]\nid = \"acme_key\"\nkeywords = [\"acme_\"]\npattern = '{rule}'\n"),
    );
    write(
        dir.path(),
        "c.json",
        format!(
            r#"{{"style": "prefix", "rules": [{{"id": "acme_key", "keywords": ["acme_"], "pattern": "{rule}"}}]}}"#
        ),
    );
    // No extension: recognised as JSON by its opening brace.
    write(
        dir.path(),
        "c",
        std::fs::read(dir.path().join("c.json")).unwrap(),
    );
    let input = format!("k=acme_0123456789abcdef0123456789abcdef {GITHUB}\n");
    for config in ["c.toml", "c.json", "c"] {
        tokenward()
            .current_dir(dir.path())
            .args(["redact", "--config", config])
            .write_stdin(input.clone())
            .assert()
            .success()
            .stdout("k=acme_******** ghp_********\n");
    }
    // --style on the command line wins over the config's.
    tokenward()
        .current_dir(dir.path())
        .args(["redact", "--config", "c.toml", "--style", "label"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("k=acme_[REDACTED:acme_key] [REDACTED:github_classic_token]\n");
}

#[test]
fn no_builtins_and_disable_narrow_the_rule_set() {
    tokenward()
        .args(["redact", "--disable", "aws_access_key_id"])
        .write_stdin(format!("{AWS} {GITHUB}\n"))
        .assert()
        .success()
        .stdout(format!("{AWS} [REDACTED:github_classic_token]\n"));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.toml", BLOCK_RULE_TOML);
    tokenward()
        .current_dir(dir.path())
        .args(["redact", "--no-builtins", "--config", "rules.toml"])
        .write_stdin(format!("{AWS} {GITHUB}\n"))
        .assert()
        .success()
        .stdout(format!("{AWS} {GITHUB}\n"));
    tokenward()
        .args(["redact", "--disable", "no_such_rule"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr("tokenward: --disable: disable[0]: no built-in rule has this id (see `tokenward rules`)\n");
}

#[test]
fn a_bad_config_is_one_line_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.toml", "stlye = \"mask\"\n");
    write(
        dir.path(),
        "badrule.json",
        r#"{"rules": [{"id": "broken", "pattern": "(unclosed"}]}"#,
    );
    for (file, says) in [
        ("bad.toml", "unknown field, expected one of `style`"),
        ("badrule.json", "invalid rule \"broken\""),
        ("missing.toml", "No such file or directory"),
    ] {
        tokenward()
            .current_dir(dir.path())
            .args(["redact", "--config", file])
            .write_stdin(format!("{GITHUB}\n"))
            .assert()
            .code(2)
            .stdout("")
            .stderr(
                predicate::str::starts_with(format!("tokenward: {file}: "))
                    .and(predicate::str::contains(says))
                    .and(predicate::function(|s: &str| s.lines().count() == 1)),
            );
    }
}

#[test]
fn an_unreadable_file_is_reported_and_the_rest_still_redacted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.log", format!("{AWS}\n"));
    std::fs::create_dir(dir.path().join("a_directory")).unwrap();
    tokenward()
        .current_dir(dir.path())
        .args(["redact", "missing.log", "a_directory", "ok.log"])
        .assert()
        .code(2)
        .stdout("[REDACTED:aws_access_key_id]\n")
        .stderr(
            "tokenward: missing.log: No such file or directory\n\
             tokenward: a_directory: Is a directory\n",
        );
}

/// Spawns `tokenward redact` on pipes.
fn spawn_redact() -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tokenward"))
        .arg("redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn output_is_live_line_by_line_on_a_pipe() {
    let mut child = spawn_redact();
    let mut stdin = child.stdin.take().unwrap();
    let (lines, received) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if lines.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    // Each line must come back while stdin is still open.
    for (input, expected) in [
        (
            format!("first {GITHUB}\n"),
            "first [REDACTED:github_classic_token]",
        ),
        ("second clean\n".to_string(), "second clean"),
        (
            format!("third {AWS}\n"),
            "third [REDACTED:aws_access_key_id]",
        ),
    ] {
        stdin.write_all(input.as_bytes()).unwrap();
        stdin.flush().unwrap();
        let line = received
            .recv_timeout(Duration::from_secs(20))
            .expect("a line must come back before stdin is closed");
        assert_eq!(line, expected);
    }
    drop(stdin);
    assert!(child.wait().unwrap().success());
    reader.join().unwrap();
}

/// Peak resident memory of a running process in KiB, from /proc.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Feeds `input` through `tokenward redact` and returns (output, peak RSS in KiB).
fn redact_measuring(input: Vec<u8>) -> (Vec<u8>, u64) {
    let mut child = spawn_redact();
    let pid = child.id();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let writer = thread::spawn(move || {
        for chunk in input.chunks(1 << 16) {
            stdin.write_all(chunk).unwrap();
        }
    });
    let reader = thread::spawn(move || {
        let mut out = Vec::new();
        stdout.read_to_end(&mut out).unwrap();
        out
    });
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        // VmHWM only grows, so the last reading before exit holds the peak.
        peak = peak.max(peak_rss_kib(pid).unwrap_or(0));
        assert!(Instant::now() < deadline, "redact did not finish");
        thread::sleep(Duration::from_millis(5));
    }
    writer.join().unwrap();
    (reader.join().unwrap(), peak)
}

#[test]
fn a_20_mb_line_streams_in_bounded_memory() {
    let filler = b"lorem ipsum dolor sit amet ";
    let half = filler.repeat(10 * 1024 * 1024 / filler.len());
    let mut input = half.clone();
    input.extend_from_slice(format!("{GITHUB} ").as_bytes());
    input.extend_from_slice(&half);
    input.extend_from_slice(format!("{AWS}\n").as_bytes());

    let (_, baseline) = redact_measuring(format!("{GITHUB} {AWS}\n").into_bytes());
    let (out, peak) = redact_measuring(input.clone());

    let label = b"[REDACTED:github_classic_token] ";
    let mut expected = half.clone();
    expected.extend_from_slice(label);
    expected.extend_from_slice(&half);
    expected.extend_from_slice(b"[REDACTED:aws_access_key_id]\n");
    assert!(
        out == expected,
        "the long line must come out redacted and otherwise intact"
    );
    // Holding the line would cost at least its 20 MB; streaming holds a few 64 KiB windows.
    assert!(
        peak < baseline + 12 * 1024,
        "peak RSS {peak} KiB on a 20 MB line vs {baseline} KiB on a short one"
    );
}

#[test]
fn a_reader_that_leaves_ends_the_run_quietly() {
    // `tokenward redact big.log | head -1`: no error message, success.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tokenward"))
        .arg("redact")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = thread::spawn(move || {
        let block = format!("key {AWS}\n").repeat(4096);
        // Stops when tokenward exits and the pipe breaks; bounded in case it never does.
        for _ in 0..10_000 {
            if stdin.write_all(block.as_bytes()).is_err() {
                return;
            }
        }
    });
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "key [REDACTED:aws_access_key_id]\n");
    // The reader is dropped here, closing the pipe.
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(output.status.success(), "{:?}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn a_private_key_block_keeps_its_line_count() {
    let body = [
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
        "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
    ];
    let input = format!(
        "deploy: writing key\n-----BEGIN RSA PRIVATE KEY-----\r\n{}\r\n-----END RSA PRIVATE KEY-----\r\ndone\n",
        body.join("\r\n")
    );
    let output = tokenward()
        .arg("redact")
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        line_count(text.as_bytes()),
        line_count(input.as_bytes()),
        "{text}"
    );
    assert!(
        text.starts_with("deploy: writing key\n") && text.ends_with("\ndone\n"),
        "{text}"
    );
    assert!(text.contains("[REDACTED:"), "{text}");
    for line in body {
        assert!(!text.contains(&line[..16]), "key material survived: {text}");
    }
}

#[test]
fn a_key_block_after_an_empty_header_is_redacted_whole() {
    // The empty header must not run on into the next one and leave that key in clear.
    let (begin, end) = (
        "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----",
    );
    let (first, second) = (
        "MIIEowIBAAKCAQEAu7Qz4mJ0lVz2Qf3tW0bQ",
        "Z9u8cX1yK2w3E4r5T6y7U8i9O0pQsRtU",
    );
    let input = format!("{begin}\n{begin}\n{first}\n{begin}\n{second}\n{end}\nafter\n");
    let output = tokenward()
        .arg("redact")
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(!text.contains(first) && !text.contains(second), "{text}");
    assert!(!text.contains("-----END"), "{text}");
    assert_eq!(line_count(text.as_bytes()), line_count(input.as_bytes()));
}

#[test]
fn a_long_line_of_passwords_is_redacted_across_reads() {
    // Reads of 64 KiB cut the line between keys and values at many points.
    let values: Vec<String> = (0..6_000u32)
        .map(|i| format!("{:040x}", u64::from(i).wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .map(|v| v.replace('0', "k"))
        .collect();
    let line: String = values.iter().map(|v| format!("password={v} ")).collect();
    let output = tokenward()
        .arg("redact")
        .write_stdin(format!("{line}\n"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let leaked = values.iter().filter(|v| text.contains(v.as_str())).count();
    assert_eq!(leaked, 0, "{leaked} values in clear");
}
