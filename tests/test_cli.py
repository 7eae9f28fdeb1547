"""The command line: exit statuses, one-line errors, and no tracebacks, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "inventory" in result.stdout


def test_version_says_which_build_runs() -> None:
    # The tests run the editable install, which setup.py never compiles.
    result = _run("--version")
    assert result.returncode == 0
    assert result.stdout == "meshlens, version 0.1.0 (pure Python)\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "file is empty"),
        (b'{"configs": [', "truncated JSON"),
        (b"kind: VirtualService\napiVersion: networking.istio.io/v1\n", "not an Envoy config dump"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary"),
    ],
    ids=["empty", "truncated", "istio-yaml", "binary"],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "capture.json"
    path.write_bytes(content)
    result = _run("inventory", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and expected in lines[0]
    assert result.stdout == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["inventory", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
    assert "no such file" in result.output


def test_usage_error_exits_2() -> None:
    result = CliRunner().invoke(main, ["inventory"])
    assert result.exit_code == 2
