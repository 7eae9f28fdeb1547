"""Checks that read endpoints run last, after ``before_endpoints`` has brought them in."""

from __future__ import annotations

import pytest

from analyzer.attribution.engine import attribute
from analyzer.checks import runner
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding
from analyzer.checks.registry import ALL
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from tests.conftest import REPO

SAMPLE = REPO / "dumps" / "sidecar-bookinfo"


def test_only_checks_that_read_endpoints_wait_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    proxy = load_proxies([str(SAMPLE / "config_dump.json")])[0]
    config = load_istio([str(SAMPLE / "istio.yaml")])
    endpoints, proxy.endpoints = proxy.endpoints, []
    ran: list[str] = []
    original = runner._run_one

    def recording(check: Check, ctx: Context) -> list[Finding]:
        if ctx.proxy is not None:
            ran.append(check.CODE)
            if check.READS_ENDPOINTS:
                assert ctx.proxy.endpoints == endpoints, "ran before the endpoints came in"
        return original(check, ctx)

    def bring_in() -> None:
        ran.append("endpoints")
        proxy.endpoints.extend(endpoints)

    monkeypatch.setattr(runner, "_run_one", recording)
    late = runner.run_checks(config, [attribute(proxy, config)], None, bring_in)
    reading = [c.CODE for c in ALL if c.READS_ENDPOINTS]
    assert "ML0403" in reading
    assert ran.count("endpoints") == 1
    assert set(ran[ran.index("endpoints") + 1 :]) == set(reading)

    # The order they ran in does not show in the findings.
    ran.clear()
    assert runner.run_checks(config, [attribute(proxy, config)]) == late


def test_before_endpoints_is_called_even_without_a_check_reading_them() -> None:
    called: list[bool] = []
    runner.run_checks(None, [], None, lambda: called.append(True))
    assert called == [True]
