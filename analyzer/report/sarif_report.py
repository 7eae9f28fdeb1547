"""SARIF 2.1.0: one rule per check code, one result per finding, for code-scanning UIs.

Rules come from the check catalogue (``id`` the code, ``name`` the check name in PascalCase as
SARIF suggests, the kebab-case name in ``properties.name``; the docstring is the help text).
A result sits at the Istio YAML ``file:line`` the finding names, else at line 1 of the first
capture of its proxy, else at line 1 of the first YAML input; the Envoy resource and the Istio
object are ``logicalLocations``. Relative paths are URIs under ``%SRCROOT%``, the directory
meshlens ran in. ``partialFingerprints`` hash what identifies a finding (code, workload,
resource, object, rule, message) and leave out what moves between captures (YAML line, pod hash
suffix).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import re
from typing import Any
from urllib.parse import quote

import orjson

from analyzer.checks.base import Check
from analyzer.checks.registry import ALL
from analyzer.report.check_docs import check_page

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
FINGERPRINT = "meshlens/v1"
_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
# <deployment>-<replicaset hash>-<pod suffix>.<namespace>: the hashes change on every rollout.
_POD_SUFFIX = re.compile(r"-[a-z0-9]{6,10}-[a-z0-9]{5}(?=\.[^.]*$|$)")


def render_sarif(data: dict[str, Any]) -> str:
    """The report as a SARIF 2.1.0 log with one run; sorted keys, two-space indent."""
    rules, index = _rules(data)
    yaml_inputs = [str(p) for p in data.get("inputs", [])]
    results = [_result(finding, index, None, yaml_inputs) for finding in data["findings"]]
    results += [
        _result(finding, index, proxy, yaml_inputs)
        for proxy in data["proxies"]
        for finding in proxy["findings"]
    ]
    tool = data["tool"]
    driver: dict[str, Any] = {
        "name": tool["name"],
        "version": tool["version"],
        "rules": rules,
    }
    if re.fullmatch(r"\d+\.\d+\.\d+(?:[-+].*)?", tool["version"]):
        driver["semanticVersion"] = tool["version"]
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {
            SRCROOT: {"description": {"text": "The directory meshlens was run in."}}
        },
        "results": results,
        "columnKind": "unicodeCodePoints",
        "properties": {
            "schemaVersion": data["schema_version"],
            "proxies": [_proxy_properties(p) for p in data["proxies"]],
            "inputs": yaml_inputs,
        },
    }
    if data.get("redaction") is not None:
        run["properties"]["redaction"] = data["redaction"]
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return orjson.dumps(log, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"


def pascal_case(name: str) -> str:
    """``route-to-missing-cluster`` -> ``RouteToMissingCluster``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_\s]+", name) if part)


def artifact_location(path: str) -> dict[str, Any]:
    """A path as given on the command line, as a SARIF artifactLocation."""
    if os.path.isabs(path):
        return {"uri": _file_uri(path)}
    uri = quote(path.replace(os.sep, "/"), safe="/-._~!$&'()*+,;=:@")
    return {"uri": uri, "uriBaseId": SRCROOT}


def _file_uri(path: str) -> str:
    posix = path.replace(os.sep, "/")
    if not posix.startswith("/"):  # a Windows drive path: C:/x -> file:///C:/x
        posix = "/" + posix
    return "file://" + quote(posix, safe="/-._~!$&'()*+,;=:@")


def _rules(data: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The catalogue, plus a bare rule for any code the catalogue does not know."""
    rules = [_rule(check) for check in ALL]
    known = {check.CODE for check in ALL}
    seen: dict[str, dict[str, Any]] = {}
    for finding in _all_findings(data):
        code = finding["code"]
        if code not in known and code not in seen:
            seen[code] = {
                "id": code,
                "name": pascal_case(finding["name"]),
                "shortDescription": {"text": finding["name"]},
                "defaultConfiguration": {"level": _LEVELS[finding["severity"]]},
                "properties": {"name": finding["name"]},
            }
    rules += [seen[code] for code in sorted(seen)]
    rules.sort(key=lambda rule: str(rule["id"]))
    return rules, {str(rule["id"]): n for n, rule in enumerate(rules)}


def _rule(check: type[Check]) -> dict[str, Any]:
    doc = inspect.cleandoc(check.__doc__ or "")
    summary, _, body = doc.partition("\n")
    page = check_page(check)
    return {
        "id": check.CODE,
        "name": pascal_case(check.NAME),
        "shortDescription": {"text": summary.strip()},
        "fullDescription": {"text": _plain(body.strip() or summary), "markdown": body.strip()}
        if body.strip()
        else {"text": summary.strip()},
        "help": {"text": _plain(page), "markdown": page},
        "defaultConfiguration": {"level": _LEVELS[check.SEVERITY.value]},
        "properties": {
            "name": check.NAME,
            "scope": check.SCOPE,
            "needsConfig": check.NEEDS_CONFIG,
            "tags": ["istio", "envoy"],
        },
    }


def _plain(markdown: str) -> str:
    """Markdown without emphasis and code marks, for viewers that show only ``text``.

    Code spans keep their content as is (``*.example.com`` is no emphasis)."""
    out = []
    for part in re.split(r"(`[^`\n]*`)", markdown):
        if len(part) >= 2 and part[0] == part[-1] == "`":
            out.append(part[1:-1])
            continue
        part = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"\1", part)
        out.append(re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"\1", part))
    return re.sub(r"^#+ ", "", "".join(out), flags=re.MULTILINE)


def _all_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(data["findings"])
    for proxy in data["proxies"]:
        out += proxy["findings"]
    return out


def _result(
    finding: dict[str, Any],
    index: dict[str, int],
    proxy: dict[str, Any] | None,
    yaml_inputs: list[str],
) -> dict[str, Any]:
    code = finding["code"]
    result: dict[str, Any] = {
        "ruleId": code,
        "ruleIndex": index[code],
        "level": _LEVELS[finding["severity"]],
        "message": {"text": _message(finding)},
    }
    location = _location(finding, proxy, yaml_inputs)
    if location:
        result["locations"] = [location]
    result["partialFingerprints"] = {FINGERPRINT: _fingerprint(finding, proxy)}
    properties: dict[str, Any] = {"severity": finding["severity"], "name": finding["name"]}
    if proxy is not None:
        properties["proxy"] = proxy["name"]
    for key in ("resource", "expected", "found", "symptom", "chain"):
        if finding.get(key) is not None:
            properties[key] = finding[key]
    source = finding.get("source")
    if source is not None:
        properties["source"] = source
    result["properties"] = properties
    return result


def _message(finding: dict[str, Any]) -> str:
    text = str(finding["message"])
    extra = []
    if finding.get("expected") is not None or finding.get("found") is not None:
        extra.append(
            f"expected: {finding.get('expected', '-')}; found: {finding.get('found', '-')}"
        )
    if finding.get("symptom"):
        extra.append(f"symptom: {finding['symptom']}")
    if extra:
        text += ". " + ". ".join(extra)
    return text


def _location(
    finding: dict[str, Any], proxy: dict[str, Any] | None, yaml_inputs: list[str]
) -> dict[str, Any]:
    location: dict[str, Any] = {}
    source = finding.get("source")
    physical: dict[str, Any] | None = None
    line = 1  # the file as a whole: viewers (GitHub code scanning) want a start line
    if source and source.get("file"):
        physical = {"artifactLocation": artifact_location(str(source["file"]))}
        if isinstance(source.get("line"), int) and source["line"] >= 1:
            line = source["line"]
    elif proxy is not None and proxy.get("inputs"):
        physical = {"artifactLocation": artifact_location(str(proxy["inputs"][0]))}
    elif proxy is None and yaml_inputs:
        physical = {"artifactLocation": artifact_location(yaml_inputs[0])}
    if physical is not None:
        physical["region"] = {"startLine": line}
        location["physicalLocation"] = physical
    logical = []
    if finding.get("resource"):
        resource = str(finding["resource"])
        logical.append(
            {
                "name": resource.split("/", 1)[-1],
                "fullyQualifiedName": resource,
                "kind": "resource",
            }
        )
    if source:
        entry: dict[str, Any] = {
            "name": str(source["ref"]).rsplit("/", 1)[-1],
            "fullyQualifiedName": str(source["ref"]),
            "kind": "object",
        }
        if source.get("path"):
            entry["properties"] = {"path": source["path"]}
        logical.append(entry)
    if logical:
        location["logicalLocations"] = logical
    return location


def _fingerprint(finding: dict[str, Any], proxy: dict[str, Any] | None) -> str:
    source = finding.get("source") or {}
    parts = [
        str(finding["code"]),
        _workload(proxy),
        str(finding.get("resource") or ""),
        str(source.get("ref") or ""),
        str(source.get("path") or ""),
        str(finding["message"]),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return digest[:32]


def _workload(proxy: dict[str, Any] | None) -> str:
    """The proxy without the pod's rollout hashes (stable across restarts), or empty."""
    if proxy is None:
        return ""
    return f"{proxy['kind']}:{_POD_SUFFIX.sub('', str(proxy['name']))}"


def _proxy_properties(proxy: dict[str, Any]) -> dict[str, Any]:
    summary = proxy["summary"]
    return {
        "name": proxy["name"],
        "kind": proxy["kind"],
        "namespace": proxy["namespace"],
        "istioVersion": proxy["istio_version"],
        "envoyVersion": proxy["envoy_version"],
        "inputs": proxy["inputs"],
        "resources": summary["resources"],
        "attributed": summary["attributed"],
        "unattributed": summary["unattributed"],
        "driftChecked": summary["drift_checked"],
    }
