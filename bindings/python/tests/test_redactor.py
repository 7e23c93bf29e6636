"""The Redactor API: redaction, styles, configs, findings, rules, streaming."""

from __future__ import annotations

import re

import pytest

import tokenward
from tokenward import ConfigError, ConflictError, Finding, Redactor, StreamRedactor

from conftest import AWS, AWS_LABEL, GH, GH_LABEL


def test_module_redact_uses_default_rules() -> None:
    line = f"token={GH} key={AWS}"
    assert tokenward.redact(line) == f"token={GH_LABEL} key={AWS_LABEL}"
    assert Redactor().redact(line) == tokenward.redact(line)
    assert tokenward.default_redactor().redact(line) == tokenward.redact(line)


def test_clean_text_is_returned_as_the_same_object() -> None:
    line = "GET /health 200 in 3ms"
    assert tokenward.redact(line) is line
    assert Redactor().redact(line) is line
    data = b"GET /health 200"
    assert Redactor().redact_bytes(data) is data


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("label", f"auth {GH_LABEL} ok"),
        ("mask", "auth ******** ok"),
        ("prefix", "auth ghp_******** ok"),
    ],
)
def test_styles(style: str, expected: str) -> None:
    redactor = Redactor(style=style)  # type: ignore[arg-type]
    assert redactor.style == style
    assert redactor.redact(f"auth {GH} ok") == expected


def test_fingerprint_style_is_keyed_and_stable() -> None:
    a = Redactor(style="fingerprint", fingerprint_key=b"key one")
    b = Redactor(style="fingerprint", fingerprint_key=b"key two")
    first = a.redact(GH)
    assert re.fullmatch(r"\[REDACTED:github_classic_token:[0-9a-f]{8}\]", first)
    assert a.redact(GH) == first
    assert b.redact(GH) != first
    assert "key one" not in repr(a)


def test_default_style_is_label_and_repr_is_informative() -> None:
    redactor = Redactor()
    assert redactor.style == "label"
    assert repr(redactor) == f"Redactor(style='label', rules={len(redactor.rules)})"


TOML_CONFIG = """
style = "mask"
disable = ["aws_access_key_id"]

[[rules]]
id = "acme_key"
description = "ACME API key"
provider = "acme"
keywords = ["acme_"]
pattern = 'acme_(?P<secret>[a-z0-9]{32})'
"""
ACME = "acme_0123456789abcdef0123456789abcdef"


def test_config_as_toml_json_and_dict_agree() -> None:
    as_dict = {
        "style": "mask",
        "disable": ["aws_access_key_id"],
        "rules": [
            {
                "id": "acme_key",
                "description": "ACME API key",
                "provider": "acme",
                "keywords": ["acme_"],
                "pattern": "acme_(?P<secret>[a-z0-9]{32})",
            }
        ],
    }
    import json

    line = f"{ACME} {AWS} {GH}"
    # Without a `token` group the credential is the `secret` group: "acme_" stays.
    expected = f"acme_******** {AWS} ********"
    for config in (TOML_CONFIG, json.dumps(as_dict), as_dict):
        redactor = Redactor(config=config)
        assert redactor.redact(line) == expected
        ids = [rule.id for rule in redactor.rules]
        assert "acme_key" in ids and "aws_access_key_id" not in ids


def test_explicit_style_wins_over_config_style() -> None:
    assert Redactor(style="prefix", config=TOML_CONFIG).redact(ACME) == "acme_********"


def test_allowlisted_value_is_kept() -> None:
    redactor = Redactor(config={"allow": [AWS]})
    assert redactor.redact(f"{AWS} {GH}") == f"{AWS} {GH_LABEL}"


def test_rules_describe_the_catalogue() -> None:
    rules = {rule.id: rule for rule in Redactor().rules}
    github = rules["github_classic_token"]
    assert github.provider == "github"
    assert github.builtin is True
    assert isinstance(github.description, str) and github.description
    assert all(isinstance(k, str) for k in github.keywords)
    user = Redactor(config=TOML_CONFIG).rules[-1]
    assert (user.id, user.provider, user.builtin, user.keywords) == ("acme_key", "acme", False, ["acme_"])
    assert repr(user) == "RuleInfo(id='acme_key', provider='acme')"


def test_find_reports_character_offsets() -> None:
    # Multi-byte characters before the secrets: byte and character offsets differ.
    text = f"clé 🔑 «{GH}» et {AWS}"
    findings = Redactor().find(text)
    assert [f.rule for f in findings] == ["github_classic_token", "aws_access_key_id"]
    gh, aws = findings
    assert text[gh.start : gh.end] == GH
    assert text[gh.secret_start : gh.secret_end] == GH[len("ghp_") :]
    assert text[aws.start : aws.end] == AWS
    assert aws.start == text.index(AWS)


def test_find_bytes_reports_byte_offsets() -> None:
    data = f"clé {GH}".encode()
    (finding,) = Redactor().find_bytes(data)
    assert data[finding.start : finding.end] == GH.encode()
    assert finding.start == len("clé ".encode())


def test_find_on_clean_text_is_empty() -> None:
    assert Redactor().find("nothing to see") == []


def test_finding_value_semantics() -> None:
    (a,) = Redactor().find(GH)
    (b,) = Redactor().find(GH)
    assert a == b and hash(a) == hash(b)
    assert repr(a) == f"Finding(rule='github_classic_token', start=0, end=40, secret_start=4, secret_end=40)"
    assert isinstance(a, Finding)


def test_redact_bytes_keeps_invalid_utf8() -> None:
    data = b"\xff\xfe key=" + AWS.encode() + b" \x80\xc3"
    assert Redactor().redact_bytes(data) == b"\xff\xfe key=" + AWS_LABEL.encode() + b" \x80\xc3"
    assert Redactor().redact_bytes(bytearray(data)) == Redactor().redact_bytes(data)
    assert isinstance(Redactor().redact_bytes(bytearray(b"clean")), bytes)


def test_stream_redactor_catches_a_secret_split_across_chunks() -> None:
    stream = StreamRedactor()
    out = stream.push(b"auth ok key=" + AWS[:8].encode())
    out += stream.push(AWS[8:].encode() + b"\nnext line\npartial")
    assert stream.pending == len(b"partial")
    out += stream.finish()
    assert out == b"auth ok key=" + AWS_LABEL.encode() + b"\nnext line\npartial"
    assert stream.pending == 0


def test_stream_redactor_uses_the_given_redactor() -> None:
    stream = StreamRedactor(Redactor(style="mask"), window=1024)
    assert stream.push(f"{GH}\n".encode()) == b"********\n"
    assert stream.finish() == b""


def test_an_empty_fingerprint_key_is_refused() -> None:
    # Anyone could compute fingerprints under an empty key, and so test guesses against them.
    with pytest.raises(ConfigError, match="fingerprint_key must not be empty"):
        Redactor(style="fingerprint", fingerprint_key=b"")


def test_push_after_finish_raises() -> None:
    stream = StreamRedactor()
    assert stream.push(b"key AKIA7QX2") + stream.finish() == b"key AKIA7QX2"
    with pytest.raises(ConflictError, match="after finish"):
        stream.push(b"M4RB5KQ3YHV6")
    assert stream.finish() == b""  # nothing more, and no error
