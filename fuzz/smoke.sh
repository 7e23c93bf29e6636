#!/usr/bin/env bash
# Builds every fuzz target and runs each for a few seconds from its committed seeds; exits
# non-zero when a target crashes (a panic, a failed property, an abort on an unbounded
# allocation, a timeout or running out of memory). Needs only cargo and a C++ compiler (for
# libFuzzer, built by the libfuzzer-sys crate): no nightly, no cargo-fuzz. See README.md.
#
#   fuzz/smoke.sh              # a fixed number of runs per target from a fixed seed (the
#                              # same inputs every time, so CI is not at the mercy of luck)
#   SECONDS_PER_TARGET=60 fuzz/smoke.sh redact stream   # explore: time-bounded, random seed
#
# New corpus entries go to a scratch directory, not to the committed seeds; a crashing input
# is kept in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(redact config policy restore stream capi)
fi
per_target=${SECONDS_PER_TARGET:-}

if ! command -v "${CXX:-c++}" >/dev/null; then
    echo "smoke.sh: a C++ compiler (c++ or \$CXX) is needed to build libFuzzer" >&2
    exit 2
fi

bin=$(./build.sh | tail -n 1)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Runs per target for the fixed-seed pass: about a minute in all on this project's 2-core
# machines.
runs() {
    case $1 in
        policy) echo 240000 ;;
        config) echo 60000 ;;
        capi) echo 6000 ;;
        *) echo 24000 ;;
    esac
}
budget() {
    if [ -n "$per_target" ]; then
        echo "-max_total_time=$per_target"
    else
        # Deterministic: the seed fixes the inputs; the time cap only guards a slow machine.
        echo "-seed=1 -runs=$(runs "$1") -max_total_time=120"
    fi
}

max_len() {
    case $1 in
        restore) echo 32768 ;; # the real snapshot seed is about 30 KB
        stream) echo 8192 ;;   # lines longer than the window
        *) echo 4096 ;;
    esac
}

failed=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target" "artifacts/$target"
    echo "== $target: $(budget "$target")"
    # shellcheck disable=SC2046 # budget() yields several flags
    if ! "$bin/$target" "$scratch/$target" "corpus/$target" \
        $(budget "$target") -max_len="$(max_len "$target")" \
        -timeout=10 -rss_limit_mb=2048 -error_exitcode=77 -print_final_stats=1 \
        -artifact_prefix="artifacts/$target/" >"$scratch/$target.log" 2>&1; then
        failed+=("$target")
        tail -n 40 "$scratch/$target.log" >&2
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|DONE' "$scratch/$target.log" || true
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "smoke.sh: crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "smoke.sh: ${#targets[@]} targets ran without a crash"
