//! What the Fleet handle, the reader and the writer share: the outbox of local changes, the
//! read position, the health figures and the fleet's own events.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use hashbrown::HashSet;
use parking_lot::Mutex;
use serde::Serialize;
use tokenward::guard::{Change, Changes};
use tokenward::{Guard, Selector, Timestamp, TokenId};

use crate::config::{FleetConfig, Keys};
use crate::wire::StreamPos;

/// Most fleet events kept until drained.
const EVENT_CAPACITY: usize = 1024;

/// Something the fleet wants the host to know, from [`Fleet::drain_events`](crate::Fleet::drain_events).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FleetEvent {
    /// Connected (or reconnected) to Redis; queued changes are being published.
    Connected,
    /// Redis is unreachable: the Guard keeps checking with its local state, and local changes
    /// are queued.
    Disconnected {
        /// The Redis error (no password in it).
        error: String,
    },
    /// The outbox passed its capacity: it collapsed into a state export of this instance.
    OutboxCollapsed {
        /// Changes it held.
        dropped: u64,
    },
    /// Redis lost the fleet's data (restarted without persistence, or flushed): this
    /// instance republishes its state and reads the new stream from its start.
    RedisDataLost,
    /// A snapshot was loaded (at attach, or after the stream was trimmed past this
    /// instance's position).
    SnapshotLoaded {
        /// The stream id it covers.
        covers: String,
    },
    /// This instance wrote a snapshot and trimmed the stream.
    SnapshotWritten {
        /// The stream id it covers.
        covers: String,
    },
    /// An entry from the stream could not be applied (it is skipped).
    ApplyFailed {
        /// Why.
        error: String,
    },
}

/// The state of an instance's link to the fleet, from [`Fleet::health`](crate::Fleet::health).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Health {
    /// Both connections (reader and writer) are up.
    pub connected: bool,
    /// Local changes waiting to be published.
    pub queued: usize,
    /// A state export is due (after a lost feed, a collapsed outbox, or Redis losing data).
    pub resync_pending: bool,
    /// The last stream entry applied (`ms-seq`).
    pub position: String,
    /// Stream entries of other instances applied.
    pub applied_entries: u64,
    /// Changes published by this instance.
    pub published_changes: u64,
    /// Usage deltas published.
    pub deltas_published: u64,
    /// Usage deltas merged from other instances.
    pub deltas_merged: u64,
    /// Bytes of usage deltas published.
    pub delta_bytes_published: u64,
    /// Entries or deltas that could not be applied.
    pub apply_failures: u64,
    /// Times the outbox collapsed into a state export.
    pub outbox_collapses: u64,
    /// The last Redis error, if any (no password in it).
    pub last_error: Option<String>,
}

/// Local changes waiting for Redis, in order.
#[derive(Default)]
pub(crate) struct Outbox {
    pub queue: VecDeque<Change>,
    /// Tokens this instance published (or queued) a registration of and has not read back
    /// from the stream yet: see `revoke_selected`.
    pub unsequenced: HashSet<TokenId>,
    /// A state export must be published before the queue.
    pub resync: bool,
    /// Bumped whenever the queue is cleared, so a writer publishing its front knows.
    pub generation: u64,
}

pub(crate) struct Shared {
    pub guard: Arc<Guard>,
    pub config: FleetConfig,
    pub keys: Keys,
    /// This attachment's id: entries carry it, so an instance skips its own.
    pub origin: String,
    pub stop: AtomicBool,
    pub outbox: Mutex<Outbox>,
    pub health: Mutex<Health>,
    pub reader_up: AtomicBool,
    pub writer_up: AtomicBool,
    pub events: Mutex<VecDeque<FleetEvent>>,
    /// The last change entry applied, for the snapshot writer.
    pub position: Mutex<Option<StreamPos>>,
}

impl Shared {
    pub fn new(guard: Arc<Guard>, config: FleetConfig, origin: String) -> Shared {
        Shared {
            guard,
            keys: config.keys(),
            config,
            origin,
            stop: AtomicBool::new(false),
            outbox: Mutex::new(Outbox {
                resync: true,
                ..Outbox::default()
            }),
            health: Mutex::new(Health::default()),
            reader_up: AtomicBool::new(false),
            writer_up: AtomicBool::new(false),
            events: Mutex::new(VecDeque::new()),
            position: Mutex::new(None),
        }
    }

    pub fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    pub fn event(&self, event: FleetEvent) {
        let mut events = self.events.lock();
        if events.len() >= EVENT_CAPACITY {
            events.pop_front();
        }
        events.push_back(event);
    }

    /// Marks one side's connection up or down; events when the fleet link as a whole (both
    /// sides) goes up or down.
    pub fn set_link(&self, side: &AtomicBool, up: bool, error: Option<String>) {
        let both =
            |s: &Shared| s.reader_up.load(Ordering::Acquire) && s.writer_up.load(Ordering::Acquire);
        // The health lock orders the transitions of the two sides.
        let mut health = self.health.lock();
        let before = both(self);
        side.store(up, Ordering::Release);
        let after = both(self);
        health.connected = after;
        if error.is_some() {
            health.last_error.clone_from(&error);
        }
        drop(health);
        if before && !after {
            self.event(FleetEvent::Disconnected {
                error: error.unwrap_or_default(),
            });
        } else if !before && after {
            self.event(FleetEvent::Connected);
        }
    }

    /// Moves the Guard's recorded changes into the outbox. Called with the outbox locked.
    pub fn absorb(&self, outbox: &mut Outbox) {
        let Changes { changes, lost, .. } = self.guard.take_changes();
        if lost > 0 {
            outbox.resync = true;
        }
        for change in changes {
            match &change {
                Change::Registered { token, .. } => {
                    outbox.unsequenced.insert(*token);
                }
                Change::RegisteredMany { tokens, .. } => outbox.unsequenced.extend(tokens),
                _ => {}
            }
            outbox.queue.push_back(change);
        }
        if outbox.queue.len() > self.config.outbox_capacity {
            self.collapse(outbox);
        }
    }

    /// The outbox is full: keep only the fleet-wide selector revocations (a state export
    /// cannot stand for them, as they reach tokens this instance does not hold) and publish
    /// a state export in place of the rest, which holds every revocation, quarantine and
    /// rotation of the tokens here.
    fn collapse(&self, outbox: &mut Outbox) {
        let before = outbox.queue.len();
        outbox
            .queue
            .retain(|c| matches!(c, Change::RevokedWhere { .. }));
        let dropped = (before - outbox.queue.len()) as u64;
        outbox.resync = true;
        outbox.generation += 1;
        self.health.lock().outbox_collapses += 1;
        self.event(FleetEvent::OutboxCollapsed { dropped });
    }

    /// Revokes the tokens matching `selector` here, and queues the selector for the fleet
    /// when `publish`. Tokens it revokes whose registration this instance has not yet seen
    /// come back from the stream get a revocation of their own queued after it: the other
    /// instances apply that registration after the selector, and must not keep them active.
    pub fn revoke_selected(
        &self,
        selector: &Selector,
        at: Timestamp,
        publish: bool,
    ) -> Result<Vec<TokenId>, tokenward::GuardError> {
        let mut outbox = self.outbox.lock();
        self.absorb(&mut outbox);
        let change = Change::RevokedWhere {
            selector: selector.clone(),
            at,
        };
        let applied = self.guard.apply_change(&change, now_ms())?;
        if publish {
            outbox.queue.push_back(change);
        }
        // Registrations recorded while the selector ran are in the feed now.
        self.absorb(&mut outbox);
        let derived: Vec<TokenId> = applied
            .revoked
            .iter()
            .filter(|t| outbox.unsequenced.contains(*t))
            .copied()
            .collect();
        if !derived.is_empty() {
            outbox.queue.push_back(Change::Revoked {
                tokens: derived,
                at,
            });
        }
        Ok(applied.revoked)
    }
}

/// The wall clock in Unix milliseconds.
pub(crate) fn now_ms() -> Timestamp {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as Timestamp)
}
