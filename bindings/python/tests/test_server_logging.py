"""The loggers of real servers print no token: uvicorn (its own log_config with the filter,
and install() called before uvicorn configures its logging) and gunicorn (install() in the
app module), each serving requests on loopback that carry a token in the query string."""

from __future__ import annotations

import copy
import io
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import httpx
import pytest
import uvicorn.config

import tokenward.logging
from conftest import GH, GH_LABEL
from servers import Uvicorn
from tokenward.logging import SERVER_LOGGERS, RedactingFilter


async def app(scope: Dict[str, Any], receive: Any, send: Any) -> None:
    assert scope["type"] == "http"
    if scope["path"] == "/boom":
        raise RuntimeError(f"upstream refused {GH}")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(autouse=True)
def no_server_logger_filters() -> Iterator[None]:
    yield
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        for f in [f for f in logger.filters if isinstance(f, RedactingFilter)]:
            logger.removeFilter(f)


def uvicorn_log_config(out: io.StringIO, *, redact: bool) -> Dict[str, Any]:
    """uvicorn's own default log_config, writing to ``out``, with the filter when asked."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = out
        if redact:
            handler["filters"] = ["redact"]
    if redact:
        config["filters"] = {"redact": {"()": "tokenward.logging.RedactingFilter"}}
    return config


def serve_and_log(config: Dict[str, Any]) -> None:
    with Uvicorn(app, log_config=config, log_level="info", access_log=True) as client:
        assert client.get("/v1/items", params={"access_token": GH}).status_code == 200
        assert client.get("/boom").status_code == 500


def check_uvicorn_output(text: str) -> None:
    access = [line for line in text.splitlines() if '"GET /v1/items' in line]
    # The access formatter unpacked record.args as usual: the line is whole, status included.
    assert len(access) == 1, text
    assert access[0].endswith(f'"GET /v1/items?access_token={GH_LABEL} HTTP/1.1" 200 OK')
    assert "Exception in ASGI application" in text
    assert f"RuntimeError: upstream refused {GH_LABEL}" in text
    assert GH not in text


def test_uvicorn_log_config_with_the_filter() -> None:
    out = io.StringIO()
    serve_and_log(uvicorn_log_config(out, redact=True))
    check_uvicorn_output(out.getvalue())


def test_install_before_uvicorn_configures_its_logging() -> None:
    # Under pytest the root has handlers; uvicorn then replaces its own loggers' handlers
    # with unfiltered ones, and the loggers' own filters stay.
    tokenward.logging.install()
    out = io.StringIO()
    serve_and_log(uvicorn_log_config(out, redact=False))
    check_uvicorn_output(out.getvalue())


def test_without_the_filter_uvicorn_prints_the_token() -> None:
    # The control: what the two tests above prevent.
    out = io.StringIO()
    serve_and_log(uvicorn_log_config(out, redact=False))
    assert GH in out.getvalue()


GUNICORN_APP = '''
import logging
import tokenward.logging

logging.basicConfig(level=logging.INFO, format="app %(name)s %(message)s")
tokenward.logging.install()

def app(environ, start_response):
    logging.getLogger("gunicorn.error").warning("auth header %s", environ.get("HTTP_AUTHORIZATION"))
    start_response("200 OK", [("content-type", "text/plain")])
    return [b"ok"]
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gunicorn_access_and_error_logs(tmp_path: Path) -> None:
    (tmp_path / "gapp.py").write_text(GUNICORN_APP)
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
        "--access-logfile", "-", "--error-logfile", "-", "--chdir", str(tmp_path), "gapp:app",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/v1/items",
                    params={"access_token": GH},
                    headers={"Authorization": f"Bearer {GH}"},
                    timeout=5,
                )
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    text = stdout + stderr
    assert f'"GET /v1/items?access_token={GH_LABEL} HTTP/1.1" 200' in text, text
    assert f"auth header Bearer {GH_LABEL}" in text
    assert GH not in text
