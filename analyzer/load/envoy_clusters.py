"""Build Cluster / Endpoint from raw Cluster, ClusterLoadAssignment and ClusterStatus dicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.model.envoy import Cluster, ClusterKey, Endpoint, JsonDict, ResourceState

_DIRECTIONS = frozenset({"inbound", "outbound", "inbound-vip", "outbound-vip"})
# Alpn protocols and secret names that only Istio's own mTLS uses.
_ISTIO_ALPN = frozenset(
    {"istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2"}
)
_ISTIO_SECRETS = frozenset({"default", "ROOTCA"})


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
        discovery = str(cluster_type.get("name", "custom"))
    else:
        # proto3 omits the default enum value: no ``type`` means STATIC.
        discovery = str(raw.get("type", "STATIC"))
    eds_config = raw.get("eds_cluster_config")
    eds_service = None
    if isinstance(eds_config, dict):
        eds_service = eds_config.get("service_name") or name
    istio = _istio_metadata(raw.get("metadata"))
    services = istio.get("services")
    tls_mode, sni = _tls(raw)
    load_assignment = raw.get("load_assignment")
    inline_endpoints = 0
    if isinstance(load_assignment, dict):
        for group in load_assignment.get("endpoints") or ():
            if isinstance(group, dict):
                inline_endpoints += len(group.get("lb_endpoints") or ())
    return Cluster(
        name=name,
        state=state,
        key=parse_cluster_name(name),
        discovery_type=discovery,
        lb_policy=str(raw.get("lb_policy", "ROUND_ROBIN")),
        tls_mode=tls_mode,
        eds_service_name=eds_service,
        connect_timeout=raw.get("connect_timeout"),
        circuit_breakers=raw.get("circuit_breakers"),
        outlier_detection=raw.get("outlier_detection"),
        sni=sni,
        istio_config=istio.get("config") if isinstance(istio.get("config"), str) else None,
        istio_subset=istio.get("subset") if isinstance(istio.get("subset"), str) else None,
        istio_services=tuple(s for s in services if isinstance(s, Mapping))
        if isinstance(services, list)
        else (),
        inline_endpoints=inline_endpoints,
        raw=raw,
    )


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
    type_url = str(config.get("@type", ""))
    if "tls" in name or type_url.endswith("UpstreamTlsContext"):
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
            out.append(
                Endpoint(
                    cluster=cluster,
                    address=format_address(
                        endpoint.get("address") if isinstance(endpoint, dict) else None
                    ),
                    health=str(lb_endpoint.get("health_status", "UNKNOWN")),
                    weight=int(weight) if isinstance(weight, int | str) else None,
                    locality=locality,
                    priority=priority,
                    source="eds",
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
        out.append(
            Endpoint(
                cluster=cluster,
                address=format_address(host.get("address")),
                health=eds_health,
                weight=int(weight) if isinstance(weight, int) else None,
                locality=_locality(host.get("locality")),
                priority=int(host.get("priority", 0) or 0),
                source="status",
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
    if not isinstance(raw, dict):
        return ""
    parts = [str(raw.get(k, "")) for k in ("region", "zone", "sub_zone")]
    while parts and not parts[-1]:
        parts.pop()
    return "/".join(parts)
