//! The replay loop: a Guard fed one traffic line at a time, and the counts it gathers.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use tokenward::guard::{Action, ActionTaken, Reaction};
use tokenward::{Alert, Decision, Guard, Reason, Request, Timestamp, TokenId, TokenKey, Verdict};

use super::config::{ReplayConfig, TokenEntry};
use super::traffic::{json_reason, Line};

/// How often (in traffic time) the usage state of idle tokens is evicted.
const EVICT_EVERY_MS: i64 = 3_600_000;

/// What one traffic line produced.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The request's time.
    pub ts: Timestamp,
    /// The Guard's verdict (with the alerts and actions of the check).
    pub verdict: Verdict,
    /// What the response status raised, if the line had one.
    pub outcome: Reaction,
}

impl Processed {
    /// Every alert: the check's, then the outcome's.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.verdict.alerts.iter().chain(&self.outcome.alerts)
    }

    /// Every action taken.
    pub fn actions(&self) -> impl Iterator<Item = &ActionTaken> {
        self.verdict.actions.iter().chain(&self.outcome.actions)
    }
}

/// One alert in the summary's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// Traffic line number.
    pub line: u64,
    /// The alert.
    pub alert: Alert,
    /// What the rules did about it.
    pub actions: Vec<Action>,
}

/// Counts gathered over a replay.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Requests checked.
    pub requests: u64,
    /// Lines skipped as malformed.
    pub malformed: u64,
    /// Allowed requests.
    pub allowed: u64,
    /// Denied requests.
    pub denied: u64,
    /// Denials per reason (a request may have several).
    pub reasons: BTreeMap<Reason, u64>,
    /// Alerts in order (up to `MAX_TIMELINE`, then counted only).
    pub timeline: Vec<TimelineEntry>,
    /// Alerts per kind.
    pub alerts: BTreeMap<&'static str, u64>,
    /// First and last request time.
    pub span: Option<(Timestamp, Timestamp)>,
    /// Per token a response rule quarantined or revoked: the alert that stopped it.
    pub stopped_by: BTreeMap<TokenId, TimelineEntry>,
    /// Per stopped token: requests presented after it was stopped.
    pub attempts_after_stop: BTreeMap<TokenId, u64>,
}

/// Alerts kept for the timeline; later ones are counted only, so memory stays bounded.
pub const MAX_TIMELINE: usize = 10_000;

/// A Guard with the config's tokens, fed traffic lines one at a time.
pub struct Replay {
    guard: Guard,
    /// Tokens waiting to be registered at the first request's time.
    pending: Vec<TokenEntry>,
    next_evict: Timestamp,
    summary: Summary,
}

impl fmt::Debug for Replay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replay")
            .field("guard", &self.guard)
            .finish_non_exhaustive()
    }
}

impl Replay {
    /// A Guard built from the config with `key`. Tokens are registered at their `issued_at`,
    /// or at the first request's time.
    pub fn new(config: &ReplayConfig, key: TokenKey) -> Result<Replay, String> {
        // Registration waits for the first request's time; a trial run on a scratch Guard
        // reports a token's bad policy now, as a config error.
        let trial = Guard::with_config(TokenKey::new(b"trial"), &config.guard)
            .map_err(|e| e.to_string())?;
        for (i, entry) in config.tokens.iter().enumerate() {
            trial
                .register(&entry.token, &entry.meta, 0)
                .map_err(|e| format!("tokens[{i}]: {e}"))?;
        }
        let guard = Guard::with_config(key, &config.guard).map_err(|e| e.to_string())?;
        Ok(Replay {
            guard,
            pending: config.tokens.clone(),
            next_evict: Timestamp::MIN,
            summary: Summary::default(),
        })
    }

    /// The Guard.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Counts so far.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    fn register_pending(&mut self, now: Timestamp) -> Result<(), String> {
        for (i, entry) in std::mem::take(&mut self.pending).into_iter().enumerate() {
            let at = entry.meta.issued_at.unwrap_or(now).min(now);
            self.guard
                .register(&entry.token, &entry.meta, at)
                .map_err(|e| format!("tokens[{i}]: {e}"))?;
        }
        // Registration events are not what a replay reports.
        self.guard.drain_events();
        Ok(())
    }

    /// Counts a line that was skipped before it could be parsed (too long to read).
    pub fn skip_malformed(&mut self) {
        self.summary.malformed += 1;
    }

    /// Checks one traffic line (`number` counts from 1) and records its status. A malformed
    /// line returns why, and changes nothing but the malformed count.
    pub fn process(&mut self, number: u64, bytes: &[u8]) -> Result<Processed, String> {
        let result = self.process_inner(number, bytes);
        if result.is_err() {
            self.summary.malformed += 1;
        }
        result
    }

    fn process_inner(&mut self, number: u64, bytes: &[u8]) -> Result<Processed, String> {
        // One UTF-8 check for the line, rather than one per string field.
        let text = std::str::from_utf8(bytes)
            .map_err(|e| format!("not UTF-8 (invalid byte at column {})", e.valid_up_to() + 1))?;
        let line: Line = serde_json::from_str(text).map_err(|e| json_reason(&e))?;
        let ip = match line.ip.as_deref() {
            None => None,
            Some(text) => Some(
                text.parse::<IpAddr>()
                    .map_err(|_| "ip: not an IP address".to_string())?,
            ),
        };
        if !self.pending.is_empty() {
            self.register_pending(line.ts)?;
        }
        let now = line.ts;
        if now >= self.next_evict {
            if let Some(usage) = self.guard.usage() {
                usage.evict_idle(now);
            }
            self.next_evict = now.saturating_add(EVICT_EVERY_MS);
        }
        let request = Request {
            token: line.token.as_bytes(),
            ip,
            country: line.country.as_deref(),
            method: line.method.as_deref(),
            path: line.path.as_deref(),
            subject: line.subject.as_deref(),
            device: line.device.as_deref(),
            environment: line.environment.as_deref(),
            user_agent: line.user_agent.as_deref(),
            location: line.lat.zip(line.lon),
        };
        let verdict = self.guard.check(&request, now);
        // As the middlewares do: a request the guard refused never reached the app, so the
        // status the traffic recorded for it is not an outcome of this deployment.
        let admitted = verdict.decision == Decision::Allow;
        let outcome = match (line.status, verdict.token_id) {
            (Some(status), Some(id)) if admitted => self.guard.record_outcome(&id, status, now),
            _ => Reaction::default(),
        };
        let processed = Processed {
            ts: now,
            verdict,
            outcome,
        };
        self.count(number, &processed);
        Ok(processed)
    }

    fn count(&mut self, number: u64, p: &Processed) {
        let s = &mut self.summary;
        s.requests += 1;
        s.span = Some(match s.span {
            None => (p.ts, p.ts),
            Some((a, b)) => (a.min(p.ts), b.max(p.ts)),
        });
        match p.verdict.decision {
            Decision::Allow => s.allowed += 1,
            Decision::Deny => s.denied += 1,
        }
        for reason in &p.verdict.reasons {
            *s.reasons.entry(*reason).or_default() += 1;
        }
        let stopped_before = p.verdict.alerts.is_empty()
            && p.verdict
                .reasons
                .iter()
                .any(|r| matches!(r, Reason::Quarantined | Reason::Revoked));
        if let (true, Some(id)) = (stopped_before, p.verdict.token_id) {
            if s.stopped_by.contains_key(&id) {
                *s.attempts_after_stop.entry(id).or_default() += 1;
            }
        }
        for alert in p.alerts() {
            let stops = p.actions().any(|a| {
                a.on == alert.kind && matches!(a.action, Action::Quarantine | Action::Revoke)
            });
            if stops && !s.stopped_by.contains_key(&alert.token_id) {
                let actions = p
                    .actions()
                    .filter(|a| a.on == alert.kind)
                    .map(|a| a.action)
                    .collect();
                s.stopped_by.insert(
                    alert.token_id,
                    TimelineEntry {
                        line: number,
                        alert: alert.clone(),
                        actions,
                    },
                );
            }
        }
        for alert in p.alerts() {
            *s.alerts.entry(alert.kind.code()).or_default() += 1;
            if s.timeline.len() < MAX_TIMELINE {
                let actions = p
                    .actions()
                    .filter(|a| a.on == alert.kind)
                    .map(|a| a.action)
                    .collect();
                s.timeline.push(TimelineEntry {
                    line: number,
                    alert: alert.clone(),
                    actions,
                });
            }
        }
    }
}
