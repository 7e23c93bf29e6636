"""tokenward.structlog: the event-dict processor and the renderer wrapper."""

from __future__ import annotations

import io
import json
from typing import Any

import structlog

from tokenward import Redactor
from tokenward.structlog import RedactProcessor, redact_processor, redacting_renderer

from conftest import AWS, AWS_LABEL, GH, GH_LABEL


def _logger(*processors: Any) -> tuple[Any, io.StringIO]:
    out = io.StringIO()
    log = structlog.wrap_logger(structlog.PrintLogger(file=out), processors=list(processors))
    return log, out


def test_string_values_are_redacted_recursively() -> None:
    log, out = _logger(redact_processor, structlog.processors.JSONRenderer())
    log.info(
        f"login with {GH}",
        user="ada",
        n=5,
        nested={"keys": [AWS, {"deep": (GH, 1)}]},
        raw=AWS.encode(),
    )
    event = json.loads(out.getvalue())
    assert event["event"] == f"login with {GH_LABEL}"
    assert event["user"] == "ada" and event["n"] == 5
    assert event["nested"] == {"keys": [AWS_LABEL, {"deep": [GH_LABEL, 1]}]}
    assert GH not in out.getvalue() and AWS not in out.getvalue()


def test_bytes_values_are_redacted_as_bytes() -> None:
    event = redact_processor(None, "info", {"raw": b"\xff" + AWS.encode()})
    assert event["raw"] == b"\xff" + AWS_LABEL.encode()


def test_exceptions_are_redacted_after_format_exc_info() -> None:
    log, out = _logger(
        structlog.processors.format_exc_info, redact_processor, structlog.processors.JSONRenderer()
    )
    try:
        raise PermissionError(f"token {GH} revoked")
    except PermissionError:
        log.exception("call failed")
    event = json.loads(out.getvalue())
    assert f"PermissionError: token {GH_LABEL} revoked" in event["exception"]
    assert GH not in out.getvalue()


def test_deep_nesting_and_cycles_never_leak() -> None:
    deep: Any = GH
    for _ in range(50):
        deep = [deep]
    cycle: list[Any] = [AWS]
    cycle.append(cycle)
    event = RedactProcessor(max_depth=8)(None, "info", {"deep": deep, "cycle": cycle})
    text = repr(event)
    assert GH not in text and AWS not in text
    assert GH_LABEL in text and AWS_LABEL in text


def test_custom_redactor() -> None:
    processor = RedactProcessor(Redactor(style="mask"))
    assert processor(None, "info", {"event": GH}) == {"event": "********"}


def test_redacting_renderer_covers_reprs() -> None:
    class Client:
        def __repr__(self) -> str:
            return f"Client(token={GH!r})"

    log, out = _logger(redacting_renderer(structlog.processors.JSONRenderer()))
    log.info("connected", client=Client())
    assert GH_LABEL in out.getvalue() and GH not in out.getvalue()

    render = redacting_renderer(lambda _l, _m, ev: json.dumps(ev).encode(), Redactor(style="mask"))
    assert render(None, "info", {"k": AWS}) == b'{"k": "********"}'
