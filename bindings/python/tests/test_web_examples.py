"""The FastAPI and Flask examples in examples/python run: each is started on a free loopback
port as a reader would start it, and answers as its docstring says."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "python"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("example", ["fastapi_app.py", "flask_app.py"])
def test_example_serves_guarded_requests(example: str) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(EXAMPLES / example), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        assert first.startswith("token: "), first + (server.stderr.read() if server.poll() is not None else "")  # type: ignore[union-attr]
        token = first.split(" ", 1)[1].strip()
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, f"{example} stopped"
                assert time.monotonic() < deadline, f"{example} did not start"
                time.sleep(0.1)
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, timeout=5) as client:
            ok = client.get("/orders/7", headers=auth)
            assert ok.status_code == 200
            body = ok.json()
            assert body["order"] == 7 and body["token_id"].startswith("tid_")
            missing = client.get("/orders/7")
            assert missing.status_code == 401
            assert missing.headers["www-authenticate"].startswith("Bearer")
            forbidden = client.get("/admin", headers=auth)
            assert (forbidden.status_code, forbidden.json()["reasons"]) == (403, ["scope_denied"])
            leaked_in_url = client.get("/orders/8", params={"token": token}, headers=auth)
            assert leaked_in_url.status_code == 200
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    # The server's own logs (access lines included) never show the token.
    assert token not in stdout + stderr
    assert "/orders/8?token=" in stdout + stderr
