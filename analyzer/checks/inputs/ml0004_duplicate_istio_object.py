"""ML0004 duplicate-istio-object."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity


class DuplicateIstioObject(Check):
    """The same kind, namespace and name is given twice in the inputs.

    **What it detects.** Two YAML documents (often in two files) defining one object.

    **Why it matters.** The cluster holds only one of them: whichever was applied last. The
    analysis cannot know which, and the copies may disagree.

    **Example.** `DestinationRule/default/reviews` in both `destination-rule-all.yaml` and
    `destination-rule-all-mtls.yaml`.

    **How to fix.** Give only the version that is applied (or delete the stale file).
    """

    CODE = "ML0004"
    NAME = "duplicate-istio-object"
    SEVERITY = Severity.WARNING
    SCOPE = "inputs"
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per repeated object, at the later copy."""
        assert ctx.config is not None
        for first, later in ctx.config.duplicates():
            yield self.finding(
                ctx,
                f"{later.kind}/{later.namespace}/{later.name} is also defined at "
                f"{first.origin.file}:{first.origin.line}",
                source=later,
            )
