"""The Gateway servers istiod merges for one gateway proxy, and those it silently skips.

Follows ``pilot/pkg/model/gateway.go`` (mergeGateways, resolvePorts, gatewayRDSRouteName): every
Gateway whose selector matches the pod's labels is merged, oldest first. A server port is
translated through the gateway Service (port -> targetPort); with label selection and no matching
Service port the server binds the port as written. Skipped while merging (counted in
``pilot_total_rejected_configs``, nothing in the dump): a TLS server repeating a host already
served with TLS on that port and bind; a server whose protocol cannot share the port with the
plain-text server already there; an HTTPS server whose RDS name is taken; a TLS server without
``tls`` settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.attribution.mesh import MeshIndex, selector_matches
from analyzer.expect.common import creation_order, live_objects
from analyzer.expect.protocol import AUTO, entry_port_protocol, is_http
from analyzer.expect.services import service_ports
from analyzer.model.istio import IstioObject


@dataclass(frozen=True, slots=True)
class Server:
    """One server of a Gateway selecting this proxy, resolved to the port the proxy listens on."""

    gateway: IstioObject
    index: int
    spec: Mapping[str, Any]
    number: int
    port_name: str
    protocol: str
    bind: str
    target_port: int
    hosts: tuple[str, ...]
    tls_mode: str | None
    """``SIMPLE``, ``MUTUAL``, ``PASSTHROUGH`` ... or None without ``tls``."""

    @property
    def path(self) -> str:
        """Rule path of the server."""
        return f"spec.servers[{self.index}]"

    @property
    def gateway_name(self) -> str:
        """``namespace/name`` of the Gateway."""
        return f"{self.gateway.namespace}/{self.gateway.name}"

    @property
    def is_http(self) -> bool:
        """Plain HTTP, or HTTPS terminated here: served by an HCM with RDS."""
        if is_http(self.protocol):
            return True
        return self.protocol == "HTTPS" and self.tls_mode is not None and not self.passthrough

    @property
    def passthrough(self) -> bool:
        """TLS passthrough (manual or AUTO_PASSTHROUGH)."""
        return self.tls_mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH")

    @property
    def is_tls_server(self) -> bool:
        """Istio's IsTLSServer: TLS settings on a non-HTTP protocol."""
        return self.tls_mode is not None and not is_http(self.protocol)

    @property
    def route_config(self) -> str | None:
        """``http.<targetPort>`` or ``https.<port>.<portName>.<gw>.<ns>`` (plus ``.<bind>``)."""
        bind = f".{self.bind}" if self.bind else ""
        if is_http(self.protocol):
            return f"http.{self.target_port}{bind}"
        if self.protocol == "HTTPS" and not self.passthrough:
            gateway = self.gateway
            return f"https.{self.number}.{self.port_name}.{gateway.name}.{gateway.namespace}{bind}"
        return None

    @property
    def listener(self) -> str:
        """The listener istiod binds for this server."""
        return f"{self.bind or '0.0.0.0'}_{self.target_port}"

    def host_entries(self) -> list[tuple[str, str]]:
        """(namespace restriction or ``*``, host) of each ``hosts`` entry."""
        out = []
        for entry in self.hosts:
            namespace, sep, host = entry.partition("/")
            if not sep:
                namespace, host = "*", entry
            elif namespace == ".":
                namespace = self.gateway.namespace
            out.append((namespace, host))
        return out


@dataclass(frozen=True, slots=True)
class SkippedServer:
    """A server istiod drops while merging, with the reason and the server that won."""

    server: Server
    reason: str
    kind: str
    """``port-not-on-service``, ``protocol-clash``, ``duplicate-tls-host``, ``missing-tls``."""


@dataclass
class GatewayView:
    """The merged Gateway configuration of one gateway proxy."""

    gateways: list[IstioObject] = field(default_factory=list)
    selection_certain: bool = False
    """True when the proxy's labels are known, so Gateway selectors were really checked."""
    services: list[IstioObject] = field(default_factory=list)
    """Services selecting the gateway pod in its namespace (port translation)."""
    servers: list[Server] = field(default_factory=list)
    skipped: list[SkippedServer] = field(default_factory=list)
    order_certain: bool = True

    @property
    def ports_certain(self) -> bool:
        """True when the gateway Service is known, so listener ports can be predicted."""
        return self.selection_certain and bool(self.services)

    @property
    def names(self) -> set[str]:
        """``namespace/name`` of every Gateway selecting this proxy."""
        return {f"{g.namespace}/{g.name}" for g in self.gateways}


def gateway_services(mesh: MeshIndex) -> list[IstioObject]:
    """Services in the proxy's namespace whose selector matches the gateway pod."""
    labels = mesh.proxy.labels
    out = []
    for service in live_objects(mesh.config, "Service"):
        selector = service.spec.get("selector")
        if service.namespace != mesh.proxy.namespace or not isinstance(selector, dict):
            continue
        if labels and selector_matches(selector, labels):
            out.append(service)
    return out


def _resolve_port(number: int, services: list[IstioObject], mesh: MeshIndex) -> int | None:
    """Target port of a server port (resolvePorts, label selection); None when on no Service."""
    for service in services:
        for decl in service_ports(mesh, service):
            if decl.number == number:
                return decl.target_port if decl.target_port is not None else number
    return None


def _server(gateway: IstioObject, index: int, spec: Mapping[str, Any], target: int) -> Server:
    port = spec.get("port") if isinstance(spec.get("port"), dict) else {}
    assert isinstance(port, dict)
    tls = spec.get("tls")
    mode = str(tls.get("mode") or "SIMPLE").upper() if isinstance(tls, dict) else None
    hosts = tuple(str(h) for h in spec.get("hosts") or ())
    return Server(
        gateway=gateway,
        index=index,
        spec=spec,
        number=int(port.get("number", 0)),
        port_name=str(port.get("name") or ""),
        protocol=entry_port_protocol(port),
        bind=str(spec.get("bind") or ""),
        target_port=target,
        hosts=hosts,
        tls_mode=mode,
    )


def gateway_view(mesh: MeshIndex) -> GatewayView:
    """Merge the Gateways selecting this proxy the way istiod does."""
    view = GatewayView()
    if mesh.proxy.kind not in ("gateway", "unknown") or not mesh.gateways:
        return view
    live = {id(g) for g in live_objects(mesh.config, "Gateway")}
    ordered, view.order_certain = creation_order([g for g in mesh.gateways if id(g) in live])
    view.gateways = ordered
    view.selection_certain = mesh.proxy.labels_known and mesh.proxy.kind == "gateway"
    view.services = gateway_services(mesh)
    tls_hosts: dict[int, dict[str, tuple[str, Server]]] = {}
    plain: dict[int, Server] = {}
    taken_ports: dict[int, Server] = {}
    route_names: set[str] = set()
    for gateway in ordered:
        for index, spec in enumerate(gateway.spec.get("servers") or ()):
            if not isinstance(spec, dict) or not isinstance(spec.get("port"), dict):
                continue
            number = spec["port"].get("number")
            if not isinstance(number, int):
                continue
            resolved = _resolve_port(number, view.services, mesh)
            server = _server(gateway, index, spec, resolved if resolved is not None else number)
            if resolved is None and view.ports_certain:
                reason = (
                    f"port {number} is not a port of the gateway Service "
                    f"{_names(view.services)}: istiod listens on {number} as written, which the "
                    "Service never forwards to"
                )
                view.skipped.append(SkippedServer(server, reason, "port-not-on-service"))
            skip = _merge_one(server, tls_hosts, plain, taken_ports, route_names)
            if skip is not None:
                view.skipped.append(skip)
            else:
                view.servers.append(server)
    if not view.selection_certain:
        # Without the pod's labels every Gateway is a candidate: clashes between Gateways that
        # select different workloads would be invented.
        view.skipped = []
    return view


def _names(services: list[IstioObject]) -> str:
    return ", ".join(f"{s.namespace}/{s.name}" for s in services)


def _merge_one(
    server: Server,
    tls_hosts: dict[int, dict[str, tuple[str, Server]]],
    plain: dict[int, Server],
    taken: dict[int, Server],
    route_names: set[str],
) -> SkippedServer | None:
    port = server.target_port
    if server.protocol in ("HTTPS", "TLS") and server.tls_mode is None:
        reason = (
            f"{server.protocol} server without tls settings: istiod cannot terminate or route it"
        )
        return SkippedServer(server, reason, "missing-tls")
    if server.tls_mode is not None:
        known = tls_hosts.setdefault(port, {})
        dupes = [h for h in server.hosts if h in known and known[h][0] == server.bind]
        if dupes:
            first = known[dupes[0]][1]
            reason = (
                f"host {dupes[0]} is already served with TLS on port {port} by "
                f"Gateway {first.gateway_name} {first.path}: istiod skips the whole server"
            )
            return SkippedServer(server, reason, "duplicate-tls-host")
        for host in server.hosts:
            known[host] = (server.bind, server)
    route = server.route_config or ""
    if port in taken:
        current = plain.get(port)
        if current is not None:
            mergeable = (is_http(server.protocol) or server.protocol == current.protocol) and (
                is_http(current.protocol)
            )
            if current.bind == server.bind and (not mergeable or not route):
                reason = (
                    f"{server.protocol} on port {port} clashes with the {current.protocol} server "
                    f"of Gateway {current.gateway_name} {current.path} already there"
                )
                return SkippedServer(server, reason, "protocol-clash")
        elif server.is_http and route in route_names and server.protocol == "HTTPS":
            reason = f"HTTPS route name {route} is already used by another server"
            return SkippedServer(server, reason, "protocol-clash")
        elif server.tls_mode is None and server.protocol != AUTO:
            reason = (
                f"{server.protocol} server on port {port}, already used by TLS servers, "
                "has no tls settings"
            )
            return SkippedServer(server, reason, "protocol-clash")
    else:
        taken[port] = server
        if not server.is_tls_server:
            plain[port] = server
    if route:
        route_names.add(route)
    return None
