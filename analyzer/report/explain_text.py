"""Render explanations (from ``report.explain``) as text for a terminal."""

from __future__ import annotations

from typing import Any


def _source_line(source: dict[str, Any]) -> str:
    where = f"{source['file']}:{source['line']}" if source.get("file") else "not in the inputs"
    if source["evidence"] == "default":
        return f"{source['ref']}  (Istio built-in: {source.get('note', '')})"
    path = f" {source['path']}" if source.get("path") else ""
    note = f"; {source['note']}" if source.get("note") and source.get("file") else ""
    return f"{source['ref']}{path}  ({where}; evidence: {source['evidence']}{note})"


def _sources_inline(resource: dict[str, Any]) -> str:
    sources = resource["sources"]
    if not sources:
        return "  <- UNATTRIBUTED"
    first = sources[0]
    text = f"  <- {first['ref']}" + (f" {first['path']}" if first.get("path") else "")
    if len(sources) > 1:
        text += f" (+{len(sources) - 1} more)"
    return text


def render_resource_text(explanation: dict[str, Any]) -> str:
    """Text for ``meshlens explain RESOURCE_ID``."""
    resource = explanation["resource"]
    lines = [f"{resource['id']}  [{resource['status']}]", f"  {resource['summary']}", ""]
    lines.append("Produced by:")
    if not resource["sources"]:
        lines.append("  nothing in the inputs explains this resource")
    for source in resource["sources"]:
        lines.append("  " + _source_line(source))
        lines.extend("    | " + text for text in source.get("yaml", []))
    if explanation["used_by"]:
        lines += ["", "Used by:"]
        for path in explanation["used_by"]:
            for depth, step in enumerate(path):
                marker = "" if depth == 0 else "  " * (depth - 1) + "└─ "
                lines.append(f"  {marker}{step['id']}{_sources_inline(step)}")
    children = explanation["leads_to"]
    if children or explanation["missing"] or explanation["endpoints"]:
        lines += ["", "Leads to:"]
        for child in children:
            _render_node(child, 1, lines)
        for missing in explanation["missing"]:
            lines.append(f"  {missing}  MISSING from the dump")
        _render_endpoints(explanation["endpoints"], 1, lines)
    return "\n".join(lines) + "\n"


def _render_node(node: dict[str, Any], depth: int, lines: list[str]) -> None:
    indent = "  " * depth
    lines.append(f"{indent}{node['id']}  {node['summary']}{_sources_inline(node)}")
    for child in node.get("leads_to", []):
        _render_node(child, depth + 1, lines)
    lines.extend(f"{indent}  {m}  MISSING from the dump (503 NC)" for m in node.get("missing", []))
    if "endpoints" in node:
        _render_endpoints(node["endpoints"], depth + 1, lines)


def _render_endpoints(endpoints: list[dict[str, Any]], depth: int, lines: list[str]) -> None:
    indent = "  " * depth
    if not endpoints:
        return
    shown = ", ".join(f"{e['address']} {e['health']}" for e in endpoints[:8])
    more = f" (+{len(endpoints) - 8} more)" if len(endpoints) > 8 else ""
    lines.append(f"{indent}endpoints: {shown}{more}")


def render_object_text(explanation: dict[str, Any]) -> str:
    """Text for ``meshlens explain --istio Kind/ns/name``."""
    obj = explanation["object"]
    lines = [f"{obj['ref']}  ({obj['file']}:{obj['line']})", ""]
    for rule in explanation["rules"]:
        lines.append(f"  {rule['path']}  {rule['label']}  (line {rule['line']})")
        if not rule["resources"]:
            lines.append("    -> produced nothing on this proxy")
        lines.extend(f"    -> {resource_id}" for resource_id in rule["resources"])
    if explanation["other_resources"]:
        lines.append("  (whole object)")
        lines += [f"    -> {resource_id}" for resource_id in explanation["other_resources"]]
    return "\n".join(lines) + "\n"
