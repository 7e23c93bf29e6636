"""tokenward.Guard: minting, checks and every denial, lifecycle, events, persistence, typed
errors, and sharing one Guard across threads."""

from __future__ import annotations

import ipaddress
import json
import random
import threading
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest

import tokenward
from tokenward import (
    ConfigError,
    ConflictError,
    Guard,
    InvalidArgumentError,
    NotFoundError,
    SnapshotError,
    TokenwardError,
)

KEY = b"host secret key material"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z in Unix ms
MINUTE = 60_000

CONFIG = """
[policies.ci]
subjects = ["ci-runner"]
allow_ips = ["10.0.0.0/8"]
endpoints = ["GET /v1/orders/*", "POST /v1/deploys"]

[policies.limited]
rate_limit = { requests = 2, window = "1m" }
"""

ALLOWED: Dict[str, Any] = dict(subject="ci-runner", ip="10.2.3.4", method="GET", path="/v1/orders/42")


@pytest.fixture
def guard() -> Guard:
    return Guard(CONFIG, key=KEY)


def test_mint_then_check_allows(guard: Guard) -> None:
    minted = guard.mint(owner="ci", policy="ci", now=T0)
    assert minted.token.startswith("tw_")
    assert minted.id.startswith("tid_") and guard.token_id(minted.token) == minted.id
    verdict = guard.check(minted.token, **ALLOWED, now=T0 + 1)
    assert verdict.allowed and bool(verdict)
    assert verdict.reasons == [] and verdict.token_id == minted.id
    assert verdict.retry_after_ms is None and verdict.alerts == []
    # Bytes tokens and ipaddress objects work the same.
    context: Dict[str, Any] = {**ALLOWED, "ip": ipaddress.ip_address("10.9.9.9")}
    assert guard.check(minted.token.encode(), **context, now=T0 + 2)
    assert len(guard) == 1


def test_reprs_never_show_the_token_or_the_key(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    verdict = guard.check(minted.token, now=T0)
    for text in (repr(minted), repr(guard), repr(verdict), str(minted)):
        assert minted.token not in text
        assert "host secret" not in text
    assert minted.id in repr(minted)


def test_minted_tokens_differ(guard: Guard) -> None:
    tokens = {guard.mint(now=T0).token for _ in range(50)}
    assert len(tokens) == 50


def reasons(guard: Guard, token: str, **context: Any) -> List[str]:
    verdict = guard.check(token, **{"now": T0 + 10, **context})
    assert verdict.allowed == (verdict.reasons == [])
    return verdict.reasons


def test_denial_revoked(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    assert guard.revoke(minted.id, now=T0 + 1) is True
    assert guard.revoke(minted.id, now=T0 + 2) is False  # already revoked
    assert reasons(guard, minted.token) == ["revoked"]


def test_denial_quarantined_until_release(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    guard.quarantine(minted.id, now=T0 + 1)
    assert reasons(guard, minted.token) == ["quarantined"]
    info = guard.token_info(minted.id)
    assert info is not None and info["state"] == "quarantined"
    assert info["state_detail"] == {"at": T0 + 1}
    guard.release(minted.id, now=T0 + 2)
    assert reasons(guard, minted.token) == []


def test_denial_unknown_token_still_has_its_fingerprint(guard: Guard) -> None:
    verdict = guard.check("tw_never_registered_token", now=T0)
    assert verdict.reasons == ["unknown_token"]
    assert verdict.token_id == guard.token_id("tw_never_registered_token")
    assert guard.check("", now=T0).reasons == ["unknown_token"]


def test_denial_scope_denied(guard: Guard) -> None:
    minted = guard.mint(policy="ci", now=T0)
    assert reasons(guard, minted.token, **{**ALLOWED, "path": "/v1/admin"}) == ["scope_denied"]
    assert reasons(guard, minted.token, **{**ALLOWED, "method": "DELETE"}) == ["scope_denied"]


def test_denial_invalid_path_for_an_encoded_slash(guard: Guard) -> None:
    minted = guard.mint(policy="ci", now=T0)
    # The raw path: `..%2f` would climb out of /v1/orders/ once decoded.
    raw = "/v1/orders/..%2fadmin"
    assert reasons(guard, minted.token, **{**ALLOWED, "path": raw}) == ["invalid_path"]
    # An encoded ordinary character is canonicalised and allowed.
    assert reasons(guard, minted.token, **{**ALLOWED, "path": "/v1/orders/%34%32"}) == []


def test_denial_ip_not_allowed(guard: Guard) -> None:
    minted = guard.mint(policy="ci", now=T0)
    assert reasons(guard, minted.token, **{**ALLOWED, "ip": "203.0.113.9"}) == ["ip_not_allowed"]
    no_ip = {k: v for k, v in ALLOWED.items() if k != "ip"}
    assert reasons(guard, minted.token, **no_ip) == ["ip_not_allowed"]  # fail closed


def test_denial_subject_and_several_reasons(guard: Guard) -> None:
    minted = guard.mint(policy="ci", now=T0)
    got = reasons(guard, minted.token, **{**ALLOWED, "subject": "eve", "ip": "203.0.113.9"})
    assert set(got) == {"subject_mismatch", "ip_not_allowed"}


def test_denial_rate_exceeded_with_retry_after(guard: Guard) -> None:
    minted = guard.mint(policy="limited", now=T0)
    assert guard.check(minted.token, now=T0 + 1_000)
    assert guard.check(minted.token, now=T0 + 2_000)
    denied = guard.check(minted.token, now=T0 + 2_500)
    assert denied.reasons == ["rate_exceeded"]
    # Room again when the first request leaves the one-minute window.
    assert denied.retry_after_ms == MINUTE + 1_000 - 2_500
    assert not guard.check(minted.token, now=T0 + 2_500 + denied.retry_after_ms - 1)
    assert guard.check(minted.token, now=T0 + 2_500 + denied.retry_after_ms)


def test_expiry_from_metadata(guard: Guard) -> None:
    minted = guard.mint(expires_at=T0 + MINUTE, now=T0)
    assert reasons(guard, minted.token, now=T0 + MINUTE - 1) == []
    assert reasons(guard, minted.token, now=T0 + MINUTE) == ["expired"]


def test_register_and_register_id(guard: Guard) -> None:
    token_id = guard.register("host-issued-token-1", owner="ops", tags=("a", "b"), now=T0)
    assert guard.check("host-issued-token-1", now=T0 + 1).token_id == token_id
    other = guard.token_id("host-issued-token-2")
    guard.register_id(other, service="billing", expires_at=T0 + MINUTE, now=T0)
    info = guard.token_info(other)
    assert info is not None
    assert (info["service"], info["expires_at"], info["state"]) == ("billing", T0 + MINUTE, "active")
    assert guard.check("host-issued-token-2", now=T0 + 1)
    with pytest.raises(ConflictError):
        guard.register("host-issued-token-1", now=T0)


def test_inline_policy_dict(guard: Guard) -> None:
    minted = guard.mint(policy={"countries": ["DE"]}, now=T0)
    assert reasons(guard, minted.token, country="de") == []
    assert reasons(guard, minted.token, country="FR") == ["country_not_allowed"]
    info = guard.token_info(minted.id)
    assert info is not None and info["policy"] == "<inline>"


def test_set_policy_applies_to_tokens_using_it(guard: Guard) -> None:
    minted = guard.mint(policy="limited", now=T0)
    assert reasons(guard, minted.token, ip="203.0.113.9") == []
    guard.set_policy("limited", {"allow_ips": ["10.0.0.0/8"]}, now=T0 + 20)
    assert reasons(guard, minted.token, ip="203.0.113.9", now=T0 + 30) == ["ip_not_allowed"]
    guard.set_policy("limited", 'allow_ips = ["203.0.113.0/24"]', now=T0 + 40)
    assert reasons(guard, minted.token, ip="203.0.113.9", now=T0 + 50) == []


def test_revoke_where_is_the_blast_radius(guard: Guard) -> None:
    laptop = guard.mint(owner="alice", tags=["laptop"], now=T0)
    ci = guard.mint(owner="alice", tags=["ci"], now=T0)
    bob = guard.mint(owner="bob", tags=["laptop"], now=T0)
    assert guard.revoke_where(owner="alice", tag="laptop", now=T0 + 1) == [laptop.id]
    assert reasons(guard, laptop.token) == ["revoked"]
    assert reasons(guard, ci.token) == [] and reasons(guard, bob.token) == []
    assert sorted(guard.revoke_where(tag="laptop", now=T0 + 2)) == [bob.id]  # not laptop again
    assert guard.revoke_where(owner="nobody", now=T0 + 3) == []
    with pytest.raises(InvalidArgumentError, match="selector"):
        guard.revoke_where(now=T0)


def test_rotate_keeps_the_old_token_for_the_grace_period(guard: Guard) -> None:
    old = guard.mint(owner="ci", policy="ci", now=T0)
    new = guard.rotate(old.id, grace=60, now=T0 + 1_000)
    assert new.id != old.id and new.token != old.token
    assert reasons(guard, old.token, **ALLOWED, now=T0 + 61_000 - 1) == []
    assert reasons(guard, old.token, **ALLOWED, now=T0 + 61_000) == ["rotated"]
    assert reasons(guard, new.token, **ALLOWED, now=T0 + 61_000) == []
    info = guard.token_info(old.id)
    assert info is not None and info["state"] == "rotated"
    assert info["state_detail"] == {"to": new.id, "grace_end": T0 + 61_000}
    new_info = guard.token_info(new.id)
    assert new_info is not None and (new_info["owner"], new_info["policy"]) == ("ci", "ci")
    # Fractions of a second; no grace at all.
    half = guard.rotate(new.id, grace=0.5, now=T0 + 70_000)
    assert reasons(guard, new.token, **ALLOWED, now=T0 + 70_499) == []
    assert reasons(guard, new.token, **ALLOWED, now=T0 + 70_500) == ["rotated"]
    last = guard.rotate(half.id, now=T0 + 80_000)
    assert reasons(guard, half.token, **ALLOWED, now=T0 + 80_000) == ["rotated"]
    assert reasons(guard, last.token, **ALLOWED, now=T0 + 80_000) == []


@pytest.mark.parametrize("grace", [-1, -0.001, float("nan"), float("inf"), 1e300])
def test_rotate_rejects_bad_grace(guard: Guard, grace: float) -> None:
    minted = guard.mint(now=T0)
    with pytest.raises(InvalidArgumentError, match="grace"):
        guard.rotate(minted.id, grace=grace, now=T0)
    assert reasons(guard, minted.token) == []  # nothing changed


def test_drain_events_chain_fields(guard: Guard) -> None:
    minted = guard.mint(owner="ci", tags=["x"], now=T0)
    guard.check("tw_unknown_token_value", now=T0 + 1)
    guard.revoke(minted.id, now=T0 + 2)
    events = guard.drain_events()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "0" * 64
    hashes = [e["prev_hash"] for e in events[1:]]
    assert all(len(h) == 64 and int(h, 16) for h in hashes) and len(set(hashes)) == len(hashes)
    assert [list(e["kind"]) for e in events] == [["minted"], ["denied"], ["revoked"]]
    assert events[0]["kind"]["minted"]["token"] == minted.id
    assert events[0]["kind"]["minted"]["meta"]["owner"] == "ci"
    assert events[1]["kind"]["denied"]["reasons"] == ["unknown_token"]
    assert [e["at"] for e in events] == [T0, T0 + 1, T0 + 2]
    assert guard.drain_events() == []
    guard.quarantine(guard.mint(now=T0 + 3).id, now=T0 + 4)
    assert [e["seq"] for e in guard.drain_events()] == [4, 5]
    # Events are plain JSON: a host writes them to its audit log as they are.
    json.dumps(events)
    # No event ever holds a raw token.
    assert minted.token not in json.dumps(events)


def test_snapshot_restore_roundtrip(guard: Guard) -> None:
    minted = guard.mint(owner="ops", policy="ci", now=T0)
    data = guard.snapshot()
    assert isinstance(data, bytes) and minted.token.encode() not in data
    copy = Guard(CONFIG, key=KEY)
    copy.restore(data, now=T0 + 1)
    assert copy.token_info(minted.id) == guard.token_info(minted.id)
    assert reasons(copy, minted.token, **ALLOWED) == []


def test_restore_never_unrevokes(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    before = guard.snapshot()  # taken while the token was active
    guard.revoke(minted.id, now=T0 + 1)
    guard.restore(before, now=T0 + 2)
    assert reasons(guard, minted.token, now=T0 + 3) == ["revoked"]


def test_restore_rejects_other_keys_and_corrupt_data(guard: Guard) -> None:
    guard.mint(now=T0)
    data = guard.snapshot()
    with pytest.raises(SnapshotError):
        Guard(CONFIG, key=b"another key").restore(data, now=T0)
    with pytest.raises(SnapshotError):
        Guard(CONFIG, key=KEY).restore(data[:-1], now=T0)
    with pytest.raises(SnapshotError):
        Guard(CONFIG, key=KEY).restore(b"", now=T0)
    Guard(CONFIG, key=KEY).restore(bytearray(data), now=T0)  # bytearray is fine


def test_replay_events_catches_up_a_restored_guard(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    guard.drain_events()  # written to the audit log
    backup = guard.snapshot()
    guard.revoke(minted.id, now=T0 + 1)
    since_backup = guard.drain_events()

    fresh = Guard(CONFIG, key=KEY)
    fresh.restore(backup, now=T0 + 2)
    assert reasons(fresh, minted.token) == []
    summary = fresh.replay_events(since_backup, now=T0 + 3)
    assert summary["applied"] == 1 and summary["to_register"] == []
    assert reasons(fresh, minted.token) == ["revoked"]
    assert fresh.replay_events(since_backup, now=T0 + 4)["applied"] == 0  # idempotent

    # JSON lines from an audit log work too.
    other = Guard(CONFIG, key=KEY)
    other.restore(backup, now=T0 + 2)
    assert other.replay_events([json.dumps(e) for e in since_backup])["applied"] == 1


def test_replay_refuses_tampered_or_malformed_events(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    guard.revoke(minted.id, now=T0 + 1)
    guard.quarantine(guard.mint(now=T0 + 2).id, now=T0 + 3)
    events = guard.drain_events()
    tampered = [dict(e) for e in events]
    tampered[1]["at"] += 1
    with pytest.raises(SnapshotError):
        Guard(key=KEY).replay_events(tampered, now=T0)
    with pytest.raises(SnapshotError, match=r"events\[0\]"):
        Guard(key=KEY).replay_events([{"seq": "one"}], now=T0)
    with pytest.raises(TypeError):
        Guard(key=KEY).replay_events([1, 2], now=T0)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        Guard(key=KEY).replay_events(json.dumps(events), now=T0)


USAGE_CONFIG = """
[policies.ci]
allow_ips = ["10.0.0.0/8"]

[usage]

[[respond]]
on = "repeated_denials"
action = "quarantine"
"""


def test_alerts_and_response_rules() -> None:
    guard = Guard(USAGE_CONFIG, key=KEY)
    minted = guard.mint(policy="ci", now=T0)
    verdicts = [guard.check(minted.token, ip="203.0.113.9", now=T0 + i) for i in range(1, 8)]
    alerted = [v for v in verdicts if v.alerts]
    assert alerted, "five denials in five minutes raise repeated_denials"
    alert = alerted[0].alerts[0]
    assert (alert.kind, alert.token_id) == ("repeated_denials", minted.id)
    assert alert.severity in ("low", "medium", "high") and isinstance(alert.at, int)
    assert isinstance(alert.evidence, dict) and alert.evidence
    assert {"action": "quarantine", "on": "repeated_denials"} in alerted[0].actions
    assert reasons(guard, minted.token, ip="10.1.1.1", now=T0 + 100) == ["quarantined"]
    kinds = [next(iter(e["kind"])) for e in guard.drain_events()]
    assert "alert" in kinds and "quarantined" in kinds


def test_record_outcome_feeds_usage_and_raises_error_bursts() -> None:
    guard = Guard("[usage]", key=KEY)
    minted = guard.mint(now=T0)
    assert guard.usage(minted.id, now=T0) is None  # never checked yet
    assert guard.check(minted.token, now=T0 + 1)
    assert guard.record_outcome(minted.token, 404, now=T0 + 2) == []
    stats = guard.usage(minted.id, now=T0 + 3)
    assert stats is not None and stats["fine"]["total"]["errors"] == 1
    assert stats["token_id"] == minted.id and stats["total_requests"] == 1
    raised = []
    for i in range(20):
        # A probe walks many paths (errors on one URL retried are a client, not a burst) and
        # meets a mix of statuses (one status over and over has one honest cause).
        assert guard.check(minted.token, method="GET", path=f"/v1/items/{i}", now=T0 + 4 + 2 * i)
        raised += guard.record_outcome(minted.token, 401 if i % 2 else 403, now=T0 + 5 + 2 * i)
    assert [a.kind for a in raised] == ["error_burst"]
    assert raised[0].evidence["count"] >= 6
    assert guard.record_outcome("tw_unknown_token_value", 401, now=T0) == []


def test_usage_is_none_without_tracking(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    guard.check(minted.token, now=T0)
    assert guard.usage(minted.id, now=T0) is None


def test_from_file_toml_and_json(tmp_path: Path) -> None:
    toml_file = tmp_path / "guard.toml"
    toml_file.write_text(CONFIG)
    json_file = tmp_path / "guard.JSON"
    json_file.write_text(json.dumps({"token_prefix": "acme_", "policies": {"ro": {}}}))
    assert Guard.from_file(toml_file, key=KEY).mint(policy="ci", now=T0)
    guard = Guard.from_file(str(json_file), key=KEY)
    assert guard.token_prefix == "acme_" and guard.mint(policy="ro").token.startswith("acme_")
    other = tmp_path / "guard.yaml"
    other.write_text("")
    with pytest.raises(ConfigError, match="toml or .json"):
        Guard.from_file(other, key=KEY)
    with pytest.raises(FileNotFoundError):
        Guard.from_file(tmp_path / "missing.toml", key=KEY)
    bad = tmp_path / "bad.toml"
    bad.write_text("[policies.ci]\nallow_ips = ['10.0.0.0/33']")
    with pytest.raises(ConfigError, match=r"policies\.ci\.allow_ips\[0\]"):
        Guard.from_file(bad, key=KEY)


def test_dict_config_and_none_config() -> None:
    guard = Guard({"policies": {"ci": {"subjects": ["ci-runner"]}}}, key=KEY)
    minted = guard.mint(policy="ci", now=T0)
    assert reasons(guard, minted.token, subject="someone") == ["subject_mismatch"]
    assert Guard(None, key=KEY).token_prefix == "tw_"


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "path"),
    [
        ("[policies.ci]\nallow_ips = ['10.0.0.0/33']", "policies.ci.allow_ips[0]"),
        ({"policies": {"ci": {"endpoints": ["FETCH"]}}}, "policies.ci.endpoints[0]"),
        ({"policies": {"ci": {"rate_limit": {"requests": 0, "window": "1m"}}}}, "policies.ci.rate_limit"),
        ("[usage]\ndistinct_cap = 99", "usage.distinct_cap"),
        ("token_prefix = 'BAD'", "token_prefix"),
        ('{"policies": {"ci": {"subjects": "ci-runner"}}}', "policies.ci.subjects"),
    ],
)
def test_config_errors_name_the_field_path(config: Any, path: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Guard(config, key=KEY)
    assert str(caught.value).startswith(path), str(caught.value)


def test_policy_errors_name_the_field_path(guard: Guard) -> None:
    with pytest.raises(ConfigError, match=r"^policies\.x\.allow_ips\[1\]"):
        guard.set_policy("x", {"allow_ips": ["10.0.0.0/8", "nope"]})
    with pytest.raises(ConfigError, match=r"^policies\.x\.subjects"):
        guard.set_policy("x", {"subjects": 3})
    with pytest.raises(ConfigError, match=r"^policy\.countries\[0\]"):
        guard.mint(policy={"countries": ["Germany"]})


def test_config_errors_never_quote_a_secret() -> None:
    secret = "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"
    for config in (
        f"{secret} = 1",
        f"[policies.ci]\nsubjects = '{secret}'",
        f'{{"policies": {{"ci": {{"subjects": "{secret}"}}}}}}',
    ):
        with pytest.raises(ConfigError) as caught:
            Guard(config, key=KEY)
        assert "Ky9Pf34q" not in str(caught.value)


def test_typed_errors(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    unknown_id = "tid_" + "0" * 32
    with pytest.raises(NotFoundError):
        guard.revoke(unknown_id)
    with pytest.raises(NotFoundError):
        guard.mint(policy="missing")
    assert guard.token_info(unknown_id) is None
    with pytest.raises(ConflictError):
        guard.release(minted.id)  # not quarantined
    guard.revoke(minted.id)
    with pytest.raises(ConflictError):
        guard.rotate(minted.id)
    with pytest.raises(InvalidArgumentError, match="empty"):
        Guard(key=b"")
    with pytest.raises(ConfigError, match=r"expect\.countries\[1\]"):
        guard.mint(expect={"countries": ["DE", "Germany"]})
    with pytest.raises(TypeError, match="expect must be a dict"):
        guard.mint(expect=["DE"])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="status"):
        guard.record_outcome(minted.token, 70_000)
    with pytest.raises(InvalidArgumentError):
        guard.register("x" * 5000)
    with pytest.raises(ValueError):
        guard.check(minted.token, location=(1.0,))  # type: ignore[arg-type,unused-ignore]


def test_an_id_argument_never_echoes_what_was_passed(guard: Guard) -> None:
    minted = guard.mint(now=T0)
    # The classic mistake: the raw token where its id belongs.
    for call in (guard.revoke, guard.quarantine, guard.release, guard.token_info, guard.usage):
        with pytest.raises(InvalidArgumentError) as caught:
            call(minted.token)
        assert minted.token not in str(caught.value)
        assert minted.token[3:12] not in str(caught.value)


@pytest.mark.parametrize("ip", ["", "10.0.0", "10.0.0.1/8", "999.1.1.1", "example.com", "10.0.0.1:80"])
def test_an_unparsable_ip_is_an_error_not_ignored(guard: Guard, ip: str) -> None:
    minted = guard.mint(policy="ci", now=T0)
    with pytest.raises(InvalidArgumentError, match="ip"):
        guard.check(minted.token, **{**ALLOWED, "ip": ip})


@pytest.mark.parametrize(
    "call",
    [
        lambda g: Guard(key="text key"),  # type: ignore[arg-type]
        lambda g: Guard(3, key=KEY),  # type: ignore[arg-type]
        lambda g: Guard(["x"], key=KEY),  # type: ignore[arg-type]
        lambda g: g.check(None),
        lambda g: g.check(123),
        lambda g: g.check("t", ip=167772161),
        lambda g: g.check("t", ip=b"10.0.0.1"),
        lambda g: g.check("t", country=1),
        lambda g: g.check("t", path=b"/v1"),
        lambda g: g.check("t", location=1.0),
        lambda g: g.check("t", now="soon"),
        lambda g: g.mint(tags="ci"),
        lambda g: g.mint(tags=[1]),
        lambda g: g.mint(policy=3),
        lambda g: g.mint(owner=b"x"),
        lambda g: g.register(b"token"),
        lambda g: g.revoke(None),
        lambda g: g.rotate("tid_" + "0" * 32, grace="1m"),
        lambda g: g.set_policy("x", 3),
        lambda g: g.restore("not bytes"),
        lambda g: g.record_outcome("t", "404"),
        lambda g: g.revoke_where(owner=1),
    ],
)
def test_wrong_types_raise_type_error(guard: Guard, call: Callable[[Any], Any]) -> None:
    with pytest.raises(TypeError):
        call(guard)


def test_errors_derive_from_tokenward_error() -> None:
    for cls in (ConfigError, ConflictError, InvalidArgumentError, NotFoundError, SnapshotError):
        assert issubclass(cls, TokenwardError)


def test_random_garbage_never_panics(guard: Guard) -> None:
    """Arbitrary values in every argument: an exception (never a PanicException, which is a
    BaseException) or a result."""
    rng = random.Random(1307)
    values: List[Any] = [
        None, "", "x", "\ud800", "tid_" + "f" * 32, "tid_zz", b"\xff\xfe", 0, -1, 2**70,
        1.5, float("nan"), [], ["a"], {}, {"a": 1}, {"allow_ips": [None]}, object(),
        "10.0.0.1", "::1", "/..%2f", "%", (1.0, 2.0), (float("nan"), 1e308),
    ]
    names = ["ip", "country", "method", "path", "subject", "device", "environment",
             "user_agent", "location", "now"]
    meta = ["owner", "service", "environment", "tags", "policy", "expires_at", "now"]
    for _ in range(600):
        args = {n: rng.choice(values) for n in rng.sample(names, rng.randint(0, 4))}
        margs = {n: rng.choice(values) for n in rng.sample(meta, rng.randint(0, 3))}
        calls: List[Callable[[], Any]] = [
            lambda: guard.check(rng.choice(values), **args),
            lambda: guard.mint(**margs),
            lambda: guard.register(rng.choice(values), **margs),
            lambda: guard.set_policy(rng.choice(values), rng.choice(values)),
            lambda: guard.revoke_where(owner=rng.choice(values)),
            lambda: guard.rotate(rng.choice(values), grace=rng.choice(values)),
            lambda: guard.restore(rng.choice([b"", b"\x00" * 40, bytes(rng.randrange(256) for _ in range(64))])),
            lambda: guard.replay_events(rng.choice(values)),
            lambda: Guard(rng.choice(values), key=KEY),
        ]
        try:
            rng.choice(calls)()
        except Exception:
            pass  # any typed error is fine; a panic is a BaseException and fails the test


# --- threads ------------------------------------------------------------------------------


def test_concurrent_checks_see_every_revocation_at_once() -> None:
    guard = Guard("[usage]", key=KEY)
    minted = [guard.mint(owner=f"o{i % 4}", now=T0) for i in range(40)]
    revoked_ids: set[str] = set()  # ids whose revoke() has returned
    stop = threading.Event()
    failures: List[str] = []
    counts = [0] * 8

    def checker(n: int) -> None:
        rng = random.Random(n)
        while not stop.is_set():
            m = rng.choice(minted)
            was_revoked = m.id in revoked_ids  # read before the check starts
            verdict = guard.check(m.token, ip=f"10.0.0.{n}", now=T0 + 1)
            counts[n] += 1
            if was_revoked and verdict.reasons != ["revoked"]:
                failures.append(f"{m.id} allowed after its revoke returned: {verdict!r}")
            if not was_revoked and verdict.reasons not in ([], ["revoked"]):
                failures.append(repr(verdict))

    threads = [threading.Thread(target=checker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    try:
        for m in minted[:30]:
            guard.revoke(m.id, now=T0 + 1)
            revoked_ids.add(m.id)
        for id_ in guard.revoke_where(owner="o1", now=T0 + 1):
            revoked_ids.add(id_)
        for m in minted[30:]:
            guard.snapshot()  # whole-state calls release the GIL meanwhile
            guard.revoke(m.id, now=T0 + 1)
            revoked_ids.add(m.id)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert all(c > 0 for c in counts)
    assert all(not guard.check(m.token, now=T0 + 2) for m in minted)


def test_concurrent_mints_and_revoke_where() -> None:
    guard = Guard(key=KEY)
    ids: List[str] = []
    lock = threading.Lock()

    def mint_many() -> None:
        for _ in range(200):
            m = guard.mint(owner="team", now=T0)
            with lock:
                ids.append(m.id)

    threads = [threading.Thread(target=mint_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 800 and len(guard) == 800
    assert sorted(guard.revoke_where(owner="team", now=T0 + 1)) == sorted(ids)


def test_exports() -> None:
    for name in ("Guard", "Minted", "Verdict", "Alert"):
        assert getattr(tokenward, name) is getattr(tokenward._native, name)
        assert name in tokenward.__all__


def test_expectations_inform_and_never_deny() -> None:
    guard = Guard("[usage]\n", key=b"expect test key")
    expect = {"countries": ["DE", "FR"], "networks": ["198.51.100.0/24"], "endpoints": ["GET /v1/**"]}
    minted = guard.mint(owner="alice", expect=expect, now=T0)
    guard.register("host-issued-token-with-expectations", expect=expect, now=T0)
    # Outside every expectation: evidence for the detectors, never a denial by itself.
    verdict = guard.check(minted.token, ip="203.0.113.9", country="BR", method="POST", path="/v2/x", now=T0 + 1)
    assert verdict.allowed, verdict.reasons
