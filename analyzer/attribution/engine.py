"""attribute(proxy, config): every Envoy resource of one proxy -> the Istio sources behind it."""

from __future__ import annotations

from analyzer.attribution.clusters import cluster_sources
from analyzer.attribution.ids import enumerate_resources, listener_key, route_config_key
from analyzer.attribution.listeners import chain_sources, listener_sources, route_config_sources
from analyzer.attribution.mesh import MeshIndex
from analyzer.attribution.model import Attribution, Source
from analyzer.attribution.routes import RouteAttributor
from analyzer.attribution.sources import default
from analyzer.model.envoy import Cluster, FilterChain, Listener, Proxy, RouteConfig, Secret
from analyzer.model.istio import IstioConfig

_BOOTSTRAP_SECRETS = {
    "default": "the workload certificate pilot-agent serves over SDS",
    "ROOTCA": "the mesh root certificate pilot-agent serves over SDS",
}


_PER_VHOST = frozenset({"virtual_host", "route"})


def empty_config() -> IstioConfig:
    """An IstioConfig with nothing in it, for analysing a dump on its own."""
    return IstioConfig(objects=(), skipped=(), problems=(), files=())


def attribute(proxy: Proxy, config: IstioConfig | None = None) -> Attribution:
    """Attribute every active resource of ``proxy`` using the Istio objects in ``config``."""
    mesh = MeshIndex.build(config or empty_config(), proxy)
    routes = RouteAttributor(mesh)
    resources = enumerate_resources(proxy)
    sources: dict[str, list[Source]] = {}
    listener_cache: dict[str, list[Source]] = {}
    route_config_cache: dict[str, list[Source]] = {}
    vhost_cache: dict[str, list[Source]] = {}
    for resource in resources:
        if resource.type in _PER_VHOST:
            continue  # below, with their vhost
        obj = resource.obj
        if isinstance(obj, Listener):
            found = listener_sources(mesh, obj, listener_key(obj))
            listener_cache[resource.id] = found
        elif isinstance(obj, FilterChain):
            listener = mesh.proxy.listener(obj.listener) if obj.listener else None
            owner = listener or _listener_of(proxy, resource.parent)
            found = (
                chain_sources(mesh, owner, obj, listener_cache.get(resource.parent or "", []))
                if owner is not None
                else []
            )
        elif isinstance(obj, RouteConfig):
            found = route_config_sources(mesh, obj, route_config_key(obj))
            route_config_cache[resource.id] = found
        elif isinstance(obj, Cluster):
            found = cluster_sources(mesh, obj)
        elif isinstance(obj, Secret):
            found = _secret_sources(obj)
        else:
            continue
        sources[resource.id] = found
    # Vhosts and routes are done per route config, since routes depend on their vhost.
    for resource in resources:
        if resource.type != "route_config":
            continue
        route_config = resource.obj
        assert isinstance(route_config, RouteConfig)
        for vhost in route_config.virtual_hosts:
            vhost_id = f"virtual_host/{resource.name}/{vhost.name}"
            if vhost_id in vhost_cache:
                continue
            vhost_found, route_sources = routes.attribute_vhost(
                vhost, route_config_cache.get(resource.id, [])
            )
            vhost_cache[vhost_id] = vhost_found
            sources[vhost_id] = vhost_found
            for index, route_found in route_sources.items():
                sources[f"route/{resource.name}/{vhost.name}/{index}"] = route_found
    for resource in resources:
        sources.setdefault(resource.id, [])
    return Attribution(proxy=proxy, resources=resources, sources=sources, mesh=mesh)


def _listener_of(proxy: Proxy, listener_id: str | None) -> Listener | None:
    if not listener_id:
        return None
    key = listener_id.split("/", 1)[1]
    for listener in proxy.listeners:
        if listener_key(listener) == key and listener.state.status == "active":
            return listener
    return None


def _secret_sources(secret: Secret) -> list[Source]:
    note = _BOOTSTRAP_SECRETS.get(secret.name)
    if note is not None:
        return [default(secret.name, note)]
    return []
