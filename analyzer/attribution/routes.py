"""Attribute virtual hosts and routes to VirtualServices, Services and Gateway servers."""

from __future__ import annotations

from analyzer.attribution.defaults import DEFAULT_ROUTE_NAMES, DEFAULT_VIRTUAL_HOSTS
from analyzer.attribution.mesh import MeshIndex, gateway_api_route, parse_config_path
from analyzer.attribution.model import Source
from analyzer.attribution.sources import (
    dedupe,
    default,
    from_object,
    host_port_sources,
    inbound_metadata_sources,
    inferred,
    workload_port_sources,
)
from analyzer.attribution.vs_rules import RuleSlot, assign_rules, rule_slots
from analyzer.model.envoy import Route, VirtualHost
from analyzer.model.istio import IstioObject
from analyzer.model.values import host_covers


class RouteAttributor:
    """Attributes the vhosts and routes of one proxy (caches each VirtualService's rules)."""

    def __init__(self, mesh: MeshIndex) -> None:
        self.mesh = mesh
        self._slots: dict[int, list[RuleSlot]] = {}
        self._bound = [vs for vs in mesh.config.by_kind("VirtualService") if self._applies(vs)]
        # host -> (VirtualService, index in spec.hosts), exact hosts in a dict, wildcards apart:
        # a mesh has thousands of vhosts and VirtualServices; pairing them all is quadratic.
        self._exact: dict[str, list[tuple[IstioObject, int]]] = {}
        self._wildcard: list[tuple[str, IstioObject, int]] = []
        self._order = {id(vs): n for n, vs in enumerate(self._bound)}
        for virtual_service in self._bound:
            for index, vs_host in enumerate(virtual_service.spec.get("hosts") or ()):
                resolved = self.mesh.fqdn(str(vs_host), virtual_service.namespace)
                if "*" in resolved:
                    self._wildcard.append((resolved, virtual_service, index))
                else:
                    self._exact.setdefault(resolved, []).append((virtual_service, index))

    # --- VirtualService binding --------------------------------------------------------------

    def _applies(self, virtual_service: IstioObject) -> bool:
        gateways = [str(g) for g in virtual_service.spec.get("gateways") or ()]
        if self.mesh.proxy.kind == "sidecar" or not self.mesh.gateways:
            return not gateways or "mesh" in gateways
        names = set()
        for gateway in self.mesh.gateways:
            names.add(f"{gateway.namespace}/{gateway.name}")
            if gateway.namespace == virtual_service.namespace:
                names.add(gateway.name)
        return any(g in names for g in gateways)

    def host_entries(self, host: str) -> list[Source]:
        """VirtualService ``spec.hosts[k]`` entries, bound to this proxy, that cover ``host``."""
        found: dict[int, tuple[IstioObject, int]] = {}
        for virtual_service, index in self._exact.get(host, ()):
            found.setdefault(id(virtual_service), (virtual_service, index))
        for pattern, virtual_service, index in self._wildcard:
            if host_covers(pattern, host):
                found.setdefault(id(virtual_service), (virtual_service, index))
        # Report in load order, one entry per VirtualService (its first matching host).
        order = self._order
        ranked = sorted(found.items(), key=lambda item: (order[item[0]], item[1][1]))
        return [from_object(vs, f"spec.hosts[{index}]", "name") for _, (vs, index) in ranked]

    def slots(self, virtual_service: IstioObject) -> list[RuleSlot]:
        """The routes istiod would emit for the VirtualService (cached)."""
        key = id(virtual_service)
        found = self._slots.get(key)
        if found is None:
            found = rule_slots(virtual_service, self.mesh.fqdn)
            self._slots[key] = found
        return found

    # --- virtual hosts -----------------------------------------------------------------------

    def vhost_sources(self, vhost: VirtualHost, route_config_sources: list[Source]) -> list[Source]:
        """Sources of one virtual host."""
        note = DEFAULT_VIRTUAL_HOSTS.get(vhost.name)
        if note is not None:
            return [default(vhost.name, note)]
        if vhost.name.startswith("blackhole:"):
            return [default(vhost.name, "gateway port with no VirtualService bound (404 NR)")]
        if vhost.name.startswith("inbound|http|"):
            port_text = vhost.name.rsplit("|", 1)[1]
            port = int(port_text) if port_text.isdigit() else None
            if port:
                found = workload_port_sources(self.mesh, port, "name")
                found = found or inbound_metadata_sources(self.mesh, port)
                if found:
                    return found
            if route_config_sources and all(s.is_default for s in route_config_sources):
                return [default(vhost.name, "inbound passthrough vhost")]
            return list(route_config_sources)
        host, sep, port_text = vhost.name.rpartition(":")
        if not sep or not port_text.isdigit():
            return []
        port = int(port_text)
        sources: list[Source] = []
        if self.mesh.gateways:
            sources.extend(self._gateway_servers(host, port))
        else:
            sources.extend(host_port_sources(self.mesh, host, port, "name", for_vhost=True))
        sources.extend(self.host_entries(host))
        return dedupe(sources)

    def attribute_vhost(
        self, vhost: VirtualHost, route_config_sources: list[Source]
    ) -> tuple[list[Source], dict[int, list[Source]]]:
        """Sources of a vhost and of its routes.

        A VirtualService counts as a source of the vhost only when at least one route in it
        came from that VirtualService: one that exists but did not apply made nothing here.
        """
        candidates = self.vhost_sources(vhost, route_config_sources)
        routes = self.route_sources(vhost, candidates)
        owners = {s.ref for found in routes.values() for s in found}
        kept = [s for s in candidates if not s.ref.startswith("VirtualService/") or s.ref in owners]
        return kept, routes

    def _gateway_servers(self, host: str, port: int) -> list[Source]:
        out = []
        for gateway, index, server in self.mesh.gateway_servers():
            server_port = server.get("port")
            if not isinstance(server_port, dict) or server_port.get("number") != port:
                continue
            hosts = [str(h).split("/", 1)[-1] for h in server.get("hosts") or ()]
            if any(host_covers(h, host) or host_covers(host, h) for h in hosts):
                out.append(from_object(gateway, f"spec.servers[{index}]", "name"))
        return out

    # --- routes ------------------------------------------------------------------------------

    def route_sources(
        self, vhost: VirtualHost, vhost_sources: list[Source]
    ) -> dict[int, list[Source]]:
        """Sources of each route of a virtual host, by route index."""
        out: dict[int, list[Source]] = {}
        if vhost_sources and all(s.is_default for s in vhost_sources):
            for route in vhost.routes:
                out[route.index] = [default(route.name or vhost.name, "built-in route")]
            return out
        by_config: dict[str, list[Route]] = {}
        unmatched: list[Route] = []
        for route in vhost.routes:
            note = DEFAULT_ROUTE_NAMES.get(route.name)
            if note is not None:
                out[route.index] = [default(route.name, note)]
            elif route.istio_config:
                by_config.setdefault(route.istio_config, []).append(route)
            else:
                unmatched.append(route)
        for config_path, routes in by_config.items():
            out.update(self._metadata_routes(config_path, routes))
        if unmatched:
            out.update(self._unlabelled_routes(unmatched, vhost_sources))
        return out

    def _metadata_routes(self, config_path: str, routes: list[Route]) -> dict[int, list[Source]]:
        parsed = parse_config_path(config_path)
        if parsed is None:
            return {}
        virtual_service = self.mesh.config.get(*parsed)
        route_name = gateway_api_route(parsed[2]) if parsed[0] == "VirtualService" else None
        if virtual_service is None and route_name is not None:
            return self._gateway_api_routes(parsed[1], route_name, routes)
        if virtual_service is None:
            note = "VirtualService named in route metadata; its YAML was not given"
            source = inferred(parsed[0], parsed[1], parsed[2], "metadata", note)
            return {route.index: [source] for route in routes}
        assigned = assign_rules(routes, self.slots(virtual_service))
        out = {}
        for route in routes:
            slot = assigned.get(route.index)
            path = slot[0].rule_path if slot else None
            out[route.index] = [from_object(virtual_service, path, "metadata")]
        return out

    def _gateway_api_routes(
        self, namespace: str, route_name: str, routes: list[Route]
    ) -> dict[int, list[Source]]:
        """Routes istiod built from a Gateway API HTTPRoute (through a generated VirtualService)."""
        http_route = self.mesh.config.get("HTTPRoute", namespace, route_name)
        out = {}
        for route in routes:
            # Route names are ``<namespace>.<httproute>.<rule index>`` unless the rule is named.
            prefix = f"{namespace}.{route_name}."
            index = route.name.removeprefix(prefix) if route.name.startswith(prefix) else ""
            path = f"spec.rules[{index}]" if index.isdigit() else None
            if http_route is not None:
                out[route.index] = [from_object(http_route, path, "metadata")]
            else:
                note = "HTTPRoute behind a generated VirtualService; its YAML was not given"
                out[route.index] = [inferred("HTTPRoute", namespace, route_name, "metadata", note)]
        return out

    def _unlabelled_routes(
        self, routes: list[Route], vhost_sources: list[Source]
    ) -> dict[int, list[Source]]:
        out: dict[int, list[Source]] = {}
        remaining = list(routes)
        for source in vhost_sources:
            kind, _, rest = source.ref.partition("/")
            if kind != "VirtualService" or not remaining:
                continue
            namespace, _, name = rest.partition("/")
            virtual_service = self.mesh.config.get("VirtualService", namespace, name)
            if virtual_service is None:
                continue
            assigned = assign_rules(remaining, self.slots(virtual_service), strict=True)
            for route in remaining:
                if route.index in assigned:
                    slot, evidence = assigned[route.index]
                    out[route.index] = [
                        from_object(
                            virtual_service,
                            slot.rule_path,
                            "name" if evidence == "name" else "match",
                        )
                    ]
            remaining = [r for r in remaining if r.index not in out]
        services = [
            s for s in vhost_sources if not s.ref.startswith(("VirtualService/", "Gateway/"))
        ]
        for route in remaining:
            if services:
                out[route.index] = list(services)
        return out
