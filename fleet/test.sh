#!/usr/bin/env bash
# Tests of tokenward-fleet against a real redis-server: installs it from the OS packages when
# missing (Debian/Ubuntu apt, quietly; idempotent), builds the `tokenward` command line the
# tests spawn, and runs the crate's tests. Each test starts its own redis-server on a free
# loopback port and stops it when it ends, also when it fails.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends redis-server >/dev/null
    # The package may start a system service on 6379; the tests use their own servers.
fi
redis-server --version
# The TLS test makes a throwaway CA and server certificate with openssl.
if ! command -v openssl >/dev/null 2>&1; then
    echo "installing openssl"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends openssl >/dev/null
fi

export TOKENWARD_FLEET_REQUIRE_REDIS=1
cargo build -p tokenward-cli --locked
cargo test -p tokenward-fleet --locked
