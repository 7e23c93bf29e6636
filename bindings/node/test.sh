#!/usr/bin/env bash
# Builds and tests the Node binding from nothing: installs the locked npm dev dependencies
# with `npm ci` (napi CLI, pino, winston, express, fastify, typescript), compiles the addon
# from source with cargo, checks that the committed index.js / index.d.ts match a fresh
# `napi build`, installs the examples' locked dependencies, runs the `node --test` suite
# (which runs the Express and Fastify examples and the README's js blocks), type-checks the
# declarations with tsc, and runs the pino example.
#
# Installs redis-server (apt) when missing, for the fleet tests.
# Needs Node 20+ with npm, and Rust. Idempotent; exits non-zero on the first failure.
# Usage: bindings/node/test.sh [--debug]   (--debug builds the addon without optimisation)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

profile=(--release)
if [[ "${1:-}" == "--debug" ]]; then profile=(); fi

step() { printf '\n== node: %s\n' "$*"; }

node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Node 20+ needed, found " + process.version); process.exit(1) }'

step "redis-server (the fleet tests start their own on a free loopback port)"
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing redis-server"
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq >/dev/null
  $sudo_cmd apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
redis-server --version

step "npm ci (locked dev dependencies)"
# The lock holds every optional per-platform package of the napi CLI's dependencies, so `npm ci`
# installs the same tree on any machine. `npm ci` refuses a lock that disagrees with
# package.json; --engine-strict turns an engine warning on this Node into an error. The
# `overrides` in package.json pin two transitive packages whose newest releases dropped Node 20.
npm ci --engine-strict --no-audit --no-fund --loglevel=error
lock_before="$(sha256sum package-lock.json)"
npm install --package-lock-only --engine-strict --no-audit --no-fund --loglevel=error
if [[ "$(sha256sum package-lock.json)" != "$lock_before" ]]; then
  echo "error: package-lock.json is out of date with package.json: commit the updated lock" >&2
  git -C "$here" --no-pager diff --stat -- package-lock.json >&2 || true
  exit 1
fi

step "napi build ${profile[*]:-(debug)}"
generated=(index.js index.d.ts)
saved="$(mktemp -d)"
trap 'rm -rf "$saved"' EXIT
cp "${generated[@]}" "$saved/"
npx --no-install napi build --platform "${profile[@]}"

step "generated index.js / index.d.ts match the committed ones"
stale=0
for file in "${generated[@]}"; do
  if ! diff -u "$saved/$file" "$file"; then
    echo "error: $file differs from a fresh napi build: commit the regenerated file" >&2
    stale=1
  fi
done
[[ $stale == 0 ]]

step "examples/node: npm ci (locked)"
(cd "$root/examples/node" && npm ci --engine-strict --no-audit --no-fund --loglevel=error)

step "node --test"
node --test test/

step "tsc type test"
npx --no-install tsc -p test/types/tsconfig.json

step "examples/node/pino.mjs"
cd "$root/examples/node"
out="$(node pino.mjs)"
printf '%s\n' "$out"
if grep -q -e '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' -e 'AKIA7QX2M4RB5KQ3YHV6' <<<"$out"; then
  echo "error: the pino example printed a raw secret" >&2
  exit 1
fi
[[ "$(grep -c 'REDACTED' <<<"$out")" -ge 3 ]] || { echo "error: example output not redacted" >&2; exit 1; }

echo
echo "node: all checks passed"
