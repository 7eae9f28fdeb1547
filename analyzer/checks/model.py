"""Findings: what a check reports. Plain values; no presentation logic here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Severity(StrEnum):
    """How bad a finding is; ordered error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for error, 1 for warning, 2 for info (sorts most severe first)."""
        return _RANK[self.value]

    def at_least(self, threshold: Severity) -> bool:
        """True when this severity is ``threshold`` or worse."""
        return self.rank <= threshold.rank


_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True, slots=True)
class FindingSource:
    """The Istio object and rule a finding is about."""

    ref: str
    """``Kind/namespace/name``."""
    path: str | None = None
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found by one check."""

    code: str
    name: str
    severity: Severity
    message: str
    resource: str | None = None
    """Id of the Envoy resource concerned (``route/http.8080/x:80/0``), if any."""
    source: FindingSource | None = None
    expected: str | None = None
    """What the YAML says should be there."""
    found: str | None = None
    """What the proxy holds instead."""
    symptom: str | None = None
    """Why it matters at runtime (``503 NC``, ``404 NR``, ...)."""
    proxy: str | None = None
    """Name of the proxy, or None for findings about the inputs alone."""

    def with_severity(self, severity: Severity) -> Finding:
        """A copy with another severity (per-code configuration)."""
        return replace(self, severity=severity)

    def sort_key(self) -> tuple[int, str, str, str, int, str, str]:
        """Severity, code, proxy, object, line, resource, message: a total, stable order."""
        source = self.source
        return (
            self.severity.rank,
            self.code,
            self.proxy or "",
            source.ref if source else "",
            (source.line or 0) if source else 0,
            self.resource or "",
            self.message,
        )
