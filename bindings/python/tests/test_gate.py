"""tokenward.Gate called directly, as a host other than our middleware would, and the WSGI
middleware's environ handling under servers that give no raw URI (no server needed)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

import pytest

from tokenward import ConfigError, Denial, Gate, Guard, InvalidArgumentError, Verdict
from tokenward.wsgi import GuardMiddleware

KEY = b"gate test key"
T0 = 1_767_571_200_000
CONFIG = """
[policies.scoped]
endpoints = ["GET /v1/caf\u00e9/*", "GET /v1/orders/*"]

[policies.de]
countries = ["DE"]
"""


@pytest.fixture
def guard() -> Guard:
    return Guard(CONFIG, key=KEY)


def headers(token: str, *extra: Tuple[bytes, bytes]) -> List[Tuple[bytes, bytes]]:
    return [(b"authorization", b"Bearer " + token.encode()), *extra]


def test_check_returns_none_a_verdict_or_a_denial(guard: Guard) -> None:
    minted = guard.mint(policy="scoped", now=T0)
    gate = Gate(guard, exempt_paths=["/health"])
    assert gate.check("GET", b"/health", [], None, now=T0) is None
    allowed = gate.check("GET", b"/v1/orders/7?x=1", headers(minted.token), "198.51.100.7", now=T0)
    assert isinstance(allowed, Verdict) and allowed.token_id == minted.id
    denied = gate.check("GET", b"/v1/admin", headers(minted.token), "198.51.100.7", now=T0)
    assert isinstance(denied, Denial)
    assert (denied.status, denied.error, denied.reasons) == (403, "forbidden", ["scope_denied"])
    assert denied.verdict is not None and denied.verdict.token_id == minted.id
    assert denied.body == b'{"error":"forbidden","reasons":["scope_denied"]}'
    assert denied.headers == [("content-type", "application/json"), ("cache-control", "no-store")]
    assert minted.token not in repr(denied)
    missing = gate.check("GET", "/v1/orders/7", [], "198.51.100.7", now=T0)
    assert isinstance(missing, Denial) and missing.verdict is None and missing.status == 401


def test_targets_and_headers_as_servers_give_them(guard: Guard) -> None:
    minted = guard.mint(policy="scoped", now=T0)
    gate = Gate(guard)
    # Raw UTF-8 bytes in the target are the same URL as their escapes.
    for target in ("/v1/caf\u00e9/1".encode(), b"/v1/caf%C3%A9/1", "/v1/caf\u00e9/1"):
        assert isinstance(gate.check("GET", target, headers(minted.token), None, now=T0), Verdict)
    # Header names in any case, as str or bytes; lists as well as tuples.
    for pairs in (
        [("Authorization", "Bearer " + minted.token)],
        [[b"AUTHORIZATION", ("Bearer " + minted.token).encode()]],
    ):
        assert isinstance(gate.check("GET", b"/v1/orders/1", pairs, None, now=T0), Verdict)
    with pytest.raises(TypeError):
        gate.check("GET", b"/", [(b"authorization", 5)], None, now=T0)
    with pytest.raises(TypeError):
        gate.check("GET", b"/", [b"authorization"], None, now=T0)
    with pytest.raises(TypeError):
        gate.check("GET", b"/", [], 127, now=T0)  # type: ignore[arg-type]


def test_a_peer_that_is_no_address_is_unknown_and_never_trusted(guard: Guard) -> None:
    minted = guard.mint(policy={"allow_ips": ["203.0.113.0/24"]}, now=T0)
    gate = Gate(guard, trusted_proxies=["0.0.0.0/0"])
    forwarded = headers(minted.token, (b"x-forwarded-for", b"203.0.113.9"))
    assert isinstance(gate.check("GET", b"/", forwarded, "10.0.0.1", now=T0), Verdict)
    for peer in (None, "", "unix:/run/app.sock", "localhost"):
        denial = gate.check("GET", b"/", forwarded, peer, now=T0)
        assert isinstance(denial, Denial) and denial.reasons == ["ip_not_allowed"]


def test_country_lookup_errors_raise_before_the_check() -> None:
    guard = Guard(CONFIG + "\n[usage]\n", key=KEY)
    minted = guard.mint(policy="de", now=T0)
    gate = Gate(guard)

    def broken(ip: Optional[str]) -> Optional[str]:
        raise RuntimeError("geo database unavailable")

    with pytest.raises(RuntimeError, match="geo database"):
        gate.check("GET", b"/", headers(minted.token), "192.0.2.1", country=broken, now=T0)
    with pytest.raises(TypeError, match="country_lookup"):
        gate.check("GET", b"/", headers(minted.token), "192.0.2.1", country=lambda ip: 49, now=T0)  # type: ignore[arg-type,return-value]
    assert guard.usage(minted.id, now=T0) is None  # nothing was counted
    ok = gate.check("GET", b"/", headers(minted.token), "192.0.2.1", country=lambda ip: "DE", now=T0)
    assert isinstance(ok, Verdict)


def test_record_outcome_by_the_verdict(guard: Guard) -> None:
    guard = Guard("[usage]", key=KEY)
    minted = guard.mint(now=T0)
    gate = Gate(guard)
    verdict = gate.check("GET", b"/v1/x", headers(minted.token), "192.0.2.1", now=T0)
    assert isinstance(verdict, Verdict)
    assert gate.record_outcome(verdict, 404, now=T0 + 1) == []
    stats = guard.usage(minted.id, now=T0 + 2)
    assert stats is not None and stats["fine"]["total"]["errors"] == 1
    with pytest.raises(InvalidArgumentError):
        gate.record_outcome(verdict, 70000, now=T0)


def test_options_are_checked_by_the_core(guard: Guard) -> None:
    with pytest.raises(ConfigError, match=r"^realm"):
        Gate(guard, realm='a"b')
    with pytest.raises(ConfigError, match=r"exempt_paths\[0\]"):
        Gate(guard, exempt_paths=["/a/**/b/**"])
    with pytest.raises(TypeError):
        Gate(guard, trusted_proxies=[b"10.0.0.0/8"])  # type: ignore[list-item]
    gate = Gate(guard, trusted_proxies=("10.0.0.0/8", "2001:db8::/32"), forwarded_header="forwarded")
    assert gate.check("GET", b"/", [], "10.0.0.1", now=T0) is not None


# --- WSGI environs as other servers fill them ---------------------------------------------


def wsgi_app(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("content-type", "text/plain")])
    return [b"ok"]


def call(middleware: GuardMiddleware, environ: Dict[str, Any]) -> Tuple[str, bytes]:
    got: List[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        got.append(status)
        return lambda data: None

    body = b"".join(middleware(environ, start_response))
    return got[-1], body


def environ(token: str, **extra: str) -> Dict[str, Any]:
    base = {"REQUEST_METHOD": "GET", "REMOTE_ADDR": "192.0.2.1"}
    if token:
        base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return {**base, **extra}


def test_wsgi_raw_uri_wins_over_the_decoded_path(guard: Guard) -> None:
    minted = guard.mint(policy="scoped")
    middleware = GuardMiddleware(wsgi_app, guard, exempt_paths=["/health"])
    # gunicorn: RAW_URI holds the escape PATH_INFO decoded away.
    status, body = call(middleware, environ(minted.token, RAW_URI="/v1/orders/..%2fadmin", PATH_INFO="/v1/orders/../admin"))
    assert status == "403 Forbidden" and b"invalid_path" in body
    # No raw URI: PATH_INFO (latin-1 characters for the UTF-8 bytes) is re-encoded.
    path = "/v1/caf\u00e9/1".encode().decode("latin-1")
    assert call(middleware, environ(minted.token, PATH_INFO=path))[0] == "200 OK"
    assert call(middleware, environ(minted.token, SCRIPT_NAME="/v1", PATH_INFO="/orders/9"))[0] == "200 OK"
    # A literal '?' in the decoded path stays that character; a literal '%' before hex
    # digits is an escape of an escape once re-encoded, which the core refuses.
    assert call(middleware, environ(minted.token, PATH_INFO="/v1/orders/a?b"))[0] == "200 OK"
    status, body = call(middleware, environ(minted.token, PATH_INFO="/v1/orders/a%2Fb"))
    assert status == "403 Forbidden" and b"invalid_path" in body
    assert call(middleware, environ("", PATH_INFO="/health"))[0] == "200 OK"
    assert call(middleware, environ("", PATH_INFO="/v1/orders/1"))[0] == "401 Unauthorized"


def test_wsgi_records_the_status_once_and_500_when_the_app_raises() -> None:
    guard = Guard("[usage]", key=KEY)
    minted = guard.mint()

    def twice(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("404 Not Found", [])
        start_response("500 Internal Server Error", [], (None, None, None))
        return [b""]

    def raising(environ: Dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raise RuntimeError("boom")

    assert call(GuardMiddleware(twice, guard), environ(minted.token, PATH_INFO="/"))[0].startswith("500")
    with pytest.raises(RuntimeError):
        call(GuardMiddleware(raising, guard), environ(minted.token, PATH_INFO="/"))
    stats = guard.usage(minted.id)
    assert stats is not None and stats["total_requests"] == 2
    assert stats["fine"]["total"]["errors"] == 1  # the 404; a 5xx is no client error
