"""Count resources in a raw admin config dump without using meshlens' loader.

Written separately from ``analyzer.load`` on purpose: tests compare the loader's model against
these independent counts.
"""

from __future__ import annotations

from typing import Any


def _entries(config: dict[str, Any], *keys: str) -> list[Any]:
    out: list[Any] = []
    for key in keys:
        out.extend(config.get(key) or [])
    return out


def count_resources(dump: dict[str, Any]) -> dict[str, int]:
    """Listeners (by state), route configs, virtual hosts, routes, clusters, endpoints, secrets."""
    counts = dict.fromkeys(
        (
            "listeners",
            "rejected",
            "route_configs",
            "virtual_hosts",
            "routes",
            "clusters",
            "warming_clusters",
            "endpoints",
            "secrets",
        ),
        0,
    )
    route_configs: list[dict[str, Any]] = []
    static_route_configs: list[dict[str, Any]] = []
    inline_route_configs: list[dict[str, Any]] = []
    for config in dump["configs"]:
        kind = config["@type"].rsplit(".", 1)[-1]
        if kind == "ListenersConfigDump":
            active = [e["listener"] for e in _entries(config, "static_listeners")]
            active += [
                e["active_state"]["listener"]
                for e in _entries(config, "dynamic_listeners")
                if "active_state" in e
            ]
            for listener in active:
                chains = listener.get("filter_chains", []) + (
                    [listener["default_filter_chain"]] if "default_filter_chain" in listener else []
                )
                for chain in chains:
                    for network_filter in chain.get("filters", []):
                        typed = network_filter.get("typed_config", {})
                        if "route_config" in typed:
                            inline_route_configs.append(typed["route_config"])
        if kind in ("DynamicCluster", "StaticCluster"):
            counts["clusters"] += 1
        elif kind == "ClustersConfigDump":
            counts["clusters"] += len(
                _entries(
                    config, "static_clusters", "dynamic_active_clusters", "dynamic_warming_clusters"
                )
            )
            counts["warming_clusters"] += len(_entries(config, "dynamic_warming_clusters"))
        elif kind == "ListenersConfigDump":
            counts["listeners"] += len(_entries(config, "static_listeners"))
            rejected_names = set()
            for entry in _entries(config, "dynamic_listeners"):
                for state in ("active_state", "warming_state", "draining_state"):
                    counts["listeners"] += state in entry
                if "error_state" in entry:
                    failed = entry["error_state"].get("failed_configuration", {})
                    rejected_names.add(entry.get("name") or failed.get("name", ""))
            counts["rejected"] += len(rejected_names)
            counts["listeners"] += len(rejected_names)
        elif kind == "RoutesConfigDump":
            route_configs.extend(
                e["route_config"] for e in _entries(config, "dynamic_route_configs")
            )
            static_route_configs.extend(
                e["route_config"] for e in _entries(config, "static_route_configs")
            )
        elif kind == "EndpointsConfigDump":
            for entry in _entries(config, "static_endpoint_configs", "dynamic_endpoint_configs"):
                for group in entry["endpoint_config"].get("endpoints", []):
                    counts["endpoints"] += len(group.get("lb_endpoints", []))
        elif kind == "SecretsConfigDump":
            counts["secrets"] += len(
                _entries(
                    config, "static_secrets", "dynamic_active_secrets", "dynamic_warming_secrets"
                )
            )
    # Envoy repeats inline HCM route configs under static_route_configs; count each once.
    unmatched = list(static_route_configs)
    for inline in inline_route_configs:
        same = [
            s
            for s in unmatched
            if s.get("name") == inline.get("name")
            and s.get("virtual_hosts") == inline.get("virtual_hosts")
        ]
        if same:
            unmatched.remove(same[0])
        route_configs.append(inline)
    route_configs.extend(unmatched)
    for route_config in route_configs:
        counts["route_configs"] += 1
        for vhost in route_config.get("virtual_hosts", []):
            counts["virtual_hosts"] += 1
            counts["routes"] += len(vhost.get("routes", []))
    return counts


def snake_to_camel(value: Any, verbatim: bool = False) -> Any:
    """Re-spell a snake_case dump the way istioctl's protojson does (Struct contents untouched)."""
    if isinstance(value, list):
        return [snake_to_camel(v, verbatim) for v in value]
    if not isinstance(value, dict) or verbatim:
        return value
    out = {}
    for key, child in value.items():
        head, *rest = key.split("_")
        camel = (
            head + "".join(part[:1].upper() + part[1:] for part in rest) if key[:1] != "@" else key
        )
        if key in (
            "filter_metadata",
            "typed_per_filter_config",
            "typed_extension_protocol_options",
        ):
            out[camel] = {k: snake_to_camel(v, key == "filter_metadata") for k, v in child.items()}
        elif (key == "metadata" and "id" in value) or (key == "config" and "name" in value):
            out[camel] = child  # node.metadata and v2 filter configs are Structs
        else:
            out[camel] = snake_to_camel(child)
    return out
