"""``meshlens map``: every resource with the Istio sources behind it, as a table or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from analyzer import __version__
from analyzer.attribution.coverage import REPORTED_TYPES, Coverage, coverage
from analyzer.attribution.model import Attribution, source_record
from analyzer.report.table_report import resource_table, section_title


def _where(source: dict[str, Any]) -> str:
    if source.get("file"):
        return f"{source['file']}:{source['line']}"
    return "(built-in)" if source["evidence"] == "default" else "(not in inputs)"


def coverage_line(cov: Coverage) -> str:
    """One line summarising attribution coverage."""
    total = cov.total
    return (
        f"{total.resources} resources: {total.attributed} attributed "
        f"({total.inferred} only by name/metadata, YAML not given), {total.defaults} Istio "
        f"defaults, {total.unattributed} unattributed; {cov.share:.1%} of non-default "
        "resources explained"
    )


def render_map_table(
    attributions: Sequence[Attribution], types: Sequence[str], unattributed_only: bool = False
) -> str:
    """The attribution table per resource type, with a coverage summary per proxy."""
    chunks = []
    for attribution in attributions:
        proxy = attribution.proxy
        data = map_data(attribution)
        lines = [
            f"proxy {proxy.name} ({proxy.kind}, istio {proxy.istio_version or 'unknown'})",
            "coverage: " + coverage_line(coverage(attribution)),
        ]
        for resource_type in types:
            table = resource_table(data["resources"], resource_type, _where, unattributed_only)
            if table:
                lines += ["", section_title(resource_type), table]
        chunks.append("\n".join(lines))
    return "\n\n".join(chunks) + "\n"


def map_data(attribution: Attribution) -> dict[str, Any]:
    """One proxy's attribution as plain data (the JSON report's ``proxies[]`` entry shape)."""
    proxy = attribution.proxy
    cov = coverage(attribution)
    resources = [
        {
            "id": r.id,
            "type": r.type,
            "sources": [source_record(s) for s in attribution.of(r.id)],
        }
        for r in attribution.resources
        if r.type in REPORTED_TYPES
    ]
    return {
        "name": proxy.name,
        "kind": proxy.kind,
        "namespace": proxy.namespace,
        "istio_version": proxy.istio_version,
        "inputs": list(proxy.inputs),
        "resources": resources,
        "summary": {
            "resources": cov.total.resources,
            "attributed": cov.total.attributed,
            "inferred": cov.total.inferred,
            "defaults": cov.total.defaults,
            "unattributed": list(cov.unattributed),
            "by_type": {
                t: {
                    "resources": c.resources,
                    "attributed": c.attributed,
                    "inferred": c.inferred,
                    "defaults": c.defaults,
                    "unattributed": c.unattributed,
                }
                for t, c in cov.by_type.items()
            },
        },
    }


def render_map_json(attributions: Sequence[Attribution]) -> str:
    """The attribution of every proxy as JSON (sorted keys, stable order)."""
    data = {
        "schema_version": 1,
        "tool": {"name": "meshlens", "version": __version__},
        "proxies": [map_data(a) for a in attributions],
    }
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"
