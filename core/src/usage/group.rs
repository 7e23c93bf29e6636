//! What the tokens of one owner (and service) have learned together: the countries, networks
//! and clients they were used from. A sibling token (another replica, a rotated successor, the
//! second office's token of a team) is then judged against its group rather than as a
//! stranger: a country or network the group uses is not novel for it (travel is still judged
//! per token), and a token still learning its own habits (or on its very first request) used
//! from a country its group never used, with a client its group never used, is news. The
//! group's own client from a new country is how a fleet grows into a region (a replica started
//! there): it is learned quietly, and so is a request whose client cannot be told.
//!
//! A group learns only from tokens past their own learning period, and only from their
//! requests that raised no alert, were not held, were not denied and came from where the
//! token is at home (a country it is established in, a network and a client it used
//! before): a fresh token, stolen or not, teaches its group nothing until it has habits of
//! its own, and a learned one's quiet trip or new network stays its own news. So a group
//! judges as soon as its learned tokens have taught it `learning_min_requests` requests, also
//! right after a restart (groups are not in snapshots; the learned tokens rebuild them as they
//! are used). Its lists are short and capped; a list that overflows its cap stops judging
//! that dimension (a fleet on many carrier networks, a browser app on many clients).
//!
//! A group also keeps the highest rate peaks its learned tokens report, aged with the same
//! half-life as a token's own peaks: a sibling still learning its own pace is judged against
//! the busiest of its kind.

use hashbrown::HashMap;
use parking_lot::Mutex;

use super::hashing::{agent_key, country_code, country_text, ip_keys};
use super::shard::take_oldest;
use super::Observation;
use crate::Timestamp;

/// Countries, networks and clients a group keeps; past these it stops judging that dimension.
const MAX_COUNTRIES: usize = 16;
const MAX_NETWORKS: usize = 32;
const MAX_AGENTS: usize = 16;
const SHARDS: usize = 16;

/// One group's pooled knowledge.
#[derive(Debug, Clone)]
struct Profile {
    countries: Vec<u16>,
    networks: Vec<u32>,
    /// User agent families.
    agents: Vec<u32>,
    /// More distinct networks were seen than `MAX_NETWORKS`.
    networks_full: bool,
    countries_full: bool,
    agents_full: bool,
    last_seen: Timestamp,
    requests: u64,
    /// The highest rate peaks its learned tokens reported, as `[bucket, burst]` (see
    /// [`Rates`]), as they stood at `peaks_at`; they halve every `peak_half_life_ms` since.
    peaks: Rates,
    peaks_at: Timestamp,
}

/// A learned token's rate peaks: requests in one fine bucket, and the burst rate (requests
/// per minute over its last 16 requests).
pub(crate) type Rates = [f32; 2];

/// A group already knows everything of a request: it relearns its last use at most this often,
/// so the requests of a large group rarely write to its profile.
const REFRESH_MS: i64 = 60_000;

/// What a request's group knows of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct GroupView {
    /// The group's learned tokens taught it the minimum requests.
    pub established: bool,
    /// The request would teach the group something: a place or client it lacks, or its last
    /// use is stale.
    pub teaches: bool,
    /// Whether the request's country is one of the group's; `None` without a country or when
    /// the group cannot tell (no country learned, or more than it keeps).
    pub country_known: Option<bool>,
    /// Whether the request's network is one of the group's; `None` as for countries.
    pub network_known: Option<bool>,
    /// Whether the request's client (agent family) is one of the group's; `None` as above.
    pub agent_known: Option<bool>,
    /// The group's countries, for an alert's evidence when the request's is not among them.
    pub countries: Vec<u16>,
    /// The highest rate peaks of the group's learned tokens, once it is established: what a
    /// sibling still learning its own is judged against.
    pub peaks: Option<Rates>,
}

impl GroupView {
    /// The group is established and was never used from the request's country, nor with its
    /// client.
    pub fn country_is_new(&self) -> bool {
        self.established && self.country_known == Some(false) && self.agent_known == Some(false)
    }

    /// The group's countries as evidence text.
    pub fn country_texts(&self) -> Vec<String> {
        self.countries.iter().map(|&c| country_text(c)).collect()
    }
}

/// Group profiles, sharded, `max_groups` rounded up to a multiple of the shard count at most
/// (the least recently used eighth of a full shard makes room).
pub(crate) struct Groups {
    shards: Box<[Mutex<HashMap<u64, Profile>>]>,
    per_shard: usize,
    peak_half_life_ms: i64,
}

impl Groups {
    pub fn new(max_groups: usize, peak_half_life_ms: i64) -> Groups {
        Groups {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: max_groups.div_ceil(SHARDS).max(1),
            peak_half_life_ms: peak_half_life_ms.max(1),
        }
    }

    /// A profile's peaks aged to `now`: an old batch day stops setting the bar, as it stops
    /// for the token that had it.
    fn aged(&self, p: &Profile, now: Timestamp) -> Rates {
        let elapsed = now.saturating_sub(p.peaks_at).max(0) as f64;
        let keep = 0.5f64.powf(elapsed / self.peak_half_life_ms as f64) as f32;
        p.peaks.map(|peak| peak * keep)
    }

    fn shard(&self, key: u64) -> &Mutex<HashMap<u64, Profile>> {
        // Group keys are small numbers (interned names): mix before picking a shard.
        &self.shards[(key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize % SHARDS]
    }

    /// What group `key` knows of `obs`; `established` needs `min_requests` taught.
    pub fn view(
        &self,
        key: u64,
        obs: &Observation,
        now: Timestamp,
        min_requests: u64,
    ) -> GroupView {
        let shard = self.shard(key).lock();
        let Some(p) = shard.get(&key) else {
            return GroupView {
                teaches: true,
                ..GroupView::default()
            };
        };
        let country = obs.country.and_then(country_code);
        let country_known = country
            .filter(|_| !p.countries.is_empty() && !p.countries_full)
            .map(|c| p.countries.contains(&c));
        let network_known = obs
            .ip
            .filter(|_| !p.networks.is_empty() && !p.networks_full)
            .map(|ip| p.networks.contains(&ip_keys(ip).wide));
        let agent_known = obs
            .user_agent
            .filter(|_| !p.agents.is_empty() && !p.agents_full)
            .map(|agent| p.agents.contains(&agent_key(agent)));
        // News for the group: a value it lacks, or a first value where it has none yet.
        let lacks = |known: Option<bool>| known == Some(false);
        let first = (country.is_some() && p.countries.is_empty() && !p.countries_full)
            || (obs.ip.is_some() && p.networks.is_empty() && !p.networks_full)
            || (obs.user_agent.is_some() && p.agents.is_empty() && !p.agents_full);
        let established = p.requests >= min_requests;
        GroupView {
            established,
            teaches: first
                || lacks(country_known)
                || lacks(network_known)
                || lacks(agent_known)
                || p.requests < min_requests
                || now.saturating_sub(p.last_seen) >= REFRESH_MS,
            country_known,
            network_known,
            agent_known,
            countries: if country_known == Some(false) {
                p.countries.clone()
            } else {
                Vec::new()
            },
            peaks: established
                .then(|| self.aged(p, now))
                .filter(|peaks| peaks.iter().all(|&peak| peak > 0.0)),
        }
    }

    /// Teaches group `key` the place and client of `obs`, a clean request of a learned token
    /// whose rate peaks are `peaks`.
    pub fn learn(&self, key: u64, obs: &Observation, now: Timestamp, peaks: Rates) {
        let mut shard = self.shard(key).lock();
        if !shard.contains_key(&key) && shard.len() >= self.per_shard {
            take_oldest(&mut shard, |p| p.last_seen);
        }
        let p = shard.entry(key).or_insert_with(|| Profile {
            countries: Vec::new(),
            networks: Vec::new(),
            agents: Vec::new(),
            networks_full: false,
            countries_full: false,
            agents_full: false,
            last_seen: now,
            requests: 0,
            peaks: [0.0; 2],
            peaks_at: now,
        });
        p.requests += 1;
        // The busiest sibling sets the bar: one replica taking a batch job's load is as honest
        // as another serving users.
        let aged = self.aged(p, now);
        p.peaks = [aged[0].max(peaks[0]), aged[1].max(peaks[1])];
        p.peaks_at = now.max(p.peaks_at);
        p.last_seen = p.last_seen.max(now);
        if let Some(code) = obs.country.and_then(country_code) {
            add_capped(&mut p.countries, &mut p.countries_full, code, MAX_COUNTRIES);
        }
        if let Some(ip) = obs.ip {
            let wide = ip_keys(ip).wide;
            add_capped(&mut p.networks, &mut p.networks_full, wide, MAX_NETWORKS);
        }
        if let Some(agent) = obs.user_agent {
            let family = agent_key(agent);
            add_capped(&mut p.agents, &mut p.agents_full, family, MAX_AGENTS);
        }
    }

    /// Number of groups with a profile.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// Bytes held for group profiles.
    pub fn memory_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(u64, Profile)>() + 1;
        self.shards
            .iter()
            .map(|s| {
                let s = s.lock();
                s.capacity() * entry
                    + s.values()
                        .map(|p| {
                            p.countries.capacity() * 2
                                + (p.networks.capacity() + p.agents.capacity()) * 4
                        })
                        .sum::<usize>()
            })
            .sum()
    }
}

/// Adds `value` to a list of at most `cap` values; past the cap, marks it `full` instead.
fn add_capped<T: PartialEq>(list: &mut Vec<T>, full: &mut bool, value: T, cap: usize) {
    if *full || list.contains(&value) {
        return;
    }
    if list.len() < cap {
        list.push(value);
    } else {
        *full = true;
        // Nothing judges a full list; its memory goes.
        *list = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;
    /// A learned token's peaks: two requests in a bucket, 30 a minute in a burst.
    const PEAKS: Rates = [2.0, 30.0];

    fn obs<'a>(country: &'a str, ip: &str) -> Observation<'a> {
        Observation {
            country: Some(country),
            ip: Some(ip.parse().unwrap()),
            user_agent: Some("billing/2.0"),
            ..Observation::default()
        }
    }

    #[test]
    fn a_group_judges_once_taught_enough() {
        let groups = Groups::new(64, 7 * DAY);
        for i in 0..9 {
            groups.learn(7, &obs("DE", "198.51.100.7"), i * 3_600_000, PEAKS);
        }
        let stranger = Observation {
            user_agent: Some("curl/8.4"),
            ..obs("BR", "203.0.113.9")
        };
        let early = groups.view(7, &stranger, 10 * 3_600_000, 10);
        assert!(!early.established && !early.country_is_new() && early.teaches);
        groups.learn(7, &obs("DE", "198.51.100.7"), 10 * 3_600_000, PEAKS);
        let later = groups.view(7, &stranger, 2 * DAY, 10);
        assert!(later.country_is_new());
        assert_eq!(later.network_known, Some(false));
        assert_eq!(later.countries, [country_code("DE").unwrap()]);
        // The group's own client in a new country: a fleet growing into a region.
        let replica = groups.view(7, &obs("BR", "203.0.113.9"), 2 * DAY, 10);
        assert_eq!(replica.agent_known, Some(true));
        assert!(!replica.country_is_new());
        // A client it cannot tell: no news either.
        let anonymous = Observation {
            user_agent: None,
            ..obs("BR", "203.0.113.9")
        };
        assert!(!groups.view(7, &anonymous, 2 * DAY, 10).country_is_new());
        let home = groups.view(7, &obs("DE", "198.51.100.99"), 10 * 3_600_000, 10);
        assert_eq!(
            (home.country_known, home.network_known),
            (Some(true), Some(true))
        );
        assert!(home.countries.is_empty());
        // Nothing to teach until its last use goes stale.
        assert!(!home.teaches);
        assert!(groups.view(7, &obs("DE", "198.51.100.99"), DAY, 10).teaches);
        // Another group knows nothing.
        let other = groups.view(8, &obs("DE", "198.51.100.7"), 2 * DAY, 0);
        assert!(other.country_known.is_none() && other.teaches);
    }

    #[test]
    fn a_group_offers_its_busiest_peaks_once_established() {
        let groups = Groups::new(64, 7 * DAY);
        let home = obs("DE", "198.51.100.7");
        groups.learn(3, &home, 0, PEAKS);
        assert_eq!(groups.view(3, &home, DAY, 2).peaks, None);
        groups.learn(3, &home, 0, [5.0, 12.0]);
        assert_eq!(groups.view(3, &home, 0, 2).peaks, Some([5.0, 30.0]));
        // A week later the bar is half as high, as the tokens' own peaks are.
        assert_eq!(groups.view(3, &home, 7 * DAY, 2).peaks, Some([2.5, 15.0]));
    }

    #[test]
    fn a_group_on_many_networks_stops_judging_networks() {
        let groups = Groups::new(64, 7 * DAY);
        for i in 0..=MAX_NETWORKS as u8 {
            groups.learn(1, &obs("US", &format!("100.{i}.0.7")), 0, PEAKS);
        }
        let view = groups.view(1, &obs("US", "203.0.113.9"), DAY, 0);
        assert_eq!(view.network_known, None);
        assert_eq!(view.country_known, Some(true));
    }

    #[test]
    fn groups_are_bounded() {
        let groups = Groups::new(32, 7 * DAY);
        for key in 0..10_000u64 {
            groups.learn(key, &obs("DE", "198.51.100.7"), key as i64, PEAKS);
        }
        assert!(groups.len() <= 32, "{}", groups.len());
        // The most recent survive.
        assert!(
            groups
                .view(9_999, &obs("DE", "198.51.100.7"), DAY, 0)
                .established
        );
    }
}
