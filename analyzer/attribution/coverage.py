"""How much of a proxy's config the inputs explain."""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.attribution.model import Attribution, Source

REPORTED_TYPES = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster")


@dataclass(frozen=True, slots=True)
class TypeCoverage:
    """Counts for one resource type."""

    resources: int = 0
    attributed: int = 0
    """Explained by at least one Istio object (given, or known by name/metadata only)."""
    inferred: int = 0
    """Of ``attributed``: explained only by objects whose YAML was not given."""
    defaults: int = 0
    """Istio built-ins."""
    unattributed: int = 0


@dataclass(frozen=True, slots=True)
class Coverage:
    """Attribution coverage of one proxy, overall and per resource type."""

    total: TypeCoverage
    by_type: dict[str, TypeCoverage] = field(default_factory=dict)
    unattributed: tuple[str, ...] = ()

    @property
    def share(self) -> float:
        """Attributed share of the non-default resources (1.0 when there are none)."""
        relevant = self.total.resources - self.total.defaults
        return 1.0 if relevant == 0 else self.total.attributed / relevant


def _explained(sources: list[Source]) -> tuple[bool, bool]:
    """(some source is an object rather than a built-in, some such object is in the inputs)."""
    by_object = False
    for source in sources:
        if not source.is_default:
            if source.in_inputs:
                return True, True  # usually the first source: no need to look further
            by_object = True
    return by_object, False


def coverage(attribution: Attribution) -> Coverage:
    """Count attributed, inferred, default and unattributed resources."""
    counts: dict[str, list[int]] = {t: [0, 0, 0, 0, 0] for t in REPORTED_TYPES}
    unattributed = []
    sources_of = attribution.sources.get
    for resource in attribution.resources:
        row = counts.get(resource.type)
        if row is None:
            continue
        row[0] += 1
        sources = sources_of(resource.id)
        if not sources:
            row[4] += 1
            unattributed.append(resource.id)
            continue
        by_object, given = _explained(sources)
        if not by_object:
            row[3] += 1
        else:
            row[1] += 1
            if not given:
                row[2] += 1
    by_type = {t: TypeCoverage(*row) for t, row in counts.items()}
    total = TypeCoverage(*(sum(row[i] for row in counts.values()) for i in range(5)))
    return Coverage(total=total, by_type=by_type, unattributed=tuple(unattributed))
