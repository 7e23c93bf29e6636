"""The ASGI and WSGI middleware behave the same, behind real servers on loopback: a Starlette
app under uvicorn and a Flask app under waitress, driven by httpx over HTTP."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, ContextManager, Dict, Iterator, List

import httpx
import pytest
from flask import Flask, jsonify, request
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import tokenward.asgi
import tokenward.wsgi
from servers import Uvicorn, Waitress
from tokenward import ConfigError, Guard, Verdict

KEY = b"middleware test key"
CONFIG = """
[policies.api]
endpoints = ["GET /v1/**", "POST /v1/orders"]

[policies.office]
allow_ips = ["203.0.113.0/24"]

[policies.limited]
rate_limit = { requests = 2, window = "1h" }

[usage]
[usage.detectors.ip_fanout]
absolute_distinct_ips = 6
min_distinct_ips = 6

[[respond]]
on = "ip_fanout"
action = "quarantine"
"""

seen: List[Any] = []  # the verdicts the apps were handed, in order


def status_for(path: str) -> int:
    return 404 if path == "/v1/missing" else 200


async def starlette_echo(request: Request) -> JSONResponse:
    verdict = getattr(request.state, "tokenward", None)
    seen.append(verdict)
    body = {"token_id": verdict.token_id if verdict else None}
    return JSONResponse(body, status_code=status_for(request.url.path))


METHODS = ["GET", "POST", "DELETE"]
starlette_app = Starlette(routes=[Route("/{path:path}", starlette_echo, methods=METHODS)])

flask_app = Flask(__name__, static_folder=None)


@flask_app.route("/", defaults={"path": ""}, methods=METHODS)
@flask_app.route("/<path:path>", methods=METHODS)
def flask_echo(path: str) -> Any:
    verdict = request.environ.get("tokenward.verdict")
    seen.append(verdict)
    return jsonify(token_id=verdict.token_id if verdict else None), status_for(request.path)


Serve = Callable[..., ContextManager[httpx.Client]]


@pytest.fixture(params=["asgi", "wsgi"])
def serve(request: pytest.FixtureRequest) -> Serve:
    """``serve(guard, **options)``: the stack under test behind its server."""
    seen.clear()

    def asgi(guard: Guard, **options: Any) -> ContextManager[httpx.Client]:
        return Uvicorn(tokenward.asgi.GuardMiddleware(starlette_app, guard, **options))

    def wsgi(guard: Guard, **options: Any) -> ContextManager[httpx.Client]:
        return Waitress(tokenward.wsgi.GuardMiddleware(flask_app, guard, **options))

    return asgi if request.param == "asgi" else wsgi


@pytest.fixture
def guard() -> Guard:
    return Guard(CONFIG, key=KEY)


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_allowed_requests_reach_the_app_with_the_verdict(serve: Serve, guard: Guard) -> None:
    minted = guard.mint(policy="api")
    with serve(guard) as client:
        response = client.get("/v1/orders/42", headers=bearer(minted.token))
    assert (response.status_code, response.json()) == (200, {"token_id": minted.id})
    assert isinstance(seen[-1], Verdict) and seen[-1].allowed


def test_every_denial_status(serve: Serve, guard: Guard) -> None:
    api, office, limited = (guard.mint(policy=p) for p in ("api", "office", "limited"))
    revoked = guard.mint()
    guard.revoke(revoked.id)
    with serve(guard) as client:
        # 401: no credential (no error code, RFC 6750), an unknown or a revoked token.
        response = client.get("/v1/orders")
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'
        assert response.json() == {"error": "missing_token", "reasons": []}
        for token, reason in (("tw_never_registered_0123456789", "unknown_token"), (revoked.token, "revoked")):
            response = client.get("/v1/orders", headers=bearer(token))
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'
            assert response.json() == {"error": "invalid_token", "reasons": [reason]}
            assert token not in response.text
        # 400: a credential that cannot be read as one.
        for value in ("Bearer", "Bearer a b"):
            response = client.get("/v1/orders", headers={"Authorization": value})
            assert response.status_code == 400
            assert response.json() == {"error": "invalid_request", "reasons": []}
        two = [("Authorization", f"Bearer {api.token}"), ("Authorization", "Bearer tw_other")]
        response = client.get("/v1/orders", headers=two)
        assert response.status_code == 400 and api.token not in response.text
        # 403: scope, network, quarantine, a path with no canonical form.
        response = client.delete("/v1/orders/1", headers=bearer(api.token))
        assert (response.status_code, response.json()) == (403, {"error": "forbidden", "reasons": ["scope_denied"]})
        assert "www-authenticate" not in response.headers
        response = client.get("/x", headers=bearer(office.token))
        assert (response.status_code, response.json()["reasons"]) == (403, ["ip_not_allowed"])
        request = client.build_request("GET", "/v1/x", headers=bearer(api.token))
        request.url = request.url.copy_with(raw_path=b"/v1/orders/..%2f..%2fadmin")
        response = client.send(request)
        assert (response.status_code, response.json()["reasons"]) == (403, ["invalid_path"])
        # 429 with Retry-After once the rate limit is the only reason.
        assert [client.get("/a", headers=bearer(limited.token)).status_code for _ in range(2)] == [200, 200]
        response = client.get("/a", headers=bearer(limited.token))
        assert (response.status_code, response.json()["error"]) == (429, "rate_limited")
        assert 3590 <= int(response.headers["retry-after"]) <= 3600
        assert response.headers["cache-control"] == "no-store"
    assert len(seen) == 2  # only the two allowed requests reached the app


def test_exempt_paths_use_the_policy_pattern_syntax(serve: Serve, guard: Guard) -> None:
    with serve(guard, exempt_paths=["/health", "GET /static/**"]) as client:
        assert client.get("/health").status_code == 200
        assert client.get("/static/css/site.css").status_code == 200
        assert client.post("/static/x").status_code == 401  # GET only
        assert client.get("/healthz").status_code == 401
        request = client.build_request("GET", "/health")
        # The same path, escaped: only a path written in canonical form is exempt, so this
        # one is checked like any other request.
        request.url = request.url.copy_with(raw_path=b"/%68ealth")
        assert client.send(request).status_code == 401
    assert seen == [None, None]


def test_forwarded_addresses_only_from_trusted_proxies(serve: Serve, guard: Guard) -> None:
    office = guard.mint(policy="office")
    spoofed = {**bearer(office.token), "X-Forwarded-For": "203.0.113.7"}
    # 127.0.0.1 is no proxy of this app: the header is the client's own claim, ignored.
    with serve(guard) as client:
        assert client.get("/", headers=spoofed).json()["reasons"] == ["ip_not_allowed"]
    # Here it is: the header is believed, from the right.
    with serve(guard, trusted_proxies=["127.0.0.0/8"]) as client:
        assert client.get("/", headers=spoofed).status_code == 200
        chained = {**spoofed, "X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
        assert client.get("/", headers=chained).status_code == 403
        via_proxy = {**spoofed, "X-Forwarded-For": "198.51.100.1, 203.0.113.7, 127.0.0.5"}
        assert client.get("/", headers=via_proxy).status_code == 200
        garbage = {**spoofed, "X-Forwarded-For": "203.0.113.7, not-an-ip"}
        assert client.get("/", headers=garbage).json()["reasons"] == ["ip_not_allowed"]
        # Only the configured header is read: Forwarded is the client's claim here.
        other = {**bearer(office.token), "Forwarded": "for=203.0.113.7"}
        assert client.get("/", headers=other).status_code == 403
    with serve(guard, trusted_proxies=["127.0.0.1/32"], forwarded_header="forwarded") as client:
        forwarded = {**bearer(office.token), "Forwarded": 'for="203.0.113.7:4711";proto=https'}
        assert client.get("/", headers=forwarded).status_code == 200
        assert client.get("/", headers=spoofed).status_code == 403


def test_country_from_a_trusted_header_or_the_lookup(serve: Serve) -> None:
    guard = Guard('[policies.de]\ncountries = ["DE"]', key=KEY)
    minted = guard.mint(policy="de")
    headers = {**bearer(minted.token), "CF-IPCountry": "DE"}
    with serve(guard, country_header="CF-IPCountry") as client:
        assert client.get("/", headers=headers).json()["reasons"] == ["country_not_allowed"]
    with serve(guard, country_header="cf-ipcountry", trusted_proxies=["127.0.0.1"]) as client:
        assert client.get("/", headers=headers).status_code == 200
    asked: List[Any] = []

    def lookup(ip: Any) -> Any:
        asked.append(ip)
        return "DE"

    with serve(guard, country_lookup=lookup) as client:
        assert client.get("/", headers=bearer(minted.token)).status_code == 200
    assert asked == ["127.0.0.1"]


def test_cookie_query_and_header_credentials(serve: Serve, guard: Guard) -> None:
    minted = guard.mint()
    with serve(guard, header="x-api-key", cookie="session", query_param="key") as client:
        assert client.get("/", headers={"X-API-Key": minted.token}).status_code == 200
        assert client.get("/", headers={"Cookie": f"theme=dark; session={minted.token}"}).status_code == 200
        assert client.get("/", params={"key": minted.token}).status_code == 200
        assert client.get("/", headers=bearer(minted.token)).status_code == 401


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: List[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def audit_log() -> Iterator[List[logging.LogRecord]]:
    """The records of the tokenward.audit logger, as a handler of its own receives them."""
    logger = logging.getLogger("tokenward.audit")
    kept, level = Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    yield kept.records
    logger.removeHandler(kept)
    logger.setLevel(level)


def test_an_anomaly_quarantines_a_token_mid_run(
    serve: Serve, guard: Guard, audit_log: List[logging.LogRecord]
) -> None:
    received: List[Dict[str, Any]] = []
    minted = guard.mint()
    statuses = []
    with serve(guard, trusted_proxies=["127.0.0.1"], on_events=received.extend) as client:
        # The token turns up from ever more addresses (a leaked token used by a botnet).
        for i in range(8):
            headers = {**bearer(minted.token), "X-Forwarded-For": f"198.51.{i}.7"}
            statuses.append(client.get("/v1/x", headers=headers).status_code)
        after = client.get("/v1/x", headers={**bearer(minted.token), "X-Forwarded-For": "198.51.0.7"})
    assert statuses == [200] * 5 + [403] * 3
    assert after.json() == {"error": "forbidden", "reasons": ["quarantined"]}
    assert guard.token_info(minted.id)["state"] == "quarantined"  # type: ignore[index]
    kinds = [next(iter(e["kind"])) for e in received]
    assert "alert" in kinds and "quarantined" in kinds
    quarantined = next(e["kind"]["quarantined"] for e in received if "quarantined" in e["kind"])
    assert quarantined["cause"] == "ip_fanout"
    # The same events reached the audit logger, the alert as a warning; never the token.
    audit = audit_log
    assert [r.levelname for r in audit if r.getMessage().startswith("alert ")] == ["WARNING"]
    assert len(audit) == len(received)
    assert [r.tokenward_event for r in audit] == received  # type: ignore[attr-defined]
    # The message is the kind and the event's JSON. (A RedactingFilter on the root, as other
    # tests leave on pytest's handlers, masks `"token": "tid_..."` there by its generic
    # secret_assignment rule; record.tokenward_event keeps the ids.)
    for record, event in zip(audit, received):
        kind, text = record.getMessage().split(" ", 1)
        assert kind == next(iter(event["kind"]))
        assert (json.loads(text)["seq"], json.loads(text)["prev_hash"]) == (event["seq"], event["prev_hash"])
    text = "\n".join(r.getMessage() for r in audit)
    assert minted.token not in text and minted.token not in json.dumps(received)


def test_drain_events_false_leaves_them_to_the_host(serve: Serve, guard: Guard) -> None:
    with serve(guard, drain_events=False) as client:
        assert client.get("/", headers=bearer("tw_unknown_token_0123456789")).status_code == 401
    assert [next(iter(e["kind"])) for e in guard.drain_events()] == ["denied"]


def test_outcomes_are_recorded_and_concurrent_requests_all_count(serve: Serve, guard: Guard) -> None:
    minted = guard.mint()
    threads, per_thread = 12, 20
    barrier = threading.Barrier(threads)

    def worker(n: int) -> List[int]:
        with httpx.Client(base_url=str(client.base_url), timeout=20) as own:
            barrier.wait()
            paths = ["/v1/missing" if (n + i) % 4 == 0 else "/v1/ok" for i in range(per_thread)]
            return [own.get(path, headers=bearer(minted.token)).status_code for path in paths]

    with serve(guard) as client:
        with ThreadPoolExecutor(threads) as pool:
            results = [s for statuses in pool.map(worker, range(threads)) for s in statuses]
    total = threads * per_thread
    assert len(results) == total and set(results) == {200, 404}
    stats = guard.usage(minted.id)
    assert stats is not None and stats["total_requests"] == total
    assert stats["fine"]["total"]["errors"] == results.count(404)
    assert len(seen) == total


def test_bad_options_are_config_errors_naming_the_field(guard: Guard) -> None:
    for middleware in (tokenward.asgi.GuardMiddleware, tokenward.wsgi.GuardMiddleware):
        with pytest.raises(ConfigError, match=r"trusted_proxies\[1\]") as err:
            middleware(starlette_app, guard, trusted_proxies=["10.0.0.0/8", "10.0.0.300/8"])
        assert "10.0.0.300" not in str(err.value)
        with pytest.raises(ConfigError, match="exempt_paths"):
            middleware(starlette_app, guard, exempt_paths=["/a/**/b/**"])
        with pytest.raises(ConfigError, match="forwarded_header"):
            middleware(starlette_app, guard, forwarded_header="x-real-ip")
        with pytest.raises(ConfigError, match="trusted_proxies"):
            middleware(starlette_app, guard, trusted_proxies="10.0.0.0/8")
        with pytest.raises(ConfigError, match="header"):
            middleware(starlette_app, guard, header="bad header")
