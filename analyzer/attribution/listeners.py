"""Attribute listeners, filter chains and route configurations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.attribution.defaults import (
    AGENT_PORTS,
    DEFAULT_CLUSTERS,
    DEFAULT_FILTER_CHAINS,
    DEFAULT_LISTENER_PORTS,
    DEFAULT_LISTENERS,
)
from analyzer.attribution.mesh import MeshIndex
from analyzer.attribution.model import Evidence, Source
from analyzer.attribution.sources import (
    config_object_source,
    dedupe,
    default,
    from_object,
    host_port_sources,
    inbound_metadata_sources,
    workload_port_sources,
)
from analyzer.model.envoy import FilterChain, Listener, RouteConfig
from analyzer.model.istio import IstioObject
from analyzer.model.values import host_covers

_WILDCARDS = ("0.0.0.0", "::", "[::]")
_PLAIN_HTTP = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})


def split_address_port(name: str) -> tuple[str, int] | None:
    """``10.96.0.1_443`` -> ("10.96.0.1", 443); ``udp_`` prefixes (QUIC) are dropped."""
    if name.startswith("udp_"):
        name = name[4:]
    address, sep, port = name.rpartition("_")
    if sep and port.isdigit() and address:
        return address, int(port)
    return None


def listener_sources(mesh: MeshIndex, listener: Listener, key: str) -> list[Source]:
    """Sources of one listener."""
    note = DEFAULT_LISTENERS.get(listener.name)
    if note is not None:
        return [default(listener.name, note)]
    if not listener.name and listener.port in DEFAULT_LISTENER_PORTS:
        return [default(key, DEFAULT_LISTENER_PORTS[listener.port])]
    parsed = split_address_port(listener.name)
    if parsed is None:
        return []
    address, port = parsed
    if port in (15001, 15006) and address in _WILDCARDS:
        return [default(key, "Istio's traffic capture listener")]
    if _serves_gateways(mesh):
        found = gateway_server_sources(mesh, port, address)
        if found:
            return found
    found = _port_sources(mesh, address, port, listener)
    if not found and mesh.proxy.kind == "sidecar":
        found = _destination_sources(mesh, listener)
    if not found and port in AGENT_PORTS and address in mesh.instance_ips:
        found = [default(key, AGENT_PORTS[port])]
    return found


def _serves_gateways(mesh: MeshIndex) -> bool:
    """Whether the proxy's listeners may come from Gateway servers (a gateway, or a proxy of
    unknown kind that Gateways select)."""
    return mesh.proxy.kind == "gateway" or bool(mesh.gateways)


def vhost_host_sources(mesh: MeshIndex, route_config: RouteConfig) -> list[Source]:
    """Services behind a sidecar route config's ``<host>:<port>`` vhosts (YAML not given).

    Memoised per proxy: the route config and the listener using it both ask, and on a large
    mesh the shared port's route config has a vhost per service.
    """
    cached = mesh.vhost_host_sources.get(id(route_config))
    if cached is None or cached[0] is not route_config:
        out: list[Source] = []
        for vhost in route_config.virtual_hosts:
            host, sep, port_text = vhost.name.rpartition(":")
            if sep and port_text.isdigit():
                out.extend(host_port_sources(mesh, host, int(port_text), "name"))
        cached = mesh.vhost_host_sources[id(route_config)] = (route_config, tuple(out))
    return list(cached[1])


def _destination_sources(mesh: MeshIndex, listener: Listener) -> list[Source]:
    """A per-VIP listener whose Service YAML is absent: name the Service its chains lead to."""
    out: list[Source] = []
    for chain in listener.filter_chains:
        out.extend(_chain_destination_sources(mesh, chain))
    return dedupe(out)


def _chain_destination_sources(mesh: MeshIndex, chain: FilterChain) -> list[Source]:
    """The Services (or ServiceEntries) one chain's tcp_proxy or routes lead to, by name."""
    out: list[Source] = []
    targets = [chain.tcp_cluster] if chain.tcp_cluster else []
    targets += [w.name for w in chain.tcp_weighted_clusters]
    if chain.inline_route_config:
        targets.append(chain.inline_route_config)
    for target in targets:
        parts = target.split("|")
        known = len(parts) == 4 and parts[0] in ("outbound", "inbound") and parts[1].isdigit()
        if known and parts[3]:
            out.extend(host_port_sources(mesh, parts[3], int(parts[1]), "name"))
    route_config = mesh.proxy.route_config(chain.rds_name) if chain.rds_name else None
    if route_config is not None and chain.rds_name and chain.rds_name.isdigit():
        out.extend(vhost_host_sources(mesh, route_config))
    if chain.rds_name and ":" in chain.rds_name:
        host, _, port_text = chain.rds_name.rpartition(":")
        if port_text.isdigit():
            out.extend(host_port_sources(mesh, host, int(port_text), "name"))
    return out


def _port_sources(
    mesh: MeshIndex, address: str, port: int, listener: Listener | None = None
) -> list[Source]:
    if address in mesh.instance_ips:
        # Istio <= 1.4 built one inbound listener per pod IP and target port.
        return workload_port_sources(mesh, port, "name") or inbound_metadata_sources(mesh, port)
    service = mesh.services_by_vip.get(address)
    if service is not None:
        return host_port_sources(
            mesh, f"{service.name}.{service.namespace}.svc.{mesh.domain}", port, "name"
        )
    if address in _WILDCARDS:
        # A shared wildcard listener exists for the services the proxy sees on that port:
        # those its routes or tcp_proxy name, else every declared port of that number.
        seen = _destination_sources(mesh, listener) if listener is not None else []
        return seen or [
            from_object(p.obj, p.path, "name") for p in mesh.ports_by_number.get(port, ())
        ]
    for entry in mesh.config.by_kind("ServiceEntry"):
        addresses = entry.spec.get("addresses") or ()
        if address in addresses:
            return [
                from_object(entry, p.path, "name") for p in mesh.ports_of(entry) if p.number == port
            ]
    return []


def gateway_server_sources(
    mesh: MeshIndex, target_port: int, bind: str = "0.0.0.0", plain_http_only: bool = False
) -> list[Source]:
    """Gateway servers whose port translates to ``target_port`` on this gateway."""
    out = []
    for gateway, index, server in mesh.gateway_servers():
        number, protocol = _server_port(server)
        if number is None or mesh.target_port(number) != target_port:
            continue
        server_bind = server.get("bind")
        if server_bind and bind not in _WILDCARDS and server_bind != bind:
            continue
        if plain_http_only and protocol not in _PLAIN_HTTP:
            continue
        out.append(from_object(gateway, f"spec.servers[{index}]", "name"))
    return out


def _server_port(server: Mapping[str, Any]) -> tuple[int | None, str]:
    port = server.get("port")
    if not isinstance(port, dict):
        return None, ""
    number = port.get("number")
    return (number if isinstance(number, int) else None), str(port.get("protocol", "")).upper()


def chain_sources(
    mesh: MeshIndex, listener: Listener, chain: FilterChain, listener_sources_: list[Source]
) -> list[Source]:
    """Sources of one filter chain."""
    note = DEFAULT_FILTER_CHAINS.get(chain.name)
    if note is not None:
        return [default(chain.name, note)]
    if chain.tcp_cluster == "BlackHoleCluster" and not chain.tcp_weighted_clusters:
        # Istio 1.4 guarded shared ports against loops to the pod's own IPs with such chains.
        return [default(listener.name or chain.listener, "drops traffic looping back to the pod")]
    if chain.istio_config:
        named = config_object_source(mesh, chain.istio_config, _chain_rule_path(mesh, chain))
        if named is not None:
            return [named]
    inbound_port = _inbound_chain_port(listener, chain)
    if inbound_port is not None:
        found = workload_port_sources(mesh, inbound_port, "name")
        found = found or inbound_metadata_sources(mesh, inbound_port)
        if not found and inbound_port in AGENT_PORTS:
            found = [default(chain.name or listener.name, AGENT_PORTS[inbound_port])]
        if not found and chain.inline_route_config:
            found = route_config_sources(
                mesh, RouteConfig(chain.inline_route_config, (), listener.state), ""
            )
        return found
    if listener.name in ("virtualInbound", "virtualOutbound"):
        return [default(chain.name or listener.name, "Istio passthrough / capture chain")]
    if chain.match.server_names and listener.port is not None:
        by_sni = _servers_for_sni(mesh, listener.port, chain.match.server_names)
        if by_sni:
            return by_sni
    if not _serves_gateways(mesh) and listener.address in _WILDCARDS:
        # A sidecar's shared outbound listener (0.0.0.0_443 with a chain per TLS host, say)
        # exists for every service on its port, but each chain for the one it forwards to.
        own = _chain_destination_sources(mesh, chain)
        if own:
            return dedupe(own)
    return list(listener_sources_)


def _inbound_chain_port(listener: Listener, chain: FilterChain) -> int | None:
    if listener.name != "virtualInbound":
        return None
    if chain.match.destination_port is not None and chain.match.destination_port != 15006:
        return chain.match.destination_port
    parsed = split_address_port(chain.name.removeprefix("inbound_"))
    return parsed[1] if parsed else None


def _chain_rule_path(mesh: MeshIndex, chain: FilterChain) -> str | None:
    """The ``spec.tls[i]`` / ``spec.tcp[i]`` rule of a VirtualService-built TLS/TCP chain."""
    from analyzer.attribution.mesh import parse_config_path

    parsed = parse_config_path(chain.istio_config or "")
    obj = mesh.config.get(*parsed) if parsed else None
    if obj is None:
        return None
    server_names = set(chain.match.server_names)
    for index, rule in enumerate(obj.spec.get("tls") or ()):
        for match in (rule.get("match") or ()) if isinstance(rule, dict) else ():
            if isinstance(match, dict) and server_names & set(match.get("sniHosts") or ()):
                return f"spec.tls[{index}]"
    tcp = obj.spec.get("tcp") or ()
    return "spec.tcp[0]" if len(tcp) == 1 else None


def _servers_for_sni(mesh: MeshIndex, target_port: int, names: tuple[str, ...]) -> list[Source]:
    out = []
    for gateway, index, server in mesh.gateway_servers():
        number, _protocol = _server_port(server)
        if number is None or mesh.target_port(number) != target_port:
            continue
        hosts = [str(h).split("/", 1)[-1] for h in server.get("hosts") or ()]
        if any(host_covers(h, n) for h in hosts for n in names):
            out.append(from_object(gateway, f"spec.servers[{index}]", "name"))
    return out


def route_config_sources(mesh: MeshIndex, route_config: RouteConfig, key: str) -> list[Source]:
    """Sources of one route configuration."""
    name = route_config.name
    if not name:
        return (
            [default(key, "bootstrap listener's inline routes")] if route_config.inline_in else []
        )
    if name in DEFAULT_CLUSTERS:
        return [default(name, "Istio's inbound passthrough routes")]
    parts = name.split("|")
    if len(parts) == 4 and parts[0] in ("inbound", "inbound-vip"):
        port = int(parts[1]) if parts[1].isdigit() else None
        if parts[3]:
            return host_port_sources(mesh, parts[3], port, "name")
        if port is not None:
            return workload_port_sources(mesh, port, "name") or inbound_metadata_sources(mesh, port)
        return []
    if name.isdigit():
        # The services with a vhost here made it; the port's declarations are the fallback.
        found = vhost_host_sources(mesh, route_config)
        declared = mesh.ports_by_number.get(int(name), ())
        return dedupe(found or [from_object(p.obj, p.path, "name") for p in declared])
    gateway_sources = _gateway_route_config(mesh, name)
    if gateway_sources is not None:
        return gateway_sources
    host, sep, port_text = name.rpartition(":")
    if sep and port_text.isdigit():
        return host_port_sources(mesh, host, int(port_text), "name")
    return []


def _gateway_route_config(mesh: MeshIndex, name: str) -> list[Source] | None:
    parts = name.split(".")
    if parts[0] == "http" and len(parts) >= 2 and parts[1].isdigit():
        bind = ".".join(parts[2:]) or "0.0.0.0"
        return gateway_server_sources(mesh, int(parts[1]), bind, plain_http_only=True)
    if parts[0] == "https" and len(parts) >= 5 and parts[1].isdigit():
        port, port_name = int(parts[1]), parts[2]
        gateway_name, namespace = ".".join(parts[3:-1]), parts[-1]
        gateway = mesh.config.get("Gateway", namespace, gateway_name)
        if gateway is None:
            return []
        return _servers_named(gateway, port, port_name)
    return None


def _servers_named(gateway: IstioObject, port: int, port_name: str) -> list[Source]:
    out = []
    for index, server in enumerate(gateway.spec.get("servers") or ()):
        if not isinstance(server, dict):
            continue
        server_port = server.get("port")
        if (
            isinstance(server_port, dict)
            and server_port.get("number") == port
            and str(server_port.get("name", "")) == port_name
        ):
            evidence: Evidence = "name"
            out.append(from_object(gateway, f"spec.servers[{index}]", evidence))
    return out
