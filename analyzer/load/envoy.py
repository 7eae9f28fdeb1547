"""Load Envoy config captures (admin ``/config_dump`` or ``istioctl proxy-config``) into Proxies.

The input is recognised by content: the admin envelope ``{"configs": [...]}`` (full, partial from
``?resource=``/``?mask=``/``?name_regex=``, v2 or v3 type URLs), single admin messages, istioctl's
bare arrays or single messages in lowerCamelCase (JSON or YAML), and ``/clusters?format=json``.
Several captures of one proxy (same ``node.id``, or no node at all) merge into one Proxy.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from analyzer.errors import InputError
from analyzer.load.camel import looks_camel, to_snake
from analyzer.load.endpoints_ahead import EndpointsAhead, file_stamp
from analyzer.load.envoy_capture import Capture
from analyzer.load.source import MAX_DEPTH, gc_paused, parse_document, read_bytes
from analyzer.model.envoy import Proxy, ProxyKind

__all__ = ["load_capture", "load_proxies"]


def load_proxies(
    paths: Sequence[str], endpoints_ahead: EndpointsAhead | None = None
) -> list[Proxy]:
    """Read every capture and merge those of the same proxy. Raises InputError on bad input.

    The cyclic GC stays paused throughout: a dump is millions of acyclic dicts and lists, and
    every collection would walk all of them. Afterwards they are frozen out of its sight.
    """
    with gc_paused():
        return _load_and_merge(paths, endpoints_ahead)


def _load_and_merge(paths: Sequence[str], endpoints_ahead: EndpointsAhead | None) -> list[Proxy]:
    captures = [load_capture(path, endpoints_ahead) for path in paths]
    groups: dict[str, list[Capture]] = {}
    anonymous: list[Capture] = []
    for capture in captures:
        node_id = capture.node_id
        if node_id:
            groups.setdefault(node_id, []).append(capture)
        else:
            anonymous.append(capture)
    if anonymous:
        if len(groups) == 1:
            # Partial captures without a bootstrap belong to the one proxy that has one.
            next(iter(groups.values())).extend(anonymous)
        elif not groups:
            groups[""] = anonymous
        else:
            for capture in anonymous:
                groups[f"\0{capture.path}"] = [capture]
    return [_merge(group) for group in groups.values()]


def load_capture(path: str, endpoints_ahead: EndpointsAhead | None = None) -> Capture:
    """Read one file into a Capture (resources not yet merged with other files).

    With ``endpoints_ahead``, its endpoints section may be left to another process: the
    capture then lacks those endpoints until ``endpoints_ahead.fill``.
    """
    stamp = file_stamp(path) if endpoints_ahead is not None else None
    # Not memory-mapped, though that would spare a copy (~0.1 s at 150 MB): a capture
    # truncated by another process during the parse would then kill the run with SIGBUS.
    data, skipped_lines = read_bytes(path)
    split = None
    if endpoints_ahead is not None and not skipped_lines and file_stamp(path) == stamp:
        split = endpoints_ahead.split(path, data, stamp)
        if split is not None and looks_camel(split):  # converted whole, below
            endpoints_ahead.drop()
            split = None
    documents = [] if split is not None else parse_document(path, data, skipped_lines)
    del data
    capture = Capture(path)
    with gc_paused():
        if split is not None and endpoints_ahead is not None:
            endpoints_ahead.dispatch(capture, split, dispatch_resource)
        for document in documents:
            try:
                value = to_snake(document) if looks_camel(document) else document
            except RecursionError:
                raise InputError(path, "nested too deeply to be a config dump") from None
            _dispatch(capture, value)
    if capture.is_empty():
        raise InputError(path, _not_a_dump_reason(documents))
    return capture


def _not_a_dump_reason(documents: list[Any]) -> str:
    first = documents[0] if documents else None
    if _leading_depth(first) > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep; not a config dump"
    if isinstance(first, dict) and "apiVersion" in first and "kind" in first:
        return (
            f"looks like Kubernetes YAML (kind {first.get('kind')}), not an Envoy config dump;"
            " pass Istio YAML with -c"
        )
    if isinstance(first, list) and not first:
        return "empty list: no Envoy resources in this capture"
    return "no Envoy config found (expected a /config_dump or istioctl proxy-config output)"


def _leading_depth(value: Any) -> int:
    """Depth along the first child at each level: enough to name a pathological nesting."""
    depth = 0
    while depth <= MAX_DEPTH:
        if isinstance(value, list) and value:
            value = value[0]
        elif isinstance(value, dict) and value:
            value = next(iter(value.values()))
        else:
            break
        depth += 1
    return depth


def _dispatch(capture: Capture, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                dispatch_resource(capture, item)
            else:
                capture.skip("array item", f"{type(item).__name__} is not an Envoy resource")
        return
    if not isinstance(value, dict):
        capture.skip("document", f"{type(value).__name__} is not an Envoy config")
        return
    configs = value.get("configs")
    if isinstance(configs, list):
        for config in configs:
            if isinstance(config, dict):
                dispatch_resource(capture, config)
            else:
                capture.skip("configs[] entry", "not an object")
        return
    if isinstance(configs, dict):  # very old dumps keyed configs by name
        for config in configs.values():
            if isinstance(config, dict):
                dispatch_resource(capture, config)
        return
    dispatch_resource(capture, value)


def _type_name(value: dict[str, Any]) -> str:
    type_url = value.get("@type")
    if not isinstance(type_url, str):
        return ""
    return type_url.rsplit("/", 1)[-1]


# Admin message (last two dotted parts or last part of the type URL) -> Capture method.
_ADMIN_HANDLERS: dict[str, Callable[[Capture, dict[str, Any]], None]] = {
    "BootstrapConfigDump": Capture.add_bootstrap_dump,
    "ClustersConfigDump": Capture.add_clusters_dump,
    "ListenersConfigDump": Capture.add_listeners_dump,
    "RoutesConfigDump": Capture.add_routes_dump,
    "EndpointsConfigDump": Capture.add_endpoints_dump,
    "SecretsConfigDump": Capture.add_secrets_dump,
    "ScopedRoutesConfigDump": Capture.add_scoped_routes_dump,
    "EcdsConfigDump": Capture.add_ecds_dump,
    "StaticCluster": Capture.add_cluster_entry,
    "DynamicCluster": Capture.add_cluster_entry,
    "StaticListener": Capture.add_listener_entry,
    "DynamicListener": Capture.add_listener_entry,
    "StaticRouteConfig": Capture.add_route_entry,
    "DynamicRouteConfig": Capture.add_route_entry,
    "StaticEndpointConfig": Capture.add_endpoint_entry,
    "DynamicEndpointConfig": Capture.add_endpoint_entry,
    "StaticSecret": Capture.add_secret_entry,
    "DynamicSecret": Capture.add_secret_entry,
    "Listener": Capture.add_bare_listener,
    "Cluster": Capture.add_bare_cluster,
    "RouteConfiguration": Capture.add_bare_route_config,
    "ClusterLoadAssignment": Capture.add_bare_assignment,
    "Secret": Capture.add_bare_secret,
}


def dispatch_resource(capture: Capture, value: dict[str, Any]) -> None:
    """Add one admin section or resource to ``capture``; what it cannot read is skipped."""
    type_name = _type_name(value)
    handler = None
    if type_name:
        handler = _ADMIN_HANDLERS.get(type_name.rsplit(".", 1)[-1])
        if handler is None:
            capture.skip(type_name, "type not analysed; kept opaque")
            return
    else:
        handler = _guess_handler(value)
        if handler is None:
            keys = ", ".join(sorted(value)[:6])
            capture.skip("object", f"not recognised as an Envoy resource (keys: {keys})")
            return
    try:
        handler(capture, value)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        capture.skip(type_name or "object", f"unreadable ({type(exc).__name__}: {exc})")


def _guess_handler(value: dict[str, Any]) -> Callable[[Capture, dict[str, Any]], None] | None:
    """Recognise a resource without ``@type`` by its fields (users trim captures by hand)."""
    if "bootstrap" in value:
        return Capture.add_bootstrap_dump
    if "cluster_statuses" in value:
        return Capture.add_cluster_statuses
    if "host_statuses" in value or "added_via_api" in value:
        return Capture.add_cluster_status
    if "listener_statuses" in value:
        return Capture.add_listener_statuses
    for key, handler in _ENTRY_KEYS:
        if key in value:
            return handler
    if "virtual_hosts" in value:
        return Capture.add_bare_route_config
    if "filter_chains" in value or "default_filter_chain" in value or "listener_filters" in value:
        return Capture.add_bare_listener
    if "cluster_name" in value and "endpoints" in value:
        return Capture.add_bare_assignment
    if "tls_certificate" in value or "validation_context" in value:
        return Capture.add_bare_secret
    if "name" in value and _CLUSTER_FIELDS.intersection(value):
        return Capture.add_bare_cluster
    if "name" in value and "address" in value:
        return Capture.add_bare_listener
    return None


_ENTRY_KEYS: tuple[tuple[str, Callable[[Capture, dict[str, Any]], None]], ...] = (
    ("dynamic_active_clusters", Capture.add_clusters_dump),
    ("static_clusters", Capture.add_clusters_dump),
    ("dynamic_warming_clusters", Capture.add_clusters_dump),
    ("dynamic_listeners", Capture.add_listeners_dump),
    ("static_listeners", Capture.add_listeners_dump),
    ("dynamic_active_listeners", Capture.add_listeners_dump),
    ("dynamic_route_configs", Capture.add_routes_dump),
    ("static_route_configs", Capture.add_routes_dump),
    ("dynamic_endpoint_configs", Capture.add_endpoints_dump),
    ("static_endpoint_configs", Capture.add_endpoints_dump),
    ("dynamic_active_secrets", Capture.add_secrets_dump),
    ("static_secrets", Capture.add_secrets_dump),
    ("dynamic_warming_secrets", Capture.add_secrets_dump),
    ("active_state", Capture.add_listener_entry),
    ("warming_state", Capture.add_listener_entry),
    ("error_state", Capture.add_listener_entry),
    ("draining_state", Capture.add_listener_entry),
    ("cluster", Capture.add_cluster_entry),
    ("listener", Capture.add_listener_entry),
    ("route_config", Capture.add_route_entry),
    ("endpoint_config", Capture.add_endpoint_entry),
    ("secret", Capture.add_secret_entry),
)
_CLUSTER_FIELDS = frozenset(
    {
        "connect_timeout",
        "eds_cluster_config",
        "lb_policy",
        "type",
        "cluster_type",
        "load_assignment",
        "circuit_breakers",
        "transport_socket_matches",
    }
)


def _merge(captures: list[Capture]) -> Proxy:
    proxy = Proxy()
    for capture in captures:
        proxy.inputs.append(capture.path)
        if capture.node is not None and not proxy.node_id:
            _set_identity(proxy, capture.node)
            proxy.bootstrap = capture.bootstrap
        proxy.skipped.extend(capture.skipped)
        proxy.endpoints_captured = proxy.endpoints_captured or capture.endpoints_captured
    if not proxy.name:
        proxy.name = os.path.basename(captures[0].path)
    if len(captures) == 1:
        _add_all(proxy, captures[0])
    else:
        _add_unique(proxy, captures)
    return proxy


def _add_all(proxy: Proxy, capture: Capture) -> None:
    """One capture keeps everything it lists: nothing to compare (the usual single dump)."""
    proxy.listeners.extend(capture.listeners)
    proxy.route_configs.extend(capture.resolved_route_configs())
    proxy.clusters.extend(capture.clusters)
    proxy.endpoints.extend(capture.endpoints)
    proxy.secrets.extend(capture.secrets)


def _add_unique(proxy: Proxy, captures: list[Capture]) -> None:
    # The same resource in two captures of one proxy (e.g. `pc all` and `pc cluster`) is kept
    # once; within one capture everything is kept (unnamed static route configs are distinct).
    seen: set[tuple[object, ...]] = set()
    for capture in captures:
        before = set(seen)
        for listener in capture.listeners:
            lkey: tuple[object, ...] = (
                "l",
                listener.name,
                listener.address,
                listener.port,
                listener.state.status,
            )
            if lkey not in before:
                seen.add(lkey)
                proxy.listeners.append(listener)
        for route_config in capture.resolved_route_configs():
            rkey: tuple[object, ...] = (
                "r",
                route_config.name,
                route_config.inline_in,
                route_config.state.status,
            )
            if rkey not in before:
                seen.add(rkey)
                proxy.route_configs.append(route_config)
        for cluster in capture.clusters:
            ckey: tuple[object, ...] = ("c", cluster.name, cluster.state.status)
            if ckey not in before:
                seen.add(ckey)
                proxy.clusters.append(cluster)
        for endpoint in capture.endpoints:
            ekey: tuple[object, ...] = ("e", endpoint.cluster, endpoint.address, endpoint.priority)
            if ekey not in before:
                seen.add(ekey)
                proxy.endpoints.append(endpoint)
        for secret in capture.secrets:
            skey: tuple[object, ...] = ("s", secret.name, secret.status)
            if skey not in before:
                seen.add(skey)
                proxy.secrets.append(secret)


def _set_identity(proxy: Proxy, node: dict[str, Any]) -> None:
    node_id = str(node.get("id", ""))
    metadata = node.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    proxy.node_id = node_id
    parts = node_id.split("~")
    kind: ProxyKind = "unknown"
    kinds: dict[str, ProxyKind] = {
        "sidecar": "sidecar",
        "router": "gateway",
        "waypoint": "waypoint",
    }
    if len(parts) == 4:
        node_type, proxy.ip, pod_and_ns, _domain = parts
        proxy.name = pod_and_ns
        if "." in pod_and_ns:
            proxy.namespace = pod_and_ns.rsplit(".", 1)[1]
        kind = kinds.get(node_type, "unknown")
    labels = metadata.get("LABELS")
    if isinstance(labels, dict):
        proxy.labels = {str(k): str(v) for k, v in labels.items()}
        proxy.labels_known = True
    else:  # Istio <= 1.2 flattened pod labels into the node metadata itself
        proxy.labels = {
            str(k): v for k, v in metadata.items() if isinstance(v, str) and not k.isupper()
        }
    if kind == "gateway" and _is_waypoint(proxy.labels, metadata):
        kind = "waypoint"
    proxy.kind = kind
    namespace = metadata.get("NAMESPACE") or metadata.get("CONFIG_NAMESPACE")
    if isinstance(namespace, str) and namespace:
        proxy.namespace = namespace
    version = metadata.get("ISTIO_VERSION")
    proxy.istio_version = str(version) if version else ""
    proxy.envoy_version = _envoy_version(node)


def _is_waypoint(labels: dict[str, str], metadata: dict[str, Any]) -> bool:
    if labels.get("gateway.istio.io/managed") == "istio.io-mesh-controller":
        return True
    if labels.get("istio.io/dataplane-mode") == "waypoint":
        return True
    return "waypoint" in str(metadata.get("WORKLOAD_NAME", "")).lower() and bool(
        labels.get("gateway.networking.k8s.io/gateway-name")
    )


def _envoy_version(node: dict[str, Any]) -> str:
    build = node.get("user_agent_build_version")
    if isinstance(build, dict):
        version = build.get("version")
        if isinstance(version, dict):
            numbers = [str(version.get(k, 0)) for k in ("major_number", "minor_number", "patch")]
            return ".".join(numbers)
    legacy = node.get("build_version")
    if isinstance(legacy, str) and "/" in legacy:
        return legacy.split("/")[1]
    return ""
