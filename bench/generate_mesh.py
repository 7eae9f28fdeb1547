#!/usr/bin/env python3
"""Generate a large synthetic Istio mesh for benchmarks.

Writes, for ``N`` services spread over namespaces ``ns-0..ns-k`` (50 services each):

* ``OUTDIR/config_dump.json``: the Envoy admin ``/config_dump?include_eds`` envelope of ONE
  sidecar (the first pod of the first service) as an Istio 1.24 proxy would report it:
  snake_case keys, v3 ``@type``s, Istio's cluster/listener/route naming and metadata.
* ``OUTDIR/istio.yaml``: the multi-document Kubernetes + Istio YAML that would produce it
  (Namespaces, Services, Deployments, DestinationRules, VirtualServices, ServiceEntries).
* ``OUTDIR/manifest.json``: counts of what was written (used by ``bench/run.py``).

Output is a pure function of ``(N, seed)``: no wall clock, no hash ordering. The dump is
streamed section by section with orjson (``OPT_INDENT_2``, like Envoy's pretty output), so the
generator's memory stays small even for 300 MB dumps; the bytes are identical to what
``orjson.dumps(whole_dump, option=OPT_INDENT_2)`` plus a newline would give.

Usage: ``python bench/generate_mesh.py N OUTDIR [--seed S]``
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

GENERATOR_VERSION = 2
ISTIO_VERSION = "1.24.2"
ENVOY_VERSION = (1, 32, 3)
PROXY_SHA = "5f0b1c8a6e3d42b79c1e0a4d8b6f2e7c9a3d5b10"
TRUST_DOMAIN = "cluster.local"
SERVICES_PER_NAMESPACE = 50

# Mesh shape. Cumulative port-mix thresholds: http only, http+grpc, grpc only, http+tcp, else tcp.
PORT_MIX = (0.82, 0.86, 0.94, 0.97)
P_DESTINATION_RULE = 0.35  # services with a DR (traffic policy, maybe subsets)
P_DR_SUBSETS = 0.5  # DRs that also define version subsets (the rest: traffic policy only)
P_THREE_SUBSETS = 0.0  # DRs with subsets v1..v3 instead of v1..v2 (> 0: heavier mesh)
P_VIRTUAL_SERVICE = 0.3  # services (with an HTTP port) that have a VS
P_SERVICE_ENTRY = 0.05  # services that come with an external ServiceEntry
P_WEIGHTED_ROUTE = 0.6  # VS rules splitting traffic between two subsets
MAX_REPLICAS = 2  # replicas of the one v1 Deployment of a service without subsets (1..MAX)
NETWORKING_API = "networking.istio.io/v1"

# Time stamps are fixed so that the output is reproducible.
PUSH_VERSION = "2025-01-15T09:30:00Z/412"
BASE_UPDATED = "2025-01-15T09:30:{:02d}.{:03d}Z"

T = "type.googleapis.com/"
CLUSTER_T = T + "envoy.config.cluster.v3.Cluster"
LISTENER_T = T + "envoy.config.listener.v3.Listener"
ROUTE_T = T + "envoy.config.route.v3.RouteConfiguration"
CLA_T = T + "envoy.config.endpoint.v3.ClusterLoadAssignment"
SECRET_T = T + "envoy.extensions.transport_sockets.tls.v3.Secret"
HCM_T = T + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP_PROXY_T = T + "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
HTTP_OPTS_KEY = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
HTTP_OPTS_T = T + HTTP_OPTS_KEY

WORDS = (
    "cart",
    "checkout",
    "payments",
    "inventory",
    "catalog",
    "reviews",
    "ratings",
    "auth",
    "users",
    "search",
    "recommendations",
    "shipping",
    "billing",
    "notifications",
    "ledger",
    "profile",
    "orders",
    "pricing",
    "media",
    "fraud-detection",
    "sessions",
    "loyalty",
    "geo",
    "tax",
)
ZONES = ("us-east1-b", "us-east1-c", "us-east1-d")
REGION = "us-east1"


# --------------------------------------------------------------------------------------------
# Mesh model (small: a few objects per service; the big JSON is built lazily from it)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Port:
    name: str
    number: int
    target: int
    protocol: str  # HTTP, GRPC or TCP

    @property
    def is_http(self) -> bool:
        return self.protocol in ("HTTP", "GRPC")


@dataclass(frozen=True)
class Pod:
    name: str
    ip: str
    version: str
    deployment: str
    zone: str


@dataclass(frozen=True)
class TrafficPolicy:
    lb: str  # LEAST_REQUEST, ROUND_ROBIN or RANDOM
    max_connections: int
    connect_timeout: str
    http1_max_pending: int
    http2_max_requests: int
    max_requests_per_connection: int
    max_retries: int
    idle_timeout: str
    consecutive_5xx: int
    interval: str
    base_ejection_time: str
    max_ejection_percent: int


@dataclass(frozen=True)
class Destination:
    subset: str | None
    weight: int


@dataclass(frozen=True)
class HttpRule:
    name: str
    match: str  # header, prefix, exact or none
    value: str
    destinations: tuple[Destination, ...]
    timeout: str | None
    retries: tuple[int, str, str] | None  # attempts, perTryTimeout, retryOn


@dataclass
class Service:
    index: int
    name: str
    namespace: str
    cluster_ip: str
    ports: tuple[Port, ...]
    versions: tuple[str, ...]
    replicas: tuple[int, ...]
    pods: list[Pod] = field(default_factory=list)
    dr_name: str | None = None
    subsets: tuple[str, ...] = ()
    policy: TrafficPolicy | None = None
    vs_name: str | None = None
    vs_host: str = ""
    vs_port: int | None = None
    rules: tuple[HttpRule, ...] = ()

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{self.namespace}.svc.{TRUST_DOMAIN}"

    def pods_for(self, subset: str | None) -> list[Pod]:
        if subset is None:
            return self.pods
        return [p for p in self.pods if p.version == subset]


@dataclass(frozen=True)
class External:
    index: int
    name: str
    namespace: str
    host: str
    addresses: tuple[str, ...]


@dataclass
class Mesh:
    n: int
    seed: int
    namespaces: list[str]
    services: list[Service]
    externals: list[External]
    proxy: Service
    proxy_pod: Pod
    cert_chain: str
    root_cert: str


def _ip(base: int, offset: int) -> str:
    v = base + offset
    return f"{v >> 24 & 255}.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}"


_SVC_CIDR = (10 << 24) | (96 << 16)  # 10.96.0.0/12
_POD_CIDR = (10 << 24) | (244 << 16)  # 10.244.0.0/14
_EXT_CIDR = (203 << 24) | (0 << 16) | (113 << 8)  # 203.0.113.0/24 (documentation range)


def _choose_ports(rng: random.Random) -> tuple[Port, ...]:
    r = rng.random()
    web = Port("http-web", 8080, 8080, "HTTP")
    grpc = Port("grpc-api", 9090, 9090, "GRPC")
    if r < PORT_MIX[0]:
        return (web,)
    if r < PORT_MIX[1]:
        return (web, grpc)
    if r < PORT_MIX[2]:
        return (grpc,)
    tcp = rng.choice(
        (
            Port("tcp-postgres", 5432, 5432, "TCP"),
            Port("tcp-redis", 6379, 6379, "TCP"),
            Port("tcp-amqp", 5672, 5672, "TCP"),
        )
    )
    if r < PORT_MIX[3]:
        return (web, tcp)
    return (tcp,)


def _choose_policy(rng: random.Random) -> TrafficPolicy:
    return TrafficPolicy(
        lb=rng.choice(("LEAST_REQUEST", "ROUND_ROBIN", "RANDOM")),
        max_connections=rng.choice((64, 100, 256, 1024)),
        connect_timeout=rng.choice(("1s", "3s", "5s")),
        http1_max_pending=rng.choice((32, 64, 128)),
        http2_max_requests=rng.choice((500, 1000, 2000)),
        max_requests_per_connection=rng.choice((10, 100, 1000)),
        max_retries=rng.choice((2, 3, 5)),
        idle_timeout=rng.choice(("30s", "60s", "300s")),
        consecutive_5xx=rng.choice((3, 5, 7)),
        interval=rng.choice(("5s", "10s", "30s")),
        base_ejection_time=rng.choice(("15s", "30s", "60s")),
        max_ejection_percent=rng.choice((10, 25, 50)),
    )


def _choose_rules(rng: random.Random, svc: Service) -> tuple[HttpRule, ...]:
    subsets: tuple[str | None, ...] = svc.subsets or (None,)
    count = rng.randint(2, 4)
    rules: list[HttpRule] = []

    def dests() -> tuple[Destination, ...]:
        if len(subsets) > 1 and rng.random() < P_WEIGHTED_ROUTE:
            first = rng.choice((50, 75, 80, 90, 95))
            return (Destination(subsets[0], first), Destination(subsets[1], 100 - first))
        return (Destination(rng.choice(subsets), 100),)

    def retries() -> tuple[int, str, str] | None:
        if rng.random() < 0.5:
            return (
                rng.choice((2, 3, 5)),
                rng.choice(("1s", "2s", "500ms")),
                rng.choice(
                    ("5xx,connect-failure", "gateway-error,reset", "retriable-status-codes")
                ),
            )
        return None

    def timeout() -> str | None:
        return rng.choice((None, "2s", "5s", "15s"))

    kinds = ["header", "prefix", "exact"]
    rng.shuffle(kinds)
    for k in range(count - 1):
        kind = kinds[k % len(kinds)]
        if kind == "header":
            value = rng.choice(("x-canary", "x-beta-user", "x-debug"))
            name = "canary"
        elif kind == "prefix":
            value = rng.choice(("/api/v1", "/api/v2", "/static", "/admin"))
            name = value.strip("/").replace("/", "-")
        else:
            value = rng.choice(("/healthz", "/login", "/metrics-proxy"))
            name = value.strip("/")
        rules.append(HttpRule(f"{name}-{k}", kind, value, dests(), timeout(), retries()))
    rules.append(HttpRule("default", "none", "", dests(), timeout(), retries()))
    return tuple(rules)


def build_mesh(n: int, seed: int) -> Mesh:
    """Build the (small) mesh model deterministically from ``n`` and ``seed``."""
    if n < 1:
        raise ValueError("N must be >= 1")
    rng = random.Random(seed)
    namespaces = [
        f"ns-{k}" for k in range((n + SERVICES_PER_NAMESPACE - 1) // SERVICES_PER_NAMESPACE)
    ]
    services: list[Service] = []
    externals: list[External] = []
    pod_counter = 2
    for i in range(n):
        ns = namespaces[i // SERVICES_PER_NAMESPACE]
        name = f"{WORDS[i % len(WORDS)]}-{i}"
        ports = _choose_ports(rng)
        if i == 0:  # the proxy's own service: give it an inbound HTTP and gRPC port
            ports = (Port("http-web", 8080, 8080, "HTTP"), Port("grpc-api", 9090, 9090, "GRPC"))
        has_dr = rng.random() < P_DESTINATION_RULE
        subsets: tuple[str, ...] = ()
        if has_dr and rng.random() < P_DR_SUBSETS:
            subsets = ("v1", "v2", "v3")[: 3 if rng.random() < P_THREE_SUBSETS else 2]
        if subsets:
            versions = subsets
            replicas = tuple(1 for _ in subsets)
        else:
            versions = ("v1",)
            replicas = (rng.randint(1, MAX_REPLICAS),)
        svc = Service(
            index=i,
            name=name,
            namespace=ns,
            cluster_ip=_ip(_SVC_CIDR, 10 + i),
            ports=ports,
            versions=versions,
            replicas=replicas,
        )
        for version, count in zip(versions, replicas, strict=True):
            deployment = f"{name}-{version}"
            for r in range(count):
                suffix = hashlib.blake2s(
                    f"{seed}/{deployment}/{r}".encode(), digest_size=8
                ).hexdigest()
                svc.pods.append(
                    Pod(
                        name=f"{deployment}-{suffix[:10]}-{suffix[10:15]}",
                        ip=_ip(_POD_CIDR, pod_counter),
                        version=version,
                        deployment=deployment,
                        zone=ZONES[pod_counter % len(ZONES)],
                    )
                )
                pod_counter += 1
        if has_dr:
            svc.dr_name = name
            svc.subsets = subsets
            svc.policy = _choose_policy(rng)
        if rng.random() < P_VIRTUAL_SERVICE and any(p.is_http for p in ports):
            svc.vs_name = name
            svc.vs_host = svc.fqdn if rng.random() < 0.5 else name
            first_http = next(p for p in ports if p.is_http)
            svc.vs_port = first_http.number if len(ports) > 1 else None
            svc.rules = _choose_rules(rng, svc)
        if rng.random() < P_SERVICE_ENTRY:
            addrs = tuple(_ip(_EXT_CIDR, 1 + rng.randrange(250)) for _ in range(rng.randint(1, 3)))
            externals.append(
                External(
                    index=i,
                    name=f"ext-{name}",
                    namespace=ns,
                    host=f"api.{WORDS[(i * 7) % len(WORDS)]}-{i}.partner.example.com",
                    addresses=addrs,
                )
            )
        services.append(svc)
    proxy = services[0]
    cert = _fake_pem(rng, 1100)
    root = _fake_pem(rng, 800)
    return Mesh(n, seed, namespaces, services, externals, proxy, proxy.pods[0], cert, root)


def _fake_pem(rng: random.Random, size: int) -> str:
    body = base64.b64encode(rng.randbytes(size)).decode()
    lines = [body[k : k + 64] for k in range(0, len(body), 64)]
    pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
    return base64.b64encode(pem.encode()).decode()


# --------------------------------------------------------------------------------------------
# Shared Envoy building blocks (shared dict objects are fine: orjson serialises them each time)
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Clusters and endpoints
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Listeners
# --------------------------------------------------------------------------------------------


def _http_ports(mesh: Mesh) -> list[int]:
    ports = {p.number for s in mesh.services for p in s.ports if p.is_http}
    return sorted(ports)


def _http_listener(mesh: Mesh, port: int) -> dict[str, Any]:
    name = f"0.0.0.0_{port}"
    return {
        "@type": LISTENER_T,
        "name": name,
        "address": _address("0.0.0.0", port),
        "filter_chains": [
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
        ],
        "listener_filters": [TLS_INSPECTOR, HTTP_INSPECTOR],
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
    return {
        "@type": LISTENER_T,
        "name": "0.0.0.0_443",
        "address": _address("0.0.0.0", 443),
        "filter_chains": chains,
        "listener_filters": [TLS_INSPECTOR],
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


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Bootstrap and secrets
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Streaming pretty-printed JSON writer
# --------------------------------------------------------------------------------------------


class Streamed:
    """Marks a list value that is produced lazily, item by item."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _dump_at(value: Any, indent: int) -> bytes:
    raw = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    if indent and b"\n" in raw:
        raw = raw.replace(b"\n", b"\n" + b" " * indent)
    return raw


def _write_object(out: IO[bytes], fields: list[tuple[str, Any]], indent: int) -> int:
    """Write ``{...}`` at ``indent`` (the opening brace is not indented). Returns streamed count."""
    pad = b" " * indent
    inner = b" " * (indent + 2)
    item_pad = b" " * (indent + 4)
    streamed = 0
    out.write(b"{\n")
    for idx, (key, value) in enumerate(fields):
        out.write(inner + orjson.dumps(key) + b": ")
        if isinstance(value, Streamed):
            first = True
            batch: list[bytes] = []
            for item in value.items:
                streamed += 1
                batch.append(item_pad + _dump_at(item, indent + 4))
                if len(batch) >= 256:
                    out.write((b"[\n" if first else b",\n") + b",\n".join(batch))
                    first = False
                    batch = []
            if batch:
                out.write((b"[\n" if first else b",\n") + b",\n".join(batch))
                first = False
            out.write(b"[]" if first else b"\n" + inner + b"]")
        else:
            out.write(_dump_at(value, indent + 2))
        out.write(b",\n" if idx < len(fields) - 1 else b"\n")
    out.write(pad + b"}")
    return streamed


def write_config_dump(mesh: Mesh, path: Path) -> dict[str, int]:
    """Stream the admin config dump to ``path``; returns counts of what was written."""
    specs = cluster_specs(mesh)
    counts: dict[str, int] = {}
    sections: list[tuple[str, list[tuple[str, Any]]]] = [
        (
            "bootstrap",
            [
                ("@type", T + "envoy.admin.v3.BootstrapConfigDump"),
                ("bootstrap", _bootstrap(mesh)),
                ("last_updated", _updated(0)),
            ],
        ),
        (
            "clusters",
            [
                ("@type", T + "envoy.admin.v3.ClustersConfigDump"),
                ("version_info", PUSH_VERSION),
                (
                    "static_clusters",
                    [
                        {"cluster": {"@type": CLUSTER_T, **c}, "last_updated": _updated(1)}
                        for c in _static_clusters()
                    ],
                ),
                ("dynamic_active_clusters", Streamed(_iter_dynamic_clusters(mesh, specs))),
            ],
        ),
        (
            "endpoints",
            [
                ("@type", T + "envoy.admin.v3.EndpointsConfigDump"),
                (
                    "static_endpoint_configs",
                    [
                        {
                            "endpoint_config": {
                                "@type": CLA_T,
                                **c["load_assignment"],
                                "policy": {"overprovisioning_factor": 140},
                            }
                        }
                        for c in _static_clusters()
                    ],
                ),
                ("dynamic_endpoint_configs", Streamed(_iter_endpoint_configs(specs))),
            ],
        ),
        (
            "listeners",
            [
                ("@type", T + "envoy.admin.v3.ListenersConfigDump"),
                ("version_info", PUSH_VERSION),
                (
                    "static_listeners",
                    [
                        _static_listener(15090, "stats", "prometheus_stats", "/stats/prometheus"),
                        _static_listener(15021, "agent", "agent", "/healthz/ready"),
                    ],
                ),
                ("dynamic_listeners", Streamed(_iter_dynamic_listeners(mesh))),
            ],
        ),
        ("scoped_routes", [("@type", T + "envoy.admin.v3.ScopedRoutesConfigDump")]),
        (
            "routes",
            [
                ("@type", T + "envoy.admin.v3.RoutesConfigDump"),
                ("static_route_configs", _static_routes(mesh)),
                ("dynamic_route_configs", Streamed(_iter_dynamic_routes(mesh))),
            ],
        ),
        (
            "secrets",
            [
                ("@type", T + "envoy.admin.v3.SecretsConfigDump"),
                ("dynamic_active_secrets", _secrets(mesh)),
            ],
        ),
    ]
    with path.open("wb", buffering=1 << 20) as out:
        out.write(b'{\n  "configs": [\n')
        for idx, (section, fields) in enumerate(sections):
            out.write(b"    ")
            counts[section] = _write_object(out, fields, 4)
            out.write(b",\n" if idx < len(sections) - 1 else b"\n")
        out.write(b"  ]\n}\n")
    counts["dynamic_active_clusters"] = counts.pop("clusters")
    counts["dynamic_endpoint_configs"] = counts.pop("endpoints")
    counts["dynamic_listeners"] = counts.pop("listeners")
    counts["dynamic_route_configs"] = counts.pop("routes")
    for k in ("bootstrap", "scoped_routes", "secrets"):
        counts.pop(k)
    counts["outbound_clusters"] = sum(1 for s in specs if s.name.startswith("outbound|"))
    counts["virtual_hosts"] = (
        sum(1 for s in mesh.services for p in s.ports if p.is_http)
        + counts["dynamic_route_configs"]
    )
    counts["http_routes"] = (
        sum((len(s.rules) or 1) for s in mesh.services for p in s.ports if p.is_http)
        + counts["dynamic_route_configs"]
    )
    return counts


# --------------------------------------------------------------------------------------------
# Istio / Kubernetes YAML
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def generate(n: int, outdir: Path, seed: int = 1) -> dict[str, Any]:
    """Generate the mesh for ``n`` services into ``outdir`` and return the manifest."""
    start = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    mesh = build_mesh(n, seed)
    dump_path = outdir / "config_dump.json"
    yaml_path = outdir / "istio.yaml"
    counts = write_config_dump(mesh, dump_path)
    kinds = write_yaml(mesh, yaml_path)
    elapsed = time.perf_counter() - start
    dump_bytes = dump_path.stat().st_size
    manifest: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "generator_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "services": n,
        "seed": seed,
        "namespaces": len(mesh.namespaces),
        "dump_bytes": dump_bytes,
        "yaml_bytes": yaml_path.stat().st_size,
        "dump_bytes_per_service": round(dump_bytes / n),
        "generate_seconds": round(elapsed, 3),
        "yaml_kinds": kinds,
        "envoy": counts,
        # "resources" = xDS resources the analyzer has to walk: clusters + endpoint assignments +
        # listeners + virtual hosts (the unit used for the linearity figures in bench/run.py).
        "resources": counts["dynamic_active_clusters"]
        + counts["dynamic_endpoint_configs"]
        + counts["dynamic_listeners"]
        + counts["virtual_hosts"],
    }
    (outdir / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="number of services")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be >= 1")
    m = generate(args.n, args.outdir, args.seed)
    mb = m["dump_bytes"] / 1e6
    envoy = m["envoy"]
    print(
        f"{args.n} services, seed {args.seed}: config_dump.json {mb:.1f} MB "
        f"({m['dump_bytes_per_service'] / 1000:.1f} KB/service), "
        f"istio.yaml {m['yaml_bytes'] / 1e6:.1f} MB, "
        f"{envoy['dynamic_active_clusters']} clusters, {envoy['dynamic_listeners']} listeners, "
        f"{envoy['virtual_hosts']} vhosts, {m['resources']} resources, "
        f"{m['generate_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
