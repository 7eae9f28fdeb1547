"""ML0101 unattributed-resource."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.attribution.coverage import REPORTED_TYPES
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity

_WHAT = {
    "listener": "listener",
    "filter_chain": "filter chain",
    "route_config": "route configuration",
    "virtual_host": "virtual host",
    "route": "route",
    "cluster": "cluster",
}


class UnattributedResource(Check):
    """An Envoy resource that no input object and no Istio built-in explains.

    **What it detects.** Active listeners, filter chains, route configurations, virtual hosts,
    routes and clusters for which attribution found no source at all: no object among the
    inputs, no object named by Envoy's metadata or by Istio's naming scheme, and no Istio
    built-in. A resource whose only sources are objects missing from the inputs is *not*
    reported here (it is explained; see ML0102 when the metadata names them). One finding per
    subtree: the chains under an unattributed listener, the vhosts under an unattributed route
    configuration and the routes under an unattributed vhost are counted in its finding rather
    than reported again. It needs the proxy's identity (the bootstrap `node`: kind, namespace,
    labels), without which names cannot be resolved, so it stays silent on captures without
    one (`istioctl proxy-config listener` alone); unnamed route configurations listed apart
    from their listener (`istioctl proxy-config route`) are skipped for the same reason.

    **Why it matters.** Something the YAML does not show configures this proxy: an object left
    out of the inputs (a ServiceEntry, another team's VirtualService), an EnvoyFilter patch, or
    a proxy out of sync with istiod. Traffic through such a resource follows configuration
    the analysis cannot compare with anything.

    **Example.** `cluster/outbound|443||api.github.com` on a sidecar whose inputs hold no
    ServiceEntry for `api.github.com`.

    **How to fix.** Add the missing YAML to the inputs (`-c`); if the object was deleted, check
    that the proxy is in sync (`istioctl proxy-status`) and look for EnvoyFilters that add it.
    """

    CODE = "ML0101"
    NAME = "unattributed-resource"
    SEVERITY = Severity.WARNING
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per topmost unattributed resource."""
        attribution = ctx.attribution
        assert attribution is not None
        if not attribution.proxy.node_id:
            return  # no bootstrap: kind, namespace and labels unknown, names cannot be resolved
        unattributed = {
            r.id
            for r in attribution.resources
            if r.type in REPORTED_TYPES and r.name and not attribution.of(r.id)
        }
        children: dict[str, list[str]] = {}
        for resource in attribution.resources:
            if resource.id in unattributed and resource.parent in unattributed:
                children.setdefault(resource.parent, []).append(resource.id)
        for resource in attribution.resources:
            if resource.id not in unattributed or resource.parent in unattributed:
                continue
            below = _count_below(resource.id, children)
            what = _WHAT.get(resource.type, resource.type)
            extra = f" (with {below} unattributed resource(s) under it)" if below else ""
            yield self.finding(
                ctx,
                f"{what} {resource.name or resource.id} is explained by no object in the inputs"
                f" and is not an Istio built-in{extra}",
                resource=resource.id,
                expected=f"an Istio object (or built-in) that produces this {what}",
                found="no source: not among the inputs, not named by metadata or Istio's naming",
                symptom="traffic through it follows configuration the given YAML does not show",
            )


def _count_below(resource_id: str, children: dict[str, list[str]]) -> int:
    """How many unattributed resources sit below this one (chains, vhosts, routes)."""
    count = 0
    stack = [resource_id]
    while stack:
        below = children.get(stack.pop(), [])
        count += len(below)
        stack.extend(below)
    return count
