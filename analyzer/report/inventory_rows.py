"""Build the rows of ``meshlens inventory``: istioctl's proxy-config tables, as plain dicts.

Every rule here (cell text, row order, which filter narrows which table) follows istioctl's
config-dump writer; docs/istioctl-tables.md lists the facts with their upstream source files.
Two deliberate differences: resources that are not active (warming, draining, rejected) are kept
and carry their ``status``, and static secrets are listed (istioctl only reads dynamic ones).

Rows hold what the table shows, except that ports are ints (None when the column shows ``-``)
and VALID CERT is a bool, so scripts can filter without re-parsing text.

One module per table builds its rows (``inventory_listeners``, ``inventory_routes``,
``inventory_clusters`` for clusters and endpoints, ``inventory_secrets``), with shared helpers in
``inventory_common``; this module gathers them.
"""

from __future__ import annotations

from collections.abc import Callable

from analyzer.model.envoy import Proxy
from analyzer.report.inventory_clusters import (
    ClusterOrder,
    cluster_rows,
    cluster_sort_key,
    endpoint_rows,
    split_endpoint_address,
)
from analyzer.report.inventory_common import (
    RESOURCES,
    SECTION_KEYS,
    InventoryFilter,
    Row,
    describe_route_match,
    render_istio_config,
)
from analyzer.report.inventory_listeners import (
    describe_chain_match,
    describe_inline_route,
    listener_rows,
)
from analyzer.report.inventory_routes import describe_domains, route_rows
from analyzer.report.inventory_secrets import secret_rows

__all__ = [
    "RESOURCES",
    "ROW_BUILDERS",
    "SECTION_KEYS",
    "ClusterOrder",
    "InventoryFilter",
    "Row",
    "cluster_rows",
    "cluster_sort_key",
    "describe_chain_match",
    "describe_domains",
    "describe_inline_route",
    "describe_route_match",
    "endpoint_rows",
    "listener_rows",
    "render_istio_config",
    "route_rows",
    "secret_rows",
    "split_endpoint_address",
]

ROW_BUILDERS: dict[str, Callable[[Proxy, InventoryFilter], list[Row]]] = {
    "listener": listener_rows,
    "route": route_rows,
    "cluster": cluster_rows,
    "endpoint": endpoint_rows,
}
"""Row builder of each filtered table; secrets take a clock instead (``secret_rows``)."""
