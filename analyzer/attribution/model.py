"""What attribution produces: each Envoy resource with the Istio sources that explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from analyzer.model.envoy import Proxy

if TYPE_CHECKING:
    from analyzer.attribution.mesh import MeshIndex

Evidence = Literal["metadata", "name", "match", "default"]
ResourceType = Literal[
    "listener", "filter_chain", "route_config", "virtual_host", "route", "cluster", "secret"
]
RESOURCE_TYPES: tuple[ResourceType, ...] = (
    "listener",
    "filter_chain",
    "route_config",
    "virtual_host",
    "route",
    "cluster",
    "secret",
)
EVIDENCE_RANK: dict[str, int] = {"metadata": 0, "name": 1, "match": 2, "default": 3}


@dataclass(frozen=True, slots=True)
class Source:
    """One Istio object (and rule in it) that contributed to an Envoy resource."""

    ref: str
    """``Kind/namespace/name`` (``VirtualService/default/reviews``) or ``Default/<name>``."""
    path: str | None
    """The rule inside the object: ``spec.http[1].match[0]``, ``spec.ports[0]``, ..."""
    file: str | None
    line: int | None
    evidence: Evidence
    """How we know: Envoy metadata, Istio's naming convention, field matching, or a built-in."""
    in_inputs: bool = True
    """False when the object is known by name or metadata but its YAML was not given."""
    note: str = ""
    """One line of explanation (what a built-in is for, why an object is inferred)."""
    rule_line: int | None = None
    """Line of the enclosing rule (``spec.http[1]`` for ``spec.http[1].match[0]``), for quoting."""

    @property
    def is_default(self) -> bool:
        """True for Istio built-ins."""
        return self.evidence == "default"


@dataclass(frozen=True, slots=True)
class Resource:
    """One Envoy resource with its stable id."""

    id: str
    type: ResourceType
    name: str
    status: str
    obj: object = field(repr=False, compare=False)
    parent: str | None = None
    """Id of the enclosing resource (listener of a chain, route config of a vhost, ...)."""


@dataclass(slots=True)
class Attribution:
    """The attribution of one proxy's resources."""

    proxy: Proxy
    resources: list[Resource]
    sources: dict[str, list[Source]]
    mesh: MeshIndex | None = field(default=None, repr=False, compare=False)
    """The index of the Istio objects the attribution used (reused by the checks)."""

    def of(self, resource_id: str) -> list[Source]:
        """The sources of a resource (empty when unattributed or unknown)."""
        return self.sources.get(resource_id, [])

    def resource(self, resource_id: str) -> Resource | None:
        """The resource with this id, or None."""
        for resource in self.resources:
            if resource.id == resource_id:
                return resource
        return None


def source_record(source: Source) -> dict[str, Any]:
    """A source as plain data: the ``sources[]`` entries of every JSON output."""
    out: dict[str, Any] = {
        "ref": source.ref,
        "path": source.path,
        "file": source.file,
        "line": source.line,
        "evidence": source.evidence,
    }
    if not source.in_inputs:
        out["in_inputs"] = False
    if source.note:
        out["note"] = source.note
    return out
