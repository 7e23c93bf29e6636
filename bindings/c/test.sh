#!/usr/bin/env bash
# Builds and tests the C bindings from nothing:
#   1. Rust unit tests, the header check (include/tokenward.h vs a fresh cbindgen run) and the
#      C test programs, debug build: installed into a temporary prefix with install.sh, linked
#      statically, through pkg-config (shared and static) and with ASan+UBSan; the README's C
#      blocks and examples/c/guard.c compiled and run;
#   2. the C test programs again under valgrind (release build: a debug build under valgrind
#      takes minutes), failing on any memory error or definite/indirect leak;
#   3. the examples examples/c/redact and examples/c/guard, built with their Makefile and run
#      (redact on its sample log), under valgrind.
# Installs a C compiler, make, pkg-config, binutils (readelf) and valgrind with apt-get when
# missing (CI runs as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
command -v cc >/dev/null || apt_install gcc libc6-dev
command -v make >/dev/null || apt_install make
command -v pkg-config >/dev/null || apt_install pkg-config
command -v readelf >/dev/null || apt_install binutils
command -v valgrind >/dev/null || apt_install valgrind
# The sanitizer runtimes (libasan, libubsan) come with gcc's own dev package; check they link.
probe="$(mktemp -d)"
echo 'int main(void) { return 0; }' > "$probe/p.c"
if ! cc -fsanitize=address,undefined "$probe/p.c" -o "$probe/p" 2>/dev/null; then
    apt_install "libgcc-$(cc -dumpversion | cut -d. -f1)-dev"
fi
rm -rf "$probe"

echo "== tokenward-c: unit tests, header check, C programs (debug)"
cargo test -p tokenward-c

echo "== tokenward-c: C programs under valgrind (release)"
TOKENWARD_VALGRIND=1 cargo test --release -p tokenward-c --test c_programs

echo "== examples/c: build redact and guard, run them (valgrind)"
make -s -C examples/c
out="$(valgrind -q --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect \
    examples/c/redact < examples/c/sample.log)"
printf '%s\n' "$out"
if grep -q -e 'AKIA7QX2M4RB5KQ3YHV6' -e 'ghp_Ky9Pf34' <<<"$out"; then
    echo "examples/c/redact left a secret in its output" >&2
    exit 1
fi
grep -q '\[REDACTED:github_classic_token\]' <<<"$out"
[ "$(wc -l <<<"$out")" = "$(wc -l < examples/c/sample.log)" ]
out="$(valgrind -q --leak-check=full --error-exitcode=1 --errors-for-leak-kinds=definite,indirect \
    examples/c/guard)"
printf '%s\n' "$out"
grep -q '^10.2.3.4: allowed (tid_' <<<"$out"
grep -q '^203.0.113.9: denied ip_not_allowed (tid_' <<<"$out"
grep -q '^10.2.3.4: denied revoked (tid_' <<<"$out"
echo "C bindings: all passed"
