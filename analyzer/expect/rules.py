"""Which DestinationRules apply to a host from one proxy, and how istiod merges them.

istiod looks for a host's rules in the proxy's own namespace first (every rule defined there,
whatever its exportTo), then in the namespace of the service, then in the root namespace; the
first namespace that has any wins. Several rules for one host in that namespace are merged, oldest
first: subsets are concatenated (a later subset with a name already taken is dropped) and the
first top-level ``trafficPolicy`` wins (shared notes, section 6: "several DRs same host").
Rules with a ``workloadSelector`` and wildcard hosts are left out of the prediction (uncertain).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.attribution.mesh import MeshIndex
from analyzer.expect.common import creation_order, duplicated, live_objects, visible_to
from analyzer.expect.services import ROOT_NAMESPACE, resolve_host
from analyzer.model.istio import IstioObject


@dataclass(frozen=True, slots=True)
class Subset:
    """One subset of the merged rule, with the rule and position that declare it."""

    rule: IstioObject
    index: int
    name: str
    spec: Mapping[str, Any]

    @property
    def path(self) -> str:
        """Rule path of the subset."""
        return f"spec.subsets[{self.index}]"


@dataclass(frozen=True, slots=True)
class Ignored:
    """A part of a rule that the merge drops, and why."""

    rule: IstioObject
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class EffectiveRule:
    """The DestinationRule configuration a proxy applies to one host."""

    host: str
    rules: tuple[IstioObject, ...]
    """The merged rules, oldest first."""
    policy_rule: IstioObject | None
    """The rule whose top-level ``trafficPolicy`` applies (the first that has one)."""
    subsets: tuple[Subset, ...]
    ignored: tuple[Ignored, ...]
    certain: bool
    """False when creation order or precedence could not be established from the inputs."""
    scope_certain: bool = True
    """False when which namespace's rules apply is itself a guess (subsets then too)."""

    @property
    def policy(self) -> Mapping[str, Any]:
        """The top-level trafficPolicy in force ({} when none)."""
        if self.policy_rule is None:
            return {}
        policy = self.policy_rule.spec.get("trafficPolicy")
        return policy if isinstance(policy, dict) else {}

    def subset(self, name: str) -> Subset | None:
        """The merged subset of that name."""
        for subset in self.subsets:
            if subset.name == name:
                return subset
        return None


def rule_host(mesh: MeshIndex, rule: IstioObject) -> str:
    """The host a DestinationRule names, resolved in its namespace."""
    return resolve_host(str(rule.spec.get("host") or ""), rule.namespace, mesh.domain)


def rules_by_host(mesh: MeshIndex) -> dict[str, list[IstioObject]]:
    """Live DestinationRules indexed by resolved host, in load order."""
    out: dict[str, list[IstioObject]] = {}
    for rule in live_objects(mesh.config, "DestinationRule"):
        out.setdefault(rule_host(mesh, rule), []).append(rule)
    return out


def candidate_groups(
    rules: list[IstioObject], proxy_namespace: str, host_namespace: str
) -> list[tuple[str, list[IstioObject]]]:
    """Namespaces in istiod's lookup order with the rules each offers the proxy."""
    groups = [
        (proxy_namespace, [r for r in rules if r.namespace == proxy_namespace]),
        (host_namespace, [r for r in rules if r.namespace == host_namespace]),
        (ROOT_NAMESPACE, [r for r in rules if r.namespace == ROOT_NAMESPACE]),
    ]
    out: list[tuple[str, list[IstioObject]]] = []
    for namespace, found in groups:
        if namespace != proxy_namespace:
            found = [r for r in found if visible_to(r, proxy_namespace)]
        if found and all(namespace != seen for seen, _ in out):
            out.append((namespace, found))
    return out


def effective_rule(
    mesh: MeshIndex,
    index: dict[str, list[IstioObject]],
    host: str,
    proxy_namespace: str,
    host_namespace: str,
) -> EffectiveRule | None:
    """The merged DestinationRule for ``host`` as the proxy applies it, or None."""
    rules = index.get(host, [])
    if not rules:
        return None
    groups = candidate_groups(rules, proxy_namespace, host_namespace)
    scope_certain = True
    if groups:
        chosen = groups[0][1]
    else:
        # Exported from some other namespace: istiod's pick among those is not predicted.
        chosen = [r for r in rules if visible_to(r, proxy_namespace)]
        scope_certain = False
    if not chosen:
        return None
    if any(r.spec.get("workloadSelector") for r in chosen):
        scope_certain = False
    ordered, sure = creation_order(chosen)
    certain = scope_certain and sure and not any(duplicated(mesh.config, r) for r in ordered)
    return merge(host, ordered, certain, scope_certain)


def merge(
    host: str, ordered: list[IstioObject], certain: bool, scope_certain: bool = True
) -> EffectiveRule:
    """Merge rules for one host, oldest first (subsets concatenated, first policy wins)."""
    policy_rule = None
    subsets: list[Subset] = []
    ignored: list[Ignored] = []
    names: set[str] = set()
    for rule in ordered:
        if isinstance(rule.spec.get("trafficPolicy"), dict):
            if policy_rule is None:
                policy_rule = rule
            else:
                reason = (
                    f"trafficPolicy ignored: DestinationRule {policy_rule.namespace}/"
                    f"{policy_rule.name} for the same host is older and its policy wins"
                )
                ignored.append(Ignored(rule, "spec.trafficPolicy", reason))
        for index, subset in enumerate(rule.spec.get("subsets") or ()):
            if not isinstance(subset, dict) or not isinstance(subset.get("name"), str):
                continue
            name = subset["name"]
            if name in names:
                reason = f"subset {name} is already defined by an older DestinationRule for {host}"
                ignored.append(Ignored(rule, f"spec.subsets[{index}]", reason))
                continue
            names.add(name)
            subsets.append(Subset(rule, index, name, subset))
    return EffectiveRule(
        host, tuple(ordered), policy_rule, tuple(subsets), tuple(ignored), certain, scope_certain
    )


def shadowed_rules(
    rules: list[IstioObject], proxy_namespace: str, host_namespace: str
) -> list[tuple[IstioObject, str]]:
    """Visible rules for a host that lose to a namespace earlier in istiod's lookup order."""
    groups = candidate_groups(rules, proxy_namespace, host_namespace)
    if len(groups) < 2:
        return []
    winner_namespace = groups[0][0]
    return [(rule, winner_namespace) for _namespace, losers in groups[1:] for rule in losers]
