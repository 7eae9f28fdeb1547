"""Load the Istio YAML a mesh was configured with: files, directories, Helm output, ``kind: List``.

``load_istio(paths)`` reads every file (directories recursively), keeps the kinds meshlens needs
as ``IstioObject``s with the line of every field, lists other documents as ``SkippedInput`` and
checks Istio resources and Services against hand-written schemas (``SchemaProblem``). Input that
cannot be read as Kubernetes YAML at all raises one ``InputError`` naming the file, and the line
when known.

Lenience differs on purpose between a file the user named and one found in a directory: a named
file must hold at least one Kubernetes object; in a directory, empty files and documents that are
not Kubernetes objects (say an Envoy dump next to the YAML) are listed as skipped, and only a
directory with no usable object at all is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from analyzer.errors import InputError
from analyzer.load.istio_validate import validate
from analyzer.load.source import gc_paused
from analyzer.load.yaml_doc import Document, Parsed, Scope
from analyzer.load.yaml_files import (
    DEFAULT_MAX_FILE_BYTES,
    ENVOY_DUMP,
    read_yaml_text,
    walk_yaml_files,
    whole_file_reason,
)
from analyzer.model.istio import (
    CORE,
    GATEWAY_API,
    ISTIO_NETWORKING,
    ISTIO_SECURITY,
    WORKLOAD_KINDS,
    IstioConfig,
    IstioObject,
    IstioRef,
    Origin,
    SchemaProblem,
    SkippedInput,
    pod_labels_path,
)

if TYPE_CHECKING:
    from analyzer.load.yaml_ahead import YamlAhead

_ISTIO_VERSIONS: Final = frozenset({"v1alpha3", "v1beta1", "v1"})
_ANY_VERSION: Final[frozenset[str]] = frozenset()

# (group, kind) -> served versions (empty: any). Everything else is skipped.
_KINDS: Final[dict[tuple[str, str], frozenset[str]]] = {
    **{
        (ISTIO_NETWORKING, kind): _ISTIO_VERSIONS
        for kind in (
            "Gateway",
            "VirtualService",
            "DestinationRule",
            "ServiceEntry",
            "Sidecar",
            "WorkloadEntry",
        )
    },
    (ISTIO_NETWORKING, "EnvoyFilter"): frozenset({"v1alpha3"}),
    (ISTIO_SECURITY, "PeerAuthentication"): frozenset({"v1beta1", "v1"}),
    **{
        (GATEWAY_API, kind): _ANY_VERSION
        for kind in ("Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "TLSRoute")
    },
    (CORE, "Service"): frozenset({"v1"}),
    (CORE, "Namespace"): frozenset({"v1"}),
    (CORE, "Pod"): frozenset({"v1"}),
    **{(group, kind): _ANY_VERSION for group in ("apps", "extensions") for kind in WORKLOAD_KINDS},
    ("batch", "Job"): _ANY_VERSION,
}

_CLUSTER_SCOPED: Final = frozenset({"Namespace"})

_ENVOY_CONFIG: Final = (
    "looks like Envoy configuration (istioctl proxy-config output?), not Istio YAML"
)
_ENVOY_KEYS: Final = frozenset(
    {
        "@type",
        "configs",
        "filter_chains",
        "filterChains",
        "virtual_hosts",
        "virtualHosts",
        "lb_policy",
        "lbPolicy",
        "cluster_name",
        "clusterName",
        "dynamic_active_clusters",
        "dynamic_listeners",
    }
)


def load_istio(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ahead: YamlAhead | None = None,
) -> IstioConfig:
    """Load Istio and Kubernetes objects from files and directories (walked recursively).

    Raises InputError for a missing path, a directory without usable objects, a file that is
    empty, not YAML, not Kubernetes objects, too large, too deeply nested or an alias bomb.
    ``ahead`` holds files already parsed in another process (``yaml_ahead.read_ahead``), which
    also checks the objects against the schemas.
    """
    config, pending = load_istio_pending(paths, max_file_bytes=max_file_bytes, ahead=ahead)
    return config if pending is None else pending.complete(config)


@dataclass(frozen=True)
class PendingSchema:
    """Schema problems another process is still finding: ``complete`` waits for them."""

    ahead: YamlAhead
    deferred: list[tuple[int, IstioObject]]
    """(place in the loaded config's ``problems``, object) of each object to validate."""

    def complete(self, config: IstioConfig) -> IstioConfig:
        """``config`` (as loaded, or with its namespaces defaulted) with every problem."""
        problems = self.ahead.with_schema_problems(list(config.problems), self.deferred)
        return config.with_problems(tuple(problems))


def load_istio_pending(
    paths: Sequence[str | os.PathLike[str]],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    ahead: YamlAhead | None = None,
) -> tuple[IstioConfig, PendingSchema | None]:
    """``load_istio``, except that with ``ahead`` the schema problems its process is still
    finding are left to the PendingSchema: attribution does not need them, and meanwhile the
    other process finishes them."""
    loader = _load(paths, _Loader(max_file_bytes, ahead, [] if ahead is not None else None))
    config = IstioConfig(
        objects=tuple(loader.objects),
        skipped=tuple(loader.skipped),
        problems=tuple(loader.problems),
        files=tuple(loader.files),
    )
    if ahead is None:
        return config, None
    return config, PendingSchema(ahead, loader.deferred or [])


def objects_to_validate(
    paths: Sequence[str | os.PathLike[str]], max_file_bytes: int, parsed: Parsed
) -> list[IstioObject]:
    """The objects ``load_istio(paths)`` checks against the schemas, in its order.

    ``yaml_ahead``'s child validates them while this process goes on with the capture.
    """
    loader = _load(paths, _Loader(max_file_bytes, parsed, [], validated_only=True))
    return [obj for _, obj in loader.deferred or ()]


def _load(paths: Sequence[str | os.PathLike[str]], loader: _Loader) -> _Loader:
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    # The YAML becomes millions of dicts and lists but no reference cycles (a self-referencing
    # alias is refused); with the collector paused a 20 MB load is about a third faster.
    with gc_paused():
        for given in [os.fspath(p) for p in paths]:
            if os.path.isdir(given):
                loader.load_directory(given)
            elif os.path.exists(given):
                loader.load_file(given, named=True)
            else:
                raise InputError(given, "no such file or directory")
    return loader


@dataclass
class _Loader:
    """Accumulates what the files yield, in load order."""

    max_file_bytes: int
    parsed: Parsed | None = None
    deferred: list[tuple[int, IstioObject]] | None = None
    """When a list: (place in ``problems``, object) of each object to validate, validated
    later (or elsewhere) instead of at once."""
    objects: list[IstioObject] = field(default_factory=list)
    skipped: list[SkippedInput] = field(default_factory=list)
    problems: list[SchemaProblem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    validated_only: bool = False  # build only the objects validated (``objects_to_validate``)

    def load_directory(self, directory: str) -> None:
        files = walk_yaml_files(directory)
        if not files:
            raise InputError(directory, "directory holds no *.yaml, *.yml or *.json files")
        before, skipped_before = len(self.objects), len(self.skipped)
        for path in files:
            self.load_file(path, named=False)
        if len(self.objects) == before:
            skipped = self.skipped[skipped_before:]
            kinds = sorted({s.kind or "non-Kubernetes" for s in skipped})
            detail = f"; skipped {len(skipped)} documents ({', '.join(kinds)})" if skipped else ""
            raise InputError(
                directory,
                f"no usable Kubernetes objects in {len(files)} YAML/JSON files{detail}",
            )

    def load_file(self, path: str, *, named: bool) -> None:
        try:
            self._load_file(path, named)
        except MemoryError:
            raise InputError(path, "not enough memory to load this file") from None
        except RecursionError:
            raise InputError(path, "nested too deeply to load") from None

    def _load_file(self, path: str, named: bool) -> None:
        read = self.parsed.take(path) if self.parsed is not None else None
        if read is None:
            # Imported here: when another process reads the YAML (yaml_ahead), this one needs
            # neither libyaml nor rapidyaml.
            from analyzer.load.istio_yaml import iter_documents

            text = read_yaml_text(path, self.max_file_bytes)
            parsed: Iterable[Document] = iter_documents(text, path)
        else:
            text, parsed = read
        self.files.append(path)
        whole_file = whole_file_reason(text)
        if whole_file is not None:
            self._reject_whole_file(path, whole_file, named)
            return
        documents = 0
        loaded = False
        strays: list[SkippedInput] = []
        for doc in parsed:
            documents += 1
            if doc.value is None:  # Helm leaves empty documents behind disabled templates
                continue
            reason = _not_kubernetes(doc.value)
            if reason is None:
                loaded = True
                self._load_document(doc, path)
            else:
                strays.append(SkippedInput(Origin(path, doc.line), "", "", reason))
        if loaded:
            self.skipped.extend(strays)
            return
        if not strays:
            why = "file holds only empty documents" if documents else "file holds only comments"
            self._reject_whole_file(path, why, named)
        elif named:
            raise InputError(path, strays[0].reason, strays[0].origin.line)
        else:
            self.skipped.extend(strays)

    def _reject_whole_file(self, path: str, reason: str, named: bool) -> None:
        """Handle a file without Kubernetes objects: fatal when named, else listed as skipped."""
        if named:
            raise InputError(path, reason)
        self.skipped.append(SkippedInput(Origin(path, 1), "", "", reason))

    def _load_document(self, doc: Document, path: str) -> None:
        root: dict[str, Any] = doc.value
        kind = root["kind"]
        items = root.get("items")
        if kind.endswith("List") and isinstance(items, list):
            # kubectl's `kind: List`, or an API list such as VirtualServiceList whose items may
            # leave out apiVersion and kind.
            item_scopes = {id(s.value): s for s in doc.scopes[1:]}
            item_kind = kind[: -len("List")] if kind != "List" else ""
            for index, item in enumerate(items):
                scope = item_scopes.get(id(item))
                if scope is None:
                    line = doc.scopes[0].paths.get(f"items[{index}]", doc.line)
                    reason = "list item is not a mapping"
                    self.skipped.append(SkippedInput(Origin(path, line), "", "", reason))
                    continue
                if item_kind:
                    item.setdefault("apiVersion", root["apiVersion"])
                    item.setdefault("kind", item_kind)
                self._load_object(scope, path)
        else:
            self._load_object(doc.scopes[0], path)

    def _skip(self, scope: Scope, path: str, kind: str, reason: str) -> None:
        metadata = scope.value.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        self.skipped.append(SkippedInput(Origin(path, scope.line), kind, _text(name), reason))

    def _load_object(self, scope: Scope, path: str) -> None:
        value = scope.value
        api_version, kind = value.get("apiVersion"), value.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            self._skip(scope, path, "", "not a Kubernetes object: no apiVersion or kind")
            return
        group, _, version = api_version.rpartition("/")
        versions = _KINDS.get((group, kind))
        if versions is None:
            self._skip(scope, path, kind, "kind not used by meshlens")
            return
        if versions and version not in versions:
            served = ", ".join(sorted(versions))
            reason = f"{api_version} is not a served version of {kind} (expected {served})"
            self._skip(scope, path, kind, reason)
            return
        if self.validated_only and (group == GATEWAY_API or kind in WORKLOAD_KINDS):
            return
        obj = _build_object(scope, path, group, version, kind, self.problems)
        if obj is None:
            return
        self.objects.append(obj)
        for dup_path, line, first in scope.duplicate_keys:
            message = f"key given twice (first at line {first}); the later value is used"
            self.problems.append(SchemaProblem(Origin(path, line), obj.ref, dup_path, message))
        if group != GATEWAY_API and kind not in WORKLOAD_KINDS:
            if self.deferred is None:
                self.problems.extend(validate(obj))
            else:
                self.deferred.append((len(self.problems), obj))


def _build_object(
    scope: Scope, path: str, group: str, version: str, kind: str, problems: list[SchemaProblem]
) -> IstioObject | None:
    """Make the IstioObject of one document; None (with a problem) when it has no usable name."""
    value = scope.value
    paths = scope.paths
    value.pop("status", None)
    metadata = value.get("metadata")
    if metadata is None:
        metadata = {}
    cluster_scoped = kind in _CLUSTER_SCOPED
    raw_ns = metadata.get("namespace") if isinstance(metadata, dict) else None
    namespace_given = isinstance(raw_ns, str) and bool(raw_ns) and not cluster_scoped
    namespace = _text(raw_ns) if namespace_given else "" if cluster_scoped else "default"
    name = metadata.get("name") if isinstance(metadata, dict) else None

    def problem(field_path: str, message: str) -> None:
        line = paths.get(field_path) or paths.get(field_path.rpartition(".")[0]) or scope.line
        ref = IstioRef(kind, namespace, _text(name))
        problems.append(SchemaProblem(Origin(path, line), ref, field_path, message))

    if not isinstance(metadata, dict):
        problem("metadata", "wrong type: expected a mapping")
        return None
    metadata.pop("managedFields", None)
    if not isinstance(name, str) or not name:
        why = "missing required field 'name'" if name is None else "wrong type: expected a string"
        problem("metadata.name", f"{why}; object not loaded")
        return None
    if raw_ns is not None and not isinstance(raw_ns, str):
        problem("metadata.namespace", "wrong type: expected a string")
    labels = _string_map(metadata.get("labels"), "metadata.labels", problem)
    annotations = _string_map(metadata.get("annotations"), "metadata.annotations", problem)
    created = metadata.get("creationTimestamp")
    spec = value.get("spec")
    if spec is None:
        spec = {}
    elif not isinstance(spec, dict):
        problem("spec", "wrong type: expected a mapping")
        spec = {}
    if kind in WORKLOAD_KINDS:
        spec, paths = _pod_labels(kind, value, paths, problem)
    # Positional, in field order: one call per object, and keywords cost more.
    return IstioObject(
        kind,
        value["apiVersion"],
        group,
        version,
        namespace,
        namespace_given,
        name,
        labels,
        annotations,
        spec,
        Origin(path, scope.line),
        None if created is None else str(created),
        paths,
    )


_Report = Callable[[str, str], None]
"""Records a schema problem: (path, message)."""


def _pod_labels(
    kind: str, value: dict[str, Any], paths: Mapping[str, int], problem: _Report
) -> tuple[dict[str, Any], Mapping[str, int]]:
    """Reduce a workload to the labels its pods carry: ``({"labels": ...}, renamed paths)``.

    The YAML's process sends workloads cut to what this reads (``yaml_slim``): reading more of
    a workload here means keeping it there too.
    """
    source = pod_labels_path(kind)
    labels: Any = value
    for part in source.split("."):
        labels = labels.get(part) if isinstance(labels, dict) else None
    pod_labels = _string_map(labels, source, problem)
    return {"labels": dict(pod_labels)}, _PodLabelLines(paths, source)


class _PodLabelLines(Mapping[str, int]):
    """A workload's lines under the names of its reduced form: ``metadata...`` as written, and
    the pod template's labels as ``spec.labels...``. Looked up lazily: workloads are many."""

    def __init__(self, paths: Mapping[str, int], source: str) -> None:
        self._paths = paths
        self._source = source

    def _original(self, path: str) -> str | None:
        if path.startswith("metadata"):
            return path
        if path == "spec.labels" or path.startswith(("spec.labels.", "spec.labels[")):
            return self._source + path[len("spec.labels") :]
        return None

    def __getitem__(self, path: str) -> int:
        original = self._original(path)
        if original is None:
            raise KeyError(path)
        return self._paths[original]

    def __iter__(self) -> Iterator[str]:
        source = self._source
        for path in self._paths:
            if path.startswith("metadata"):
                yield path
            if path == source or path.startswith((source + ".", source + "[")):
                yield "spec.labels" + path[len(source) :]

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _string_map(value: Any, where: str, problem: _Report) -> dict[str, str]:
    """Return labels or annotations as str -> str, reporting values that are not strings."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem(where, "wrong type: expected a mapping of strings")
        return {}
    result: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str):
            problem(f"{where}.{key}", f"wrong type: expected a string, got {_type_name(item)}")
            item = _as_label_text(item)
        result[key] = item
    return result


def _as_label_text(value: Any) -> str:
    """Return a non-string label value as Kubernetes' YAML-to-JSON step would spell it."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _not_kubernetes(value: Any) -> str | None:
    """Return why a document is not a Kubernetes object, or None when it is one."""
    if isinstance(value, dict):
        if isinstance(value.get("apiVersion"), str) and isinstance(value.get("kind"), str):
            return None
        if isinstance(value.get("configs"), list):
            return ENVOY_DUMP
        if _ENVOY_KEYS.intersection(value):
            return _ENVOY_CONFIG
        return "not a Kubernetes object: no apiVersion and kind"
    first = value[0] if isinstance(value, list) and value else None
    if isinstance(first, dict) and _ENVOY_KEYS.intersection(first):
        return _ENVOY_CONFIG
    return f"not a Kubernetes object: the document is {_type_name(value)}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES: Final = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
    dict: "a mapping",
    list: "a list",
}
