//! Detection that tells compromise from the noise of real fleets, and responses that protect
//! without locking out: multi-homed tokens, established places, folded identifiers, probing
//! versus retrying, soft expectations, held requests, corroborated quarantine, stopped tokens.

use tokenward::guard::Expectations;
use tokenward::usage::{AlertKind, Observation, Severity, UsageConfig, UsageTracker};
use tokenward::{
    EventKind, Guard, GuardConfig, Reason, Request, Timestamp, TokenId, TokenKey, TokenMeta,
    Verdict,
};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
const START: i64 = 1_767_225_600_000;

fn id(name: &str) -> TokenId {
    TokenKey::new(b"holds").id(name.as_bytes())
}

fn obs(
    country: &'static str,
    ip: &'static str,
    agent: &'static str,
    path: &'static str,
) -> Observation<'static> {
    Observation {
        ip: Some(ip.parse().unwrap()),
        country: Some(country),
        user_agent: Some(agent),
        method: Some("GET"),
        path: Some(path),
        ..Observation::default()
    }
}

/// Three days of use every 10 minutes, alternating between two observations; asserts quiet.
fn learn(t: &UsageTracker, token: TokenId, a: &Observation, b: &Observation) -> Timestamp {
    let mut now = START;
    let mut i = 0;
    while now < START + 3 * DAY {
        let o = if i % 2 == 0 { a } else { b };
        let alerts = t.observe(token, o, now);
        assert!(alerts.is_empty(), "learning alerted: {alerts:?}");
        now += 10 * MIN;
        i += 1;
    }
    now
}

#[test]
fn a_team_in_two_countries_is_not_impossible_travel() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let token = id("team");
    let berlin = obs("DE", "198.51.100.7", "tw-cli/1.0", "/v1/builds");
    let paris = obs("FR", "203.0.113.9", "tw-cli/1.0", "/v1/builds");
    let mut now = learn(&t, token, &berlin, &paris);
    for i in 0..50 {
        let o = if i % 2 == 0 { &berlin } else { &paris };
        let alerts = t.observe(token, o, now);
        assert!(alerts.is_empty(), "multi-homed use alerted: {alerts:?}");
        now += MIN;
    }
}

#[test]
fn a_new_place_is_judged_and_held_while_the_owner_keeps_working() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let token = id("service");
    let home = obs("DE", "198.51.100.7", "billing/2.0", "/v1/invoices");
    let mut now = learn(&t, token, &home, &home);
    let thief = obs("BR", "192.0.2.55", "billing/2.0", "/v1/invoices");
    let (alerts, _) = t.observe_held(token, &thief, now);
    let first: Vec<AlertKind> = alerts.iter().map(|a| a.kind).collect();
    // A new country, and a move to it no airliner makes: both judged on the new place.
    assert_eq!(first, [AlertKind::NewCountry, AlertKind::ImpossibleTravel]);
    assert_eq!(
        alerts[1].severity,
        Severity::Medium,
        "the client is the owner's"
    );
    let explained = alerts[0].explain();
    assert!(
        explained.contains("first request from BR") && explained.contains("DE"),
        "{explained}"
    );
    now += MIN;
    // The owner's next request: from an established place, nothing held.
    let (alerts, held) = t.observe_held(token, &home, now);
    assert!(
        alerts.iter().all(|a| a.kind != AlertKind::ImpossibleTravel),
        "{alerts:?}"
    );
    assert!(held.is_empty());
    now += MIN;
    // The thief again: nothing new to say (cooling down), but the request is held.
    let (alerts, held) = t.observe_held(token, &thief, now);
    assert!(alerts.is_empty(), "{alerts:?}");
    let kinds: Vec<AlertKind> = held.kinds().map(|(k, _)| k).collect();
    assert_eq!(kinds, [AlertKind::NewCountry, AlertKind::ImpossibleTravel]);
    assert_eq!(held.recent_kinds(), 2);
}

#[test]
fn identifiers_of_real_apis_never_fill_the_endpoint_profile() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let token = id("api");
    let paths: Vec<String> = (0..400)
        .map(|i| match i % 4 {
            0 => format!("/v1/customers/cus_{i}Nf{}Zk", i * 7),
            1 => format!("/v1/releases/1.{}.{}/assets", i % 9, i % 13),
            2 => format!("/v1/objects/reports%2F2024%2Fq{i}.csv"),
            _ => format!("/v1/projects/acme-web-{i}/builds"),
        })
        .collect();
    let mut now = START;
    for p in &paths {
        let o = Observation {
            path: Some(p.as_str()),
            ..obs("DE", "198.51.100.7", "app/1", "/")
        };
        assert!(t.observe(token, &o, now).is_empty());
        now += 15 * MIN;
    }
    let stats = t.stats(token, now).unwrap();
    assert!(stats.known.endpoints <= 8, "{:?}", stats.known);
    // A scan still shows within a few requests (one for hidden files, such as `/.env`, is
    // caught at its first: see usage_detectors.rs).
    let scan = [
        "/admin",
        "/server-status",
        "/debug/pprof",
        "/actuator/env",
        "/wp-login.php",
        "/console",
    ];
    let at = scan.iter().position(|p| {
        let o = Observation {
            path: Some(p),
            ..obs("DE", "198.51.100.7", "app/1", "/")
        };
        now += 2_000;
        t.observe(token, &o, now)
            .iter()
            .any(|a| a.kind == AlertKind::EndpointOutOfScope)
    });
    assert_eq!(at, Some(4), "the fifth new route makes a scan");
}

#[test]
fn retrying_one_url_is_not_probing_but_walking_ids_is() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let token = id("errors");
    let home = obs("DE", "198.51.100.7", "app/1", "/v1/orders");
    let mut now = learn(&t, token, &home, &home);
    let gone = obs("DE", "198.51.100.7", "app/1", "/v1/orders/4411");
    for _ in 0..30 {
        t.observe(token, &gone, now);
        assert!(
            t.record_outcome(token, 404, now + 10).is_none(),
            "a poll alerted"
        );
        now += 3_000;
    }
    now += HOUR;
    // Walking ids from another network meets a mix of missing and forbidden: the sixth error
    // makes a burst.
    let paths: Vec<String> = (0..20)
        .map(|i| format!("/v1/orders/{}", 9000 + i * 3))
        .collect();
    let walk = |t: &UsageTracker, token, from: &'static str, mix: bool, now: &mut Timestamp| {
        paths.iter().enumerate().position(|(i, p)| {
            let o = Observation {
                path: Some(p.as_str()),
                ip: Some(from.parse().unwrap()),
                ..home
            };
            t.observe(token, &o, *now);
            *now += 2_000;
            let status = if mix && i % 3 == 0 { 403 } else { 404 };
            t.record_outcome(token, status, *now - 1_990).is_some()
        })
    };
    assert_eq!(walk(&t, token, "192.0.2.44", true, &mut now), Some(5));
    // The same from the owner's own place and client.
    let other = id("errors-home");
    let mut now = learn(&t, other, &home, &home);
    assert_eq!(walk(&t, other, "198.51.100.7", true, &mut now), Some(5));
    // One status over and over on many routes, from anywhere, has one cause (a resource
    // deleted, a permission a deploy broke): no burst.
    let broken = id("errors-one-status");
    let mut now = learn(&t, broken, &home, &home);
    assert_eq!(walk(&t, broken, "192.0.2.44", false, &mut now), None);
    // A service that answers every probe with one status counts any errors when told so.
    let mut config = UsageConfig::default();
    config.detectors.error_burst.min_statuses = 1;
    let t = UsageTracker::new(config.clone()).unwrap();
    let mut now = learn(&t, broken, &home, &home);
    assert_eq!(walk(&t, broken, "192.0.2.44", false, &mut now), Some(5));
    // With `min_paths = 1` too (a gRPC method answering NOT_FOUND to every probe), the same
    // path and status over and over is a burst by the sixth error.
    config.detectors.error_burst.min_paths = 1;
    let t = UsageTracker::new(config).unwrap();
    let one_path = id("errors-one-path");
    let mut now = learn(&t, one_path, &home, &home);
    let probe = obs(
        "DE",
        "198.51.100.7",
        "app/1",
        "/grpc.health.v1.Health/Check",
    );
    let sixth = (1..=20).find(|_| {
        t.observe(one_path, &probe, now);
        now += 2_000;
        t.record_outcome(one_path, 404, now - 1_990).is_some()
    });
    assert_eq!(sixth, Some(6));
    for wrong in [0, 4] {
        let toml = format!("[detectors.error_burst]\nmin_statuses = {wrong}");
        let err = UsageConfig::from_toml(&toml).unwrap_err().to_string();
        assert!(err.contains("min_statuses 1 to 3"), "{err}");
    }
}

/// A client with several requests in flight: `batch` requests admitted, then their
/// outcomes, `statuses` in turn. Returns the error (counted from 1) that raised a burst.
fn in_flight(
    t: &UsageTracker,
    token: TokenId,
    home: &Observation,
    batch: usize,
    statuses: &[u16],
    now: &mut Timestamp,
) -> Option<usize> {
    let paths: Vec<String> = (0..40)
        .map(|i| format!("/v1/orders/{}", 7000 + i))
        .collect();
    let mut errors = 0;
    for chunk in paths.chunks(batch) {
        for p in chunk {
            let o = Observation {
                path: Some(p.as_str()),
                ..*home
            };
            t.observe(token, &o, *now);
            *now += 50;
        }
        for _ in chunk {
            let status = statuses[errors % statuses.len()];
            errors += 1;
            *now += 50;
            if t.record_outcome(token, status, *now).is_some() {
                return Some(errors);
            }
        }
        *now += 1_000;
    }
    None
}

#[test]
fn requests_in_flight_do_not_hide_a_probe_behind_one_path() {
    // The core files an outcome under the token's last request; with several in flight,
    // the answers after the first of a batch belong to other paths. They are no retries of
    // the last one, so a probe meeting a mix is a burst as soon as one request at a time
    // (before, ten in flight put it off from the 8th error to the 21st).
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let home = obs("DE", "198.51.100.7", "app/1", "/v1/orders");
    let mix = [404, 403, 404, 404, 401, 404];
    let one_by_one = id("in-flight-1");
    let mut now = learn(&t, one_by_one, &home, &home);
    let sequential = in_flight(&t, one_by_one, &home, 1, &mix, &mut now).unwrap();
    for batch in [4, 10] {
        let token = id(&format!("in-flight-{batch}"));
        let mut now = learn(&t, token, &home, &home);
        let concurrent = in_flight(&t, token, &home, batch, &mix, &mut now);
        assert_eq!(concurrent, Some(sequential), "{batch} in flight");
    }
    // One status, as an honest storm gives it (a permission a deploy broke), in flight or
    // not: no burst.
    let storm = id("in-flight-storm");
    let mut now = learn(&t, storm, &home, &home);
    assert_eq!(in_flight(&t, storm, &home, 4, &[403], &mut now), None);
}

#[test]
fn errors_far_apart_make_no_mix() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let token = id("errors-apart");
    let home = obs("DE", "198.51.100.7", "app/1", "/v1/orders");
    let mut now = learn(&t, token, &home, &home);
    let paths = [
        "/v1/orders/1",
        "/v1/orders/2",
        "/v1/orders/3",
        "/v1/orders/4",
    ];
    let fail = |status: u16, n: usize, now: Timestamp| {
        for (i, p) in paths.iter().cycle().take(n).enumerate() {
            let o = Observation {
                path: Some(p),
                ..home
            };
            let at = now + i as i64 * 1_000;
            t.observe(token, &o, at);
            assert!(
                t.record_outcome(token, status, at + 10).is_none(),
                "{status}"
            );
        }
    };
    // Expired sessions, then ten minutes later a broken permission: two causes, each of one
    // status, further apart than the span (taken together they would look like a mix).
    fail(401, 4, now);
    now += 10 * MIN;
    fail(403, 6, now);
}

/// The kinds of a verdict's alerts, in order.
fn kinds(v: &Verdict) -> Vec<AlertKind> {
    v.alerts.iter().map(|a| a.kind).collect()
}

fn guard(rules: &str) -> Guard {
    let config = GuardConfig::from_toml(&format!("[usage]\n{rules}")).unwrap();
    Guard::with_config(TokenKey::new(b"k"), &config).unwrap()
}

fn request<'a>(token: &'a str, country: &'a str, ip: &'a str, agent: &'a str) -> Request<'a> {
    Request::new(token)
        .ip(ip.parse().unwrap())
        .country(country)
        .user_agent(agent)
        .endpoint("GET", "/v1/invoices")
}

/// Three days of use from Germany.
fn warm(g: &Guard, token: &str) -> Timestamp {
    let mut now = START;
    while now < START + 3 * DAY {
        let v = g.check(&request(token, "DE", "198.51.100.7", "billing/2.0"), now);
        assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
        now += 10 * MIN;
    }
    now
}

const STEP_UP: &str = r#"
[[respond]]
on = ["new_country", "impossible_travel", "endpoint_out_of_scope", "error_burst"]
min_severity = "medium"
action = "deny"
[[respond]]
on = "any"
min_severity = "high"
min_kinds = 2
action = "quarantine"
"#;

#[test]
fn a_deny_rule_refuses_the_suspect_context_and_lets_the_owner_work() {
    let g = guard(STEP_UP);
    let token = "tw_step_up_token_1";
    g.register(token, &TokenMeta::new().owner("billing"), START)
        .unwrap();
    let mut now = warm(&g, token);
    let v = g.check(&request(token, "BR", "192.0.2.55", "billing/2.0"), now);
    assert_eq!(v.reasons, [Reason::AnomalyDenied]);
    assert_eq!(v.alerts[0].kind, AlertKind::NewCountry);
    assert_eq!(v.alerts[0].severity, Severity::Medium);
    now += MIN;
    let v = g.check(&request(token, "DE", "198.51.100.7", "billing/2.0"), now);
    assert!(v.is_allowed(), "the owner is locked out: {v:?}");
    now += MIN;
    let v = g.check(&request(token, "BR", "192.0.2.56", "billing/2.0"), now);
    assert!(!v.is_allowed(), "the thief's second request passed");
    assert_eq!(v.reasons, [Reason::AnomalyDenied]);
    // A medium travel alert too (the owner's client): two kinds, not high: no quarantine.
    assert_eq!(
        g.token(&g.token_id(token.as_bytes())).unwrap().state.name(),
        "active"
    );
}

#[test]
fn corroborated_high_evidence_quarantines_and_the_stopped_token_keeps_reporting() {
    let g = guard(STEP_UP);
    let token = "tw_step_up_token_2";
    let id = g
        .register(token, &TokenMeta::new().owner("billing"), START)
        .unwrap();
    let mut now = warm(&g, token);
    // A new country with a new client, and an impossible move to it: two detectors agree,
    // at high severity: quarantined on the spot.
    let v = g.check(
        &request(token, "BR", "192.0.2.55", "python-requests/2.31"),
        now,
    );
    assert_eq!(
        kinds(&v),
        [AlertKind::NewCountry, AlertKind::ImpossibleTravel]
    );
    assert!(v.alerts.iter().all(|a| a.severity == Severity::High));
    assert_eq!(v.reasons, [Reason::Quarantined]);
    let info = g.token(&id).unwrap();
    assert_eq!(info.state.name(), "quarantined", "{info:?}");
    g.drain_events();
    // Stopped: what is tried still shows, as stopped_alert events; the verdict has no alert.
    now += 10 * MIN;
    for i in 0..40 {
        let r = Request::new(token)
            .ip(format!("203.0.113.{i}").parse().unwrap())
            .country("CN")
            .user_agent("curl/8")
            .endpoint("GET", "/v1/invoices");
        let v = g.check(&r, now + i * 500);
        assert!(v.alerts.is_empty());
        assert!(v.reasons.contains(&Reason::Quarantined));
        g.record_outcome(&id, 403, now + i * 500 + 10);
    }
    let events = g.drain_events();
    let stopped: Vec<AlertKind> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StoppedAlert { kind, state, .. } => {
                assert_eq!(*state, Reason::Quarantined);
                Some(*kind)
            }
            _ => None,
        })
        .collect();
    assert!(stopped.contains(&AlertKind::IpFanout), "{stopped:?}");
    // Rate limited: each kind at most once per cooldown.
    let mut unique = stopped.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), stopped.len(), "{stopped:?}");
    assert!(events
        .iter()
        .all(|e| !matches!(e.kind, EventKind::Alert { .. })));
}

#[test]
fn soft_expectations_inform_but_never_deny() {
    let g = guard(STEP_UP);
    let token = "tw_expect_token_1";
    let expect = Expectations::from_json(r#"{"countries": ["DE", "BR"]}"#).unwrap();
    g.register(
        token,
        &TokenMeta::new().owner("billing").expect(expect.clone()),
        START,
    )
    .unwrap();
    let mut now = warm(&g, token);
    // Expected: the country is learned quietly; the network, new to this token that settled
    // on one, is judged as in any known country: a low alert, which no rule acts on.
    let v = g.check(&request(token, "BR", "192.0.2.55", "billing/2.0"), now);
    assert!(v.is_allowed(), "{v:?}");
    let alerts: Vec<(AlertKind, Severity)> =
        v.alerts.iter().map(|a| (a.kind, a.severity)).collect();
    assert_eq!(alerts, [(AlertKind::NewNetwork, Severity::Low)], "{v:?}");
    now += DAY;
    // Outside: evidence (severity raised), still only what the rules say.
    let v = g.check(&request(token, "US", "203.0.113.5", "billing/2.0"), now);
    assert_eq!(v.alerts[0].kind, AlertKind::NewCountry);
    assert_eq!(v.alerts[0].severity, Severity::High);
    // Without rules, nothing is denied because of an expectation.
    let plain = guard("");
    plain
        .register(token, &TokenMeta::new().expect(expect), START)
        .unwrap();
    let v = plain.check(&request(token, "JP", "203.0.113.5", "x/1"), START);
    assert!(v.is_allowed());
    // They survive a snapshot: the restored Guard still expects BR.
    let copy = guard(STEP_UP);
    copy.restore(&g.snapshot(), now).unwrap();
    let other = "tw_expect_token_2";
    let fresh = guard(STEP_UP);
    fresh
        .register(other, &TokenMeta::new().owner("billing"), START)
        .unwrap();
    let later = warm(&fresh, other);
    let v = fresh.check(&request(other, "BR", "192.0.2.55", "billing/2.0"), later);
    assert!(!v.alerts.is_empty(), "without expectations BR is news");
    let v = copy.check(
        &request(token, "BR", "192.0.2.77", "billing/2.0"),
        now + 2 * DAY,
    );
    assert!(
        v.alerts.iter().all(|a| a.kind != AlertKind::NewCountry),
        "{v:?}"
    );
}

/// Three days of use, every 10 minutes, cycling through `places` (country, IP).
fn warm_from(g: &Guard, token: &str, places: &[(&str, &str)]) -> Timestamp {
    let mut now = START;
    for i in 0.. {
        if now >= START + 3 * DAY {
            break;
        }
        let (country, ip) = places[i % places.len()];
        let v = g.check(&request(token, country, ip, "billing/2.0"), now);
        assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
        now += 10 * MIN;
    }
    now
}

fn billing(g: &Guard, token: &str, owner: &str) {
    let meta = TokenMeta::new().owner(owner).service("invoices");
    g.register(token, &meta, START).unwrap();
}

#[test]
fn a_fresh_token_used_from_a_country_its_group_never_used_is_flagged() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_token_old", "billing");
    let now = warm_from(&g, "tw_group_token_old", &[("DE", "198.51.100.7")]);
    // Its successor's very first request comes from elsewhere, with another client.
    billing(&g, "tw_group_token_new", "billing");
    let v = g.check(
        &request("tw_group_token_new", "BR", "192.0.2.55", "curl/8.4"),
        now,
    );
    assert_eq!(v.reasons, [Reason::AnomalyDenied], "{v:?}");
    assert_eq!(v.alerts[0].kind, AlertKind::NewCountry);
    let why = v.alerts[0].explain();
    assert!(
        why.contains("BR") && why.contains("owner and service were used only from DE"),
        "{why}"
    );
    // The owner's own requests from the group's places keep working.
    let v = g.check(
        &request("tw_group_token_new", "DE", "198.51.100.8", "billing/2.0"),
        now + MIN,
    );
    assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
    // The attacker's requests taught the group nothing: the next sibling is judged the same.
    billing(&g, "tw_group_token_third", "billing");
    let v = g.check(
        &request("tw_group_token_third", "BR", "192.0.2.56", "curl/8.4"),
        now + 2 * MIN,
    );
    assert!(
        v.alerts.iter().any(|a| a.kind == AlertKind::NewCountry),
        "{v:?}"
    );
    // A replica started in a new region, running the group's own client: the fleet grew
    // into a region, learned quietly.
    billing(&g, "tw_group_token_replica", "billing");
    let v = g.check(
        &request("tw_group_token_replica", "IE", "192.0.2.80", "billing/2.0"),
        now + 3 * MIN,
    );
    assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
    // A fresh token of another owner has no group to be judged by: it learns.
    billing(&g, "tw_group_token_stranger", "payroll");
    let v = g.check(
        &request("tw_group_token_stranger", "BR", "192.0.2.57", "curl/8.4"),
        now,
    );
    assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
}

/// The 1-based index of the first of `n` requests on `token`, `step` ms apart from `now`, that
/// raised a rate spike, with that alert's explanation.
fn first_spike(g: &Guard, token: &str, now: Timestamp, step: i64, n: i64) -> Option<(i64, String)> {
    (0..n).find_map(|i| {
        let v = g.check(
            &request(token, "DE", "198.51.100.8", "billing/2.0"),
            now + i * step,
        );
        let alert = v.alerts.iter().find(|a| a.kind == AlertKind::RateSpike)?;
        Some((i + 1, alert.explain()))
    })
}

#[test]
fn a_sibling_still_learning_is_judged_by_its_groups_busiest_pace() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_pace_old", "billing");
    let now = warm_from(&g, "tw_group_pace_old", &[("DE", "198.51.100.7")]);
    // A new replica at a request a minute, well above the group's one per ten minutes but
    // under the doubled floors of a token still learning: its own pace, learned.
    billing(&g, "tw_group_pace_replica", "billing");
    assert_eq!(first_spike(&g, "tw_group_pace_replica", now, MIN, 40), None);
    // A stolen sibling run flat out (five a second) from its first request: caught within
    // the 16 requests of the burst measure, though it has no habits of its own yet.
    billing(&g, "tw_group_pace_new", "billing");
    let (at, why) = first_spike(&g, "tw_group_pace_new", now, 200, 40).expect("a rate spike");
    assert!(at <= 16, "{at}");
    assert!(
        why.contains("busiest token of its owner and service"),
        "{why}"
    );
    // The same start on a token of no group is its first habit: a new job's first run.
    billing(&g, "tw_group_pace_alone", "payroll");
    assert_eq!(first_spike(&g, "tw_group_pace_alone", now, 200, 40), None);
}

#[test]
fn a_place_its_group_uses_is_not_news_for_a_sibling_token() {
    let offices = [("DE", "198.51.100.7"), ("FR", "203.0.113.9")];
    let outcome = |sibling_owner: &str| {
        let g = guard(STEP_UP);
        billing(&g, "tw_group_team_a", "team");
        billing(&g, "tw_group_team_b", sibling_owner);
        // Token A is used from both offices; token B, around the clock, only from Berlin.
        warm_from(&g, "tw_group_team_a", &offices);
        let now = warm_from(&g, "tw_group_team_b", &offices[..1]);
        g.check(
            &request("tw_group_team_b", "FR", "203.0.113.10", "billing/2.0"),
            now,
        )
    };
    let sibling = outcome("team");
    assert!(
        sibling.is_allowed() && sibling.alerts.is_empty(),
        "{sibling:?}"
    );
    // The same request on a token of another owner is a new country.
    let stranger = outcome("someone-else");
    assert_eq!(
        stranger.alerts[0].kind,
        AlertKind::NewCountry,
        "{stranger:?}"
    );
    assert!(!stranger.alerts[0].explain().contains("owner and service"));
}

#[test]
fn a_fresh_sibling_teaches_its_group_nothing() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_poison_old", "billing");
    let now = warm_from(&g, "tw_group_poison_old", &[("DE", "198.51.100.7")]);
    // A fresh sibling (stolen, say) used from BR with the group's own client: no news for the
    // group (a fleet growing into a region), and no lesson either.
    billing(&g, "tw_group_poison_new", "billing");
    for i in 0..20 {
        let r = request("tw_group_poison_new", "BR", "192.0.2.55", "billing/2.0");
        assert!(g.check(&r, now + i * MIN).alerts.is_empty());
    }
    // So the established token used from BR a minute after Berlin is still judged.
    let at = now + 30 * MIN;
    let home = request("tw_group_poison_old", "DE", "198.51.100.7", "billing/2.0");
    assert!(g.check(&home, at).is_allowed());
    let away = request("tw_group_poison_old", "BR", "192.0.2.56", "curl/8.4");
    let v = g.check(&away, at + MIN);
    assert!(!v.is_allowed(), "{v:?}");
    assert_eq!(
        kinds(&v),
        [AlertKind::NewCountry, AlertKind::ImpossibleTravel],
        "{v:?}"
    );
}

#[test]
fn a_quiet_trip_teaches_its_group_nothing() {
    let g = guard(STEP_UP);
    // A person's token, used in office hours only (so a trip is plausible and learned
    // quietly), and a sibling that has not been used yet.
    billing(&g, "tw_group_trip_old", "billing");
    let mut now = START;
    while now < START + 4 * DAY {
        if (now - START) % DAY < 8 * HOUR {
            let r = request("tw_group_trip_old", "DE", "198.51.100.7", "billing/2.0");
            let v = g.check(&r, now);
            assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
        }
        now += 10 * MIN;
    }
    // Stolen, or on a trip: Brazil the next morning with the owner's client, then Argentina,
    // then Brazil again, each plausible in the time between, no alert.
    let trip = START + 4 * DAY + 6 * HOUR;
    let legs = [
        ("BR", "192.0.2.55", trip),
        ("AR", "203.0.113.5", trip + 6 * HOUR),
        ("BR", "192.0.2.55", trip + 12 * HOUR),
    ];
    for (country, ip, at) in legs {
        for i in 0..10 {
            let r = request("tw_group_trip_old", country, ip, "billing/2.0");
            let v = g.check(&r, at + i * MIN);
            assert!(
                v.is_allowed() && v.alerts.is_empty(),
                "{country} {i}: {v:?}"
            );
        }
    }
    // Brazil is the token's own news, not yet its group's (a second new country does not make
    // the first established): a sibling used there first, with a client the group never
    // used, is flagged.
    billing(&g, "tw_group_trip_new", "billing");
    let r = request("tw_group_trip_new", "BR", "192.0.2.56", "curl/8.4");
    let v = g.check(&r, trip + 13 * HOUR);
    assert_eq!(kinds(&v), [AlertKind::NewCountry], "{v:?}");
}

#[test]
fn a_country_its_group_uses_still_judges_the_network_and_client() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_home_us", "billing");
    let us = warm_from(&g, "tw_group_home_us", &[("US", "198.51.100.7")]);
    billing(&g, "tw_group_home_de", "billing");
    let de = warm_from(&g, "tw_group_home_de", &[("DE", "203.0.113.9")]);
    // The German token, stolen, used from the US (where a sibling works) on a network and
    // with a client neither it nor its group ever used.
    let v = g.check(
        &request("tw_group_home_de", "US", "192.0.2.200", "curl/8.4"),
        us.max(de) + HOUR,
    );
    assert!(kinds(&v).contains(&AlertKind::NewNetwork), "{v:?}");
}

#[test]
fn the_registry_outranks_the_group() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_us", "billing");
    let now = warm_from(&g, "tw_group_us", &[("US", "198.51.100.7")]);
    // A sibling the registry expects in Germany only: the US, where its group works, is
    // still outside what it should do.
    let expect = Expectations::from_json(r#"{"countries": ["DE"]}"#).unwrap();
    let meta = TokenMeta::new()
        .owner("billing")
        .service("invoices")
        .expect(expect);
    g.register("tw_group_de", &meta, START).unwrap();
    let de = warm_from(&g, "tw_group_de", &[("DE", "203.0.113.9")]);
    let v = g.check(
        &request("tw_group_de", "US", "198.51.100.8", "billing/2.0"),
        de.max(now),
    );
    assert!(kinds(&v).contains(&AlertKind::NewCountry), "{v:?}");
}

#[test]
fn a_request_whose_client_cannot_be_told_is_not_group_news() {
    let g = guard(STEP_UP);
    billing(&g, "tw_group_anon_old", "billing");
    let now = warm_from(&g, "tw_group_anon_old", &[("DE", "198.51.100.7")]);
    billing(&g, "tw_group_anon_new", "billing");
    let r = Request::new("tw_group_anon_new")
        .ip("192.0.2.80".parse().unwrap())
        .country("IE")
        .endpoint("GET", "/v1/invoices");
    let v = g.check(&r, now);
    assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
}

#[test]
fn a_service_name_without_an_owner_makes_no_group() {
    // Every customer's token may carry the same service name: no pooling across them.
    let g = guard(STEP_UP);
    let meta = TokenMeta::new().service("api");
    g.register("tw_group_tenant_a", &meta, START).unwrap();
    g.register("tw_group_tenant_b", &meta, START).unwrap();
    let now = warm_from(&g, "tw_group_tenant_a", &[("DE", "198.51.100.7")]);
    let v = g.check(
        &request("tw_group_tenant_b", "BR", "192.0.2.55", "curl/8.4"),
        now,
    );
    assert!(v.is_allowed() && v.alerts.is_empty(), "{v:?}");
}
