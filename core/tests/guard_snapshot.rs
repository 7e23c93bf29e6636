//! Snapshots: lossless round trips (property-tested), and clear errors that change nothing.

use proptest::prelude::*;
use tokenward::guard::SnapshotError;
use tokenward::{Guard, GuardConfig, GuardError, PolicyDoc, Request, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;
const CONFIG: &str = r#"
event_capacity = 64
[policies.limited]
rate_limit = { requests = 2, window = "1h" }
idle_expiry = "30d"
[policies.office]
time_windows = ["mon-fri 08:00-18:00"]
utc_offset = "+01:00"
countries = ["DE", "AT"]
"#;

fn key() -> TokenKey {
    TokenKey::new(b"snapshot key")
}

fn guard() -> Guard {
    Guard::with_config(key(), &GuardConfig::from_toml(CONFIG).unwrap()).unwrap()
}

/// An operation applied to a Guard in the property test.
#[derive(Debug, Clone)]
enum Op {
    Mint {
        owner: u8,
        tag: Option<u8>,
        policy: u8,
    },
    Check(usize),
    Revoke(usize),
    Quarantine(usize),
    Release(usize),
    Rotate(usize, i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..4, proptest::option::of(0u8..3), 0u8..4).prop_map(|(owner, tag, policy)| Op::Mint {
            owner,
            tag,
            policy
        }),
        any::<usize>().prop_map(Op::Check),
        any::<usize>().prop_map(Op::Revoke),
        any::<usize>().prop_map(Op::Quarantine),
        any::<usize>().prop_map(Op::Release),
        (any::<usize>(), 0i64..100_000).prop_map(|(i, g)| Op::Rotate(i, g)),
    ]
}

/// Applies `ops`; returns the raw tokens minted.
fn apply(g: &Guard, ops: &[Op]) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    let mut seed = 0u32;
    let mut random = || {
        seed += 1;
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&seed.to_le_bytes());
        bytes
    };
    for (step, op) in ops.iter().enumerate() {
        let now = T0 + step as i64 * 1000;
        let pick = |i: &usize| {
            tokens
                .get(i % tokens.len().max(1))
                .map(|t| g.token_id(t.as_bytes()))
        };
        match op {
            Op::Mint { owner, tag, policy } => {
                let mut meta = TokenMeta::new().owner(format!("owner{owner}"));
                if let Some(t) = tag {
                    meta = meta.tag(format!("tag{t}"));
                }
                meta = match policy {
                    0 => meta,
                    1 => meta.policy("limited"),
                    2 => meta.policy("office"),
                    _ => meta.inline_policy(PolicyDoc {
                        subjects: vec![format!("s{owner}")],
                        ..PolicyDoc::default()
                    }),
                };
                tokens.push(g.mint(&meta, &random(), now).unwrap().token.into_string());
            }
            Op::Check(i) => {
                if let Some(t) = tokens.get(i % tokens.len().max(1)) {
                    g.check(&Request::new(t).country("DE"), now);
                }
            }
            Op::Revoke(i) => drop(pick(i).map(|id| g.revoke(&id, now))),
            Op::Quarantine(i) => drop(pick(i).map(|id| g.quarantine(&id, now))),
            Op::Release(i) => drop(pick(i).map(|id| g.release(&id, now))),
            Op::Rotate(i, grace) => {
                if let Some(id) = pick(i) {
                    if let Ok(m) = g.rotate(&id, &random(), Some(*grace), now) {
                        tokens.push(m.token.into_string());
                    }
                }
            }
        }
    }
    tokens
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn round_trip_loses_nothing(ops in proptest::collection::vec(op(), 0..60)) {
        let original = guard();
        let tokens = apply(&original, &ops);
        let bytes = original.snapshot();
        let copy = Guard::new(key());
        copy.restore(&bytes, T0).unwrap();
        // Same records (metadata, policy, state, last use) ...
        prop_assert_eq!(copy.len(), original.len());
        for t in &tokens {
            let id = original.token_id(t.as_bytes());
            prop_assert_eq!(copy.token(&id), original.token(&id));
        }
        // ... same named policies ...
        for name in ["limited", "office"] {
            prop_assert_eq!(copy.policy(name), original.policy(name));
        }
        // ... the same queued events, plus the restore event ...
        let a = original.drain_events();
        let b = copy.drain_events();
        prop_assert_eq!(&b[..b.len() - 1], &a[..]);
        let restored = matches!(b.last().unwrap().kind, tokenward::EventKind::Restored { .. });
        prop_assert!(restored);
        prop_assert_eq!(copy.chain_head().seq, original.chain_head().seq + 1);
        prop_assert_eq!(copy.dropped_events(), original.dropped_events());
        // Behaviour matches too, rate-limit budgets included.
        for (i, t) in tokens.iter().enumerate() {
            let now = T0 + 10_000_000 + i as i64;
            let request = Request::new(t).country("DE");
            prop_assert_eq!(copy.check(&request, now), original.check(&request, now));
        }
    }
}

#[test]
fn snapshots_are_deterministic() {
    let a = guard();
    let b = guard();
    let ops: Vec<Op> = (0..20)
        .map(|i| Op::Mint {
            owner: i % 3,
            tag: Some(i % 2),
            policy: i % 4,
        })
        .collect();
    apply(&a, &ops);
    apply(&b, &ops);
    assert_eq!(a.snapshot(), b.snapshot());
}

fn populated() -> (Guard, Vec<u8>) {
    let g = guard();
    let ops: Vec<Op> = (0..10)
        .map(|i| Op::Mint {
            owner: i % 3,
            tag: Some(i % 2),
            policy: i % 4,
        })
        .collect();
    apply(&g, &ops);
    let bytes = g.snapshot();
    (g, bytes)
}

/// Restoring `bad` must fail with `expected` and leave `target` exactly as it was.
fn assert_rejected(bad: &[u8], expected: impl Fn(&SnapshotError) -> bool) {
    let target = guard();
    let kept = target
        .mint(&TokenMeta::new().owner("kept"), &[99; 32], T0)
        .unwrap();
    let before = target.snapshot();
    match target.restore(bad, T0) {
        Err(GuardError::Snapshot(e)) => assert!(expected(&e), "unexpected error {e:?}"),
        other => panic!("expected a snapshot error, got {other:?}"),
    }
    assert_eq!(target.snapshot(), before, "the Guard changed");
    assert!(target
        .check(&Request::new(kept.token.expose()), T0)
        .is_allowed());
}

#[test]
fn truncated_snapshots_are_rejected_at_every_length() {
    let (_, bytes) = populated();
    for len in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        assert_rejected(&bytes[..len], |e| {
            matches!(e, SnapshotError::Truncated { .. } | SnapshotError::BadMagic) || len == 0
        });
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_rejected(&longer, |e| matches!(e, SnapshotError::TrailingBytes(1)));
}

#[test]
fn corrupt_snapshots_are_rejected() {
    let (_, bytes) = populated();
    for at in (16..bytes.len()).step_by(13) {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        assert_rejected(&bad, |e| matches!(e, SnapshotError::ChecksumMismatch));
    }
    let mut magic = bytes.clone();
    magic[0] = b'X';
    assert_rejected(&magic, |e| matches!(e, SnapshotError::BadMagic));
    assert_rejected(
        b"definitely not a snapshot at all, but long enough to have a header",
        |e| matches!(e, SnapshotError::BadMagic),
    );
}

#[test]
fn future_versions_and_other_keys_are_rejected() {
    let (_, bytes) = populated();
    let mut future = bytes.clone();
    future[4..6].copy_from_slice(&5u16.to_le_bytes());
    assert_rejected(&future, |e| {
        matches!(
            e,
            SnapshotError::UnsupportedVersion {
                found: 5,
                supported: 4
            }
        )
    });
    let mut ancient = bytes.clone();
    ancient[4..6].copy_from_slice(&1u16.to_le_bytes());
    assert_rejected(&ancient, |e| {
        matches!(e, SnapshotError::UnsupportedVersion { found: 1, .. })
    });
    let message = SnapshotError::UnsupportedVersion {
        found: 5,
        supported: 4,
    }
    .to_string();
    assert_eq!(
        message,
        "snapshot version 5 is not supported (this build reads versions 2 to 4)"
    );
    let other = Guard::new(TokenKey::new(b"another key"));
    assert_eq!(
        other.restore(&bytes, T0),
        Err(GuardError::Snapshot(SnapshotError::KeyMismatch))
    );
    assert!(other.is_empty());
}

#[test]
fn well_checksummed_garbage_is_malformed() {
    // A payload that is not a snapshot body, wrapped in a valid header and checksum.
    let body = vec![0xffu8; 40];
    let mut bytes = b"TWGS".to_vec();
    bytes.extend_from_slice(&tokenward::guard::SNAPSHOT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&0u16.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&body);
    let sum = blake3_hash(&bytes);
    bytes.extend_from_slice(&sum);
    assert_rejected(&bytes, |e| matches!(e, SnapshotError::Malformed(_)));
}

fn blake3_hash(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}
