"""Small readers for values as they appear in Envoy JSON and Kubernetes YAML."""

from __future__ import annotations

from typing import Any


def as_int(value: Any) -> int | None:
    """An integer from ``80``, ``"80"`` or a protobuf wrapper ``{"value": 80}``; else None.

    Booleans are not numbers here, although Python says they are.
    """
    if type(value) is int:  # what the inputs nearly always hold: answer before the checks
        return value
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def host_covers(pattern: str, host: str) -> bool:
    """Istio host matching: ``*`` covers all; ``*.example.com`` covers its subdomains.

    A wildcard host is covered by a wildcard pattern that is no more specific than it.
    """
    if pattern == "*" or pattern == host:
        return True
    if pattern.startswith("*"):
        suffix = pattern[1:]
        return host.endswith(suffix) and (not host.startswith("*") or len(host) >= len(pattern))
    return False
