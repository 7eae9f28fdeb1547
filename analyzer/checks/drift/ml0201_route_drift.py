"""ML0201 route-drift."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict
from analyzer.expect.vhosts import route_drifts


class RouteDrift(Check):
    """A route differs from the VirtualService rule it was built from.

    **What it detects.** Every route attributed to a VirtualService rule (`spec.http[i]`,
    `match[j]`) is compared with what istiod would build from that rule for this listener port:
    destinations (cluster name with port and subset, `weighted_clusters` without 0-weight
    entries), weights, URI/authority rewrite, redirect, direct response, timeout, retries
    (attempts, per-try timeout, retry-on), fault injection, mirrors, header operations and CORS.
    Only fields the rule sets are compared; istiod's defaults (mesh retry policy, `timeout: 0s`,
    `max_grpc_timeout`) and a port-less destination of a single-port service are not drift.

    **Why it matters.** The proxy does not do what the YAML says: requests go to another subset
    or host (503 NC when that cluster does not exist), time out at another delay (504 UT),
    are retried, rewritten or redirected differently. Usual causes: a capture taken before the
    last change reached the proxy, an EnvoyFilter patching routes, or YAML that is not what is
    applied in the cluster.

    **Example.** `route/9080/reviews.default.svc.cluster.local:9080/0` sends to
    `outbound|9080|v3|reviews...` while `VirtualService/default/reviews` `spec.http[0]` routes
    `end-user: jason` to subset `v2`.

    **How to fix.** Re-capture the proxy after the change has been pushed (`istioctl
    proxy-status`), remove the EnvoyFilter that patches the route, or bring the YAML in line with
    what is applied (`kubectl get virtualservice -o yaml`).
    """

    CODE = "ML0201"
    NAME = "route-drift"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per differing field of each VirtualService route."""
        assert ctx.mesh is not None and ctx.attribution is not None
        for drift in route_drifts(predict(ctx.mesh), ctx.attribution):
            diff = drift.diff
            vs = drift.vs
            rule = diff.path.split("]", 1)[0] + "]"
            yield self.finding(
                ctx,
                f"route {diff.field} differs from VirtualService {vs.namespace}/{vs.name} {rule}",
                resource=drift.resource,
                source=drift.vs,
                path=diff.path,
                expected=diff.expected,
                found=diff.found,
                symptom=diff.symptom,
            )
