#!/usr/bin/env bash
# Builds and tests tokenward in every language, from nothing: Rust (format, lints, tests, docs),
# then the fleet crate against a real redis-server, then each binding's own script, which
# installs what it needs (redis-server, pip, npm and cargo packages, valgrind) before building
# and testing, then a smoke pass of the fuzz targets. Exits non-zero when anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
run_suite() {
    local name=$1
    shift
    echo "==> $name"
    if "$@"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "==> $name FAILED" >&2
    fi
}

# Chained with && because `set -e` does not apply inside a function called as an `if` condition.
rust_checks() {
    cargo fmt --all -- --check &&
        cargo clippy --workspace --all-targets --locked -- -D warnings &&
        cargo test --workspace --locked --no-fail-fast &&
        cargo test -p tokenward --features getrandom --locked --lib --test guard_check &&
        RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --locked
}

run_suite rust rust_checks
# The fleet crate against a real redis-server (installed by its script when missing).
run_suite fleet bash fleet/test.sh
for binding in python node c; do
    if [ -f "bindings/$binding/test.sh" ]; then
        run_suite "$binding" bash "bindings/$binding/test.sh"
    fi
done
# A short, fixed-seed smoke pass of the fuzz targets (about a minute; see fuzz/README.md).
# `stream` is left out while fuzz/known/ holds an open finding of it (key blocks left open past
# the window on long lines); `bash fuzz/smoke.sh stream` reproduces it.
run_suite fuzz bash fuzz/smoke.sh redact config policy restore capi

echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
