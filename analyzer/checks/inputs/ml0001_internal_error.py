"""ML0001 internal-error."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity


class InternalError(Check):
    """A check failed with an unexpected error; the rest of the report still completed.

    **What it detects.** A bug in meshlens: one check raised an exception on these inputs.

    **Why it matters.** That check's findings are missing from the report, so a clean result
    for its code means nothing here.

    **Example.** `check ML0201 failed: KeyError: 'route'`.

    **How to fix.** Report it with the inputs (use `meshlens redact` first); meanwhile suppress
    it with `--suppress ML0001`.
    """

    CODE = "ML0001"
    NAME = "internal-error"
    SEVERITY = Severity.ERROR

    def run(self, ctx: Context) -> Iterable[Finding]:
        """The runner reports these itself; running this check yields nothing."""
        return ()
