//! IoT platforms and device clouds.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
];
