"""Clusters and endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from meshgen.blocks import (
    ADS,
    DEFAULT_CB,
    LOCALITY_LB,
    MX_FILTERS,
    SDS_DEFAULT,
    SDS_ROOTCA,
    TLS_DISABLED,
    TLS_PARAMS,
    _address,
    _config_path,
    _updated,
)
from meshgen.model import External, Mesh, Pod, Port, Service
from meshgen.shape import (
    CLA_T,
    CLUSTER_T,
    HTTP_OPTS_KEY,
    HTTP_OPTS_T,
    PUSH_VERSION,
    REGION,
    TRUST_DOMAIN,
    T,
)


def _cluster_name(port: int, subset: str | None, host: str) -> str:
    return f"outbound|{port}|{subset or ''}|{host}"


def _outbound_cluster(svc: Service, port: Port, subset: str | None) -> dict[str, Any]:
    name = _cluster_name(port.number, subset, svc.fqdn)
    pol = svc.policy
    c: dict[str, Any] = {
        "@type": CLUSTER_T,
        "name": name,
        "type": "EDS",
        "eds_cluster_config": {"eds_config": ADS, "service_name": name},
        "connect_timeout": pol.connect_timeout if pol else "10s",
    }
    lb = pol.lb if pol else "LEAST_REQUEST"
    if lb != "ROUND_ROBIN":  # proto3 default enum value is omitted from JSON
        c["lb_policy"] = lb
    if pol:
        c["circuit_breakers"] = {
            "thresholds": [
                {
                    "max_connections": pol.max_connections,
                    "max_pending_requests": pol.http1_max_pending,
                    "max_requests": pol.http2_max_requests,
                    "max_retries": pol.max_retries,
                    "track_remaining": True,
                }
            ]
        }
        c["outlier_detection"] = {
            "consecutive_5xx": pol.consecutive_5xx,
            "interval": pol.interval,
            "base_ejection_time": pol.base_ejection_time,
            "max_ejection_percent": pol.max_ejection_percent,
            "enforcing_consecutive_5xx": 100,
            "enforcing_success_rate": 0,
        }
    else:
        c["circuit_breakers"] = DEFAULT_CB
    istio_md: dict[str, Any] = {
        "services": [{"host": svc.fqdn, "name": svc.name, "namespace": svc.namespace}]
    }
    if svc.dr_name:
        istio_md["config"] = _config_path("destination-rule", svc.namespace, svc.dr_name)
    if subset:
        istio_md["subset"] = subset
    c["metadata"] = {"filter_metadata": {"istio": istio_md}}
    c["common_lb_config"] = LOCALITY_LB
    opts: dict[str, Any] = {}
    if pol and port.is_http:
        opts["common_http_protocol_options"] = {
            "idle_timeout": pol.idle_timeout,
            "max_requests_per_connection": pol.max_requests_per_connection,
        }
    if port.protocol == "GRPC":
        opts["explicit_http_config"] = {"http2_protocol_options": {}}
    elif opts:
        opts["explicit_http_config"] = {"http_protocol_options": {}}
    if opts:
        c["typed_extension_protocol_options"] = {HTTP_OPTS_KEY: {"@type": HTTP_OPTS_T, **opts}}
    c["filters"] = MX_FILTERS
    c["transport_socket_matches"] = [
        {
            "name": "tlsMode-istio",
            "match": {"tlsMode": "istio"},
            "transport_socket": {
                "name": "envoy.transport_sockets.tls",
                "typed_config": {
                    "@type": T + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                    "common_tls_context": {
                        "tls_params": TLS_PARAMS,
                        "alpn_protocols": ["istio-peer-exchange", "istio"],
                        "tls_certificate_sds_secret_configs": [SDS_DEFAULT],
                        "combined_validation_context": {
                            "default_validation_context": {
                                "match_subject_alt_names": [
                                    {
                                        "exact": f"spiffe://{TRUST_DOMAIN}/ns/{svc.namespace}/sa/default"
                                    }
                                ]
                            },
                            "validation_context_sds_secret_config": SDS_ROOTCA,
                        },
                    },
                    "sni": f"outbound_.{port.number}_.{subset or ''}_.{svc.fqdn}",
                },
            },
        },
        TLS_DISABLED,
    ]
    return c


def _external_cluster(ext: External) -> dict[str, Any]:
    name = _cluster_name(443, None, ext.host)
    return {
        "@type": CLUSTER_T,
        "name": name,
        "type": "STRICT_DNS",
        "connect_timeout": "10s",
        "lb_policy": "LEAST_REQUEST",
        "circuit_breakers": DEFAULT_CB,
        "dns_refresh_rate": "60s",
        "respect_dns_ttl": True,
        "dns_lookup_family": "V4_ONLY",
        "metadata": {
            "filter_metadata": {
                "istio": {
                    "external": True,
                    "services": [{"host": ext.host, "name": ext.host, "namespace": ext.namespace}],
                }
            }
        },
        "common_lb_config": LOCALITY_LB,
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [
                {
                    "locality": {},
                    "lb_endpoints": [
                        {
                            "endpoint": {"address": _address(ext.host, 443)},
                            "load_balancing_weight": 1,
                        }
                    ],
                    "load_balancing_weight": 1,
                }
            ],
        },
    }


def _passthrough_cluster(name: str, inbound: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "@type": CLUSTER_T,
        "name": name,
        "type": "ORIGINAL_DST",
        "connect_timeout": "10s",
        "lb_policy": "CLUSTER_PROVIDED",
        "circuit_breakers": DEFAULT_CB,
    }
    if inbound:
        c["upstream_bind_config"] = {"source_address": {"address": "127.0.0.6", "port_value": 0}}
    c["typed_extension_protocol_options"] = {
        HTTP_OPTS_KEY: {
            "@type": HTTP_OPTS_T,
            "common_http_protocol_options": {"idle_timeout": "300s"},
            "use_downstream_protocol_config": {
                "http_protocol_options": {},
                "http2_protocol_options": {},
            },
        }
    }
    if not inbound:
        c["filters"] = MX_FILTERS
    return c


def _inbound_cluster(mesh: Mesh, port: Port) -> dict[str, Any]:
    svc = mesh.proxy
    return {
        "@type": CLUSTER_T,
        "name": f"inbound|{port.target}||",
        "type": "ORIGINAL_DST",
        "connect_timeout": "10s",
        "lb_policy": "CLUSTER_PROVIDED",
        "circuit_breakers": DEFAULT_CB,
        "upstream_bind_config": {"source_address": {"address": "127.0.0.6", "port_value": 0}},
        "metadata": {
            "filter_metadata": {
                "istio": {
                    "services": [{"host": svc.fqdn, "name": svc.name, "namespace": svc.namespace}]
                }
            }
        },
        "common_lb_config": {},
    }


@dataclass(frozen=True)
class ClusterSpec:
    name: str
    kind: str  # outbound, external, inbound, blackhole, passthrough, inbound-passthrough
    svc: Service | None = None
    port: Port | None = None
    subset: str | None = None
    ext: External | None = None


def cluster_specs(mesh: Mesh) -> list[ClusterSpec]:
    """All dynamic clusters, sorted by name like Envoy's dump."""
    specs = [
        ClusterSpec("BlackHoleCluster", "blackhole"),
        ClusterSpec("PassthroughCluster", "passthrough"),
        ClusterSpec("InboundPassthroughCluster", "inbound-passthrough"),
    ]
    specs.extend(
        ClusterSpec(f"inbound|{port.target}||", "inbound", port=port) for port in mesh.proxy.ports
    )
    specs.extend(
        ClusterSpec(_cluster_name(port.number, subset, svc.fqdn), "outbound", svc, port, subset)
        for svc in mesh.services
        for port in svc.ports
        for subset in (None, *svc.subsets)
    )
    specs.extend(
        ClusterSpec(_cluster_name(443, None, ext.host), "external", ext=ext)
        for ext in mesh.externals
    )
    specs.sort(key=lambda s: s.name)
    return specs


def _build_cluster(mesh: Mesh, spec: ClusterSpec) -> dict[str, Any]:
    if spec.kind == "outbound":
        assert spec.svc is not None and spec.port is not None
        return _outbound_cluster(spec.svc, spec.port, spec.subset)
    if spec.kind == "external":
        assert spec.ext is not None
        return _external_cluster(spec.ext)
    if spec.kind == "inbound":
        assert spec.port is not None
        return _inbound_cluster(mesh, spec.port)
    if spec.kind == "blackhole":
        return {"@type": CLUSTER_T, "name": spec.name, "type": "STATIC", "connect_timeout": "10s"}
    return _passthrough_cluster(spec.name, inbound=spec.kind == "inbound-passthrough")


def _iter_dynamic_clusters(mesh: Mesh, specs: list[ClusterSpec]) -> Iterator[dict[str, Any]]:
    for k, spec in enumerate(specs):
        yield {
            "version_info": PUSH_VERSION,
            "cluster": _build_cluster(mesh, spec),
            "last_updated": _updated(k),
        }


def _lb_endpoint(pod: Pod, svc: Service, port: int) -> dict[str, Any]:
    return {
        "endpoint": {"address": _address(pod.ip, port), "health_check_config": {}},
        "health_status": "HEALTHY",
        "metadata": {
            "filter_metadata": {
                "envoy.transport_socket_match": {"tlsMode": "istio"},
                "istio": {
                    "workload": (
                        f"{pod.deployment};{svc.namespace};{svc.name};{pod.version};Kubernetes"
                    )
                },
            }
        },
        "load_balancing_weight": 1,
    }


def _endpoint_config(spec: ClusterSpec) -> dict[str, Any]:
    cla: dict[str, Any] = {"@type": CLA_T, "cluster_name": spec.name}
    if spec.kind == "outbound":
        assert spec.svc is not None and spec.port is not None
        svc, port = spec.svc, spec.port
        by_zone: dict[str, list[dict[str, Any]]] = {}
        for pod in svc.pods_for(spec.subset):
            by_zone.setdefault(pod.zone, []).append(_lb_endpoint(pod, svc, port.target))
        cla["endpoints"] = [
            {
                "locality": {"region": REGION, "zone": zone},
                "lb_endpoints": eps,
                "load_balancing_weight": len(eps),
            }
            for zone, eps in sorted(by_zone.items())
        ]
    elif spec.kind == "external":
        assert spec.ext is not None
        cla["endpoints"] = [
            {
                "locality": {},
                "lb_endpoints": [
                    {
                        "endpoint": {
                            "address": _address(ip, 443),
                            "health_check_config": {},
                            "hostname": spec.ext.host,
                        },
                        "health_status": "HEALTHY",
                        "load_balancing_weight": 1,
                    }
                    for ip in spec.ext.addresses
                ],
                "load_balancing_weight": len(spec.ext.addresses),
            }
        ]
    cla["policy"] = {"overprovisioning_factor": 140}
    return {"endpoint_config": cla}


def _iter_endpoint_configs(specs: list[ClusterSpec]) -> Iterator[dict[str, Any]]:
    for spec in specs:
        yield _endpoint_config(spec)
