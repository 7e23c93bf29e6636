//! Rate limits over a sliding window: at most `requests` allowed in any `window`.
//!
//! Each token keeps a short log of the requests it was allowed: groups of (latest time,
//! count). A request is allowed when the log holds fewer than `requests` allowed requests
//! still inside the window that ends now; only allowed requests are logged, so denied
//! requests use up nothing. The log is exact up to [`EXACT_UP_TO`] requests per window and
//! conservative (never more, possibly a little less) above; see [`RateLimit`].

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// Limits up to this many requests per window are enforced exactly (one log entry per
/// distinct allowed time).
pub(crate) const EXACT_UP_TO: u32 = 64;

/// Above [`EXACT_UP_TO`], the window is counted in this many cells.
const CELLS: i64 = 64;

/// The most groups a log keeps: [`EXACT_UP_TO`] distinct times, or the `CELLS + 1` cells a
/// window can overlap.
pub(crate) const MAX_GROUPS: usize = CELLS as usize + 1;

/// At most `requests` allowed requests in any sliding window of `window_ms` milliseconds:
/// for every instant `t`, the requests allowed in `[t, t + window_ms)` number at most
/// `requests`. There is no separate burst: `requests` may all come at once, and then the
/// next is allowed when the first of them has left the window.
///
/// - **Denied requests use up nothing**: a request denied by the limit, or for any other
///   reason, is not counted against later ones.
/// - **Exact up to 64 requests per window**: the token's log keeps one entry per distinct
///   allowed time, so a request is allowed exactly when fewer than `requests` were allowed in
///   the `window_ms` before it (times are whole milliseconds; a request at `t` has left the
///   window at `t + window_ms`).
/// - **Conservative above 64**: the window is cut into 64 cells of `ceil(window_ms / 64)` ms
///   ([`cell_ms`](Self::cell_ms)), and the requests allowed within one cell are counted until
///   the *last* of them leaves the window. So every allowed request counts for at least
///   `window_ms` and at most `window_ms + cell_ms - 1` ms: the limit is never exceeded, and a
///   request is denied only while the allowed requests of the last `window_ms + cell_ms - 1`
///   ms fill the limit (up to `cell_ms - 1` ms longer than an exact count would). Memory
///   stays at most 65 entries (16 bytes each) per token, whatever the limit.
/// - **The clock never runs backwards**: a `now` earlier than the newest request the log
///   counted is taken as that newest time (a request whose clock reading lags, as when threads
///   race to the limiter, counts as arriving with the newest). A clock stepping back thus
///   cannot reopen the budget; the guarantee above holds on this never-decreasing clock. An
///   allowed request with a `now` far ahead moves that clock ahead for good, so pass times
///   from one clock.
/// - **Kept across restarts**: a Guard snapshot holds each token's log, so a restore cannot
///   turn a used budget into a fresh one.
///
/// ```
/// use tokenward::policy::Policy;
///
/// let policy = Policy::from_toml(r#"rate_limit = { requests = 5, window = "1m" }"#)?;
/// let limit = policy.rate_limit().unwrap();
/// assert_eq!((limit.requests(), limit.window_ms(), limit.cell_ms()), (5, 60_000, 1));
/// # Ok::<(), tokenward::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    requests: u32,
    window_ms: i64,
    /// Requests allowed within one cell share a log entry; 1 ms (exact) up to `EXACT_UP_TO`.
    cell_ms: i64,
}

/// Why a request exceeded the limit: when the next one would be allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exceeded {
    /// Milliseconds from the request's `now` until the log has room again (at least 1).
    pub retry_after_ms: u64,
}

/// Requests allowed at times up to `latest` (and within one cell of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Group {
    /// The newest allowed request of the group: the whole group counts until it leaves.
    pub latest: Timestamp,
    /// How many requests were allowed (at least 1).
    pub count: u32,
}

/// One token's allowed requests, oldest group first. One pointer wide, and no allocation
/// until a request is allowed: every registered token carries one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RateLog {
    entries: Option<Box<Entries>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entries {
    groups: Vec<Group>,
    /// The sum of the groups' counts (never less), so a check sums only the groups that
    /// left.
    counted: u64,
}

impl RateLog {
    /// A log from snapshot groups: newest times strictly increasing, counts positive, at
    /// most [`MAX_GROUPS`] of them; else why not.
    pub fn from_groups(groups: Vec<Group>) -> Result<RateLog, &'static str> {
        if groups.len() > MAX_GROUPS {
            return Err("has too many rate-limit entries");
        }
        if groups.iter().any(|g| g.count == 0)
            || groups.windows(2).any(|w| w[0].latest >= w[1].latest)
        {
            return Err("has an invalid rate-limit log");
        }
        let counted = sum(&groups);
        let entries = (!groups.is_empty()).then(|| Box::new(Entries { groups, counted }));
        Ok(RateLog { entries })
    }

    /// The groups, oldest first (for snapshots).
    pub fn groups(&self) -> &[Group] {
        self.entries.as_deref().map_or(&[], |e| e.groups.as_slice())
    }

    /// The limiter's clock: `now`, unless the log already counted a later request.
    fn clock(&self, now: Timestamp) -> Timestamp {
        self.groups().last().map_or(now, |g| g.latest.max(now))
    }

    /// How many leading groups left a window of `window_ms` ending at `clock`.
    fn gone(&self, clock: Timestamp, window_ms: i64) -> usize {
        self.groups()
            // A request at the end of time never leaves (saturating would let it, and with it
            // every later one: the limit would be off for good).
            .partition_point(|g| {
                g.latest
                    .checked_add(window_ms)
                    .is_some_and(|end| end <= clock)
            })
    }

    /// The groups still in the window, and the requests they hold.
    fn live(&self, clock: Timestamp, window_ms: i64) -> (&[Group], u64) {
        let (gone, live) = self.groups().split_at(self.gone(clock, window_ms));
        let counted = self.entries.as_deref().map_or(0, |e| e.counted);
        (live, counted - sum(gone))
    }

    /// Drops the groups that left the window at `clock`, and adds one request at `clock`:
    /// to the newest group if in the same cell of `cell_ms`, else as a new group.
    fn record(&mut self, clock: Timestamp, window_ms: i64, cell_ms: i64) {
        let gone = self.gone(clock, window_ms);
        let entries = self.entries.get_or_insert_with(Box::default);
        entries.counted -= sum(&entries.groups[..gone]);
        entries.groups.drain(..gone);
        entries.counted = entries.counted.saturating_add(1);
        let cell = |t: Timestamp| t.div_euclid(cell_ms);
        let full = entries.groups.len() >= MAX_GROUPS;
        match entries.groups.last_mut() {
            // The same cell, or (after a policy change left an odd log) no room: joining the
            // newest group keeps older requests counted longer, never shorter.
            Some(last) if full || cell(last.latest) == cell(clock) => {
                last.latest = clock;
                last.count = last.count.saturating_add(1);
            }
            _ => entries.groups.push(Group {
                latest: clock,
                count: 1,
            }),
        }
    }
}

/// The requests `groups` hold.
fn sum(groups: &[Group]) -> u64 {
    groups.iter().map(|g| u64::from(g.count)).sum()
}

impl RateLimit {
    /// `requests` (at least 1) per `window_ms` (positive) milliseconds.
    pub fn new(requests: u32, window_ms: i64) -> Option<RateLimit> {
        if requests == 0 || window_ms <= 0 {
            return None;
        }
        let cell_ms = if requests <= EXACT_UP_TO {
            1
        } else {
            window_ms / CELLS + i64::from(window_ms % CELLS != 0)
        };
        Some(RateLimit {
            requests,
            window_ms,
            cell_ms,
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

    /// The counting resolution in milliseconds: 1 (exact) for up to 64 requests per window,
    /// `ceil(window_ms / 64)` above; an allowed request counts for at most `cell_ms - 1` ms
    /// longer than the window.
    pub fn cell_ms(&self) -> i64 {
        self.cell_ms
    }

    /// Logs one request at `now` if the window has room for it.
    pub(crate) fn acquire(&self, log: &mut RateLog, now: Timestamp) -> Result<(), Exceeded> {
        self.would_allow(log, now)?;
        log.record(log.clock(now), self.window_ms, self.cell_ms);
        Ok(())
    }

    /// Whether [`acquire`](Self::acquire) would allow a request now, changing nothing: a
    /// `now` far ahead must not drop entries that a later, earlier-clocked check still needs.
    pub(crate) fn would_allow(&self, log: &RateLog, now: Timestamp) -> Result<(), Exceeded> {
        let clock = log.clock(now);
        let (live, mut held) = log.live(clock, self.window_ms);
        if held < u64::from(self.requests) {
            return Ok(());
        }
        // Requests leave oldest first: room comes when enough groups have left.
        let mut frees_at = clock;
        for group in live {
            held -= u64::from(group.count);
            frees_at = group.latest.saturating_add(self.window_ms);
            if held < u64::from(self.requests) {
                break;
            }
        }
        let wait = frees_at.saturating_sub(now).max(1);
        Err(Exceeded {
            retry_after_ms: u64::try_from(wait).unwrap_or(1),
        })
    }
}

#[cfg(test)]
mod tests;
