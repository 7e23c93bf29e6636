//! The limiter against a naive sliding log that keeps every allowed request.

use proptest::prelude::*;

use super::*;

/// The reference: every allowed request's time on the limiter's clock, never forgotten.
#[derive(Default)]
struct NaiveLog {
    allowed: Vec<Timestamp>,
}

impl NaiveLog {
    /// The limiter's clock: `now`, or the newest allowed time if later.
    fn clock(&self, now: Timestamp) -> Timestamp {
        self.allowed.last().map_or(now, |&t| t.max(now))
    }

    /// Allowed requests that count at `clock` when each counts for `hold` ms.
    fn counted(&self, clock: Timestamp, hold: i64) -> Vec<Timestamp> {
        self.allowed
            .iter()
            .copied()
            .filter(|&t| t + hold > clock)
            .collect()
    }

    /// The exact answer at `now` for `requests` per `window`: allowed, or the wait.
    fn decide(&self, requests: u32, window: i64, now: Timestamp) -> Result<(), u64> {
        let clock = self.clock(now);
        let counted = self.counted(clock, window);
        if counted.len() < requests as usize {
            return Ok(());
        }
        // The oldest `counted.len() - requests + 1` must leave before one more fits.
        let frees_at = counted[counted.len() - requests as usize] + window;
        Err((frees_at - now).max(1) as u64)
    }
}

/// The most allowed requests in any window `[t, t + window)`.
fn busiest_window(allowed: &[Timestamp], window: i64) -> usize {
    let mut sorted = allowed.to_vec();
    sorted.sort_unstable();
    let mut start = 0;
    let mut most = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        most = most.max(end - start + 1);
    }
    most
}

/// One request: how far the clock moved since the last (bursts, window edges, small steps
/// back), and whether the request is already denied for another reason (a probe).
fn step(window: i64) -> impl Strategy<Value = (i64, bool)> {
    let delta = prop_oneof![
        3 => Just(0),
        2 => 1..=3i64,
        2 => Just(window - 1),
        2 => Just(window),
        1 => Just(window + 1),
        2 => 0..=2 * window,
        1 => -5..=-1i64,
    ];
    (delta, proptest::bool::weighted(0.15))
}

fn exact_case() -> impl Strategy<Value = (u32, i64, Vec<(i64, bool)>)> {
    (
        1..=8u32,
        prop_oneof![Just(1i64), Just(2), Just(10), Just(1000), Just(60_000)],
    )
        .prop_flat_map(|(requests, window)| {
            (
                Just(requests),
                Just(window),
                proptest::collection::vec(step(window), 1..120),
            )
        })
}

fn large_case() -> impl Strategy<Value = (u32, i64, Vec<(i64, bool)>)> {
    (
        65..=160u32,
        prop_oneof![Just(10i64), Just(100), Just(1000), Just(6_400)],
    )
        .prop_flat_map(|(requests, window)| {
            let cell = RateLimit::new(requests, window).unwrap().cell_ms();
            // Mostly bursts (the limit is above 64 per window), with steps around a cell
            // and around a window so that cells and window edges line up every way.
            let delta = prop_oneof![
                6 => Just(0i64),
                3 => 1..=3i64,
                2 => 0..=2 * cell,
                1 => Just(cell - 1),
                1 => Just(cell),
                1 => window - 2 * cell..=window + 2 * cell,
                1 => 0..=2 * window,
                1 => -3..=-1i64,
            ];
            let steps = proptest::collection::vec((delta, proptest::bool::weighted(0.1)), 1..700);
            (Just(requests), Just(window), steps)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Up to 64 per window, every decision and every wait equals the naive log's.
    #[test]
    fn small_limits_match_the_naive_sliding_log((requests, window, steps) in exact_case()) {
        let limit = RateLimit::new(requests, window).unwrap();
        let mut log = RateLog::default();
        let mut naive = NaiveLog::default();
        let mut now = 1_000_000;
        for (delta, probe) in steps {
            now += delta;
            let expected = naive.decide(requests, window, now);
            let got = if probe {
                limit.would_allow(&log, now)
            } else {
                limit.acquire(&mut log, now)
            };
            prop_assert_eq!(got.map_err(|e| e.retry_after_ms), expected);
            if expected.is_ok() && !probe {
                naive.allowed.push(naive.clock(now));
            }
            prop_assert!(log.groups().len() <= requests as usize);
        }
        prop_assert!(busiest_window(&naive.allowed, window) <= requests as usize);
    }

    /// Above 64, never more than the limit in any window, and a denial only while the
    /// requests of the last `window + cell_ms - 1` ms fill the limit (the documented bound).
    #[test]
    fn large_limits_never_exceed_and_deny_early_by_less_than_a_cell(
        (requests, window, steps) in large_case()
    ) {
        let limit = RateLimit::new(requests, window).unwrap();
        let hold = window + limit.cell_ms() - 1;
        let mut log = RateLog::default();
        let mut naive = NaiveLog::default();
        let mut now = 1_000_000;
        for (delta, probe) in steps {
            now += delta;
            let clock = naive.clock(now);
            let got = if probe {
                limit.would_allow(&log, now)
            } else {
                limit.acquire(&mut log, now)
            };
            match got {
                Ok(()) => {
                    prop_assert!(naive.counted(clock, window).len() < requests as usize);
                    if !probe {
                        naive.allowed.push(clock);
                    }
                }
                Err(e) => {
                    prop_assert!(naive.counted(clock, hold).len() >= requests as usize);
                    // Waiting as told is enough, and waiting less is not.
                    prop_assert!(limit.would_allow(&log, now + e.retry_after_ms as i64).is_ok());
                    let before = clock.max(now + e.retry_after_ms as i64 - 1);
                    prop_assert!(e.retry_after_ms == 1 || limit.would_allow(&log, before).is_err());
                }
            }
            prop_assert!(log.groups().len() <= MAX_GROUPS);
        }
        prop_assert!(busiest_window(&naive.allowed, window) <= requests as usize);
    }
}

#[test]
fn five_per_minute_is_five_in_any_minute() {
    // The reported case: a bucket refilling over the minute let 9 through in 60 s.
    let limit = RateLimit::new(5, 60_000).unwrap();
    let mut log = RateLog::default();
    let allowed: Vec<i64> = (0..=60)
        .map(|s| s * 1_000)
        .filter(|&t| limit.acquire(&mut log, t).is_ok())
        .collect();
    assert_eq!(allowed, [0, 1_000, 2_000, 3_000, 4_000, 60_000]);
    // At 59 s the first request is still in the window, and leaves it 1 s later.
    let mut log = RateLog::default();
    (0..5).for_each(|i| limit.acquire(&mut log, i).unwrap());
    let denied = limit.acquire(&mut log, 59_000).unwrap_err();
    assert_eq!(denied.retry_after_ms, 1_000);
    assert!(limit.acquire(&mut log, 60_000).is_ok());
    assert!(limit.acquire(&mut log, 60_000).is_err());
}

#[test]
fn above_64_a_cell_counts_until_its_last_request_leaves() {
    let limit = RateLimit::new(65, 6_400).unwrap();
    assert_eq!(limit.cell_ms(), 100);
    // One request at 0 and 64 at 99 share the cell [0, 100): all count until 99 leaves.
    let mut log = RateLog::default();
    limit.acquire(&mut log, 0).unwrap();
    (0..64).for_each(|_| limit.acquire(&mut log, 99).unwrap());
    assert_eq!(
        limit.acquire(&mut log, 6_400).unwrap_err().retry_after_ms,
        99
    );
    assert!(limit.acquire(&mut log, 6_499).is_ok());
    // At 100 the next cell starts: the request at 0 leaves on time, at 6 400.
    let mut log = RateLog::default();
    limit.acquire(&mut log, 0).unwrap();
    (0..64).for_each(|_| limit.acquire(&mut log, 100).unwrap());
    assert!(limit.acquire(&mut log, 6_399).is_err());
    assert!(limit.acquire(&mut log, 6_400).is_ok());
    assert!(limit.acquire(&mut log, 6_400).is_err());
}

#[test]
fn a_clock_stepping_back_does_not_reopen_the_budget() {
    let limit = RateLimit::new(2, 1_000).unwrap();
    let mut log = RateLog::default();
    assert!(limit.acquire(&mut log, 10_000).is_ok());
    assert!(limit.acquire(&mut log, 10_999).is_ok());
    // 11 000 frees the first; a lagging reading counts at 11 000, not at 8 000.
    assert!(limit.acquire(&mut log, 11_000).is_ok());
    let denied = limit.acquire(&mut log, 8_000).unwrap_err();
    assert_eq!(denied.retry_after_ms, 11_999 - 8_000);
}

#[test]
fn a_probe_far_ahead_forgets_nothing() {
    let limit = RateLimit::new(1, 1_000).unwrap();
    let mut log = RateLog::default();
    limit.acquire(&mut log, 5_000).unwrap();
    assert!(limit.would_allow(&log, 1_000_000).is_ok());
    assert!(limit.acquire(&mut log, 5_500).is_err());
}

#[test]
fn memory_stays_bounded_at_any_limit() {
    for (requests, window) in [
        (64, 60_000),
        (65, 60_000),
        (1_000_000_000, 1_000),
        (u32::MAX, 1),
    ] {
        let limit = RateLimit::new(requests, window).unwrap();
        let mut log = RateLog::default();
        let granted = (0..20_000i64)
            .filter(|&t| limit.acquire(&mut log, t / 3).is_ok())
            .count();
        assert!(granted > 0);
        assert!(log.groups().len() <= MAX_GROUPS, "{requests}/{window}");
    }
}

#[test]
fn extreme_times_and_limits_do_not_overflow() {
    let limit = RateLimit::new(u32::MAX, i64::MAX / 1_000).unwrap();
    let mut log = RateLog::default();
    for now in [i64::MIN, -1, 0, i64::MAX - 1, i64::MAX, i64::MIN] {
        let _ = limit.acquire(&mut log, now);
    }
    let tight = RateLimit::new(1, i64::MAX).unwrap();
    let mut log = RateLog::default();
    assert!(tight.acquire(&mut log, i64::MIN).is_ok());
    let denied = tight.acquire(&mut log, i64::MIN).unwrap_err();
    assert!(denied.retry_after_ms >= 1);
    assert!(RateLimit::new(0, 1_000).is_none());
    assert!(RateLimit::new(1, 0).is_none());
}

#[test]
fn snapshot_logs_are_checked() {
    let group = |latest, count| Group { latest, count };
    assert!(RateLog::from_groups(vec![group(1, 2), group(5, 1)]).is_ok());
    assert!(RateLog::from_groups(vec![group(5, 1), group(5, 1)]).is_err());
    assert!(RateLog::from_groups(vec![group(5, 0)]).is_err());
    assert!(RateLog::from_groups((0..=MAX_GROUPS as i64).map(|t| group(t, 1)).collect()).is_err());
}

#[test]
fn a_request_at_the_end_of_time_does_not_turn_the_limit_off() {
    // Found in review: `latest + window` saturated at i64::MAX, so every group counted as
    // gone and every later request was allowed.
    let limit = RateLimit::new(2, 60_000).unwrap();
    let mut log = RateLog::default();
    limit.acquire(&mut log, i64::MAX).unwrap();
    limit.acquire(&mut log, i64::MAX).unwrap();
    assert!(limit.acquire(&mut log, i64::MAX).is_err());
    assert!(limit.acquire(&mut log, 0).is_err());
}
