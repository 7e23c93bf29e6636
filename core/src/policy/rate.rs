//! Rate limits as a generic cell rate algorithm (GCRA) over one atomic per token.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::Timestamp;

/// At most `requests` per `window`: a bucket of `requests` that refills continuously over the
/// window, so a token may burst `requests` at once and then sustain `requests / window`.
///
/// State is one `i64` per token (the theoretical arrival time, in microseconds), updated with
/// a compare-and-swap, so checks on many threads never lock for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window_ms: i64,
    /// Microseconds one request uses up.
    interval_us: i64,
    window_us: i64,
}

/// The state of a token that has not been used: far in the past.
pub(crate) const FRESH: i64 = i64::MIN;

impl RateLimit {
    /// `requests` (at least 1) per `window_ms` (positive) milliseconds.
    pub fn new(requests: u32, window_ms: i64) -> Option<RateLimit> {
        if requests == 0 || window_ms <= 0 {
            return None;
        }
        let window_us = window_ms.checked_mul(1000)?;
        Some(RateLimit {
            requests,
            window_ms,
            interval_us: (window_us / i64::from(requests)).max(1),
            window_us,
        })
    }

    /// Requests per window.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The window in milliseconds.
    pub fn window_ms(&self) -> i64 {
        self.window_ms
    }

    /// Takes one request from the bucket if there is room; false when the limit is reached.
    pub(crate) fn acquire(&self, state: &AtomicI64, now: Timestamp) -> bool {
        let now_us = now.saturating_mul(1000);
        let mut current = state.load(Ordering::Acquire);
        loop {
            let Some(next) = self.next_state(current, now_us) else {
                return false;
            };
            match state.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return true,
                Err(seen) => current = seen,
            }
        }
    }

    /// Whether `acquire` would succeed now, without taking anything.
    pub(crate) fn would_allow(&self, state: &AtomicI64, now: Timestamp) -> bool {
        self.next_state(state.load(Ordering::Acquire), now.saturating_mul(1000))
            .is_some()
    }

    fn next_state(&self, tat: i64, now_us: i64) -> Option<i64> {
        let next = tat.max(now_us).saturating_add(self.interval_us);
        (next.saturating_sub(now_us) <= self.window_us).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_up_to_the_limit_then_refills() {
        let limit = RateLimit::new(3, 1000).unwrap();
        let state = AtomicI64::new(FRESH);
        assert!((0..3).all(|_| limit.acquire(&state, 10_000)));
        assert!(!limit.would_allow(&state, 10_000));
        assert!(!limit.acquire(&state, 10_000));
        // One third of the window later, one request's worth has refilled.
        assert!(!limit.acquire(&state, 10_332));
        assert!(limit.acquire(&state, 10_334));
        assert!(!limit.acquire(&state, 10_334));
        // A full window later the bucket is full again.
        assert!((0..3).all(|_| limit.acquire(&state, 12_000)));
    }

    #[test]
    fn never_more_than_the_limit_in_a_burst_at_any_rate() {
        for (requests, window) in [(1, 1), (10, 1000), (5000, 1000), (1, 86_400_000)] {
            let limit = RateLimit::new(requests, window).unwrap();
            let state = AtomicI64::new(FRESH);
            let granted = (0..requests + 10)
                .filter(|_| limit.acquire(&state, 5))
                .count();
            assert_eq!(granted, requests as usize);
        }
        assert!(RateLimit::new(0, 1000).is_none());
        assert!(RateLimit::new(1, 0).is_none());
    }
}
