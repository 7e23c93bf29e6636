"""Keep secrets out of :mod:`logging` output.

:class:`RedactingFilter` redacts a record before a handler formats it: the rendered message
(``msg % args``), the exception traceback and the stack info. Attach it to **handlers**, not
loggers: a logger's filters only see records logged on that very logger, while records
logged on child loggers (``logging.getLogger("app.db")``) propagate straight to the
ancestors' handlers without passing the ancestors' logger filters. :func:`install` does this
for every handler of a logger (the root by default)::

    import logging
    import tokenward.logging

    logging.basicConfig(level=logging.INFO)
    tokenward.logging.install()
    logging.getLogger("app").info("token %s", "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")
    # INFO:app:token [REDACTED:github_classic_token]

With :func:`logging.config.dictConfig`, declare it as a filter factory::

    "filters": {"redact": {"()": "tokenward.logging.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
"""

from __future__ import annotations

import logging as _logging
from typing import Optional, Union

from tokenward._native import Redactor, default_redactor

__all__ = ["RedactingFilter", "install"]

# Formats tracebacks and stacks the way a default Formatter does.
_FORMATTER = _logging.Formatter()

# Attributes every LogRecord has, or that a Formatter adds; anything else came from ``extra=``.
_BASE_ATTRS = _logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
_RECORD_ATTRS = frozenset(_BASE_ATTRS) | {"message", "asctime", "taskName"}
_BASE_COUNT = len(_BASE_ATTRS)


class RedactingFilter(_logging.Filter):
    """A :class:`logging.Filter` that redacts secrets from a record; it never drops one.

    It rewrites, in place:

    - the message: ``record.getMessage()`` (``msg % args``) is redacted into ``record.msg``
      and ``record.args`` is set to ``None``, so a secret passed as an argument
      (``log.info("token %s", tok)``) is caught;
    - the traceback: ``exc_info`` is formatted into ``record.exc_text`` and redacted.
      ``Formatter.format`` only formats ``exc_info`` while ``exc_text`` is empty, so the
      redacted text is what handlers print. ``exc_info`` is then cleared (as
      :class:`logging.handlers.QueueHandler` does), since a handler reading the exception
      object itself would see the secret; pass ``keep_exc_info=True`` for handlers that need
      the object and are trusted with it;
    - ``stack_info`` (``stack_info=True``);
    - string values passed with ``extra=``, which JSON formatters write out.

    The filter never raises into the logging call: a message whose arguments do not format
    is logged as its redacted template and arguments, and on any unexpected failure the
    message is replaced by a notice (failing closed, never open).

    Args:
        redactor: the rule set to use; the default rule set when ``None``.
        keep_exc_info: leave ``record.exc_info`` in place after formatting it.
    """

    def __init__(self, redactor: Optional[Redactor] = None, *, keep_exc_info: bool = False) -> None:
        super().__init__()
        self.redactor = redactor or default_redactor()
        self.keep_exc_info = keep_exc_info
        self._redact = self.redactor.redact

    def filter(self, record: _logging.LogRecord) -> bool:
        # The common record (a message, maybe arguments, nothing else) takes the shortest
        # path: this runs for every record the handler sees.
        try:
            if record.args:
                try:
                    msg = record.getMessage()
                except Exception:
                    msg = _unformatted(record)
                record.args = None
            else:
                msg = record.msg
                if msg.__class__ is not str:
                    msg = str(msg)
            record.msg = self._redact(msg)
            if record.exc_info or record.exc_text or record.stack_info:
                self._redact_traces(record)
            if len(record.__dict__) > _BASE_COUNT:
                self._redact_extra(record)
        except Exception as err:  # fail closed: never let an unredacted record through
            record.msg = f"[tokenward: log record withheld, redaction failed: {type(err).__name__}]"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True

    def _redact_traces(self, record: _logging.LogRecord) -> None:
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if not self.keep_exc_info:
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)

    def _redact_extra(self, record: _logging.LogRecord) -> None:
        attrs = record.__dict__
        for name in attrs.keys() - _RECORD_ATTRS:
            value = attrs[name]
            if isinstance(value, str):
                attrs[name] = self._redact(value)


def _unformatted(record: _logging.LogRecord) -> str:
    """A message whose arguments do not fit its template: both side by side (the stdlib
    would print both to stderr, unredacted)."""
    return f"{record.msg!s} (arguments did not format: {record.args!r})"


def install(
    logger: Union[_logging.Logger, str, None] = None,
    redactor: Optional[Redactor] = None,
    *,
    keep_exc_info: bool = False,
) -> RedactingFilter:
    """Adds a :class:`RedactingFilter` to every handler of ``logger`` (the root by default).

    Records from child loggers propagate to these handlers, so one call on the root covers
    the whole application. Call it after handlers are configured (``basicConfig``,
    ``dictConfig``); handlers added later, and handlers of loggers with
    ``propagate = False``, need their own call or filter. Handlers that already hold a
    ``RedactingFilter`` are left alone, so calling twice is harmless.

    Args:
        logger: a logger or a logger name; the root logger when ``None``.
        redactor: the rule set; the default rule set when ``None``.
        keep_exc_info: see :class:`RedactingFilter`.

    Returns:
        The filter that was added.

    Raises:
        ValueError: the logger has no handlers, so there is nothing to protect (its records
            would go to ``logging.lastResort`` unredacted).
    """
    target = logger if isinstance(logger, _logging.Logger) else _logging.getLogger(logger)
    if not target.handlers:
        name = target.name or "root"
        raise ValueError(
            f"logger {name!r} has no handlers; configure logging before tokenward.logging.install()"
        )
    redacting = RedactingFilter(redactor, keep_exc_info=keep_exc_info)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(redacting)
    return redacting
