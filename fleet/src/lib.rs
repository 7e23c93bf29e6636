//! # tokenward-fleet
//!
//! A fleet of app instances that share one [`Guard`] state through Redis. A token revoked on
//! one instance is denied on every other within milliseconds; usage seen by each instance is
//! merged into every instance's detectors, so a botnet that spreads its requests over ten
//! replicas is seen as one.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tokenward::{Guard, TokenKey};
//! use tokenward_fleet::{Fleet, FleetConfig};
//!
//! let guard = Arc::new(Guard::new(TokenKey::new(b"the key every instance shares")));
//! let fleet = Fleet::attach(guard.clone(), FleetConfig::new("redis://127.0.0.1:6379")?)?;
//! // ... guard.check(...) as before, on any thread; revocations come and go by themselves.
//! assert!(fleet.health().queued < 100_000);
//! fleet.detach();
//! # Ok::<(), tokenward_fleet::FleetError>(())
//! ```
//!
//! [`Fleet::attach`] starts two threads with the `redis` crate's synchronous client (no
//! async runtime, so Python, Node and C hosts need nothing more): a **writer** and a
//! **reader**, each with its own connection. Every instance of a fleet must use the same
//! [`TokenKey`](tokenward::TokenKey), the same named policies in its config, and the same
//! usage window settings.
//!
//! ## What travels
//!
//! - **Lifecycle changes** (register, mint, rotate, revoke, revoke by selector, quarantine,
//!   release, policy changes, and the revocations and quarantines of response rules) are
//!   recorded by the Guard's change feed ([`Guard::enable_changes`]), a second bounded queue
//!   beside the audit events, so the host keeps draining [`Guard::drain_events`] for its own
//!   log. The writer publishes them to the stream `{prefix}:changes` (`XADD`, up to 256
//!   changes per entry, JSON); the reader of every instance applies the entries of the others
//!   with [`Guard::apply_change`], which records nothing (no echo) and never weakens a state
//!   (a revoked token stays revoked, whatever arrives later or twice). Each instance keeps
//!   the id of the last entry it applied and continues from it after a reconnect.
//! - **Usage deltas** ([`UsageTracker::delta`](tokenward::UsageTracker::delta)) are published
//!   every `delta_interval` (default 1 s) to `{prefix}:usage` and merged by the others (counts
//!   add, sketches union), so rate, fan-out and novelty detectors of every instance see the
//!   fleet's traffic. Requires `track_deltas = true` in the Guard's `[usage]` config.
//!
//! ## Consistency model
//!
//! Each instance decides alone, from its own state: checks never wait for Redis. A change
//! made on instance A takes effect on A when the call returns, and on instance B when B's
//! reader applies it: the writer's poll (1 ms by default) plus two loopback round trips,
//! a few milliseconds (see the benchmark in the README). Until then B may still **allow a
//! revoked token**: for that window, at the request rate the attacker reaches on B. With the
//! stream unreachable the window is as long as the outage for changes made elsewhere; a
//! change made locally is in force locally at once. Revocation is the strongest state and
//! wins every merge, so all instances converge to revoked whatever the order of arrival.
//! Quarantines and releases converge by their times (a release lifts only a quarantine that
//! began at or before it). Usage merges lag by up to `delta_interval` plus the read: a
//! distributed attack is detected within about one interval of when a concentrated one would
//! be, and alerts are raised by the instance whose request crossed the threshold.
//!
//! Redis is trusted for lifecycle: who can write the stream can revoke, quarantine, and
//! change named policies on every instance (but cannot make a raw token of its choosing
//! valid without the Guard's key). Protect it with an ACL user and TLS (below).
//!
//! ## Fail-static
//!
//! When Redis is unreachable, checks go on with the local state; local changes are queued in
//! bounded memory (`outbox_capacity`, default 100 000 changes), [`Fleet::health`] reports
//! `connected: false` and the queue length, and a [`FleetEvent::Disconnected`] is queued. On
//! reconnect the queue is published in order. When the queue passes its bound it
//! **collapses**: every queued change is dropped except fleet-wide selector revocations, and
//! a state export of this instance is published in their place on reconnect. The export
//! holds every token with its state, so no revocation, quarantine or rotation is lost; what
//! is lost is a release made during the outage (the token stays quarantined on the other
//! instances until released again: fail closed). The same export is published when the
//! Guard's own feed overflows and when an instance attaches (so tokens registered before the
//! fleet was attached are known fleet-wide).
//!
//! If Redis loses its data (restart without persistence, `FLUSHALL`), instances notice a new
//! epoch value, republish their state and read the new stream from its start: nothing any
//! surviving instance holds is lost. A late instance loads the snapshot and the tail.
//!
//! ## Snapshots and trimming
//!
//! Every `snapshot_interval` (30 s) an instance whose stream is longer than
//! `snapshot_min_entries` (10 000) takes a lock key, writes its state export with the id of
//! the last entry it applied (`covers`) to `{prefix}:snapshot` through a script that refuses
//! to move `covers` back, and trims the stream (`XTRIM MINID`) to entries after `covers` but
//! never ones younger than `retain` (10 minutes, so an instance cut off for less catches up
//! from the stream alone). A new instance loads the snapshot, then
//! reads the stream after `covers`. The script also trims and sets `{prefix}:trimmed` to the
//! id below which entries are gone; every read fetches that mark with the entries, so an
//! instance whose position the stream was trimmed past (it was away longer than `retain`, or
//! a snapshot landed between its snapshot load and its read) loads the snapshot again.
//!
//! ## Scaling
//!
//! Per instance: two connections, one blocking read that returns on every new entry, one
//! `XADD` per batch of changes and one per delta interval. Changes are rare (a revocation is
//! a 100-byte entry), so the load is the usage deltas: deflated JSON of about 50 bytes per
//! token used in the interval (53 measured at 10 000 tokens each used every second from one
//! address; more addresses and agents per token compress less), written once and read by
//! every other instance. With `n` instances and `t` tokens active on each per second, Redis
//! takes in about `50 t n` bytes/s and sends `50 t n (n - 1)`: 10 instances with 10 000
//! active tokens each is 5 MB/s in and 45 MB/s out, which one Redis serves; 50 such instances
//! (1.2 GB/s out) is beyond one Redis: raise `delta_interval`, or split the fleet into
//! prefixes. Registered tokens cost only snapshot size (about 200 bytes each, JSON).
//!
//! Redis Cluster: all keys of a fleet share the hash tag `{prefix}`, so they sit in one slot
//! (the snapshot script and `XREAD` over both streams need that); one fleet is served by one
//! shard, and several fleets (prefixes) spread over shards. Connect to the shard that owns
//! the slot (this crate uses a single-node client). Replication inside Redis is
//! asynchronous: a failover can lose the last entries, and the epoch key survives, so
//! instances do not notice; run Redis with `appendonly yes` and `WAIT` if that matters.
//!
//! ## Authentication and TLS
//!
//! The URL carries them: `redis://user:password@host:6379/0` (an ACL user; needs
//! `+xadd +xread +xrevrange +xtrim +xlen +get +set +eval` on the `{prefix}:*` keys), and
//! `rediss://` for TLS: rustls (with the `ring` provider, so no OpenSSL to link), verifying
//! the server's certificate against the system's roots, or against a private CA given with
//! [`FleetConfig::tls_ca_cert`] (`tls_ca_file` in [`FleetSettings`]). The certificate must
//! name the URL's host. Passwords never appear in errors, events or `Debug` output.
//!
//! ## From other languages
//!
//! The Python `Guard.attach_fleet(url, **settings)` and the Node `guard.attachFleet(url,
//! settings)` turn their settings into a [`FleetSettings`] (durations in seconds), which
//! makes the [`FleetConfig`]: one set of rules and errors for every host.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod config;
mod error;
mod link;
mod publish;
mod reader;
mod settings;
mod shared;
mod wire;
mod writer;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokenward::guard::DEFAULT_CHANGE_CAPACITY;
use tokenward::{Guard, Selector, Timestamp, TokenId};

pub use config::{FleetConfig, Keys};
pub use error::FleetError;
pub use publish::publish;
pub use settings::{seconds, FleetSettings};
pub use shared::{FleetEvent, Health};
pub use wire::StreamPos;

use shared::Shared;

/// A Guard attached to a fleet. Dropping it detaches (see [`detach`](Fleet::detach)).
pub struct Fleet {
    shared: Arc<Shared>,
    reader: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Fleet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fleet")
            .field("config", &self.shared.config)
            .field("health", &self.health())
            .finish()
    }
}

impl Fleet {
    /// Attaches a Guard to the fleet of `config`: turns its change feed on and starts the
    /// reader and writer threads. Returns at once, connected or not: an unreachable Redis
    /// is a state ([`health`](Fleet::health)), not an error.
    ///
    /// Fails when a setting is invalid ([`FleetError::InvalidArgument`]), the Guard tracks
    /// usage without deltas ([`FleetError::NoDeltas`]), or it is attached already
    /// ([`FleetError::AlreadyAttached`]).
    pub fn attach(guard: Arc<Guard>, config: FleetConfig) -> Result<Fleet, FleetError> {
        config.validate()?;
        if guard.usage().is_some_and(|u| !u.config().track_deltas) {
            return Err(FleetError::NoDeltas);
        }
        if !guard.enable_changes(DEFAULT_CHANGE_CAPACITY) {
            return Err(FleetError::AlreadyAttached);
        }
        let shared = Arc::new(Shared::new(guard, config, link::random_id()));
        let mut fleet = Fleet {
            shared: shared.clone(),
            reader: None,
            writer: None,
        };
        let spawn = |name: &str, run: fn(Arc<Shared>)| {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || run(shared))
                .map_err(|e| FleetError::Redis(format!("cannot start a thread: {e}")))
        };
        fleet.reader = Some(spawn("tokenward-fleet-reader", reader::run)?);
        fleet.writer = Some(spawn("tokenward-fleet-writer", writer::run)?);
        Ok(fleet)
    }

    /// The link's state: connected or not, queue length, position, counters.
    pub fn health(&self) -> Health {
        let mut health = self.shared.health.lock().clone();
        let outbox = self.shared.outbox.lock();
        health.queued = outbox.queue.len();
        health.resync_pending = outbox.resync;
        health
    }

    /// The fleet's events since the last call (connection changes, snapshots, entries that
    /// failed to apply), oldest first. At most 1024 are kept.
    pub fn drain_events(&self) -> Vec<FleetEvent> {
        self.shared.events.lock().drain(..).collect()
    }

    /// Revokes every token matching `selector` here at once, and on every instance of the
    /// fleet as it receives the selector: also tokens this instance does not hold. Returns
    /// the tokens revoked here.
    pub fn revoke_where(
        &self,
        selector: &Selector,
        now: Timestamp,
    ) -> Result<Vec<TokenId>, FleetError> {
        let revoked = self.shared.revoke_selected(selector, now, true)?;
        self.wake_writer();
        Ok(revoked)
    }

    /// Waits until every change made here so far is published (or `timeout` passes); true
    /// when it is. With Redis away it waits the whole timeout and returns false.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let connected = self.shared.health.lock().connected;
            {
                let mut outbox = self.shared.outbox.lock();
                self.shared.absorb(&mut outbox);
                if outbox.queue.is_empty() && !outbox.resync && connected {
                    return true;
                }
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.wake_writer();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Stops the threads after one last attempt to publish what is queued, and turns the
    /// Guard's change feed off. Changes still queued are lost to the fleet (the Guard keeps
    /// them); [`flush`](Fleet::flush) first to avoid that.
    pub fn detach(mut self) {
        self.stop();
    }

    fn wake_writer(&self) {
        if let Some(writer) = &self.writer {
            writer.thread().unpark();
        }
    }

    fn stop(&mut self) {
        self.shared
            .stop
            .store(true, std::sync::atomic::Ordering::Release);
        self.wake_writer();
        for handle in [self.writer.take(), self.reader.take()]
            .into_iter()
            .flatten()
        {
            let _ = handle.join();
        }
        self.shared.guard.disable_changes();
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop();
    }
}
