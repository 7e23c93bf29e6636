//! The change feed: a Guard's lifecycle changes in a form another Guard can apply, for a fleet
//! of instances that share one state (the `tokenward-fleet` crate carries them over Redis).
//!
//! The feed is a second bounded queue beside the audit events, off until
//! [`Guard::enable_changes`]: the host keeps draining [`Guard::drain_events`] for its audit
//! log, and the replicator takes [`Guard::take_changes`]. A change is recorded while the
//! token's shard is locked, so the feed holds changes of one token in the order they took
//! effect. Changes applied with [`Guard::apply_change`] (from another instance) are not
//! recorded, so nothing echoes back; applying is idempotent, and never makes a stopped token
//! work again (the rules of [`Guard::restore`]). A [`restore`](Guard::restore) or a
//! [`replay_events`](Guard::replay_events) that applied something is not recorded change by
//! change: it counts as a lost change ([`Changes::lost`]), so the replicator publishes the
//! whole state.

use std::collections::VecDeque;

use hashbrown::hash_map::Entry;
use serde::{Deserialize, Serialize};

use super::registry::{shard_of, Meta, Record, NEVER};
use super::state::Lifecycle;
use super::{
    compile_expect, EventKind, Guard, GuardError, PolicySpec, Selector, TokenMeta, TokenState,
};
use crate::policy::PolicyDoc;
use crate::token::TokenId;
use crate::Timestamp;

/// One lifecycle change, as a fleet replicates it. Serializes to JSON as
/// `{"revoked":{"tokens":["tid_..."],"at":1767225600000}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Change {
    /// A token was registered or minted (`state` active), or one token of a state export
    /// ([`Guard::export_changes`]) in whatever state it is.
    Registered {
        /// The token.
        token: TokenId,
        /// Its metadata, with `issued_at` filled in.
        meta: TokenMeta,
        /// Its lifecycle state.
        state: TokenState,
    },
    /// Tokens were registered together ([`Guard::register_many`]; up to 1024 per change).
    RegisteredMany {
        /// The tokens.
        tokens: Vec<TokenId>,
        /// Their metadata, with `issued_at` filled in.
        meta: TokenMeta,
    },
    /// Tokens were revoked (one by [`Guard::revoke`], those of one shard by
    /// [`Guard::revoke_where`], or by a response rule).
    Revoked {
        /// The tokens.
        tokens: Vec<TokenId>,
        /// When.
        at: Timestamp,
    },
    /// Revoke every token matching a selector, as each Guard that applies it finds them
    /// (published by a fleet-wide revocation; a local [`Guard::revoke_where`] records the
    /// tokens it revoked instead).
    RevokedWhere {
        /// Which tokens.
        selector: Selector,
        /// When.
        at: Timestamp,
    },
    /// A token was quarantined.
    Quarantined {
        /// The token.
        token: TokenId,
        /// When.
        at: Timestamp,
    },
    /// A quarantined token was released.
    Released {
        /// The token.
        token: TokenId,
        /// When.
        at: Timestamp,
    },
    /// `from` was rotated to `to`, usable until `grace_end`.
    Rotated {
        /// The old token.
        from: TokenId,
        /// The new token.
        to: TokenId,
        /// When `from` stops working.
        grace_end: Timestamp,
        /// When.
        at: Timestamp,
    },
    /// A named policy was set.
    PolicySet {
        /// Its name.
        name: String,
        /// The document.
        doc: PolicyDoc,
        /// True for [`Guard::set_policy`] (replaces); false in a state export (applies only
        /// where the name is missing, so an instance's configured policy wins).
        replace: bool,
    },
}

/// What [`Guard::take_changes`] returns.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Changes {
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// Changes lost to a full feed since the previous take: when not zero, the feed is
    /// incomplete and the replicator must publish a state export
    /// ([`Guard::export_changes`]) to make up for it.
    pub lost: u64,
}

/// What [`Guard::apply_change`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Whether any state changed.
    pub changed: bool,
    /// Tokens this change revoked here (sorted), including ones this Guard did not hold.
    pub revoked: Vec<TokenId>,
}

/// Default room of the change feed.
pub const DEFAULT_CHANGE_CAPACITY: usize = 65_536;

/// The feed: bounded, counting what it lost.
#[derive(Debug)]
pub(crate) struct ChangeLog {
    queue: VecDeque<Change>,
    capacity: usize,
    lost: u64,
}

impl ChangeLog {
    fn push(&mut self, change: Change) {
        if self.queue.len() >= self.capacity {
            self.lost += 1;
        } else {
            self.queue.push_back(change);
        }
    }
}

/// Tokens per `registered_many` change.
const BATCH_TOKENS: usize = 1024;

impl Guard {
    /// Turns the change feed on with room for `capacity` changes (at least 1). Returns false,
    /// changing nothing, when it is on already: one replicator per Guard.
    ///
    /// ```
    /// use tokenward::guard::Change;
    /// use tokenward::{Guard, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// assert!(guard.enable_changes(1024));
    /// let minted = guard.mint(&TokenMeta::new().owner("alice"), &[1; 32], 0)?;
    /// guard.revoke(&minted.id, 5)?;
    /// let taken = guard.take_changes();
    /// assert_eq!(taken.changes.len(), 2);
    /// assert_eq!(taken.changes[1], Change::Revoked { tokens: vec![minted.id], at: 5 });
    /// assert_eq!(guard.drain_events().len(), 2); // the audit events are still there
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn enable_changes(&self, capacity: usize) -> bool {
        let mut feed = self.changes.lock();
        if feed.is_some() {
            return false;
        }
        *feed = Some(ChangeLog {
            queue: VecDeque::new(),
            capacity: capacity.max(1),
            lost: 0,
        });
        true
    }

    /// Turns the change feed off and drops what it holds.
    pub fn disable_changes(&self) {
        *self.changes.lock() = None;
    }

    /// The recorded changes, oldest first, and how many were lost to a full feed; the feed
    /// is then empty. Empty when the feed is off.
    pub fn take_changes(&self) -> Changes {
        match self.changes.lock().as_mut() {
            None => Changes::default(),
            Some(feed) => Changes {
                changes: feed.queue.drain(..).collect(),
                lost: std::mem::take(&mut feed.lost),
            },
        }
    }

    /// Records a change when the feed is on. Called with the changed token's shard locked.
    pub(crate) fn record(&self, change: impl FnOnce() -> Change) {
        if let Some(feed) = self.changes.lock().as_mut() {
            feed.push(change());
        }
    }

    /// Marks the feed incomplete (as if changes were lost), so the replicator publishes a
    /// state export: after a restore or a replay, which change many tokens at once.
    pub(crate) fn feed_incomplete(&self) {
        if let Some(feed) = self.changes.lock().as_mut() {
            feed.lost += 1;
        }
    }

    /// Records a batch registration, in changes of up to 1024 tokens.
    pub(crate) fn record_many(&self, ids: &[TokenId], meta: &TokenMeta, issued_at: Timestamp) {
        if let Some(feed) = self.changes.lock().as_mut() {
            for chunk in ids.chunks(BATCH_TOKENS) {
                feed.push(Change::RegisteredMany {
                    tokens: chunk.to_vec(),
                    meta: TokenMeta {
                        issued_at: Some(issued_at),
                        ..meta.clone()
                    },
                });
            }
        }
    }

    /// The whole lifecycle state as changes: every named policy (`replace: false`), then
    /// every token with its metadata and state. Applied to another Guard it adds what that
    /// Guard lacks and stops what is stopped here, and never weakens what it holds. A fleet
    /// publishes it as a snapshot and after its feed lost changes.
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let here = Guard::new(TokenKey::new(b"k"));
    /// let a = here.mint(&TokenMeta::new().owner("alice"), &[1; 32], 0)?;
    /// here.revoke(&a.id, 1)?;
    /// let b = here.mint(&TokenMeta::new().owner("bob"), &[2; 32], 2)?;
    ///
    /// let there = Guard::new(TokenKey::new(b"k"));
    /// for change in here.export_changes() {
    ///     there.apply_change(&change, 3)?;
    /// }
    /// assert!(!there.check(&Request::new(a.token.expose()), 4).is_allowed());
    /// assert!(there.check(&Request::new(b.token.expose()), 4).is_allowed());
    /// assert_eq!(there.token(&b.id).unwrap().owner.as_deref(), Some("bob"));
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn export_changes(&self) -> Vec<Change> {
        let policies = self.policies.read();
        let mut out: Vec<Change> = policies
            .iter()
            .map(|(name, entry)| Change::PolicySet {
                name: name.to_string(),
                doc: entry.policy.doc().clone(),
                replace: false,
            })
            .collect();
        drop(policies);
        let interner = self.interner.read();
        let name = |sym| interner.name(sym).map(|s| s.to_string());
        for shard in self.shards.iter() {
            for (id, record) in shard.map.read().iter() {
                let policy = record.policy.as_ref().map(|e| match &e.name {
                    Some(name) => PolicySpec::Named(name.to_string()),
                    None => PolicySpec::Inline(Box::new(e.policy.doc().clone())),
                });
                let meta = TokenMeta {
                    owner: name(record.owner),
                    service: name(record.service),
                    environment: name(record.environment),
                    tags: interner
                        .set(record.tags)
                        .iter()
                        .filter_map(|&s| name(s))
                        .collect(),
                    policy,
                    issued_at: Some(record.issued_at),
                    expires_at: (record.expires_at != NEVER).then_some(record.expires_at),
                    expect: record.expect.as_ref().map(|e| e.doc.clone()),
                };
                out.push(Change::Registered {
                    token: *id,
                    meta,
                    state: record.lifecycle.state(),
                });
            }
        }
        out
    }

    /// Applies a change recorded by another Guard (with the same key), without recording
    /// it in this Guard's feed. Idempotent, and it never weakens a state: a revoked token
    /// stays revoked, a rotation's grace never ends later, a release lifts only a quarantine
    /// that began at or before it. A registration of a token held already only merges its
    /// state. A revocation of a token this Guard does not hold keeps it as a revoked record
    /// (without metadata), so registering it later is refused and it never works here.
    /// Queues the matching audit events (`registered`, `revoked`, ...) for what changed.
    ///
    /// Fails, changing nothing, when a registration names a policy this Guard lacks, or a
    /// selector is empty.
    pub fn apply_change(&self, change: &Change, now: Timestamp) -> Result<Applied, GuardError> {
        let mut applied = Applied::default();
        match change {
            Change::Registered { token, meta, state } => {
                applied.changed = self.apply_registered(token, meta, *state, now)?;
            }
            Change::RegisteredMany { tokens, meta } => {
                applied.changed = self.apply_registered_many(tokens, meta, now)?;
            }
            Change::Revoked { tokens, at } => {
                for token in tokens {
                    if self.revoke_replicated(token, *at) {
                        applied.revoked.push(*token);
                    }
                }
                applied.revoked.sort_unstable();
                applied.changed = !applied.revoked.is_empty();
            }
            Change::RevokedWhere { selector, at } => {
                applied.revoked = self.revoke_matching(selector, *at, false)?;
                applied.changed = !applied.revoked.is_empty();
            }
            Change::Quarantined { token, at } => {
                applied.changed = self
                    .update(token, |r| Ok(r.lifecycle.apply_quarantine(*at)))
                    .unwrap_or(false);
                if applied.changed {
                    let kind = EventKind::Quarantined {
                        token: *token,
                        cause: None,
                    };
                    self.emit(*at, kind);
                }
            }
            Change::Released { token, at } => {
                applied.changed = self
                    .update(token, |r| Ok(r.lifecycle.release(*at)))
                    .unwrap_or(false);
                if applied.changed {
                    self.emit(*at, EventKind::Released { token: *token });
                }
            }
            Change::Rotated {
                from,
                to,
                grace_end,
                at,
            } => {
                applied.changed = self
                    .replay_rotation(from, to, *grace_end, *at)
                    .unwrap_or(false);
                if applied.changed {
                    let kind = EventKind::Rotated {
                        from: *from,
                        to: *to,
                        grace_end: *grace_end,
                    };
                    self.emit(*at, kind);
                }
            }
            Change::PolicySet { name, doc, replace } => {
                let current = self.policies.read().get(name.as_str()).cloned();
                let same = current.as_ref().is_some_and(|e| e.policy.doc() == doc);
                if !same && (*replace || current.is_none()) {
                    self.put_policy(name, doc, now, false)?;
                    applied.changed = true;
                }
            }
        }
        Ok(applied)
    }

    fn apply_registered(
        &self,
        id: &TokenId,
        meta: &TokenMeta,
        state: TokenState,
        now: Timestamp,
    ) -> Result<bool, GuardError> {
        let merged = self.update(id, |record| Ok(merge_state(&mut record.lifecycle, state)));
        if let Ok(changed) = merged {
            return Ok(changed);
        }
        let policy = self.resolve_policy(meta.policy.as_ref())?;
        let expect = compile_expect(meta)?;
        let (interned, summary) = self.intern_meta(meta, policy.as_deref(), now);
        let inserted = match self.shards[shard_of(id)].map.write().entry(*id) {
            Entry::Occupied(mut slot) => {
                // Registered here since the first look: merge into it.
                return Ok(merge_state(&mut slot.get_mut().lifecycle, state));
            }
            Entry::Vacant(slot) => {
                let mut record = Record::new(interned, policy, expect);
                merge_state(&mut record.lifecycle, state);
                slot.insert(record);
                true
            }
        };
        if inserted {
            let kind = EventKind::Registered {
                token: *id,
                meta: summary,
            };
            self.emit(now, kind);
        }
        Ok(inserted)
    }

    fn apply_registered_many(
        &self,
        ids: &[TokenId],
        meta: &TokenMeta,
        now: Timestamp,
    ) -> Result<bool, GuardError> {
        let policy = self.resolve_policy(meta.policy.as_ref())?;
        let expect = compile_expect(meta)?;
        let (interned, summary) = self.intern_meta(meta, policy.as_deref(), now);
        let mut added = Vec::new();
        for id in ids {
            if let Entry::Vacant(slot) = self.shards[shard_of(id)].map.write().entry(*id) {
                slot.insert(Record::new(interned, policy.clone(), expect.clone()));
                added.push(*id);
            }
        }
        if added.is_empty() {
            return Ok(false);
        }
        let kind = EventKind::RegisteredBatch {
            tokens: added,
            meta: summary,
        };
        self.emit(now, kind);
        Ok(true)
    }

    /// Revokes a token from another instance: a token this Guard does not hold is kept as a
    /// revoked record without metadata. True when it changed.
    fn revoke_replicated(&self, id: &TokenId, at: Timestamp) -> bool {
        let changed = match self.shards[shard_of(id)].map.write().entry(*id) {
            Entry::Occupied(mut slot) => slot.get_mut().lifecycle.revoke(at),
            Entry::Vacant(slot) => {
                let meta = Meta {
                    owner: 0,
                    service: 0,
                    environment: 0,
                    tags: 0,
                    issued_at: at,
                    expires_at: NEVER,
                };
                let mut record = Record::new(meta, None, None);
                record.lifecycle.revoke(at);
                slot.insert(record);
                true
            }
        };
        if changed {
            let kind = EventKind::Revoked {
                token: *id,
                cause: None,
            };
            self.emit(at, kind);
        }
        changed
    }
}

/// Moves a lifecycle towards `state` by the one-way rules; true when it changed.
fn merge_state(lifecycle: &mut Lifecycle, state: TokenState) -> bool {
    match state {
        TokenState::Active => false,
        TokenState::Revoked { at } => lifecycle.revoke(at),
        TokenState::Quarantined { at } => lifecycle.apply_quarantine(at),
        TokenState::Rotated { to, grace_end } => lifecycle.apply_rotation(to, grace_end),
    }
}
