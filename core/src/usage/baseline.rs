//! What is normal for one token: an EWMA of its request and error rates, and slowly decaying
//! peaks of the measures the detectors compare against.
//!
//! Peaks rather than means drive the spike detectors: a token's rate swings with the time of
//! day, and a mean learned at night would make every morning look like a spike. A peak that
//! halves over a week remembers the busiest normal moments instead.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The learned figures of one token, in units of one fine bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Baseline {
    /// EWMA of requests per fine bucket.
    pub requests: f32,
    /// EWMA of 401/403/404 errors per fine bucket.
    pub errors: f32,
    /// Decaying peak of requests in one fine bucket.
    pub peak_bucket: f32,
    /// Decaying peak of the burst rate (requests per minute over the last 16 requests).
    pub peak_burst: f32,
    /// Decaying peak of distinct IPs in the distinct window.
    pub peak_ips: f32,
}

/// Rates derived from the configured half-lives, per fine bucket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decay {
    /// EWMA weight of one new bucket.
    pub alpha: f32,
    /// Factor a peak keeps per fine bucket.
    pub peak_keep: f32,
}

impl Decay {
    pub fn new(bucket_ms: i64, baseline_half_life_ms: i64, peak_half_life_ms: i64) -> Decay {
        let keep = |half: i64| 0.5f64.powf(bucket_ms as f64 / half.max(1) as f64) as f32;
        Decay {
            alpha: 1.0 - keep(baseline_half_life_ms),
            peak_keep: keep(peak_half_life_ms),
        }
    }
}

impl Baseline {
    /// Learns from a closed bucket followed by `skipped` empty ones.
    pub fn close_bucket(&mut self, requests: u32, errors: u16, skipped: u32, decay: Decay) {
        let a = decay.alpha;
        self.requests += a * (requests as f32 - self.requests);
        self.errors += a * (f32::from(errors) - self.errors);
        if skipped > 0 {
            let keep = (1.0 - a).powi(skipped.min(1 << 20) as i32);
            self.requests *= keep;
            self.errors *= keep;
        }
        let keep = decay.peak_keep.powi((skipped.min(1 << 20) + 1) as i32);
        self.peak_bucket *= keep;
        self.peak_burst *= keep;
        self.peak_ips *= keep;
    }
}

/// Raises a peak towards `value`. While learning the peak follows any value; afterwards it
/// grows at most twofold per step, so an attacker cannot teach the baseline in one jump.
pub(crate) fn raise_peak(peak: &mut f32, value: f32, learned: bool) {
    let target = if learned && *peak > 0.0 {
        value.min(*peak * 2.0)
    } else {
        value
    };
    if target > *peak {
        *peak = target;
    }
}

/// Times of the last 16 requests (low 32 bits of their ms timestamps), for a rate that reacts
/// within 16 requests whatever the token's usual rate.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BurstRing {
    times: [u32; BURST_LEN],
    next: u8,
    filled: u8,
}

/// Requests the burst rate spans.
pub(crate) const BURST_LEN: usize = 16;

impl BurstRing {
    /// Whether the cursor fields are in range (a deserialised ring may lie).
    pub fn is_valid(&self) -> bool {
        (self.next as usize) < BURST_LEN && (self.filled as usize) <= BURST_LEN
    }

    /// Records a request at `now` and returns the rate over the last 16 requests in requests
    /// per minute, once 16 are known.
    pub fn push(&mut self, now: Timestamp) -> Option<f32> {
        let t = now as u32; // wrapping on purpose: only differences of recent times matter
        let at = self.next as usize;
        self.times[at] = t;
        self.next = ((at + 1) % BURST_LEN) as u8;
        if (self.filled as usize) < BURST_LEN {
            self.filled += 1;
            if (self.filled as usize) < BURST_LEN {
                return None;
            }
        }
        let oldest = self.times[self.next as usize];
        let span = t.wrapping_sub(oldest);
        if span > u32::MAX / 2 {
            // Out-of-order timestamps: no meaningful span.
            return None;
        }
        Some((BURST_LEN - 1) as f32 * 60_000.0 / span.max(50) as f32)
    }

    /// The rate over the last `n` requests (2..=16) in requests per minute, once that many are
    /// known: a fast script shows within `n` requests.
    pub fn rate_over(&self, n: usize) -> Option<f32> {
        let n = n.clamp(2, BURST_LEN);
        if (self.filled as usize) < n {
            return None;
        }
        let newest = self.times[(self.next as usize + BURST_LEN - 1) % BURST_LEN];
        let oldest = self.times[(self.next as usize + BURST_LEN - n) % BURST_LEN];
        let span = newest.wrapping_sub(oldest);
        if span > u32::MAX / 2 {
            return None;
        }
        Some((n - 1) as f32 * 60_000.0 / span.max(50) as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ewma_follows_and_decays() {
        let decay = Decay::new(60_000, 3_600_000, 7 * 86_400_000);
        let mut b = Baseline::default();
        for _ in 0..600 {
            b.close_bucket(10, 1, 0, decay);
        }
        assert!((b.requests - 10.0).abs() < 0.1);
        assert!((b.errors - 1.0).abs() < 0.05);
        // One hour of silence halves it.
        b.close_bucket(0, 0, 59, decay);
        assert!((b.requests - 5.0).abs() < 0.3, "{}", b.requests);
    }

    #[test]
    fn peaks_grow_slowly_after_learning() {
        let mut p = 0.0;
        raise_peak(&mut p, 100.0, false);
        assert_eq!(p, 100.0);
        raise_peak(&mut p, 1000.0, true);
        assert_eq!(p, 200.0);
        raise_peak(&mut p, 50.0, true);
        assert_eq!(p, 200.0);
    }

    #[test]
    fn burst_rate_over_sixteen_requests() {
        let mut r = BurstRing::default();
        let mut rate = None;
        for i in 0..16 {
            rate = r.push(1_000_000 + i * 1000);
        }
        // 15 gaps of one second: 60 per minute.
        assert_eq!(rate, Some(60.0));
        let rate = r.push(1_000_000 + 16_000).unwrap();
        assert_eq!(rate, 60.0);
        // The last 8 of them, after a faster run: 7 gaps of 100 ms.
        for i in 0..8 {
            r.push(1_100_000 + i * 100);
        }
        assert_eq!(r.rate_over(8), Some(600.0));
        // Out of order: no rate rather than a nonsense one.
        assert_eq!(r.push(10), None);
    }
}
