"""Cluster and endpoint rows of ``meshlens inventory``.

``istioctl pc cluster`` (``cluster.go``) and the EDS table of ``pc all`` (``endpoint.go``), which
orders endpoints like clusters; see docs/istioctl-tables.md. A large mesh has tens of thousands of
each, so the loops below avoid per-row helper calls where a dict lookup does.
"""

from __future__ import annotations

from operator import itemgetter

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
_first = itemgetter(0)


def cluster_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per cluster, ordered by (FQDN, subset, port, direction) as istioctl sorts them."""
    dr_cache: dict[str, str] = {}
    port_needle = f"|{flt.port}|" if flt.port else None
    filtered = bool(flt.fqdn or flt.direction or flt.subset or port_needle)
    keyed: list[tuple[tuple[str, str, int, str, int], Row]] = []
    append = keyed.append
    for cluster in proxy.clusters:
        name = cluster.name
        if filtered and not _cluster_selected(name, flt, port_needle):
            continue
        status = cluster.state.status
        rank = STATUS_RANK.get(status, _UNKNOWN_STATUS)
        raw = cluster.raw
        # Go prints the ``type`` enum, whose zero value STATIC also shows for ``cluster_type`` ones.
        if raw:
            raw_type = raw.get("type")
            cluster_type = raw_type if isinstance(raw_type, str) else "STATIC"
        else:
            cluster_type = cluster.discovery_type
        config = cluster.istio_config
        rule = (dr_cache.get(config) or render_istio_config(config, dr_cache)) if config else ""
        # Keys in sorted order: JSON output can then skip orjson's key sorting.
        parts = name.split("|")
        if len(parts) > 3:
            fqdn, subset, direction = parts[3], parts[2], parts[0]
            port = go_atoi(parts[1]) or 0
            row: Row = {
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
            append(((fqdn, subset, port, direction, rank), row))
        else:
            row = {
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
            append(((name, "", 0, "", rank), row))
    keyed.sort(key=_first)
    return [row for _, row in keyed]


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


def endpoint_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per endpoint, clusters in istioctl's cluster order, endpoints in capture order."""
    endpoints = proxy.endpoints
    if not endpoints:
        return []
    first_source = endpoints[0].source
    if any(endpoint.source != first_source for endpoint in endpoints):
        endpoints = _richest_captures(endpoints)
    cluster_status = _non_active_cluster_status(proxy)
    status_of = cluster_status.get
    want_address = flt.address.casefold() if flt.address else None
    want_port = flt.port
    rows: list[Row] = []
    groups: dict[str, list[Row]] = {}
    group_of = groups.get
    for endpoint in endpoints:
        address = endpoint.address
        if want_address is not None or want_port:
            host, port = split_endpoint_address(address)
            if want_address is not None and want_address not in (
                host.casefold(),
                address.casefold(),
            ):
                continue
            if want_port and port != want_port:
                continue
        cluster = endpoint.cluster
        # Keys in sorted order: JSON output can then skip orjson's key sorting.
        row = {
            "cluster": cluster,
            "endpoint": address,
            "health_status": endpoint.health,
            "id": f"endpoint/{address}",
            "locality": endpoint.locality,
            # The model keeps no outlier flag; only /clusters captures could say OK/FAILED.
            "outlier_check": "-",
            "status": status_of(cluster, "active"),
        }
        rows.append(row)
        group = group_of(cluster)
        if group is None:
            groups[cluster] = [row]
        else:
            group.append(row)
    keys = {cluster: cluster_sort_key(cluster) for cluster in groups}
    if len(set(keys.values())) < len(keys):
        # Two cluster names share a sort key: their endpoints interleave in capture order.
        keyed = [(keys[row["cluster"]], row) for row in rows]
        keyed.sort(key=_first)
        return [row for _, row in keyed]
    # Distinct keys: a stable sort of all rows is the clusters' order, each in capture order.
    return [row for cluster in sorted(groups, key=keys.__getitem__) for row in groups[cluster]]


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
