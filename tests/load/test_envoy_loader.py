"""The dump loader reads every capture format into one model, and says clearly what it cannot."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from analyzer.errors import InputError
from analyzer.load.envoy import load_proxies
from analyzer.model.envoy import Proxy
from tests.conftest import DUMPS, SHARED, shared_path
from tests.load.dump_counts import count_resources, snake_to_camel


def _admin_dumps() -> list[Path]:
    found = sorted(DUMPS.glob("*/config_dump.json"))
    if SHARED.exists():
        for path in sorted((SHARED / "dumps").rglob("*")):
            if path.suffix not in (".json", ".yaml"):
                continue
            try:  # content decides, not the name: some upstream .yaml files hold JSON dumps
                data = json.loads(path.read_text())
            except ValueError:
                continue
            if isinstance(data, dict) and isinstance(data.get("configs"), list):
                found.append(path)
    return found


def _model_counts(proxy: Proxy) -> dict[str, int]:
    vhosts = [v for rc in proxy.route_configs for v in rc.virtual_hosts]
    return {
        "listeners": len(proxy.listeners),
        "rejected": sum(1 for x in proxy.listeners if x.state.status == "rejected"),
        "route_configs": len(proxy.route_configs),
        "virtual_hosts": len(vhosts),
        "routes": sum(len(v.routes) for v in vhosts),
        "clusters": len(proxy.clusters),
        "warming_clusters": sum(1 for c in proxy.clusters if c.state.status == "warming"),
        "endpoints": len(proxy.endpoints),
        "secrets": len(proxy.secrets),
    }


@pytest.mark.parametrize("path", _admin_dumps(), ids=lambda p: p.parent.name + "/" + p.name)
def test_admin_dump_counts_match_independent_count(path: Path) -> None:
    expected = count_resources(json.loads(path.read_text()))
    (proxy,) = load_proxies([str(path)])
    assert _model_counts(proxy) == expected
    assert proxy.skipped == [] or all(s.what in ("EcdsConfigDump",) for s in proxy.skipped)


def test_proxy_identity_from_bootstrap() -> None:
    path = shared_path(
        "dumps", "upstream", "ext-dsb__istio-1.18__hotelres-geo-sidecar-NACK-virtualInbound.json"
    )
    (proxy,) = load_proxies([str(path)])
    assert proxy.kind == "sidecar"
    assert proxy.name == "geo-5c54dcd5bd-z5ghf.hr2"
    assert proxy.namespace == "hr2"
    assert proxy.ip == "172.16.188.31"
    assert proxy.istio_version == "1.18.2"
    assert proxy.envoy_version == "1.26.4"
    assert proxy.labels["service.istio.io/canonical-name"] == "geo"


def test_rejected_listener_keeps_envoy_reason_once() -> None:
    path = shared_path(
        "dumps", "upstream", "ext-dsb__istio-1.18__hotelres-geo-sidecar-NACK-virtualInbound.json"
    )
    (proxy,) = load_proxies([str(path)])
    rejected = [x for x in proxy.listeners if x.state.status == "rejected"]
    assert [x.name for x in rejected] == ["virtualInbound"]
    assert "LuaValidationError" in (rejected[0].state.error or "")
    # The rejected update never became active: no active virtualInbound either.
    assert proxy.listener("virtualInbound") is rejected[0]


def test_warming_cluster_from_rejected_cds_update() -> None:
    path = shared_path(
        "dumps", "envoy-1.40", "dyn-bad-cds-bad-ringhash-config_dump_include_eds.json"
    )
    (proxy,) = load_proxies([str(path)])
    warming = [c for c in proxy.clusters if c.state.status == "warming"]
    assert len(warming) == 1
    assert warming[0].lb_policy == "RING_HASH"
    active = proxy.cluster(warming[0].name)
    assert active is not None and active.state.status == "active"


def test_v2_listener_with_struct_config_is_digested() -> None:
    path = shared_path("dumps", "upstream", "istio-1.1__authz__productpage-sidecar-full.json")
    (proxy,) = load_proxies([str(path)])
    inbound = proxy.listener("10.52.2.21_9080")
    assert inbound is not None
    assert inbound.port == 9080 and inbound.address == "10.52.2.21"
    chain = inbound.filter_chains[0]
    assert "envoy.http_connection_manager" in chain.filters
    raw = json.loads(path.read_text())
    listeners = next(c for c in raw["configs"] if c["@type"].endswith("ListenersConfigDump"))
    rds_names = {
        f["config"]["rds"]["route_config_name"]
        for e in listeners["dynamic_listeners"]
        for fc in e["active_state"]["listener"].get("filter_chains", [])
        for f in fc.get("filters", [])
        if "rds" in f.get("config", {})
    }
    model_rds = {c.rds_name for x in proxy.listeners for c in x.all_chains if c.rds_name}
    assert model_rds == rds_names


def _first_dump() -> Path:
    dumps = sorted(DUMPS.glob("*/config_dump.json"))
    if dumps:
        return dumps[0]
    return shared_path("dumps", "upstream", "istio-1.7dev__echo__sidecar-full.json")


def _semantic(proxy: Proxy) -> dict[str, Any]:
    return {
        "listeners": sorted(
            (x.name, x.port, x.filter_chains, x.raw == x.raw) for x in proxy.listeners
        ),
        "listener_raw": sorted(
            orjson.dumps(x.raw, option=orjson.OPT_SORT_KEYS) for x in proxy.listeners
        ),
        "route_configs": sorted(
            (
                (r.name, r.virtual_hosts, orjson.dumps(r.raw, option=orjson.OPT_SORT_KEYS))
                for r in proxy.route_configs
            ),
            key=lambda item: (item[0], item[2]),
        ),
        "clusters": sorted(
            (
                c.name,
                c.key,
                c.discovery_type,
                c.lb_policy,
                c.tls_mode,
                c.istio_config,
                orjson.dumps(c.raw, option=orjson.OPT_SORT_KEYS),
            )
            for c in proxy.clusters
        ),
        "endpoints": sorted(proxy.endpoints, key=repr),
    }


def test_camel_case_and_snake_case_give_the_same_model(tmp_path: Path) -> None:
    source = _first_dump()
    dump = json.loads(source.read_text())
    camel = snake_to_camel(dump)
    assert "dynamicActiveClusters" in json.dumps(camel) or "staticClusters" in json.dumps(camel)
    camel_path = tmp_path / "camel.json"
    camel_path.write_text(json.dumps(camel))
    (snake_proxy,) = load_proxies([str(source)])
    (camel_proxy,) = load_proxies([str(camel_path)])
    assert _semantic(camel_proxy) == _semantic(snake_proxy)
    assert camel_proxy.node_id == snake_proxy.node_id


def test_istioctl_bare_arrays_merge_into_one_proxy(tmp_path: Path) -> None:
    source = _first_dump()
    dump = json.loads(source.read_text())
    sections = {c["@type"].rsplit(".", 1)[-1]: c for c in dump["configs"]}
    clusters = [
        e["cluster"] for e in sections["ClustersConfigDump"].get("dynamic_active_clusters", [])
    ]
    routes = [
        e["route_config"] for e in sections["RoutesConfigDump"].get("dynamic_route_configs", [])
    ]
    (tmp_path / "clusters.json").write_text(json.dumps(snake_to_camel(clusters)))
    (tmp_path / "routes.yaml").write_text(yaml.safe_dump(snake_to_camel(routes)))
    (tmp_path / "bootstrap.json").write_text(
        json.dumps(snake_to_camel(sections["BootstrapConfigDump"]))
    )
    proxies = load_proxies(
        [
            str(tmp_path / "bootstrap.json"),
            str(tmp_path / "clusters.json"),
            str(tmp_path / "routes.yaml"),
        ]
    )
    assert len(proxies) == 1
    (proxy,) = proxies
    assert {c.name for c in proxy.clusters} == {c["name"] for c in clusters}
    assert {r.name for r in proxy.route_configs} == {r["name"] for r in routes}
    assert proxy.node_id == sections["BootstrapConfigDump"]["bootstrap"]["node"]["id"]
    assert len(proxy.inputs) == 3


def test_gzip_and_http_status_line_and_yaml(tmp_path: Path) -> None:
    source = _first_dump()
    raw = source.read_bytes()
    expected = _semantic(load_proxies([str(source)])[0])
    (tmp_path / "dump.gz").write_bytes(gzip.compress(raw))
    (tmp_path / "curl-i.txt").write_bytes(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n" + raw
    )
    (tmp_path / "all.yaml").write_text(yaml.safe_dump(json.loads(raw)))
    for name in ("dump.gz", "curl-i.txt", "all.yaml"):
        (proxy,) = load_proxies([str(tmp_path / name)])
        assert _semantic(proxy) == expected, name


def test_partial_resource_and_mask_dumps() -> None:
    path = shared_path("dumps", "envoy-1.40", "dyn-good-res-dynamic_active_clusters.json")
    (proxy,) = load_proxies([str(path)])
    raw = json.loads(path.read_text())
    assert [c.name for c in proxy.clusters] == [e["cluster"]["name"] for e in raw["configs"]]
    assert all(c.state.dynamic for c in proxy.clusters)


def test_unknown_types_are_kept_opaque(tmp_path: Path) -> None:
    dump = {
        "configs": [
            {"@type": "type.googleapis.com/envoy.admin.v9.FutureConfigDump", "things": [1]},
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                "static_clusters": [{"cluster": {"name": "agent", "type": "STATIC"}}],
            },
        ]
    }
    path = tmp_path / "future.json"
    path.write_text(json.dumps(dump))
    (proxy,) = load_proxies([str(path)])
    assert [c.name for c in proxy.clusters] == ["agent"]
    assert [s.what for s in proxy.skipped] == ["envoy.admin.v9.FutureConfigDump"]


def test_unreadable_section_is_skipped_and_rest_loads(tmp_path: Path) -> None:
    dump = {
        "configs": [
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                "dynamic_listeners": "oops",
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                "dynamic_active_clusters": [
                    {"cluster": {"name": "outbound|80||a.b.svc.cluster.local"}},
                    5,
                ],
            },
        ]
    }
    path = tmp_path / "partial.json"
    path.write_text(json.dumps(dump))
    (proxy,) = load_proxies([str(path)])
    assert [c.name for c in proxy.clusters] == ["outbound|80||a.b.svc.cluster.local"]
    assert proxy.clusters[0].key is not None and proxy.clusters[0].key.port == 80
    whats = sorted(s.what for s in proxy.skipped)
    assert len(whats) == 2, proxy.skipped


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.Clus', "truncated"),
        (b"\x00\x01\x02\xff\xfe binary", "binary"),
        (
            b"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\n",
            "Kubernetes YAML",
        ),
        (b"key: [unclosed\n", "valid YAML"),
        (b"[" * 5000 + b"]" * 5000, "deep"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (b"[]", "empty list"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "binary",
        "istio-yaml",
        "bad-yaml",
        "deep",
        "bad-gzip",
        "[]",
    ],
)
def test_bad_input_is_one_clear_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad-input"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load_proxies([str(path)])
    message = info.value.one_line()
    assert message.startswith(str(path))
    assert reason.lower() in message.lower()


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_proxies([str(tmp_path / "nope.json")])
    with pytest.raises(InputError, match="directory"):
        load_proxies([str(tmp_path)])


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="alias bomb"):
        load_proxies([str(path)])


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "configs": [\n    {"@type": "x",,}\n  ]\n}\n')
    with pytest.raises(InputError) as info:
        load_proxies([str(path)])
    assert info.value.line == 3


def _other_shared_captures() -> list[Path]:
    if not SHARED.exists():
        return []
    out = []
    for path in sorted((SHARED / "dumps").rglob("*.json")):
        data = json.loads(path.read_text())
        if not (isinstance(data, dict) and isinstance(data.get("configs"), list)):
            out.append(path)
    return out


@pytest.mark.parametrize("path", _other_shared_captures(), ids=lambda p: p.name)
def test_other_captures_load_with_independent_counts(path: Path) -> None:
    data = json.loads(path.read_text())
    (proxy,) = load_proxies([str(path)])
    if isinstance(data, list):  # istioctl `pc eds -o json`: ClusterLoadAssignments (camelCase)
        expected = sum(len(g.get("lbEndpoints", [])) for a in data for g in a.get("endpoints", []))
        assert len(proxy.endpoints) == expected
    elif "cluster_statuses" in data:  # admin /clusters?format=json
        expected = sum(len(s.get("host_statuses", [])) for s in data["cluster_statuses"])
        assert len(proxy.endpoints) == expected
        assert all(e.source == "status" for e in proxy.endpoints)
    elif "listener_statuses" in data:  # admin /listeners?format=json: names only
        assert [s.what for s in proxy.skipped] == ["listener_statuses"]
    else:
        raise AssertionError(f"unexpected capture shape: {sorted(data)[:5]}")
