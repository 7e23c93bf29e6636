//! Wrapper of [`tokenward::guard`]: the `Guard` class.
//!
//! Every method converts its arguments (`args`), calls the core, and converts the result
//! (`types`); core errors become JS errors with the `code` of the core's one error table. The
//! binding supplies what the core leaves to its host: the clock (`now` defaults to the wall
//! clock in Unix milliseconds, as `Date.now()` reads it) and the random bytes for minting
//! (from the operating system).
//!
//! Checks and single-token calls take microseconds and run on the JS thread. The calls that
//! touch the whole state (`snapshot`, `restore`, `replayEvents`) take time proportional to
//! the number of tokens (milliseconds per hundred thousand), so each also has an `...Async`
//! variant that runs on the libuv thread pool (`tasks`). The core's locks are held only
//! inside one call and never wait for JS, so the pool and the JS thread can share a Guard.

pub(crate) mod args;
pub(crate) mod tasks;
mod types;

use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer, Either};
use napi_derive::napi;
use tokenward::{Event, Request, Selector};

use crate::error::{error, from_core, guard, Code, Result};
pub use args::{
    CheckOptions, GuardOptions, NowOptions, RotateOptions, SelectorOptions, TokenOptions,
};
pub use tasks::{ReplayTask, RestoreTask, SnapshotTask};
pub use types::{ActionTaken, Alert, GuardEvent, Minted, Replayed, TokenInfo, Verdict};

/// A thread-safe registry of tokens: context policies, lifecycle (mint, rotate, revoke,
/// quarantine), usage anomalies and hash-chained audit events. Raw tokens are never stored,
/// only their keyed ids; the key is never shown.
///
/// ```js
/// const { Guard } = require('tokenward')
/// const guard = new Guard({ policies: { ci: { allow_ips: ['10.0.0.0/8'] } } }, { key })
/// const { token, id } = guard.mint({ owner: 'ci', policy: 'ci' })
/// guard.check(token, { ip: '10.1.2.3', method: 'GET', path: '/v1/orders' }).allowed // true
/// ```
#[napi]
pub struct Guard {
    inner: Arc<tokenward::Guard>,
}

#[napi]
impl Guard {
    /// A Guard with a config (TOML or JSON text, or an object: token prefix, named
    /// policies, usage tracking, response rules, event capacity; none for the defaults).
    /// Throws `TOKENWARD_CONFIG` for a bad config and `TOKENWARD_INVALID_ARG` for an empty key.
    #[napi(constructor)]
    pub fn new(
        #[napi(ts_arg_type = "string | Record<string, unknown> | undefined | null")] config: Option<
            serde_json::Value,
        >,
        options: GuardOptions,
    ) -> Result<Self> {
        guard(|| {
            let key = args::key(&options)?;
            let config = match config {
                Some(serde_json::Value::Null) | None => tokenward::GuardConfig::default(),
                Some(config) => args::config(config)?,
            };
            Guard::build(key, &config)
        })
    }

    /// A Guard with the config in a `.toml` or `.json` file (read synchronously).
    #[napi(factory)]
    pub fn from_file(path: String, options: GuardOptions) -> Result<Self> {
        guard(|| {
            let key = args::key(&options)?;
            Guard::build(key, &args::config_file(&path)?)
        })
    }

    /// Mints a token with 32 bytes from the operating system's random source, registers it
    /// with `options` as its metadata, and returns it with its id. The raw token is not kept.
    #[napi]
    pub fn mint(&self, options: Option<TokenOptions>) -> Result<Minted> {
        guard(|| {
            let options = options.unwrap_or_default();
            if options.issued_at.is_some() {
                return Err(error(
                    Code::InvalidArg,
                    "issuedAt is not an option of mint (a minted token is issued now)",
                ));
            }
            let random = args::random32()?;
            let minted = self
                .inner
                .mint(&options.to_core()?, &random, args::now(options.now)?)
                .map_err(from_core)?;
            Ok(minted.into())
        })
    }

    /// Registers a token the host issued itself (hashed, never stored); returns its id.
    #[napi]
    pub fn register(&self, token: String, options: Option<TokenOptions>) -> Result<String> {
        guard(|| {
            let options = options.unwrap_or_default();
            let id = self
                .inner
                .register(&token, &options.to_core()?, args::now(options.now)?)
                .map_err(from_core)?;
            Ok(id.to_string())
        })
    }

    /// Registers a token by its id (`tokenId(token)` under the same key), for hosts that
    /// keep only fingerprints.
    #[napi]
    pub fn register_id(&self, id: String, options: Option<TokenOptions>) -> Result<()> {
        guard(|| {
            let id = args::token_id(&id)?;
            let options = options.unwrap_or_default();
            self.inner
                .register_id(id, &options.to_core()?, args::now(options.now)?)
                .map_err(from_core)
        })
    }

    /// The id a raw token has under this Guard's key (the id redacted logs show).
    #[napi]
    pub fn token_id(&self, token: Either<String, Buffer>) -> Result<String> {
        guard(|| Ok(self.inner.token_id(args::token_bytes(&token)).to_string()))
    }

    /// Checks a request presenting `token` (a string, or a Buffer for bytes that are not
    /// UTF-8) with its context. Never throws for a bad token: an unknown one is denied as
    /// `unknown_token`. Throws `TOKENWARD_INVALID_ARG` for an `ip` that is no address.
    #[napi]
    pub fn check(
        &self,
        token: Either<String, Buffer>,
        options: Option<CheckOptions>,
    ) -> Result<Verdict> {
        guard(|| {
            let o = options.unwrap_or_default();
            let request = Request {
                token: args::token_bytes(&token),
                ip: o.ip.as_deref().map(args::ip).transpose()?,
                country: o.country.as_deref(),
                method: o.method.as_deref(),
                path: o.path.as_deref(),
                subject: o.subject.as_deref(),
                device: o.device.as_deref(),
                environment: o.environment.as_deref(),
                user_agent: o.user_agent.as_deref(),
                location: o.location.as_deref().map(args::location).transpose()?,
            };
            Ok(self.inner.check(&request, args::now(o.now)?).into())
        })
    }

    /// Feeds back the response status of a request made with `token`; returns the alerts
    /// it raised (an `error_burst` at most; none without usage tracking).
    #[napi]
    pub fn record_outcome(
        &self,
        token: Either<String, Buffer>,
        status: i64,
        options: Option<NowOptions>,
    ) -> Result<Vec<Alert>> {
        guard(|| {
            let now = args::now(options.unwrap_or_default().now)?;
            let reaction = self.inner.record_outcome_token(
                args::token_bytes(&token),
                args::status(status)?,
                now,
            );
            Ok(types::alerts(&reaction))
        })
    }

    /// The response statuses `recordOutcome` reads (401, 403 and 404 with usage tracking,
    /// none without): for any other the call changes nothing and may be skipped.
    #[napi(getter)]
    pub fn outcome_statuses(&self) -> Vec<u32> {
        self.inner
            .outcome_statuses()
            .iter()
            .map(|&s| u32::from(s))
            .collect()
    }

    /// `recordOutcome` by the token's id (a verdict's `tokenId`), for hosts that do not keep
    /// the raw token around until the response is sent (the Express and Fastify middleware).
    #[napi]
    pub fn record_outcome_id(
        &self,
        id: String,
        status: i64,
        options: Option<NowOptions>,
    ) -> Result<Vec<Alert>> {
        guard(|| {
            let id = args::token_id(&id)?;
            let now = args::now(options.unwrap_or_default().now)?;
            let reaction = self.inner.record_outcome(&id, args::status(status)?, now);
            Ok(types::alerts(&reaction))
        })
    }

    /// Revokes a token; true when it was not revoked already. Throws `TOKENWARD_NOT_FOUND`
    /// for an unknown id.
    #[napi]
    pub fn revoke(&self, id: String, options: Option<NowOptions>) -> Result<bool> {
        guard(|| {
            let id = args::token_id(&id)?;
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner.revoke(&id, now).map_err(from_core)
        })
    }

    /// Revokes every token matching all the given fields (at least one); returns their ids,
    /// sorted. The blast-radius response to a leak: `revokeWhere({ owner: 'alice', tag:
    /// 'laptop' })`.
    #[napi]
    pub fn revoke_where(&self, selector: SelectorOptions) -> Result<Vec<String>> {
        guard(|| {
            let now = args::now(selector.now)?;
            let selector = Selector {
                owner: selector.owner,
                service: selector.service,
                environment: selector.environment,
                tag: selector.tag,
            };
            let ids = self.inner.revoke_where(&selector, now).map_err(from_core)?;
            Ok(ids.iter().map(|id| id.to_string()).collect())
        })
    }

    /// Attaches this Guard to the fleet sharing the Redis at `url`
    /// (`redis://[user[:password]@]host[:port][/db]`): lifecycle changes made here reach every
    /// instance with the same `prefix`, theirs reach this Guard, usage deltas are merged.
    /// Returns at once, connected or not (see `Fleet.health()`). Throws `TOKENWARD_CONFIG` for
    /// a bad URL or a Guard tracking usage without `track_deltas`, `TOKENWARD_INVALID_ARG`
    /// for a bad setting, `TOKENWARD_CONFLICT` when attached already.
    #[napi]
    pub fn attach_fleet(
        &self,
        url: String,
        options: Option<crate::fleet::FleetOptions>,
    ) -> Result<crate::fleet::Fleet> {
        guard(|| crate::fleet::attach(&self.inner, &url, &options.unwrap_or_default()))
    }

    /// Quarantines an active token until `release`.
    #[napi]
    pub fn quarantine(&self, id: String, options: Option<NowOptions>) -> Result<()> {
        guard(|| {
            let id = args::token_id(&id)?;
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner.quarantine(&id, now).map_err(from_core)
        })
    }

    /// Releases a quarantined token.
    #[napi]
    pub fn release(&self, id: String, options: Option<NowOptions>) -> Result<()> {
        guard(|| {
            let id = args::token_id(&id)?;
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner.release(&id, now).map_err(from_core)
        })
    }

    /// Replaces an active token with a newly minted one; the old one keeps working for
    /// `grace` seconds (default: its policy's `rotation_grace`, else none).
    #[napi]
    pub fn rotate(&self, id: String, options: Option<RotateOptions>) -> Result<Minted> {
        guard(|| {
            let id = args::token_id(&id)?;
            let options = options.unwrap_or_default();
            let grace = args::grace_ms(options.grace)?;
            let random = args::random32()?;
            let minted = self
                .inner
                .rotate(&id, &random, grace, args::now(options.now)?)
                .map_err(from_core)?;
            Ok(minted.into())
        })
    }

    /// A token's record, or null when the id is not registered.
    #[napi]
    pub fn token_info(&self, id: String) -> Result<Option<TokenInfo>> {
        guard(|| {
            let id = args::token_id(&id)?;
            Ok(self.inner.token(&id).map(TokenInfo::from))
        })
    }

    /// Adds or replaces a named policy (TOML or JSON text, or an object). Tokens holding
    /// the name use the new policy from their next check.
    #[napi]
    pub fn set_policy(
        &self,
        name: String,
        #[napi(ts_arg_type = "string | Record<string, unknown>")] doc: serde_json::Value,
        options: Option<NowOptions>,
    ) -> Result<()> {
        guard(|| {
            // Named as the core names its compile errors (`policies.ci.allow_ips[0]`).
            let field: String = name.chars().take(64).collect();
            let doc = args::policy_doc(doc, &format!("policies.{field}"))?;
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner.set_policy(&name, &doc, now).map_err(from_core)
        })
    }

    /// The queued events, oldest first, in the core's JSON shape (chain fields `seq` and
    /// `prev_hash` included); the queue is then empty.
    #[napi(ts_return_type = "Array<GuardEvent>")]
    pub fn drain_events(&self) -> Result<Vec<serde_json::Value>> {
        guard(|| {
            self.inner
                .drain_events()
                .iter()
                .map(|event| {
                    serde_json::to_value(event)
                        .map_err(|_| error(Code::Internal, "an event could not be serialised"))
                })
                .collect()
        })
    }

    /// The whole state as bytes (without the key). Blocks for a time proportional to the
    /// number of tokens: see `snapshotAsync`.
    #[napi]
    pub fn snapshot(&self) -> Result<Buffer> {
        guard(|| Ok(self.inner.snapshot().into()))
    }

    /// `snapshot()` on the libuv thread pool.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn snapshot_async(&self) -> AsyncTask<SnapshotTask> {
        AsyncTask::new(SnapshotTask::new(self.inner.clone()))
    }

    /// Merges a snapshot into this Guard; a restore never makes a stopped (revoked,
    /// quarantined, rotated) token work again. Throws `TOKENWARD_SNAPSHOT` for bytes that are
    /// corrupt or from another key or version; the Guard is then unchanged.
    #[napi]
    pub fn restore(&self, data: Buffer, options: Option<NowOptions>) -> Result<()> {
        guard(|| {
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner.restore(&data, now).map_err(from_core)
        })
    }

    /// `restore()` on the libuv thread pool (the bytes are copied first).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn restore_async(
        &self,
        data: Buffer,
        options: Option<NowOptions>,
    ) -> Result<AsyncTask<RestoreTask>> {
        let now = args::now(options.unwrap_or_default().now)?;
        Ok(AsyncTask::new(RestoreTask::new(
            self.inner.clone(),
            data.to_vec(),
            now,
        )))
    }

    /// Applies the lifecycle changes of drained events (objects as `drainEvents` returns
    /// them, or their JSON text) written since the last restore. Throws `TOKENWARD_SNAPSHOT`
    /// for a malformed event or a broken chain; the Guard is then unchanged.
    #[napi]
    pub fn replay_events(
        &self,
        #[napi(ts_arg_type = "Array<GuardEvent | string>")] events: Vec<serde_json::Value>,
        options: Option<NowOptions>,
    ) -> Result<Replayed> {
        guard(|| {
            let events = parse_events(events)?;
            let now = args::now(options.unwrap_or_default().now)?;
            let replayed = self.inner.replay_events(&events, now).map_err(from_core)?;
            Ok(replayed.into())
        })
    }

    /// `replayEvents()` on the libuv thread pool (the events are parsed first).
    #[napi(ts_return_type = "Promise<Replayed>")]
    pub fn replay_events_async(
        &self,
        #[napi(ts_arg_type = "Array<GuardEvent | string>")] events: Vec<serde_json::Value>,
        options: Option<NowOptions>,
    ) -> Result<AsyncTask<ReplayTask>> {
        guard(|| {
            let events = parse_events(events)?;
            let now = args::now(options.unwrap_or_default().now)?;
            Ok(AsyncTask::new(ReplayTask::new(
                self.inner.clone(),
                events,
                now,
            )))
        })
    }

    /// A token's usage statistics (the core's JSON shape), or null (no usage tracking, or
    /// no state for it yet).
    #[napi(ts_return_type = "Record<string, unknown> | null")]
    pub fn usage(
        &self,
        id: String,
        options: Option<NowOptions>,
    ) -> Result<Option<serde_json::Value>> {
        guard(|| {
            let id = args::token_id(&id)?;
            let now = args::now(options.unwrap_or_default().now)?;
            self.inner
                .stats(&id, now)
                .map(|stats| {
                    serde_json::to_value(&stats)
                        .map_err(|_| error(Code::Internal, "usage could not be serialised"))
                })
                .transpose()
        })
    }

    /// The prefix minted tokens carry (`tw_` by default).
    #[napi(getter)]
    pub fn token_prefix(&self) -> String {
        self.inner.token_prefix().to_string()
    }

    /// How many events are queued for `drainEvents()`. Cheaper than draining: the
    /// middleware reads it to skip an empty drain after each request.
    #[napi(getter)]
    pub fn pending_events(&self) -> u32 {
        u32::try_from(self.inner.pending_events()).unwrap_or(u32::MAX)
    }

    /// The number of registered tokens.
    #[napi(getter)]
    pub fn size(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }
}

impl Guard {
    /// The core Guard, for the other wrappers (the `Gate`).
    pub(crate) fn core(&self) -> &tokenward::Guard {
        &self.inner
    }

    fn build(key: tokenward::TokenKey, config: &tokenward::GuardConfig) -> Result<Guard> {
        let inner = tokenward::Guard::with_config(key, config).map_err(from_core)?;
        Ok(Guard {
            inner: Arc::new(inner),
        })
    }
}

/// Drained events given back: objects, or their JSON text (lines of an audit log). A
/// malformed event is a `TOKENWARD_SNAPSHOT` error (a corrupt chain) naming its position,
/// not its content.
fn parse_events(events: Vec<serde_json::Value>) -> Result<Vec<Event>> {
    events
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let parsed = match item {
                serde_json::Value::String(text) => serde_json::from_str(&text),
                object @ serde_json::Value::Object(_) => {
                    serde_json::from_value(args::integral(object))
                }
                _ => {
                    return Err(error(
                        Code::InvalidArg,
                        format!("events[{i}] must be an object or a string"),
                    ))
                }
            };
            parsed.map_err(|_| {
                error(
                    Code::Snapshot,
                    format!("events[{i}] is not an event as drainEvents returns it"),
                )
            })
        })
        .collect()
}
