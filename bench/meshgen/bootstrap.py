"""Bootstrap and secrets."""

from __future__ import annotations

from typing import Any

import orjson

from meshgen.blocks import ADS, _address, _updated
from meshgen.listeners import _static_listener
from meshgen.model import Mesh
from meshgen.shape import (
    ENVOY_VERSION,
    HTTP_OPTS_KEY,
    HTTP_OPTS_T,
    ISTIO_VERSION,
    PROXY_SHA,
    REGION,
    SECRET_T,
    TRUST_DOMAIN,
    T,
)

# (category, names); each name gets a v3 type URL derived from its last dotted component.
_EXTENSIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "envoy.access_loggers",
        ("file", "http_grpc", "open_telemetry", "stderr", "stdout", "tcp_grpc", "wasm"),
    ),
    (
        "envoy.clusters",
        ("aggregate", "dynamic_forward_proxy", "eds", "original_dst", "static", "strict_dns"),
    ),
    (
        "envoy.filters.http",
        (
            "alternate_protocols_cache",
            "basic_auth",
            "buffer",
            "composite",
            "compressor",
            "cors",
            "csrf",
            "decompressor",
            "dynamic_forward_proxy",
            "ext_authz",
            "ext_proc",
            "fault",
            "grpc_stats",
            "grpc_web",
            "header_to_metadata",
            "health_check",
            "jwt_authn",
            "local_ratelimit",
            "lua",
            "oauth2",
            "ratelimit",
            "rbac",
            "router",
            "set_metadata",
            "stateful_session",
            "wasm",
        ),
    ),
    (
        "envoy.filters.listener",
        ("http_inspector", "original_dst", "original_src", "proxy_protocol", "tls_inspector"),
    ),
    (
        "envoy.filters.network",
        (
            "connection_limit",
            "direct_response",
            "ext_authz",
            "http_connection_manager",
            "local_ratelimit",
            "mongo_proxy",
            "mysql_proxy",
            "ratelimit",
            "rbac",
            "redis_proxy",
            "sni_cluster",
            "tcp_proxy",
            "wasm",
        ),
    ),
    (
        "envoy.transport_sockets.upstream",
        ("http_11_proxy", "internal_upstream", "raw_buffer", "tls", "tcp_stats"),
    ),
    ("envoy.tracers", ("datadog", "opentelemetry", "skywalking", "xray", "zipkin")),
    ("envoy.upstream_options", ("http_protocol_options", "tcp_protocol_options")),
)


def _extensions() -> list[dict[str, Any]]:
    return [
        {
            "name": f"{category}.{name}",
            "category": category,
            "type_urls": [
                f"envoy.extensions.{category.split('.')[-1]}.{name}.v3."
                + name.title().replace("_", "")
            ],
        }
        for category, names in _EXTENSIONS
        for name in names
    ]


def _static_cluster(name: str, address: dict[str, Any], timeout: str, h2: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": name,
        "type": "STATIC",
        "connect_timeout": timeout,
        "load_assignment": {
            "cluster_name": name,
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": address}}]}],
        },
    }
    if h2:
        c["typed_extension_protocol_options"] = {
            HTTP_OPTS_KEY: {
                "@type": HTTP_OPTS_T,
                "explicit_http_config": {"http2_protocol_options": {}},
            }
        }
    return c


def _static_clusters() -> list[dict[str, Any]]:
    return [
        _static_cluster("agent", _address("127.0.0.1", 15020), "0.250s", False),
        _static_cluster("prometheus_stats", _address("127.0.0.1", 15000), "0.250s", False),
        _static_cluster(
            "sds-grpc",
            {"pipe": {"path": "./var/run/secrets/workload-spiffe-uds/socket"}},
            "1s",
            True,
        ),
        _static_cluster("xds-grpc", {"pipe": {"path": "./etc/istio/proxy/XDS"}}, "1s", True),
    ]


def _bootstrap(mesh: Mesh) -> dict[str, Any]:
    svc, pod = mesh.proxy, mesh.proxy_pod
    node_id = f"sidecar~{pod.ip}~{pod.name}.{svc.namespace}~{svc.namespace}.svc.{TRUST_DOMAIN}"
    pod_ports = orjson.dumps(
        [{"name": p.name, "containerPort": p.target, "protocol": "TCP"} for p in svc.ports]
    ).decode()
    major, minor, patch = ENVOY_VERSION
    return {
        "node": {
            "id": node_id,
            "cluster": f"{svc.name}.{svc.namespace}",
            "metadata": {
                "ANNOTATIONS": {
                    "istio.io/rev": "default",
                    "kubectl.kubernetes.io/default-container": svc.name,
                    "kubectl.kubernetes.io/default-logs-container": svc.name,
                    "prometheus.io/path": "/stats/prometheus",
                    "prometheus.io/port": "15020",
                    "prometheus.io/scrape": "true",
                    "sidecar.istio.io/status": '{"initContainers":["istio-init"],'
                    '"containers":["istio-proxy"],'
                    '"volumes":["workload-socket","credential-socket","workload-certs","istio-envoy",'
                    '"istio-data","istio-podinfo","istio-token","istiod-ca-cert"],'
                    '"imagePullSecrets":null,"revision":"default"}',
                },
                "APP_CONTAINERS": svc.name,
                "CLUSTER_ID": "Kubernetes",
                "ENVOY_PROMETHEUS_PORT": 15090,
                "ENVOY_STATUS_PORT": 15021,
                "INSTANCE_IPS": pod.ip,
                "INTERCEPTION_MODE": "REDIRECT",
                "ISTIO_PROXY_SHA": PROXY_SHA,
                "ISTIO_VERSION": ISTIO_VERSION,
                "LABELS": {
                    "app": svc.name,
                    "security.istio.io/tlsMode": "istio",
                    "service.istio.io/canonical-name": svc.name,
                    "service.istio.io/canonical-revision": pod.version,
                    "version": pod.version,
                },
                "MESH_ID": TRUST_DOMAIN,
                "NAME": pod.name,
                "NAMESPACE": svc.namespace,
                "NODE_NAME": "gke-bench-pool-1-a1b2c3d4-x9yz",
                "OWNER": f"kubernetes://apis/apps/v1/namespaces/{svc.namespace}/deployments/{pod.deployment}",
                "PILOT_SAN": ["istiod.istio-system.svc"],
                "POD_PORTS": pod_ports,
                "PROXY_CONFIG": {
                    "binaryPath": "/usr/local/bin/envoy",
                    "concurrency": 2,
                    "configPath": "./etc/istio/proxy",
                    "controlPlaneAuthPolicy": "MUTUAL_TLS",
                    "discoveryAddress": "istiod.istio-system.svc:15012",
                    "drainDuration": "45s",
                    "proxyAdminPort": 15000,
                    "serviceCluster": "istio-proxy",
                    "statNameLength": 189,
                    "statusPort": 15020,
                    "terminationDrainDuration": "5s",
                },
                "SERVICE_ACCOUNT": "default",
                "WORKLOAD_NAME": pod.deployment,
            },
            "locality": {"region": REGION, "zone": pod.zone},
            "user_agent_name": "envoy",
            "user_agent_build_version": {
                "version": {"major_number": major, "minor_number": minor, "patch": patch},
                "metadata": {
                    "build.label": "dev",
                    "build.type": "RELEASE",
                    "revision.sha": PROXY_SHA,
                    "revision.status": "Clean",
                    "ssl.version": "BoringSSL",
                },
            },
            "extensions": _extensions(),
        },
        "static_resources": {
            "listeners": [
                _static_listener(15090, "stats", "prometheus_stats", "/stats/prometheus")[
                    "listener"
                ],
                _static_listener(15021, "agent", "agent", "/healthz/ready")["listener"],
            ],
            "clusters": _static_clusters(),
        },
        "dynamic_resources": {
            "lds_config": ADS,
            "cds_config": ADS,
            "ads_config": {
                "api_type": "GRPC",
                "grpc_services": [{"envoy_grpc": {"cluster_name": "xds-grpc"}}],
                "set_node_on_first_message_only": True,
                "transport_api_version": "V3",
            },
        },
        "admin": {
            "profile_path": "/var/lib/istio/data/envoy.prof",
            "address": _address("127.0.0.1", 15000),
            "access_log": [
                {
                    "name": "envoy.access_loggers.file",
                    "typed_config": {
                        "@type": T + "envoy.extensions.access_loggers.file.v3.FileAccessLog",
                        "path": "/dev/null",
                    },
                }
            ],
        },
        "stats_config": {
            "stats_tags": [
                {
                    "tag_name": "cluster_name",
                    "regex": "^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)",
                },
                {"tag_name": "tcp_prefix", "regex": "^tcp\\.((.*?)\\.)\\w+?$"},
                {"tag_name": "response_code", "regex": "_rq(_(\\d{3}))$"},
                {"tag_name": "response_code_class", "regex": "_rq(_(\\dxx))$"},
            ],
            "use_all_default_tags": False,
            "stats_matcher": {
                "inclusion_list": {
                    "patterns": [
                        {"prefix": "reporter="},
                        {"prefix": "cluster_manager"},
                        {"prefix": "listener_manager"},
                        {"prefix": "server"},
                        {"prefix": "cluster.xds-grpc"},
                        {"prefix": "wasm"},
                        {"suffix": "rbac.allowed"},
                        {"suffix": "rbac.denied"},
                        {"prefix": "component"},
                        {"prefix": "istio"},
                    ]
                }
            },
        },
        "layered_runtime": {
            "layers": [
                {
                    "name": "global config",
                    "static_layer": {
                        "envoy.reloadable_features.http_reject_path_with_fragment": "false",
                        "overload.global_downstream_max_connections": "2147483647",
                        "re2.max_program_size.error_level": "32768",
                    },
                },
                {"name": "admin", "admin_layer": {}},
            ]
        },
        "bootstrap_extensions": [
            {
                "name": "envoy.bootstrap.internal_listener",
                "typed_config": {
                    "@type": T + "udpa.type.v1.TypedStruct",
                    "type_url": T
                    + "envoy.extensions.bootstrap.internal_listener.v3.InternalListener",
                    "value": {"buffer_size_kb": 64},
                },
            }
        ],
    }


def _secrets(mesh: Mesh) -> list[dict[str, Any]]:
    return [
        {
            "name": "default",
            "version_info": "0",
            "last_updated": _updated(3),
            "secret": {
                "@type": SECRET_T,
                "name": "default",
                "tls_certificate": {
                    "certificate_chain": {"inline_bytes": mesh.cert_chain},
                    "private_key": {"inline_bytes": "W3JlZGFjdGVkXQ=="},
                },
            },
        },
        {
            "name": "ROOTCA",
            "version_info": "0",
            "last_updated": _updated(4),
            "secret": {
                "@type": SECRET_T,
                "name": "ROOTCA",
                "validation_context": {"trusted_ca": {"inline_bytes": mesh.root_cert}},
            },
        },
    ]
