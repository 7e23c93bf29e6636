//! Web data, search, maps, media and other public-data APIs.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
];
