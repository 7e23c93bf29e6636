"""Typed use of the public API; test_typing.py runs `mypy --strict` on it (not a test itself)."""

from __future__ import annotations

import logging

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
