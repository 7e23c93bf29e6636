//! Gives the shared library a SONAME, `libtokenward_c.so.<major>`, so programs linked against
//! it depend on the major version rather than the file name: `install.sh` installs the
//! library as `libtokenward_c.so.<version>` with the symlinks `.so.<major>` (what the loader
//! looks for) and `.so` (what `-ltokenward_c` finds).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    // ELF platforms; macOS uses install names, Windows import libraries.
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos"
    ) {
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").expect("set by cargo");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtokenward_c.so.{major}");
    }
}
