//! One shard of the tracker's state, and eviction: what a full shard or an idle token loses.
//!
//! Every eviction goes through [`take_where`]: the least recently used eighth of a full map
//! ([`take_oldest`]), idle tokens, and forgotten last-use records alike.

use std::hash::Hash;

use hashbrown::HashMap;

use super::state::TokenUsage;
use crate::{Timestamp, TokenId};

/// Number of shards: enough that threads rarely share one.
pub(super) const SHARDS: usize = 64;

/// What [`UsageTracker::evict_idle`](super::UsageTracker::evict_idle) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Eviction {
    /// Tokens whose full state was dropped (a last-use record remains).
    pub evicted: usize,
    /// Last-use records dropped.
    pub forgotten: usize,
}

/// How many tokens one shard keeps.
#[derive(Clone, Copy, Debug)]
pub(super) struct Capacity {
    /// Tokens with full state.
    pub live: usize,
    /// Last-use records of evicted tokens.
    pub dormant: usize,
}

impl Capacity {
    /// Totals over the tracker, split evenly over the shards (at least one each).
    pub fn per_shard(live: usize, dormant: usize) -> Capacity {
        let per = |total: usize| total.div_ceil(SHARDS).max(1);
        Capacity {
            live: per(live),
            dormant: per(dormant),
        }
    }
}

/// One shard's tokens, behind one of the tracker's mutexes.
#[derive(Default)]
pub(super) struct Shard {
    /// Full state of recently used tokens.
    pub live: HashMap<TokenId, Box<TokenUsage>>,
    /// Last use of tokens whose full state was evicted.
    pub dormant: HashMap<TokenId, Timestamp>,
}

impl Shard {
    /// Makes room for `state` and inserts it for `id`; returns the token's last use if it
    /// had a last-use record.
    pub fn admit(&mut self, cap: Capacity, id: TokenId, state: TokenUsage) -> Option<Timestamp> {
        if self.live.len() >= cap.live {
            let oldest = take_oldest(&mut self.live, |s| s.last_seen);
            self.retire(cap, oldest);
        }
        let revived = self.dormant.remove(&id);
        self.live.insert(id, Box::new(state));
        revived
    }

    /// Drops the full state of tokens idle for `idle_ms` (keeping their last use) and
    /// forgets last uses older than `forget_ms`.
    pub fn evict_idle(
        &mut self,
        cap: Capacity,
        now: Timestamp,
        idle_ms: i64,
        forget_ms: i64,
    ) -> Eviction {
        let idle = |last: Timestamp| now.saturating_sub(last) >= idle_ms;
        let idle = take_where(&mut self.live, usize::MAX, |s| s.last_seen, idle);
        let evicted = idle.len();
        self.retire(cap, idle);
        let stale = |last: Timestamp| now.saturating_sub(last) >= forget_ms;
        let forgotten = take_where(&mut self.dormant, usize::MAX, |&last| last, stale).len();
        Eviction { evicted, forgotten }
    }

    /// Keeps last-use records of tokens whose full state was dropped, evicting the oldest
    /// records when full.
    fn retire(&mut self, cap: Capacity, retired: Vec<(TokenId, Timestamp)>) {
        for (id, last_seen) in retired {
            if self.dormant.len() >= cap.dormant {
                take_oldest(&mut self.dormant, |&last| last);
            }
            self.dormant.insert(id, last_seen);
        }
    }
}

/// Removes the least recently used eighth of `map` (at least one entry), so the scan is paid
/// once per many insertions; returns them with their last use.
pub(super) fn take_oldest<K: Copy + Eq + Hash, V>(
    map: &mut HashMap<K, V>,
    last_seen: impl Fn(&V) -> Timestamp,
) -> Vec<(K, Timestamp)> {
    let mut ages: Vec<Timestamp> = map.values().map(&last_seen).collect();
    if ages.is_empty() {
        return Vec::new();
    }
    let n = (ages.len() / 8).max(1);
    let (_, cutoff, _) = ages.select_nth_unstable(n - 1);
    let cutoff = *cutoff;
    take_where(map, n, last_seen, |last| last <= cutoff)
}

/// Removes up to `limit` entries of `map` whose last use `evict` picks, in the map's order;
/// returns them with their last use.
fn take_where<K: Copy + Eq + Hash, V>(
    map: &mut HashMap<K, V>,
    limit: usize,
    last_seen: impl Fn(&V) -> Timestamp,
    evict: impl Fn(Timestamp) -> bool,
) -> Vec<(K, Timestamp)> {
    let mut taken = Vec::new();
    map.retain(|id, value| {
        let last = last_seen(value);
        let take = taken.len() < limit && evict(last);
        if take {
            taken.push((*id, last));
        }
        !take
    });
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> TokenId {
        crate::TokenKey::new(b"shard test").id(&[n])
    }

    #[test]
    fn the_oldest_eighth_goes_first() {
        let mut map: HashMap<TokenId, Timestamp> = (0..16).map(|n| (id(n), i64::from(n))).collect();
        let mut taken = take_oldest(&mut map, |&t| t);
        taken.sort_unstable_by_key(|&(_, t)| t);
        assert_eq!(taken, [(id(0), 0), (id(1), 1)]);
        assert_eq!(map.len(), 14);
        // Ties at the cutoff: still exactly an eighth (at least one).
        let mut ties: HashMap<TokenId, Timestamp> = (0..5).map(|n| (id(n), 7)).collect();
        assert_eq!(take_oldest(&mut ties, |&t| t).len(), 1);
        assert!(take_oldest(&mut HashMap::<TokenId, Timestamp>::new(), |&t| t).is_empty());
    }

    #[test]
    fn a_full_dormant_map_drops_its_oldest_records() {
        let cap = Capacity {
            live: 4,
            dormant: 8,
        };
        let mut shard = Shard::default();
        shard.retire(cap, (0..20).map(|n| (id(n), i64::from(n))).collect());
        assert!(shard.dormant.len() <= cap.dormant);
        // The newest record is always kept.
        assert_eq!(shard.dormant.get(&id(19)), Some(&19));
    }
}
