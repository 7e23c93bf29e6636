//! How an instance reaches Redis and paces its work.

use std::fmt;
use std::time::Duration;

use crate::FleetError;

/// What [`Fleet::attach`](crate::Fleet::attach) needs: where Redis is, under which key prefix
/// the fleet's keys live, and how often to do what. Only `url` has no default.
///
/// ```
/// use std::time::Duration;
/// use tokenward_fleet::FleetConfig;
///
/// let config = FleetConfig::new("redis://127.0.0.1:6379/0")?
///     .prefix("billing-api")
///     .delta_interval(Duration::from_millis(500));
/// assert_eq!(config.keys().changes, "{billing-api}:changes");
/// // An ACL user; the password never shows.
/// let secret = FleetConfig::new("redis://app:hunter2@redis.internal:6380/0")?;
/// assert!(!format!("{secret:?}").contains("hunter2"));
/// // TLS (rustls), with the system's roots or a private CA.
/// let tls = FleetConfig::new("rediss://app:hunter2@redis.internal:6380")?
///     .tls_ca_cert(b"-----BEGIN CERTIFICATE-----\n...".to_vec());
/// assert!(!format!("{tls:?}").contains("hunter2"));
/// # Ok::<(), tokenward_fleet::FleetError>(())
/// ```
#[derive(Clone)]
pub struct FleetConfig {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) poll: Duration,
    pub(crate) block: Duration,
    pub(crate) delta_interval: Duration,
    pub(crate) outbox_capacity: usize,
    pub(crate) snapshot_interval: Duration,
    pub(crate) snapshot_min_entries: u64,
    pub(crate) retain: Duration,
    pub(crate) usage_retain: Duration,
    pub(crate) connect_timeout: Duration,
    /// PEM certificates of the CAs that sign Redis's TLS certificate (`rediss://`); `None`
    /// trusts the system's roots.
    pub(crate) tls_ca: Option<Vec<u8>>,
}

/// The Redis keys of one fleet. They share one hash tag (`{prefix}`), so in a Redis Cluster
/// they live in one slot and the scripts that touch two of them work.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Keys {
    /// The stream of lifecycle changes.
    pub changes: String,
    /// The stream of usage deltas.
    pub usage: String,
    /// The latest state export and the stream id it covers.
    pub snapshot: String,
    /// The stream id the snapshot covers, alone (compared by the snapshot script).
    pub covers: String,
    /// The id below which the stream was last trimmed.
    pub trimmed: String,
    /// A random value set when the data is created: a different one means Redis lost it.
    pub epoch: String,
    /// Held by the instance writing a snapshot.
    pub lock: String,
}

impl FleetConfig {
    /// A config for the Redis at `url`: `redis://[user[:password]@]host[:port][/db]`,
    /// `rediss://` for TLS (rustls; the system's roots unless [`tls_ca_cert`](Self::tls_ca_cert)
    /// names the CA), or `redis+unix:///path`. Fails when the URL does not parse.
    pub fn new(url: impl Into<String>) -> Result<FleetConfig, FleetError> {
        let url = url.into();
        redis::Client::open(url.as_str()).map_err(|e| FleetError::Url(scrub(&e.to_string())))?;
        Ok(FleetConfig {
            url,
            prefix: "tokenward".into(),
            poll: Duration::from_millis(1),
            block: Duration::from_millis(250),
            delta_interval: Duration::from_secs(1),
            outbox_capacity: 100_000,
            snapshot_interval: Duration::from_secs(30),
            snapshot_min_entries: 10_000,
            retain: Duration::from_secs(600),
            usage_retain: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(1),
            tls_ca: None,
        })
    }

    /// The key prefix (default `tokenward`): fleets that share a Redis but not their tokens
    /// use different prefixes. At most 64 characters, no braces.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How often the writer looks for local changes to publish (default 1 ms): the most a
    /// change waits before it leaves.
    pub fn poll(mut self, poll: Duration) -> Self {
        self.poll = poll;
        self
    }

    /// How long one blocking read of the streams waits (default 250 ms). New entries end it
    /// at once; it bounds how long [`detach`](crate::Fleet::detach) waits for the reader.
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block;
        self
    }

    /// How often usage deltas are published (default 1 s).
    pub fn delta_interval(mut self, interval: Duration) -> Self {
        self.delta_interval = interval;
        self
    }

    /// Most changes queued while Redis is away (default 100 000). Past it the queue
    /// collapses into a state export (see the crate docs): nothing that stops a token is lost.
    pub fn outbox_capacity(mut self, capacity: usize) -> Self {
        self.outbox_capacity = capacity;
        self
    }

    /// How often an instance considers writing a snapshot and trimming the stream (default
    /// 30 s), and the stream length below which it does not (default 10 000 entries).
    pub fn snapshot(mut self, interval: Duration, min_entries: u64) -> Self {
        self.snapshot_interval = interval;
        self.snapshot_min_entries = min_entries;
        self
    }

    /// Stream entries younger than this are never trimmed (default 10 minutes): an instance
    /// cut off for less catches up from the stream alone.
    pub fn retain(mut self, retain: Duration) -> Self {
        self.retain = retain;
        self
    }

    /// How long usage deltas stay in their stream (default 30 s).
    pub fn usage_retain(mut self, retain: Duration) -> Self {
        self.usage_retain = retain;
        self
    }

    /// Timeout of a connection attempt (default 1 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Trusts the CAs in `pem` (PEM certificates) for Redis's TLS certificate, instead of the
    /// system's roots: for a `rediss://` URL to a Redis whose certificate a private CA signed.
    /// The certificate must name the URL's host (a DNS name or an IP address).
    pub fn tls_ca_cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_ca = Some(pem.into());
        self
    }

    /// The fleet's Redis keys.
    pub fn keys(&self) -> Keys {
        let tag = format!("{{{}}}", self.prefix);
        Keys {
            changes: format!("{tag}:changes"),
            usage: format!("{tag}:usage"),
            snapshot: format!("{tag}:snapshot"),
            covers: format!("{tag}:covers"),
            trimmed: format!("{tag}:trimmed"),
            epoch: format!("{tag}:epoch"),
            lock: format!("{tag}:lock"),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), FleetError> {
        let bad = |field, reason| Err(FleetError::InvalidArgument { field, reason });
        if self.prefix.is_empty() || self.prefix.len() > 64 {
            return bad("prefix", "must have 1 to 64 characters");
        }
        if self.prefix.contains(['{', '}']) || self.prefix.chars().any(char::is_control) {
            return bad("prefix", "must not hold braces or control characters");
        }
        let zero = Duration::ZERO;
        if self.poll == zero || self.block == zero || self.delta_interval == zero {
            return bad(
                "interval",
                "poll, block and delta_interval must not be zero",
            );
        }
        if self.outbox_capacity == 0 {
            return bad("outbox_capacity", "must not be zero");
        }
        // Refused here rather than left to fail at every connection attempt, where only
        // `health()` would tell.
        let tls = self.url.starts_with("rediss://");
        if tls && self.url.contains("#insecure") {
            // Certificate checks off: the redis crate honours it only when some crate in the
            // build enables its insecure feature, which would then pass silently.
            return bad("url", "#insecure (no certificate verification) is refused");
        }
        if let Some(pem) = &self.tls_ca {
            if !tls {
                return bad("tls_ca_cert", "needs a rediss:// URL");
            }
            let text = String::from_utf8_lossy(pem);
            if !text.contains("-----BEGIN CERTIFICATE-----")
                || !text.contains("-----END CERTIFICATE-----")
            {
                return bad("tls_ca_cert", "must hold at least one PEM certificate");
            }
        }
        Ok(())
    }
}

impl fmt::Debug for FleetConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FleetConfig")
            .field("url", &scrub(&self.url))
            .field("prefix", &self.prefix)
            .field("delta_interval", &self.delta_interval)
            .field("tls_ca_cert", &self.tls_ca.is_some())
            .finish_non_exhaustive()
    }
}

/// A URL (or a message that may quote one) with the password replaced by `***`.
pub(crate) fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', '"', '\'']).unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(userinfo_end) => {
                let userinfo = &authority[..userinfo_end];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..colon]);
                        out.push_str(":***");
                    }
                    None => out.push_str("***"),
                }
                out.push_str(&authority[userinfo_end..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_scrubbed() {
        assert_eq!(
            scrub("rediss://app:pw@h:1/0 and redis://tok@h2"),
            "rediss://app:***@h:1/0 and redis://***@h2"
        );
        assert_eq!(scrub("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn bad_settings_are_refused() {
        let config = FleetConfig::new("redis://127.0.0.1").unwrap();
        assert!(config.clone().prefix("a{b}").validate().is_err());
        assert!(config.clone().prefix("").validate().is_err());
        assert!(config.clone().poll(Duration::ZERO).validate().is_err());
        assert!(config.clone().validate().is_ok());
        assert!(FleetConfig::new("http://nope").is_err());
        let pem = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".to_vec();
        assert!(
            config.tls_ca_cert(pem.clone()).validate().is_err(),
            "CA without TLS"
        );
        let tls = FleetConfig::new("rediss://127.0.0.1").unwrap();
        assert!(tls.clone().tls_ca_cert(pem).validate().is_ok());
        assert!(tls
            .clone()
            .tls_ca_cert(b"not a cert".to_vec())
            .validate()
            .is_err());
        let insecure = FleetConfig::new("rediss://127.0.0.1/#insecure");
        assert!(insecure.is_err() || insecure.unwrap().validate().is_err());
    }
}
