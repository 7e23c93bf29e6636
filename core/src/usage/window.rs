//! Sliding windows of counts: a ring of fixed-width time buckets.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Counts in one bucket, 8 bytes. Saturating: a hostile flood pins a counter, it never wraps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    /// Requests observed.
    pub requests: u32,
    /// Requests the guard denied.
    pub denials: u16,
    /// 401/403/404 responses reported through `record_outcome`.
    pub errors: u16,
}

impl Counts {
    pub(crate) fn add(&mut self, other: &Counts) {
        self.requests = self.requests.saturating_add(other.requests);
        self.denials = self.denials.saturating_add(other.denials);
        self.errors = self.errors.saturating_add(other.errors);
    }

    pub(crate) fn widen(&self) -> super::WindowCounts {
        super::WindowCounts {
            requests: self.requests.into(),
            denials: self.denials.into(),
            errors: self.errors.into(),
        }
    }
}

/// A ring of `buckets.len()` buckets, each `width` ms wide; `head` is the number
/// (`ts / width`) of the newest bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Window {
    width: i64,
    head: i64,
    buckets: Box<[Counts]>,
}

/// What [`Window::advance`] closed, so baselines can learn from completed buckets.
pub(crate) struct Closed {
    /// The bucket that was newest before the advance.
    pub last: Counts,
    /// Empty buckets skipped after it (capped at the ring length).
    pub skipped_empty: u32,
}

impl Window {
    pub fn new(width_ms: i64, buckets: usize) -> Window {
        Window {
            width: width_ms.max(1),
            head: i64::MIN,
            buckets: vec![Counts::default(); buckets.max(1)].into_boxed_slice(),
        }
    }

    fn len(&self) -> i64 {
        self.buckets.len() as i64
    }

    fn slot(&self, number: i64) -> usize {
        number.rem_euclid(self.len()) as usize
    }

    /// Moves the head to `now`'s bucket, clearing the buckets it passes. Returns what was closed
    /// when the head moved.
    pub fn advance(&mut self, now: Timestamp) -> Option<Closed> {
        let number = now.div_euclid(self.width);
        if self.head == i64::MIN {
            self.head = number;
            return None;
        }
        if number <= self.head {
            return None;
        }
        let last = self.buckets[self.slot(self.head)];
        let gap = number.saturating_sub(self.head);
        for step in 1..=gap.min(self.len()) {
            let slot = self.slot(self.head.saturating_add(step));
            self.buckets[slot] = Counts::default();
        }
        self.head = number;
        Some(Closed {
            last,
            skipped_empty: (gap - 1).min(u32::MAX as i64) as u32,
        })
    }

    /// The bucket holding `ts`, if it is still inside the window (late events land in the
    /// bucket of their own time; events older than the window are dropped).
    pub fn bucket_mut(&mut self, ts: Timestamp) -> Option<&mut Counts> {
        let number = ts.div_euclid(self.width);
        if self.head == i64::MIN
            || number > self.head
            || self.head.saturating_sub(number) >= self.len()
        {
            return None;
        }
        let slot = self.slot(number);
        Some(&mut self.buckets[slot])
    }

    /// The sum of the newest `n` buckets as of `now` (the current bucket included).
    pub fn sum_recent(&self, now: Timestamp, n: usize) -> Counts {
        let mut total = Counts::default();
        if self.head == i64::MIN {
            return total;
        }
        let current = now.div_euclid(self.width).max(self.head);
        let oldest = current.saturating_sub(n.min(self.buckets.len()) as i64 - 1);
        for number in oldest.max(self.head.saturating_sub(self.len() - 1))..=self.head {
            total.add(&self.buckets[self.slot(number)]);
        }
        total
    }

    /// The whole window as of `now`.
    #[cfg(test)]
    pub fn total(&self, now: Timestamp) -> Counts {
        self.sum_recent(now, self.buckets.len())
    }

    /// How many of this window's buckets cover `span_ms` (at least one).
    pub fn buckets_for(&self, span_ms: i64) -> usize {
        ((span_ms + self.width - 1) / self.width).clamp(1, self.len()) as usize
    }

    /// Bucket width in ms.
    pub fn width(&self) -> i64 {
        self.width
    }

    /// Counts per bucket, oldest first, as of `now` (buckets not yet reached are zero).
    pub fn series(&self, now: Timestamp) -> Vec<Counts> {
        let current = now.div_euclid(self.width).max(self.head);
        let start = current.saturating_sub(self.len() - 1);
        (start..=current)
            .map(|number| {
                if self.head == i64::MIN
                    || number > self.head
                    || self.head.saturating_sub(number) >= self.len()
                {
                    Counts::default()
                } else {
                    self.buckets[self.slot(number)]
                }
            })
            .collect()
    }

    /// How many of the newest `n` buckets (as of `now`) saw a request.
    pub fn active_buckets(&self, now: Timestamp, n: usize) -> usize {
        if self.head == i64::MIN {
            return 0;
        }
        let current = now.div_euclid(self.width).max(self.head);
        let oldest = current
            .saturating_sub(n.min(self.buckets.len()) as i64 - 1)
            .max(self.head.saturating_sub(self.len() - 1));
        (oldest..=self.head)
            .filter(|&number| self.buckets[self.slot(number)].requests > 0)
            .count()
    }

    /// Whether this window has the given bucket width (ms) and count.
    pub fn same_shape(&self, width_ms: &i64, buckets: usize) -> bool {
        self.width == *width_ms && self.buckets.len() == buckets
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn hit(w: &mut Window, ts: Timestamp) {
        w.advance(ts);
        w.bucket_mut(ts).unwrap().requests += 1;
    }

    #[test]
    fn counts_slide_out_of_the_window() {
        let mut w = Window::new(MIN, 5);
        for minute in 0..10 {
            hit(&mut w, minute * MIN + 1);
        }
        // Minutes 5..=9 remain.
        assert_eq!(w.total(9 * MIN).requests, 5);
        assert_eq!(w.sum_recent(9 * MIN, 2).requests, 2);
        // Time passes with no traffic: the window empties.
        assert_eq!(w.total(12 * MIN).requests, 2);
        assert_eq!(w.total(20 * MIN).requests, 0);
    }

    #[test]
    fn late_events_land_in_their_bucket_or_are_dropped() {
        let mut w = Window::new(MIN, 3);
        hit(&mut w, 10 * MIN);
        assert!(w.bucket_mut(9 * MIN).is_some());
        assert!(w.bucket_mut(7 * MIN).is_none());
        assert!(w.bucket_mut(11 * MIN).is_none());
    }

    #[test]
    fn advance_reports_the_closed_bucket_and_gap() {
        let mut w = Window::new(MIN, 60);
        hit(&mut w, 0);
        hit(&mut w, 1);
        let closed = w.advance(4 * MIN).unwrap();
        assert_eq!(closed.last.requests, 2);
        assert_eq!(closed.skipped_empty, 3);
        assert!(w.advance(4 * MIN + 5).is_none());
    }

    #[test]
    fn series_is_oldest_first() {
        let mut w = Window::new(MIN, 3);
        hit(&mut w, 0);
        hit(&mut w, 2 * MIN);
        hit(&mut w, 2 * MIN);
        let s: Vec<u32> = w.series(2 * MIN).iter().map(|c| c.requests).collect();
        assert_eq!(s, vec![1, 0, 2]);
    }
}
