//! The settings two trackers must share for their state to combine.

use serde::{Deserialize, Serialize};

use super::config::{UsageConfig, WindowSpec};

/// The settings two trackers must share for their state to combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Shape {
    fine: WindowSpec,
    coarse: WindowSpec,
    distinct_period_secs: u64,
}

impl Shape {
    /// The shape of trackers built with `c`.
    pub(super) fn of(c: &UsageConfig) -> Shape {
        Shape {
            fine: c.fine_window,
            coarse: c.coarse_window,
            distinct_period_secs: c.distinct_period_secs,
        }
    }
}
