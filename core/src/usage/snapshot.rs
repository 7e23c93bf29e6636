//! The whole tracker state as a serialisable value, and its restore.

use serde::{Deserialize, Serialize};

use super::alert::token_id_serde;
use super::config::UsageConfig;
use super::shape::Shape;
use super::state::TokenUsage;
use super::UsageTracker;
use crate::{Error, Timestamp, TokenId};

/// The usage snapshot format this build writes and restores.
const SNAPSHOT_VERSION: u32 = 3;
/// Version 1 learned endpoints by full route rather than route family, and version 2 learned
/// the routes it took in quietly under their full route, which the profile never looks up
/// (they only filled its slots): both are read, with each token's endpoint profile emptied to
/// be learned again (quietly, see `check_endpoint`).
const OLDEST_READ: u32 = 1;

impl UsageTracker {
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
        if !(OLDEST_READ..=SNAPSHOT_VERSION).contains(&snapshot.version) {
            return Err(Error::Config(format!(
                "usage snapshot version {} is not supported (expected {OLDEST_READ} to {SNAPSHOT_VERSION})",
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
            if snapshot.version < 3 {
                state.forget_endpoints();
            }
            let mut guard = tracker.shard(&t.token_id).lock();
            guard.live.insert(t.token_id, Box::new(state));
        }
        for d in &snapshot.dormant {
            let mut guard = tracker.shard(&d.token_id).lock();
            guard.dormant.insert(d.token_id, d.last_seen);
        }
        Ok(tracker)
    }

    /// Swaps in the state of `other` (same config), shard by shard. The Guard's restore uses
    /// it after building and checking `other` in full.
    pub(crate) fn replace_with(&self, other: UsageTracker) {
        for (mine, theirs) in self.shards.iter().zip(other.shards.iter()) {
            std::mem::swap(&mut *mine.lock(), &mut *theirs.lock());
        }
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
mod tests {
    use super::*;
    use crate::usage::Observation;
    use crate::TokenKey;

    #[test]
    fn snapshots_before_version_3_have_their_endpoint_profiles_learned_again() {
        let tracker = UsageTracker::new(UsageConfig::default()).unwrap();
        let id = TokenKey::new(b"k").id(b"tw_token");
        for (i, path) in ["/v1/a", "/v1/b/c", "/v2/d"].into_iter().enumerate() {
            let obs = Observation {
                path: Some(path),
                ..Observation::default()
            };
            tracker.observe(id, &obs, 1_767_225_600_000 + i as i64 * 60_000);
        }
        let now = 1_767_225_600_000 + 300_000;
        let known = |t: &UsageTracker| t.stats(id, now).unwrap().known.endpoints;
        let mut snapshot = tracker.snapshot();
        let current = UsageTracker::restore(UsageConfig::default(), &snapshot).unwrap();
        assert!(known(&current) > 0);
        snapshot.version = 2;
        let older = UsageTracker::restore(UsageConfig::default(), &snapshot).unwrap();
        assert_eq!(known(&older), 0);
    }
}
