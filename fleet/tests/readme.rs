//! The README's fleet example is `examples/attach.rs` (compiled by `cargo test`), verbatim.

#[test]
fn the_readme_shows_the_compiled_example() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../examples/attach.rs");
    let block = format!("```rust,no_run\n{example}```\n");
    assert!(
        readme.contains(&block),
        "README.md must show fleet/examples/attach.rs verbatim in a ```rust,no_run block"
    );
}
