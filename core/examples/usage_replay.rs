//! Replays a JSON-lines traffic file through a `UsageTracker` and prints the alerts, one JSON
//! line per request, in the shape `tokenward replay --json` uses:
//! `{"line": n, "token_id": "tid_...", "alerts": [{"kind", "severity", "evidence"}]}`.
//!
//! ```text
//! cargo run --release -p tokenward --example usage_replay -- [--alerts-only] [--config usage.toml] TRAFFIC.jsonl
//! ```
//!
//! Traffic lines: `{"ts": RFC 3339 or Unix ms, "token", "ip", "country", "method", "path",
//! "user_agent", "subject", "device", "status", "lat", "lon", "denied"}`; all but `ts` and
//! `token` optional (`denied` stands in for a guard decision: `tokenward replay` runs the whole
//! Guard instead, policies included).
//! A malformed line is reported on stderr with its number and skipped. A summary goes to stderr.

use std::collections::BTreeMap;
use std::io::{BufRead, BufWriter, Write};
use std::time::Instant;

use serde::Deserialize;
use tokenward::usage::{Observation, UsageConfig, UsageTracker};
use tokenward::{Timestamp, TokenKey};

#[derive(Deserialize)]
struct Line {
    ts: serde_json::Value,
    token: String,
    ip: Option<String>,
    country: Option<String>,
    method: Option<String>,
    path: Option<String>,
    user_agent: Option<String>,
    status: Option<u16>,
    lat: Option<f64>,
    lon: Option<f64>,
    #[serde(default)]
    denied: bool,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("usage_replay: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut alerts_only = false;
    let mut config = UsageConfig::default();
    let mut input = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--alerts-only" => alerts_only = true,
            "--config" => {
                let path = args.next().ok_or("--config needs a file")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                config = if path.ends_with(".json") {
                    UsageConfig::from_json(&text)
                } else {
                    UsageConfig::from_toml(&text)
                }
                .map_err(|e| format!("{path}: {e}"))?;
            }
            _ if input.is_none() => input = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    let input = input.ok_or("usage: usage_replay [--alerts-only] [--config FILE] TRAFFIC.jsonl")?;
    let file = std::fs::File::open(&input).map_err(|e| format!("{input}: {e}"))?;
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let tracker = UsageTracker::new(config).map_err(|e| e.to_string())?;
    let key = TokenKey::new(b"tokenward usage replay");
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut per_kind: BTreeMap<String, u64> = BTreeMap::new();
    let (mut requests, mut malformed) = (0u64, 0u64);
    let started = Instant::now();
    let mut last_evict = i64::MIN;

    for (index, line) in reader.split(b'\n').enumerate() {
        let number = index + 1;
        let line = line.map_err(|e| format!("{input}: {e}"))?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed: Line = match serde_json::from_slice(&line) {
            Ok(l) => l,
            Err(e) => {
                malformed += 1;
                eprintln!("{input}:{number}: skipped: {e}");
                continue;
            }
        };
        let Some(now) = timestamp(&parsed.ts) else {
            malformed += 1;
            eprintln!("{input}:{number}: skipped: ts is neither Unix ms nor RFC 3339");
            continue;
        };
        let ip = match parsed.ip.as_deref().map(str::parse) {
            Some(Ok(ip)) => Some(ip),
            Some(Err(_)) => {
                eprintln!("{input}:{number}: ip is not an IP address; ignored");
                None
            }
            None => None,
        };
        let id = key.id(parsed.token.as_bytes());
        let obs = Observation {
            ip,
            country: parsed.country.as_deref(),
            user_agent: parsed.user_agent.as_deref(),
            method: parsed.method.as_deref(),
            path: parsed.path.as_deref(),
            location: parsed.lat.zip(parsed.lon),
            denied: parsed.denied,
            declared_scope_match: None,
            expected: Default::default(),
            group: None,
        };
        requests += 1;
        let mut alerts = tracker.observe(id, &obs, now);
        if let Some(status) = parsed.status {
            alerts.extend(tracker.record_outcome(id, status, now));
        }
        if now >= last_evict.saturating_add(3_600_000) {
            tracker.evict_idle(now);
            last_evict = now;
        }
        for a in &alerts {
            *per_kind.entry(a.kind.code().to_string()).or_default() += 1;
        }
        if alerts_only && alerts.is_empty() {
            continue;
        }
        let record = serde_json::json!({
            "line": number,
            "token_id": id.to_string(),
            "alerts": alerts.iter().map(|a| serde_json::json!({
                "kind": a.kind,
                "severity": a.severity,
                "evidence": a.evidence,
            })).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut out, &record).map_err(|e| e.to_string())?;
        out.write_all(b"\n").map_err(|e| e.to_string())?;
    }
    out.flush().map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{requests} requests, {malformed} malformed lines skipped, {} alerts, {:.0} requests/s",
        per_kind.values().sum::<u64>(),
        requests as f64 / secs.max(1e-9)
    );
    for (kind, n) in &per_kind {
        eprintln!("  {kind}: {n}");
    }
    Ok(())
}

/// Unix ms (a number) or RFC 3339 text such as `2026-03-01T08:15:00Z` or
/// `2026-03-01T09:15:00.250+01:00`.
fn timestamp(v: &serde_json::Value) -> Option<Timestamp> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => rfc3339(s),
        _ => None,
    }
}

/// RFC 3339 as the policy documents read it.
fn rfc3339(s: &str) -> Option<Timestamp> {
    tokenward::policy::parse_instant(s).ok()
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("2026-01-01T00:00:00Z"), Some(1_767_225_600_000));
        assert_eq!(
            rfc3339("2026-01-01T01:00:00.5+01:00"),
            Some(1_767_225_600_500)
        );
        assert_eq!(rfc3339("2026-13-01T00:00:00Z"), None);
        assert_eq!(rfc3339("yesterday"), None);
    }
}
