//! Connections to Redis, and the small pieces of protocol the reader and writer share.

use std::time::Duration;

use redis::{Connection, RedisResult, Value};

use crate::config::FleetConfig;
use crate::wire::StreamPos;

/// A connection with read and write timeouts: `read` must exceed any blocking read.
pub(crate) fn connect(config: &FleetConfig, read: Duration) -> RedisResult<Connection> {
    let client = redis::Client::open(config.url.as_str())?;
    let conn = client.get_connection_with_timeout(config.connect_timeout)?;
    conn.set_read_timeout(Some(read))?;
    conn.set_write_timeout(Some(config.connect_timeout.max(Duration::from_secs(1))))?;
    Ok(conn)
}

/// A value unlikely to repeat: for instance and epoch ids (not secrets).
pub(crate) fn random_id() -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = (
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now(),
    );
    // Two independently keyed hashers: 128 bits that differ between processes and calls.
    let state = || std::collections::hash_map::RandomState::new();
    format!(
        "{:016x}{:016x}",
        state().hash_one(seed),
        state().hash_one(seed)
    )
}

/// The highest id ever trimmed from a stream (Redis 7's `max-deleted-entry-id`); `None` when
/// the stream does not exist or the server does not say.
pub(crate) fn max_deleted(conn: &mut Connection, key: &str) -> RedisResult<Option<StreamPos>> {
    let exists: bool = redis::cmd("EXISTS").arg(key).query(conn)?;
    if !exists {
        return Ok(None);
    }
    let info: Value = redis::cmd("XINFO").arg("STREAM").arg(key).query(conn)?;
    Ok(field(&info, "max-deleted-entry-id").and_then(|v| match v {
        Value::BulkString(b) => StreamPos::parse(std::str::from_utf8(b).ok()?),
        Value::SimpleString(s) => StreamPos::parse(s),
        _ => None,
    }))
}

/// The id of a stream's newest entry, `ZERO` when it has none.
pub(crate) fn last_id(conn: &mut Connection, key: &str) -> RedisResult<StreamPos> {
    let reply: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg(key)
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query(conn)?;
    Ok(reply
        .ids
        .first()
        .and_then(|e| StreamPos::parse(&e.id))
        .unwrap_or(StreamPos::ZERO))
}

/// A field of a reply that is a map (RESP3) or a flat list of names and values (RESP2).
fn field<'v>(reply: &'v Value, name: &str) -> Option<&'v Value> {
    let is = |v: &Value| match v {
        Value::BulkString(b) => b == name.as_bytes(),
        Value::SimpleString(s) => s == name,
        _ => false,
    };
    match reply {
        Value::Map(pairs) => pairs.iter().find(|(k, _)| is(k)).map(|(_, v)| v),
        Value::Array(items) => items
            .chunks(2)
            .find(|pair| pair.len() == 2 && is(&pair[0]))
            .map(|pair| &pair[1]),
        _ => None,
    }
}
