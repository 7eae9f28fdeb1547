"""ML0002 input-skipped."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, FindingSource, Severity
from analyzer.model.istio import SkippedInput


class InputSkipped(Check):
    """A dump section, Envoy type or Istio kind was read but is not analysed.

    **What it detects.** Parts of the inputs meshlens keeps opaque: unknown `@type`s (Istio's own
    filters, Wasm, ECDS, newer Envoy messages), dump sections that could not be read, and YAML
    kinds it does not model (ConfigMap, AuthorizationPolicy, ...).

    **Why it matters.** Nothing is checked in those parts; a clean report says nothing about them.

    **Example.** `dump.json: skipped EcdsConfigDump: 2 ECDS filter config(s) kept opaque`.

    **How to fix.** Nothing to fix in the mesh. If a section was unreadable, recapture the dump;
    suppress with `--suppress ML0002` once reviewed.
    """

    CODE = "ML0002"
    NAME = "input-skipped"
    SEVERITY = Severity.INFO
    SCOPE = "any"

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per skipped part (dump sections per proxy, YAML kinds once)."""
        if ctx.proxy is not None:
            for skipped in ctx.proxy.skipped:
                yield self.finding(
                    ctx,
                    f"{skipped.file}: skipped {skipped.what}: {skipped.reason}",
                )
        elif ctx.config is not None:
            # One finding per file and kind: a Helm chart easily skips dozens of ServiceAccounts.
            groups: dict[tuple[str, str, str], list[SkippedInput]] = {}
            for item in ctx.config.skipped:
                groups.setdefault((item.origin.file, item.kind, item.reason), []).append(item)
            for (file, kind, reason), items in groups.items():
                first = items[0]
                names = ", ".join(i.name for i in items[:5] if i.name)
                more = f" and {len(items) - 5} more" if len(items) > 5 else ""
                what = f"{len(items)} {kind or 'document'}(s)" + (
                    f" ({names}{more})" if names else ""
                )
                source = FindingSource(
                    f"{kind or 'Document'}/-/{first.name or '-'}", None, file, first.origin.line
                )
                yield self.finding(ctx, f"{what}: {reason}", source=source)
