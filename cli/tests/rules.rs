//! `tokenward rules`, `--help` and `--version`.

mod support;

use predicates::prelude::*;
use serde_json::Value;
use support::*;

#[test]
fn rules_lists_ids_providers_and_descriptions() {
    let output = tokenward().arg("rules").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    for (id, provider) in [
        ("github_classic_token", "github"),
        ("aws_access_key_id", "aws"),
        ("jwt", "generic"),
        ("password_assignment", "generic"),
    ] {
        let line = text
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(line.split_whitespace().nth(1), Some(provider), "{line}");
        assert!(
            line.split_whitespace().count() > 2,
            "a description follows: {line}"
        );
    }
}

#[test]
fn rules_are_grouped_by_provider_and_show_checksum_verification() {
    let output = tokenward().arg("rules").output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    // Each provider heads one group, and every rule line under it names that provider.
    let mut seen = std::collections::HashSet::new();
    let mut current = None;
    for line in text.lines() {
        if let Some(rule) = line.strip_prefix("  ") {
            let fields: Vec<&str> = rule.split_whitespace().collect();
            assert_eq!(Some(fields[1]), current, "{line}");
            assert!(fields[2] == "checksum" || fields[2] == "-", "{line}");
        } else {
            let provider = line.split_whitespace().next().unwrap();
            assert!(
                seen.insert(provider.to_string()),
                "{provider} heads two groups"
            );
            assert!(line.contains("checksum-verified"), "{line}");
            current = Some(provider);
        }
    }
    let column = |id: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .and_then(|l| l.split_whitespace().nth(2).map(str::to_string))
    };
    assert_eq!(column("github_classic_token").as_deref(), Some("checksum"));
    assert_eq!(column("github_fine_grained_pat").as_deref(), Some("-"));
    assert!(text
        .lines()
        .any(|l| l.starts_with("github (") && l.contains("1 checksum-verified")));
}

#[test]
fn rules_as_json_include_config_rules() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "rules.toml", BLOCK_RULE_TOML);
    let output = tokenward()
        .current_dir(dir.path())
        .args([
            "rules",
            "--format",
            "json",
            "--config",
            "rules.toml",
            "--disable",
            "jwt",
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let github = rules
        .iter()
        .find(|r| r["id"] == "github_classic_token")
        .unwrap();
    assert_eq!(github["provider"], "github");
    assert_eq!(github["builtin"], true);
    assert_eq!(github["checksum"], true);
    assert!(github["keywords"]
        .as_array()
        .unwrap()
        .contains(&"ghp_".into()));
    let custom = rules.iter().find(|r| r["id"] == "test_block").unwrap();
    assert_eq!(custom["builtin"], false);
    assert_eq!(custom["provider"], "custom");
    assert!(rules.iter().all(|r| r["id"] != "jwt"));

    let output = tokenward()
        .current_dir(dir.path())
        .args([
            "rules",
            "--format",
            "json",
            "--no-builtins",
            "--config",
            "rules.toml",
        ])
        .output()
        .unwrap();
    let rules: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rules.len(), 1);
}

#[test]
fn version_and_help() {
    tokenward()
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("tokenward {}\n", env!("CARGO_PKG_VERSION")));
    tokenward().arg("--help").assert().success().stdout(
        predicate::str::contains("redact")
            .and(predicate::str::contains("scan"))
            .and(predicate::str::contains("rules"))
            .and(predicate::str::contains("Exit status")),
    );
    tokenward()
        .args(["redact", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--fingerprint-key-env").and(
            predicate::str::contains("never taken as").and(predicate::str::contains("argument")),
        ));
    tokenward()
        .args(["scan", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--no-ignore")
                .and(predicate::str::contains("sarif"))
                .and(predicate::str::contains("count characters"))
                .and(predicate::str::contains("2 wins over 1")),
        );
}

#[test]
fn usage_errors_are_one_line_with_status_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["scan", "--format", "xml"][..],
        &["rules", "--bogus"][..],
    ] {
        tokenward().args(args).assert().code(2).stdout("").stderr(
            predicate::str::starts_with("tokenward: ")
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
    }
}
