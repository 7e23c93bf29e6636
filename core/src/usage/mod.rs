//! Usage statistics and anomaly detection per token.
//!
//! A [`UsageTracker`] keeps, for every token it sees, sliding-window counts at two resolutions
//! (requests, denials, 401/403/404 errors), distinct IPs, countries, user agents and endpoints
//! (exact while small, a HyperLogLog sketch past a cap), what the token normally does (learned
//! countries, networks, agents, endpoints; an EWMA of its rate; decaying peaks), and its last
//! use and place. Each [`observe`](UsageTracker::observe) updates that state and runs the
//! detectors, which return [`Alert`]s: rate spike, IP fan-out, new country / network / user
//! agent, endpoint outside the learned or declared scope, dormant wake-up, impossible travel,
//! error bursts and repeated denials.
//!
//! Tokens that share an owner and service ([`Observation::group`]) also pool the countries,
//! networks and clients they were used from: a place the group uses is not news for any of
//! its tokens, and a token still learning used from a country and with a client its group
//! never used raises `new_country` at once.
//!
//! The tracker does no I/O and reads no clock: every call takes `now`, a
//! [`Timestamp`](crate::Timestamp) in Unix ms. It is `Send + Sync`; state is split into
//! shards behind `parking_lot` mutexes so many threads observe at once. Memory is bounded: under 2 KiB per tracked token whatever the
//! traffic, idle tokens shrink to a 24-byte last-use record, and a global cap evicts the least
//! recently used.
//!
//! ```
//! use tokenward::usage::{AlertKind, Observation, UsageConfig, UsageTracker};
//! use tokenward::TokenKey;
//!
//! let tracker = UsageTracker::new(UsageConfig::default()).unwrap();
//! let id = TokenKey::new(b"host key").id(b"tw_live_token");
//! let day = 86_400_000;
//!
//! // A week of ordinary use from Germany.
//! for i in 0..200 {
//!     let obs = Observation {
//!         ip: Some("198.51.100.7".parse().unwrap()),
//!         country: Some("DE"),
//!         user_agent: Some("deploy-bot/1.4"),
//!         method: Some("GET"),
//!         path: Some("/v1/builds"),
//!         ..Observation::default()
//!     };
//!     assert!(tracker.observe(id, &obs, i * day / 30).is_empty());
//! }
//!
//! // Ten minutes later, from Brazil with a different client.
//! let obs = Observation {
//!     ip: Some("203.0.113.9".parse().unwrap()),
//!     country: Some("BR"),
//!     user_agent: Some("python-requests/2.31"),
//!     method: Some("GET"),
//!     path: Some("/v1/builds"),
//!     ..Observation::default()
//! };
//! let alerts = tracker.observe(id, &obs, 200 * day / 30 + 600_000);
//! let kinds: Vec<AlertKind> = alerts.iter().map(|a| a.kind).collect();
//! assert!(kinds.contains(&AlertKind::NewCountry));
//! assert!(kinds.contains(&AlertKind::ImpossibleTravel));
//!
//! let stats = tracker.stats(id, 200 * day / 30 + 600_000).unwrap();
//! assert_eq!(stats.total_requests, 201);
//! ```

mod alert;
mod baseline;
mod config;
mod delta;
mod detect;
mod distinct;
mod geo;
mod group;
mod hashing;
mod hold;
mod observation;
mod shape;
mod shard;
mod snapshot;
mod state;
mod stats;
mod tracker;
mod window;

pub use alert::{Alert, AlertKind, Evidence, Severity};
pub use config::{
    DenialsConfig, DetectorsConfig, DormantConfig, EndpointConfig, ErrorBurstConfig,
    IpFanoutConfig, NewCountryConfig, NewNetworkConfig, NewUserAgentConfig, RateSpikeConfig,
    TravelConfig, UsageConfig, WindowSpec,
};
pub use delta::UsageDelta;
pub use hold::Held;
pub use observation::{Expected, Observation};
pub use shard::Eviction;
pub use snapshot::UsageSnapshot;
pub use stats::{BaselineStats, DistinctStats, KnownStats, UsageStats, WindowCounts, WindowStats};
pub use tracker::{UsageTracker, OUTCOME_STATUSES};

// The unit tests reach the internals through `super::*`.
#[cfg(test)]
use state::Derived;

#[cfg(test)]
mod tests;
