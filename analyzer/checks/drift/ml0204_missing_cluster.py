"""ML0204 missing-cluster."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.cluster_set import missing_clusters
from analyzer.expect.prediction import predict


class MissingCluster(Check):
    """A Service/ServiceEntry port or DestinationRule subset that should have a cluster has none.

    **What it detects.** On sidecars, `outbound|<port>||<host>` for every Service and
    ServiceEntry port visible to the proxy (`exportTo`, the Sidecar resource's egress hosts),
    `outbound|<port>|<subset>|<host>` for every subset of the DestinationRule that applies to the
    host, and the inbound cluster of each port of the Services selecting the workload
    (`inbound|<targetPort>||`, `inbound|<port>|<name>|<fqdn>` before 1.9). On gateways, which
    may be built with only the clusters they use, the clusters the applied VirtualServices route
    to. UDP ports and ExternalName Services are left out; nothing is reported when the capture
    has no clusters.

    **Why it matters.** Routes and tcp_proxy to a missing cluster fail with 503 NC; inbound
    traffic without its cluster is not served. Usual causes: a Sidecar resource not in the inputs
    scoping the proxy, a capture taken before the Service existed, a rule that is not the one
    applied, or istiod failing to push.

    **Example.** `cluster/outbound|9080|v3|reviews.default.svc.cluster.local` is missing while
    `DestinationRule/default/reviews` `spec.subsets[2]` defines `v3`.

    **How to fix.** Check `istioctl proxy-status`, the Sidecar resources of the namespace and
    the `exportTo` of the Service and DestinationRule; re-capture after the push.
    """

    CODE = "ML0204"
    NAME = "missing-cluster"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per expected cluster absent from CDS."""
        assert ctx.mesh is not None
        for expected in missing_clusters(predict(ctx.mesh)):
            yield self.finding(
                ctx,
                f"no cluster {expected.name} for {expected.why}",
                source=expected.obj,
                path=expected.path,
                expected=f"cluster {expected.name}",
                found="no such cluster",
                symptom="traffic to it fails with 503 NC (no cluster)",
            )
