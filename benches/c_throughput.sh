#!/usr/bin/env bash
# C throughput through the FFI against the Rust API on the same log, in the same run.
#
#     bash benches/c_throughput.sh [RUNS] [ROUNDS] [LINES]
#
# Generates a deterministic log of LINES lines (mostly clean access and JSON lines, about one in
# 40 with a secret), then runs the Rust timer (`redact_bytes`, bindings/c/examples/
# rust_throughput.rs) and the C timer (benches/c_throughput.c, linked against the static
# library) alternately RUNS times each; every run reports the median of ROUNDS rounds. Prints
# the median over runs per mode and the C/Rust time ratios (target: within 10%, ratio <= 1.10).
#
# Wall times on a shared machine are noisy, so the script also counts the instructions of one
# per-line pass on each side with valgrind's callgrind (deterministic), when valgrind is present.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}" rounds="${2:-15}" lines="${3:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build -q --release -p tokenward-c --example rust_throughput
rust_bin=target/release/examples/rust_throughput
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude benches/c_throughput.c \
    target/release/libtokenward_c.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
    -o "$work/c_throughput"

"$rust_bin" gen "$lines" > "$work/log"
for _ in $(seq "$runs"); do
    "$rust_bin" run "$work/log" "$rounds"
    "$work/c_throughput" "$work/log" "$rounds"
done > "$work/results"

python3 - "$work/results" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, *fields = line.split()
    f = dict(x.split("=") for x in fields)
    runs.setdefault(mode, []).append(int(f["median_ns"]))
    size, count = int(f["bytes"]), int(f["lines"])
med = {m: statistics.median(v) for m, v in runs.items()}
print(f"input: {size} bytes, {count} lines; median over {len(runs['rust_lines'])} runs")
for m, ns in med.items():
    print(f"  {m:<14} {ns / 1e6:8.3f} ms  {size / ns * 1e3:8.1f} MB/s  {ns / count:7.1f} ns/line")
for c, r in [("c_lines", "rust_lines"), ("c_lines_into", "rust_lines"), ("c_buffer", "rust_buffer")]:
    print(f"  {c} / {r}: {med[c] / med[r]:.3f}")
PY

if command -v valgrind >/dev/null; then
    count() { # prints the instructions callgrind collected inside the function named $1
        local fn="$1"; shift
        valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$fn" "$@" \
            2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    rust_ir="$(count '*rust_throughput*redact_lines*' "$rust_bin" run "$work/log" 1)"
    c_ir="$(count per_line "$work/c_throughput" "$work/log" 1)"
    c_into_ir="$(count per_line_into "$work/c_throughput" "$work/log" 1)"
    python3 -c "
r, c, i = $rust_ir, $c_ir, $c_into_ir
print(f'instructions, 2 per-line passes (callgrind): rust_lines {r}, c_lines {c} (ratio {c / r:.3f}), c_lines_into {i} (ratio {i / r:.3f})')"
fi
