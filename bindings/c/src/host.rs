//! What the core leaves to its host: the clock and the random source.

use std::time::{SystemTime, UNIX_EPOCH};

use tokenward::Timestamp;

use crate::boundary::Failure;
use crate::status::tw_status;

/// Pass as `now_ms` to any `tw_guard_*` function to have tokenward read the system clock
/// (Unix milliseconds) during the call. Any other value is the time of the call, in Unix
/// milliseconds: tests and replays pass their own.
pub const TW_NOW: i64 = 0;

/// `now_ms` as given, or the wall clock when it is `TW_NOW`. Inline: on the path of every
/// `tw_guard_check`, where a given time is the common case.
#[inline]
pub(crate) fn now(now_ms: i64) -> Result<Timestamp, Failure> {
    if now_ms != TW_NOW {
        return Ok(now_ms);
    }
    clock()
}

/// The wall clock, in Unix milliseconds.
#[inline(never)]
fn clock() -> Result<Timestamp, Failure> {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| {
        Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            "the system clock is before 1970",
        )
    })?;
    i64::try_from(since_epoch.as_millis()).map_err(|_| {
        Failure::new(
            tw_status::TW_INVALID_ARGUMENT,
            "the system clock is out of range",
        )
    })
}

/// 32 bytes from the operating system's random source, for minting.
pub(crate) fn random32() -> Result<[u8; 32], Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Failure::new(
            tw_status::TW_RANDOM,
            format!("the operating system's random source failed: {e}"),
        )
    })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_times_pass_through_and_tw_now_reads_the_clock() {
        assert_eq!(now(1_767_225_600_000).unwrap(), 1_767_225_600_000);
        assert_eq!(now(-5).unwrap(), -5);
        let before = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        let read = now(TW_NOW).unwrap();
        assert!(
            read >= before && read < before + 60_000,
            "{read} vs {before}"
        );
    }

    #[test]
    fn random_bytes_differ() {
        assert_ne!(random32().unwrap(), random32().unwrap());
    }
}
