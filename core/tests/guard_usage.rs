//! The Guard's usage stage: detectors fed by every check, response rules acting within the
//! same call, alert events, `record_outcome`, `stats`, config errors and snapshots.

use std::net::IpAddr;

use tokenward::guard::{Action, ActionTaken, SnapshotError};
use tokenward::{
    AlertKind, Event, EventKind, Guard, GuardConfig, GuardError, Reason, Request, Severity,
    TokenKey, TokenMeta,
};

const T0: i64 = 1_767_571_200_000;
const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// Usage on, learning over after two requests.
const USAGE: &str = r#"
[policies.api]
endpoints = ["GET /v1/orders/*", "GET /v1/orders"]
[usage]
learning_period_secs = 0
learning_min_requests = 2
"#;

fn guard_with(rules: &str) -> Guard {
    let config = GuardConfig::from_toml(&format!("{USAGE}\n{rules}")).unwrap();
    Guard::with_config(TokenKey::new(b"usage key"), &config).unwrap()
}

fn mint(guard: &Guard, n: u8) -> (tokenward::TokenId, String) {
    let minted = guard
        .mint(&TokenMeta::new().owner("svc").policy("api"), &[n; 32], T0)
        .unwrap();
    (minted.id, minted.token.into_string())
}

fn ip(n: u32) -> IpAddr {
    IpAddr::V4((0x0b00_0000 + n * 0x100 + 7).into())
}

fn request(token: &str, n: u32) -> Request<'_> {
    Request::new(token)
        .ip(ip(n))
        .country("DE")
        .user_agent("svc/1.0")
        .endpoint("GET", "/v1/orders/42")
}

/// Eight requests from eight networks within a minute: an `ip_fanout` (high) on the eighth.
/// Returns the verdicts.
fn fan_out(guard: &Guard, token: &str) -> Vec<tokenward::Verdict> {
    (0..8)
        .map(|n| guard.check(&request(token, n), T0 + MIN + i64::from(n) * 1000))
        .collect()
}

fn kinds(events: &[Event]) -> Vec<&'static str> {
    events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Minted { .. } => "minted",
            EventKind::Alert { .. } => "alert",
            EventKind::Quarantined { .. } => "quarantined",
            EventKind::Revoked { .. } => "revoked",
            EventKind::Denied { .. } => "denied",
            EventKind::Released { .. } => "released",
            _ => "other",
        })
        .collect()
}

#[test]
fn without_rules_alerts_are_reported_and_marked_notify() {
    let guard = guard_with("");
    let (id, token) = mint(&guard, 1);
    let verdicts = fan_out(&guard, &token);
    assert!(verdicts[..7]
        .iter()
        .all(|v| v.is_allowed() && v.alerts.is_empty()));
    let last = &verdicts[7];
    assert!(last.is_allowed(), "notify never denies");
    assert_eq!(last.alerts.len(), 1);
    assert_eq!(last.alerts[0].kind, AlertKind::IpFanout);
    assert_eq!(last.alerts[0].severity, Severity::High);
    assert_eq!(last.alerts[0].token_id, id);
    assert_eq!(
        last.actions,
        [ActionTaken {
            action: Action::Notify,
            on: AlertKind::IpFanout
        }]
    );
    let events = guard.drain_events();
    assert_eq!(kinds(&events), ["minted", "alert"]);
    match &events[1].kind {
        EventKind::Alert {
            token,
            kind,
            severity,
            evidence,
            actions,
        } => {
            assert_eq!(*token, id);
            assert_eq!(*kind, AlertKind::IpFanout);
            assert_eq!(*severity, Severity::High);
            assert_eq!(evidence.to_value()["distinct_ips"], 8);
            assert_eq!(actions, &[Action::Notify]);
        }
        other => panic!("{other:?}"),
    }
    tokenward::guard::verify_chain(&events).unwrap();
}

#[test]
fn quarantine_denies_the_very_request_that_raised_the_alert() {
    let guard = guard_with(
        "[[respond]]\non = \"ip_fanout\"\nmin_severity = \"high\"\naction = \"quarantine\"",
    );
    let (id, token) = mint(&guard, 2);
    let verdicts = fan_out(&guard, &token);
    assert!(verdicts[..7].iter().all(|v| v.is_allowed()));
    let last = &verdicts[7];
    assert_eq!(last.reasons, [Reason::Quarantined]);
    assert_eq!(
        last.actions,
        [ActionTaken {
            action: Action::Quarantine,
            on: AlertKind::IpFanout
        }]
    );
    assert_eq!(guard.token(&id).unwrap().state.name(), "quarantined");
    // Every later request, even an ordinary one, is denied until released.
    let next = guard.check(&request(&token, 0), T0 + 2 * MIN);
    assert_eq!(next.reasons, [Reason::Quarantined]);
    let events = guard.drain_events();
    assert_eq!(
        kinds(&events),
        ["minted", "alert", "quarantined", "denied", "denied"]
    );
    assert!(matches!(
        events[2].kind,
        EventKind::Quarantined {
            cause: Some(AlertKind::IpFanout),
            ..
        }
    ));
    guard.release(&id, T0 + 3 * MIN).unwrap();
    // Released, the token works again once the fan-out's window has passed (while it lasts,
    // requests are held: see `deny_refuses_what_the_evidence_still_covers`).
    assert!(guard.check(&request(&token, 1), T0 + 25 * MIN).is_allowed());
}

#[test]
fn deny_refuses_what_the_evidence_still_covers() {
    let guard = guard_with("[[respond]]\non = \"any\"\naction = \"deny\"");
    let (id, token) = mint(&guard, 3);
    let last = fan_out(&guard, &token).pop().unwrap();
    assert_eq!(last.reasons, [Reason::AnomalyDenied]);
    assert_eq!(guard.token(&id).unwrap().state.name(), "active");
    // The alert is cooling down, but the fan-out still holds: the next request is denied
    // without a new alert.
    let held = guard.check(&request(&token, 3), T0 + 2 * MIN);
    assert_eq!(held.reasons, [Reason::AnomalyDenied]);
    assert!(held.alerts.is_empty());
    let events = guard.drain_events();
    assert_eq!(kinds(&events), ["minted", "alert", "denied", "denied"]);
    match &events[2].kind {
        EventKind::Denied { reasons, .. } => assert_eq!(reasons, &[Reason::AnomalyDenied]),
        other => panic!("{other:?}"),
    }
    // Once the window has passed, the token works: it was never stopped.
    assert!(guard.check(&request(&token, 3), T0 + 25 * MIN).is_allowed());
}

#[test]
fn revoke_is_final_and_wins_over_weaker_rules() {
    let guard = guard_with(
        r#"
[[respond]]
on = "any"
action = "notify"
[[respond]]
on = ["ip_fanout", "impossible_travel"]
action = "revoke"
[[respond]]
on = "ip_fanout"
action = "deny"
"#,
    );
    let (id, token) = mint(&guard, 4);
    let last = fan_out(&guard, &token).pop().unwrap();
    assert_eq!(last.reasons, [Reason::Revoked]);
    let actions: Vec<Action> = last.actions.iter().map(|a| a.action).collect();
    assert_eq!(actions, [Action::Notify, Action::Deny, Action::Revoke]);
    assert_eq!(guard.token(&id).unwrap().state.name(), "revoked");
    assert!(guard.release(&id, T0 + 5 * MIN).is_err());
    let events = guard.drain_events();
    assert_eq!(kinds(&events), ["minted", "alert", "revoked", "denied"]);
    assert!(matches!(
        events[2].kind,
        EventKind::Revoked {
            cause: Some(AlertKind::IpFanout),
            ..
        }
    ));
}

#[test]
fn rules_below_their_severity_floor_do_nothing() {
    let guard = guard_with(
        "[[respond]]\non = \"ip_fanout\"\nmin_severity = \"critical\"\naction = \"revoke\"",
    );
    let (id, token) = mint(&guard, 5);
    let last = fan_out(&guard, &token).pop().unwrap();
    assert!(last.is_allowed());
    assert_eq!(last.alerts.len(), 1);
    assert!(last.actions.is_empty(), "rules exist and none matched");
    assert_eq!(guard.token(&id).unwrap().state.name(), "active");
    match &guard.drain_events()[1].kind {
        EventKind::Alert { actions, .. } => assert!(actions.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_request_outside_the_declared_scope_is_denied_and_flagged() {
    let guard = guard_with(
        "[[respond]]\non = \"endpoint_out_of_scope\"\nmin_severity = \"high\"\naction = \"quarantine\"",
    );
    let (id, token) = mint(&guard, 6);
    assert!(guard.check(&request(&token, 0), T0 + 1).is_allowed());
    let scan = request(&token, 0).endpoint("GET", "/admin/users");
    let verdict = guard.check(&scan, T0 + 2);
    // Denied by the policy and quarantined by the rule, in the same call.
    assert_eq!(verdict.reasons, [Reason::Quarantined, Reason::ScopeDenied]);
    assert_eq!(verdict.alerts[0].kind, AlertKind::EndpointOutOfScope);
    assert_eq!(verdict.alerts[0].severity, Severity::High);
    assert_eq!(guard.token(&id).unwrap().state.name(), "quarantined");
}

#[test]
fn outcomes_feed_error_bursts_and_rules() {
    let guard = guard_with("[[respond]]\non = \"error_burst\"\naction = \"quarantine\"");
    let (id, token) = mint(&guard, 7);
    let mut raised = None;
    // Probing walks many URLs (a client retrying one URL is not probing) and meets a mix of
    // forbidden and missing (one status over and over has one honest cause).
    let paths: Vec<String> = (0..12).map(|i| format!("/v1/orders/{}", 40 + i)).collect();
    for (i, path) in paths.iter().enumerate() {
        let at = T0 + MIN + i as i64 * 2000;
        let verdict = guard.check(&request(&token, 0).endpoint("GET", path), at);
        assert!(verdict.is_allowed());
        let status = if i % 2 == 0 { 403 } else { 404 };
        let reaction = guard.record_outcome(&verdict.token_id.unwrap(), status, at + 50);
        if !reaction.is_empty() {
            raised = Some((i, reaction));
            break;
        }
    }
    let (i, reaction) = raised.expect("an error burst");
    assert_eq!(i, 5, "the sixth error makes the burst");
    assert_eq!(reaction.alerts[0].kind, AlertKind::ErrorBurst);
    assert_eq!(reaction.actions[0].action, Action::Quarantine);
    assert_eq!(guard.token(&id).unwrap().state.name(), "quarantined");
    let stats = guard.stats(&id, T0 + 2 * MIN).unwrap();
    assert_eq!(stats.total_requests, 6);
    assert_eq!(stats.fine.total.errors, 6);
    // By raw token: same figures.
    assert!(guard
        .record_outcome_token(token.as_bytes(), 200, T0 + 2 * MIN)
        .is_empty());
}

#[test]
fn denials_are_counted_and_unknown_tokens_are_not_tracked() {
    let guard = guard_with("");
    let (id, token) = mint(&guard, 8);
    let outside = request(&token, 0).endpoint("DELETE", "/v1/orders/1");
    for i in 0..3 {
        assert!(!guard.check(&outside, T0 + i * 1000).is_allowed());
    }
    let stats = guard.stats(&id, T0 + 5000).unwrap();
    assert_eq!(stats.fine.total.requests, 3);
    assert_eq!(stats.fine.total.denials, 3);
    let unknown = guard.check(&Request::new("tw_unknown"), T0);
    assert_eq!(unknown.reasons, [Reason::UnknownToken]);
    assert!(guard.stats(&unknown.token_id.unwrap(), T0).is_none());
    assert_eq!(guard.usage().unwrap().len(), 1);
}

#[test]
fn without_usage_checks_raise_nothing() {
    let guard = Guard::new(TokenKey::new(b"k"));
    let minted = guard.mint(&TokenMeta::new(), &[9; 32], T0).unwrap();
    let token = minted.token.expose();
    for n in 0..20 {
        assert!(guard
            .check(&request(token, n), T0 + i64::from(n))
            .alerts
            .is_empty());
    }
    assert!(guard.stats(&minted.id, T0).is_none());
    assert!(guard.record_outcome(&minted.id, 404, T0).is_empty());
    assert!(guard.usage().is_none());
}

#[test]
fn a_dormant_token_waking_is_flagged() {
    let guard = guard_with("[[respond]]\non = \"dormant_wakeup\"\naction = \"deny\"");
    let (_, token) = mint(&guard, 10);
    assert!(guard.check(&request(&token, 0), T0).is_allowed());
    let verdict = guard.check(&request(&token, 0), T0 + 45 * DAY);
    assert_eq!(verdict.alerts[0].kind, AlertKind::DormantWakeup);
    assert_eq!(verdict.reasons, [Reason::AnomalyDenied]);
}

#[test]
fn verdicts_serialize_with_alerts_and_actions() {
    let guard = guard_with("[[respond]]\non = \"ip_fanout\"\naction = \"deny\"");
    let (_, token) = mint(&guard, 11);
    let verdicts = fan_out(&guard, &token);
    let quiet = serde_json::to_value(&verdicts[0]).unwrap();
    assert_eq!(
        quiet.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["decision", "reasons", "token_id"]
    );
    let loud = serde_json::to_value(&verdicts[7]).unwrap();
    assert_eq!(loud["decision"], "deny");
    assert_eq!(loud["reasons"][0], "anomaly_denied");
    assert_eq!(loud["alerts"][0]["kind"], "ip_fanout");
    assert_eq!(loud["actions"][0]["action"], "deny");
    assert_eq!(loud["actions"][0]["on"], "ip_fanout");
}

#[test]
fn alert_events_survive_a_json_round_trip() {
    let guard = guard_with("[[respond]]\non = \"ip_fanout\"\naction = \"quarantine\"");
    let (_, token) = mint(&guard, 12);
    fan_out(&guard, &token);
    let events = guard.drain_events();
    let json: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert!(
        json[1].contains(r#""evidence":{"distinct_ips":8,"#),
        "{}",
        json[1]
    );
    assert!(json[2].contains(r#""cause":"ip_fanout""#), "{}", json[2]);
    let back: Vec<Event> = json
        .iter()
        .map(|j| serde_json::from_str(j).unwrap())
        .collect();
    assert_eq!(back, events);
    tokenward::guard::verify_chain(&back).unwrap();
}

#[test]
fn config_errors_name_the_field() {
    let err = |text: &str| GuardConfig::from_toml(text).unwrap_err().to_string();
    assert_eq!(
        err("[usage]\nlearning_period = 3"),
        "usage: unknown field, expected one of `fine_window`, `coarse_window`, \
         `distinct_period_secs`, `distinct_cap`, `learning_period_secs`, `learning_min_requests`, \
         `baseline_half_life_secs`, `peak_half_life_secs`, `idle_evict_secs`, `forget_after_secs`, \
         `max_tokens`, `max_dormant_records`, `hold_secs`, `track_deltas`, `detectors` (line 2)"
    );
    assert_eq!(
        err("[usage.detectors.ip_fanout]\nfactor = -1.0"),
        "usage.detectors.ip_fanout: factor must be positive and min_distinct_ips at least 1"
    );
    let e = err("[usage]\n[[respond]]\non = \"ip_fanot\"\naction = \"deny\"");
    assert!(
        e.starts_with("respond[0].on: unknown alert kind (expected \"any\" or one of rate_spike"),
        "{e}"
    );
    let e = err("[usage]\n[[respond]]\non = \"any\"\naction = \"ban\"");
    assert!(
        e.starts_with("respond[0].action: unknown variant, expected"),
        "{e}"
    );
    let e = err("[usage]\n[[respond]]\non = \"any\"\naction = \"deny\"\nwhen = 1");
    assert!(
        e.starts_with("respond[0]: unknown field, expected one of `on`"),
        "{e}"
    );
    let e = err("[usage]\n[[respond]]\naction = \"deny\"");
    assert!(e.starts_with("respond[0]: missing field `on`"), "{e}");
    assert_eq!(
        err("[[respond]]\non = \"any\"\naction = \"deny\""),
        "respond: response rules act on usage alerts: add a [usage] section"
    );
    let e = GuardConfig::from_json(r#"{"usage": {}, "respond": [{"on": 3, "action": "deny"}]}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("respond[0].on: invalid type: integer, expected an alert kind"),
        "{e}"
    );
    // A config built in code is checked too.
    let config = GuardConfig {
        respond: GuardConfig::from_toml("[usage]\n[[respond]]\non = \"any\"\naction = \"deny\"")
            .unwrap()
            .respond,
        ..GuardConfig::default()
    };
    assert!(matches!(
        Guard::with_config(TokenKey::new(b"k"), &config),
        Err(GuardError::Policy(_))
    ));
}

#[test]
fn snapshots_carry_usage_state() {
    let guard = guard_with("");
    let (id, token) = mint(&guard, 13);
    for n in 0..5 {
        guard.check(&request(&token, n), T0 + i64::from(n) * 1000);
    }
    guard.record_outcome(&id, 404, T0 + 6000);
    let bytes = guard.snapshot();
    let copy = guard_with("");
    copy.restore(&bytes, T0 + 7000).unwrap();
    assert_eq!(copy.stats(&id, T0 + 7000), guard.stats(&id, T0 + 7000));
    assert_eq!(copy.stats(&id, T0 + 7000).unwrap().total_requests, 5);

    // A Guard with other windows cannot take this usage state, and stays as it was.
    let mut config = GuardConfig::from_toml(USAGE).unwrap();
    config.usage.as_mut().unwrap().fine_window.width_secs = 30;
    let other = Guard::with_config(TokenKey::new(b"usage key"), &config).unwrap();
    let (other_id, _) = mint(&other, 14);
    assert!(matches!(
        other.restore(&bytes, T0),
        Err(GuardError::Snapshot(SnapshotError::Usage(_)))
    ));
    assert!(other.token(&other_id).is_some());

    // A Guard without usage restores the registry and ignores the usage state.
    let plain = Guard::with_config(
        TokenKey::new(b"usage key"),
        &GuardConfig::from_toml("[policies.api]\nendpoints = [\"GET /v1/orders/*\"]").unwrap(),
    )
    .unwrap();
    plain.restore(&bytes, T0).unwrap();
    assert!(plain.token(&id).is_some());
    // And a snapshot without usage state empties a tracking Guard's tracker.
    let tracking = guard_with("");
    let (_, fresh) = mint(&tracking, 15);
    tracking.check(&request(&fresh, 0), T0);
    assert!(!tracking.usage().unwrap().is_empty());
    tracking.restore(&plain.snapshot(), T0).unwrap();
    assert!(tracking.usage().unwrap().is_empty());
}

#[test]
fn concurrent_checks_and_outcomes_lose_no_count() {
    use std::sync::Arc;
    let guard = Arc::new(guard_with(
        "[[respond]]\non = \"ip_fanout\"\naction = \"quarantine\"",
    ));
    let tokens: Vec<(tokenward::TokenId, String)> = (0..4).map(|n| mint(&guard, 40 + n)).collect();
    let tokens = Arc::new(tokens);
    let threads: Vec<_> = (0..2u32)
        .map(|t| {
            let (guard, tokens) = (guard.clone(), tokens.clone());
            std::thread::spawn(move || {
                for i in 0..2000u32 {
                    let (id, token) = &tokens[(i % 4) as usize];
                    // Token 3 fans out over many addresses; the others keep to one.
                    let n = if i % 4 == 3 { t * 5000 + i } else { 1 };
                    let at = T0 + MIN + i64::from(i) * 10;
                    let verdict = guard.check(&request(token, n), at);
                    assert_eq!(verdict.token_id, Some(*id));
                    guard.record_outcome(id, 200, at);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for (n, (id, _)) in tokens.iter().enumerate() {
        let stats = guard.stats(id, T0 + 2 * MIN).unwrap();
        assert_eq!(stats.total_requests, 1000, "token {n}");
        let state = guard.token(id).unwrap().state.name();
        assert_eq!(
            state,
            if n == 3 { "quarantined" } else { "active" },
            "token {n}"
        );
    }
    let alerts = guard
        .drain_events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Alert { .. }))
        .count();
    assert_eq!(
        alerts, 1,
        "one fan-out alert, then quiet: the token is stopped"
    );
}
