//! The detectors: each reads and updates one token's [`TokenUsage`] for one request and may
//! raise an [`Alert`] through [`TokenUsage::raise`], which applies the per-kind
//! switch, severity and cooldown.

use super::alert::{AlertKind, Evidence, Severity};
use super::baseline::{raise_peak, BURST_LEN};
use super::distinct::Novelty;
use super::geo;
use super::group::GroupView;
use super::hashing::{self, agent_key, country_code, endpoint_key, family_key, ip_keys};
use super::hold::{Context, ERROR_PATHS};
use super::state::{context_of, Ctx, Place, TokenUsage, NOVEL_AGENT, NOVEL_NETWORK};
use super::Observation;
use crate::usage::alert::Alert;
use crate::Timestamp;

/// Countries so large that their centroid can be far from where a user actually is: distances
/// from or to their centroid get this much slack (km).
const LARGE_COUNTRIES: &[(&[u8; 2], f64)] = &[
    (b"AR", 1200.0),
    (b"AU", 1800.0),
    (b"BR", 1800.0),
    (b"CA", 2200.0),
    (b"CD", 900.0),
    (b"CL", 1500.0),
    (b"CN", 1800.0),
    (b"DZ", 900.0),
    (b"ID", 1800.0),
    (b"IN", 1200.0),
    (b"KZ", 1200.0),
    (b"MX", 1200.0),
    (b"NO", 700.0),
    (b"RU", 3500.0),
    (b"SA", 900.0),
    (b"US", 2300.0),
];

/// Slack for a centroid of an ordinary country (km).
const CENTROID_SLACK_KM: f64 = 300.0;

fn centroid_slack(code: u16) -> f64 {
    let key = code.to_be_bytes();
    LARGE_COUNTRIES
        .iter()
        .find(|(c, _)| **c == key)
        .map_or(CENTROID_SLACK_KM, |(_, s)| *s)
}

/// Where a request comes from: its coordinates, else its country's centroid.
fn place_of(ctx: &Ctx, obs: &Observation) -> Option<Place> {
    let country = obs.country.and_then(country_code).unwrap_or(0);
    let (point, precise) = match obs.location.filter(|p| geo::valid(*p)) {
        Some(p) => (p, true),
        None => (geo::centroid(country)?, false),
    };
    Some(Place {
        lat: point.0 as f32,
        lon: point.1 as f32,
        country,
        precise,
        at: ctx.now,
    })
}

/// A move between two places.
struct Move {
    raw_km: f64,
    hours: f64,
    speed_kmh: f64,
}

/// The move from `prev` to `here`, or `None` when it says nothing: two estimates inside one
/// country, or a distance below the configured minimum once centroid slack is taken off.
fn travel(ctx: &Ctx, prev: &Place, here: &Place) -> Option<Move> {
    let same_country = here.country != 0 && here.country == prev.country;
    if same_country && !(here.precise && prev.precise) {
        return None;
    }
    let slack = |p: &Place| {
        if p.precise {
            0.0
        } else {
            centroid_slack(p.country)
        }
    };
    let raw_km = geo::distance_km(
        (f64::from(prev.lat), f64::from(prev.lon)),
        (f64::from(here.lat), f64::from(here.lon)),
    );
    let distance = raw_km - slack(prev) - slack(here);
    if distance
        < ctx
            .config
            .detectors
            .impossible_travel
            .min_distance_km
            .max(1.0)
    {
        return None;
    }
    let hours = ctx.now.saturating_sub(prev.at).max(1000) as f64 / 3_600_000.0;
    Some(Move {
        raw_km,
        hours,
        speed_kmh: distance / hours,
    })
}

/// Per-bucket figures in requests per minute.
fn per_min(value: f32, bucket_ms: i64) -> f64 {
    f64::from(value) * 60_000.0 / bucket_ms as f64
}

/// A rate as a multiple of its peak; 0 (no step up) for a token with no peak yet.
fn ratio(rate: f64, peak: f32) -> f64 {
    if peak > 0.0 {
        rate / f64::from(peak)
    } else {
        0.0
    }
}

fn severity_for(ratio: f64, base: Severity) -> Severity {
    if ratio >= 10.0 {
        base.raised()
    } else {
        base
    }
}

/// A value never seen before in one dimension (network or agent family).
pub(crate) struct News {
    /// The token had not met another new value within the settle time.
    settled: bool,
    /// The token had used few values of this dimension before.
    stable: bool,
    /// The value for evidence.
    text: String,
}

/// Requests the short burst measure spans, and how much higher its bar is.
const SHORT_BURST: usize = 8;
const SHORT_SLACK: f32 = 1.5;

/// A country first used after learning is a new place for this long; then it is established.
const ESTABLISH_MS: i64 = 86_400_000;

/// Hours of the last day with traffic that make a token machine-like.
const CONTINUOUS_HOURS: usize = 20;

impl TokenUsage {
    /// Whether the token was in use in most hours of the last day (a service, not a person).
    fn is_continuous(&self, ctx: &Ctx) -> bool {
        let hours = self.coarse.buckets_for(24 * 3_600_000);
        let needed = CONTINUOUS_HOURS * hours / 24;
        self.coarse.active_buckets(ctx.now, hours) >= needed.max(1)
    }

    /// A token silent for `idle_days` is used again; the network it wakes from is suspect.
    pub(crate) fn check_dormant(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        last: Timestamp,
        out: &mut Vec<Alert>,
    ) {
        let idle = ctx.now.saturating_sub(last);
        if idle >= ctx.derived.dormant_ms {
            let evidence = Evidence::DormantWakeup {
                idle_days: (idle as f64 / 86_400_000.0 * 10.0).round() / 10.0,
                last_seen: last,
            };
            let before = out.len();
            self.raise(ctx, AlertKind::DormantWakeup, None, evidence, out);
            if out.len() > before {
                let context = Context {
                    country: 0,
                    agent: 0,
                    ..context_of(obs)
                };
                self.suspect(ctx, AlertKind::DormantWakeup, context);
            }
        }
    }

    /// Learns the agent family; returns what is known about it when it is new.
    pub(crate) fn check_agent(&mut self, ctx: &Ctx, obs: &Observation) -> Option<News> {
        let agent = obs.user_agent?;
        let key = agent_key(agent);
        self.agents
            .insert(ctx.generation(), key, ctx.config.distinct_cap);
        if self.known_agents.learn(key) != Novelty::New {
            return None;
        }
        let cfg = &ctx.config.detectors.new_user_agent;
        Some(News {
            settled: self.settled_novelty(ctx, NOVEL_AGENT, cfg.settle_secs),
            stable: self.known_agents.len() - 1 <= cfg.stable_agents,
            text: hashing::clip(agent, 80),
        })
    }

    /// Learns the country; raises `new_country` after learning. Returns true when a new
    /// country was judged here (an alert, or a trip taken as one): its evidence covers the
    /// network and client, so `new_network` stays quiet for this request. False when the
    /// country was known, or learned quietly because the registry or the token's group
    /// expects it: the network and client are then judged as usual.
    pub(crate) fn check_country(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        learned: bool,
        new_agent: bool,
        out: &mut Vec<Alert>,
    ) -> bool {
        let Some(code) = obs.country.and_then(country_code) else {
            return false;
        };
        self.countries.insert(
            ctx.generation(),
            hashing::hash_u64(u64::from(code)),
            ctx.config.distinct_cap,
        );
        if self.known_countries.learn(code) != Novelty::New {
            return false;
        }
        if learned {
            // Not an established place yet: travel to or from it is judged (see check_travel).
            self.hold.fresh_country(code, ctx.now);
        }
        // Learned quietly where the registry expects it, or where its group works (unless the
        // registry says otherwise); travel, and the network and client, are still judged.
        if obs.expected.country == Some(true) {
            return false;
        }
        let outside = obs.expected.country == Some(false);
        if !outside && ctx.group.is_some_and(|g| g.country_known == Some(true)) {
            return false;
        }
        // While learning, only the clearest signs alert: another country with another client,
        // on a token with half its learning period and its minimum requests behind it; or a
        // country its group (tokens of the same owner and service) has never used.
        let group_new = ctx.group.filter(|g| g.country_is_new());
        if !learned && group_new.is_none() && (!new_agent || !self.half_learned(ctx)) {
            return false;
        }
        let base = ctx.config.detectors.new_country.severity;
        // A trip looks like this: same client, a move that was possible in the time since
        // the previous request. People travel, so for a person's token (not in use around
        // the clock) it is learned quietly; a stolen token used that way is caught when the
        // owner's next request comes from home (impossible travel). Services do not travel.
        // Outside the countries the registry expects is evidence: no quiet trip.
        let trip = !new_agent && self.plausible_move(ctx, obs);
        if let (Some(group), false) = (group_new, learned) {
            // The token has no habits of its own yet: its group's are the evidence.
            let evidence = Evidence::NewCountry {
                country: hashing::country_text(code),
                known_countries: Vec::new(),
                // The client is new to the group too (`country_is_new` asks for both).
                new_user_agent: true,
                group_countries: group.country_texts(),
            };
            let severity = if outside { base.raised() } else { base };
            return self.raise_new_country(ctx, obs, severity, evidence, false, out);
        }
        if trip && !outside && !self.is_continuous(ctx) {
            return true;
        }
        let evidence = Evidence::NewCountry {
            country: hashing::country_text(code),
            known_countries: self
                .known_countries
                .iter()
                .filter(|c| *c != code)
                .map(hashing::country_text)
                .collect(),
            new_user_agent: new_agent,
            // The group's places, when they say more than the token's own.
            group_countries: ctx
                .group
                .filter(|g| {
                    g.countries
                        .iter()
                        .any(|&c| c != code && !self.known_countries.contains(c))
                })
                .map(GroupView::country_texts)
                .unwrap_or_default(),
        };
        let severity = if new_agent || outside {
            base.raised()
        } else {
            base
        };
        self.raise_new_country(ctx, obs, severity, evidence, new_agent, out)
    }

    /// Raises `new_country` and suspects the request's context (its client too when that was
    /// new); returns true (the country was new).
    fn raise_new_country(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        severity: Severity,
        evidence: Evidence,
        new_agent: bool,
        out: &mut Vec<Alert>,
    ) -> bool {
        let before = out.len();
        self.raise(ctx, AlertKind::NewCountry, Some(severity), evidence, out);
        if out.len() > before {
            let here = context_of(obs);
            let context = Context {
                agent: if new_agent { here.agent } else { 0 },
                ..here
            };
            self.suspect(ctx, AlertKind::NewCountry, context);
        }
        true
    }

    /// Distinct IPs (fan-out); returns what is known about the network when it is new.
    pub(crate) fn check_ip(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        learned: bool,
        out: &mut Vec<Alert>,
    ) -> Option<News> {
        let ip = obs.ip?;
        let keys = ip_keys(ip);
        let generation = ctx.generation();
        let cfg = &ctx.config.detectors.ip_fanout;
        let threshold = |peak: f32| {
            (cfg.factor * f64::from(peak))
                .ceil()
                .max(cfg.min_distinct_ips as f64) as u64
        };
        if generation > self.ips.generation() {
            // A window closed: its distinct count teaches the peak, unless it was a fan-out
            // after learning (while learning, every window teaches: an app used from many
            // carrier addresses is many-homed by nature).
            let finished = self.ips.estimate(self.ips.generation());
            if !learned || finished < threshold(self.baseline.peak_ips) {
                raise_peak(&mut self.baseline.peak_ips, finished as f32, learned);
            }
        }
        self.ips
            .insert(generation, keys.ip, ctx.config.distinct_cap);
        let distinct = self.ips.estimate(generation);
        let limit = threshold(self.baseline.peak_ips);
        // While learning, the absolute bar, above what the token has shown so far; from half
        // the learning period on, its peak has seen a day of windows and is judged as usual.
        let learning_limit = if self.half_learned(ctx) {
            limit
        } else {
            limit.max(cfg.absolute_distinct_ips)
        };
        if (learned && distinct >= limit) || (!learned && distinct >= learning_limit) {
            let evidence = Evidence::IpFanout {
                distinct_ips: distinct,
                threshold: if learned { limit } else { learning_limit },
                window_secs: ctx.config.distinct_period_secs * 2,
            };
            self.raise(ctx, AlertKind::IpFanout, None, evidence, out);
        }
        if self.known_wide.learn(keys.wide) != Novelty::New {
            return None;
        }
        let cfg = &ctx.config.detectors.new_network;
        Some(News {
            settled: self.settled_novelty(ctx, NOVEL_NETWORK, cfg.settle_secs),
            stable: self.known_wide.len() - 1 <= cfg.stable_networks,
            text: hashing::network_text(ip),
        })
    }

    /// New network and new agent alerts. Either alone is common in honest human use (a second
    /// laptop, working from a café), so alone they alert only for machine-like tokens (in use
    /// around the clock) that had settled on few networks or agents; both at once alert for
    /// any settled token, as one `new_network` alert.
    pub(crate) fn check_novelty(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        agent: Option<News>,
        network: Option<News>,
        out: &mut Vec<Alert>,
    ) {
        // A network or device the registry expects is known already, and so is a network
        // its group uses.
        // The registry's word wins over the group's: a network outside what it expects for
        // this token is news even where a sibling works.
        let group_network = ctx
            .group
            .and_then(|g| g.network_known)
            .filter(|_| obs.expected.network != Some(false));
        let network =
            network.filter(|_| obs.expected.network != Some(true) && group_network != Some(true));
        let agent = agent.filter(|_| obs.expected.device != Some(true));
        if agent.is_none() && network.is_none() {
            return;
        }
        let outside = obs.expected.network == Some(false) || obs.expected.device == Some(false);
        let before = out.len();
        let here = context_of(obs);
        let new_agent = agent.is_some();
        let continuous = self.is_continuous(ctx);
        let agent = agent.map(|a| News {
            stable: a.stable && continuous,
            ..a
        });
        let network = network.map(|n| News {
            stable: n.stable && continuous,
            ..n
        });
        match (agent, network) {
            (Some(a), Some(n)) if a.settled || n.settled => {
                let evidence = Evidence::NewNetwork {
                    network: n.text,
                    user_agent: Some(a.text),
                };
                let severity = ctx.config.detectors.new_network.severity.raised();
                let severity = if outside { severity.raised() } else { severity };
                self.raise(ctx, AlertKind::NewNetwork, Some(severity), evidence, out);
            }
            (None, Some(n)) if n.settled && (n.stable || outside) => {
                let evidence = Evidence::NewNetwork {
                    network: n.text,
                    user_agent: None,
                };
                let severity = ctx.config.detectors.new_network.severity;
                let severity = if outside { severity.raised() } else { severity };
                self.raise(ctx, AlertKind::NewNetwork, Some(severity), evidence, out);
            }
            (Some(a), None) if a.settled && (a.stable || outside) => {
                let evidence = Evidence::NewUserAgent { user_agent: a.text };
                let severity = ctx.config.detectors.new_user_agent.severity;
                let severity = if outside { severity.raised() } else { severity };
                self.raise(ctx, AlertKind::NewUserAgent, Some(severity), evidence, out);
            }
            _ => {}
        }
        if let Some(alert) = out[before..].first() {
            let context = Context {
                country: 0,
                wide: if alert.kind == AlertKind::NewNetwork {
                    here.wide
                } else {
                    0
                },
                agent: if new_agent { here.agent } else { 0 },
            };
            let kind = alert.kind;
            self.suspect(ctx, kind, context);
        }
    }

    /// Declared scope, and scans of endpoints never seen.
    pub(crate) fn check_endpoint(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        learned: bool,
        out: &mut Vec<Alert>,
    ) {
        let Some(path) = obs.path else {
            return;
        };
        let key = endpoint_key(obs.method, path);
        let generation = ctx.generation();
        let cap = ctx.config.distinct_cap;
        let cfg = &ctx.config.detectors.endpoint_out_of_scope;
        self.endpoints.insert(generation, key, cap);
        if obs.declared_scope_match == Some(false) {
            let evidence = Evidence::EndpointOutOfScope {
                endpoint: hashing::endpoint_text(obs.method, path),
                declared: true,
                new_endpoints: self.novel_endpoints.estimate(generation),
                hidden: false,
            };
            let before = out.len();
            self.raise(
                ctx,
                AlertKind::EndpointOutOfScope,
                Some(cfg.severity.raised()),
                evidence,
                out,
            );
            if out.len() > before {
                // The cooldown that starts now is a declared-scope alert's, not a scan's.
                self.hold.scan_alerted = false;
            }
        }
        // A probe for leaked configuration says enough on its own, even on a token with no
        // habits yet (a scan is often the first thing done with a stolen token); an endpoint
        // the registry expects or the host's declared scope allows is not one.
        let family = family_key(path);
        let known = self.known_endpoints.contains(family);
        let vouched = obs.expected.endpoint == Some(true) || obs.declared_scope_match == Some(true);
        if hashing::is_hidden(path) && !vouched {
            if !known {
                self.novel_endpoints.insert(generation, family, cap);
            }
            let evidence = Evidence::EndpointOutOfScope {
                endpoint: hashing::endpoint_text(obs.method, path),
                declared: false,
                new_endpoints: self.novel_endpoints.estimate(generation),
                hidden: true,
            };
            self.raise_scan(ctx, evidence, out);
            return;
        }
        // Novelty is judged by route family (see `family_key`); an expected endpoint is known.
        if known {
            return;
        }
        // While a scan's evidence holds and never-seen routes are still being tried (within
        // the distinct window), each one is held like the ones that raised it (on a token
        // still learning too) and not learned.
        if self.hold.scan_alerted
            && self.cooling_down(ctx, AlertKind::EndpointOutOfScope)
            && self.novel_endpoints.estimate(generation) > 0
            && obs.expected.endpoint != Some(true)
        {
            self.novel_endpoints.insert(generation, family, cap);
            self.hold.held |= super::hold::bit(AlertKind::EndpointOutOfScope);
            return;
        }
        let fresh_profile = self.known_endpoints.len() == 0;
        if !learned
            || fresh_profile
            || self.known_endpoints.is_saturated()
            || obs.expected.endpoint == Some(true)
        {
            self.known_endpoints.learn(family);
            return;
        }
        self.novel_endpoints.insert(generation, family, cap);
        let novel = self.novel_endpoints.estimate(generation);
        if novel < cfg.new_endpoints {
            // One new endpoint now and then is a feature being used: learn it quietly.
            self.known_endpoints.learn(family);
            return;
        }
        let evidence = Evidence::EndpointOutOfScope {
            endpoint: hashing::endpoint_text(obs.method, path),
            declared: false,
            new_endpoints: novel,
            hidden: false,
        };
        self.raise_scan(ctx, evidence, out);
    }

    /// Raises `endpoint_out_of_scope` for a scan (or holds the request while the alert cools
    /// down), and notes that the alert cooling down is a scan's.
    fn raise_scan(&mut self, ctx: &Ctx, evidence: Evidence, out: &mut Vec<Alert>) {
        self.raise(ctx, AlertKind::EndpointOutOfScope, None, evidence, out);
        self.hold.scan_alerted = true;
    }

    /// Whether `country` is a place the token is established in: learned before this day, or
    /// expected by the registry. Unknown countries are not.
    pub(crate) fn established(&self, ctx: &Ctx, obs: &Observation, country: u16) -> bool {
        if obs.expected.country == Some(true) {
            return true;
        }
        let fresh = self.hold.is_fresh(country, ctx.now, ESTABLISH_MS);
        country != 0 && self.known_countries.contains(country) && !fresh
    }

    /// Impossible travel between this request's place and the previous one. Tokens are used
    /// from several places at once (a team in two offices, CI in two clouds, a person behind
    /// a VPN): a move between places the token is established in says nothing. It is judged
    /// on the request that arrives at a place new for the token (first used within the last
    /// day, or unknown), and only after the learning period. The severity is raised when the
    /// client is new too, or the place is outside what the registry expects.
    pub(crate) fn check_travel(
        &mut self,
        ctx: &Ctx,
        obs: &Observation,
        learned: bool,
        new_agent: bool,
        out: &mut Vec<Alert>,
    ) {
        let Some(here) = place_of(ctx, obs) else {
            return;
        };
        let Some(prev) = self.place else {
            self.place = Some(here);
            return;
        };
        if ctx.now < prev.at {
            return; // out of order: keep the newest place
        }
        self.place = Some(here);
        if !learned || self.established(ctx, obs, here.country) {
            return;
        }
        let Some(m) = travel(ctx, &prev, &here) else {
            return;
        };
        if m.speed_kmh > ctx.config.detectors.impossible_travel.max_speed_kmh {
            let text = |c: u16| (c != 0).then(|| hashing::country_text(c));
            let evidence = Evidence::ImpossibleTravel {
                from_country: text(prev.country),
                to_country: text(here.country),
                distance_km: m.raw_km.round(),
                elapsed_hours: (m.hours * 100.0).round() / 100.0,
                speed_kmh: m.speed_kmh.round(),
            };
            let base = ctx.config.detectors.impossible_travel.severity;
            let severity = if new_agent || obs.expected.country == Some(false) {
                base.raised()
            } else {
                base
            };
            let before = out.len();
            self.raise(
                ctx,
                AlertKind::ImpossibleTravel,
                Some(severity),
                evidence,
                out,
            );
            if out.len() > before {
                let context = Context {
                    agent: 0,
                    ..context_of(obs)
                };
                self.suspect(ctx, AlertKind::ImpossibleTravel, context);
            }
        }
    }

    /// Whether getting here from the previous place in the time elapsed was possible (true
    /// when there is nothing to compare).
    pub(crate) fn plausible_move(&self, ctx: &Ctx, obs: &Observation) -> bool {
        let (Some(prev), Some(here)) = (self.place, place_of(ctx, obs)) else {
            return true;
        };
        travel(ctx, &prev, &here)
            .is_none_or(|m| m.speed_kmh <= ctx.config.detectors.impossible_travel.max_speed_kmh)
    }

    /// Rate against the learned peaks: over the last 16 requests, and in the current bucket.
    pub(crate) fn check_rate(&mut self, ctx: &Ctx, learned: bool, out: &mut Vec<Alert>) {
        let cfg = &ctx.config.detectors.rate_spike;
        let burst = self.burst.push(ctx.now);
        let bucket_ms = ctx.derived.fine_ms;
        // While learning, the busiest learned sibling's peaks (same owner and service) are a
        // floor under the token's own: a new replica or install is no busier than the busiest
        // of its kind, and a stolen one run flat out from its first request is caught.
        let group = (!learned && cfg.learning_factor > 0.0)
            .then(|| ctx.group.and_then(|g| g.peaks))
            .flatten();
        // Once learned, the configured factor and floors. While learning, for a token with
        // some history or a group to go by, a higher factor and twice the floors: its peaks
        // are still settling (a CI token's first job burst is not an attack). Without a peak
        // (the burst measure needs 16 requests, and a peak is learned when a bucket closes
        // after them), only the floors judge, and only a token with requests before its last
        // 16 and before the current bucket: a fresh token's first burst is its first habit.
        let bar = if learned {
            Some((cfg.factor, 1.0))
        } else {
            (cfg.learning_factor > 0.0
                && (group.is_some() || self.total_requests >= ctx.config.learning_min_requests))
                .then_some((cfg.learning_factor, 2.0))
        };
        let [group_bucket, group_burst] = group.unwrap_or_default();
        let history = self.baseline.peak_bucket > 0.0
            && self.total_requests >= ctx.config.learning_min_requests + BURST_LEN as u64;
        let spike = |rate: f64, peak: f64, of_group: bool, measure: &str| Evidence::RateSpike {
            measure: measure.into(),
            rate_per_min: rate.round(),
            learned_peak_per_min: peak.round(),
            of_group,
        };
        if let Some(long) = burst {
            // The short measure (last 8 requests) shows a fast script sooner; it is noisier
            // than the 16-request measure the peak is learned from, so it clears a higher bar.
            let short = self.burst.rate_over(SHORT_BURST).unwrap_or(0.0);
            let judged = long.max(short / SHORT_SLACK);
            let peak = self.baseline.peak_burst.max(group_burst);
            let over = bar.is_some_and(|(factor, floor)| {
                f64::from(judged) >= (factor * f64::from(peak)).max(floor * cfg.min_burst_per_min)
            });
            if over && (peak > 0.0 || history) {
                self.spiking = true;
                let of_group = group_burst > self.baseline.peak_burst;
                let evidence = spike(
                    f64::from(long.max(short)),
                    f64::from(peak),
                    of_group,
                    "burst",
                );
                let sev = severity_for(ratio(f64::from(judged), peak), cfg.severity);
                self.raise(ctx, AlertKind::RateSpike, Some(sev), evidence, out);
            } else if !self.spiking {
                // The peak learns what it is judged against: a client that always works in
                // quick bursts shows them on the short measure, and that pace is its usual.
                self.bucket_burst_max = self.bucket_burst_max.max(judged);
            }
        }
        let in_bucket = self
            .fine
            .bucket_mut(ctx.now)
            .map_or(0, |b| u64::from(b.requests));
        let peak = self.baseline.peak_bucket.max(group_bucket);
        let over = bar.is_some_and(|(factor, floor)| {
            in_bucket as f64
                >= (factor * f64::from(peak)).max(floor * cfg.min_bucket_requests as f64)
        });
        if over && (peak > 0.0 || history) {
            self.spiking = true;
            let of_group = group_bucket > self.baseline.peak_bucket;
            let rate = per_min(in_bucket as f32, bucket_ms);
            let evidence = spike(rate, per_min(peak, bucket_ms), of_group, "bucket");
            let sev = severity_for(ratio(in_bucket as f64, peak), cfg.severity);
            self.raise(ctx, AlertKind::RateSpike, Some(sev), evidence, out);
        }
    }

    /// Denials within the configured span.
    pub(crate) fn check_denials(&mut self, ctx: &Ctx, out: &mut Vec<Alert>) {
        let cfg = &ctx.config.detectors.repeated_denials;
        let n = self.fine.buckets_for(cfg.window_secs as i64 * 1000);
        let sum = self.fine.sum_recent(ctx.now, n);
        if u64::from(sum.denials) >= cfg.min_denials {
            let evidence = Evidence::Burst {
                count: sum.denials.into(),
                requests: sum.requests.into(),
                window_secs: cfg.window_secs,
            };
            self.raise(ctx, AlertKind::RepeatedDenials, None, evidence, out);
        }
    }

    /// 401/403/404 within the configured span, when they make a burst against the token's
    /// usual error rate: `(errors, requests)` of the span.
    fn error_burst(&self, ctx: &Ctx, learned: bool) -> Option<(u64, u64)> {
        let cfg = &ctx.config.detectors.error_burst;
        let n = self.fine.buckets_for(cfg.window_secs as i64 * 1000);
        let sum = self.fine.sum_recent(ctx.now, n);
        let errors = u64::from(sum.errors);
        let usual = if learned {
            cfg.factor * f64::from(self.baseline.errors) * n as f64
        } else {
            0.0
        };
        // Errors on one URL over and over are a client retrying (a poll of a deleted
        // resource, an expired session); probing walks many. Errors of one status over and
        // over have one cause, a broken deploy or a revoked permission, more often than a
        // probe, which meets a mix of missing, forbidden and unauthorized.
        let enough = errors >= cfg.min_errors
            && errors as f64 >= cfg.min_ratio * f64::from(sum.requests)
            && errors as f64 >= usual
            && self.hold.error_path_count() >= cfg.min_paths.min(ERROR_PATHS)
            // 1 counts any errors, retries of one path included (which the mix leaves out).
            && (cfg.min_statuses <= 1
                || self.hold.repeated_error_statuses() >= cfg.min_statuses);
        enough.then_some((errors, u64::from(sum.requests)))
    }

    /// Raises `error_burst` on a recorded outcome.
    pub(crate) fn check_errors(&mut self, ctx: &Ctx, learned: bool) -> Option<Alert> {
        let (count, requests) = self.error_burst(ctx, learned)?;
        let evidence = Evidence::Burst {
            count,
            requests,
            window_secs: ctx.config.detectors.error_burst.window_secs,
        };
        let mut out = Vec::new();
        self.raise(ctx, AlertKind::ErrorBurst, None, evidence, &mut out);
        out.pop()
    }

    /// On a request: while an error burst raised before still goes on, the request is held.
    pub(crate) fn hold_errors(&mut self, ctx: &Ctx, learned: bool) {
        let alerted = self.last_alert[AlertKind::ErrorBurst.index()] != 0;
        if alerted && self.error_burst(ctx, learned).is_some() {
            let cooldown = ctx.config.detectors.error_burst.cooldown_secs;
            let last = i64::from(self.last_alert[AlertKind::ErrorBurst.index()]) * 60_000;
            if ctx.now.saturating_sub(last) < (cooldown as i64).max(60) * 1000 {
                self.hold.held |= super::hold::bit(AlertKind::ErrorBurst);
            }
        }
    }
}
