"""DestinationRules and ServiceEntries that do nothing here, and destinations nothing defines.

The registry the proxy sees is the YAML's Services and ServiceEntries plus the hosts its own CDS
names (the YAML is often partial: a cluster in the dump proves istiod knows the host). A host or
subset is called unknown only when neither knows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.expect.common import (
    UNSURE_ORDER,
    creation_order,
    live_objects,
    visible_to,
)
from analyzer.expect.prediction import Prediction
from analyzer.expect.rules import rule_host, shadowed_rules
from analyzer.expect.services import ambiguous_short_host, resolve_host
from analyzer.model.istio import IstioObject
from analyzer.model.values import host_covers


@dataclass(frozen=True, slots=True)
class Problem:
    """One object (and rule path) that is a no-op or dangling on this proxy."""

    obj: IstioObject
    path: str
    message: str
    expected: str | None = None
    found: str | None = None


def unresolved_destinations(prediction: Prediction) -> list[Problem]:
    """Destinations of the VirtualServices applied here that no Service/SE/subset defines."""
    mesh = prediction.mesh
    known_hosts = prediction.cluster_hosts()
    if not known_hosts and not live_objects(mesh.config, "Service"):
        return []
    out = []
    for vs, path, destination in prediction.bound_destinations():
        written = destination.get("host")
        if not isinstance(written, str) or not written or ambiguous_short_host(written):
            continue
        host = resolve_host(written, vs.namespace, mesh.domain)
        problem = _host_problem(prediction, vs, host, known_hosts)
        if problem is None:
            problem = _subset_problem(prediction, host, destination, known_hosts)
        if problem is None:
            problem = _port_problem(prediction, host, destination, known_hosts)
        if problem is not None:
            message, sub = problem
            out.append(Problem(vs, f"{path}{sub}", message))
    return out


def _host_problem(
    prediction: Prediction, vs: IstioObject, host: str, known: dict[str, set[str]]
) -> tuple[str, str] | None:
    if host in known or any(h.startswith("*") and host_covers(h, host) for h in known):
        return None
    owners = prediction.registry.owners_of(host)
    if any(visible_to(o, vs.namespace) for o in owners):
        return None
    if owners:
        owner = owners[0]
        message = (
            f"destination host {host} is declared by {owner.kind} {owner.namespace}/{owner.name}, "
            f"which is not exported to namespace {vs.namespace}"
        )
        return message, ".host"
    return f"destination host {host} is not defined by any Service or ServiceEntry", ".host"


def _subset_problem(
    prediction: Prediction, host: str, destination: Mapping[str, Any], known: dict[str, set[str]]
) -> tuple[str, str] | None:
    subset = destination.get("subset")
    if not isinstance(subset, str) or not subset or subset in known.get(host, set()):
        return None
    rule = prediction.effective_rule(host)
    if rule is not None and rule.subset(subset) is not None:
        return None
    others = [r for r in prediction.rules.get(host, []) if not visible_to(r, prediction.namespace)]
    if any(
        isinstance(s, dict) and s.get("name") == subset
        for r in others
        for s in r.spec.get("subsets") or ()
    ):
        owner = others[0]
        message = (
            f"subset {subset} of {host} is defined only by DestinationRule "
            f"{owner.namespace}/{owner.name}, which is not exported to {prediction.namespace}"
        )
        return message, ".subset"
    return f"subset {subset} of {host} is not defined by any DestinationRule", ".subset"


def _port_problem(
    prediction: Prediction, host: str, destination: Mapping[str, Any], known: dict[str, set[str]]
) -> tuple[str, str] | None:
    port = destination.get("port")
    number = port.get("number") if isinstance(port, dict) else None
    if not isinstance(number, int):
        return None
    declared = [d for d in prediction.registry.declarations(host) if d.host == host]
    if not declared or any(d.number == number for d in declared):
        return None
    clusters = {c.name for c in prediction.mesh.proxy.clusters}
    if f"outbound|{number}||{host}" in clusters:
        return None
    ports = ", ".join(str(d.number) for d in declared)
    owner = declared[0].obj
    message = (
        f"destination port {number} of {host} is not a port of {owner.kind} "
        f"{owner.namespace}/{owner.name} (ports {ports})"
    )
    return message, ".port"


def destination_rule_problems(prediction: Prediction) -> list[Problem]:
    """DestinationRules that are unknown, not exported or overridden from this proxy."""
    mesh = prediction.mesh
    known = prediction.cluster_hosts()
    out = []
    used = _used_subsets(prediction)
    for rule in live_objects(mesh.config, "DestinationRule"):
        host = rule_host(mesh, rule)
        if rule.spec.get("workloadSelector") or not host:
            continue
        if known and not _host_known(prediction, host, known):
            message = f"host {host} is not a Service or ServiceEntry known to this mesh"
            out.append(Problem(rule, "spec.host", message))
            continue
        if not visible_to(rule, prediction.namespace) and rule.namespace != prediction.namespace:
            subsets = {s.get("name") for s in rule.spec.get("subsets") or () if isinstance(s, dict)}
            if used.get(host, set()) & subsets:
                targets = ", ".join(str(t) for t in rule.spec.get("exportTo") or ())
                message = (
                    f"is exported to [{targets}], not to {prediction.namespace}, where "
                    f"VirtualServices route to its subsets of {host}"
                )
                out.append(Problem(rule, "spec.exportTo", message))
            continue
    out.extend(_overridden(prediction, known))
    return out


def _host_known(prediction: Prediction, host: str, known: dict[str, set[str]]) -> bool:
    if prediction.registry.known(host) or host in known:
        return True
    return host.startswith("*") and any(host_covers(host, h) for h in known)


def _used_subsets(prediction: Prediction) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for vs, _path, destination in prediction.bound_destinations():
        written = destination.get("host")
        subset = destination.get("subset")
        if isinstance(written, str) and isinstance(subset, str) and subset:
            host = resolve_host(written, vs.namespace, prediction.mesh.domain)
            out.setdefault(host, set()).add(subset)
    return out


def _overridden(prediction: Prediction, known: dict[str, set[str]]) -> list[Problem]:
    out = []
    for host, rules in prediction.rules.items():
        if not _host_known(prediction, host, known) or "*" in host:
            continue
        if any(r.spec.get("workloadSelector") for r in rules):
            continue
        for rule, winner in shadowed_rules(
            rules, prediction.namespace, prediction.host_namespace(host)
        ):
            message = (
                f"is overridden for this proxy by the DestinationRule(s) for {host} in namespace "
                f"{winner}, which istiod looks up first"
            )
            out.append(Problem(rule, "spec.host", message))
        effective = prediction.effective_rule(host)
        if effective is None or not effective.scope_certain:
            continue
        _ordered, sure = creation_order(list(effective.rules))
        note = "" if sure else f" ({UNSURE_ORDER})"
        out.extend(Problem(i.rule, i.path, i.reason + note) for i in effective.ignored)
    return out


def service_entry_problems(prediction: Prediction) -> list[Problem]:
    """ServiceEntries not exported where they are routed to, or conflicting with another."""
    mesh = prediction.mesh
    entries = live_objects(mesh.config, "ServiceEntry")
    out = []
    routed = _routed_hosts(prediction)
    for entry in entries:
        if visible_to(entry, prediction.namespace):
            continue
        hosts = [str(h) for h in entry.spec.get("hosts") or ()]
        hit = next((h for h in routed if any(host_covers(p, h) for p in hosts)), None)
        if hit is not None:
            targets = ", ".join(str(t) for t in entry.spec.get("exportTo") or ())
            message = (
                f"is exported to [{targets}], not to {prediction.namespace}, where a "
                f"VirtualService routes to {hit}"
            )
            out.append(Problem(entry, "spec.exportTo", message))
    visible = [e for e in entries if visible_to(e, prediction.namespace)]
    ordered, sure = creation_order(visible)
    note = "" if sure else f" ({UNSURE_ORDER})"
    seen: dict[tuple[str, int], tuple[IstioObject, str, int]] = {}
    for entry in ordered:
        for decl_index, port in enumerate(entry.spec.get("ports") or ()):
            if not isinstance(port, dict) or not isinstance(port.get("number"), int):
                continue
            protocol = str(port.get("protocol") or "").upper()
            for host in entry.spec.get("hosts") or ():
                key = (str(host), port["number"])
                first = seen.get(key)
                if first is None:
                    seen[key] = (entry, protocol, decl_index)
                elif first[0] is not entry and first[1] != protocol:
                    message = (
                        f"declares {host}:{port['number']} as {protocol or 'unset'}, but "
                        f"ServiceEntry {first[0].namespace}/{first[0].name} declares it as "
                        f"{first[1] or 'unset'} and wins{note}"
                    )
                    out.append(Problem(entry, f"spec.ports[{decl_index}]", message))
    return out


def _routed_hosts(prediction: Prediction) -> list[str]:
    out = []
    for vs, _path, destination in prediction.bound_destinations():
        written = destination.get("host")
        if isinstance(written, str) and written:
            out.append(resolve_host(written, vs.namespace, prediction.mesh.domain))
    return out
