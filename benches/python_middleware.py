"""Cost per request of tokenward's ASGI and WSGI GuardMiddleware against the same app without
it, in one run. Not a test: it prints figures.

Run after building the Python package (`bash bindings/python/test.sh` builds it into
target/py-venv):

    target/py-venv/bin/python benches/python_middleware.py [--requests 20000] [--runs 9]

Each stack calls a minimal app directly, in-process (no server, no sockets), so the
difference between the two columns is the middleware and nothing else:

- ASGI: `await app(scope, receive, send)` on a fresh copy of a uvicorn-shaped scope (eight
  headers, a bearer token, a peer), the app sending a 200 response to a no-op `send`;
- WSGI: `app(environ, start_response)` on a fresh copy of a waitress-shaped environ, the
  body consumed.

Cases: an allowed request of a registered token with a policy (endpoints, rate limit), the
same with usage tracking on (`[usage]`, detectors and response rules), and a request
without a token (401, the Guard not consulted). Plain and guarded rounds alternate; each
figure is the median over runs of the mean time per request in a run. The target: the
guarded check adds at most 10 µs per request.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Tuple

import tokenward
from tokenward.asgi import GuardMiddleware as AsgiGuard
from tokenward.wsgi import GuardMiddleware as WsgiGuard

TARGET_US = 10.0
POLICY = """
[policies.api]
endpoints = ["GET /v1/orders/*", "POST /v1/orders"]
rate_limit = { requests = 1000000000, window = "1m" }
"""
USAGE = POLICY + """
[usage]
[[respond]]
on = ["ip_fanout", "impossible_travel"]
min_severity = "high"
action = "quarantine"
"""


def guard_with(config: str) -> Tuple[tokenward.Guard, str]:
    guard = tokenward.Guard(config, key=b"bench key of at least 32 bytes..")
    return guard, guard.mint(policy="api").token


# --- ASGI -------------------------------------------------------------------------------


async def asgi_app(scope: Dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def receive() -> Dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def send(message: Dict[str, Any]) -> None:
    pass


def asgi_scope(token: str) -> Dict[str, Any]:
    headers = [
        (b"host", b"api.example.com"),
        (b"user-agent", b"python-httpx/0.28.1"),
        (b"accept", b"application/json"),
        (b"accept-encoding", b"gzip, deflate"),
        (b"connection", b"keep-alive"),
        (b"x-request-id", b"6f1c2a4e-0b7d-4e57-9d3c-1b2f3a4c5d6e"),
        (b"content-type", b"application/json"),
    ]
    if token:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/v1/orders/7", "raw_path": b"/v1/orders/7",
        "query_string": b"page=2", "root_path": "", "headers": headers,
        "client": ("198.51.100.7", 51234), "server": ("127.0.0.1", 8000), "state": {},
    }


def time_asgi(app: Any, scope: Dict[str, Any], n: int) -> float:
    async def loop() -> float:
        start = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), receive, send)
        return time.perf_counter() - start

    return asyncio.run(loop()) / n


# --- WSGI -------------------------------------------------------------------------------


def wsgi_app(environ: Dict[str, Any], start_response: Callable[..., Any]) -> List[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
    return lambda data: None


def wsgi_environ(token: str) -> Dict[str, Any]:
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": "/v1/orders/7",
        "QUERY_STRING": "page=2", "REQUEST_URI": "/v1/orders/7?page=2", "RAW_URI": "/v1/orders/7?page=2",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7", "REMOTE_HOST": "198.51.100.7", "REMOTE_PORT": "51234",
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "", "HTTP_HOST": "api.example.com",
        "HTTP_USER_AGENT": "python-httpx/0.28.1", "HTTP_ACCEPT": "application/json",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate", "HTTP_CONNECTION": "keep-alive",
        "HTTP_X_REQUEST_ID": "6f1c2a4e-0b7d-4e57-9d3c-1b2f3a4c5d6e",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": None, "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = "Bearer " + token
    return environ


def time_wsgi(app: Any, environ: Dict[str, Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        for _chunk in app(dict(environ), start_response):
            pass
    return (time.perf_counter() - start) / n


# --- the run ----------------------------------------------------------------------------


def measure(plain: Callable[[], float], guarded: Callable[[], float], runs: int) -> Tuple[float, float]:
    """Medians (µs) of plain and guarded rounds, alternated after one warm-up of each."""
    plain(), guarded()
    a: List[float] = []
    b: List[float] = []
    for _ in range(runs):
        gc.collect()
        a.append(plain() * 1e6)
        gc.collect()
        b.append(guarded() * 1e6)
    return statistics.median(a), statistics.median(b)


def main() -> int:
    # Alerts (the usage case raises a rate_spike: 100k requests a minute) are logged on
    # tokenward.audit; a handler that writes nowhere keeps them off stderr.
    audit = logging.getLogger("tokenward.audit")
    audit.addHandler(logging.NullHandler())
    audit.propagate = False
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000, help="requests per run")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    n, runs = args.requests, args.runs
    rows = []
    for label, config, with_token in (
        ("allowed, policy", POLICY, True),
        ("allowed, policy + usage", USAGE, True),
        ("no token: 401", POLICY, False),
    ):
        guard, token = guard_with(config)
        token = token if with_token else ""
        scope, environ = asgi_scope(token), wsgi_environ(token)
        asgi = AsgiGuard(asgi_app, guard)
        wsgi = WsgiGuard(wsgi_app, guard)
        rows.append(("ASGI", label) + measure(
            lambda: time_asgi(asgi_app, scope, n), lambda: time_asgi(asgi, scope, n), runs))
        rows.append(("WSGI", label) + measure(
            lambda: time_wsgi(wsgi_app, environ, n), lambda: time_wsgi(wsgi, environ, n), runs))
    # The native calls alone, for where the time goes.
    guard, token = guard_with(POLICY)
    gate = tokenward.Gate(guard)
    scope = asgi_scope(token)
    headers, target = scope["headers"], b"/v1/orders/7?page=2"

    def gate_alone() -> float:
        start = time.perf_counter()
        for _ in range(n):
            gate.check("GET", target, headers, "198.51.100.7")
        return (time.perf_counter() - start) / n

    def check_alone() -> float:
        start = time.perf_counter()
        for _ in range(n):
            guard.check(token, ip="198.51.100.7", method="GET", path="/v1/orders/7")
        return (time.perf_counter() - start) / n

    check_us, gate_us = measure(check_alone, gate_alone, runs)

    print(f"{n} requests per run, median of {runs} runs, Python {sys.version.split()[0]}")
    print(f"{'stack':5} {'case':26} {'plain µs':>9} {'guarded µs':>11} {'added µs':>9}  target ≤ {TARGET_US:g} µs")
    worst = 0.0
    for stack, label, plain, guarded in rows:
        added = guarded - plain
        worst = max(worst, added)
        verdict = "met" if added <= TARGET_US else "MISSED"
        print(f"{stack:5} {label:26} {plain:9.2f} {guarded:11.2f} {added:9.2f}  {verdict}")
    print(f"Guard.check() alone: {check_us:.2f} µs; Gate.check() (headers read, check, verdict): {gate_us:.2f} µs")
    print(f"largest added cost: {worst:.2f} µs per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
