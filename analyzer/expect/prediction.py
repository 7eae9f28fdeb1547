"""One proxy's prediction, built once and shared by every ML02xx/ML03xx check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.attribution.mesh import MeshIndex
from analyzer.expect.gateways import GatewayView, gateway_view
from analyzer.expect.routes import Placement, placements, vs_destinations
from analyzer.expect.rules import EffectiveRule, effective_rule, rules_by_host
from analyzer.expect.scope import VsScope, vs_scope
from analyzer.expect.services import Registry
from analyzer.model.istio import IstioObject


@dataclass
class Prediction:
    """What the YAML should produce on one proxy (see the package docstring)."""

    mesh: MeshIndex
    namespace: str
    registry: Registry
    view: GatewayView
    scope: VsScope
    rules: dict[str, list[IstioObject]]
    placements: list[Placement]
    _effective: dict[str, EffectiveRule | None] = field(default_factory=dict, repr=False)
    _destinations: list[tuple[IstioObject, str, Mapping[str, Any]]] | None = field(
        default=None, repr=False
    )
    _cluster_hosts: dict[str, set[str]] | None = field(default=None, repr=False)

    def host_namespace(self, host: str) -> str:
        """Namespace of the Service or ServiceEntry declaring ``host`` (from the FQDN if none)."""
        declared = self.registry.declarations(host)
        if declared:
            return declared[0].namespace
        ref = self.mesh.service_ref_for_host(host)
        return ref[0] if ref else ""

    def effective_rule(self, host: str) -> EffectiveRule | None:
        """The DestinationRule configuration this proxy applies to ``host`` (cached)."""
        if host not in self._effective:
            self._effective[host] = (
                effective_rule(
                    self.mesh, self.rules, host, self.namespace, self.host_namespace(host)
                )
                if host in self.rules  # most hosts have no rule: skip the namespace lookup
                else None
            )
        return self._effective[host]

    def bound_destinations(self) -> list[tuple[IstioObject, str, Mapping[str, Any]]]:
        """(VirtualService, path, destination) of each destination of the VirtualServices here.

        Route destinations and mirrors (see ``routes.vs_destinations``); cached, as three checks
        walk them. The caller must not modify the list.
        """
        if self._destinations is None:
            self._destinations = [
                (binding.vs, path, destination)
                for binding in self.scope.bindings
                for path, destination in vs_destinations(binding.vs)
            ]
        return self._destinations

    def cluster_hosts(self) -> dict[str, set[str]]:
        """Hosts of the proxy's outbound clusters -> their subsets ('' for the default cluster).

        Cached; the caller must not modify it.
        """
        if self._cluster_hosts is None:
            out: dict[str, set[str]] = {}
            for cluster in self.mesh.proxy.clusters:
                key = cluster.key
                if key is not None and key.direction == "outbound" and key.host:
                    out.setdefault(key.host, set()).add(key.subset)
            self._cluster_hosts = out
        return self._cluster_hosts

    @property
    def is_gateway(self) -> bool:
        """True for gateway proxies."""
        return self.mesh.proxy.kind == "gateway"


_CACHE: dict[int, tuple[MeshIndex, Prediction]] = {}


def predict(mesh: MeshIndex) -> Prediction:
    """The prediction for ``mesh``'s proxy (memoised per MeshIndex: the checks share it)."""
    cached = _CACHE.get(id(mesh))
    if cached is not None and cached[0] is mesh:
        return cached[1]
    namespace = mesh.proxy.namespace
    registry = Registry.build(mesh, namespace)
    view = gateway_view(mesh)
    scope = vs_scope(mesh, view, namespace)
    found = []
    for binding in scope.bindings:
        found.extend(placements(binding, registry, mesh.proxy))
    prediction = Prediction(
        mesh=mesh,
        namespace=namespace,
        registry=registry,
        view=view,
        scope=scope,
        rules=rules_by_host(mesh),
        placements=found,
    )
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(mesh)] = (mesh, prediction)
    return prediction
