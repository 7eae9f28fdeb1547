"""Expected listeners and filter chains, and the ones the proxy lacks.

Sidecars (``core/listener.go``, ``listener_inbound.go``): every visible Service/ServiceEntry port
gets an outbound listener on that port (``0.0.0.0_<port>`` for HTTP, ``<vip>_<port>`` for TCP and
sniffed ports; any address is accepted since ClusterIPs are seldom in the YAML); every port of a
Service selecting the workload gets an inbound chain in ``virtualInbound`` matching its target
port (a per-pod-IP listener before 1.5). Gateways (``core/gateway.go``): every merged HTTP or
terminated HTTPS server gets listener ``<bind or 0.0.0.0>_<targetPort>`` with a chain using its
route config; TLS servers add a chain matching their hosts as SNI. TCP/passthrough servers are
not predicted (no VirtualService, no chain, no listener), nor ports below 1024 (unprivileged
gateways skip them), nor anything when the gateway Service is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.attribution.mesh import MeshIndex
from analyzer.expect.gateways import GatewayView, Server
from analyzer.expect.protocol import AUTO
from analyzer.expect.services import PortDecl, Registry, headless, service_ports
from analyzer.model.envoy import Listener
from analyzer.model.istio import IstioObject

_PROXY_PORTS = range(15000, 15100)
"""Ports Envoy/pilot-agent use themselves; Services on them collide with built-in listeners."""


@dataclass(frozen=True, slots=True)
class MissingListener:
    """A listener or filter chain the YAML calls for that the proxy does not have."""

    resource: str
    obj: IstioObject
    path: str
    expected: str
    found: str
    message: str


def _active(listeners: list[Listener]) -> list[Listener]:
    return [listener for listener in listeners if listener.state.status == "active"]


def missing_listeners(
    mesh: MeshIndex, registry: Registry, view: GatewayView
) -> list[MissingListener]:
    """Every listener/chain that should be on this proxy and is not (captured listeners only)."""
    listeners = _active(mesh.proxy.listeners)
    if not listeners:
        return []
    if mesh.proxy.kind == "sidecar":
        return _sidecar_outbound(registry, listeners) + _sidecar_inbound(mesh, listeners)
    if mesh.proxy.kind == "gateway" and view.ports_certain:
        return _gateway(view, listeners)
    return []


def _sidecar_outbound(registry: Registry, listeners: list[Listener]) -> list[MissingListener]:
    sidecar = registry.sidecar
    if sidecar is not None and any(
        isinstance(e, dict) and e.get("port") for e in sidecar.spec.get("egress") or ()
    ):
        return []  # egress listeners on custom ports: not predicted
    ports = {listener.port for listener in listeners}
    out = []
    seen: set[int] = set()
    for decl in registry.all_visible():
        if decl.number in ports or decl.number in seen or decl.number in _PROXY_PORTS:
            continue
        if decl.obj.kind == "Service" and headless(decl.obj) and decl.protocol in ("TCP", AUTO):
            continue  # per-endpoint listeners: none when there are no endpoints
        if "*" in decl.host and decl.protocol not in ("HTTP", "HTTP2", "GRPC", "GRPC-WEB"):
            continue
        seen.add(decl.number)
        out.append(_outbound(decl))
    return out


def _outbound(decl: PortDecl) -> MissingListener:
    name = (
        "0.0.0.0"
        if decl.protocol in ("HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY")
        else "<vip>"
    )
    return MissingListener(
        resource=f"listener/{name}_{decl.number}",
        obj=decl.obj,
        path=decl.path,
        expected=f"outbound listener on port {decl.number} ({decl.protocol.lower()} {decl.host})",
        found=f"no active listener on port {decl.number} (expected like {name}_{decl.number})",
        message=f"no outbound listener on port {decl.number} for {decl.host}",
    )


def _sidecar_inbound(mesh: MeshIndex, listeners: list[Listener]) -> list[MissingListener]:
    if not mesh.proxy.labels_known:
        return []
    inbound = next((item for item in listeners if item.name == "virtualInbound"), None)
    if inbound is None and any(item.state.status != "active" for item in mesh.proxy.listeners):
        return []  # virtualInbound rejected or warming: reported by the checks on states
    out = []
    for service in mesh.workload_services:
        for decl in service_ports(mesh, service):
            target = decl.target_port
            if target is None or target in _PROXY_PORTS:
                continue
            if inbound is not None and any(
                chain.match.destination_port == target for chain in inbound.all_chains
            ):
                continue
            if any(item.port == target and item.name != "virtualOutbound" for item in listeners):
                continue
            owner = "virtualInbound" if inbound is not None else f"0.0.0.0_{target}"
            resource = (
                f"filter_chain/virtualInbound/0.0.0.0_{target}"
                if inbound is not None
                else f"listener/{owner}"
            )
            out.append(
                MissingListener(
                    resource=resource,
                    obj=service,
                    path=decl.path,
                    expected=f"inbound chain for port {target} ({decl.host}:{decl.number})",
                    found=f"no {owner} chain or listener for port {target}",
                    message=f"no inbound chain for port {target} of {decl.host}",
                )
            )
    return out


def _gateway(view: GatewayView, listeners: list[Listener]) -> list[MissingListener]:
    by_name = {item.name: item for item in listeners}
    out = []
    for server in view.servers:
        if not server.is_http or server.target_port < 1024:
            continue
        listener = by_name.get(server.listener)
        if listener is None:
            out.append(
                MissingListener(
                    resource=f"listener/{server.listener}",
                    obj=server.gateway,
                    path=server.path,
                    expected=f"listener {server.listener} ({server.protocol} {server.number})",
                    found="no such listener",
                    message=f"no listener {server.listener} for this server",
                )
            )
            continue
        missing = _chain_missing(server, listener)
        if missing is not None:
            out.append(missing)
    return out


def _chain_missing(server: Server, listener: Listener) -> MissingListener | None:
    route = server.route_config
    names = {host.partition("/")[2] or host for host in server.hosts}
    for chain in listener.all_chains:
        if route and chain.rds_name != route:
            continue
        served = set(chain.match.server_names)
        if server.tls_mode is not None and "*" not in names and not names <= served:
            continue
        return None
    sni = f" and SNI {', '.join(sorted(names))}" if server.tls_mode is not None else ""
    return MissingListener(
        resource=f"listener/{server.listener}",
        obj=server.gateway,
        path=server.path,
        expected=f"a filter chain with route config {route}{sni}",
        found=f"chains: {', '.join(c.rds_name or c.key for c in listener.all_chains) or 'none'}",
        message=f"listener {server.listener} has no filter chain for this server",
    )
