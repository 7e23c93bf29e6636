//! Rotation with grace, revocation by selector, quarantine and release, and their events.

use tokenward::guard::{verify_chain, EventKind, TokenState};
use tokenward::{Guard, GuardConfig, GuardError, Reason, Request, Selector, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;

fn guard() -> Guard {
    let config = GuardConfig::from_toml("[policies.graceful]\nrotation_grace = \"10m\"").unwrap();
    Guard::with_config(TokenKey::new(b"lifecycle"), &config).unwrap()
}

#[test]
fn rotation_keeps_the_old_token_for_the_grace_window() {
    let g = guard();
    let old = g
        .mint(
            &TokenMeta::new()
                .owner("a")
                .tag("t")
                .policy("graceful")
                .expires_at(T0 + 1_000_000),
            &[1; 32],
            T0,
        )
        .unwrap();
    let new = g.rotate(&old.id, &[2; 32], None, T0 + 100).unwrap();
    let check = |raw: &str, at| g.check(&Request::new(raw), at).reasons;
    // The policy's grace (10 minutes) applies when the rotation names none.
    assert!(check(old.token.expose(), T0 + 100 + 599_999).is_empty());
    assert_eq!(
        check(old.token.expose(), T0 + 100 + 600_000),
        [Reason::Rotated]
    );
    assert!(check(new.token.expose(), T0 + 100 + 600_000).is_empty());
    let old_info = g.token(&old.id).unwrap();
    assert_eq!(
        old_info.state,
        TokenState::Rotated {
            to: new.id,
            grace_end: T0 + 100 + 600_000
        }
    );
    let new_info = g.token(&new.id).unwrap();
    assert_eq!(
        (new_info.owner.as_deref(), new_info.tags.clone()),
        (Some("a"), vec!["t".to_string()])
    );
    assert_eq!(new_info.policy.as_deref(), Some("graceful"));
    assert_eq!(
        (new_info.issued_at, new_info.expires_at),
        (T0 + 100, Some(T0 + 100 + 1_000_000))
    );
    // A rotated token cannot be rotated again; the new one can.
    assert!(matches!(
        g.rotate(&old.id, &[3; 32], None, T0),
        Err(GuardError::InvalidState {
            action: "rotate",
            state: "rotated",
            ..
        })
    ));
    let newest = g.rotate(&new.id, &[4; 32], Some(0), T0 + 200).unwrap();
    assert_eq!(check(new.token.expose(), T0 + 200), [Reason::Rotated]);
    assert!(check(newest.token.expose(), T0 + 200).is_empty());
    assert!(matches!(
        g.rotate(&newest.id, &[5; 32], Some(-1), T0),
        Err(GuardError::InvalidArgument { .. })
    ));
    // Reused randomness would collide with an existing token: refused, and the old one stays.
    assert_eq!(
        g.rotate(&newest.id, &[4; 32], None, T0 + 300).unwrap_err(),
        GuardError::AlreadyRegistered(newest.id)
    );
    assert_eq!(g.token(&newest.id).unwrap().state, TokenState::Active);
}

#[test]
fn revoking_by_selector_returns_the_blast_radius() {
    let g = guard();
    let mk = |n: u8, owner: &str, service: &str, env: &str, tags: &[&str]| {
        let mut meta = TokenMeta::new()
            .owner(owner)
            .service(service)
            .environment(env);
        for t in tags {
            meta = meta.tag(*t);
        }
        g.mint(&meta, &[n; 32], T0).unwrap().id
    };
    let a = mk(1, "alice", "billing", "prod", &["laptop"]);
    let b = mk(2, "alice", "billing", "staging", &["ci", "laptop"]);
    let c = mk(3, "bob", "billing", "prod", &["laptop"]);
    let d = mk(4, "alice", "search", "prod", &[]);
    let sorted = |mut v: Vec<_>| {
        v.sort();
        v
    };
    assert_eq!(
        g.revoke_where(&Selector::new(), T0),
        Err(GuardError::EmptySelector)
    );
    assert_eq!(
        g.revoke_where(&Selector::new().owner("nobody"), T0)
            .unwrap(),
        vec![]
    );
    assert_eq!(
        g.revoke_where(
            &Selector::new()
                .owner("alice")
                .tag("laptop")
                .environment("prod"),
            T0
        )
        .unwrap(),
        vec![a]
    );
    assert_eq!(
        g.revoke_where(&Selector::new().tag("laptop"), T0).unwrap(),
        sorted(vec![b, c])
    );
    // Already revoked tokens are not counted again.
    assert_eq!(
        g.revoke_where(&Selector::new().service("billing"), T0)
            .unwrap(),
        vec![]
    );
    assert_eq!(
        g.revoke_where(&Selector::new().owner("alice"), T0).unwrap(),
        vec![d]
    );
    for id in [a, b, c, d] {
        assert!(matches!(
            g.token(&id).unwrap().state,
            TokenState::Revoked { at: T0 }
        ));
    }
}

#[test]
fn quarantine_and_release_follow_their_states() {
    let g = guard();
    let m = g.mint(&TokenMeta::new(), &[1; 32], T0).unwrap();
    let unknown = g.token_id(b"nope");
    assert_eq!(
        g.quarantine(&unknown, T0),
        Err(GuardError::UnknownToken(unknown))
    );
    assert!(matches!(
        g.release(&m.id, T0),
        Err(GuardError::InvalidState {
            action: "release",
            state: "active",
            ..
        })
    ));
    g.quarantine(&m.id, T0).unwrap();
    assert!(matches!(
        g.quarantine(&m.id, T0),
        Err(GuardError::InvalidState {
            state: "quarantined",
            ..
        })
    ));
    assert!(matches!(
        g.rotate(&m.id, &[2; 32], None, T0),
        Err(GuardError::InvalidState { .. })
    ));
    g.release(&m.id, T0 + 1).unwrap();
    g.revoke(&m.id, T0 + 2).unwrap();
    assert!(matches!(
        g.quarantine(&m.id, T0),
        Err(GuardError::InvalidState {
            state: "revoked",
            ..
        })
    ));
    let message = g.release(&m.id, T0).unwrap_err().to_string();
    assert_eq!(
        message,
        format!("cannot release token {}: it is revoked", m.id)
    );
}

#[test]
fn every_state_change_is_a_chained_event() {
    let g = guard();
    let m = g.mint(&TokenMeta::new().owner("o"), &[1; 32], T0).unwrap();
    let r = g
        .register("external-token-abc", &TokenMeta::new().service("s"), T0 + 1)
        .unwrap();
    g.quarantine(&m.id, T0 + 2).unwrap();
    g.release(&m.id, T0 + 3).unwrap();
    let n = g.rotate(&m.id, &[2; 32], Some(5), T0 + 4).unwrap();
    g.revoke(&r, T0 + 5).unwrap();
    let head_before = g.chain_head();
    let events = g.drain_events();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e.kind {
            EventKind::Minted { .. } => "minted",
            EventKind::Registered { .. } => "registered",
            EventKind::Quarantined { .. } => "quarantined",
            EventKind::Released { .. } => "released",
            EventKind::Rotated { .. } => "rotated",
            EventKind::Revoked { .. } => "revoked",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "minted",
            "registered",
            "quarantined",
            "released",
            "rotated",
            "revoked"
        ]
    );
    assert_eq!(
        events[4].kind,
        EventKind::Rotated {
            from: m.id,
            to: n.id,
            grace_end: T0 + 9
        }
    );
    assert_eq!(
        events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5, 6]
    );
    assert_eq!(verify_chain(&events), Ok(()));
    assert_eq!(head_before.seq, 6);
    assert_eq!(head_before.hash, events[5].hash());
    // The next batch continues the chain from the kept head.
    g.revoke(&n.id, T0 + 6).unwrap();
    let next = g.drain_events();
    assert_eq!(
        tokenward::guard::verify_chain_from(&head_before, &next),
        Ok(())
    );
    // No event holds a raw token.
    let log: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert!(!log.contains(&m.token.expose()[3..]));
    assert!(!log.contains("external-token-abc"));
}

#[test]
fn bulk_registration_is_all_or_none_and_audited_in_batches() {
    let guard = Guard::new(TokenKey::new(b"bulk"));
    let raw: Vec<String> = (0..2500).map(|i| format!("tw_bulk_token_{i:06}")).collect();
    let meta = TokenMeta::new().owner("tenant-7").tag("import");
    let ids = guard
        .register_many(raw.iter().map(String::as_str), &meta, 5)
        .unwrap();
    assert_eq!(ids.len(), 2500);
    assert_eq!(guard.len(), 2500);
    assert_eq!(ids[9], guard.token_id(raw[9].as_bytes()));
    let info = guard.token(&ids[2499]).unwrap();
    assert_eq!(info.owner.as_deref(), Some("tenant-7"));
    assert_eq!(info.issued_at, 5);
    let events = guard.drain_events();
    let batches: Vec<usize> = events
        .iter()
        .map(|e| match &e.kind {
            EventKind::RegisteredBatch { tokens, meta } => {
                assert_eq!(meta.owner.as_deref(), Some("tenant-7"));
                tokens.len()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(batches, [1024, 1024, 452]);
    tokenward::guard::verify_chain(&events).unwrap();

    // A duplicate inside the batch, an id already registered, an unknown policy: nothing.
    let dup = guard.register_many(["tw_new_a", "tw_new_b", "tw_new_a"], &meta, 6);
    assert!(matches!(dup, Err(GuardError::AlreadyRegistered(_))));
    let existing = guard.register_many(["tw_new_a", raw[3].as_str()], &meta, 6);
    assert_eq!(existing, Err(GuardError::AlreadyRegistered(ids[3])));
    let policy = guard.register_many(["tw_new_a"], &TokenMeta::new().policy("nope"), 6);
    assert!(matches!(policy, Err(GuardError::UnknownPolicy(_))));
    assert!(matches!(
        guard.register_many(["tw_new_a", ""], &meta, 6),
        Err(GuardError::TokenLength(0))
    ));
    assert_eq!(guard.len(), 2500);
    assert!(guard.drain_events().is_empty());

    // Bulk-registered tokens snapshot and check like any other.
    let copy = Guard::new(TokenKey::new(b"bulk"));
    copy.restore(&guard.snapshot(), 7).unwrap();
    assert!(copy.check(&Request::new(&raw[1234]), 8).is_allowed());
}
