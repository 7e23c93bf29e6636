//! Durations (`30d`, `15m`, `1h30m`) and instants (RFC 3339) in policy documents.

use crate::Timestamp;

const UNITS: &[(&str, i64)] = &[
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Parses a duration such as `500ms`, `90s`, `15m`, `12h`, `30d`, `2w` or `1h30m` into
/// milliseconds. It must be positive.
///
/// ```
/// use tokenward::policy::parse_duration;
///
/// assert_eq!(parse_duration("15m"), Ok(900_000));
/// assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
/// assert!(parse_duration("15 minutes").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || {
        "invalid duration: expected a number and a unit (ms, s, m, h, d, w), like \"30d\" or \"1h30m\""
            .to_string()
    };
    let mut rest = text;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 12 {
            return Err(bad());
        }
        let number: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let letters = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit = &rest[..letters];
        let &(_, scale) = UNITS.iter().find(|(u, _)| *u == unit).ok_or_else(bad)?;
        rest = &rest[letters..];
        total = number
            .checked_mul(scale)
            .and_then(|ms| total.checked_add(ms))
            .ok_or_else(bad)?;
    }
    if total <= 0 {
        return Err("the duration must be positive".to_string());
    }
    Ok(total)
}

/// Parses `+02:00`, `-05:30`, `Z` or `UTC` into minutes east of UTC (at most 14 hours).
pub(crate) fn parse_utc_offset(text: &str) -> Result<i32, String> {
    let bad = || "invalid UTC offset: expected +HH:MM, -HH:MM or Z".to_string();
    if text == "Z" || text == "UTC" {
        return Ok(0);
    }
    let (sign, rest) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => return Err(bad()),
    };
    let minutes = parse_hh_mm(rest).ok_or_else(bad)?;
    if minutes > 14 * 60 {
        return Err(bad());
    }
    Ok(sign * minutes as i32)
}

/// `HH:MM` into minutes; hours up to 24 (`24:00` only), minutes up to 59.
pub(crate) fn parse_hh_mm(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

/// Parses an RFC 3339 date-time (`2026-01-01T08:00:00Z`, `...+02:00`, fractional seconds
/// allowed) or a plain date (midnight UTC) into Unix milliseconds.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let bad = || {
        format!(
            "invalid time \"{}\": expected Unix milliseconds or RFC 3339 like \"2026-01-01T00:00:00Z\"",
            crate::error::Clip(text, 40)
        )
    };
    let num = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let date = text.get(..10).ok_or_else(bad)?;
    let mut parts = date.split('-');
    let (Some(y), Some(mo), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let (y, mo, d) = (
        num(y).ok_or_else(bad)?,
        num(mo).ok_or_else(bad)?,
        num(d).ok_or_else(bad)?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) {
        return Err(bad());
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    let rest = &text[10..];
    if rest.is_empty() {
        return Ok(ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
    let time = rest.get(..8).ok_or_else(bad)?;
    let (Some(h), Some(mi), Some(s)) = (time.get(0..2), time.get(3..5), time.get(6..8)) else {
        return Err(bad());
    };
    if &time[2..3] != ":" || &time[5..6] != ":" {
        return Err(bad());
    }
    let (h, mi, s) = (
        num(h).ok_or_else(bad)?,
        num(mi).ok_or_else(bad)?,
        num(s).ok_or_else(bad)?,
    );
    if h > 23 || mi > 59 || s > 60 {
        return Err(bad());
    }
    ms += (h * 3600 + mi * 60 + s) * 1000;
    let mut zone = &rest[8..];
    if let Some(frac) = zone.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        // The first three digits as milliseconds ("5" is 500), without allocating.
        let millis = (0..3).fold(0, |acc, i| {
            let digit = frac.as_bytes().get(i).filter(|_| i < digits);
            acc * 10 + digit.map_or(0, |d| i64::from(d - b'0'))
        });
        ms += millis;
        zone = &frac[digits..];
    }
    let offset = match zone {
        "Z" | "z" => 0,
        _ => parse_utc_offset(zone).map_err(|_| bad())?,
    };
    Ok(ms - i64::from(offset) * 60_000)
}

/// Unix milliseconds as RFC 3339 in UTC to the second (`2026-01-01T08:00:00Z`): what
/// [`parse_instant`] reads back, less the milliseconds.
pub fn format_instant(ms: Timestamp) -> String {
    let secs = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01: `days_from_civil` inverted.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_format_as_rfc3339() {
        assert_eq!(format_instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_instant(1_767_225_600_000), "2026-01-01T00:00:00Z");
        assert_eq!(
            format_instant(951_782_400_000 + 3_723_000),
            "2000-02-29T01:02:03Z"
        );
        assert_eq!(format_instant(-1000), "1969-12-31T23:59:59Z");
        // What is formatted parses back, to the second, across leap days and centuries
        // (the parser takes years 1970 to 9999).
        for ms in [1_709_251_199_000, 0, 951_868_799_000, 4_102_444_800_000] {
            assert_eq!(parse_instant(&format_instant(ms)), Ok(ms));
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400_000));
        assert_eq!(parse_duration("2w"), Ok(14 * 86_400_000));
        assert_eq!(parse_duration("1h30m"), Ok(90 * 60_000));
        for bad in [
            "",
            "d",
            "30",
            "30x",
            "-5m",
            "0s",
            "1.5h",
            "99999999999999d",
            "5 m",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_utc_offset("+02:00"), Ok(120));
        assert_eq!(parse_utc_offset("-05:30"), Ok(-330));
        assert_eq!(parse_utc_offset("Z"), Ok(0));
        for bad in ["02:00", "+2:00", "+15:00", "+02:60", "+0200"] {
            assert!(parse_utc_offset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn instants() {
        assert_eq!(parse_instant("1970-01-01"), Ok(0));
        assert_eq!(parse_instant("2026-01-01T00:00:00Z"), Ok(1_767_225_600_000));
        assert_eq!(
            parse_instant("2026-01-01T02:00:00+02:00"),
            Ok(1_767_225_600_000)
        );
        assert_eq!(
            parse_instant("2026-01-01T00:00:00.25Z"),
            Ok(1_767_225_600_250)
        );
        assert_eq!(parse_instant("2024-02-29"), Ok(1_709_164_800_000));
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-01-01T25:00:00Z",
            "2026-01-01T00:00:00",
            "yesterday",
            "2026-1-1",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
    }
}
