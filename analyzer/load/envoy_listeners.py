"""Build Listener / FilterChain from raw (snake_case) Listener dicts, v2 and v3 alike."""

from __future__ import annotations

from typing import Any

from analyzer.load.envoy_routes import build_route_config
from analyzer.model.envoy import (
    FilterChain,
    FilterChainMatch,
    JsonDict,
    Listener,
    ResourceState,
    RouteConfig,
    WeightedCluster,
)

_HCM_NAMES = frozenset(
    {"envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"}
)
_TCP_PROXY_NAMES = frozenset({"envoy.filters.network.tcp_proxy", "envoy.tcp_proxy"})


def build_listener(
    raw: JsonDict, state: ResourceState, fallback_name: str = ""
) -> tuple[Listener, list[RouteConfig]]:
    """Digest one Listener; also return the route configs inlined in its HCMs."""
    name = str(raw.get("name") or fallback_name)
    address, port = _address(raw.get("address"))
    inline: list[RouteConfig] = []
    # Inline route configs record where they live; unnamed listeners go by <address>_<port>.
    owner = name or f"{address}_{port if port is not None else 0}"
    chains = tuple(
        _filter_chain(name, index, chain, state, inline, owner)
        for index, chain in enumerate(raw.get("filter_chains") or ())
        if isinstance(chain, dict)
    )
    default_raw = raw.get("default_filter_chain")
    default_chain = (
        _filter_chain(name, -1, default_raw, state, inline, owner)
        if isinstance(default_raw, dict)
        else None
    )
    listener_filters = tuple(
        str(f.get("name", "")) for f in raw.get("listener_filters") or () if isinstance(f, dict)
    )
    bind = raw.get("bind_to_port")
    if isinstance(bind, dict):
        bind = bind.get("value", True)
    original_dst = raw.get("use_original_dst")
    if isinstance(original_dst, dict):
        original_dst = original_dst.get("value", False)
    listener = Listener(
        name=name,
        address=address,
        port=port,
        state=state,
        filter_chains=chains,
        default_filter_chain=default_chain,
        listener_filters=listener_filters,
        use_original_dst=bool(original_dst),
        bind_to_port=True if bind is None else bool(bind),
        traffic_direction=raw.get("traffic_direction"),
        internal="internal_listener" in raw,
        raw=raw,
    )
    return listener, inline


def _address(raw: Any) -> tuple[str, int | None]:
    if not isinstance(raw, dict):
        return "", None
    socket = raw.get("socket_address")
    if isinstance(socket, dict):
        port = socket.get("port_value")
        return str(socket.get("address", "")), int(port) if isinstance(port, int | str) else 0
    pipe = raw.get("pipe")
    if isinstance(pipe, dict):
        return str(pipe.get("path", "")), None
    internal = raw.get("envoy_internal_address")
    if isinstance(internal, dict):
        return f"envoy://{internal.get('server_listener_name', '')}", None
    return "", None


def _filter_chain(
    listener: str,
    index: int,
    raw: JsonDict,
    state: ResourceState,
    inline: list[RouteConfig],
    owner: str,
) -> FilterChain:
    name = str(raw.get("name", ""))
    match = _chain_match(raw.get("filter_chain_match"))
    filters: list[str] = []
    rds_name = inline_name = tcp_cluster = None
    http_filters: tuple[str, ...] = ()
    tcp_weighted: tuple[WeightedCluster, ...] = ()
    for network_filter in raw.get("filters") or ():
        if not isinstance(network_filter, dict):
            continue
        filter_name = str(network_filter.get("name", ""))
        filters.append(filter_name)
        config = network_filter.get("typed_config") or network_filter.get("config") or {}
        if not isinstance(config, dict):
            continue
        type_url = str(config.get("@type", ""))
        if filter_name in _HCM_NAMES or type_url.endswith("HttpConnectionManager"):
            rds = config.get("rds")
            if isinstance(rds, dict):
                rds_name = str(rds.get("route_config_name", ""))
            route_config = config.get("route_config")
            if isinstance(route_config, dict):
                chain_ref = f"{owner}/{name or ('default' if index < 0 else index)}"
                built = build_route_config(route_config, state, inline_in=chain_ref)
                inline.append(built)
                inline_name = built.name
            http_filters = tuple(
                str(h.get("name", ""))
                for h in config.get("http_filters") or ()
                if isinstance(h, dict)
            )
        elif filter_name in _TCP_PROXY_NAMES or type_url.endswith("TcpProxy"):
            cluster = config.get("cluster")
            tcp_cluster = cluster if isinstance(cluster, str) else None
            weighted = config.get("weighted_clusters")
            if isinstance(weighted, dict):
                tcp_weighted = tuple(
                    WeightedCluster(str(c.get("name", "")), int(c.get("weight", 0) or 0))
                    for c in weighted.get("clusters") or ()
                    if isinstance(c, dict)
                )
    return FilterChain(
        listener=listener,
        index=index,
        name=name,
        match=match,
        filters=tuple(filters),
        rds_name=rds_name,
        inline_route_config=inline_name,
        http_filters=http_filters,
        tcp_cluster=tcp_cluster,
        tcp_weighted_clusters=tcp_weighted,
        istio_config=_istio_config(raw.get("metadata")),
        tls_secrets=_tls_secrets(raw),
        raw=raw,
    )


def _chain_match(raw: Any) -> FilterChainMatch:
    if not isinstance(raw, dict):
        return FilterChainMatch()
    port = raw.get("destination_port")
    if isinstance(port, dict):
        port = port.get("value")
    return FilterChainMatch(
        server_names=tuple(str(s) for s in raw.get("server_names") or ()),
        transport_protocol=raw.get("transport_protocol"),
        destination_port=int(port) if isinstance(port, int | str) else None,
        application_protocols=tuple(str(a) for a in raw.get("application_protocols") or ()),
        prefix_ranges=_cidrs(raw.get("prefix_ranges")),
        source_prefix_ranges=_cidrs(raw.get("source_prefix_ranges")),
    )


def _cidrs(raw: Any) -> tuple[str, ...]:
    out = []
    for cidr in raw or ():
        if isinstance(cidr, dict):
            length = cidr.get("prefix_len")
            if isinstance(length, dict):
                length = length.get("value")
            out.append(f"{cidr.get('address_prefix', '')}/{length if length is not None else 0}")
    return tuple(out)


def _istio_config(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    istio = (metadata.get("filter_metadata") or {}).get("istio")
    if isinstance(istio, dict) and isinstance(istio.get("config"), str):
        return str(istio["config"])
    return None


def _tls_secrets(chain: JsonDict) -> tuple[str, ...]:
    """SDS secret names of a DownstreamTlsContext (v3 transport_socket, v2 tls_context)."""
    context: Any = chain.get("tls_context")
    socket = chain.get("transport_socket")
    if isinstance(socket, dict):
        context = socket.get("typed_config") or socket.get("config") or context
    if not isinstance(context, dict):
        return ()
    common = context.get("common_tls_context")
    if not isinstance(common, dict):
        return ()
    names = [
        str(sds["name"])
        for sds in common.get("tls_certificate_sds_secret_configs") or ()
        if isinstance(sds, dict) and sds.get("name")
    ]
    validation = common.get("validation_context_sds_secret_config")
    combined = common.get("combined_validation_context")
    if isinstance(combined, dict):
        validation = combined.get("validation_context_sds_secret_config") or validation
    if isinstance(validation, dict) and validation.get("name"):
        names.append(str(validation["name"]))
    return tuple(names)
