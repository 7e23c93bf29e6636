"""The shipped type information: stubs match the native module, and the package type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
PACKAGE = Path(__import__("tokenward").__file__).parent


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Run from an empty directory so mypy resolves `tokenward` as installed, via py.typed.
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_py_typed_and_stub_are_shipped() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert (PACKAGE / "_native.pyi").is_file()


def test_stubtest(tmp_path: Path) -> None:
    result = _run(tmp_path, "mypy.stubtest", "tokenward")
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_and_usage_typecheck_strictly(tmp_path: Path) -> None:
    for target in (["-p", "tokenward"], [str(HERE / "typing_usage.py")]):
        result = _run(tmp_path, "mypy", "--strict", "--no-incremental", *target)
        assert result.returncode == 0, result.stdout + result.stderr
