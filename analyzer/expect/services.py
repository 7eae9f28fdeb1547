"""The service registry as one proxy sees it: Services and ServiceEntries, their ports, visibility.

istiod gives a proxy every Service and ServiceEntry exported to its namespace (``exportTo``, the
``networking.istio.io/exportTo`` annotation), narrowed by the ``egress`` hosts of the Sidecar
resource that applies to it (one selecting the workload, else the namespace's, else the root
namespace's). UDP and SCTP ports get nothing; ExternalName Services are left out (aliases).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.attribution.mesh import MeshIndex, selector_matches
from analyzer.expect.common import live_objects, visible_to
from analyzer.expect.protocol import entry_port_protocol, service_port_protocol
from analyzer.model.istio import IstioObject
from analyzer.model.values import as_int, host_covers

ROOT_NAMESPACE = "istio-system"
"""meshConfig.rootNamespace by default: its Sidecar/DestinationRule apply mesh-wide."""


# Plain slotted rather than frozen: one per Service port of the mesh, and frozen initialisation
# costs about three times as much. Never modified after creation.
@dataclass(slots=True)
class PortDecl:
    """One host × port of a Service or ServiceEntry."""

    obj: IstioObject
    host: str
    number: int
    name: str
    protocol: str
    index: int
    """Position in ``spec.ports``."""
    target_port: int | None = None
    """Numeric targetPort of a Service port (None when named or absent on a ServiceEntry)."""

    @property
    def path(self) -> str:
        """Rule path of the port declaration."""
        return f"spec.ports[{self.index}]"

    @property
    def namespace(self) -> str:
        """Namespace of the declaring object."""
        return self.obj.namespace


def resolve_host(host: str, namespace: str, domain: str) -> str:
    """istiod's short-name rule: only a name without dots gets ``.<ns>.svc.<domain>``."""
    if not host or host == "*" or "." in host or ":" in host:
        return host
    return f"{host}.{namespace}.svc.{domain}"


def ambiguous_short_host(host: str) -> bool:
    """``reviews.default`` / ``reviews.default.svc``: istiod keeps them as written (not FQDNs)."""
    dots = host.count(".")
    return dots == 1 or (dots == 2 and host.endswith(".svc"))


def service_ports(mesh: MeshIndex, service: IstioObject) -> list[PortDecl]:
    """The TCP ports of a Kubernetes Service (none for UDP/SCTP ports, ExternalName Services)."""
    if service.spec.get("type") == "ExternalName":
        return []
    host = f"{service.name}.{service.namespace}.svc.{mesh.domain}"
    out = []
    for index, port in enumerate(service.spec.get("ports") or ()):
        if not isinstance(port, dict):
            continue
        number = as_int(port.get("port"))
        protocol = service_port_protocol(port)
        if number is None or protocol in ("UDP", "SCTP"):
            continue
        target = port.get("targetPort")
        target_port = number if target is None else as_int(target)
        name = str(port.get("name") or "")
        out.append(PortDecl(service, host, number, name, protocol, index, target_port))
    return out


def entry_ports(entry: IstioObject) -> list[PortDecl]:
    """Every host × port of a ServiceEntry (UDP ports give none)."""
    out: list[PortDecl] = []
    hosts = [h for h in entry.spec.get("hosts") or () if isinstance(h, str)]
    for index, port in enumerate(entry.spec.get("ports") or ()):
        if not isinstance(port, dict):
            continue
        number = as_int(port.get("number"))
        protocol = entry_port_protocol(port)
        if number is None or protocol == "UDP":
            continue
        target = as_int(port.get("targetPort"))
        name = str(port.get("name") or "")
        out.extend(PortDecl(entry, host, number, name, protocol, index, target) for host in hosts)
    return out


def headless(service: IstioObject) -> bool:
    """True for ``clusterIP: None`` Services."""
    return str(service.spec.get("clusterIP", "")) == "None"


@dataclass
class Registry:
    """Declared hosts and ports, indexed by host, from one proxy's point of view."""

    mesh: MeshIndex
    namespace: str
    ports_by_host: dict[str, list[PortDecl]]
    sidecar: IstioObject | None
    owners: dict[str, list[IstioObject]]
    """Host -> the Services/ServiceEntries naming it (with or without ports)."""
    _sole: dict[str, tuple[bool, int | None]] = field(default_factory=dict, repr=False)
    _all_visible: list[PortDecl] | None = field(default=None, repr=False)

    @classmethod
    def build(cls, mesh: MeshIndex, namespace: str) -> Registry:
        """Index the live Services and ServiceEntries of ``mesh``."""
        ports: dict[str, list[PortDecl]] = {}
        owners: dict[str, list[IstioObject]] = {}
        for service in live_objects(mesh.config, "Service"):
            host = f"{service.name}.{service.namespace}.svc.{mesh.domain}"
            owners.setdefault(host, []).append(service)
            for decl in service_ports(mesh, service):
                ports.setdefault(decl.host, []).append(decl)
        for entry in live_objects(mesh.config, "ServiceEntry"):
            for host in entry.spec.get("hosts") or ():
                owners.setdefault(str(host), []).append(entry)
            for decl in entry_ports(entry):
                ports.setdefault(decl.host, []).append(decl)
        return cls(mesh, namespace, ports, sidecar_for(mesh, namespace), owners)

    def declarations(self, host: str) -> list[PortDecl]:
        """Every declaration of ``host`` (exact, else the ServiceEntry wildcards covering it)."""
        found = self.ports_by_host.get(host)
        if found:
            return found
        out: list[PortDecl] = []
        for pattern, decls in self.ports_by_host.items():
            if pattern.startswith("*") and host_covers(pattern, host):
                out.extend(decls)
        return out

    def sole_declaration(self, host: str) -> tuple[bool, int | None]:
        """Whether one object alone declares ``host`` exactly, and its port if it has just one.

        Asked for every route destination without a port (memoised: few hosts, many routes).
        """
        found = self._sole.get(host)
        if found is None:
            declared = [d for d in self.declarations(host) if d.host == host]
            ports = {d.number for d in declared}
            alone = len({id(d.obj) for d in declared}) == 1
            found = self._sole[host] = (alone, ports.pop() if alone and len(ports) == 1 else None)
        return found

    def visible(self, decl: PortDecl, namespace: str | None = None) -> bool:
        """Exported to ``namespace`` (the proxy's by default) and imported by its Sidecar."""
        namespace = self.namespace if namespace is None else namespace
        if not visible_to(decl.obj, namespace):
            return False
        return namespace != self.namespace or imported(self.sidecar, decl.namespace, decl.host)

    def visible_ports(self, host: str, namespace: str | None = None) -> list[PortDecl]:
        """The visible declarations of ``host``."""
        return [d for d in self.declarations(host) if self.visible(d, namespace)]

    def all_visible(self) -> list[PortDecl]:
        """Every visible declaration (exact hosts only, in load order); cached, do not modify."""
        if self._all_visible is None:
            self._all_visible = [
                d for decls in self.ports_by_host.values() for d in decls if self.visible(d)
            ]
        return self._all_visible

    def owners_of(self, host: str) -> list[IstioObject]:
        """Services/ServiceEntries naming ``host`` (exactly, else through a wildcard host)."""
        found = self.owners.get(host)
        if found:
            return found
        return [
            obj
            for pattern, objs in self.owners.items()
            if pattern.startswith("*") and host_covers(pattern, host)
            for obj in objs
        ]

    def known(self, host: str) -> bool:
        """True when some Service or ServiceEntry declares ``host`` (visible or not)."""
        return bool(self.owners_of(host)) or any(
            host_covers(host, h) for h in self.owners if host.startswith("*")
        )


def sidecar_for(mesh: MeshIndex, namespace: str) -> IstioObject | None:
    """The Sidecar resource scoping this proxy, if the inputs give one."""
    labels = mesh.proxy.labels
    candidates = [s for s in live_objects(mesh.config, "Sidecar") if s.namespace == namespace]
    for sidecar in candidates:
        selector = sidecar.spec.get("workloadSelector")
        wanted = selector.get("labels") if isinstance(selector, dict) else None
        if isinstance(wanted, dict) and selector_matches(wanted, labels):
            return sidecar
    for sidecar in candidates:
        if not sidecar.spec.get("workloadSelector"):
            return sidecar
    for sidecar in live_objects(mesh.config, "Sidecar"):
        if sidecar.namespace == ROOT_NAMESPACE and not sidecar.spec.get("workloadSelector"):
            return sidecar
    return None


def imported(sidecar: IstioObject | None, namespace: str, host: str) -> bool:
    """Whether the Sidecar's egress hosts (``ns/host``) import ``host`` of ``namespace``."""
    if sidecar is None:
        return True
    egress = sidecar.spec.get("egress")
    if not isinstance(egress, list) or not egress:
        return True
    for listener in egress:
        for entry in (listener.get("hosts") or ()) if isinstance(listener, dict) else ():
            ns, sep, pattern = str(entry).partition("/")
            if not sep:
                continue
            ns = sidecar.namespace if ns == "." else ns
            if ns == "~":
                continue
            if (ns == "*" or ns == namespace) and host_covers(pattern, host):
                return True
    return False
