//! The rate limit through the Guard: at most `requests` in any sliding window, the wait in
//! the verdict, denials that use up nothing, and snapshots that keep the budget.

use tokenward::{Guard, GuardConfig, Reason, Request, TokenKey, TokenMeta};

const T0: i64 = 1_767_571_200_000;
const SECOND: i64 = 1_000;

fn guard() -> Guard {
    let config = GuardConfig::from_toml(
        r#"
[policies.limited]
countries = ["DE"]
rate_limit = { requests = 5, window = "1m" }
"#,
    )
    .unwrap();
    Guard::with_config(TokenKey::new(b"rate key"), &config).unwrap()
}

fn minted(g: &Guard) -> String {
    let m = g
        .mint(&TokenMeta::new().policy("limited"), &[7; 32], T0)
        .unwrap();
    m.token.expose().to_string()
}

#[test]
fn five_per_minute_allows_five_in_any_sliding_minute() {
    // The reported case: one request a second for two minutes let 9 through in 60 s.
    let g = guard();
    let token = minted(&g);
    let request = Request::new(&token).country("DE");
    let allowed: Vec<i64> = (0..120)
        .map(|s| T0 + s * SECOND)
        .filter(|&t| g.check(&request, t).is_allowed())
        .collect();
    let offsets: Vec<i64> = allowed.iter().map(|t| (t - T0) / SECOND).collect();
    assert_eq!(offsets, [0, 1, 2, 3, 4, 60, 61, 62, 63, 64]);
    for (i, &t) in allowed.iter().enumerate() {
        let in_window = allowed[i..]
            .iter()
            .filter(|&&u| u < t + 60 * SECOND)
            .count();
        assert!(in_window <= 5, "{in_window} allowed in the minute from {t}");
    }
}

#[test]
fn a_rate_denial_says_when_to_retry() {
    let g = guard();
    let token = minted(&g);
    let request = Request::new(&token).country("DE");
    (0..5).for_each(|i| assert!(g.check(&request, T0 + i * SECOND).is_allowed()));
    let denied = g.check(&request, T0 + 30 * SECOND);
    assert_eq!(denied.reasons, [Reason::RateExceeded]);
    assert_eq!(denied.retry_after_ms, Some(30_000));
    let json = serde_json::to_value(&denied).unwrap();
    assert_eq!(json["retry_after_ms"], 30 * SECOND);
    // Waiting as told is enough; a request denied for another reason is told too.
    let elsewhere = g.check(&Request::new(&token).country("FR"), T0 + 30 * SECOND);
    assert_eq!(
        elsewhere.reasons,
        [Reason::CountryNotAllowed, Reason::RateExceeded]
    );
    assert_eq!(elsewhere.retry_after_ms, Some(30_000));
    let retried = g.check(&request, T0 + 60 * SECOND);
    assert!(retried.is_allowed());
    assert_eq!(retried.retry_after_ms, None);
    assert!(serde_json::to_value(&retried)
        .unwrap()
        .get("retry_after_ms")
        .is_none());
}

#[test]
fn denied_requests_use_up_nothing() {
    let g = guard();
    let token = minted(&g);
    // Denied by policy, and then by the limit itself: neither counts.
    for i in 0..20 {
        let v = g.check(&Request::new(&token).country("FR"), T0 + i);
        assert_eq!(v.reasons, [Reason::CountryNotAllowed]);
        assert_eq!(v.retry_after_ms, None);
    }
    let request = Request::new(&token).country("DE");
    (0..5).for_each(|i| assert!(g.check(&request, T0 + 100 + i).is_allowed()));
    (0..50).for_each(|i| assert!(!g.check(&request, T0 + 200 + i * SECOND).is_allowed()));
    // 60 s after the first allowed request, exactly one more fits.
    assert!(g.check(&request, T0 + 100 + 60 * SECOND).is_allowed());
    assert!(!g.check(&request, T0 + 100 + 60 * SECOND).is_allowed());
}

#[test]
fn a_restore_keeps_the_budget_used() {
    let g = guard();
    let token = minted(&g);
    let request = Request::new(&token).country("DE");
    (0..5).for_each(|i| assert!(g.check(&request, T0 + i * SECOND).is_allowed()));
    let bytes = g.snapshot();

    let copy = Guard::with_config(
        TokenKey::new(b"rate key"),
        &GuardConfig::from_toml("").unwrap(),
    )
    .unwrap();
    copy.restore(&bytes, T0 + 10 * SECOND).unwrap();
    let mid_window = copy.check(&request, T0 + 10 * SECOND);
    assert_eq!(mid_window.reasons, [Reason::RateExceeded]);
    assert_eq!(mid_window.retry_after_ms, Some(50_000));
    // No burst after the restore: the same answers, at the same times, as the original.
    for s in [10, 59, 60, 60, 61, 64, 64, 65] {
        let now = T0 + s * SECOND;
        let (a, b) = (g.check(&request, now), copy.check(&request, now));
        assert_eq!(a.reasons, b.reasons, "at {s} s");
        assert_eq!(a.retry_after_ms, b.retry_after_ms, "at {s} s");
    }
}
