//! What [`UsageTracker::stats`] reports about one token.

use serde::{Deserialize, Serialize};

use super::alert::token_id_serde;
use super::hashing;
use super::state::TokenUsage;
use super::window::Window;
use super::UsageTracker;
use crate::{Timestamp, TokenId};

/// Counts in a window, or in one of its buckets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowCounts {
    /// Requests observed.
    pub requests: u64,
    /// Requests the guard denied.
    pub denials: u64,
    /// 401/403/404 responses.
    pub errors: u64,
}

/// One window in a [`UsageStats`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WindowStats {
    /// Width of a bucket in seconds.
    pub bucket_secs: u64,
    /// Counts per bucket, oldest first; the last is the current bucket.
    pub buckets: Vec<WindowCounts>,
    /// Sum over the window.
    pub total: WindowCounts,
}

/// Distinct values in the distinct window (the current and previous distinct period).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DistinctStats {
    /// The window's maximum length in seconds (two distinct periods).
    pub window_secs: u64,
    /// Distinct client IPs (exact up to `distinct_cap`, estimated past it).
    pub ips: u64,
    /// Distinct countries.
    pub countries: u64,
    /// Distinct user agent families (digits ignored).
    pub user_agents: u64,
    /// Distinct endpoints (method and path, identifiers collapsed).
    pub endpoints: u64,
}

/// What the token is known to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownStats {
    /// Countries, ISO alpha-2, sorted.
    pub countries: Vec<String>,
    /// Number of wide networks (/16 IPv4, /32 IPv6).
    pub networks: usize,
    /// Number of user agent families.
    pub user_agents: usize,
    /// Number of endpoints.
    pub endpoints: usize,
    /// Dimensions that overflowed their set: novelty there is not reported.
    pub saturated: Vec<String>,
}

/// The token's learned rates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineStats {
    /// EWMA of requests per minute.
    pub requests_per_min: f64,
    /// EWMA of 401/403/404 errors per minute.
    pub errors_per_min: f64,
    /// Learned (decaying) peak of requests per minute in one fine bucket.
    pub peak_requests_per_min: f64,
    /// Learned (decaying) peak of the rate over 16 consecutive requests, per minute.
    pub peak_burst_per_min: f64,
    /// Learned (decaying) peak of distinct IPs in the distinct window.
    pub peak_distinct_ips: f64,
}

/// A snapshot of one token's usage, from [`UsageTracker::stats`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageStats {
    /// The token.
    #[serde(with = "token_id_serde")]
    pub token_id: TokenId,
    /// First use this tracker knows of.
    pub first_seen: Timestamp,
    /// Last use.
    pub last_seen: Timestamp,
    /// Requests since first use.
    pub total_requests: u64,
    /// The learning period is over and novelty detectors are live.
    pub learned: bool,
    /// The fine window.
    pub fine: WindowStats,
    /// The coarse window.
    pub coarse: WindowStats,
    /// Distinct values in the distinct window.
    pub distinct: DistinctStats,
    /// What the token is known to use.
    pub known: KnownStats,
    /// Learned rates.
    pub baseline: BaselineStats,
}

impl UsageTracker {
    /// A snapshot of one token's usage as of `now`, or `None` when the tracker holds no state
    /// for it (never seen, or evicted: see [`last_seen`](Self::last_seen)).
    pub fn stats(&self, id: TokenId, now: Timestamp) -> Option<UsageStats> {
        let guard = self.shard(&id).lock();
        let state = guard.live.get(&id)?;
        Some(self.stats_of(id, state, now))
    }

    fn stats_of(&self, id: TokenId, s: &TokenUsage, now: Timestamp) -> UsageStats {
        let ctx = self.ctx(id, now);
        let generation = ctx.generation();
        let window = |w: &Window| {
            let buckets: Vec<WindowCounts> = w.series(now).iter().map(|c| c.widen()).collect();
            let mut total = WindowCounts::default();
            for b in &buckets {
                total.requests += b.requests;
                total.denials += b.denials;
                total.errors += b.errors;
            }
            WindowStats {
                bucket_secs: (w.width() / 1000) as u64,
                buckets,
                total,
            }
        };
        let per_min = |v: f32| f64::from(v) * 60_000.0 / self.derived.fine_ms as f64;
        let mut saturated = Vec::new();
        for (name, full) in [
            ("countries", s.known_countries.is_saturated()),
            ("networks", s.known_wide.is_saturated()),
            ("user_agents", s.known_agents.is_saturated()),
            ("endpoints", s.known_endpoints.is_saturated()),
        ] {
            if full {
                saturated.push(name.to_string());
            }
        }
        UsageStats {
            token_id: id,
            first_seen: s.first_seen,
            last_seen: s.last_seen,
            total_requests: s.total_requests,
            learned: s.learned(&ctx),
            fine: window(&s.fine),
            coarse: window(&s.coarse),
            distinct: DistinctStats {
                window_secs: self.config.distinct_period_secs * 2,
                ips: s.ips.estimate(generation),
                countries: s.countries.estimate(generation),
                user_agents: s.agents.estimate(generation),
                endpoints: s.endpoints.estimate(generation),
            },
            known: KnownStats {
                countries: {
                    let mut c: Vec<String> = s
                        .known_countries
                        .iter()
                        .map(hashing::country_text)
                        .collect();
                    c.sort();
                    c
                },
                networks: s.known_wide.len(),
                user_agents: s.known_agents.len(),
                endpoints: s.known_endpoints.len(),
                saturated,
            },
            baseline: BaselineStats {
                requests_per_min: per_min(s.baseline.requests),
                errors_per_min: per_min(s.baseline.errors),
                peak_requests_per_min: per_min(s.baseline.peak_bucket),
                peak_burst_per_min: f64::from(s.baseline.peak_burst),
                peak_distinct_ips: f64::from(s.baseline.peak_ips),
            },
        }
    }
}
