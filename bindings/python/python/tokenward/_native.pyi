"""Type stubs of the native module. Checked against it by ``python -m mypy.stubtest``."""

from typing import Any, Literal, Mapping, final

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
    "StreamRedactor",
    "redact",
    "default_redactor",
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
        """Adds a chunk; returns the redacted bytes that can be released."""
    def finish(self) -> bytes:
        """Ends the stream: returns everything still held, redacted."""
    @property
    def pending(self) -> int:
        """Bytes held back, waiting for more input."""

def redact(text: str) -> str:
    """Redacts ``text`` with the default redactor (built-in rules, label style)."""

def default_redactor() -> Redactor:
    """The default redactor (built-in rules, label style), built on first use and shared."""
