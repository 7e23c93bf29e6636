"""tokenward.asgi.GuardMiddleware behind a real server (uvicorn on loopback), driven by httpx."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

import httpx
import pytest
import uvicorn

import tokenward.wsgi
from tokenward import Guard, Verdict
from tokenward._native import encode_path
from tokenward.asgi import GuardMiddleware, Message, Receive, Scope, Send

KEY = b"asgi test key"
CONFIG = """
[policies.api]
endpoints = ["GET /v1/**", "POST /v1/orders"]

[policies.office]
allow_ips = ["203.0.113.0/24"]

[policies.limited]
rate_limit = { requests = 2, window = "1h" }

[policies.germany]
countries = ["DE"]
"""

seen: List[Dict[str, Any]] = []


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes what the middleware handed over; paths under /v1/missing answer 404."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    verdict: Optional[Verdict] = scope.get("state", {}).get("tokenward")
    seen.append({"path": scope["path"], "verdict": verdict})
    status = 404 if scope["path"].startswith("/v1/missing") else 200
    body = json.dumps({"token_id": verdict.token_id if verdict else None}).encode()
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": body})


class Server:
    """uvicorn in a thread on 127.0.0.1, on a free port."""

    def __init__(self, asgi: Any) -> None:
        # uvicorn's own X-Forwarded-For handling (on by default, trusting 127.0.0.1) is off:
        # the middleware's rules are under test.
        config = uvicorn.Config(
            asgi, host="127.0.0.1", port=0, log_level="warning", lifespan="on", proxy_headers=False
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> httpx.Client:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def guard() -> Guard:
    return Guard(CONFIG, key=KEY)


@pytest.fixture
def client(guard: Guard) -> Iterator[httpx.Client]:
    seen.clear()
    middleware = GuardMiddleware(app, guard, exempt_paths=["/health"])
    with Server(middleware) as client:
        yield client


def bearer(token: str) -> Dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_allowed_request_reaches_the_app_with_its_verdict(guard: Guard, client: httpx.Client) -> None:
    minted = guard.mint(policy="api")
    response = client.get("/v1/orders/42", headers=bearer(minted.token))
    assert response.status_code == 200
    assert response.json() == {"token_id": minted.id}
    verdict = seen[-1]["verdict"]
    assert isinstance(verdict, Verdict) and verdict.allowed


def test_missing_token_is_401_with_a_challenge(client: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = client.get("/v1/orders", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="api"'
        assert response.json() == {"error": "missing_token", "reasons": []}
    assert seen == []


def test_malformed_credentials_are_400(client: httpx.Client) -> None:
    # A scheme without a token, a token with spaces, two Authorization headers: refused, not
    # guessed (a server behind the app might read another one).
    for headers in (
        [("Authorization", "Bearer")],
        [("Authorization", "Bearer a b")],
        [("Authorization", "Bearer tw_one"), ("Authorization", "Bearer tw_two")],
    ):
        response = client.get("/v1/orders", headers=headers)
        assert response.status_code == 400
        assert 'error="invalid_request"' in response.headers["www-authenticate"]
        assert response.json() == {"error": "invalid_request", "reasons": []}
        assert "tw_one" not in response.text
    assert seen == []


def test_unknown_and_revoked_tokens_are_401_without_echo(guard: Guard, client: httpx.Client) -> None:
    unknown = "tw_this_token_was_never_registered"
    response = client.get("/v1/orders", headers=bearer(unknown))
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json() == {"error": "invalid_token", "reasons": ["unknown_token"]}
    assert unknown not in response.text and "never_registered" not in response.text
    minted = guard.mint(policy="api")
    guard.revoke(minted.id)
    response = client.get("/v1/orders", headers=bearer(minted.token))
    assert (response.status_code, response.json()["reasons"]) == (401, ["revoked"])
    assert minted.token not in response.text
    assert seen == []


def test_policy_denials_are_403(guard: Guard, client: httpx.Client) -> None:
    minted = guard.mint(policy="api")
    response = client.delete("/v1/orders/1", headers=bearer(minted.token))
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "reasons": ["scope_denied"]}
    # The client connects from 127.0.0.1, outside the office network.
    office = guard.mint(policy="office")
    response = client.get("/anything", headers=bearer(office.token))
    assert (response.status_code, response.json()["reasons"]) == (403, ["ip_not_allowed"])
    quarantined = guard.mint()
    guard.quarantine(quarantined.id)
    assert client.get("/x", headers=bearer(quarantined.token)).status_code == 403
    assert seen == []


def test_the_raw_path_is_checked(guard: Guard, client: httpx.Client) -> None:
    minted = guard.mint(policy="api")
    # httpx would normalise the path; send the raw target as written.
    request = client.build_request("GET", "/v1/orders/..%2f..%2fadmin", headers=bearer(minted.token))
    request.url = request.url.copy_with(raw_path=b"/v1/orders/..%2f..%2fadmin")
    response = client.send(request)
    assert (response.status_code, response.json()["reasons"]) == (403, ["invalid_path"])
    request = client.build_request("GET", "/v1/caf%C3%A9", headers=bearer(minted.token))
    assert client.send(request).status_code == 200


def test_rate_limit_is_429_with_retry_after(guard: Guard, client: httpx.Client) -> None:
    minted = guard.mint(policy="limited")
    assert client.get("/a", headers=bearer(minted.token)).status_code == 200
    assert client.get("/a", headers=bearer(minted.token)).status_code == 200
    response = client.get("/a", headers=bearer(minted.token))
    assert response.status_code == 429
    assert response.json() == {"error": "rate_limited", "reasons": ["rate_exceeded"]}
    assert 3590 <= int(response.headers["retry-after"]) <= 3600


def test_exempt_paths_pass_unchecked(client: httpx.Client) -> None:
    assert client.get("/health").status_code == 200
    assert seen[-1]["verdict"] is None
    assert client.get("/health/x").status_code == 401  # exact matches only


def test_outcomes_are_recorded() -> None:
    # The app answers 404 only: any status counts (min_statuses = 1).
    config = "[usage]\n[usage.detectors.error_burst]\nmin_errors = 3\nmin_statuses = 1"
    guard = Guard(config, key=KEY)
    minted = guard.mint()
    received: List[Dict[str, Any]] = []
    with Server(GuardMiddleware(app, guard, on_events=received.extend)) as client:
        # Errors on several paths: one URL retried is a client, many are a probe.
        for i in range(4):
            assert client.get(f"/v1/missing/{i}", headers=bearer(minted.token)).status_code == 404
    stats = guard.usage(minted.id)
    assert stats is not None and stats["fine"]["total"]["errors"] == 4
    alerts = [e for e in received if "alert" in e["kind"]]
    assert [a["kind"]["alert"]["kind"] for a in alerts] == ["error_burst"]


def test_forwarded_for_only_from_trusted_proxies(guard: Guard) -> None:
    office = guard.mint(policy="office")
    headers = {**bearer(office.token), "X-Forwarded-For": "203.0.113.7"}
    with Server(GuardMiddleware(app, guard)) as client:
        # Not a trusted proxy: the header is ignored, the peer is 127.0.0.1.
        assert client.get("/", headers=headers).status_code == 403
    with Server(GuardMiddleware(app, guard, trusted_proxies=["127.0.0.0/8"])) as client:
        assert client.get("/", headers=headers).status_code == 200
        # A client-written entry left of an untrusted hop is not believed.
        spoofed = {**headers, "X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
        assert client.get("/", headers=spoofed).status_code == 403
        # A trusted hop is skipped.
        via = {**headers, "X-Forwarded-For": "203.0.113.7, 127.0.0.5"}
        assert client.get("/", headers=via).status_code == 200
        # Garbage leaves the IP unknown: allow_ips denies it.
        garbage = {**headers, "X-Forwarded-For": "203.0.113.7, not-an-ip"}
        assert client.get("/", headers=garbage).json()["reasons"] == ["ip_not_allowed"]


def test_country_header_only_from_trusted_proxies(guard: Guard) -> None:
    minted = guard.mint(policy="germany")
    headers = {**bearer(minted.token), "CF-IPCountry": "DE"}
    with Server(GuardMiddleware(app, guard, country_header="cf-ipcountry")) as client:
        assert client.get("/", headers=headers).json()["reasons"] == ["country_not_allowed"]
    trusted = GuardMiddleware(app, guard, country_header="CF-IPCountry", trusted_proxies=["127.0.0.1/32"])
    with Server(trusted) as client:
        assert client.get("/", headers=headers).status_code == 200
    looked_up = GuardMiddleware(app, guard, country_lookup=lambda ip: "DE" if ip == "127.0.0.1" else None)
    with Server(looked_up) as client:
        assert client.get("/", headers=bearer(minted.token)).status_code == 200


def test_cookie_and_query_tokens_and_a_custom_header(guard: Guard) -> None:
    minted = guard.mint()
    middleware = GuardMiddleware(app, guard, header="x-api-key", cookie="session", query_param="key")
    with Server(middleware) as client:
        assert client.get("/", headers={"X-API-Key": minted.token}).status_code == 200
        assert client.get("/", headers={"Cookie": f"session={minted.token}"}).status_code == 200
        assert client.get("/", params={"key": minted.token}).status_code == 200
        # Bearer is not read when another header is configured.
        assert client.get("/", headers=bearer(minted.token)).status_code == 401
        assert client.get("/", headers={"Cookie": "other=x"}).status_code == 401


def test_events_go_to_the_host(guard: Guard) -> None:
    received: List[Dict[str, Any]] = []
    with Server(GuardMiddleware(app, guard, on_events=received.extend)) as client:
        client.get("/", headers=bearer("tw_unknown_token_value"))
    assert [next(iter(e["kind"])) for e in received] == ["denied"]
    assert "tw_unknown_token_value" not in json.dumps(received)


def test_websocket_handshake_is_checked(guard: Guard) -> None:
    sent: List[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def must_not_run(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app saw a denied websocket")

    scope: Scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "headers": [], "client": ("127.0.0.1", 1)}
    asyncio.run(GuardMiddleware(must_not_run, guard)(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "missing_token"}]


def test_servers_without_raw_path_get_the_path_re_encoded() -> None:
    guard = Guard('[policies.cafe]\nendpoints = ["GET /v1/caf\u00e9/*"]', key=KEY)
    minted = guard.mint(policy="cafe")
    sent: List[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        return {"type": "http.request"}

    def scope(path: str) -> Scope:
        headers = [(b"authorization", f"Bearer {minted.token}".encode())]
        return {"type": "http", "method": "GET", "path": path, "headers": headers, "client": ("192.0.2.1", 1)}

    middleware = GuardMiddleware(app, guard)
    for path, status in (("/v1/caf\u00e9/1", 200), ("/v1/caf\u00e9/a?b", 200), ("/v1/caf\u00e9/%2e%2e", 403)):
        sent.clear()
        asyncio.run(middleware(scope(path), receive, send))
        assert sent[0]["status"] == status, path


def test_one_re_encoding_rule_for_asgi_and_wsgi() -> None:
    assert encode_path(b"/a b%?#/caf\xc3\xa9") == "/a%20b%25%3F%23/caf%C3%A9"
    assert encode_path(b"/x:@!$&'()*+,;=-._~") == "/x:@!$&'()*+,;=-._~"
    assert encode_path(b"") == "/"


def test_an_app_that_raises_before_answering_counts_as_500() -> None:
    guard = Guard("", key=KEY)
    minted = guard.mint()

    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("the app broke")

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent by the middleware")

    async def receive() -> Message:
        return {"type": "http.request"}

    middleware = GuardMiddleware(broken, guard)
    recorded: List[int] = []
    gate = middleware.gate

    class Spy:
        """The gate, with the outcomes it is handed kept."""

        def __getattr__(self, name: str) -> Any:
            return getattr(gate, name)

        def record_outcome(self, verdict: Verdict, status: int) -> Any:
            recorded.append(status)
            return gate.record_outcome(verdict, status)

    middleware.gate = Spy()  # type: ignore[assignment]
    headers = [(b"authorization", f"Bearer {minted.token}".encode())]
    scope: Scope = {"type": "http", "method": "GET", "path": "/v1/x", "raw_path": b"/v1/x", "headers": headers}
    with pytest.raises(RuntimeError, match="the app broke"):
        asyncio.run(middleware(scope, receive, send))
    assert recorded == [500]


def test_a_failing_on_events_is_logged_and_the_response_kept(caplog: pytest.LogCaptureFixture) -> None:
    guard = Guard("[usage]\n[usage.detectors.error_burst]\nmin_errors = 3", key=KEY)
    minted = guard.mint()
    closed: List[bool] = []

    class Body:
        def __iter__(self) -> Iterator[bytes]:
            return iter([b"missing"])

        def close(self) -> None:
            closed.append(True)

    def wsgi_app(environ: Dict[str, Any], start_response: Any) -> Body:
        start_response("404 Not Found", [])
        return Body()

    def explode(events: List[Dict[str, Any]]) -> None:
        raise RuntimeError("the callback broke")

    calls: List[List[Dict[str, Any]]] = []

    def asgi_events(events: List[Dict[str, Any]]) -> None:
        calls.append(events)
        explode(events)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/v1/x",
        "REMOTE_ADDR": "192.0.2.1",
        "HTTP_AUTHORIZATION": f"Bearer {minted.token}",
    }
    middleware = tokenward.wsgi.GuardMiddleware(wsgi_app, guard, on_events=explode)
    statuses: List[str] = []
    with caplog.at_level(logging.ERROR, logger="tokenward.audit"):
        for _ in range(4):
            body = middleware(dict(environ), lambda status, headers, exc_info=None: statuses.append(status))
            assert list(body) == [b"missing"]
            body.close()  # type: ignore[attr-defined]
    assert statuses == ["404 Not Found"] * 4 and len(closed) == 4
    failures = [r for r in caplog.records if r.name == "tokenward.audit" and r.getMessage() == "on_events raised"]
    assert len(failures) >= 1 and all(r.exc_info is not None for r in failures)

    # The ASGI middleware logs it the same way: the 404 reaches the client.
    caplog.clear()
    guard = Guard("[usage]\n[usage.detectors.error_burst]\nmin_errors = 3", key=KEY)
    minted = guard.mint()
    with caplog.at_level(logging.ERROR, logger="tokenward.audit"):
        with Server(GuardMiddleware(app, guard, on_events=asgi_events)) as client:
            for _ in range(4):
                assert client.get("/v1/missing", headers=bearer(minted.token)).status_code == 404
    assert calls and any(r.getMessage() == "on_events raised" for r in caplog.records)
