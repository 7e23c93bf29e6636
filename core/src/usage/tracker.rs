//! The tracker: sharded per-token state, fed one request (or response status) at a time.

use std::fmt;

use parking_lot::Mutex;

use super::alert::Alert;
use super::config::UsageConfig;
use super::group::{GroupView, Groups, Rates};
use super::hold::Held;
use super::observation::Observation;
use super::shard::{Capacity, Eviction, Shard, SHARDS};
use super::state::{Ctx, Derived, TokenUsage};
use super::window::Counts;
use crate::{Error, Timestamp, TokenId};

/// Per-token usage statistics and anomaly detectors for many tokens. See the [module
/// documentation](super).
pub struct UsageTracker {
    pub(super) config: UsageConfig,
    pub(super) derived: Derived,
    pub(super) shards: Box<[Mutex<Shard>]>,
    /// How many tokens each shard keeps.
    capacity: Capacity,
    /// What tokens sharing an owner and service learned together.
    groups: Groups,
}

impl fmt::Debug for UsageTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UsageTracker")
            .field("tokens", &self.len())
            .finish_non_exhaustive()
    }
}

/// The response statuses [`UsageTracker::record_outcome`] reads: 401, 403 and 404, the errors
/// a probe meets. Any other status changes nothing, so a host may skip the call for it.
pub const OUTCOME_STATUSES: [u16; 3] = [401, 403, 404];

impl UsageTracker {
    /// A tracker with a validated config.
    pub fn new(config: UsageConfig) -> Result<UsageTracker, Error> {
        config.validate()?;
        Ok(UsageTracker {
            derived: Derived::new(&config),
            capacity: Capacity::per_shard(config.max_tokens, config.max_dormant_records),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            groups: Groups::new(
                config.max_tokens,
                config.peak_half_life_secs.saturating_mul(1000) as i64,
            ),
            config,
        })
    }

    /// The config in force.
    pub fn config(&self) -> &UsageConfig {
        &self.config
    }

    pub(super) fn shard(&self, id: &TokenId) -> &Mutex<Shard> {
        // Token ids are keyed hashes: their bytes are already uniform.
        &self.shards[id.as_bytes()[15] as usize % SHARDS]
    }

    pub(super) fn ctx(&self, id: TokenId, now: Timestamp) -> Ctx<'_> {
        Ctx {
            config: &self.config,
            derived: &self.derived,
            id,
            now,
            group: None,
        }
    }

    /// Records one request of token `id` at `now` and returns the alerts it raised (usually
    /// none; the empty vector does not allocate).
    pub fn observe(&self, id: TokenId, obs: &Observation, now: Timestamp) -> Vec<Alert> {
        self.observe_held(id, obs, now).0
    }

    /// [`observe`](Self::observe), also returning what the request is [`Held`] for: kinds
    /// alerted earlier whose evidence holds for this request too, and how many kinds the
    /// token raised within the hour (corroboration). A Guard denies held requests when a
    /// `deny` rule covers them.
    ///
    /// ```
    /// use tokenward::usage::{AlertKind, Observation, UsageConfig, UsageTracker};
    /// use tokenward::TokenKey;
    ///
    /// let tracker = UsageTracker::new(UsageConfig::default()).unwrap();
    /// let id = TokenKey::new(b"k").id(b"tw_token");
    /// let at = |i: i64| 1_767_225_600_000 + i * 3_600_000;
    /// let home = Observation { country: Some("DE"), user_agent: Some("app/1"), ..Default::default() };
    /// for i in 0..72 {
    ///     tracker.observe(id, &home, at(i));
    /// }
    /// let away = Observation { country: Some("BR"), user_agent: Some("curl/8"), ..Default::default() };
    /// let (alerts, _) = tracker.observe_held(id, &away, at(72));
    /// assert_eq!(alerts[0].kind, AlertKind::NewCountry);
    /// // The next request from there raises nothing new, but is held; the owner's is not.
    /// let (alerts, held) = tracker.observe_held(id, &away, at(72) + 60_000);
    /// assert!(alerts.is_empty());
    /// assert!(held.kinds().any(|(kind, _)| kind == AlertKind::NewCountry));
    /// let (_, held) = tracker.observe_held(id, &home, at(72) + 120_000);
    /// assert!(held.is_empty());
    /// ```
    pub fn observe_held(
        &self,
        id: TokenId,
        obs: &Observation,
        now: Timestamp,
    ) -> (Vec<Alert>, Held) {
        let Some(key) = obs.group else {
            let (alerts, held, _) = self.observe_token(id, obs, now, None);
            return (alerts, held);
        };
        let view = self
            .groups
            .view(key, obs, now, self.config.learning_min_requests);
        let (alerts, held, teaches) = self.observe_token(id, obs, now, Some(&view));
        // Only a learned token's clean requests from where it is at home teach its group
        // (see `group`).
        if let Some(peaks) = teaches {
            if view.teaches && alerts.is_empty() && held.is_empty() && !obs.denied {
                self.groups.learn(key, obs, now, peaks);
            }
        }
        (alerts, held)
    }

    /// Runs the token's detectors on `obs`, with what its group knows of it; also gives the
    /// token's rate peaks when the request may teach the group (see `TokenUsage::observe`).
    fn observe_token(
        &self,
        id: TokenId,
        obs: &Observation,
        now: Timestamp,
        group: Option<&GroupView>,
    ) -> (Vec<Alert>, Held, Option<Rates>) {
        let ctx = Ctx {
            group,
            ..self.ctx(id, now)
        };
        let mut out = Vec::new();
        let mut guard = self.shard(&id).lock();
        let shard = &mut *guard;
        if let Some(state) = shard.live.get_mut(&id) {
            let teaches = state.observe(&ctx, obs, &mut out);
            return (out, state.held(&ctx), teaches);
        }
        let revived_from = self.admit(shard, id, now);
        let Some(state) = shard.live.get_mut(&id) else {
            return (out, Held::default(), None);
        };
        let teaches = state.observe(&ctx, obs, &mut out);
        if let Some(last) = revived_from {
            state.check_dormant(&ctx, obs, last, &mut out);
        }
        (out, state.held(&ctx), teaches)
    }

    /// Number of owner/service groups with learned places.
    pub fn groups_len(&self) -> usize {
        self.groups.len()
    }

    /// How many distinct alert kinds token `id` raised within the last hour.
    pub fn recent_kinds(&self, id: TokenId, now: Timestamp) -> u32 {
        let ctx = self.ctx(id, now);
        let guard = self.shard(&id).lock();
        guard
            .live
            .get(&id)
            .map_or(0, |s| s.recent_kinds(&ctx).count_ones())
    }

    /// Makes room for and inserts fresh state for `id`; returns its last use if it had a
    /// last-use record.
    pub(super) fn admit(
        &self,
        shard: &mut Shard,
        id: TokenId,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let state = TokenUsage::new(&self.config, &self.derived, now);
        shard.admit(self.capacity, id, state)
    }

    /// Records the response status of a request of token `id`. The [`OUTCOME_STATUSES`]
    /// (401, 403, 404) count as errors and may raise an
    /// [`AlertKind::ErrorBurst`](super::AlertKind::ErrorBurst); other statuses, and tokens
    /// without usage state, are ignored.
    pub fn record_outcome(&self, id: TokenId, status: u16, now: Timestamp) -> Option<Alert> {
        if !OUTCOME_STATUSES.contains(&status) {
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
        let span_ms = ctx.config.detectors.error_burst.window_secs as i64 * 1000;
        state.hold.errored(status, now, span_ms);
        let learned = state.learned(&ctx);
        state.check_errors(&ctx, learned)
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
            let (idle, forget) = (self.derived.idle_evict_ms, self.derived.forget_ms);
            let done = shard.lock().evict_idle(self.capacity, now, idle, forget);
            report.evicted += done.evicted;
            report.forgotten += done.forgotten;
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
            .sum::<usize>()
            + self.groups.memory_bytes()
    }
}
