//! Wrapper of `tokenward_fleet`: the `Fleet` class that `Guard.attachFleet` returns.
//!
//! `flush` and `detach` block (they wait for Redis, or join the fleet's threads), so they run
//! on the libuv thread pool and return promises; `health` and `drainEvents` copy a few
//! figures on the JS thread. The handle sits behind a mutex as an `Arc`: a flush on the pool
//! holds a clone, so `detach` is never stuck behind it, and the threads stop when the last
//! clone is dropped.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use tokenward::Selector;
use tokenward_fleet::FleetSettings;

use crate::error::{error, from_core, guard, Code, Result};
use crate::guard::args;
use crate::guard::tasks::{compute, settle, Outcome};

/// The settings of `attachFleet`: the key prefix and the pacing of the fleet's threads.
/// Durations are seconds.
#[napi(object)]
#[derive(Default)]
pub struct FleetOptions {
    /// Key prefix (default `tokenward`): fleets sharing a Redis but not their tokens differ.
    pub prefix: Option<String>,
    /// How often the writer looks for local changes (default 0.001).
    pub poll: Option<f64>,
    /// How long one blocking read waits (default 0.25); bounds how long `detach` waits.
    pub block: Option<f64>,
    /// How often usage deltas are published (default 1).
    pub delta_interval: Option<f64>,
    /// Most changes queued while Redis is away (default 100000).
    pub outbox_capacity: Option<u32>,
    /// How often a snapshot is considered (default 30).
    pub snapshot_interval: Option<f64>,
    /// Stream length below which no snapshot is written (default 10000).
    pub snapshot_min_entries: Option<u32>,
    /// Stream entries younger than this are never trimmed (default 600).
    pub retain: Option<f64>,
    /// How long usage deltas stay in their stream (default 30).
    pub usage_retain: Option<f64>,
    /// Timeout of a connection attempt (default 1).
    pub connect_timeout: Option<f64>,
    /// A PEM file of the CAs that sign Redis's TLS certificate (`rediss://`); unset trusts
    /// the system's roots.
    pub tls_ca_file: Option<String>,
}

impl From<&FleetOptions> for FleetSettings {
    fn from(o: &FleetOptions) -> FleetSettings {
        FleetSettings {
            prefix: o.prefix.clone(),
            poll: o.poll,
            block: o.block,
            delta_interval: o.delta_interval,
            outbox_capacity: o.outbox_capacity.map(u64::from),
            snapshot_interval: o.snapshot_interval,
            snapshot_min_entries: o.snapshot_min_entries.map(u64::from),
            retain: o.retain,
            usage_retain: o.usage_retain,
            connect_timeout: o.connect_timeout,
            tls_ca_file: o.tls_ca_file.clone(),
        }
    }
}

/// Attaches `guard` to the fleet at `url`; what `Guard.attachFleet` does. Returns at once:
/// the threads connect in the background.
pub fn attach(guard: &Arc<tokenward::Guard>, url: &str, options: &FleetOptions) -> Result<Fleet> {
    let config = FleetSettings::from(options)
        .config(url)
        .map_err(from_core)?;
    let fleet = tokenward_fleet::Fleet::attach(guard.clone(), config).map_err(from_core)?;
    Ok(Fleet {
        inner: Arc::new(Mutex::new(Some(Arc::new(fleet)))),
    })
}

type Slot = Arc<Mutex<Option<Arc<tokenward_fleet::Fleet>>>>;

/// A Guard attached to a fleet of instances sharing one Redis: lifecycle changes made here
/// reach the others, theirs reach this Guard, usage deltas are merged. Call `detach()` to
/// stop. Methods other than `detach` throw `TOKENWARD_CONFLICT` once detached.
#[napi]
pub struct Fleet {
    inner: Slot,
}

impl Fleet {
    fn running(&self) -> Result<Arc<tokenward_fleet::Fleet>> {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| error(Code::Conflict, "the fleet is detached"))
    }
}

#[napi]
impl Fleet {
    /// The link's state: `connected`, `queued`, `resyncPending`, `position`, counters
    /// (`appliedEntries`, `publishedChanges`, ...) and `lastError` (never a password).
    #[napi]
    pub fn health(&self) -> Result<FleetHealth> {
        guard(|| Ok(FleetHealth::from(self.running()?.health())))
    }

    /// The fleet's own events since the last call, oldest first: objects with a `kind`
    /// (`connected`, `disconnected`, `snapshot_loaded`, ...).
    #[napi(ts_return_type = "Array<{ kind: string; [field: string]: unknown }>")]
    pub fn drain_events(&self) -> Result<serde_json::Value> {
        guard(|| {
            serde_json::to_value(self.running()?.drain_events())
                .map_err(|e| error(Code::Internal, format!("cannot serialize: {e}")))
        })
    }

    /// Resolves when every change made here is published (true), or after `timeout` seconds
    /// (default 5) with false. Waits on the libuv pool.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn flush(&self, timeout: Option<f64>) -> Result<AsyncTask<FlushTask>> {
        guard(|| {
            let timeout =
                tokenward_fleet::seconds("timeout", timeout.unwrap_or(5.0)).map_err(from_core)?;
            Ok(AsyncTask::new(FlushTask {
                fleet: self.running()?,
                timeout,
            }))
        })
    }

    /// Revokes the tokens matching every given field here and on every instance, also those
    /// this one does not hold; returns the ids revoked here.
    #[napi]
    pub fn revoke_where(&self, selector: args::SelectorOptions) -> Result<Vec<String>> {
        guard(|| {
            let now = args::now(selector.now)?;
            let selector = Selector {
                owner: selector.owner,
                service: selector.service,
                environment: selector.environment,
                tag: selector.tag,
            };
            let ids = self
                .running()?
                .revoke_where(&selector, now)
                .map_err(from_core)?;
            Ok(ids.iter().map(|id| id.to_string()).collect())
        })
    }

    /// Stops the fleet's threads (on the libuv pool) after a last attempt to publish what is
    /// queued, and turns the Guard's change feed off so it can be attached again. Calling it
    /// again does nothing.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn detach(&self) -> AsyncTask<DetachTask> {
        let fleet = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        AsyncTask::new(DetachTask { fleet })
    }

    /// True until `detach()` is called.
    #[napi(getter)]
    pub fn attached(&self) -> bool {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
    }
}

/// The state of an instance's link to the fleet, from `Fleet.health()`.
#[napi(object)]
pub struct FleetHealth {
    /// Both connections (reader and writer) are up.
    pub connected: bool,
    /// Local changes waiting to be published.
    pub queued: f64,
    /// A state export is due (after a lost feed, a collapsed outbox, or Redis losing data).
    pub resync_pending: bool,
    /// The last stream entry applied (`ms-seq`).
    pub position: String,
    /// Stream entries of other instances applied.
    pub applied_entries: f64,
    /// Changes published by this instance.
    pub published_changes: f64,
    /// Usage deltas published.
    pub deltas_published: f64,
    /// Usage deltas merged from other instances.
    pub deltas_merged: f64,
    /// Bytes of usage deltas published.
    pub delta_bytes_published: f64,
    /// Entries or deltas that could not be applied.
    pub apply_failures: f64,
    /// Times the outbox collapsed into a state export.
    pub outbox_collapses: f64,
    /// The last Redis error, if any (never a password).
    pub last_error: Option<String>,
}

impl From<tokenward_fleet::Health> for FleetHealth {
    fn from(h: tokenward_fleet::Health) -> FleetHealth {
        // Counters as JS numbers: exact up to 2^53, far beyond what a process counts.
        FleetHealth {
            connected: h.connected,
            queued: h.queued as f64,
            resync_pending: h.resync_pending,
            position: h.position,
            applied_entries: h.applied_entries as f64,
            published_changes: h.published_changes as f64,
            deltas_published: h.deltas_published as f64,
            deltas_merged: h.deltas_merged as f64,
            delta_bytes_published: h.delta_bytes_published as f64,
            apply_failures: h.apply_failures as f64,
            outbox_collapses: h.outbox_collapses as f64,
            last_error: h.last_error,
        }
    }
}

/// The work of `flush()`.
pub struct FlushTask {
    fleet: Arc<tokenward_fleet::Fleet>,
    timeout: Duration,
}

impl Task for FlushTask {
    type Output = Outcome<bool>;
    type JsValue = bool;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(compute(|| Ok(self.fleet.flush(self.timeout))))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<bool> {
        settle(env, output)
    }
}

/// The work of `detach()`: dropping the last handle stops and joins the threads.
pub struct DetachTask {
    fleet: Option<Arc<tokenward_fleet::Fleet>>,
}

impl Task for DetachTask {
    type Output = Outcome<()>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let fleet = self.fleet.take();
        Ok(compute(move || {
            drop(fleet);
            Ok(())
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<()> {
        settle(env, output)
    }
}
