//! Compiles the C programs in `tests/c/` with the system C compiler against
//! `include/tokenward.h` and this crate's static (or shared) library, runs them, and checks
//! that each ends with `ok: <name>` and a zero exit status.
//!
//! With `TOKENWARD_VALGRIND=1` every program runs under
//! `valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect`,
//! so any memory error or leak fails the test (`bindings/c/test.sh` does this with a release
//! build; a debug build under valgrind takes minutes).
//! `CC` picks the compiler (default `cc`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// What the static library needs from the system (`--print native-static-libs` on Linux).
const NATIVE_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];

const CFLAGS: &[&str] = &[
    "-std=c11",
    "-D_POSIX_C_SOURCE=200809L",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-g",
];

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The profile directory (`target/debug`, `target/release`) that holds this test binary's
/// `deps/` and the library cargo built beside it.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    assert!(
        dir.join("libtokenward_c.a").exists(),
        "libtokenward_c.a not found in {} (cargo builds it with this test)",
        dir.display()
    );
    dir.to_path_buf()
}

enum Link {
    Static,
    Shared,
}

fn compile(name: &str, link: Link) -> PathBuf {
    let source = crate_dir().join("tests/c").join(format!("{name}.c"));
    let suffix = match link {
        Link::Static => "static",
        Link::Shared => "shared",
    };
    let binary = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c_{name}_{suffix}"));
    let lib = library_dir();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut command = Command::new(&cc);
    command
        .args(CFLAGS)
        .arg("-I")
        .arg(crate_dir().join("../../include"))
        .arg(&source)
        .arg("-o")
        .arg(&binary);
    match link {
        Link::Static => command.arg(lib.join("libtokenward_c.a")),
        Link::Shared => command
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-ltokenward_c"),
    };
    command.args(NATIVE_LIBS);
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    binary
}

/// Runs a compiled program (under valgrind when asked) and returns its stdout.
fn run(name: &str, binary: &Path) -> String {
    let valgrind = std::env::var_os("TOKENWARD_VALGRIND").is_some_and(|v| v == "1");
    let mut command = if valgrind {
        let mut c = Command::new("valgrind");
        c.args([
            "-q",
            "--leak-check=full",
            "--error-exitcode=1",
            "--errors-for-leak-kinds=definite,indirect",
        ])
        .arg(binary);
        c
    } else {
        Command::new(binary)
    };
    let output = command.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} (valgrind: {valgrind}): {e}",
            binary.display()
        )
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name} failed with {}:\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    // valgrind -q prints nothing unless it found a problem.
    assert!(
        stderr.trim().is_empty(),
        "{name} wrote to stderr:\n{stderr}"
    );
    assert_eq!(
        stdout.lines().last(),
        Some(format!("ok: {name}").as_str()),
        "{name} did not finish:\n{stdout}"
    );
    stdout
}

fn check(name: &str) -> String {
    run(name, &compile(name, Link::Static))
}

#[test]
fn basics() {
    let out = check("basics");
    for group in [
        "defaults redact secrets",
        "empty input",
        "styles and config",
    ] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn errors() {
    let out = check("errors");
    for group in ["config errors", "null pointers", "last error contract"] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn utf8_and_buffers() {
    let out = check("utf8_and_buffers");
    for group in ["invalid utf-8", "caller buffers", "interior nul"] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn large() {
    let out = check("large");
    assert!(out.contains("one huge line"), "{out}");
}

#[test]
fn threads() {
    let out = check("threads");
    assert!(out.contains("8 threads x 400 iterations"), "{out}");
}

/// The shared library exports the same API: the basics program linked against it.
#[test]
fn basics_against_the_shared_library() {
    run("basics", &compile("basics", Link::Shared));
}
