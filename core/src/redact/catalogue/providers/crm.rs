//! CRM, customer support, marketing and commerce content platforms.

use super::prelude::*;

pub(crate) static RULES: &[Builtin] = &[
];
