//! Compiles the C programs in `tests/c/` with the system C compiler, runs them, and checks
//! that each ends with `ok: <name>` and a zero exit status.
//!
//! The library is first installed into a temporary prefix with `bindings/c/install.sh`, and the
//! programs are built exactly as the header's instructions say: the static archive named by
//! path, `pkg-config --cflags --libs tokenward` (shared, through the SONAME symlinks) and
//! `pkg-config --cflags --libs tokenward-static`. The Guard programs are also built with
//! `-fsanitize=address,undefined`.
//!
//! With `TOKENWARD_VALGRIND=1` every program (but the sanitizer builds) runs under
//! `valgrind --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect`,
//! so any memory error or leak fails the test (`bindings/c/test.sh` does this with a release
//! build; a debug build under valgrind takes minutes).
//! `CC` picks the compiler (default `cc`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
/// `deps/`, with the C libraries freshly built in it.
///
/// `cargo test` builds this crate only as an rlib for its tests and leaves
/// `libtokenward_c.a`/`.so` alone (possibly missing, possibly stale), so the first caller runs
/// `cargo build --lib` for the same profile. Cargo does not hold its build lock while tests
/// run, and an up-to-date library makes this a no-op.
fn library_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>/deps/<test>")
            .to_path_buf();
        let profile = dir.file_name().and_then(|n| n.to_str()).unwrap_or("debug");
        let profile = if profile == "debug" { "dev" } else { profile };
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| env!("CARGO").into());
        let output = Command::new(&cargo)
            .args(["build", "-p", "tokenward-c", "--lib", "--profile", profile])
            .current_dir(crate_dir())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
        assert!(
            output.status.success(),
            "building libtokenward_c failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            dir.join("libtokenward_c.a").exists(),
            "libtokenward_c.a not found in {} after cargo build",
            dir.display()
        );
        dir
    })
}

/// The temporary prefix the library is installed into, by `install.sh PREFIX --lib-dir`.
fn prefix() -> &'static Path {
    static PREFIX: OnceLock<PathBuf> = OnceLock::new();
    PREFIX.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_prefix");
        let _ = std::fs::remove_dir_all(&prefix);
        let output = Command::new("bash")
            .arg(crate_dir().join("install.sh"))
            .arg(&prefix)
            .arg("--lib-dir")
            .arg(library_dir())
            .output()
            .expect("cannot run bash bindings/c/install.sh");
        assert!(
            output.status.success(),
            "install.sh failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        prefix
    })
}

/// How a program is linked: the three ways the header documents.
#[derive(Clone, Copy)]
enum Link {
    /// `-I$PREFIX/include $PREFIX/lib/libtokenward_c.a` and the native libraries.
    Static,
    /// `$(pkg-config --cflags --libs tokenward)`, plus an rpath to the temporary prefix.
    PkgConfigShared,
    /// `$(pkg-config --cflags --libs tokenward-static)`.
    PkgConfigStatic,
}

/// Sanitizer flags for a build, when any.
const SANITIZE: &[&str] = &[
    "-fsanitize=address,undefined",
    "-fno-sanitize-recover=all",
    "-fno-omit-frame-pointer",
];

/// `pkg-config <args>` against the temporary prefix, split into arguments.
fn pkg_config(args: &[&str]) -> Vec<String> {
    let output = Command::new("pkg-config")
        .args(args)
        .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig"))
        .output()
        .expect("cannot run pkg-config (bindings/c/test.sh installs it)");
    assert!(
        output.status.success(),
        "pkg-config {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("pkg-config prints UTF-8")
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// Compiles a C source (`tests/c/<name>.c` or any path) into a binary named after `label`.
fn compile_source(source: &Path, label: &str, link: Link, sanitize: bool) -> PathBuf {
    let binary = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c_{label}"));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mut command = Command::new(&cc);
    command.args(CFLAGS);
    if sanitize {
        command.args(SANITIZE);
    }
    command.arg(source).arg("-o").arg(&binary);
    let prefix = prefix();
    match link {
        Link::Static => {
            command
                .arg(format!("-I{}", prefix.join("include").display()))
                .arg(prefix.join("lib/libtokenward_c.a"))
                .args(NATIVE_LIBS);
        }
        Link::PkgConfigShared => {
            command.args(pkg_config(&["--cflags", "--libs", "tokenward"]));
            let libdir = pkg_config(&["--variable=libdir", "tokenward"]).join("");
            command.arg(format!("-Wl,-rpath,{libdir}"));
        }
        Link::PkgConfigStatic => {
            command.args(pkg_config(&["--cflags", "--libs", "tokenward-static"]));
        }
    }
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

fn compile(name: &str, link: Link) -> PathBuf {
    let suffix = match link {
        Link::Static => "static",
        Link::PkgConfigShared => "pkg_shared",
        Link::PkgConfigStatic => "pkg_static",
    };
    let source = crate_dir().join("tests/c").join(format!("{name}.c"));
    compile_source(&source, &format!("{name}_{suffix}"), link, false)
}

/// Runs a compiled program (under valgrind when asked) and returns its stdout.
fn run(name: &str, binary: &Path) -> String {
    run_with(name, binary, valgrind_requested())
}

fn valgrind_requested() -> bool {
    std::env::var_os("TOKENWARD_VALGRIND").is_some_and(|v| v == "1")
}

/// Runs a compiled program, under valgrind when `valgrind`, and checks that it ends with
/// `ok: <name>`.
fn run_with(name: &str, binary: &Path, valgrind: bool) -> String {
    let stdout = run_program(name, binary, valgrind);
    assert_eq!(
        stdout.lines().last(),
        Some(format!("ok: {name}").as_str()),
        "{name} did not finish:\n{stdout}"
    );
    stdout
}

/// Runs a compiled program (under valgrind when `valgrind`), checks that it succeeded and
/// wrote nothing to stderr, and returns its stdout.
fn run_program(name: &str, binary: &Path, valgrind: bool) -> String {
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
        let mut c = Command::new(binary);
        // For the sanitizer builds: stop at the first report, and check for leaks at exit.
        c.env(
            "ASAN_OPTIONS",
            "detect_leaks=1:abort_on_error=0:exitcode=23",
        )
        .env(
            "UBSAN_OPTIONS",
            "halt_on_error=1:print_stacktrace=1:exitcode=24",
        );
        c
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

/// The shared library exports the same API: the basics program linked against it through
/// pkg-config, found at run time by its SONAME.
#[test]
fn basics_against_the_shared_library() {
    run("basics", &compile("basics", Link::PkgConfigShared));
}

fn check_guard(out: &str) {
    for group in [
        "config errors",
        "register and check",
        "mint, rate limit and events",
        "lifecycle",
        "revoke where",
        "snapshot and restore",
        "outcomes",
        "arguments",
    ] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn guard() {
    check_guard(&check("guard"));
}

/// `tw_request.addr`: binary IPv4, IPv6 and IPv4-mapped addresses, and their errors.
#[test]
fn guard_addr() {
    let out = check("guard_addr");
    for group in ["binary addresses", "address errors"] {
        assert!(out.contains(group), "{out}");
    }
}

#[test]
fn guard_threads() {
    let out = check("guard_threads");
    assert!(out.contains("2 checkers, 1 revoker, 64 tokens"), "{out}");
}

#[test]
fn gate() {
    let out = check("gate");
    for group in [
        "gate config",
        "exempt and missing",
        "forwarded addresses",
        "rate limited",
        "gate errors",
    ] {
        assert!(out.contains(group), "{out}");
    }
}

/// The Guard programs linked both ways pkg-config offers.
#[test]
fn guard_through_pkg_config() {
    for link in [Link::PkgConfigShared, Link::PkgConfigStatic] {
        check_guard(&run("guard", &compile("guard", link)));
        run("guard_threads", &compile("guard_threads", link));
    }
}

/// The Guard programs built with AddressSanitizer (with its leak checker) and
/// UndefinedBehaviorSanitizer: any report fails the run. Never under valgrind, which cannot
/// host ASan.
#[test]
fn guard_under_sanitizers() {
    for name in ["guard", "guard_addr", "guard_threads", "gate"] {
        let source = crate_dir().join("tests/c").join(format!("{name}.c"));
        let binary = compile_source(&source, &format!("{name}_asan"), Link::Static, true);
        run_with(name, &binary, false);
    }
}

/// The dynamic section of the installed library names its SONAME, and the symlinks lead
/// to the versioned file.
#[test]
fn installed_library_has_a_soname() {
    let lib = prefix().join("lib");
    let version = env!("CARGO_PKG_VERSION");
    let major = env!("CARGO_PKG_VERSION_MAJOR");
    let versioned = format!("libtokenward_c.so.{version}");
    let soname = format!("libtokenward_c.so.{major}");
    assert_eq!(
        std::fs::read_link(lib.join(&soname)).unwrap(),
        Path::new(&versioned)
    );
    assert_eq!(
        std::fs::read_link(lib.join("libtokenward_c.so")).unwrap(),
        Path::new(&soname)
    );
    let output = Command::new("readelf")
        .arg("-d")
        .arg(lib.join(&versioned))
        .output()
        .expect("cannot run readelf (binutils)");
    let dynamic = String::from_utf8_lossy(&output.stdout);
    assert!(
        dynamic.contains(&format!("Library soname: [{soname}]")),
        "{dynamic}"
    );
    // A program linked through pkg-config records the SONAME, not the unversioned name.
    let program = compile("basics", Link::PkgConfigShared);
    let output = Command::new("readelf")
        .arg("-d")
        .arg(&program)
        .output()
        .unwrap();
    let needed = String::from_utf8_lossy(&output.stdout);
    assert!(
        needed.contains(&format!("Shared library: [{soname}]")),
        "{needed}"
    );
}

/// What the static library needs from the system, as rustc reports it for a staticlib, is
/// what the pkg-config files, this test and the header say.
#[test]
fn native_static_libs_are_what_rustc_says() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("native_static_libs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("empty.rs"), "pub fn f() {}\n").unwrap();
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--crate-type", "staticlib", "--print", "native-static-libs"])
        .arg(dir.join("empty.rs"))
        .arg("-o")
        .arg(dir.join("libempty.a"))
        .output()
        .expect("cannot run rustc");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let libs = stderr
        .lines()
        .find_map(|l| l.split("native-static-libs: ").nth(1))
        .unwrap_or_else(|| panic!("no native-static-libs note:\n{stderr}"))
        .trim()
        .to_string();
    assert_eq!(libs, NATIVE_LIBS.join(" "));
    for pc in ["tokenward.pc.in", "tokenward-static.pc.in"] {
        let text = std::fs::read_to_string(crate_dir().join(pc)).unwrap();
        assert!(text.contains(&libs), "{pc} lacks {libs}");
    }
    let header = std::fs::read_to_string(crate_dir().join("../../include/tokenward.h")).unwrap();
    assert!(
        header.contains(&format!("libtokenward_c.a {libs}")),
        "the header lacks {libs}"
    );
}

fn repo_root() -> PathBuf {
    crate_dir().join("../..")
}

/// examples/c/guard.c builds as the header says and prints what its comments promise.
#[test]
fn example_guard_runs() {
    let source = repo_root().join("examples/c/guard.c");
    let binary = compile_source(&source, "example_guard", Link::Static, false);
    let out = run_program("examples/c/guard", &binary, valgrind_requested());
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("10.2.3.4: allowed (tid_"), "{out}");
    assert!(
        lines[1].starts_with("203.0.113.9: denied ip_not_allowed (tid_"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("10.2.3.4: denied revoked (tid_"),
        "{out}"
    );
    // One id throughout: the minted token's.
    let id = &lines[0][lines[0].find("tid_").unwrap()..lines[0].len() - 1];
    assert!(lines[1].contains(id) && lines[2].contains(id), "{out}");
    // minted, denied, revoked, denied: one JSON line each.
    assert_eq!(lines[3], "4 events:", "{out}");
    let kinds: Vec<&str> = lines[4..]
        .iter()
        .map(|line| {
            let kind = line.split("\"kind\":{\"").nth(1).expect("a kind");
            &kind[..kind.find('"').unwrap()]
        })
        .collect();
    assert_eq!(kinds, ["minted", "denied", "revoked", "denied"], "{out}");
    assert!(lines[4..].iter().all(|l| l.contains(id)), "{out}");
    // The raw token (prefix tw_) is never printed, only its id.
    assert!(!out.contains("\"tw_") && !out.contains(" tw_"), "{out}");
}

/// The ```c blocks of README.md, each extracted into a file, compiled as the header says and
/// run: they must succeed and write nothing to stderr.
fn readme_c_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```c") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn readme_c_blocks_compile_and_run() {
    let blocks = readme_c_blocks();
    assert!(blocks.len() >= 2, "README.md has {} C blocks", blocks.len());
    for (i, block) in blocks.iter().enumerate() {
        let source = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("readme_{i}.c"));
        std::fs::write(&source, block).unwrap();
        let binary = compile_source(&source, &format!("readme_{i}"), Link::Static, false);
        run_program(
            &format!("README C block {i}"),
            &binary,
            valgrind_requested(),
        );
    }
}

/// The README's Guard example is examples/c/guard.c, verbatim.
#[test]
fn readme_guard_block_is_the_example() {
    let example = std::fs::read_to_string(repo_root().join("examples/c/guard.c")).unwrap();
    let blocks = readme_c_blocks();
    let guard = blocks
        .iter()
        .find(|b| b.contains("tw_guard_new"))
        .expect("README.md has a C block with tw_guard_new");
    assert!(
        guard == &example,
        "the README's Guard block differs from examples/c/guard.c"
    );
}
