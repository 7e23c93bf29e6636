//! Every Rust code block of the repository's README.md, compiled and run as a doctest so the
//! README stays true. The blocks use the core, the tower layer and the fleet; this crate has
//! them all as dependencies, which no one of those crates can (the layer and the fleet depend
//! on the core). Blocks that serve forever or need a Redis server are `no_run`: compiled, not
//! run.

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
