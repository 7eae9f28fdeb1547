"""What attribution produces: each Envoy resource with the Istio sources that explain it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from analyzer.model.envoy import Proxy

if TYPE_CHECKING:
    from analyzer.attribution.mesh import MeshIndex
    from analyzer.model.istio import IstioObject

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


# Source and Resource are plain slotted dataclasses rather than frozen ones: a large mesh builds
# tens of thousands of each per proxy, and frozen initialisation costs about three times as much.
# Neither is ever modified after creation (a Source is shared by all the resources it explains).
@dataclass(slots=True)
class Source:
    """One Istio object (and rule in it) that contributed to an Envoy resource."""

    ref: str
    """``Kind/namespace/name`` (``VirtualService/default/reviews``) or ``Default/<name>``."""
    path: str | None
    """The rule inside the object: ``spec.http[1].match[0]``, ``spec.ports[0]``, ..."""
    file: str | None
    evidence: Evidence
    """How we know: Envoy metadata, Istio's naming convention, field matching, or a built-in."""
    in_inputs: bool = True
    """False when the object is known by name or metadata but its YAML was not given."""
    note: str = ""
    """One line of explanation (what a built-in is for, why an object is inferred)."""
    obj: IstioObject | None = field(default=None, compare=False, repr=False)
    """The loaded object the source points into (None for built-ins and inferred objects)."""
    _line: int | None = field(default=None, compare=False, repr=False)

    @property
    def line(self) -> int | None:
        """Line of ``path`` in ``file`` (of the object when there is no path); None without YAML.

        Looked up when first asked: the lookups of a large mesh can then run all at once, in
        the process that read the YAML (``yaml_ahead``), while this one runs the checks.
        """
        line = self._line
        if line is None and self.obj is not None:
            obj = self.obj
            line = self._line = obj.line_of(self.path) if self.path else obj.origin.line
        return line

    @property
    def is_default(self) -> bool:
        """True for Istio built-ins."""
        return self.evidence == "default"

    @property
    def rule_line(self) -> int | None:
        """Line of the enclosing rule (``spec.http[1]`` for ``spec.http[1].match[0]``), for quoting.

        Looked up on demand: only ``explain`` quotes rules, and line lookups are not free.
        """
        rule = rule_root(self.path)
        if self.obj is None or rule is None or rule == self.path:
            return self.line
        return self.obj.line_of(rule)


def rule_root(path: str | None) -> str | None:
    """``spec.http[1].match[0]`` -> ``spec.http[1]``: the rule a path sits in."""
    if not path:
        return None
    end = path.find("]")
    return path[: end + 1] if end > 0 else path


@dataclass(slots=True)
class Resource:
    """One Envoy resource with its stable id."""

    id: str
    type: ResourceType
    name: str
    status: str
    # Any, not object: mypyc (setup.py) resolves a dataclass field's type by name in this
    # module, where the builtin ``object`` is not found.
    obj: Any = field(repr=False, compare=False)
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
        found = self.sources.get(resource_id)  # no default list built on every call
        return found if found is not None else []

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
