"""What of a document loading reads: the rest need not travel between processes."""

from __future__ import annotations

from typing import Any

from analyzer.model.istio import WORKLOAD_KINDS, pod_labels_path


def slim_document(value: Any) -> Any:
    """A document with only what loading it reads (the YAML's process sends this much).

    Loading drops ``status`` and ``metadata.managedFields`` (bulky in ``kubectl get -o yaml``
    exports), and keeps workloads only for their pod labels (``istio._pod_labels``): their
    containers, probes and volumes are half of a large mesh's YAML. Everything loading looks
    at is kept as it was, wrong types included, so the object, its problems and its lines come
    out the same.
    """
    if type(value) is not dict:
        return value
    metadata = value.get("metadata")
    if type(metadata) is dict and "managedFields" in metadata:
        metadata = {key: item for key, item in metadata.items() if key != "managedFields"}
    if value.get("kind") in WORKLOAD_KINDS:
        return _slim_workload(value, metadata)
    if metadata is value.get("metadata") and "status" not in value:
        return value
    slim = {key: item for key, item in value.items() if key != "status"}
    if "metadata" in value:
        slim["metadata"] = metadata
    return slim


def _slim_workload(value: dict[str, Any], metadata: Any) -> dict[str, Any]:
    slim: dict[str, Any] = {key: value[key] for key in ("apiVersion", "kind") if key in value}
    if "metadata" in value:
        slim["metadata"] = metadata
    if "spec" in value:
        # Of the spec, only the way down to the pod labels (for a Pod: nothing).
        path = pod_labels_path(value["kind"]).split(".")
        slim["spec"] = _only(value["spec"], path[1:] if path[0] == "spec" else [])
    return slim


def _only(value: Any, keys: list[str]) -> Any:
    """A mapping cut down to the way along ``keys`` (the last one kept whole); anything that is
    not a mapping as it is, since loading reports its type."""
    if type(value) is not dict:
        return value
    if not keys or keys[0] not in value:
        return {}
    key = keys[0]
    return {key: value[key] if len(keys) == 1 else _only(value[key], keys[1:])}
