"""Routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshgen.blocks import DEFAULT_RETRY, PREVIOUS_HOSTS, _config_path, _updated
from meshgen.clusters import _cluster_name
from meshgen.listeners import _http_ports, _inbound_route_config
from meshgen.model import HttpRule, Mesh, Service
from meshgen.shape import PUSH_VERSION, ROUTE_T


def _domains(mesh: Mesh, svc: Service) -> list[str]:
    d = [svc.fqdn]
    if svc.namespace == mesh.proxy.namespace:
        d.append(svc.name)
    d += [f"{svc.name}.{svc.namespace}", f"{svc.name}.{svc.namespace}.svc", svc.cluster_ip]
    return d


def _default_route(svc: Service, port: int) -> dict[str, Any]:
    return {
        "match": {"prefix": "/"},
        "route": {
            "cluster": _cluster_name(port, None, svc.fqdn),
            "timeout": "0s",
            "retry_policy": DEFAULT_RETRY,
            "max_grpc_timeout": "0s",
        },
        "decorator": {"operation": f"{svc.fqdn}:{port}/*"},
        "name": "default",
    }


def _vs_route(
    svc: Service, rule: HttpRule, listener_port: int, vs_md: dict[str, Any]
) -> dict[str, Any]:
    dest_port = svc.vs_port or listener_port
    match: dict[str, Any]
    if rule.match == "header":
        match = {
            "prefix": "/",
            "case_sensitive": True,
            "headers": [{"name": rule.value, "string_match": {"exact": "true"}}],
        }
        path = "/*"
    elif rule.match == "prefix":
        match = {"prefix": rule.value, "case_sensitive": True}
        path = rule.value + "*"
    elif rule.match == "exact":
        match = {"path": rule.value, "case_sensitive": True}
        path = rule.value
    else:
        match = {"prefix": "/"}
        path = "/*"
    timeout = rule.timeout or "0s"
    action: dict[str, Any]
    if len(rule.destinations) == 1:
        cluster = _cluster_name(dest_port, rule.destinations[0].subset, svc.fqdn)
        action = {"cluster": cluster, "timeout": timeout}
        operation = f"{svc.fqdn}:{dest_port}{path}"
    else:
        action = {
            "weighted_clusters": {
                "clusters": [
                    {"name": _cluster_name(dest_port, d.subset, svc.fqdn), "weight": d.weight}
                    for d in rule.destinations
                ]
            },
            "timeout": timeout,
        }
        operation = f"{svc.vs_name}:{listener_port}{path}"
    if rule.retries:
        attempts, per_try, retry_on = rule.retries
        retry: dict[str, Any] = {
            "retry_on": retry_on,
            "num_retries": attempts,
            "per_try_timeout": per_try,
            "retry_host_predicate": PREVIOUS_HOSTS,
            "host_selection_retry_max_attempts": "5",
        }
        if "retriable-status-codes" in retry_on:
            retry["retriable_status_codes"] = [503]
        action["retry_policy"] = retry
    else:
        action["retry_policy"] = DEFAULT_RETRY
    action["max_grpc_timeout"] = timeout
    return {
        "match": match,
        "route": action,
        "metadata": vs_md,
        "decorator": {"operation": operation},
        "name": rule.name,
    }


def _vhost(mesh: Mesh, svc: Service, port: int) -> dict[str, Any]:
    if svc.rules:
        vs_md = {
            "filter_metadata": {
                "istio": {
                    "config": _config_path("virtual-service", svc.namespace, svc.vs_name or "")
                }
            }
        }
        routes = [_vs_route(svc, rule, port, vs_md) for rule in svc.rules]
    else:
        routes = [_default_route(svc, port)]
    return {
        "name": f"{svc.fqdn}:{port}",
        "domains": _domains(mesh, svc),
        "routes": routes,
        "include_request_attempt_count": True,
    }


ALLOW_ANY_VHOST = {
    "name": "allow_any",
    "domains": ["*"],
    "routes": [
        {
            "match": {"prefix": "/"},
            "route": {"cluster": "PassthroughCluster", "timeout": "0s", "max_grpc_timeout": "0s"},
            "name": "allow_any",
        }
    ],
    "include_request_attempt_count": True,
}


def _route_config(mesh: Mesh, port: int) -> dict[str, Any]:
    vhosts = [
        _vhost(mesh, svc, port)
        for svc in mesh.services
        if any(p.number == port and p.is_http for p in svc.ports)
    ]
    vhosts.append(ALLOW_ANY_VHOST)
    return {
        "@type": ROUTE_T,
        "name": str(port),
        "virtual_hosts": vhosts,
        "validate_clusters": False,
        "max_direct_response_body_size_bytes": 1048576,
        "ignore_port_in_host_matching": True,
    }


def _iter_dynamic_routes(mesh: Mesh) -> Iterator[dict[str, Any]]:
    for k, port in enumerate(_http_ports(mesh)):
        yield {
            "version_info": PUSH_VERSION,
            "route_config": _route_config(mesh, port),
            "last_updated": _updated(k),
        }


def _static_routes(mesh: Mesh) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [
        {
            "route_config": {"@type": ROUTE_T, **_inbound_route_config(mesh, port)},
            "last_updated": _updated(2),
        }
        for port in mesh.proxy.ports
        if port.is_http
    ]
    out.append(
        {
            "route_config": {
                "@type": ROUTE_T,
                "name": "InboundPassthroughCluster",
                "virtual_hosts": [
                    {
                        "name": "inbound|http|0",
                        "domains": ["*"],
                        "routes": [
                            {
                                "match": {"prefix": "/"},
                                "route": {
                                    "cluster": "InboundPassthroughCluster",
                                    "timeout": "0s",
                                    "max_stream_duration": {
                                        "max_stream_duration": "0s",
                                        "grpc_timeout_header_max": "0s",
                                    },
                                },
                                "decorator": {"operation": ":0/*"},
                                "name": "default",
                            }
                        ],
                    }
                ],
                "validate_clusters": False,
            },
            "last_updated": _updated(2),
        }
    )
    for cluster, path in (("agent", "/healthz/ready"), ("prometheus_stats", "/stats/prometheus")):
        out.append(
            {
                "route_config": {
                    "@type": ROUTE_T,
                    "virtual_hosts": [
                        {
                            "name": "backend",
                            "domains": ["*"],
                            "routes": [{"match": {"prefix": path}, "route": {"cluster": cluster}}],
                        }
                    ],
                },
                "last_updated": _updated(1),
            }
        )
    return out
