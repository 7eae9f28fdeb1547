"""What every ``meshlens inventory`` table shares: the filter, row type and common cell helpers.

The row builders live beside this module, one per resource kind (``inventory_listeners``,
``inventory_routes``, ``inventory_clusters``, ``inventory_secrets``); ``inventory_rows`` gathers
them. Helpers here are called once per row on 100k-row tables, so they avoid needless work.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from analyzer.model.envoy import RouteMatch

Row = dict[str, Any]

RESOURCES = ("listener", "route", "cluster", "endpoint", "secret")
"""Resource kinds, in the order ``build_inventory`` returns them."""
SECTION_KEYS = {
    "listener": "listeners",
    "route": "routes",
    "cluster": "clusters",
    "endpoint": "endpoints",
    "secret": "secrets",
}

STATUS_RANK = {"active": 0, "warming": 1, "draining": 2, "rejected": 3}
"""Order of resources that share a sort key: the active one first."""


@dataclass(frozen=True)
class InventoryFilter:
    """istioctl proxy-config's filters; None (or 0 / "") means "do not filter".

    As in ``istioctl pc all``: ``port`` narrows listeners, clusters and endpoints; ``address``
    listeners and endpoints; ``fqdn``/``subset``/``direction`` clusters; ``type`` listeners;
    ``name`` routes. Secrets are never filtered.
    """

    port: int | None = None
    fqdn: str | None = None
    subset: str | None = None
    direction: str | None = None
    type: str | None = None
    """Listener type as istioctl classifies it: HTTP, TCP, HTTP+TCP or UNKNOWN (any case)."""
    name: str | None = None
    """Exact route configuration name."""
    address: str | None = None


def render_istio_config(path: str | None, cache: dict[str, str]) -> str:
    """``/apis/<group>/<version>/namespaces/<ns>/<kind>/<name>`` -> ``name.ns``, as istioctl does.

    A path of another length renders empty and a non-``/apis/`` path as ``<unknown>``; ``cache``
    keeps this at one split per distinct path (60k routes share a few hundred paths).
    """
    if not path:
        return ""
    found = cache.get(path)
    if found is None:
        pieces = path.split("/")
        if not path.startswith("/apis/"):
            found = "<unknown>"
        elif len(pieces) != 8 or pieces[4] != "namespaces":
            found = ""
        else:
            found = f"{pieces[7]}.{pieces[5]}"
        cache[path] = found
    return found


def describe_route_match(match: RouteMatch) -> str:
    """The MATCH cell: ``/p*``, exact path, ``PathPrefix:/p`` or ``regex r``; headers ignored."""
    kind, value = match.kind, match.value
    if not value:
        return ""
    if kind == "prefix":
        return f"{value}*"
    if kind == "path":
        return value
    if kind == "path_separated_prefix":
        return f"PathPrefix:{value}"
    if kind in ("safe_regex", "regex"):
        return f"regex {value}"
    return ""


@lru_cache(maxsize=4096)
def go_atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign, ASCII digits, int64 range; None where Go returns an error."""
    digits = text[1:] if text[:1] in ("+", "-") else text
    if not digits or not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def status_rank(status: str) -> int:
    """Position of a resource status in ``STATUS_RANK`` (unknown ones last)."""
    return STATUS_RANK.get(status, len(STATUS_RANK))
