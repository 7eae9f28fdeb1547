"""What the Markdown and HTML reports share: labels, chains, YAML excerpts, counts.

Both render the same report dict as the table format; these helpers only pick and order values.
Escaping is each renderer's job: nothing here is safe to print as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.report.excerpt import yaml_excerpt

TYPES = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster")
TYPE_LABELS = {
    "listener": "Listeners",
    "filter_chain": "Filter chains",
    "route_config": "Route configs",
    "virtual_host": "Virtual hosts",
    "route": "Routes",
    "cluster": "Clusters",
}
SEVERITIES = ("error", "warning", "info")
SEVERITY_LABELS = {"error": "Errors", "warning": "Warnings", "info": "Info"}
OBJECT_EXCERPT_LINES = 24


@dataclass(frozen=True)
class ChainStep:
    """One hop of a finding's chain: an Istio object (the head) or an Envoy resource."""

    kind: str  # "object" for the Istio object, else the resource type
    id: str
    source: str  # first source's ref and rule, "" when nothing explains the resource
    missing: bool = False  # referenced but not in the dump


def resource_type(resource_id: str) -> str:
    """``route`` for ``route/http.8080/...``."""
    return resource_id.split("/", 1)[0]


def where(source: dict[str, Any] | None) -> str:
    """``file:line``, or "" when the source has no file."""
    if not source or not source.get("file"):
        return ""
    return f"{source['file']}:{source['line']}" if source.get("line") else str(source["file"])


def ref_and_rule(source: dict[str, Any] | None) -> str:
    """``Kind/ns/name spec.http[0]``."""
    if not source:
        return ""
    return str(source["ref"]) + (f" {source['path']}" if source.get("path") else "")


def attributed_share(summary: dict[str, Any]) -> str:
    """Attributed resources as a share of the non-default ones, as the table report says it."""
    relevant = summary["resources"] - summary["defaults"]
    share = 100.0 if relevant == 0 else 100.0 * summary["attributed"] / relevant
    return f"{share:.1f}%"


def chain_steps(finding: dict[str, Any], resources: list[dict[str, Any]]) -> list[ChainStep]:
    """The finding's chain, headed by the Istio object that made its outermost resource."""
    chain = finding.get("chain") or []
    if not chain:
        return []
    by_id = {r["id"]: r for r in resources}
    steps: list[ChainStep] = []
    head = by_id.get(chain[0])
    if head and head["sources"]:
        steps.append(ChainStep("object", str(head["sources"][0]["ref"]), ""))
    for resource_id in chain:
        resource = by_id.get(resource_id)
        sources = resource["sources"] if resource else []
        steps.append(
            ChainStep(
                resource_type(resource_id),
                resource_id,
                ref_and_rule(sources[0]) if sources else "",
                missing=resource is None,
            )
        )
    return steps


def excerpt(source: dict[str, Any] | None) -> list[tuple[int, str]]:
    """The YAML of the rule a source names; the head of the object when it names no rule.

    Empty when the file is not readable from here (reports are often rendered elsewhere).
    """
    if not source or not source.get("file") or not source.get("line"):
        return []
    path, line = str(source["file"]), int(source["line"])
    if source.get("path"):
        return yaml_excerpt(path, line)
    return _object_excerpt(path, line)


def _object_excerpt(path: str, line: int) -> list[tuple[int, str]]:
    """The object starting at ``line``, up to the next document, without comments."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    out: list[tuple[int, str]] = []
    for number in range(line, len(lines) + 1):
        text = lines[number - 1]
        if text.startswith("---") and number > line:
            break
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        if len(out) == OBJECT_EXCERPT_LINES:
            out.append((number, "..."))
            break
        out.append((number, text))
    return out


def redaction_note(data: dict[str, Any]) -> str:
    """What ``--redact`` replaced; the reports leave YAML excerpts out of a redacted report."""
    kinds = (data.get("redaction") or {}).get("kinds") or {}
    replaced = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "nothing"
    return f"values replaced by placeholders ({replaced}); YAML excerpts left out."


def fix_hint(code: str) -> str:
    """The check's ``How to fix`` line ("" when its docs have none)."""
    from analyzer.report.check_docs import how_to_fix

    return how_to_fix(code)


def counted(n: int, word: str) -> str:
    """``1 resource``, ``2 resources``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def code_spans(text: str) -> list[tuple[bool, str]]:
    """Split our own Markdown-ish prose (check docs) into (is_code, text) runs on backticks."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # unbalanced: keep it all as text
        return [(False, text)]
    return [(n % 2 == 1, part) for n, part in enumerate(parts) if part]
