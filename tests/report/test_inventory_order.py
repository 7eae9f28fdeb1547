"""istioctl's cluster order, shared by the cluster and endpoint tables of `meshlens inventory`.

istioctl sorts stably by (FQDN, subset, port, direction); different names can share that key
(``80`` and ``080`` are one port), and then capture order decides, across clusters too.
"""

from __future__ import annotations

from analyzer.model.envoy import Cluster, Endpoint, Proxy, ResourceState, Status
from analyzer.report.inventory import InventoryFilter, build_inventory
from analyzer.report.inventory_clusters import ClusterOrder, cluster_rows, endpoint_rows

NO_FILTER = InventoryFilter()
A80 = "outbound|80||a.ns.svc.cluster.local"
A080 = "outbound|080||a.ns.svc.cluster.local"
B = "outbound|80||b.ns.svc.cluster.local"


def _cluster(name: str, status: Status = "active") -> Cluster:
    return Cluster(name, ResourceState(status, True), None, "EDS", "ROUND_ROBIN", "none")


def _proxy() -> Proxy:
    return Proxy(
        clusters=[_cluster(B), _cluster(A080), _cluster(A80, "warming"), _cluster(A80)],
        endpoints=[
            Endpoint(B, "10.0.0.1:80", "HEALTHY"),
            Endpoint(A80, "10.0.0.2:80", "HEALTHY"),
            Endpoint(A080, "10.0.0.3:80", "HEALTHY"),
            Endpoint(A80, "10.0.0.4:80", "HEALTHY"),
            Endpoint("agent", "127.0.0.1:15020", "HEALTHY"),
        ],
    )


def test_equal_keys_share_a_position() -> None:
    order = ClusterOrder([B, A80, A080, "agent", A80])
    assert order.position[A80] == order.position[A080]
    # ``a.ns…`` sorts before ``agent`` ("." < "g"), which sorts before ``b.ns…``.
    assert order.position[A80] < order.position["agent"] < order.position[B]
    assert order.parsed[A080] == ("a.ns.svc.cluster.local", "", 80, "outbound")
    assert order.parsed["agent"] is None


def test_clusters_sharing_a_key_keep_capture_order() -> None:
    rows = cluster_rows(_proxy(), NO_FILTER)
    assert [(r["name"], r["status"]) for r in rows] == [
        (A080, "active"),  # same key as A80: capture order, active before warming
        (A80, "active"),
        (A80, "warming"),
        (B, "active"),
    ]


def test_endpoints_interleave_in_capture_order_within_a_key() -> None:
    proxy = _proxy()
    expected = ["10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "127.0.0.1:15020", "10.0.0.1:80"]
    # Without a shared order, and with one that lacks a cluster (``agent`` has no cluster).
    assert [r["endpoint"] for r in endpoint_rows(proxy, NO_FILTER)] == expected
    shared = ClusterOrder.of_clusters(proxy)
    assert [r["endpoint"] for r in endpoint_rows(proxy, NO_FILTER, shared)] == expected
    inventory = build_inventory(proxy, ["cluster", "endpoint"], NO_FILTER)
    assert [r["endpoint"] for r in inventory["endpoints"]] == expected
    # A cluster name's status is its best one: A80 has an active and a warming cluster.
    assert {r["status"] for r in inventory["endpoints"]} == {"active"}


def test_endpoint_filters_keep_the_order() -> None:
    proxy = _proxy()
    rows = endpoint_rows(proxy, InventoryFilter(port=80), ClusterOrder.of_clusters(proxy))
    assert [r["endpoint"] for r in rows] == [
        "10.0.0.2:80",
        "10.0.0.3:80",
        "10.0.0.4:80",
        "10.0.0.1:80",
    ]
    rows = endpoint_rows(proxy, InventoryFilter(address="10.0.0.3"))
    assert [r["endpoint"] for r in rows] == ["10.0.0.3:80"]
