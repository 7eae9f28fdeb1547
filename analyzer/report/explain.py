"""``meshlens explain``: one resource's chain up and down, or everything one Istio object made."""

from __future__ import annotations

from typing import Any

from analyzer.attribution.chain import Node, ResourceGraph
from analyzer.attribution.model import Attribution, Resource, Source, source_record
from analyzer.errors import UsageError
from analyzer.model.envoy import Cluster, FilterChain, Listener, Route, RouteConfig, VirtualHost
from analyzer.model.istio import IstioObject
from analyzer.report.excerpt import yaml_excerpt


def source_dict(source: Source, with_yaml: bool = False) -> dict[str, Any]:
    """A source as plain data (the report's ``sources[]`` shape)."""
    out = source_record(source)
    if with_yaml and source.file and source.line:
        start = source.rule_line or source.line
        out["yaml"] = [f"{n:>4}  {text}" for n, text in yaml_excerpt(source.file, start)]
    return out


def summarize(resource: Resource) -> str:
    """One line saying what the resource is."""
    obj = resource.obj
    if isinstance(obj, Listener):
        where = f"{obj.address}:{obj.port}" if obj.port is not None else obj.address or "-"
        return f"{where}, {len(obj.all_chains)} filter chain(s)"
    if isinstance(obj, FilterChain):
        return _chain_summary(obj)
    if isinstance(obj, RouteConfig):
        where = f", inline in {obj.inline_in}" if obj.inline_in else ""
        return f"{len(obj.virtual_hosts)} virtual host(s){where}"
    if isinstance(obj, VirtualHost):
        domains = ", ".join(obj.domains[:6]) + (" ..." if len(obj.domains) > 6 else "")
        return f"domains {domains}; {len(obj.routes)} route(s)"
    if isinstance(obj, Route):
        return _route_summary(obj)
    if isinstance(obj, Cluster):
        return f"{obj.discovery_type}, lb {obj.lb_policy}, tls {obj.tls_mode}"
    return resource.status


def _chain_summary(chain: FilterChain) -> str:
    match = chain.match
    parts = []
    if match.destination_port is not None:
        parts.append(f"port {match.destination_port}")
    if match.server_names:
        parts.append("SNI " + ",".join(match.server_names))
    if match.transport_protocol:
        parts.append(match.transport_protocol)
    if match.application_protocols:
        parts.append("ALPN " + ",".join(match.application_protocols))
    condition = "; ".join(parts) or "all connections"
    if chain.rds_name is not None:
        target = f"RDS {chain.rds_name}"
    elif chain.inline_route_config is not None:
        target = f"inline routes {chain.inline_route_config or '(unnamed)'}"
    elif chain.tcp_cluster:
        target = f"tcp_proxy -> {chain.tcp_cluster}"
    elif chain.tcp_weighted_clusters:
        target = "tcp_proxy -> " + ", ".join(
            f"{w.name} ({w.weight})" for w in chain.tcp_weighted_clusters
        )
    else:
        target = ", ".join(chain.filters) or "no filters"
    return f"{condition} -> {target}"


def _route_summary(route: Route) -> str:
    match = route.match
    condition = f"{match.kind} {match.value}" if match.value else match.kind
    if match.headers:
        condition += " with headers " + ", ".join(
            f"{h.name}{'!' if h.invert else ''}={h.kind}:{h.value}" for h in match.headers
        )
    if route.action == "route":
        if route.cluster:
            target = route.cluster
        elif route.weighted_clusters:
            target = ", ".join(f"{w.name} ({w.weight})" for w in route.weighted_clusters)
        else:
            target = f"cluster from header {route.cluster_header}"
        if route.prefix_rewrite is not None:
            target += f", rewrite {route.prefix_rewrite}"
    elif route.action == "redirect":
        target = "redirect"
    elif route.action == "direct_response":
        target = f"direct response {route.direct_response_status}"
    else:
        target = route.action
    return f"{condition} -> {target}"


def explain_resource(attribution: Attribution, resource_id: str) -> dict[str, Any]:
    """The explanation of one resource as plain data."""
    graph = ResourceGraph(attribution)
    resource = graph.by_id.get(resource_id)
    if resource is None:
        raise UsageError(_unknown_id_message(attribution, resource_id))
    below = graph.downstream(resource_id)
    return {
        "resource": _resource_dict(attribution, resource, with_yaml=True),
        "used_by": [
            [_resource_dict(attribution, graph.by_id[i]) for i in path if i in graph.by_id]
            for path in graph.upstream_paths(resource_id)
        ],
        "leads_to": [_node_dict(attribution, child) for child in below.children],
        "missing": below.missing,
        "endpoints": _endpoints(below),
    }


def _unknown_id_message(attribution: Attribution, resource_id: str) -> str:
    prefix = resource_id.split("/", 1)[0]
    close = [r.id for r in attribution.resources if r.id.startswith(prefix + "/")][:5]
    hint = f"; e.g. {', '.join(close)}" if close else ""
    return f"no resource {resource_id!r} in {attribution.proxy.name}{hint}"


def _resource_dict(
    attribution: Attribution, resource: Resource, with_yaml: bool = False
) -> dict[str, Any]:
    return {
        "id": resource.id,
        "type": resource.type,
        "status": resource.status,
        "summary": summarize(resource),
        "sources": [source_dict(s, with_yaml) for s in attribution.of(resource.id)],
    }


def _node_dict(attribution: Attribution, node: Node) -> dict[str, Any]:
    out = _resource_dict(attribution, node.resource)
    out["leads_to"] = [_node_dict(attribution, child) for child in node.children]
    if node.missing:
        out["missing"] = node.missing
    if isinstance(node.resource.obj, Cluster):
        out["endpoints"] = _endpoints(node)
    return out


def _endpoints(node: Node) -> list[dict[str, Any]]:
    return [
        {"address": e.address, "health": e.health, "locality": e.locality}
        for e in sorted(node.endpoints, key=lambda e: (e.address, e.priority))
    ]


# --- one Istio object ---------------------------------------------------------------------------


def rule_paths(obj: IstioObject) -> list[tuple[str, str]]:
    """(path, label) of every rule of an object that should produce something."""
    spec = obj.spec
    out: list[tuple[str, str]] = []

    def items(field: str) -> list[Any]:
        value = spec.get(field)
        return value if isinstance(value, list) else []

    if obj.kind == "VirtualService":
        out += [(f"spec.hosts[{k}]", f"host {h}") for k, h in enumerate(items("hosts"))]
        for i, rule in enumerate(items("http")):
            matches = rule.get("match") if isinstance(rule, dict) else None
            name = f" ({rule['name']})" if isinstance(rule, dict) and rule.get("name") else ""
            if isinstance(matches, list) and matches:
                out += [
                    (f"spec.http[{i}].match[{j}]", f"http rule {i}{name}, match {j}")
                    for j in range(len(matches))
                ]
            else:
                out.append((f"spec.http[{i}]", f"http rule {i}{name}"))
        out += [(f"spec.tls[{i}]", f"tls rule {i}") for i in range(len(items("tls")))]
        out += [(f"spec.tcp[{i}]", f"tcp rule {i}") for i in range(len(items("tcp")))]
    elif obj.kind == "DestinationRule":
        out.append(
            ("spec.trafficPolicy" if "trafficPolicy" in spec else "spec.host", "traffic policy")
        )
        out += [
            (f"spec.subsets[{k}]", f"subset {s.get('name') if isinstance(s, dict) else k}")
            for k, s in enumerate(items("subsets"))
        ]
    elif obj.kind == "Gateway":
        out += [(f"spec.servers[{i}]", _server_label(s)) for i, s in enumerate(items("servers"))]
    elif obj.kind in ("Service", "ServiceEntry"):
        out += [
            (
                f"spec.ports[{i}]",
                f"port {p.get('port', p.get('number')) if isinstance(p, dict) else i}",
            )
            for i, p in enumerate(items("ports"))
        ]
        if obj.kind == "ServiceEntry":
            out += [(f"spec.hosts[{k}]", f"host {h}") for k, h in enumerate(items("hosts"))]
    return out


def _server_label(server: Any) -> str:
    if not isinstance(server, dict):
        return "server"
    port = server.get("port")
    if not isinstance(port, dict):
        port = {}
    hosts = ",".join(str(h) for h in server.get("hosts") or ())
    return f"server {port.get('number', '?')}/{port.get('protocol', '?')} {hosts}"


def explain_object(attribution: Attribution, obj: IstioObject) -> dict[str, Any]:
    """Everything ``obj`` produced on this proxy, rule by rule, with rules that produced nothing."""
    ref = f"{obj.kind}/{obj.namespace}/{obj.name}"
    produced: dict[str | None, list[str]] = {}
    for resource in attribution.resources:
        for source in attribution.of(resource.id):
            if source.ref == ref:
                produced.setdefault(source.path, []).append(resource.id)
    rules = []
    for path, label in rule_paths(obj):
        ids = sorted({i for p, found in produced.items() if p and _within(p, path) for i in found})
        rules.append(
            {
                "path": path,
                "label": label,
                "line": obj.line_of(path),
                "resources": ids,
            }
        )
    other = sorted(
        {
            i
            for p, found in produced.items()
            if not any(_within(p or "", r[0]) for r in rule_paths(obj))
            for i in found
        }
    )
    return {
        "object": {"ref": ref, "file": obj.origin.file, "line": obj.origin.line},
        "rules": rules,
        "other_resources": other,
    }


def _within(path: str, rule: str) -> bool:
    return path == rule or path.startswith((rule + ".", rule + "["))
