"""tokenward.logging end to end: real handlers writing to a StringIO."""

from __future__ import annotations

import io
import logging
import logging.config
import uuid
from typing import Any, Tuple

import pytest

import tokenward
import tokenward.logging
from tokenward import Redactor
from tokenward.logging import SERVER_LOGGERS, RedactingFilter, install

from conftest import AWS, AWS_LABEL, GH, GH_LABEL

Captured = Tuple[logging.Logger, io.StringIO]


def test_message_arguments_are_redacted(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log)
    log.info("token %s", GH)
    log.warning("%(who)s used %(key)s", {"who": "ci", "key": AWS})
    log.info(f"inline {GH}")
    log.info("clean line %d", 3)
    assert out.getvalue().splitlines() == [
        f"INFO {log.name} token {GH_LABEL}",
        f"WARNING {log.name} ci used {AWS_LABEL}",
        f"INFO {log.name} inline {GH_LABEL}",
        f"INFO {log.name} clean line 3",
    ]


def test_exception_tracebacks_are_redacted(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log)
    try:
        try:
            raise KeyError(AWS)
        except KeyError as inner:
            raise ValueError(f"login failed for {GH}") from inner
    except ValueError:
        log.exception("request failed")
    text = out.getvalue()
    assert "Traceback (most recent call last)" in text
    assert f"ValueError: login failed for {GH_LABEL}" in text
    assert f"KeyError: '{AWS_LABEL}'" in text
    assert GH not in text and AWS not in text


def test_exc_info_is_cleared_unless_kept(captured_logger: Captured) -> None:
    log, out = captured_logger
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep()
    log.addHandler(keep)
    install(log)
    try:
        raise RuntimeError(GH)
    except RuntimeError:
        log.error("boom", exc_info=True)
    assert records[0].exc_info is None
    assert GH_LABEL in (records[0].exc_text or "")

    kept = logging.getLogger(f"tokenward_test.{uuid.uuid4().hex}")
    kept.propagate = False
    kept.addHandler(Keep())
    install(kept, keep_exc_info=True)
    try:
        raise RuntimeError(GH)
    except RuntimeError:
        kept.error("boom", exc_info=True)
    assert records[-1].exc_info is not None
    assert GH not in (records[-1].exc_text or "")
    log.removeHandler(keep)


def _log_with_a_secret_in_the_source(log: logging.Logger) -> None:
    log.info("with stack", stack_info=True)  # 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


def test_stack_info_is_redacted(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log)
    _log_with_a_secret_in_the_source(log)
    text = out.getvalue()
    assert "Stack (most recent call last)" in text
    assert f"# {GH_LABEL}" in text
    assert GH not in text


def test_propagated_records_from_child_loggers_are_redacted(captured_logger: Captured) -> None:
    parent, out = captured_logger
    install(parent)
    child = logging.getLogger(parent.name + ".db.pool")
    child.warning("reconnecting with %s", AWS)
    assert out.getvalue() == f"WARNING {child.name} reconnecting with {AWS_LABEL}\n"


def test_a_logger_level_filter_misses_propagated_records(captured_logger: Captured) -> None:
    # Why install() uses handlers: the stdlib skips a parent logger's own filters for
    # records propagated from its children.
    parent, out = captured_logger
    parent.addFilter(RedactingFilter())
    logging.getLogger(parent.name + ".child").info("token %s", GH)
    assert GH in out.getvalue()


def test_root_install_covers_the_application() -> None:
    root = logging.getLogger()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s:%(message)s"))
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    added = RedactingFilter()
    try:
        added = install()
        assert added in handler.filters
        logging.getLogger("app.module").info("key %s", AWS)
        assert out.getvalue() == f"app.module:key {AWS_LABEL}\n"
        # The servers' loggers, which do not propagate here, are covered too.
        assert all(added in logging.getLogger(name).filters for name in SERVER_LOGGERS)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        # pytest's own handlers on the root outlive this test: leave them as they were.
        for other in [*root.handlers, *(logging.getLogger(n) for n in SERVER_LOGGERS)]:
            other.removeFilter(added)


def test_every_handler_is_covered_and_install_is_idempotent(captured_logger: Captured) -> None:
    log, out = captured_logger
    second_out = io.StringIO()
    second = logging.StreamHandler(second_out)
    second.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    log.addHandler(second)
    first = install(log)
    install(log)
    for handler in log.handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    assert first in second.filters
    log.error("leak %s", GH)
    assert GH_LABEL in out.getvalue() and GH_LABEL in second_out.getvalue()
    assert GH not in out.getvalue() + second_out.getvalue()
    log.removeHandler(second)


def test_install_accepts_a_name_and_a_redactor(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log.name, Redactor(style="prefix"))
    log.info("token %s", GH)
    assert out.getvalue().endswith(" token ghp_********\n")


def test_install_without_handlers_is_an_error() -> None:
    with pytest.raises(ValueError, match="no handlers"):
        install(f"tokenward_test.{uuid.uuid4().hex}")


def test_extra_fields_are_redacted(captured_logger: Captured) -> None:
    log, out = captured_logger
    log.handlers[0].setFormatter(logging.Formatter("%(message)s user=%(user)s token=%(token)s n=%(n)d"))
    install(log)
    log.info("login", extra={"user": "ada", "token": GH, "n": 7})
    assert out.getvalue() == f"login user=ada token={GH_LABEL} n=7\n"


def test_arguments_that_do_not_format_are_logged_redacted_without_raising(
    captured_logger: Captured, capsys: pytest.CaptureFixture[str]
) -> None:
    log, out = captured_logger
    install(log)
    log.info("%d items", GH)  # wrong format: the stdlib would print msg and args to stderr
    assert out.getvalue() == (
        f"INFO {log.name} %d items (arguments did not format: ('{GH_LABEL}',))\n"
    )
    assert GH not in capsys.readouterr().err


def test_a_record_that_cannot_be_rendered_is_withheld(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log)

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError(GH)

    log.info(Unprintable())
    assert out.getvalue() == (
        f"INFO {log.name} [tokenward: log record withheld, redaction failed: RuntimeError]\n"
    )


def test_filter_keeps_every_record(captured_logger: Captured) -> None:
    log, _ = captured_logger
    record = log.makeRecord(log.name, logging.INFO, __file__, 1, "k %s", (AWS,), None)
    assert RedactingFilter().filter(record) is True
    assert record.getMessage() == f"k {AWS_LABEL}"
    assert record.args == (AWS_LABEL,)


def test_arguments_keep_their_shape_and_types(captured_logger: Captured) -> None:
    log, _ = captured_logger

    class Client:
        def __str__(self) -> str:
            return f"client with {GH}"

    record = log.makeRecord(log.name, logging.INFO, __file__, 1, "%s %s %d %.1f %s", ("GET", f"/x?t={GH}", 200, 1.5, Client()), None)
    RedactingFilter().filter(record)
    assert record.args == ("GET", f"/x?t={GH_LABEL}", 200, 1.5, f"client with {GH_LABEL}")
    assert record.msg == "%s %s %d %.1f %s"
    clean = log.makeRecord(log.name, logging.INFO, __file__, 1, "%s %d", ("GET", 200), None)
    RedactingFilter().filter(clean)
    assert (clean.msg, clean.args) == ("%s %d", ("GET", 200))  # untouched without a secret
    mapped = log.makeRecord(log.name, logging.INFO, __file__, 1, "%(r)s %(s)d", ({"r": f"GET /?t={GH}", "s": 200},), None)
    RedactingFilter().filter(mapped)
    assert mapped.args == {"r": f"GET /?t={GH_LABEL}", "s": 200}


def test_a_secret_split_across_template_and_argument_is_still_caught(captured_logger: Captured) -> None:
    log, out = captured_logger
    install(log)
    log.info("ghp_%s", GH[4:])
    log.info("%s%s", GH[:10], GH[10:])
    assert out.getvalue().splitlines() == [f"INFO {log.name} {GH_LABEL}"] * 2


def test_dict_and_list_extras_are_redacted_without_touching_the_callers_objects(
    captured_logger: Captured,
) -> None:
    log, _ = captured_logger
    headers = {"authorization": f"Bearer {GH}", "accept": "*/*"}
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    log.addHandler(Keep())
    install(log)
    log.info("request", extra={"headers": headers, "keys": [AWS, {"nested": (GH, 3)}], "raw": GH.encode()})
    record = records[0]
    assert record.headers == {"authorization": f"Bearer {GH_LABEL}", "accept": "*/*"}  # type: ignore[attr-defined]
    assert record.keys == [AWS_LABEL, {"nested": (GH_LABEL, 3)}]  # type: ignore[attr-defined]
    assert record.raw == GH_LABEL.encode()  # type: ignore[attr-defined]
    assert headers["authorization"] == f"Bearer {GH}"  # the caller's dict is its own


def test_dict_config_factory() -> None:
    out = io.StringIO()
    name = f"tokenward_test.{uuid.uuid4().hex}"
    config: dict[str, Any] = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "tokenward.logging.RedactingFilter"}},
        "formatters": {"plain": {"format": "%(message)s"}},
        "handlers": {
            "mem": {
                "class": "logging.StreamHandler",
                "stream": out,
                "formatter": "plain",
                "filters": ["redact"],
            }
        },
        "loggers": {name: {"handlers": ["mem"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig(config)
    logging.getLogger(name).info("token %s", GH)
    assert out.getvalue() == f"token {GH_LABEL}\n"


def test_package_exports_the_filter() -> None:
    assert tokenward.RedactingFilter is tokenward.logging.RedactingFilter
