"""The main job, end to end: load -> attribute -> check -> one report-shaped dict.

Every output format renders the dict ``report_data`` returns (its shape is
``analyzer.report.schema.Report``), so all formats say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from analyzer import __version__
from analyzer.attribution.chain import ResourceGraph
from analyzer.attribution.coverage import REPORTED_TYPES, coverage
from analyzer.attribution.engine import attribute
from analyzer.attribution.model import Attribution, Resource, source_record
from analyzer.checks.model import Finding
from analyzer.checks.runner import Settings, run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio_pending
from analyzer.load.namespaces import with_default_namespace
from analyzer.load.source import gc_paused
from analyzer.load.yaml_ahead import YamlAhead, read_ahead_for
from analyzer.model.istio import IstioConfig
from analyzer.report.schema_version import SCHEMA_VERSION

Progress = Callable[[str], None]


@dataclass
class Analysis:
    """Everything one run produced."""

    dumps: list[str]
    configs: list[str]
    config: IstioConfig | None
    attributions: list[Attribution]
    findings: list[Finding]


def _quiet(_: str) -> None:
    return None


def analyze(
    dumps: Sequence[str],
    configs: Sequence[str] = (),
    namespace: str = "",
    settings: Settings | None = None,
    progress: Progress = _quiet,
    ahead: YamlAhead | None = None,
) -> Analysis:
    """Load the captures and YAML, attribute every resource, run the checks.

    ``ahead`` is the process ``read_ahead_for(configs, dumps)`` started (the CLI starts it
    before importing this module); one is started here when not given, and closed here.
    """
    # The YAML is parsed in a second process while this one loads the captures; the capture's
    # endpoints, which nothing needs before the checks, are read by whichever process has time.
    if ahead is None:
        ahead = read_ahead_for(configs, dumps)
    endpoints_ahead = ahead.endpoints if ahead is not None else None
    try:
        progress(f"reading {len(dumps)} capture(s)")
        proxies = load_proxies(list(dumps), endpoints_ahead)
        config = None
        pending = None
        if configs:
            progress(f"reading Istio YAML from {len(configs)} path(s)")
            loaded, pending = load_istio_pending(list(configs), ahead=ahead)
            config = with_default_namespace(loaded, namespace)
        if endpoints_ahead is not None:
            endpoints_ahead.release()  # unless read while waiting for the YAML
        # Attribution and the checks build hundreds of thousands of small objects (and no
        # cycles): with the collector running, each full pass would rescan all of them again.
        with gc_paused():
            attributions = []
            for proxy in proxies:
                progress(f"attributing {proxy.name}")
                attributions.append(attribute(proxy, config))
            if pending is not None and config is not None:
                config = pending.complete(config)  # the schema problems, found meanwhile
            progress("running checks")
            fill = None if endpoints_ahead is None else lambda: endpoints_ahead.fill(proxies)
            findings = run_checks(config, attributions, settings, fill)
        if ahead is not None:
            ahead.seed_lines()  # the lines the report cites, looked up by the YAML's process
    finally:
        if ahead is not None:
            ahead.close()
    return Analysis(list(dumps), list(configs), config, attributions, findings)


def finding_data(finding: Finding) -> dict[str, Any]:
    """A finding in the report's shape."""
    source = finding.source
    out: dict[str, Any] = {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity.value,
        "message": finding.message,
        "resource": finding.resource,
        "source": None
        if source is None
        else {"ref": source.ref, "path": source.path, "file": source.file, "line": source.line},
    }
    for key in ("expected", "found", "symptom"):
        value = getattr(finding, key)
        if value is not None:
            out[key] = value
    return out


def _counts(findings: list[Finding]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for finding in findings:
        counts[finding.severity.value] += 1
    return counts


def report_data(analysis: Analysis) -> dict[str, Any]:
    """The report as plain data, deterministic: sorted findings, resources in a stable order."""
    with gc_paused():  # a dict per resource and source: nothing for the collector to find
        return _report_data(analysis)


def _report_data(analysis: Analysis) -> dict[str, Any]:
    by_proxy: dict[str, list[Finding]] = {}
    unowned: list[Finding] = []
    for finding in analysis.findings:
        if finding.proxy is None:
            unowned.append(finding)
        else:
            by_proxy.setdefault(finding.proxy, []).append(finding)
    proxies = []
    for attribution in analysis.attributions:
        proxy = attribution.proxy
        cov = coverage(attribution)
        findings = by_proxy.get(proxy.name, [])
        graph = ResourceGraph(attribution) if findings else None
        proxies.append(
            {
                **proxy.identity(),
                "resources": _resources_data(attribution),
                "findings": [_with_chain(finding_data(f), graph) for f in findings],
                "summary": {
                    "resources": cov.total.resources,
                    "attributed": cov.total.attributed,
                    "defaults": cov.total.defaults,
                    "inferred": cov.total.inferred,
                    "unattributed": cov.total.unattributed,
                    "drift_checked": analysis.config is not None,
                    "findings": _counts(findings),
                },
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "meshlens", "version": __version__},
        "inputs": list(analysis.configs),
        "proxies": proxies,
        "findings": [finding_data(f) for f in unowned],
    }


_resource_id = attrgetter("id")


def _resources_data(attribution: Attribution) -> list[dict[str, Any]]:
    """The reported resources, by type (in ``REPORTED_TYPES`` order) then id, with sources.

    One Source (a Service port, say) explains many resources of a large mesh: its record is
    made once and shared by all of them.
    """
    by_type: dict[str, list[Resource]] = {resource_type: [] for resource_type in REPORTED_TYPES}
    for resource in attribution.resources:
        group = by_type.get(resource.type)
        if group is not None:
            group.append(resource)
    sources_of = attribution.sources.get
    records: dict[int, dict[str, Any]] = {}
    record_of = records.get
    out: list[dict[str, Any]] = []
    append = out.append
    # Tens of thousands of resources: one flat loop, no call per resource.
    for group in by_type.values():
        group.sort(key=_resource_id)
        for resource in group:
            resource_id = resource.id
            sources = sources_of(resource_id)
            listed = []
            if sources:
                for source in sources:
                    record = record_of(id(source))
                    if record is None:
                        record = records[id(source)] = source_record(source)
                    listed.append(record)
            append({"id": resource_id, "type": resource.type, "sources": listed})
    return out


def _with_chain(data: dict[str, Any], graph: ResourceGraph | None) -> dict[str, Any]:
    """Add the resource chain (listener ... resource ... clusters) a finding sits in."""
    resource_id = data.get("resource")
    if graph is None or not resource_id or resource_id not in graph.by_id:
        return data
    paths = graph.upstream_paths(resource_id, limit=1)
    chain = paths[0] if paths else [resource_id]
    below = graph.downstream(resource_id, depth=3)
    chain += [c.resource.id for c in below.children if c.resource.type == "cluster"]
    chain += [missing for missing in below.missing if missing.startswith("cluster/")]
    if len(chain) > 1:
        data["chain"] = chain
    return data
