"""The Python example in examples/ runs and prints redacted output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "python" / "logging_setup.py"


def test_logging_setup_example() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=True
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "INFO billing.sync: calling GitHub with token [REDACTED:github_classic_token]"
    assert lines[1] == "ERROR billing.sync: upload failed"
    assert "PermissionError: access denied for key [REDACTED:aws_access_key_id]" in lines
    assert lines[-1] == "INFO billing.sync: synced 42 invoices"
    assert "ghp_Ky9" not in result.stdout and "AKIA7QX2" not in result.stdout
    assert result.stderr == ""
