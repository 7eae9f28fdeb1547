"""`meshlens inventory`: istioctl's own outputs as goldens, filters checked against the raw dumps.

Golden comparisons slice each table at the column starts of its header (Go's tabwriter aligns
every column, so this keeps empty cells) and compare cell by cell; where meshlens reproduces
istioctl byte for byte, the whole text is compared as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from analyzer.errors import UsageError
from analyzer.load.envoy import load_proxies
from analyzer.model.envoy import (
    ACTIVE_STATIC,
    Cluster,
    Endpoint,
    FilterChain,
    FilterChainMatch,
    Listener,
    Proxy,
    ResourceState,
    Route,
    RouteConfig,
    RouteMatch,
    Secret,
    Status,
    VirtualHost,
)
from analyzer.report.inventory import (
    RESOURCES,
    InventoryFilter,
    build_inventory,
    render_inventory,
    tabwrite,
)
from analyzer.report.inventory_rows import (
    describe_chain_match,
    describe_domains,
    describe_inline_route,
    render_istio_config,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
UPSTREAM = SHARED / "dumps" / "upstream"
# Pinned so VALID CERT (istioctl compares with the clock) is reproducible.
NOW = datetime(2026, 8, 22, tzinfo=UTC)
NO_FILTER = InventoryFilter()

WAYPOINT = "istio-head__proxyconfig__waypoint-1.21-full.json"
DSB = "ext-dsb__istio-1.18__hotelres-geo-sidecar-NACK-virtualInbound.json"
SCOPED = "istio-1.4__describe__productpage-sidecar-scoped.json"

# Header labels of each table, in column order (some contain a space).
HEADERS = {
    "cluster": ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"],
    "listener": ["ADDRESSES", "PORT", "MATCH", "DESTINATION"],
    "route": ["NAME", "VHOST NAME", "DOMAINS", "MATCH", "VIRTUAL SERVICE"],
    "secret": [
        *("RESOURCE NAME", "TYPE", "STATUS", "VALID CERT"),
        *("SERIAL NUMBER", "NOT AFTER", "NOT BEFORE"),
    ],
    "eds": ["NAME", "STATUS", "LOCALITY", "CLUSTER"],
}


def upstream(name: str) -> Path:
    path = UPSTREAM / name
    if not path.exists():
        pytest.skip(f"{path} not present (../shared is only beside CI and dev checkouts)")
    return path


def raw_dump(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(upstream(name).read_bytes())
    return data


def load_one(name: str) -> Proxy:
    (proxy,) = load_proxies([str(upstream(name))])
    return proxy


def table_cells(text: str, labels: list[str]) -> list[list[str]]:
    """Slice every line at the header's column starts; the header row itself is dropped."""
    lines = text.rstrip("\n").split("\n")
    header, starts, pos = lines[0], [], 0
    for label in labels:
        pos = header.index(label, pos)
        starts.append(pos)
        pos += len(label)
    ends = [*starts[1:], None]
    return [[line[a:b].strip() for a, b in zip(starts, ends, strict=True)] for line in lines[1:]]


def sections(text: str) -> Iterator[str]:
    for block in text.strip("\n").split("\n\n"):
        yield block + "\n"


# ---------------------------------------------------------------------------------------------
# Goldens: istioctl's outputs for the same dumps


@pytest.mark.parametrize(
    "case", ["istio-gateway-http.8080", "k8s-gateway-api-http.80"], ids=["istio-gw", "gw-api"]
)
def test_route_table_matches_istioctl(case: str) -> None:
    golden = upstream(f"istio-head__writer__routes-{case}.summary.txt").read_text()
    proxy = load_one(f"istio-head__writer__routes-{case}.json")
    ours = render_inventory([proxy], ["route"], NO_FILTER, "table", now=NOW)
    assert table_cells(ours, HEADERS["route"]) == table_cells(golden, HEADERS["route"])
    assert ours == golden


def _waypoint_sections() -> tuple[dict[str, str], dict[str, str]]:
    golden_text = upstream("istio-head__proxyconfig__waypoint-1.21-summary.txt").read_text()
    ours_text = render_inventory([load_one(WAYPOINT)], RESOURCES, NO_FILTER, "table", now=NOW)
    # The golden starts with istioctl's bootstrap summary, which meshlens does not print.
    golden = list(sections(golden_text))[1:]
    ours = list(sections(ours_text))
    kinds = ["cluster", "listener", "route", "secret", "eds"]
    assert len(golden) == len(ours) == len(kinds)
    return dict(zip(kinds, golden, strict=True)), dict(zip(kinds, ours, strict=True))


@pytest.mark.parametrize("kind", ["cluster", "listener", "secret", "eds"])
def test_waypoint_all_matches_istioctl(kind: str) -> None:
    golden, ours = _waypoint_sections()
    labels = ["NAME", *HEADERS[kind]] if kind in ("cluster", "listener") else HEADERS[kind]
    assert table_cells(ours[kind], labels) == table_cells(golden[kind], labels)
    assert ours[kind] == golden[kind]


def test_waypoint_routes_match_istioctl_exactly() -> None:
    """The upstream test dump lists one of the waypoint's four inline route configs.

    istioctl reads only the routes section; the other three are marked ``listed=False`` by the
    loader and left out of the route table (the listener table still shows them inline).
    """
    golden, ours = _waypoint_sections()
    assert table_cells(ours["route"], HEADERS["route"]) == table_cells(
        golden["route"], HEADERS["route"]
    )
    assert ours["route"] == golden["route"]
    proxy = load_one(WAYPOINT)
    unlisted = [rc for rc in proxy.route_configs if not rc.listed]
    assert len(unlisted) == 3
    assert all(rc.inline_in for rc in unlisted)


def test_secret_table_for_istio_secret_dump() -> None:
    proxy = load_one("istio-head__writer__secrets.json")
    text = render_inventory([proxy], ["secret"], NO_FILTER, "table", now=NOW)
    assert table_cells(text, HEADERS["secret"]) == [
        ["configmap://some/thing", "", "WARMING", "false", "", "", ""],
        [
            *("default", "Cert Chain", "ACTIVE", "false", "6fbee254c22900615cb1f74e3d2f1713"),
            *("2023-05-16T01:32:52Z", "2023-05-15T01:30:52Z"),
        ],
        [
            *("ROOTCA", "CA", "ACTIVE", "true", "0193a543fe2b0d9cd4847675394dfc54"),
            *("2033-05-02T03:41:33Z", "2023-05-05T03:41:33Z"),
        ],
    ]


def test_valid_cert_follows_the_clock() -> None:
    proxy = load_one("istio-head__writer__secrets.json")
    then = datetime(2023, 5, 15, 12, tzinfo=UTC)
    rows = build_inventory(proxy, ["secret"], NO_FILTER, now=then)["secrets"]
    assert {r["resource_name"]: r["valid_cert"] for r in rows} == {
        "configmap://some/thing": False,
        "default": True,
        "ROOTCA": True,
    }


# ---------------------------------------------------------------------------------------------
# Filters, against counts taken from the raw JSON


def _config(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    for config in dump["configs"]:
        if config["@type"].endswith(f".{kind}"):
            found: dict[str, Any] = config
            return found
    raise AssertionError(kind)


def _raw_cluster_names(dump: dict[str, Any]) -> list[str]:
    config = _config(dump, "ClustersConfigDump")
    keys = ("static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters")
    return [e["cluster"]["name"] for k in keys for e in config.get(k, [])]


def _raw_listeners(dump: dict[str, Any]) -> list[dict[str, Any]]:
    config = _config(dump, "ListenersConfigDump")
    out = [e["listener"] for e in config.get("static_listeners", [])]
    states = ("active_state", "warming_state", "draining_state")
    rejected: set[tuple[str, str]] = set()
    for entry in config.get("dynamic_listeners", []):
        out.extend(entry[state]["listener"] for state in states if state in entry)
        error = entry.get("error_state", {})
        failed = error.get("failed_configuration")
        # Envoy reports one rejected update twice (once without a name); count it once.
        key = (entry.get("name") or (failed or {}).get("name", ""), error.get("details", ""))
        if failed and key not in rejected:
            rejected.add(key)
            out.append(failed)
    return out


def _raw_chain_rows(listener: dict[str, Any]) -> int:
    chains = len(listener.get("filter_chains", [])) + ("default_filter_chain" in listener)
    return chains or 1


def _raw_listener_type(listener: dict[str, Any]) -> str:
    chains = [*listener.get("filter_chains", []), listener.get("default_filter_chain") or {}]
    names = [(f["name"], json.dumps(f)) for c in chains for f in c.get("filters", [])]
    http = any(n == "envoy.filters.network.http_connection_manager" for n, _ in names)
    tcp = any(
        n == "envoy.filters.network.tcp_proxy" and "BlackHoleCluster" not in text
        for n, text in names
    )
    return {(True, True): "HTTP+TCP", (True, False): "HTTP", (False, True): "TCP"}.get(
        (http, tcp), "UNKNOWN"
    )


def _count(proxy: Proxy, kind: str, flt: InventoryFilter) -> int:
    return len(build_inventory(proxy, [kind], flt, now=NOW)[f"{kind}s"])


@pytest.mark.parametrize(
    "flt",
    [
        InventoryFilter(port=9080),
        InventoryFilter(fqdn="reviews"),
        InventoryFilter(subset="v2"),
        InventoryFilter(direction="inbound"),
        InventoryFilter(fqdn="details", subset="v1", direction="outbound", port=9080),
    ],
    ids=["port", "fqdn", "subset", "direction", "combined"],
)
def test_cluster_filters(flt: InventoryFilter) -> None:
    names = _raw_cluster_names(raw_dump(SCOPED))
    expected = [
        n
        for n in names
        if (not flt.fqdn or flt.fqdn in n)
        and (not flt.subset or flt.subset in n)
        and (not flt.direction or flt.direction in n)
        and (not flt.port or f"|{flt.port}|" in n)
    ]
    proxy = load_one(SCOPED)
    assert 0 < _count(proxy, "cluster", flt) == len(expected) < _count(proxy, "cluster", NO_FILTER)


@pytest.mark.parametrize(
    "flt",
    [
        InventoryFilter(port=15006),
        InventoryFilter(type="http"),
        InventoryFilter(type="TCP"),
        InventoryFilter(address="10.68.40.230"),
        InventoryFilter(port=443, type="TCP"),
    ],
    ids=["port", "type-http", "type-tcp", "address", "port-and-type"],
)
def test_listener_filters(flt: InventoryFilter) -> None:
    expected = 0
    for listener in _raw_listeners(raw_dump(DSB)):
        socket = listener.get("address", {}).get("socket_address", {})
        if flt.port and socket.get("port_value") != flt.port:
            continue
        if flt.address and socket.get("address") != flt.address:
            continue
        if flt.type and _raw_listener_type(listener) != flt.type.upper():
            continue
        expected += _raw_chain_rows(listener)
    proxy = load_one(DSB)
    assert 0 < _count(proxy, "listener", flt) == expected < _count(proxy, "listener", NO_FILTER)


def test_route_name_filter() -> None:
    config = _config(raw_dump(DSB), "RoutesConfigDump")
    (route_config,) = [
        e["route_config"]
        for e in config["dynamic_route_configs"]
        if e["route_config"]["name"] == "80"
    ]
    expected = 0
    for vhost in route_config.get("virtual_hosts", []):
        routes = vhost.get("routes", [])
        forwarding = [
            r for r in routes if r.get("route", {}).get("cluster") != "PassthroughCluster"
        ]
        expected += len(forwarding) if routes else 1
    proxy = load_one(DSB)
    rows = build_inventory(proxy, ["route"], InventoryFilter(name="80"), now=NOW)["routes"]
    assert {r["name"] for r in rows} == {"80"}
    assert 0 < len(rows) == expected < _count(proxy, "route", NO_FILTER)


def test_endpoint_port_and_address_filters() -> None:
    config = _config(raw_dump(DSB), "EndpointsConfigDump")
    sockets = [
        lb["endpoint"]["address"]["socket_address"]
        for key in ("static_endpoint_configs", "dynamic_endpoint_configs")
        for entry in config.get(key, [])
        for group in entry["endpoint_config"].get("endpoints", [])
        for lb in group.get("lb_endpoints", [])
        if "socket_address" in lb["endpoint"]["address"]
    ]
    proxy = load_one(DSB)
    total = _count(proxy, "endpoint", NO_FILTER)
    on_port = sum(1 for s in sockets if s["port_value"] == 9090)
    assert 0 < _count(proxy, "endpoint", InventoryFilter(port=9090)) == on_port < total
    address = sockets[0]["address"]
    at_address = sum(1 for s in sockets if s["address"] == address)
    assert 0 < _count(proxy, "endpoint", InventoryFilter(address=address)) == at_address < total


def test_filters_leave_other_tables_alone() -> None:
    proxy = load_one(DSB)
    flt = InventoryFilter(fqdn="reviews", subset="v1", direction="outbound", type="TCP", name="80")
    assert _count(proxy, "secret", flt) == _count(proxy, "secret", NO_FILTER) == 2
    assert _count(proxy, "endpoint", flt) == _count(proxy, "endpoint", NO_FILTER)


# ---------------------------------------------------------------------------------------------
# Non-active resources, ids, machine-readable output


def test_rejected_listener_rows_are_marked() -> None:
    proxy = load_one(DSB)
    rows = build_inventory(proxy, ["listener"], InventoryFilter(port=15006), now=NOW)["listeners"]
    assert {r["status"] for r in rows} >= {"rejected"}
    text = render_inventory([proxy], ["listener"], InventoryFilter(port=15006), "table", now=NOW)
    header, *lines = text.splitlines()
    assert header.split()[-1] == "STATE"
    assert any(line.endswith("rejected") for line in lines)
    # Healthy tables keep istioctl's columns.
    clusters = render_inventory([proxy], ["cluster"], NO_FILTER, "table", now=NOW)
    assert "STATE" not in clusters.splitlines()[0]


def test_row_ids_and_keys() -> None:
    inventory = build_inventory(load_one(WAYPOINT), RESOURCES, NO_FILTER, now=NOW)
    assert list(inventory) == ["listeners", "routes", "clusters", "endpoints", "secrets"]
    ids = {kind: [r["id"] for r in rows] for kind, rows in inventory.items()}
    assert "filter_chain/main_internal/direct-http" in ids["listeners"]
    assert (
        "route/inbound-vip|8000|http|httpbin.default.svc.cluster.local/inbound|http|8000/0"
        in ids["routes"]
    )
    assert ids["clusters"][0] == "cluster/agent"
    assert ids["endpoints"] == [
        "endpoint/envoy://connect_originate/192.168.195.248:800",
        "endpoint/127.0.0.1:15000",
    ]
    assert ids["secrets"] == ["secret/default", "secret/ROOTCA"]
    for rows in inventory.values():
        for row in rows:
            assert row["status"] in ("active", "warming", "draining", "rejected")
    cluster = next(r for r in inventory["clusters"] if r["name"].startswith("inbound-vip|8000"))
    assert cluster | {"id": None} == {
        "id": None,
        "status": "active",
        "name": "inbound-vip|8000|http|httpbin.default.svc.cluster.local",
        "service_fqdn": "httpbin.default.svc.cluster.local",
        "port": 8000,
        "subset": "http",
        "direction": "inbound-vip",
        "type": "EDS",
        "destination_rule": "",
    }


@pytest.mark.parametrize("output", ["json", "yaml"])
def test_machine_output_parses_and_is_stable(output: str) -> None:
    proxies = [load_one(WAYPOINT), load_one(DSB)]
    first = render_inventory(proxies, RESOURCES, NO_FILTER, output, now=NOW)
    second = render_inventory(proxies, RESOURCES, NO_FILTER, output, now=NOW)
    assert first == second
    document = orjson.loads(first) if output == "json" else yaml.safe_load(first)
    assert [p["name"] for p in document["proxies"]] == [p.name for p in proxies]
    waypoint = document["proxies"][0]
    assert waypoint["kind"] == "waypoint"
    assert waypoint["istio_version"] == "1.21.0-1226"
    assert set(waypoint) == {
        "name", "kind", "namespace", "istio_version", "envoy_version", "inputs",
        "listeners", "routes", "clusters", "endpoints", "secrets",
    }  # fmt: skip
    expected = build_inventory(proxies[0], RESOURCES, NO_FILTER, now=NOW)
    assert {k: waypoint[k] for k in expected} == expected


def test_several_proxies_get_a_header_each() -> None:
    proxies = [load_one(WAYPOINT), load_one("istio-head__writer__secrets.json")]
    text = render_inventory(proxies, ["cluster", "secret"], NO_FILTER, "table", now=NOW)
    headers = [line for line in text.splitlines() if line.startswith("# proxy: ")]
    assert (
        headers[0]
        == "# proxy: httpbin-istio-waypoint-58f646c5ff-dbfkz.default (waypoint, istio 1.21.0-1226)"
    )
    assert len(headers) == 2


# ---------------------------------------------------------------------------------------------
# Cell rules on hand-built model objects


@pytest.mark.parametrize(
    ("domains", "expected"),
    [
        ([], ""),
        (["example.com"], "example.com"),
        (["example.com", "example.com:8080"], "example.com"),
        (["example.com", "example.com:8080", "1.2.3.4", "1.2.3.4:8080"], "example.com, 1.2.3.4"),
        (
            ["example.com", "example.com:8080", "[fd00:10:96::7fc7]", "[fd00:10:96::7fc7]:8080"],
            "example.com, [fd00:10:96::7fc7]",
        ),
        (
            [
                *("example.com", "example.com:8080", "www.example.com", "www.example.com:8080"),
                *("[fd00:10:96::7fc7]", "[fd00:10:96::7fc7]:8080"),
            ],
            "example.com, www.example.com + 1 more...",
        ),
        (
            ["r.default.svc.cluster.local", "r", "r.default.svc", "r.default", "10.0.0.1"],
            "r, r.default + 1 more...",
        ),
    ],
)
def test_describe_domains(domains: list[str], expected: str) -> None:
    # Cases from istioctl's route_test.go, plus the short-name folding of unexpandDomains.
    assert describe_domains(domains) == expected


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (FilterChainMatch(), "ALL"),
        (
            FilterChainMatch(
                transport_protocol="raw_buffer", application_protocols=("http/1.1", "h2c")
            ),
            "Trans: raw_buffer; App: http/1.1,h2c",
        ),
        (
            FilterChainMatch(
                transport_protocol="tls",
                application_protocols=("istio-peer-exchange", "istio"),
                destination_port=9080,
            ),
            "Trans: tls; App: TCP TLS; Addr: *:9080",
        ),
        (
            FilterChainMatch(server_names=("a.com", "b.com"), prefix_ranges=("10.0.0.1/32",)),
            "SNI: a.com,b.com; Addr: 10.0.0.1/32",
        ),
        (
            FilterChainMatch(
                application_protocols=("http/1.0", "http/1.1", "h2c"),
                prefix_ranges=("0.0.0.0/0",),
                destination_port=80,
            ),
            "App: HTTP; Addr: 0.0.0.0/0:80",
        ),
    ],
)
def test_describe_chain_match(match: FilterChainMatch, expected: str) -> None:
    assert describe_chain_match(match) == expected


def _route(config: str, vhost: str, index: int, kind: str, value: str, **kw: Any) -> Route:
    return Route(config, vhost, index, "", RouteMatch(kind, value), kw.pop("action", "route"), **kw)


def test_describe_inline_route() -> None:
    catch_all = RouteConfig(
        "x",
        (VirtualHost("x", "v", ("*",), (_route("x", "v", 0, "prefix", "/", cluster="c1"),)),),
        ACTIVE_STATIC,
    )
    assert describe_inline_route(catch_all) == "Cluster: c1"
    passthrough = RouteConfig(
        "x",
        (
            VirtualHost(
                "x",
                "v",
                ("*",),
                (_route("x", "v", 0, "prefix", "/", cluster="PassthroughCluster"),),
            ),
        ),
        ACTIVE_STATIC,
    )
    assert describe_inline_route(passthrough) == "PassthroughCluster"
    several = RouteConfig(
        "x",
        (
            VirtualHost(
                "x",
                "a",
                ("a.com", "b.com"),
                (_route("x", "a", 0, "path", "/exact"), _route("x", "a", 1, "safe_regex", "/r.*")),
            ),
            VirtualHost("x", "b", ("*",), (_route("x", "b", 0, "path_separated_prefix", "/p"),)),
        ),
        ACTIVE_STATIC,
    )
    assert (
        describe_inline_route(several)
        == "Inline Route: a.com/b.com /exact, regex /r.*; PathPrefix:/p"
    )


def test_render_istio_config() -> None:
    cache: dict[str, str] = {}
    path = "/apis/networking.istio.io/v1alpha3/namespaces/bookinfo/virtual-service/reviews"
    assert render_istio_config(path, cache) == "reviews.bookinfo"
    assert render_istio_config("/apis/networking.istio.io/v1/namespaces/x", cache) == ""
    assert render_istio_config("something-else", cache) == "<unknown>"
    assert render_istio_config(None, cache) == ""


def _rds(name: str, dynamic: bool = True, vhosts: tuple[VirtualHost, ...] = ()) -> RouteConfig:
    return RouteConfig(name, vhosts, ResourceState("active", dynamic))


def test_route_order_sorts_numeric_runs_only() -> None:
    empty = (VirtualHost("", "v", ("*",), ()),)
    names = ["9080", "80", "inbound|80||", "15010", "8080", "443", "outbound|9|x|y"]
    proxy = Proxy(
        route_configs=[_rds("static", False, empty)] + [_rds(n, True, empty) for n in names]
    )
    rows = build_inventory(proxy, ["route"], NO_FILTER, now=NOW)["routes"]
    assert [r["name"] for r in rows] == [
        "80", "9080", "inbound|80||", "443", "8080", "15010", "outbound|9|x|y", "static"
    ]  # fmt: skip
    assert rows[0]["match"] == "/*"
    assert rows[0]["virtual_service"] == "404"
    assert rows[0]["id"] == "virtual_host/80/v"


def test_passthrough_routes_are_skipped() -> None:
    vhost = VirtualHost(
        "r",
        "v",
        ("*",),
        (
            _route("r", "v", 0, "prefix", "/a", cluster="c"),
            _route("r", "v", 1, "prefix", "/", cluster="PassthroughCluster"),
        ),
    )
    rows = build_inventory(Proxy(route_configs=[_rds("r", True, (vhost,))]), ["route"], NO_FILTER)
    assert [r["id"] for r in rows["routes"]] == ["route/r/v/0"]


def _cluster(name: str, status: Status = "active", **raw: Any) -> Cluster:
    return Cluster(name, ResourceState(status, True), None, "EDS", "ROUND_ROBIN", "none", raw=raw)


def test_cluster_rows_order_and_placeholders() -> None:
    proxy = Proxy(
        clusters=[
            _cluster("outbound|9080|v2|reviews.default.svc.cluster.local", type="EDS"),
            _cluster("outbound|9080||reviews.default.svc.cluster.local", type="EDS"),
            _cluster("outbound|80||reviews.default.svc.cluster.local", type="EDS"),
            _cluster("BlackHoleCluster", type="STATIC"),
            _cluster("outbound|9080|v2|reviews.default.svc.cluster.local", "warming", type="EDS"),
            _cluster("aggregate", cluster_type={"name": "envoy.clusters.aggregate"}),
            _cluster("outbound_.9080_.v1_.reviews.default.svc.cluster.local", type="EDS"),
        ]
    )
    text = render_inventory([proxy], ["cluster"], NO_FILTER, "table")
    rows = table_cells(text, [*HEADERS["cluster"], "STATE"])
    assert rows == [
        ["BlackHoleCluster", "-", "-", "-", "STATIC", "", "active"],
        ["aggregate", "-", "-", "-", "STATIC", "", "active"],
        [
            "outbound_.9080_.v1_.reviews.default.svc.cluster.local",
            "-",
            "-",
            "-",
            "EDS",
            "",
            "active",
        ],
        ["reviews.default.svc.cluster.local", "80", "-", "outbound", "EDS", "", "active"],
        ["reviews.default.svc.cluster.local", "9080", "-", "outbound", "EDS", "", "active"],
        ["reviews.default.svc.cluster.local", "9080", "v2", "outbound", "EDS", "", "active"],
        ["reviews.default.svc.cluster.local", "9080", "v2", "outbound", "EDS", "", "warming"],
    ]


def _chain(listener: str, index: int, filters: list[dict[str, Any]], **match: Any) -> FilterChain:
    return FilterChain(
        listener,
        index,
        "",
        FilterChainMatch(**match),
        tuple(f["name"] for f in filters),
        raw={"filters": filters},
    )


def _tcp(cluster: str) -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {"cluster": cluster, "stat_prefix": cluster},
    }


def _hcm(rds: str) -> dict[str, Any]:
    return {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {"rds": {"route_config_name": rds}},
    }


def test_listener_rows_types_and_order() -> None:
    def listener(
        name: str, address: str, port: int, chains: list[FilterChain], status: Status = "active"
    ) -> Listener:
        raw = {"address": {"socket_address": {"address": address, "port_value": port}}}
        return Listener(name, address, port, ResourceState(status, True), tuple(chains), raw=raw)

    proxy = Proxy(
        listeners=[
            listener(
                "b",
                "0.0.0.0",
                80,
                [
                    _chain("b", 0, [_tcp("PassthroughCluster")]),
                    _chain("b", 1, [_hcm("80")], transport_protocol="raw_buffer"),
                ],
            ),
            listener("a", "10.0.0.1", 80, [_chain("a", 0, [_tcp("BlackHoleCluster")])]),
            listener("c", "0.0.0.0", 15006, [], status="rejected"),
            listener(
                "d",
                "0.0.0.0",
                8080,
                [
                    _chain(
                        "d", 0, [{"name": "envoy.filters.network.rbac"}, _tcp("outbound|8080||x")]
                    )
                ],
            ),
        ]
    )
    rows = build_inventory(proxy, ["listener"], NO_FILTER)["listeners"]
    assert [(r["id"], r["type"], r["destination"]) for r in rows] == [
        ("filter_chain/b/1", "HTTP+TCP", "Route: 80"),
        ("filter_chain/b/0", "HTTP+TCP", "PassthroughCluster"),
        ("filter_chain/a/0", "UNKNOWN", "Non-HTTP/Non-TCP"),
        ("filter_chain/d/0", "TCP", "Cluster: outbound|8080||x"),
        ("listener/c", "UNKNOWN", ""),
    ]
    assert _count(proxy, "listener", InventoryFilter(type="unknown")) == 2
    assert _count(proxy, "listener", InventoryFilter(address="10.0.0.1")) == 1


def test_endpoint_sources_and_orders() -> None:
    proxy = Proxy(
        clusters=[_cluster("outbound|80||b.ns.svc.cluster.local"), _cluster("agent", "warming")],
        endpoints=[
            Endpoint(
                "outbound|80||b.ns.svc.cluster.local", "10.0.0.9:80", "HEALTHY", source="status"
            ),
            Endpoint("outbound|80||b.ns.svc.cluster.local", "10.0.0.9:80", "HEALTHY"),
            Endpoint(
                "outbound|80||b.ns.svc.cluster.local", "10.0.0.10:80", "UNHEALTHY", locality="r/z"
            ),
            Endpoint("agent", "127.0.0.1:15020", "HEALTHY", source="load_assignment"),
        ],
    )
    rows = build_inventory(proxy, ["endpoint"], NO_FILTER)["endpoints"]
    # EDS wins over /clusters status for the same cluster; clusters in istioctl's order.
    assert [(r["endpoint"], r["status"]) for r in rows] == [
        ("127.0.0.1:15020", "warming"),
        ("10.0.0.9:80", "active"),
        ("10.0.0.10:80", "active"),
    ]
    text = render_inventory([proxy], ["endpoint"], NO_FILTER, "table")
    assert [line.split()[0] for line in text.splitlines()[1:]] == [
        "10.0.0.10:80", "10.0.0.9:80", "127.0.0.1:15020"
    ]  # fmt: skip
    eds = render_inventory([proxy], ["endpoint", "secret"], NO_FILTER, "table")
    eds_section = list(sections(eds))[1]
    assert table_cells(eds_section, [*HEADERS["eds"], "STATE"])[2] == [
        "endpoint/10.0.0.10:80",
        "UNHEALTHY",
        "r/z",
        "outbound|80||b.ns.svc.cluster.local",
        "active",
    ]


def test_secret_status_and_static_secrets() -> None:
    proxy = Proxy(
        secrets=[
            Secret(
                "static",
                "Cert Chain",
                "ACTIVE",
                False,
                not_before="2020-01-01T00:00:00Z",
                not_after="2030-01-01T00:00:00Z",
                serial_number="01",
            ),
            Secret("fresh", "Unknown", "ACTIVE", True, version="uninitialized"),
            Secret("later", "CA", "WARMING", True),
        ]
    )
    rows = build_inventory(proxy, ["secret"], NO_FILTER, now=NOW)["secrets"]
    assert [
        (r["resource_name"], r["secret_status"], r["status"], r["type"], r["valid_cert"])
        for r in rows
    ] == [
        ("later", "WARMING", "warming", "", False),
        ("fresh", "UNINITIALIZED", "active", "", False),
        ("static", "ACTIVE", "active", "Cert Chain", True),
    ]


def test_tabwrite_matches_go_tabwriter() -> None:
    text = tabwrite([["A", "BB", "C"], ["", "x", ""], ["longer", "", "z"]], padding=2)
    assert text == "A       BB  C\n        x   \nlonger      z\n"


def test_unknown_resource_or_output_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        build_inventory(Proxy(), ["bootstrap"], NO_FILTER)
    with pytest.raises(UsageError):
        render_inventory([Proxy()], RESOURCES, NO_FILTER, "xml")
