//! Fleet merging and snapshots: two instances that each saw part of the traffic, merged,
//! agree with one instance that saw all of it.

use tokenward::usage::{
    Observation, UsageConfig, UsageDelta, UsageSnapshot, UsageStats, UsageTracker,
};
use tokenward::{TokenId, TokenKey};

const START: i64 = 1_767_225_600_000;

fn config() -> UsageConfig {
    UsageConfig {
        track_deltas: true,
        ..UsageConfig::default()
    }
}

fn id(n: u32) -> TokenId {
    TokenKey::new(b"fleet").id(&n.to_le_bytes())
}

struct Req {
    token: TokenId,
    ip: String,
    agent: String,
    path: String,
    country: &'static str,
    ts: i64,
    status: u16,
}

/// Deterministic traffic: 3 tokens, many IPs for one of them (so its IP counter becomes a
/// sketch), over about 40 minutes.
fn traffic() -> Vec<Req> {
    let mut out = Vec::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..3000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let t = (x % 3) as u32;
        out.push(Req {
            token: id(t),
            ip: if t == 0 {
                format!("10.{}.{}.{}", x % 7, (x >> 8) % 250, (x >> 16) % 250)
            } else {
                format!("192.0.2.{}", x % 5)
            },
            agent: format!("agent-{}", (x >> 24) % 3),
            path: format!("/p{}", (x >> 32) % 12),
            country: ["DE", "FR", "NL"][((x >> 40) % 3) as usize],
            ts: START + (i as i64) * 800,
            status: if x % 10 == 0 { 404 } else { 200 },
        });
    }
    out
}

fn feed(t: &UsageTracker, r: &Req) {
    let obs = Observation {
        ip: Some(r.ip.parse().unwrap()),
        country: Some(r.country),
        user_agent: Some(&r.agent),
        method: Some("GET"),
        path: Some(&r.path),
        ..Observation::default()
    };
    t.observe(r.token, &obs, r.ts);
    t.record_outcome(r.token, r.status, r.ts + 5);
}

/// What merging must preserve exactly.
fn comparable(s: &UsageStats) -> impl PartialEq + std::fmt::Debug {
    (
        s.first_seen,
        s.last_seen,
        s.total_requests,
        s.fine.clone(),
        s.coarse.clone(),
        s.distinct.clone(),
        s.known.clone(),
    )
}

#[test]
fn merged_parts_equal_the_whole() {
    let whole = UsageTracker::new(config()).unwrap();
    let a = UsageTracker::new(config()).unwrap();
    let b = UsageTracker::new(config()).unwrap();
    let merged = UsageTracker::new(config()).unwrap();
    let reqs = traffic();
    // Deltas are exchanged every 500 requests, as a fleet would every few seconds.
    for (chunk_no, chunk) in reqs.chunks(500).enumerate() {
        for (i, r) in chunk.iter().enumerate() {
            feed(&whole, r);
            feed(if (i + chunk_no) % 3 == 0 { &a } else { &b }, r);
        }
        let now = chunk.last().unwrap().ts + 10;
        for part in [&a, &b] {
            let delta = part.delta().unwrap();
            // Shipped as JSON, as through Redis or Kafka.
            let text = serde_json::to_string(&delta).unwrap();
            let delta: UsageDelta = serde_json::from_str(&text).unwrap();
            merged.merge(&delta, now).unwrap();
        }
    }
    // Nothing new since: empty deltas.
    assert!(a.delta().unwrap().is_empty());
    let now = reqs.last().unwrap().ts + 10;
    for t in 0..3 {
        let w = whole.stats(id(t), now).unwrap();
        let m = merged.stats(id(t), now).unwrap();
        assert_eq!(comparable(&m), comparable(&w), "token {t}");
    }
    let w0 = whole.stats(id(0), now).unwrap();
    assert!(
        w0.distinct.ips > 16,
        "token 0 exercises the sketch: {}",
        w0.distinct.ips
    );
    assert!(w0.fine.total.errors > 0);
}

#[test]
fn merging_into_a_peer_that_also_observed_counts_once() {
    let a = UsageTracker::new(config()).unwrap();
    let b = UsageTracker::new(config()).unwrap();
    let reqs = traffic();
    let (left, right) = reqs.split_at(1500);
    left.iter().for_each(|r| feed(&a, r));
    right.iter().for_each(|r| feed(&b, r));
    let now = START + 3000 * 800;
    let (da, db) = (a.delta().unwrap(), b.delta().unwrap());
    a.merge(&db, now).unwrap();
    b.merge(&da, now).unwrap();
    // Echo: a's next delta must not resend b's counts.
    assert!(a.delta().unwrap().is_empty());
    for t in 0..3 {
        let (sa, sb) = (a.stats(id(t), now).unwrap(), b.stats(id(t), now).unwrap());
        assert_eq!(sa.total_requests, sb.total_requests);
        assert_eq!(sa.coarse.total, sb.coarse.total);
        assert_eq!(sa.distinct, sb.distinct);
    }
    let total: u64 = (0..3)
        .map(|t| a.stats(id(t), now).unwrap().total_requests)
        .sum();
    assert_eq!(total, 3000);
}

#[test]
fn deltas_need_tracking_and_matching_shapes() {
    let plain = UsageTracker::new(UsageConfig::default()).unwrap();
    assert!(plain.delta().is_err());
    let a = UsageTracker::new(config()).unwrap();
    feed(&a, &traffic()[0]);
    let delta = a.delta().unwrap();
    let mut other = config();
    other.fine_window.buckets = 30;
    let b = UsageTracker::new(other).unwrap();
    let err = b.merge(&delta, START).unwrap_err();
    assert!(err.to_string().contains("different window"), "{err}");
    // A tampered delta is a clear error, not a panic.
    let mut json = serde_json::to_value(&delta).unwrap();
    json["tokens"][0]["peaks"][0] = serde_json::json!(-1.0);
    let bad: UsageDelta = serde_json::from_value(json).unwrap();
    assert!(a.merge(&bad, START).is_err());
    let mut json = serde_json::to_value(&delta).unwrap();
    json["tokens"][0]["known_agents"]["len"] = serde_json::json!(200);
    let bad: UsageDelta = serde_json::from_value(json).unwrap();
    assert!(a.merge(&bad, START).is_err());
}

#[test]
fn snapshot_restores_everything() {
    let t = UsageTracker::new(UsageConfig::default()).unwrap();
    let reqs = traffic();
    reqs.iter().for_each(|r| feed(&t, r));
    let now = reqs.last().unwrap().ts + 10;
    let text = serde_json::to_string(&t.snapshot()).unwrap();
    let snap: UsageSnapshot = serde_json::from_str(&text).unwrap();
    let back = UsageTracker::restore(UsageConfig::default(), &snap).unwrap();
    for n in 0..3 {
        assert_eq!(back.stats(id(n), now), t.stats(id(n), now));
    }
    // Both continue identically.
    let r = &reqs[7];
    let later = Req {
        ts: now + 1000,
        ip: "203.0.113.1".into(),
        agent: r.agent.clone(),
        path: r.path.clone(),
        ..*r
    };
    feed(&t, &later);
    feed(&back, &later);
    assert_eq!(
        back.stats(r.token, now + 2000),
        t.stats(r.token, now + 2000)
    );
    // A snapshot taken with other windows is refused.
    let mut other = UsageConfig::default();
    other.coarse_window.buckets = 24;
    assert!(UsageTracker::restore(other, &snap).is_err());
    let mut json = serde_json::to_value(&snap).unwrap();
    json["tokens"][0]["state"]["burst"]["next"] = serde_json::json!(99);
    let bad: UsageSnapshot = serde_json::from_value(json).unwrap();
    let err = UsageTracker::restore(UsageConfig::default(), &bad).unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
    // An unknown field is refused.
    let mut unknown = serde_json::to_value(&snap).unwrap();
    unknown["x"] = serde_json::json!(2);
    assert!(serde_json::from_value::<UsageSnapshot>(unknown).is_err());
}
