"""Place objects that name no namespace, as ``kubectl apply -n NS`` would."""

from __future__ import annotations

import dataclasses

from analyzer.model.istio import IstioConfig


def with_default_namespace(config: IstioConfig, namespace: str) -> IstioConfig:
    """Return ``config`` with every object lacking ``metadata.namespace`` moved to ``namespace``.

    YAML is often applied with ``kubectl -n NS`` and carries no namespace of its own; Istio then
    knows the object under NS, and so must the attribution.
    """
    if not namespace:
        return config
    objects = tuple(
        obj if obj.namespace_given else dataclasses.replace(obj, namespace=namespace)
        for obj in config.objects
    )
    return IstioConfig(
        objects=objects, skipped=config.skipped, problems=config.problems, files=config.files
    )
