"""Guard.attach_fleet against a real redis-server: two Guards in one process share their
lifecycle through it, as two replicas would."""

from __future__ import annotations

import threading
import time
from typing import Callable, Iterator

import pytest

import tokenward
from redis_server import redis_url

KEY = b"fleet test key shared by every instance"
CONFIG = {"usage": {"track_deltas": True}}
FAST = {"delta_interval": 0.1, "block": 0.1}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    yield from redis_url()


def eventually(condition: Callable[[], bool], within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_a_revocation_on_one_guard_is_denied_on_the_other(url: str) -> None:
    a = tokenward.Guard(CONFIG, key=KEY)
    b = tokenward.Guard(CONFIG, key=KEY)
    with a.attach_fleet(url, prefix="revoke", **FAST) as fa, b.attach_fleet(
        url, prefix="revoke", **FAST
    ) as fb:
        assert eventually(lambda: fa.health()["connected"] and fb.health()["connected"])
        minted = a.mint(owner="alice")
        # The registration travels too: b learns the token from the stream.
        assert eventually(lambda: bool(b.check(minted.token)))
        assert a.revoke(minted.id)
        assert fa.flush(timeout=5.0)
        assert eventually(lambda: b.check(minted.token).reasons == ["revoked"])
        health = fb.health()
        assert health["connected"] is True
        assert health["applied_entries"] >= 2
        assert fa.health()["published_changes"] >= 2
        assert fa.health()["queued"] == 0
        assert {"kind": "connected"} in fa.drain_events()
        assert fa.drain_events() == []
    assert not fa.attached and not fb.attached


def test_fleet_revoke_where_reaches_tokens_held_elsewhere(url: str) -> None:
    a = tokenward.Guard(CONFIG, key=KEY)
    b = tokenward.Guard(CONFIG, key=KEY)
    with a.attach_fleet(url, prefix="selector", **FAST) as fa, b.attach_fleet(
        url, prefix="selector", **FAST
    ) as fb:
        assert eventually(lambda: fa.health()["connected"] and fb.health()["connected"])
        on_b = b.mint(owner="mallory")
        # Whether a holds the token yet is a race with b's registration; b revokes it anyway.
        assert fa.revoke_where(owner="mallory") in ([], [on_b.id])
        assert fa.flush(5.0)
        assert eventually(lambda: not b.check(on_b.token))
        assert b.check(on_b.token).reasons == ["revoked"]


def test_detach_stops_and_the_guard_can_attach_again(url: str) -> None:
    guard = tokenward.Guard(CONFIG, key=KEY)
    fleet = guard.attach_fleet(url, prefix="detach", **FAST)
    with pytest.raises(tokenward.ConflictError):
        guard.attach_fleet(url, prefix="detach")
    threads = threading.active_count()
    fleet.detach()
    fleet.detach()  # a second call does nothing
    assert threading.active_count() <= threads  # the fleet's threads are Rust threads
    assert not fleet.attached
    assert repr(fleet) == "Fleet(detached)"
    with pytest.raises(tokenward.ConflictError):
        fleet.health()
    with pytest.raises(tokenward.ConflictError):
        fleet.flush()
    # The change feed is off again: a new attachment is accepted and connects.
    again = guard.attach_fleet(url, prefix="detach", **FAST)
    try:
        assert eventually(lambda: again.health()["connected"])
    finally:
        again.detach()


def test_an_unreachable_redis_is_a_state_not_an_error() -> None:
    with socket_port() as port:
        guard = tokenward.Guard(CONFIG, key=KEY)
        with guard.attach_fleet(
            f"redis://app:hunter2@127.0.0.1:{port}", connect_timeout=0.2, **FAST
        ) as fleet:
            minted = guard.mint(owner="alice")
            guard.revoke(minted.id)
            assert fleet.flush(timeout=0.2) is False
            health = fleet.health()
            assert health["connected"] is False
            assert health["queued"] >= 1
            assert eventually(lambda: fleet.health()["last_error"] is not None)
            text = repr(fleet) + repr(fleet.health()) + repr(fleet.drain_events())
            assert "hunter2" not in text


def test_bad_settings_raise_by_kind() -> None:
    guard = tokenward.Guard(CONFIG, key=KEY)
    with pytest.raises(tokenward.ConfigError) as bad_url:
        guard.attach_fleet("http://app:hunter2@127.0.0.1:1")
    assert "hunter2" not in str(bad_url.value)
    with pytest.raises(tokenward.InvalidArgumentError):
        guard.attach_fleet("redis://127.0.0.1:1", prefix="a{b}")
    with pytest.raises(tokenward.InvalidArgumentError):
        guard.attach_fleet("redis://127.0.0.1:1", poll=-1.0)
    with pytest.raises(tokenward.InvalidArgumentError):
        guard.attach_fleet("redis://127.0.0.1:1", delta_interval=float("nan"))
    with pytest.raises(tokenward.InvalidArgumentError):
        guard.attach_fleet("redis://127.0.0.1:1", block=0.0)
    no_deltas = tokenward.Guard({"usage": {}}, key=KEY)
    with pytest.raises(tokenward.ConfigError):
        no_deltas.attach_fleet("redis://127.0.0.1:1")
    with pytest.raises(tokenward.InvalidArgumentError):
        guard.attach_fleet("redis://127.0.0.1:1", outbox_capacity=0)
    with pytest.raises(OverflowError):
        guard.attach_fleet("redis://127.0.0.1:1", outbox_capacity=-1)
    with pytest.raises(tokenward.InvalidArgumentError, match="tls_ca_file"):
        guard.attach_fleet("rediss://127.0.0.1:1", tls_ca_file="/nonexistent/ca.pem")


class socket_port:
    """A loopback port nothing listens on (bound, not listening), for the unreachable case."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        port: int = self.sock.getsockname()[1]
        return port

    def __exit__(self, *_exc: object) -> None:
        self.sock.close()
