//! Replaying audit events: a restored Guard catches up with the lifecycle changes written to
//! the audit log since its snapshot.

use hashbrown::hash_map::Entry;
use hashbrown::HashMap;

use super::events::{verify_chain, verify_chain_from, ChainError, ChainErrorKind, ChainHead};
use super::lifecycle::successor;
use super::registry::{shard_of, TokenState};
use super::state::Lifecycle;
use super::{Event, EventKind, Guard, GuardError};
use crate::token::TokenId;
use crate::Timestamp;

/// Why events could not be replayed. The Guard is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The events are not one unbroken chain: one was altered, removed or reordered.
    #[error("replayed events: {0}")]
    Broken(ChainError),
    /// The events do not continue from the last event applied (the restored snapshot's chain
    /// head, or the end of the previous replay): events are missing in between, or they
    /// belong to another chain.
    #[error(
        "replayed event {found} does not follow event {applied}, the last one applied: \
         events are missing or come from another chain"
    )]
    Detached {
        /// The sequence number of the last event applied.
        applied: u64,
        /// The sequence number of the event that should follow it.
        found: u64,
        /// How it fails to follow.
        kind: ChainErrorKind,
    },
}

/// What [`Guard::replay_events`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Replayed {
    /// Events that changed a token's state (or created a rotation's new token).
    pub applied: u64,
    /// Events at or before the last one applied, skipped.
    pub already_applied: u64,
    /// Events that change nothing here: denials, alerts, policy changes, restores,
    /// registrations, events about unknown tokens, and changes the token's state already
    /// holds or overrides (a revoked token stays revoked).
    pub unchanged: u64,
    /// Events the source's full queue lost (`dropped` events): lifecycle changes may be
    /// missing from the replay, so treat the state as incomplete.
    pub lost: u64,
    /// Tokens the events registered, minted or rotated to, and left usable, that this Guard
    /// does not hold (an event names a token's metadata but not its expiry or inline policy,
    /// so a registration is not replayed). Register them again from the host's records;
    /// until then they are denied as unknown. Sorted.
    pub to_register: Vec<TokenId>,
    /// Tokens the events revoked or left quarantined that this Guard does not hold: never
    /// register them again as active. Sorted.
    pub stopped_unknown: Vec<TokenId>,
    /// The last event applied: the next replay continues from it.
    pub head: ChainHead,
}

/// What the events said about a token this Guard does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Usable,
    Quarantined,
    Revoked,
}

impl Guard {
    /// Applies the lifecycle changes of audit events written since the last restored snapshot
    /// (or the previous replay): revocations, quarantines, releases and rotations, in order.
    /// Bring a fresh process up to date by [`restore`](Guard::restore) and then this.
    ///
    /// The events must form one hash chain ([`ReplayError::Broken`]) that continues from the
    /// last event applied ([`ReplayError::Detached`]); events at or before that point are
    /// skipped, so replaying the same events twice, or a log that starts before the
    /// snapshot, changes nothing more. Everything is checked before anything is applied.
    ///
    /// A change never weakens a stronger state: a revoked token stays revoked, a rotation's
    /// grace never ends later, a release lifts only a quarantine that began at or before it.
    /// Registrations are not replayed (see [`Replayed::to_register`]). A rotation of a token
    /// this Guard holds also creates the new token, as the rotation did. On success with new
    /// events, a `replayed` event (at `now`) records the chain head reached, linking this
    /// Guard's chain to the replayed one.
    ///
    /// The chain shows accidents and edits of a log checked against a head kept elsewhere;
    /// it is not a signature, so replay only logs as trusted as the snapshot.
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let running = Guard::new(TokenKey::new(b"k"));
    /// let minted = running.mint(&TokenMeta::new(), &[4; 32], 0)?;
    /// running.drain_events(); // written to the audit log
    /// let backup = running.snapshot();
    /// running.revoke(&minted.id, 1)?;
    /// let since_backup = running.drain_events();
    ///
    /// // A new process: restore the backup, then replay the log written since.
    /// let fresh = Guard::new(TokenKey::new(b"k"));
    /// fresh.restore(&backup, 2)?;
    /// assert_eq!(fresh.replay_events(&since_backup, 3)?.applied, 1);
    /// assert!(!fresh.check(&Request::new(minted.token.expose()), 4).is_allowed());
    /// assert_eq!(fresh.replay_events(&since_backup, 5)?.applied, 0); // idempotent
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn replay_events(&self, events: &[Event], now: Timestamp) -> Result<Replayed, GuardError> {
        let mut applied_head = self.replayed.lock();
        let start = check_continuity(&applied_head, events)?;
        let mut summary = Replayed {
            already_applied: start as u64,
            head: *applied_head,
            ..Replayed::default()
        };
        let mut unknown: HashMap<TokenId, Fate> = HashMap::new();
        for event in &events[start..] {
            if let EventKind::Dropped { count } = event.kind {
                summary.lost += count;
            }
            match self.apply_event(event, &mut unknown) {
                true => summary.applied += 1,
                false => summary.unchanged += 1,
            }
        }
        let Some(last) = events.last().filter(|_| start < events.len()) else {
            return Ok(summary);
        };
        summary.head = ChainHead::of(last);
        *applied_head = summary.head;
        for (id, fate) in unknown {
            match fate {
                Fate::Usable => summary.to_register.push(id),
                Fate::Quarantined | Fate::Revoked => summary.stopped_unknown.push(id),
            }
        }
        summary.to_register.sort_unstable();
        summary.stopped_unknown.sort_unstable();
        self.emit(
            now,
            EventKind::Replayed {
                head: summary.head,
                applied: summary.applied,
            },
        );
        if summary.applied > 0 {
            self.feed_incomplete();
        }
        Ok(summary)
    }

    /// Applies one event; true when it changed something. Notes what it says about tokens
    /// this Guard does not hold.
    fn apply_event(&self, event: &Event, unknown: &mut HashMap<TokenId, Fate>) -> bool {
        let at = event.at;
        let changed = |id: &TokenId, change: fn(&mut Lifecycle, Timestamp) -> bool| {
            self.update(id, |record| Ok(change(&mut record.lifecycle, at)))
        };
        match &event.kind {
            EventKind::Revoked { token, .. } => changed(token, |l, at| l.revoke(at))
                .unwrap_or_else(|_| note(unknown, token, Fate::Revoked)),
            EventKind::Quarantined { token, .. } => changed(token, |l, at| l.quarantine(at))
                .unwrap_or_else(|_| note(unknown, token, Fate::Quarantined)),
            EventKind::Released { token } => match changed(token, |l, at| l.release(at)) {
                Ok(changed) => changed,
                Err(_) if unknown.get(token) == Some(&Fate::Quarantined) => {
                    note(unknown, token, Fate::Usable)
                }
                Err(_) => false,
            },
            EventKind::Rotated {
                from,
                to,
                grace_end,
            } => self
                .replay_rotation(from, to, *grace_end, at)
                .unwrap_or_else(|| note(unknown, to, Fate::Usable)),
            EventKind::Registered { token, .. } | EventKind::Minted { token, .. } => {
                if !self.holds(token) {
                    note(unknown, token, Fate::Usable);
                }
                false
            }
            EventKind::RegisteredBatch { tokens, .. } => {
                for token in tokens.iter().filter(|t| !self.holds(t)) {
                    note(unknown, token, Fate::Usable);
                }
                false
            }
            _ => false,
        }
    }

    fn holds(&self, id: &TokenId) -> bool {
        self.shards[shard_of(id)].map.read().contains_key(id)
    }

    /// A recorded rotation: `from` rotated (never weakened), and `to` created from `from`'s
    /// record as [`rotate`](Guard::rotate) did. `None` when `from` is unknown here.
    pub(super) fn replay_rotation(
        &self,
        from: &TokenId,
        to: &TokenId,
        grace_end: Timestamp,
        at: Timestamp,
    ) -> Option<bool> {
        self.with_pair(from, to, |from_map, to_map| {
            let Some(record) = from_map.get_mut(from) else {
                return Ok(None);
            };
            let rotated = record.lifecycle.apply_rotation(*to, grace_end);
            // A token stopped here (revoked, quarantined) hands on nothing: its successor
            // would be a usable token that a revocation by selector never saw.
            if !matches!(record.lifecycle.state(), TokenState::Rotated { to: t, .. } if t == *to) {
                return Ok(Some(rotated));
            }
            let new = successor(record, at);
            let created = match to_map.unwrap_or(from_map).entry(*to) {
                Entry::Vacant(slot) => {
                    slot.insert(new);
                    true
                }
                Entry::Occupied(_) => false,
            };
            Ok(Some(rotated || created))
        })
        .ok()
        .flatten()
    }
}

/// Notes what an event says about a token this Guard does not hold; changes nothing here.
fn note(unknown: &mut HashMap<TokenId, Fate>, id: &TokenId, fate: Fate) -> bool {
    match unknown.entry(*id) {
        Entry::Vacant(slot) => {
            slot.insert(fate);
        }
        // Revocation is final; a release makes a quarantined token usable again.
        Entry::Occupied(mut slot) if *slot.get() != Fate::Revoked => {
            slot.insert(fate);
        }
        Entry::Occupied(_) => {}
    }
    false
}

/// Checks that `events` form one chain continuing from `head`; returns the index of the
/// first event after `head`.
fn check_continuity(head: &ChainHead, events: &[Event]) -> Result<usize, ReplayError> {
    verify_chain(events).map_err(ReplayError::Broken)?;
    let detached = |found: u64, kind| ReplayError::Detached {
        applied: head.seq,
        found,
        kind,
    };
    if let Some(event) = events.iter().find(|e| e.seq == head.seq) {
        if event.hash() != head.hash {
            return Err(detached(event.seq, ChainErrorKind::HashMismatch));
        }
    }
    let start = events
        .iter()
        .position(|e| e.seq > head.seq)
        .unwrap_or(events.len());
    if let Some(first) = events.get(start) {
        verify_chain_from(head, std::slice::from_ref(first))
            .map_err(|e| detached(first.seq, e.kind))?;
    }
    Ok(start)
}
