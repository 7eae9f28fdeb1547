"""ML0403 cluster-without-endpoints."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from analyzer.attribution.model import Resource, Source
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.model.envoy import Endpoint, FilterChain, Route
from analyzer.model.istio import IstioConfig

_USABLE = frozenset({"HEALTHY", "UNKNOWN", "DEGRADED"})
"""Health states Envoy sends traffic to (UNKNOWN counts as healthy; DEGRADED is a last resort)."""

_LISTED = 3
_SUBSET_PATH = re.compile(r"^spec\.subsets\[(\d+)\]")


class ClusterWithoutEndpoints(Check):
    """A route or tcp_proxy sends traffic to an EDS cluster that has no healthy endpoint.

    **What it detects.** Active EDS clusters that a route (`cluster`, or a `weighted_clusters`
    entry with a non-zero weight) or a filter chain's `tcp_proxy` uses, and whose captured
    endpoints are empty or all unhealthy, draining or timed out. It runs only when the capture
    holds endpoints (`/config_dump?include_eds`, `istioctl proxy-config endpoint|eds`). Clusters
    nothing routes to are left alone: an unused DestinationRule subset with no pods has no
    runtime effect. A Service scaled to zero is reported (its default route still leads to it);
    suppress a namespace with `--suppress 'ML0403=cluster/*.<namespace>.svc.cluster.local'`.

    **Why it matters.** Envoy answers requests routed to such a cluster with `503` and response
    flag `UH` (no healthy upstream); TCP connections are closed at once. Usual causes: a
    DestinationRule subset whose labels select no pod (`version: v1` where the pods say
    `version: v1.0`), a Service selector that matches nothing, pods not ready, or endpoints
    failing outlier detection or health checks.

    **Example.** `route/9080/ratings.default.svc.cluster.local:9080/0` →
    `outbound|9080|v1|ratings.default.svc.cluster.local`, whose EDS assignment is empty because
    no ratings pod has `version: v1`.

    **How to fix.** Make the subset labels (DestinationRule) or the Service selector match the
    pods' labels, or scale up / fix the pods; `istioctl proxy-config endpoint <pod>
    --cluster '<cluster>'` shows what Envoy sees.
    """

    CODE = "ML0403"
    NAME = "cluster-without-endpoints"
    SEVERITY = Severity.WARNING
    READS_ENDPOINTS = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Report used EDS clusters whose endpoints are all missing or unusable."""
        proxy, attribution = ctx.proxy, ctx.attribution
        assert proxy is not None and attribution is not None
        if not proxy.endpoints_captured:
            return
        endpoints: dict[str, list[Endpoint]] = {}
        for endpoint in proxy.endpoints:
            endpoints.setdefault(endpoint.cluster, []).append(endpoint)
        users: dict[str, list[str]] | None = None  # found only for a cluster without any
        for cluster in proxy.clusters:
            if cluster.state.status != "active" or cluster.discovery_type != "EDS":
                continue
            found = endpoints.get(cluster.eds_service_name or cluster.name) or endpoints.get(
                cluster.name, []
            )
            if any(e.health in _USABLE for e in found):
                continue
            if users is None:
                users = _users(attribution.resources)
            used_by = users.get(cluster.name)
            if not used_by:
                continue
            resource_id = f"cluster/{cluster.name}"
            source = _best_source(attribution.of(resource_id))
            states = Counter(e.health for e in found)
            if found:
                what = "none of its endpoints is healthy (" + ", ".join(
                    f"{count} {health}" for health, count in sorted(states.items())
                )
                what += ")"
            else:
                what = "it has no endpoints"
            listed = ", ".join(used_by[:_LISTED])
            more = f" and {len(used_by) - _LISTED} more" if len(used_by) > _LISTED else ""
            tcp = all(u.startswith("filter_chain/") for u in used_by)
            yield self.finding(
                ctx,
                f"EDS cluster {cluster.name} is used by {listed}{more}, but {what}",
                resource=resource_id,
                source=source,
                expected=_expected(ctx.config, source),
                found=f"{len(found)} endpoint(s) captured, none usable" if found else "0 endpoints",
                symptom=(
                    "TCP connections to it are closed at once (response flag UH)"
                    if tcp
                    else "503 UH (no healthy upstream) for requests routed to it"
                ),
            )


def _users(resources: Iterable[Resource]) -> dict[str, list[str]]:
    """Cluster name -> ids of the routes and filter chains that send traffic to it."""
    out: dict[str, list[str]] = {}
    for resource in resources:
        obj = resource.obj
        targets: list[str] = []
        if isinstance(obj, Route) and obj.action == "route":
            if obj.cluster is not None:
                targets.append(obj.cluster)
            targets += [w.name for w in obj.weighted_clusters if w.weight > 0]
        elif isinstance(obj, FilterChain):
            if obj.tcp_cluster:
                targets.append(obj.tcp_cluster)
            targets += [w.name for w in obj.tcp_weighted_clusters if w.weight > 0]
        for target in dict.fromkeys(targets):
            out.setdefault(target, []).append(resource.id)
    return out


def _best_source(sources: list[Source]) -> Source | None:
    """The DestinationRule subset when there is one (its labels pick the pods), else the first."""
    for source in sources:
        if source.path and _SUBSET_PATH.match(source.path):
            return source
    for source in sources:
        if not source.is_default:
            return source
    return None


def _expected(config: IstioConfig | None, source: Source | None) -> str:
    """At least one healthy endpoint, naming the subset labels that should select the pods."""
    text = "at least one healthy endpoint"
    if config is None or source is None or not source.path:
        return text
    match = _SUBSET_PATH.match(source.path)
    kind, _, rest = source.ref.partition("/")
    namespace, _, name = rest.partition("/")
    rule = config.get(kind, namespace, name) if match else None
    if rule is None or match is None:
        return text
    subsets = rule.spec.get("subsets") or []
    index = int(match.group(1))
    subset = subsets[index] if index < len(subsets) else None
    labels = subset.get("labels") if isinstance(subset, dict) else None
    if isinstance(labels, dict) and labels:
        selector = ", ".join(f"{k}={v}" for k, v in labels.items())
        return f"{text}: a ready pod of the service labelled {selector}"
    return text
