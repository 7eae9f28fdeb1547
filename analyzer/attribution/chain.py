"""Walk the Envoy resource graph around one resource: who uses it, and what it leads to.

listener -> filter_chain -> route_config -> virtual_host -> route -> cluster -> endpoints,
with filter chains also leading straight to clusters (tcp_proxy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.attribution.ids import route_config_key
from analyzer.attribution.model import Attribution, Resource
from analyzer.model.envoy import Cluster, Endpoint, FilterChain, Route, RouteConfig, VirtualHost


@dataclass
class Node:
    """A resource in the downstream tree of an explanation."""

    resource: Resource
    children: list[Node] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Ids the resource points at that the dump does not hold (a cluster not in CDS, ...)."""


class ResourceGraph:
    """Parent/child links between a proxy's resources, built once per attribution."""

    def __init__(self, attribution: Attribution) -> None:
        self.attribution = attribution
        self.by_id = {r.id: r for r in attribution.resources}
        self._users: dict[str, list[str]] = {}
        self._targets: dict[str, list[str]] = {}
        self._endpoints: dict[str, list[Endpoint]] = {}
        for endpoint in attribution.proxy.endpoints:
            self._endpoints.setdefault(endpoint.cluster, []).append(endpoint)
        for resource in attribution.resources:
            self._link(resource)

    def _add(self, parent: str, child: str) -> None:
        self._targets.setdefault(parent, []).append(child)
        self._users.setdefault(child, []).append(parent)

    def _link(self, resource: Resource) -> None:
        obj = resource.obj
        if resource.parent and not isinstance(obj, RouteConfig):
            self._add(resource.parent, resource.id)
        if isinstance(obj, FilterChain):
            if obj.rds_name is not None:
                self._add(resource.id, f"route_config/{obj.rds_name}")
            if obj.inline_route_config is not None:
                # An unnamed inline route config goes by its listener's key (see ids.py).
                listener_key = (resource.parent or "/").split("/", 1)[1]
                self._add(resource.id, f"route_config/{obj.inline_route_config or listener_key}")
            clusters = [obj.tcp_cluster] if obj.tcp_cluster else []
            clusters += [w.name for w in obj.tcp_weighted_clusters]
            for cluster in clusters:
                self._add(resource.id, f"cluster/{cluster}")
        elif isinstance(obj, Route):
            for cluster in (*obj.clusters, *obj.mirror_clusters):
                self._add(resource.id, f"cluster/{cluster}")

    def users(self, resource_id: str) -> list[str]:
        """Ids of resources that point at this one."""
        return self._users.get(resource_id, [])

    def targets(self, resource_id: str) -> list[str]:
        """Ids this resource points at (children and referenced resources)."""
        return self._targets.get(resource_id, [])

    def upstream_paths(self, resource_id: str, limit: int = 20) -> list[list[str]]:
        """Paths from a root (usually a listener) down to the resource, root first."""
        paths: list[list[str]] = []

        def walk(current: str, trail: list[str]) -> None:
            if len(paths) >= limit:
                return
            parents = [p for p in self.users(current) if p not in trail]
            if not parents:
                paths.append(list(reversed(trail)))
                return
            for parent in parents:
                walk(parent, [*trail, parent])

        walk(resource_id, [resource_id])
        return [p for p in paths if len(p) > 1]

    def downstream(self, resource_id: str, depth: int = 8) -> Node:
        """The tree of what this resource leads to, down to endpoints."""
        resource = self.by_id[resource_id]
        node = Node(resource)
        obj = resource.obj
        if isinstance(obj, Cluster):
            node.endpoints = self._endpoints.get(obj.eds_service_name or obj.name, []) or (
                self._endpoints.get(obj.name, [])
            )
            return node
        if depth <= 0:
            return node
        targets = self.targets(resource_id)
        if isinstance(obj, RouteConfig):
            key = route_config_key(obj)
            targets = [f"virtual_host/{key}/{v.name}" for v in obj.virtual_hosts]
        elif isinstance(obj, VirtualHost):
            key = (resource.parent or "/").split("/", 1)[1]
            targets = [f"route/{key}/{obj.name}/{r.index}" for r in obj.routes]
        for target in targets:
            if target in self.by_id:
                node.children.append(self.downstream(target, depth - 1))
            else:
                node.missing.append(target)
        return node
