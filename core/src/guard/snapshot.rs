//! Snapshots: the whole Guard state as versioned, checksummed bytes.
//!
//! Layout: `TWGS` magic, version (u16 LE), reserved (u16, zero), payload length (u64 LE), the
//! payload (postcard), and a BLAKE3 hash of everything before it. The payload holds the
//! interned metadata strings, named and inline policy documents (recompiled on restore), every
//! token record with its lifecycle, last use and rate-limit state, the queued events and the
//! chain head, usage statistics (as JSON, when usage tracking is on), and a check value of the
//! key (never the key itself).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::events::{Event, EventLog};
use super::expect::{Compiled, Expectations};
use super::registry::{shard_of, Interner, Map, PolicyEntry, Record, Sym, TokenState};
use super::state::Lifecycle;
use super::{named_entry, Guard, GuardError};
use crate::policy::{Policy, PolicyDoc, PolicyError, RateGroup, RateLog};
use crate::token::TokenId;
use crate::usage::{UsageSnapshot, UsageTracker};

const MAGIC: &[u8; 4] = b"TWGS";
/// The snapshot format this build writes.
/// Version 4 added each token's soft expectations (versions 2 and 3 are read as tokens
/// without any).
/// Version 3 added a lifecycle version per token (see [`Guard::restore`]) and holds each
/// token's sliding rate-limit log in place of a bucket state. Version 2 is still read, its
/// tokens at lifecycle version 0 and with empty rate logs (a bucket cannot be read as a log).
/// Version 2 added usage statistics and the `alert` event (version 1 is not read: its events
/// encode differently).
pub const SNAPSHOT_VERSION: u16 = 4;
/// The oldest snapshot format this build reads.
const OLDEST_READ: u16 = 2;
const HEADER_LEN: usize = 16;
const CHECKSUM_LEN: usize = 32;

/// Why a snapshot could not be restored. The Guard is unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Fewer bytes than the header and checksum need, or than the header announces.
    #[error("snapshot truncated: {found} bytes, expected {expected}")]
    Truncated {
        /// Bytes needed.
        expected: u64,
        /// Bytes given.
        found: u64,
    },
    /// The bytes are not a tokenward Guard snapshot.
    #[error("not a tokenward Guard snapshot (bad magic)")]
    BadMagic,
    /// Written by a newer, or too old, format version.
    #[error(
        "snapshot version {found} is not supported (this build reads versions {oldest} to {supported})",
        oldest = OLDEST_READ
    )]
    UnsupportedVersion {
        /// The version in the snapshot.
        found: u16,
        /// The newest version this build reads.
        supported: u16,
    },
    /// More bytes than the header announces.
    #[error("snapshot has {0} bytes after its checksum")]
    TrailingBytes(u64),
    /// The checksum does not match: the bytes were corrupted.
    #[error("snapshot checksum mismatch: the bytes are corrupt")]
    ChecksumMismatch,
    /// The snapshot was made with a different token key; its token ids would match nothing.
    #[error("snapshot was made with a different token key")]
    KeyMismatch,
    /// The payload is well-checksummed but does not decode or is inconsistent.
    #[error("malformed snapshot: {0}")]
    Malformed(String),
    /// A policy in the snapshot no longer compiles.
    #[error("snapshot policy {0}")]
    Policy(PolicyError),
    /// The usage statistics do not fit this Guard's usage config (other windows).
    #[error("snapshot usage state: {0}")]
    Usage(String),
}

impl SnapshotError {
    /// Always [`ErrorKind::Snapshot`](crate::ErrorKind::Snapshot): whatever is wrong, the bytes
    /// cannot be restored into this Guard.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Snapshot
    }
}

/// The snapshot body; `T` is the token record of the format version.
#[derive(Serialize, Deserialize)]
struct Payload<T = TokenRecord> {
    key_check: [u8; 16],
    token_prefix: String,
    names: Vec<String>,
    tag_sets: Vec<Vec<Sym>>,
    /// Named policies as JSON documents.
    policies: Vec<(String, String)>,
    /// Inline policies as JSON documents.
    inline_policies: Vec<String>,
    tokens: Vec<T>,
    events: EventLog,
    /// The usage tracker's state as JSON ([`UsageSnapshot`]), when usage tracking is on.
    usage: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct TokenRecord {
    id: TokenId,
    owner: Sym,
    service: Sym,
    environment: Sym,
    tags: u32,
    issued_at: i64,
    expires_at: i64,
    policy: PolicyRef,
    state: TokenState,
    /// Lifecycle changes the token has seen: of two states from one history, the newer.
    version: u32,
    last_used: i64,
    /// The rate limit's log, oldest first.
    rate: Vec<RateGroup>,
    /// Soft expectations as a JSON document (version 4 on).
    expect: Option<String>,
}

/// A token record of format version 3: no soft expectations.
#[derive(Serialize, Deserialize)]
struct TokenRecordV3 {
    id: TokenId,
    owner: Sym,
    service: Sym,
    environment: Sym,
    tags: u32,
    issued_at: i64,
    expires_at: i64,
    policy: PolicyRef,
    state: TokenState,
    version: u32,
    last_used: i64,
    rate: Vec<RateGroup>,
}

impl<T> Payload<T> {
    /// The same payload with its token records converted.
    fn map_tokens(self, f: impl FnMut(T) -> TokenRecord) -> Payload {
        Payload {
            key_check: self.key_check,
            token_prefix: self.token_prefix,
            names: self.names,
            tag_sets: self.tag_sets,
            policies: self.policies,
            inline_policies: self.inline_policies,
            tokens: self.tokens.into_iter().map(f).collect(),
            events: self.events,
            usage: self.usage,
        }
    }
}

impl Payload<TokenRecordV3> {
    fn upgrade(self) -> Payload {
        self.map_tokens(|t| TokenRecord {
            id: t.id,
            owner: t.owner,
            service: t.service,
            environment: t.environment,
            tags: t.tags,
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            policy: t.policy,
            state: t.state,
            version: t.version,
            last_used: t.last_used,
            rate: t.rate,
            expect: None,
        })
    }
}

/// A token record of format version 2: no lifecycle version.
#[derive(Serialize, Deserialize)]
struct TokenRecordV2 {
    id: TokenId,
    owner: Sym,
    service: Sym,
    environment: Sym,
    tags: u32,
    issued_at: i64,
    expires_at: i64,
    policy: PolicyRef,
    state: TokenState,
    last_used: i64,
    rate: i64,
}

impl Payload<TokenRecordV2> {
    fn upgrade(self) -> Payload {
        self.map_tokens(|t| TokenRecord {
            id: t.id,
            owner: t.owner,
            service: t.service,
            environment: t.environment,
            tags: t.tags,
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            policy: t.policy,
            state: t.state,
            version: 0,
            last_used: t.last_used,
            // A version-2 token bucket cannot be read as a log of requests.
            rate: Vec::new(),
            expect: None,
        })
    }
}

#[derive(Serialize, Deserialize)]
enum PolicyRef {
    None,
    Named(u32),
    Inline(u32),
}

/// A snapshot's state, decoded and checked, ready to merge: every reference is valid.
struct Restored {
    /// The snapshot's strings and tag sets (its own symbols).
    interner: Interner,
    named: Vec<Arc<PolicyEntry>>,
    inline: Vec<Arc<PolicyEntry>>,
    tokens: Vec<TokenRecord>,
    events: EventLog,
}

impl Guard {
    /// The whole state as bytes: tokens, metadata, policies, lifecycle, last use, rate limits,
    /// queued events, the chain head and usage statistics. The key is not included: restore
    /// into a Guard built with the same key. (The response rules and usage settings are
    /// configuration, not state: they come from the restoring Guard's config.)
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let minted = guard.mint(&TokenMeta::new().owner("ops"), &[4; 32], 0)?;
    /// let bytes = guard.snapshot();
    ///
    /// let copy = Guard::new(TokenKey::new(b"k"));
    /// copy.restore(&bytes, 1)?;
    /// assert_eq!(copy.token(&minted.id), guard.token(&minted.id));
    /// assert!(copy.restore(&bytes[..bytes.len() - 1], 1).is_err());
    /// assert!(Guard::new(TokenKey::new(b"other")).restore(&bytes, 1).is_err());
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn snapshot(&self) -> Vec<u8> {
        // Hold every lock (in the documented order) so the snapshot is one consistent state.
        let policies = self.policies.read();
        let interner = self.interner.read();
        let maps: Vec<_> = self.shards.iter().map(|s| s.map.read()).collect();
        let events = self.events.lock();

        let mut named: Vec<(&Arc<str>, &Arc<PolicyEntry>)> = policies.iter().collect();
        named.sort_by(|a, b| a.0.cmp(b.0));
        let mut inline: Vec<String> = Vec::new();
        let mut inline_index: HashMap<*const PolicyEntry, u32> = HashMap::new();
        let mut tokens = Vec::with_capacity(maps.iter().map(|m| m.len()).sum());
        for map in &maps {
            for (id, record) in map.iter() {
                let policy = match &record.policy {
                    None => PolicyRef::None,
                    Some(entry) => match named.iter().position(|(_, e)| Arc::ptr_eq(e, entry)) {
                        Some(i) => PolicyRef::Named(i as u32),
                        None => PolicyRef::Inline(
                            *inline_index.entry(Arc::as_ptr(entry)).or_insert_with(|| {
                                inline.push(entry.policy.doc().to_json());
                                inline.len() as u32 - 1
                            }),
                        ),
                    },
                };
                tokens.push(TokenRecord {
                    id: *id,
                    owner: record.owner,
                    service: record.service,
                    environment: record.environment,
                    tags: record.tags,
                    issued_at: record.issued_at,
                    expires_at: record.expires_at,
                    policy,
                    state: record.lifecycle.state(),
                    version: record.lifecycle.version(),
                    last_used: record.last_used.load(Ordering::Relaxed),
                    rate: record.rate.lock().groups().to_vec(),
                    expect: record
                        .expect
                        .as_ref()
                        .map(|e| serde_json::to_string(&e.doc).expect("expectations serialize")),
                });
            }
        }
        tokens.sort_unstable_by_key(|t| t.id);
        let payload = Payload {
            key_check: self.key_check(),
            token_prefix: self.prefix.to_string(),
            names: interner.names().iter().map(|n| n.to_string()).collect(),
            tag_sets: interner.sets().map(|s| s.to_vec()).collect(),
            policies: named
                .iter()
                .map(|(n, e)| (n.to_string(), e.policy.doc().to_json()))
                .collect(),
            inline_policies: inline,
            tokens,
            events: events.clone(),
            usage: self
                .usage
                .as_ref()
                .map(|t| serde_json::to_string(&t.snapshot()).expect("usage state serializes")),
        };
        encode(SNAPSHOT_VERSION, &payload)
    }

    /// Merges a snapshot into this Guard. A restore never makes a stopped token work again,
    /// so restoring an old backup cannot undo a later revocation:
    ///
    /// - **Tokens** the Guard lacks are added. For a token on both sides, its lifecycle is
    ///   merged: revoked is terminal; a rotation is never undone and its grace never ends
    ///   later; otherwise the newer state wins, by a per-token lifecycle version that every
    ///   change bumps (so a release after a quarantine stands, and an old snapshot's
    ///   quarantine neither comes back nor lifts a newer one), quarantined winning a tie. An
    ///   expiry never moves later; metadata, policy and rate-limit state stay this Guard's.
    ///   Tokens only this Guard holds are kept.
    /// - **Named policies** of this Guard win (a policy tightened since the snapshot stays
    ///   tight); the snapshot's apply only to names this Guard lacks.
    /// - **Events**: a Guard that never emitted one takes over the snapshot's queue and
    ///   chain; any other keeps its own chain. A `restored` event (at `now`) follows.
    /// - **Usage statistics** are replaced by the snapshot's when this Guard tracks usage
    ///   (with the same window settings, else [`SnapshotError::Usage`]); a snapshot without
    ///   them leaves the tracker empty.
    ///
    /// To bring a fresh process up to date, restore the last snapshot, then
    /// [`replay_events`](Guard::replay_events) the audit events written since: the restore
    /// records where the snapshot's chain stood. Everything is decoded and checked first;
    /// any error leaves the Guard as it was. The minting prefix stays this Guard's.
    ///
    /// ```
    /// use tokenward::{Guard, Request, TokenKey, TokenMeta};
    ///
    /// let guard = Guard::new(TokenKey::new(b"k"));
    /// let minted = guard.mint(&TokenMeta::new(), &[4; 32], 0)?;
    /// let backup = guard.snapshot();
    /// guard.revoke(&minted.id, 1)?;
    /// guard.restore(&backup, 2)?; // the backup predates the revocation
    /// assert!(!guard.check(&Request::new(minted.token.expose()), 3).is_allowed());
    /// # Ok::<(), tokenward::GuardError>(())
    /// ```
    pub fn restore(&self, bytes: &[u8], now: crate::Timestamp) -> Result<(), GuardError> {
        let payload = decode(bytes)?;
        if payload.key_check != self.key_check() {
            return Err(SnapshotError::KeyMismatch.into());
        }
        let usage = match &self.usage {
            None => None,
            Some(current) => Some(restore_usage(current, payload.usage.as_deref())?),
        };
        let restored = build(payload)?;

        let mut replayed = self.replayed.lock();
        let mut policies = self.policies.write();
        let mut interner = self.interner.write();
        let mut maps: Vec<_> = self.shards.iter().map(|s| s.map.write()).collect();
        let mut events = self.events.lock();
        *replayed = restored.events.head;
        let named: Vec<Arc<PolicyEntry>> = restored
            .named
            .iter()
            .map(|e| {
                let name = e.name.clone().expect("named");
                policies.entry(name).or_insert_with(|| e.clone()).clone()
            })
            .collect();
        let translate = Translation::new(&restored.interner, &mut interner);
        for token in restored.tokens {
            let policy = match token.policy {
                PolicyRef::None => None,
                PolicyRef::Named(i) => Some(named[i as usize].clone()),
                PolicyRef::Inline(i) => Some(restored.inline[i as usize].clone()),
            };
            let record = translate.record(&token, policy);
            merge_record(&mut maps[shard_of(&token.id)], token.id, record);
        }
        let tokens = maps.iter().map(|m| m.len() as u64).sum();
        if events.head.seq == 0 && events.queue.is_empty() && events.dropped_total == 0 {
            *events = restored.events;
        }
        if let (Some(current), Some(new)) = (&self.usage, usage) {
            current.replace_with(new);
        }
        events.push(now, super::EventKind::Restored { tokens });
        drop(events);
        self.feed_incomplete();
        Ok(())
    }

    /// A fingerprint of a constant under the key: tells whether two Guards share a key
    /// without revealing it.
    fn key_check(&self) -> [u8; 16] {
        *self.key.id(b"tokenward snapshot key check v1").as_bytes()
    }
}

/// Maps a snapshot's interned symbols and tag sets to this Guard's, interning what is new.
struct Translation {
    /// This Guard's symbol for the snapshot's symbol `i + 1`.
    syms: Vec<Sym>,
    /// This Guard's tag set for the snapshot's set `i + 1`.
    sets: Vec<u32>,
}

impl Translation {
    fn new(from: &Interner, into: &mut Interner) -> Translation {
        let syms: Vec<Sym> = from.names().iter().map(|n| into.intern(Some(n))).collect();
        let sym = |s: Sym| s.checked_sub(1).map_or(0, |i| syms[i as usize]);
        let sets = from
            .sets()
            .map(|set| {
                let mut own: Vec<Sym> = set.iter().map(|&s| sym(s)).collect();
                own.sort_unstable();
                into.intern_syms(&own)
            })
            .collect();
        Translation { syms, sets }
    }

    fn sym(&self, s: Sym) -> Sym {
        s.checked_sub(1).map_or(0, |i| self.syms[i as usize])
    }

    /// A checked snapshot token as a record of this Guard.
    fn record(&self, token: &TokenRecord, policy: Option<Arc<PolicyEntry>>) -> Record {
        Record {
            owner: self.sym(token.owner),
            service: self.sym(token.service),
            environment: self.sym(token.environment),
            tags: token
                .tags
                .checked_sub(1)
                .map_or(0, |i| self.sets[i as usize]),
            issued_at: token.issued_at,
            expires_at: token.expires_at,
            policy,
            // Checked when the snapshot was decoded.
            expect: token
                .expect
                .as_deref()
                .and_then(|json| Expectations::from_json(json).ok())
                .and_then(|doc| Compiled::new(&doc).ok())
                .map(Arc::new),
            lifecycle: Lifecycle::from_parts(token.state, token.version),
            last_used: AtomicI64::new(token.last_used),
            // Checked when the snapshot was decoded.
            rate: Mutex::new(RateLog::from_groups(token.rate.clone()).unwrap_or_default()),
        }
    }
}

/// Adds a snapshot's record, or merges it into the one this Guard holds (see
/// [`Guard::restore`]): the lifecycle merged, the earlier expiry, the later last use.
fn merge_record(map: &mut Map, id: TokenId, from_snapshot: Record) {
    match map.entry(id) {
        hashbrown::hash_map::Entry::Vacant(slot) => {
            slot.insert(from_snapshot);
        }
        hashbrown::hash_map::Entry::Occupied(mut slot) => {
            let record = slot.get_mut();
            record.lifecycle = record.lifecycle.merge(from_snapshot.lifecycle);
            record.expires_at = record.expires_at.min(from_snapshot.expires_at);
            record
                .last_used
                .fetch_max(from_snapshot.last_used(), Ordering::Relaxed);
        }
    }
}

/// A tracker with the current one's config and the snapshot's usage state (empty without).
fn restore_usage(
    current: &UsageTracker,
    json: Option<&str>,
) -> Result<UsageTracker, SnapshotError> {
    let config = current.config().clone();
    let usage = |e: crate::Error| SnapshotError::Usage(e.to_string());
    match json {
        None => UsageTracker::new(config).map_err(usage),
        Some(json) => {
            let snapshot: UsageSnapshot =
                serde_json::from_str(json).map_err(|e| SnapshotError::Usage(e.to_string()))?;
            UsageTracker::restore(config, &snapshot).map_err(usage)
        }
    }
}

fn encode<T: Serialize>(version: u16, payload: &Payload<T>) -> Vec<u8> {
    let body = postcard::to_allocvec(payload).expect("the snapshot payload encodes");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&body);
    let checksum = blake3::hash(&out);
    out.extend_from_slice(checksum.as_bytes());
    out
}

fn decode(bytes: &[u8]) -> Result<Payload, SnapshotError> {
    let truncated = |expected: u64| SnapshotError::Truncated {
        expected,
        found: bytes.len() as u64,
    };
    if bytes.len() < 4 || &bytes[..4] != MAGIC {
        return Err(if bytes.len() < 4 && MAGIC.starts_with(bytes) {
            truncated((HEADER_LEN + CHECKSUM_LEN) as u64)
        } else {
            SnapshotError::BadMagic
        });
    }
    if bytes.len() < HEADER_LEN + CHECKSUM_LEN {
        return Err(truncated((HEADER_LEN + CHECKSUM_LEN) as u64));
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !(OLDEST_READ..=SNAPSHOT_VERSION).contains(&version) {
        return Err(SnapshotError::UnsupportedVersion {
            found: version,
            supported: SNAPSHOT_VERSION,
        });
    }
    let body_len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let expected = (HEADER_LEN as u64 + CHECKSUM_LEN as u64).saturating_add(body_len);
    if (bytes.len() as u64) < expected {
        return Err(truncated(expected));
    }
    if (bytes.len() as u64) > expected {
        return Err(SnapshotError::TrailingBytes(bytes.len() as u64 - expected));
    }
    let split = bytes.len() - CHECKSUM_LEN;
    if blake3::hash(&bytes[..split]).as_bytes() != &bytes[split..] {
        return Err(SnapshotError::ChecksumMismatch);
    }
    if bytes[6..8] != [0, 0] {
        return Err(SnapshotError::Malformed(
            "reserved header bytes are set".into(),
        ));
    }
    let body = &bytes[HEADER_LEN..split];
    if version == 2 {
        return Ok(decode_body::<Payload<TokenRecordV2>>(body)?.upgrade());
    }
    if version == 3 {
        return Ok(decode_body::<Payload<TokenRecordV3>>(body)?.upgrade());
    }
    decode_body(body)
}

fn decode_body<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, SnapshotError> {
    let (payload, rest) = postcard::take_from_bytes::<T>(body)
        .map_err(|e| SnapshotError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(SnapshotError::Malformed("bytes after the payload".into()));
    }
    Ok(payload)
}

/// Builds the new state from a decoded payload, checking every reference.
fn build(payload: Payload) -> Result<Restored, SnapshotError> {
    let malformed = |what: String| SnapshotError::Malformed(what);
    let mut interner = Interner::default();
    for (i, name) in payload.names.iter().enumerate() {
        if interner.intern(Some(name)) != i as Sym + 1 {
            return Err(malformed(format!("duplicate metadata string at {i}")));
        }
    }
    let names = payload.names.len() as Sym;
    for (i, set) in payload.tag_sets.into_iter().enumerate() {
        if set.iter().any(|&s| s == 0 || s > names)
            || set.windows(2).any(|w| w[0] >= w[1])
            || set.is_empty()
        {
            return Err(malformed(format!("tag set {i} is invalid")));
        }
        if interner.intern_syms(&set) != i as u32 + 1 {
            return Err(malformed(format!("duplicate tag set at {i}")));
        }
    }
    let sets = interner.sets().len() as u32;

    let doc = |json: &str| -> Result<PolicyDoc, SnapshotError> {
        PolicyDoc::from_json(json).map_err(SnapshotError::Policy)
    };
    let mut named = Vec::with_capacity(payload.policies.len());
    let mut names_seen = std::collections::HashSet::new();
    for (i, (name, json)) in payload.policies.iter().enumerate() {
        if !names_seen.insert(name) {
            return Err(malformed(format!("policy {i} appears twice")));
        }
        let entry = named_entry(name, &doc(json)?).map_err(|e| match e {
            GuardError::Policy(p) => SnapshotError::Policy(p),
            other => malformed(other.to_string()),
        })?;
        named.push(entry);
    }
    let mut inline = Vec::with_capacity(payload.inline_policies.len());
    for (i, json) in payload.inline_policies.iter().enumerate() {
        let policy = Policy::compile(&doc(json)?)
            .map_err(|e| SnapshotError::Policy(e.within(&format!("inline[{i}]"))))?;
        inline.push(Arc::new(PolicyEntry { name: None, policy }));
    }

    let mut seen = hashbrown::HashSet::with_capacity(payload.tokens.len());
    for token in &payload.tokens {
        let sym_ok = |s: Sym| s <= names;
        if !sym_ok(token.owner)
            || !sym_ok(token.service)
            || !sym_ok(token.environment)
            || token.tags > sets
        {
            return Err(malformed(format!(
                "token {} refers to unknown metadata",
                token.id
            )));
        }
        let known = match token.policy {
            PolicyRef::None => true,
            PolicyRef::Named(i) => (i as usize) < named.len(),
            PolicyRef::Inline(i) => (i as usize) < inline.len(),
        };
        if !known {
            return Err(malformed(format!(
                "token {} refers to unknown policy",
                token.id
            )));
        }
        if !seen.insert(token.id) {
            return Err(malformed(format!("token {} appears twice", token.id)));
        }
        RateLog::from_groups(token.rate.clone())
            .map_err(|why| malformed(format!("token {} {why}", token.id)))?;
        if let Some(json) = &token.expect {
            Expectations::from_json(json).map_err(|e| SnapshotError::Policy(e.within("expect")))?;
        }
    }

    let events = payload.events;
    if events.queue.len() > events.capacity || events.capacity < super::events::MIN_CAPACITY {
        return Err(malformed("event queue exceeds its capacity".into()));
    }
    if let Some(last) = events.queue.back() {
        if last.seq != events.head.seq || last.hash() != events.head.hash {
            return Err(malformed(
                "queued events do not end at the chain head".into(),
            ));
        }
    }
    let queued: Vec<Event> = events.queue.iter().cloned().collect();
    super::events::verify_chain(&queued).map_err(|e| malformed(format!("queued events: {e}")))?;

    Ok(Restored {
        interner,
        named,
        inline,
        tokens: payload.tokens,
        events,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenKey;
    use crate::{Request, TokenMeta};

    /// The same state in format version 2, which had no lifecycle versions.
    fn as_version_2(bytes: &[u8]) -> Vec<u8> {
        let payload = decode(bytes).unwrap();
        let tokens = payload.tokens.into_iter().map(|t| TokenRecordV2 {
            id: t.id,
            owner: t.owner,
            service: t.service,
            environment: t.environment,
            tags: t.tags,
            issued_at: t.issued_at,
            expires_at: t.expires_at,
            policy: t.policy,
            state: t.state,
            last_used: t.last_used,
            rate: 0,
        });
        let old = Payload {
            key_check: payload.key_check,
            token_prefix: payload.token_prefix,
            names: payload.names,
            tag_sets: payload.tag_sets,
            policies: payload.policies,
            inline_policies: payload.inline_policies,
            tokens: tokens.collect(),
            events: payload.events,
            usage: payload.usage,
        };
        encode(2, &old)
    }

    #[test]
    fn version_2_snapshots_are_still_read_and_still_never_restart_a_token() {
        let guard = Guard::new(TokenKey::new(b"k"));
        let meta = TokenMeta::new().owner("o").tag("t");
        let kept = guard.mint(&meta, &[1; 32], 0).unwrap();
        let stopped = guard.mint(&meta, &[2; 32], 0).unwrap();
        let old = as_version_2(&guard.snapshot());
        assert_eq!(u16::from_le_bytes([old[4], old[5]]), 2);
        guard.quarantine(&stopped.id, 1).unwrap();

        let fresh = Guard::new(TokenKey::new(b"k"));
        fresh.restore(&old, 2).unwrap();
        assert_eq!(fresh.token(&kept.id), guard.token(&kept.id));
        guard.restore(&old, 2).unwrap();
        let check = |m: &crate::guard::Minted| guard.check(&Request::new(m.token.expose()), 3);
        assert!(check(&kept).is_allowed());
        assert!(!check(&stopped).is_allowed());
    }

    /// The same state in format version 3, which had no soft expectations.
    fn as_version_3(bytes: &[u8]) -> Vec<u8> {
        let payload = decode(bytes).unwrap();
        let old = Payload {
            key_check: payload.key_check,
            token_prefix: payload.token_prefix,
            names: payload.names,
            tag_sets: payload.tag_sets,
            policies: payload.policies,
            inline_policies: payload.inline_policies,
            tokens: payload
                .tokens
                .into_iter()
                .map(|t| TokenRecordV3 {
                    id: t.id,
                    owner: t.owner,
                    service: t.service,
                    environment: t.environment,
                    tags: t.tags,
                    issued_at: t.issued_at,
                    expires_at: t.expires_at,
                    policy: t.policy,
                    state: t.state,
                    version: t.version,
                    last_used: t.last_used,
                    rate: t.rate,
                })
                .collect(),
            events: payload.events,
            usage: payload.usage,
        };
        encode(3, &old)
    }

    #[test]
    fn expectations_survive_and_version_3_is_still_read() {
        let guard = Guard::new(TokenKey::new(b"k"));
        let expect =
            Expectations::from_json(r#"{"countries": ["DE"], "networks": ["10.0.0.0/8"]}"#)
                .unwrap();
        let minted = guard
            .mint(
                &TokenMeta::new().owner("o").expect(expect.clone()),
                &[1; 32],
                0,
            )
            .unwrap();
        let bytes = guard.snapshot();
        let payload = decode(&bytes).unwrap();
        let json = payload.tokens[0].expect.as_deref().unwrap();
        assert_eq!(Expectations::from_json(json).unwrap(), expect);
        let copy = Guard::new(TokenKey::new(b"k"));
        copy.restore(&bytes, 1).unwrap();
        let kept = decode(&copy.snapshot()).unwrap().tokens[0].expect.clone();
        assert_eq!(kept.as_deref(), Some(json));
        let old = as_version_3(&bytes);
        assert_eq!(u16::from_le_bytes([old[4], old[5]]), 3);
        let fresh = Guard::new(TokenKey::new(b"k"));
        fresh.restore(&old, 1).unwrap();
        assert_eq!(fresh.token(&minted.id), guard.token(&minted.id));
        assert!(decode(&fresh.snapshot()).unwrap().tokens[0]
            .expect
            .is_none());
    }
}
