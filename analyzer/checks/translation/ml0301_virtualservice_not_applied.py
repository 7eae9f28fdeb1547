"""ML0301 virtualservice-not-applied."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict

_SEVERITY = {
    "gateway-missing": Severity.ERROR,
    "gateway-selects-nothing": Severity.WARNING,
    "host-not-on-gateway": Severity.WARNING,
    "not-exported": Severity.WARNING,
    "shadowed": Severity.WARNING,
    "gateway-only": Severity.INFO,
}
_SYMPTOM = {
    "gateway-missing": "the VirtualService is attached nowhere: its routes exist on no proxy",
    "gateway-selects-nothing": "no proxy gets these routes; requests hit 404 NR or other routes",
    "host-not-on-gateway": "requests for this host get 404 NR from the gateway",
    "not-exported": "traffic from this proxy ignores the VirtualService (default routing)",
    "shadowed": "traffic for this host follows the other VirtualService's rules",
    "gateway-only": "mesh traffic from sidecars uses default routing for these hosts",
}


class VirtualServiceNotApplied(Check):
    """The YAML makes a VirtualService (or one of its hosts) a no-op on this proxy.

    **What it detects.** Reasons istiod builds nothing from a VirtualService here, decided from
    the YAML and the proxy's identity (kind, namespace, labels): a `gateways` entry naming a
    Gateway that does not exist (error; only when the inputs include Gateways); on a gateway,
    bound Gateways whose selector matches no workload given (warning; only when the inputs
    include gateway workloads), a host matching no host of the bound Gateway's servers,
    including `namespace/host` restrictions (warning), `exportTo` leaving out the proxy's
    namespace (warning; on a sidecar only when the proxy does route to one of its hosts);
    on a sidecar, another VirtualService for the same host that istiod keeps (private ones
    first, then oldest; the dump's route metadata decides when it shows the winner) (warning),
    and VirtualServices bound only to gateways (info).

    **Why it matters.** The rules silently do nothing: requests get 404 NR on the gateway, or
    mesh traffic follows default routing or another VirtualService's rules. istioctl reports
    some of these as IST0101, IST0109 and IST0132; here they are tied to this proxy.

    **Example.** `VirtualService/default/httpbin-bogus` `spec.gateways[0]` binds to
    `default/httpbin-gateway-bogus`, which does not exist.

    **How to fix.** Name an existing Gateway (`namespace/name` across namespaces), add the host
    to the Gateway server, widen `exportTo`, merge competing VirtualServices into one, or add
    `mesh` to `gateways` when sidecars should apply it too.
    """

    CODE = "ML0301"
    NAME = "virtualservice-not-applied"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per VirtualService (or host) that is a no-op here."""
        assert ctx.mesh is not None
        for item in predict(ctx.mesh).scope.not_applied:
            yield self.finding(
                ctx,
                f"VirtualService {item.vs.namespace}/{item.vs.name} {item.message}",
                source=item.vs,
                path=item.path,
                symptom=_SYMPTOM[item.kind],
                severity=_SEVERITY[item.kind],
            )
