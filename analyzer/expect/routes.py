"""Expected vhosts and routes: where each applied VirtualService lands, and what each rule gives.

Placement (``core/httproute.go``, ``core/gateway.go``): on a sidecar, a VirtualService host that a
visible Service/ServiceEntry declares gets vhost ``<host>:<port>`` for every HTTP port of it, in
route config ``"<port>"`` (sniffed ports: ``<host>:<port>``); on a gateway, every HTTP (or
terminated HTTPS) server bound to it gets vhost ``<host>:<server port>`` in ``http.<targetPort>``
(``https.<port>.<name>.<gw>.<ns>``), the host being the narrower of the VirtualService and server
hosts.

Routes (``core/route/route.go`` BuildHTTPRoutesForVirtualService, translateRoute): one per rule ×
match, in order; a match whose ``port`` is not the listener port, whose ``gateways`` do not name
this context, or whose ``sourceLabels``/``sourceNamespace`` do not fit the proxy gives none; after
a catch-all (a rule without matches, or a ``/`` prefix match without header/query conditions) no
further route is built. Delegating rules are not predicted.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from analyzer.attribution.mesh import selector_matches
from analyzer.expect.protocol import AUTO, is_http
from analyzer.expect.scope import MESH, Binding, server_accepts
from analyzer.expect.services import Registry, ambiguous_short_host, resolve_host
from analyzer.model.envoy import Proxy
from analyzer.model.istio import IstioObject


@dataclass(frozen=True, slots=True)
class Placement:
    """One vhost a VirtualService should contribute to."""

    vs: IstioObject
    host_index: int
    route_config: str
    vhost: str
    listen_port: int
    context: str
    """``mesh`` on sidecars, ``namespace/name`` of the Gateway on gateways."""
    certain: bool
    """False when the vhost may legitimately be elsewhere (sniffed port, unknown target port)."""


# Plain slotted rather than frozen: one per route destination (see PortDecl). Never modified.
@dataclass(slots=True)
class Destination:
    """One destination of a rule, as istiod names its cluster."""

    host: str
    subset: str
    port: int | None
    """None when the port cannot be predicted (unknown host without an explicit port)."""
    weight: int | None
    """None for a single destination (no weighted_clusters)."""
    index: int

    @property
    def cluster(self) -> str | None:
        """``outbound|<port>|<subset>|<host>`` when the port is known."""
        if self.port is None:
            return None
        return f"outbound|{self.port}|{self.subset}|{self.host}"


def placements(binding: Binding, registry: Registry, proxy: Proxy) -> list[Placement]:
    """The vhosts ``binding`` should have on this proxy."""
    vs = binding.vs
    out = []
    if proxy.kind == "sidecar":
        for index, host in binding.hosts:
            if "*" in host or ambiguous_short_host(str(vs.spec["hosts"][index])):
                continue
            for decl in registry.visible_ports(host):
                if decl.host != host or not (is_http(decl.protocol) or decl.protocol == AUTO):
                    continue
                certain = is_http(decl.protocol)
                name = f"{host}:{decl.number}"
                out.append(Placement(vs, index, str(decl.number), name, decl.number, MESH, certain))
        return _unique(out)
    for server in binding.servers:
        route_config = server.route_config
        if route_config is None:
            continue
        for index, host in binding.hosts:
            vhost_host = server_accepts(server, vs, host)
            if vhost_host is None:
                continue
            name = f"{vhost_host}:{server.number}"
            out.append(
                Placement(vs, index, route_config, name, server.number, server.gateway_name, True)
            )
    return _unique(out)


def _unique(items: list[Placement]) -> list[Placement]:
    seen: set[tuple[str, str]] = set()
    out = []
    for item in items:
        if (item.route_config, item.vhost) not in seen:
            seen.add((item.route_config, item.vhost))
            out.append(item)
    return out


def rule_path(rule_index: int, match_index: int | None) -> str:
    """``spec.http[i].match[j]`` or ``spec.http[i]``."""
    if match_index is None:
        return f"spec.http[{rule_index}]"
    return f"spec.http[{rule_index}].match[{match_index}]"


def _catch_all(match: Mapping[str, Any]) -> bool:
    uri = match.get("uri")
    path_all = uri is None or (isinstance(uri, dict) and uri.get("prefix") == "/")
    if isinstance(uri, dict) and uri.get("regex") == ".*":
        path_all = True
    conditions = ("headers", "withoutHeaders", "queryParams", "method", "authority", "scheme")
    return path_all and not any(match.get(key) for key in conditions)


def expected_slots(
    vs: IstioObject, listen_port: int, context: str, proxy: Proxy
) -> list[tuple[int, int | None]] | None:
    """(rule, match) of every route istiod builds for ``vs`` here; None when not predictable."""
    out: list[tuple[int, int | None]] = []
    for rule_index, rule in enumerate(vs.spec.get("http") or ()):
        if not isinstance(rule, dict):
            return None
        if rule.get("delegate"):
            return None
        matches = rule.get("match")
        if not isinstance(matches, list) or not matches:
            out.append((rule_index, None))
            break
        stop = False
        for match_index, match in enumerate(matches):
            if not isinstance(match, dict):
                return None
            applies = _match_applies(match, listen_port, context, proxy)
            if applies is None:
                return None
            if applies:
                out.append((rule_index, match_index))
                if _catch_all(match):
                    stop = True
                    break
        if stop:
            break
    return out


def _match_applies(
    match: Mapping[str, Any], listen_port: int, context: str, proxy: Proxy
) -> bool | None:
    port = match.get("port")
    if isinstance(port, int) and port and port != listen_port:
        return False
    gateways = match.get("gateways")
    if isinstance(gateways, list) and gateways:
        names = {str(g) for g in gateways}
        short = context.split("/", 1)[-1]
        return context in names or short in names
    labels = match.get("sourceLabels")
    if isinstance(labels, dict) and labels:
        if not proxy.labels_known:
            return None
        if not selector_matches(labels, proxy.labels):
            return False
    namespace = match.get("sourceNamespace")
    return not (isinstance(namespace, str) and namespace and namespace != proxy.namespace)


def destinations(
    vs: IstioObject, rule: Mapping[str, Any], listen_port: int, registry: Registry
) -> list[Destination] | None:
    """The clusters of a rule's ``route``: all for one destination, else those with weight > 0."""
    entries = [e for e in rule.get("route") or () if isinstance(e, dict)]
    out = []
    for index, entry in enumerate(entries):
        destination = entry.get("destination")
        if not isinstance(destination, dict):
            return None
        weight = entry.get("weight")
        weight = weight if isinstance(weight, int) else 0
        if len(entries) > 1 and weight == 0:
            continue
        found = destination_of(
            vs, destination, listen_port, registry, index, weight if len(entries) > 1 else None
        )
        if found is None:
            return None
        out.append(found)
    return out


def destination_of(
    vs: IstioObject,
    destination: Mapping[str, Any],
    listen_port: int,
    registry: Registry,
    index: int = 0,
    weight: int | None = None,
) -> Destination | None:
    """GetDestinationCluster: explicit port, else the service's only port, else the listener's."""
    written = destination.get("host")
    if not isinstance(written, str) or not written or ambiguous_short_host(written):
        return None
    host = resolve_host(written, vs.namespace, registry.mesh.domain)
    subset = str(destination.get("subset") or "")
    port_spec = destination.get("port")
    number = port_spec.get("number") if isinstance(port_spec, dict) else None
    if isinstance(number, int):
        return Destination(host, subset, number, weight, index)
    declared, only_port = registry.sole_declaration(host)
    if not declared:
        # Not declared in the inputs (or only by a wildcard, or twice): the port istiod picks
        # depends on a registry entry meshlens cannot see.
        return Destination(host, subset, None, weight, index)
    port = only_port if only_port is not None else listen_port
    return Destination(host, subset, port, weight, index)


def mirror_destinations(
    vs: IstioObject, rule: Mapping[str, Any], listen_port: int, registry: Registry
) -> list[Destination]:
    """Destinations of ``mirror`` and ``mirrors`` (a 0% mirror is not built)."""
    out = []
    mirror = rule.get("mirror")
    percent = rule.get("mirrorPercentage")
    zero = isinstance(percent, dict) and not percent.get("value")
    if isinstance(mirror, dict) and not zero:
        found = destination_of(vs, mirror, listen_port, registry)
        if found is not None:
            out.append(found)
    for entry in rule.get("mirrors") or ():
        if not isinstance(entry, dict) or not isinstance(entry.get("destination"), dict):
            continue
        percentage = entry.get("percentage")
        if isinstance(percentage, dict) and not percentage.get("value"):
            continue
        found = destination_of(vs, entry["destination"], listen_port, registry)
        if found is not None:
            out.append(found)
    return out


def vs_destinations(vs: IstioObject) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(path, destination) of every route destination and mirror of a VirtualService."""
    for section in ("http", "tcp", "tls"):
        for rule_index, rule in enumerate(vs.spec.get(section) or ()):
            if not isinstance(rule, dict):
                continue
            base = f"spec.{section}[{rule_index}]"
            for index, entry in enumerate(rule.get("route") or ()):
                if isinstance(entry, dict) and isinstance(entry.get("destination"), dict):
                    yield f"{base}.route[{index}].destination", entry["destination"]
            if isinstance(rule.get("mirror"), dict):
                yield f"{base}.mirror", rule["mirror"]
            for index, entry in enumerate(rule.get("mirrors") or ()):
                if isinstance(entry, dict) and isinstance(entry.get("destination"), dict):
                    yield f"{base}.mirrors[{index}].destination", entry["destination"]


def http_rule(vs: IstioObject, rule_index: int) -> Mapping[str, Any] | None:
    """``spec.http[i]`` as a mapping, if it is one."""
    rules = vs.spec.get("http") or ()
    if 0 <= rule_index < len(rules) and isinstance(rules[rule_index], dict):
        rule: Mapping[str, Any] = rules[rule_index]
        return rule
    return None


@lru_cache(maxsize=1024)
def parse_rule_path(path: str | None) -> tuple[int, int | None] | None:
    """``spec.http[2].match[1]`` -> (2, 1); ``spec.http[0]`` -> (0, None)."""
    if not path or not path.startswith("spec.http["):
        return None
    rest = path[len("spec.http[") :]
    rule_text, _, tail = rest.partition("]")
    if not rule_text.isdigit():
        return None
    if not tail:
        return int(rule_text), None
    if tail.startswith(".match[") and tail.endswith("]") and tail[7:-1].isdigit():
        return int(rule_text), int(tail[7:-1])
    return None


def listen_port_of(route_config: str, vhost: str, gateway: bool) -> int | None:
    """The listener port a route was built for: RDS ``"9080"``, else the vhost's ``:port``."""
    if not gateway and route_config.isdigit():
        return int(route_config)
    port = vhost.rpartition(":")[2]
    return int(port) if port.isdigit() else None
