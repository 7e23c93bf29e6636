//! Product analytics, feature flags and experimentation.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
];
