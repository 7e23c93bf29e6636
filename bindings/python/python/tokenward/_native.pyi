"""Type stubs of the native module. Checked against it by ``python -m mypy.stubtest``."""

import ipaddress
import os
from typing import Any, Callable, Iterable, Literal, Mapping, final

__all__ = [
    "__version__",
    "TokenwardError",
    "ConfigError",
    "RuleError",
    "InvalidArgumentError",
    "NotFoundError",
    "ConflictError",
    "SnapshotError",
    "RandomError",
    "DETACH_THRESHOLD",
    "Redactor",
    "Finding",
    "RuleInfo",
    "Fleet",
    "StreamRedactor",
    "redact",
    "default_redactor",
    "encode_path",
    "Guard",
    "Minted",
    "Verdict",
    "Alert",
    "Gate",
    "Denial",
]

__version__: str
DETACH_THRESHOLD: int
"""Inputs of at least this many bytes are processed with the GIL released."""

_Style = Literal["label", "mask", "prefix", "fingerprint"]

class TokenwardError(Exception):
    """Base class of every error tokenward raises."""

class ConfigError(TokenwardError):
    """An invalid configuration: unparsable TOML/JSON, unknown style, bad allow pattern,
    or the fingerprint style without a key."""

class RuleError(TokenwardError):
    """An invalid rule: a pattern that does not compile, a duplicate id, or an unknown id
    in a disable list."""

class InvalidArgumentError(TokenwardError):
    """An argument is out of range or malformed: a negative duration, an empty selector, an overlong token, a token id that does not parse."""

class NotFoundError(TokenwardError):
    """A token or policy the call names does not exist."""

class ConflictError(TokenwardError):
    """The call conflicts with the current state: a token registered twice, a revoked token released."""

class SnapshotError(TokenwardError):
    """A snapshot or event chain is corrupt, tampered with, or from another key or version."""

class RandomError(TokenwardError):
    """The operating system's random source failed."""

@final
class Redactor:
    """A compiled rule set that finds and redacts secrets. Immutable and thread-safe."""

    def __new__(
        cls,
        style: _Style | None = None,
        config: str | Mapping[str, Any] | None = None,
        fingerprint_key: bytes | None = None,
    ) -> Redactor: ...
    def redact(self, text: str) -> str:
        """``text`` with every secret replaced; the same object when nothing was found."""
    def redact_bytes(self, data: bytes | bytearray) -> bytes:
        """``data`` (any encoding) with every secret replaced."""
    def find(self, text: str) -> list[Finding]:
        """The secrets in ``text``, in order, with character offsets."""
    def find_bytes(self, data: bytes | bytearray) -> list[Finding]:
        """The secrets in ``data``, in order, with byte offsets."""
    @property
    def rules(self) -> list[RuleInfo]:
        """The rules in force, in the order they are tried."""
    @property
    def style(self) -> _Style:
        """The output style's name."""

@final
class Finding:
    """A secret found by :meth:`Redactor.find` (character offsets) or
    :meth:`Redactor.find_bytes` (byte offsets)."""

    @property
    def rule(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def secret_start(self) -> int: ...
    @property
    def secret_end(self) -> int: ...

@final
class RuleInfo:
    """A rule of a :class:`Redactor`."""

    @property
    def id(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def keywords(self) -> list[str]: ...
    @property
    def builtin(self) -> bool: ...

@final
class StreamRedactor:
    """Redacts a byte stream given in chunks; a secret split across chunks is still caught."""

    def __new__(cls, redactor: Redactor | None = None, window: int | None = None) -> StreamRedactor: ...
    def push(self, chunk: bytes | bytearray) -> bytes:
        """Adds a chunk; returns the redacted bytes that can be released. After
        :meth:`finish` it raises :class:`ConflictError`."""
    def finish(self) -> bytes:
        """Ends the stream: returns everything still held, redacted (``b""`` when called
        again)."""
    @property
    def pending(self) -> int:
        """Bytes held back, waiting for more input."""

def redact(text: str) -> str:
    """Redacts ``text`` with the default redactor (built-in rules, label style)."""

def default_redactor() -> Redactor:
    """The default redactor (built-in rules, label style), built on first use and shared."""

def encode_path(path: bytes) -> str:
    """A decoded path written back as a target path, percent-encoded (the middlewares' rule
    for servers that give no raw path); empty is ``/``."""

_Document = str | Mapping[str, Any]
_IP = str | ipaddress.IPv4Address | ipaddress.IPv6Address

@final
class Minted:
    """A freshly minted token. ``token`` is shown this once: hand it out and drop it.
    ``repr()`` never shows it."""

    @property
    def token(self) -> str: ...
    @property
    def id(self) -> str: ...

@final
class Alert:
    """An alert a usage detector raised."""

    @property
    def kind(self) -> str: ...
    @property
    def severity(self) -> Literal["low", "medium", "high"]: ...
    @property
    def token_id(self) -> str: ...
    @property
    def at(self) -> int: ...
    @property
    def evidence(self) -> dict[str, Any]:
        """The figures behind the alert (shape per kind); never a secret."""

@final
class Verdict:
    """The outcome of :meth:`Guard.check`; ``bool(verdict)`` is ``verdict.allowed``."""

    @property
    def allowed(self) -> bool: ...
    @property
    def reasons(self) -> list[str]:
        """Every reason for a denial as its stable code (``"revoked"``, ...)."""
    @property
    def token_id(self) -> str | None: ...
    @property
    def retry_after_ms(self) -> int | None:
        """Set exactly when ``"rate_exceeded"`` is among the reasons."""
    @property
    def alerts(self) -> list[Alert]: ...
    @property
    def actions(self) -> list[dict[str, str]]:
        """What the response rules did: ``{"action": ..., "on": alert kind}``."""
    def __bool__(self) -> bool: ...

@final
class Guard:
    """A thread-safe registry of tokens with context policies, lifecycle, usage anomalies
    and hash-chained audit events. ``now`` arguments are Unix milliseconds and default to
    the wall clock."""

    def __new__(cls, config: _Document | None = None, *, key: bytes) -> Guard: ...
    @staticmethod
    def from_file(path: str | os.PathLike[str], *, key: bytes) -> Guard:
        """A Guard with the config in a ``.toml`` or ``.json`` file."""
    def mint(
        self,
        *,
        owner: str | None = None,
        service: str | None = None,
        environment: str | None = None,
        tags: Iterable[str] | None = None,
        policy: str | Mapping[str, Any] | None = None,
        expires_at: int | None = None,
        expect: Mapping[str, Iterable[str]] | None = None,
        now: int | None = None,
    ) -> Minted:
        """Mints and registers a token (random bytes from the OS). ``expect`` holds soft
        expectations (``countries``, ``networks``, ``devices``, ``endpoints``) that inform the
        detectors and never deny."""
    def register(
        self,
        token: str,
        *,
        owner: str | None = None,
        service: str | None = None,
        environment: str | None = None,
        tags: Iterable[str] | None = None,
        policy: str | Mapping[str, Any] | None = None,
        issued_at: int | None = None,
        expires_at: int | None = None,
        expect: Mapping[str, Iterable[str]] | None = None,
        now: int | None = None,
    ) -> str:
        """Registers a host-issued token (hashed, never stored); returns its id."""
    def register_id(
        self,
        id: str,
        *,
        owner: str | None = None,
        service: str | None = None,
        environment: str | None = None,
        tags: Iterable[str] | None = None,
        policy: str | Mapping[str, Any] | None = None,
        issued_at: int | None = None,
        expires_at: int | None = None,
        expect: Mapping[str, Iterable[str]] | None = None,
        now: int | None = None,
    ) -> None:
        """Registers a token by its id."""
    def token_id(self, token: str | bytes) -> str:
        """The id a raw token has under this Guard's key."""
    def check(
        self,
        token: str | bytes,
        *,
        ip: _IP | None = None,
        country: str | None = None,
        method: str | None = None,
        path: str | None = None,
        subject: str | None = None,
        device: str | None = None,
        environment: str | None = None,
        user_agent: str | None = None,
        location: tuple[float, float] | None = None,
        now: int | None = None,
    ) -> Verdict:
        """Checks a request presenting ``token``. ``path`` is the raw request path."""
    def record_outcome(self, token: str | bytes, status: int, *, now: int | None = None) -> list[Alert]:
        """Feeds back a response status; returns the alerts it raised."""
    def revoke(self, id: str, *, now: int | None = None) -> bool:
        """Revokes a token; True when it was not revoked already."""
    def revoke_where(
        self,
        *,
        owner: str | None = None,
        service: str | None = None,
        environment: str | None = None,
        tag: str | None = None,
        now: int | None = None,
    ) -> list[str]:
        """Revokes every token matching all given fields; returns their ids."""
    def quarantine(self, id: str, *, now: int | None = None) -> None: ...
    def release(self, id: str, *, now: int | None = None) -> None: ...
    def rotate(self, id: str, *, grace: float | None = None, now: int | None = None) -> Minted:
        """Replaces a token; the old one works for ``grace`` more seconds."""
    def token_info(self, id: str) -> dict[str, Any] | None: ...
    def set_policy(self, name: str, doc: _Document, *, now: int | None = None) -> None: ...
    def drain_events(self) -> list[dict[str, Any]]: ...
    def snapshot(self) -> bytes: ...
    def restore(self, data: bytes | bytearray, *, now: int | None = None) -> None: ...
    def replay_events(
        self, events: Iterable[Mapping[str, Any] | str], *, now: int | None = None
    ) -> dict[str, Any]: ...
    def usage(self, id: str, *, now: int | None = None) -> dict[str, Any] | None: ...
    @property
    def token_prefix(self) -> str: ...
    def attach_fleet(
        self,
        url: str,
        *,
        prefix: str | None = None,
        poll: float | None = None,
        block: float | None = None,
        delta_interval: float | None = None,
        outbox_capacity: int | None = None,
        snapshot_interval: float | None = None,
        snapshot_min_entries: int | None = None,
        retain: float | None = None,
        usage_retain: float | None = None,
        connect_timeout: float | None = None,
        tls_ca_file: str | None = None,
    ) -> Fleet:
        """Attaches this Guard to the fleet sharing the Redis at ``url``
        (``redis://[user[:password]@]host[:port][/db]``): lifecycle changes made here reach
        every instance with the same ``prefix`` (default ``"tokenward"``), theirs reach this
        Guard, usage deltas are merged. Durations are seconds. Returns at once, connected or
        not (see :meth:`Fleet.health`). ``rediss://`` connects with TLS, trusting the system's
        roots, or the CAs in the PEM file ``tls_ca_file``. A bad URL or a Guard tracking usage without
        ``track_deltas`` is a :class:`ConfigError`, a bad setting an
        :class:`InvalidArgumentError`, a Guard attached already a :class:`ConflictError`."""
    def __len__(self) -> int: ...

@final
class Fleet:
    """A Guard attached to a fleet (:meth:`Guard.attach_fleet`). Use it as a context manager
    or call :meth:`detach`; methods other than ``detach`` raise :class:`ConflictError` once
    detached. ``repr()`` never shows the URL."""

    def health(self) -> dict[str, Any]:
        """``connected``, ``queued``, ``resync_pending``, ``position``, counters
        (``applied_entries``, ``published_changes``, ``deltas_published``, ...) and
        ``last_error`` (never a password)."""
    def drain_events(self) -> list[dict[str, Any]]:
        """The fleet's own events since the last call, oldest first: dicts with a ``kind``
        (``connected``, ``disconnected``, ``snapshot_loaded``, ...)."""
    def flush(self, timeout: float = 5.0) -> bool:
        """Waits (GIL released) until every change made here is published, at most
        ``timeout`` seconds; True when it is."""
    def revoke_where(
        self,
        *,
        owner: str | None = None,
        service: str | None = None,
        environment: str | None = None,
        tag: str | None = None,
        now: int | None = None,
    ) -> list[str]:
        """Revokes the tokens matching every given field here and on every instance, also
        those this one does not hold; returns the ids revoked here."""
    def detach(self) -> None:
        """Stops the fleet's threads (GIL released) and turns the Guard's change feed off,
        so it can be attached again. A second call does nothing."""
    @property
    def attached(self) -> bool: ...
    def __enter__(self) -> Fleet: ...
    def __exit__(self, *_exc: object) -> bool: ...

_Raw = bytes | str
_Pairs = Iterable[tuple[_Raw, _Raw]]

@final
class Denial:
    """A request turned away: answer with ``status``, ``headers`` and ``body`` instead of the
    app. The body is JSON ``{"error": ..., "reasons": [...]}`` and never holds the token."""

    @property
    def status(self) -> int:
        """400, 401, 403 or 429."""
    @property
    def error(self) -> Literal["missing_token", "invalid_request", "invalid_token", "rate_limited", "forbidden"]: ...
    @property
    def reasons(self) -> list[str]: ...
    @property
    def retry_after(self) -> int | None:
        """Seconds, for ``Retry-After`` (429 only)."""
    @property
    def headers(self) -> list[tuple[str, str]]:
        """Lower-case names: ``content-type``, ``cache-control``, and ``www-authenticate`` or
        ``retry-after`` where they apply."""
    @property
    def body(self) -> bytes: ...
    @property
    def verdict(self) -> Verdict | None:
        """The check's verdict, when a check ran."""

@final
class Gate:
    """The HTTP front door of the core, in front of one Guard: reads the token, client
    address, country, method and raw path of a request, checks it and maps a denial. The
    ASGI and WSGI middleware are built on it. Options left out take the core's defaults; a
    bad one is a :class:`ConfigError` naming it."""

    def __new__(
        cls,
        guard: Guard,
        *,
        header: str | None = None,
        cookie: str | None = None,
        query_param: str | None = None,
        trusted_proxies: Iterable[str] | None = None,
        forwarded_header: Literal["x-forwarded-for", "forwarded"] | str | None = None,
        country_header: str | None = None,
        exempt_paths: Iterable[str] | None = None,
        realm: str | None = None,
    ) -> Gate: ...
    def check(
        self,
        method: str,
        target: _Raw,  # bytes as received, or a str of text
        headers: _Pairs,
        peer: str | None,
        *,
        country: Callable[[str | None], str | None] | None = None,
        now: int | None = None,
    ) -> Verdict | Denial | None:
        """``None`` for an exempt path, the ``Verdict`` when allowed, else the ``Denial``."""
    def check_environ(
        self,
        environ: dict[str, Any],
        *,
        country: Callable[[str | None], str | None] | None = None,
        now: int | None = None,
    ) -> Verdict | Denial | None:
        """:meth:`check` for a WSGI environ."""
    def record_outcome(self, verdict: Verdict, status: int, *, now: int | None = None) -> list[Alert]:
        """Feeds back the response status of an allowed request."""
