"""ML0302 gateway-server-not-applied."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict


class GatewayServerNotApplied(Check):
    """A Gateway server is skipped, or listens where its gateway Service never sends traffic.

    **What it detects.** Gateways selecting this proxy are merged as istiod merges them (oldest
    first): a server whose port is not a port of the gateway Service (it then binds that port as
    written, which the Service does not forward to; only when the Service is in the inputs), a
    server whose protocol clashes with the plain-text server already on that target port and
    bind, a TLS server repeating a host already served with TLS on that port (istiod skips the
    whole server), and an HTTPS/TLS server without `tls` settings.

    **Why it matters.** istiod drops such servers silently (it only counts them in
    `pilot_total_rejected_configs`): the hosts they declare are not served, so clients get
    connection errors, TLS handshake failures or 404 NR. istioctl reports some as IST0162 and
    IST0145.

    **Example.** `Gateway/default/httpbin-gateway` `spec.servers[1]` uses port 8004, which the
    gateway Service `istio-system/istio-ingressgateway` does not expose.

    **How to fix.** Use a port the gateway Service exposes (or add it to the Service), give each
    TLS host one server, keep one protocol per port, and add `tls` to HTTPS/TLS servers.
    """

    CODE = "ML0302"
    NAME = "gateway-server-not-applied"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per skipped (or unreachable) server."""
        assert ctx.mesh is not None
        for skipped in predict(ctx.mesh).view.skipped:
            server = skipped.server
            what = (
                "listens where its Service sends nothing"
                if skipped.kind == "port-not-on-service"
                else "is skipped by istiod"
            )
            yield self.finding(
                ctx,
                f"Gateway {server.gateway_name} {server.path} {what}: {skipped.reason}",
                source=server.gateway,
                path=server.path,
                expected=f"listener {server.listener} serving {', '.join(server.hosts) or '*'}",
                found=skipped.kind,
                symptom="clients of this server's hosts get connection errors or 404 NR",
            )
