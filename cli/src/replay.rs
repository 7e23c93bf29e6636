//! `tokenward replay`: run recorded traffic through a Guard and report what it decided.
//!
//! This file is also the `tokenward_cli` library, so the benchmark replays traffic with the
//! very loop the command runs ([`Replay::process`]).
//!
//! A replay config is a Guard config (policies, `[usage]`, `[[respond]]`; see
//! `tokenward::GuardConfig`) plus `[[tokens]]`: the tokens to register before the first
//! request, each with its raw value (hashed at load, never kept or printed) and metadata.
//! Traffic is JSON lines, one request each:
//!
//! ```text
//! {"ts": "2026-01-05T09:00:00Z" | 1767603600000, "token": "...", "ip": "203.0.113.9",
//!  "country": "DE", "method": "GET", "path": "/v1/orders/7", "user_agent": "...",
//!  "subject": "...", "device": "...", "environment": "...", "status": 200, "lat": 52.5, "lon": 13.4}
//! ```
//!
//! All but `ts` and `token` are optional; other fields are ignored. `status` is fed to
//! `Guard::record_outcome` after the check.
//!
//! ```
//! use tokenward_cli::{Replay, ReplayConfig};
//!
//! let config = ReplayConfig::parse(r#"
//!     [usage]
//!     [[tokens]]
//!     token = "tw_example_token_0001"
//!     owner = "billing"
//! "#, None).unwrap();
//! let mut replay = Replay::new(&config, tokenward::TokenKey::new(b"k")).unwrap();
//! let line = br#"{"ts": 1767603600000, "token": "tw_example_token_0001", "ip": "10.0.0.1"}"#;
//! let result = replay.process(1, line).unwrap();
//! assert!(result.verdict.is_allowed());
//! assert_eq!(replay.summary().requests, 1);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize};
use tokenward::guard::{Action, ActionTaken, PolicySpec, Reaction};
use tokenward::{
    Alert, Decision, Guard, GuardConfig, Reason, Request, Timestamp, TokenId, TokenKey, TokenMeta,
    Verdict,
};

/// Longest traffic line read; longer lines are reported and skipped without being buffered.
pub const MAX_LINE: usize = 1 << 20;

/// How often (in traffic time) the usage state of idle tokens is evicted.
const EVICT_EVERY_MS: i64 = 3_600_000;

/// The key token ids are computed with when `--key-env` is not given. Ids printed by a replay
/// are comparable only between replays with the same key.
pub const DEFAULT_KEY: &[u8] = b"tokenward replay key";

/// An error that ends a replay: `what: why`, one line, never holding a raw token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What failed: a path, an option, `stdout`.
    pub what: String,
    /// Why.
    pub why: String,
}

impl Error {
    fn new(what: impl Into<String>, why: impl fmt::Display) -> Error {
        Error {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

impl std::error::Error for Error {}

// ---------------------------------------------------------------------------------------------
// Config

/// A token to register before the replay: its raw value and metadata.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// The raw token as requests present it. Hashed when the replay starts; never printed.
    pub token: String,
    /// Owner.
    #[serde(default)]
    pub owner: Option<String>,
    /// Service.
    #[serde(default)]
    pub service: Option<String>,
    /// Environment.
    #[serde(default)]
    pub environment: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// A policy of the config by name, or an inline policy table.
    #[serde(default)]
    pub policy: Option<PolicySpec>,
    /// Issue time (RFC 3339 or Unix ms; default: the first request's time).
    #[serde(default, deserialize_with = "optional_time")]
    pub issued_at: Option<Timestamp>,
    /// Expiry (RFC 3339 or Unix ms).
    #[serde(default, deserialize_with = "optional_time")]
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for TokenEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenEntry")
            .field(
                "token",
                &format_args!("<{} bytes hidden>", self.token.len()),
            )
            .field("owner", &self.owner)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl TokenEntry {
    fn meta(&self) -> TokenMeta {
        TokenMeta {
            owner: self.owner.clone(),
            service: self.service.clone(),
            environment: self.environment.clone(),
            tags: self.tags.clone(),
            policy: self.policy.clone(),
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        }
    }
}

/// A replay's configuration: the Guard's and the tokens to register.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// The Guard configuration (everything but `tokens`).
    pub guard: GuardConfig,
    /// The tokens to register.
    pub tokens: Vec<TokenEntry>,
}

impl ReplayConfig {
    /// Parses a config: JSON when `json` says so or (when `None`) the text starts with `{`,
    /// TOML otherwise. Errors name the field path and never show a token.
    pub fn parse(text: &str, json: Option<bool>) -> Result<ReplayConfig, String> {
        let json = json.unwrap_or_else(|| text.trim_start().starts_with('{'));
        if json {
            let mut value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| e.to_string())?;
            let tokens = match value.as_object_mut() {
                Some(map) => map.remove("tokens"),
                None => return Err("the config must be a JSON object".into()),
            };
            let guard = GuardConfig::from_json(&value.to_string()).map_err(|e| e.to_string())?;
            let tokens = match tokens {
                None => Vec::new(),
                Some(serde_json::Value::Array(items)) => items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        TokenEntry::deserialize(v).map_err(|e| format!("tokens[{i}]: {e}"))
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("tokens: expected an array of tables".into()),
            };
            return ReplayConfig::checked(guard, tokens);
        }
        let mut table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            match line {
                Some(line) => format!("{} (line {line})", e.message()),
                None => e.message().to_string(),
            }
        })?;
        let tokens = table.remove("tokens");
        let rest = toml::to_string(&table).map_err(|e| e.to_string())?;
        // The rest is parsed again from re-serialized text, whose line numbers are not the
        // file's: keep the field path, drop the line.
        let guard = GuardConfig::from_toml(&rest).map_err(|e| strip_line(&e.to_string()))?;
        let tokens = match tokens {
            None => Vec::new(),
            Some(toml::Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| TokenEntry::deserialize(v).map_err(|e| format!("tokens[{i}]: {e}")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("tokens: expected an array of tables ([[tokens]])".into()),
        };
        ReplayConfig::checked(guard, tokens)
    }

    fn checked(guard: GuardConfig, tokens: Vec<TokenEntry>) -> Result<ReplayConfig, String> {
        let key = TokenKey::new(b"duplicate check");
        let mut seen = std::collections::HashSet::new();
        for (i, t) in tokens.iter().enumerate() {
            let len = t.token.len();
            if len == 0 || len > tokenward::guard::MAX_TOKEN_LEN {
                return Err(format!(
                    "tokens[{i}].token: length {len} is outside 1..=4096"
                ));
            }
            if !seen.insert(key.id(t.token.as_bytes())) {
                return Err(format!("tokens[{i}].token: listed twice"));
            }
        }
        Ok(ReplayConfig { guard, tokens })
    }

    /// Reads and parses a config file (`.json` as JSON, `.toml` as TOML, else by content).
    pub fn load(path: &Path) -> Result<ReplayConfig, Error> {
        let what = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::new(&what, io_reason(&e)))?;
        let text =
            String::from_utf8(bytes).map_err(|_| Error::new(&what, "config is not UTF-8"))?;
        let json = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Some(true),
            Some(e) if e.eq_ignore_ascii_case("toml") => Some(false),
            _ => None,
        };
        ReplayConfig::parse(&text, json).map_err(|why| Error::new(what, why))
    }
}

fn strip_line(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(at) if message.ends_with(')') => message[..at].to_string(),
        _ => message.to_string(),
    }
}

fn io_reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

// ---------------------------------------------------------------------------------------------
// Traffic lines

/// One traffic line, borrowed from the input where it has no escapes.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(deserialize_with = "time")]
    ts: Timestamp,
    #[serde(borrow)]
    token: Text<'a>,
    #[serde(default, borrow)]
    ip: Option<Text<'a>>,
    #[serde(default, borrow)]
    country: Option<Text<'a>>,
    #[serde(default, borrow)]
    method: Option<Text<'a>>,
    #[serde(default, borrow)]
    path: Option<Text<'a>>,
    #[serde(default, borrow)]
    user_agent: Option<Text<'a>>,
    #[serde(default, borrow)]
    subject: Option<Text<'a>>,
    #[serde(default, borrow)]
    device: Option<Text<'a>>,
    #[serde(default, borrow)]
    environment: Option<Text<'a>>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    lat: Option<f64>,
    #[serde(default)]
    lon: Option<f64>,
}

/// A string field: borrowed from the line unless it has escapes. (serde's own `Cow<str>`
/// borrows only as a direct field, not inside `Option`.)
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_string()))
            }
        }
        d.deserialize_str(Visitor).map(Text)
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// A time as Unix ms (a number) or RFC 3339 text.
fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    struct Time;
    impl serde::de::Visitor<'_> for Time {
        type Value = Timestamp;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("Unix milliseconds or an RFC 3339 time")
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Timestamp, E> {
            Ok(v)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Timestamp, E> {
            i64::try_from(v).map_err(|_| E::custom("time out of range"))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Timestamp, E> {
            if v.is_finite() && v.abs() < 9.0e15 {
                Ok(v as i64)
            } else {
                Err(E::custom("time out of range"))
            }
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Timestamp, E> {
            tokenward::policy::parse_instant(v).map_err(E::custom)
        }
    }
    d.deserialize_any(Time)
}

fn optional_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    time(d).map(Some)
}

// ---------------------------------------------------------------------------------------------
// The replay loop

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
                .register(&entry.token, &entry.meta(), 0)
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
            let at = entry.issued_at.unwrap_or(now).min(now);
            self.guard
                .register(&entry.token, &entry.meta(), at)
                .map_err(|e| format!("tokens[{i}]: {e}"))?;
        }
        // Registration events are not what a replay reports.
        self.guard.drain_events();
        Ok(())
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
        let outcome = match (line.status, verdict.token_id) {
            (Some(status), Some(id)) => self.guard.record_outcome(&id, status, now),
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

/// serde_json's message, which quotes no input beyond a short token of it; a line that is
/// not JSON at all may hold anything, so the reason keeps only serde's classification and
/// position.
fn json_reason(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("not JSON ({} at column {})", kind(e), e.column())
        }
        Category::Io => "read error".into(),
        Category::Data => {
            // Data errors name the field and the expected type ("missing field `token`",
            // "invalid type: integer, expected ..."); string values are not echoed by them
            // except for unknown enum variants, which this struct has none of.
            let text = e.to_string();
            match text.rfind(" at line ") {
                Some(at) => text[..at].to_string(),
                None => text,
            }
        }
    }
}

fn kind(e: &serde_json::Error) -> &'static str {
    if e.is_eof() {
        "unexpected end"
    } else {
        "syntax error"
    }
}

// ---------------------------------------------------------------------------------------------
// Output

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
            .collect::<std::collections::BTreeSet<_>>()
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

// ---------------------------------------------------------------------------------------------
// The command

/// The long description shown by `tokenward replay --help`.
pub const LONG_ABOUT: &str = "Replay recorded traffic (JSON lines) through a Guard built from \
    --config, and report its decisions, the usage alerts its detectors raised and what the \
    response rules did.\n\n\
    The config is a Guard config (policies, [usage], [[respond]]) plus [[tokens]] entries: \
    each token's raw value (hashed when loaded, never printed) and metadata (owner, service, \
    environment, tags, policy, issued_at, expires_at). Tokens are shown by their ids.\n\n\
    Traffic lines: {\"ts\": RFC 3339 or Unix ms, \"token\", \"ip\", \"country\", \"method\", \
    \"path\", \"user_agent\", \"subject\", \"device\", \"environment\", \"status\", \"lat\", \
    \"lon\"}; all but ts and token optional. status feeds the Guard's record_outcome. A \
    malformed line is reported on stderr with its number and skipped.";

/// Arguments of `tokenward replay`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
        tokenward replay --config examples/guard.toml examples/traffic.jsonl\n  \
        tokenward replay --config guard.toml --json traffic.jsonl | jq 'select(.alerts != [])'\n  \
        zcat traffic.jsonl.gz | tokenward replay --config guard.toml -")]
pub struct Args {
    /// Guard config plus the tokens to register (TOML, or JSON when .json or starting with '{').
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Traffic file (JSON lines); '-' reads stdin.
    #[arg(value_name = "TRAFFIC")]
    pub traffic: OsString,
    /// Print one JSON line per request (decision, reasons, token id, alerts, actions) instead
    /// of the summary.
    #[arg(long)]
    pub json: bool,
    /// With --json, print only requests that raised an alert or were denied.
    #[arg(long, requires = "json")]
    pub only_flagged: bool,
    /// Read the key token ids are computed with from this environment variable (default: a
    /// fixed replay key).
    #[arg(long, value_name = "VAR")]
    pub key_env: Option<OsString>,
}

/// Runs `tokenward replay`: errors in the config, the key or the input end it (exit 2);
/// malformed lines are reported on stderr and skipped.
pub fn run(args: &Args) -> Result<(), Error> {
    match replay_to_stdout(args) {
        // A reader that stopped early (`| head`) is not an error.
        Err(Stop::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(Stop::Io(e)) => Err(Error::new("stdout", io_reason(&e))),
        Err(Stop::Error(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

/// Why a replay stopped early.
enum Stop {
    Error(Error),
    /// Writing stdout failed.
    Io(io::Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Stop {
        Stop::Error(e)
    }
}

fn replay_to_stdout(args: &Args) -> Result<(), Stop> {
    let key = match &args.key_env {
        None => TokenKey::new(DEFAULT_KEY),
        Some(var) => {
            let name = var.to_string_lossy().to_string();
            let value = std::env::var_os(var)
                .ok_or_else(|| Error::new("--key-env", format!("{name} is not set")))?;
            if value.is_empty() {
                return Err(Error::new("--key-env", format!("{name} is empty")).into());
            }
            TokenKey::new(value.as_encoded_bytes())
        }
    };
    let config = ReplayConfig::load(&args.config)?;
    let what = args.config.display().to_string();
    let mut replay = Replay::new(&config, key).map_err(|why| Error::new(what, why))?;
    let source = if args.traffic == "-" {
        "stdin".to_string()
    } else {
        Path::new(&args.traffic).display().to_string()
    };
    let input: Box<dyn BufRead> = if args.traffic == "-" {
        Box::new(io::BufReader::with_capacity(1 << 16, io::stdin().lock()))
    } else {
        let file =
            std::fs::File::open(&args.traffic).map_err(|e| Error::new(&source, io_reason(&e)))?;
        Box::new(io::BufReader::with_capacity(1 << 16, file))
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut lines = Lines::new(input);
    let mut number = 0u64;
    while let Some(line) = lines
        .next_line()
        .map_err(|e| Error::new(&source, io_reason(&e)))?
    {
        number += 1;
        let bytes = match line {
            Some(bytes) => bytes,
            None => {
                replay.summary.malformed += 1;
                eprintln!("tokenward: {source}:{number}: skipped: longer than {MAX_LINE} bytes");
                continue;
            }
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match replay.process(number, bytes) {
            Ok(processed) => {
                let flagged =
                    !processed.verdict.is_allowed() || processed.alerts().next().is_some();
                if args.json && (flagged || !args.only_flagged) {
                    write_json(&mut out, number, &processed).map_err(Stop::Io)?;
                }
            }
            Err(why) => eprintln!("tokenward: {source}:{number}: skipped: {why}"),
        }
    }
    if !args.json {
        write_summary(&mut out, &source, &replay).map_err(Stop::Io)?;
    }
    out.flush().map_err(Stop::Io)
}

/// Lines of a reader, each at most [`MAX_LINE`] bytes; a longer line is consumed without
/// being buffered and returned as `None`.
struct Lines<R> {
    reader: R,
    buffer: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            buffer: Vec::with_capacity(4096),
        }
    }

    /// The next line without its newline: `Ok(None)` at the end, `Ok(Some(None))` for an
    /// overlong line.
    #[allow(clippy::type_complexity)]
    fn next_line(&mut self) -> io::Result<Option<Option<&[u8]>>> {
        self.buffer.clear();
        let limit = MAX_LINE as u64 + 1;
        let n = io::Read::by_ref(&mut self.reader)
            .take(limit)
            .read_until(b'\n', &mut self.buffer)?;
        if n == 0 {
            return Ok(None);
        }
        if self.buffer.last() == Some(&b'\n') {
            self.buffer.pop();
            if self.buffer.last() == Some(&b'\r') {
                self.buffer.pop();
            }
            return Ok(Some(Some(&self.buffer)));
        }
        if self.buffer.len() <= MAX_LINE {
            return Ok(Some(Some(&self.buffer))); // the last line, without a newline
        }
        // Overlong: skip to the end of the line.
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                break;
            }
            match memchr_newline(available) {
                Some(at) => {
                    self.reader.consume(at + 1);
                    break;
                }
                None => {
                    let n = available.len();
                    self.reader.consume(n);
                }
            }
        }
        self.buffer.clear();
        Ok(Some(None))
    }
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
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

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(MAX_LINE + 10);
        let input = format!("a\r\n{long}\nb");
        let mut lines = Lines::new(io::Cursor::new(input.into_bytes()));
        assert_eq!(lines.next_line().unwrap(), Some(Some(&b"a"[..])));
        assert_eq!(lines.next_line().unwrap(), Some(None));
        assert_eq!(lines.next_line().unwrap(), Some(Some(&b"b"[..])));
        assert_eq!(lines.next_line().unwrap(), None);
    }

    #[test]
    fn config_errors_name_the_field_and_hide_tokens() {
        let e = ReplayConfig::parse("[[tokens]]\ntoken = \"tw_secret_value\"\nowner = 3", None)
            .unwrap_err();
        assert!(e.starts_with("tokens[0]: invalid type: integer `3`"), "{e}");
        assert!(!e.contains("tw_secret_value"));
        let e = ReplayConfig::parse("[[tokens]]\ntoken = \"a\"\n[[tokens]]\ntoken = \"a\"", None)
            .unwrap_err();
        assert_eq!(e, "tokens[1].token: listed twice");
        let e =
            ReplayConfig::parse("[policies.x]\nallow_ips = [\"10.0.0.0/33\"]", None).unwrap_err();
        assert_eq!(
            e,
            "policies.x.allow_ips[0]: invalid CIDR \"10.0.0.0/33\": prefix length above 32"
        );
        let e =
            ReplayConfig::parse(r#"{"tokens": [{"token": "t", "colour": 1}]}"#, None).unwrap_err();
        assert!(e.contains("tokens[0]: unknown field `colour`"), "{e}");
        let c = ReplayConfig::parse(
            "[[tokens]]\ntoken = \"t\"\nissued_at = \"2026-01-01T00:00:00Z\"",
            None,
        )
        .unwrap();
        assert_eq!(c.tokens[0].issued_at, Some(1_767_225_600_000));
        assert!(!format!("{c:?}").contains("\"t\""));
    }
}
