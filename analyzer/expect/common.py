"""Small rules shared by the predictions: exportTo, creation order, durations, hosts, versions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from analyzer.model.envoy import Proxy
from analyzer.model.istio import IstioConfig, IstioObject
from analyzer.model.values import host_covers

EXPORT_ANNOTATION = "networking.istio.io/exportTo"
UNSURE_ORDER = "creation times not given: assumed created together, which istiod orders by name"


def live_objects(config: IstioConfig, kind: str) -> list[IstioObject]:
    """Objects of ``kind`` in load order, keeping only the copy the cluster holds.

    An object given twice (ML0004) exists once in Kubernetes: the later copy, as with
    ``kubectl apply`` over the files in order.
    """
    return [o for o in config.by_kind(kind) if config.get(kind, o.namespace, o.name) is o]


_DUPLICATES: dict[int, tuple[IstioConfig, frozenset[tuple[str, str, str]]]] = {}


def duplicated(config: IstioConfig, obj: IstioObject) -> bool:
    """True when the inputs give this kind/namespace/name more than once (which copy applied?)."""
    cached = _DUPLICATES.get(id(config))
    if cached is None or cached[0] is not config:
        keys = frozenset(
            (later.kind, later.namespace, later.name) for _, later in config.duplicates()
        )
        if len(_DUPLICATES) > 8:
            _DUPLICATES.clear()
        cached = _DUPLICATES[id(config)] = (config, keys)
    return (obj.kind, obj.namespace, obj.name) in cached[1]


def export_to(obj: IstioObject) -> list[str]:
    """``spec.exportTo`` (or a Service's ``networking.istio.io/exportTo`` annotation); [] = all."""
    if obj.kind == "Service":
        text = obj.annotations.get(EXPORT_ANNOTATION, "")
        return [part.strip() for part in text.split(",") if part.strip()]
    values = obj.spec.get("exportTo")
    if isinstance(values, list):
        return [str(v) for v in values]
    return []


def visible_to(obj: IstioObject, namespace: str) -> bool:
    """Whether ``obj`` is exported to ``namespace`` (Istio's default exportTo is ``*``)."""
    targets = export_to(obj)
    if not targets:
        return True
    for target in targets:
        if target == "*" or (target == "." and obj.namespace == namespace) or target == namespace:
            return True
    return False


def exported_privately(obj: IstioObject) -> bool:
    """True for ``exportTo: ["."]`` (or only its own namespace): istiod's "private" configs."""
    targets = export_to(obj)
    return bool(targets) and all(t in (".", obj.namespace) for t in targets)


def creation_order(objects: Sequence[IstioObject]) -> tuple[list[IstioObject], bool]:
    """Objects as istiod orders them (creation time, then name, then namespace), and whether sure.

    Without ``metadata.creationTimestamp`` on every object the real order is unknown. One
    ``kubectl apply`` creates objects within the same second, and istiod then orders them by name
    and namespace, so that order stands in for it; the answer is marked uncertain.
    """
    if len(objects) < 2:
        return list(objects), True  # usually one rule or VirtualService per host
    if all(o.creation_timestamp for o in objects):
        ordered = sorted(objects, key=lambda o: (str(o.creation_timestamp), o.name, o.namespace))
        return ordered, True
    return sorted(objects, key=lambda o: (o.name, o.namespace)), False


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_FACTORS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(value: Any) -> float | None:
    """A duration in seconds: Istio's ``1m30s``/``500ms``, Envoy's ``0.500s``, a Duration dict."""
    if isinstance(value, str):
        return _text_seconds(value)
    if isinstance(value, dict):
        secs = float(value.get("seconds", 0) or 0)
        return secs + float(value.get("nanos", 0) or 0) / 1e9
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return _text_seconds(str(value))


# A large mesh repeats a handful of durations (``10s``, ``0.010s``) across thousands of
# clusters and routes: parse each spelling once.
@lru_cache(maxsize=4096)
def _text_seconds(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    total, position = 0.0, 0
    for match in _DURATION_PART.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _FACTORS[match.group(2)]
        position = match.end()
    return total if position == len(text) else None


def same_duration(a: Any, b: Any) -> bool:
    """Equal durations (to the millisecond), however written."""
    first, second = seconds(a), seconds(b)
    return first is not None and second is not None and abs(first - second) < 5e-4


def hosts_intersect(a: str, b: str) -> bool:
    """True when some name matches both host patterns."""
    return host_covers(a, b) or host_covers(b, a)


def narrower(a: str, b: str) -> str:
    """Of two intersecting host patterns, the more specific one (istiod names vhosts after it)."""
    return b if host_covers(a, b) else a


def istio_version(proxy: Proxy) -> tuple[int, int] | None:
    """(major, minor) from ``ISTIO_VERSION`` (``1.24.2``, ``release-1.2-2019...``), if readable."""
    match = re.search(r"(\d+)\.(\d+)", proxy.istio_version or "")
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def at_least(proxy: Proxy, major: int, minor: int) -> bool | None:
    """Whether the proxy's Istio is at least ``major.minor`` (None when the version is unknown)."""
    version = istio_version(proxy)
    if version is None:
        return None
    return version >= (major, minor)


def quoted(values: Iterable[str]) -> str:
    """``a, b`` for messages."""
    return ", ".join(values)
