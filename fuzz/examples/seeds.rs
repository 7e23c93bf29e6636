//! Writes the `restore` target's seeds from a real snapshot: `cargo run --example seeds`
//! (an ordinary build; no fuzzing flags needed). The files are committed under
//! `corpus/restore/`; rerun after a snapshot format change.

use std::fs;
use std::path::Path;

use tokenward_fuzz::snapshot::{payload, sample_guard};

fn main() -> std::io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/restore");
    fs::create_dir_all(&dir)?;
    let (guard, _) = sample_guard();
    let snapshot = guard.snapshot();
    // The targets' inputs: a mode byte, two bytes of time, then the mode's bytes.
    let seeds: [(&str, Vec<u8>); 3] = [
        ("seed-snapshot", [&[0, 0, 0][..], &snapshot].concat()),
        (
            "seed-payload",
            [&[1, 0, 0][..], payload(&snapshot)].concat(),
        ),
        ("seed-edits", vec![2, 0, 0, 0x10, 0, 3, 7]),
    ];
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes)?;
    }
    println!(
        "{} bytes of snapshot; seeds in {}",
        snapshot.len(),
        dir.display()
    );
    Ok(())
}
