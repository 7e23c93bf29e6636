"""Every ```python block of README.md runs: each in its own interpreter, so logging set-ups do
not leak into each other or into this test run. A block that reads ``REDIS_URL`` (the fleet)
gets a redis-server of its own on a free loopback port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from redis_server import redis_url

README = Path(__file__).resolve().parents[3] / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```$", README.read_text(encoding="utf-8"), re.M | re.S)


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(code: str) -> None:
    env = dict(os.environ)
    servers = redis_url() if "REDIS_URL" in code else None
    if servers is not None:
        env["REDIS_URL"] = next(servers)
    try:
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
        )
    finally:
        if servers is not None:
            servers.close()
    assert run.returncode == 0, run.stderr
    # The examples print redacted lines: no planted credential may come out in clear.
    for secret in ("AKIA7QX2M4RB5KQ3YHV6", "Ky9Pf34qY6Nb3wWD25RQ4F5ZR3qa7y3gm1IL"):
        assert secret not in run.stdout + run.stderr
