"""Typed errors, wrong types, and odd inputs that must neither panic nor misbehave."""

from __future__ import annotations

import random
from typing import Any

import pytest

import tokenward
from tokenward import ConfigError, Redactor, RuleError, TokenwardError

from conftest import AWS, AWS_LABEL, GH, GH_LABEL


def test_exception_hierarchy() -> None:
    assert issubclass(TokenwardError, Exception)
    assert issubclass(ConfigError, TokenwardError)
    assert issubclass(RuleError, TokenwardError)
    assert ConfigError.__module__ == "tokenward"
    # One class per kind of the core's error table, all under the one base class.
    kinds = [
        tokenward.InvalidArgumentError,
        tokenward.NotFoundError,
        tokenward.ConflictError,
        tokenward.SnapshotError,
        tokenward.RandomError,
    ]
    for kind in kinds:
        assert issubclass(kind, TokenwardError)
        assert kind.__module__ == "tokenward"
    assert len({ConfigError, RuleError, *kinds}) == 7


@pytest.mark.parametrize(
    "config",
    [
        "allow = 'SECRET'",
        "SECRET = 1",
        "disable = ['SECRET']",
        "[[rules]]\nid = 'x'\npattern = 'x'\nSECRET = 2",
        '{"allow": "SECRET"}',
        "allow_patterns = ['(SECRET']",
    ],
)
def test_config_errors_never_quote_a_value(config: str) -> None:
    secret = "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"
    with pytest.raises(TokenwardError) as caught:
        Redactor(config=config.replace("SECRET", secret))
    assert "Ky9Pf34q" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"style": "blur"}, ConfigError, "unknown style"),
        ({"style": "fingerprint"}, ConfigError, "fingerprint key"),
        ({"config": "style = "}, ConfigError, "line 1"),
        ({"config": "stlye = 'mask'"}, ConfigError, "unknown field, expected one of `style`"),
        ({"config": '{"style": 3}'}, ConfigError, "invalid config"),
        ({"config": {"allow_patterns": ["("]}}, RuleError, r"allow_patterns\[0\]: unclosed group"),
        ({"config": {"disable": ["no_such_rule"]}}, RuleError, r"disable\[0\]: no built-in rule"),
        ({"config": {"rules": [{"id": "bad", "pattern": "(unclosed"}]}}, RuleError, "bad"),
        (
            {"config": {"rules": [{"id": "x", "pattern": "x1"}, {"id": "x", "pattern": "x2"}]}},
            RuleError,
            "duplicate",
        ),
    ],
)
def test_bad_configs_raise_typed_errors(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        Redactor(**kwargs)


def test_a_dict_that_is_not_json_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not JSON"):
        Redactor(config={"allow": [object()]})


@pytest.mark.parametrize(
    "call",
    [
        lambda: tokenward.redact(123),  # type: ignore[arg-type]
        lambda: tokenward.redact(b"bytes"),  # type: ignore[arg-type]
        lambda: tokenward.redact(None),  # type: ignore[arg-type]
        lambda: Redactor().redact_bytes("str"),  # type: ignore[arg-type]
        lambda: Redactor().find(42),  # type: ignore[arg-type]
        lambda: Redactor(config=42),  # type: ignore[arg-type]
        lambda: Redactor(style=1),  # type: ignore[arg-type]
        lambda: Redactor(style="fingerprint", fingerprint_key="not bytes"),  # type: ignore[arg-type]
        lambda: tokenward.StreamRedactor().push("str"),  # type: ignore[arg-type]
    ],
)
def test_wrong_types_raise_type_error(call: Any) -> None:
    with pytest.raises(TypeError):
        call()


def test_lone_surrogates_pass_through_and_secrets_around_them_are_redacted() -> None:
    # "\ud800" cannot be encoded as UTF-8; such text is scanned in its surrogatepass
    # encoding and the surrogates come back unchanged.
    text = f"\ud800 {GH} \udfff{AWS}\udbff"
    assert tokenward.redact(text) == f"\ud800 {GH_LABEL} \udfff{AWS_LABEL}\udbff"
    clean = "only \ud800 here"
    assert tokenward.redact(clean) is clean
    findings = Redactor().find(text)
    assert [text[f.start : f.end] for f in findings] == [GH, AWS]


def test_nul_and_control_characters() -> None:
    text = f"\x00{GH}\x00\x1b[31m\t{AWS}\x7f"
    assert tokenward.redact(text) == f"\x00{GH_LABEL}\x00\x1b[31m\t{AWS_LABEL}\x7f"
    assert tokenward.redact("") == ""
    assert Redactor().redact_bytes(b"") == b""


def test_huge_strings() -> None:
    filler = "x" * (16 * 1024 * 1024)
    text = f"{GH} {filler} {AWS} {filler} {GH}"
    out = tokenward.redact(text)
    assert out == f"{GH_LABEL} {filler} {AWS_LABEL} {filler} {GH_LABEL}"
    clean = filler + filler
    assert tokenward.redact(clean) is clean
    assert len(Redactor().find(text)) == 3


def test_hostile_keyword_floods_complete_and_change_nothing() -> None:
    for text in ("ghp_" * 500_000, "AKIA" * 500_000, "ghp_" + "A" * 2_000_000, "=" * 1_000_000):
        assert tokenward.redact(text) == text


def test_random_text_never_raises() -> None:
    rng = random.Random(20261122)
    redactor = Redactor()
    alphabet = [chr(c) for c in range(0, 0x80)] + ["é", "€", "🔑", "\ud800", "\udfff", "\u0000"]
    for _ in range(500):
        parts = ["".join(rng.choices(alphabet, k=rng.randrange(0, 64)))]
        if rng.random() < 0.5:
            parts.append(rng.choice([GH, AWS]))
            parts.append("".join(rng.choices(alphabet, k=rng.randrange(0, 8))))
        text = " ".join(parts)
        out = tokenward.redact(text)
        assert isinstance(out, str)
        assert GH not in out and AWS not in out
        for f in redactor.find(text):
            assert 0 <= f.start <= f.secret_start <= f.secret_end <= f.end <= len(text)
        data = text.encode("utf-8", "surrogatepass")
        assert redactor.redact_bytes(data) == out.encode("utf-8", "surrogatepass")
