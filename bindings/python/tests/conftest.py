"""Shared fixtures. The secrets are in the core catalogue's test data: a classic GitHub token
with a valid checksum and an AWS access key id."""

from __future__ import annotations

import io
import logging
import uuid
from typing import Iterator, Tuple

import pytest

GH = "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"
GH_LABEL = "[REDACTED:github_classic_token]"
AWS = "AKIA7QX2M4RB5KQ3YHV6"
AWS_LABEL = "[REDACTED:aws_access_key_id]"


@pytest.fixture
def captured_logger() -> Iterator[Tuple[logging.Logger, io.StringIO]]:
    """A fresh logger (not propagating to root) with a StreamHandler writing to a StringIO."""
    logger = logging.getLogger(f"tokenward_test.{uuid.uuid4().hex}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    yield logger, out
    logger.removeHandler(handler)
