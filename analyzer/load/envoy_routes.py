"""Build RouteConfig / VirtualHost / Route from raw (snake_case) RouteConfiguration dicts."""

from __future__ import annotations

from typing import Any

from analyzer.model.envoy import (
    HeaderMatch,
    JsonDict,
    ResourceState,
    Route,
    RouteConfig,
    RouteMatch,
    VirtualHost,
    WeightedCluster,
)

_PATH_KINDS = ("prefix", "path", "safe_regex", "path_separated_prefix", "regex", "connect_matcher")
_STRING_MATCH_KINDS = ("exact", "prefix", "suffix", "contains", "safe_regex")
# v2/v3 header matchers that predate ``string_match``.
_LEGACY_HEADER_KINDS = {
    "exact_match": "exact",
    "prefix_match": "prefix",
    "suffix_match": "suffix",
    "contains_match": "contains",
    "safe_regex_match": "safe_regex",
    "regex_match": "safe_regex",
}
_FAULT_FILTERS = ("envoy.filters.http.fault", "envoy.fault")
_CORS_FILTERS = ("envoy.filters.http.cors", "envoy.cors")


def build_route_config(
    raw: JsonDict, state: ResourceState, inline_in: str | None = None
) -> RouteConfig:
    """Digest one RouteConfiguration."""
    name = str(raw.get("name", ""))
    virtual_hosts = tuple(
        _virtual_host(name, vhost)
        for vhost in raw.get("virtual_hosts") or ()
        if isinstance(vhost, dict)
    )
    validate = raw.get("validate_clusters")
    return RouteConfig(
        name=name,
        virtual_hosts=virtual_hosts,
        state=state,
        inline_in=inline_in,
        validate_clusters=_as_bool(validate) if validate is not None else None,
        ignore_port_in_host_matching=bool(raw.get("ignore_port_in_host_matching", False)),
        raw=raw,
    )


def _virtual_host(route_config: str, raw: JsonDict) -> VirtualHost:
    name = str(raw.get("name", ""))
    routes = tuple(
        [
            _route(route_config, name, index, route)
            for index, route in enumerate(raw.get("routes") or ())
            if isinstance(route, dict)
        ]
    )
    domains = tuple(map(str, raw.get("domains") or ()))
    return VirtualHost(route_config, name, domains, routes, raw)


def _route(route_config: str, vhost: str, index: int, raw: JsonDict) -> Route:
    match = _match(raw.get("match") or {})
    istio_config = _istio_config(raw.get("metadata"))
    decorator = raw.get("decorator")
    operation = decorator.get("operation") if isinstance(decorator, dict) else None
    if not isinstance(operation, str):
        operation = None
    per_filter = raw.get("typed_per_filter_config") or raw.get("per_filter_config") or {}
    name = str(raw.get("name", ""))
    fault = _first_of(per_filter, _FAULT_FILTERS)
    action = raw.get("route")
    if not isinstance(action, dict):
        common: dict[str, Any] = {
            "route_config": route_config,
            "virtual_host": vhost,
            "index": index,
            "name": name,
            "match": match,
            "istio_config": istio_config,
            "decorator": operation,
            "fault": fault,
            "raw": raw,
        }
        return _non_forwarding_route(common, raw)
    weighted_clusters = _weighted_clusters(action.get("weighted_clusters"))
    mirror_clusters = _mirror_clusters(action)
    host_rewrite = action.get("host_rewrite_literal", action.get("host_rewrite"))
    cluster = action.get("cluster")
    cors = action.get("cors") or _first_of(per_filter, _CORS_FILTERS)
    hash_policy = action.get("hash_policy")
    # Positional, in field order: this runs once per route, and a keyword call to a dataclass
    # costs three times as much (the class call packs the keywords into a dict).
    return Route(
        route_config,
        vhost,
        index,
        name,
        match,
        "route",
        cluster if isinstance(cluster, str) else None,
        weighted_clusters,
        action.get("cluster_header"),
        None,  # redirect
        None,  # direct_response_status
        action.get("prefix_rewrite"),
        action.get("regex_rewrite"),
        host_rewrite if isinstance(host_rewrite, str) else None,
        action.get("timeout"),
        action.get("retry_policy"),
        cors if isinstance(cors, dict) else None,
        fault,
        mirror_clusters,
        tuple([h for h in hash_policy if isinstance(h, dict)]) if hash_policy else (),
        istio_config,
        operation,
        raw,
    )


def _istio_config(metadata: Any) -> str | None:
    """``filter_metadata.istio.config``: the VirtualService that produced the route."""
    if isinstance(metadata, dict):
        istio = (metadata.get("filter_metadata") or {}).get("istio")
        if isinstance(istio, dict) and isinstance(istio.get("config"), str):
            config: str = istio["config"]
            return config
    return None


def _non_forwarding_route(common: dict[str, Any], raw: JsonDict) -> Route:
    """A redirect, direct response, filter or non-forwarding action (rare: keywords are fine)."""
    if isinstance(raw.get("redirect"), dict):
        return Route(action="redirect", redirect=raw["redirect"], **common)
    direct = raw.get("direct_response")
    if isinstance(direct, dict):
        status = direct.get("status")
        return Route(
            action="direct_response",
            direct_response_status=int(status) if isinstance(status, int | str) else None,
            **common,
        )
    for other in ("filter_action", "non_forwarding_action"):
        if other in raw:
            return Route(action=other.replace("_action", "") or other, **common)
    return Route(action="none", **common)


def _weighted_clusters(weighted: Any) -> tuple[WeightedCluster, ...]:
    if not isinstance(weighted, dict):
        return ()
    return tuple(
        [
            WeightedCluster(str(c.get("name", "")), _as_int(c.get("weight"), 0))
            for c in weighted.get("clusters") or ()
            if isinstance(c, dict)
        ]
    )


def _mirror_clusters(action: JsonDict) -> tuple[str, ...]:
    mirrors = action.get("request_mirror_policies") or (
        [action["request_mirror_policy"]]
        if isinstance(action.get("request_mirror_policy"), dict)
        else ()
    )
    if not mirrors:
        return ()
    return tuple([str(m.get("cluster", "")) for m in mirrors if isinstance(m, dict)])


def _match(raw: JsonDict) -> RouteMatch:
    kind, value = "prefix", ""
    for candidate in _PATH_KINDS:
        if candidate in raw:
            kind = candidate
            found = raw[candidate]
            if isinstance(found, dict):
                value = str(found.get("regex", "")) if candidate == "safe_regex" else ""
            else:
                value = str(found)
            break
    else:
        policy = raw.get("path_match_policy")
        if isinstance(policy, dict):
            kind = "template"
            config = policy.get("typed_config") or {}
            value = str(config.get("path_template", "")) if isinstance(config, dict) else ""
    case_sensitive = raw.get("case_sensitive")
    # Positional, in field order: one call per route (see _route).
    return RouteMatch(
        kind,
        value,
        True if case_sensitive is None else _as_bool(case_sensitive),
        _headers(raw.get("headers")),
        _headers(raw.get("query_parameters")),
        "grpc" in raw,
    )


def _headers(matchers: Any) -> tuple[HeaderMatch, ...]:
    """Header (or query parameter) matchers; most routes have none."""
    if not matchers:
        return ()
    return tuple([_header(m) for m in matchers if isinstance(m, dict)])


def _header(raw: JsonDict) -> HeaderMatch:
    name = str(raw.get("name", ""))
    invert = bool(raw.get("invert_match", False))
    string_match = raw.get("string_match")
    if isinstance(string_match, dict):
        kind, value = _string_match(string_match)
        return HeaderMatch(name, kind, value, invert, bool(string_match.get("ignore_case", False)))
    for legacy, kind in _LEGACY_HEADER_KINDS.items():
        if legacy in raw:
            found = raw[legacy]
            value = str(found.get("regex", "")) if isinstance(found, dict) else str(found)
            return HeaderMatch(name, kind, value, invert)
    if "present_match" in raw:
        return HeaderMatch(name, "present", str(raw["present_match"]).lower(), invert)
    if isinstance(raw.get("range_match"), dict):
        rng = raw["range_match"]
        return HeaderMatch(name, "range", f"[{rng.get('start', '')},{rng.get('end', '')})", invert)
    if "value" in raw:  # v2 query parameter matcher
        return HeaderMatch(name, "safe_regex" if raw.get("regex") else "exact", str(raw["value"]))
    # A header with no matcher matches when the header is present.
    return HeaderMatch(name, "present", "true", invert)


def _string_match(raw: JsonDict) -> tuple[str, str]:
    for kind in _STRING_MATCH_KINDS:
        if kind in raw:
            found = raw[kind]
            if isinstance(found, dict):
                return kind, str(found.get("regex", ""))
            return kind, str(found)
    return "string_match", ""


def _first_of(config: Any, names: tuple[str, ...]) -> JsonDict | None:
    if not config or not isinstance(config, dict):
        return None
    for name in names:
        found = config.get(name)
        if isinstance(found, dict):
            return found
    return None


def _as_bool(value: Any) -> bool:
    if isinstance(value, dict):  # BoolValue wrapper in some renderings
        value = value.get("value", False)
    return bool(value)


def _as_int(value: Any, default: int) -> int:
    if isinstance(value, dict):
        value = value.get("value")
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
