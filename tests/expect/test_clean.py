"""Clean inputs stay clean: the translation checks (ML02xx, ML03xx) on real captures.

The samples in dumps/ and the upstream Istio 1.18 geo capture come with the YAML that made them,
so nothing may be reported at error or warning level. The upstream bookinfo captures (Istio
1.1-1.4) only come with an approximation of their YAML (the 1.5 bookinfo sample, see
shared/dumps/upstream/SOURCES.md): every finding that remains there is listed below with the
reason it is expected, and the list must match exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.attribution.engine import attribute
from analyzer.checks.model import Finding, Severity
from analyzer.checks.registry import ALL
from analyzer.checks.runner import Settings, run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from analyzer.load.namespaces import with_default_namespace
from tests.conftest import DUMPS, shared_path

TRANSLATION = tuple(c for c in ALL if c.CODE.startswith(("ML02", "ML03")))
BOOKINFO_YAML = (
    "bookinfo",
    "bookinfo-gateway",
    "destination-rule-all",
    "destination-rule-all-mtls",
    "virtual-service-all-v1",
)

Key = tuple[str, str | None, str | None, str | None]


def _run(dump: Path, configs: list[Path], namespace: str | None = None) -> list[Finding]:
    config = load_istio([str(c) for c in configs])
    if namespace:
        config = with_default_namespace(config, namespace)
    attributions = [attribute(p, config) for p in load_proxies([str(dump)])]
    findings = run_checks(config, attributions, Settings(checks=TRANSLATION))
    assert all(f.code != "ML0001" for f in findings), [f.message for f in findings]
    return findings


def _serious(findings: list[Finding]) -> list[str]:
    return [
        f"{f.code} {f.resource} {f.source.ref if f.source else ''}: {f.message}"
        for f in findings
        if f.severity in (Severity.ERROR, Severity.WARNING)
    ]


SCENARIOS = sorted(p.parent.name for p in DUMPS.glob("*/config_dump.json"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_samples_are_clean(scenario: str) -> None:
    folder = DUMPS / scenario
    findings = _run(folder / "config_dump.json", [folder / "istio.yaml"])
    assert _serious(findings) == []


def test_upstream_geo_1_18_is_clean() -> None:
    upstream = shared_path("dumps", "upstream")
    dump = upstream / "ext-dsb__istio-1.18__hotelres-geo-sidecar-NACK-virtualInbound.json"
    configs = sorted(upstream.glob("ext-dsb__istio-1.18__geo-*.yaml"))
    # The YAML names no namespace; it was applied with `kubectl -n hr2`. virtualInbound is
    # rejected in this capture (an EnvoyFilter): that is the state checks' business, not ours.
    assert _serious(_run(dump, configs, "hr2")) == []


def _keys(findings: list[Finding]) -> list[Key]:
    out: list[Key] = []
    for f in findings:
        source = f.source
        out.append(
            (f.code, f.resource, source.ref if source else None, source.path if source else None)
        )
    return sorted(out)


_NO_VS = "the captured mesh had no bookinfo VirtualServices: RDS 9080 holds Istio's default routes"
_NO_DR = "the captured mesh had no bookinfo DestinationRules with subsets: no subset clusters"
_GW_ONLY = "bookinfo is bound to bookinfo-gateway only: info on sidecars, by design"
_SCOPED = "the proxy is Sidecar-scoped (the Sidecar is not in the inputs): ratings is hidden"
_OTHER_MESH = (
    "namespace bookinfo of that capture held ratings and `myreviews`, not the sample's services"
)
_GW_V1 = "the applied bookinfo VirtualService routed to subset v1; the 1.5 sample names no subset"


def _subsets(namespace: str, host: str, names: tuple[str, ...], why: str) -> dict[Key, str]:
    return {
        (
            "ML0204",
            None,
            f"DestinationRule/{namespace}/{host}",
            f"spec.subsets[{index}]",
        ): why
        for index, name in enumerate(names)
        if name
    }


def _no_vs_routes(namespace: str, hosts: tuple[str, ...], why: str) -> dict[Key, str]:
    return {
        (
            "ML0203",
            None,
            f"VirtualService/{namespace}/{host}",
            "spec.http[0]",
        ): why
        for host in hosts
    }


_RATINGS = ("v1", "v2", "v2-mysql", "v2-mysql-vm")
_ALL4 = ("details", "productpage", "ratings", "reviews")
_GW_INFO: dict[Key, str] = {
    ("ML0301", None, "VirtualService/default/bookinfo", "spec.gateways"): _GW_ONLY
}

BOOKINFO: dict[str, tuple[str | None, dict[Key, str]]] = {
    "istio-1.1__authz__productpage-sidecar-full": (
        None,
        {
            **_no_vs_routes("default", _ALL4, _NO_VS),
            **_subsets("default", "details", ("v1", "v2"), _NO_DR),
            **_subsets("default", "productpage", ("v1",), _NO_DR),
            **_subsets("default", "ratings", _RATINGS, _NO_DR),
            **_subsets("default", "reviews", ("v1", "v2", "v3"), _NO_DR),
            **_GW_INFO,
        },
    ),
    "istio-1.2__describe__ratings-sidecar-full": (
        "bookinfo",
        {
            **{
                (
                    "ML0203",
                    None,
                    f"VirtualService/bookinfo/{host}",
                    "spec.hosts[0]",
                ): _OTHER_MESH
                for host in ("details", "productpage", "reviews")
            },
            **_no_vs_routes("bookinfo", ("ratings",), _NO_VS),
            **_subsets("bookinfo", "details", ("v1", "v2"), _OTHER_MESH),
            **_subsets("bookinfo", "productpage", ("v1",), _OTHER_MESH),
            **_subsets("bookinfo", "ratings", ("", "v2", "v2-mysql", "v2-mysql-vm"), _NO_DR),
            **_subsets("bookinfo", "reviews", ("v1", "v2", "v3"), _OTHER_MESH),
            **{
                (
                    "ML0204",
                    None,
                    f"Service/bookinfo/{host}",
                    "spec.ports[0]",
                ): _OTHER_MESH
                for host in ("details", "productpage", "reviews")
            },
            ("ML0301", None, "VirtualService/bookinfo/bookinfo", "spec.gateways"): _GW_ONLY,
        },
    ),
    "istio-1.3__describe__ingressgateway-full": (
        None,
        {
            (
                "ML0201",
                f"route/http.80/*:80/{index}",
                "VirtualService/default/bookinfo",
                "spec.http[0].route",
            ): _GW_V1
            for index in range(5)
        },
    ),
    "istio-1.3__describe__productpage-sidecar-full": (
        None,
        {**_no_vs_routes("default", _ALL4, _NO_VS), **_GW_INFO},
    ),
    "istio-1.4__describe__productpage-sidecar-scoped": (
        None,
        {
            **_no_vs_routes("default", ("details", "productpage", "reviews"), _NO_VS),
            (
                "ML0203",
                None,
                "VirtualService/default/ratings",
                "spec.hosts[0]",
            ): _SCOPED,
            **_subsets("default", "ratings", _RATINGS, _SCOPED),
            (
                "ML0204",
                None,
                "Service/default/ratings",
                "spec.ports[0]",
            ): _SCOPED,
            **_GW_INFO,
        },
    ),
}


@pytest.mark.parametrize("dump", sorted(BOOKINFO))
def test_upstream_bookinfo_findings_are_explained(dump: str) -> None:
    upstream = shared_path("dumps", "upstream")
    configs = [upstream / f"istio-1.5__bookinfo-sample__{name}.yaml" for name in BOOKINFO_YAML]
    namespace, explained = BOOKINFO[dump]
    found = _keys(_run(upstream / f"{dump}.json", configs, namespace))
    assert all(explained.values())
    assert found == sorted(explained), "\n".join(
        [f"unexplained: {k}" for k in found if k not in explained]
        + [f"gone: {k}" for k in explained if k not in found]
    )
