"""The Check interface and the Context every check reads from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from analyzer.attribution.chain import ResourceGraph
from analyzer.attribution.mesh import MeshIndex
from analyzer.attribution.model import Attribution, Source
from analyzer.checks.model import Finding, FindingSource, Severity
from analyzer.model.envoy import Proxy
from analyzer.model.istio import IstioConfig, IstioObject


@dataclass
class Context:
    """What a check may read: the inputs, the proxy, and its attribution.

    ``proxy``/``attribution``/``mesh`` are None for checks run once on the inputs alone
    (schema errors, duplicate objects). ``config`` is None when no Istio YAML was given.
    """

    config: IstioConfig | None
    proxy: Proxy | None = None
    attribution: Attribution | None = None
    mesh: MeshIndex | None = None
    _graph: ResourceGraph | None = field(default=None, repr=False)

    @property
    def graph(self) -> ResourceGraph:
        """Parent/child links between the proxy's resources (built on first use)."""
        if self._graph is None:
            assert self.attribution is not None
            self._graph = ResourceGraph(self.attribution)
        return self._graph


class Check:
    """A check: a stable code, a kebab-case name, a default severity, and ``run``.

    The class docstring is the check's documentation: a one-line summary, then the sections
    ``What it detects``, ``Why it matters``, ``Example`` and ``How to fix``.
    """

    CODE: ClassVar[str]
    NAME: ClassVar[str]
    SEVERITY: ClassVar[Severity]
    SCOPE: ClassVar[str] = "proxy"
    """``proxy`` (run once per proxy) or ``inputs`` (run once on the YAML alone)."""
    NEEDS_CONFIG: ClassVar[bool] = False
    """True when the check compares with the Istio YAML and is skipped without it."""
    READS_ENDPOINTS: ClassVar[bool] = False
    """True when the check reads the proxy's endpoints (directly or through ``ctx.graph``):
    such checks run after the others, once the endpoints are in (``endpoints_ahead``)."""

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Yield findings for this context."""
        raise NotImplementedError

    # --- helpers for building findings -----------------------------------------------------

    def finding(
        self,
        ctx: Context,
        message: str,
        *,
        resource: str | None = None,
        source: Source | FindingSource | IstioObject | None = None,
        path: str | None = None,
        expected: str | None = None,
        found: str | None = None,
        symptom: str | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this check; ``source`` may be an attribution Source or an object."""
        return Finding(
            code=self.CODE,
            name=self.NAME,
            severity=severity or self.SEVERITY,
            message=message,
            resource=resource,
            source=to_finding_source(source, path),
            expected=expected,
            found=found,
            symptom=symptom,
            proxy=ctx.proxy.name if ctx.proxy is not None else None,
        )

    @classmethod
    def summary(cls) -> str:
        """The first line of the docstring."""
        return (cls.__doc__ or "").strip().splitlines()[0].strip()


def to_finding_source(
    source: Source | FindingSource | IstioObject | None, path: str | None = None
) -> FindingSource | None:
    """Normalise the ways a check can point at an Istio object."""
    if source is None or isinstance(source, FindingSource):
        return source
    if isinstance(source, Source):
        if source.is_default:
            return None
        return FindingSource(source.ref, source.path, source.file, source.line)
    line = source.line_of(path) if path else source.origin.line
    return FindingSource(
        f"{source.kind}/{source.namespace}/{source.name}", path, source.origin.file, line
    )
