//! Lifecycle: rotate with a grace window, revoke (one or by selector), quarantine, release.

use std::collections::HashSet;

use super::registry::{shard_of, Map, Record, Sym, TokenState, NEVER};
use super::{Change, EventKind, Guard, GuardError, Minted, Selector};
use crate::token::TokenId;
use crate::usage::AlertKind;
use crate::Timestamp;

impl Guard {
    /// Revokes a token. From the moment this returns, every check of it denies with `revoked`,
    /// on every thread. Revoking a revoked token changes nothing and returns `Ok(false)`.
    pub fn revoke(&self, id: &TokenId, now: Timestamp) -> Result<bool, GuardError> {
        self.revoke_with_cause(id, now, None)
    }

    fn revoke_with_cause(
        &self,
        id: &TokenId,
        now: Timestamp,
        cause: Option<AlertKind>,
    ) -> Result<bool, GuardError> {
        let changed = self.update(id, |record| {
            let changed = record.lifecycle.revoke(now);
            if changed {
                self.record(|| Change::Revoked {
                    tokens: vec![*id],
                    at: now,
                });
            }
            Ok(changed)
        })?;
        if changed {
            self.emit(now, EventKind::Revoked { token: *id, cause });
        }
        Ok(changed)
    }

    /// A response rule's revocation: nothing to report when the token is gone already.
    pub(crate) fn revoke_for(&self, id: &TokenId, now: Timestamp, cause: Option<AlertKind>) {
        let _ = self.revoke_with_cause(id, now, cause);
    }

    /// A response rule's quarantine: only an active token is quarantined (a revoked or
    /// quarantined one already denies; a rotated one was denied this request alone).
    pub(crate) fn quarantine_for(&self, id: &TokenId, now: Timestamp, cause: Option<AlertKind>) {
        let _ = self.quarantine_with_cause(id, now, cause);
    }

    /// Revokes every token whose metadata matches `selector` and returns their ids (tokens
    /// already revoked are not included): the blast radius of a leak.
    ///
    /// ```
    /// use tokenward::{Guard, Selector, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let a = guard.mint(&TokenMeta::new().owner("alice").tag("laptop"), &[1; 32], 0)?;
    /// let b = guard.mint(&TokenMeta::new().owner("alice").tag("ci"), &[2; 32], 0)?;
    /// let revoked = guard.revoke_where(&Selector::new().owner("alice").tag("laptop"), 5)?;
    /// assert_eq!(revoked, [a.id]);
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn revoke_where(
        &self,
        selector: &Selector,
        now: Timestamp,
    ) -> Result<Vec<TokenId>, GuardError> {
        self.revoke_matching(selector, now, true)
    }

    /// [`revoke_where`](Self::revoke_where); records the revoked tokens in the change feed,
    /// shard by shard under the shard's lock, when `record`.
    pub(crate) fn revoke_matching(
        &self,
        selector: &Selector,
        now: Timestamp,
        record: bool,
    ) -> Result<Vec<TokenId>, GuardError> {
        if selector.is_empty() {
            return Err(GuardError::EmptySelector);
        }
        let Some(matcher) = self.matcher(selector) else {
            return Ok(Vec::new());
        };
        let mut affected = Vec::new();
        for shard in self.shards.iter() {
            let mut map = shard.map.write();
            let first = affected.len();
            for (id, record) in map.iter_mut() {
                if matcher.matches(record) && record.lifecycle.revoke(now) {
                    affected.push(*id);
                }
            }
            if record && affected.len() > first {
                self.record(|| Change::Revoked {
                    tokens: affected[first..].to_vec(),
                    at: now,
                });
            }
            drop(map);
        }
        affected.sort_unstable();
        for id in &affected {
            self.emit(
                now,
                EventKind::Revoked {
                    token: *id,
                    cause: None,
                },
            );
        }
        Ok(affected)
    }

    /// Quarantines an active token: checks deny with `quarantined` until [`release`](Self::release).
    pub fn quarantine(&self, id: &TokenId, now: Timestamp) -> Result<(), GuardError> {
        self.quarantine_with_cause(id, now, None)
    }

    fn quarantine_with_cause(
        &self,
        id: &TokenId,
        now: Timestamp,
        cause: Option<AlertKind>,
    ) -> Result<(), GuardError> {
        self.update(id, |record| match record.lifecycle.quarantine(now) {
            true => {
                self.record(|| Change::Quarantined {
                    token: *id,
                    at: now,
                });
                Ok(())
            }
            false => Err(invalid(id, record.lifecycle.state(), "quarantine")),
        })?;
        self.emit(now, EventKind::Quarantined { token: *id, cause });
        Ok(())
    }

    /// Releases a quarantined token back to active.
    pub fn release(&self, id: &TokenId, now: Timestamp) -> Result<(), GuardError> {
        self.update(id, |record| match record.lifecycle.state() {
            TokenState::Quarantined { .. } => {
                record.lifecycle.release_at(now);
                self.record(|| Change::Released {
                    token: *id,
                    at: now,
                });
                Ok(())
            }
            state => Err(invalid(id, state, "release")),
        })?;
        self.emit(now, EventKind::Released { token: *id });
        Ok(())
    }

    /// Replaces an active token with a newly minted one that has the same metadata and
    /// policy. The old token keeps working for `grace_ms` (default: its policy's
    /// `rotation_grace`, else none), then denies with `rotated`. A token with an expiry gets a
    /// new one of the same lifetime, counted from `now`.
    ///
    /// ```
    /// use tokenward::{Guard, Reason, Request, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let old = guard.mint(&TokenMeta::new(), &[1; 32], 0)?;
    /// let new = guard.rotate(&old.id, &[2; 32], Some(60_000), 1_000)?;
    /// let old_request = Request::new(old.token.expose());
    /// assert!(guard.check(&old_request, 60_999).is_allowed());
    /// assert_eq!(guard.check(&old_request, 61_000).reasons, [Reason::Rotated]);
    /// assert!(guard.check(&Request::new(new.token.expose()), 61_000).is_allowed());
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn rotate(
        &self,
        old: &TokenId,
        random: &[u8; 32],
        grace_ms: Option<i64>,
        now: Timestamp,
    ) -> Result<Minted, GuardError> {
        if grace_ms.is_some_and(|g| g < 0) {
            return Err(GuardError::InvalidArgument {
                field: "grace_ms",
                reason: "must not be negative",
            });
        }
        let token = crate::token::mint(&self.prefix, random)?;
        let new_id = self.key.id(token.expose().as_bytes());
        // Both shards are locked for the whole change, so it happens entirely or not at all:
        // nothing is claimed that a failure would have to undo over a concurrent revocation.
        let grace_end = self.with_pair(old, &new_id, |old_map, new_map| {
            let occupied = new_map
                .as_deref()
                .unwrap_or(&*old_map)
                .contains_key(&new_id);
            let record = old_map.get_mut(old).ok_or(GuardError::UnknownToken(*old))?;
            if !record.lifecycle.is_active() {
                return Err(invalid(old, record.lifecycle.state(), "rotate"));
            }
            if occupied {
                // Only possible when the caller reuses random bytes.
                return Err(GuardError::AlreadyRegistered(new_id));
            }
            let grace = grace_ms
                .or_else(|| {
                    record
                        .policy
                        .as_ref()
                        .and_then(|p| p.policy.rotation_grace())
                })
                .unwrap_or(0);
            let grace_end = now.saturating_add(grace);
            record.lifecycle.set(TokenState::Rotated {
                to: new_id,
                grace_end,
            });
            let successor = successor(record, now);
            new_map.unwrap_or(old_map).insert(new_id, successor);
            self.record(|| Change::Rotated {
                from: *old,
                to: new_id,
                grace_end,
                at: now,
            });
            Ok(grace_end)
        })?;
        self.emit(
            now,
            EventKind::Rotated {
                from: *old,
                to: new_id,
                grace_end,
            },
        );
        Ok(Minted { id: new_id, token })
    }

    /// Runs `change` with the write locks of the shards of `a` and `b`, taken in ascending
    /// order; the second map is `None` when both ids share a shard.
    pub(crate) fn with_pair<T>(
        &self,
        a: &TokenId,
        b: &TokenId,
        change: impl FnOnce(&mut Map, Option<&mut Map>) -> Result<T, GuardError>,
    ) -> Result<T, GuardError> {
        let (sa, sb) = (shard_of(a), shard_of(b));
        if sa == sb {
            return change(&mut self.shards[sa].map.write(), None);
        }
        let mut first = self.shards[sa.min(sb)].map.write();
        let mut second = self.shards[sa.max(sb)].map.write();
        if sa < sb {
            change(&mut first, Some(&mut second))
        } else {
            change(&mut second, Some(&mut first))
        }
    }

    /// Runs `change` on a token's record under its shard's write lock.
    pub(crate) fn update<T>(
        &self,
        id: &TokenId,
        change: impl FnOnce(&mut Record) -> Result<T, GuardError>,
    ) -> Result<T, GuardError> {
        let mut map = self.shards[shard_of(id)].map.write();
        let record = map.get_mut(id).ok_or(GuardError::UnknownToken(*id))?;
        change(record)
    }

    /// Resolves a selector's strings to interned symbols; `None` when some value was never
    /// interned, so no token can match.
    fn matcher(&self, selector: &Selector) -> Option<Matcher> {
        let interner = self.interner.read();
        let sym = |value: &Option<String>| -> Option<Option<Sym>> {
            match value {
                None => Some(None),
                Some(v) => interner.get(v).map(Some),
            }
        };
        let tag_sets = match &selector.tag {
            None => None,
            Some(tag) => {
                let tag = interner.get(tag)?;
                let sets = interner.sets().enumerate();
                Some(
                    sets.filter(|(_, s)| s.contains(&tag))
                        .map(|(i, _)| i as u32 + 1)
                        .collect(),
                )
            }
        };
        Some(Matcher {
            owner: sym(&selector.owner)?,
            service: sym(&selector.service)?,
            environment: sym(&selector.environment)?,
            tag_sets,
        })
    }
}

struct Matcher {
    owner: Option<Sym>,
    service: Option<Sym>,
    environment: Option<Sym>,
    /// The ids of the tag sets that hold the selected tag.
    tag_sets: Option<HashSet<u32>>,
}

impl Matcher {
    fn matches(&self, record: &Record) -> bool {
        self.owner.is_none_or(|s| s == record.owner)
            && self.service.is_none_or(|s| s == record.service)
            && self.environment.is_none_or(|s| s == record.environment)
            && self
                .tag_sets
                .as_ref()
                .is_none_or(|sets| sets.contains(&record.tags))
    }
}

/// The record a rotation at `now` creates from the old token's: the same metadata and
/// policy, issued at `now`, with an expiry (if any) of the same lifetime counted from `now`.
pub(crate) fn successor(old: &Record, now: Timestamp) -> Record {
    let mut meta = old.meta();
    if meta.expires_at != NEVER {
        meta.expires_at = now.saturating_add(meta.expires_at.saturating_sub(meta.issued_at));
    }
    meta.issued_at = now;
    Record::new(meta, old.policy.clone(), old.expect.clone())
}

fn invalid(token: &TokenId, state: TokenState, action: &'static str) -> GuardError {
    GuardError::InvalidState {
        token: *token,
        state: state.name(),
        action,
    }
}
