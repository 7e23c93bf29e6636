//! The change feed: what one Guard records, another applies to reach the same state, with no
//! echo, idempotently, and without ever making a stopped token work again.

use tokenward::guard::{Change, PolicySpec};
use tokenward::{Guard, GuardConfig, PolicyDoc, Request, Selector, TokenKey, TokenMeta};

const KEY: &[u8] = b"fleet key";

fn guard() -> Guard {
    let config = GuardConfig::from_toml(
        r#"
        [policies.ci]
        allow_ips = ["10.0.0.0/8"]
        "#,
    )
    .unwrap();
    Guard::with_config(TokenKey::new(KEY), &config).unwrap()
}

fn allowed(guard: &Guard, token: &str, now: i64) -> bool {
    let request = Request::new(token).ip("10.1.2.3".parse().unwrap());
    guard.check(&request, now).is_allowed()
}

fn replicate(from: &Guard, to: &Guard, now: i64) -> Vec<Change> {
    let taken = from.take_changes();
    assert_eq!(taken.lost, 0);
    for change in &taken.changes {
        to.apply_change(change, now).unwrap();
    }
    taken.changes
}

#[test]
fn every_lifecycle_change_replicates_and_nothing_echoes() {
    let (a, b) = (guard(), guard());
    assert!(a.enable_changes(1000));
    assert!(b.enable_changes(1000));
    assert!(!a.enable_changes(10), "one replicator per Guard");

    let doc = PolicyDoc::from_toml(r#"allow_ips = ["10.1.0.0/16"]"#).unwrap();
    a.set_policy("narrow", &doc, 1).unwrap();
    let alice = a
        .mint(&TokenMeta::new().owner("alice").policy("ci"), &[1; 32], 2)
        .unwrap();
    let bob = a
        .mint(&TokenMeta::new().owner("bob").policy("narrow"), &[2; 32], 3)
        .unwrap();
    let inline = PolicyDoc::from_toml(r#"allow_ips = ["10.0.0.0/8"]"#).unwrap();
    let carol = a
        .register(
            "tw_carol_registered_token",
            &TokenMeta::new()
                .owner("carol")
                .inline_policy(inline)
                .expires_at(9_000),
            4,
        )
        .unwrap();
    let many = a
        .register_many(
            ["tw_many_one", "tw_many_two"],
            &TokenMeta::new().tag("batch"),
            5,
        )
        .unwrap();
    let rotated = a.rotate(&bob.id, &[3; 32], Some(100), 6).unwrap();
    a.quarantine(&alice.id, 7).unwrap();
    a.release(&alice.id, 8).unwrap();
    a.quarantine(&carol, 9).unwrap();
    a.revoke_where(&Selector::new().tag("batch"), 10).unwrap();

    let changes = replicate(&a, &b, 11);
    // One `revoked` change per shard the selector touched.
    let mut revoked: Vec<_> = changes
        .iter()
        .filter_map(|c| match c {
            Change::Revoked { tokens, .. } => Some(tokens.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    revoked.sort_unstable();
    let mut expected = many.clone();
    expected.sort_unstable();
    assert_eq!(revoked, expected);
    assert_eq!(
        changes.len()
            - (changes
                .iter()
                .filter(|c| matches!(c, Change::Revoked { .. }))
                .count()),
        9
    );
    assert!(
        b.take_changes().changes.is_empty(),
        "applied changes are not recorded"
    );
    assert!(b.policy("narrow").is_some());
    for id in [alice.id, bob.id, rotated.id, carol, many[0], many[1]] {
        assert_eq!(b.token(&id).map(|t| t.state), a.token(&id).map(|t| t.state));
        assert_eq!(b.token(&id).unwrap().owner, a.token(&id).unwrap().owner);
        assert_eq!(
            b.token(&id).unwrap().expires_at,
            a.token(&id).unwrap().expires_at
        );
    }
    for (token, now) in [
        (alice.token.expose(), 12),
        (bob.token.expose(), 50),
        (bob.token.expose(), 200),
        (rotated.token.expose(), 200),
        ("tw_carol_registered_token", 12),
        ("tw_many_one", 12),
    ] {
        assert_eq!(
            allowed(&b, token, now),
            allowed(&a, token, now),
            "{token} at {now}"
        );
    }

    // Applying the same changes again changes nothing.
    for change in &changes {
        assert!(!b.apply_change(change, 13).unwrap().changed, "{change:?}");
    }
}

#[test]
fn a_revocation_of_a_token_not_held_keeps_it_revoked_for_good() {
    let (a, b) = (guard(), guard());
    a.enable_changes(100);
    let minted = a.mint(&TokenMeta::new(), &[1; 32], 0).unwrap();
    a.take_changes(); // b never hears of the registration
    a.revoke(&minted.id, 1).unwrap();
    let applied = b.apply_change(&a.take_changes().changes[0], 2).unwrap();
    assert_eq!(applied.revoked, [minted.id]);
    // A host registering the token later on b cannot make it work.
    assert!(b
        .register(minted.token.expose(), &TokenMeta::new(), 3)
        .is_err());
    assert!(!allowed(&b, minted.token.expose(), 4));
    // A registration arriving late only merges its (active) state: still revoked.
    let late = Change::Registered {
        token: minted.id,
        meta: TokenMeta::new(),
        state: tokenward::TokenState::Active,
    };
    assert!(!b.apply_change(&late, 5).unwrap().changed);
    assert!(!allowed(&b, minted.token.expose(), 6));
}

#[test]
fn an_export_never_weakens_and_fills_in_what_is_missing() {
    let (a, b) = (guard(), guard());
    let one = a.mint(&TokenMeta::new().owner("x"), &[1; 32], 0).unwrap();
    let two = a.mint(&TokenMeta::new().owner("y"), &[2; 32], 0).unwrap();
    let old_state = a.export_changes();
    for change in &old_state {
        b.apply_change(change, 1).unwrap();
    }
    b.revoke(&one.id, 2).unwrap();
    a.revoke(&two.id, 3).unwrap();
    // The old export applied again: one stays revoked.
    for change in &old_state {
        b.apply_change(change, 4).unwrap();
    }
    for change in a.export_changes() {
        b.apply_change(&change, 5).unwrap();
    }
    assert!(!allowed(&b, one.token.expose(), 6));
    assert!(!allowed(&b, two.token.expose(), 6));
    assert_eq!(b.len(), 2);
}

#[test]
fn a_full_feed_counts_what_it_lost_and_the_audit_events_stay() {
    let a = guard();
    a.enable_changes(2);
    for n in 0..5u8 {
        a.mint(&TokenMeta::new(), &[n; 32], 0).unwrap();
    }
    let taken = a.take_changes();
    assert_eq!((taken.changes.len(), taken.lost), (2, 3));
    assert_eq!(a.take_changes().lost, 0);
    assert_eq!(a.drain_events().len(), 5);
    a.disable_changes();
    a.mint(&TokenMeta::new(), &[9; 32], 0).unwrap();
    assert!(a.take_changes().changes.is_empty());
}

#[test]
fn a_fleet_wide_selector_revokes_what_each_guard_holds() {
    let (a, b) = (guard(), guard());
    let here = a
        .mint(&TokenMeta::new().owner("alice"), &[1; 32], 0)
        .unwrap();
    let there = b
        .mint(&TokenMeta::new().owner("alice"), &[2; 32], 0)
        .unwrap();
    let other = b.mint(&TokenMeta::new().owner("bob"), &[3; 32], 0).unwrap();
    let change = Change::RevokedWhere {
        selector: Selector::new().owner("alice"),
        at: 5,
    };
    assert_eq!(a.apply_change(&change, 6).unwrap().revoked, [here.id]);
    assert_eq!(b.apply_change(&change, 6).unwrap().revoked, [there.id]);
    assert!(allowed(&b, other.token.expose(), 7));
    let empty = Change::RevokedWhere {
        selector: Selector::new(),
        at: 5,
    };
    assert!(a.apply_change(&empty, 6).is_err());
}

#[test]
fn changes_serialize_as_tagged_json() {
    let a = guard();
    a.enable_changes(10);
    let minted = a.mint(&TokenMeta::new().policy("ci"), &[1; 32], 0).unwrap();
    a.revoke(&minted.id, 1).unwrap();
    for change in a.take_changes().changes {
        let json = serde_json::to_string(&change).unwrap();
        assert!(!json.contains(minted.token.expose()));
        let back: Change = serde_json::from_str(&json).unwrap();
        assert_eq!(back, change);
        if let Change::Registered { meta, .. } = &back {
            assert_eq!(meta.policy, Some(PolicySpec::Named("ci".into())));
            assert_eq!(meta.issued_at, Some(0));
        }
    }
    let unknown_policy = Change::Registered {
        token: minted.id,
        meta: TokenMeta::new().policy("nope"),
        state: tokenward::TokenState::Active,
    };
    let fresh = guard();
    let err = fresh.apply_change(&unknown_policy, 2).unwrap_err();
    assert_eq!(err.kind(), tokenward::ErrorKind::NotFound);
    assert!(fresh.is_empty());
}

#[test]
fn a_restore_or_replay_asks_for_a_state_export() {
    let a = guard();
    let minted = a.mint(&TokenMeta::new(), &[1; 32], 0).unwrap();
    a.drain_events();
    let backup = a.snapshot();
    a.revoke(&minted.id, 1).unwrap();
    let log = a.drain_events();

    let b = guard();
    b.enable_changes(10);
    b.restore(&backup, 2).unwrap();
    assert_eq!(b.take_changes().lost, 1);
    b.replay_events(&log, 3).unwrap();
    assert_eq!(b.take_changes().lost, 1);
    b.replay_events(&log, 4).unwrap(); // nothing new applied
    assert_eq!(b.take_changes().lost, 0);
}
