"""ML0202 cluster-policy-drift."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.cluster_set import cluster_drifts, common_path, group_drifts
from analyzer.expect.clusters import envoy_value
from analyzer.expect.prediction import predict


class ClusterPolicyDrift(Check):
    """A cluster differs from the policy of its DestinationRule.

    **What it detects.** For every outbound cluster whose host has a DestinationRule that applies
    to this proxy (precedence: proxy namespace, service namespace, root namespace; several rules
    merged oldest first, first `trafficPolicy` wins), the policy in force for its port and subset
    (top level, `portLevelSettings`, subset policy) is compared with the cluster: `lb_policy`
    (`simple`, `consistentHash` → RING_HASH/MAGLEV), `circuit_breakers` thresholds and
    `connect_timeout` (`connectionPool`), `outlier_detection`, and the TLS mode (`DISABLE`,
    `ISTIO_MUTUAL`, `SIMPLE`, `MUTUAL`). Fields the rule leaves unset (Istio's default load
    balancer changed across releases, auto mTLS) are not compared; rules given twice in the
    inputs and rules whose creation order is unknown are skipped.

    **Why it matters.** The proxy balances, limits, ejects or encrypts differently from what the
    rule says: overflow 503 UO at other thresholds, plaintext where mTLS was required (connection
    resets, 503 UF/URX), or sticky sessions that do not stick.

    **Example.** `cluster/outbound|9080|v2|reviews.default.svc.cluster.local` has `lb_policy`
    LEAST_REQUEST while `DestinationRule/default/reviews` `spec.subsets[1].trafficPolicy` sets
    `ROUND_ROBIN`.

    **How to fix.** Check which DestinationRule the cluster's `filter_metadata.istio.config`
    names; remove conflicting rules for the host, fix the rule, or re-capture after the push.
    """

    CODE = "ML0202"
    NAME = "cluster-policy-drift"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per cluster and rule, listing every field that differs."""
        assert ctx.mesh is not None
        for group in group_drifts(cluster_drifts(predict(ctx.mesh))):
            first = group[0].diff.setting
            owner = f"{first.rule.namespace}/{first.rule.name}"
            fields = ", ".join(d.diff.setting.field for d in group)
            verb = "differs" if len(group) == 1 else "differ"
            yield self.finding(
                ctx,
                f"cluster {fields} {verb} from DestinationRule {owner}",
                resource=f"cluster/{group[0].cluster.name}",
                source=first.rule,
                path=common_path([d.diff.setting.path for d in group]),
                expected="; ".join(envoy_value(d.diff.setting) for d in group),
                found="; ".join(f"{d.diff.setting.field} {d.diff.found}" for d in group),
                symptom=" / ".join(dict.fromkeys(d.diff.symptom for d in group)),
            )
