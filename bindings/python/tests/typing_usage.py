"""Typed use of the public API; test_typing.py runs `mypy --strict` on it (not a test itself)."""

from __future__ import annotations

import logging
from typing import Any

import tokenward
import tokenward.logging
import tokenward.structlog

redactor: tokenward.Redactor = tokenward.Redactor(style="mask", config={"disable": []})
text: str = redactor.redact("x")
data: bytes = redactor.redact_bytes(b"x")
offsets: list[tuple[str, int, int]] = [(f.rule, f.start, f.end) for f in redactor.find("x")]
ids: list[str] = [rule.id for rule in redactor.rules]
handler = logging.StreamHandler()
handler.addFilter(tokenward.logging.RedactingFilter(redactor, keep_exc_info=False))
processor: tokenward.structlog.RedactProcessor = tokenward.structlog.redact_processor
try:
    tokenward.Redactor(style="fingerprint")
except tokenward.ConfigError as err:
    message: str = str(err)

guard: tokenward.Guard = tokenward.Guard({"policies": {"ci": {"subjects": ["ci"]}}}, key=b"k")
minted: tokenward.Minted = guard.mint(owner="ci", tags=("a",), policy="ci", now=0)
verdict: tokenward.Verdict = guard.check(minted.token, ip="10.0.0.1", path="/v1/x", now=1)
allowed: bool = bool(verdict) and verdict.allowed
codes: list[str] = verdict.reasons
retry: int | None = verdict.retry_after_ms
evidence: list[dict[str, object]] = [alert.evidence for alert in verdict.alerts]
alerts: list[tokenward.Alert] = guard.record_outcome(minted.token, 200)
revoked: list[str] = guard.revoke_where(owner="ci")
rotated: tokenward.Minted = guard.rotate(guard.mint().id, grace=1.5)
events: list[dict[str, object]] = guard.drain_events()
state: bytes = guard.snapshot()
guard.restore(state)
summary: dict[str, object] = guard.replay_events(events)
info: dict[str, object] | None = guard.token_info(minted.id)
try:
    guard.revoke("not an id")
except tokenward.InvalidArgumentError as err:
    reason: str = str(err)

gate = tokenward.Gate(guard, trusted_proxies=["10.0.0.0/8"], forwarded_header="forwarded", exempt_paths=("/health",))
passage = gate.check("GET", b"/v1/x?y=1", [(b"authorization", b"Bearer x")], "10.0.0.1", country=lambda ip: None)
if isinstance(passage, tokenward.Verdict):
    outcome_alerts: list[tokenward.Alert] = gate.record_outcome(passage, 200)
elif isinstance(passage, tokenward.Denial):
    status: int = passage.status
    body: bytes = passage.body
    header_lines: list[tuple[str, str]] = passage.headers
    retry_after: int | None = passage.retry_after
    checked: tokenward.Verdict | None = passage.verdict
environ_passage = gate.check_environ({"REQUEST_METHOD": "GET", "REQUEST_URI": "/"})

import tokenward.asgi
import tokenward.wsgi


async def asgi_app(scope: tokenward.asgi.Scope, receive: tokenward.asgi.Receive, send: tokenward.asgi.Send) -> None:
    pass


def wsgi_app(environ: tokenward.wsgi.Environ, start_response: tokenward.wsgi.StartResponse) -> list[bytes]:
    return [b""]


asgi_guarded = tokenward.asgi.GuardMiddleware(asgi_app, guard, exempt_paths=["/health"], on_events=print)
wsgi_guarded = tokenward.wsgi.GuardMiddleware(wsgi_app, guard, trusted_proxies=("10.0.0.0/8",), drain_events=False)
servers: tuple[str, ...] = tokenward.logging.SERVER_LOGGERS
stream = tokenward.StreamRedactor()
try:
    stream.push(b"x")
except tokenward.ConflictError:
    pass


def fleet_usage(url: str) -> None:
    with guard.attach_fleet(url, prefix="billing-api", delta_interval=0.5) as fleet:
        health: dict[str, Any] = fleet.health()
        connected: bool = health["connected"]
        published: bool = fleet.flush(timeout=2.0)
        fleet_events: list[dict[str, Any]] = fleet.drain_events()
        revoked_here: list[str] = fleet.revoke_where(owner="alice")
    attached: bool = fleet.attached
    fleet.detach()
