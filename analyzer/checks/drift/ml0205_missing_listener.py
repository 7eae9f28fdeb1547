"""ML0205 missing-listener."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.listeners import missing_listeners
from analyzer.expect.prediction import predict


class MissingListener(Check):
    """A gateway server or service port that should have a listener or filter chain has none.

    **What it detects.** On gateways, every HTTP or terminated-HTTPS server that survives
    istiod's merge should have listener `<bind or 0.0.0.0>_<targetPort>` (the server port
    translated through the gateway Service) with a filter chain using its route config, and
    for TLS servers its hosts as SNI. On sidecars, every visible Service/ServiceEntry port
    should have an outbound listener on that port, and every port of a Service selecting the
    workload an inbound chain (`virtualInbound`, destination port = targetPort). Not predicted:
    TCP/passthrough gateway servers, ports below 1024 on gateways, gateways whose Service is not
    in the inputs, headless TCP services, and inbound chains while `virtualInbound` is rejected
    or warming (reported by the listener-state checks).

    **Why it matters.** Nothing accepts the traffic: connections to the gateway port are refused
    or reset, HTTPS handshakes for the host fail, outbound traffic to the port falls to the
    passthrough or blackhole chain, inbound traffic is not served by its Service's chain.

    **Example.** `listener/0.0.0.0_8443` is missing for `Gateway/istio-system/gw`
    `spec.servers[1]` (HTTPS port 443 → targetPort 8443).

    **How to fix.** Check that the Gateway selector matches the gateway pod's labels, that the
    gateway Service exposes the port, and `istioctl proxy-status`; re-capture after the push.
    """

    CODE = "ML0205"
    NAME = "missing-listener"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per expected listener or chain the proxy lacks."""
        assert ctx.mesh is not None
        prediction = predict(ctx.mesh)
        for missing in missing_listeners(ctx.mesh, prediction.registry, prediction.view):
            yield self.finding(
                ctx,
                missing.message,
                source=missing.obj,
                path=missing.path,
                expected=missing.expected,
                found=missing.found,
                symptom="connections on this port are refused or handled by another chain",
            )
