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
