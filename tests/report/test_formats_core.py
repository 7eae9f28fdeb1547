"""JSON and table formats: goldens, schema, determinism."""

from __future__ import annotations

import json
from typing import Any

from analyzer.report.json_report import render_json
from analyzer.report.schema import Report
from analyzer.report.table_report import render_table
from tests.report.conftest import build_report, check_golden


def test_json_golden_and_schema(report: dict[str, Any]) -> None:
    text = render_json(report)
    check_golden("report.json", text)
    parsed = Report.model_validate(json.loads(text))
    assert parsed.schema_version == 1
    (proxy,) = parsed.proxies
    assert [f.code for f in proxy.findings] == ["ML0401", "ML0405", "ML0101"]
    assert proxy.findings[0].chain is not None
    assert proxy.findings[0].chain[0] == "listener/0.0.0.0_8080"


def test_table_golden(report: dict[str, Any]) -> None:
    check_golden("report.txt", render_table(report))


def test_reports_are_byte_identical_across_runs(report: dict[str, Any]) -> None:
    again = build_report()
    assert render_json(again) == render_json(report)
    assert render_table(again) == render_table(report)


def test_every_resource_type_is_listed(report: dict[str, Any]) -> None:
    (proxy,) = report["proxies"]
    types = {r["type"] for r in proxy["resources"]}
    assert types == {"listener", "filter_chain", "route_config", "virtual_host", "route", "cluster"}


def test_published_schema_is_current() -> None:
    from analyzer.report.schema import schema_text
    from tests.conftest import REPO

    assert (REPO / "docs" / "report.schema.json").read_text() == schema_text()
