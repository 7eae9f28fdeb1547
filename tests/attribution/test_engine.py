"""Attribution behaviour on the shipped samples and the upstream captures."""

from __future__ import annotations

import glob
from collections import Counter
from pathlib import Path

import pytest

from analyzer.attribution.engine import attribute
from analyzer.attribution.model import Attribution
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from analyzer.load.namespaces import with_default_namespace
from tests.conftest import DUMPS, shared_path

SCENARIOS = sorted(p.name for p in DUMPS.iterdir() if (p / "config_dump.json").exists())


def _sample(name: str, with_yaml: bool = True) -> Attribution:
    (proxy,) = load_proxies([str(DUMPS / name / "config_dump.json")])
    config = load_istio([str(DUMPS / name / "istio.yaml")]) if with_yaml else None
    return attribute(proxy, config)


def _unattributed(attribution: Attribution, types: tuple[str, ...]) -> list[str]:
    return [r.id for r in attribution.resources if r.type in types and not attribution.of(r.id)]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_sample_resource_is_attributed(name: str) -> None:
    attribution = _sample(name)
    types = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster")
    assert _unattributed(attribution, types) == []
    # Every source in a sample points into the sample's own YAML (nothing inferred).
    for resource in attribution.resources:
        for source in attribution.of(resource.id):
            assert source.in_inputs, (resource.id, source)
            if not source.is_default:
                assert source.file == str(DUMPS / name / "istio.yaml")


@pytest.mark.parametrize("name", SCENARIOS)
def test_sources_are_deterministic(name: str) -> None:
    first, second = _sample(name), _sample(name)
    assert [r.id for r in first.resources] == [r.id for r in second.resources]
    assert first.sources == second.sources


def test_without_yaml_only_defaults_and_inferred_sources() -> None:
    attribution = _sample("sidecar-bookinfo", with_yaml=False)
    route = attribution.of("route/9080/reviews.default.svc.cluster.local:9080/0")
    assert [(s.ref, s.in_inputs, s.evidence) for s in route] == [
        ("VirtualService/default/reviews", False, "metadata")
    ]
    cluster = attribution.of("cluster/outbound|9080|v2|reviews.default.svc.cluster.local")
    assert {s.ref for s in cluster} == {
        "Service/default/reviews",
        "DestinationRule/default/reviews",
    }
    assert all(not s.in_inputs and s.file is None for s in cluster)


def _upstream(dump: str, *configs: str, namespace: str = "") -> Attribution:
    (proxy,) = load_proxies([str(shared_path("dumps", "upstream", dump))])
    folder = str(shared_path("dumps", "upstream"))
    files = sorted(f for pattern in configs for f in glob.glob(folder + "/" + pattern))
    return attribute(proxy, with_default_namespace(load_istio(files), namespace))


def test_geo_1_18_routes_and_outbound_clusters_fully_attributed() -> None:
    attribution = _upstream(
        "ext-dsb__istio-1.18__hotelres-geo-sidecar-NACK-virtualInbound.json",
        "ext-dsb__istio-1.18__geo-*.yaml",
        namespace="hr2",  # the upstream YAML names no namespace; it was applied with -n hr2
    )
    routes = [r for r in attribution.resources if r.type == "route"]
    outbound = [
        r
        for r in attribution.resources
        if r.type == "cluster" and r.id.startswith("cluster/outbound|")
    ]
    assert len(routes) > 100 and len(outbound) > 100
    assert [r.id for r in routes + outbound if not attribution.of(r.id)] == []
    # The geo Service comes from the given YAML; the other services are inferred by name.
    geo = attribution.of("cluster/outbound|8083||geo.hr2.svc.cluster.local")
    assert [(s.ref, s.in_inputs) for s in geo] == [("Service/hr2/geo", True)]
    counts = Counter(s.in_inputs for r in outbound for s in attribution.of(r.id))
    assert counts[False] > counts[True]


# External hosts of the 1.3 bookinfo capture whose ServiceEntries are not in the (approximate)
# bookinfo YAML and whose clusters carry no Istio metadata (1.3 did not write it for them):
# nothing can name the object that produced them.
UNKNOWN_1_3 = {
    "archive.ubuntu.com",
    "cdn-fastly.deb.debian.org",
    "deb.debian.org",
    "security.debian.org",
    "security.ubuntu.com",
}


@pytest.mark.parametrize(
    "dump",
    [
        "istio-1.1__authz__productpage-sidecar-full.json",
        "istio-1.2__describe__ratings-sidecar-full.json",
        "istio-1.3__describe__productpage-sidecar-full.json",
        "istio-1.4__describe__productpage-sidecar-scoped.json",
    ],
)
def test_bookinfo_sidecars_routes_and_outbound_clusters(dump: str) -> None:
    attribution = _upstream(dump, "istio-1.5__bookinfo-sample__*.yaml")
    left = [
        r.id
        for r in attribution.resources
        if (r.type == "route" or r.id.startswith("cluster/outbound|")) and not attribution.of(r.id)
    ]
    assert all(any(host in resource_id for host in UNKNOWN_1_3) for resource_id in left), left


def test_gateway_api_routes_point_at_the_httproute() -> None:
    (proxy,) = load_proxies(
        [
            str(
                shared_path(
                    "dumps", "upstream", "istio-head__writer__routes-k8s-gateway-api-http.80.json"
                )
            )
        ]
    )
    attribution = attribute(proxy)
    (source,) = attribution.of("route/http.80/httpbin.example.com:80/0")
    # Metadata names the generated VirtualService http-0-istio-autogenerated-k8s-gateway; the
    # object a user wrote is HTTPRoute default/http, rule 0 (route name default.http.0).
    assert (source.ref, source.evidence, source.in_inputs) == (
        "HTTPRoute/default/http",
        "metadata",
        False,
    )


def test_gateway_api_route_in_inputs_gets_its_rule(tmp_path: Path) -> None:
    (proxy,) = load_proxies(
        [
            str(
                shared_path(
                    "dumps", "upstream", "istio-head__writer__routes-k8s-gateway-api-http.80.json"
                )
            )
        ]
    )
    route_yaml = tmp_path / "httproute.yaml"
    route_yaml.write_text(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: http\n"
        "  namespace: default\nspec:\n  parentRefs:\n  - name: gateway\n"
        "  hostnames: [httpbin.example.com]\n"
        "  rules:\n  - matches:\n    - path: {type: PathPrefix, value: /get}\n"
        "    backendRefs:\n    - name: httpbin\n      port: 8000\n"
    )
    attribution = attribute(proxy, load_istio([str(route_yaml)]))
    (source,) = attribution.of("route/http.80/httpbin.example.com:80/0")
    assert (source.ref, source.path, source.line) == ("HTTPRoute/default/http", "spec.rules[0]", 11)


def test_rule_line_is_the_line_of_the_enclosing_rule() -> None:
    attribution = _sample("sidecar-bookinfo")
    route_id = "route/9080/reviews.default.svc.cluster.local:9080/0"
    (source,) = attribution.of(route_id)
    assert (source.ref, source.path) == ("VirtualService/default/reviews", "spec.http[0].match[0]")
    # The match is quoted from its rule (`- name: jason`), the line just above it.
    assert source.line == 372
    assert source.rule_line == 370
    cluster_id = "cluster/outbound|9080||reviews.default.svc.cluster.local"
    service = next(s for s in attribution.of(cluster_id) if s.ref.startswith("Service/"))
    assert service.path == "spec.ports[0]"
    assert service.rule_line == service.line


def test_sources_shared_between_resources_come_in_lists_of_their_own() -> None:
    attribution = _sample("sidecar-bookinfo")
    vhost = attribution.of("virtual_host/9080/reviews.default.svc.cluster.local:9080")
    route_config = attribution.of("route_config/9080")
    # One Service port explains both (the same Source), each resource with its own list.
    assert vhost[0].ref == "Service/default/reviews"
    assert any(source is vhost[0] for source in route_config)
    assert vhost is not route_config
