"""The Istio side of the mapping: Kubernetes objects loaded from YAML, each tagged with its origin.

Everything here is a frozen value built once by ``analyzer.load.istio.load_istio`` and only read
afterwards. ``IstioObject.spec`` is a plain dict as loaded (YAML 1.1 scalars resolved the way
PyYAML's SafeLoader does, except timestamps, which stay strings as in the Kubernetes API).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ISTIO_NETWORKING = "networking.istio.io"
"""API group of Gateway, VirtualService, DestinationRule, ServiceEntry, Sidecar, ..."""

ISTIO_SECURITY = "security.istio.io"
"""API group of PeerAuthentication."""

GATEWAY_API = "gateway.networking.k8s.io"
"""API group of the Kubernetes Gateway API (its ``Gateway`` is not Istio's ``Gateway``)."""

CORE = ""
"""API group of Service, Namespace and Pod (``apiVersion: v1``)."""

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod"})
"""Kinds kept only for their pod labels: their ``spec`` is reduced to ``{"labels": {...}}``."""


def pod_labels_path(kind: str) -> str:
    """Where a workload of ``kind`` gives its pods' labels."""
    return "metadata.labels" if kind == "Pod" else "spec.template.metadata.labels"


_DEFAULT_GROUP = {
    "Service": CORE,
    "Namespace": CORE,
    "Pod": CORE,
    "Deployment": "apps",
    "StatefulSet": "apps",
    "DaemonSet": "apps",
    "ReplicaSet": "apps",
    "Job": "batch",
    "PeerAuthentication": ISTIO_SECURITY,
    "HTTPRoute": GATEWAY_API,
    "GRPCRoute": GATEWAY_API,
    "TCPRoute": GATEWAY_API,
    "TLSRoute": GATEWAY_API,
}
"""Group assumed by lookups that name only a kind; anything else defaults to networking.istio.io."""


def default_group(kind: str) -> str:
    """Return the API group a bare kind refers to (``Gateway`` means Istio's Gateway)."""
    return _DEFAULT_GROUP.get(kind, ISTIO_NETWORKING)


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """Where something was written: a file and a 1-based line."""

    file: str
    """The file exactly as the user gave it, or as found while walking a directory they gave."""
    line: int
    """1-based line number."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True, order=True)
class IstioRef:
    """A Kubernetes object named the way Istio names it: kind, namespace, name."""

    kind: str
    """Kubernetes kind, e.g. ``VirtualService``."""
    namespace: str
    """Namespace; empty for cluster-scoped kinds such as Namespace."""
    name: str
    """``metadata.name``."""

    def __str__(self) -> str:
        if not self.namespace:
            return f"{self.kind}/{self.name}"
        return f"{self.kind}/{self.namespace}/{self.name}"


# eq=False: objects compare and hash by identity. Their specs are dicts (unhashable, costly to
# compare), and identity hashing lets later stages use objects as dict keys. Not frozen: a large
# mesh loads tens of thousands, and frozen initialisation costs a setattr call per field. No
# object is modified after loading (``dataclasses.replace`` makes the namespaced copies).
@dataclass(slots=True, eq=False)
class IstioObject:
    """One Kubernetes object from the input: an Istio resource, Service, Namespace or workload.

    Workloads (see ``WORKLOAD_KINDS``) keep only their pod labels: ``spec`` is
    ``{"labels": <pod template labels>}`` (a Pod's own labels for ``Pod``), and
    ``paths["spec.labels"]`` is the line of those labels in the file.
    """

    kind: str
    """Kubernetes kind, e.g. ``VirtualService`` or ``Service``."""
    api_version: str
    """``apiVersion`` as written, e.g. ``networking.istio.io/v1beta1``."""
    group: str
    """API group, e.g. ``networking.istio.io``; empty for the core group (``apiVersion: v1``)."""
    version: str
    """API version within the group, e.g. ``v1``."""
    namespace: str
    """``metadata.namespace``; ``"default"`` when absent; empty for cluster-scoped kinds."""
    namespace_given: bool
    """Whether ``metadata.namespace`` was written (if not, ``kubectl -n`` decides)."""
    name: str
    """``metadata.name``."""
    labels: Mapping[str, str]
    """``metadata.labels``."""
    annotations: Mapping[str, str]
    """``metadata.annotations``."""
    spec: dict[str, Any]
    """``spec`` as loaded, or the reduced form for workloads; ``status`` is never kept."""
    origin: Origin
    """File and first line of the object."""
    creation_timestamp: str | None
    """``metadata.creationTimestamp`` when given (Istio orders conflicting resources by it)."""
    paths: Mapping[str, int] = field(repr=False)
    """Line of every mapping key and list item, keyed like ``spec.http[1].route[0].destination``."""

    @property
    def ref(self) -> IstioRef:
        """Return the kind/namespace/name reference of this object."""
        return IstioRef(self.kind, self.namespace, self.name)

    def line_of(self, path: str) -> int:
        """Return the line of ``path``, else of its nearest recorded parent, else of the object."""
        paths = self.paths
        while path:
            line = paths.get(path)
            if line is not None:
                return line
            path = path[: max(path.rfind("."), path.rfind("["), 0)]
        return self.origin.line

    def origin_of(self, path: str) -> Origin:
        """Return the file and line of ``path`` (see ``line_of``)."""
        return Origin(self.origin.file, self.line_of(path))


@dataclass(frozen=True, slots=True)
class SkippedInput:
    """A document that was read but not loaded, and why."""

    origin: Origin
    """Where the document starts."""
    kind: str
    """Its kind, or empty when it is not a Kubernetes object."""
    name: str
    """Its ``metadata.name``, or empty when unknown."""
    reason: str
    """Why it was skipped, e.g. ``kind not used by meshlens``."""


@dataclass(frozen=True, slots=True)
class SchemaProblem:
    """A field that Istio or Kubernetes would reject: unknown, wrong type, bad value, or missing."""

    origin: Origin
    """File and line of the offending field (of its parent when the field is missing)."""
    ref: IstioRef
    """The object holding the field."""
    path: str
    """Path of the field, e.g. ``spec.http[0].rout``."""
    message: str
    """What is wrong, e.g. ``unknown field 'rout' (did you mean 'route'?)``."""


_ObjectKey = tuple[str, str, str, str]
"""(group, kind, namespace, name): what makes two objects the same Kubernetes resource."""


# eq=False for the same reason as IstioObject.
@dataclass(frozen=True, slots=True, eq=False)
class IstioConfig:
    """Everything loaded from the Istio YAML inputs."""

    objects: tuple[IstioObject, ...]
    """Loaded objects in load order (files in the order given, documents in file order)."""
    skipped: tuple[SkippedInput, ...]
    """Documents not loaded (other kinds, non-Kubernetes documents found in directories)."""
    problems: tuple[SchemaProblem, ...]
    """Schema problems found in loaded objects."""
    files: tuple[str, ...]
    """Every file read, in order."""
    _index: dict[_ObjectKey, IstioObject] = field(init=False, repr=False)
    _by_kind: dict[tuple[str, str], tuple[IstioObject, ...]] = field(init=False, repr=False)
    _duplicates: tuple[tuple[IstioObject, IstioObject], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[_ObjectKey, IstioObject] = {}
        by_kind: dict[tuple[str, str], list[IstioObject]] = {}
        firsts: dict[_ObjectKey, IstioObject] = {}
        pairs: list[tuple[IstioObject, IstioObject]] = []
        for obj in self.objects:
            key = (obj.group, obj.kind, obj.namespace, obj.name)
            earlier = index.get(key)
            if earlier is not None:
                pairs.append((firsts.setdefault(key, earlier), obj))
            # Last one wins, as with `kubectl apply -f` over the same files in the same order.
            index[key] = obj
            by_kind.setdefault((obj.group, obj.kind), []).append(obj)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_by_kind", {k: tuple(v) for k, v in by_kind.items()})
        object.__setattr__(self, "_duplicates", tuple(pairs))

    def with_problems(self, problems: tuple[SchemaProblem, ...]) -> IstioConfig:
        """The same config (objects and indexes shared, not rebuilt) with these problems."""
        other = object.__new__(IstioConfig)
        for name in ("objects", "skipped", "files", "_index", "_by_kind", "_duplicates"):
            object.__setattr__(other, name, getattr(self, name))
        object.__setattr__(other, "problems", problems)
        return other

    def by_kind(self, kind: str, group: str | None = None) -> tuple[IstioObject, ...]:
        """Return the objects of ``kind`` in load order.

        ``group`` defaults to the usual group of the kind (see ``default_group``), so
        ``by_kind("Gateway")`` gives Istio Gateways and Gateway API Gateways need
        ``group=GATEWAY_API``.
        """
        return self._by_kind.get((default_group(kind) if group is None else group, kind), ())

    def get(
        self, kind: str, namespace: str, name: str, group: str | None = None
    ) -> IstioObject | None:
        """Return the object with this kind, namespace and name; the last one if given twice."""
        key = (default_group(kind) if group is None else group, kind, namespace, name)
        return self._index.get(key)

    def workloads(self) -> tuple[IstioObject, ...]:
        """Return the workloads (Deployments, Pods, ...) in load order; see ``WORKLOAD_KINDS``."""
        return tuple(o for o in self.objects if o.kind in WORKLOAD_KINDS)

    def duplicates(self) -> list[tuple[IstioObject, IstioObject]]:
        """Return (first, later) pairs of objects given twice with one group/kind/namespace/name."""
        return list(self._duplicates)  # found while indexing
