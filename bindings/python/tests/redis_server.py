"""A real redis-server on a free loopback port for the fleet tests, stopped at the end.

When redis-server is not installed the tests skip, saying so, unless the environment variable
CI is set: then they fail (``test.sh`` installs redis-server from apt when it is missing)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from typing import Iterator

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_url() -> Iterator[str]:
    """Yields the URL of a fresh redis-server (no persistence), and stops it."""
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (bash bindings/python/test.sh installs it)")
        pytest.skip("redis-server is not installed (bash bindings/python/test.sh installs it)")
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while not _answers(port):
            assert server.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, f"redis-server did not answer on {port}"
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.kill()
        server.wait()
