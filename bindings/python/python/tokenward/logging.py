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

:func:`install` on the root also covers the loggers of uvicorn, gunicorn and other common
servers and frameworks (:data:`SERVER_LOGGERS`), which do not propagate to the root.

With :func:`logging.config.dictConfig` (or uvicorn's ``log_config``), declare it as a filter
factory; the filter keeps ``record.args`` usable, so uvicorn's access formatter still works::

    "filters": {"redact": {"()": "tokenward.logging.RedactingFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
"""

from __future__ import annotations

import logging as _logging
from typing import Any, Mapping, Optional, Union

from tokenward._native import Redactor, default_redactor
from tokenward._values import ValueRedactor

__all__ = ["SERVER_LOGGERS", "RedactingFilter", "install"]

# Formats tracebacks and stacks the way a default Formatter does.
_FORMATTER = _logging.Formatter()

# Attributes every LogRecord has, or that a Formatter adds; anything else came from ``extra=``.
_BASE_ATTRS = _logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
_RECORD_ATTRS = frozenset(_BASE_ATTRS) | {"message", "asctime", "taskName"}
_BASE_COUNT = len(_BASE_ATTRS)


class RedactingFilter(_logging.Filter):
    """A :class:`logging.Filter` that redacts secrets from a record; it never drops one.

    It rewrites, in place:

    - the message: when ``record.getMessage()`` (``msg % args``) holds a secret, the template
      and each argument are redacted, keeping ``record.args`` a tuple (or mapping) of the
      same shape, with non-string arguments left as they are unless their text held the
      secret. Formatters that read ``record.args`` (uvicorn's access formatter unpacks it)
      keep working. When a secret only appears across parts (split between the template and
      an argument), the rendered message is redacted into ``record.msg`` and ``record.args``
      set to ``None``;
    - the traceback: ``exc_info`` is formatted into ``record.exc_text`` and redacted.
      ``Formatter.format`` only formats ``exc_info`` while ``exc_text`` is empty, so the
      redacted text is what handlers print. ``exc_info`` is then cleared (as
      :class:`logging.handlers.QueueHandler` does), since a handler reading the exception
      object itself would see the secret; pass ``keep_exc_info=True`` for handlers that need
      the object and are trusted with it;
    - ``stack_info`` (``stack_info=True``);
    - values passed with ``extra=``, which JSON formatters write out: strings, and the
      strings inside dicts, lists and tuples (request headers), copied, never changed in the
      caller's own objects.

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
        self._value = ValueRedactor(self.redactor)

    def filter(self, record: _logging.LogRecord) -> bool:
        # The common record (a message, maybe arguments, no secret) takes the shortest
        # path: this runs for every record the handler sees.
        try:
            if record.args:
                self._redact_message(record)
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

    def _redact_message(self, record: _logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            record.msg = self._redact(_unformatted(record))
            record.args = None
            return
        redacted = self._redact(message)
        if redacted == message:
            return  # nothing secret: msg and args stay as they are
        template = self._redact(str(record.msg))
        args = record.args
        if isinstance(args, Mapping):
            parts: Any = {key: self._argument(value) for key, value in args.items()}
        else:
            parts = tuple(self._argument(value) for value in args or ())
        try:
            rendered: Optional[str] = template % parts
        except Exception:
            rendered = None
        if rendered is not None and self._redact(rendered) == rendered:
            record.msg, record.args = template, parts
        else:  # the secret spans parts: only the whole message can be redacted
            record.msg, record.args = redacted, None

    def _argument(self, value: Any) -> Any:
        if isinstance(value, (str, bytes, bytearray, dict, list, tuple)):
            return self._value(value)
        if value is None or isinstance(value, (int, float)):
            return value
        text = str(value)
        redacted = self._redact(text)
        return value if redacted == text else redacted

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
            if isinstance(value, (str, bytes, bytearray, dict, list, tuple)):
                attrs[name] = self._value(value)


def _unformatted(record: _logging.LogRecord) -> str:
    """A message whose arguments do not fit its template: both side by side (the stdlib
    would print both to stderr, unredacted)."""
    return f"{record.msg!s} (arguments did not format: {record.args!r})"


SERVER_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "gunicorn",
    "gunicorn.error",
    "gunicorn.access",
    "hypercorn.error",
    "hypercorn.access",
    "daphne",
    "waitress",
    "werkzeug",
    "django",
    "django.request",
    "django.server",
    "django.security",
    "django.db.backends",
    "flask.app",
    "celery",
    "celery.task",
)
"""The loggers of the common servers and frameworks that :func:`install` covers too. Several
do not propagate to the root (``uvicorn.access``, ``gunicorn.error``, ``gunicorn.access``,
``django.server``) and print the request line, query string included."""


def install(
    logger: Union[_logging.Logger, str, None] = None,
    redactor: Optional[Redactor] = None,
    *,
    keep_exc_info: bool = False,
) -> RedactingFilter:
    """Adds a :class:`RedactingFilter` to every handler of ``logger`` (the root by default).

    Records from child loggers propagate to these handlers, so one call on the root covers
    the whole application. On the root, it also covers the loggers in
    :data:`SERVER_LOGGERS` (uvicorn, gunicorn, hypercorn, waitress, werkzeug, Django,
    Celery), which often have handlers of their own and do not propagate: each gets the
    filter on its handlers and on the logger itself. The logger's own filter stays when the
    server configures its logging later (``uvicorn.run`` and gunicorn replace their
    handlers, not logger filters), so calling ``install()`` before starting the server is
    enough. Other handlers added later, and other non-propagating loggers, need their own
    call or filter. Handlers and loggers that already hold a ``RedactingFilter`` are left
    alone, so calling twice is harmless.

    Args:
        logger: a logger or a logger name; the root logger (and the server loggers) when
            ``None``.
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
    _add_to_handlers(target, redacting)
    if target is _logging.getLogger():
        for name in SERVER_LOGGERS:
            server = _logging.getLogger(name)
            _add_to_handlers(server, redacting)
            if not _has_filter(server.filters):
                server.addFilter(redacting)
    return redacting


def _add_to_handlers(logger: _logging.Logger, redacting: RedactingFilter) -> None:
    for handler in logger.handlers:
        if not _has_filter(handler.filters):
            handler.addFilter(redacting)


def _has_filter(filters: Any) -> bool:
    return any(isinstance(f, RedactingFilter) for f in filters)
