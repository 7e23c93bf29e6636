//! The settings a host passes when it attaches a Guard to a fleet, as plain data: what the
//! Python `attach_fleet(url, **options)`, the Node `attachFleet(url, options)` and the C
//! `tw_fleet_attach(guard, url, options_json)` all turn into one [`FleetConfig`], so the
//! rules (durations in seconds, defaults of unset halves, ranges) live here once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{FleetConfig, FleetError};

/// The optional settings of a fleet attachment, by their [`FleetConfig`] names; durations are
/// seconds. Unset settings keep the [`FleetConfig`] defaults. From JSON (or any serde format:
/// a Python dict, a JS object) with snake_case names; the camelCase spellings of Node are
/// accepted as aliases. Unknown names are refused.
///
/// ```
/// use std::time::Duration;
/// use tokenward_fleet::FleetSettings;
///
/// let settings = FleetSettings::from_json(r#"{"prefix": "billing-api", "delta_interval": 0.5}"#)?;
/// let config = settings.config("redis://127.0.0.1:6379")?;
/// assert_eq!(config.keys().usage, "{billing-api}:usage");
/// // Bad input is a typed error naming the setting.
/// let err = FleetSettings::from_json(r#"{"poll": -1}"#)?.config("redis://127.0.0.1").unwrap_err();
/// assert_eq!(err.kind(), tokenward::ErrorKind::InvalidArgument);
/// assert!(err.to_string().contains("poll"));
/// assert!(FleetSettings::from_json(r#"{"pol": 1}"#).is_err());
/// # Ok::<(), tokenward_fleet::FleetError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSettings {
    /// Key prefix ([`FleetConfig::prefix`]).
    pub prefix: Option<String>,
    /// Seconds between looks for local changes ([`FleetConfig::poll`]).
    pub poll: Option<f64>,
    /// Seconds one blocking read waits ([`FleetConfig::block`]).
    pub block: Option<f64>,
    /// Seconds between usage deltas ([`FleetConfig::delta_interval`]).
    #[serde(alias = "deltaInterval")]
    pub delta_interval: Option<f64>,
    /// Most changes queued while Redis is away ([`FleetConfig::outbox_capacity`]).
    #[serde(alias = "outboxCapacity")]
    pub outbox_capacity: Option<u64>,
    /// Seconds between snapshot attempts ([`FleetConfig::snapshot`]; unset: 30).
    #[serde(alias = "snapshotInterval")]
    pub snapshot_interval: Option<f64>,
    /// Stream length below which no snapshot is written ([`FleetConfig::snapshot`]; unset:
    /// 10 000).
    #[serde(alias = "snapshotMinEntries")]
    pub snapshot_min_entries: Option<u64>,
    /// Seconds stream entries are kept whatever a snapshot covers ([`FleetConfig::retain`]).
    pub retain: Option<f64>,
    /// Seconds usage deltas stay in their stream ([`FleetConfig::usage_retain`]).
    #[serde(alias = "usageRetain")]
    pub usage_retain: Option<f64>,
    /// Seconds a connection attempt may take ([`FleetConfig::connect_timeout`]).
    #[serde(alias = "connectTimeout")]
    pub connect_timeout: Option<f64>,
    /// A PEM file of the CAs that sign Redis's TLS certificate ([`FleetConfig::tls_ca_cert`]),
    /// for a `rediss://` URL; unset trusts the system's roots.
    #[serde(alias = "tlsCaFile")]
    pub tls_ca_file: Option<String>,
}

/// A `FleetConfig` setter of one duration.
type DurationSetter = fn(FleetConfig, Duration) -> FleetConfig;

impl FleetSettings {
    /// Settings from a JSON object (`null` or `{}` for none). Fails with
    /// [`FleetError::InvalidArgument`] on an unknown name or a value of the wrong type.
    pub fn from_json(text: &str) -> Result<FleetSettings, FleetError> {
        let settings: Option<FleetSettings> = serde_json::from_str(text)
            .map_err(|e| FleetError::Settings(without_values(&e.to_string())))?;
        Ok(settings.unwrap_or_default())
    }

    /// The [`FleetConfig`] for the Redis at `url` with these settings, validated. Fails with
    /// [`FleetError::Url`] for a bad URL and [`FleetError::InvalidArgument`] for a duration
    /// that is negative or not finite, or a setting out of range.
    pub fn config(&self, url: &str) -> Result<FleetConfig, FleetError> {
        let mut config = FleetConfig::new(url)?;
        if let Some(prefix) = &self.prefix {
            config = config.prefix(prefix.as_str());
        }
        let durations: [(&'static str, Option<f64>, DurationSetter); 6] = [
            ("poll", self.poll, FleetConfig::poll),
            ("block", self.block, FleetConfig::block),
            (
                "delta_interval",
                self.delta_interval,
                FleetConfig::delta_interval,
            ),
            ("retain", self.retain, FleetConfig::retain),
            ("usage_retain", self.usage_retain, FleetConfig::usage_retain),
            (
                "connect_timeout",
                self.connect_timeout,
                FleetConfig::connect_timeout,
            ),
        ];
        for (field, value, set) in durations {
            if let Some(value) = value {
                config = set(config, seconds(field, value)?);
            }
        }
        if let Some(capacity) = self.outbox_capacity {
            let capacity = usize::try_from(capacity).map_err(|_| FleetError::InvalidArgument {
                field: "outbox_capacity",
                reason: "is too large",
            })?;
            config = config.outbox_capacity(capacity);
        }
        if self.snapshot_interval.is_some() || self.snapshot_min_entries.is_some() {
            // An unset half keeps its default.
            let interval = match self.snapshot_interval {
                Some(value) => seconds("snapshot_interval", value)?,
                None => config.snapshot_interval,
            };
            let min_entries = self
                .snapshot_min_entries
                .unwrap_or(config.snapshot_min_entries);
            config = config.snapshot(interval, min_entries);
        }
        if let Some(path) = &self.tls_ca_file {
            config = config.tls_ca_cert(read_ca_file(path)?);
        }
        config.validate()?;
        Ok(config)
    }
}

/// A number of seconds as a duration, for the hosts' second-valued arguments (the settings
/// and `flush(timeout)`): fails with [`FleetError::InvalidArgument`] naming `field` when it
/// is negative or not finite.
pub fn seconds(field: &'static str, value: f64) -> Result<Duration, FleetError> {
    Duration::try_from_secs_f64(value).map_err(|_| FleetError::InvalidArgument {
        field,
        reason: "must be a non-negative, finite number of seconds",
    })
}

/// The most a CA file may hold: a bundle of every public root is about 200 KiB.
const MAX_CA_FILE: u64 = 1 << 20;

/// The PEM text of a CA file, refused past `MAX_CA_FILE` (a path such as `/dev/zero` must not
/// exhaust memory).
fn read_ca_file(path: &str) -> Result<Vec<u8>, FleetError> {
    use std::io::Read;
    let failed = |e: std::io::Error| FleetError::Settings(format!("tls_ca_file {path:?}: {e}"));
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE + 1).read_to_end(&mut pem))
        .map_err(failed)?;
    if pem.len() as u64 > MAX_CA_FILE {
        return Err(FleetError::Settings(format!(
            "tls_ca_file {path:?}: larger than {MAX_CA_FILE} bytes"
        )));
    }
    Ok(pem)
}

/// A serde message without the values it quotes: serde quotes a wrong value in double quotes
/// (`invalid type: string "redis://u:pw@h"`), which may be a secret put in the wrong field,
/// and names fields in backticks, which are kept.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for (i, part) in message.split('"').enumerate() {
        out.push_str(if i % 2 == 1 { "\"…\"" } else { part });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenward::ErrorKind;

    const URL: &str = "redis://127.0.0.1:6379";

    fn kind(json: &str) -> ErrorKind {
        match FleetSettings::from_json(json) {
            Err(e) => e.kind(),
            Ok(s) => s.config(URL).map(drop).unwrap_err().kind(),
        }
    }

    #[test]
    fn settings_become_a_config_and_unset_halves_keep_defaults() {
        let config = FleetSettings::from_json(
            r#"{"prefix":"p","delta_interval":0.25,"snapshotMinEntries":5,"outbox_capacity":7}"#,
        )
        .unwrap()
        .config(URL)
        .unwrap();
        assert_eq!(config.delta_interval, Duration::from_millis(250));
        assert_eq!(config.snapshot_interval, Duration::from_secs(30));
        assert_eq!(config.snapshot_min_entries, 5);
        assert_eq!(config.outbox_capacity, 7);
        assert_eq!(config.prefix, "p");
        let defaults = FleetSettings::from_json("null")
            .unwrap()
            .config(URL)
            .unwrap();
        assert_eq!(defaults.delta_interval, Duration::from_secs(1));
    }

    #[test]
    fn bad_settings_are_typed_errors() {
        assert_eq!(kind(r#"{"poll": -1}"#), ErrorKind::InvalidArgument);
        assert_eq!(kind(r#"{"block": 0}"#), ErrorKind::InvalidArgument);
        assert_eq!(kind(r#"{"retain": 1e300}"#), ErrorKind::InvalidArgument);
        assert_eq!(
            kind(r#"{"outbox_capacity": 0}"#),
            ErrorKind::InvalidArgument
        );
        assert_eq!(
            kind(r#"{"outbox_capacity": -1}"#),
            ErrorKind::InvalidArgument
        );
        assert_eq!(kind(r#"{"prefix": "a{b}"}"#), ErrorKind::InvalidArgument);
        assert_eq!(kind(r#"{"prefix": 3}"#), ErrorKind::InvalidArgument);
        assert_eq!(kind(r#"{"nope": 3}"#), ErrorKind::InvalidArgument);
        assert_eq!(kind(r#"[1]"#), ErrorKind::InvalidArgument);
        assert_eq!(
            kind(r#"{"tls_ca_file": "/nonexistent/ca.pem"}"#),
            ErrorKind::InvalidArgument
        );
        let url = FleetSettings::default()
            .config("http://u:hunter2@h")
            .unwrap_err();
        assert_eq!(url.kind(), ErrorKind::Config);
        assert!(!url.to_string().contains("hunter2"));
    }

    #[test]
    fn an_endless_ca_file_is_refused() {
        let err = FleetSettings::from_json(r#"{"tls_ca_file": "/dev/zero"}"#)
            .unwrap()
            .config("rediss://127.0.0.1")
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        assert!(err.to_string().contains("larger than"), "{err}");
    }

    #[test]
    fn errors_never_quote_a_value() {
        let err = FleetSettings::from_json(r#"{"prefix": 7, "poll": "redis://u:pw@h"}"#)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pw") && !err.contains("redis://"), "{err}");
        let err = FleetSettings::from_json(r#"{"pol": 1}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`pol`"), "{err}");
    }
}
