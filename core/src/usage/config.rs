//! [`UsageConfig`]: windows, learning, memory bounds and one section per detector.
//!
//! Every field has a default; a document names only what it changes. Unknown fields are errors,
//! so a typo never silently falls back to a default.

use serde::{Deserialize, Serialize};

use super::alert::{AlertKind, Severity};
use crate::Error;

const MINUTE: u64 = 60;
const HOUR: u64 = 3600;
const DAY: u64 = 86_400;

/// Settings of a [`UsageTracker`](super::UsageTracker).
///
/// ```
/// use tokenward::usage::UsageConfig;
///
/// let config = UsageConfig::from_toml(r#"
///     learning_period_secs = 86400
///     [detectors.new_user_agent]
///     enabled = false
///     [detectors.ip_fanout]
///     min_distinct_ips = 12
///     severity = "critical"
/// "#).unwrap();
/// assert_eq!(config.detectors.ip_fanout.min_distinct_ips, 12);
/// assert_eq!(config.fine_window.buckets, 60); // untouched defaults
/// assert!(UsageConfig::from_toml("learning_period = 3").is_err()); // typo: unknown field
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UsageConfig {
    /// The fine window (default 60 buckets of 1 minute). Short-span detectors read it.
    pub fine_window: WindowSpec,
    /// The coarse window (default 48 buckets of 1 hour).
    pub coarse_window: WindowSpec,
    /// Distinct IPs, countries, agents and endpoints are counted over the current and the
    /// previous period of this length (default 600 s: a window of 10 to 20 minutes).
    pub distinct_period_secs: u64,
    /// How many distinct IPs are kept exactly before the counter turns into a sketch (1..=16,
    /// default 16). Countries keep up to 4, agents and endpoints up to 8.
    pub distinct_cap: usize,
    /// Novelty and baseline detectors stay silent until a token has been in use this long
    /// (default 2 days)...
    pub learning_period_secs: u64,
    /// ...and has made at least this many requests (default 10).
    pub learning_min_requests: u64,
    /// Half-life of the EWMA baseline of the request rate (default 1 hour).
    pub baseline_half_life_secs: u64,
    /// Half-life of the learned peaks (rate, burst, distinct IPs) (default 7 days).
    pub peak_half_life_secs: u64,
    /// Full usage state of a token unused this long is evicted, leaving a 24-byte record of its
    /// last use so a dormant wake-up is still noticed (default 7 days).
    pub idle_evict_secs: u64,
    /// Last-use records older than this are forgotten (default 400 days).
    pub forget_after_secs: u64,
    /// At most this many tokens carry full usage state; past it the least recently used are
    /// evicted (default 65,536: at most about 128 MiB).
    pub max_tokens: usize,
    /// At most this many last-use records are kept (default 1,048,576: about 48 MiB at most).
    pub max_dormant_records: usize,
    /// How long the context an alert pointed at (a new country, network or client, the
    /// place an impossible move led to) stays suspect: requests from it are held, so a
    /// `deny` response rule refuses them while the owner's own requests go through
    /// (default 6 hours).
    pub hold_secs: u64,
    /// Keep per-token counts since the last [`delta`](super::UsageTracker::delta) so instances
    /// of a fleet can exchange them (default false).
    pub track_deltas: bool,
    /// One section per detector.
    pub detectors: DetectorsConfig,
}

impl Default for UsageConfig {
    fn default() -> Self {
        UsageConfig {
            fine_window: WindowSpec {
                width_secs: MINUTE,
                buckets: 60,
            },
            coarse_window: WindowSpec {
                width_secs: HOUR,
                buckets: 48,
            },
            distinct_period_secs: 10 * MINUTE,
            distinct_cap: 16,
            learning_period_secs: 2 * DAY,
            learning_min_requests: 10,
            baseline_half_life_secs: HOUR,
            peak_half_life_secs: 7 * DAY,
            idle_evict_secs: 7 * DAY,
            forget_after_secs: 400 * DAY,
            max_tokens: 65_536,
            max_dormant_records: 1 << 20,
            hold_secs: 6 * HOUR,
            track_deltas: false,
            detectors: DetectorsConfig::default(),
        }
    }
}

/// A window: `buckets` buckets of `width_secs` seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowSpec {
    /// Width of one bucket in seconds.
    pub width_secs: u64,
    /// Number of buckets (1..=240).
    pub buckets: usize,
}

/// Per-detector settings. Every detector has `enabled`, `severity` and `cooldown_secs` (a token
/// raises the same kind at most once per cooldown) plus its own thresholds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorsConfig {
    /// `rate_spike`.
    pub rate_spike: RateSpikeConfig,
    /// `ip_fanout`.
    pub ip_fanout: IpFanoutConfig,
    /// `new_country`.
    pub new_country: NewCountryConfig,
    /// `new_network`.
    pub new_network: NewNetworkConfig,
    /// `new_user_agent`.
    pub new_user_agent: NewUserAgentConfig,
    /// `endpoint_out_of_scope`.
    pub endpoint_out_of_scope: EndpointConfig,
    /// `dormant_wakeup`.
    pub dormant_wakeup: DormantConfig,
    /// `impossible_travel`.
    pub impossible_travel: TravelConfig,
    /// `error_burst`.
    pub error_burst: ErrorBurstConfig,
    /// `repeated_denials`.
    pub repeated_denials: DenialsConfig,
}

macro_rules! detector_config {
    (
        $(#[$doc:meta])* $name:ident, severity: $sev:expr, cooldown: $cool:expr,
        { $( $(#[$fdoc:meta])* $field:ident : $ty:ty = $default:expr ),* $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            /// Whether the detector runs (default true).
            pub enabled: bool,
            /// Severity of its alerts.
            pub severity: Severity,
            /// Minimum seconds between two alerts of this kind for one token.
            pub cooldown_secs: u64,
            $( $(#[$fdoc])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    enabled: true,
                    severity: $sev,
                    cooldown_secs: $cool,
                    $( $field: $default, )*
                }
            }
        }
    };
}

detector_config!(
    /// A rate far above the token's own learned peak, measured two ways: over the last 16
    /// requests (catches a fast script within 16 requests) and over the current fine bucket
    /// (catches sustained volume at ordinary speed). Default severity medium, raised one step
    /// at ten times the peak.
    RateSpikeConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// Alert when a rate exceeds this multiple of its learned peak (default 4).
        factor: f64 = 4.0,
        /// And the rate over the last 16 requests is at least this many per minute (default 120).
        min_burst_per_min: f64 = 120.0,
        /// And (for the bucket measure) the bucket holds at least this many requests (default 60).
        min_bucket_requests: u64 = 60,
        /// While the token is still learning, once it has `learning_min_requests` requests
        /// behind it or its group (same owner and service) has learned: alert at this
        /// multiple of its peaks so far, which are still settling, or of the busiest learned
        /// sibling's if higher, and at twice the two minimums above (default 10; 0 turns this
        /// off). A token leaked in its first days is caught too.
        learning_factor: f64 = 10.0,
    }
);

detector_config!(
    /// Many distinct IPs in the distinct window. Default severity high.
    IpFanoutConfig, severity: Severity::High, cooldown: HOUR, {
        /// Never alert below this many distinct IPs (default 8).
        min_distinct_ips: u64 = 8,
        /// Alert at this multiple of the token's learned peak of distinct IPs (default 3).
        factor: f64 = 3.0,
        /// Alert at this many distinct IPs even while still learning, in its first half
        /// (default 64); in the second half, the peak so far is judged as after learning.
        absolute_distinct_ips: u64 = 64,
    }
);

detector_config!(
    /// A country the token never used, after learning. Default severity medium, raised one
    /// step when the user agent family is new too. What looks like a trip (same client, a
    /// move that was possible in the time since the previous request) is learned without an
    /// alert for tokens not in use around the clock (people travel; services do not). It
    /// subsumes `new_network` for that request.
    NewCountryConfig, severity: Severity::Medium, cooldown: HOUR, {}
);

detector_config!(
    /// A network never used, after learning. A network is new when neither its /24 (IPv4) or
    /// /48 (IPv6) nor its wider /16 (/32) was seen, so mobile and CGNAT churn inside a
    /// provider's range stays quiet. Alone it alerts only for tokens that used at most
    /// `stable_networks` wide networks and met no other new one within `settle_secs`; with a
    /// new user agent on the same request it alerts for any settled token (severity raised
    /// one step). Tokens seen on more than 16 wide networks (CI runners, roaming fleets) are
    /// too diverse and it stays silent for them. Default severity low.
    NewNetworkConfig, severity: Severity::Low, cooldown: HOUR, {
        /// A token that met another new network this recently is still roaming (default 1 day).
        settle_secs: u64 = DAY,
        /// A new network alone alerts only for tokens known on at most this many (default 2).
        stable_networks: usize = 2,
    }
);

detector_config!(
    /// A user agent family (digits ignored, so version bumps are not new) never used, after
    /// learning, for a token that used at most `stable_agents` families and met no other new
    /// one within `settle_secs`. Default severity low.
    NewUserAgentConfig, severity: Severity::Low, cooldown: HOUR, {
        /// A token that met another new agent this recently is still settling (default 1 day).
        settle_secs: u64 = DAY,
        /// A new agent alone alerts only for tokens known with at most this many (default 1).
        stable_agents: usize = 1,
    }
);

detector_config!(
    /// A request the host marked outside the token's declared scope (severity raised one
    /// step), or, after learning, several endpoints the token never used within the distinct
    /// window (a scan). A new endpoint now and then is learned quietly. Default severity medium.
    EndpointConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// New endpoints within the distinct window that make a scan (default 5).
        new_endpoints: u64 = 5,
    }
);

detector_config!(
    /// A token unused for `idle_days` is used again. Default severity medium.
    DormantConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// Days of silence that make a token dormant (default 30).
        idle_days: f64 = 30.0,
    }
);

detector_config!(
    /// Two consecutive locations (request lat/lon, else country centroid) further apart than
    /// `min_distance_km` and implying more than `max_speed_kmh`, judged on the request that
    /// arrives at a place new for the token (first used within the last day, or unknown)
    /// after learning: moves between places a token is established in (a team in two
    /// offices, CI in two clouds, a VPN) say nothing. Default severity medium, raised one
    /// step when the client is new too or the place is outside what the registry expects.
    TravelConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// Fastest plausible travel (default 1000 km/h).
        max_speed_kmh: f64 = 1000.0,
        /// Ignore jumps shorter than this: neighbours and geolocation error (default 500 km).
        min_distance_km: f64 = 500.0,
    }
);

detector_config!(
    /// 401/403/404 responses (from `record_outcome`) piling up on distinct paths, with a mix
    /// of statuses. Default severity medium.
    ErrorBurstConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// The span examined, in seconds (default 300).
        window_secs: u64 = 300,
        /// At least this many errors in the span (default 6)...
        min_errors: u64 = 6,
        /// ...making up at least this share of the span's requests (default 0.2)...
        min_ratio: f64 = 0.2,
        /// ...and this multiple of the token's usual error rate (default 4)...
        factor: f64 = 4.0,
        /// ...on at least this many distinct paths (default 3; values above 8, the paths
        /// remembered per burst, count as 8; 1 accepts errors on a single path): a client
        /// retrying one URL (polling a deleted resource, an expired session) is not
        /// probing...
        min_paths: usize = 3,
        /// ...with this many of 401, 403 and 404 each at least twice among the span's last 8
        /// errors that were not retries (a path answered as it was last time) (1 to 3,
        /// default 2): one status over and over has one honest cause (a
        /// resource deleted, a permission a deploy broke, a session expired), while probing
        /// meets a mix. 1 counts any errors, for a service that answers probes with one
        /// status only.
        min_statuses: usize = 2,
    }
);

detector_config!(
    /// The guard denied the token this many times within the span. Default severity medium.
    DenialsConfig, severity: Severity::Medium, cooldown: HOUR, {
        /// The span examined, in seconds (default 300).
        window_secs: u64 = 300,
        /// Denials in the span that make an alert (default 5).
        min_denials: u64 = 5,
    }
);

/// The settings every detector shares, looked up by kind.
pub(crate) struct Common {
    pub enabled: bool,
    pub severity: Severity,
    pub cooldown_secs: u64,
}

impl DetectorsConfig {
    pub(crate) fn common(&self, kind: AlertKind) -> Common {
        macro_rules! c {
            ($d:expr) => {
                Common {
                    enabled: $d.enabled,
                    severity: $d.severity,
                    cooldown_secs: $d.cooldown_secs,
                }
            };
        }
        match kind {
            AlertKind::RateSpike => c!(self.rate_spike),
            AlertKind::IpFanout => c!(self.ip_fanout),
            AlertKind::NewCountry => c!(self.new_country),
            AlertKind::NewNetwork => c!(self.new_network),
            AlertKind::NewUserAgent => c!(self.new_user_agent),
            AlertKind::EndpointOutOfScope => c!(self.endpoint_out_of_scope),
            AlertKind::DormantWakeup => c!(self.dormant_wakeup),
            AlertKind::ImpossibleTravel => c!(self.impossible_travel),
            AlertKind::ErrorBurst => c!(self.error_burst),
            AlertKind::RepeatedDenials => c!(self.repeated_denials),
        }
    }
}

impl UsageConfig {
    /// Parses a TOML document and validates it.
    pub fn from_toml(text: &str) -> Result<UsageConfig, Error> {
        let config: UsageConfig = crate::parse::toml(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a JSON document and validates it.
    pub fn from_json(text: &str) -> Result<UsageConfig, Error> {
        let config: UsageConfig = crate::parse::json(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value is in range; the error ([`Error::Field`]) names the field by its path
    /// inside a Guard config (`usage.distinct_cap`).
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |field: &str, reason: &str| {
            Err(Error::Field(crate::FieldError::new(
                format!("usage.{field}"),
                reason,
            )))
        };
        for (name, w) in [
            ("fine_window", self.fine_window),
            ("coarse_window", self.coarse_window),
        ] {
            if w.width_secs == 0 || w.width_secs > 30 * DAY {
                return bad(name, "width_secs must be between 1 and 2592000");
            }
            if !(1..=240).contains(&w.buckets) {
                return bad(name, "buckets must be between 1 and 240");
            }
        }
        if self.distinct_period_secs == 0 || self.distinct_period_secs > 30 * DAY {
            return bad("distinct_period_secs", "must be between 1 and 2592000");
        }
        if !(1..=16).contains(&self.distinct_cap) {
            return bad("distinct_cap", "must be between 1 and 16");
        }
        for (name, secs) in [
            ("baseline_half_life_secs", self.baseline_half_life_secs),
            ("peak_half_life_secs", self.peak_half_life_secs),
            ("idle_evict_secs", self.idle_evict_secs),
            ("forget_after_secs", self.forget_after_secs),
            ("hold_secs", self.hold_secs),
        ] {
            if secs == 0 || secs > 100 * 365 * DAY {
                return bad(name, "must be between 1 second and 100 years");
            }
        }
        if self.learning_period_secs > 100 * 365 * DAY {
            return bad("learning_period_secs", "must be at most 100 years");
        }
        if self.max_tokens == 0 {
            return bad("max_tokens", "must be at least 1");
        }
        let d = &self.detectors;
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(d.rate_spike.factor) || !positive(d.rate_spike.min_burst_per_min) {
            return bad(
                "detectors.rate_spike",
                "factor and min_burst_per_min must be positive",
            );
        }
        let factor = d.rate_spike.learning_factor;
        if !factor.is_finite() || factor < 0.0 {
            return bad(
                "detectors.rate_spike",
                "learning_factor must be positive, or 0 to turn it off",
            );
        }
        if !positive(d.ip_fanout.factor) || d.ip_fanout.min_distinct_ips == 0 {
            return bad(
                "detectors.ip_fanout",
                "factor must be positive and min_distinct_ips at least 1",
            );
        }
        if d.endpoint_out_of_scope.new_endpoints == 0 {
            return bad(
                "detectors.endpoint_out_of_scope.new_endpoints",
                "must be at least 1",
            );
        }
        if !positive(d.dormant_wakeup.idle_days) {
            return bad("detectors.dormant_wakeup.idle_days", "must be positive");
        }
        if !positive(d.impossible_travel.max_speed_kmh)
            || !d.impossible_travel.min_distance_km.is_finite()
            || d.impossible_travel.min_distance_km < 0.0
        {
            return bad(
                "detectors.impossible_travel",
                "max_speed_kmh must be positive and min_distance_km not negative",
            );
        }
        let eb = &d.error_burst;
        if eb.window_secs == 0
            || eb.window_secs > DAY
            || !(0.0..=1.0).contains(&eb.min_ratio)
            || !positive(eb.factor)
            || !(1..=3).contains(&eb.min_statuses)
        {
            return bad(
                "detectors.error_burst",
                "window_secs must be between 1 and 86400, min_ratio within 0..=1, factor \
                 positive, min_statuses 1 to 3",
            );
        }
        let rd = &d.repeated_denials;
        if rd.window_secs == 0 || rd.window_secs > DAY || rd.min_denials == 0 {
            return bad(
                "detectors.repeated_denials",
                "window_secs must be between 1 and 86400 and min_denials positive",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip() {
        let c = UsageConfig::default();
        c.validate().unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(UsageConfig::from_json(&json).unwrap(), c);
        assert_eq!(UsageConfig::from_toml("").unwrap(), c);
    }

    #[test]
    fn errors_name_the_field() {
        let e = UsageConfig::from_toml("distinct_cap = 99").unwrap_err();
        assert!(e.to_string().contains("usage.distinct_cap"), "{e}");
        let e = UsageConfig::from_toml("[detectors.error_burst]\nmin_ratio = 2.0").unwrap_err();
        assert!(e.to_string().contains("error_burst"), "{e}");
        let e = UsageConfig::from_toml("[detectors.rate_spike]\nfactr = 2.0").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("invalid config: detectors.rate_spike: unknown field, expected"),
            "{e}"
        );
        let e = UsageConfig::from_json(r#"{"detectors":{"ip_fanout":{"severity":"huge"}}}"#)
            .unwrap_err();
        assert!(
            e.to_string().starts_with(
                "invalid config: detectors.ip_fanout.severity: unknown variant, expected"
            ),
            "{e}"
        );
        assert!(!e.to_string().contains("huge"), "{e}");
    }
}
