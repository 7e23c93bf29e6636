#!/usr/bin/env bash
# Builds the tokenward Python package and runs all of its tests, starting from nothing.
#
# Needs only Rust (cargo) and Python >= 3.9 with venv and pip. It creates a virtualenv in
# target/py-venv (override with TOKENWARD_PY_VENV), installs the pinned tools of
# requirements-dev.txt (maturin, pytest, mypy, structlog), installs redis-server (apt) when
# missing, builds and installs the extension
# with `maturin develop --release`, and runs the pytest suite, which includes
# `python -m mypy.stubtest tokenward`, `mypy --strict` and the Python example.
# Exits non-zero on any failure; running it again reuses the venv and the cargo build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${TOKENWARD_PY_VENV:-$root/target/py-venv}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
    echo "test.sh: $python is older than Python 3.9" >&2
    exit 1
fi
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
    echo "test.sh: creating $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
fi
# The fleet tests (tests/test_fleet.py, the README's fleet example) start their own
# redis-server on a free loopback port: install it from the OS packages when missing.
if ! command -v redis-server >/dev/null 2>&1; then
    echo "test.sh: installing redis-server"
    sudo_cmd=""
    if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements-dev.txt"

export VIRTUAL_ENV="$venv"
export PATH="$venv/bin:$PATH"
cd "$here"
maturin develop --release
python -m pytest tests
