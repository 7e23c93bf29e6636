//! The usage state of one token, and how one request updates it.

use serde::{Deserialize, Serialize};

use super::alert::{Alert, AlertKind, Evidence};
use super::baseline::{raise_peak, Baseline, BurstRing, Decay};
use super::config::UsageConfig;
use super::delta::TokenDelta;
use super::distinct::{KnownSet, RecentDistinct};
use super::group::{GroupView, Rates};
use super::hashing::{agent_key, country_code, ip_keys};
use super::hold::{bit, Context, Held, Hold, KindSet};
use super::window::{Counts, Window};
use super::Observation;
use crate::{Timestamp, TokenId};

/// Values derived once from the config, in ms.
#[derive(Clone, Debug)]
pub(crate) struct Derived {
    pub fine_ms: i64,
    pub coarse_ms: i64,
    pub distinct_ms: i64,
    pub learning_ms: i64,
    pub idle_evict_ms: i64,
    pub forget_ms: i64,
    pub dormant_ms: i64,
    pub hold_ms: i64,
    pub decay: Decay,
}

impl Derived {
    pub fn new(c: &UsageConfig) -> Derived {
        let ms = |secs: u64| (secs as i64).saturating_mul(1000);
        let fine_ms = ms(c.fine_window.width_secs);
        Derived {
            fine_ms,
            coarse_ms: ms(c.coarse_window.width_secs),
            distinct_ms: ms(c.distinct_period_secs),
            learning_ms: ms(c.learning_period_secs),
            idle_evict_ms: ms(c.idle_evict_secs),
            forget_ms: ms(c.forget_after_secs),
            dormant_ms: (c.detectors.dormant_wakeup.idle_days * 86_400_000.0) as i64,
            hold_ms: ms(c.hold_secs),
            decay: Decay::new(
                fine_ms,
                ms(c.baseline_half_life_secs),
                ms(c.peak_half_life_secs),
            ),
        }
    }
}

/// Everything a detector needs besides the token's state.
pub(crate) struct Ctx<'a> {
    pub config: &'a UsageConfig,
    pub derived: &'a Derived,
    pub id: TokenId,
    pub now: Timestamp,
    /// What the token's group knows of the request, when it has a group.
    pub group: Option<&'a GroupView>,
}

impl Ctx<'_> {
    pub fn generation(&self) -> i64 {
        self.now.div_euclid(self.derived.distinct_ms)
    }

    /// Minutes since the epoch, as stored for cooldowns (0 means never).
    pub fn minute(&self) -> u32 {
        self.now.div_euclid(60_000).clamp(1, u32::MAX as i64) as u32
    }
}

/// The context of a request, as suspicions match it.
pub(crate) fn context_of(obs: &Observation) -> Context {
    Context {
        country: obs.country.and_then(country_code).unwrap_or(0),
        wide: obs.ip.map_or(0, |ip| ip_keys(ip).wide),
        agent: obs.user_agent.map_or(0, agent_key),
    }
}

/// Whether no alert was raised within the hour (the common case: nothing to compute).
fn out_of_alerts(s: &TokenUsage, ctx: &Ctx) -> bool {
    let minute = ctx.minute();
    s.last_alert
        .iter()
        .all(|&last| last == 0 || minute.saturating_sub(last) >= 60)
}

/// Which novelty a `last_novelty` slot tracks.
pub(crate) const NOVEL_NETWORK: usize = 0;
pub(crate) const NOVEL_AGENT: usize = 1;

impl TokenUsage {
    /// Records that a new value of a dimension was learned now; returns whether the previous
    /// one was at least `settle_secs` ago (the token had settled, so novelty means something).
    pub fn settled_novelty(&mut self, ctx: &Ctx, slot: usize, settle_secs: u64) -> bool {
        let now = ctx.minute();
        let last = std::mem::replace(&mut self.last_novelty[slot], now);
        last == 0 || u64::from(now.saturating_sub(last)) * 60 >= settle_secs
    }
}

/// The last place a token was used from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Place {
    pub lat: f32,
    pub lon: f32,
    /// Country code, 0 when unknown.
    pub country: u16,
    /// From the request's latitude and longitude rather than a country centroid.
    pub precise: bool,
    pub at: Timestamp,
}

/// Counts not yet handed out by `delta()`, per fine bucket number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub buckets: Vec<(i64, Counts)>,
    pub requests: u64,
}

/// At most this many fine buckets wait for `delta()`; later counts join the newest one.
const MAX_PENDING: usize = 8;

impl Pending {
    fn add(&mut self, bucket: i64, counts: Counts) {
        if let Some((_, c)) = self.buckets.iter_mut().find(|(b, _)| *b == bucket) {
            c.add(&counts);
        } else if self.buckets.len() < MAX_PENDING {
            self.buckets.push((bucket, counts));
        } else if let Some((_, c)) = self.buckets.iter_mut().max_by_key(|(b, _)| *b) {
            c.add(&counts);
        }
    }
}

/// The usage state of one token: about 1.9 KiB whatever the traffic (see the memory test).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct TokenUsage {
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub total_requests: u64,
    pub fine: Window,
    pub coarse: Window,
    pub ips: RecentDistinct<64>,
    pub countries: RecentDistinct<16>,
    pub agents: RecentDistinct<32>,
    pub endpoints: RecentDistinct<32>,
    /// Endpoints never seen before, used in the distinct window (scan detection).
    pub novel_endpoints: RecentDistinct<32>,
    pub known_countries: KnownSet<u16, 8>,
    /// Wide networks (/16 for IPv4, /32 for IPv6) the token was used from.
    pub known_wide: KnownSet<u32, 16>,
    pub known_agents: KnownSet<u32, 8>,
    pub known_endpoints: KnownSet<u32, 32>,
    pub baseline: Baseline,
    pub burst: BurstRing,
    /// Highest burst rate in the current fine bucket, learned into the peak when it closes.
    pub bucket_burst_max: f32,
    /// A rate spike was seen in the current fine bucket: do not learn from it.
    pub spiking: bool,
    pub place: Option<Place>,
    /// Per alert kind: the minute (since the epoch) of its last alert, 0 for never.
    pub last_alert: [u32; 10],
    /// The minute a new wide network, and a new agent family, were last learned.
    pub last_novelty: [u32; 2],
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Box<Pending>>,
    /// Suspicion: transient, never serialised (see `hold`).
    #[serde(skip)]
    pub hold: Hold,
}

impl TokenUsage {
    pub fn new(config: &UsageConfig, d: &Derived, now: Timestamp) -> TokenUsage {
        TokenUsage {
            first_seen: now,
            last_seen: now,
            total_requests: 0,
            fine: Window::new(d.fine_ms, config.fine_window.buckets),
            coarse: Window::new(d.coarse_ms, config.coarse_window.buckets),
            ips: RecentDistinct::default(),
            countries: RecentDistinct::default(),
            agents: RecentDistinct::default(),
            endpoints: RecentDistinct::default(),
            novel_endpoints: RecentDistinct::default(),
            known_countries: KnownSet::default(),
            known_wide: KnownSet::default(),
            known_agents: KnownSet::default(),
            known_endpoints: KnownSet::default(),
            baseline: Baseline::default(),
            burst: BurstRing::default(),
            bucket_burst_max: 0.0,
            spiking: false,
            place: None,
            last_alert: [0; 10],
            last_novelty: [0; 2],
            pending: config.track_deltas.then(Box::default),
            hold: Hold::default(),
        }
    }

    /// Whether the learning period is over: novelty and baseline detectors are live.
    pub fn learned(&self, ctx: &Ctx) -> bool {
        ctx.now.saturating_sub(self.first_seen) >= ctx.derived.learning_ms
            && self.total_requests >= ctx.config.learning_min_requests
    }

    /// Whether half the learning period and the minimum requests are behind the token.
    pub fn half_learned(&self, ctx: &Ctx) -> bool {
        ctx.now.saturating_sub(self.first_seen) >= ctx.derived.learning_ms / 2
            && self.total_requests >= ctx.config.learning_min_requests
    }

    /// Moves both windows to `now`, feeding closed fine buckets to the baseline.
    pub fn advance(&mut self, ctx: &Ctx) {
        if let Some(closed) = self.fine.advance(ctx.now) {
            self.baseline.close_bucket(
                closed.last.requests,
                closed.last.errors,
                closed.skipped_empty,
                ctx.derived.decay,
            );
            if !self.spiking {
                let learned = self.learned(ctx);
                let b = &mut self.baseline;
                raise_peak(&mut b.peak_bucket, closed.last.requests as f32, learned);
                raise_peak(&mut b.peak_burst, self.bucket_burst_max, learned);
            }
            self.spiking = false;
            self.bucket_burst_max = 0.0;
        }
        self.coarse.advance(ctx.now);
    }

    /// Adds counts at `ts` to both windows (and to the pending delta when `local`).
    pub fn count(&mut self, ts: Timestamp, counts: Counts, local: bool, fine_ms: i64) {
        if let Some(b) = self.fine.bucket_mut(ts) {
            b.add(&counts);
        }
        if let Some(b) = self.coarse.bucket_mut(ts) {
            b.add(&counts);
        }
        if local {
            if let Some(p) = self.pending.as_mut() {
                p.add(ts.div_euclid(fine_ms), counts);
                p.requests += u64::from(counts.requests);
            }
        }
    }

    /// Updates the state with one request and runs the detectors. Returns the token's rate
    /// peaks when the request may teach the token's group: the token has one and is past its
    /// learning period, and the request came from where the token is at home (a country it
    /// is established in, or none given; a network and a client it used before). A quiet
    /// trip, a new network or a new client is the token's own news, perhaps a thief's.
    pub fn observe(&mut self, ctx: &Ctx, obs: &Observation, out: &mut Vec<Alert>) -> Option<Rates> {
        self.hold.held = 0;
        // The top bit is left to errors whose path is not known (`Hold::errored`).
        self.hold.last_path = (obs.path.map_or(1, super::hashing::path_key) & 0x7FFF_FFFF).max(1);
        self.hold.observed_since_error = true;
        let previous_use = (self.total_requests > 0).then_some(self.last_seen);
        self.advance(ctx);
        let counts = Counts {
            requests: 1,
            denials: u16::from(obs.denied),
            errors: 0,
        };
        self.count(ctx.now, counts, true, ctx.derived.fine_ms);
        self.total_requests += 1;
        self.last_seen = self.last_seen.max(ctx.now);
        let learned = self.learned(ctx);

        if let Some(last) = previous_use {
            self.check_dormant(ctx, obs, last, out);
        }
        let here = context_of(obs);
        let agent = self.check_agent(ctx, obs);
        let new_agent = agent.is_some();
        let country_judged = self.check_country(ctx, obs, learned, new_agent, out);
        let network = self.check_ip(ctx, obs, learned, out);
        let teaches_group = ctx.group.is_some()
            && learned
            && network.is_none()
            && !new_agent
            && obs
                .country
                .and_then(country_code)
                .is_none_or(|c| self.established(ctx, obs, c));
        if learned && !country_judged {
            // A new country judged already says it; the network and agent are its evidence.
            self.check_novelty(ctx, obs, agent, network, out);
        }
        self.check_endpoint(ctx, obs, learned, out);
        self.check_travel(ctx, obs, learned, new_agent, out);
        self.check_rate(ctx, learned, out);
        if obs.denied {
            self.check_denials(ctx, out);
        }
        self.hold_errors(ctx, learned);
        self.hold.held |= self.hold.matching(here, ctx.now);
        let b = &self.baseline;
        teaches_group.then_some([b.peak_bucket, b.peak_burst])
    }

    /// What the request just observed is held for.
    pub fn held(&self, ctx: &Ctx) -> Held {
        if self.hold.held == 0 && out_of_alerts(self, ctx) {
            return Held::default();
        }
        Held::new(&self.hold, self.recent_kinds(ctx))
    }

    /// Kinds alerted within the last hour: corroboration for response rules.
    pub fn recent_kinds(&self, ctx: &Ctx) -> KindSet {
        let minute = ctx.minute();
        AlertKind::ALL
            .into_iter()
            .filter(|k| {
                let last = self.last_alert[k.index()];
                last != 0 && minute >= last && minute - last < 60
            })
            .fold(0, |set, k| set | bit(k))
    }

    /// Whether `kind` alerted within its cooldown.
    pub fn cooling_down(&self, ctx: &Ctx, kind: AlertKind) -> bool {
        let minute = ctx.minute();
        let last = self.last_alert[kind.index()];
        let cooldown_secs = ctx.config.detectors.common(kind).cooldown_secs;
        let cooldown_min = cooldown_secs.div_ceil(60).min(u32::MAX as u64) as u32;
        last != 0 && minute >= last && minute - last < cooldown_min.max(1)
    }

    /// Suspects the context of `obs` for `kind` for the configured hold.
    pub fn suspect(&mut self, ctx: &Ctx, kind: AlertKind, context: Context) {
        if ctx.config.detectors.common(kind).enabled {
            let until = ctx.now.saturating_add(ctx.derived.hold_ms);
            self.hold.suspect(kind, context, until);
        }
    }

    /// Pushes an alert unless its detector is off or cooling down. `severity` overrides the
    /// configured one (detectors raise it for stronger evidence).
    pub fn raise(
        &mut self,
        ctx: &Ctx,
        kind: AlertKind,
        severity: Option<super::Severity>,
        evidence: Evidence,
        out: &mut Vec<Alert>,
    ) {
        let common = ctx.config.detectors.common(kind);
        if !common.enabled {
            return;
        }
        let severity = severity.unwrap_or(common.severity);
        if self.cooling_down(ctx, kind) {
            // Cooling down: no new alert, but the evidence holds for this request too.
            self.hold.held |= bit(kind);
            return;
        }
        self.last_alert[kind.index()] = ctx.minute();
        self.hold.set_severity(kind, severity);
        out.push(Alert {
            kind,
            severity,
            token_id: ctx.id,
            at: ctx.now,
            evidence,
        });
    }

    /// Adds another instance's delta for the same token (see `UsageTracker::merge`).
    pub fn merge_from(&mut self, other: &TokenDelta, ctx: &Ctx) {
        let cap = ctx.config.distinct_cap;
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        self.total_requests = self.total_requests.saturating_add(other.requests);
        let fine_ms = ctx.derived.fine_ms;
        if let Some(newest) = other.counts.iter().map(|(b, _)| *b).max() {
            self.advance(&Ctx {
                now: newest * fine_ms,
                ..*ctx
            });
        }
        for &(bucket, c) in &other.counts {
            self.count(bucket * fine_ms, c, false, fine_ms);
        }
        self.ips.merge(&other.ips, cap);
        self.countries.merge(&other.countries, cap);
        self.agents.merge(&other.agents, cap);
        self.endpoints.merge(&other.endpoints, cap);
        self.novel_endpoints.merge(&other.novel_endpoints, cap);
        self.known_countries.merge(&other.known_countries);
        self.known_wide.merge(&other.known_wide);
        self.known_agents.merge(&other.known_agents);
        self.known_endpoints.merge(&other.known_endpoints);
        let b = &mut self.baseline;
        b.peak_bucket = b.peak_bucket.max(other.peaks[0]);
        b.peak_burst = b.peak_burst.max(other.peaks[1]);
        b.peak_ips = b.peak_ips.max(other.peaks[2]);
        if other
            .place
            .is_some_and(|p| self.place.is_none_or(|q| p.at > q.at))
        {
            self.place = other.place;
        }
        for (mine, theirs) in self.last_alert.iter_mut().zip(other.last_alert) {
            *mine = (*mine).max(theirs);
        }
        for (mine, theirs) in self.last_novelty.iter_mut().zip(other.last_novelty) {
            *mine = (*mine).max(theirs);
        }
    }

    /// Empties the learned endpoint profile (a snapshot that keyed it differently).
    pub fn forget_endpoints(&mut self) {
        self.known_endpoints = KnownSet::default();
        self.novel_endpoints = RecentDistinct::default();
    }

    /// Whether deserialised state is internally consistent (lengths and cursors in range).
    pub fn is_valid(&self) -> bool {
        self.known_countries.is_valid()
            && self.known_wide.is_valid()
            && self.known_agents.is_valid()
            && self.known_endpoints.is_valid()
            && self.burst.is_valid()
    }

    /// Heap bytes owned (the struct itself excluded).
    pub fn heap_bytes(&self) -> usize {
        self.fine.heap_bytes()
            + self.coarse.heap_bytes()
            + self.pending.as_ref().map_or(0, |p| {
                std::mem::size_of::<Pending>()
                    + p.buckets.capacity() * std::mem::size_of::<(i64, Counts)>()
            })
    }
}
