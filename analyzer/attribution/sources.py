"""Build Source values, and the lookups shared by the per-resource attribution modules."""

from __future__ import annotations

from analyzer.attribution.mesh import MeshIndex, ServicePort, parse_config_path
from analyzer.attribution.model import Evidence, Source
from analyzer.model.istio import IstioObject


def from_object(obj: IstioObject, path: str | None, evidence: Evidence, note: str = "") -> Source:
    """A source pointing into a loaded Istio object (file and line of the rule)."""
    # Positional, in field order: tens of thousands per proxy, and keywords cost more.
    return Source(
        f"{obj.kind}/{obj.namespace}/{obj.name}", path, obj.origin.file, evidence, True, note, obj
    )


def inferred(kind: str, namespace: str, name: str, evidence: Evidence, note: str) -> Source:
    """A source known from Envoy's names or metadata whose YAML was not among the inputs."""
    return Source(
        ref=f"{kind}/{namespace}/{name}",
        path=None,
        file=None,
        evidence=evidence,
        in_inputs=False,
        note=note,
    )


def default(name: str, note: str) -> Source:
    """An Istio built-in."""
    return Source(ref=f"Default/{name}", path=None, file=None, evidence="default", note=note)


def dedupe(sources: list[Source]) -> list[Source]:
    """Keep the first of equal (ref, path) sources, preferring stronger evidence order as given."""
    if len(sources) < 2:
        return list(sources)
    seen: set[tuple[str, str | None]] = set()
    out = []
    for source in sources:
        key = (source.ref, source.path)
        if key not in seen:
            seen.add(key)
            out.append(source)
    return out


def host_port_sources(
    mesh: MeshIndex, host: str, port: int | None, evidence: Evidence, for_vhost: bool = False
) -> list[Source]:
    """The Service or ServiceEntry that declares ``host`` (and ``port``); memoised per proxy."""
    # Only ServiceEntry sources depend on for_vhost: leave it out of a Service's key.
    key = (host, port, evidence, for_vhost and host not in mesh.services_by_host)
    found = mesh.host_sources.get(key)
    if found is None:
        found = mesh.host_sources[key] = tuple(_declaring(mesh, host, port, evidence, for_vhost))
    return list(found)


def _declaring(
    mesh: MeshIndex, host: str, port: int | None, evidence: Evidence, for_vhost: bool
) -> list[Source]:
    service = mesh.services_by_host.get(host)
    if service is not None:
        return [from_object(service, _port_path(mesh.ports_of(service), port), evidence)]
    entries = mesh.entries_for_host(host)
    if entries:
        out = []
        for entry, host_index in entries:
            path = (
                f"spec.hosts[{host_index}]"
                if for_vhost
                else _port_path(mesh.ports_of(entry), port) or f"spec.hosts[{host_index}]"
            )
            out.append(from_object(entry, path, evidence))
        return out
    ref = mesh.service_ref_for_host(host)
    if ref is not None:
        namespace, name = ref
        return [inferred("Service", namespace, name, evidence, "Service YAML not among the inputs")]
    return []


def _port_path(ports: list[ServicePort], number: int | None) -> str | None:
    for port in ports:
        if number is not None and port.number == number:
            return port.path
    return None


def workload_port_sources(mesh: MeshIndex, target_port: int, evidence: Evidence) -> list[Source]:
    """Services selecting this proxy's workload with ``target_port`` (inbound side)."""
    out: list[Source] = []
    for service in mesh.workload_services:
        out.extend(
            from_object(service, port.path, evidence)
            for port in mesh.ports_of(service)
            if port.target_port == target_port
            or (port.target_port is None and port.number == target_port)
        )
    return out


def inbound_metadata_sources(mesh: MeshIndex, target_port: int) -> list[Source]:
    """Services named in the ``istio.services`` metadata of the ``inbound|<port>||`` cluster."""
    cluster = mesh.proxy.cluster(f"inbound|{target_port}||")
    if cluster is None:
        return []
    out = []
    for service in cluster.istio_services:
        name, namespace = str(service.get("name", "")), str(service.get("namespace", ""))
        obj = mesh.config.get("Service", namespace, name)
        if obj is not None:
            ports = [p for p in mesh.ports_of(obj) if p.target_port == target_port]
            out.append(from_object(obj, ports[0].path if ports else None, "metadata"))
        elif name and namespace:
            out.append(
                inferred("Service", namespace, name, "metadata", "named in cluster metadata")
            )
    return out


def config_object_source(
    mesh: MeshIndex, config_path: str, path: str | None, evidence: Evidence = "metadata"
) -> Source | None:
    """The object a ``filter_metadata.istio.config`` path names (inferred when not loaded)."""
    parsed = parse_config_path(config_path)
    if parsed is None:
        return None
    kind, namespace, name = parsed
    obj = mesh.config.get(kind, namespace, name)
    if obj is None:
        return inferred(kind, namespace, name, evidence, "named in Envoy metadata; YAML not given")
    return from_object(obj, path, evidence)
