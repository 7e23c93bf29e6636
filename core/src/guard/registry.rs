//! The token registry: sharded maps from `TokenId` to compact records.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use hashbrown::HashMap;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use super::expect::Compiled;
use super::state::Lifecycle;
use super::TokenMeta;
use crate::policy::{Policy, RateLog};
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

/// What the registry keeps per token: about 96 bytes, strings interned, policy shared.
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
    /// Soft expectations, compiled; shared with the token's successors.
    pub expect: Option<Arc<Compiled>>,
    /// Lifecycle state and its version.
    pub lifecycle: Lifecycle,
    /// Last allowed use; checks update it under the shard's read lock.
    pub last_used: AtomicI64,
    /// The requests the rate limit counts (see `RateLimit`); empty until one is allowed.
    /// Checks lock it briefly under the shard's read lock.
    pub rate: Mutex<RateLog>,
}

impl Record {
    /// The usage group of the tokens sharing this one's owner and service (the service may be
    /// absent): their learned places are pooled. Without an owner there is none: a service
    /// name alone may be shared by every customer's tokens.
    pub fn group(&self) -> Option<u64> {
        (self.owner != 0).then(|| (u64::from(self.owner) << 32) | u64::from(self.service))
    }

    pub fn new(
        meta: Meta,
        policy: Option<Arc<PolicyEntry>>,
        expect: Option<Arc<Compiled>>,
    ) -> Record {
        Record {
            expect,
            owner: meta.owner,
            service: meta.service,
            environment: meta.environment,
            tags: meta.tags,
            issued_at: meta.issued_at,
            expires_at: meta.expires_at,
            policy,
            lifecycle: Lifecycle::ACTIVE,
            last_used: AtomicI64::new(meta.issued_at),
            rate: Mutex::new(RateLog::default()),
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

/// An interned tag set: its symbols and the tags' names.
type TagSet = (Arc<[Sym]>, Arc<[Arc<str>]>);

/// Interned metadata strings and tag sets, shared by every record that uses them.
#[derive(Debug, Default, Clone)]
pub(crate) struct Interner {
    ids: HashMap<Arc<str>, Sym>,
    /// `names[sym - 1]`.
    names: Vec<Arc<str>>,
    set_ids: HashMap<Arc<[Sym]>, u32>,
    /// `sets[id - 1]`, each sorted and free of duplicates, with the tags' names.
    sets: Vec<TagSet>,
    /// Reused while interning a set, so a known set costs no allocation.
    scratch: Vec<Sym>,
    /// The last metadata interned: its tags as given, and the result.
    last: Option<(Vec<String>, Meta)>,
}

impl Interner {
    /// Interns a token's metadata strings; `issued_at` and `expires_at` are taken as given.
    /// Hosts register runs of tokens that share their metadata, so the same strings as the
    /// previous call cost a few comparisons, no hashing.
    pub fn intern_meta(
        &mut self,
        meta: &TokenMeta,
        issued_at: Timestamp,
        expires_at: Timestamp,
    ) -> Meta {
        if let Some((tags, last)) = &self.last {
            let same =
                |sym: Sym, name: &Option<String>| self.name(sym).map(|n| &**n) == name.as_deref();
            if same(last.owner, &meta.owner)
                && same(last.service, &meta.service)
                && same(last.environment, &meta.environment)
                && *tags == meta.tags
            {
                return Meta {
                    issued_at,
                    expires_at,
                    ..*last
                };
            }
        }
        let interned = Meta {
            owner: self.intern(meta.owner.as_deref()),
            service: self.intern(meta.service.as_deref()),
            environment: self.intern(meta.environment.as_deref()),
            tags: self.intern_set(&meta.tags),
            issued_at,
            expires_at,
        };
        self.last = Some((meta.tags.clone(), interned));
        interned
    }

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
        let mut syms = std::mem::take(&mut self.scratch);
        syms.clear();
        syms.extend(tags.iter().map(|t| self.intern(Some(t))));
        syms.sort_unstable();
        syms.dedup();
        let id = self.intern_syms(&syms);
        self.scratch = syms;
        id
    }

    /// Interns a sorted, duplicate-free set of symbols.
    pub fn intern_syms(&mut self, syms: &[Sym]) -> u32 {
        if syms.is_empty() {
            return 0;
        }
        if let Some(&id) = self.set_ids.get(syms) {
            return id;
        }
        let syms: Arc<[Sym]> = syms.into();
        let names: Arc<[Arc<str>]> = syms.iter().filter_map(|&s| self.name(s).cloned()).collect();
        self.sets.push((syms.clone(), names));
        let id = self.sets.len() as u32;
        self.set_ids.insert(syms, id);
        id
    }

    pub fn set(&self, id: u32) -> &[Sym] {
        id.checked_sub(1)
            .and_then(|i| self.sets.get(i as usize))
            .map_or(&[], |s| &s.0)
    }

    /// The names of a tag set's tags, shared.
    pub fn set_names(&self, id: u32) -> Arc<[Arc<str>]> {
        id.checked_sub(1)
            .and_then(|i| self.sets.get(i as usize))
            .map_or_else(|| Arc::from(Vec::new()), |s| s.1.clone())
    }

    pub fn sets(&self) -> impl ExactSizeIterator<Item = &[Sym]> + '_ {
        self.sets.iter().map(|s| &*s.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_metadata_interns_to_the_same_symbols() {
        let mut interner = Interner::default();
        let meta = TokenMeta::new()
            .owner("alice")
            .service("billing")
            .tag("ci")
            .tag("eu");
        let a = interner.intern_meta(&meta, 1, 2);
        let again = interner.intern_meta(&meta, 3, 4);
        assert_eq!((again.issued_at, again.expires_at), (3, 4));
        assert_eq!(
            Meta {
                issued_at: 1,
                expires_at: 2,
                ..again
            },
            a
        );
        // Any field that differs is interned anew; what matches keeps its symbol.
        let b = interner.intern_meta(&meta.clone().service("search"), 1, 2);
        assert_eq!(b.owner, a.owner);
        assert_ne!(b.service, a.service);
        let c = interner.intern_meta(&TokenMeta::new().owner("alice").environment("prod"), 1, 2);
        assert_eq!((c.environment != 0, c.tags), (true, 0));
        let back = interner.intern_meta(&meta, 1, 2);
        assert_eq!(back, a);
        assert_eq!(interner.name(a.owner).map(|n| &**n), Some("alice"));
        assert_eq!(interner.set_names(a.tags).len(), 2);
    }

    #[test]
    fn records_stay_small() {
        // The per-token budget is 256 bytes including the map's overhead; see the memory test.
        // (96 bytes plus the pointer to soft expectations.)
        assert!(
            std::mem::size_of::<Record>() <= 104,
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
