"""ML0305 unresolved-destination."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict
from analyzer.expect.references import unresolved_destinations


class UnresolvedDestination(Check):
    """A VirtualService destination host, subset or port that nothing defines.

    **What it detects.** For every VirtualService that applies to this proxy, each `route`,
    `mirror` and `mirrors` destination (HTTP, TCP and TLS rules): a host that no Service or
    ServiceEntry exported to the VirtualService's namespace declares, a subset that no
    DestinationRule applying here defines, and a port the Service does not declare. Short hosts
    are resolved in the VirtualService's namespace; a host or subset with a cluster in the
    proxy's CDS counts as defined (the inputs may be partial).

    **Why it matters.** istiod still emits the route, pointing at a cluster that does not exist;
    Envoy accepts it (`validate_clusters: false`) and answers 503 NC. istioctl reports these as
    IST0101.

    **Example.** `VirtualService/default/reviews-bogushost` `spec.http[0].route[1].destination`
    routes to `reviews-bogus.default.svc.cluster.local`, which nothing declares.

    **How to fix.** Fix the host (FQDN across namespaces), define the subset in the host's
    DestinationRule, use a declared port, or export the ServiceEntry/DestinationRule.
    """

    CODE = "ML0305"
    NAME = "unresolved-destination"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per destination nothing defines."""
        assert ctx.mesh is not None
        for problem in unresolved_destinations(predict(ctx.mesh)):
            vs = problem.obj
            yield self.finding(
                ctx,
                f"VirtualService {vs.namespace}/{vs.name}: {problem.message}",
                source=vs,
                path=problem.path,
                symptom="requests routed there fail with 503 NC (no cluster)",
            )
