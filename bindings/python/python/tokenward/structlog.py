"""structlog integration.

Two ways to keep secrets out of structlog output; use either or both:

- :data:`redact_processor` (or :class:`RedactProcessor` with your own :class:`Redactor`)
  redacts every string value of the event dict, recursing into dicts, lists and tuples.
  Place it after ``format_exc_info`` / ``dict_tracebacks`` (so tracebacks are strings by then)
  and before the renderer.
- :func:`redacting_renderer` wraps the renderer and redacts its output, so values that only
  become text when rendered (objects with a ``__repr__`` holding a secret) are covered too.

::

    import structlog
    from tokenward.structlog import redact_processor

    structlog.configure(processors=[
        structlog.processors.format_exc_info,
        redact_processor,
        structlog.processors.JSONRenderer(),
    ])
"""

from __future__ import annotations

from typing import Any, Callable, MutableMapping, Optional, Union

from tokenward._native import Redactor, default_redactor
from tokenward._values import ValueRedactor

__all__ = ["RedactProcessor", "redact_processor", "redacting_renderer"]

EventDict = MutableMapping[str, Any]
Renderer = Callable[[Any, str, EventDict], Union[str, bytes]]


class RedactProcessor:
    """A structlog processor that redacts the string values of the event dict.

    Values nested in dicts, lists and tuples are redacted too, down to ``max_depth`` levels;
    a container nested deeper is replaced by its redacted ``repr``, so depth (or a reference
    cycle) never lets a secret through. Bytes values are redacted as bytes; other values are
    left for the renderer (see :func:`redacting_renderer`).

    Args:
        redactor: the rule set; the default rule set when ``None``.
        max_depth: how deep to recurse into containers.
    """

    def __init__(self, redactor: Optional[Redactor] = None, max_depth: int = 32) -> None:
        self.redactor = redactor or default_redactor()
        self.max_depth = max_depth
        self._value = ValueRedactor(self.redactor, max_depth)

    def __call__(self, logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
        for key, value in event_dict.items():
            event_dict[key] = self._value(value)
        return event_dict


redact_processor = RedactProcessor()
"""A :class:`RedactProcessor` with the default rule set."""


def redacting_renderer(renderer: Renderer, redactor: Optional[Redactor] = None) -> Renderer:
    """Wraps a structlog renderer (the last processor) so that its output is redacted.

    Works for renderers that return ``str`` (``JSONRenderer``, ``ConsoleRenderer``,
    ``KeyValueRenderer``) or ``bytes`` (``orjson``-based ones).
    """
    rules = redactor or default_redactor()

    def render(logger: Any, method_name: str, event_dict: EventDict) -> Union[str, bytes]:
        out = renderer(logger, method_name, event_dict)
        if isinstance(out, str):
            return rules.redact(out)
        return rules.redact_bytes(out)

    return render
