"""ML0401 route-to-missing-cluster."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.model.envoy import FilterChain, Route


class RouteToMissingCluster(Check):
    """A route, weighted cluster, mirror or tcp_proxy names a cluster the dump does not hold.

    **What it detects.** Every cluster a route (`cluster`, `weighted_clusters`, request mirrors)
    or a filter chain's `tcp_proxy` sends traffic to, checked against the clusters in CDS.

    **Why it matters.** Istio sends route configurations with `validate_clusters: false`, so
    Envoy accepts them and answers such requests with `503` and response flag `NC` (no cluster).
    Usual causes: a VirtualService destination whose host or subset does not exist, a
    DestinationRule subset removed while a route still uses it, or a capture taken mid-update.

    **Example.** `route/9080/reviews.default.svc.cluster.local:9080/0` →
    `outbound|9080|v4|reviews.default.svc.cluster.local`, which no DestinationRule defines.

    **How to fix.** Define the missing subset or host (DestinationRule, Service, ServiceEntry),
    or point the VirtualService at one that exists.
    """

    CODE = "ML0401"
    NAME = "route-to-missing-cluster"
    SEVERITY = Severity.ERROR

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Compare every referenced cluster with the active and warming clusters."""
        assert ctx.proxy is not None and ctx.attribution is not None
        if not _clusters_complete(ctx):
            return  # a partial capture (e.g. `pc route` alone): clusters were not all captured
        known = {c.name for c in ctx.proxy.clusters}
        for resource in ctx.attribution.resources:
            obj = resource.obj
            if isinstance(obj, Route):
                targets = [*obj.clusters, *obj.mirror_clusters]
                what = "route"
            elif isinstance(obj, FilterChain):
                targets = [obj.tcp_cluster] if obj.tcp_cluster else []
                targets += [w.name for w in obj.tcp_weighted_clusters]
                what = "tcp_proxy"
            else:
                continue
            for cluster in targets:
                if cluster in known:
                    continue
                sources = ctx.attribution.of(resource.id)
                yield self.finding(
                    ctx,
                    f"{what} sends traffic to cluster {cluster}, which is not in the dump",
                    resource=resource.id,
                    source=sources[0] if sources else None,
                    expected=f"cluster {cluster}",
                    found="no such cluster",
                    symptom="503 NC (no cluster) for requests on this route",
                )


_BOOTSTRAP_CLUSTERS = frozenset({"prometheus_stats", "xds-grpc", "sds-grpc", "agent"})


def _clusters_complete(ctx: Context) -> bool:
    """Whether the capture holds every cluster: a full dump, or a cluster list with the statics.

    Hand-trimmed or ``?resource=`` captures hold a few clusters; judging routes against them
    would report every other destination as missing.
    """
    proxy = ctx.proxy
    assert proxy is not None
    if not proxy.clusters:
        return False
    if proxy.node_id:
        return True
    return any(not c.state.dynamic or c.name in _BOOTSTRAP_CLUSTERS for c in proxy.clusters)
