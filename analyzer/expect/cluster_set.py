"""Compare the predicted clusters with the proxy's: missing ones, and policy drift."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from analyzer.attribution.mesh import parse_config_path
from analyzer.expect.clusters import (
    ExpectedCluster,
    PolicyDiff,
    Setting,
    diff_cluster,
    expected_settings,
)
from analyzer.expect.common import at_least
from analyzer.expect.prediction import Prediction
from analyzer.expect.routes import destinations, expected_slots, http_rule
from analyzer.expect.services import service_ports
from analyzer.model.envoy import Cluster


@dataclass(frozen=True, slots=True)
class ClusterDrift:
    """A cluster field that differs from the DestinationRule policy."""

    cluster: Cluster
    diff: PolicyDiff


def expected_clusters(
    prediction: Prediction, held: AbstractSet[str] = frozenset()
) -> list[ExpectedCluster]:
    """Outbound clusters this proxy should hold (sidecars: every visible port; gateways: used).

    Those named in ``held`` are left out (the proxy has them: nothing to explain).
    """
    if prediction.is_gateway:
        return [e for e in _gateway_clusters(prediction) if e.name not in held]
    if prediction.mesh.proxy.kind != "sidecar":
        return []
    out = []
    for decl in prediction.registry.all_visible():
        name = f"outbound|{decl.number}||{decl.host}"
        if name not in held:
            why = f"port {decl.number} of {decl.obj.kind} {decl.namespace}/{decl.obj.name}"
            out.append(ExpectedCluster(name, decl.obj, decl.path, why))
        rule = prediction.effective_rule(decl.host)
        if rule is None or not rule.scope_certain:
            continue
        for subset in rule.subsets:
            name = f"outbound|{decl.number}|{subset.name}|{decl.host}"
            if name in held:
                continue
            owner = f"{subset.rule.namespace}/{subset.rule.name}"
            why = f"subset {subset.name} of DestinationRule {owner}"
            out.append(ExpectedCluster(name, subset.rule, subset.path, why))
    return out


def _gateway_clusters(prediction: Prediction) -> list[ExpectedCluster]:
    """Clusters the routes of the applied VirtualServices use, when declared and defined."""
    out: dict[str, ExpectedCluster] = {}
    proxy = prediction.mesh.proxy
    for placement in prediction.placements:
        vs = placement.vs
        slots = expected_slots(vs, placement.listen_port, placement.context, proxy) or []
        for rule_index in sorted({s[0] for s in slots}):
            rule = http_rule(vs, rule_index)
            found = (
                destinations(vs, rule, placement.listen_port, prediction.registry) if rule else None
            )
            for dest in found or ():
                if dest.cluster is None or dest.cluster in out:
                    continue
                ports = prediction.registry.visible_ports(dest.host)
                decl = next(
                    (d for d in ports if d.number == dest.port and d.host == dest.host), None
                )
                if decl is None:
                    continue
                if dest.subset:
                    rule_found = prediction.effective_rule(dest.host)
                    subset = rule_found.subset(dest.subset) if rule_found else None
                    if subset is None or rule_found is None or not rule_found.scope_certain:
                        continue
                    why = f"subset {dest.subset} used by VirtualService {vs.namespace}/{vs.name}"
                    out[dest.cluster] = ExpectedCluster(dest.cluster, subset.rule, subset.path, why)
                else:
                    why = f"port {decl.number} used by VirtualService {vs.namespace}/{vs.name}"
                    out[dest.cluster] = ExpectedCluster(dest.cluster, decl.obj, decl.path, why)
    return list(out.values())


def expected_inbound(prediction: Prediction) -> list[tuple[ExpectedCluster, set[int]]]:
    """Inbound clusters of the workload's Services: (cluster, ports its name may carry)."""
    mesh = prediction.mesh
    if mesh.proxy.kind != "sidecar" or not mesh.proxy.labels_known:
        return []
    new_names = at_least(mesh.proxy, 1, 9)
    out = []
    for service in mesh.workload_services:
        for decl in service_ports(mesh, service):
            if decl.target_port is None:
                continue
            if new_names is False:
                name = f"inbound|{decl.number}|{decl.name}|{decl.host}"
            else:
                name = f"inbound|{decl.target_port}||"
            why = (
                f"port {decl.number} of Service {service.namespace}/{service.name} selects this pod"
            )
            out.append(
                (ExpectedCluster(name, service, decl.path, why), {decl.number, decl.target_port})
            )
    return out


def missing_clusters(prediction: Prediction) -> list[ExpectedCluster]:
    """Expected clusters absent from CDS (in any state); nothing when CDS was not captured."""
    clusters = prediction.mesh.proxy.clusters
    if not clusters:
        return []
    names = {c.name for c in clusters}
    out = expected_clusters(prediction, names)
    inbound_ports = {
        c.key.port for c in clusters if c.key is not None and c.key.direction == "inbound"
    }
    for expected, ports in expected_inbound(prediction):
        if expected.name not in names and not (ports & inbound_ports):
            out.append(expected)
    return out


def cluster_drifts(prediction: Prediction) -> list[ClusterDrift]:
    """Fields of outbound clusters that differ from their DestinationRule's policy."""
    out: list[ClusterDrift] = []
    sidecar = prediction.mesh.proxy.kind == "sidecar"
    # The clusters of one host and port share their settings, except for subsets with a policy
    # of their own: (rule, port, subset or "") -> settings.
    shared: dict[tuple[int, int, str], list[Setting]] = {}
    for cluster in prediction.mesh.proxy.clusters:
        key = cluster.key
        if cluster.state.status != "active" or key is None or key.sni_form:
            continue
        if key.direction != "outbound" or key.port is None:
            continue
        rule = prediction.effective_rule(key.host)
        if rule is None or not rule.certain:
            continue
        subset = rule.subset(key.subset) if key.subset else None
        if key.subset and subset is None:
            continue
        named = parse_config_path(cluster.istio_config or "")
        if named is not None:
            refs = {(r.namespace, r.name) for r in rule.rules}
            if named[0] != "DestinationRule" or (named[1], named[2]) not in refs:
                continue  # istiod applied another rule than predicted: ML0303 explains why
        own_policy = subset is not None and isinstance(subset.spec.get("trafficPolicy"), dict)
        memo_key = (id(rule), key.port, key.subset if own_policy else "")
        settings = shared.get(memo_key)
        if settings is None:
            settings = shared[memo_key] = expected_settings(rule, key.port, key.subset, sidecar)
        out.extend(ClusterDrift(cluster, diff) for diff in diff_cluster(settings, cluster))
    return out


def group_drifts(drifts: list[ClusterDrift]) -> list[list[ClusterDrift]]:
    """Drifts grouped by cluster and declaring rule, in first-seen order."""
    groups: dict[tuple[str, int], list[ClusterDrift]] = {}
    for drift in drifts:
        key = (drift.cluster.name, id(drift.diff.setting.rule))
        groups.setdefault(key, []).append(drift)
    return list(groups.values())


def common_path(paths: list[str]) -> str:
    """The deepest rule path enclosing all of ``paths`` (``spec.trafficPolicy``)."""
    parts = [p.split(".") for p in paths]
    common: list[str] = []
    for segments in zip(*parts, strict=False):
        if len(set(segments)) != 1:
            break
        common.append(segments[0])
    return ".".join(common) or "spec"
