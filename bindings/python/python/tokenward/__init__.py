"""tokenward: redact secrets from logs, and guard the tokens your service accepts.

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
- :class:`Guard`: a thread-safe registry of tokens: mint or register them with metadata and
  a policy, :meth:`Guard.check` each request (IP, country, endpoint with the raw path,
  subject, rate limit, usage anomalies) to a :class:`Verdict`, revoke, quarantine or rotate
  them, and drain hash-chained audit events; ``snapshot``/``restore``/``replay_events`` keep
  the state across restarts. ``now`` arguments are Unix milliseconds, defaulting to the wall
  clock; random bytes for minting come from the operating system. The key (bytes, not
  empty: an empty key is an :class:`InvalidArgumentError`) fingerprints tokens and is never
  shown.
- :class:`tokenward.asgi.GuardMiddleware`: ASGI middleware that checks each request's
  token with a Guard (401/403/429 with the reason codes, the verdict in
  ``scope["state"]["tokenward"]``), and :class:`tokenward.wsgi.GuardMiddleware` for WSGI
  apps (the verdict in ``environ["tokenward.verdict"]``). Both stand on :class:`Gate`, the
  core's HTTP front door (token, client address behind trusted proxies, exempt paths, the
  denial), which other hosts can call directly.
- :meth:`Guard.attach_fleet` returns a :class:`Fleet`: the Guards of several instances
  share their state through Redis (revocations, quarantines, policies, usage).
- Errors derive from :class:`TokenwardError`, one class per kind of the core's error table
  (:class:`ConfigError`, :class:`RuleError`, :class:`InvalidArgumentError`, ...).
"""

from tokenward._native import (
    Alert,
    ConfigError,
    ConflictError,
    Denial,
    Finding,
    Fleet,
    Gate,
    Guard,
    InvalidArgumentError,
    Minted,
    NotFoundError,
    RandomError,
    Redactor,
    RuleError,
    RuleInfo,
    SnapshotError,
    StreamRedactor,
    TokenwardError,
    Verdict,
    __version__,
    default_redactor,
    redact,
)
from tokenward.logging import RedactingFilter

__all__ = [
    "Alert",
    "ConfigError",
    "ConflictError",
    "Denial",
    "Finding",
    "Fleet",
    "Gate",
    "Guard",
    "InvalidArgumentError",
    "Minted",
    "NotFoundError",
    "RandomError",
    "RedactingFilter",
    "Redactor",
    "RuleError",
    "RuleInfo",
    "SnapshotError",
    "StreamRedactor",
    "TokenwardError",
    "Verdict",
    "__version__",
    "default_redactor",
    "redact",
]
