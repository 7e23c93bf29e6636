//! The token registry: sharded maps from `TokenId` to compact records.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hashbrown::HashMap;
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::policy::{Policy, RATE_FRESH};
use crate::token::TokenId;
use crate::Timestamp;

/// Number of registry shards (a power of two): enough that threads rarely share one.
pub(crate) const SHARDS: usize = 64;

/// A token's lifecycle state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Usable, subject to its policy.
    Active,
    /// Revoked at `at`; denied with `revoked` from then on.
    Revoked {
        /// When it was revoked.
        at: Timestamp,
    },
    /// Quarantined at `at`; denied with `quarantined` until released.
    Quarantined {
        /// When it was quarantined.
        at: Timestamp,
    },
    /// Replaced by `to`; works until `grace_end`, then denied with `rotated`.
    Rotated {
        /// The token that replaced it.
        to: TokenId,
        /// When it stops working.
        grace_end: Timestamp,
    },
}

impl TokenState {
    /// The state's name: `active`, `revoked`, `quarantined` or `rotated`.
    pub fn name(&self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Revoked { .. } => "revoked",
            TokenState::Quarantined { .. } => "quarantined",
            TokenState::Rotated { .. } => "rotated",
        }
    }
}

/// A policy as tokens hold it: compiled, shared, and named when it came from the config.
#[derive(Debug)]
pub(crate) struct PolicyEntry {
    pub name: Option<Arc<str>>,
    pub policy: Policy,
}

/// An interned string: 0 is "none", others index the interner's table.
pub(crate) type Sym = u32;

/// "No expiry" in a record.
pub(crate) const NEVER: Timestamp = Timestamp::MAX;

/// What the registry keeps per token: about 88 bytes, strings interned, policy shared.
#[derive(Debug)]
pub(crate) struct Record {
    pub owner: Sym,
    pub service: Sym,
    pub environment: Sym,
    /// An interned set of tags; 0 is the empty set.
    pub tags: u32,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub policy: Option<Arc<PolicyEntry>>,
    pub state: TokenState,
    /// Last allowed use; checks update it under the shard's read lock.
    pub last_used: AtomicI64,
    /// Rate limiter state (see `RateLimit`).
    pub rate: AtomicI64,
}

impl Record {
    pub fn new(meta: Meta, policy: Option<Arc<PolicyEntry>>) -> Record {
        Record {
            owner: meta.owner,
            service: meta.service,
            environment: meta.environment,
            tags: meta.tags,
            issued_at: meta.issued_at,
            expires_at: meta.expires_at,
            policy,
            state: TokenState::Active,
            last_used: AtomicI64::new(meta.issued_at),
            rate: AtomicI64::new(RATE_FRESH),
        }
    }

    pub fn meta(&self) -> Meta {
        Meta {
            owner: self.owner,
            service: self.service,
            environment: self.environment,
            tags: self.tags,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        }
    }

    pub fn last_used(&self) -> Timestamp {
        self.last_used.load(Ordering::Relaxed)
    }
}

/// A record's metadata in interned form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub owner: Sym,
    pub service: Sym,
    pub environment: Sym,
    pub tags: u32,
    pub issued_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Token ids are keyed hashes, uniform already: the hasher passes them through.
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if a key type other than `TokenId` is hashed: mix the bytes in.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

pub(crate) type Map = HashMap<TokenId, Record, BuildHasherDefault<IdHasher>>;

/// One shard, aligned so that two shards never share a cache line.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Shard {
    pub map: RwLock<Map>,
}

/// The shard a token lives in: its first byte (the map hashes the last eight).
pub(crate) fn shard_of(id: &TokenId) -> usize {
    usize::from(id.as_bytes()[0]) & (SHARDS - 1)
}

/// Interned metadata strings and tag sets, shared by every record that uses them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: std::collections::HashMap<Arc<str>, Sym>,
    /// `names[sym - 1]`.
    names: Vec<Arc<str>>,
    set_ids: std::collections::HashMap<Arc<[Sym]>, u32>,
    /// `sets[id - 1]`, each sorted and free of duplicates.
    sets: Vec<Arc<[Sym]>>,
}

impl Interner {
    pub fn get(&self, name: &str) -> Option<Sym> {
        self.ids.get(name).copied()
    }

    pub fn intern(&mut self, name: Option<&str>) -> Sym {
        let Some(name) = name else { return 0 };
        if let Some(&sym) = self.ids.get(name) {
            return sym;
        }
        let name: Arc<str> = Arc::from(name);
        self.names.push(name.clone());
        let sym = self.names.len() as Sym;
        self.ids.insert(name, sym);
        sym
    }

    pub fn name(&self, sym: Sym) -> Option<&Arc<str>> {
        sym.checked_sub(1).and_then(|i| self.names.get(i as usize))
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    pub fn intern_set(&mut self, tags: &[String]) -> u32 {
        if tags.is_empty() {
            return 0;
        }
        let mut syms: Vec<Sym> = tags.iter().map(|t| self.intern(Some(t))).collect();
        syms.sort_unstable();
        syms.dedup();
        self.intern_syms(syms)
    }

    pub fn intern_syms(&mut self, syms: Vec<Sym>) -> u32 {
        if syms.is_empty() {
            return 0;
        }
        let syms: Arc<[Sym]> = syms.into();
        if let Some(&id) = self.set_ids.get(&syms) {
            return id;
        }
        self.sets.push(syms.clone());
        let id = self.sets.len() as u32;
        self.set_ids.insert(syms, id);
        id
    }

    pub fn set(&self, id: u32) -> &[Sym] {
        id.checked_sub(1)
            .and_then(|i| self.sets.get(i as usize))
            .map_or(&[], |s| s)
    }

    pub fn sets(&self) -> &[Arc<[Sym]>] {
        &self.sets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_stay_small() {
        // The per-token budget is 256 bytes including the map's overhead; see the memory test.
        assert!(
            std::mem::size_of::<Record>() <= 88,
            "{}",
            std::mem::size_of::<Record>()
        );
        assert_eq!(std::mem::size_of::<TokenState>(), 32);
    }

    #[test]
    fn interning_shares_strings_and_sets() {
        let mut interner = Interner::default();
        let a = interner.intern(Some("alice"));
        assert_eq!(interner.intern(Some("alice")), a);
        assert_eq!(interner.intern(None), 0);
        let s1 = interner.intern_set(&["b".into(), "a".into(), "a".into()]);
        let s2 = interner.intern_set(&["a".into(), "b".into()]);
        assert_eq!(s1, s2);
        assert_eq!(interner.set(s1).len(), 2);
        assert_eq!(interner.intern_set(&[]), 0);
        assert!(interner.set(0).is_empty());
    }
}
