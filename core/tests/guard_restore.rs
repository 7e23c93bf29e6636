//! Restoring never makes a stopped token work again, and replaying the audit events written
//! since a snapshot brings a fresh Guard up to date.

use proptest::prelude::*;
use tokenward::guard::{ChainErrorKind, ChainHead, Event, EventKind, ReplayError, TokenState};
use tokenward::{Guard, GuardConfig, GuardError, PolicyDoc, Reason, Request, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;
const CONFIG: &str = r#"
[policies.ops]
allow_ips = ["10.0.0.0/8"]
rotation_grace = "10m"
"#;

fn key() -> TokenKey {
    TokenKey::new(b"restore key")
}

fn guard() -> Guard {
    Guard::with_config(key(), &GuardConfig::from_toml(CONFIG).unwrap()).unwrap()
}

fn reasons(g: &Guard, raw: &str, at: i64) -> Vec<Reason> {
    let request = Request::new(raw).ip("10.1.2.3".parse().unwrap());
    g.check(&request, at).reasons
}

/// A running Guard with one token, a backup taken before `change` ran on it, and the audit
/// events written since the backup.
struct Scene {
    running: Guard,
    raw: String,
    backup: Vec<u8>,
    since: Vec<Event>,
}

fn scene(change: impl FnOnce(&Guard, &tokenward::token::TokenId)) -> Scene {
    let running = guard();
    let minted = running
        .mint(&TokenMeta::new().owner("ops").policy("ops"), &[1; 32], T0)
        .unwrap();
    running.drain_events(); // written to the audit log before the backup
    let backup = running.snapshot();
    change(&running, &minted.id);
    let since = running.drain_events();
    Scene {
        running,
        raw: minted.token.into_string(),
        backup,
        since,
    }
}

/// A fresh process: the backup restored, then the events since replayed.
fn fresh_from(scene: &Scene) -> Guard {
    let fresh = guard();
    fresh.restore(&scene.backup, T0 + 50).unwrap();
    fresh.replay_events(&scene.since, T0 + 51).unwrap();
    fresh
}

#[test]
fn a_backup_from_before_a_revocation_does_not_revoke_the_revocation() {
    let s = scene(|g, id| assert_eq!(g.revoke(id, T0 + 1), Ok(true)));
    s.running.restore(&s.backup, T0 + 2).unwrap();
    assert_eq!(reasons(&s.running, &s.raw, T0 + 3), [Reason::Revoked]);
    // Without the replay a fresh process knows nothing of the revocation; with it, it does.
    let unaware = guard();
    unaware.restore(&s.backup, T0 + 2).unwrap();
    assert!(reasons(&unaware, &s.raw, T0 + 3).is_empty());
    assert_eq!(reasons(&fresh_from(&s), &s.raw, T0 + 3), [Reason::Revoked]);
}

#[test]
fn a_backup_from_before_a_quarantine_does_not_release_it() {
    let s = scene(|g, id| g.quarantine(id, T0 + 1).unwrap());
    s.running.restore(&s.backup, T0 + 2).unwrap();
    assert_eq!(reasons(&s.running, &s.raw, T0 + 3), [Reason::Quarantined]);
    assert_eq!(
        reasons(&fresh_from(&s), &s.raw, T0 + 3),
        [Reason::Quarantined]
    );
}

#[test]
fn a_backup_from_before_a_rotation_does_not_extend_its_grace() {
    let mut new_raw = String::new();
    let s = scene(|g, id| {
        let new = g.rotate(id, &[2; 32], Some(60_000), T0 + 10).unwrap();
        new_raw = new.token.into_string();
    });
    let grace_end = T0 + 10 + 60_000;
    s.running.restore(&s.backup, T0 + 20).unwrap();
    let fresh = fresh_from(&s);
    for g in [&s.running, &fresh] {
        assert!(reasons(g, &s.raw, grace_end - 1).is_empty());
        assert_eq!(reasons(g, &s.raw, grace_end), [Reason::Rotated]);
        // The replay created the new token as the rotation did: same metadata and policy.
        assert!(reasons(g, &new_raw, grace_end).is_empty());
        let new = g.token(&g.token_id(new_raw.as_bytes())).unwrap();
        assert_eq!(
            (new.owner.as_deref(), new.policy.as_deref(), new.issued_at),
            (Some("ops"), Some("ops"), T0 + 10)
        );
    }
    // A backup taken inside the grace, restored after it, keeps the same end.
    let during = s.running.snapshot();
    let later = guard();
    later.restore(&during, grace_end + 5).unwrap();
    assert_eq!(reasons(&later, &s.raw, grace_end), [Reason::Rotated]);
}

#[test]
fn a_release_after_the_backup_stands_and_a_later_quarantine_does_too() {
    // Backup while quarantined, then released: restoring the backup does not re-quarantine.
    let s = scene(|g, id| g.quarantine(id, T0 + 1).unwrap());
    let id = s.running.token_id(s.raw.as_bytes());
    let quarantined_backup = s.running.snapshot();
    s.running.drain_events();
    s.running.release(&id, T0 + 2).unwrap();
    let released = s.running.drain_events();
    s.running.restore(&quarantined_backup, T0 + 3).unwrap();
    assert!(reasons(&s.running, &s.raw, T0 + 4).is_empty());
    let fresh = guard();
    fresh.restore(&quarantined_backup, T0 + 3).unwrap();
    assert_eq!(reasons(&fresh, &s.raw, T0 + 4), [Reason::Quarantined]);
    fresh.replay_events(&released, T0 + 5).unwrap();
    assert!(reasons(&fresh, &s.raw, T0 + 6).is_empty());
    // Quarantined again after that: the released backup does not lift the new quarantine.
    let released_backup = s.running.snapshot();
    s.running.quarantine(&id, T0 + 7).unwrap();
    s.running.restore(&released_backup, T0 + 8).unwrap();
    assert_eq!(reasons(&s.running, &s.raw, T0 + 9), [Reason::Quarantined]);
    // A replayed release never lifts a quarantine that began after it.
    let elsewhere = guard();
    elsewhere.restore(&s.backup, T0 + 3).unwrap();
    elsewhere.quarantine(&id, T0 + 100).unwrap();
    let log: Vec<Event> = s.since.iter().chain(&released).cloned().collect();
    elsewhere.replay_events(&log, T0 + 101).unwrap();
    let state = elsewhere.token(&id).unwrap().state;
    assert_eq!(state, TokenState::Quarantined { at: T0 + 100 });
}

#[test]
fn the_running_guards_policies_win_over_the_snapshots() {
    let s = scene(|_, _| {});
    let tight = PolicyDoc {
        allow_ips: vec!["10.9.0.0/16".into()],
        ..PolicyDoc::default()
    };
    s.running.set_policy("ops", &tight, T0 + 1).unwrap();
    assert_eq!(reasons(&s.running, &s.raw, T0 + 2), [Reason::IpNotAllowed]);
    s.running.restore(&s.backup, T0 + 3).unwrap();
    assert_eq!(reasons(&s.running, &s.raw, T0 + 4), [Reason::IpNotAllowed]);
    assert_eq!(
        s.running.policy("ops").unwrap().doc().allow_ips,
        ["10.9.0.0/16"]
    );
    // A fresh process's config wins too ...
    let config = "[policies.ops]\nallow_ips = [\"10.9.0.0/16\"]\n";
    let configured = Guard::with_config(key(), &GuardConfig::from_toml(config).unwrap()).unwrap();
    configured.restore(&s.backup, T0 + 3).unwrap();
    assert_eq!(reasons(&configured, &s.raw, T0 + 4), [Reason::IpNotAllowed]);
    // ... and the snapshot's policy serves only a Guard that has none of that name.
    let bare = Guard::new(key());
    bare.restore(&s.backup, T0 + 3).unwrap();
    assert!(reasons(&bare, &s.raw, T0 + 4).is_empty());
    let outside = Request::new(&s.raw).ip("192.0.2.1".parse().unwrap());
    assert_eq!(bare.check(&outside, T0 + 5).reasons, [Reason::IpNotAllowed]);
}

#[test]
fn an_expiry_never_moves_later() {
    let id = Guard::new(key()).token_id(b"tw_shared_token_value");
    let short = Guard::new(key());
    short
        .register_id(id, &TokenMeta::new().expires_at(T0 + 1_000), T0)
        .unwrap();
    let long = Guard::new(key());
    long.register_id(id, &TokenMeta::new().expires_at(T0 + 5_000), T0)
        .unwrap();
    long.restore(&short.snapshot(), T0).unwrap();
    assert_eq!(long.token(&id).unwrap().expires_at, Some(T0 + 1_000));
    short.restore(&long.snapshot(), T0).unwrap();
    assert_eq!(short.token(&id).unwrap().expires_at, Some(T0 + 1_000));
}

#[test]
fn replaying_twice_changes_nothing_more() {
    let s = scene(|g, id| {
        g.quarantine(id, T0 + 1).unwrap();
        g.release(id, T0 + 2).unwrap();
        g.revoke(id, T0 + 3).unwrap();
    });
    let fresh = guard();
    fresh.restore(&s.backup, T0 + 10).unwrap();
    let first = fresh.replay_events(&s.since, T0 + 11).unwrap();
    assert_eq!((first.applied, first.already_applied), (3, 0));
    assert_eq!(first.head, ChainHead::of(s.since.last().unwrap()));
    let state = fresh.snapshot();
    let head = fresh.chain_head();
    let again = fresh.replay_events(&s.since, T0 + 12).unwrap();
    assert_eq!((again.applied, again.already_applied), (0, 3));
    assert_eq!(
        fresh.snapshot(),
        state,
        "the second replay changed the state"
    );
    assert_eq!(
        fresh.chain_head(),
        head,
        "the second replay emitted an event"
    );
    assert_eq!(reasons(&fresh, &s.raw, T0 + 13), [Reason::Revoked]);
    // The chain records the replay once, and where the replayed chain stood.
    let replays: Vec<EventKind> = fresh
        .drain_events()
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| matches!(k, EventKind::Replayed { .. }))
        .collect();
    let expected = EventKind::Replayed {
        head: first.head,
        applied: 3,
    };
    assert_eq!(replays, [expected]);
}

#[test]
fn a_log_that_starts_before_the_snapshot_is_replayed_from_it() {
    let running = guard();
    let a = running.mint(&TokenMeta::new(), &[1; 32], T0).unwrap();
    running.quarantine(&a.id, T0 + 1).unwrap();
    let mut log = running.drain_events();
    let backup = running.snapshot();
    running.release(&a.id, T0 + 2).unwrap();
    running.revoke(&a.id, T0 + 3).unwrap();
    log.extend(running.drain_events());
    let fresh = guard();
    fresh.restore(&backup, T0 + 4).unwrap();
    let summary = fresh.replay_events(&log, T0 + 5).unwrap();
    assert_eq!((summary.already_applied, summary.applied), (2, 2));
    assert_eq!(reasons(&fresh, a.token.expose(), T0 + 6), [Reason::Revoked]);
}

#[test]
fn broken_or_detached_chains_are_rejected_and_change_nothing() {
    let s = scene(|g, id| {
        g.quarantine(id, T0 + 1).unwrap();
        g.revoke(id, T0 + 2).unwrap();
    });
    let fresh = guard();
    fresh.restore(&s.backup, T0 + 10).unwrap();
    let before = fresh.snapshot();
    let rejected = |events: &[Event]| {
        let error = fresh.replay_events(events, T0 + 11).unwrap_err();
        assert_eq!(
            fresh.snapshot(),
            before,
            "a rejected replay changed the Guard"
        );
        match error {
            GuardError::Replay(e) => e,
            other => panic!("expected a replay error, got {other:?}"),
        }
    };
    // An altered event: the next one's prev_hash no longer matches.
    let mut altered = s.since.clone();
    altered[0].at += 1;
    assert!(matches!(
        rejected(&altered),
        ReplayError::Broken(e) if e.at == 1 && e.kind == ChainErrorKind::HashMismatch
    ));
    // An event removed from the start: the rest does not follow the snapshot.
    assert_eq!(
        rejected(&s.since[1..]),
        ReplayError::Detached {
            applied: s.since[0].seq - 1,
            found: s.since[1].seq,
            kind: ChainErrorKind::SequenceGap
        }
    );
    // Another Guard's events with the same sequence numbers: another chain.
    let foreign = {
        let g = guard();
        g.mint(&TokenMeta::new().owner("elsewhere"), &[7; 32], T0)
            .unwrap();
        g.drain_events();
        g.mint(&TokenMeta::new(), &[8; 32], T0).unwrap();
        g.drain_events()
    };
    assert_eq!(foreign[0].seq, s.since[0].seq);
    assert!(matches!(
        rejected(&foreign),
        ReplayError::Detached {
            kind: ChainErrorKind::HashMismatch,
            ..
        }
    ));
    // The error names no token and no secret.
    let message = GuardError::Replay(rejected(&altered)).to_string();
    assert!(
        !message.contains(&s.raw) && message.contains("index 1"),
        "{message}"
    );
    // The untouched events still replay.
    fresh.replay_events(&s.since, T0 + 12).unwrap();
    assert_eq!(reasons(&fresh, &s.raw, T0 + 13), [Reason::Revoked]);
}

#[test]
fn registrations_after_the_snapshot_are_reported_not_replayed() {
    let mut later = Vec::new();
    let s = scene(|g, _| {
        let kept = g.mint(&TokenMeta::new(), &[3; 32], T0 + 1).unwrap();
        let dropped = g.mint(&TokenMeta::new(), &[4; 32], T0 + 1).unwrap();
        g.revoke(&dropped.id, T0 + 2).unwrap();
        later.push(kept);
        later.push(dropped);
    });
    let fresh = guard();
    fresh.restore(&s.backup, T0 + 10).unwrap();
    let summary = fresh.replay_events(&s.since, T0 + 11).unwrap();
    assert_eq!(summary.to_register, [later[0].id]);
    assert_eq!(summary.stopped_unknown, [later[1].id]);
    assert_eq!(summary.applied, 0);
    assert_eq!(
        reasons(&fresh, later[0].token.expose(), T0 + 12),
        [Reason::UnknownToken]
    );
}

#[test]
fn a_guard_with_events_keeps_its_own_chain_through_a_restore() {
    let s = scene(|g, id| g.revoke(id, T0 + 1).map(drop).unwrap());
    let head = s.running.chain_head();
    s.running.restore(&s.backup, T0 + 2).unwrap();
    let events = s.running.drain_events();
    assert_eq!(tokenward::guard::verify_chain_from(&head, &events), Ok(()));
    assert!(matches!(events[0].kind, EventKind::Restored { tokens: 1 }));
}

/// A lifecycle operation in the property test.
#[derive(Debug, Clone)]
enum Op {
    Mint,
    Revoke(usize),
    Quarantine(usize),
    Release(usize),
    Rotate(usize, i64),
    Snapshot,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Mint),
        1 => any::<usize>().prop_map(Op::Revoke),
        2 => any::<usize>().prop_map(Op::Quarantine),
        2 => any::<usize>().prop_map(Op::Release),
        2 => (any::<usize>(), 0i64..5_000).prop_map(|(i, g)| Op::Rotate(i, g)),
        1 => Just(Op::Snapshot),
    ]
}

/// What running `ops` left: the Guard, its raw tokens, its snapshots and the whole audit log.
struct Run {
    guard: Guard,
    tokens: Vec<String>,
    snapshots: Vec<Vec<u8>>,
    log: Vec<Event>,
}

fn run(ops: &[Op]) -> Run {
    let g = guard();
    let (mut tokens, mut snapshots, mut log) = (Vec::new(), vec![g.snapshot()], Vec::new());
    let mut seed = 0u32;
    for (step, op) in ops.iter().enumerate() {
        let now = T0 + step as i64 * 1000;
        seed += 1;
        let mut random = [0u8; 32];
        random[..4].copy_from_slice(&seed.to_le_bytes());
        let pick = |i: &usize| {
            let raw: &String = tokens.get(i % tokens.len().max(1))?;
            Some(g.token_id(raw.as_bytes()))
        };
        match op {
            Op::Mint => {
                let meta = TokenMeta::new().owner("o").policy("ops");
                tokens.push(g.mint(&meta, &random, now).unwrap().token.into_string());
            }
            Op::Revoke(i) => drop(pick(i).map(|id| g.revoke(&id, now))),
            Op::Quarantine(i) => drop(pick(i).map(|id| g.quarantine(&id, now))),
            Op::Release(i) => drop(pick(i).map(|id| g.release(&id, now))),
            Op::Rotate(i, grace) => {
                if let Some(Ok(m)) = pick(i).map(|id| g.rotate(&id, &random, Some(*grace), now)) {
                    tokens.push(m.token.into_string());
                }
            }
            Op::Snapshot => {
                log.extend(g.drain_events());
                snapshots.push(g.snapshot());
            }
        }
        log.extend(g.drain_events());
    }
    Run {
        guard: g,
        tokens,
        snapshots,
        log,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A token stopped at any time before a restore is still stopped after it, whichever
    /// earlier snapshot is restored; a fresh Guard restored from it and replayed the log has
    /// the same state for every token it holds and lists every other usable one.
    #[test]
    fn no_restore_restarts_a_stopped_token(
        ops in proptest::collection::vec(op(), 0..60),
        pick in any::<usize>(),
    ) {
        let r = run(&ops);
        let backup = &r.snapshots[pick % r.snapshots.len()];
        let end = T0 + 1_000_000_000;
        let ids: Vec<_> = r.tokens.iter().map(|t| r.guard.token_id(t.as_bytes())).collect();
        let denied: Vec<Vec<Reason>> = r.tokens.iter().map(|t| reasons(&r.guard, t, end)).collect();

        let fresh = guard();
        fresh.restore(backup, end).unwrap();
        let summary = fresh.replay_events(&r.log, end).unwrap();
        prop_assert_eq!(summary.lost, 0);
        for (i, id) in ids.iter().enumerate() {
            match fresh.token(id) {
                Some(info) => prop_assert_eq!(Some(info.state), r.guard.token(id).map(|t| t.state)),
                None if denied[i].is_empty() => prop_assert!(summary.to_register.contains(id)),
                None => {}
            }
            if !denied[i].is_empty() {
                prop_assert!(!reasons(&fresh, &r.tokens[i], end).is_empty(), "token {} works again", i);
            }
        }

        let before: Vec<_> = ids.iter().map(|id| r.guard.token(id)).collect();
        r.guard.restore(backup, end).unwrap();
        for (i, id) in ids.iter().enumerate() {
            prop_assert_eq!(&r.guard.token(id), &before[i]);
            prop_assert_eq!(reasons(&r.guard, &r.tokens[i], end), denied[i].clone());
        }
    }
}

#[test]
fn a_replayed_rotation_of_a_token_stopped_here_hands_on_no_successor() {
    // Found in review: replaying `rotated {T -> T2}` into a Guard where T had since been
    // revoked (an incident response by selector) created T2 active, unseen by the revocation.
    let mut successor = None;
    let s = scene(|g, id| {
        let new = g.rotate(id, &[2; 32], None, T0 + 1).unwrap();
        successor = Some(new.token.into_string());
    });
    let successor = successor.unwrap();
    let fresh = guard();
    fresh.restore(&s.backup, T0 + 50).unwrap();
    let revoked = fresh
        .revoke_where(&tokenward::Selector::new().owner("ops"), T0 + 50)
        .unwrap();
    assert_eq!(revoked.len(), 1);
    fresh.replay_events(&s.since, T0 + 51).unwrap();
    assert_eq!(reasons(&fresh, &s.raw, T0 + 52), [Reason::Revoked]);
    assert_eq!(reasons(&fresh, &successor, T0 + 52), [Reason::UnknownToken]);
    // Where the token was not stopped, the rotation replays whole.
    let replayed = fresh_from(&s);
    assert_eq!(
        reasons(&replayed, &successor, T0 + 52),
        Vec::<Reason>::new()
    );
}
