//! `tokenward replay`: the shipped example's incidents, output shapes, malformed lines and
//! config errors.

mod support;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde_json::Value;
use support::*;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

const CONFIG: &str = r#"
[usage]
learning_period_secs = 0
learning_min_requests = 2

[[respond]]
on = "ip_fanout"
action = "quarantine"

[policies.api]
endpoints = ["GET /v1/orders/*"]

[[tokens]]
token = "tw_replay_test_token_one"
owner = "billing"
service = "billing-api"
policy = "api"

[[tokens]]
token = "tw_replay_test_token_two"
owner = "ops"
"#;

/// A request of token one from IP 10.0.0.`n` at second `s`, with `status`.
fn line(s: u64, n: u32, status: u16) -> String {
    format!(
        r#"{{"ts":{},"token":"tw_replay_test_token_one","ip":"10.0.0.{n}","country":"DE","method":"GET","path":"/v1/orders/{n}","user_agent":"svc/1","status":{status}}}"#,
        1_767_225_600_000 + s * 1000
    )
}

fn traffic() -> String {
    let mut lines: Vec<String> = (0..8).map(|n| line(u64::from(n), n, 200)).collect();
    lines.insert(3, "{not json".into());
    lines.push(line(20, 1, 200));
    lines
        .push(r#"{"ts":"2026-01-01T00:00:30Z","token":"tw_unknown_token","ip":"10.9.9.9"}"#.into());
    lines.push(r#"{"ts":"yesterday","token":"tw_replay_test_token_two"}"#.into());
    lines
        .push(r#"{"ts":1767225640000,"token":"tw_replay_test_token_two","ip":"300.1.1.1"}"#.into());
    lines.join("\n") + "\n"
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "guard.toml", CONFIG);
    write(dir.path(), "traffic.jsonl", traffic());
    dir
}

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8(stdout.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn json_prints_one_line_per_request_with_decisions_alerts_and_actions() {
    let dir = setup();
    let output = tokenward()
        .current_dir(dir.path())
        .args([
            "replay",
            "--config",
            "guard.toml",
            "--json",
            "traffic.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let records = json_lines(&output.stdout);
    assert_eq!(records.len(), 10, "12 lines, 3 malformed, one blank-free");
    let lines: Vec<u64> = records
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]);
    for r in &records {
        let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
        assert_eq!(
            keys, // sorted by serde_json's map
            ["actions", "alerts", "decision", "line", "reasons", "token_id", "ts"]
        );
        assert!(r["token_id"].as_str().unwrap().starts_with("tid_"));
    }
    // The eighth distinct IP raises ip_fanout; the rule quarantines within the same request.
    let fanout = &records[7];
    assert_eq!(fanout["decision"], "deny");
    assert_eq!(fanout["reasons"], serde_json::json!(["quarantined"]));
    assert_eq!(fanout["alerts"][0]["kind"], "ip_fanout");
    assert_eq!(fanout["alerts"][0]["severity"], "high");
    assert_eq!(
        fanout["actions"],
        serde_json::json!([{"action": "quarantine", "on": "ip_fanout"}])
    );
    assert_eq!(records[8]["reasons"], serde_json::json!(["quarantined"]));
    assert_eq!(records[9]["reasons"], serde_json::json!(["unknown_token"]));
    assert!(records[0]["alerts"].as_array().unwrap().is_empty());

    let stderr = String::from_utf8(output.stderr).unwrap();
    let errors: Vec<&str> = stderr.lines().collect();
    assert_eq!(errors.len(), 3, "{stderr}");
    assert!(
        errors[0].starts_with("tokenward: traffic.jsonl:4: skipped: not JSON"),
        "{stderr}"
    );
    assert!(
        errors[1].starts_with("tokenward: traffic.jsonl:12: skipped: "),
        "{stderr}"
    );
    assert!(errors[1].contains("RFC 3339"), "{stderr}");
    assert_eq!(
        errors[2],
        "tokenward: traffic.jsonl:13: skipped: ip: not an IP address"
    );
    for text in [
        String::from_utf8_lossy(&output.stdout).to_string(),
        stderr.clone(),
    ] {
        assert!(!text.contains("tw_replay_test_token"), "raw token printed");
    }
}

#[test]
fn the_summary_counts_decisions_reasons_alerts_and_stopped_tokens() {
    let dir = setup();
    let output = tokenward()
        .current_dir(dir.path())
        .args(["replay", "--config", "guard.toml", "traffic.jsonl"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("replayed 10 requests from traffic.jsonl, 2026-01-01T00:00:00Z to "),
        "{text}"
    );
    assert!(text.contains("3 malformed lines skipped"), "{text}");
    assert!(
        text.contains("  allow         7\n  deny          3\n"),
        "{text}"
    );
    assert!(text.contains("  unknown_token         1\n"), "{text}");
    assert!(text.contains("  quarantined           2\n"), "{text}");
    assert!(text.contains("alerts: 1\n  ip_fanout"), "{text}");
    let timeline = text
        .lines()
        .find(|l| l.contains("ip_fanout  ") && l.contains("line 9"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(timeline.contains("billing/billing-api"), "{timeline}");
    assert!(timeline.contains("quarantine"), "{timeline}");
    assert!(text.contains("tokens quarantined: 1\n  tid_"), "{text}");
    assert!(text.contains("tokens revoked: 0"), "{text}");
    assert!(!text.contains("tw_replay_test_token"));
}

#[test]
fn stdin_is_read_for_a_dash() {
    let dir = setup();
    let output = tokenward()
        .current_dir(dir.path())
        .args(["replay", "--config", "guard.toml", "--json", "-"])
        .write_stdin(line(0, 1, 200) + "\n")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(json_lines(&output.stdout)[0]["decision"], "allow");
}

#[test]
fn a_bad_config_is_one_clear_error() {
    let dir = setup();
    let cases = [
        (
            "[usage]\n[[respond]]\non = \"ip_fanot\"\naction = \"deny\"",
            "tokenward: bad.toml: respond[0].on: unknown alert kind (expected \"any\" or one of",
        ),
        (
            "[[tokens]]\ntoken = \"tw_secret_in_config\"\npolicy = \"missing\"",
            "tokenward: bad.toml: tokens[0]: unknown policy \"missing\"",
        ),
        ("[usage\n", "tokenward: bad.toml: invalid table header"),
        (
            "[[tokens]]\ntoken = \"tw_secret_in_config\"\nowner = \"a\"\ncolour = 1",
            // The core's document errors: the path and what was expected, never a key or
            // value found in the file.
            "tokenward: bad.toml: tokens[0]: unknown field, expected one of",
        ),
    ];
    for (config, expected) in cases {
        write(dir.path(), "bad.toml", config);
        let output = tokenward()
            .current_dir(dir.path())
            .args(["replay", "--config", "bad.toml", "traffic.jsonl"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{config}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.starts_with(expected), "{stderr}");
        assert!(!stderr.contains("tw_secret_in_config"));
        assert!(!stderr.contains("colour"), "{stderr}");
    }
    let missing = tokenward()
        .current_dir(dir.path())
        .args(["replay", "--config", "nope.toml", "traffic.jsonl"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(missing.stderr).unwrap(),
        "tokenward: nope.toml: No such file or directory\n"
    );
}

/// The shipped example: every incident is caught within 20 of its requests, and no alert
/// falls on a token without an incident.
#[test]
fn the_example_finds_every_incident_and_nothing_else() {
    let dir = examples();
    let output = tokenward()
        .current_dir(&dir)
        .args([
            "replay",
            "--config",
            "guard.toml",
            "--json",
            "traffic.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "the example has no malformed line"
    );
    let records = json_lines(&output.stdout);
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("traffic.labels.json")).unwrap())
            .unwrap();
    let incidents = labels["incidents"].as_array().unwrap();
    assert_eq!(incidents.len(), 4);

    let by_line: HashMap<u64, &Value> = records
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r))
        .collect();
    let mut incident_tokens = HashSet::new();
    for incident in incidents {
        let lines = incident["lines"].as_array().unwrap();
        let first = lines
            .iter()
            .position(|l| {
                let r = by_line[&l.as_u64().unwrap()];
                !r["alerts"].as_array().unwrap().is_empty()
            })
            .unwrap_or_else(|| panic!("{} not detected", incident["kind"]));
        assert!(
            first < 20,
            "{} detected at request {}",
            incident["kind"],
            first + 1
        );
        incident_tokens.insert(by_line[&lines[0].as_u64().unwrap()]["token_id"].clone());
    }
    let flagged: HashSet<Value> = records
        .iter()
        .filter(|r| !r["alerts"].as_array().unwrap().is_empty())
        .map(|r| r["token_id"].clone())
        .collect();
    assert_eq!(flagged, incident_tokens, "alerts only on incident tokens");
}
