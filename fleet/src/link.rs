//! Connections to Redis, and the small pieces of protocol the reader and writer share.

use std::time::Duration;

use redis::{Connection, RedisResult};

use crate::config::FleetConfig;
use crate::wire::StreamPos;

/// A connection with read and write timeouts: `read` must exceed any blocking read.
pub(crate) fn connect(config: &FleetConfig, read: Duration) -> RedisResult<Connection> {
    let client = match &config.tls_ca {
        None => redis::Client::open(config.url.as_str())?,
        Some(pem) => {
            let certificates = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(pem.clone()),
            };
            redis::Client::build_with_tls(config.url.as_str(), certificates)?
        }
    };
    install_crypto_provider();
    let conn = client.get_connection_with_timeout(config.connect_timeout)?;
    conn.set_read_timeout(Some(read))?;
    conn.set_write_timeout(Some(config.connect_timeout.max(Duration::from_secs(1))))?;
    Ok(conn)
}

/// Makes rustls's `ring` provider the process default unless the host installed one: the
/// `redis` crate builds its TLS config from the process default, which rustls cannot pick by
/// itself when the host's build enables a second provider.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // `ring` builds with a C compiler alone (aws-lc-rs needs cmake); rustls deprecates it
        // only for lacking post-quantum key exchange, which Redis servers do not offer yet.
        // An error means a provider is installed already: that one is used.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    });
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
