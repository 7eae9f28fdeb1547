"""A sidecar's shared outbound listener: the listener for every service on its port, each
filter chain for the service it forwards to."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from analyzer.attribution.engine import attribute
from analyzer.attribution.model import Attribution
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio

HOSTS = ("api.one.example.com", "api.two.example.com")
TCP_PROXY = "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"

ISTIO_YAML = "\n---\n".join(
    f"""apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ext-{index}
  namespace: shop
spec:
  hosts: [{host}]
  location: MESH_EXTERNAL
  resolution: DNS
  ports:
  - number: 443
    name: tls
    protocol: TLS
"""
    for index, host in enumerate(HOSTS)
)


def _chain(server_name: str, cluster: str) -> dict[str, Any]:
    return {
        "filter_chain_match": {"server_names": [server_name]},
        "filters": [
            {
                "name": "envoy.filters.network.tcp_proxy",
                "typed_config": {
                    "@type": TCP_PROXY,
                    "stat_prefix": cluster,
                    "cluster": cluster,
                },
            }
        ],
    }


def _dump() -> dict[str, Any]:
    chains = [_chain(host, f"outbound|443||{host}") for host in HOSTS]
    # A chain leading nowhere a service explains: it keeps the listener's sources.
    chains.append(_chain("unknown.example.com", "PassthroughCluster"))
    listener = {
        "name": "0.0.0.0_443",
        "address": {"socket_address": {"address": "0.0.0.0", "port_value": 443}},
        "traffic_direction": "OUTBOUND",
        "filter_chains": chains,
    }
    return {
        "configs": [
            {
                "@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
                "bootstrap": {
                    "node": {
                        "id": "sidecar~10.1.2.3~web-1.shop~shop.svc.cluster.local",
                        "metadata": {"NAMESPACE": "shop", "ISTIO_VERSION": "1.24.2"},
                    }
                },
            },
            {
                "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
                "dynamic_listeners": [
                    {"name": "0.0.0.0_443", "active_state": {"listener": listener}}
                ],
            },
        ]
    }


def _attribution(tmp_path: Path) -> Attribution:
    dump = tmp_path / "config_dump.json"
    dump.write_bytes(orjson.dumps(_dump()))
    yaml_file = tmp_path / "istio.yaml"
    yaml_file.write_text(ISTIO_YAML)
    (proxy,) = load_proxies([str(dump)])
    return attribute(proxy, load_istio([str(yaml_file)]))


def _refs(attribution: Attribution, resource_id: str) -> list[tuple[str, str | None]]:
    return sorted((s.ref, s.path) for s in attribution.of(resource_id))


def test_each_sni_chain_is_attributed_to_the_service_it_forwards_to(tmp_path: Path) -> None:
    attribution = _attribution(tmp_path)
    both = [(f"ServiceEntry/shop/ext-{i}", "spec.ports[0]") for i in (0, 1)]
    assert _refs(attribution, "listener/0.0.0.0_443") == both
    assert _refs(attribution, "filter_chain/0.0.0.0_443/0") == [both[0]]
    assert _refs(attribution, "filter_chain/0.0.0.0_443/1") == [both[1]]


def test_a_chain_to_no_known_service_keeps_the_listeners_sources(tmp_path: Path) -> None:
    attribution = _attribution(tmp_path)
    assert _refs(attribution, "filter_chain/0.0.0.0_443/2") == _refs(
        attribution, "listener/0.0.0.0_443"
    )
