"""ML0304 serviceentry-not-applied."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.expect.prediction import predict
from analyzer.expect.references import service_entry_problems


class ServiceEntryNotApplied(Check):
    """A ServiceEntry is not exported where it is used, or conflicts with another one.

    **What it detects.** A ServiceEntry whose `exportTo` leaves out the proxy's namespace while
    a VirtualService applied here routes to one of its hosts, and a ServiceEntry declaring a
    host and port that an older visible ServiceEntry declares with another protocol.

    **Why it matters.** Without the entry the proxy has no cluster for the host (503 NC, or
    passthrough/blackhole for unrouted traffic); of two conflicting entries only one protocol is
    used, so HTTP routing or TCP proxying silently does not apply. istioctl reports the conflict
    as IST0177.

    **Example.** `ServiceEntry/other/service-entry-other` is exported to `.` only, while
    `VirtualService/default/reviews-bookinfo-other` routes to `other.bookinfo.com`.

    **How to fix.** Export the ServiceEntry to the namespaces that route to it, and declare each
    host and port once with one protocol.
    """

    CODE = "ML0304"
    NAME = "serviceentry-not-applied"
    SEVERITY = Severity.WARNING
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per ServiceEntry not exported where used, or in conflict."""
        assert ctx.mesh is not None
        for problem in service_entry_problems(predict(ctx.mesh)):
            entry = problem.obj
            yield self.finding(
                ctx,
                f"ServiceEntry {entry.namespace}/{entry.name} {problem.message}",
                source=entry,
                path=problem.path,
                symptom="traffic to its hosts fails (503 NC) or is proxied with another protocol",
            )
