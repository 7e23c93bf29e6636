#!/usr/bin/env bash
# tw_guard_check (C, through the static library) against Guard::check (Rust) on the same
# request, in the same run.
#
#     bash benches/c_guard_check.sh [RUNS] [ROUNDS] [CHECKS]
#
# Both sides build the same Guard (config below, same key), register the same token, and check
# the same allowed request (token, subject, IP, method, raw path, user agent) with an explicit
# `now`. The Rust timer (bindings/c/examples/rust_guard_check.rs) and the C timer
# (benches/c_guard_check.c) run alternately RUNS times each; every run reports the median of
# ROUNDS rounds of CHECKS checks, per check. Prints the median over runs per mode and the C/Rust
# ratios (target: within 10%, ratio <= 1.10). Both sides hold the client address in binary
# (Rust an `IpAddr`, C `tw_request.addr`, as a server has it from its socket).
# `c_check_clock` passes TW_NOW (the library reads the clock) and `c_check_text_ip` passes the
# address as text (`tw_request.ip`, parsed per check); both are shown for information. `ffi_check` is tw_guard_check called through its C
# ABI from the Rust timer, in rounds alternating with its `rust_check` rounds: the steadiest
# ratio on a shared machine, where load drifts between the two processes.
#
# Wall times on a shared machine are noisy, so the script also counts the instructions of one
# loop of CHECKS checks on each side with valgrind's callgrind (deterministic), when valgrind
# is present.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-7}" rounds="${2:-21}" checks="${3:-20000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target="${CARGO_TARGET_DIR:-target}"

cat > "$work/config.toml" <<'TOML'
[policies.bench]
subjects = ["ci-runner"]
allow_ips = ["10.0.0.0/8", "192.168.0.0/16"]
endpoints = ["POST /v1/deploys/*", "GET /v1/status"]
TOML

# --lib as well: building the example alone does not refresh libtokenward_c.a.
cargo build -q --release -p tokenward-c --lib --example rust_guard_check
rust_bin="$target/release/examples/rust_guard_check"
cc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude benches/c_guard_check.c \
    "$target/release/libtokenward_c.a" -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc \
    -o "$work/c_guard_check"

for _ in $(seq "$runs"); do
    "$rust_bin" "$work/config.toml" "$rounds" "$checks"
    "$work/c_guard_check" "$work/config.toml" "$rounds" "$checks"
done > "$work/results"

python3 - "$work/results" "$checks" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, field = line.split()
    runs.setdefault(mode, []).append(float(field.split("=")[1]))
med = {m: statistics.median(v) for m, v in runs.items()}
print(f"{sys.argv[2]} checks per round; median over {len(runs['rust_check'])} runs")
for m, ns in med.items():
    print(f"  {m:<16} {ns:8.1f} ns/check   (runs: {', '.join(f'{x:.1f}' for x in runs[m])})")
print(f"  ffi_check / rust_check (alternating rounds, one process): {med['ffi_check'] / med['rust_check']:.3f}")
print(f"  c_check / rust_check: {med['c_check'] / med['rust_check']:.3f}")
print(f"  c_check_clock / rust_check: {med['c_check_clock'] / med['rust_check']:.3f}")
print(f"  c_check_text_ip / rust_check: {med['c_check_text_ip'] / med['rust_check']:.3f}")
PY

if command -v valgrind >/dev/null; then
    count() { # prints the instructions callgrind collected inside the function named $1
        local fn="$1"; shift
        valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect="$fn" "$@" \
            2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
    }
    n=2000
    # One round of n checks each; the first check (outside the loop) is not counted.
    rust_ir="$(count 'rust_guard_check::checks_loop*' "$rust_bin" "$work/config.toml" 1 "$n")"
    ffi_ir="$(count '*FfiGuard::checks_loop*' "$rust_bin" "$work/config.toml" 1 "$n")"
    c_ir="$(count checks_loop "$work/c_guard_check" "$work/config.toml" 1 "$n")"
    text_ir="$(count checks_loop_text_ip "$work/c_guard_check" "$work/config.toml" 1 "$n")"
    python3 -c "
r, f, c, t, n = $rust_ir, $ffi_ir, $c_ir, $text_ir, $n
print(f'instructions per check (callgrind, {n} checks): rust_check {r / n:.0f}, '
      f'ffi_check {f / n:.0f} (ratio {f / r:.3f}), c_check {c / n:.0f} (ratio {c / r:.3f}), '
      f'c_check_text_ip {t / n:.0f} (ratio {t / r:.3f})')"
fi
