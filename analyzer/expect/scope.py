"""Which VirtualServices apply to this proxy, and why the others are no-ops here.

A VirtualService binds to the gateways it lists (``mesh`` when it lists none); names without a
namespace are in the VirtualService's namespace. Sidecars take the ``mesh`` ones exported to their
namespace; gateway proxies take those bound to a Gateway selecting them, exported to the proxy's
namespace, for the hosts the Gateway servers accept. Among sidecar VirtualServices for the same
host istiod keeps one (namespace-private ones first, then those exported to the namespace by
name, then public ones; oldest first within each) and drops the later one's vhost
(``pilot_vservice_dup_domain``); on gateways they are concatenated instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.attribution.mesh import MeshIndex, selector_matches
from analyzer.expect.common import (
    UNSURE_ORDER,
    creation_order,
    export_to,
    exported_privately,
    hosts_intersect,
    live_objects,
    visible_to,
)
from analyzer.expect.gateways import GatewayView, Server
from analyzer.expect.services import imported, resolve_host, sidecar_for
from analyzer.model.istio import GATEWAY_API, IstioObject

MESH = "mesh"


@dataclass(frozen=True, slots=True)
class GatewayRef:
    """One ``spec.gateways`` entry, resolved to ``namespace/name`` (or ``mesh``)."""

    index: int
    written: str
    name: str


@dataclass(frozen=True, slots=True)
class NotApplied:
    """A VirtualService (or one of its hosts) that the YAML makes a no-op on this proxy."""

    vs: IstioObject
    path: str
    kind: str
    """``gateway-missing``, ``gateway-selects-nothing``, ``host-not-on-gateway``, ``not-exported``,
    ``shadowed``, ``gateway-only``."""
    message: str


def gateway_refs(vs: IstioObject) -> list[GatewayRef]:
    """The gateways a VirtualService binds to (``mesh`` when it names none)."""
    written = vs.spec.get("gateways")
    if not isinstance(written, list) or not written:
        return [GatewayRef(-1, MESH, MESH)]
    return [
        GatewayRef(i, str(g), resolve_gateway(str(g), vs.namespace)) for i, g in enumerate(written)
    ]


def resolve_gateway(ref: str, namespace: str) -> str:
    """``gw`` -> ``<vs ns>/gw``; ``ns/gw`` as is; legacy ``gw.ns.svc.<domain>`` -> ``ns/gw``."""
    if ref == MESH or "/" in ref:
        return ref
    if "." in ref:
        name, ns = ref.split(".")[:2]
        return f"{ns}/{name}"
    return f"{namespace}/{ref}"


def vs_hosts(vs: IstioObject, domain: str) -> list[tuple[int, str]]:
    """(index, host resolved in the VirtualService's namespace) of ``spec.hosts``."""
    return [
        (i, resolve_host(str(h), vs.namespace, domain))
        for i, h in enumerate(vs.spec.get("hosts") or ())
        if isinstance(h, str)
    ]


def server_accepts(server: Server, vs: IstioObject, host: str) -> str | None:
    """The vhost host name when the server serves ``host`` of ``vs`` (namespace-restricted)."""
    for namespace, pattern in server.host_entries():
        if namespace not in ("*", vs.namespace):
            continue
        if hosts_intersect(pattern, host):
            return pattern if host_covers_strict(host, pattern) else host
    return None


def host_covers_strict(wide: str, narrow: str) -> bool:
    """True when ``wide`` covers ``narrow`` and they differ."""
    if wide == narrow:
        return False
    return wide == "*" or (wide.startswith("*") and narrow.endswith(wide[1:]))


@dataclass
class Binding:
    """A VirtualService that applies to this proxy, with the Gateway servers it binds to."""

    vs: IstioObject
    servers: list[Server]
    hosts: list[tuple[int, str]]
    """(index in spec.hosts, resolved host) that apply here (shadowed ones removed)."""


@dataclass
class VsScope:
    """Applied VirtualServices and the reasons the others are not applied."""

    bindings: list[Binding]
    not_applied: list[NotApplied]


def _gateway_exists(mesh: MeshIndex, name: str) -> bool:
    namespace, _, gateway = name.partition("/")
    return (
        mesh.config.get("Gateway", namespace, gateway) is not None
        or mesh.config.get("Gateway", namespace, gateway, group=GATEWAY_API) is not None
    )


def _missing(mesh: MeshIndex, name: str) -> bool:
    return name != MESH and not _gateway_exists(mesh, name)


def _proxy_serves(mesh: MeshIndex, hosts: list[tuple[int, str]]) -> bool:
    """True when the proxy has a vhost for one of ``hosts`` (it does send traffic there)."""
    names = {h for _i, h in hosts}
    return any(
        vhost.name.rpartition(":")[0] in names
        for route_config in mesh.proxy.route_configs
        for vhost in route_config.virtual_hosts
    )


def _selects_any_workload(mesh: MeshIndex, gateway: IstioObject, strict: bool = False) -> bool:
    selector = gateway.spec.get("selector")
    if not isinstance(selector, dict) or not selector:
        return not strict
    for workload in mesh.config.workloads():
        labels = workload.spec.get("labels")
        if isinstance(labels, dict) and selector_matches(selector, labels):
            return True
    return False


def vs_scope(mesh: MeshIndex, view: GatewayView, namespace: str) -> VsScope:
    """Decide, for every VirtualService, whether and where it applies to this proxy."""
    bindings: list[Binding] = []
    not_applied: list[NotApplied] = []
    sidecar = mesh.proxy.kind == "sidecar"
    scoping = sidecar_for(mesh, namespace) if sidecar else None
    gateways = live_objects(mesh.config, "Gateway")
    has_gateways = bool(gateways)
    # "Selects no workload" means something only when the inputs include gateway workloads.
    gateway_workloads_given = any(_selects_any_workload(mesh, g, True) for g in gateways)
    for vs in live_objects(mesh.config, "VirtualService"):
        refs = gateway_refs(vs)
        if has_gateways:
            for ref in refs:
                if _missing(mesh, ref.name):
                    path = f"spec.gateways[{ref.index}]"
                    message = f"binds to Gateway {ref.name}, which does not exist"
                    not_applied.append(NotApplied(vs, path, "gateway-missing", message))
        names = {ref.name for ref in refs}
        hosts = vs_hosts(vs, mesh.domain)
        if sidecar:
            if MESH not in names:
                if not all(_missing(mesh, n) for n in names) or not has_gateways:
                    message = "is bound only to gateways, so it does not apply to sidecars"
                    not_applied.append(NotApplied(vs, "spec.gateways", "gateway-only", message))
            elif not visible_to(vs, namespace):
                if _proxy_serves(mesh, hosts):
                    not_applied.append(_not_exported(vs, namespace))
            else:
                # A Sidecar resource imports VirtualServices by their namespace and hosts.
                imported_hosts = [(i, h) for i, h in hosts if imported(scoping, vs.namespace, h)]
                if imported_hosts or not hosts:
                    bindings.append(Binding(vs, [], imported_hosts))
            continue
        if mesh.proxy.kind != "gateway" or not view.selection_certain:
            continue
        selected = names & view.names
        if not selected:
            existing = [mesh.config.get("Gateway", *n.split("/", 1)) for n in names if n != MESH]
            found = [g for g in existing if g is not None]
            if (
                found
                and gateway_workloads_given
                and not any(_selects_any_workload(mesh, g) for g in found)
            ):
                message = (
                    f"is bound to {', '.join(sorted(names - {MESH}))}, whose selector matches no "
                    "workload given (nor this proxy)"
                )
                not_applied.append(
                    NotApplied(vs, "spec.gateways", "gateway-selects-nothing", message)
                )
            continue
        if not visible_to(vs, namespace):
            not_applied.append(_not_exported(vs, namespace))
            continue
        servers = [s for s in view.servers if s.gateway_name in selected and s.is_http]
        kept = []
        for index, host in hosts:
            if any(server_accepts(s, vs, host) for s in servers):
                kept.append((index, host))
            elif servers:
                message = (
                    f"host {host} matches no host of the servers of Gateway "
                    f"{', '.join(sorted(selected))}, so no vhost is built for it"
                )
                not_applied.append(
                    NotApplied(vs, f"spec.hosts[{index}]", "host-not-on-gateway", message)
                )
        bindings.append(Binding(vs, servers, kept))
    if sidecar:
        not_applied.extend(_shadow(mesh, bindings, namespace))
    return VsScope(bindings, not_applied)


def _not_exported(vs: IstioObject, namespace: str) -> NotApplied:
    targets = ", ".join(export_to(vs))
    message = f"is exported to [{targets}], not to this proxy's namespace {namespace}"
    return NotApplied(vs, "spec.exportTo", "not-exported", message)


def sidecar_order(vses: list[IstioObject], namespace: str) -> tuple[list[IstioObject], bool]:
    """Sidecar VirtualServices in istiod's order: private, exported by name, public; oldest first.

    Used only when the dump does not show which one won.
    """
    ranks: list[list[IstioObject]] = [[], [], []]
    for vs in vses:
        targets = export_to(vs)
        if vs.namespace == namespace and exported_privately(vs):
            ranks[0].append(vs)
        elif namespace in targets:
            ranks[1].append(vs)
        else:
            ranks[2].append(vs)
    out: list[IstioObject] = []
    certain = True
    for group in ranks:
        ordered, sure = creation_order(group)
        out.extend(ordered)
        certain = certain and sure
    return out, certain


def _shadow(mesh: MeshIndex, bindings: list[Binding], namespace: str) -> list[NotApplied]:
    """Drop, from all but one VirtualService per host, that host (sidecars: later one loses)."""
    by_host: dict[str, list[Binding]] = {}
    for binding in bindings:
        for _index, host in binding.hosts:
            by_host.setdefault(host, []).append(binding)
    out = []
    for host, contenders in by_host.items():
        if len(contenders) < 2:
            continue
        winner, how = _winner(mesh, host, [b.vs for b in contenders], namespace)
        for binding in contenders:
            if binding.vs is winner:
                continue
            index = next(i for i, h in binding.hosts if h == host)
            binding.hosts = [(i, h) for i, h in binding.hosts if h != host]
            message = (
                f"host {host} is also claimed by VirtualService {winner.namespace}/{winner.name}, "
                f"which istiod keeps ({how}); this one's rules for it are dropped"
            )
            out.append(NotApplied(binding.vs, f"spec.hosts[{index}]", "shadowed", message))
    return out


def _winner(
    mesh: MeshIndex, host: str, vses: list[IstioObject], namespace: str
) -> tuple[IstioObject, str]:
    """The VirtualService whose vhost the sidecar keeps for ``host``."""
    owners = _dump_owners(mesh, host)
    for vs in vses:
        if f"{vs.namespace}/{vs.name}" in owners:
            return vs, "the proxy's routes for it carry its metadata"
    ordered, certain = sidecar_order(vses, namespace)
    how = "it is older" if certain else UNSURE_ORDER
    return ordered[0], how


def _dump_owners(mesh: MeshIndex, host: str) -> set[str]:
    """``namespace/name`` of the VirtualServices named in route metadata of ``host``'s vhosts."""
    from analyzer.attribution.mesh import parse_config_path

    out = set()
    for route_config in mesh.proxy.route_configs:
        for vhost in route_config.virtual_hosts:
            if vhost.name.rpartition(":")[0] != host:
                continue
            for route in vhost.routes:
                parsed = parse_config_path(route.istio_config or "")
                if parsed and parsed[0] == "VirtualService":
                    out.add(f"{parsed[1]}/{parsed[2]}")
    return out
