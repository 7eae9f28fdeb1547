"""HTML: one self-contained page to attach to a ticket.

Summary cards, findings filterable by severity with the chain each sits in (Istio object ->
listener -> ... -> cluster) and the YAML of the rule, attribution tables with a search box.
Everything is rendered here, each value through ``html.escape``; the inline script (html_assets)
only hides and shows rows. No external resource of any kind: a Content-Security-Policy admits the
inline style and script by hash and nothing else, so the page works offline and a hostname such as
``<script>...`` in a dump can only ever be text.
"""

from __future__ import annotations

import html
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
from analyzer.report.html_assets import SCRIPT, STYLE, content_security_policy

_KIND_LABELS = {"object": "Istio object", **{t: t.replace("_", " ") for t in TYPES}}


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _code(value: object) -> str:
    return f"<code>{_e(value)}</code>"


def render_html(data: dict[str, Any]) -> str:
    """The report as one HTML page (inline CSS and JS only)."""
    proxies = data["proxies"]
    title = "meshlens report" + (
        f": {proxies[0]['name']}" if len(proxies) == 1 else f": {len(proxies)} proxies"
    )
    quote = "redaction" not in data  # the YAML files on disk are not redacted: never quote them
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy()}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="meshlens">',
        f"<title>{_e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>meshlens report</h1>",
        f'<p class="meta">meshlens {_e(data["tool"]["version"])}, report schema '
        f"{_e(data['schema_version'])}. {_inputs(data.get('inputs') or [])}</p>",
        *([] if quote else [f'<p class="note">Redacted: {_e(redaction_note(data))}</p>']),
        "</header>",
        *_toolbar(data),
        "<main>",
    ]
    if data["findings"]:
        parts += [
            '<section id="inputs" aria-labelledby="inputs-title">',
            f'<h2 id="inputs-title">Findings on the Istio YAML ({len(data["findings"])})</h2>',
            *_findings(data["findings"], [], "inputs", quote),
            "</section>",
        ]
    for index, proxy in enumerate(proxies, 1):
        parts += _proxy(proxy, f"proxy-{index}", quote)
    if not proxies and not data["findings"]:
        parts.append("<p>No proxies and no findings.</p>")
    parts += ["</main>", f"<script>{SCRIPT}</script>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _inputs(paths: list[str]) -> str:
    if not paths:
        return "Istio YAML: none given, so drift was not checked."
    return "Istio YAML: " + ", ".join(_code(path) for path in paths) + "."


def _all_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [*data["findings"], *(f for p in data["proxies"] for f in p["findings"])]


def _toolbar(data: dict[str, Any]) -> list[str]:
    findings = _all_findings(data)
    if not findings:
        return []
    boxes = [
        f'<label><input type="checkbox" data-severity="{s}" checked> {SEVERITY_LABELS[s]} '
        f"({sum(1 for f in findings if f['severity'] == s)})</label>"
        for s in SEVERITIES
    ]
    return [
        '<div class="toolbar js-only" hidden>',
        "<fieldset>",
        "<legend>Show findings of severity</legend>",
        *boxes,
        "</fieldset>",
        "</div>",
    ]


def _proxy(proxy: dict[str, Any], anchor: str, quote: bool) -> list[str]:
    summary = proxy["summary"]
    parts = [
        f'<section id="{anchor}" class="proxy" aria-labelledby="{anchor}-title">',
        f'<h2 id="{anchor}-title">Proxy {_code(proxy["name"])}</h2>',
        '<dl class="identity">',
        f"<dt>Kind</dt><dd>{_e(proxy['kind'])}</dd>",
        f"<dt>Namespace</dt><dd>{_code(proxy['namespace'])}</dd>",
        f"<dt>Istio</dt><dd>{_e(proxy['istio_version'] or 'unknown')}</dd>",
        f"<dt>Envoy</dt><dd>{_e(proxy['envoy_version'] or 'unknown')}</dd>",
        f"<dt>Dump</dt><dd>{', '.join(_code(path) for path in proxy['inputs'])}</dd>",
        "</dl>",
        *_cards(summary),
    ]
    if not summary["drift_checked"]:
        parts.append(
            '<p class="note">Drift was not checked: no Istio YAML was given (<code>-c</code>).</p>'
        )
    parts.append(f"<h3>Findings ({len(proxy['findings'])})</h3>")
    if proxy["findings"]:
        parts += _findings(proxy["findings"], proxy["resources"], anchor, quote)
    else:
        parts.append("<p>No findings.</p>")
    parts += _attribution(proxy["resources"], anchor)
    parts.append("</section>")
    return parts


def _cards(summary: dict[str, Any]) -> list[str]:
    counts = summary["findings"]
    cards = [
        ("", summary["resources"], "resources"),
        ("", summary["attributed"], f"attributed ({attributed_share(summary)} of non-default)"),
        ("", summary["defaults"], "Istio defaults"),
        ("", summary["inferred"], "inferred (YAML not given)"),
        ("error" if summary["unattributed"] else "", summary["unattributed"], "unattributed"),
        *((s, counts[s], SEVERITY_LABELS[s].lower()) for s in SEVERITIES),
    ]
    parts = ['<div class="cards">']
    for kind, n, label in cards:
        classes = " ".join(["card", *([kind] if kind else []), *(["hot"] if kind and n else [])])
        parts.append(
            f'<div class="{classes}"><span class="n">{_e(n)}</span>'
            f'<span class="label">{_e(label)}</span></div>'
        )
    return [*parts, "</div>"]


def _findings(
    findings: list[dict[str, Any]], resources: list[dict[str, Any]], anchor: str, quote: bool
) -> list[str]:
    ordered = sorted(findings, key=lambda f: SEVERITIES.index(f["severity"]))
    parts = [
        f'<div class="findings" data-findings="{anchor}">',
        '<p class="filter-status muted js-only" aria-live="polite" hidden></p>',
    ]
    for finding in ordered:
        parts += _finding(finding, resources, quote)
    return [*parts, "</div>"]


def _finding(finding: dict[str, Any], resources: list[dict[str, Any]], quote: bool) -> list[str]:
    severity = _e(finding["severity"])
    parts = [
        f'<article class="finding {severity}" data-severity="{severity}">',
        f'<h4><span class="badge {severity}">{severity}</span> {_e(finding["code"])} '
        f"{_e(finding['name'])}</h4>",
        f"<p>{_e(finding['message'])}</p>",
        "<dl>",
    ]
    if finding.get("resource"):
        parts.append(f"<dt>Resource</dt><dd>{_code(finding['resource'])}</dd>")
    source = finding.get("source")
    if source:
        at = f" in {_code(where(source))}" if where(source) else ""
        parts.append(f"<dt>Istio object</dt><dd>{_code(ref_and_rule(source))}{at}</dd>")
    parts += [
        f"<dt>{key.capitalize()}</dt><dd>{_e(finding[key])}</dd>"
        for key in ("expected", "found", "symptom")
        if finding.get(key)
    ]
    hint = fix_hint(finding["code"])
    if hint:
        parts.append(f"<dt>How to fix</dt><dd>{_prose(hint)}</dd>")
    parts.append("</dl>")
    steps = chain_steps(finding, resources)
    if steps:
        parts += ["<h5>Chain</h5>", '<ol class="chain">', *map(_step, steps), "</ol>"]
    quoted = excerpt(source) if quote else []
    if source and quoted:
        lines = "\n".join(f"{n:>4}  {text}" for n, text in quoted)
        parts += [
            "<figure>",
            f"<figcaption>YAML of {_code(ref_and_rule(source))}, {_code(source['file'])} "
            f"line {quoted[0][0]}</figcaption>",
            f"<pre><code>{_e(lines)}</code></pre>",
            "</figure>",
        ]
    return [*parts, "</article>"]


def _step(step: ChainStep) -> str:
    text = f'<li><span class="kind">{_e(_KIND_LABELS.get(step.kind, step.kind))}</span> '
    text += _code(step.id)
    if step.missing:
        text += ' <span class="missing">not in the dump</span>'
    elif step.kind != "object":
        origin = f"from {_e(step.source)}" if step.source else "unattributed"
        text += f' <span class="from">{origin}</span>'
    return text + "</li>"


def _prose(text: str) -> str:
    """Our own check docs: backtick spans become code, everything escaped."""
    return "".join(_code(part) if is_code else _e(part) for is_code, part in code_spans(text))


def _attribution(resources: list[dict[str, Any]], anchor: str) -> list[str]:
    parts = ["<h3>Attribution</h3>"]
    if not resources:
        return [*parts, "<p>The dump holds no listeners, routes or clusters.</p>"]
    parts.append(
        f'<p class="search js-only" hidden><label for="{anchor}-search">Search resources '
        f"(ids, Istio objects, rules, files)</label> "
        f'<input type="search" id="{anchor}-search" data-search="{anchor}" autocomplete="off">'
        "</p>"
    )
    for resource_type in TYPES:
        chosen = [r for r in resources if r["type"] == resource_type]
        if not chosen:
            continue
        parts += [
            f'<details class="attribution" data-type="{resource_type}">',
            f"<summary>{TYPE_LABELS[resource_type]} "
            f'(<span class="count">{len(chosen)}</span>)</summary>',
            "<table>",
            f'<caption class="sr-only">{TYPE_LABELS[resource_type]} and the Istio objects behind '
            "them</caption>",
            "<thead><tr>"
            + "".join(
                f'<th scope="col">{h}</th>'
                for h in ("Resource", "Istio object", "Rule", "Where", "Evidence")
            )
            + "</tr></thead>",
        ]
        parts += [_resource_rows(resource) for resource in chosen]
        parts += ["</table>", "</details>"]
    parts.append(f'<p class="muted">{counted(len(resources), "resource")} in all.</p>')
    return parts


def _resource_rows(resource: dict[str, Any]) -> str:
    sources: list[dict[str, Any] | None] = list(resource["sources"]) or [None]
    rows = []
    for n, source in enumerate(sources):
        head = ""
        if n == 0:
            span = f' rowspan="{len(sources)}"' if len(sources) > 1 else ""
            head = f'<th scope="rowgroup"{span}>{_code(resource["id"])}</th>'
        rows.append(f"<tr>{head}{_source_cells(source)}</tr>")
    return "<tbody>" + "".join(rows) + "</tbody>"


def _source_cells(source: dict[str, Any] | None) -> str:
    if source is None:
        return '<td class="unattributed">unattributed</td><td></td><td></td><td></td>'
    evidence = _e(source["evidence"])
    if source.get("in_inputs") is False:
        evidence += " (YAML not given)"
    if source.get("note"):
        evidence += f'<br><span class="muted">{_e(source["note"])}</span>'
    path = _code(source["path"]) if source.get("path") else ""
    at = _code(where(source)) if where(source) else ""
    return f"<td>{_code(source['ref'])}</td><td>{path}</td><td>{at}</td><td>{evidence}</td>"
