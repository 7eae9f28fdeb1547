"""Listener rows of ``meshlens inventory``: istioctl's ``proxy-config listener`` table.

One row per filter chain (``default_filter_chain`` included), cells as ``listener.go`` writes
them; see docs/istioctl-tables.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.attribution.ids import listener_key
from analyzer.load.envoy_routes import build_route_config
from analyzer.model.envoy import (
    ACTIVE_STATIC,
    FilterChain,
    FilterChainMatch,
    Listener,
    Proxy,
    RouteConfig,
)
from analyzer.report.inventory_common import (
    InventoryFilter,
    Row,
    describe_route_match,
    status_rank,
)

_HCM = frozenset({"envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"})
_TCP_PROXY = frozenset({"envoy.filters.network.tcp_proxy", "envoy.tcp_proxy"})
_BLACKHOLE = "BlackHoleCluster"
# istioctl names four well-known ALPN lists instead of printing them (listener.go protDescrs).
_HTTP_ALPN = ("http/1.0", "http/1.1", "h2c")
_ISTIO_HTTP_ALPN = ("istio-http/1.0", "istio-http/1.1", "istio-h2")
_ALPN_NAMES = {
    (*_HTTP_ALPN, *_ISTIO_HTTP_ALPN): "App: HTTP TLS",
    ("istio", *_ISTIO_HTTP_ALPN): "App: Istio HTTP Plain",
    ("istio-peer-exchange", "istio"): "App: TCP TLS",
    _HTTP_ALPN: "App: HTTP",
}

_Described = tuple[str, str, FilterChain | None]
"""(DESTINATION, MATCH, chain) of one row; no chain for a chain-less listener's row."""


def listener_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per filter chain; listeners by (port, address, type), chains by DESTINATION desc."""
    want_address = flt.address.casefold() if flt.address else None
    want_type = flt.type.casefold() if flt.type else None
    picked: list[tuple[int, str, str, Listener, str, list[_Described]]] = []
    for listener in proxy.listeners:
        address = _listener_address(listener)
        addresses = [address, *_additional_addresses(listener)]
        port = listener.port or 0
        if want_address is not None and all(a.casefold() != want_address for a in addresses):
            continue
        if flt.port and port != flt.port:
            continue
        chains: list[_Described] = []
        n_http = n_tcp = 0
        for chain in listener.all_chains:
            destination, http, tcp = _chain_destination(chain)
            n_http, n_tcp = n_http + http, n_tcp + tcp
            chains.append((destination, describe_chain_match(chain.match), chain))
        listener_type = _listener_type(n_http, n_tcp)
        if want_type is not None and listener_type.casefold() != want_type:
            continue
        picked.append((port, address, listener_type, listener, ",".join(addresses), chains))
    # Python's sort is stable, like the insertion sort Go uses for istioctl's short lists.
    picked.sort(key=lambda p: (p[0], p[1], p[2], status_rank(p[3].state.status)))
    rows: list[Row] = []
    for port, _, listener_type, listener, joined, described in picked:
        status, name = listener.state.status, listener.name
        # Ids follow analyzer.attribution.ids: an unnamed listener is ``<address>_<port>``; the
        # NAME column keeps istioctl's empty name.
        key = listener_key(listener)
        if not described:
            # A rejected listener may have no chain at all; keep one row so it stays visible.
            described = [("", "", None)]
        else:
            described.sort(key=lambda c: c[0], reverse=True)
        for destination, match, owner in described:
            rows.append(
                {
                    "addresses": joined,
                    "chain": owner.key if owner is not None else None,
                    "destination": destination,
                    "id": (
                        f"filter_chain/{key}/{owner.key}"
                        if owner is not None
                        else f"listener/{key}"
                    ),
                    "listener": name,
                    "match": match,
                    "port": port,
                    "status": status,
                    "type": listener_type,
                }
            )
    return rows


def _listener_address(listener: Listener) -> str:
    """Socket address or pipe path; empty for internal listeners (istioctl prints nothing)."""
    raw = listener.raw.get("address") if listener.raw else None
    if isinstance(raw, dict):
        socket = raw.get("socket_address")
        if isinstance(socket, dict):
            return str(socket.get("address", ""))
        pipe = raw.get("pipe")
        return str(pipe.get("path", "")) if isinstance(pipe, dict) else ""
    if listener.raw:
        return ""
    return "" if listener.address.startswith("envoy://") else listener.address


def _additional_addresses(listener: Listener) -> list[str]:
    out = []
    for extra in listener.raw.get("additional_addresses") or () if listener.raw else ():
        address = extra.get("address") if isinstance(extra, dict) else None
        socket = address.get("socket_address") if isinstance(address, dict) else None
        out.append(str(socket.get("address", "")) if isinstance(socket, dict) else "")
    return out


def _listener_type(n_http: int, n_tcp: int) -> str:
    if n_http:
        return "HTTP+TCP" if n_tcp else "HTTP"
    return "TCP" if n_tcp else "UNKNOWN"


def describe_chain_match(match: FilterChainMatch) -> str:
    """The MATCH cell: ``SNI: …; Trans: …; App: …; Addr: …`` or ``ALL``."""
    parts = []
    if match.server_names:
        parts.append(f"SNI: {','.join(match.server_names)}")
    if match.transport_protocol:
        parts.append(f"Trans: {match.transport_protocol}")
    if match.application_protocols:
        alpn = match.application_protocols
        parts.append(_ALPN_NAMES.get(alpn) or f"App: {','.join(alpn)}")
    port = f":{match.destination_port}" if match.destination_port is not None else ""
    if match.prefix_ranges:
        parts.append(f"Addr: {','.join(match.prefix_ranges)}{port}")
    elif port:
        parts.append(f"Addr: *{port}")
    return "; ".join(parts) if parts else "ALL"


def _chain_destination(chain: FilterChain) -> tuple[str, int, int]:
    """(DESTINATION cell, HTTP filters, non-blackhole TCP filters) of one chain."""
    destination: str | None = None
    n_http = n_tcp = 0
    for name, config in _network_filters(chain):
        if name in _HCM:
            n_http += 1
            if destination is None:
                destination = _describe_hcm(config, chain)
        elif name in _TCP_PROXY and not _mentions_blackhole(config, chain):
            n_tcp += 1
            if destination is None:
                cluster = config.get("cluster") if config else chain.tcp_cluster
                cluster = cluster if isinstance(cluster, str) else ""
                destination = cluster if "Cluster" in cluster else f"Cluster: {cluster}"
    return destination or "Non-HTTP/Non-TCP", n_http, n_tcp


def _network_filters(chain: FilterChain) -> Iterable[tuple[str, dict[str, Any]]]:
    raw_filters = chain.raw.get("filters") if chain.raw else None
    if not isinstance(raw_filters, list):
        # Hand-built chains without raw: the digested fields stand in for the filter configs.
        return ((name, {}) for name in chain.filters)
    out = []
    for entry in raw_filters:
        if isinstance(entry, dict):
            config = entry.get("typed_config") or entry.get("config") or {}
            out.append((str(entry.get("name", "")), config if isinstance(config, dict) else {}))
    return out


def _mentions_blackhole(config: dict[str, Any], chain: FilterChain) -> bool:
    # istioctl searches the serialized TcpProxy for "BlackHoleCluster"; its string fields
    # (cluster, stat_prefix) and weighted cluster names are where the name can appear.
    if not config:
        return chain.tcp_cluster == _BLACKHOLE
    for value in config.values():
        if isinstance(value, str) and _BLACKHOLE in value:
            return True
    weighted = config.get("weighted_clusters")
    if isinstance(weighted, dict):
        for entry in weighted.get("clusters") or ():
            if isinstance(entry, dict) and _BLACKHOLE in str(entry.get("name", "")):
                return True
    return False


def _describe_hcm(config: dict[str, Any], chain: FilterChain) -> str:
    inline = config.get("route_config")
    if isinstance(inline, dict):
        return describe_inline_route(build_route_config(inline, ACTIVE_STATIC))
    rds = config.get("rds")
    rds_name = rds.get("route_config_name") if isinstance(rds, dict) else None
    if not config:
        rds_name = chain.rds_name
    return f"Route: {rds_name}" if rds_name else "HTTP"


def describe_inline_route(route_config: RouteConfig) -> str:
    """``Cluster: x`` for a catch-all forward, else ``Inline Route: <domains> <matches>; …``."""
    vhosts = route_config.virtual_hosts
    if len(vhosts) == 1 and vhosts[0].domains == ("*",) and len(vhosts[0].routes) == 1:
        route = vhosts[0].routes[0]
        if route.match.kind == "prefix" and route.match.value == "/" and route.cluster is not None:
            cluster = route.cluster
            return cluster if "Cluster" in cluster else f"Cluster: {cluster}"
    described = []
    for vhost in vhosts:
        matches = ", ".join(describe_route_match(r.match) for r in vhost.routes)
        if vhost.domains == ("*",):
            described.append(matches)
        else:
            described.append(f"{'/'.join(vhost.domains)} {matches}")
    return f"Inline Route: {'; '.join(described)}"
