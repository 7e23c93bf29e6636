//! Connections to Redis, and the small pieces of protocol the reader and writer share.

use std::time::Duration;

use redis::{Connection, RedisResult};

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
