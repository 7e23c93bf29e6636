//! What a token is under suspicion of: the kinds whose evidence holds on the current request
//! although their alert is cooling down, and the context (country, wide network, agent
//! family) an alert pointed at, held for `hold_secs` so the host can refuse the suspicious
//! requests while the owner's own keep working.
//!
//! This state is short-lived by design and is not part of snapshots: a restored tracker
//! starts without suspicions, as after the hold ran out.

use super::alert::{AlertKind, Severity};
use crate::Timestamp;

/// Kinds as a bit set, by [`AlertKind::index`].
pub(crate) type KindSet = u16;

pub(crate) const fn bit(kind: AlertKind) -> KindSet {
    1 << kind.index()
}

fn severity_from(code: u8) -> Severity {
    match code {
        0 => Severity::Low,
        1 => Severity::Medium,
        2 => Severity::High,
        _ => Severity::Critical,
    }
}

/// The context an alert pointed at. Zero fields match nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Context {
    pub country: u16,
    pub wide: u32,
    pub agent: u32,
}

/// A context under suspicion, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Suspect {
    pub context: Context,
    /// The kinds whose alerts pointed at it.
    pub kinds: KindSet,
    pub until: Timestamp,
}

/// The transient part of a token's usage state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hold {
    /// Kinds held on the request being observed (reset for each request).
    pub held: KindSet,
    /// Severity of each kind's last alert (`Severity as u8`), for held kinds.
    pub severity: [u8; 10],
    /// The context under suspicion, if any.
    pub suspect: Option<Suspect>,
    /// Countries first used after learning, and when: not yet established places. A few, so
    /// that a second new country does not make the first one established.
    pub fresh: [(u16, Timestamp); FRESH_COUNTRIES],
    /// The path of the last request observed, and the last distinct paths that got an
    /// error: a client retrying one URL is not probing.
    pub last_path: u32,
    /// Whether a request was observed since the last error. An error with none before it
    /// answers a request that was in flight beside the last one: its path is not known.
    pub observed_since_error: bool,
    /// Errors whose path was not known so far: each stands for a path of its own.
    pub unknown_paths: u32,
    pub error_paths: [u32; ERROR_PATHS],
    /// The last error status of each of `error_paths` (as in `error_statuses`).
    pub error_path_statuses: [u8; ERROR_PATHS],
    /// The statuses of the last `ERROR_STATUSES` errors that were not retries (the same status
    /// again on a path among `error_paths`): 1 for 401, 2 for 403, 3 for 404, 0 for none yet;
    /// newest first.
    pub error_statuses: [u8; ERROR_STATUSES],
    /// When the last error came: errors further apart than the burst span are not one burst.
    pub last_error: Timestamp,
    /// Whether the token's last `endpoint_out_of_scope` alert was a scan's (a probe for
    /// hidden configuration, or a burst of never-seen routes) rather than a declared-scope
    /// mismatch: while it cools down, further never-seen routes are held too.
    pub scan_alerted: bool,
}

/// Distinct errored paths remembered.
pub(crate) const ERROR_PATHS: usize = 8;

/// Countries first used after learning remembered as fresh.
const FRESH_COUNTRIES: usize = 4;

/// Error statuses remembered.
const ERROR_STATUSES: usize = 8;

// Suspicion is transient and not snapshotted: two states equal in everything lasting are equal.
impl PartialEq for Hold {
    fn eq(&self, _: &Hold) -> bool {
        true
    }
}

impl Hold {
    pub fn set_severity(&mut self, kind: AlertKind, severity: Severity) {
        self.severity[kind.index()] = severity as u8;
    }

    /// Suspects `context` for `kind` until `until`. Alerts that point at the same place (one
    /// country or wide network in common) join one suspicion, which matches on any of their
    /// fields.
    pub fn suspect(&mut self, kind: AlertKind, context: Context, until: Timestamp) {
        let same = |a: u32, b: u32| a != 0 && a == b;
        match &mut self.suspect {
            Some(s)
                if same(u32::from(s.context.country), u32::from(context.country))
                    || same(s.context.wide, context.wide)
                    || s.context == context =>
            {
                s.kinds |= bit(kind);
                s.until = s.until.max(until);
                let c = &mut s.context;
                c.country = if c.country == 0 {
                    context.country
                } else {
                    c.country
                };
                c.wide = if c.wide == 0 { context.wide } else { c.wide };
                c.agent = if c.agent == 0 { context.agent } else { c.agent };
            }
            slot => {
                *slot = Some(Suspect {
                    context,
                    kinds: bit(kind),
                    until,
                })
            }
        }
    }

    /// Remembers `country` as first used at `now` (in place of the longest-known fresh one).
    pub fn fresh_country(&mut self, country: u16, now: Timestamp) {
        if let Some(oldest) = self.fresh.iter_mut().min_by_key(|(_, since)| *since) {
            *oldest = (country, now);
        }
    }

    /// Whether `country` was first used less than `span_ms` before `now`.
    pub fn is_fresh(&self, country: u16, now: Timestamp, span_ms: i64) -> bool {
        self.fresh
            .iter()
            .any(|&(c, since)| c == country && c != 0 && now.saturating_sub(since) < span_ms)
    }

    /// Remembers that the last observed path got an error with `status` (401, 403 or 404) at
    /// `now`; what the errors before showed is forgotten when they are more than `span_ms` old.
    pub fn errored(&mut self, status: u16, now: Timestamp, span_ms: i64) {
        if now.saturating_sub(self.last_error) > span_ms {
            self.error_statuses = [0; ERROR_STATUSES];
            self.error_paths = [0; ERROR_PATHS];
            self.error_path_statuses = [0; ERROR_PATHS];
        }
        self.last_error = now;
        let code = match status {
            401 => 1,
            403 => 2,
            _ => 3,
        };
        // The outcome is filed under the token's last request, which is the request it
        // answers when the client sends one at a time. With several in flight, the answers
        // after the first belong to other requests: taken as the last path's, a probe's
        // errors would look like retries of one URL. Each counts as a path of its own (an
        // honest storm still gives one status, which is no mix).
        let path = if std::mem::take(&mut self.observed_since_error) {
            self.last_path
        } else {
            self.unknown_paths = self.unknown_paths.wrapping_add(1);
            // Requests' path keys leave the top bit clear: these stay apart from them and
            // from 0.
            self.unknown_paths | 0x8000_0000
        };
        match self.error_paths.iter().position(|&p| p == path) {
            // A retry answered as before says nothing new about the mix: a client retrying
            // two broken calls is not a probe meeting 401 and 404.
            Some(i) if self.error_path_statuses[i] == code => return,
            Some(i) => self.error_path_statuses[i] = code,
            None => {
                self.error_paths.rotate_right(1);
                self.error_paths[0] = path;
                self.error_path_statuses.rotate_right(1);
                self.error_path_statuses[0] = code;
            }
        }
        self.error_statuses.rotate_right(1);
        self.error_statuses[0] = code;
    }

    /// How many distinct paths got the recent errors (up to `ERROR_PATHS`).
    pub fn error_path_count(&self) -> usize {
        self.error_paths.iter().filter(|p| **p != 0).count()
    }

    /// How many of 401, 403 and 404 came back at least twice among the last errors that were
    /// not retries. One cause gives one status over and over, with at most a stray other
    /// error.
    pub fn repeated_error_statuses(&self) -> usize {
        let mut counts = [0u8; 4];
        for &status in &self.error_statuses {
            counts[usize::from(status)] += 1;
        }
        counts[1..].iter().filter(|&&n| n >= 2).count()
    }

    /// The kinds under whose suspicion a request from `here` falls at `now`.
    pub fn matching(&mut self, here: Context, now: Timestamp) -> KindSet {
        let Some(s) = self.suspect else { return 0 };
        if now >= s.until {
            self.suspect = None;
            return 0;
        }
        let c = s.context;
        let hit = (c.country != 0 && c.country == here.country)
            || (c.wide != 0 && c.wide == here.wide)
            || (c.agent != 0 && c.agent == here.agent);
        if hit {
            s.kinds
        } else {
            0
        }
    }
}

/// Kinds held on one request: alerted before and still cooling down, yet the evidence holds
/// for this request too (the rate is still over the bar, the request comes from the suspected
/// country, network or client, the endpoint is another never seen in a scan). A Guard refuses
/// such requests when a `deny` (or stronger) rule covers the kind at the severity of its
/// last alert; they raise no new alert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Held {
    kinds: KindSet,
    severity: [u8; 10],
    recent: KindSet,
}

impl Held {
    pub(crate) fn new(hold: &Hold, recent: KindSet) -> Held {
        Held {
            kinds: hold.held,
            severity: hold.severity,
            recent,
        }
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.kinds == 0
    }

    /// The held kinds, each with the severity of its last alert.
    pub fn kinds(&self) -> impl Iterator<Item = (AlertKind, Severity)> + '_ {
        AlertKind::ALL
            .into_iter()
            .filter(|k| self.kinds & bit(*k) != 0)
            .map(|k| (k, severity_from(self.severity[k.index()])))
    }

    /// How many distinct kinds the token raised within the last hour, this request's included:
    /// corroboration for response rules with `min_kinds`.
    pub fn recent_kinds(&self) -> u32 {
        self.recent.count_ones()
    }
}
