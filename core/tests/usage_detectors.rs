//! Each detector fires on its incident within a few requests and stays quiet on ordinary use.

use tokenward::usage::{
    Alert, AlertKind, Evidence, Observation, Severity, UsageConfig, UsageTracker,
};
use tokenward::{Timestamp, TokenId, TokenKey};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn id(name: &str) -> TokenId {
    TokenKey::new(b"test key").id(name.as_bytes())
}

fn normal(i: i64) -> Observation<'static> {
    const PATHS: [&str; 3] = ["/v1/builds", "/v1/builds/1234", "/v1/artifacts"];
    const IPS: [&str; 2] = ["198.51.100.7", "198.51.100.9"];
    Observation {
        ip: Some(IPS[(i % 2) as usize].parse().unwrap()),
        country: Some("DE"),
        user_agent: Some("deploy-cli/1.4.2"),
        method: Some("GET"),
        path: Some(PATHS[(i % 3) as usize]),
        ..Observation::default()
    }
}

/// Four days of office-hours use every 5 minutes; returns the time after it. Asserts that
/// ordinary use raised no alert.
fn learn(t: &UsageTracker, token: TokenId) -> Timestamp {
    let mut i = 0;
    for day in 0..4 {
        let mut now = START + day * DAY + 8 * HOUR;
        while now < START + day * DAY + 18 * HOUR {
            let alerts = t.observe(token, &normal(i), now);
            assert!(alerts.is_empty(), "ordinary use alerted: {alerts:?}");
            assert!(t.record_outcome(token, 200, now + 50).is_none());
            now += 5 * MIN;
            i += 1;
        }
    }
    START + 4 * DAY + 9 * HOUR
}

/// An ordinary request to `path`.
fn to(path: &'static str) -> Observation<'static> {
    Observation {
        path: Some(path),
        ..normal(0)
    }
}

fn kinds(alerts: &[Alert]) -> Vec<AlertKind> {
    alerts.iter().map(|a| a.kind).collect()
}

/// Feeds `n` requests built by `f` every `step` ms from `now`; returns the 1-based index of
/// the first request that raised `kind`, and all alerts.
fn until(
    t: &UsageTracker,
    token: TokenId,
    now: Timestamp,
    step: i64,
    n: i64,
    kind: AlertKind,
    f: impl Fn(i64) -> Observation<'static>,
) -> (Option<i64>, Vec<Alert>) {
    let mut all = Vec::new();
    let mut first = None;
    for i in 0..n {
        let alerts = t.observe(token, &f(i), now + i * step);
        if first.is_none() && alerts.iter().any(|a| a.kind == kind) {
            first = Some(i + 1);
        }
        all.extend(alerts);
    }
    (first, all)
}

fn tracker() -> UsageTracker {
    UsageTracker::new(UsageConfig::default()).unwrap()
}

#[test]
fn ordinary_use_is_learned_silently() {
    let t = tracker();
    let token = id("quiet");
    let now = learn(&t, token);
    // Another ordinary day: still nothing.
    let (first, all) = until(&t, token, now, 5 * MIN, 100, AlertKind::RateSpike, normal);
    assert_eq!(first, None);
    assert!(all.is_empty(), "{all:?}");
    let s = t.stats(token, now + 500 * MIN).unwrap();
    assert!(s.learned);
    assert_eq!(s.known.countries, vec!["DE"]);
    // Learned by route family: /v1/builds (with /v1/builds/{id}) and /v1/artifacts.
    assert_eq!(s.known.endpoints, 2, "/v1/builds, /v1/artifacts");
}

#[test]
fn new_country_with_new_agent_is_raised_to_high() {
    let t = tracker();
    let token = id("leaked");
    let now = learn(&t, token);
    let (first, all) = until(&t, token, now, MIN, 5, AlertKind::NewCountry, |_| {
        Observation {
            ip: Some("203.0.113.50".parse().unwrap()),
            country: Some("NG"),
            user_agent: Some("python-requests/2.31.0"),
            method: Some("GET"),
            path: Some("/v1/builds"),
            ..Observation::default()
        }
    });
    assert_eq!(first, Some(1));
    let alert = all
        .iter()
        .find(|a| a.kind == AlertKind::NewCountry)
        .unwrap();
    assert_eq!(alert.severity, Severity::High);
    assert!(
        matches!(&alert.evidence, Evidence::NewCountry { country, known_countries, new_user_agent: true, .. }
        if country == "NG" && known_countries == &vec!["DE".to_string()])
    );
    // The new country subsumes the new network; the agent is folded into the country alert.
    assert!(!kinds(&all).contains(&AlertKind::NewNetwork));
    assert!(!kinds(&all).contains(&AlertKind::NewUserAgent));
    // And the cooldown keeps it to one alert.
    assert_eq!(
        kinds(&all)
            .iter()
            .filter(|k| **k == AlertKind::NewCountry)
            .count(),
        1
    );
}

#[test]
fn new_network_and_new_agent_after_learning_only() {
    let t = tracker();
    let token = id("net");
    // During learning a new network is just learned.
    let mut early = normal(0);
    early.ip = Some("192.0.2.1".parse().unwrap());
    assert!(t.observe(token, &early, START + 9 * HOUR).is_empty());
    let now = learn(&t, token);
    // Same /16 as a known network (CGNAT churn): quiet.
    let mut churn = normal(0);
    churn.ip = Some("198.51.7.20".parse().unwrap());
    assert!(t.observe(token, &churn, now).is_empty());
    // A person's token: a new network alone (working from a cafe) or a new client alone is
    // ordinary...
    let mut cafe = normal(0);
    cafe.ip = Some("203.0.113.9".parse().unwrap());
    assert!(t.observe(token, &cafe, now + MIN).is_empty());
    let mut httpie = normal(0);
    httpie.user_agent = Some("HTTPie/3.2.2");
    assert!(t.observe(token, &httpie, now + 2 * MIN).is_empty());
    // ...both at once, two days later, is one alert.
    let later = now + 2 * DAY;
    let (first, all) = until(&t, token, later, MIN, 3, AlertKind::NewNetwork, |_| {
        let mut o = normal(0);
        o.ip = Some("100.64.9.9".parse().unwrap());
        o.user_agent = Some("curl/8.5.0");
        o
    });
    assert_eq!(first, Some(1));
    assert_eq!(kinds(&all), vec![AlertKind::NewNetwork]);
    assert_eq!(all[0].severity, Severity::Medium);
    assert_eq!(
        all[0].evidence,
        Evidence::NewNetwork {
            network: "100.64.9.0/24".into(),
            user_agent: Some("curl/8.5.0".into()),
        }
    );
    // A version bump of a known agent is not new.
    let mut bumped = normal(1);
    bumped.user_agent = Some("deploy-cli/1.5.0");
    assert!(t.observe(token, &bumped, later + 10 * MIN).is_empty());
}

#[test]
fn machine_tokens_alert_on_a_new_network_or_agent_alone() {
    let t = tracker();
    let token = id("service");
    let mut now = START;
    // A service calling every two minutes around the clock from one address.
    while now < START + 3 * DAY {
        assert!(t.observe(token, &normal(0), now).is_empty());
        now += 2 * MIN;
    }
    let mut moved = normal(0);
    moved.ip = Some("203.0.113.9".parse().unwrap());
    let alerts = t.observe(token, &moved, now);
    assert_eq!(kinds(&alerts), vec![AlertKind::NewNetwork]);
    assert_eq!(alerts[0].severity, Severity::Low);
    let mut client = normal(0);
    client.user_agent = Some("python-requests/2.31");
    let alerts = t.observe(token, &client, now + 2 * MIN);
    assert_eq!(kinds(&alerts), vec![AlertKind::NewUserAgent]);
}

#[test]
fn botnet_fanout_is_caught_within_ten_requests() {
    let t = tracker();
    let token = id("botnet");
    let now = learn(&t, token);
    let (first, all) = until(&t, token, now, 2_000, 20, AlertKind::IpFanout, |i| {
        let mut o = normal(i);
        // Same country and agent, a different residential IP each time, in networks already known
        // (worst case: only the fan-out gives it away).
        o.ip = Some(format!("198.51.{}.{}", i + 1, i + 10).parse().unwrap());
        o
    });
    let first = first.expect("fan-out detected");
    assert!(first <= 8, "detected at {first}");
    let alert = all.iter().find(|a| a.kind == AlertKind::IpFanout).unwrap();
    assert_eq!(alert.severity, Severity::High);
}

#[test]
fn rate_spike_is_caught_within_sixteen_requests() {
    let t = tracker();
    let token = id("spike");
    let now = learn(&t, token);
    let (first, _) = until(&t, token, now, 200, 40, AlertKind::RateSpike, normal);
    let first = first.expect("spike detected");
    assert!(first <= 16, "detected at {first}");
}

#[test]
fn endpoint_scan_and_declared_scope() {
    let t = tracker();
    let token = id("scan");
    let now = learn(&t, token);
    // One new endpoint is a feature being used: learned quietly.
    let mut one = normal(0);
    one.path = Some("/v1/releases");
    assert!(t.observe(token, &one, now).is_empty());
    const SCAN: [&str; 6] = [
        "/admin",
        "/v1/users",
        "/v1/keys",
        "/v1/config",
        "/v1/secrets",
        "/debug",
    ];
    let (first, all) = until(
        &t,
        token,
        now + 30 * MIN,
        1_000,
        6,
        AlertKind::EndpointOutOfScope,
        |i| {
            let mut o = normal(0);
            o.path = Some(SCAN[i as usize]);
            o
        },
    );
    assert_eq!(first, Some(5), "{all:?}");
    assert!(matches!(
        all.iter()
            .find(|a| a.kind == AlertKind::EndpointOutOfScope)
            .unwrap()
            .evidence,
        Evidence::EndpointOutOfScope {
            declared: false,
            new_endpoints: 5,
            ..
        }
    ));

    // Declared scope: the first request outside it alerts, severity raised.
    let other = id("declared");
    let mut o = normal(0);
    o.declared_scope_match = Some(false);
    o.path = Some("/v1/admin/users/42?token=secret");
    let alerts = t.observe(other, &o, START);
    assert_eq!(kinds(&alerts), vec![AlertKind::EndpointOutOfScope]);
    assert_eq!(alerts[0].severity, Severity::High);
    let json = serde_json::to_string(&alerts[0]).unwrap();
    assert!(json.contains("GET /v1/admin/users/{id}"), "{json}");
    assert!(!json.contains("secret"), "{json}");
}

#[test]
fn a_route_learned_quietly_is_known_from_then_on() {
    let t = tracker();
    let token = id("features");
    let now = learn(&t, token);
    // Four new features, each learned quietly (fewer than five new routes in the window).
    const NEW: [&str; 4] = ["/v1/releases", "/v1/teams", "/v1/webhooks", "/v1/audit"];
    for (i, path) in NEW.into_iter().enumerate() {
        assert!(t.observe(token, &to(path), now + i as i64 * MIN).is_empty());
    }
    // An hour later (the window has moved on) they are part of the token's habits: used
    // again beside one more new route, they make no scan.
    let later = now + HOUR;
    for (i, path) in NEW.into_iter().chain(["/v1/usage"]).enumerate() {
        let alerts = t.observe(token, &to(path), later + i as i64 * 1_000);
        assert!(alerts.is_empty(), "{path}: {alerts:?}");
    }
}

#[test]
fn a_probe_for_hidden_files_alerts_even_on_a_token_with_no_habits_yet() {
    let t = tracker();
    let token = id("fresh");
    // A token's first requests are learned quietly, `.well-known` included: it is public.
    for (i, path) in [
        "/v1/builds",
        "/.well-known/openid-configuration",
        "/v1/a.b/c",
    ]
    .into_iter()
    .enumerate()
    {
        let at = START + i as i64 * 1_000;
        assert!(t.observe(token, &to(path), at).is_empty(), "{path}");
    }
    let alerts = t.observe(token, &to("/static/.env?download=1"), START + 5_000);
    assert_eq!(kinds(&alerts), vec![AlertKind::EndpointOutOfScope]);
    assert!(matches!(
        alerts[0].evidence,
        Evidence::EndpointOutOfScope {
            hidden: true,
            declared: false,
            ..
        }
    ));
    assert!(
        alerts[0]
            .explain()
            .starts_with("GET /static/.env asks for hidden configuration"),
        "{}",
        alerts[0].explain()
    );
    // The next probe is within the cooldown: no second alert, but it is held like the first.
    let (alerts, held) = t.observe_held(token, &to("/.git/config"), START + 6_000);
    assert!(alerts.is_empty(), "{alerts:?}");
    assert!(held
        .kinds()
        .any(|(kind, _)| kind == AlertKind::EndpointOutOfScope));
    // So is the scan's next route never seen, while the token's own routes are not.
    let held_on = |path: &'static str, at: i64| {
        let (_, held) = t.observe_held(token, &to(path), START + at);
        let probe = held
            .kinds()
            .any(|(kind, _)| kind == AlertKind::EndpointOutOfScope);
        probe
    };
    assert!(held_on("/admin/users", 7_000));
    assert!(!held_on("/v1/builds", 8_000));

    // An endpoint the registry expects, or the host's declared scope allows, is not a probe;
    // nor are the hidden names of repository and file APIs.
    let vouched = id("vouched");
    let mut o = to("/.env");
    o.expected.endpoint = Some(true);
    assert!(t.observe(vouched, &o, START).is_empty());
    o.expected.endpoint = None;
    o.declared_scope_match = Some(true);
    assert!(t.observe(vouched, &o, START + 1_000).is_empty());
    let repo = to("/repos/acme/app/contents/.github/workflows/ci.yml");
    assert!(t.observe(vouched, &repo, START + 2_000).is_empty());
}

#[test]
fn a_request_outside_the_declared_scope_does_not_hold_new_routes() {
    let t = tracker();
    let token = id("declared-then-new");
    let now = learn(&t, token);
    let mut outside = to("/v1/admin");
    outside.declared_scope_match = Some(false);
    assert_eq!(
        kinds(&t.observe(token, &outside, now)),
        vec![AlertKind::EndpointOutOfScope]
    );
    // A feature used for the first time a minute later is learned quietly, not held.
    let (alerts, held) = t.observe_held(token, &to("/v1/releases"), now + MIN);
    assert!(alerts.is_empty(), "{alerts:?}");
    assert!(held.is_empty());
}

#[test]
fn dormant_token_waking_up() {
    let t = tracker();
    let token = id("dormant");
    let now = learn(&t, token);
    // 29 days: fine.
    assert!(t.observe(token, &normal(0), now + 29 * DAY).is_empty());
    let later = now + 29 * DAY + 31 * DAY;
    // Evicted in between: the last-use record still knows.
    let ev = t.evict_idle(later - DAY);
    assert_eq!(ev.evicted, 1);
    assert!(t.stats(token, later).is_none());
    assert_eq!(t.last_seen(token), Some(now + 29 * DAY));
    let alerts = t.observe(token, &normal(0), later);
    assert_eq!(kinds(&alerts), vec![AlertKind::DormantWakeup]);
    assert!(
        matches!(alerts[0].evidence, Evidence::DormantWakeup { idle_days, .. } if (idle_days - 31.0).abs() < 0.01)
    );
}

#[test]
fn impossible_travel_by_country_and_by_coordinates() {
    let t = tracker();
    let token = id("travel");
    let now = learn(&t, token);
    let mut br = normal(0);
    br.country = Some("BR");
    assert!(t.observe(token, &normal(0), now).is_empty());
    let alerts = t.observe(token, &br, now + 30 * MIN);
    assert!(
        kinds(&alerts).contains(&AlertKind::ImpossibleTravel),
        "{alerts:?}"
    );
    // A real flight, 14 hours later, is fine.
    let other = id("flight");
    let now = learn(&t, other);
    let alerts = t.observe(other, &br, now + 14 * HOUR);
    assert!(!kinds(&alerts).contains(&AlertKind::ImpossibleTravel));
    // Same client, a possible move, a token used in office hours: a trip, learned quietly.
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(
        t.stats(other, now + 14 * HOUR).unwrap().known.countries,
        ["BR", "DE"]
    );
    // Neighbours never look impossible.
    let near = id("near");
    let mut at = normal(0);
    at.country = Some("AT");
    t.observe(near, &normal(0), START);
    assert!(t.observe(near, &at, START + MIN).is_empty());
    // Precise coordinates: Berlin to New York in ten minutes, the same client.
    let us = id("us");
    let now = learn(&t, us);
    let mut berlin = normal(0);
    berlin.location = Some((52.52, 13.40));
    let mut ny = normal(0);
    ny.country = Some("US");
    ny.location = Some((40.71, -74.0));
    t.observe(us, &berlin, now);
    let alerts = t.observe(us, &ny, now + 10 * MIN);
    assert!(
        kinds(&alerts).contains(&AlertKind::ImpossibleTravel),
        "{alerts:?}"
    );
    // A centroid and a precise point of the same large country say nothing.
    let mut us_only = ny;
    us_only.location = None;
    assert!(t.observe(us, &us_only, now + 11 * MIN).is_empty());
    // Nor do moves inside a country the token is established in (two clouds, east and west):
    // a token learned in New York and San Francisco alike.
    let coasts = id("coasts");
    let mut sf = ny;
    sf.location = Some((37.77, -122.42));
    for i in 0..600 {
        let o = if i % 2 == 0 { &ny } else { &sf };
        assert!(t.observe(coasts, o, START + i * 10 * MIN).is_empty());
    }
}

#[test]
fn two_broken_calls_retried_are_not_a_probe() {
    let t = tracker();
    let token = id("retries");
    let mut now = learn(&t, token);
    // Five calls answering 401 (an expired credential downstream) and one 404 (a deleted
    // resource), each retried over and over: six paths and two statuses, but after the
    // first round no path is tried anew (and the 404 never comes twice).
    let calls = [
        ("/v1/builds/1234", 401),
        ("/v1/builds/1234/logs", 401),
        ("/v1/builds/1235", 401),
        ("/v1/builds/1235/logs", 401),
        ("/v1/builds/1236", 401),
        ("/v1/artifacts/77", 404),
    ];
    for i in 0..36 {
        let (path, status) = calls[i % calls.len()];
        let retry = Observation {
            path: Some(path),
            ..normal(i as i64)
        };
        t.observe(token, &retry, now);
        assert!(t.record_outcome(token, status, now + 20).is_none(), "{i}");
        now += 1000;
    }
}

#[test]
fn error_bursts_from_outcomes() {
    let t = tracker();
    let token = id("errors");
    let mut now = learn(&t, token);
    // Occasional 404s are normal.
    for i in 0..5 {
        t.observe(token, &normal(i), now);
        assert!(t.record_outcome(token, 404, now + 10).is_none());
        now += 10 * MIN;
    }
    // A permission a deploy broke: 403 after 403 on the usual routes, one cause, no alert;
    // a stray 404 within does not make it a mix.
    for i in 0..20 {
        t.observe(token, &normal(i), now);
        let status = if i == 10 { 404 } else { 403 };
        assert!(t.record_outcome(token, status, now + 20).is_none(), "{i}");
        now += 1000;
    }
    // Probing walks ids and meets forbidden and missing alike: once both came back twice on
    // paths not tried before, the burst.
    let walked: Vec<String> = (0..6).map(|i| format!("/v1/builds/{}", 9000 + i)).collect();
    let mut first = None;
    for (i, path) in walked.iter().enumerate() {
        let probe = Observation {
            path: Some(path),
            ..normal(i as i64)
        };
        t.observe(token, &probe, now);
        let status = if i % 2 == 0 { 404 } else { 403 };
        if let Some(a) = t.record_outcome(token, status, now + 20) {
            assert_eq!(a.kind, AlertKind::ErrorBurst);
            assert_eq!(a.severity, Severity::Medium);
            first.get_or_insert(i + 1);
        }
        now += 1000;
    }
    // The storm's 403s were retries after the first round, so its stray 404 is still among
    // the recent errors: with the probe's first 404, the mix.
    assert_eq!(first, Some(1), "the probe's first 404 makes the mix");
    // Other statuses and unknown tokens are ignored.
    assert!(t.record_outcome(token, 500, now).is_none());
    assert!(t.record_outcome(id("unknown"), 401, now).is_none());
    let s = t.stats(token, now + 20_000).unwrap();
    assert_eq!(s.fine.total.errors, 31);
}

#[test]
fn repeated_denials() {
    let t = tracker();
    let token = id("denied");
    let (first, all) = until(
        &t,
        token,
        START,
        5_000,
        10,
        AlertKind::RepeatedDenials,
        |i| {
            let mut o = normal(i);
            o.denied = true;
            o
        },
    );
    assert_eq!(first, Some(5));
    assert_eq!(kinds(&all), vec![AlertKind::RepeatedDenials]);
    assert_eq!(
        t.stats(token, START + 50_000).unwrap().fine.total.denials,
        10
    );
}

#[test]
fn detectors_can_be_switched_off_and_retuned() {
    let config = UsageConfig::from_toml(
        "[detectors.repeated_denials]\nmin_denials = 2\nseverity = \"critical\"\n\
         [detectors.impossible_travel]\nenabled = false",
    )
    .unwrap();
    let t = UsageTracker::new(config).unwrap();
    let token = id("tuned");
    let mut o = normal(0);
    o.denied = true;
    assert!(t.observe(token, &o, START).is_empty());
    let alerts = t.observe(token, &o, START + 1000);
    assert_eq!(alerts[0].severity, Severity::Critical);
    let mut br = normal(0);
    br.country = Some("BR");
    assert!(t.observe(token, &br, START + 2000).is_empty());
}

#[test]
fn stats_report_windows_distincts_and_baseline() {
    let t = tracker();
    let token = id("stats");
    let now = learn(&t, token);
    let s = t.stats(token, now).unwrap();
    assert_eq!(s.total_requests, 4 * 120);
    assert_eq!(s.fine.buckets.len(), 60);
    assert_eq!(s.coarse.buckets.len(), 48);
    // The 48 h window reaches back to day 2, 10:00: 96 requests of day 2 and 120 of day 3.
    assert_eq!(s.coarse.total.requests, 216);
    assert_eq!(s.distinct.ips, 0, "nothing in the last 10-20 minutes");
    assert!(s.baseline.peak_requests_per_min >= 1.0);
    assert!(s.baseline.peak_burst_per_min > 0.0);
    t.observe(token, &normal(0), now);
    t.observe(token, &normal(1), now + 1);
    let s = t.stats(token, now + 2).unwrap();
    assert_eq!(s.distinct.ips, 2);
    assert_eq!(s.distinct.countries, 1);
    assert_eq!(s.distinct.user_agents, 1);
    assert_eq!(s.distinct.endpoints, 2);
    let json = serde_json::to_value(&s).unwrap();
    assert_eq!(json["token_id"], token.to_string());
}

#[test]
fn a_service_in_a_new_country_is_flagged_even_next_door() {
    let t = tracker();
    let token = id("service-abroad");
    let mut now = START;
    // Four days around the clock: a service.
    for i in 0..(4 * 24 * 6) {
        assert!(t.observe(token, &normal(i), now).is_empty());
        now += 10 * MIN;
    }
    let mut at = normal(0);
    at.country = Some("AT");
    let alerts = t.observe(token, &at, now);
    assert_eq!(kinds(&alerts), vec![AlertKind::NewCountry], "{alerts:?}");
    assert_eq!(alerts[0].severity, Severity::Medium);
}

/// A day and a half of office-hours use every 5 minutes: more than half the default learning
/// period (2 days), still learning. Asserts that it raised no alert.
fn learn_a_day_and_a_half(t: &UsageTracker, token: TokenId) -> Timestamp {
    let mut i = 0;
    let mut now = START + 8 * HOUR;
    while now < START + DAY + 18 * HOUR {
        if (now - START) % DAY >= 8 * HOUR && (now - START) % DAY < 18 * HOUR {
            let alerts = t.observe(token, &normal(i), now);
            assert!(alerts.is_empty(), "ordinary use alerted: {alerts:?}");
            i += 1;
        }
        now += 5 * MIN;
    }
    START + DAY + 19 * HOUR
}

#[test]
fn a_token_leaked_while_learning_is_caught_from_another_country_with_another_client() {
    let t = tracker();
    let token = id("young");
    let now = learn_a_day_and_a_half(&t, token);
    let (first, _) = until(&t, token, now, 2_000, 5, AlertKind::NewCountry, |i| {
        Observation {
            country: Some("BR"),
            user_agent: Some("python-requests/2.31.0"),
            ..normal(i)
        }
    });
    assert_eq!(first, Some(1));
}

#[test]
fn while_learning_a_trip_or_a_brand_new_token_stays_quiet() {
    // The same client in another country: learned quietly, as after learning.
    let t = tracker();
    let token = id("traveller");
    let now = learn_a_day_and_a_half(&t, token);
    let (first, _) = until(
        &t,
        token,
        now + 12 * HOUR,
        60_000,
        5,
        AlertKind::NewCountry,
        |i| Observation {
            country: Some("FR"),
            ..normal(i)
        },
    );
    assert_eq!(first, None);
    // A token a few hours old has no settled history to differ from.
    let token = id("newborn");
    for i in 0..20 {
        assert!(t.observe(token, &normal(i), START + i * 5 * MIN).is_empty());
    }
    let (first, all) = until(
        &t,
        token,
        START + 2 * HOUR,
        2_000,
        5,
        AlertKind::NewCountry,
        |i| Observation {
            country: Some("BR"),
            user_agent: Some("python-requests/2.31.0"),
            ..normal(i)
        },
    );
    assert_eq!(first, None);
    // Nor impossible travel: a token hours old has no established place to move from.
    assert!(all.is_empty(), "{all:?}");
}

#[test]
fn while_learning_only_a_large_burst_is_a_rate_spike() {
    let t = tracker();
    let token = id("young-burst");
    let now = learn_a_day_and_a_half(&t, token);
    // A CI job's minute of 60 requests: far above the 1 per 5 minutes so far, but below the
    // doubled floors that apply while learning.
    let (first, _) = until(&t, token, now, 1_000, 60, AlertKind::RateSpike, normal);
    assert_eq!(first, None);
    // A script at 5 requests a second on another young token: caught within the burst
    // window of 16 requests.
    let token = id("young-script");
    let now = learn_a_day_and_a_half(&t, token);
    let (first, _) = until(&t, token, now, 200, 40, AlertKind::RateSpike, normal);
    assert!(first.is_some_and(|n| n <= 16), "{first:?}");
}

#[test]
fn fan_out_while_learning_is_judged_by_its_age() {
    let fan = |i: i64| Observation {
        ip: Some(format!("203.0.{}.{}", i + 1, i + 10).parse().unwrap()),
        ..normal(i)
    };
    // A day and a half of one or two addresses, then a different address each request.
    let t = tracker();
    let token = id("young-fanout");
    let now = learn_a_day_and_a_half(&t, token);
    let (first, _) = until(&t, token, now, 2_000, 20, AlertKind::IpFanout, fan);
    assert_eq!(first, Some(8), "the usual floor of 8 distinct addresses");
    // A token two hours old may be an app used from many addresses: only the absolute bar.
    let token = id("new-fanout");
    for i in 0..20 {
        assert!(t.observe(token, &normal(i), now + i * 6 * MIN).is_empty());
    }
    let (first, _) = until(
        &t,
        token,
        now + 2 * HOUR,
        2_000,
        40,
        AlertKind::IpFanout,
        fan,
    );
    assert_eq!(first, None);
}

#[test]
fn a_client_that_always_works_in_quick_bursts_is_not_a_rate_spike() {
    // A job that makes ten quick requests every five minutes, for four days: each burst is
    // fast, and that is its usual pace, learned from the same measure it is judged by.
    let t = tracker();
    let token = id("bursty");
    let mut alerts = Vec::new();
    let mut now = START;
    let mut i = 0;
    while now < START + 4 * DAY {
        for k in 0..10 {
            alerts.extend(t.observe(token, &normal(i), now + k * 100));
            i += 1;
        }
        now += 5 * MIN;
    }
    let spikes = alerts
        .iter()
        .filter(|a| a.kind == AlertKind::RateSpike)
        .count();
    assert_eq!(spikes, 0, "{:?}", &alerts[..alerts.len().min(3)]);
    // A script at ten times that pace is still a spike.
    let (first, _) = until(&t, token, now, 10, 40, AlertKind::RateSpike, normal);
    assert!(first.is_some_and(|n| n <= 16), "{first:?}");
}

#[test]
fn a_sparse_token_running_flat_out_is_a_rate_spike_before_it_has_a_peak() {
    // Twelve requests an hour apart: too few for the 16-request burst measure, so the token
    // has no burst peak of its own. A script at five a second is judged by the floors.
    let t = tracker();
    let token = id("sparse");
    for i in 0..12 {
        assert!(t.observe(token, &normal(i), START + i * HOUR).is_empty());
    }
    let now = START + 12 * HOUR;
    let (first, all) = until(&t, token, now, 200, 40, AlertKind::RateSpike, normal);
    assert!(first.is_some_and(|n| n <= 16), "{first:?}");
    let spike = all.iter().find(|a| a.kind == AlertKind::RateSpike).unwrap();
    assert!(
        spike.explain().contains("learned peak is under 1/min"),
        "{}",
        spike.explain()
    );
    // A fresh token doing the same from its first request is not judged: that is its habit.
    let fresh = id("fresh-flat-out");
    let (first, _) = until(&t, fresh, now, 200, 40, AlertKind::RateSpike, normal);
    assert_eq!(first, None);
}
