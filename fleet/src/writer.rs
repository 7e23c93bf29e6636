//! The writer: publishes local changes (after a state export when one is due), usage deltas
//! on their period, and now and then a snapshot with a safe trim of the stream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult};
use tokenward::guard::Change;

use crate::link::connect;
use crate::shared::{now_ms, FleetEvent, Shared};
use crate::wire::{self, SnapshotDoc, StreamPos, CHANGES_PER_ENTRY, FORMAT};

struct Writer {
    shared: Arc<Shared>,
    conn: Option<Connection>,
    next_delta: Instant,
    next_snapshot: Instant,
}

pub(crate) fn run(shared: Arc<Shared>) {
    let now = Instant::now();
    let mut writer = Writer {
        next_delta: now + shared.config.delta_interval,
        next_snapshot: now + shared.config.snapshot_interval,
        shared,
        conn: None,
    };
    let mut backoff = Duration::from_millis(10);
    let mut retry_at = Instant::now();
    loop {
        let stopping = writer.shared.stopping();
        {
            let mut outbox = writer.shared.outbox.lock();
            writer.shared.absorb(&mut outbox);
        }
        if writer.conn.is_none() && (Instant::now() >= retry_at || stopping) {
            match connect(&writer.shared.config, Duration::from_secs(5)) {
                Ok(conn) => {
                    writer.conn = Some(conn);
                    backoff = Duration::from_millis(10);
                    let shared = &writer.shared;
                    shared.set_link(&shared.writer_up, true, None);
                }
                Err(e) => {
                    writer.down(e);
                    retry_at = Instant::now() + backoff;
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
            }
        }
        if writer.conn.is_some() {
            if let Err(e) = writer.step() {
                writer.down(e);
            }
        }
        if stopping {
            break;
        }
        std::thread::park_timeout(writer.shared.config.poll);
    }
}

impl Writer {
    fn down(&mut self, error: redis::RedisError) {
        self.conn = None;
        let error = crate::config::scrub(&error.to_string());
        self.shared
            .set_link(&self.shared.writer_up, false, Some(error));
    }

    fn step(&mut self) -> RedisResult<()> {
        self.resync()?;
        self.publish_outbox()?;
        let now = Instant::now();
        if now >= self.next_delta {
            self.next_delta = now + self.shared.config.delta_interval;
            self.publish_delta()?;
        }
        if now >= self.next_snapshot {
            self.next_snapshot = now + self.shared.config.snapshot_interval;
            self.snapshot()?;
        }
        Ok(())
    }

    fn xadd(&mut self, changes: &[Change]) -> RedisResult<()> {
        let conn = self.conn.as_mut().expect("connected");
        let _: String = redis::cmd("XADD")
            .arg(&self.shared.keys.changes)
            .arg("*")
            .arg("o")
            .arg(&self.shared.origin)
            .arg("c")
            .arg(wire::encode_changes(changes))
            .query(conn)?;
        self.shared.health.lock().published_changes += changes.len() as u64;
        Ok(())
    }

    /// Publishes this instance's whole state when due: at attach, after the feed lost
    /// changes or the outbox collapsed, and after Redis lost its data.
    fn resync(&mut self) -> RedisResult<()> {
        if !std::mem::take(&mut self.shared.outbox.lock().resync) {
            return Ok(());
        }
        let export = self.shared.guard.export_changes();
        {
            let mut outbox = self.shared.outbox.lock();
            for change in &export {
                if let Change::Registered { token, .. } = change {
                    outbox.unsequenced.insert(*token);
                }
            }
        }
        for chunk in export.chunks(CHANGES_PER_ENTRY) {
            if let Err(e) = self.xadd(chunk) {
                self.shared.outbox.lock().resync = true;
                return Err(e);
            }
        }
        Ok(())
    }

    fn publish_outbox(&mut self) -> RedisResult<()> {
        loop {
            let (batch, generation) = {
                let outbox = self.shared.outbox.lock();
                let batch: Vec<Change> = outbox
                    .queue
                    .iter()
                    .take(CHANGES_PER_ENTRY)
                    .cloned()
                    .collect();
                (batch, outbox.generation)
            };
            if batch.is_empty() {
                return Ok(());
            }
            self.xadd(&batch)?;
            let mut outbox = self.shared.outbox.lock();
            if outbox.generation == generation {
                outbox.queue.drain(..batch.len());
            }
        }
    }

    fn publish_delta(&mut self) -> RedisResult<()> {
        let Some(tracker) = self.shared.guard.usage() else {
            return Ok(());
        };
        let Ok(delta) = tracker.delta() else {
            return Ok(());
        };
        if delta.is_empty() {
            return Ok(());
        }
        let bytes = wire::encode_delta(&delta);
        let retain = self.shared.config.usage_retain.as_millis() as i64;
        let oldest = StreamPos {
            ms: now_ms().saturating_sub(retain).max(0) as u64,
            seq: 0,
        };
        let conn = self.conn.as_mut().expect("connected");
        let _: String = redis::cmd("XADD")
            .arg(&self.shared.keys.usage)
            .arg("MINID")
            .arg("~")
            .arg(oldest.to_string())
            .arg("*")
            .arg("o")
            .arg(&self.shared.origin)
            .arg("d")
            .arg(&bytes)
            .query(conn)?;
        let mut health = self.shared.health.lock();
        health.deltas_published += 1;
        health.delta_bytes_published += bytes.len() as u64;
        Ok(())
    }

    /// Writes a snapshot and trims the stream, when the stream is long enough and no other
    /// instance holds the lock. The snapshot covers the reader's position: every entry up to
    /// it is in this Guard's state. Entries younger than `retain` are kept whatever it covers.
    fn snapshot(&mut self) -> RedisResult<()> {
        let Some(covers) = *self.shared.position.lock() else {
            return Ok(());
        };
        let keys = self.shared.keys.clone();
        let conn = self.conn.as_mut().expect("connected");
        let len: u64 = redis::cmd("XLEN").arg(&keys.changes).query(conn)?;
        if len < self.shared.config.snapshot_min_entries {
            return Ok(());
        }
        let locked: Option<String> = redis::cmd("SET")
            .arg(&keys.lock)
            .arg(&self.shared.origin)
            .arg("NX")
            .arg("PX")
            .arg(30_000)
            .query(conn)?;
        if locked.is_none() {
            return Ok(());
        }
        let doc = SnapshotDoc {
            format: FORMAT,
            covers: covers.to_string(),
            changes: self.shared.guard.export_changes(),
        };
        let json = serde_json::to_vec(&doc).expect("snapshots serialize");
        let retain = self.shared.config.retain.as_millis() as i64;
        let edge = StreamPos {
            ms: now_ms().saturating_sub(retain).max(0) as u64,
            seq: 0,
        };
        let stored: i64 = redis::cmd("EVAL")
            .arg(wire::STORE_SNAPSHOT)
            .arg(4)
            .arg(&keys.snapshot)
            .arg(&keys.covers)
            .arg(&keys.changes)
            .arg(&keys.trimmed)
            .arg(covers.ms)
            .arg(covers.seq)
            .arg(json)
            .arg(covers.next().min(edge).to_string())
            .query(conn)?;
        if stored == 1 {
            self.shared.event(FleetEvent::SnapshotWritten {
                covers: covers.to_string(),
            });
        }
        let _: i64 = redis::cmd("EVAL")
            .arg(wire::RELEASE_LOCK)
            .arg(1)
            .arg(&keys.lock)
            .arg(&self.shared.origin)
            .query(conn)?;
        Ok(())
    }
}
