//! The reader: one connection blocked on the two streams, applying what other instances
//! publish; on (re)connect it checks the epoch and catches up (snapshot, then the tail).

use std::sync::Arc;
use std::time::Duration;

use redis::streams::StreamReadReply;
use redis::{Connection, RedisResult};
use tokenward::guard::Change;

use crate::link::{connect, last_id, random_id};
use crate::shared::{now_ms, FleetEvent, Shared};
use crate::wire::{self, SnapshotDoc, StreamPos, FORMAT};

/// Entries read per call.
const BATCH: usize = 512;

struct Reader {
    shared: Arc<Shared>,
    conn: Option<Connection>,
    /// The epoch value seen at the last connect.
    epoch: Option<String>,
    changes: Option<StreamPos>,
    usage: Option<StreamPos>,
}

pub(crate) fn run(shared: Arc<Shared>) {
    let mut reader = Reader {
        shared,
        conn: None,
        epoch: None,
        changes: None,
        usage: None,
    };
    let mut backoff = Duration::from_millis(10);
    while !reader.shared.stopping() {
        if reader.conn.is_none() {
            if let Err(e) = reader.connect() {
                reader.down(e);
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(Duration::from_millis(500));
                continue;
            }
            backoff = Duration::from_millis(10);
            let shared = &reader.shared;
            shared.set_link(&shared.reader_up, true, None);
        }
        if let Err(e) = reader.read_once() {
            reader.down(e);
        }
    }
}

impl Reader {
    fn down(&mut self, error: redis::RedisError) {
        self.conn = None;
        let error = crate::config::scrub(&error.to_string());
        self.shared
            .set_link(&self.shared.reader_up, false, Some(error));
    }

    fn connect(&mut self) -> RedisResult<()> {
        let config = &self.shared.config;
        let mut conn = connect(config, config.block + Duration::from_secs(2))?;
        let keys = &self.shared.keys;
        let _: Option<String> = redis::cmd("SET")
            .arg(&keys.epoch)
            .arg(random_id())
            .arg("NX")
            .query(&mut conn)?;
        let epoch: Option<String> = redis::cmd("GET").arg(&keys.epoch).query(&mut conn)?;
        if self.epoch.is_some() && self.epoch != epoch {
            // Redis lost the fleet's data: everything this instance knows must go back in,
            // and the new stream is read from its start.
            self.changes = None;
            self.usage = None;
            *self.shared.position.lock() = None;
            self.shared.outbox.lock().resync = true;
            self.shared.event(FleetEvent::RedisDataLost);
        }
        self.epoch = epoch;
        self.conn = Some(conn);
        self.catch_up()?;
        if self.usage.is_none() {
            let conn = self.conn.as_mut().expect("connected");
            self.usage = Some(last_id(conn, &self.shared.keys.usage)?);
        }
        Ok(())
    }

    /// Loads the snapshot when this instance has no position yet, or the stream was trimmed
    /// past it.
    fn catch_up(&mut self) -> RedisResult<()> {
        let conn = self.conn.as_mut().expect("connected");
        let trimmed: Option<String> = redis::cmd("GET")
            .arg(&self.shared.keys.trimmed)
            .query(conn)?;
        if self.behind(trimmed.as_deref()) {
            let covers = self.load_snapshot()?;
            let pos = self.changes.unwrap_or(StreamPos::ZERO).max(covers);
            self.set_position(pos);
        }
        Ok(())
    }

    /// Whether entries this instance has not applied may be gone: it has no position yet, or
    /// the stream was trimmed past it (`trimmed` is the id below which entries were removed).
    fn behind(&self, trimmed: Option<&str>) -> bool {
        let Some(pos) = self.changes else {
            return true;
        };
        trimmed
            .and_then(StreamPos::parse)
            .is_some_and(|t| t > pos.next())
    }

    /// Applies the stored snapshot, if any; returns the position it covers.
    fn load_snapshot(&mut self) -> RedisResult<StreamPos> {
        let conn = self.conn.as_mut().expect("connected");
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(&self.shared.keys.snapshot)
            .query(conn)?;
        let Some(bytes) = bytes else {
            return Ok(StreamPos::ZERO);
        };
        let doc: SnapshotDoc = match serde_json::from_slice(&bytes) {
            Ok(doc) if bytes.len() <= wire::MAX_FIELD_BYTES => doc,
            Ok(_) | Err(_) => {
                self.failure("snapshot does not decode".into());
                return Ok(StreamPos::ZERO);
            }
        };
        let Some(covers) = StreamPos::parse(&doc.covers).filter(|_| doc.format == FORMAT) else {
            self.failure(format!("snapshot format {} is not supported", doc.format));
            return Ok(StreamPos::ZERO);
        };
        let now = now_ms();
        for change in &doc.changes {
            if let Err(e) = self.shared.guard.apply_change(change, now) {
                self.failure(format!("snapshot change: {e}"));
            }
        }
        self.shared.event(FleetEvent::SnapshotLoaded {
            covers: covers.to_string(),
        });
        Ok(covers)
    }

    fn read_once(&mut self) -> RedisResult<()> {
        let keys = &self.shared.keys;
        let (changes, usage) = (
            self.changes.unwrap_or(StreamPos::ZERO),
            self.usage.unwrap_or(StreamPos::ZERO),
        );
        let block = self.shared.config.block.as_millis().max(1) as u64;
        let conn = self.conn.as_mut().expect("connected");
        // The trim mark is read after the entries, in the same round trip: when it passed
        // the position the read started from, entries may be missing in between.
        let (reply, trimmed): (Option<StreamReadReply>, Option<String>) = redis::pipe()
            .cmd("XREAD")
            .arg("COUNT")
            .arg(BATCH)
            .arg("BLOCK")
            .arg(block)
            .arg("STREAMS")
            .arg(&keys.changes)
            .arg(&keys.usage)
            .arg(changes.to_string())
            .arg(usage.to_string())
            .cmd("GET")
            .arg(&keys.trimmed)
            .query(conn)?;
        let gap = self.behind(trimmed.as_deref());
        for key in reply.map(|r| r.keys).unwrap_or_default() {
            if key.key == self.shared.keys.changes {
                for entry in wire::entries(&key, "c") {
                    self.apply_entry(entry);
                }
            } else {
                for entry in wire::entries(&key, "d") {
                    self.merge_delta(entry);
                }
            }
        }
        if gap {
            // What the batch skipped is in the snapshot (applying twice changes nothing).
            let covers = self.load_snapshot()?;
            let pos = self.changes.unwrap_or(StreamPos::ZERO).max(covers);
            self.set_position(pos);
        }
        Ok(())
    }

    fn apply_entry(&mut self, entry: Result<wire::Entry, String>) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return self.failure(e),
        };
        let changes = wire::decode_changes(&entry.payload);
        match changes {
            Err(e) => self.failure(e),
            Ok(changes) if entry.origin == self.shared.origin => {
                // Ours: already applied here; the registrations in it are now in order.
                let mut outbox = self.shared.outbox.lock();
                for change in &changes {
                    match change {
                        Change::Registered { token, .. } => {
                            outbox.unsequenced.remove(token);
                        }
                        Change::RegisteredMany { tokens, .. } => {
                            for token in tokens {
                                outbox.unsequenced.remove(token);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Ok(changes) => {
                let now = now_ms();
                for change in &changes {
                    let result = match change {
                        Change::RevokedWhere { selector, at } => {
                            self.shared.revoke_selected(selector, *at, false).map(drop)
                        }
                        other => self.shared.guard.apply_change(other, now).map(drop),
                    };
                    if let Err(e) = result {
                        self.failure(format!("entry {}: {e}", entry.pos));
                    }
                }
                self.shared.health.lock().applied_entries += 1;
            }
        }
        self.set_position(entry.pos);
    }

    fn merge_delta(&mut self, entry: Result<wire::Entry, String>) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => return self.failure(e),
        };
        self.usage = Some(entry.pos);
        if entry.origin == self.shared.origin {
            return;
        }
        let Some(tracker) = self.shared.guard.usage() else {
            return;
        };
        let merged = wire::decode_delta(&entry.payload)
            .and_then(|delta| tracker.merge(&delta, now_ms()).map_err(|e| e.to_string()));
        match merged {
            Ok(()) => self.shared.health.lock().deltas_merged += 1,
            Err(e) => self.failure(e),
        }
    }

    fn set_position(&mut self, pos: StreamPos) {
        self.changes = Some(pos);
        *self.shared.position.lock() = Some(pos);
        self.shared.health.lock().position = pos.to_string();
    }

    fn failure(&self, error: String) {
        self.shared.health.lock().apply_failures += 1;
        self.shared.event(FleetEvent::ApplyFailed { error });
    }
}
