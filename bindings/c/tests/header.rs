//! The committed header `include/tokenward.h` must be what cbindgen generates from this crate
//! now. Run with `TOKENWARD_BLESS=1` to rewrite it.

use std::path::Path;

#[test]
fn committed_header_is_up_to_date() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header_path = crate_dir.join("../../include/tokenward.h");
    let config =
        cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    let fresh = String::from_utf8(fresh).expect("the header is UTF-8");

    if std::env::var_os("TOKENWARD_BLESS").is_some() {
        std::fs::write(&header_path, &fresh).expect("write include/tokenward.h");
        return;
    }
    let committed = std::fs::read_to_string(&header_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/tokenward.h is stale (differs from a fresh cbindgen run); regenerate it with\n\
         \n    TOKENWARD_BLESS=1 cargo test -p tokenward-c --test header\n\n\
         and commit the result. First differing line: {}",
        first_difference(&committed, &fresh)
    );
}

fn first_difference(committed: &str, fresh: &str) -> String {
    let mut committed_lines = committed.lines();
    for (n, fresh_line) in fresh.lines().enumerate() {
        let old = committed_lines.next();
        if old != Some(fresh_line) {
            return format!(
                "line {}: committed {:?}, fresh {:?}",
                n + 1,
                old.unwrap_or("<end of file>"),
                fresh_line
            );
        }
    }
    format!(
        "the committed header has extra lines after line {}",
        fresh.lines().count()
    )
}
