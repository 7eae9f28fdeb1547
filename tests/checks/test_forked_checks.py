"""On a large mesh the heavy checks run in a forked child: the findings must not change."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from analyzer.attribution.engine import attribute
from analyzer.attribution.model import Attribution
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.checks.registry import ALL
from analyzer.checks.runner import Settings, run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from analyzer.model.istio import IstioConfig
from tests.conftest import DUMPS

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

SCENARIOS = sorted(
    p.parent for p in DUMPS.glob("**/istio.yaml") if (p.parent / "config_dump.json").exists()
)
NEVER = 10**9


def _inputs(scenario: Path) -> tuple[IstioConfig, list[Attribution]]:
    config = load_istio([str(scenario / "istio.yaml")])
    proxies = load_proxies([str(scenario / "config_dump.json")])
    return config, [attribute(proxy, config) for proxy in proxies]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: str(p.relative_to(DUMPS)))
def test_forked_checks_find_the_same(scenario: Path) -> None:
    config, attributions = _inputs(scenario)
    serial = run_checks(config, attributions, fork_min_resources=NEVER)
    forked = run_checks(config, attributions, fork_min_resources=0)
    assert forked == serial


def test_the_heavy_checks_have_findings_to_compare() -> None:
    heavy = {check.CODE for check in ALL if check.HEAVY}
    assert heavy >= {"ML0201", "ML0202"}
    found = set()
    for scenario in SCENARIOS:
        config, attributions = _inputs(scenario)
        found |= {f.code for f in run_checks(config, attributions, fork_min_resources=0)}
    assert heavy <= found  # the comparison above is not between empty lists


class _WhereHeavy(Check):
    CODE = "ML9901"
    NAME = "where-heavy"
    SEVERITY = Severity.INFO
    HEAVY = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        yield self.finding(ctx, f"pid {os.getpid()}")


class _WhereLight(_WhereHeavy):
    CODE = "ML9902"
    NAME = "where-light"
    HEAVY = False


def test_only_heavy_checks_leave_this_process() -> None:
    config, attributions = _inputs(DUMPS / "sidecar-bookinfo")
    settings = Settings(checks=(_WhereHeavy, _WhereLight))
    findings = run_checks(config, attributions, settings, fork_min_resources=0)
    where = {f.code: f.message for f in findings}
    assert where["ML9902"] == f"pid {os.getpid()}"
    assert where["ML9901"] != f"pid {os.getpid()}"
    serial = run_checks(config, attributions, settings, fork_min_resources=NEVER)
    assert {f.code: f.message for f in serial}["ML9901"] == f"pid {os.getpid()}"


def test_a_small_mesh_is_checked_here() -> None:
    config, attributions = _inputs(DUMPS / "sidecar-bookinfo")
    findings = run_checks(config, attributions, Settings(checks=(_WhereHeavy,)))
    assert [f.message for f in findings] == [f"pid {os.getpid()}"]
