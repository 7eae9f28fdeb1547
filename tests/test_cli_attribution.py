"""meshlens explain and meshlens map, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from analyzer.cli import main
from tests.conftest import DUMPS

GATEWAY = DUMPS / "gateway-simple"
SIDECAR = DUMPS / "sidecar-bookinfo"


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _line_of(path: Path, needle: str) -> int:
    for number, text in enumerate(path.read_text().splitlines(), 1):
        if needle in text:
            return number
    raise AssertionError(needle)


def test_explain_route_names_the_rule_and_the_chain() -> None:
    out = _invoke(
        "explain",
        str(GATEWAY / "config_dump.json"),
        "-c",
        str(GATEWAY / "istio.yaml"),
        "route/http.8080/simple.baihl.io:80/0",
    )
    yaml_file = GATEWAY / "istio.yaml"
    # The route came from the match on /simple/httpserver: quote its file:line.
    assert f"VirtualService/simple/simple spec.http[0].match[0]  ({yaml_file}:" in out
    assert "exact: /simple/httpserver" in out
    assert "listener/0.0.0.0_8080" in out and "Gateway/simple/simple spec.servers[0]" in out
    assert "cluster/outbound|80||simple.simple.svc.cluster.local" in out
    assert "10.10.1.13:80 HEALTHY" in out


def test_explain_json_chain_up_and_down() -> None:
    out = _invoke(
        "explain",
        str(SIDECAR / "config_dump.json"),
        "-c",
        str(SIDECAR / "istio.yaml"),
        "-o",
        "json",
        "virtual_host/9080/reviews.default.svc.cluster.local:9080",
    )
    data = json.loads(out)
    assert data["resource"]["id"] == "virtual_host/9080/reviews.default.svc.cluster.local:9080"
    refs = {s["ref"] for s in data["resource"]["sources"]}
    assert refs == {"Service/default/reviews", "VirtualService/default/reviews"}
    assert [step["id"] for step in data["used_by"][0]] == [
        "listener/0.0.0.0_9080",
        "filter_chain/0.0.0.0_9080/0",
        "route_config/9080",
        "virtual_host/9080/reviews.default.svc.cluster.local:9080",
    ]
    clusters = {c["id"] for route in data["leads_to"] for c in route["leads_to"]}
    assert clusters == {
        "cluster/outbound|9080|v1|reviews.default.svc.cluster.local",
        "cluster/outbound|9080|v2|reviews.default.svc.cluster.local",
    }


def test_explain_istio_object_reports_a_rule_that_produced_nothing(tmp_path: Path) -> None:
    docs = list(yaml.safe_load_all((GATEWAY / "istio.yaml").read_text()))
    for doc in docs:
        if doc and doc.get("kind") == "VirtualService":
            doc["spec"]["http"].append(
                {
                    "match": [{"uri": {"prefix": "/added-later"}}],
                    "route": [{"destination": {"host": "nginx"}}],
                }
            )
    changed = tmp_path / "istio.yaml"
    changed.write_text(yaml.safe_dump_all(docs))
    out = _invoke(
        "explain",
        str(GATEWAY / "config_dump.json"),
        "-c",
        str(changed),
        "--istio",
        "VirtualService/simple/simple",
    )
    blocks = out.split("\n  spec.")
    added = [b for b in blocks if b.startswith("http[2]")]
    assert added and "produced nothing on this proxy" in added[0]
    first = [b for b in blocks if b.startswith("http[0].match[0]")]
    assert "route/http.8080/simple.baihl.io:80/0" in first[0]


def test_explain_unknown_resource_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        main, ["explain", str(GATEWAY / "config_dump.json"), "route/nope/x/0"]
    )
    assert result.exit_code == 2
    assert "no resource 'route/nope/x/0'" in result.output


def test_map_json_is_complete_and_deterministic() -> None:
    args = (
        "map",
        str(SIDECAR / "config_dump.json"),
        "-c",
        str(SIDECAR / "istio.yaml"),
        "-o",
        "json",
    )
    first, second = _invoke(*args), _invoke(*args)
    assert first == second
    (proxy,) = json.loads(first)["proxies"]
    resources = proxy["resources"]
    types = {r["type"] for r in resources}
    assert types == {"listener", "filter_chain", "route_config", "virtual_host", "route", "cluster"}
    summary = proxy["summary"]
    assert summary["resources"] == len(resources)
    assert summary["unattributed"] == []
    defaults = sum(
        1
        for r in resources
        if r["sources"] and all(s["evidence"] == "default" for s in r["sources"])
    )
    assert summary["defaults"] == defaults
    assert summary["attributed"] + defaults == len(resources)
    route = next(
        r for r in resources if r["id"] == "route/9080/reviews.default.svc.cluster.local:9080/0"
    )
    (source,) = route["sources"]
    assert source["line"] == _line_of(SIDECAR / "istio.yaml", "- headers:")


def test_map_table_without_yaml_lists_unattributed() -> None:
    out = _invoke("map", str(GATEWAY / "config_dump.json"), "--unattributed")
    assert "coverage:" in out
    # Without YAML, the gateway's listener and route config come from a Gateway nobody gave us.
    assert "listener/0.0.0.0_8080" in out and "UNATTRIBUTED" in out
