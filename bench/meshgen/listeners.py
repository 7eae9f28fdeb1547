"""Listeners."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshgen.blocks import (
    ADS,
    FILE_ACCESS_LOG,
    HTTP_INSPECTOR,
    INBOUND_HTTP_FILTERS,
    ISTIO_STATS,
    NR_ACCESS_LOG,
    OUTBOUND_HTTP_FILTERS,
    ROUTER_FILTER,
    SDS_DEFAULT,
    SDS_ROOTCA,
    TLS_INSPECTOR,
    TLS_PARAMS,
    UUID_REQUEST_ID,
    _address,
    _config_path,
    _tcp_proxy,
    _tracing,
    _updated,
)
from meshgen.clusters import _cluster_name
from meshgen.model import Mesh, Port, Service
from meshgen.shape import HCM_T, LISTENER_T, PUSH_VERSION, TRUST_DOMAIN, T


def _http_ports(mesh: Mesh) -> list[int]:
    ports = {p.number for s in mesh.services for p in s.ports if p.is_http}
    return sorted(ports)


def _http_listener(mesh: Mesh, port: int) -> dict[str, Any]:
    name = f"0.0.0.0_{port}"
    chains = [
        {
            "filter_chain_match": {
                "transport_protocol": "raw_buffer",
                "application_protocols": ["http/1.1", "h2c"],
            },
            "filters": [
                {
                    "name": "envoy.filters.network.http_connection_manager",
                    "typed_config": {
                        "@type": HCM_T,
                        "stat_prefix": f"outbound_{name}",
                        "rds": {"config_source": ADS, "route_config_name": str(port)},
                        "http_filters": OUTBOUND_HTTP_FILTERS,
                        "tracing": _tracing(mesh),
                        "access_log": [FILE_ACCESS_LOG],
                        "use_remote_address": False,
                        "upgrade_configs": [{"upgrade_type": "websocket"}],
                        "stream_idle_timeout": "0s",
                        "normalize_path": True,
                        "request_id_extension": UUID_REQUEST_ID,
                        "path_with_escaped_slashes_action": "KEEP_UNCHANGED",
                    },
                }
            ],
        }
    ]
    return _wildcard_outbound(name, port, chains, [TLS_INSPECTOR, HTTP_INSPECTOR])


def _tcp_listener(svc: Service, port: Port) -> dict[str, Any]:
    cluster = _cluster_name(port.number, None, svc.fqdn)
    filters: list[dict[str, Any]] = [ISTIO_STATS, _tcp_proxy(cluster)]
    chain: dict[str, Any] = {"filters": filters}
    if svc.dr_name:
        chain["metadata"] = {
            "filter_metadata": {
                "istio": {"config": _config_path("destination-rule", svc.namespace, svc.dr_name)}
            }
        }
    return {
        "@type": LISTENER_T,
        "name": f"{svc.cluster_ip}_{port.number}",
        "address": _address(svc.cluster_ip, port.number),
        "filter_chains": [chain],
        "traffic_direction": "OUTBOUND",
        "access_log": [NR_ACCESS_LOG],
        "bind_to_port": False,
    }


def _tls_external_listener(mesh: Mesh) -> dict[str, Any]:
    chains = [
        {
            "filter_chain_match": {"server_names": [ext.host]},
            "filters": [ISTIO_STATS, _tcp_proxy(_cluster_name(443, None, ext.host))],
        }
        for ext in mesh.externals
    ]
    return _wildcard_outbound("0.0.0.0_443", 443, chains, [TLS_INSPECTOR])


def _wildcard_outbound(
    name: str, port: int, chains: list[dict[str, Any]], listener_filters: list[dict[str, Any]]
) -> dict[str, Any]:
    """A shared 0.0.0.0_<port> outbound listener, falling through to PassthroughCluster."""
    return {
        "@type": LISTENER_T,
        "name": name,
        "address": _address("0.0.0.0", port),
        "filter_chains": chains,
        "listener_filters": listener_filters,
        "listener_filters_timeout": "0s",
        "traffic_direction": "OUTBOUND",
        "continue_on_listener_filters_timeout": True,
        "access_log": [NR_ACCESS_LOG],
        "default_filter_chain": {
            "filter_chain_match": {},
            "filters": [ISTIO_STATS, _tcp_proxy("PassthroughCluster")],
            "name": "PassthroughFilterChain",
        },
        "bind_to_port": False,
    }


def _virtual_outbound() -> dict[str, Any]:
    return {
        "@type": LISTENER_T,
        "name": "virtualOutbound",
        "address": _address("0.0.0.0", 15001),
        "filter_chains": [
            {
                "filter_chain_match": {"destination_port": 15001},
                "filters": [ISTIO_STATS, _tcp_proxy("BlackHoleCluster", access_log=False)],
                "name": "virtualOutbound-blackhole",
            },
            {
                "filters": [ISTIO_STATS, _tcp_proxy("PassthroughCluster")],
                "name": "virtualOutbound-catchall-tcp",
            },
        ],
        "use_original_dst": True,
        "traffic_direction": "OUTBOUND",
        "access_log": [NR_ACCESS_LOG],
    }


def _downstream_tls() -> dict[str, Any]:
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": T + "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
            "common_tls_context": {
                "tls_params": {
                    **TLS_PARAMS,
                    "cipher_suites": [
                        "ECDHE-ECDSA-AES256-GCM-SHA384",
                        "ECDHE-RSA-AES256-GCM-SHA384",
                        "ECDHE-ECDSA-AES128-GCM-SHA256",
                        "ECDHE-RSA-AES128-GCM-SHA256",
                    ],
                },
                "alpn_protocols": ["h2", "http/1.1"],
                "tls_certificate_sds_secret_configs": [SDS_DEFAULT],
                "combined_validation_context": {
                    "default_validation_context": {
                        "match_subject_alt_names": [{"prefix": f"spiffe://{TRUST_DOMAIN}/"}]
                    },
                    "validation_context_sds_secret_config": SDS_ROOTCA,
                },
            },
            "require_client_certificate": True,
        },
    }


def _inbound_route_config(mesh: Mesh, port: Port) -> dict[str, Any]:
    cluster = f"inbound|{port.target}||"
    return {
        "name": cluster,
        "virtual_hosts": [
            {
                "name": f"inbound|http|{port.number}",
                "domains": ["*"],
                "routes": [
                    {
                        "match": {"prefix": "/"},
                        "route": {
                            "cluster": cluster,
                            "timeout": "0s",
                            "max_stream_duration": {
                                "max_stream_duration": "0s",
                                "grpc_timeout_header_max": "0s",
                            },
                        },
                        "decorator": {"operation": f"{mesh.proxy.fqdn}:{port.number}/*"},
                        "name": "default",
                    }
                ],
            }
        ],
        "validate_clusters": False,
    }


def _inbound_hcm(mesh: Mesh, port: Port) -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": HCM_T,
            "stat_prefix": f"inbound_0.0.0.0_{port.target}",
            "route_config": _inbound_route_config(mesh, port),
            "http_filters": INBOUND_HTTP_FILTERS,
            "tracing": _tracing(mesh),
            "server_name": "istio-envoy",
            "access_log": [FILE_ACCESS_LOG],
            "use_remote_address": False,
            "forward_client_cert_details": "APPEND_FORWARD",
            "set_current_client_cert_details": {"subject": True, "dns": True, "uri": True},
            "upgrade_configs": [{"upgrade_type": "websocket"}],
            "stream_idle_timeout": "0s",
            "normalize_path": True,
            "request_id_extension": UUID_REQUEST_ID,
            "path_with_escaped_slashes_action": "KEEP_UNCHANGED",
        },
    }


def _virtual_inbound(mesh: Mesh) -> dict[str, Any]:
    authn = {
        "name": "istio_authn",
        "typed_config": {
            "@type": T + "udpa.type.v1.TypedStruct",
            "type_url": T + "io.istio.network.authn.Config",
        },
    }
    chains: list[dict[str, Any]] = [
        {
            "filter_chain_match": {"destination_port": 15006},
            "filters": [ISTIO_STATS, _tcp_proxy("BlackHoleCluster", access_log=False)],
            "name": "virtualInbound-blackhole",
        },
        {
            "filter_chain_match": {"transport_protocol": "tls"},
            "filters": [authn, _tcp_proxy("InboundPassthroughCluster")],
            "transport_socket": _downstream_tls(),
            "name": "virtualInbound",
        },
        {
            "filter_chain_match": {"transport_protocol": "raw_buffer"},
            "filters": [_tcp_proxy("InboundPassthroughCluster")],
            "name": "virtualInbound",
        },
    ]
    for port in mesh.proxy.ports:
        chains.append(
            {
                "filter_chain_match": {
                    "destination_port": port.target,
                    "transport_protocol": "tls",
                    "application_protocols": ["istio-http/1.0", "istio-http/1.1", "istio-h2"],
                },
                "filters": [authn, _inbound_hcm(mesh, port)],
                "transport_socket": _downstream_tls(),
                "name": f"0.0.0.0_{port.target}",
            }
        )
        chains.append(
            {
                "filter_chain_match": {
                    "destination_port": port.target,
                    "transport_protocol": "raw_buffer",
                },
                "filters": [_inbound_hcm(mesh, port)],
                "name": f"0.0.0.0_{port.target}",
            }
        )
    return {
        "@type": LISTENER_T,
        "name": "virtualInbound",
        "address": _address("0.0.0.0", 15006),
        "filter_chains": chains,
        "listener_filters": [
            {
                "name": "envoy.filters.listener.original_dst",
                "typed_config": {
                    "@type": T + "envoy.extensions.filters.listener.original_dst.v3.OriginalDst"
                },
            },
            {
                **TLS_INSPECTOR,
                "filter_disabled": {"destination_port_range": {"start": 15006, "end": 15007}},
            },
            {
                **HTTP_INSPECTOR,
                "filter_disabled": {"destination_port_range": {"start": 15006, "end": 15007}},
            },
        ],
        "listener_filters_timeout": "0s",
        "traffic_direction": "INBOUND",
        "continue_on_listener_filters_timeout": True,
        "access_log": [NR_ACCESS_LOG],
    }


def _listener_builders(mesh: Mesh) -> list[tuple[Any, ...]]:
    """Cheap descriptions of every dynamic listener, in dump order."""
    out: list[tuple[Any, ...]] = [
        ("tcp", svc, port) for svc in mesh.services for port in svc.ports if port.protocol == "TCP"
    ]
    out.extend(("http", port) for port in _http_ports(mesh))
    if mesh.externals:
        out.append(("tls-external",))
    out.append(("virtualOutbound",))
    out.append(("virtualInbound",))
    return out


def _iter_dynamic_listeners(mesh: Mesh) -> Iterator[dict[str, Any]]:
    for k, spec in enumerate(_listener_builders(mesh)):
        kind = spec[0]
        if kind == "tcp":
            listener = _tcp_listener(spec[1], spec[2])
        elif kind == "http":
            listener = _http_listener(mesh, spec[1])
        elif kind == "tls-external":
            listener = _tls_external_listener(mesh)
        elif kind == "virtualOutbound":
            listener = _virtual_outbound()
        else:
            listener = _virtual_inbound(mesh)
        yield {
            "name": listener["name"],
            "active_state": {
                "version_info": PUSH_VERSION,
                "listener": listener,
                "last_updated": _updated(k),
            },
        }


def _static_listener(port: int, prefix: str, cluster: str, path: str) -> dict[str, Any]:
    return {
        "listener": {
            "@type": LISTENER_T,
            "address": _address("0.0.0.0", port),
            "filter_chains": [
                {
                    "filters": [
                        {
                            "name": "envoy.filters.network.http_connection_manager",
                            "typed_config": {
                                "@type": HCM_T,
                                "stat_prefix": prefix,
                                "route_config": {
                                    "virtual_hosts": [
                                        {
                                            "name": "backend",
                                            "domains": ["*"],
                                            "routes": [
                                                {
                                                    "match": {"prefix": path},
                                                    "route": {"cluster": cluster},
                                                }
                                            ],
                                        }
                                    ]
                                },
                                "http_filters": [ROUTER_FILTER],
                            },
                        }
                    ]
                }
            ],
        },
        "last_updated": _updated(1),
    }
