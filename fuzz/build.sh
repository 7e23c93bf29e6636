#!/usr/bin/env bash
# Builds every fuzz target with libFuzzer and SanitizerCoverage on a stable toolchain: no
# nightly, no cargo-fuzz. See README.md. Binaries land in
# $CARGO_TARGET_DIR/<host>/release/<target>.
set -euo pipefail
cd "$(dirname "$0")"

host=$(rustc -vV | sed -n 's/^host: //p')
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
# The flags cargo-fuzz passes for `--sanitizer none`; all are stable rustc options. They apply
# to the target only (hence the explicit --target): build scripts and proc macros stay plain.
export CARGO_TARGET_$(echo "$host" | tr 'a-z-' 'A-Z_')_RUSTFLAGS="\
 --cfg fuzzing\
 -Cpasses=sancov-module\
 -Cllvm-args=-sanitizer-coverage-level=4\
 -Cllvm-args=-sanitizer-coverage-inline-8bit-counters\
 -Cllvm-args=-sanitizer-coverage-pc-table\
 -Cllvm-args=-sanitizer-coverage-trace-compares\
 -Cllvm-args=-simplifycfg-branch-fold-threshold=0\
 -Cforce-frame-pointers=yes"
cargo build --locked --release --target "$host" --bins "$@"
echo "$CARGO_TARGET_DIR/$host/release"
