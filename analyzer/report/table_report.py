"""Table: the terminal report. Summary, findings by severity with fix hints, attribution tables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tabulate import tabulate

from analyzer.report.check_docs import how_to_fix

_TYPES = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster")


def _where(source: dict[str, Any] | None) -> str:
    if not source:
        return ""
    text = str(source["ref"]) + (f" {source['path']}" if source.get("path") else "")
    if source.get("file"):
        text += f" ({source['file']}:{source['line']})"
    return text


def _findings_block(findings: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    hints: dict[str, str] = {}
    for severity in ("error", "warning", "info"):
        chosen = [f for f in findings if f["severity"] == severity]
        if not chosen:
            continue
        lines.append(f"{severity.upper()}S ({len(chosen)})")
        for finding in chosen:
            lines.append(f"  {finding['code']} {finding['name']}: {finding['message']}")
            if finding.get("resource"):
                lines.append(f"      resource: {finding['resource']}")
            if finding.get("source"):
                lines.append(f"      source:   {_where(finding['source'])}")
            if finding.get("expected") or finding.get("found"):
                expected, found = finding.get("expected", "-"), finding.get("found", "-")
                lines.append(f"      expected: {expected}; found: {found}")
            if finding.get("symptom"):
                lines.append(f"      symptom:  {finding['symptom']}")
            hints.setdefault(finding["code"], how_to_fix(finding["code"]))
        lines.append("")
    if hints:
        lines.append("HOW TO FIX")
        lines += [f"  {code}: {hint}" for code, hint in sorted(hints.items()) if hint]
        lines.append("")
    return lines


def render_table(data: dict[str, Any], show_resources: bool = True) -> str:
    """The report for a terminal."""
    lines: list[str] = []
    if data["findings"]:
        lines += ["INPUTS", *_findings_block(data["findings"])]
    for proxy in data["proxies"]:
        summary = proxy["summary"]
        counts = summary["findings"]
        lines.append(
            f"PROXY {proxy['name']} ({proxy['kind']}, istio {proxy['istio_version'] or 'unknown'}"
            f", envoy {proxy['envoy_version'] or 'unknown'})"
        )
        relevant = summary["resources"] - summary["defaults"]
        share = 100.0 if relevant == 0 else 100.0 * summary["attributed"] / relevant
        lines.append(
            f"  {summary['resources']} resources: {summary['attributed']} attributed "
            f"({share:.1f}% of non-default), {summary['defaults']} Istio defaults, "
            f"{summary['unattributed']} unattributed"
        )
        lines.append(
            f"  findings: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info"
        )
        if not summary["drift_checked"]:
            lines.append("  drift was not checked: no Istio YAML given (-c)")
        lines.append("")
        lines += _findings_block(proxy["findings"])
        if show_resources:
            lines += _resource_tables(proxy["resources"])
    return "\n".join(lines).rstrip("\n") + "\n"


def _resource_tables(resources: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for resource_type in _TYPES:
        table = resource_table(resources, resource_type, _file_line)
        if table:
            lines += [section_title(resource_type), table, ""]
    return lines


def _file_line(source: dict[str, Any]) -> str:
    return f"{source['file']}:{source['line']}" if source.get("file") else ""


def section_title(resource_type: str) -> str:
    """``virtual_host`` -> ``VIRTUAL HOSTS``."""
    return resource_type.upper().replace("_", " ") + "S"


def resource_table(
    resources: list[dict[str, Any]],
    resource_type: str,
    where: Callable[[dict[str, Any]], str],
    unattributed_only: bool = False,
) -> str:
    """One row per source of each resource of that type (``UNATTRIBUTED`` when it has none)."""
    rows = []
    for resource in resources:
        if resource["type"] != resource_type:
            continue
        sources = resource["sources"]
        if unattributed_only and sources:
            continue
        if not sources:
            rows.append([resource["id"], "UNATTRIBUTED", "", "", ""])
        for n, source in enumerate(sources):
            rows.append(
                [
                    resource["id"] if n == 0 else "",
                    source["ref"],
                    source.get("path") or "",
                    where(source),
                    source["evidence"],
                ]
            )
    if not rows:
        return ""
    headers = ["RESOURCE", "SOURCE", "RULE", "WHERE", "EVIDENCE"]
    return str(tabulate(rows, headers=headers, tablefmt="plain"))
