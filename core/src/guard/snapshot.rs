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
use super::registry::{Interner, Map, PolicyEntry, Record, Sym, TokenState, SHARDS};
use super::{named_entry, Guard, GuardError};
use crate::policy::{Policy, PolicyDoc, PolicyError, RateGroup, RateLog};
use crate::token::TokenId;
use crate::usage::{UsageSnapshot, UsageTracker};

const MAGIC: &[u8; 4] = b"TWGS";
/// The snapshot format this build writes and reads.
/// Version 2 added usage statistics and the `alert` event; version 3 holds each token's
/// sliding rate-limit log in place of a bucket state. Older versions are not read (their
/// events, or rate states, encode differently).
pub const SNAPSHOT_VERSION: u16 = 3;
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
    /// Written by a newer (or unknown) format version.
    #[error("snapshot version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version in the snapshot.
        found: u16,
        /// The version this build reads.
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

#[derive(Serialize, Deserialize)]
struct Payload {
    key_check: [u8; 16],
    token_prefix: String,
    names: Vec<String>,
    tag_sets: Vec<Vec<Sym>>,
    /// Named policies as JSON documents.
    policies: Vec<(String, String)>,
    /// Inline policies as JSON documents.
    inline_policies: Vec<String>,
    tokens: Vec<TokenRecord>,
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
    last_used: i64,
    /// The rate limit's log, oldest first.
    rate: Vec<RateGroup>,
}

#[derive(Serialize, Deserialize)]
enum PolicyRef {
    None,
    Named(u32),
    Inline(u32),
}

/// The state a restore swaps in, fully built and checked beforehand.
struct Restored {
    interner: Interner,
    policies: hashbrown::HashMap<Arc<str>, Arc<PolicyEntry>>,
    maps: Vec<Map>,
    events: EventLog,
    tokens: u64,
    usage: Option<UsageTracker>,
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
                    state: record.state,
                    last_used: record.last_used.load(Ordering::Relaxed),
                    rate: record.rate.lock().groups().to_vec(),
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
        encode(&payload)
    }

    /// Replaces the whole state with a snapshot's. Everything is decoded, checked and built
    /// first; only then is the state swapped, under every lock at once. Any error leaves the
    /// Guard as it was; on success a `restored` event (at `now`) follows the restored chain.
    /// The minting prefix stays the one this Guard was built with. Usage statistics are
    /// restored when this Guard tracks usage (with the same window settings, else
    /// [`SnapshotError::Usage`]); a snapshot without them leaves the tracker empty.
    pub fn restore(&self, bytes: &[u8], now: crate::Timestamp) -> Result<(), GuardError> {
        let payload = decode(bytes)?;
        if payload.key_check != self.key_check() {
            return Err(SnapshotError::KeyMismatch.into());
        }
        let usage = match &self.usage {
            None => None,
            Some(current) => Some(restore_usage(current, payload.usage.as_deref())?),
        };
        let mut restored = build(payload)?;
        restored.usage = usage;

        let mut policies = self.policies.write();
        let mut interner = self.interner.write();
        let mut maps: Vec<_> = self.shards.iter().map(|s| s.map.write()).collect();
        let mut events = self.events.lock();
        *policies = restored.policies;
        *interner = restored.interner;
        for (map, new) in maps.iter_mut().zip(restored.maps) {
            **map = new;
        }
        *events = restored.events;
        if let (Some(current), Some(new)) = (&self.usage, restored.usage) {
            current.replace_with(new);
        }
        events.push(
            now,
            super::EventKind::Restored {
                tokens: restored.tokens,
            },
        );
        Ok(())
    }

    /// A fingerprint of a constant under the key: tells whether two Guards share a key
    /// without revealing it.
    fn key_check(&self) -> [u8; 16] {
        *self.key.id(b"tokenward snapshot key check v1").as_bytes()
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

fn encode(payload: &Payload) -> Vec<u8> {
    let body = postcard::to_allocvec(payload).expect("the snapshot payload encodes");
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
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
    if version != SNAPSHOT_VERSION {
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
    let (payload, rest) = postcard::take_from_bytes::<Payload>(&bytes[HEADER_LEN..split])
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
    for (name, json) in &payload.policies {
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

    let mut maps: Vec<Map> = (0..SHARDS).map(|_| Map::default()).collect();
    let tokens = payload.tokens.len() as u64;
    for token in payload.tokens {
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
        let policy = match token.policy {
            PolicyRef::None => None,
            PolicyRef::Named(i) => Some(named.get(i as usize).cloned().ok_or_else(|| {
                malformed(format!("token {} refers to unknown policy", token.id))
            })?),
            PolicyRef::Inline(i) => Some(inline.get(i as usize).cloned().ok_or_else(|| {
                malformed(format!("token {} refers to unknown policy", token.id))
            })?),
        };
        let rate = RateLog::from_groups(token.rate)
            .map_err(|why| malformed(format!("token {} {why}", token.id)))?;
        let record = Record {
            owner: token.owner,
            service: token.service,
            environment: token.environment,
            tags: token.tags,
            issued_at: token.issued_at,
            expires_at: token.expires_at,
            policy,
            state: token.state,
            last_used: AtomicI64::new(token.last_used),
            rate: Mutex::new(rate),
        };
        if maps[super::registry::shard_of(&token.id)]
            .insert(token.id, record)
            .is_some()
        {
            return Err(malformed(format!("token {} appears twice", token.id)));
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
        policies: named
            .into_iter()
            .map(|e| (e.name.clone().expect("named"), e))
            .collect(),
        maps,
        events,
        tokens,
        usage: None,
    })
}
