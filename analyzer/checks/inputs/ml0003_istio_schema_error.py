"""ML0003 istio-schema-error."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, FindingSource, Severity


class IstioSchemaError(Check):
    """An Istio or Kubernetes object fails its schema: unknown field, wrong type, bad enum value.

    **What it detects.** Fields Istio's CRD schema would reject (`rout:` for `route:`), values of
    the wrong type (`port: "80"` where a number is needed), enum values Istio does not know
    (`simple: ROUND_ROBBIN`), and missing required fields (a route without `destination.host`).

    **Why it matters.** `kubectl apply` rejects such objects, or (with validation off) istiod
    ignores them, so the intended routing never reaches Envoy.

    **Example.** `spec.http[0].rout: unknown field (did you mean route?)`.

    **How to fix.** Correct the field at the file and line given.
    """

    CODE = "ML0003"
    NAME = "istio-schema-error"
    SEVERITY = Severity.ERROR
    SCOPE = "inputs"
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per schema problem the YAML loader recorded."""
        assert ctx.config is not None
        for problem in ctx.config.problems:
            source = FindingSource(
                str(problem.ref), problem.path, problem.origin.file, problem.origin.line
            )
            yield self.finding(ctx, f"{problem.path}: {problem.message}", source=source)
