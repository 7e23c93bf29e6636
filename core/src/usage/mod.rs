//! Usage statistics and anomaly detection per token.
//!
//! A [`UsageTracker`] keeps, for every token it sees, sliding-window counts at two resolutions
//! (requests, denials, 401/403/404 errors), distinct IPs, countries, user agents and endpoints
//! (exact while small, a HyperLogLog sketch past a cap), what the token normally does (learned
//! countries, networks, agents, endpoints; an EWMA of its rate; decaying peaks), and its last
//! use and place. Each [`observe`](UsageTracker::observe) updates that state and runs the
//! detectors, which return [`Alert`]s: rate spike, IP fan-out, new country / network / user
//! agent, endpoint outside the learned or declared scope, dormant wake-up, impossible travel,
//! error bursts and repeated denials.
//!
//! The tracker does no I/O and reads no clock: every call takes `now`, a [`Timestamp`] in Unix
//! ms. It is `Send + Sync`; state is split into shards behind `parking_lot` mutexes so many
//! threads observe at once. Memory is bounded: under 2 KiB per tracked token whatever the
//! traffic, idle tokens shrink to a 24-byte last-use record, and a global cap evicts the least
//! recently used.
//!
//! ```
//! use tokenward::usage::{AlertKind, Observation, UsageConfig, UsageTracker};
//! use tokenward::TokenKey;
//!
//! let tracker = UsageTracker::new(UsageConfig::default()).unwrap();
//! let id = TokenKey::new(b"host key").id(b"tw_live_token");
//! let day = 86_400_000;
//!
//! // A week of ordinary use from Germany.
//! for i in 0..200 {
//!     let obs = Observation {
//!         ip: Some("198.51.100.7".parse().unwrap()),
//!         country: Some("DE"),
//!         user_agent: Some("deploy-bot/1.4"),
//!         method: Some("GET"),
//!         path: Some("/v1/builds"),
//!         ..Observation::default()
//!     };
//!     assert!(tracker.observe(id, &obs, i * day / 30).is_empty());
//! }
//!
//! // Ten minutes later, from Brazil with a different client.
//! let obs = Observation {
//!     ip: Some("203.0.113.9".parse().unwrap()),
//!     country: Some("BR"),
//!     user_agent: Some("python-requests/2.31"),
//!     method: Some("GET"),
//!     path: Some("/v1/builds"),
//!     ..Observation::default()
//! };
//! let alerts = tracker.observe(id, &obs, 200 * day / 30 + 600_000);
//! let kinds: Vec<AlertKind> = alerts.iter().map(|a| a.kind).collect();
//! assert!(kinds.contains(&AlertKind::NewCountry));
//! assert!(kinds.contains(&AlertKind::ImpossibleTravel));
//!
//! let stats = tracker.stats(id, 200 * day / 30 + 600_000).unwrap();
//! assert_eq!(stats.total_requests, 201);
//! ```

mod alert;
mod baseline;
mod config;
mod detect;
mod distinct;
mod geo;
mod hashing;
mod state;
mod window;

use std::fmt;
use std::net::IpAddr;

use hashbrown::HashMap;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

pub use alert::{Alert, AlertKind, Evidence, Severity};
pub use config::{
    DenialsConfig, DetectorsConfig, DormantConfig, EndpointConfig, ErrorBurstConfig,
    IpFanoutConfig, NewCountryConfig, NewNetworkConfig, NewUserAgentConfig, RateSpikeConfig,
    TravelConfig, UsageConfig, WindowSpec,
};

use alert::token_id_serde;
use distinct::{KnownSet, RecentDistinct};
use state::{Ctx, Derived, Place, TokenUsage};
use window::Counts;

use crate::{Error, Timestamp, TokenId};

/// What the host knows about one request, borrowed from it. Everything is optional.
///
/// Debug output shows the path with its query string dropped and identifiers collapsed, so a
/// secret in a URL never reaches a log through it.
#[derive(Clone, Copy, Default)]
pub struct Observation<'a> {
    /// Client IP.
    pub ip: Option<IpAddr>,
    /// ISO 3166-1 alpha-2 country of the client (other values are ignored).
    pub country: Option<&'a str>,
    /// The User-Agent header.
    pub user_agent: Option<&'a str>,
    /// HTTP method (or any verb).
    pub method: Option<&'a str>,
    /// Request path; the query string is ignored. The Guard passes the canonical path
    /// ([`canonical_path`](crate::policy::canonical_path)), and `/{invalid-path}` for one that
    /// has none, so every spelling of an endpoint counts as that endpoint and a refused path
    /// cannot pass for a known one.
    pub path: Option<&'a str>,
    /// Client latitude and longitude in degrees, when the host geolocates precisely.
    pub location: Option<(f64, f64)>,
    /// The guard denied this request.
    pub denied: bool,
    /// `Some(false)` when the request fell outside the token's declared scope; `None` when the
    /// token declares none.
    pub declared_scope_match: Option<bool>,
}

impl fmt::Debug for Observation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Observation")
            .field("ip", &self.ip)
            .field("country", &self.country)
            .field("user_agent", &self.user_agent.map(|a| hashing::clip(a, 80)))
            .field(
                "endpoint",
                &self.path.map(|p| hashing::endpoint_text(self.method, p)),
            )
            .field("location", &self.location)
            .field("denied", &self.denied)
            .field("declared_scope_match", &self.declared_scope_match)
            .finish()
    }
}

/// Counts in a window, or in one of its buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCounts {
    /// Requests observed.
    pub requests: u64,
    /// Requests the guard denied.
    pub denials: u64,
    /// 401/403/404 responses.
    pub errors: u64,
}

/// One window in a [`UsageStats`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Width of a bucket in seconds.
    pub bucket_secs: u64,
    /// Counts per bucket, oldest first; the last is the current bucket.
    pub buckets: Vec<WindowCounts>,
    /// Sum over the window.
    pub total: WindowCounts,
}

/// Distinct values in the distinct window (the current and previous distinct period).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctStats {
    /// The window's maximum length in seconds (two distinct periods).
    pub window_secs: u64,
    /// Distinct client IPs (exact up to `distinct_cap`, estimated past it).
    pub ips: u64,
    /// Distinct countries.
    pub countries: u64,
    /// Distinct user agent families (digits ignored).
    pub user_agents: u64,
    /// Distinct endpoints (method and path, identifiers collapsed).
    pub endpoints: u64,
}

/// What the token is known to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownStats {
    /// Countries, ISO alpha-2, sorted.
    pub countries: Vec<String>,
    /// Number of wide networks (/16 IPv4, /32 IPv6).
    pub networks: usize,
    /// Number of user agent families.
    pub user_agents: usize,
    /// Number of endpoints.
    pub endpoints: usize,
    /// Dimensions that overflowed their set: novelty there is not reported.
    pub saturated: Vec<String>,
}

/// The token's learned rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineStats {
    /// EWMA of requests per minute.
    pub requests_per_min: f64,
    /// EWMA of 401/403/404 errors per minute.
    pub errors_per_min: f64,
    /// Learned (decaying) peak of requests per minute in one fine bucket.
    pub peak_requests_per_min: f64,
    /// Learned (decaying) peak of the rate over 16 consecutive requests, per minute.
    pub peak_burst_per_min: f64,
    /// Learned (decaying) peak of distinct IPs in the distinct window.
    pub peak_distinct_ips: f64,
}

/// A snapshot of one token's usage, from [`UsageTracker::stats`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageStats {
    /// The token.
    #[serde(with = "token_id_serde")]
    pub token_id: TokenId,
    /// First use this tracker knows of.
    pub first_seen: Timestamp,
    /// Last use.
    pub last_seen: Timestamp,
    /// Requests since first use.
    pub total_requests: u64,
    /// The learning period is over and novelty detectors are live.
    pub learned: bool,
    /// The fine window.
    pub fine: WindowStats,
    /// The coarse window.
    pub coarse: WindowStats,
    /// Distinct values in the distinct window.
    pub distinct: DistinctStats,
    /// What the token is known to use.
    pub known: KnownStats,
    /// Learned rates.
    pub baseline: BaselineStats,
}

/// What [`UsageTracker::evict_idle`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Eviction {
    /// Tokens whose full state was dropped (a last-use record remains).
    pub evicted: usize,
    /// Last-use records dropped.
    pub forgotten: usize,
}

const SHARDS: usize = 64;

#[derive(Default)]
struct Shard {
    live: HashMap<TokenId, Box<TokenUsage>>,
    /// Last use of tokens whose full state was evicted.
    dormant: HashMap<TokenId, Timestamp>,
}

/// Per-token usage statistics and anomaly detectors for many tokens. See the [module
/// documentation](self).
pub struct UsageTracker {
    config: UsageConfig,
    derived: Derived,
    shards: Box<[Mutex<Shard>]>,
    live_per_shard: usize,
    dormant_per_shard: usize,
}

impl fmt::Debug for UsageTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageTracker")
            .field("tokens", &self.len())
            .finish_non_exhaustive()
    }
}

impl UsageTracker {
    /// A tracker with a validated config.
    pub fn new(config: UsageConfig) -> Result<UsageTracker, Error> {
        config.validate()?;
        let per = |total: usize| total.div_ceil(SHARDS).max(1);
        Ok(UsageTracker {
            derived: Derived::new(&config),
            live_per_shard: per(config.max_tokens),
            dormant_per_shard: per(config.max_dormant_records),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            config,
        })
    }

    /// The config in force.
    pub fn config(&self) -> &UsageConfig {
        &self.config
    }

    fn shard(&self, id: &TokenId) -> &Mutex<Shard> {
        // Token ids are keyed hashes: their bytes are already uniform.
        &self.shards[id.as_bytes()[15] as usize % SHARDS]
    }

    fn ctx(&self, id: TokenId, now: Timestamp) -> Ctx<'_> {
        Ctx {
            config: &self.config,
            derived: &self.derived,
            id,
            now,
        }
    }

    /// Records one request of token `id` at `now` and returns the alerts it raised (usually
    /// none; the empty vector does not allocate).
    pub fn observe(&self, id: TokenId, obs: &Observation, now: Timestamp) -> Vec<Alert> {
        let ctx = self.ctx(id, now);
        let mut out = Vec::new();
        let mut guard = self.shard(&id).lock();
        let shard = &mut *guard;
        if let Some(state) = shard.live.get_mut(&id) {
            state.observe(&ctx, obs, &mut out);
            return out;
        }
        let revived_from = self.admit(shard, id, now);
        if let Some(state) = shard.live.get_mut(&id) {
            state.observe(&ctx, obs, &mut out);
            if let Some(last) = revived_from {
                state.check_dormant(&ctx, last, &mut out);
            }
        }
        out
    }

    /// Makes room for and inserts fresh state for `id`; returns its last use if it had a
    /// last-use record.
    fn admit(&self, shard: &mut Shard, id: TokenId, now: Timestamp) -> Option<Timestamp> {
        if shard.live.len() >= self.live_per_shard {
            self.evict_oldest(shard);
        }
        let revived = shard.dormant.remove(&id);
        let state = TokenUsage::new(&self.config, &self.derived, now);
        shard.live.insert(id, Box::new(state));
        revived
    }

    /// Evicts the least recently used eighth of a full shard (at least one token), so the
    /// scan is paid once per many insertions.
    fn evict_oldest(&self, shard: &mut Shard) {
        let mut ages: Vec<Timestamp> = shard.live.values().map(|s| s.last_seen).collect();
        let n = (ages.len() / 8).max(1);
        let (_, cutoff, _) = ages.select_nth_unstable(n - 1);
        let cutoff = *cutoff;
        let mut removed = 0;
        let mut moved = Vec::new();
        shard.live.retain(|id, s| {
            if removed < n && s.last_seen <= cutoff {
                removed += 1;
                moved.push((*id, s.last_seen));
                false
            } else {
                true
            }
        });
        for (id, last) in moved {
            self.remember(shard, id, last);
        }
    }

    /// Keeps a last-use record, evicting the oldest records when full.
    fn remember(&self, shard: &mut Shard, id: TokenId, last_seen: Timestamp) {
        if shard.dormant.len() >= self.dormant_per_shard {
            let mut ages: Vec<Timestamp> = shard.dormant.values().copied().collect();
            let n = (ages.len() / 8).max(1);
            let (_, cutoff, _) = ages.select_nth_unstable(n - 1);
            let cutoff = *cutoff;
            let mut removed = 0;
            shard.dormant.retain(|_, last| {
                let drop = removed < n && *last <= cutoff;
                removed += usize::from(drop);
                !drop
            });
        }
        shard.dormant.insert(id, last_seen);
    }

    /// Records the response status of a request of token `id`. 401, 403 and 404 count as
    /// errors and may raise an [`AlertKind::ErrorBurst`]; other statuses, and tokens without
    /// usage state, are ignored.
    pub fn record_outcome(&self, id: TokenId, status: u16, now: Timestamp) -> Option<Alert> {
        if !matches!(status, 401 | 403 | 404) {
            return None;
        }
        let ctx = self.ctx(id, now);
        let mut guard = self.shard(&id).lock();
        let state = guard.live.get_mut(&id)?;
        state.advance(&ctx);
        let counts = Counts {
            errors: 1,
            ..Counts::default()
        };
        state.count(now, counts, true, self.derived.fine_ms);
        let learned = state.learned(&ctx);
        state.check_errors(&ctx, learned)
    }

    /// A snapshot of one token's usage as of `now`, or `None` when the tracker holds no state
    /// for it (never seen, or evicted: see [`last_seen`](Self::last_seen)).
    pub fn stats(&self, id: TokenId, now: Timestamp) -> Option<UsageStats> {
        let guard = self.shard(&id).lock();
        let state = guard.live.get(&id)?;
        Some(self.stats_of(id, state, now))
    }

    fn stats_of(&self, id: TokenId, s: &TokenUsage, now: Timestamp) -> UsageStats {
        let ctx = self.ctx(id, now);
        let generation = ctx.generation();
        let window = |w: &window::Window| {
            let buckets: Vec<WindowCounts> = w.series(now).iter().map(|c| c.widen()).collect();
            let mut total = WindowCounts::default();
            for b in &buckets {
                total.requests += b.requests;
                total.denials += b.denials;
                total.errors += b.errors;
            }
            WindowStats {
                bucket_secs: (w.width() / 1000) as u64,
                buckets,
                total,
            }
        };
        let per_min = |v: f32| f64::from(v) * 60_000.0 / self.derived.fine_ms as f64;
        let mut saturated = Vec::new();
        for (name, full) in [
            ("countries", s.known_countries.is_saturated()),
            ("networks", s.known_wide.is_saturated()),
            ("user_agents", s.known_agents.is_saturated()),
            ("endpoints", s.known_endpoints.is_saturated()),
        ] {
            if full {
                saturated.push(name.to_string());
            }
        }
        UsageStats {
            token_id: id,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            total_requests: s.total_requests,
            learned: s.learned(&ctx),
            fine: window(&s.fine),
            coarse: window(&s.coarse),
            distinct: DistinctStats {
                window_secs: self.config.distinct_period_secs * 2,
                ips: s.ips.estimate(generation),
                countries: s.countries.estimate(generation),
                user_agents: s.agents.estimate(generation),
                endpoints: s.endpoints.estimate(generation),
            },
            known: KnownStats {
                countries: {
                    let mut c: Vec<String> = s
                        .known_countries
                        .iter()
                        .map(hashing::country_text)
                        .collect();
                    c.sort();
                    c
                },
                networks: s.known_wide.len(),
                user_agents: s.known_agents.len(),
                endpoints: s.known_endpoints.len(),
                saturated,
            },
            baseline: BaselineStats {
                requests_per_min: per_min(s.baseline.requests),
                errors_per_min: per_min(s.baseline.errors),
                peak_requests_per_min: per_min(s.baseline.peak_bucket),
                peak_burst_per_min: f64::from(s.baseline.peak_burst),
                peak_distinct_ips: f64::from(s.baseline.peak_ips),
            },
        }
    }

    /// The last use of a token, including tokens whose full state was evicted.
    pub fn last_seen(&self, id: TokenId) -> Option<Timestamp> {
        let guard = self.shard(&id).lock();
        guard
            .live
            .get(&id)
            .map(|s| s.last_seen)
            .or_else(|| guard.dormant.get(&id).copied())
    }

    /// Drops the full state of tokens idle for `idle_evict_secs` (keeping their last use, so
    /// a dormant wake-up is still detected) and forgets last uses older than
    /// `forget_after_secs`. Call it now and then (every few minutes is plenty).
    pub fn evict_idle(&self, now: Timestamp) -> Eviction {
        let mut report = Eviction::default();
        for shard in self.shards.iter() {
            let mut guard = shard.lock();
            let shard = &mut *guard;
            let mut moved = Vec::new();
            shard.live.retain(|id, s| {
                let idle = now.saturating_sub(s.last_seen) >= self.derived.idle_evict_ms;
                if idle {
                    moved.push((*id, s.last_seen));
                }
                !idle
            });
            report.evicted += moved.len();
            for (id, last) in moved {
                self.remember(shard, id, last);
            }
            let before = shard.dormant.len();
            shard
                .dormant
                .retain(|_, last| now.saturating_sub(*last) < self.derived.forget_ms);
            report.forgotten += before - shard.dormant.len();
        }
        report
    }

    /// Number of tokens with full usage state.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().live.len()).sum()
    }

    /// Whether no token has usage state.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of last-use records of evicted tokens.
    pub fn dormant_len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().dormant.len()).sum()
    }

    /// Bytes held for usage state (maps, boxed states, windows): what the 2 KiB-per-token bound
    /// is about. Tests check it against a counting allocator.
    pub fn memory_bytes(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock();
                let live_entry = std::mem::size_of::<(TokenId, Box<TokenUsage>)>() + 1;
                let dormant_entry = std::mem::size_of::<(TokenId, Timestamp)>() + 1;
                s.live.capacity() * live_entry
                    + s.dormant.capacity() * dormant_entry
                    + s.live
                        .values()
                        .map(|u| std::mem::size_of::<TokenUsage>() + u.heap_bytes())
                        .sum::<usize>()
            })
            .sum()
    }

    /// Takes this instance's usage since the previous call, for the other instances of a
    /// fleet to [`merge`](Self::merge).
    ///
    /// Semantics: request, denial and error counts are *increments* (each is handed out once,
    /// so merging never counts twice); distinct sketches, learned sets and peaks are *states*
    /// (merged by union and maximum, which is idempotent, so sending them again is harmless).
    /// Only tokens used here since the last delta are included. Needs `track_deltas = true`;
    /// call it at least every few minutes (past 8 pending fine buckets, later counts are
    /// attributed to the newest).
    pub fn delta(&self) -> Result<UsageDelta, Error> {
        if !self.config.track_deltas {
            return Err(Error::Config(
                "usage.track_deltas is off: this tracker keeps no deltas".into(),
            ));
        }
        let mut tokens = Vec::new();
        for shard in self.shards.iter() {
            let mut guard = shard.lock();
            for (id, state) in guard.live.iter_mut() {
                let Some(pending) = state.pending.as_mut() else {
                    continue;
                };
                if pending.buckets.is_empty() {
                    continue;
                }
                let taken = std::mem::take(&mut **pending);
                tokens.push(TokenDelta::of(*id, state, taken));
            }
        }
        Ok(UsageDelta {
            version: DELTA_VERSION,
            shape: Shape::of(&self.config),
            tokens,
        })
    }

    /// Applies a delta from another instance (see [`delta`](Self::delta)): counts are added
    /// into the windows at their own times, sketches and learned sets united, peaks and last
    /// use maxed. Merged counts are not handed out again by this instance's `delta`. Fails
    /// when the delta was made with different window or distinct settings.
    pub fn merge(&self, delta: &UsageDelta, now: Timestamp) -> Result<(), Error> {
        if delta.version != DELTA_VERSION {
            return Err(Error::Config(format!(
                "usage delta version {} is not supported (expected {DELTA_VERSION})",
                delta.version
            )));
        }
        if delta.shape != Shape::of(&self.config) {
            return Err(Error::Config(
                "usage delta was made with different window or distinct settings".into(),
            ));
        }
        for t in &delta.tokens {
            t.validate(&self.derived)?;
        }
        for t in &delta.tokens {
            let mut guard = self.shard(&t.token_id).lock();
            let shard = &mut *guard;
            if !shard.live.contains_key(&t.token_id) {
                let revived = self.admit(shard, t.token_id, t.first_seen.min(now));
                if let (Some(last), Some(s)) = (revived, shard.live.get_mut(&t.token_id)) {
                    s.last_seen = last;
                }
            }
            if let Some(state) = shard.live.get_mut(&t.token_id) {
                state.merge_from(t, &self.ctx(t.token_id, now));
            }
        }
        Ok(())
    }

    /// The whole state, serialisable, for [`restore`](Self::restore).
    pub fn snapshot(&self) -> UsageSnapshot {
        let mut tokens = Vec::new();
        let mut dormant = Vec::new();
        for shard in self.shards.iter() {
            let guard = shard.lock();
            for (id, state) in guard.live.iter() {
                let mut state = (**state).clone();
                state.pending = None;
                tokens.push(SnapshotToken {
                    token_id: *id,
                    state,
                });
            }
            for (id, last) in guard.dormant.iter() {
                dormant.push(DormantRecord {
                    token_id: *id,
                    last_seen: *last,
                });
            }
        }
        UsageSnapshot {
            version: SNAPSHOT_VERSION,
            shape: Shape::of(&self.config),
            tokens,
            dormant,
        }
    }

    /// A tracker with `config` and the state of a snapshot. Fails when the snapshot's version
    /// or window settings differ from `config`'s.
    pub fn restore(config: UsageConfig, snapshot: &UsageSnapshot) -> Result<UsageTracker, Error> {
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(Error::Config(format!(
                "usage snapshot version {} is not supported (expected {SNAPSHOT_VERSION})",
                snapshot.version
            )));
        }
        if snapshot.shape != Shape::of(&config) {
            return Err(Error::Config(
                "usage snapshot was taken with different window or distinct settings".into(),
            ));
        }
        let tracker = UsageTracker::new(config)?;
        for t in &snapshot.tokens {
            if !t
                .state
                .fine
                .same_shape(&tracker.derived.fine_ms, tracker.config.fine_window.buckets)
                || !t.state.coarse.same_shape(
                    &tracker.derived.coarse_ms,
                    tracker.config.coarse_window.buckets,
                )
            {
                return Err(Error::Config(format!(
                    "usage snapshot: windows of token {} do not match the config",
                    t.token_id.short()
                )));
            }
            if !t.state.is_valid() {
                return Err(Error::Config(format!(
                    "usage snapshot: state of token {} is inconsistent",
                    t.token_id.short()
                )));
            }
            let mut state = t.state.clone();
            state.pending = tracker.config.track_deltas.then(Box::default);
            let mut guard = tracker.shard(&t.token_id).lock();
            guard.live.insert(t.token_id, Box::new(state));
        }
        for d in &snapshot.dormant {
            let mut guard = tracker.shard(&d.token_id).lock();
            guard.dormant.insert(d.token_id, d.last_seen);
        }
        Ok(tracker)
    }
}

impl UsageTracker {
    /// Swaps in the state of `other` (same config), shard by shard. The Guard's restore uses
    /// it after building and checking `other` in full.
    pub(crate) fn replace_with(&self, other: UsageTracker) {
        for (mine, theirs) in self.shards.iter().zip(other.shards.iter()) {
            std::mem::swap(&mut *mine.lock(), &mut *theirs.lock());
        }
    }
}

const DELTA_VERSION: u32 = 1;
const SNAPSHOT_VERSION: u32 = 1;

/// The settings two trackers must share for their state to combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Shape {
    fine: WindowSpec,
    coarse: WindowSpec,
    distinct_period_secs: u64,
}

impl Shape {
    fn of(c: &UsageConfig) -> Shape {
        Shape {
            fine: c.fine_window,
            coarse: c.coarse_window,
            distinct_period_secs: c.distinct_period_secs,
        }
    }
}

/// Usage of one instance since its previous delta, from [`UsageTracker::delta`]. Serialise it
/// (JSON, or any serde format) to ship it to the other instances.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageDelta {
    version: u32,
    shape: Shape,
    tokens: Vec<TokenDelta>,
}

impl UsageDelta {
    /// Number of tokens in the delta.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the delta carries nothing.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// One token's part of a [`UsageDelta`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenDelta {
    #[serde(with = "token_id_serde")]
    token_id: TokenId,
    first_seen: Timestamp,
    last_seen: Timestamp,
    requests: u64,
    /// Counts per fine bucket number, since the previous delta.
    counts: Vec<(i64, Counts)>,
    ips: RecentDistinct<64>,
    countries: RecentDistinct<16>,
    agents: RecentDistinct<32>,
    endpoints: RecentDistinct<32>,
    novel_endpoints: RecentDistinct<32>,
    known_countries: KnownSet<u16, 8>,
    known_wide: KnownSet<u32, 16>,
    known_agents: KnownSet<u32, 8>,
    known_endpoints: KnownSet<u32, 32>,
    peaks: [f32; 3],
    place: Option<Place>,
    last_alert: [u32; 10],
    last_novelty: [u32; 2],
}

impl TokenDelta {
    fn of(id: TokenId, s: &TokenUsage, pending: state::Pending) -> TokenDelta {
        TokenDelta {
            token_id: id,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            requests: pending.requests,
            counts: pending.buckets,
            ips: s.ips.clone(),
            countries: s.countries.clone(),
            agents: s.agents.clone(),
            endpoints: s.endpoints.clone(),
            novel_endpoints: s.novel_endpoints.clone(),
            known_countries: s.known_countries.clone(),
            known_wide: s.known_wide.clone(),
            known_agents: s.known_agents.clone(),
            known_endpoints: s.known_endpoints.clone(),
            peaks: [
                s.baseline.peak_bucket,
                s.baseline.peak_burst,
                s.baseline.peak_ips,
            ],
            place: s.place,
            last_alert: s.last_alert,
            last_novelty: s.last_novelty,
        }
    }

    fn validate(&self, d: &Derived) -> Result<(), Error> {
        let bad = |why: &str| {
            Err(Error::Config(format!(
                "usage delta for token {}: {why}",
                self.token_id.short()
            )))
        };
        if self.counts.len() > 64 {
            return bad("too many buckets");
        }
        if self
            .counts
            .iter()
            .any(|(b, _)| b.checked_mul(d.fine_ms).is_none())
        {
            return bad("bucket out of range");
        }
        if self.peaks.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return bad("peaks must be finite and not negative");
        }
        if !(self.known_countries.is_valid()
            && self.known_wide.is_valid()
            && self.known_agents.is_valid()
            && self.known_endpoints.is_valid())
        {
            return bad("a learned set is longer than its capacity");
        }
        Ok(())
    }
}

/// The whole state of a [`UsageTracker`], from [`UsageTracker::snapshot`]. Serialise it with
/// any serde format; restore it with [`UsageTracker::restore`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSnapshot {
    version: u32,
    shape: Shape,
    tokens: Vec<SnapshotToken>,
    dormant: Vec<DormantRecord>,
}

impl UsageSnapshot {
    /// Number of tokens with full state in the snapshot.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the snapshot holds no token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty() && self.dormant.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnapshotToken {
    #[serde(with = "token_id_serde")]
    token_id: TokenId,
    state: TokenUsage,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DormantRecord {
    #[serde(with = "token_id_serde")]
    token_id: TokenId,
    last_seen: Timestamp,
}

#[cfg(test)]
mod tests;
