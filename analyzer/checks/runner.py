"""Run the catalogue over the inputs and each proxy; apply severity settings and suppressions."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from analyzer.attribution.engine import empty_config
from analyzer.attribution.mesh import MeshIndex
from analyzer.attribution.model import Attribution
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.checks.registry import ALL, get
from analyzer.errors import UsageError
from analyzer.model.istio import IstioConfig


@dataclass(frozen=True)
class Suppression:
    """``CODE[=OBJECT]``; both may use shell wildcards (``ML04*=VirtualService/ns/*``)."""

    code: str
    target: str = "*"

    def matches(self, finding: Finding) -> bool:
        """True when the finding's code (or name) and its object or resource match."""
        if not (
            fnmatch.fnmatchcase(finding.code, self.code.upper())
            or fnmatch.fnmatchcase(finding.name, self.code)
        ):
            return False
        candidates = [finding.resource or ""]
        if finding.source is not None:
            candidates.append(finding.source.ref)
        return (
            any(fnmatch.fnmatchcase(c, self.target) for c in candidates if c) or self.target == "*"
        )


def parse_suppressions(values: Iterable[str]) -> list[Suppression]:
    """Parse ``--suppress`` values."""
    out = []
    for value in values:
        code, _, target = value.partition("=")
        if not code:
            raise UsageError(f"--suppress wants CODE or CODE=OBJECT, got {value!r}")
        out.append(Suppression(code.strip(), target.strip() or "*"))
    return out


def parse_severities(values: Iterable[str]) -> dict[str, Severity]:
    """Parse ``--severity CODE=LEVEL`` values."""
    out: dict[str, Severity] = {}
    for value in values:
        code, _, level = value.partition("=")
        try:
            check = get(code.strip())
            out[check.CODE] = Severity(level.strip().lower())
        except (KeyError, ValueError):
            raise UsageError(f"--severity wants CODE=error|warning|info, got {value!r}") from None
    return out


@dataclass
class Settings:
    """Per-code severities and suppressions."""

    severities: dict[str, Severity] = field(default_factory=dict)
    suppressions: list[Suppression] = field(default_factory=list)
    checks: tuple[type[Check], ...] = ALL


def _run_one(check: Check, ctx: Context) -> list[Finding]:
    try:
        return list(check.run(ctx))
    except Exception as exc:  # one broken check must not cost the whole report
        internal = get("ML0001")()
        return [
            internal.finding(
                ctx, f"check {check.CODE} ({check.NAME}) failed: {type(exc).__name__}: {exc}"
            )
        ]


def run_checks(
    config: IstioConfig | None,
    attributions: Sequence[Attribution],
    settings: Settings | None = None,
    before_endpoints: Callable[[], None] | None = None,
) -> list[Finding]:
    """Every finding for these inputs, sorted, deduplicated, with settings applied.

    ``before_endpoints`` is called once before the first check that reads endpoints: those run
    last (the order of the findings does not depend on it), so the endpoints may come late.
    """
    settings = settings or Settings()
    findings: list[Finding] = []
    instances = [check() for check in settings.checks if not check.READS_ENDPOINTS]
    instances += [check() for check in settings.checks if check.READS_ENDPOINTS]
    inputs_ctx = Context(config=config)
    for check in instances:
        if check.SCOPE in ("inputs", "any") and (config is not None or not check.NEEDS_CONFIG):
            findings += _run_one(check, inputs_ctx)
    for attribution in attributions:
        proxy = attribution.proxy
        # The attribution already indexed these inputs for this proxy; build only if it did not.
        mesh = attribution.mesh or MeshIndex.build(config or empty_config(), proxy)
        ctx = Context(config=config, proxy=proxy, attribution=attribution, mesh=mesh)
        for check in instances:
            if check.SCOPE not in ("proxy", "any"):
                continue
            if check.NEEDS_CONFIG and config is None:
                continue
            if check.READS_ENDPOINTS and before_endpoints is not None:
                before_endpoints()
                before_endpoints = None
            findings += _run_one(check, ctx)
    if before_endpoints is not None:  # no check read them: the callers still may
        before_endpoints()
    return finalize(findings, settings)


def finalize(findings: Iterable[Finding], settings: Settings) -> list[Finding]:
    """Apply severities and suppressions, drop exact duplicates, sort."""
    out = []
    seen = set()
    for finding in findings:
        override = settings.severities.get(finding.code)
        if override is not None:
            finding = finding.with_severity(override)
        if any(s.matches(finding) for s in settings.suppressions):
            continue
        if finding in seen:
            continue
        seen.add(finding)
        out.append(finding)
    return sorted(out, key=Finding.sort_key)
