//! Usage deltas: what one instance of a fleet hands the others, and how they merge it.

use serde::{Deserialize, Serialize};

use super::alert::token_id_serde;
use super::distinct::{KnownSet, RecentDistinct};
use super::shape::Shape;
use super::state::{Derived, Pending, Place, TokenUsage};
use super::window::Counts;
use super::UsageTracker;
use crate::{Error, Timestamp, TokenId};

/// The delta format this build writes and merges.
const DELTA_VERSION: u32 = 1;

impl UsageTracker {
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
                // Copied out and cleared in place, not taken: the buckets' allocation stays
                // where it is, so the next `observe` neither allocates nor finds it moved
                // (freed and reallocated, it lands far from the token's other state and
                // costs `check()` a cache miss every time).
                let taken = Pending {
                    buckets: pending.buckets.drain(..).collect(),
                    requests: std::mem::take(&mut pending.requests),
                };
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
pub(super) struct TokenDelta {
    #[serde(with = "token_id_serde")]
    pub(super) token_id: TokenId,
    pub(super) first_seen: Timestamp,
    pub(super) last_seen: Timestamp,
    pub(super) requests: u64,
    /// Counts per fine bucket number, since the previous delta.
    pub(super) counts: Vec<(i64, Counts)>,
    pub(super) ips: RecentDistinct<64>,
    pub(super) countries: RecentDistinct<16>,
    pub(super) agents: RecentDistinct<32>,
    pub(super) endpoints: RecentDistinct<32>,
    pub(super) novel_endpoints: RecentDistinct<32>,
    pub(super) known_countries: KnownSet<u16, 8>,
    pub(super) known_wide: KnownSet<u32, 16>,
    pub(super) known_agents: KnownSet<u32, 8>,
    pub(super) known_endpoints: KnownSet<u32, 32>,
    pub(super) peaks: [f32; 3],
    pub(super) place: Option<Place>,
    pub(super) last_alert: [u32; 10],
    pub(super) last_novelty: [u32; 2],
}

impl TokenDelta {
    fn of(id: TokenId, s: &TokenUsage, pending: Pending) -> TokenDelta {
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
