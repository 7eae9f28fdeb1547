"""ML0404 unreachable-route."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.model.envoy import Route, VirtualHost

_STRING_PATHS = ("prefix", "path", "path_separated_prefix")
_PATHS = (*_STRING_PATHS, "safe_regex")
_OTHER_PATHS = ("connect_matcher", "path_match_policy", "regex")
_ALL_PATHS = (*_PATHS, *_OTHER_PATHS)
_SHADOWER_KEYS = frozenset({*_PATHS, "case_sensitive", "headers", "query_parameters", "grpc"})
"""Match fields whose meaning is fully understood here; an earlier route with any other
(``runtime_fraction``, ``tls_context``, ``dynamic_metadata``, ``filter_state``, ...) may let
requests through to later routes, so it is never taken to shadow one."""


@dataclass(frozen=True, slots=True)
class _Match:
    """The parts of a route's ``match`` that decide shadowing, read once per route."""

    kind: str | None
    """prefix, path, path_separated_prefix, safe_regex, another path kind, or None."""
    value: Any
    case_sensitive: bool
    headers: tuple[Any, ...]
    query: tuple[Any, ...]
    grpc: bool
    understood: bool
    """True when every field is one of ``_SHADOWER_KEYS`` (may shadow later routes)."""

    @classmethod
    def of(cls, route: Route) -> _Match:
        raw = route.raw.get("match")
        if not isinstance(raw, dict):
            return cls(None, None, True, (), (), False, False)
        kind = next((k for k in _ALL_PATHS if k in raw), None)
        sensitive = raw.get("case_sensitive", True)
        if isinstance(sensitive, dict):
            sensitive = sensitive.get("value", True)
        return cls(
            kind=kind,
            value=raw.get(kind) if kind else None,
            case_sensitive=bool(sensitive),
            headers=tuple(raw.get("headers") or ()),
            query=tuple(raw.get("query_parameters") or ()),
            grpc="grpc" in raw,
            understood=kind in _PATHS and not set(raw) - _SHADOWER_KEYS,
        )

    def describe(self) -> str:
        """``prefix /api`` plus the number of header and query conditions."""
        value = self.value.get("regex", "") if isinstance(self.value, dict) else self.value
        text = f"{self.kind} {value!s}" if self.kind else "no path condition"
        if self.headers:
            text += f" + {len(self.headers)} header condition(s)"
        if self.query:
            text += f" + {len(self.query)} query condition(s)"
        return text


class UnreachableRoute(Check):
    """A route can never match: an earlier route in the same virtual host catches all it would.

    **What it detects.** Routes in a virtual host are tried first to last, and the first match
    wins. A route is reported when an earlier one certainly matches every request it matches:
    the earlier path condition covers the later one (prefix `/`; the same exact path; a prefix
    that begins the later prefix or exact path, with compatible case sensitivity; the same
    regex), and the earlier route's header and query conditions are all among the later route's.
    It stays silent whenever that is not certain: regexes against prefixes, an earlier route
    with `runtime_fraction`, TLS, metadata or filter-state conditions, CONNECT matchers.

    **Why it matters.** The later rule is dead configuration: its requests get the earlier
    route's destination, rewrite, retries and timeouts instead. Istio drops rules after a
    catch-all inside one VirtualService, and moves true catch-alls (`/` or `.*` without other
    conditions) last when it merges VirtualServices into one gateway virtual host (older object
    first); a narrower prefix of an older VirtualService stays in front and shadows the newer
    rules. A prefix is a plain string prefix: `/api` also matches `/apiv2` and `/api-internal`.

    **Example.** `route/http.8080/simple.baihl.io:80/2` (exact `/simple/nginx/status`, from a
    newer VirtualService) comes after route 1 (prefix `/simple/nginx`): it never matches.

    **How to fix.** Put the more specific rule first (in one VirtualService, reorder `http`;
    across VirtualServices on a gateway, merge them or make the older one's match narrower),
    or delete the dead rule.
    """

    CODE = "ML0404"
    NAME = "unreachable-route"
    SEVERITY = Severity.WARNING

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Compare each route with the routes before it in its virtual host."""
        attribution = ctx.attribution
        assert attribution is not None
        for resource in attribution.resources:
            vhost = resource.obj
            if resource.type != "virtual_host" or not isinstance(vhost, VirtualHost):
                continue
            route_config = (resource.parent or "").removeprefix("route_config/")
            yield from self._vhost(ctx, route_config, vhost)

    def _vhost(self, ctx: Context, route_config: str, vhost: VirtualHost) -> Iterable[Finding]:
        assert ctx.attribution is not None
        if len(vhost.routes) < 2:
            return  # nothing comes before a lone route (most vhosts of a mesh)
        matches = [_Match.of(route) for route in vhost.routes]
        for later_pos, later in enumerate(vhost.routes):
            for earlier_pos in range(later_pos):
                reason = _covers(matches[earlier_pos], matches[later_pos])
                if reason is None:
                    continue
                earlier = vhost.routes[earlier_pos]
                prefix = f"route/{route_config}/{vhost.name}/"
                route_id, earlier_id = f"{prefix}{later.index}", f"{prefix}{earlier.index}"
                source = _primary(ctx.attribution.of(route_id))
                by = _primary(ctx.attribution.of(earlier_id))
                origin = ""
                if by is not None:
                    origin = f" ({by.ref} {by.path})" if by.path else f" ({by.ref})"
                yield self.finding(
                    ctx,
                    f"route {later.index}{_named(later)} in virtual host {vhost.name} can never"
                    f" match: route {earlier.index}{_named(earlier)}{origin} comes first and"
                    f" matches every request it would ({reason})",
                    resource=route_id,
                    source=source,
                    expected=f"requests matching {matches[later_pos].describe()} reach this route",
                    found=f"route {earlier.index} ({matches[earlier_pos].describe()}) takes them",
                    symptom=f"those requests get route {earlier.index}'s action instead:"
                    f" {_action(earlier)}",
                )
                break


def _covers(earlier: _Match, later: _Match) -> str | None:
    """Why ``earlier`` matches every request ``later`` matches, or None when not certain."""
    if not earlier.understood or later.kind is None:
        return None
    if earlier.grpc and not later.grpc:
        return None
    if not _all_in(earlier.headers, later.headers) or not _all_in(earlier.query, later.query):
        return None
    path = _path_covers(earlier, later)
    if path is None:
        return None
    if earlier.headers or earlier.query:
        return path + "; its header and query conditions are all among the later route's"
    return path + "; it has no header or query condition"


def _all_in(conditions: tuple[Any, ...], among: tuple[Any, ...]) -> bool:
    return all(condition in among for condition in conditions)


def _path_covers(earlier: _Match, later: _Match) -> str | None:
    a_kind, a_value = earlier.kind, earlier.value
    if a_kind == "prefix" and a_value in ("", "/"):
        if later.kind in (*_PATHS, "path_match_policy"):
            return "prefix '/' matches every path"
        return None
    if a_kind == "safe_regex":
        if later.kind == "safe_regex" and later.value == a_value:
            return "the same regex"
        return None
    if later.kind not in _STRING_PATHS:
        return None
    b_kind, b_value = later.kind, later.value
    if not isinstance(a_value, str) or not isinstance(b_value, str):
        return None
    if earlier.case_sensitive and not later.case_sensitive:
        # The later route also takes other spellings; only a value without letters is safe.
        if not a_value.isascii() or any(c.isalpha() for c in a_value):
            return None
        b_value = b_value.lower()
    elif not earlier.case_sensitive:
        a_value, b_value = a_value.lower(), b_value.lower()
    if a_kind == "prefix" and b_value.startswith(a_value):
        return f"'{b_value}' begins with prefix '{a_value}'"
    if a_kind == "path" and b_kind == "path" and a_value == b_value:
        return "the same exact path"
    if a_kind == "path_separated_prefix":
        inside = b_value.startswith(a_value + "/")
        if inside or (b_kind != "prefix" and b_value == a_value):
            return f"'{b_value}' is under path-separated prefix '{a_value}'"
    return None


def _named(route: Route) -> str:
    return f" ({route.name})" if route.name else ""


def _action(route: Route) -> str:
    if route.action == "route":
        if route.cluster:
            return f"cluster {route.cluster}"
        if route.weighted_clusters:
            return "clusters " + ", ".join(w.name for w in route.weighted_clusters)
        return "its route action"
    if route.action == "direct_response" and route.direct_response_status:
        return f"direct response {route.direct_response_status}"
    return route.action


def _primary(sources: list[Source]) -> Source | None:
    for source in sources:
        if not source.is_default:
            return source
    return sources[0] if sources else None
