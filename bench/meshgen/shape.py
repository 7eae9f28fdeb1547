"""Constants that fix the generated mesh's shape, versions and Envoy type URLs."""

from __future__ import annotations

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
