"""Find the VirtualService rule (``spec.http[i].match[j]``) an Envoy route was built from.

istiod emits one route per HTTP rule and per match of that rule, in rule order. Metadata names
the VirtualService but not the rule; the route name helps when rules are named. The rest is
matching: the route's path/header conditions and destinations against each rule's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from analyzer.model.envoy import Route, RouteMatch
from analyzer.model.istio import IstioObject

# HTTPMatchRequest fields istiod turns into pseudo-header matchers.
_PSEUDO_HEADERS = {"authority": ":authority", "method": ":method", "scheme": ":scheme"}
_STRING_KINDS = {"exact": "exact", "prefix": "prefix", "regex": "regex"}

PathKey = tuple[str, str, bool]
HeaderKey = tuple[str, str, str, bool]


@dataclass(frozen=True, slots=True)
class RuleSlot:
    """One route istiod would emit for a VirtualService: rule ``http[i]``, match ``j``."""

    rule_index: int
    match_index: int | None
    name: str
    """The route name istiod gives it: ``<rule name>`` or ``<rule name>.<match name>``."""
    path: PathKey
    headers: frozenset[HeaderKey]
    destinations: frozenset[tuple[str, str, int | None]]
    """(fqdn, subset, port or None when the rule leaves the port to the listener)."""

    @property
    def rule_path(self) -> str:
        """``spec.http[i].match[j]`` or ``spec.http[i]``."""
        if self.match_index is None:
            return f"spec.http[{self.rule_index}]"
        return f"spec.http[{self.rule_index}].match[{self.match_index}]"


def _norm_prefix(value: str) -> str:
    # istiod renders prefix "/foo/" as path_separated_prefix "/foo" on newer releases; compare
    # prefixes without their trailing slash so both renderings meet.
    return value.rstrip("/") or "/"


def route_path_key(match: RouteMatch) -> PathKey:
    """The path condition of an Envoy route, normalised for comparison."""
    kind = match.kind
    if kind in ("prefix", "path_separated_prefix"):
        return "prefix", _norm_prefix(match.value), match.case_sensitive
    if kind == "path":
        return "exact", match.value, match.case_sensitive
    if kind in ("safe_regex", "regex"):
        return "regex", match.value, match.case_sensitive
    return kind, match.value, match.case_sensitive


def route_header_keys(match: RouteMatch) -> frozenset[HeaderKey]:
    """Header conditions of an Envoy route, normalised for comparison."""
    keys = set()
    for header in match.headers:
        kind = "regex" if header.kind == "safe_regex" else header.kind
        keys.add((header.name.lower(), kind, header.value, header.invert))
    return frozenset(keys)


def _string_match(value: Any) -> tuple[str, str] | None:
    if isinstance(value, dict):
        for key, kind in _STRING_KINDS.items():
            if key in value:
                return kind, str(value[key])
    return None


def _vs_path_key(match: Mapping[str, Any] | None) -> PathKey:
    case_sensitive = not bool(match and match.get("ignoreUriCase"))
    uri = _string_match(match.get("uri")) if match else None
    if uri is None:
        return "prefix", "/", case_sensitive
    kind, value = uri
    if kind == "prefix":
        value = _norm_prefix(value)
    return kind, value, case_sensitive


def _vs_header_keys(match: Mapping[str, Any] | None) -> frozenset[HeaderKey]:
    if not match:
        return frozenset()
    keys = set()
    for field_name, invert in (("headers", False), ("withoutHeaders", True)):
        headers = match.get(field_name)
        if isinstance(headers, dict):
            for name, condition in headers.items():
                found = _string_match(condition)
                if found is not None:
                    keys.add((str(name).lower(), found[0], found[1], invert))
                elif isinstance(condition, dict) and not condition:
                    keys.add((str(name).lower(), "present", "true", invert))
    for field_name, header in _PSEUDO_HEADERS.items():
        found = _string_match(match.get(field_name))
        if found is not None:
            keys.add((header, found[0], found[1], False))
    return frozenset(keys)


def rule_slots(virtual_service: IstioObject, resolve: Callable[[str, str], str]) -> list[RuleSlot]:
    """Every route istiod would emit for the VirtualService's ``http`` rules, in order."""
    slots: list[RuleSlot] = []
    for rule_index, rule in enumerate(virtual_service.spec.get("http") or ()):
        if not isinstance(rule, dict):
            continue
        destinations = _destinations(rule, virtual_service.namespace, resolve)
        rule_name = str(rule.get("name") or "")
        matches = rule.get("match")
        if not isinstance(matches, list) or not matches:
            slots.append(
                RuleSlot(
                    rule_index, None, rule_name, ("prefix", "/", True), frozenset(), destinations
                )
            )
            continue
        for match_index, match in enumerate(matches):
            match = match if isinstance(match, dict) else {}
            match_name = str(match.get("name") or "")
            name = (
                f"{rule_name}.{match_name}" if rule_name and match_name else rule_name or match_name
            )
            slots.append(
                RuleSlot(
                    rule_index,
                    match_index,
                    name,
                    _vs_path_key(match),
                    _vs_header_keys(match),
                    destinations,
                )
            )
    return slots


def _destinations(
    rule: Mapping[str, Any], namespace: str, resolve: Callable[[str, str], str]
) -> frozenset[tuple[str, str, int | None]]:
    out = set()
    for entry in rule.get("route") or ():
        destination = entry.get("destination") if isinstance(entry, dict) else None
        if not isinstance(destination, dict) or not isinstance(destination.get("host"), str):
            continue
        port = destination.get("port")
        number = port.get("number") if isinstance(port, dict) else None
        out.add(
            (
                resolve(destination["host"], namespace),
                str(destination.get("subset") or ""),
                number if isinstance(number, int) else None,
            )
        )
    return frozenset(out)


@dataclass(slots=True)
class _RouteKeys:
    """A route's conditions and destinations, normalised once and compared with every slot."""

    path: PathKey
    headers: frozenset[HeaderKey]
    destinations: frozenset[tuple[str, str, int | None]]
    loose: frozenset[tuple[str, str]]
    """``destinations`` without their ports."""


def _route_keys(route: Route) -> _RouteKeys:
    destinations = set()
    for name in route.clusters:
        parts = name.split("|")
        if len(parts) == 4:
            destinations.add((parts[3], parts[2], int(parts[1]) if parts[1].isdigit() else None))
    return _RouteKeys(
        route_path_key(route.match),
        route_header_keys(route.match),
        frozenset(destinations),
        frozenset((host, subset) for host, subset, _ in destinations),
    )


def _destinations_equal(slot: RuleSlot, route: _RouteKeys) -> bool:
    actual = route.destinations
    if len(actual) != len(slot.destinations):
        return False
    for host, subset, port in slot.destinations:
        if port is None:
            if (host, subset) not in route.loose:
                return False
        elif (host, subset, port) not in actual:
            return False
    return True


def _conditions_match(slot: RuleSlot, route: _RouteKeys) -> bool:
    """True when the route's conditions are the slot's (headers istiod adds are tolerated)."""
    return slot.path == route.path and slot.headers <= route.headers


def assign_rules(
    routes: Sequence[Route], slots: Sequence[RuleSlot], strict: bool = False
) -> dict[int, tuple[RuleSlot, str]]:
    """Map route index -> (slot, evidence) for routes of one VirtualService, in vhost order.

    Routes come out in rule order, so each search starts after the last assigned slot; names
    and destinations break ties between identical conditions.
    """
    assigned: dict[int, tuple[RuleSlot, str]] = {}
    cursor = 0
    for route in routes:
        best: tuple[int, int] | None = None
        keys = _route_keys(route)
        for position, slot in enumerate(slots):
            if not _conditions_match(slot, keys):
                continue
            score = 0
            named = bool(route.name and slot.name == route.name)
            same_destinations = _destinations_equal(slot, keys)
            if strict and not (named or same_destinations):
                # Without metadata, conditions alone are too weak: a Service's default route
                # also matches "/" (a VirtualService that did not apply looks just like it).
                continue
            if named:
                score += 4
            if same_destinations:
                score += 2
            if position >= cursor:
                score += 1
            if best is None or score > best[0]:
                best = (score, position)
        if best is None and not strict:
            by_name = [i for i, slot in enumerate(slots) if route.name and slot.name == route.name]
            if by_name:
                best = (4, by_name[0])
        if best is not None:
            slot = slots[best[1]]
            evidence = "name" if route.name and slot.name == route.name else "match"
            assigned[route.index] = (slot, evidence)
            cursor = best[1] + 1
    return assigned
