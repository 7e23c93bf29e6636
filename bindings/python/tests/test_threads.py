"""Threads: one Redactor shared by many threads, and the GIL released for large inputs."""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest

import tokenward
from tokenward import Redactor
from tokenward._native import DETACH_THRESHOLD

from conftest import AWS, AWS_LABEL, GH, GH_LABEL


def _large_input(seed: int) -> tuple[str, str]:
    """About 2 MB of log lines, a secret every 50 lines; and the expected redaction."""
    lines, expected = [], []
    for i in range(20_000):
        clean = f"worker={seed} req={i} GET /api/items?page={i % 7} 200 {i * 3}ms"
        if i % 50 == 0:
            secret, label = (GH, GH_LABEL) if i % 100 == 0 else (AWS, AWS_LABEL)
            lines.append(f"{clean} auth={secret}")
            expected.append(f"{clean} auth={label}")
        else:
            lines.append(clean)
            expected.append(clean)
    return "\n".join(lines), "\n".join(expected)


def test_threads_share_one_redactor() -> None:
    redactor = Redactor()
    jobs = [_large_input(seed) for seed in range(8)]
    assert len(jobs[0][0]) > DETACH_THRESHOLD
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: redactor.redact(job[0]), jobs))
        found = list(pool.map(lambda job: len(redactor.find(job[0])), jobs))
    assert results == [expected for _, expected in jobs]
    assert found == [400] * 8


@pytest.fixture
def slow_switching() -> Iterator[None]:
    """A switch interval long enough that a thread holding the GIL is not preempted during a
    test step: another thread can then only run if the GIL is released explicitly."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.25)
    yield
    sys.setswitchinterval(old)


class Counter(threading.Thread):
    """Counts while it holds the GIL."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.count = 0
        self.started_counting = threading.Event()
        self.stop = False

    def run(self) -> None:
        self.started_counting.set()
        while not self.stop:
            self.count += 1


def test_the_gil_is_released_for_large_inputs_only(slow_switching: None) -> None:
    large = ("x" * 1023 + "\n") * (32 * 1024) + GH  # 32 MiB
    small = "x" * 100 + GH
    counter = Counter()
    counter.start()
    counter.started_counting.wait()
    try:
        # Holding the GIL, the call would never let the counter move. Released, the counter
        # runs as soon as the OS schedules it; on a loaded machine that can take longer than
        # one call, so allow a few.
        moved = False
        for _ in range(5):
            before = counter.count
            assert tokenward.redact(large).endswith(GH_LABEL)
            if counter.count > before:
                moved = True
                break
        assert moved, "no other thread ran while large inputs were redacted"

        advanced = 0
        for _ in range(200):
            before = counter.count
            tokenward.redact(small)
            advanced += counter.count != before
        # Small inputs keep the GIL: the counter can only move at a forced switch, which
        # comes at most every 0.25 s; 200 calls take a few milliseconds.
        assert advanced <= 1
    finally:
        counter.stop = True
        counter.join()
