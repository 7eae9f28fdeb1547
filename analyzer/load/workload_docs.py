"""What of a workload document loading reads: the rest need not travel between processes."""

from __future__ import annotations

from typing import Any

from analyzer.model.istio import WORKLOAD_KINDS


def slim_workload(value: Any) -> Any:
    """A workload document with only what loading it reads; any other document as it is.

    Workloads are kept only for their pod labels (``istio._pod_labels``), and their containers,
    probes and volumes make up half of a large mesh's YAML: the process that reads the YAML
    sends this much to the one that loads it. Everything loading looks at is kept as it was,
    wrong types included, so the object, its problems and its lines come out the same.
    """
    if type(value) is not dict or value.get("kind") not in WORKLOAD_KINDS:
        return value
    slim = {key: value[key] for key in ("apiVersion", "kind", "metadata") if key in value}
    if "spec" not in value:
        return slim
    spec = value["spec"]
    if type(spec) is dict:
        kept: Any = {}
        if value["kind"] != "Pod" and "template" in spec:
            template = spec["template"]
            kept = {"template": template}
            if type(template) is dict and "metadata" in template:
                metadata = template["metadata"]
                if type(metadata) is dict and "labels" in metadata:
                    metadata = {"labels": metadata["labels"]}
                kept = {"template": {"metadata": metadata}}
            elif type(template) is dict:
                kept = {"template": {}}
        spec = kept
    slim["spec"] = spec
    return slim
