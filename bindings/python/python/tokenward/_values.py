"""Redaction of structured values (what ``extra=`` fields and structlog event dicts hold),
shared by :mod:`tokenward.logging` and :mod:`tokenward.structlog`."""

from __future__ import annotations

from typing import Any

from tokenward._native import Redactor


class ValueRedactor:
    """Redacts the strings in a value, recursing into dicts, lists and tuples down to
    ``max_depth`` levels; a container nested deeper is replaced by its redacted ``repr``, so
    depth (or a reference cycle) never lets a secret through. Bytes are redacted as bytes;
    other values are returned as they are. Containers are rebuilt, never changed in place:
    they may belong to the caller (a request's headers)."""

    def __init__(self, redactor: Redactor, max_depth: int = 32) -> None:
        self.redactor = redactor
        self.max_depth = max_depth
        self._redact = redactor.redact

    def __call__(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self._redact(value)
        if isinstance(value, (dict, list, tuple)) and depth >= self.max_depth:
            return self._redact(repr(value))
        if isinstance(value, dict):
            return {k: self(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v, depth + 1) for v in value]
        if isinstance(value, tuple):
            return tuple(self(v, depth + 1) for v in value)
        if isinstance(value, (bytes, bytearray)):
            return self.redactor.redact_bytes(value)
        return value
