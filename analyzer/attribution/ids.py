"""Enumerate a proxy's resources under their public ids.

Ids (a public contract): ``listener/<name>``, ``filter_chain/<listener>/<chain name or index>``,
``route_config/<name>``, ``virtual_host/<route_config>/<vhost>``,
``route/<route_config>/<vhost>/<index>``, ``cluster/<name>``, ``secret/<name>``.
Unnamed things get stable stand-ins: an unnamed listener is ``<address>_<port>`` (Istio's own
naming scheme), an unnamed inline route config takes its listener's name, and a chain without a
name is its index (``default`` for the default chain). Identical copies of one named inline route
config (virtualInbound repeats ``inbound|9080||`` per TLS mode) are one resource.
"""

from __future__ import annotations

from analyzer.attribution.model import Resource
from analyzer.model.envoy import Listener, Proxy, RouteConfig


def listener_key(listener: Listener) -> str:
    """The listener's name, or ``<address>_<port>`` when it has none."""
    if listener.name:
        return listener.name
    return f"{listener.address}_{listener.port if listener.port is not None else 0}"


def route_config_key(route_config: RouteConfig) -> str:
    """The route config's name, or for an unnamed inline one its listener's key."""
    if route_config.name:
        return route_config.name
    if route_config.inline_in:
        return route_config.inline_in.split("/", 1)[0]
    return ""


def enumerate_resources(proxy: Proxy) -> list[Resource]:
    """Every listener, chain, route config, vhost, route, cluster and secret, with ids."""
    out: list[Resource] = []
    seen: set[str] = set()

    def add(resource: Resource) -> None:
        if resource.id not in seen:
            seen.add(resource.id)
            out.append(resource)

    for listener in proxy.listeners:
        if listener.state.status != "active":
            continue
        lkey = listener_key(listener)
        listener_id = f"listener/{lkey}"
        add(Resource(listener_id, "listener", lkey, listener.state.status, listener))
        for chain in listener.all_chains:
            chain_id = f"filter_chain/{lkey}/{chain.key}"
            add(
                Resource(
                    chain_id, "filter_chain", chain.key, listener.state.status, chain, listener_id
                )
            )
    for route_config in proxy.route_configs:
        rkey = route_config_key(route_config)
        route_config_id = f"route_config/{rkey}"
        if route_config_id in seen:
            continue
        add(
            Resource(route_config_id, "route_config", rkey, route_config.state.status, route_config)
        )
        for vhost in route_config.virtual_hosts:
            vhost_id = f"virtual_host/{rkey}/{vhost.name}"
            add(Resource(vhost_id, "virtual_host", vhost.name, "active", vhost, route_config_id))
            for route in vhost.routes:
                route_id = f"route/{rkey}/{vhost.name}/{route.index}"
                add(Resource(route_id, "route", route.name, "active", route, vhost_id))
    for cluster in proxy.clusters:
        if cluster.state.status == "active":
            add(Resource(f"cluster/{cluster.name}", "cluster", cluster.name, "active", cluster))
    for secret in proxy.secrets:
        add(Resource(f"secret/{secret.name}", "secret", secret.name, secret.status.lower(), secret))
    return out
