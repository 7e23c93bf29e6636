//! What the detectors report: [`Alert`], its [`AlertKind`], [`Severity`] and [`Evidence`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Timestamp, TokenId};

/// The kinds of anomaly the detectors report, with stable snake_case codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// The request rate jumped far above the token's own learned peak.
    RateSpike,
    /// Many distinct IPs used the token within a short window (a token spread across a botnet).
    IpFanout,
    /// A country the token was never used from, after the learning period.
    NewCountry,
    /// A network the token was never used from, after the learning period.
    NewNetwork,
    /// A user agent family the token was never used with, after the learning period.
    NewUserAgent,
    /// Requests outside the declared scope, or a burst of endpoints never seen before.
    EndpointOutOfScope,
    /// A token unused for a long time is used again.
    DormantWakeup,
    /// Two consecutive locations imply travel faster than an airliner.
    ImpossibleTravel,
    /// A burst of 401/403/404 responses: reconnaissance or a stolen token being probed.
    ErrorBurst,
    /// The guard denied the token's requests repeatedly.
    RepeatedDenials,
}

impl AlertKind {
    /// Every kind, in declaration order.
    pub const ALL: [AlertKind; 10] = [
        AlertKind::RateSpike,
        AlertKind::IpFanout,
        AlertKind::NewCountry,
        AlertKind::NewNetwork,
        AlertKind::NewUserAgent,
        AlertKind::EndpointOutOfScope,
        AlertKind::DormantWakeup,
        AlertKind::ImpossibleTravel,
        AlertKind::ErrorBurst,
        AlertKind::RepeatedDenials,
    ];

    /// The stable code, e.g. `"ip_fanout"`.
    pub const fn code(self) -> &'static str {
        match self {
            AlertKind::RateSpike => "rate_spike",
            AlertKind::IpFanout => "ip_fanout",
            AlertKind::NewCountry => "new_country",
            AlertKind::NewNetwork => "new_network",
            AlertKind::NewUserAgent => "new_user_agent",
            AlertKind::EndpointOutOfScope => "endpoint_out_of_scope",
            AlertKind::DormantWakeup => "dormant_wakeup",
            AlertKind::ImpossibleTravel => "impossible_travel",
            AlertKind::ErrorBurst => "error_burst",
            AlertKind::RepeatedDenials => "repeated_denials",
        }
    }

    /// Position in [`AlertKind::ALL`], used to index per-kind state.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AlertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for AlertKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<AlertKind, Error> {
        AlertKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown alert kind {:?}",
                    crate::error::Clip(s, 40).to_string()
                ))
            })
    }
}

/// How serious an alert is. Ordered: `Low < Medium < High < Critical`, so response rules can say
/// "at least high".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth recording; rarely worth waking anyone.
    Low,
    /// Worth a look.
    Medium,
    /// Likely misuse; a good trigger for quarantine.
    High,
    /// Near-certain misuse.
    Critical,
}

impl Severity {
    /// The stable code, e.g. `"high"`.
    pub const fn code(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// One step less severe, saturating at `Low`.
    pub const fn lowered(self) -> Severity {
        match self {
            Severity::Low | Severity::Medium => Severity::Low,
            Severity::High => Severity::Medium,
            Severity::Critical => Severity::High,
        }
    }

    /// One step more severe, saturating at `Critical`.
    pub const fn raised(self) -> Severity {
        match self {
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Severity {
    type Err = Error;

    fn from_str(s: &str) -> Result<Severity, Error> {
        [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|v| v.code() == s)
        .ok_or_else(|| {
            Error::Config(format!(
                "unknown severity {:?} (expected low, medium, high or critical)",
                crate::error::Clip(s, 40).to_string()
            ))
        })
    }
}

/// One anomaly on one token.
///
/// Serialises as `{"kind": "ip_fanout", "severity": "high", "token_id": "tid_...", "at": ms,
/// "evidence": {...}}`. Evidence never holds a secret: IPs are reported as their network,
/// paths with identifiers collapsed and without query strings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What was detected.
    pub kind: AlertKind,
    /// How serious it is.
    pub severity: Severity,
    /// The token it concerns.
    #[serde(with = "token_id_serde")]
    pub token_id: TokenId,
    /// When (the `now` of the call that raised it).
    pub at: Timestamp,
    /// The figures behind the alert.
    pub evidence: Evidence,
}

impl Alert {
    /// What was seen, against what is normal for the token, in one line a person reads:
    /// `first request from BR; before, the token was used only from DE, FR`.
    ///
    /// ```
    /// use tokenward::usage::{Alert, AlertKind, Evidence, Severity};
    /// use tokenward::TokenId;
    ///
    /// let alert = Alert {
    ///     kind: AlertKind::NewCountry,
    ///     severity: Severity::High,
    ///     token_id: TokenId::from_bytes([1; 16]),
    ///     at: 0,
    ///     evidence: Evidence::NewCountry {
    ///         country: "BR".into(),
    ///         known_countries: vec!["DE".into(), "FR".into()],
    ///         new_user_agent: true,
    ///         group_countries: vec![],
    ///     },
    /// };
    /// assert_eq!(
    ///     alert.explain(),
    ///     "first request from BR, with a client never seen on this token; before, it was used only from DE, FR"
    /// );
    /// ```
    pub fn explain(&self) -> String {
        self.evidence.explain(self.kind)
    }
}

impl Evidence {
    fn explain(&self, kind: AlertKind) -> String {
        match self {
            Evidence::RateSpike {
                measure,
                rate_per_min,
                learned_peak_per_min,
                of_group,
            } => {
                let over = if measure == "bucket" {
                    "in the current minute"
                } else {
                    "over the last requests"
                };
                let peak = if *of_group {
                    format!(
                        "the token is still learning; the busiest token of its owner and \
                         service peaks at {learned_peak_per_min}/min"
                    )
                } else if *learned_peak_per_min >= 1.0 {
                    format!("this token's learned peak is {learned_peak_per_min}/min")
                } else {
                    // The figure is rounded: a sparse token's peak reads 0.
                    "this token's learned peak is under 1/min".to_owned()
                };
                format!("{rate_per_min} requests/min {over}; {peak}")
            }
            Evidence::IpFanout {
                distinct_ips,
                threshold,
                window_secs,
            } => format!(
                "{distinct_ips} distinct IPs within {} min (alerts at {threshold})",
                window_secs / 60
            ),
            Evidence::NewCountry {
                country,
                known_countries,
                new_user_agent,
                group_countries,
            } => {
                let client = if *new_user_agent {
                    ", with a client never seen on this token"
                } else {
                    ""
                };
                let before = if known_countries.is_empty() {
                    "no country was known for it before".to_string()
                } else {
                    format!(
                        "before, it was used only from {}",
                        known_countries.join(", ")
                    )
                };
                let group = if group_countries.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; tokens of its owner and service were used only from {}",
                        group_countries.join(", ")
                    )
                };
                format!("first request from {country}{client}; {before}{group}")
            }
            Evidence::NewNetwork {
                network,
                user_agent,
            } => match user_agent {
                Some(agent) => format!(
                    "first request from network {network}, with a client never seen: {agent}"
                ),
                None => format!("first request from network {network}; its usual networks are few"),
            },
            Evidence::NewUserAgent { user_agent } => {
                format!("first request with client {user_agent}; it used few clients before")
            }
            Evidence::EndpointOutOfScope {
                endpoint,
                declared,
                new_endpoints,
                hidden,
            } => {
                if *declared {
                    format!("{endpoint} is outside the token's declared scope")
                } else if *hidden {
                    format!(
                        "{endpoint} asks for hidden configuration, as scanners for leaked \
                         secrets do"
                    )
                } else {
                    format!(
                        "{new_endpoints} routes never used by this token within minutes, \
                         latest {endpoint}"
                    )
                }
            }
            Evidence::DormantWakeup { idle_days, .. } => {
                format!("first use after {idle_days} days of silence")
            }
            Evidence::ImpossibleTravel {
                from_country,
                to_country,
                distance_km,
                elapsed_hours,
                speed_kmh,
            } => {
                let place = |c: &Option<String>| c.clone().unwrap_or_else(|| "?".into());
                format!(
                    "{} is {distance_km} km from {}, reached {elapsed_hours} h after the \
                     previous request ({speed_kmh} km/h); {} is not a place this token is \
                     established in",
                    place(to_country),
                    place(from_country),
                    place(to_country)
                )
            }
            Evidence::Burst {
                count,
                requests,
                window_secs,
            } => {
                let what = if kind == AlertKind::RepeatedDenials {
                    "were denied"
                } else {
                    "got 401/403/404"
                };
                format!("{count} of {requests} requests {what} within {window_secs} s")
            }
        }
    }
}

/// The figures behind an [`Alert`], one shape per kind.
///
/// Serialised without a tag (the alert's `kind` says which shape it is).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Evidence {
    /// For [`AlertKind::RateSpike`].
    RateSpike {
        /// `"burst"` (rate over the last few requests) or `"bucket"` (count in the current
        /// minute).
        measure: String,
        /// The rate now, in requests per minute.
        rate_per_min: f64,
        /// The learned peak of the same measure, in requests per minute: the token's, or its
        /// group's when `of_group`.
        learned_peak_per_min: f64,
        /// True when the peak is the busiest of the token's siblings (same owner and service):
        /// the token was still learning its own.
        #[serde(default)]
        of_group: bool,
    },
    /// For [`AlertKind::IpFanout`].
    IpFanout {
        /// Distinct IPs in the recent window.
        distinct_ips: u64,
        /// The threshold that was crossed.
        threshold: u64,
        /// The window length in seconds (one to two distinct periods).
        window_secs: u64,
    },
    /// For [`AlertKind::NewCountry`].
    NewCountry {
        /// The new country (ISO 3166-1 alpha-2).
        country: String,
        /// Countries the token was used from before.
        known_countries: Vec<String>,
        /// Whether the user agent family was new too.
        new_user_agent: bool,
        /// Countries the token's group (tokens of its owner and service) was used from, when
        /// the group has learned and never used this one.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        group_countries: Vec<String>,
    },
    /// For [`AlertKind::NewNetwork`].
    NewNetwork {
        /// The new network, e.g. `"203.0.113.0/24"` or `"2001:db8:1::/48"`.
        network: String,
        /// The user agent (cut to 80 characters) when it was new too.
        user_agent: Option<String>,
    },
    /// For [`AlertKind::NewUserAgent`].
    NewUserAgent {
        /// The user agent, cut to 80 characters.
        user_agent: String,
    },
    /// For [`AlertKind::EndpointOutOfScope`].
    EndpointOutOfScope {
        /// Method and path with identifiers collapsed, e.g. `"GET /repos/{id}/keys"`.
        endpoint: String,
        /// True when the host said the request fell outside the token's declared scope.
        declared: bool,
        /// Endpoints never seen before, used within the recent window.
        new_endpoints: u64,
        /// True when the path asks for a hidden file or directory that holds configuration
        /// (`/.env`, `/.git/config`): a probe for leaked secrets, whatever the token's habits.
        #[serde(default)]
        hidden: bool,
    },
    /// For [`AlertKind::DormantWakeup`].
    DormantWakeup {
        /// Days since the previous use.
        idle_days: f64,
        /// The previous use.
        last_seen: Timestamp,
    },
    /// For [`AlertKind::ImpossibleTravel`].
    ImpossibleTravel {
        /// Country of the previous location, if known.
        from_country: Option<String>,
        /// Country of this request, if known.
        to_country: Option<String>,
        /// Great-circle distance in km.
        distance_km: f64,
        /// Time between the two requests in hours.
        elapsed_hours: f64,
        /// The implied speed in km/h.
        speed_kmh: f64,
    },
    /// For [`AlertKind::ErrorBurst`] and [`AlertKind::RepeatedDenials`].
    Burst {
        /// Errors (401/403/404) or denials in the window.
        count: u64,
        /// Requests in the same window.
        requests: u64,
        /// The window length in seconds.
        window_secs: u64,
    },
}

/// TokenId has no serde of its own; alerts carry it as its `tid_...` text.
pub(crate) mod token_id_serde {
    use super::*;

    pub fn serialize<S: Serializer>(id: &TokenId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TokenId, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_are_ordered_and_parse() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
        assert_eq!("high".parse::<Severity>().unwrap(), Severity::High);
        assert!("urgent".parse::<Severity>().is_err());
        assert_eq!(Severity::High.raised(), Severity::Critical);
    }

    #[test]
    fn kinds_round_trip_through_codes() {
        for kind in AlertKind::ALL {
            assert_eq!(kind.code().parse::<AlertKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.code()));
            assert_eq!(AlertKind::ALL[kind.index()], kind);
        }
    }

    #[test]
    fn alert_serialises_to_the_documented_shape() {
        let alert = Alert {
            kind: AlertKind::NewNetwork,
            severity: Severity::Low,
            token_id: TokenId::from_bytes([7; 16]),
            at: 5,
            evidence: Evidence::NewNetwork {
                network: "203.0.113.0/24".into(),
                user_agent: None,
            },
        };
        let json = serde_json::to_value(&alert).unwrap();
        assert_eq!(json["kind"], "new_network");
        assert_eq!(json["severity"], "low");
        assert_eq!(json["token_id"], TokenId::from_bytes([7; 16]).to_string());
        assert_eq!(json["evidence"]["network"], "203.0.113.0/24");
        let back: Alert = serde_json::from_value(json).unwrap();
        assert_eq!(back, alert);
    }
}
