"""Cluster and endpoint rows of ``meshlens inventory``.

``istioctl pc cluster`` (``cluster.go``) and the EDS table of ``pc all`` (``endpoint.go``), which
orders endpoints like clusters; see docs/istioctl-tables.md. A large mesh has tens of thousands of
each, so the loops below avoid per-row helper calls where a dict lookup does.
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import attrgetter, eq

from analyzer.model.envoy import Endpoint, Proxy
from analyzer.report.inventory_common import (
    STATUS_RANK,
    InventoryFilter,
    Row,
    go_atoi,
    render_istio_config,
    status_rank,
)

ClusterKey = tuple[str, str, int, str]

# When one cluster's endpoints were captured more than once, keep the richest capture.
_ENDPOINT_SOURCE_RANK = {"eds": 0, "status": 1, "load_assignment": 2}
_UNKNOWN_STATUS = len(STATUS_RANK)
_CLUSTER_OF = attrgetter("cluster")


class ClusterOrder:
    """istioctl's order of cluster names, worked out once for the cluster and endpoint tables.

    ``parsed`` holds each name's (FQDN, subset, port, direction), None for a name that is not
    Istio's; ``position`` its place in istioctl's order. Names with equal sort keys share a
    position, so a stable sort by position is the stable sort by key that istioctl does.
    """

    __slots__ = ("parsed", "position")

    def __init__(self, names: Iterable[str]) -> None:
        parsed: dict[str, ClusterKey | None] = {}
        keys: dict[str, ClusterKey] = {}
        ports: dict[str, int] = {}
        for name in names:
            if name in keys:
                continue
            parts = name.split("|")
            # Like istioctl, any name with more than three parts is direction|port|subset|fqdn.
            if len(parts) > 3:
                port = ports.get(parts[1])
                if port is None:
                    port = ports[parts[1]] = go_atoi(parts[1]) or 0
                keys[name] = parsed[name] = (parts[3], parts[2], port, parts[0])
            else:
                parsed[name] = None
                keys[name] = (name, "", 0, "")
        ordered = sorted(keys, key=keys.__getitem__)
        in_order = [keys[name] for name in ordered]
        self.parsed = parsed
        self.position: dict[str, int]
        if not any(map(eq, in_order, in_order[1:])):
            self.position = dict(zip(ordered, range(len(ordered)), strict=True))
        else:
            self.position = {}
            index, previous = -1, None
            for name, key in zip(ordered, in_order, strict=True):
                if key != previous:
                    index, previous = index + 1, key
                self.position[name] = index

    @classmethod
    def of_clusters(cls, proxy: Proxy) -> ClusterOrder:
        """The order of the proxy's clusters (which the endpoint table mostly reuses)."""
        return cls([cluster.name for cluster in proxy.clusters])


def cluster_rows(
    proxy: Proxy, flt: InventoryFilter, order: ClusterOrder | None = None
) -> list[Row]:
    """One row per cluster, ordered by (FQDN, subset, port, direction) as istioctl sorts them.

    ``order`` must cover every cluster name; ``build_inventory`` shares one with
    ``endpoint_rows``.
    """
    if order is None:
        order = ClusterOrder.of_clusters(proxy)
    parsed_of, position = order.parsed, order.position
    dr_cache: dict[str, str] = {"": ""}
    port_needle = f"|{flt.port}|" if flt.port else None
    filtered = bool(flt.fqdn or flt.direction or flt.subset or port_needle)
    keys: list[int] = []
    rows: list[Row] = []
    add_key, add_row = keys.append, rows.append
    rank_of = STATUS_RANK.get
    for cluster in proxy.clusters:
        name = cluster.name
        if filtered and not _cluster_selected(name, flt, port_needle):
            continue
        status = cluster.state.status
        raw = cluster.raw
        if raw:
            # Go prints the ``type`` enum; its zero value STATIC shows for ``cluster_type`` ones.
            cluster_type = raw.get("type", "STATIC")
            if not isinstance(cluster_type, str):
                cluster_type = "STATIC"
        else:
            cluster_type = cluster.discovery_type
        config = cluster.istio_config or ""
        rule = dr_cache.get(config)
        if rule is None:
            rule = render_istio_config(config, dr_cache)
        # Same position: same (FQDN, subset, port, direction); then the active one first.
        add_key(position[name] * 8 + rank_of(status, _UNKNOWN_STATUS))
        parsed = parsed_of[name]
        if parsed is not None:
            fqdn, subset, port, direction = parsed
            add_row(
                {
                    "destination_rule": rule,
                    "direction": direction,
                    "id": f"cluster/{name}",
                    "name": name,
                    "port": port,
                    "service_fqdn": fqdn,
                    "status": status,
                    "subset": subset,
                    "type": cluster_type,
                }
            )
        else:
            add_row(
                {
                    "destination_rule": rule,
                    "direction": None,
                    "id": f"cluster/{name}",
                    "name": name,
                    "port": None,
                    "service_fqdn": name,
                    "status": status,
                    "subset": None,
                    "type": cluster_type,
                }
            )
    return [rows[i] for i in sorted(range(len(rows)), key=keys.__getitem__)]


def _cluster_selected(name: str, flt: InventoryFilter, port_needle: str | None) -> bool:
    """istioctl's cluster filters: substring tests on the whole name."""
    if flt.fqdn and flt.fqdn not in name:
        return False
    if flt.direction and flt.direction not in name:
        return False
    if flt.subset and flt.subset not in name:
        return False
    return port_needle is None or port_needle in name


def cluster_sort_key(name: str) -> ClusterKey:
    """istioctl's cluster order key: (FQDN, subset, port, direction); whole name if not Istio's.

    Like istioctl, any name with more than three ``|`` parts is parsed as
    ``direction|port|subset|fqdn``, and the ``_.`` SNI form is not.
    """
    parts = name.split("|")
    if len(parts) > 3:
        return (parts[3], parts[2], go_atoi(parts[1]) or 0, parts[0])
    return (name, "", 0, "")


def endpoint_rows(
    proxy: Proxy, flt: InventoryFilter, order: ClusterOrder | None = None
) -> list[Row]:
    """One row per endpoint, clusters in istioctl's cluster order, endpoints in capture order.

    ``order`` (shared with ``cluster_rows``) is used when it covers every endpoint's cluster.
    """
    endpoints = proxy.endpoints
    if not endpoints:
        return []
    first_source = endpoints[0].source
    if any(endpoint.source != first_source for endpoint in endpoints):
        endpoints = _richest_captures(endpoints)
    if flt.address or flt.port:
        endpoints = _endpoints_selected(endpoints, flt)
    status_of = _non_active_cluster_status(proxy).get
    rows: list[Row] = [
        {
            "cluster": endpoint.cluster,
            "endpoint": endpoint.address,
            "health_status": endpoint.health,
            "id": f"endpoint/{endpoint.address}",
            "locality": endpoint.locality,
            # The model keeps no outlier flag; only /clusters captures could say OK/FAILED.
            "outlier_check": "-",
            "status": status_of(endpoint.cluster, "active"),
        }
        for endpoint in endpoints
    ]
    clusters = list(map(_CLUSTER_OF, endpoints))
    if order is None or not order.position.keys() >= set(clusters):
        order = ClusterOrder(clusters)
    # A stable sort on the clusters' positions: endpoints of one cluster keep capture order.
    keys = list(map(order.position.__getitem__, clusters))
    return list(map(rows.__getitem__, sorted(range(len(rows)), key=keys.__getitem__)))


def _endpoints_selected(endpoints: list[Endpoint], flt: InventoryFilter) -> list[Endpoint]:
    """The endpoint ``--address`` (IP or ``ip:port``, any case) and ``--port`` filters."""
    want_address = flt.address.casefold() if flt.address else None
    out = []
    for endpoint in endpoints:
        address = endpoint.address
        host, port = split_endpoint_address(address)
        if want_address is not None and want_address not in (host.casefold(), address.casefold()):
            continue
        if flt.port and port != flt.port:
            continue
        out.append(endpoint)
    return out


def _richest_captures(endpoints: list[Endpoint]) -> list[Endpoint]:
    """Endpoints from each cluster's best-ranked source (EDS, then status, then inline)."""
    unknown = len(_ENDPOINT_SOURCE_RANK)
    best: dict[str, int] = {}
    for endpoint in endpoints:
        rank = _ENDPOINT_SOURCE_RANK.get(endpoint.source, unknown)
        if rank < best.get(endpoint.cluster, rank + 1):
            best[endpoint.cluster] = rank
    return [
        endpoint
        for endpoint in endpoints
        if _ENDPOINT_SOURCE_RANK.get(endpoint.source, unknown) == best[endpoint.cluster]
    ]


def _non_active_cluster_status(proxy: Proxy) -> dict[str, str]:
    """Status of each cluster name whose best-ranked cluster is not active (others: active)."""
    found: dict[str, str] = {}
    for cluster in proxy.clusters:
        status = cluster.state.status
        if status != "active":
            current = found.get(cluster.name)
            if current is None or status_rank(status) < status_rank(current):
                found[cluster.name] = status
    if found:
        for cluster in proxy.clusters:
            if cluster.state.status == "active":
                found.pop(cluster.name, None)
    return found


def split_endpoint_address(address: str) -> tuple[str, int]:
    """``ip:port`` -> (ip, port); pipes and internal addresses have no port (0)."""
    if "/" in address:
        return address, 0
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        return address, 0
    return host, int(port)
