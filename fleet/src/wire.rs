//! What the fleet writes to Redis: stream positions, entries of changes and of usage deltas,
//! and the snapshot document.

use std::fmt;

use redis::Value;
use serde::{Deserialize, Serialize};
use tokenward::guard::Change;
use tokenward::usage::UsageDelta;

/// Format of entries and snapshots this build writes and reads.
pub(crate) const FORMAT: u32 = 1;
/// Changes per stream entry.
pub(crate) const CHANGES_PER_ENTRY: usize = 256;
/// Largest entry or snapshot field decoded: anything bigger is refused unread.
pub(crate) const MAX_FIELD_BYTES: usize = 256 << 20;

/// A Redis stream id, `ms-seq`, ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StreamPos {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamPos {
    /// Before every entry.
    pub const ZERO: StreamPos = StreamPos { ms: 0, seq: 0 };

    /// Parses `ms-seq` (or `ms`).
    pub fn parse(text: &str) -> Option<StreamPos> {
        let (ms, seq) = text.split_once('-').unwrap_or((text, "0"));
        Some(StreamPos {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    /// The smallest id after this one.
    pub fn next(self) -> StreamPos {
        match self.seq.checked_add(1) {
            Some(seq) => StreamPos { seq, ..self },
            None => StreamPos {
                ms: self.ms + 1,
                seq: 0,
            },
        }
    }
}

impl fmt::Display for StreamPos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// The snapshot document: the state export of one instance and the stream id up to which
/// every entry is in it.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SnapshotDoc {
    pub format: u32,
    pub covers: String,
    pub changes: Vec<Change>,
}

/// Stores a snapshot only when it covers more than the stored one (so two writers can never
/// move the covered position back), then trims the stream to `ARGV[4]` (entries below it
/// go; it is at most just after the covered position) and records that in the `trimmed` key,
/// all at once: a reader that sees `trimmed` beyond its position knows it may have missed
/// entries and loads the snapshot. Returns 1 when stored.
/// KEYS: snapshot, covers, changes stream, trimmed. ARGV: covers ms, covers seq, document,
/// trim id.
pub(crate) const STORE_SNAPSHOT: &str = r#"
local cur = redis.call('GET', KEYS[2])
if cur then
  local ms, seq = string.match(cur, '^(%d+)-(%d+)$')
  local nms, nseq = tonumber(ARGV[1]), tonumber(ARGV[2])
  if ms and (nms < tonumber(ms) or (nms == tonumber(ms) and nseq <= tonumber(seq))) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[1] .. '-' .. ARGV[2])
redis.call('XTRIM', KEYS[3], 'MINID', ARGV[4])
redis.call('SET', KEYS[4], ARGV[4])
return 1
"#;

/// Deletes the snapshot lock only when this instance still holds it (it may have expired and
/// been taken by another).
pub(crate) const RELEASE_LOCK: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// One entry read from a stream: its id, who wrote it, and its payload field.
pub(crate) struct Entry {
    pub pos: StreamPos,
    pub origin: String,
    pub payload: Vec<u8>,
}

/// The field an entry's payload is in: `c` (changes, JSON) or `d` (usage delta, deflated
/// JSON).
pub(crate) fn entries(
    reply: &redis::streams::StreamKey,
    field: &str,
) -> Vec<Result<Entry, String>> {
    reply
        .ids
        .iter()
        .map(|id| {
            let pos = StreamPos::parse(&id.id).ok_or("entry id does not parse")?;
            let text = |name: &str| match id.map.get(name) {
                Some(Value::BulkString(bytes)) if bytes.len() <= MAX_FIELD_BYTES => {
                    Ok(bytes.clone())
                }
                Some(Value::BulkString(_)) => Err(format!("entry {pos}: field {name} too large")),
                _ => Err(format!("entry {pos}: field {name} missing")),
            };
            let origin = String::from_utf8(text("o")?).map_err(|_| "origin is not UTF-8")?;
            Ok(Entry {
                pos,
                origin,
                payload: text(field)?,
            })
        })
        .collect()
}

pub(crate) fn encode_changes(changes: &[Change]) -> Vec<u8> {
    serde_json::to_vec(changes).expect("changes serialize")
}

pub(crate) fn decode_changes(bytes: &[u8]) -> Result<Vec<Change>, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("changes do not decode: {e}"))
}

/// A usage delta as deflated JSON: the JSON of sketches and learned sets is mostly keys and
/// zeros, and deflate's fastest level takes it to a twentieth of its size for about a
/// millisecond per thousand tokens.
pub(crate) fn encode_delta(delta: &UsageDelta) -> Vec<u8> {
    let json = serde_json::to_vec(delta).expect("deltas serialize");
    miniz_oxide::deflate::compress_to_vec(&json, 1)
}

/// Inflates (at most `MAX_FIELD_BYTES`, so a hostile entry cannot exhaust memory) and decodes.
pub(crate) fn decode_delta(bytes: &[u8]) -> Result<UsageDelta, String> {
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, MAX_FIELD_BYTES)
        .map_err(|_| "usage delta does not inflate (or exceeds the size limit)".to_string())?;
    serde_json::from_slice(&json).map_err(|e| format!("usage delta does not decode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_like_redis() {
        let a = StreamPos::parse("1700000000000-5").unwrap();
        let b = StreamPos::parse("1700000000001-0").unwrap();
        assert!(a < b && a.next() < b && a < a.next());
        assert_eq!(a.to_string(), "1700000000000-5");
        assert_eq!(StreamPos::parse("12"), Some(StreamPos { ms: 12, seq: 0 }));
        assert_eq!(StreamPos::parse("x-1"), None);
    }

    #[test]
    fn deltas_round_trip_deflated_and_garbage_is_refused() {
        use tokenward::usage::{Observation, UsageConfig, UsageTracker};
        let config = UsageConfig {
            track_deltas: true,
            ..UsageConfig::default()
        };
        let tracker = UsageTracker::new(config).unwrap();
        let key = tokenward::TokenKey::new(b"k");
        for n in 0..100u32 {
            let ip = format!("10.0.{}.{}", n / 250, n % 250);
            let obs = Observation {
                ip: Some(ip.parse().unwrap()),
                ..Observation::default()
            };
            tracker.observe(key.id(&n.to_le_bytes()), &obs, 1_767_225_600_000);
        }
        let delta = tracker.delta().unwrap();
        let bytes = encode_delta(&delta);
        assert!(bytes.len() * 5 < serde_json::to_vec(&delta).unwrap().len());
        assert_eq!(decode_delta(&bytes).unwrap(), delta);
        assert!(decode_delta(b"not deflate").is_err());
        let not_json = miniz_oxide::deflate::compress_to_vec(b"[1,2", 1);
        assert!(decode_delta(&not_json).is_err());
    }
}
