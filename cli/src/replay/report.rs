//! What a replay prints: `--json` lines and the summary.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;
use tokenward::guard::ActionTaken;
use tokenward::{Alert, Decision, Guard, Reason, Timestamp, TokenId};

use super::engine::{Processed, Replay};

/// One `--json` line.
#[derive(Serialize)]
struct JsonLine<'a> {
    line: u64,
    ts: Timestamp,
    token_id: Option<&'a TokenId>,
    decision: Decision,
    reasons: &'a [Reason],
    alerts: Vec<&'a Alert>,
    actions: Vec<&'a ActionTaken>,
}

/// Writes one `--json` line for a processed request.
pub fn write_json(out: &mut impl Write, number: u64, p: &Processed) -> io::Result<()> {
    let line = JsonLine {
        line: number,
        ts: p.ts,
        token_id: p.verdict.token_id.as_ref(),
        decision: p.verdict.decision,
        reasons: &p.verdict.reasons,
        alerts: p.alerts().collect(),
        actions: p.actions().collect(),
    };
    serde_json::to_writer(&mut *out, &line).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes the human summary.
pub fn write_summary(out: &mut impl Write, source: &str, replay: &Replay) -> io::Result<()> {
    let s = replay.summary();
    let span = match s.span {
        Some((a, b)) => format!(", {} to {}", rfc3339(a), rfc3339(b)),
        None => String::new(),
    };
    writeln!(
        out,
        "replayed {} requests from {source}{span}; {} malformed lines skipped",
        s.requests, s.malformed
    )?;
    writeln!(out, "\ndecisions")?;
    writeln!(out, "  allow  {:>8}", s.allowed)?;
    writeln!(out, "  deny   {:>8}", s.denied)?;
    if !s.reasons.is_empty() {
        writeln!(out, "\ndeny reasons")?;
        let width = s.reasons.keys().map(|r| r.code().len()).max().unwrap_or(0);
        for (reason, n) in &s.reasons {
            writeln!(out, "  {:<width$}  {n:>8}", reason.code())?;
        }
    }
    let total: u64 = s.alerts.values().sum();
    writeln!(out, "\nalerts: {total}")?;
    for (kind, n) in &s.alerts {
        writeln!(out, "  {kind:<22} {n:>6}")?;
    }
    if !s.timeline.is_empty() {
        writeln!(out, "\nalert timeline")?;
        let labels: Vec<String> = s
            .timeline
            .iter()
            .map(|e| label(replay.guard(), &e.alert.token_id))
            .collect();
        let width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        for (entry, label) in s.timeline.iter().zip(&labels) {
            let actions: Vec<&str> = entry.actions.iter().map(|a| a.code()).collect();
            writeln!(
                out,
                "  {}  line {:<7} {label:<width$}  {:<22} {:<8} {:<17} {}",
                rfc3339(entry.alert.at),
                entry.line,
                entry.alert.kind.code(),
                entry.alert.severity.code(),
                if actions.is_empty() {
                    "-".to_string()
                } else {
                    actions.join(",")
                },
                serde_json::to_string(&entry.alert.evidence).unwrap_or_default(),
            )?;
        }
        if (total as usize) > s.timeline.len() {
            writeln!(out, "  ... {} more", total as usize - s.timeline.len())?;
        }
    }
    for (title, state) in [("quarantined", "quarantined"), ("revoked", "revoked")] {
        let mut tokens: Vec<String> = s
            .timeline
            .iter()
            .map(|e| e.alert.token_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|id| {
                replay
                    .guard()
                    .token(id)
                    .is_some_and(|t| t.state.name() == state)
            })
            .map(|id| label(replay.guard(), &id))
            .collect();
        tokens.dedup();
        writeln!(out, "\ntokens {title}: {}", tokens.len())?;
        for t in tokens {
            writeln!(out, "  {t}")?;
        }
    }
    Ok(())
}

/// A token as reports show it: its short id and owner/service, never the raw token.
fn label(guard: &Guard, id: &TokenId) -> String {
    let info = guard.token(id);
    let who = info
        .map(|t| match (t.owner, t.service) {
            (Some(o), Some(s)) => format!("{o}/{s}"),
            (Some(o), None) => o,
            (None, Some(s)) => s,
            (None, None) => "-".into(),
        })
        .unwrap_or_else(|| "unknown".into());
    format!("{} {who}", id.short())
}

/// Unix ms as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339(ms: Timestamp) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000 + 3_723_000), "2000-02-29T01:02:03Z");
        assert_eq!(rfc3339(-1000), "1969-12-31T23:59:59Z");
    }
}
