"""One shared set of results that every report format renders (golden tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from analyzer.pipeline import analyze, report_data
from tests.conftest import REPO

GOLDEN = Path(__file__).parent / "golden"
HOSTILE = "tests/report/fixtures/hostile"


def build_report() -> dict[str, Any]:
    """The analysis of the hostile fixture (a gateway whose vhost domain holds <script>)."""
    cwd = os.getcwd()
    os.chdir(REPO)  # paths in reports are as given: keep them relative and stable
    try:
        analysis = analyze([f"{HOSTILE}/dump.json"], [f"{HOSTILE}/istio.yaml"])
        return report_data(analysis)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="session")
def report() -> dict[str, Any]:
    """The shared report data."""
    return build_report()


def check_golden(name: str, text: str) -> None:
    """Compare with tests/report/golden/<name>; UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"{path} missing: run UPDATE_GOLDEN=1 pytest tests/report"
    assert text == path.read_text(), f"{name} differs from its golden file"
