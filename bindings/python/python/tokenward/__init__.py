"""tokenward: redact secrets from text and logs before they are written.

The engine is Rust (``tokenward._native``); this package re-exports it and adds Python
integrations::

    >>> import tokenward
    >>> tokenward.redact("key AKIA7QX2M4RB5KQ3YHV6")
    'key [REDACTED:aws_access_key_id]'

- :class:`Redactor`: a compiled rule set (style, config, fingerprint key); thread-safe.
- :func:`redact`: redaction with the default rule set.
- :class:`tokenward.logging.RedactingFilter` and :func:`tokenward.logging.install`: keep
  secrets out of :mod:`logging` output.
- :mod:`tokenward.structlog`: a structlog processor.
- Errors derive from :class:`TokenwardError`, one class per kind of the core's error table
  (:class:`ConfigError`, :class:`RuleError`, :class:`InvalidArgumentError`, ...).
"""

from tokenward._native import (
    ConfigError,
    ConflictError,
    Finding,
    InvalidArgumentError,
    NotFoundError,
    RandomError,
    Redactor,
    RuleError,
    RuleInfo,
    SnapshotError,
    StreamRedactor,
    TokenwardError,
    __version__,
    default_redactor,
    redact,
)
from tokenward.logging import RedactingFilter

__all__ = [
    "ConfigError",
    "ConflictError",
    "Finding",
    "InvalidArgumentError",
    "NotFoundError",
    "RandomError",
    "RedactingFilter",
    "Redactor",
    "RuleError",
    "RuleInfo",
    "SnapshotError",
    "StreamRedactor",
    "TokenwardError",
    "__version__",
    "default_redactor",
    "redact",
]
