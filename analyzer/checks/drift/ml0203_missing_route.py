"""ML0203 missing-route."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict
from analyzer.expect.vhosts import missing_routes


class MissingRoute(Check):
    """A VirtualService rule (or match) that should be on this proxy has no route or vhost.

    **What it detects.** For every VirtualService that applies here (bound to `mesh` on a
    sidecar, to a Gateway selecting this gateway, exported to the proxy's namespace, not shadowed),
    the vhosts it should contribute to (`<host>:<port>` in RDS `"<port>"` for each HTTP port of
    the host on sidecars; `<host>:<server port>` in `http.<targetPort>` or
    `https.<port>.<name>.<gw>.<ns>` on gateways) and one route per rule × match, dropping matches
    for another `port`, other `gateways` or `sourceLabels`, and everything after a catch-all.
    Sniffed (unnamed) ports and gateways whose Service is unknown are only checked when the vhost
    is found.

    **Why it matters.** Requests the rule should handle fall through to the next route, to the
    service's default route, or to no route at all (404 NR). Usual causes: the VirtualService is
    not what is applied, a newer one for the same host won, a Sidecar resource hides the host, or
    the capture predates the change.

    **Example.** `virtual_host/9080/reviews.default.svc.cluster.local:9080` has no route built
    from `VirtualService/default/reviews` `spec.http[0].match[0]` (the `end-user: jason` match).

    **How to fix.** Check `istioctl proxy-status` and the VirtualService actually applied
    (`kubectl get virtualservice -A`), its `exportTo`, `gateways` and hosts; remove competing
    VirtualServices for the host.
    """

    CODE = "ML0203"
    NAME = "missing-route"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per missing vhost, and per missing rule × match route."""
        assert ctx.mesh is not None and ctx.attribution is not None
        for missing in missing_routes(predict(ctx.mesh), ctx.attribution):
            yield self.finding(
                ctx,
                missing.message,
                source=missing.vs,
                path=missing.path,
                expected=missing.expected,
                found=missing.found,
                symptom="requests this rule should handle take another route or get 404 NR",
            )
