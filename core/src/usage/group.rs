//! What tokens sharing an owner and service have learned together: the countries and networks
//! they were used from. A sibling token (another replica, a rotated successor, the second
//! office's token of a team) is then judged against its group rather than as a stranger: a
//! place the group knows is not news, and a token still learning its own habits (or on its
//! very first request) used from a country its group never used, with a client its group
//! never used, is. The same client from a new country is how a fleet grows into a new region
//! (a replica started there): it is learned quietly.
//!
//! A group learns only from requests that raised no alert, were not held and were not denied,
//! so an attacker's requests do not teach it. Its lists are short and capped; a group whose
//! networks overflow the cap stops judging networks (a fleet on many carrier or cloud
//! addresses) and keeps judging countries. Groups are learned in memory: a snapshot does not
//! carry them, and after a restore they relearn for a learning period before they judge.

use hashbrown::HashMap;
use parking_lot::Mutex;

use super::hashing::{agent_key, country_code, ip_keys};
use super::observation::Expected;
use super::shard::take_oldest;
use super::Observation;
use crate::Timestamp;

/// Countries and networks a group keeps; past these it stops learning that dimension.
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
    since: Timestamp,
    last_seen: Timestamp,
    requests: u64,
}

/// What a request's group knows of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GroupView {
    /// The group has learned for a learning period, with the minimum requests.
    pub established: bool,
    /// Whether the request's country is one of the group's; `None` without a country or when
    /// the group cannot tell (no country learned, or more than it keeps).
    pub country_known: Option<bool>,
    /// Whether the request's network is one of the group's; `None` as for countries.
    pub network_known: Option<bool>,
    /// Whether the request's client (agent family) is one of the group's; `None` as above.
    pub agent_known: Option<bool>,
    /// The group's countries, for an alert's evidence when the request's is not among them.
    pub countries: Vec<u16>,
}

impl GroupView {
    /// The request's soft expectations widened by what the group knows: a place the group
    /// uses counts as expected where the registry says nothing of that dimension. What the
    /// registry expects or rules out stays as it said.
    pub fn widen(&self, expected: Expected) -> Expected {
        let known = |k: Option<bool>| k.filter(|&k| k);
        Expected {
            country: expected.country.or(known(self.country_known)),
            network: expected.network.or(known(self.network_known)),
            ..expected
        }
    }

    /// The group is established and has never been used from the request's country, nor
    /// (as far as it can tell) with its client.
    pub fn country_is_new(&self) -> bool {
        self.established && self.country_known == Some(false) && self.agent_known != Some(true)
    }
}

/// Group profiles, sharded, at most `max_groups` (the least recently used eighth of a full
/// shard makes room).
pub(crate) struct Groups {
    shards: Box<[Mutex<HashMap<u64, Profile>>]>,
    per_shard: usize,
}

impl Groups {
    pub fn new(max_groups: usize) -> Groups {
        Groups {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: max_groups.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, key: u64) -> &Mutex<HashMap<u64, Profile>> {
        // Group keys are small numbers (interned names): mix before picking a shard.
        &self.shards[(key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize % SHARDS]
    }

    /// What group `key` knows of `obs`; `established` needs `learning_ms` and `min_requests`
    /// of the group's history.
    pub fn view(
        &self,
        key: u64,
        obs: &Observation,
        now: Timestamp,
        learning_ms: i64,
        min_requests: u64,
    ) -> GroupView {
        let shard = self.shard(key).lock();
        let Some(p) = shard.get(&key) else {
            return GroupView::default();
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
        GroupView {
            established: now.saturating_sub(p.since) >= learning_ms && p.requests >= min_requests,
            country_known,
            network_known,
            agent_known,
            countries: if country_known == Some(false) {
                p.countries.clone()
            } else {
                Vec::new()
            },
        }
    }

    /// Teaches group `key` the place of `obs`, a request that raised nothing.
    pub fn learn(&self, key: u64, obs: &Observation, now: Timestamp) {
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
            since: now,
            last_seen: now,
            requests: 0,
        });
        p.requests += 1;
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

    fn obs<'a>(country: &'a str, ip: &str) -> Observation<'a> {
        Observation {
            country: Some(country),
            ip: Some(ip.parse().unwrap()),
            user_agent: Some("billing/2.0"),
            ..Observation::default()
        }
    }

    #[test]
    fn a_group_judges_only_after_its_learning_period() {
        let groups = Groups::new(64);
        for i in 0..20 {
            groups.learn(7, &obs("DE", "198.51.100.7"), i * 3_600_000);
        }
        let early = groups.view(7, &obs("BR", "203.0.113.9"), 10 * 3_600_000, 2 * DAY, 10);
        assert!(!early.established && !early.country_is_new());
        let stranger = Observation {
            user_agent: Some("curl/8.4"),
            ..obs("BR", "203.0.113.9")
        };
        let later = groups.view(7, &stranger, 2 * DAY, 2 * DAY, 10);
        assert!(later.country_is_new());
        // The group's own client in a new country: a fleet growing into a region.
        let replica = groups.view(7, &obs("BR", "203.0.113.9"), 2 * DAY, 2 * DAY, 10);
        assert_eq!(replica.agent_known, Some(true));
        assert!(!replica.country_is_new());
        assert_eq!(later.network_known, Some(false));
        assert_eq!(later.countries, [country_code("DE").unwrap()]);
        let home = groups.view(7, &obs("DE", "198.51.100.99"), 2 * DAY, 2 * DAY, 10);
        assert_eq!(
            (home.country_known, home.network_known),
            (Some(true), Some(true))
        );
        assert!(home.countries.is_empty());
        // Another group knows nothing.
        assert_eq!(
            groups.view(8, &obs("DE", "198.51.100.7"), 2 * DAY, 0, 0),
            GroupView::default()
        );
    }

    #[test]
    fn known_places_widen_expectations_but_never_override_the_registry() {
        let view = GroupView {
            established: true,
            country_known: Some(true),
            network_known: Some(false),
            agent_known: None,
            countries: Vec::new(),
        };
        let widened = view.widen(Expected::default());
        assert_eq!((widened.country, widened.network), (Some(true), None));
        let ruled_out = Expected {
            country: Some(false),
            ..Expected::default()
        };
        assert_eq!(view.widen(ruled_out).country, Some(false));
    }

    #[test]
    fn a_group_on_many_networks_stops_judging_networks() {
        let groups = Groups::new(64);
        for i in 0..=MAX_NETWORKS as u8 {
            groups.learn(1, &obs("US", &format!("100.{i}.0.7")), 0);
        }
        let view = groups.view(1, &obs("US", "203.0.113.9"), DAY, 0, 0);
        assert_eq!(view.network_known, None);
        assert_eq!(view.country_known, Some(true));
    }

    #[test]
    fn groups_are_bounded() {
        let groups = Groups::new(32);
        for key in 0..10_000u64 {
            groups.learn(key, &obs("DE", "198.51.100.7"), key as i64);
        }
        assert!(groups.len() <= 32, "{}", groups.len());
        // The most recent survive.
        assert!(
            groups
                .view(9_999, &obs("DE", "198.51.100.7"), DAY, 0, 0)
                .established
        );
    }
}
