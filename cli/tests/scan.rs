//! `tokenward scan`: walking, skipping, positions, formats and exit codes.

mod support;

use predicates::prelude::*;
use serde_json::Value;
use support::*;

/// A small tree: secrets in two files, one clean file.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/app.py",
        format!("import os\n\nTOKEN = \"{GITHUB}\"\n"),
    );
    write(
        dir.path(),
        "deploy/ci.log",
        format!("step 1\nçé export AWS_ACCESS_KEY_ID={AWS}\n"),
    );
    write(
        dir.path(),
        "README.md",
        format!("a documentation dummy {GITHUB_DUMMY}\n"),
    );
    dir
}

fn scan(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    tokenward()
        .current_dir(dir)
        .arg("scan")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn findings_are_listed_with_line_column_rule_and_mask() {
    let dir = tree();
    tokenward()
        .current_dir(dir.path())
        .args(["scan", "."])
        .assert()
        .code(1)
        .stdout(
            // Sorted walk order; column 29 counts "çé" as two characters.
            "deploy/ci.log:2:29 aws_access_key_id ****\n\
             src/app.py:3:10 github_classic_token ghp_****\n",
        )
        .stderr("");
}

#[test]
fn a_clean_tree_exits_zero_silently() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", "nothing to see\n");
    write(dir.path(), "b/c.log", format!("{GITHUB_DUMMY}\n"));
    tokenward()
        .current_dir(dir.path())
        .arg("scan")
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
}

#[test]
fn gitignore_and_dot_ignore_are_honoured_unless_no_ignore() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "target/\n*.tmp\n");
    write(dir.path(), "sub/.ignore", "private.txt\n");
    write(dir.path(), "target/build.log", format!("{AWS}\n"));
    write(dir.path(), "x.tmp", format!("{AWS}\n"));
    write(dir.path(), "sub/private.txt", format!("{AWS}\n"));
    write(dir.path(), "kept.txt", format!("{GITHUB}\n"));
    write(dir.path(), ".env", format!("GH={GITHUB}\n"));
    write(dir.path(), ".git/config", format!("{AWS}\n"));
    let output = scan(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        ".env:1:4 github_classic_token ghp_****\nkept.txt:1:1 github_classic_token ghp_****\n"
    );
    let output = scan(dir.path(), &["--no-ignore", "."]);
    let text = stdout(&output);
    for path in [
        "target/build.log",
        "x.tmp",
        "sub/private.txt",
        "kept.txt",
        ".env",
    ] {
        assert!(
            text.contains(&format!("{path}:1:")),
            "{path} missing from {text}"
        );
    }
    assert!(!text.contains(".git/"), ".git is never scanned: {text}");
    // A file named on the command line is scanned even when ignored.
    let output = scan(dir.path(), &["x.tmp"]);
    assert_eq!(stdout(&output), "x.tmp:1:1 aws_access_key_id ****\n");
}

#[test]
fn binary_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
    binary.extend_from_slice(GITHUB.as_bytes());
    write(dir.path(), "tool.bin", binary);
    // A NUL past the first 8 KiB does not make a file binary.
    let mut late_nul = format!("{AWS}\n").into_bytes();
    late_nul.extend(std::iter::repeat_n(b'a', 9000));
    late_nul.push(0);
    write(dir.path(), "late.txt", late_nul);
    let output = scan(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "late.txt:1:1 aws_access_key_id ****\n");
}

/// A file left out for its size is named, counted, and keeps the scan from reporting clean:
/// exit status 2 (not 1, which says secrets were found; not 0), in every format.
#[test]
fn files_over_the_size_cap_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut big = format!("{AWS}\n").into_bytes();
    big.resize(4096, b'x');
    write(dir.path(), "big.log", &big);
    write(dir.path(), "small.txt", "nothing here\n");
    tokenward()
        .current_dir(dir.path())
        .args(["scan", "--max-size", "1K", "."])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            "tokenward: warning: big.log: skipped, larger than --max-size 1024 bytes\n\
             tokenward: 1 file not scanned (larger than --max-size 1024 bytes); the scan is \
             incomplete\n",
        );
    let output = scan(dir.path(), &["--max-size", "1K", "--format", "json"]);
    assert_eq!(output.status.code(), Some(2));
    let record: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(record["path"], "big.log");
    assert_eq!(record["skipped"], "max_size");
    assert_eq!(record["size"], 4096);
    assert_eq!(record["max_size"], 1024);
    let output = scan(dir.path(), &["--max-size", "1K", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert!(notes[0]["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("big.log: not scanned"));
    tokenward()
        .current_dir(dir.path())
        .args(["scan", "--max-size", "4K", "."])
        .assert()
        .code(1)
        .stdout("big.log:1:1 aws_access_key_id ****\n");
    for bad in ["lots", "0", "1.5M"] {
        tokenward()
            .args(["scan", "--max-size", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!(
                "tokenward: invalid value '{bad}'"
            )));
    }
    // Found secrets and a skipped file: 2 wins.
    write(dir.path(), "small.txt", format!("{AWS}\n"));
    let output = scan(dir.path(), &["--max-size", "1K"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "small.txt:1:1 aws_access_key_id ****\n");
}

#[test]
fn invalid_utf8_text_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"\xff\xfe\xc3( ".to_vec();
    text.extend_from_slice(GITHUB.as_bytes());
    text.push(b'\n');
    write(dir.path(), "latin.log", text);
    let output = scan(dir.path(), &["."]);
    assert_eq!(output.status.code(), Some(1));
    // Four invalid bytes and a space: the token starts in column 6.
    assert_eq!(
        stdout(&output),
        "latin.log:1:6 github_classic_token ghp_****\n"
    );
}

#[test]
fn a_multi_line_finding_is_reported_at_its_first_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.toml", BLOCK_RULE_TOML);
    write(dir.path(), "data/key.txt", format!("header\n  {BLOCK}\n"));
    let output = scan(dir.path(), &["--config", "rules.toml", "data"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "data/key.txt:2:29 test_block ****\n");
    let output = scan(
        dir.path(),
        &["--config", "rules.toml", "--format", "json", "data"],
    );
    let record: Value = serde_json::from_str(stdout(&output).trim()).unwrap();
    assert_eq!(record["line"], 2);
    assert_eq!(record["column"], 29);
    assert_eq!(record["end_line"], 5);
    assert_eq!(record["end_column"], 1);
}

#[test]
fn errors_are_one_line_each_and_do_not_stop_the_scan() {
    let dir = tree();
    let output = scan(dir.path(), &["missing", "src", "also/missing.txt"]);
    // Findings and errors: errors win (2), findings are still reported.
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stdout(&output),
        "src/app.py:3:10 github_classic_token ghp_****\n"
    );
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "tokenward: missing: No such file or directory\n\
         tokenward: also/missing.txt: No such file or directory\n"
    );
    // Errors and nothing found: 2.
    let output = scan(dir.path(), &["missing", "README.md"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
}

#[test]
fn a_bad_config_stops_the_scan_with_status_2() {
    let dir = tree();
    write(
        dir.path(),
        "bad.toml",
        "[[rules]]\nid = \"Bad Id\"\npattern = \"x+\"\n",
    );
    tokenward()
        .current_dir(dir.path())
        .args(["scan", "--config", "bad.toml", "."])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::starts_with("tokenward: bad.toml: invalid rule \"Bad Id\"")
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

#[test]
fn json_lines_have_one_object_per_finding() {
    let dir = tree();
    let output = scan(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let records: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["path"], "src/app.py");
    assert_eq!(records[1]["line"], 3);
    assert_eq!(records[1]["column"], 10);
    assert_eq!(records[1]["end_line"], 3);
    assert_eq!(records[1]["end_column"], 10 + GITHUB.len());
    assert_eq!(records[1]["rule"], "github_classic_token");
    assert_eq!(records[1]["masked"], "ghp_****");
    assert_eq!(records[0]["rule"], "aws_access_key_id");
    assert!(!text.contains(GITHUB) && !text.contains(AWS) && !text.contains(&GITHUB[4..12]));
}

#[test]
fn sarif_is_a_valid_2_1_0_log_without_secrets() {
    let dir = tree();
    write(dir.path(), "sub dir/notes.txt", format!("a\nb {AWS}\n"));
    let output = scan(dir.path(), &["--format", "sarif", "."]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(!text.contains(GITHUB) && !text.contains(AWS));
    assert!(!text.contains(&GITHUB[4..12]) && !text.contains(&AWS[4..12]));

    let log: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "tokenward");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    for id in [
        "github_classic_token",
        "aws_access_key_id",
        "jwt",
        "password_assignment",
    ] {
        let rule = rules.iter().find(|r| r["id"] == id).unwrap();
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
    }
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(
            rules[index]["id"], result["ruleId"],
            "ruleIndex points at ruleId"
        );
        assert_eq!(result["level"], "error");
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
    }
    let github = results
        .iter()
        .find(|r| r["ruleId"] == "github_classic_token")
        .unwrap();
    let location = &github["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "src/app.py");
    assert_eq!(location["region"]["startLine"], 3);
    assert_eq!(location["region"]["startColumn"], 10);
    assert_eq!(location["region"]["endColumn"], 10 + GITHUB.len());
    let spaced = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "sub%20dir/notes.txt"
        })
        .expect("paths are percent-encoded URIs");
    assert_eq!(
        spaced["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
}

#[test]
fn sarif_records_inputs_that_could_not_be_scanned() {
    let dir = tree();
    let output = scan(dir.path(), &["--format", "sarif", "nope", "src"]);
    assert_eq!(output.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&output.stdout).unwrap();
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["message"]["text"],
        "nope: No such file or directory"
    );
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 1);
}

#[test]
fn a_private_key_block_is_reported_at_its_begin_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "id_rsa.txt",
        "# key\n-----BEGIN RSA PRIVATE KEY-----\n\
         MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n\
         VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n\
         -----END RSA PRIVATE KEY-----\n",
    );
    let output = scan(dir.path(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(!text.contains("MIIEowIBAAKCAQEA") && !text.contains("VTLw7onLRnrq0"));
    let record: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(record["path"], "id_rsa.txt");
    assert_eq!(record["line"], 2);
    assert_eq!(record["column"], 1);
    assert!(record["end_line"].as_u64().unwrap() >= 4);
}
