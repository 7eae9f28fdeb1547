"""Istio's built-in Envoy resources: what each is for, so they are explained rather than flagged."""

from __future__ import annotations

# Cluster names istiod or the bootstrap always creates.
DEFAULT_CLUSTERS: dict[str, str] = {
    "BlackHoleCluster": "Istio's sink for traffic that must be dropped (REGISTRY_ONLY)",
    "PassthroughCluster": "Istio's ORIGINAL_DST cluster for destinations outside the registry",
    "InboundPassthroughCluster": "inbound passthrough for ports no Service declares (1.23+)",
    "InboundPassthroughClusterIpv4": "Istio's IPv4 inbound passthrough (before 1.23)",
    "InboundPassthroughClusterIpv6": "Istio's IPv6 inbound passthrough (before 1.23)",
    "AllowAnyDynamicDNSCluster": "Istio's dynamic-DNS passthrough (ALLOW_ANY with DNS proxying)",
    "prometheus_stats": "bootstrap cluster behind the :15090 Prometheus listener",
    "agent": "bootstrap cluster for pilot-agent's health endpoint behind :15021",
    "sds-grpc": "bootstrap cluster to pilot-agent's SDS server (certificates)",
    "xds-grpc": "bootstrap cluster to istiod (xDS)",
    "zipkin": "bootstrap tracing cluster",
    "envoy.zipkin": "bootstrap tracing cluster",
    "lightstep": "bootstrap tracing cluster",
    "datadog_agent": "bootstrap tracing cluster",
    "envoy_accesslog_service": "bootstrap access-log service cluster",
    "envoy_metrics_service": "bootstrap metrics service cluster",
    "main_internal": "ambient waypoint's internal listener hop",
    "encap": "ambient waypoint's HBONE encapsulation cluster",
    "connect_originate": "ambient waypoint's HBONE CONNECT origination cluster",
    "connect_inbound": "ambient HBONE inbound cluster",
    "inbound-vip": "ambient waypoint's inbound VIP cluster",
    "inbound|15020|mgmt-15020|mgmtCluster": "pilot-agent's status port (:15020), Istio < 1.5",
}

# Inbound ports Istio itself serves on every workload.
AGENT_PORTS: dict[int, str] = {
    15020: "pilot-agent's status/merged-metrics port (:15020)",
}

DEFAULT_LISTENERS: dict[str, str] = {
    "virtualOutbound": "Istio's outbound capture listener (:15001), hands traffic on by port",
    "virtualInbound": "Istio's inbound capture listener (:15006)",
    "virtual": "Istio's capture listener (:15001) before 1.3",
    "main_internal": "ambient waypoint's internal listener",
    "connect_originate": "ambient waypoint's HBONE listener",
    "connect_terminate": "ambient waypoint's HBONE termination listener",
}

# Unnamed bootstrap listeners are known by port.
DEFAULT_LISTENER_PORTS: dict[int, str] = {
    15090: "bootstrap Prometheus stats listener (:15090)",
    15021: "bootstrap health-check listener (:15021)",
    15000: "Envoy admin",
}

DEFAULT_FILTER_CHAINS: dict[str, str] = {
    "virtualOutbound-blackhole": "drops connections addressed to :15001 itself",
    "virtualOutbound-catchall-tcp": "unmatched outbound TCP to PassthroughCluster or BlackHole",
    "virtualOutbound-ipv4": "outbound capture chain",
    "virtualInbound-blackhole": "drops connections addressed to :15006 itself",
    "virtualInbound-catchall-http": "inbound HTTP passthrough for undeclared ports",
    "virtualInbound-catchall-http-ipv4": "inbound HTTP passthrough for undeclared ports",
    "virtualInbound-catchall-http-ipv6": "inbound HTTP passthrough for undeclared ports",
    "virtualInbound": "inbound TCP passthrough for undeclared ports",
    "virtualInbound-ipv4": "inbound TCP passthrough for undeclared ports",
    "virtualInbound-ipv6": "inbound TCP passthrough for undeclared ports",
    "PassthroughFilterChain": "non-HTTP traffic on a shared HTTP port goes to PassthroughCluster",
    "direct-http": "ambient waypoint direct HTTP chain",
    "direct-tcp": "ambient waypoint direct TCP chain",
}

DEFAULT_VIRTUAL_HOSTS: dict[str, str] = {
    "allow_any": "Istio's catch-all vhost: unknown hosts go to PassthroughCluster (ALLOW_ANY)",
    "block_all": "Istio's catch-all vhost rejecting unknown hosts (REGISTRY_ONLY)",
    "allow_any_dynamic_dns": "Istio's catch-all vhost with dynamic DNS",
    "backend": "bootstrap vhost of the :15090/:15021 listeners",
}

DEFAULT_ROUTE_NAMES: dict[str, str] = {
    "allow_any": "catch-all route to PassthroughCluster",
    "block_all": "catch-all route answering 502 for unknown hosts",
}
