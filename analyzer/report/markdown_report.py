"""Markdown: the report to paste into a ticket (GitHub-flavoured).

Proxy identity and versions, inputs, summary, findings with the chain they sit in and the YAML
of the rule involved, then the attribution tables, each folded in ``<details>``.

Every value from a dump or the YAML is escaped, since the text is rendered by the ticket system:
prose goes through :func:`md_text`, names and ids through :func:`md_code`, YAML through
:func:`md_fence`. Nothing from the data ever starts a line, so block syntax (headings, lists,
quotes) cannot be triggered by it.
"""

from __future__ import annotations

import html
import re
from typing import Any

from analyzer.report.document_common import (
    SEVERITIES,
    SEVERITY_LABELS,
    TYPE_LABELS,
    TYPES,
    ChainStep,
    attributed_share,
    chain_steps,
    code_spans,
    counted,
    excerpt,
    fix_hint,
    redaction_note,
    ref_and_rule,
    where,
)

# ASCII punctuation with a meaning in GFM inline text ($ is GitHub math; < > & become entities).
_SPECIAL = re.compile(r"([\\`*_{}\[\]|~#!$])")
_BLANKS = re.compile(r"[\x00-\x1f\x7f]+")
_TICKS = re.compile(r"`+")


def md_text(value: object) -> str:
    """Inline text that renders as exactly ``value`` (on one line), never as markup."""
    text = _BLANKS.sub(" ", str(value))
    return _SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def md_code(value: object, in_table: bool = False) -> str:
    """A code span holding ``value``: a delimiter longer than any backtick run inside."""
    text = _BLANKS.sub(" ", str(value))
    if not text:
        return ""
    ticks = "`" * (max((len(run) for run in _TICKS.findall(text)), default=0) + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    if in_table:  # GFM splits cells before parsing spans: pipes must be escaped even here
        text = text.replace("|", "\\|")
    return f"{ticks}{text}{ticks}"


def md_fence(lines: list[str], info: str = "") -> list[str]:
    """A fenced code block: the fence is longer than any backtick run in the text."""
    longest = max((len(run) for line in lines for run in _TICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *lines, fence]


def render_markdown(data: dict[str, Any]) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = ["# meshlens report", ""]
    lines.append(
        f"Written by meshlens {md_text(data['tool']['version'])} "
        f"(report schema {md_text(data['schema_version'])})."
    )
    lines.append("")
    inputs = data.get("inputs") or []
    if inputs:
        lines.append("**Istio YAML:** " + ", ".join(md_code(path) for path in inputs))
    else:
        lines.append("**Istio YAML:** none given, so drift was not checked.")
    lines.append("")
    quote = "redaction" not in data  # the YAML files on disk are not redacted: never quote them
    if not quote:
        lines += [f"**Redacted:** {md_text(redaction_note(data))}", ""]
    if data["findings"]:
        lines += [f"## Findings on the Istio YAML ({len(data['findings'])})", ""]
        lines += _findings(data["findings"], [], level=3, quote=quote)
    for proxy in data["proxies"]:
        lines += _proxy(proxy, quote)
    return "\n".join(lines).rstrip("\n") + "\n"


def _proxy(proxy: dict[str, Any], quote: bool) -> list[str]:
    summary = proxy["summary"]
    counts = summary["findings"]
    lines = [f"## Proxy {md_code(proxy['name'])}", ""]
    lines += _table(
        ["Kind", "Namespace", "Istio", "Envoy", "Dump"],
        [
            [
                md_text(proxy["kind"]),
                md_code(proxy["namespace"], in_table=True),
                md_text(proxy["istio_version"] or "unknown"),
                md_text(proxy["envoy_version"] or "unknown"),
                "<br>".join(md_code(path, in_table=True) for path in proxy["inputs"]),
            ]
        ],
    )
    lines += ["### Summary", ""]
    lines += _table(
        ["Resources", "Attributed", "Istio defaults", "Inferred", "Unattributed"]
        + [SEVERITY_LABELS[s] for s in SEVERITIES],
        [
            [
                str(summary["resources"]),
                f"{summary['attributed']} ({attributed_share(summary)} of non-default)",
                str(summary["defaults"]),
                str(summary["inferred"]),
                str(summary["unattributed"]),
                *(str(counts[s]) for s in SEVERITIES),
            ]
        ],
        align="---:",
    )
    if not summary["drift_checked"]:
        lines += ["**Drift was not checked:** no Istio YAML was given (`-c`).", ""]
    if proxy["findings"]:
        lines += [f"### Findings ({len(proxy['findings'])})", ""]
        lines += _findings(proxy["findings"], proxy["resources"], level=4, quote=quote)
    else:
        lines += ["### Findings", "", "No findings.", ""]
    lines += _attribution(proxy["resources"])
    return lines


def _findings(
    findings: list[dict[str, Any]], resources: list[dict[str, Any]], level: int, quote: bool
) -> list[str]:
    lines: list[str] = []
    ordered = sorted(findings, key=lambda f: SEVERITIES.index(f["severity"]))
    for finding in ordered:
        lines += [
            f"{'#' * level} {finding['severity'].upper()} {md_text(finding['code'])} "
            f"{md_text(finding['name'])}",
            "",
            f"- **Message:** {md_text(finding['message'])}",
        ]
        if finding.get("resource"):
            lines.append(f"- **Resource:** {md_code(finding['resource'])}")
        source = finding.get("source")
        if source:
            at = f" in {md_code(where(source))}" if where(source) else ""
            lines.append(f"- **Istio object:** {md_code(ref_and_rule(source))}{at}")
        for key in ("expected", "found", "symptom"):
            if finding.get(key):
                lines.append(f"- **{key.capitalize()}:** {md_text(finding[key])}")
        hint = fix_hint(finding["code"])
        if hint:
            lines.append(f"- **How to fix:** {_prose(hint)}")
        lines.append("")
        steps = chain_steps(finding, resources)
        if steps:
            lines += ["**Chain** (Istio object, then the proxy's resources):", ""]
            lines += [f"{n}. {_step(step)}" for n, step in enumerate(steps, 1)]
            lines.append("")
        quoted = excerpt(source) if quote else []
        if source and quoted:
            lines.append(
                f"YAML of {md_code(ref_and_rule(source))}, {md_code(source['file'])} "
                f"line {quoted[0][0]}:"
            )
            lines.append("")
            lines += md_fence([text for _, text in quoted], "yaml")
            lines.append("")
    return lines


def _prose(text: str) -> str:
    """Our own check docs: backtick spans stay code, the rest is escaped like data."""
    return "".join(md_code(part) if code else md_text(part) for code, part in code_spans(text))


def _step(step: ChainStep) -> str:
    if step.kind == "object":
        return f"{md_code(step.id)} (Istio object)"
    text = md_code(step.id)
    if step.missing:
        return text + " **(not in the dump)**"
    return text + (f" from {md_code(step.source)}" if step.source else " (unattributed)")


def _attribution(resources: list[dict[str, Any]]) -> list[str]:
    lines = ["### Attribution", ""]
    if not resources:
        return [*lines, "The dump holds no listeners, routes or clusters.", ""]
    for resource_type in TYPES:
        chosen = [r for r in resources if r["type"] == resource_type]
        if not chosen:
            continue
        rows: list[list[str]] = []
        for resource in chosen:
            for n, source in enumerate(resource["sources"] or [None]):
                rows.append(
                    [
                        md_code(resource["id"], in_table=True) if n == 0 else "",
                        *_source_cells(source),
                    ]
                )
        label = f"{TYPE_LABELS[resource_type]} ({counted(len(chosen), 'resource')})"
        lines += ["<details>", f"<summary>{html.escape(label)}</summary>", ""]
        lines += _table(["Resource", "Istio object", "Rule", "Where", "Evidence"], rows)
        lines += ["</details>", ""]
    return lines


def _source_cells(source: dict[str, Any] | None) -> list[str]:
    if source is None:
        return ["**UNATTRIBUTED**", "", "", ""]
    evidence = md_text(source["evidence"])
    if source.get("in_inputs") is False:
        evidence += " (YAML not given)"
    if source.get("note"):
        evidence += ": " + md_text(source["note"])
    return [
        md_code(source["ref"], in_table=True),
        md_code(source.get("path") or "", in_table=True),
        md_code(where(source), in_table=True),
        evidence,
    ]


def _table(headers: list[str], rows: list[list[str]], align: str = "---") -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(f" {align} " for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]
