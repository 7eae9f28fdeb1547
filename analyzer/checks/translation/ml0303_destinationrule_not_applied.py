"""ML0303 destinationrule-not-applied."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict
from analyzer.expect.references import destination_rule_problems


class DestinationRuleNotApplied(Check):
    """A DestinationRule (or part of it) does nothing for this proxy.

    **What it detects.** A rule whose host is neither a Service nor a ServiceEntry in the inputs
    nor a host of the proxy's clusters; a rule not exported to the proxy's namespace while
    VirtualServices applied here route to its subsets; a rule that loses to the rules for the
    same host in a namespace istiod looks up first (the proxy's own, then the service's, then the
    root namespace); and, among several rules for one host in one namespace (merged oldest
    first), a later `trafficPolicy` or a repeated subset name, which istiod ignores.

    **Why it matters.** The load balancing, connection limits, outlier detection or TLS the rule
    sets are not in force, and its subsets may not exist here (routes to them fail with 503 NC).
    istioctl reports unknown hosts as IST0174.

    **Example.** `DestinationRule/default/fake-host` `spec.host` names
    `fake-svc.default.svc.cluster.local`, which nothing defines.

    **How to fix.** Point the rule at an existing host, export it to the namespaces that need
    it, and keep one rule per host (or move the policy into the rule that wins).
    """

    CODE = "ML0303"
    NAME = "destinationrule-not-applied"
    SEVERITY = Severity.WARNING
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per rule (or ignored part) that does nothing here."""
        assert ctx.mesh is not None
        for problem in destination_rule_problems(predict(ctx.mesh)):
            rule = problem.obj
            yield self.finding(
                ctx,
                f"DestinationRule {rule.namespace}/{rule.name}: {problem.message}",
                source=rule,
                path=problem.path,
                symptom="its policy and subsets are not applied to this proxy's clusters",
            )
