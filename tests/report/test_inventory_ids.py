"""`meshlens inventory` row ids of unnamed resources, and which route configs the route table reads.

Ids follow the public contract of ``analyzer.attribution.ids``: an unnamed listener is
``<address>_<port>``, an unnamed inline route config takes its listener's key. The route table
shows what istioctl shows: the route configs of the capture's routes section, or, for a
listeners-only capture, the inline ones.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from analyzer.attribution.ids import enumerate_resources
from analyzer.load.envoy import load_proxies
from analyzer.load.envoy_capture import Capture
from analyzer.model.envoy import Listener, Proxy, ResourceState
from analyzer.report.inventory import (
    RESOURCES,
    InventoryFilter,
    build_inventory,
    render_inventory,
)

REPO = Path(__file__).resolve().parents[2]
BOOKINFO = REPO / "dumps" / "sidecar-bookinfo" / "config_dump.json"
UPSTREAM = REPO.parent / "shared" / "dumps" / "upstream"
NO_FILTER = InventoryFilter()
_HCM_TYPE = (
    "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3."
    "HttpConnectionManager"
)
_ADMIN = "type.googleapis.com/envoy.admin.v3."


def _route_config(name: str, prefix: str, cluster: str = "c") -> dict[str, Any]:
    return {
        "name": name,
        "virtual_hosts": [
            {
                "name": "backend",
                "domains": ["*"],
                "routes": [{"match": {"prefix": prefix}, "route": {"cluster": cluster}}],
            }
        ],
    }


def _hcm_chain(route_config: dict[str, Any], name: str = "") -> dict[str, Any]:
    hcm = {"@type": _HCM_TYPE, "stat_prefix": "s", "route_config": route_config}
    chain: dict[str, Any] = {
        "filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": hcm}]
    }
    if name:
        chain["name"] = name
    return chain


def _listener(name: str, port: int, chains: list[dict[str, Any]]) -> dict[str, Any]:
    listener: dict[str, Any] = {
        "address": {"socket_address": {"address": "0.0.0.0", "port_value": port}},
        "filter_chains": chains,
    }
    if name:
        listener["name"] = name
    return listener


def _dump(with_routes: bool) -> dict[str, Any]:
    """An unnamed stats listener and a named one with two inline configs, ``a`` and ``b``.

    The routes section (when present) lists only ``a``, like the trimmed upstream waypoint dump.
    """
    stats = _listener("", 15090, [_hcm_chain(_route_config("", "/stats/prometheus"))])
    named = _listener(
        "main",
        8080,
        [_hcm_chain(_route_config("a", "/a")), _hcm_chain(_route_config("b", "/b"), "second")],
    )
    configs: list[dict[str, Any]] = [
        {
            "@type": _ADMIN + "ListenersConfigDump",
            "static_listeners": [{"listener": stats}, {"listener": named}],
        }
    ]
    if with_routes:
        configs.append(
            {
                "@type": _ADMIN + "RoutesConfigDump",
                "static_route_configs": [{"route_config": _route_config("a", "/a")}],
            }
        )
    return {"configs": configs}


def _load(tmp_path: Path, dump: dict[str, Any]) -> Proxy:
    path = tmp_path / "config_dump.json"
    path.write_text(json.dumps(dump))
    (proxy,) = load_proxies([str(path)])
    return proxy


# ---------------------------------------------------------------------------------------------
# Which route configs the route table reads


def test_inline_configs_missing_from_the_routes_section_are_not_listed(tmp_path: Path) -> None:
    proxy = _load(tmp_path, _dump(with_routes=True))
    listed = {rc.name: rc.listed for rc in proxy.route_configs}
    assert listed == {"a": True, "b": False, "": False}
    # Every route config is still there, tied to its listener.
    assert {rc.inline_in for rc in proxy.route_configs} == {
        "main/0",
        "main/second",
        "0.0.0.0_15090/0",
    }
    rows = build_inventory(proxy, ["route"], NO_FILTER)["routes"]
    assert [r["id"] for r in rows] == ["route/a/backend/0"]
    # The listener table still describes every inline config.
    listeners = build_inventory(proxy, ["listener"], NO_FILTER)["listeners"]
    assert {r["destination"] for r in listeners} == {
        "Inline Route: /stats/prometheus*",
        "Inline Route: /a*",
        "Inline Route: /b*",
    }


def test_listeners_only_capture_keeps_inline_configs_listed(tmp_path: Path) -> None:
    proxy = _load(tmp_path, _dump(with_routes=False))
    assert all(rc.listed for rc in proxy.route_configs)
    rows = build_inventory(proxy, ["route"], NO_FILTER)["routes"]
    assert sorted(r["id"] for r in rows) == [
        "route/0.0.0.0_15090/backend/0",
        "route/a/backend/0",
        "route/b/backend/0",
    ]


def test_upstream_listeners_only_capture_shows_inline_routes() -> None:
    path = (
        REPO.parent
        / "shared"
        / "dumps"
        / "upstream"
        / "istio-head__authz__sidecar-listeners-only.yaml"
    )
    if not path.exists():
        pytest.skip(f"{path} not present")
    (proxy,) = load_proxies([str(path)])
    assert proxy.route_configs
    assert all(rc.listed and rc.inline_in for rc in proxy.route_configs)
    assert build_inventory(proxy, ["route"], NO_FILTER)["routes"]


def test_each_inline_config_replaces_its_own_static_duplicate() -> None:
    """Same-named static entries are told apart by content and replaced in dump order."""
    first, second = _route_config("dup", "/one"), _route_config("dup", "/two")
    capture = Capture("x")
    capture.add_routes_dump(
        {
            "static_route_configs": [
                {"route_config": copy.deepcopy(first)},
                {"route_config": copy.deepcopy(second)},
                {"route_config": copy.deepcopy(first)},
            ],
            "dynamic_route_configs": [
                {"route_config": copy.deepcopy(first), "version_info": "1"},
            ],
        }
    )
    capture.add_listeners_dump(
        {
            "static_listeners": [
                {"listener": _listener("l", 1, [_hcm_chain(second), _hcm_chain(first, "x")])},
                {"listener": _listener("m", 2, [_hcm_chain(first), _hcm_chain(first, "y")])},
                {"listener": _listener("n", 3, [_hcm_chain(second)])},
            ]
        }
    )
    resolved = capture.resolved_route_configs()
    assert [(rc.inline_in, rc.listed, rc.state.dynamic) for rc in resolved] == [
        ("l/x", True, False),  # first static ``dup`` (/one): the first /one inline config
        ("l/0", True, False),  # the /two static: the /two inline config
        ("m/0", True, False),  # the second /one static
        (None, True, True),  # RDS configs are never replaced
        ("m/y", False, False),  # no static entry left for these two
        ("n/0", False, False),
    ]


# ---------------------------------------------------------------------------------------------
# Ids of unnamed resources


def test_unnamed_listener_and_inline_route_ids() -> None:
    if not BOOKINFO.exists():
        pytest.skip(f"{BOOKINFO} not present")
    (proxy,) = load_proxies([str(BOOKINFO)])
    inventory = build_inventory(proxy, ["listener", "route"], NO_FILTER)
    listeners = {r["id"]: r for r in inventory["listeners"] if not r["listener"]}
    assert set(listeners) == {"filter_chain/0.0.0.0_15021/0", "filter_chain/0.0.0.0_15090/0"}
    assert listeners["filter_chain/0.0.0.0_15090/0"]["port"] == 15090
    routes = {r["id"] for r in inventory["routes"] if not r["name"]}
    assert routes == {"route/0.0.0.0_15021/backend/0", "route/0.0.0.0_15090/backend/0"}
    # The tables keep istioctl's empty names.
    text = render_inventory([proxy], ["listener", "route"], NO_FILTER, "table")
    names = [line.split(" ", 1)[0] for line in text.splitlines()]
    assert names.count("listener/") == 2
    assert names.count("route/") == 2


def test_ids_agree_with_attribution_ids() -> None:
    if not BOOKINFO.exists():
        pytest.skip(f"{BOOKINFO} not present")
    (proxy,) = load_proxies([str(BOOKINFO)])
    inventory = build_inventory(proxy, RESOURCES, NO_FILTER)
    public = {resource.id for resource in enumerate_resources(proxy)}
    for kind in ("listeners", "routes", "clusters"):
        ids = {row["id"] for row in inventory[kind] if row["status"] == "active"}
        assert ids <= public, sorted(ids - public)[:5]


def test_chainless_unnamed_listener_id() -> None:
    state = ResourceState("rejected", True)
    listener = Listener("", "0.0.0.0", 15090, state, ())
    proxy = Proxy(listeners=[listener])
    (row,) = build_inventory(proxy, ["listener"], NO_FILTER)["listeners"]
    assert row["id"] == "listener/0.0.0.0_15090"
    assert row["listener"] == ""
    text = render_inventory([proxy], ["listener", "cluster"], NO_FILTER, "table")
    assert any(line.startswith("listener/ ") for line in text.splitlines())


def test_unnamed_inline_route_config_without_routes_gets_a_vhost_id(tmp_path: Path) -> None:
    route_config = _route_config("", "/x")
    route_config["virtual_hosts"][0]["routes"] = []
    dump = {
        "configs": [
            {
                "@type": _ADMIN + "ListenersConfigDump",
                "static_listeners": [
                    {"listener": _listener("", 15021, [_hcm_chain(route_config)])}
                ],
            }
        ]
    }
    proxy = _load(tmp_path, dump)
    (row,) = build_inventory(proxy, ["route"], NO_FILTER)["routes"]
    assert row["id"] == "virtual_host/0.0.0.0_15021/backend"
    assert row["name"] == ""
