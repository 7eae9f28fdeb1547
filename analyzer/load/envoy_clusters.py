"""Build Cluster / Endpoint from raw Cluster, ClusterLoadAssignment and ClusterStatus dicts."""

from __future__ import annotations

from typing import Any

from analyzer.model.envoy import Cluster, ClusterKey, Endpoint, JsonDict, ResourceState

_DIRECTIONS = frozenset({"inbound", "outbound", "inbound-vip", "outbound-vip"})
# Alpn protocols and secret names that only Istio's own mTLS uses.
_ISTIO_ALPN = frozenset(
    {"istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"}
)
_ISTIO_SECRETS = frozenset({"default", "ROOTCA"})
# ``isinstance(x, int | str)`` builds the union on every call; the tuple is a constant.
_INT_OR_STR = (int, str)


def parse_cluster_name(name: str) -> ClusterKey | None:
    """Parse ``outbound|9080|v1|reviews.default.svc.cluster.local`` or its ``_.`` SNI form."""
    parts = name.split("|")
    if len(parts) == 4 and parts[0] in _DIRECTIONS:
        return ClusterKey(parts[0], _port(parts[1]), parts[2], parts[3])
    if name.startswith(("outbound_.", "inbound_.")):
        sni_parts = name.split("_.", 3)
        if len(sni_parts) == 4:
            return ClusterKey(sni_parts[0], _port(sni_parts[1]), sni_parts[2], sni_parts[3], True)
    return None


def _port(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def build_cluster(raw: JsonDict, state: ResourceState) -> Cluster:
    """Digest one Cluster."""
    name = str(raw.get("name", ""))
    cluster_type = raw.get("cluster_type")
    if isinstance(cluster_type, dict):
        discovery_type = str(cluster_type.get("name", "custom"))
    else:
        # proto3 omits the default enum value: no ``type`` means STATIC.
        discovery_type = str(raw.get("type", "STATIC"))
    eds_config = raw.get("eds_cluster_config")
    eds_service_name = None
    if isinstance(eds_config, dict):
        eds_service_name = eds_config.get("service_name") or name
    istio = _istio_metadata(raw.get("metadata"))
    services = istio.get("services")
    tls_mode, sni = _tls(raw)
    inline_endpoints = _inline_endpoint_count(raw.get("load_assignment"))
    istio_config = istio.get("config")
    istio_subset = istio.get("subset")
    # Positional, in field order: this runs once per cluster, and a keyword call to a dataclass
    # costs three times as much (the class call packs the keywords into a dict).
    return Cluster(
        name,
        state,
        parse_cluster_name(name),
        discovery_type,
        str(raw.get("lb_policy", "ROUND_ROBIN")),
        tls_mode,
        eds_service_name,
        raw.get("connect_timeout"),
        raw.get("circuit_breakers"),
        raw.get("outlier_detection"),
        sni,
        istio_config if isinstance(istio_config, str) else None,
        istio_subset if isinstance(istio_subset, str) else None,
        tuple([s for s in services if isinstance(s, dict)]) if isinstance(services, list) else (),
        inline_endpoints,
        raw,
    )


def _inline_endpoint_count(load_assignment: Any) -> int:
    count = 0
    if isinstance(load_assignment, dict):
        for group in load_assignment.get("endpoints") or ():
            if isinstance(group, dict):
                count += len(group.get("lb_endpoints") or ())
    return count


def _istio_metadata(metadata: Any) -> JsonDict:
    if isinstance(metadata, dict):
        istio = (metadata.get("filter_metadata") or {}).get("istio")
        if isinstance(istio, dict):
            return istio
    return {}


def _tls(raw: JsonDict) -> tuple[str, str | None]:
    """Classify upstream TLS the way Istio sets it up, and return the SNI if any."""
    for match in raw.get("transport_socket_matches") or ():
        if isinstance(match, dict) and match.get("name") == "tlsMode-istio":
            context = _tls_context(match.get("transport_socket"))
            return "istio-auto", context.get("sni") if context else None
    context = _tls_context(raw.get("transport_socket"))
    if context is None and isinstance(raw.get("tls_context"), dict):
        context = raw["tls_context"]  # v2
    if context is None:
        return "none", None
    sni = context.get("sni")
    common = context.get("common_tls_context") or {}
    alpn = set(common.get("alpn_protocols") or ())
    sds_names = {
        str(s.get("name"))
        for s in common.get("tls_certificate_sds_secret_configs") or ()
        if isinstance(s, dict)
    }
    if alpn & _ISTIO_ALPN or sds_names & _ISTIO_SECRETS:
        return "istio-mutual", sni
    if (
        sds_names
        or common.get("tls_certificates")
        or common.get("tls_certificate_sds_secret_configs")
    ):
        return "mtls", sni
    return "tls", sni


def _tls_context(socket: Any) -> JsonDict | None:
    if not isinstance(socket, dict):
        return None
    name = str(socket.get("name", ""))
    config = socket.get("typed_config") or socket.get("config")
    if not isinstance(config, dict):
        return None
    if "tls" in name or str(config.get("@type", "")).endswith("UpstreamTlsContext"):
        return config
    return None


def endpoints_from_assignment(assignment: JsonDict) -> list[Endpoint]:
    """Endpoints of one ClusterLoadAssignment (EDS or a static cluster's load_assignment)."""
    cluster = str(assignment.get("cluster_name", ""))
    out: list[Endpoint] = []
    for group in assignment.get("endpoints") or ():
        if not isinstance(group, dict):
            continue
        locality = _locality(group.get("locality"))
        priority = int(group.get("priority", 0) or 0)
        for lb_endpoint in group.get("lb_endpoints") or ():
            if not isinstance(lb_endpoint, dict):
                continue
            endpoint = lb_endpoint.get("endpoint") or {}
            weight = lb_endpoint.get("load_balancing_weight")
            if isinstance(weight, dict):
                weight = weight.get("value")
            address = format_address(
                endpoint.get("address") if isinstance(endpoint, dict) else None
            )
            health = str(lb_endpoint.get("health_status", "UNKNOWN"))
            # Positional, in field order: one call per endpoint (see build_cluster).
            out.append(
                Endpoint(
                    cluster,
                    address,
                    health,
                    int(weight) if isinstance(weight, _INT_OR_STR) else None,
                    locality,
                    priority,
                    "eds",
                )
            )
    return out


def endpoints_from_status(status: JsonDict) -> list[Endpoint]:
    """Endpoints of one admin ClusterStatus (``/clusters?format=json``, ``pc endpoint``)."""
    cluster = str(status.get("name", ""))
    out = []
    for host in status.get("host_statuses") or ():
        if not isinstance(host, dict):
            continue
        health = host.get("health_status") or {}
        eds_health = (
            str(health.get("eds_health_status", "HEALTHY")) if isinstance(health, dict) else ""
        )
        if isinstance(health, dict) and any(
            health.get(flag) for flag in ("failed_outlier_check", "failed_active_health_check")
        ):
            eds_health = "UNHEALTHY"
        weight = host.get("weight")
        # Positional, in field order: one call per host (see build_cluster).
        out.append(
            Endpoint(
                cluster,
                format_address(host.get("address")),
                eds_health,
                int(weight) if isinstance(weight, int) else None,
                _locality(host.get("locality")),
                int(host.get("priority", 0) or 0),
                "status",
            )
        )
    return out


def format_address(raw: Any) -> str:
    """``ip:port``, a pipe path, or ``envoy://listener/endpoint_id`` for internal addresses."""
    if not isinstance(raw, dict):
        return ""
    socket = raw.get("socket_address")
    if isinstance(socket, dict):
        return f"{socket.get('address', '')}:{socket.get('port_value', 0)}"
    pipe = raw.get("pipe")
    if isinstance(pipe, dict):
        return f"unix://{pipe.get('path', '')}"
    internal = raw.get("envoy_internal_address")
    if isinstance(internal, dict):
        listener = internal.get("server_listener_name", "")
        endpoint_id = internal.get("endpoint_id", "")
        return f"envoy://{listener}/{endpoint_id}"
    return ""


def _locality(raw: Any) -> str:
    """``region/zone/sub_zone`` without empty trailing parts."""
    if not raw or not isinstance(raw, dict):
        return ""
    region = str(raw.get("region", ""))
    zone = str(raw.get("zone", ""))
    sub_zone = str(raw.get("sub_zone", ""))
    if sub_zone:
        return f"{region}/{zone}/{sub_zone}"
    if zone:
        return f"{region}/{zone}"
    return region
