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
    vhost_name = str(raw.get("name", ""))
    routes = tuple(
        _route(route_config, vhost_name, index, route)
        for index, route in enumerate(raw.get("routes") or ())
        if isinstance(route, dict)
    )
    domains = tuple(str(d) for d in raw.get("domains") or ())
    return VirtualHost(
        route_config=route_config, name=vhost_name, domains=domains, routes=routes, raw=raw
    )


def _route(route_config: str, vhost: str, index: int, raw: JsonDict) -> Route:
    match = _match(raw.get("match") or {})
    metadata = raw.get("metadata")
    istio_config = None
    if isinstance(metadata, dict):
        istio = (metadata.get("filter_metadata") or {}).get("istio")
        if isinstance(istio, dict) and isinstance(istio.get("config"), str):
            istio_config = istio["config"]
    decorator = raw.get("decorator")
    operation = decorator.get("operation") if isinstance(decorator, dict) else None
    per_filter = raw.get("typed_per_filter_config") or raw.get("per_filter_config") or {}
    common: dict[str, Any] = {
        "route_config": route_config,
        "virtual_host": vhost,
        "index": index,
        "name": str(raw.get("name", "")),
        "match": match,
        "istio_config": istio_config,
        "decorator": operation if isinstance(operation, str) else None,
        "fault": _first_of(per_filter, _FAULT_FILTERS),
        "raw": raw,
    }
    action = raw.get("route")
    if isinstance(action, dict):
        return _forwarding_route(common, action, per_filter)
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


def _forwarding_route(common: dict[str, Any], action: JsonDict, per_filter: Any) -> Route:
    weighted: tuple[WeightedCluster, ...] = ()
    weighted_raw = action.get("weighted_clusters")
    if isinstance(weighted_raw, dict):
        weighted = tuple(
            WeightedCluster(name=str(c.get("name", "")), weight=_as_int(c.get("weight"), 0))
            for c in weighted_raw.get("clusters") or ()
            if isinstance(c, dict)
        )
    mirrors_raw = action.get("request_mirror_policies") or (
        [action["request_mirror_policy"]]
        if isinstance(action.get("request_mirror_policy"), dict)
        else []
    )
    mirrors = tuple(str(m.get("cluster", "")) for m in mirrors_raw if isinstance(m, dict))
    host_rewrite = action.get("host_rewrite_literal", action.get("host_rewrite"))
    cluster = action.get("cluster")
    cors = action.get("cors") or _first_of(per_filter, _CORS_FILTERS)
    return Route(
        action="route",
        cluster=cluster if isinstance(cluster, str) else None,
        weighted_clusters=weighted,
        cluster_header=action.get("cluster_header"),
        prefix_rewrite=action.get("prefix_rewrite"),
        regex_rewrite=action.get("regex_rewrite"),
        host_rewrite=host_rewrite if isinstance(host_rewrite, str) else None,
        timeout=action.get("timeout"),
        retry_policy=action.get("retry_policy"),
        cors=cors if isinstance(cors, dict) else None,
        mirror_clusters=mirrors,
        hash_policy=tuple(h for h in action.get("hash_policy") or () if isinstance(h, dict)),
        **common,
    )


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
    return RouteMatch(
        kind=kind,
        value=value,
        case_sensitive=True if case_sensitive is None else _as_bool(case_sensitive),
        headers=tuple(_header(h) for h in raw.get("headers") or () if isinstance(h, dict)),
        query_params=tuple(
            _header(q) for q in raw.get("query_parameters") or () if isinstance(q, dict)
        ),
        grpc="grpc" in raw,
    )


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
    if not isinstance(config, dict):
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
