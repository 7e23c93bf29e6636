//! Audit events: a bounded queue, hash-chained so a written log shows tampering.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::respond::Action;
use crate::policy::Reason;
use crate::token::TokenId;
use crate::usage::{AlertKind, Evidence, Severity};
use crate::Timestamp;

/// An alert's evidence as canonical JSON text (keys sorted).
///
/// Events must hash the same after a JSON round trip and encode in the binary snapshot, so
/// the evidence is kept as text: in JSON it appears as the object itself, in binary formats
/// as a string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvidenceJson(String);

impl EvidenceJson {
    /// The canonical JSON of `evidence`.
    pub fn of(evidence: &Evidence) -> EvidenceJson {
        let value = serde_json::to_value(evidence).unwrap_or(serde_json::Value::Null);
        EvidenceJson(value.to_string())
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The evidence as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::from_str(&self.0).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for EvidenceJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.to_value().serialize(s)
        } else {
            s.serialize_str(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for EvidenceJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<EvidenceJson, D::Error> {
        if d.is_human_readable() {
            // serde_json's maps are sorted, so this is the canonical text again.
            Ok(EvidenceJson(serde_json::Value::deserialize(d)?.to_string()))
        } else {
            Ok(EvidenceJson(String::deserialize(d)?))
        }
    }
}

/// One state change or denial, as the host drains it.
///
/// `prev_hash` is the BLAKE3 hash of the previous event ([`Event::hash`]), so a host that
/// writes events to an audit log can later prove with [`verify_chain`] that none was altered,
/// removed or reordered. Events serialize to JSON (`serde_json::to_string(&event)`); the hash
/// is over a canonical binary encoding, so it survives a JSON round trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Position in the chain, from 1, without gaps.
    pub seq: u64,
    /// The time passed to the call that caused the event.
    pub at: Timestamp,
    /// What happened.
    pub kind: EventKind,
    /// The hash of the previous event; all zeros for the first.
    #[serde(with = "hex32")]
    pub prev_hash: [u8; 32],
}

/// Token metadata as shown in `registered` and `minted` events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSummary {
    /// Owner.
    pub owner: Option<Arc<str>>,
    /// Service.
    pub service: Option<Arc<str>>,
    /// Environment.
    pub environment: Option<Arc<str>>,
    /// Tags, sorted.
    pub tags: Arc<[Arc<str>]>,
    /// The named policy, if any (`<inline>` for an inline one).
    pub policy: Option<Arc<str>>,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// A token was registered by its raw value or id.
    Registered {
        /// The token.
        token: TokenId,
        /// Its metadata.
        meta: TokenSummary,
    },
    /// Tokens were registered together by [`Guard::register_many`](super::Guard::register_many),
    /// all with the same metadata (one event per up to 1024 tokens).
    RegisteredBatch {
        /// The tokens, in the order given.
        tokens: Vec<TokenId>,
        /// Their metadata.
        meta: TokenSummary,
    },
    /// A token was minted (and registered).
    Minted {
        /// The token.
        token: TokenId,
        /// Its metadata.
        meta: TokenSummary,
    },
    /// `from` was replaced by `to`; `from` works until `grace_end`.
    Rotated {
        /// The old token.
        from: TokenId,
        /// The new token.
        to: TokenId,
        /// When the old token stops working.
        grace_end: Timestamp,
    },
    /// A token was revoked.
    Revoked {
        /// The token.
        token: TokenId,
        /// The kind of the alert whose response rule revoked it; `null` when the host did.
        cause: Option<AlertKind>,
    },
    /// A token was quarantined.
    Quarantined {
        /// The token.
        token: TokenId,
        /// The kind of the alert whose response rule quarantined it; `null` when the host did.
        cause: Option<AlertKind>,
    },
    /// A quarantined token was released.
    Released {
        /// The token.
        token: TokenId,
    },
    /// A check denied a token (known or not).
    Denied {
        /// The presented token's id.
        token: TokenId,
        /// Every reason.
        reasons: Vec<Reason>,
    },
    /// A usage detector raised an alert (from a check or a recorded outcome).
    Alert {
        /// The token.
        token: TokenId,
        /// What was detected.
        kind: AlertKind,
        /// How serious it is.
        severity: Severity,
        /// The figures behind it (the alert's [`Evidence`] as JSON).
        evidence: EvidenceJson,
        /// The actions the response rules took, weakest first; `["notify"]` when no rule is
        /// configured, empty when rules exist and none matched.
        actions: Vec<Action>,
    },
    /// A named policy was added or replaced.
    PolicySet {
        /// The policy's name.
        name: String,
    },
    /// The state was replaced from a snapshot.
    Restored {
        /// Tokens in the restored registry.
        tokens: u64,
    },
    /// Events of an audit chain (another process's, or this Guard's own from before a
    /// restore) were replayed by [`Guard::replay_events`](super::Guard::replay_events).
    Replayed {
        /// The last replayed event's position and hash: links this chain to that one.
        head: ChainHead,
        /// How many of them changed a token's state.
        applied: u64,
    },
    /// The queue was full and `count` events were lost before this one.
    Dropped {
        /// How many.
        count: u64,
    },
    /// A usage detector raised an alert on a token already stopped (revoked, quarantined or
    /// rotated out): what is being tried with it. Every detector keeps running on a stopped
    /// token and reports this way, at most once per kind and cooldown (the usual alert rate
    /// limit); no response rule acts on it, and the verdict carries no alert.
    StoppedAlert {
        /// The token.
        token: TokenId,
        /// Why it is stopped: `revoked`, `quarantined` or `rotated`.
        state: Reason,
        /// What was detected.
        kind: AlertKind,
        /// How serious it is.
        severity: Severity,
        /// The figures behind it (the alert's [`Evidence`] as JSON).
        evidence: EvidenceJson,
    },
}

impl Event {
    /// The BLAKE3 hash of this event: the next event's `prev_hash`.
    pub fn hash(&self) -> [u8; 32] {
        self.hash_with(&mut Vec::new())
    }

    /// [`Event::hash`] with a reusable encoding buffer.
    fn hash_with(&self, buffer: &mut Vec<u8>) -> [u8; 32] {
        buffer.clear();
        let bytes = postcard::to_extend(self, std::mem::take(buffer)).expect("events encode");
        let mut hasher = event_hasher();
        hasher.update(&bytes);
        *buffer = bytes;
        *hasher.finalize().as_bytes()
    }
}

/// A BLAKE3 hasher in derive-key mode for event hashes. The context is hashed once per
/// process, not once per event (same output as `Hasher::new_derive_key`).
fn event_hasher() -> blake3::Hasher {
    use blake3::hazmat::{hash_derive_key_context, ContextKey, HasherExt};
    static CONTEXT: std::sync::OnceLock<ContextKey> = std::sync::OnceLock::new();
    let key = CONTEXT.get_or_init(|| hash_derive_key_context("tokenward 2026 audit event v1"));
    blake3::Hasher::new_from_context_key(key)
}

/// Where a chain stands: the last event's sequence number and hash. The default is
/// [`ChainHead::GENESIS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The last event's `seq` (0 before the first).
    pub seq: u64,
    /// The last event's hash (zeros before the first).
    #[serde(with = "hex32")]
    pub hash: [u8; 32],
}

impl ChainHead {
    /// Before the first event: sequence 0, hash all zeros.
    pub const GENESIS: ChainHead = ChainHead {
        seq: 0,
        hash: [0; 32],
    };

    /// The head of a chain that ends with `event`.
    pub fn of(event: &Event) -> ChainHead {
        ChainHead {
            seq: event.seq,
            hash: event.hash(),
        }
    }
}

/// Where and how an event chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ChainError {
    /// Index in the slice of the first event that does not follow its predecessor.
    pub at: usize,
    /// What is wrong with it.
    pub kind: ChainErrorKind,
}

/// How an event fails to follow its predecessor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainErrorKind {
    /// Its `prev_hash` is not the hash of the event before it: one of them was altered, or
    /// events were removed or reordered.
    HashMismatch,
    /// Its `seq` is not one more than the previous event's.
    SequenceGap,
}

impl ChainError {
    /// Always [`ErrorKind::Snapshot`](crate::ErrorKind::Snapshot): a broken chain is a record
    /// that cannot be trusted.
    pub fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::Snapshot
    }
}

impl fmt::Display for ChainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ChainErrorKind::HashMismatch => write!(
                f,
                "event chain broken at index {}: prev_hash does not match the preceding event",
                self.at
            ),
            ChainErrorKind::SequenceGap => write!(
                f,
                "event chain broken at index {}: sequence number does not follow the preceding event",
                self.at
            ),
        }
    }
}

/// Checks that each event follows the one before it (consecutive `seq`, `prev_hash` equal to
/// the previous event's hash).
///
/// ```
/// use tokenward::guard::{verify_chain, Event};
/// use tokenward::token::TokenKey;
/// use tokenward::{Guard, TokenMeta};
///
/// let guard = Guard::new(TokenKey::new(b"key"));
/// let minted = guard.mint(&TokenMeta::new().owner("ops"), &[1; 32], 1_000)?;
/// guard.revoke(&minted.id, 2_000)?;
/// let log: Vec<String> = guard.drain_events().iter().map(|e| serde_json::to_string(e).unwrap()).collect();
///
/// // Later, reading the audit log back:
/// let mut events: Vec<Event> = log.iter().map(|line| serde_json::from_str(line).unwrap()).collect();
/// assert_eq!(verify_chain(&events), Ok(()));
/// events[0].at += 1; // tampering
/// assert_eq!(verify_chain(&events).unwrap_err().at, 1);
/// # Ok::<(), tokenward::GuardError>(())
/// ```
pub fn verify_chain(events: &[Event]) -> Result<(), ChainError> {
    for (i, pair) in events.windows(2).enumerate() {
        check_link(&pair[0].hash(), pair[0].seq, &pair[1], i + 1)?;
    }
    Ok(())
}

/// Like [`verify_chain`], and also checks that the first event follows `head` (a
/// [`ChainHead`] the host kept from an earlier drain), so removals at the start show too.
pub fn verify_chain_from(head: &ChainHead, events: &[Event]) -> Result<(), ChainError> {
    if let Some(first) = events.first() {
        check_link(&head.hash, head.seq, first, 0)?;
    }
    verify_chain(events)
}

fn check_link(
    prev_hash: &[u8; 32],
    prev_seq: u64,
    event: &Event,
    at: usize,
) -> Result<(), ChainError> {
    if event.seq != prev_seq.wrapping_add(1) {
        return Err(ChainError {
            at,
            kind: ChainErrorKind::SequenceGap,
        });
    }
    if event.prev_hash != *prev_hash {
        return Err(ChainError {
            at,
            kind: ChainErrorKind::HashMismatch,
        });
    }
    Ok(())
}

/// The Guard's event queue. Full means new events are counted and dropped, never waited for;
/// the next event that fits is preceded by a `dropped` event, so the gap is in the chain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EventLog {
    pub queue: VecDeque<Event>,
    pub capacity: usize,
    pub head: ChainHead,
    /// Events lost since the Guard was created.
    pub dropped_total: u64,
    /// Events lost since the last `dropped` event.
    pub dropped_pending: u64,
    /// Encoding buffer for event hashes, reused to avoid an allocation per event.
    #[serde(skip)]
    scratch: Vec<u8>,
}

/// Smallest queue: room for a `dropped` marker and one event.
pub(crate) const MIN_CAPACITY: usize = 2;

impl EventLog {
    pub fn new(capacity: usize) -> EventLog {
        EventLog {
            queue: VecDeque::new(),
            capacity: capacity.max(MIN_CAPACITY),
            head: ChainHead {
                seq: 0,
                hash: [0; 32],
            },
            dropped_total: 0,
            dropped_pending: 0,
            scratch: Vec::new(),
        }
    }

    pub fn push(&mut self, at: Timestamp, kind: EventKind) {
        let needed = if self.dropped_pending > 0 { 2 } else { 1 };
        if self.queue.len() + needed > self.capacity {
            self.dropped_total += 1;
            self.dropped_pending += 1;
            return;
        }
        if self.dropped_pending > 0 {
            let count = std::mem::take(&mut self.dropped_pending);
            self.append(at, EventKind::Dropped { count });
        }
        self.append(at, kind);
    }

    fn append(&mut self, at: Timestamp, kind: EventKind) {
        let event = Event {
            seq: self.head.seq + 1,
            at,
            kind,
            prev_hash: self.head.hash,
        };
        self.head = ChainHead {
            seq: event.seq,
            hash: event.hash_with(&mut self.scratch),
        };
        self.queue.push_back(event);
    }

    pub fn drain(&mut self) -> Vec<Event> {
        self.queue.drain(..).collect()
    }
}

/// 32 bytes as 64 hex digits in human-readable formats, raw bytes in binary ones.
mod hex32 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            s.serialize_str(&hex)
        } else {
            serde::Serialize::serialize(bytes, s)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        if !d.is_human_readable() {
            return <[u8; 32]>::deserialize(d);
        }
        let hex = String::deserialize(d)?;
        let bad = || D::Error::custom("expected 64 hex digits");
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoked(n: u8) -> EventKind {
        EventKind::Revoked {
            token: TokenId::from_bytes([n; 16]),
            cause: None,
        }
    }

    #[test]
    fn overflow_is_counted_and_marked_in_the_chain() {
        let mut log = EventLog::new(3);
        for n in 0..5 {
            log.push(i64::from(n), revoked(n));
        }
        assert_eq!(log.dropped_total, 2);
        let first = log.drain();
        assert_eq!(first.len(), 3);
        log.push(10, revoked(9));
        let second = log.drain();
        assert_eq!(second.len(), 2);
        assert_eq!(second[0].kind, EventKind::Dropped { count: 2 });
        let all: Vec<Event> = first.into_iter().chain(second).collect();
        assert_eq!(verify_chain(&all), Ok(()));
        assert_eq!(
            verify_chain_from(
                &ChainHead {
                    seq: 0,
                    hash: [0; 32]
                },
                &all
            ),
            Ok(())
        );
    }

    #[test]
    fn tampering_removal_and_reordering_are_caught() {
        let mut log = EventLog::new(100);
        for n in 0..6 {
            log.push(i64::from(n), revoked(n));
        }
        let events = log.drain();
        let mut altered = events.clone();
        altered[2].kind = revoked(42);
        assert_eq!(
            verify_chain(&altered).unwrap_err(),
            ChainError {
                at: 3,
                kind: ChainErrorKind::HashMismatch
            }
        );
        let mut removed = events.clone();
        removed.remove(3);
        assert_eq!(verify_chain(&removed).unwrap_err().at, 3);
        let mut swapped = events.clone();
        swapped.swap(1, 2);
        assert!(verify_chain(&swapped).is_err());
        let head = ChainHead {
            seq: events[1].seq,
            hash: events[1].hash(),
        };
        assert_eq!(verify_chain_from(&head, &events[2..]), Ok(()));
        assert!(verify_chain_from(&head, &events[3..]).is_err());
    }

    #[test]
    fn the_cached_context_hashes_as_derive_key_mode() {
        let mut expected = blake3::Hasher::new_derive_key("tokenward 2026 audit event v1");
        expected.update(b"event bytes");
        let mut cached = event_hasher();
        cached.update(b"event bytes");
        assert_eq!(cached.finalize(), expected.finalize());
    }

    #[test]
    fn hashes_survive_a_json_round_trip() {
        let mut log = EventLog::new(10);
        log.push(
            1,
            EventKind::Denied {
                token: TokenId::from_bytes([1; 16]),
                reasons: vec![Reason::Expired, Reason::IpNotAllowed],
            },
        );
        log.push(
            2,
            EventKind::Registered {
                token: TokenId::from_bytes([2; 16]),
                meta: TokenSummary {
                    owner: Some("a".into()),
                    tags: vec!["x".into()].into(),
                    ..TokenSummary::default()
                },
            },
        );
        let events = log.drain();
        let json: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        assert!(
            json[0].contains(r#""reasons":["expired","ip_not_allowed"]"#),
            "{}",
            json[0]
        );
        assert!(json[0].contains(r#""token":"tid_01010101"#));
        let back: Vec<Event> = json
            .iter()
            .map(|j| serde_json::from_str(j).unwrap())
            .collect();
        assert_eq!(back, events);
        assert_eq!(verify_chain(&back), Ok(()));
    }
}
