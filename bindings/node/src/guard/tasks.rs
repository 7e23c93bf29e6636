//! The `...Async` variants of the whole-state calls: work on a libuv worker thread, settled
//! on the JS thread.
//!
//! napi-rs rejects a task's promise with its own status codes, so a core error is carried
//! out of `compute` as a value and turned into a JS error with our `code` in `resolve`.

use std::sync::Arc;

use napi::bindgen_prelude::Buffer;
use napi::{Env, JsError, Task};
use tokenward::{Event, Timestamp};

use super::types::Replayed;
use crate::error::{error, from_core, guard, Code};

/// A core result that can cross threads: the value, or an error's code and message.
pub(crate) type Outcome<T> = std::result::Result<T, (Code, String)>;

/// Runs `f` on the worker, catching panics, and keeps its error as data.
pub(crate) fn compute<T>(f: impl FnOnce() -> crate::error::Result<T>) -> Outcome<T> {
    guard(f).map_err(|e| (e.status, e.reason))
}

/// Resolves with the value, or rejects with a JS error carrying our `code`.
pub(crate) fn settle<T>(env: Env, outcome: Outcome<T>) -> napi::Result<T> {
    outcome.map_err(|(code, message)| {
        let js = JsError::from(error(code, message)).into_unknown(env);
        napi::Error::from(js)
    })
}

/// The work of `snapshotAsync()`.
pub struct SnapshotTask {
    guard: Arc<tokenward::Guard>,
}

impl SnapshotTask {
    pub(super) fn new(guard: Arc<tokenward::Guard>) -> SnapshotTask {
        SnapshotTask { guard }
    }
}

impl Task for SnapshotTask {
    type Output = Outcome<Vec<u8>>;
    type JsValue = Buffer;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        Ok(compute(|| Ok(self.guard.snapshot())))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Buffer> {
        settle(env, output).map(Buffer::from)
    }
}

/// The work of `restoreAsync()`.
pub struct RestoreTask {
    guard: Arc<tokenward::Guard>,
    data: Vec<u8>,
    now: Timestamp,
}

impl RestoreTask {
    pub(super) fn new(guard: Arc<tokenward::Guard>, data: Vec<u8>, now: Timestamp) -> RestoreTask {
        RestoreTask { guard, data, now }
    }
}

impl Task for RestoreTask {
    type Output = Outcome<()>;
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let data = std::mem::take(&mut self.data);
        Ok(compute(|| {
            self.guard.restore(&data, self.now).map_err(from_core)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<()> {
        settle(env, output)
    }
}

/// The work of `replayEventsAsync()`.
pub struct ReplayTask {
    guard: Arc<tokenward::Guard>,
    events: Vec<Event>,
    now: Timestamp,
}

impl ReplayTask {
    pub(super) fn new(
        guard: Arc<tokenward::Guard>,
        events: Vec<Event>,
        now: Timestamp,
    ) -> ReplayTask {
        ReplayTask { guard, events, now }
    }
}

impl Task for ReplayTask {
    type Output = Outcome<tokenward::guard::Replayed>;
    type JsValue = Replayed;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let events = std::mem::take(&mut self.events);
        Ok(compute(|| {
            self.guard
                .replay_events(&events, self.now)
                .map_err(from_core)
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Replayed> {
        settle(env, output).map(Replayed::from)
    }
}
