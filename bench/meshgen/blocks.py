"""Shared Envoy building blocks (shared dict objects are fine: orjson serialises them each time)."""

from __future__ import annotations

from typing import Any

from meshgen.model import Mesh
from meshgen.shape import BASE_UPDATED, NETWORKING_API, TCP_PROXY_T, TRUST_DOMAIN, T

ADS: dict[str, Any] = {"ads": {}, "initial_fetch_timeout": "0s", "resource_api_version": "V3"}


def _sds(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "sds_config": {
            "api_config_source": {
                "api_type": "GRPC",
                "grpc_services": [{"envoy_grpc": {"cluster_name": "sds-grpc"}}],
                "set_node_on_first_message_only": True,
                "transport_api_version": "V3",
            },
            "initial_fetch_timeout": "0s",
            "resource_api_version": "V3",
        },
    }


SDS_DEFAULT = _sds("default")
SDS_ROOTCA = _sds("ROOTCA")
TLS_PARAMS = {"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"}
MAX_U32 = 4294967295
DEFAULT_CB: dict[str, Any] = {
    "thresholds": [
        {
            "max_connections": MAX_U32,
            "max_pending_requests": MAX_U32,
            "max_requests": MAX_U32,
            "max_retries": MAX_U32,
            "track_remaining": True,
        }
    ]
}
MX_FILTERS = [
    {
        "name": "istio.metadata_exchange",
        "typed_config": {
            "@type": T + "envoy.tcp.metadataexchange.config.MetadataExchange",
            "protocol": "istio-peer-exchange",
            "enable_discovery": True,
        },
    }
]
TLS_DISABLED = {
    "name": "tlsMode-disabled",
    "match": {},
    "transport_socket": {
        "name": "envoy.transport_sockets.raw_buffer",
        "typed_config": {"@type": T + "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer"},
    },
}
LOCALITY_LB: dict[str, Any] = {"locality_weighted_lb_config": {}}
ISTIO_STATS = {"name": "istio.stats", "typed_config": {"@type": T + "stats.PluginConfig"}}
ACCESS_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" '
    "%RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% '
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"
)
FILE_ACCESS_LOG = {
    "name": "envoy.access_loggers.file",
    "typed_config": {
        "@type": T + "envoy.extensions.access_loggers.file.v3.FileAccessLog",
        "path": "/dev/stdout",
        "log_format": {"text_format_source": {"inline_string": ACCESS_LOG_FORMAT}},
    },
}
NR_ACCESS_LOG = {
    "name": "envoy.access_loggers.file",
    "filter": {"response_flag_filter": {"flags": ["NR"]}},
    "typed_config": FILE_ACCESS_LOG["typed_config"],
}
PREVIOUS_HOSTS = [
    {
        "name": "envoy.retry_host_predicates.previous_hosts",
        "typed_config": {
            "@type": T + "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
        },
    }
]
DEFAULT_RETRY = {
    "retry_on": "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
    "num_retries": 2,
    "retry_host_predicate": PREVIOUS_HOSTS,
    "host_selection_retry_max_attempts": "5",
    "retriable_status_codes": [503],
}
TLS_INSPECTOR = {
    "name": "envoy.filters.listener.tls_inspector",
    "typed_config": {
        "@type": T + "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
    },
}
HTTP_INSPECTOR = {
    "name": "envoy.filters.listener.http_inspector",
    "typed_config": {
        "@type": T + "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"
    },
}
ROUTER_FILTER = {
    "name": "envoy.filters.http.router",
    "typed_config": {"@type": T + "envoy.extensions.filters.http.router.v3.Router"},
}
OUTBOUND_HTTP_FILTERS = [
    {
        "name": "istio.metadata_exchange",
        "typed_config": {
            "@type": T + "io.istio.http.peer_metadata.Config",
            "upstream_discovery": [{"istio_headers": {}}, {"workload_discovery": {}}],
            "upstream_propagation": [{"istio_headers": {}}],
        },
    },
    {
        "name": "envoy.filters.http.grpc_stats",
        "typed_config": {
            "@type": T + "envoy.extensions.filters.http.grpc_stats.v3.FilterConfig",
            "emit_filter_state": True,
            "stats_for_all_methods": False,
        },
    },
    {
        "name": "istio.alpn",
        "typed_config": {
            "@type": T + "istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig",
            "alpn_override": [
                {"alpn_override": ["istio-http/1.0", "istio", "http/1.0"]},
                {
                    "upstream_protocol": "HTTP11",
                    "alpn_override": ["istio-http/1.1", "istio", "http/1.1"],
                },
                {"upstream_protocol": "HTTP2", "alpn_override": ["istio-h2", "istio", "h2"]},
            ],
        },
    },
    {
        "name": "envoy.filters.http.fault",
        "typed_config": {"@type": T + "envoy.extensions.filters.http.fault.v3.HTTPFault"},
    },
    {
        "name": "envoy.filters.http.cors",
        "typed_config": {"@type": T + "envoy.extensions.filters.http.cors.v3.Cors"},
    },
    ISTIO_STATS,
    ROUTER_FILTER,
]
INBOUND_HTTP_FILTERS = [
    {
        "name": "istio.metadata_exchange",
        "typed_config": {
            "@type": T + "io.istio.http.peer_metadata.Config",
            "downstream_discovery": [{"istio_headers": {}}, {"workload_discovery": {}}],
            "downstream_propagation": [{"istio_headers": {}}],
        },
    },
    OUTBOUND_HTTP_FILTERS[1],
    OUTBOUND_HTTP_FILTERS[3],
    OUTBOUND_HTTP_FILTERS[4],
    {
        "name": "istio.stats",
        "typed_config": {"@type": T + "stats.PluginConfig", "disable_host_header_fallback": True},
    },
    ROUTER_FILTER,
]
UUID_REQUEST_ID = {
    "typed_config": {
        "@type": T + "envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig",
        "use_request_id_for_trace_sampling": True,
    }
}


def _tracing(mesh: Mesh) -> dict[str, Any]:
    def rbac_tag(tag: str, key: str) -> dict[str, Any]:
        return {
            "tag": tag,
            "metadata": {
                "kind": {"request": {}},
                "metadata_key": {"key": "envoy.filters.http.rbac", "path": [{"key": key}]},
            },
        }

    return {
        "client_sampling": {"value": 100},
        "random_sampling": {"value": 1},
        "overall_sampling": {"value": 100},
        "custom_tags": [
            rbac_tag(
                "istio.authorization.dry_run.allow_policy.name",
                "istio_dry_run_allow_shadow_effective_policy_id",
            ),
            rbac_tag(
                "istio.authorization.dry_run.allow_policy.result",
                "istio_dry_run_allow_shadow_engine_result",
            ),
            rbac_tag(
                "istio.authorization.dry_run.deny_policy.name",
                "istio_dry_run_deny_shadow_effective_policy_id",
            ),
            rbac_tag(
                "istio.authorization.dry_run.deny_policy.result",
                "istio_dry_run_deny_shadow_engine_result",
            ),
            {"tag": "istio.canonical_revision", "literal": {"value": mesh.proxy_pod.version}},
            {"tag": "istio.canonical_service", "literal": {"value": mesh.proxy.name}},
            {"tag": "istio.cluster_id", "literal": {"value": "Kubernetes"}},
            {"tag": "istio.mesh_id", "literal": {"value": TRUST_DOMAIN}},
            {"tag": "istio.namespace", "literal": {"value": mesh.proxy.namespace}},
        ],
    }


def _tcp_proxy(cluster: str, access_log: bool = True) -> dict[str, Any]:
    cfg: dict[str, Any] = {"@type": TCP_PROXY_T, "stat_prefix": cluster, "cluster": cluster}
    if access_log:
        cfg["access_log"] = [FILE_ACCESS_LOG]
    return {"name": "envoy.filters.network.tcp_proxy", "typed_config": cfg}


def _updated(k: int) -> str:
    return BASE_UPDATED.format(10 + (k // 1000) % 50, k % 1000)


def _config_path(kind: str, namespace: str, name: str) -> str:
    return f"/apis/{NETWORKING_API}/namespaces/{namespace}/{kind}/{name}"


def _address(ip: str, port: int) -> dict[str, Any]:
    return {"socket_address": {"address": ip, "port_value": port}}
