//! Weekly time windows (`mon-fri 08:00-18:00`) compiled into a bitmap of the week's minutes.

use crate::Timestamp;

const MINUTES_PER_DAY: usize = 1440;
const MINUTES_PER_WEEK: usize = 7 * MINUTES_PER_DAY;
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The minutes of a week in which a token may be used, in a fixed UTC offset.
///
/// ```
/// use tokenward::policy::WeeklyWindows;
///
/// let office = WeeklyWindows::parse(&["mon-fri 08:00-18:00"], 120).unwrap();
/// // Monday 2026-01-05 07:30 UTC is 09:30 at +02:00.
/// assert!(office.contains(1_767_598_200_000));
/// // Saturday 2026-01-10 10:00 UTC.
/// assert!(!office.contains(1_768_039_200_000));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct WeeklyWindows {
    /// One bit per minute, Monday 00:00 local time first.
    minutes: Box<[u64]>,
    offset_minutes: i32,
}

impl std::fmt::Debug for WeeklyWindows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.minutes.iter().map(|w| w.count_ones()).sum::<u32>();
        f.debug_struct("WeeklyWindows")
            .field("open_minutes_per_week", &open)
            .field("offset_minutes", &self.offset_minutes)
            .finish()
    }
}

impl WeeklyWindows {
    /// Compiles windows written in local time at `offset_minutes` east of UTC. Each window is
    /// `<days> <HH:MM>-<HH:MM>`: days are `daily`, a day (`mon`), a range (`mon-fri`, `fri-mon`)
    /// or a comma list of those; an end at or before the start runs past midnight into the next
    /// day; `24:00` ends a day. Errors give the window's index and the reason.
    pub fn parse<S: AsRef<str>>(
        windows: &[S],
        offset_minutes: i32,
    ) -> Result<WeeklyWindows, (usize, String)> {
        let mut minutes = vec![0u64; MINUTES_PER_WEEK.div_ceil(64)].into_boxed_slice();
        for (index, window) in windows.iter().enumerate() {
            let window = window.as_ref();
            let (days, start, end) = parse_window(window).map_err(|reason| (index, reason))?;
            for day in (0..7).filter(|d| days & (1 << d) != 0) {
                let first = day * MINUTES_PER_DAY + start;
                let length = if end > start {
                    end - start
                } else {
                    MINUTES_PER_DAY - start + end
                };
                for minute in first..first + length {
                    let m = minute % MINUTES_PER_WEEK;
                    minutes[m / 64] |= 1 << (m % 64);
                }
            }
        }
        Ok(WeeklyWindows {
            minutes,
            offset_minutes,
        })
    }

    /// True when the instant `now` falls in a window.
    pub fn contains(&self, now: Timestamp) -> bool {
        let local_minutes = now.div_euclid(60_000) + i64::from(self.offset_minutes);
        // 1970-01-01 was a Thursday: day 3 of a week that starts on Monday.
        let m = (local_minutes + 3 * MINUTES_PER_DAY as i64).rem_euclid(MINUTES_PER_WEEK as i64)
            as usize;
        self.minutes[m / 64] & (1 << (m % 64)) != 0
    }
}

/// `(day bits, start minute, end minute)` of one window.
fn parse_window(text: &str) -> Result<(u8, usize, usize), String> {
    let bad = |why: &str| format!("invalid time window: {why}");
    let mut parts = text.split_whitespace();
    let (Some(days), Some(hours), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected days and hours, like \"mon-fri 08:00-18:00\""));
    };
    let mut bits = 0u8;
    for item in days.to_ascii_lowercase().split(',') {
        let day = |name: &str| {
            DAYS.iter()
                .position(|d| *d == name)
                .ok_or_else(|| bad("unknown day (use mon..sun or daily)"))
        };
        match item.split_once('-') {
            _ if item == "daily" => bits = 0x7f,
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let mut d = from;
                loop {
                    bits |= 1 << d;
                    if d == to {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => bits |= 1 << day(item)?,
        }
    }
    let (start, end) = hours
        .split_once('-')
        .ok_or_else(|| bad("hours are HH:MM-HH:MM"))?;
    let start = super::time::parse_hh_mm(start).ok_or_else(|| bad("hours are HH:MM-HH:MM"))?;
    let end = super::time::parse_hh_mm(end).ok_or_else(|| bad("hours are HH:MM-HH:MM"))?;
    if start == 1440 {
        return Err(bad("a window cannot start at 24:00"));
    }
    if start == end {
        return Err(bad("the window is empty (start equals end)"));
    }
    Ok((bits, start as usize, end as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of 2026-01-05 (a Monday) plus `day` days, `h` hours, `m` minutes, UTC.
    fn at(day: i64, h: i64, m: i64) -> Timestamp {
        1_767_571_200_000 + ((day * 24 + h) * 60 + m) * 60_000
    }

    #[test]
    fn office_hours_in_utc() {
        let w = WeeklyWindows::parse(&["mon-fri 08:00-18:00"], 0).unwrap();
        assert!(w.contains(at(0, 8, 0)));
        assert!(w.contains(at(4, 17, 59)));
        assert!(!w.contains(at(0, 18, 0)));
        assert!(!w.contains(at(0, 7, 59)));
        assert!(!w.contains(at(5, 12, 0)));
    }

    #[test]
    fn offsets_shift_the_week() {
        let w = WeeklyWindows::parse(&["mon 00:00-01:00"], -300).unwrap();
        // Monday 00:30 at -05:00 is Monday 05:30 UTC.
        assert!(w.contains(at(0, 5, 30)));
        assert!(!w.contains(at(0, 0, 30)));
        let east = WeeklyWindows::parse(&["mon 00:00-01:00"], 120).unwrap();
        // Monday 00:30 at +02:00 is Sunday 22:30 UTC.
        assert!(east.contains(at(-1, 22, 30)));
    }

    #[test]
    fn overnight_and_wrapping_days() {
        let w = WeeklyWindows::parse(&["sun 22:00-06:00", "fri-mon 12:00-13:00"], 0).unwrap();
        assert!(w.contains(at(6, 23, 0)));
        assert!(w.contains(at(7, 5, 59))); // the next Monday morning
        assert!(!w.contains(at(7, 6, 0)));
        assert!(w.contains(at(5, 12, 30))); // Saturday
        assert!(!w.contains(at(2, 12, 30))); // Wednesday
        let all = WeeklyWindows::parse(&["daily 00:00-24:00"], 0).unwrap();
        assert!((0..7).all(|d| all.contains(at(d, 23, 59)) && all.contains(at(d, 0, 0))));
    }

    #[test]
    fn errors() {
        let err = |w: &str| WeeklyWindows::parse(&[w], 0).unwrap_err().1;
        assert!(err("mon-fri").contains("expected days and hours"));
        let unknown = err("mon-fry 08:00-18:00");
        assert!(unknown.contains("unknown day") && !unknown.contains("fry"));
        assert!(err("mon 8:00-18:00").contains("HH:MM-HH:MM"));
        assert!(err("mon 08:00-08:00").contains("empty"));
        assert!(err("mon 24:00-01:00").contains("24:00"));
    }
}
