"""The samples under dumps/ are clean captures: no check may report an error or warning on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.attribution.engine import attribute
from analyzer.checks.model import Severity
from analyzer.checks.runner import Settings, run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from tests.conftest import DUMPS

SCENARIOS = sorted(
    p.parent for p in DUMPS.glob("*/istio.yaml") if (p.parent / "config_dump.json").exists()
)


def test_there_are_samples() -> None:
    assert len(SCENARIOS) >= 3


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_no_error_or_warning_on_a_clean_sample(scenario: Path) -> None:
    config = load_istio([str(scenario / "istio.yaml")])
    attributions = [
        attribute(p, config) for p in load_proxies([str(scenario / "config_dump.json")])
    ]
    findings = run_checks(config, attributions, Settings())
    loud = [f for f in findings if f.severity.at_least(Severity.WARNING)]
    assert not loud, [f"{f.code} {f.resource or ''} {f.message}" for f in loud]
