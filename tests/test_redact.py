"""Redaction: ``meshlens redact`` (captures, and YAML with -c) and ``analyze --redact`` (reports).

The redacted capture must still load with the same resources, its routes must still reach the
same clusters, none of the original sensitive values may remain in its bytes, and the same
input must always give the same output.
"""

from __future__ import annotations

import base64
import copy
import gzip
import ipaddress
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analyzer.attribution.coverage import coverage
from analyzer.cli import main
from analyzer.load.envoy import load_proxies
from analyzer.model.envoy import Proxy
from analyzer.pipeline import analyze
from analyzer.redact import redact_report
from analyzer.redact_core import Redactor
from analyzer.redact_dump import redact_dumps
from analyzer.report.schema import Report
from tests.conftest import DUMPS, REPO
from tests.report.conftest import build_report

EXTERNAL_HOSTS = ("api.partner-bank.com", "shop.acme-corp.io", "acme-corp.io")
HEADER_VALUES = ("s3cr3t-token-123", "Bearer eyJhbGciOi.payload", "alice@acme-corp.io")
SANS = ("spiffe://acme.prod/ns/shop/sa/frontend", "api.partner-bank.com")
PEM = (
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUU2VjcmV0Q2VydGlmaWNhdGVCeXRlcw==\n"
    "-----END CERTIFICATE-----\n"
)
PEM_B64 = base64.b64encode(PEM.encode()).decode()
KEY_PEM = (
    "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRg==\n"
    "-----END PRIVATE KEY-----\n"
)
IN_MESH = "outbound|9080||reviews.shop.svc.cluster.local"
NODE_ID = "sidecar~10.1.2.3~frontend-7d4b9c8f6d-x2x9q.shop~shop.svc.cluster.local"
EXTERNAL = "outbound|443||api.partner-bank.com"
SAMPLES = [
    "dumps/gateway-simple/config_dump.json",
    "dumps/sidecar-bookinfo/config_dump.json",
    "dumps/gateway-simple/istioctl/all.yaml",
    "dumps/sidecar-bookinfo/istioctl/routes.yaml",
    "dumps/sidecar-bookinfo/istioctl/clusters.json",
    "tests/report/fixtures/hostile/dump.json",
]


# --- a capture holding every kind of sensitive value --------------------------------------------


def _tls(sni: str, san: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": "envoy.transport_sockets.tls",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3."
            "UpstreamTlsContext",
            "sni": sni,
            "common_tls_context": {"validation_context": {"match_typed_subject_alt_names": san}},
        },
    }


def _cluster(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "version_info": "2024-05-01T10:00:00Z/7",
        "last_updated": "2024-05-01T10:00:01Z",
        "cluster": {
            "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
            "name": name,
            "connect_timeout": "10s",
            **extra,
        },
    }


def _endpoints(*addresses: str, port: int) -> list[dict[str, Any]]:
    """ClusterLoadAssignment ``endpoints``: one locality with these addresses."""
    lb = [
        {"endpoint": {"address": {"socket_address": {"address": a, "port_value": port}}}}
        for a in addresses
    ]
    return [{"lb_endpoints": lb}]


def _listener(name: str, address: str, port: int, chains: list[Any]) -> dict[str, Any]:
    return {
        "name": name,
        "active_state": {
            "version_info": "2024-05-01T10:00:00Z/7",
            "last_updated": "2024-05-01T10:00:01Z",
            "listener": {
                "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
                "name": name,
                "address": {"socket_address": {"address": address, "port_value": port}},
                "filter_chains": chains,
            },
        },
    }


def sensitive_dump() -> dict[str, Any]:
    """An admin /config_dump of a sidecar reaching an external API, with secrets inline."""
    hcm = {
        "name": "envoy.filters.network.http_connection_manager",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network."
            "http_connection_manager.v3.HttpConnectionManager",
            "stat_prefix": "outbound_10.96.7.8_8080",
            "rds": {"route_config_name": "8080", "config_source": {"ads": {}}},
            "http_filters": [{"name": "envoy.filters.http.router"}],
        },
    }
    tcp = {
        "name": "envoy.filters.network.tcp_proxy",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            "stat_prefix": EXTERNAL,
            "cluster": EXTERNAL,
        },
    }
    routes = [
        {
            "name": "partner",
            "match": {
                "prefix": "/pay",
                "headers": [
                    {"name": "x-api-key", "string_match": {"exact": HEADER_VALUES[0]}},
                    {"name": "x-user", "safe_regex_match": {"regex": HEADER_VALUES[2]}},
                ],
                "query_parameters": [{"name": "tenant", "string_match": {"exact": "tenant-42"}}],
            },
            "route": {"cluster": EXTERNAL, "host_rewrite_literal": "api.partner-bank.com"},
            "request_headers_to_add": [
                {"header": {"key": "authorization", "value": HEADER_VALUES[1]}}
            ],
        },
        {
            "name": "default",
            "match": {"prefix": "/"},
            "route": {
                "weighted_clusters": {"clusters": [{"name": IN_MESH, "weight": 100}]},
                "request_mirror_policies": [{"cluster": EXTERNAL}],
            },
        },
    ]
    return {
        "configs": [
            {
                "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
                "bootstrap": {
                    "node": {
                        "id": NODE_ID,
                        "metadata": {
                            "INSTANCE_IPS": "10.1.2.3,fd00:10::3",
                            "NAMESPACE": "shop",
                            "ISTIO_VERSION": "1.24.2",
                        },
                    },
                    "static_resources": {
                        "clusters": [
                            {
                                "name": "xds-grpc",
                                "load_assignment": {
                                    "cluster_name": "xds-grpc",
                                    "endpoints": _endpoints("istiod.istio-system.svc", port=15012),
                                },
                            }
                        ]
                    },
                },
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",
                "dynamic_active_clusters": [
                    _cluster(
                        EXTERNAL,
                        type="STRICT_DNS",
                        load_assignment={
                            "cluster_name": EXTERNAL,
                            "endpoints": _endpoints("api.partner-bank.com", port=443),
                        },
                        transport_socket=_tls(
                            "api.partner-bank.com",
                            [
                                {"san_type": "URI", "matcher": {"exact": SANS[0]}},
                                {"san_type": "DNS", "matcher": {"exact": SANS[1]}},
                            ],
                        ),
                    ),
                    _cluster(
                        IN_MESH,
                        type="EDS",
                        eds_cluster_config={"service_name": IN_MESH, "eds_config": {"ads": {}}},
                        transport_socket=_tls(
                            "outbound_.9080_._.reviews.shop.svc.cluster.local",
                            [{"san_type": "URI", "matcher": {"exact": SANS[0]}}],
                        ),
                    ),
                ],
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                "dynamic_listeners": [
                    _listener(
                        "0.0.0.0_8443",
                        "0.0.0.0",
                        8443,
                        [
                            {
                                "filter_chain_match": {"server_names": ["shop.acme-corp.io"]},
                                "filters": [tcp],
                            }
                        ],
                    ),
                    _listener("10.96.7.8_8080", "10.96.7.8", 8080, [{"filters": [hcm]}]),
                ],
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump",
                "dynamic_route_configs": [
                    {
                        "version_info": "2024-05-01T10:00:00Z/7",
                        "route_config": {
                            "@type": "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
                            "name": "8080",
                            "virtual_hosts": [
                                {
                                    "name": "shop.acme-corp.io:8080",
                                    "domains": [
                                        "shop.acme-corp.io",
                                        "shop.acme-corp.io:8080",
                                        "*.acme-corp.io",
                                        "10.96.7.8",
                                        "[fd00:10::78]:8080",
                                    ],
                                    "routes": routes,
                                }
                            ],
                        },
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump",
                "dynamic_endpoint_configs": [
                    {
                        "endpoint_config": {
                            "@type": "type.googleapis.com/envoy.config.endpoint.v3."
                            "ClusterLoadAssignment",
                            "cluster_name": IN_MESH,
                            "endpoints": _endpoints("10.244.3.9", "fd00:10::9", port=9080),
                        }
                    }
                ],
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.SecretsConfigDump",
                "dynamic_active_secrets": [
                    {
                        "name": "default",
                        "version_info": "2024-05-01T10:00:00Z",
                        "last_updated": "2024-05-01T10:00:01Z",
                        "secret": {
                            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls."
                            "v3.Secret",
                            "name": "default",
                            "tls_certificate": {
                                "certificate_chain": {"inline_bytes": PEM_B64},
                                "private_key": {"inline_string": KEY_PEM},
                            },
                        },
                    }
                ],
            },
        ]
    }


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    """The shared report of the golden tests (tests/report/conftest.py)."""
    return build_report()


@pytest.fixture
def capture(tmp_path: Path) -> Path:
    path = tmp_path / "in" / "config_dump.json"
    path.parent.mkdir()
    path.write_text(json.dumps(sensitive_dump(), indent=1))
    return path


# --- helpers ---------------------------------------------------------------------------------


def _counts(proxy: Proxy) -> tuple[int, ...]:
    return (
        len(proxy.listeners),
        sum(len(listener.all_chains) for listener in proxy.listeners),
        len(proxy.route_configs),
        sum(len(rc.virtual_hosts) for rc in proxy.route_configs),
        sum(len(vh.routes) for rc in proxy.route_configs for vh in rc.virtual_hosts),
        len(proxy.clusters),
        len(proxy.endpoints),
        len(proxy.secrets),
        len(proxy.skipped),
    )


def _references(proxy: Proxy) -> list[tuple[int, bool]]:
    """For every cluster a route or tcp_proxy names, in order: (position, does it resolve)."""
    known = {cluster.name for cluster in proxy.clusters}
    names: list[str] = []
    for rc in proxy.route_configs:
        for vhost in rc.virtual_hosts:
            for route in vhost.routes:
                names += [*route.clusters, *route.mirror_clusters]
    for listener in proxy.listeners:
        for chain in listener.all_chains:
            names += [chain.tcp_cluster] if chain.tcp_cluster else []
    return [(n, name in known) for n, name in enumerate(names)]


def _redact(src: Path | str, out: Path, *configs: str) -> Path:
    redact_dumps([str(src)], str(out), list(configs))
    return out


def _ips(text: str) -> set[str]:
    found = set()
    for token in re.findall(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\d])", text):
        found.add(token)
    for token in re.findall(r"(?<![\w:.])(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{1,4}", text):
        found.add(token)
    out = set()
    for token in found:
        try:
            address = ipaddress.ip_address(token)
        except ValueError:
            continue
        if not (address.is_unspecified or address.is_loopback):
            out.add(token)
    return out


DOC_RANGES = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/15", "2001:db8::/32")
]


# --- captures ---------------------------------------------------------------------------------


def test_redacted_capture_loads_with_the_same_resources(capture: Path, tmp_path: Path) -> None:
    out = _redact(capture, tmp_path / "out.json")
    (before,) = load_proxies([str(capture)])
    (after,) = load_proxies([str(out)])
    assert _counts(after) == _counts(before)
    assert _counts(before)[:8] == (2, 2, 1, 1, 2, 2, 2, 1)
    assert after.kind == "sidecar" and after.namespace == "shop"


def test_routes_still_reach_the_same_clusters(capture: Path, tmp_path: Path) -> None:
    out = _redact(capture, tmp_path / "out.json")
    (before,) = load_proxies([str(capture)])
    (after,) = load_proxies([str(out)])
    assert _references(after) == _references(before)
    assert all(resolved for _, resolved in _references(after))
    cluster = next(c for c in after.clusters if c.name.startswith("outbound|443|"))
    assert cluster.name == "outbound|443||host-1.example"
    assert cluster.sni == "host-1.example"  # the SNI follows the host inside the cluster name


def test_no_original_sensitive_value_is_left(capture: Path, tmp_path: Path) -> None:
    original = capture.read_text()
    out = _redact(capture, tmp_path / "out.json").read_bytes()
    text = out.decode()
    ips = _ips(original)
    assert {"10.1.2.3", "10.96.7.8", "10.244.3.9", "fd00:10::9", "fd00:10::3"} <= ips
    for value in [*ips, *EXTERNAL_HOSTS, *HEADER_VALUES, "tenant-42", *SANS]:
        assert value.encode() not in out, value
    for material in (PEM_B64, "BEGIN CERTIFICATE", "BEGIN PRIVATE KEY", "U2VjcmV0Q2VydGlm"):
        assert material.encode() not in out
    for address in _ips(text):  # what is left is documentation addresses
        assert any(ipaddress.ip_address(address) in net for net in DOC_RANGES), address
    # In-mesh names and Envoy's own names are kept.
    for kept in (IN_MESH, "reviews.shop.svc.cluster.local", "istiod.istio-system.svc"):
        assert kept in text
    assert "envoy.filters.http.router" in text and "0.0.0.0_8443" in text


def test_redaction_is_deterministic(capture: Path, tmp_path: Path) -> None:
    first = _redact(capture, tmp_path / "a.json").read_bytes()
    second = _redact(capture, tmp_path / "b.json").read_bytes()
    assert first == second
    again = tmp_path / "copy.json"
    shutil.copy(capture, again)
    assert _redact(again, tmp_path / "c.json").read_bytes() == first


def test_same_value_same_placeholder_everywhere(capture: Path, tmp_path: Path) -> None:
    out = json.loads(_redact(capture, tmp_path / "out.json").read_text())
    text = json.dumps(out)
    # The listener named after its address and the address itself get the same placeholder.
    listeners = out["configs"][2]["dynamic_listeners"]
    listener = listeners[1]["active_state"]["listener"]
    address = listener["address"]["socket_address"]["address"]
    assert listener["name"] == f"{address}_8080"
    assert ipaddress.ip_address(address) in DOC_RANGES[0]
    assert f"outbound_{address}_8080" in text
    vhost = out["configs"][3]["dynamic_route_configs"][0]["route_config"]["virtual_hosts"][0]
    assert vhost["name"] == "host-2.example:8080"
    assert vhost["domains"][:4] == [
        "host-2.example",
        "host-2.example:8080",
        "*.host-3.example",
        address,
    ]
    chain = listeners[0]["active_state"]["listener"]["filter_chains"][0]
    assert chain["filter_chain_match"]["server_names"] == ["host-2.example"]
    headers = vhost["routes"][0]["match"]["headers"]
    assert [h["name"] for h in headers] == ["x-api-key", "x-user"]  # names kept
    assert headers[0]["string_match"]["exact"] == "header-value-1"
    secret = out["configs"][5]["dynamic_active_secrets"][0]["secret"]["tls_certificate"]
    assert base64.b64decode(secret["certificate_chain"]["inline_bytes"]).startswith(b"redacted-")
    assert secret["private_key"]["inline_string"].startswith("redacted-certificate-")


def test_kinds_are_reported(capture: Path, tmp_path: Path) -> None:
    result = redact_dumps([str(capture)], str(tmp_path / "out.json"))
    assert result.kinds == {
        "certificate": 2,
        "header_value": 3,
        "hostname": 3,
        "ip": 6,
        "query_value": 1,
        "san": 2,
        "sni": 2,
    }


@pytest.mark.parametrize("sample", SAMPLES)
def test_samples_keep_counts_references_and_findings(sample: str, tmp_path: Path) -> None:
    src = REPO / sample
    out = _redact(src, tmp_path / src.name)
    (before,) = load_proxies([str(src)])
    (after,) = load_proxies([str(out)])
    assert _counts(after) == _counts(before)
    assert _references(after) == _references(before)
    original = src.read_text()
    for address in _ips(original):
        assert address not in out.read_text()
    assert (out.read_bytes()[:1] in b"{[") == (src.read_bytes().lstrip()[:1] in b"{[")
    codes = [f.code for f in analyze([str(src)]).findings]
    assert [f.code for f in analyze([str(out)]).findings] == codes


def test_gzip_in_gzip_out(capture: Path, tmp_path: Path) -> None:
    packed = tmp_path / "dump.json.gz"
    packed.write_bytes(gzip.compress(capture.read_bytes()))
    out = _redact(packed, tmp_path / "out.json.gz")
    data = out.read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert b"partner-bank" not in gzip.decompress(data)
    assert out.read_bytes() == _redact(packed, tmp_path / "again.json.gz").read_bytes()
    (after,) = load_proxies([str(out)])
    assert len(after.clusters) == 2


def test_istioctl_yaml_in_yaml_out(tmp_path: Path) -> None:
    src = DUMPS / "gateway-simple" / "istioctl" / "routes.yaml"
    out = _redact(src, tmp_path / "routes.yaml")
    text = out.read_text()
    assert not text.lstrip().startswith(("{", "["))
    assert "simple.baihl.io" not in text
    assert "virtualHosts:" in text  # istioctl's lowerCamelCase is kept


def test_yaml_redacted_with_the_same_mapping_attributes_alike(tmp_path: Path) -> None:
    """Dump and YAML redacted together: coverage and findings are what they were."""
    base = DUMPS / "gateway-simple"
    redact_dumps([str(base / "config_dump.json")], str(tmp_path), [str(base / "istio.yaml")])
    before = analyze([str(base / "config_dump.json")], [str(base / "istio.yaml")])
    after = analyze([str(tmp_path / "config_dump.json")], [str(tmp_path / "istio.yaml")])
    cov_before = coverage(before.attributions[0]).total
    cov_after = coverage(after.attributions[0]).total
    assert (cov_after.resources, cov_after.attributed, cov_after.unattributed) == (
        cov_before.resources,
        cov_before.attributed,
        cov_before.unattributed,
    )
    assert [f.code for f in after.findings] == [f.code for f in before.findings]
    assert "simple.baihl.io" not in (tmp_path / "istio.yaml").read_text()


def test_several_captures_share_one_mapping(tmp_path: Path) -> None:
    base = DUMPS / "gateway-simple" / "istioctl"
    paths = [str(base / name) for name in ("listeners.json", "routes.json", "clusters.json")]
    redact_dumps(paths, str(tmp_path / "out"))
    outs = [str(tmp_path / "out" / Path(p).name) for p in paths]
    (before,) = load_proxies(paths)
    (after,) = load_proxies(outs)
    assert _counts(after) == _counts(before)
    assert _references(after) == _references(before)


# --- command line -------------------------------------------------------------------------------


def test_cli_redact(capture: Path, tmp_path: Path) -> None:
    out = tmp_path / "redacted.json"
    result = CliRunner().invoke(main, ["redact", str(capture), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 hostname" in result.stderr and "6 ip" in result.stderr
    assert b"partner-bank" not in out.read_bytes()


def test_cli_redact_refuses_to_overwrite_its_input(capture: Path) -> None:
    result = CliRunner().invoke(main, ["redact", str(capture), "-o", str(capture)])
    assert result.exit_code == 2
    assert "overwrite its own input" in result.stderr
    assert "partner-bank" in capture.read_text()


def test_cli_analyze_redact_json(capture: Path) -> None:
    result = CliRunner().invoke(main, ["analyze", str(capture), "-f", "json", "--redact"])
    assert result.exit_code in (0, 1), result.output
    data = json.loads(result.stdout)
    Report.model_validate(data)
    assert data["redaction"]["kinds"]["hostname"] >= 1
    assert "partner-bank" not in result.stdout and "10.96.7.8" not in result.stdout


# --- reports ------------------------------------------------------------------------------------


def test_report_redaction_keeps_cross_references(report: dict[str, Any]) -> None:
    before = copy.deepcopy(report)
    redacted = redact_report(report)
    assert report == before  # the input is not changed
    Report.model_validate(redacted)
    # simple.baihl.io and the hostile <script>...example.com domain of the fixture
    assert redacted["redaction"]["kinds"]["hostname"] >= 1
    text = json.dumps(redacted)
    assert "simple.baihl.io" not in text
    assert "gone.simple.svc.cluster.local" in text  # in-mesh names kept
    (proxy,) = redacted["proxies"]
    ids = {r["id"] for r in proxy["resources"]}
    finding = next(f for f in proxy["findings"] if f["code"] == "ML0401")
    assert finding["resource"] == "route/http.8080/host-1.example:80/2"
    assert finding["resource"] in ids
    assert all(step in ids or step.startswith("cluster/") for step in finding["chain"])
    original = next(f for f in before["proxies"][0]["findings"] if f["code"] == "ML0401")
    assert finding["source"]["file"] == original["source"]["file"]
    assert redact_report(report) == redacted  # deterministic


def test_report_redaction_of_free_text(report: dict[str, Any]) -> None:
    data = copy.deepcopy(report)
    finding = dict(data["proxies"][0]["findings"][0])
    finding["message"] = (
        "listener 10.96.7.8_8080 routes api.partner-bank.com to outbound|443||api.partner-bank.com "
        "(see dump.json, spec.http[0], envoy.filters.http.router, networking.istio.io, "
        "type.googleapis.com/envoy.config.route.v3.Route, simple.simple) via fd00:10::9"
    )
    finding["resource"] = "cluster/outbound|443||api.partner-bank.com"
    data["findings"].append(finding)
    out = redact_report(data)["findings"][0]
    assert out["message"] == (
        "listener 192.0.2.1_8080 routes host-2.example to outbound|443||host-2.example "
        "(see dump.json, spec.http[0], envoy.filters.http.router, networking.istio.io, "
        "type.googleapis.com/envoy.config.route.v3.Route, simple.simple) via 2001:db8::1"
    )
    assert out["resource"] == "cluster/outbound|443||host-2.example"


# --- the mapping itself -------------------------------------------------------------------------


def test_redactor_placeholders() -> None:
    redactor = Redactor()
    redactor.add_host("*.api.example.org")  # reserved names are kept
    redactor.add_host("api.partner-bank.com:443")
    redactor.add_host("reviews.default.svc.cluster.local")
    redactor.add_host("reviews.default")  # short form of an in-mesh namespace
    redactor.commit()
    assert redactor.host("api.partner-bank.com:443") == "host-1.example:443"
    assert redactor.text("x.api.partner-bank.com") == "x.host-1.example"
    assert redactor.text("api.partner-bank.com.cn") == "api.partner-bank.com.cn"
    assert redactor.text("reviews.default:9080") == "reviews.default:9080"
    assert redactor.text("10.0.0.1 10.0.0.2 10.0.0.1") == "192.0.2.1 192.0.2.2 192.0.2.1"
    assert redactor.text("0.0.0.0 127.0.0.1 ::1 ::") == "0.0.0.0 127.0.0.1 ::1 ::"
    assert redactor.text("v1.2.3 12:30:45 2024-05-01T10:00:00Z") == (
        "v1.2.3 12:30:45 2024-05-01T10:00:00Z"
    )
    assert redactor.kinds() == {"hostname": 1, "ip": 2}


def test_ip_placeholders_run_through_the_documentation_ranges() -> None:
    redactor = Redactor()
    many = [redactor.ip(f"10.1.{n // 256}.{n % 256}") for n in range(800)]
    assert len(set(many)) == 800
    assert many[0] == "192.0.2.1" and many[253] == "192.0.2.254"
    assert many[254] == "198.51.100.1" and many[508] == "203.0.113.1"
    assert many[762] == "198.18.0.1"
    assert (
        redactor.ip("fd00::1") == "2001:db8::1"
        and redactor.ip("fe80::1%eth0") == "2001:db8::2%eth0"
    )
