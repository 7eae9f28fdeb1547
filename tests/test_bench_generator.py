"""Checks for bench/generate_mesh.py on a small mesh.

Expected counts are recomputed here from the YAML the generator wrote (Istio's naming rules
applied independently), never read back from the generator's own model or manifest.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests.conftest import bench_generator

N = 60  # > 50 so that the mesh spans two namespaces


gen = bench_generator()


@pytest.fixture(scope="module")
def mesh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("mesh")
    gen.generate(N, out, seed=7)
    return out


@pytest.fixture(scope="module")
def dump(mesh_dir: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((mesh_dir / "config_dump.json").read_bytes())
    return data


@pytest.fixture(scope="module")
def docs(mesh_dir: Path) -> list[dict[str, Any]]:
    with (mesh_dir / "istio.yaml").open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d]


def _section(dump: dict[str, Any], kind: str) -> dict[str, Any]:
    matches = [c for c in dump["configs"] if c["@type"].endswith("." + kind)]
    assert len(matches) == 1, kind
    section: dict[str, Any] = matches[0]
    return section


def _by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def _fqdn(host: str, namespace: str) -> str:
    return host if "." in host else f"{host}.{namespace}.svc.cluster.local"


def _is_http(port_name: str) -> bool:
    return port_name.split("-")[0] in ("http", "http2", "grpc", "grpc-web")


def _clusters(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sec = _section(dump, "ClustersConfigDump")
    out = {c["cluster"]["name"]: c["cluster"] for c in sec["dynamic_active_clusters"]}
    out.update({c["cluster"]["name"]: c["cluster"] for c in sec["static_clusters"]})
    return out


def _routes(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sec = _section(dump, "RoutesConfigDump")
    return {r["route_config"]["name"]: r["route_config"] for r in sec["dynamic_route_configs"]}


def _listeners(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    sec = _section(dump, "ListenersConfigDump")
    return {x["name"]: x["active_state"]["listener"] for x in sec["dynamic_listeners"]}


def test_envelope_shape(dump: dict[str, Any], mesh_dir: Path) -> None:
    kinds = [c["@type"].rsplit(".", 1)[1] for c in dump["configs"]]
    assert kinds == [
        "BootstrapConfigDump",
        "ClustersConfigDump",
        "EndpointsConfigDump",
        "ListenersConfigDump",
        "ScopedRoutesConfigDump",
        "RoutesConfigDump",
        "SecretsConfigDump",
    ]
    node = _section(dump, "BootstrapConfigDump")["bootstrap"]["node"]
    kind, ip, pod_ns, domain = node["id"].split("~")
    assert kind == "sidecar" and ip.startswith("10.")
    assert pod_ns.endswith(".ns-0") and domain == "ns-0.svc.cluster.local"
    assert node["metadata"]["ISTIO_VERSION"].startswith("1.24")
    secrets = _section(dump, "SecretsConfigDump")["dynamic_active_secrets"]
    assert [s["name"] for s in secrets] == ["default", "ROOTCA"]
    # The streamed file is exactly Envoy-style 2-space pretty JSON of the whole document.
    raw = (mesh_dir / "config_dump.json").read_bytes()
    assert orjson.dumps(dump, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE) == raw
    for entry in _section(dump, "ClustersConfigDump")["dynamic_active_clusters"]:
        assert entry["version_info"] and entry["last_updated"]
        assert entry["cluster"]["@type"] == "type.googleapis.com/envoy.config.cluster.v3.Cluster"


def test_outbound_clusters_match_yaml(dump: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    services = _by_kind(docs, "Service")
    drs = _by_kind(docs, "DestinationRule")
    ses = _by_kind(docs, "ServiceEntry")
    assert len(services) == N
    assert 0.15 * N <= len(drs) <= 0.6 * N
    # Both kinds of DR occur: with version subsets and traffic-policy only.
    assert {bool(dr["spec"].get("subsets")) for dr in drs} == {True, False}
    assert _by_kind(docs, "VirtualService")

    subsets_by_host: dict[str, list[str]] = defaultdict(list)
    for dr in drs:
        host = _fqdn(dr["spec"]["host"], dr["metadata"]["namespace"])
        subsets_by_host[host] += [s["name"] for s in dr["spec"].get("subsets", [])]
    expected: set[str] = set()
    for svc in services:
        fqdn = _fqdn(svc["metadata"]["name"], svc["metadata"]["namespace"])
        for port in svc["spec"]["ports"]:
            expected.add(f"outbound|{port['port']}||{fqdn}")
            expected.update(f"outbound|{port['port']}|{s}|{fqdn}" for s in subsets_by_host[fqdn])
    for se in ses:
        for host in se["spec"]["hosts"]:
            expected.update(f"outbound|{p['number']}||{host}" for p in se["spec"]["ports"])

    actual = {n for n in _clusters(dump) if n.startswith("outbound|")}
    assert actual == expected
    ports = sum(len(s["spec"]["ports"]) for s in services)
    subset_clusters = sum(
        len(subsets_by_host[_fqdn(s["metadata"]["name"], s["metadata"]["namespace"])])
        * len(s["spec"]["ports"])
        for s in services
    )
    assert len(actual) == ports + subset_clusters + sum(len(se["spec"]["hosts"]) for se in ses)


def test_cluster_metadata_points_at_destination_rules(
    dump: dict[str, Any], docs: list[dict[str, Any]]
) -> None:
    dr_path = {
        _fqdn(d["spec"]["host"], d["metadata"]["namespace"]): (
            "/apis/networking.istio.io/v1/namespaces/"
            f"{d['metadata']['namespace']}/destination-rule/{d['metadata']['name']}"
        )
        for d in _by_kind(docs, "DestinationRule")
    }
    for name, cluster in _clusters(dump).items():
        if not name.startswith("outbound|"):
            continue
        _, _, subset, host = name.split("|")
        istio = cluster["metadata"]["filter_metadata"]["istio"]
        assert istio.get("config") == dr_path.get(host)
        assert istio.get("subset", "") == subset
        assert istio["services"][0]["host"] == host


def test_endpoints_match_deployments(dump: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    replicas: dict[tuple[str, str, str], int] = defaultdict(int)
    for dep in _by_kind(docs, "Deployment"):
        labels = dep["spec"]["template"]["metadata"]["labels"]
        key = (dep["metadata"]["namespace"], labels["app"], labels["version"])
        replicas[key] += dep["spec"]["replicas"]
    targets: dict[tuple[str, int], int] = {}
    apps: dict[str, tuple[str, str]] = {}
    for svc in _by_kind(docs, "Service"):
        ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
        apps[_fqdn(name, ns)] = (ns, svc["spec"]["selector"]["app"])
        for p in svc["spec"]["ports"]:
            targets[(_fqdn(name, ns), p["port"])] = p["targetPort"]

    cla_by_name = {
        e["endpoint_config"]["cluster_name"]: e["endpoint_config"]
        for e in _section(dump, "EndpointsConfigDump")["dynamic_endpoint_configs"]
    }
    assert set(cla_by_name) == set(_clusters(dump)) - {
        "agent",
        "prometheus_stats",
        "sds-grpc",
        "xds-grpc",
    }
    checked = 0
    for name, cla in cla_by_name.items():
        if not name.startswith("outbound|") or name.split("|")[3] not in apps:
            continue
        _, port, subset, host = name.split("|")
        ns, app = apps[host]
        want = sum(
            n
            for (n_ns, n_app, v), n in replicas.items()
            if (n_ns, n_app) == (ns, app) and subset in ("", v)
        )
        eps = [ep for loc in cla["endpoints"] for ep in loc["lb_endpoints"]]
        assert len(eps) == want and 1 <= want <= 2, name
        for ep in eps:
            assert (
                ep["endpoint"]["address"]["socket_address"]["port_value"]
                == targets[(host, int(port))]
            )
            assert ep["health_status"] == "HEALTHY"
        checked += 1
    assert checked > N


def test_listeners_and_route_configs(dump: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    services = _by_kind(docs, "Service")
    http_ports = {p["port"] for s in services for p in s["spec"]["ports"] if _is_http(p["name"])}
    vip_listeners = {
        f"{s['spec']['clusterIP']}_{p['port']}"
        for s in services
        for p in s["spec"]["ports"]
        if not _is_http(p["name"])
    }
    listeners = _listeners(dump)
    expected = (
        vip_listeners | {f"0.0.0.0_{p}" for p in http_ports} | {"virtualOutbound", "virtualInbound"}
    )
    if _by_kind(docs, "ServiceEntry"):
        expected.add("0.0.0.0_443")
    assert set(listeners) == expected
    for port in http_ports:
        hcm = listeners[f"0.0.0.0_{port}"]["filter_chains"][0]["filters"][0]["typed_config"]
        assert hcm["rds"]["route_config_name"] == str(port)

    routes = _routes(dump)
    assert set(routes) == {str(p) for p in http_ports}
    for port in http_ports:
        want = {
            f"{_fqdn(s['metadata']['name'], s['metadata']['namespace'])}:{port}"
            for s in services
            if any(p["port"] == port and _is_http(p["name"]) for p in s["spec"]["ports"])
        }
        vhosts = [v["name"] for v in routes[str(port)]["virtual_hosts"]]
        assert vhosts[-1] == "allow_any"
        assert set(vhosts[:-1]) == want and len(vhosts) == len(want) + 1


def test_virtual_service_routes(dump: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    vs_by_host = {
        _fqdn(vs["spec"]["hosts"][0], vs["metadata"]["namespace"]): vs
        for vs in _by_kind(docs, "VirtualService")
    }
    seen = 0
    for rc in _routes(dump).values():
        for vhost in rc["virtual_hosts"][:-1]:
            host = vhost["name"].rsplit(":", 1)[0]
            found = vs_by_host.get(host)
            if found is None:
                assert [r["name"] for r in vhost["routes"]] == ["default"]
                assert "metadata" not in vhost["routes"][0]
                continue
            meta = found["metadata"]
            path = (
                "/apis/networking.istio.io/v1/namespaces/"
                f"{meta['namespace']}/virtual-service/{meta['name']}"
            )
            assert [r["name"] for r in vhost["routes"]] == [
                h["name"] for h in found["spec"]["http"]
            ]
            for route in vhost["routes"]:
                assert route["metadata"]["filter_metadata"]["istio"]["config"] == path
                assert route["decorator"]["operation"]
                assert "retry_policy" in route["route"] and "timeout" in route["route"]
            seen += 1
    assert seen >= 1


def test_every_referenced_cluster_exists(dump: dict[str, Any]) -> None:
    clusters = set(_clusters(dump))
    referenced: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            route = node.get("route")
            if isinstance(route, dict):
                if "cluster" in route:
                    referenced.add(route["cluster"])
                for wc in route.get("weighted_clusters", {}).get("clusters", []):
                    referenced.add(wc["name"])
            tc = node.get("typed_config")
            if isinstance(tc, dict) and tc.get("@type", "").endswith("TcpProxy"):
                referenced.add(tc["cluster"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for kind in ("ListenersConfigDump", "RoutesConfigDump"):
        walk(_section(dump, kind))
    assert any("|v2|" in c for c in referenced)  # weighted/subset routes are exercised
    assert referenced - clusters == set()


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    gen.generate(20, a, seed=3)
    gen.generate(20, b, seed=3)
    gen.generate(20, c, seed=4)
    for name in ("config_dump.json", "istio.yaml"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "istio.yaml").read_bytes() != (c / "istio.yaml").read_bytes()


def test_cli_prints_size(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["5", str(tmp_path / "m"), "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "config_dump.json" in out and "MB" in out
    manifest = orjson.loads((tmp_path / "m" / "manifest.json").read_bytes())
    assert manifest["dump_bytes"] == (tmp_path / "m" / "config_dump.json").stat().st_size
    assert manifest["services"] == 5


def test_yaml_round_trips(mesh_dir: Path, docs: list[dict[str, Any]]) -> None:
    assert docs == list(gen._yaml_docs(gen.build_mesh(N, 7)))
    tricky = {
        "a": "true",
        "b": "5",
        "c": "x: y",
        "d": "",
        "e": "null",
        "f": "1e3",
        "g": "o'k",
        "h": "10.96.0.1",
        "i": "/api/v1",
        "j": ["5xx,connect-failure", {}, [], {"k": "#x", "l": "y:"}],
        "m": {"n": [{"o": 1, "p": False}]},
    }
    assert yaml.safe_load(gen.yaml_document(tricky)) == tricky
