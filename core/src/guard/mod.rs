//! The Guard: a registry of tokens, their policies and lifecycle, checked on every request.
//!
//! A [`Guard`] holds tokens by [`TokenId`] (a keyed fingerprint: raw tokens are never stored)
//! in 64 shards of `hashbrown` maps behind `parking_lot` read-write locks, so checks from many
//! threads rarely meet. [`Guard::check`] runs a pipeline of stages over one request:
//!
//! 1. **lookup**: hash the presented token with the key, probe one shard (an unknown token
//!    costs the same hash and probe as a known one);
//! 2. **lifecycle**: revoked, quarantined, rotated past its grace, expired;
//! 3. **policy**: the token's compiled [`Policy`];
//! 4. **rate limit**: is there room for one more request in the sliding window
//!    ([`RateLimit`](crate::policy::RateLimit))?
//! 5. **usage** (when the config has a `[usage]` section): the request, with whether it was
//!    denied so far and whether it was inside the token's declared endpoint scope, feeds the
//!    token's [`UsageTracker`]; its detectors may raise
//!    [`Alert`](crate::Alert)s, and the response rules turn alerts into actions (`notify`,
//!    `deny`, `quarantine`, `revoke`) that take effect on this very request;
//! 6. **verdict**: allow (the request now counts under the rate limit), or deny with every
//!    [`Reason`](crate::Reason), the token's id, when the rate limit has room again (for
//!    `rate_exceeded`), the alerts and the actions taken.
//!
//! State changes (register, mint, rotate, revoke, quarantine, release), alerts and denials are
//! queued as hash-chained [`Event`]s for the host to [`drain`](Guard::drain_events).
//! [`snapshot`](Guard::snapshot) and [`restore`](Guard::restore) save and load the whole state;
//! a restore never makes a stopped token work again, and
//! [`replay_events`](Guard::replay_events) catches a restored Guard up with the audit events
//! written since its snapshot.
//!
//! ```
//! use tokenward::{Guard, GuardConfig, Reason, Request, TokenKey, TokenMeta};
//!
//! let config = GuardConfig::from_toml(r#"
//!     [policies.ci]
//!     subjects = ["ci-runner"]
//!     allow_ips = ["10.0.0.0/8"]
//!     endpoints = ["POST /v1/deploys"]
//! "#)?;
//! let guard = Guard::with_config(TokenKey::new(b"host secret key material"), &config)?;
//!
//! // Mint a token (the host supplies 32 random bytes) and hand `minted.token` out once.
//! let now = 1_767_225_600_000;
//! let minted = guard.mint(&TokenMeta::new().owner("ci").policy("ci"), &[7; 32], now)?;
//!
//! let request = Request::new(minted.token.expose())
//!     .subject("ci-runner")
//!     .ip("10.2.3.4".parse().unwrap())
//!     .endpoint("POST", "/v1/deploys");
//! assert!(guard.check(&request, now + 1).is_allowed());
//!
//! let elsewhere = request.ip("203.0.113.9".parse().unwrap());
//! assert_eq!(guard.check(&elsewhere, now + 2).reasons, [Reason::IpNotAllowed]);
//!
//! guard.revoke(&minted.id, now + 3)?;
//! assert_eq!(guard.check(&request, now + 4).reasons, [Reason::Revoked]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod changes;
mod check;
mod config;
mod events;
mod expect;
mod lifecycle;
mod registry;
mod replay;
mod respond;
mod snapshot;
mod state;

use std::fmt;
use std::sync::Arc;

use hashbrown::hash_map::Entry;
use parking_lot::{Mutex, RwLock};

pub use crate::request::Request;
pub use changes::{Applied, Change, Changes, DEFAULT_CHANGE_CAPACITY};
pub use check::{Decision, Reaction, Verdict};
pub use config::{GuardConfig, PolicySpec, Selector, TokenInfo, TokenMeta, DEFAULT_EVENT_CAPACITY};
pub use events::{
    verify_chain, verify_chain_from, ChainError, ChainErrorKind, ChainHead, Event, EventKind,
    EvidenceJson, TokenSummary,
};
pub use expect::Expectations;
pub use registry::TokenState;
pub use replay::{ReplayError, Replayed};
pub use respond::{Action, ActionTaken, AlertKinds, ResponseRule};
pub use snapshot::{SnapshotError, SNAPSHOT_VERSION};

use crate::policy::{Policy, PolicyDoc, PolicyError};
use crate::token::{PrefixError, RawToken, TokenId, TokenKey};
use crate::usage::UsageTracker;
use crate::Timestamp;
use events::EventLog;
use registry::{shard_of, Interner, Meta, PolicyEntry, Record, Shard, NEVER, SHARDS};
use respond::Responder;

/// Longest token accepted. Longer ones are unknown without being hashed, so a hostile
/// multi-megabyte header costs nothing.
pub const MAX_TOKEN_LEN: usize = 4096;

/// Every error the Guard returns. Messages never contain a raw token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// A policy or config failed to parse or compile.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A token names a policy the Guard does not have.
    #[error("unknown policy \"{0}\"")]
    UnknownPolicy(String),
    /// The configured minting prefix is malformed.
    #[error(transparent)]
    Prefix(#[from] PrefixError),
    /// No token with this id is registered.
    #[error("unknown token {0}")]
    UnknownToken(TokenId),
    /// A token with this id is already registered.
    #[error("token {0} is already registered")]
    AlreadyRegistered(TokenId),
    /// The token's state does not allow the operation.
    #[error("cannot {action} token {token}: it is {state}")]
    InvalidState {
        /// The token.
        token: TokenId,
        /// Its state's name.
        state: &'static str,
        /// What was attempted.
        action: &'static str,
    },
    /// A selector with no field would revoke every token.
    #[error("a selector needs at least one of owner, service, environment or tag")]
    EmptySelector,
    /// A raw token is empty or longer than [`MAX_TOKEN_LEN`].
    #[error("token length {0} is outside 1..={MAX_TOKEN_LEN}")]
    TokenLength(usize),
    /// A negative duration was given.
    #[error("invalid {field}: {reason}")]
    InvalidArgument {
        /// The argument.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// A snapshot could not be restored; the Guard is unchanged.
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    /// Events could not be replayed; the Guard is unchanged.
    #[error(transparent)]
    Replay(#[from] ReplayError),
    /// The operating system's random source failed (feature `getrandom`).
    #[error("random source failed: {0}")]
    Random(String),
}

impl GuardError {
    /// The class of this error, for hosts and bindings.
    ///
    /// ```
    /// use tokenward::{ErrorKind, Guard, TokenId, TokenKey};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let id: TokenId = "tid_00000000000000000000000000000000".parse().unwrap();
    /// assert_eq!(guard.revoke(&id, 0).unwrap_err().kind(), ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind as K;
        match self {
            GuardError::Policy(e) => e.kind(),
            GuardError::Prefix(_) => K::Config,
            GuardError::UnknownPolicy(_) | GuardError::UnknownToken(_) => K::NotFound,
            GuardError::AlreadyRegistered(_) | GuardError::InvalidState { .. } => K::Conflict,
            GuardError::EmptySelector
            | GuardError::TokenLength(_)
            | GuardError::InvalidArgument { .. } => K::InvalidArgument,
            GuardError::Snapshot(_) | GuardError::Replay(_) => K::Snapshot,
            GuardError::Random(_) => K::Random,
        }
    }
}

/// A freshly minted token: its id, and the raw token to hand out once.
#[derive(Debug, Clone)]
pub struct Minted {
    /// The id it is registered under.
    pub id: TokenId,
    /// The raw token. tokenward keeps no copy.
    pub token: RawToken,
}

/// A thread-safe registry of tokens with context policies, lifecycle and audit events.
///
/// See the [module documentation](self) for the check pipeline and an example.
pub struct Guard {
    key: TokenKey,
    prefix: Box<str>,
    shards: Box<[Shard]>,
    /// Where the audit chain stood at the last restore or replay: the next replayed event
    /// must follow it. Lock order: replayed, policies, interner, shards (ascending), changes,
    /// events.
    replayed: Mutex<ChainHead>,
    /// Named policies.
    policies: RwLock<hashbrown::HashMap<Arc<str>, Arc<PolicyEntry>>>,
    interner: RwLock<Interner>,
    events: Mutex<EventLog>,
    /// The change feed for a fleet replicator, when on (see [`Guard::enable_changes`]).
    /// Taken while a shard is locked, never while acquiring another lock.
    changes: Mutex<Option<changes::ChangeLog>>,
    /// Usage statistics and detectors, when the config turns them on.
    usage: Option<UsageTracker>,
    responder: Responder,
}

impl fmt::Debug for Guard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guard")
            .field("key", &self.key)
            .field("prefix", &self.prefix)
            .field("tokens", &self.len())
            .field("policies", &self.policies.read().len())
            .finish_non_exhaustive()
    }
}

impl Guard {
    /// A Guard with the default config: prefix `tw_`, no named policies, no usage tracking.
    pub fn new(key: TokenKey) -> Guard {
        Guard::with_config(key, &GuardConfig::default()).expect("the default config is valid")
    }

    /// A Guard with a config: its prefix, event capacity, named policies, usage tracking and
    /// response rules.
    pub fn with_config(key: TokenKey, config: &GuardConfig) -> Result<Guard, GuardError> {
        config.validate()?;
        let prefix = config
            .token_prefix
            .as_deref()
            .unwrap_or(crate::token::DEFAULT_PREFIX);
        crate::token::validate_prefix(prefix)?;
        let mut policies = hashbrown::HashMap::new();
        for (name, doc) in &config.policies {
            let entry = named_entry(name, doc)?;
            policies.insert(entry.name.clone().expect("named"), entry);
        }
        Ok(Guard {
            key,
            prefix: prefix.into(),
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
            replayed: Mutex::new(ChainHead::GENESIS),
            policies: RwLock::new(policies),
            interner: RwLock::new(Interner::default()),
            events: Mutex::new(EventLog::new(
                config.event_capacity.unwrap_or(DEFAULT_EVENT_CAPACITY),
            )),
            changes: Mutex::new(None),
            usage: match &config.usage {
                None => None,
                Some(usage) => Some(
                    UsageTracker::new(usage.clone())
                        .map_err(|e| PolicyError::new("usage", e.to_string()))?,
                ),
            },
            responder: Responder::new(&config.respond),
        })
    }

    /// The usage tracker, when the config has a `[usage]` section: for
    /// [`delta`](UsageTracker::delta) / [`merge`](UsageTracker::merge) across a fleet,
    /// [`evict_idle`](UsageTracker::evict_idle) and memory figures.
    pub fn usage(&self) -> Option<&UsageTracker> {
        self.usage.as_ref()
    }

    /// The prefix minted tokens carry.
    pub fn token_prefix(&self) -> &str {
        &self.prefix
    }

    /// The id a raw token has under this Guard's key.
    pub fn token_id(&self, raw_token: &[u8]) -> TokenId {
        self.key.id(raw_token)
    }

    /// Number of registered tokens, in every state.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.map.read().len()).sum()
    }

    /// True when no token is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds or replaces a named policy. Tokens that use the name follow the new version from
    /// their next check.
    pub fn set_policy(
        &self,
        name: &str,
        doc: &PolicyDoc,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        self.put_policy(name, doc, now, true)
    }

    /// Adds or replaces a named policy; records the change in the feed when `record`.
    fn put_policy(
        &self,
        name: &str,
        doc: &PolicyDoc,
        now: Timestamp,
        record: bool,
    ) -> Result<(), GuardError> {
        let entry = named_entry(name, doc)?;
        let mut policies = self.policies.write();
        if record {
            self.record(|| Change::PolicySet {
                name: name.to_string(),
                doc: doc.clone(),
                replace: true,
            });
        }
        if let Some(old) = policies.insert(entry.name.clone().expect("named"), entry.clone()) {
            for shard in self.shards.iter() {
                for record in shard.map.write().values_mut() {
                    if record.policy.as_ref().is_some_and(|p| Arc::ptr_eq(p, &old)) {
                        record.policy = Some(entry.clone());
                    }
                }
            }
        }
        drop(policies);
        self.emit(
            now,
            EventKind::PolicySet {
                name: name.to_string(),
            },
        );
        Ok(())
    }

    /// The named policy, compiled.
    pub fn policy(&self, name: &str) -> Option<Policy> {
        self.policies.read().get(name).map(|e| e.policy.clone())
    }

    /// Registers a token the host issued itself, by its raw value (hashed, never stored).
    pub fn register(
        &self,
        raw_token: &str,
        meta: &TokenMeta,
        now: Timestamp,
    ) -> Result<TokenId, GuardError> {
        let len = raw_token.len();
        if len == 0 || len > MAX_TOKEN_LEN {
            return Err(GuardError::TokenLength(len));
        }
        let id = self.key.id(raw_token.as_bytes());
        self.insert(id, meta, now, false)?;
        Ok(id)
    }

    /// Registers many tokens that share metadata, by their raw values, all or none: bulk
    /// loading at startup. Much cheaper per token than [`register`](Self::register): the
    /// metadata is interned once, and one `registered_batch` event covers up to 1024 tokens
    /// instead of one hash-chained event each. Every shard is locked for the insertion, so on
    /// a Guard already serving checks, load in chunks of some thousands.
    ///
    /// Fails, registering nothing, when a token is empty or too long, a token is given twice
    /// or already registered, or the policy is unknown.
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let ids = guard.register_many(["tw_one_example", "tw_two_example"], &TokenMeta::new().owner("ci"), 0)?;
    /// assert_eq!(ids.len(), 2);
    /// assert!(guard.check(&Request::new("tw_two_example"), 1).is_allowed());
    /// assert!(guard.register_many(["tw_three_example", "tw_one_example"], &TokenMeta::new(), 2).is_err());
    /// assert_eq!(guard.len(), 2); // all or none
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn register_many<'t>(
        &self,
        raw_tokens: impl IntoIterator<Item = &'t str>,
        meta: &TokenMeta,
        now: Timestamp,
    ) -> Result<Vec<TokenId>, GuardError> {
        let mut ids = Vec::new();
        for raw in raw_tokens {
            if raw.is_empty() || raw.len() > MAX_TOKEN_LEN {
                return Err(GuardError::TokenLength(raw.len()));
            }
            ids.push(self.key.id(raw.as_bytes()));
        }
        let expect_compiled = compile_expect(meta)?;
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(GuardError::AlreadyRegistered(pair[0]));
        }
        let policy = self.resolve_policy(meta.policy.as_ref())?;
        let (interned, summary) = self.intern_meta(meta, policy.as_deref(), now);
        {
            let mut maps: Vec<_> = self.shards.iter().map(|s| s.map.write()).collect();
            if let Some(id) = ids.iter().find(|id| maps[shard_of(id)].contains_key(*id)) {
                return Err(GuardError::AlreadyRegistered(*id));
            }
            let mut per_shard = [0usize; SHARDS];
            for id in &ids {
                per_shard[shard_of(id)] += 1;
            }
            for (map, extra) in maps.iter_mut().zip(per_shard) {
                map.reserve(extra);
            }
            for id in &ids {
                maps[shard_of(id)].insert(
                    *id,
                    Record::new(interned, policy.clone(), expect_compiled.clone()),
                );
            }
            self.record_many(&ids, meta, interned.issued_at);
        }
        for chunk in ids.chunks(BATCH_EVENT_TOKENS) {
            self.emit(
                now,
                EventKind::RegisteredBatch {
                    tokens: chunk.to_vec(),
                    meta: summary.clone(),
                },
            );
        }
        Ok(ids)
    }

    /// Registers a token by an id computed earlier with this Guard's key
    /// ([`Guard::token_id`]), for hosts that keep only fingerprints.
    pub fn register_id(
        &self,
        id: TokenId,
        meta: &TokenMeta,
        now: Timestamp,
    ) -> Result<(), GuardError> {
        self.insert(id, meta, now, false)
    }

    /// Mints a token with the configured prefix from 32 random bytes the caller supplies (from
    /// a CSPRNG), registers it, and returns the raw token: the only time it is visible.
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let minted = guard.mint(&TokenMeta::new().owner("bob"), &[9; 32], 0)?;
    /// assert!(minted.token.expose().starts_with("tw_"));
    /// assert_eq!(guard.token_id(minted.token.expose().as_bytes()), minted.id);
    /// assert!(guard.check(&Request::new(minted.token.expose()), 1).is_allowed());
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn mint(
        &self,
        meta: &TokenMeta,
        random: &[u8; 32],
        now: Timestamp,
    ) -> Result<Minted, GuardError> {
        let token = crate::token::mint(&self.prefix, random)?;
        let id = self.key.id(token.expose().as_bytes());
        self.insert(id, meta, now, true)?;
        Ok(Minted { id, token })
    }

    /// Mints a token with randomness from the operating system.
    #[cfg(feature = "getrandom")]
    pub fn mint_random(&self, meta: &TokenMeta, now: Timestamp) -> Result<Minted, GuardError> {
        self.mint(meta, &os_random()?, now)
    }

    /// The record of a token.
    pub fn token(&self, id: &TokenId) -> Option<TokenInfo> {
        let map = self.shards[shard_of(id)].map.read();
        let record = map.get(id)?;
        let interner = self.interner.read();
        let name = |sym| interner.name(sym).map(|s| s.to_string());
        Some(TokenInfo {
            id: *id,
            owner: name(record.owner),
            service: name(record.service),
            environment: name(record.environment),
            tags: interner
                .set(record.tags)
                .iter()
                .filter_map(|&s| name(s))
                .collect(),
            policy: policy_label(record.policy.as_deref()).map(|p| p.to_string()),
            issued_at: record.issued_at,
            expires_at: (record.expires_at != NEVER).then_some(record.expires_at),
            state: record.lifecycle.state(),
            last_used: record.last_used(),
        })
    }

    /// The queued events, oldest first; the queue is then empty.
    pub fn drain_events(&self) -> Vec<Event> {
        self.events.lock().drain()
    }

    /// How many events are queued: lets a host skip [`drain_events`](Guard::drain_events)
    /// (and the conversion of an empty batch) when there is nothing to deliver.
    pub fn pending_events(&self) -> usize {
        self.events.lock().queue.len()
    }

    /// Events lost to a full queue since the Guard was created (each gap is also marked in the
    /// chain by a `dropped` event).
    pub fn dropped_events(&self) -> u64 {
        self.events.lock().dropped_total
    }

    /// The last event's sequence number and hash: keep it to verify the next drained batch
    /// with [`verify_chain_from`].
    pub fn chain_head(&self) -> ChainHead {
        self.events.lock().head
    }

    fn emit(&self, at: Timestamp, kind: EventKind) {
        self.events.lock().push(at, kind);
    }

    /// Resolves a token's policy spec to a shared compiled policy.
    fn resolve_policy(
        &self,
        spec: Option<&PolicySpec>,
    ) -> Result<Option<Arc<PolicyEntry>>, GuardError> {
        match spec {
            None => Ok(None),
            Some(PolicySpec::Named(name)) => self
                .policies
                .read()
                .get(name.as_str())
                .cloned()
                .map(Some)
                .ok_or_else(|| GuardError::UnknownPolicy(crate::error::Clip(name, 64).to_string())),
            Some(PolicySpec::Inline(doc)) => Ok(Some(Arc::new(PolicyEntry {
                name: None,
                policy: Policy::compile(doc).map_err(|e| e.within("policy"))?,
            }))),
        }
    }

    fn insert(
        &self,
        id: TokenId,
        meta: &TokenMeta,
        now: Timestamp,
        minted: bool,
    ) -> Result<(), GuardError> {
        let policy = self.resolve_policy(meta.policy.as_ref())?;
        let expect = compile_expect(meta)?;
        let (interned, summary) = self.intern_meta(meta, policy.as_deref(), now);
        match self.shards[shard_of(&id)].map.write().entry(id) {
            Entry::Occupied(_) => return Err(GuardError::AlreadyRegistered(id)),
            Entry::Vacant(slot) => {
                slot.insert(Record::new(interned, policy, expect));
                self.record(|| Change::Registered {
                    token: id,
                    meta: TokenMeta {
                        issued_at: Some(interned.issued_at),
                        ..meta.clone()
                    },
                    state: TokenState::Active,
                });
            }
        }
        let kind = if minted {
            EventKind::Minted {
                token: id,
                meta: summary,
            }
        } else {
            EventKind::Registered {
                token: id,
                meta: summary,
            }
        };
        self.emit(now, kind);
        Ok(())
    }
}

impl Guard {
    /// Interns a token's metadata, and the summary its registration event shows.
    fn intern_meta(
        &self,
        meta: &TokenMeta,
        policy: Option<&PolicyEntry>,
        now: Timestamp,
    ) -> (Meta, TokenSummary) {
        let mut interner = self.interner.write();
        let interned = interner.intern_meta(
            meta,
            meta.issued_at.unwrap_or(now),
            meta.expires_at.unwrap_or(NEVER),
        );
        // The event shares the interned strings: no copies per token.
        let summary = TokenSummary {
            owner: interner.name(interned.owner).cloned(),
            service: interner.name(interned.service).cloned(),
            environment: interner.name(interned.environment).cloned(),
            tags: interner.set_names(interned.tags),
            policy: policy_label(policy),
        };
        (interned, summary)
    }
}

/// A token's soft expectations, compiled (none when it has none or they are empty).
pub(super) fn compile_expect(
    meta: &TokenMeta,
) -> Result<Option<Arc<expect::Compiled>>, GuardError> {
    match &meta.expect {
        Some(doc) if !doc.is_empty() => Ok(Some(Arc::new(
            expect::Compiled::new(doc).map_err(|e| e.within("expect"))?,
        ))),
        _ => Ok(None),
    }
}

/// Tokens per `registered_batch` event.
const BATCH_EVENT_TOKENS: usize = 1024;

fn named_entry(name: &str, doc: &PolicyDoc) -> Result<Arc<PolicyEntry>, GuardError> {
    config::validate_policy_name(name)
        .map_err(|r| PolicyError::new(format!("policies.{}", crate::error::Clip(name, 64)), r))?;
    let policy = Policy::compile(doc).map_err(|e| e.within(&format!("policies.{name}")))?;
    Ok(Arc::new(PolicyEntry {
        name: Some(name.into()),
        policy,
    }))
}

fn policy_label(entry: Option<&PolicyEntry>) -> Option<Arc<str>> {
    entry.map(|e| e.name.clone().unwrap_or_else(|| Arc::from("<inline>")))
}

#[cfg(feature = "getrandom")]
fn os_random() -> Result<[u8; 32], GuardError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| GuardError::Random(e.to_string()))?;
    Ok(bytes)
}
