"""JUnit XML: golden, well-formed, the shape JUnit readers expect, and green when clean.

No JUnit XSD ships in a package this project can install, so the structure the common
(Jenkins/Ant) JUnit schema requires is checked by hand: element nesting, required attributes,
integer counts that add up, at most one ``<failure>`` per testcase.
"""

from __future__ import annotations

import copy
import os
import xml.etree.ElementTree as ET
from typing import Any

from analyzer.checks.registry import ALL
from analyzer.pipeline import analyze, report_data
from analyzer.report.junit_report import render_junit
from tests.conftest import REPO
from tests.report.conftest import HOSTILE, build_report, check_golden

_CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "testcase": {"skipped", "error", "failure", "system-out", "system-err"},
}


def _parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    _check_shape(root)
    return root


def _check_shape(root: ET.Element) -> None:
    assert root.tag == "testsuites"
    for element in root.iter():
        allowed = _CHILDREN.get(element.tag, set())
        assert {child.tag for child in element} <= allowed, element.tag
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        assert suite.get("name")
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": sum(1 for c in cases if c.find("failure") is not None),
            "errors": sum(1 for c in cases if c.find("error") is not None),
            "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        }
        for key, value in counts.items():
            assert int(suite.get(key, "-1")) == value, (suite.get("name"), key)
            totals[key] += value
        for case in cases:
            assert case.get("name") and case.get("classname")
            assert len(case.findall("failure")) <= 1
            for failure in case.findall("failure"):
                assert failure.get("message") and failure.get("type")
        for prop in suite.iter("property"):
            assert prop.get("name") is not None and prop.get("value") is not None
    for key, value in totals.items():
        assert int(root.get(key, "-1")) == value, key


def _cases(suite: ET.Element) -> dict[str, ET.Element]:
    return {str(c.get("name")).split()[0]: c for c in suite.findall("testcase")}


def test_junit_golden(report: dict[str, Any]) -> None:
    check_golden("junit.xml", render_junit(report))


def test_one_suite_per_proxy_and_one_for_the_inputs(report: dict[str, Any]) -> None:
    root = _parse(render_junit(report))
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "inputs",
        "istio-ingressgateway-576c469c96-spndl.istio-system",
    ]
    inputs, proxy = suites
    assert sorted(_cases(inputs)) == sorted(c.CODE for c in ALL if c.SCOPE in ("inputs", "any"))
    assert sorted(_cases(proxy)) == sorted(c.CODE for c in ALL if c.SCOPE in ("proxy", "any"))
    assert {c.get("classname") for c in proxy.findall("testcase")} == {
        "meshlens.istio-system.istio-ingressgateway-576c469c96-spndl"
    }


def test_a_failure_per_failing_check_and_green_otherwise(report: dict[str, Any]) -> None:
    root = _parse(render_junit(report))
    proxy = root.findall("testsuite")[1]
    failing = {code for code, case in _cases(proxy).items() if case.find("failure") is not None}
    assert failing == {"ML0401", "ML0405", "ML0101"}
    failure = _cases(proxy)["ML0401"].find("failure")
    assert failure is not None and failure.get("type") == "ML0401"
    assert "outbound|80||gone.simple.svc.cluster.local" in str(failure.get("message"))
    assert "tests/report/fixtures/hostile/istio.yaml:106" in str(failure.text)
    assert root.get("failures") == "3" and root.get("skipped") == "0"


def test_checks_needing_yaml_are_skipped_without_it() -> None:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        data = report_data(analyze([f"{HOSTILE}/dump.json"]))
    finally:
        os.chdir(cwd)
    root = _parse(render_junit(data))
    inputs, proxy = root.findall("testsuite")
    needs = {c.CODE for c in ALL if c.NEEDS_CONFIG}
    for suite in (inputs, proxy):
        skipped = {code for code, case in _cases(suite).items() if case.find("skipped") is not None}
        assert skipped == needs & set(_cases(suite))
    assert _cases(proxy)["ML0401"].find("failure") is not None  # needs no YAML: still run


def test_info_findings_do_not_fail_and_warnings_do(report: dict[str, Any]) -> None:
    data = copy.deepcopy(report)
    proxy = data["proxies"][0]
    base = proxy["findings"][0]
    proxy["findings"] += [
        {**base, "code": "ML0002", "name": "input-skipped", "severity": "info", "message": "n1"},
        {**base, "code": "ML0403", "name": "cluster-without-endpoints", "severity": "warning"},
        {**base, "code": "ML0403", "name": "cluster-without-endpoints", "severity": "warning"},
        {**base, "code": "ML9999", "name": "from-the-future", "severity": "error"},
    ]
    cases = _cases(_parse(render_junit(data)).findall("testsuite")[1])
    info = cases["ML0002"]
    assert info.find("failure") is None
    out = info.find("system-out")
    assert out is not None and "[info] ML0002 input-skipped: n1" in str(out.text)
    warning = cases["ML0403"].find("failure")
    assert warning is not None
    assert str(warning.get("message")).startswith("2 warning finding(s): ")
    assert "(and 1 more)" in str(warning.get("message"))
    assert cases["ML9999"].find("failure") is not None  # a code the catalogue does not list


def test_hostile_text_stays_well_formed(report: dict[str, Any]) -> None:
    data = copy.deepcopy(report)
    finding = data["proxies"][0]["findings"][0]
    nasty = 'x <script>alert("owned")</script> ]]> & \x00\x1b\x7f \ufffe end'
    finding["message"] = nasty
    data["proxies"][0]["name"] = 'bad"name<&>.istio-system'
    root = _parse(render_junit(data))
    suite = root.findall("testsuite")[1]
    assert suite.get("name") == 'bad"name<&>.istio-system'
    failure = _cases(suite)["ML0401"].find("failure")
    assert failure is not None
    assert 'x <script>alert("owned")</script> ]]> & \\u0000\\u001b\x7f \\ufffe end' in str(
        failure.text
    )


def test_junit_is_deterministic(report: dict[str, Any]) -> None:
    assert render_junit(build_report()) == render_junit(report)
