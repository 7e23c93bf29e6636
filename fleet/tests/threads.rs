//! Several instances in one process (one Guard and one Fleet each) on a real redis-server.

mod support;

use std::time::Duration;

use support::*;
use tokenward::usage::AlertKind;
use tokenward::{Request, Selector, TokenMeta};
use tokenward_fleet::{Fleet, FleetEvent};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_revocation_on_one_instance_is_denied_on_the_others() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let guards: Vec<_> = (0..3).map(|_| guard("")).collect();
    let fleets: Vec<Fleet> = guards
        .iter()
        .map(|g| attach(g, config(&server, "revoke")))
        .collect();
    assert!(eventually(WAIT, || fleets
        .iter()
        .all(|f| f.health().connected)));

    let alice = guards[0]
        .mint(&TokenMeta::new().owner("alice"), &[1; 32], now())
        .unwrap();
    let bob = guards[1]
        .mint(&TokenMeta::new().owner("bob"), &[2; 32], now())
        .unwrap();
    let (alice, bob) = (alice.token.expose(), bob.token.expose());
    // Registrations travel both ways.
    assert!(eventually(WAIT, || guards.iter().all(|g| allowed(
        g, alice
    ) && allowed(
        g, bob
    ))));

    guards[2]
        .revoke(&guards[2].token_id(alice.as_bytes()), now())
        .unwrap();
    assert!(
        !allowed(&guards[2], alice),
        "in force where it was made at once"
    );
    assert!(eventually(WAIT, || guards
        .iter()
        .all(|g| !allowed(g, alice))));
    assert!(
        guards.iter().all(|g| allowed(g, bob)),
        "nothing else changed"
    );

    // A fleet-wide selector revocation.
    let revoked = fleets[1]
        .revoke_where(&Selector::new().owner("bob"), now())
        .unwrap();
    assert_eq!(revoked.len(), 1);
    assert!(eventually(WAIT, || guards.iter().all(|g| !allowed(g, bob))));

    // No echo: the host's audit events show each change once per instance.
    let events = guards[0].drain_events();
    let revocations = events
        .iter()
        .filter(|e| matches!(e.kind, tokenward::EventKind::Revoked { .. }))
        .count();
    assert_eq!(revocations, 2, "{events:#?}");
    // The writer counts a change once Redis acknowledged it, which may come after a reader
    // elsewhere applied it.
    let published = || -> u64 { fleets.iter().map(|f| f.health().published_changes).sum() };
    assert!(
        eventually(WAIT, || published() >= 4),
        "two registrations, a revocation, a selector"
    );
    assert!(fleets.iter().all(|f| f.health().apply_failures == 0));
}

#[test]
fn a_distributed_fan_out_is_detected_by_the_fleet_and_not_by_one_instance() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let usage = r#"
        [usage]
        track_deltas = true
        [usage.detectors.ip_fanout]
        absolute_distinct_ips = 20
    "#;
    let guards: Vec<_> = (0..3).map(|_| guard(usage)).collect();
    let fleets: Vec<Fleet> = guards
        .iter()
        .map(|g| attach(g, config(&server, "fanout")))
        .collect();
    let lone = guard(usage);
    let minted = guards[0].mint(&TokenMeta::new(), &[3; 32], now()).unwrap();
    lone.register(minted.token.expose(), &TokenMeta::new(), now())
        .unwrap();
    let token = minted.token.expose();
    assert!(eventually(WAIT, || guards
        .iter()
        .all(|g| g.token(&minted.id).is_some())));

    // 24 distinct addresses, 8 per instance: each instance alone sees 8 < 20.
    let request = |n: u32| {
        let ip = format!("198.51.100.{n}").parse().unwrap();
        Request::new(token).ip(ip)
    };
    for (i, guard) in guards.iter().enumerate() {
        for n in 0..8 {
            let ip = (i as u32) * 8 + n;
            let verdict = guard.check(&request(ip), now());
            assert!(verdict.alerts.is_empty(), "instance {i} alone alerted");
            // The lone Guard sees what instance 0 saw, and more: still below the threshold.
            if i == 0 {
                assert!(lone.check(&request(ip), now()).alerts.is_empty());
            }
        }
    }
    // The deltas reach each instance within about one interval.
    assert!(eventually(WAIT, || fleets
        .iter()
        .all(|f| f.health().deltas_merged >= 2)));
    let verdict = guards[0].check(&request(100), now());
    let kinds: Vec<AlertKind> = verdict.alerts.iter().map(|a| a.kind).collect();
    assert!(kinds.contains(&AlertKind::IpFanout), "fleet: {kinds:?}");
    let alone = lone.check(&request(100), now());
    assert!(
        !alone.alerts.iter().any(|a| a.kind == AlertKind::IpFanout),
        "one instance alone must not see it"
    );
}

#[test]
fn redis_killed_and_restarted_mid_run_loses_no_revocation() {
    let Some(mut server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (guard(""), guard(""));
    let fleet_a = attach(&a, config(&server, "restart"));
    let fleet_b = attach(&b, config(&server, "restart"));
    let tokens: Vec<_> = (0..3u8)
        .map(|n| a.mint(&TokenMeta::new(), &[10 + n; 32], now()).unwrap())
        .collect();
    let raw = |n: usize| tokens[n].token.expose();
    assert!(eventually(WAIT, || (0..3).all(|n| allowed(&b, raw(n)))));
    a.revoke(&tokens[0].id, now()).unwrap();
    assert!(eventually(WAIT, || !allowed(&b, raw(0))));

    server.kill();
    assert!(eventually(WAIT, || !fleet_a.health().connected));
    // Fail-static: checks go on locally; a revocation made now is queued.
    assert!(allowed(&a, raw(1)));
    a.revoke(&tokens[1].id, now()).unwrap();
    assert!(!allowed(&a, raw(1)));
    assert!(eventually(WAIT, || fleet_a.health().queued >= 1));
    assert!(!fleet_a.flush(Duration::from_millis(50)));
    assert!(fleet_a
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::Disconnected { .. })));
    assert!(allowed(&b, raw(1)), "b cannot know yet");

    server.restart(); // empty: the fleet's data is gone
    assert!(fleet_a.flush(WAIT));
    assert!(eventually(WAIT, || !allowed(&b, raw(1))));
    assert!(!allowed(&b, raw(0)));
    assert!(allowed(&b, raw(2)));
    assert!(fleet_a
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::RedisDataLost)));

    // A late joiner after the restart knows both revocations (republished by the others).
    let c = guard("");
    let _fleet_c = attach(&c, config(&server, "restart"));
    assert!(eventually(WAIT, || allowed(&c, raw(2))));
    assert!(!allowed(&c, raw(0)) && !allowed(&c, raw(1)));
    drop(fleet_b);
}

#[test]
fn a_late_joiner_starts_from_the_snapshot_and_the_tail() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let a = guard("");
    let snapshotting = config(&server, "late")
        .snapshot(Duration::from_millis(50), 20)
        .retain(Duration::ZERO);
    let fleet_a = attach(&a, snapshotting);
    let minted: Vec<_> = (0..60u8)
        .map(|n| {
            let minted = a
                .mint(&TokenMeta::new().owner("x"), &[n; 32], now())
                .unwrap();
            assert!(fleet_a.flush(WAIT)); // one entry each: a long stream
            minted
        })
        .collect();
    for m in &minted[..20] {
        a.revoke(&m.id, now()).unwrap();
        assert!(fleet_a.flush(WAIT));
    }
    assert!(eventually(WAIT, || fleet_a
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::SnapshotWritten { .. }))));
    let mut conn = server.conn();
    let length: u64 = redis::cmd("XLEN")
        .arg("{late}:changes")
        .query(&mut conn)
        .unwrap();
    assert!(length < 60, "trimmed: {length} entries left");

    // Changes after the snapshot come from the tail.
    let tail = a.mint(&TokenMeta::new(), &[200; 32], now()).unwrap();
    a.revoke(&minted[30].id, now()).unwrap();
    assert!(fleet_a.flush(WAIT));

    let late = guard("");
    let fleet_late = attach(&late, config(&server, "late"));
    assert!(eventually(WAIT, || allowed(&late, tail.token.expose())));
    assert!(eventually(WAIT, || !allowed(
        &late,
        minted[30].token.expose()
    )));
    for (n, m) in minted.iter().enumerate() {
        let expected = !(n < 20 || n == 30);
        assert_eq!(allowed(&late, m.token.expose()), expected, "token {n}");
    }
    assert!(fleet_late
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::SnapshotLoaded { .. })));
}

#[test]
fn attaching_twice_or_without_deltas_is_refused() {
    let a = guard("");
    let config = tokenward_fleet::FleetConfig::new("redis://127.0.0.1:1").unwrap();
    let fleet = attach(&a, config.clone());
    let err = Fleet::attach(a.clone(), config.clone()).unwrap_err();
    assert_eq!(err.kind(), tokenward::ErrorKind::Conflict);
    // Redis at port 1 is unreachable: a state, not an error.
    assert!(eventually(WAIT, || fleet.health().last_error.is_some()));
    assert!(!fleet.health().connected);
    fleet.detach();
    let no_deltas = guard("[usage]\ntrack_deltas = false\n");
    let err = Fleet::attach(no_deltas, config).unwrap_err();
    assert_eq!(err.kind(), tokenward::ErrorKind::Config);
}

#[test]
fn an_instance_the_stream_was_trimmed_past_reloads_the_snapshot() {
    let Some(server) = RedisServer::start() else {
        return;
    };
    let (a, b) = (guard(""), guard(""));
    let writer = config(&server, "gap").snapshot(Duration::from_millis(50), 1);
    let fleet_a = attach(&a, writer);
    let fleet_b = attach(&b, config(&server, "gap"));
    let minted = a.mint(&TokenMeta::new(), &[1; 32], now()).unwrap();
    assert!(eventually(WAIT, || allowed(&b, minted.token.expose())));
    assert!(eventually(WAIT, || fleet_a
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::SnapshotWritten { .. }))));
    fleet_b.drain_events();

    // As if a snapshot had trimmed everything up to far ahead of b's position.
    let mut conn = server.conn();
    let _: () = redis::cmd("SET")
        .arg("{gap}:trimmed")
        .arg(format!("{}-0", now() + 60_000))
        .query(&mut conn)
        .unwrap();
    assert!(eventually(WAIT, || fleet_b
        .drain_events()
        .iter()
        .any(|e| matches!(e, FleetEvent::SnapshotLoaded { .. }))));
    assert!(allowed(&b, minted.token.expose()));
}
