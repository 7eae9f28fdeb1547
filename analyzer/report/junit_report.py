"""JUnit XML for CI: a testsuite per proxy (and one for the inputs), a testcase per check.

Every check that applies to a suite is a testcase, so a clean run shows green rather than
nothing. A check with error or warning findings fails (one ``<failure>`` listing them all, as
most readers show one per testcase); info findings never fail a testcase and are listed in its
``<system-out>``. Checks that need the Istio YAML are ``<skipped>`` when none was given. Written
with ElementTree (escaping), minus the characters XML 1.0 cannot hold.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from analyzer.checks.registry import ALL

INPUTS_SUITE = "inputs"
_FAILING = ("error", "warning")
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(data: dict[str, Any]) -> str:
    """The report as ``<testsuites>``; deterministic (no timestamps or host names)."""
    have_yaml = bool(data.get("inputs"))
    suites = [
        _suite(
            INPUTS_SUITE,
            "meshlens.inputs",
            data["findings"],
            _applicable("inputs"),
            have_yaml,
            {"inputs": ", ".join(str(p) for p in data.get("inputs", []))},
        )
    ]
    for proxy in data["proxies"]:
        properties = {
            "kind": proxy["kind"],
            "namespace": proxy["namespace"],
            "istio_version": proxy["istio_version"],
            "envoy_version": proxy["envoy_version"],
            "inputs": ", ".join(str(p) for p in proxy["inputs"]),
            "resources": str(proxy["summary"]["resources"]),
            "attributed": str(proxy["summary"]["attributed"]),
            "unattributed": str(proxy["summary"]["unattributed"]),
        }
        suites.append(
            _suite(
                proxy["name"],
                _classname(proxy),
                proxy["findings"],
                _applicable("proxy"),
                bool(proxy["summary"].get("drift_checked", have_yaml)),
                properties,
            )
        )
    root = ET.Element("testsuites", {"name": "meshlens"})
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(sum(int(s.get(key, "0")) for s in suites)))
    root.set("time", "0")
    root.extend(suites)
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _classname(proxy: dict[str, Any]) -> str:
    """``meshlens.<namespace>.<pod>``: readers split classnames into packages at dots."""
    name, namespace = str(proxy["name"]), str(proxy["namespace"])
    if namespace and name.endswith("." + namespace):
        pod = name[: -len(namespace) - 1]
        return f"meshlens.{namespace}.{pod.replace('.', '_')}"
    return "meshlens.proxy." + name.replace(".", "_")


def _applicable(scope: str) -> list[tuple[str, str, bool]]:
    """(code, name, needs YAML) of the catalogue's checks that run in this scope."""
    return [
        (check.CODE, check.NAME, check.NEEDS_CONFIG)
        for check in ALL
        if check.SCOPE in (scope, "any")
    ]


def _suite(
    name: str,
    classname: str,
    findings: list[dict[str, Any]],
    checks: list[tuple[str, str, bool]],
    have_yaml: bool,
    properties: dict[str, str],
) -> ET.Element:
    by_code: dict[str, list[dict[str, Any]]] = {}
    for finding in findings:
        by_code.setdefault(finding["code"], []).append(finding)
    cases: list[tuple[str, str, bool]] = list(checks)
    listed = {code for code, _, _ in checks}
    # Findings of codes the catalogue does not (or no longer) list get a testcase too.
    cases += [
        (code, by_code[code][0]["name"], False) for code in sorted(by_code) if code not in listed
    ]
    cases.sort()
    suite = ET.Element("testsuite", {"name": _xml(name)})
    props = ET.SubElement(suite, "properties")
    for key, value in properties.items():
        ET.SubElement(props, "property", {"name": key, "value": _xml(value)})
    failures = skipped = 0
    for code, check_name, needs_yaml in cases:
        case = ET.SubElement(
            suite,
            "testcase",
            {"name": f"{code} {check_name}", "classname": _xml(classname), "time": "0"},
        )
        found = by_code.get(code, [])
        failing = [f for f in found if f["severity"] in _FAILING]
        if failing:
            failures += 1
            worst = "error" if any(f["severity"] == "error" for f in failing) else "warning"
            first = _xml(str(failing[0]["message"]))
            more = f" (and {len(failing) - 1} more)" if len(failing) > 1 else ""
            failure = ET.SubElement(
                case,
                "failure",
                {"message": f"{len(failing)} {worst} finding(s): {first}{more}", "type": code},
            )
            failure.text = "\n\n".join(_details(f) for f in failing)
        elif needs_yaml and not have_yaml and not found:
            skipped += 1
            ET.SubElement(case, "skipped", {"message": "needs the Istio YAML (-c)"})
        notes = [f for f in found if f["severity"] not in _FAILING]
        if notes:
            out = ET.SubElement(case, "system-out")
            out.text = "\n\n".join(_details(f) for f in notes)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", "0")
    return suite


def _details(finding: dict[str, Any]) -> str:
    lines = [f"[{finding['severity']}] {finding['code']} {finding['name']}: {finding['message']}"]
    if finding.get("resource"):
        lines.append(f"resource: {finding['resource']}")
    source = finding.get("source")
    if source:
        where = str(source["ref"]) + (f" {source['path']}" if source.get("path") else "")
        if source.get("file"):
            where += f" ({source['file']}:{source['line']})"
        lines.append(f"source: {where}")
    if finding.get("expected") is not None or finding.get("found") is not None:
        lines.append(
            f"expected: {finding.get('expected', '-')}; found: {finding.get('found', '-')}"
        )
    if finding.get("symptom"):
        lines.append(f"symptom: {finding['symptom']}")
    if finding.get("chain"):
        lines.append("chain: " + " -> ".join(finding["chain"]))
    return _xml("\n".join(lines))


def _xml(text: str) -> str:
    """Text XML 1.0 can hold: forbidden characters become ``\\uXXXX``."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
