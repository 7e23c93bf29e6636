//! Concurrent checks, revocations, rotations and quarantines keep every invariant.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use tokenward::{Guard, GuardConfig, Reason, Request, Selector, TokenKey, TokenMeta};

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn guard_is_send_and_sync() {
    assert_send_sync::<Guard>();
}

fn random(n: usize) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&(n as u64).to_le_bytes());
    bytes[31] = 0xA5;
    bytes
}

/// Tokens `0..REVOKE` are revoked, `REVOKE..ROTATE` rotated, `ROTATE..QUARANTINE`
/// quarantined and released, the rest are never touched.
const TOKENS: usize = 400;
const REVOKE: usize = 100;
const ROTATE: usize = 200;
const QUARANTINE: usize = 300;

#[test]
fn no_revoked_or_rotated_token_is_allowed_after_the_call_returns() {
    let config = GuardConfig {
        event_capacity: Some(1 << 16),
        ..GuardConfig::default()
    };
    let guard = Arc::new(Guard::with_config(TokenKey::new(b"stress"), &config).unwrap());
    let clock = Arc::new(AtomicI64::new(1_000));
    let tokens: Arc<Vec<(tokenward::TokenId, String)>> = Arc::new(
        (0..TOKENS)
            .map(|i| {
                let m = guard
                    .mint(
                        &TokenMeta::new().owner(format!("o{}", i % 7)),
                        &random(i),
                        0,
                    )
                    .unwrap();
                (m.id, m.token.into_string())
            })
            .collect(),
    );
    // `done[i]` is set (Release) only after revoke/rotate of token i has returned.
    let done: Arc<Vec<AtomicBool>> =
        Arc::new((0..TOKENS).map(|_| AtomicBool::new(false)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let violations = Arc::new(AtomicUsize::new(0));
    let checks = Arc::new(AtomicUsize::new(0));

    let mut handles = Vec::new();
    for worker in 0..3 {
        let (guard, tokens, done, stop, clock) = (
            guard.clone(),
            tokens.clone(),
            done.clone(),
            stop.clone(),
            clock.clone(),
        );
        let (violations, checks) = (violations.clone(), checks.clone());
        handles.push(thread::spawn(move || {
            let mut i = worker * 37;
            while !stop.load(Ordering::Acquire) {
                i = (i * 31 + 17) % TOKENS;
                let was_done = done[i].load(Ordering::Acquire);
                let now = clock.fetch_add(1, Ordering::SeqCst) + 1;
                let verdict = guard.check(&Request::new(&tokens[i].1), now);
                checks.fetch_add(1, Ordering::Relaxed);
                let bad = match i {
                    _ if i < REVOKE => was_done && verdict.reasons != [Reason::Revoked],
                    _ if i < ROTATE => was_done && verdict.reasons != [Reason::Rotated],
                    _ if i < QUARANTINE => {
                        !verdict.is_allowed() && verdict.reasons != [Reason::Quarantined]
                    }
                    _ => !verdict.is_allowed(),
                };
                if bad {
                    violations.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let rotated = Arc::new(parking_lot::Mutex::new(Vec::new()));
    {
        let (guard, tokens, done, clock) =
            (guard.clone(), tokens.clone(), done.clone(), clock.clone());
        let rotated = rotated.clone();
        handles.push(thread::spawn(move || {
            for i in 0..REVOKE {
                let now = clock.fetch_add(1, Ordering::SeqCst);
                assert!(guard.revoke(&tokens[i].0, now).unwrap());
                done[i].store(true, Ordering::Release);
            }
            for i in REVOKE..ROTATE {
                let now = clock.fetch_add(1, Ordering::SeqCst);
                let new = guard
                    .rotate(&tokens[i].0, &random(10_000 + i), Some(0), now)
                    .unwrap();
                done[i].store(true, Ordering::Release);
                rotated.lock().push(new.token.into_string());
            }
        }));
    }
    {
        let (guard, tokens, clock) = (guard.clone(), tokens.clone(), clock.clone());
        handles.push(thread::spawn(move || {
            for round in 0..20 {
                for (id, _) in &tokens[ROTATE..QUARANTINE] {
                    let now = clock.fetch_add(1, Ordering::SeqCst);
                    if round % 2 == 0 {
                        guard.quarantine(id, now).unwrap();
                    } else {
                        guard.release(id, now).unwrap();
                    }
                }
            }
        }));
    }
    // Let the writers finish, then stop the checkers.
    let writers: Vec<_> = handles.drain(3..).collect();
    for w in writers {
        w.join().unwrap();
    }
    stop.store(true, Ordering::Release);
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(violations.load(Ordering::Relaxed), 0);
    assert!(checks.load(Ordering::Relaxed) > 1000, "the checkers ran");

    // Afterwards: revoked stay revoked, rotated deny, replacements work, untouched work.
    let now = clock.load(Ordering::SeqCst) + 1;
    for (i, (_, raw)) in tokens.iter().enumerate() {
        let reasons = guard.check(&Request::new(raw), now).reasons;
        match i {
            _ if i < REVOKE => assert_eq!(reasons, [Reason::Revoked]),
            _ if i < ROTATE => assert_eq!(reasons, [Reason::Rotated]),
            _ => assert!(reasons.is_empty(), "{i}: {reasons:?}"),
        }
    }
    for raw in rotated.lock().iter() {
        assert!(guard.check(&Request::new(raw), now).is_allowed());
    }
    assert_eq!(guard.len(), TOKENS + (ROTATE - REVOKE));
    // The event chain stayed intact under contention. How many denials the checkers cause
    // depends on the machine's load, so the queue may overflow: then the loss is counted and a
    // `dropped` event records the gap in the chain.
    let events = guard.drain_events();
    assert_eq!(tokenward::guard::verify_chain(&events), Ok(()));
    if guard.dropped_events() > 0 {
        // The next event that finds room is preceded by the gap's record.
        let head = guard.chain_head();
        guard.check(&Request::new("tw_not_registered"), now + 1);
        let next = guard.drain_events();
        assert!(matches!(
            next[0].kind,
            tokenward::EventKind::Dropped { count } if count == guard.dropped_events()
        ));
        assert_eq!(tokenward::guard::verify_chain_from(&head, &next), Ok(()));
    }
}

#[test]
fn revoke_where_races_with_checks_and_mints() {
    let guard = Arc::new(Guard::new(TokenKey::new(b"race")));
    let tokens: Vec<String> = (0..200)
        .map(|i| {
            guard
                .mint(&TokenMeta::new().tag("fleet"), &random(i), 0)
                .unwrap()
                .token
                .into_string()
        })
        .collect();
    let revoked = Arc::new(AtomicBool::new(false));
    let checker = {
        let (guard, revoked) = (guard.clone(), revoked.clone());
        let tokens = tokens.clone();
        thread::spawn(move || {
            for round in 0..50 {
                let after = revoked.load(Ordering::Acquire);
                for raw in &tokens {
                    let v = guard.check(&Request::new(raw), 10 + round);
                    assert!(
                        !(after && v.is_allowed()),
                        "allowed after revoke_where returned"
                    );
                }
            }
        })
    };
    let minter = {
        let guard = guard.clone();
        thread::spawn(move || {
            for i in 0..200 {
                guard
                    .mint(&TokenMeta::new().tag("other"), &random(1000 + i), 5)
                    .unwrap();
            }
        })
    };
    let affected = guard
        .revoke_where(&Selector::new().tag("fleet"), 5)
        .unwrap();
    revoked.store(true, Ordering::Release);
    assert_eq!(affected.len(), 200);
    checker.join().unwrap();
    minter.join().unwrap();
    assert_eq!(guard.len(), 400);
}

#[test]
fn concurrent_mints_all_register() {
    let guard = Arc::new(Guard::new(TokenKey::new(b"mint")));
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let guard = guard.clone();
            thread::spawn(move || {
                (0..500)
                    .map(|i| {
                        guard
                            .mint(
                                &TokenMeta::new().owner(format!("t{t}")),
                                &random(t * 10_000 + i),
                                0,
                            )
                            .unwrap()
                            .id
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2000);
    assert_eq!(guard.len(), 2000);
}

/// A rotation that fails because its new id exists must not undo a revocation or quarantine
/// that landed while it ran (it once reset the token to active unconditionally).
#[test]
fn a_failed_rotation_never_erases_a_concurrent_revoke_or_quarantine() {
    const N: usize = 2_000;
    let g = Arc::new(Guard::new(TokenKey::new(b"rotate race")));
    let minted: Vec<_> = (0..N)
        .map(|i| g.mint(&TokenMeta::new(), &random(i), 0).unwrap())
        .collect();
    let ids: Arc<Vec<_>> = Arc::new(minted.iter().map(|m| m.id).collect());
    let cursor = Arc::new(AtomicUsize::new(0));
    let attempts = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    // The rotator keeps rotating the token under the cursor with the random bytes of another
    // token, so every rotation collides and fails.
    let rotator = {
        let (g, ids) = (g.clone(), ids.clone());
        let (cursor, attempts, done) = (cursor.clone(), attempts.clone(), done.clone());
        thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                let i = cursor.load(Ordering::Acquire);
                assert!(g.rotate(&ids[i], &random((i + 1) % N), Some(0), 1).is_err());
                attempts.fetch_add(1, Ordering::AcqRel);
            }
        })
    };
    // The stopper stops each token while rotations of it are under way, and moves on once a
    // later rotation attempt has finished (the one an undo would come from).
    let wait_for_attempts = |n: usize| {
        let target = attempts.load(Ordering::Acquire) + n;
        while attempts.load(Ordering::Acquire) < target {
            thread::yield_now();
        }
    };
    // Bounded in time on a loaded machine: the assertions hold for however far it got.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let (mut revoked, mut quarantined, mut refused) = (Vec::new(), Vec::new(), 0);
    for i in (0..N).take_while(|_| std::time::Instant::now() < deadline) {
        cursor.store(i, Ordering::Release);
        wait_for_attempts(1);
        if i % 2 == 0 {
            match g.revoke(&ids[i], 2) {
                Ok(_) => revoked.push(i),
                Err(_) => refused += 1,
            }
        } else {
            match g.quarantine(&ids[i], 2) {
                Ok(()) => quarantined.push(i),
                Err(_) => refused += 1,
            }
        }
        wait_for_attempts(2);
    }
    done.store(true, Ordering::Release);
    rotator.join().unwrap();
    let check = |i: usize| g.check(&Request::new(minted[i].token.expose()), 3).reasons;
    let erased = revoked
        .iter()
        .filter(|&&i| check(i) != [Reason::Revoked])
        .count()
        + quarantined
            .iter()
            .filter(|&&i| check(i) != [Reason::Quarantined])
            .count();
    assert_eq!(erased, 0, "stops erased by a failed rotation");
    // A failed rotation claims nothing, so it never even gets in a stop's way.
    assert_eq!(refused, 0, "stops refused");
}
