//! What a replay prints: `--json` lines and the summary.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde::Serialize;
use tokenward::guard::ActionTaken;
use tokenward::policy::format_instant;
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
        Some((a, b)) => format!(", {} to {}", format_instant(a), format_instant(b)),
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
                format_instant(entry.alert.at),
                entry.line,
                entry.alert.kind.code(),
                entry.alert.severity.code(),
                if actions.is_empty() {
                    "-".to_string()
                } else {
                    actions.join(",")
                },
                entry.alert.explain(),
            )?;
        }
        if (total as usize) > s.timeline.len() {
            writeln!(out, "  ... {} more", total as usize - s.timeline.len())?;
        }
    }
    for (title, state) in [("quarantined", "quarantined"), ("revoked", "revoked")] {
        let mut tokens: Vec<TokenId> = s
            .timeline
            .iter()
            .map(|e| e.alert.token_id)
            .chain(s.stopped_by.keys().copied())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|id| {
                replay
                    .guard()
                    .token(id)
                    .is_some_and(|t| t.state.name() == state)
            })
            .collect();
        tokens.dedup();
        writeln!(out, "\ntokens {title}: {}", tokens.len())?;
        for id in tokens {
            writeln!(out, "  {}", label(replay.guard(), &id))?;
            // What stopped it, so an operator can tell a false alarm from an attack.
            match s.stopped_by.get(&id) {
                Some(e) => {
                    writeln!(
                        out,
                        "    stopped by {} ({}) at {}, line {}: {}",
                        e.alert.kind.code(),
                        e.alert.severity.code(),
                        format_instant(e.alert.at),
                        e.line,
                        e.alert.explain()
                    )?;
                    let after = s.attempts_after_stop.get(&id).copied().unwrap_or(0);
                    writeln!(out, "    requests presented after it was stopped: {after}")?;
                }
                None => writeln!(out, "    stopped by the host, not by a response rule")?,
            }
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
