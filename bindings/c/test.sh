#!/usr/bin/env bash
# Builds and tests the C bindings from nothing:
#   1. Rust unit tests, the header check (include/tokenward.h vs a fresh cbindgen run) and the
#      C test programs, debug build;
#   2. the C test programs again under valgrind (release build: a debug build under valgrind
#      takes minutes), failing on any memory error or definite/indirect leak;
#   3. the example examples/c/redact, built with its Makefile and run on its sample log, also
#      under valgrind.
# Installs a C compiler and valgrind with apt-get when missing (CI runs as root).
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
command -v valgrind >/dev/null || apt_install valgrind

echo "== tokenward-c: unit tests, header check, C programs (debug)"
cargo test -p tokenward-c

echo "== tokenward-c: C programs under valgrind (release)"
TOKENWARD_VALGRIND=1 cargo test --release -p tokenward-c --test c_programs

echo "== examples/c: build and run on sample.log (valgrind)"
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
echo "C bindings: all passed"
