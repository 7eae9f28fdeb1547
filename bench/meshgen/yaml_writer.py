"""Istio / Kubernetes YAML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from meshgen.model import HttpRule, Mesh, Service
from meshgen.shape import NETWORKING_API


def _yaml_docs(mesh: Mesh) -> Iterator[dict[str, Any]]:
    for ns in mesh.namespaces:
        yield {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"istio-injection": "enabled"}},
        }
    ext_by_service = {ext.index: ext for ext in mesh.externals}
    for svc in mesh.services:
        meta = {"name": svc.name, "namespace": svc.namespace, "labels": {"app": svc.name}}
        yield {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta,
            "spec": {
                "type": "ClusterIP",
                "clusterIP": svc.cluster_ip,
                "selector": {"app": svc.name},
                "ports": [
                    {"name": p.name, "port": p.number, "targetPort": p.target, "protocol": "TCP"}
                    for p in svc.ports
                ],
            },
        }
        for version, replicas in zip(svc.versions, svc.replicas, strict=True):
            labels = {"app": svc.name, "version": version}
            yield {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {
                    "name": f"{svc.name}-{version}",
                    "namespace": svc.namespace,
                    "labels": labels,
                },
                "spec": {
                    "replicas": replicas,
                    "selector": {"matchLabels": labels},
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "containers": [
                                {
                                    "name": svc.name,
                                    "image": _image(svc, version),
                                    "ports": [{"containerPort": p.target} for p in svc.ports],
                                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                                }
                            ]
                        },
                    },
                },
            }
        pol = svc.policy
        if svc.dr_name and pol:
            dr: dict[str, Any] = {
                "apiVersion": NETWORKING_API,
                "kind": "DestinationRule",
                "metadata": {"name": svc.dr_name, "namespace": svc.namespace},
                "spec": {
                    "host": svc.fqdn,
                    "trafficPolicy": {
                        "loadBalancer": {"simple": pol.lb},
                        "connectionPool": {
                            "tcp": {
                                "maxConnections": pol.max_connections,
                                "connectTimeout": pol.connect_timeout,
                            },
                            "http": {
                                "http1MaxPendingRequests": pol.http1_max_pending,
                                "http2MaxRequests": pol.http2_max_requests,
                                "maxRequestsPerConnection": pol.max_requests_per_connection,
                                "maxRetries": pol.max_retries,
                                "idleTimeout": pol.idle_timeout,
                            },
                        },
                        "outlierDetection": {
                            "consecutive5xxErrors": pol.consecutive_5xx,
                            "interval": pol.interval,
                            "baseEjectionTime": pol.base_ejection_time,
                            "maxEjectionPercent": pol.max_ejection_percent,
                        },
                    },
                },
            }
            if svc.subsets:
                dr["spec"]["subsets"] = [{"name": s, "labels": {"version": s}} for s in svc.subsets]
            yield dr
        if svc.rules:
            yield {
                "apiVersion": NETWORKING_API,
                "kind": "VirtualService",
                "metadata": {"name": svc.vs_name, "namespace": svc.namespace},
                "spec": {"hosts": [svc.vs_host], "http": [_yaml_rule(svc, r) for r in svc.rules]},
            }
        ext = ext_by_service.get(svc.index)
        if ext:
            yield {
                "apiVersion": NETWORKING_API,
                "kind": "ServiceEntry",
                "metadata": {"name": ext.name, "namespace": ext.namespace},
                "spec": {
                    "hosts": [ext.host],
                    "location": "MESH_EXTERNAL",
                    "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}],
                    "resolution": "DNS",
                },
            }


def _image(svc: Service, version: str) -> str:
    app = svc.name.rsplit("-", 1)[0]
    return f"registry.example.com/shop/{app}:1.{svc.index % 9}.{version[1:]}"


def _yaml_rule(svc: Service, rule: HttpRule) -> dict[str, Any]:
    out: dict[str, Any] = {"name": rule.name}
    if rule.match == "header":
        out["match"] = [{"headers": {rule.value: {"exact": "true"}}}]
    elif rule.match == "prefix":
        out["match"] = [{"uri": {"prefix": rule.value}}]
    elif rule.match == "exact":
        out["match"] = [{"uri": {"exact": rule.value}}]
    routes = []
    for d in rule.destinations:
        dest: dict[str, Any] = {"host": svc.vs_host}
        if d.subset:
            dest["subset"] = d.subset
        if svc.vs_port:
            dest["port"] = {"number": svc.vs_port}
        entry: dict[str, Any] = {"destination": dest}
        if len(rule.destinations) > 1:
            entry["weight"] = d.weight
        routes.append(entry)
    out["route"] = routes
    if rule.timeout:
        out["timeout"] = rule.timeout
    if rule.retries:
        attempts, per_try, retry_on = rule.retries
        out["retries"] = {"attempts": attempts, "perTryTimeout": per_try, "retryOn": retry_on}
    return out


# PyYAML's representer is pure Python even with libyaml (it was ~70% of the run time at
# 10k services), so the documents are written by this small block-style emitter instead. Its
# output is the same shape kubectl/PyYAML produce; tests check it loads back to the same data.
_PLAIN = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./:,@=+-]*")
_RESOLVER: Any = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
_scalar_cache: dict[str, str] = {}


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict | list):
        if value:
            raise ValueError("only empty collections can be written inline")
        return "{}" if isinstance(value, dict) else "[]"
    text = str(value)
    cached = _scalar_cache.get(text)
    if cached is None:
        plain = (
            _PLAIN.fullmatch(text) is not None
            and not text.endswith(":")
            and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR_TAG
        )
        cached = text if plain else "'" + text.replace("'", "''") + "'"
        _scalar_cache[text] = cached
    return cached


def _yaml_block(value: Any, indent: int, lines: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            k = _yaml_scalar(key)
            if isinstance(item, dict) and item:
                lines.append(f"{pad}{k}:")
                _yaml_block(item, indent + 2, lines)
            elif isinstance(item, list) and item:
                lines.append(f"{pad}{k}:")
                _yaml_block(item, indent, lines)  # "- " at the key's indent, like kubectl
            else:
                lines.append(f"{pad}{k}: {_yaml_scalar(item)}")
        return
    for item in value:
        if isinstance(item, dict | list) and item:
            sub: list[str] = []
            _yaml_block(item, indent + 2, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
            lines.extend(sub)
        else:
            lines.append(f"{pad}- {_yaml_scalar(item)}")


def yaml_document(doc: dict[str, Any]) -> str:
    """One ``---``-prefixed YAML document for ``doc`` (dicts, lists, str, int, bool)."""
    lines = ["---"]
    _yaml_block(doc, 0, lines)
    lines.append("")
    return "\n".join(lines)


def write_yaml(mesh: Mesh, path: Path) -> dict[str, int]:
    kinds: dict[str, int] = {}
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for doc in _yaml_docs(mesh):
            kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
            out.write(yaml_document(doc))
    return kinds
