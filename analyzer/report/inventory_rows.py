"""Build the rows of ``meshlens inventory``: istioctl proxy-config's tables, as plain dicts.

Every rule here (cell text, row order, which filter narrows which table) follows istioctl's
config-dump writer; docs/istioctl-tables.md lists the facts with their upstream source files.
Two deliberate differences: resources that are not active (warming, draining, rejected) are kept
and carry their ``status``, and static secrets are listed (istioctl only reads dynamic ones).

Rows hold what the table shows, except that ports are ints (None when the column shows ``-``)
and VALID CERT is a bool, so scripts can filter without re-parsing text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from analyzer.load.envoy_routes import build_route_config
from analyzer.model.envoy import (
    ACTIVE_STATIC,
    Cluster,
    FilterChain,
    FilterChainMatch,
    Listener,
    Proxy,
    RouteConfig,
    RouteMatch,
)

Row = dict[str, Any]

RESOURCES = ("listener", "route", "cluster", "endpoint", "secret")
"""Resource kinds, in the order ``build_inventory`` returns them."""
SECTION_KEYS = {
    "listener": "listeners",
    "route": "routes",
    "cluster": "clusters",
    "endpoint": "endpoints",
    "secret": "secrets",
}

_HCM = frozenset({"envoy.filters.network.http_connection_manager", "envoy.http_connection_manager"})
_TCP_PROXY = frozenset({"envoy.filters.network.tcp_proxy", "envoy.tcp_proxy"})
_BLACKHOLE = "BlackHoleCluster"
_PASSTHROUGH = "PassthroughCluster"
# istioctl names four well-known ALPN lists instead of printing them (listener.go protDescrs).
_HTTP_ALPN = ("http/1.0", "http/1.1", "h2c")
_ISTIO_HTTP_ALPN = ("istio-http/1.0", "istio-http/1.1", "istio-h2")
_ALPN_NAMES = {
    (*_HTTP_ALPN, *_ISTIO_HTTP_ALPN): "App: HTTP TLS",
    ("istio", *_ISTIO_HTTP_ALPN): "App: Istio HTTP Plain",
    ("istio-peer-exchange", "istio"): "App: TCP TLS",
    _HTTP_ALPN: "App: HTTP",
}
# When one cluster's endpoints were captured more than once, keep the richest capture.
_ENDPOINT_SOURCE_RANK = {"eds": 0, "status": 1, "load_assignment": 2}
_STATUS_RANK = {"active": 0, "warming": 1, "draining": 2, "rejected": 3}
_MAX_DOMAINS = 2


@dataclass(frozen=True)
class InventoryFilter:
    """istioctl proxy-config's filters; None (or 0 / "") means "do not filter".

    As in ``istioctl pc all``: ``port`` narrows listeners, clusters and endpoints; ``address``
    listeners and endpoints; ``fqdn``/``subset``/``direction`` clusters; ``type`` listeners;
    ``name`` routes. Secrets are never filtered.
    """

    port: int | None = None
    fqdn: str | None = None
    subset: str | None = None
    direction: str | None = None
    type: str | None = None
    """Listener type as istioctl classifies it: HTTP, TCP, HTTP+TCP or UNKNOWN (any case)."""
    name: str | None = None
    """Exact route configuration name."""
    address: str | None = None


# ---------------------------------------------------------------------------------------------
# Shared cell helpers


def render_istio_config(path: str | None, cache: dict[str, str]) -> str:
    """``/apis/<group>/<version>/namespaces/<ns>/<kind>/<name>`` -> ``name.ns``, as istioctl does.

    A path of another length renders empty and a non-``/apis/`` path as ``<unknown>``; ``cache``
    keeps this at one split per distinct path (60k routes share a few hundred paths).
    """
    if not path:
        return ""
    found = cache.get(path)
    if found is None:
        pieces = path.split("/")
        if not path.startswith("/apis/"):
            found = "<unknown>"
        elif len(pieces) != 8 or pieces[4] != "namespaces":
            found = ""
        else:
            found = f"{pieces[7]}.{pieces[5]}"
        cache[path] = found
    return found


def describe_route_match(match: RouteMatch) -> str:
    """The MATCH cell: ``/p*``, exact path, ``PathPrefix:/p`` or ``regex r``; headers ignored."""
    kind, value = match.kind, match.value
    if not value:
        return ""
    if kind == "prefix":
        return f"{value}*"
    if kind == "path":
        return value
    if kind == "path_separated_prefix":
        return f"PathPrefix:{value}"
    if kind in ("safe_regex", "regex"):
        return f"regex {value}"
    return ""


def describe_domains(domains: Sequence[str]) -> str:
    """The DOMAINS cell: port-less, short forms first, at most two then ``+ N more...``."""
    if not domains:
        return ""
    if len(domains) == 1:
        return domains[0]
    # Keep names without a port; an IPv6 literal has colons of its own, so keep ``[v6]`` only.
    bare = [d for d in domains if ":" not in d or (d.count(":") > 2 and d.endswith("]"))]
    bare = _unexpand(bare)
    if len(bare) > _MAX_DOMAINS:
        shown = ", ".join(bare[:_MAX_DOMAINS])
        return f"{shown} + {len(bare) - _MAX_DOMAINS} more..."
    return ", ".join(bare)


def _unexpand(domains: list[str]) -> list[str]:
    """Drop ``x.svc.cluster.local`` / ``x.svc`` when ``x`` is also listed (order kept)."""
    unique = set(domains)
    drop = set()
    for domain in domains:
        for suffix in (".svc.cluster.local", ".svc"):
            if domain.endswith(suffix) and domain[: -len(suffix)] in unique:
                drop.add(domain)
    return [d for d in domains if d not in drop]


@lru_cache(maxsize=4096)
def _go_atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign, ASCII digits, int64 range; None where Go returns an error."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _status_rank(status: str) -> int:
    return _STATUS_RANK.get(status, len(_STATUS_RANK))


# ---------------------------------------------------------------------------------------------
# Listeners


def listener_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per filter chain; listeners by (port, address, type), chains by DESTINATION desc."""
    want_address = flt.address.casefold() if flt.address else None
    want_type = flt.type.casefold() if flt.type else None
    picked: list[tuple[int, str, str, Listener, str, list[tuple[str, str, FilterChain]]]] = []
    for listener in proxy.listeners:
        address = _listener_address(listener)
        addresses = [address, *_additional_addresses(listener)]
        port = listener.port or 0
        if want_address is not None and all(a.casefold() != want_address for a in addresses):
            continue
        if flt.port and port != flt.port:
            continue
        chains: list[tuple[str, str, FilterChain]] = []
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
    picked.sort(key=lambda p: (p[0], p[1], p[2], _status_rank(p[3].state.status)))
    rows: list[Row] = []
    for port, _, listener_type, listener, joined, described in picked:
        base = {
            "status": listener.state.status,
            "listener": listener.name,
            "addresses": joined,
            "port": port,
            "type": listener_type,
        }
        if not described:
            # A rejected listener may have no chain at all; keep one row so it stays visible.
            rows.append(
                {
                    **base,
                    "id": f"listener/{listener.name}",
                    "chain": None,
                    "match": "",
                    "destination": "",
                }
            )
            continue
        described.sort(key=lambda c: c[0], reverse=True)
        for destination, match, chain in described:
            rows.append(
                {
                    **base,
                    "id": f"filter_chain/{listener.name}/{chain.key}",
                    "chain": chain.key,
                    "match": match,
                    "destination": destination,
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


# ---------------------------------------------------------------------------------------------
# Routes


def route_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per route (PassthroughCluster routes skipped), one per route-less virtual host."""
    vs_cache: dict[str, str] = {}
    rows: list[Row] = []
    for route_config in _route_table_configs(proxy):
        name = route_config.name
        if flt.name and name != flt.name:
            continue
        status = route_config.state.status
        for vhost in route_config.virtual_hosts:
            domains = describe_domains(vhost.domains)
            for route in vhost.routes:
                if route.action == "route" and route.cluster == _PASSTHROUGH:
                    continue
                rows.append(
                    {
                        "id": f"route/{name}/{vhost.name}/{route.index}",
                        "status": status,
                        "name": name,
                        "vhost_name": vhost.name,
                        "domains": domains,
                        "match": describe_route_match(route.match),
                        "virtual_service": render_istio_config(route.istio_config, vs_cache),
                    }
                )
            if not vhost.routes:
                rows.append(
                    {
                        "id": f"virtual_host/{name}/{vhost.name}",
                        "status": status,
                        "name": name,
                        "vhost_name": vhost.name,
                        "domains": domains,
                        "match": "/*",
                        "virtual_service": "404",
                    }
                )
    return rows


def _route_table_configs(proxy: Proxy) -> list[RouteConfig]:
    """Route configs in istioctl's order: RDS ones first, then Envoy's static list.

    Envoy lists every HCM-inlined route config as static; the loader keeps those as the inline
    copies (``inline_in`` set, state taken from their listener), so "static" means "not RDS".
    """
    rds = [rc for rc in proxy.route_configs if rc.inline_in is None and rc.state.dynamic]
    static = [rc for rc in proxy.route_configs if rc.inline_in is not None or not rc.state.dynamic]
    return _numeric_runs_sorted(rds + static)


def _numeric_runs_sorted(configs: list[RouteConfig]) -> list[RouteConfig]:
    """istioctl orders by numeric name but calls non-numeric names "not less" than anything.

    With Go's insertion sort that leaves non-numeric names in place and sorts each run of
    numeric names between them; doing exactly that keeps the order deterministic for any size.
    """
    out: list[RouteConfig] = []
    run: list[tuple[int, RouteConfig]] = []
    for route_config in configs:
        number = _go_atoi(route_config.name)
        if number is None:
            run.sort(key=lambda item: item[0])
            out.extend(rc for _, rc in run)
            run = []
            out.append(route_config)
        else:
            run.append((number, route_config))
    run.sort(key=lambda item: item[0])
    out.extend(rc for _, rc in run)
    return out


# ---------------------------------------------------------------------------------------------
# Clusters


def cluster_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per cluster, ordered by (FQDN, subset, port, direction) as istioctl sorts them."""
    dr_cache: dict[str, str] = {}
    port_needle = f"|{flt.port}|" if flt.port else None
    keyed: list[tuple[tuple[str, str, int, str, int], Row]] = []
    for cluster in proxy.clusters:
        name = cluster.name
        if flt.fqdn and flt.fqdn not in name:
            continue
        if flt.direction and flt.direction not in name:
            continue
        if flt.subset and flt.subset not in name:
            continue
        if port_needle is not None and port_needle not in name:
            continue
        row: Row = {
            "id": f"cluster/{name}",
            "status": cluster.state.status,
            "name": name,
            "type": _cluster_type(cluster),
            "destination_rule": render_istio_config(cluster.istio_config, dr_cache),
        }
        parsed = _subset_key(name)
        if parsed is None:
            row.update(service_fqdn=name, port=None, subset=None, direction=None)
            sort_key = (name, "", 0, "", _status_rank(cluster.state.status))
        else:
            fqdn, subset, port, direction = parsed
            row.update(service_fqdn=fqdn, port=port, subset=subset, direction=direction)
            sort_key = (*parsed, _status_rank(cluster.state.status))
        keyed.append((sort_key, row))
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


def _cluster_type(cluster: Cluster) -> str:
    """Go prints the ``type`` enum, whose zero value STATIC also shows for ``cluster_type`` ones."""
    raw_type = cluster.raw.get("type") if cluster.raw else None
    if isinstance(raw_type, str):
        return raw_type
    if cluster.raw:
        return "STATIC"
    return cluster.discovery_type


def _subset_key(name: str) -> tuple[str, str, int, str] | None:
    """(FQDN, subset, port, direction) of ``direction|port|subset|fqdn``; None for other names.

    Like istioctl, any name with more than three ``|`` parts counts, and the ``_.`` SNI form
    does not.
    """
    parts = name.split("|")
    if len(parts) > 3:
        return (parts[3], parts[2], _go_atoi(parts[1]) or 0, parts[0])
    return None


def cluster_sort_key(name: str) -> tuple[str, str, int, str]:
    """istioctl's cluster order key: (FQDN, subset, port, direction); whole name if not Istio's."""
    return _subset_key(name) or (name, "", 0, "")


# ---------------------------------------------------------------------------------------------
# Endpoints


def endpoint_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per endpoint, clusters in istioctl's cluster order, endpoints in capture order."""
    best: dict[str, int] = {}
    for endpoint in proxy.endpoints:
        rank = _ENDPOINT_SOURCE_RANK.get(endpoint.source, len(_ENDPOINT_SOURCE_RANK))
        if rank < best.get(endpoint.cluster, rank + 1):
            best[endpoint.cluster] = rank
    cluster_status: dict[str, str] = {}
    for cluster in proxy.clusters:
        current = cluster_status.get(cluster.name)
        if current is None or _status_rank(cluster.state.status) < _status_rank(current):
            cluster_status[cluster.name] = cluster.state.status
    want_address = flt.address.casefold() if flt.address else None
    key_cache: dict[str, tuple[str, str, int, str]] = {}
    keyed: list[tuple[tuple[str, str, int, str], Row]] = []
    for endpoint in proxy.endpoints:
        rank = _ENDPOINT_SOURCE_RANK.get(endpoint.source, len(_ENDPOINT_SOURCE_RANK))
        if rank != best[endpoint.cluster]:
            continue
        if want_address is not None or flt.port:
            host, port = split_endpoint_address(endpoint.address)
            if want_address is not None and want_address not in (
                host.casefold(),
                endpoint.address.casefold(),
            ):
                continue
            if flt.port and port != flt.port:
                continue
        key = key_cache.get(endpoint.cluster)
        if key is None:
            key = key_cache[endpoint.cluster] = cluster_sort_key(endpoint.cluster)
        keyed.append(
            (
                key,
                {
                    "id": f"endpoint/{endpoint.address}",
                    "status": cluster_status.get(endpoint.cluster, "active"),
                    "endpoint": endpoint.address,
                    "health_status": endpoint.health,
                    # The model keeps no outlier flag; only /clusters captures could say OK/FAILED.
                    "outlier_check": "-",
                    "locality": endpoint.locality,
                    "cluster": endpoint.cluster,
                },
            )
        )
    keyed.sort(key=lambda item: item[0])
    return [row for _, row in keyed]


def split_endpoint_address(address: str) -> tuple[str, int]:
    """``ip:port`` -> (ip, port); pipes and internal addresses have no port (0)."""
    if "/" in address:
        return address, 0
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address, 0
    return host, int(port)


# ---------------------------------------------------------------------------------------------
# Secrets


def secret_rows(proxy: Proxy, now: datetime | None = None) -> list[Row]:
    """Warming secrets first, then active ones, then static ones (istioctl shows no static)."""
    # Judged at capture time (the secret's last_updated) unless a clock is given: istioctl uses
    # the wall clock, which would make the same capture print differently from day to day.
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if now is not None else None
    ordered = sorted(proxy.secrets, key=lambda s: (not s.dynamic, s.status.upper() != "WARMING"))
    rows: list[Row] = []
    for secret in ordered:
        warming = secret.status.upper() == "WARMING"
        sds_status = "WARMING" if warming else "ACTIVE"
        if not warming and secret.version == "uninitialized":
            sds_status = "UNINITIALIZED"
        has_cert = bool(secret.not_before and secret.not_after)
        # The fixed-width RFC 3339 strings compare correctly as text.
        if stamp is not None:
            valid = has_cert and str(secret.not_before) < stamp < str(secret.not_after)
        else:
            valid = has_cert and bool(secret.valid)
        rows.append(
            {
                "id": f"secret/{secret.name}",
                "status": "warming" if warming else "active",
                "resource_name": secret.name,
                "type": secret.kind if has_cert else "",
                "secret_status": sds_status,
                "valid_cert": valid,
                "serial_number": secret.serial_number or "",
                "not_after": secret.not_after or "",
                "not_before": secret.not_before or "",
            }
        )
    return rows


ROW_BUILDERS: dict[str, Callable[[Proxy, InventoryFilter], list[Row]]] = {
    "listener": listener_rows,
    "route": route_rows,
    "cluster": cluster_rows,
    "endpoint": endpoint_rows,
}
