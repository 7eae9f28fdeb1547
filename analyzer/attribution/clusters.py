"""Attribute clusters: Istio's ``direction|port|subset|host`` name, then metadata, then defaults."""

from __future__ import annotations

from analyzer.attribution.defaults import DEFAULT_CLUSTERS
from analyzer.attribution.mesh import MeshIndex, parse_config_path
from analyzer.attribution.model import Evidence, Source
from analyzer.attribution.sources import (
    dedupe,
    default,
    from_object,
    host_port_sources,
    inbound_metadata_sources,
    inferred,
    workload_port_sources,
)
from analyzer.model.envoy import Cluster
from analyzer.model.istio import IstioObject


def cluster_sources(mesh: MeshIndex, cluster: Cluster) -> list[Source]:
    """Sources of one cluster."""
    note = DEFAULT_CLUSTERS.get(cluster.name)
    if note is not None:
        return [default(cluster.name, note)]
    key = cluster.key
    if key is None:
        return []
    if key.direction == "inbound":
        return _inbound(mesh, cluster)
    service_evidence: Evidence = "metadata" if _services_name(cluster, key.host) else "name"
    sources = host_port_sources(mesh, key.host, key.port, service_evidence)
    if key.direction == "outbound":
        sources.extend(_destination_rule(mesh, cluster))
    return dedupe(sources)


def _services_name(cluster: Cluster, host: str) -> bool:
    return any(service.get("host") == host for service in cluster.istio_services)


def _inbound(mesh: MeshIndex, cluster: Cluster) -> list[Source]:
    key = cluster.key
    assert key is not None
    if key.host:
        # Before 1.9: inbound|<port>|<portName>|<fqdn> names the Service itself.
        return host_port_sources(mesh, key.host, key.port, "name")
    if key.port is None:
        return []
    evidence: Evidence = "metadata" if cluster.istio_services else "name"
    found = workload_port_sources(mesh, key.port, evidence)
    return found or inbound_metadata_sources(mesh, key.port)


def _dr_tls_explicit(mesh: MeshIndex, config_path: str) -> bool:
    """Whether the clusters a DestinationRule shaped carry explicit TLS (most of them do or not).

    Subset clusters decide first: they inherit the rule's policy and nothing else (auto mTLS of
    some releases set TLS on the default cluster alone). ``_.`` SNI twins (sni-dnat gateways)
    drop TLS and say nothing.
    """
    explicit = ("istio-mutual", "tls", "mtls")
    shaped = [
        c
        for c in mesh.proxy.clusters
        if c.istio_config == config_path and c.key is not None and not c.key.sni_form
    ]
    subsets = [c for c in shaped if c.key is not None and c.key.subset] or shaped
    votes = sum(1 if c.tls_mode in explicit else -1 for c in subsets)
    return votes > 0


def _matching_tls(rules: list[IstioObject], explicit: bool) -> IstioObject:
    for rule in rules:
        policy = rule.spec.get("trafficPolicy")
        has_tls = isinstance(policy, dict) and isinstance(policy.get("tls"), dict)
        if has_tls == explicit:
            return rule
    return rules[-1]


def _destination_rule(mesh: MeshIndex, cluster: Cluster) -> list[Source]:
    """The DestinationRule whose subset or traffic policy made this cluster what it is."""
    key = cluster.key
    assert key is not None
    rule = None
    evidence: Evidence = "name"
    if cluster.istio_config:
        parsed = parse_config_path(cluster.istio_config)
        if parsed is not None and parsed[0] == "DestinationRule":
            rule = mesh.config.get(*parsed)
            evidence = "metadata"
            if rule is None:
                note = "DestinationRule named in cluster metadata; its YAML was not given"
                return [inferred(parsed[0], parsed[1], parsed[2], "metadata", note)]
    if rule is not None:
        # The same DestinationRule given twice (two files): the copy whose TLS matches the
        # cluster is the one istiod applied.
        twins = mesh.rule_twins(rule)
        if len(twins) > 1:
            rule = _matching_tls(twins, _dr_tls_explicit(mesh, cluster.istio_config or ""))
    candidates = [rule] if rule is not None else mesh.rules_for(key.host)
    for candidate in candidates:
        if key.subset:
            for index, subset in enumerate(candidate.spec.get("subsets") or ()):
                if isinstance(subset, dict) and subset.get("name") == key.subset:
                    return [from_object(candidate, f"spec.subsets[{index}]", evidence)]
        elif evidence == "metadata":
            path = "spec.trafficPolicy" if "trafficPolicy" in candidate.spec else "spec.host"
            return [from_object(candidate, path, evidence)]
    return []
