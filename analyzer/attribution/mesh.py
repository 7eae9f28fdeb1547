"""Index the Istio YAML the way istiod sees it from one proxy: hosts, ports, gateways, workloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.model.envoy import Proxy
from analyzer.model.istio import IstioConfig, IstioObject

# Slugs used in filter_metadata.istio.config paths -> Kubernetes kinds.
KIND_SLUGS = {
    "virtual-service": "VirtualService",
    "destination-rule": "DestinationRule",
    "service-entry": "ServiceEntry",
    "gateway": "Gateway",
    "sidecar": "Sidecar",
    "envoy-filter": "EnvoyFilter",
    "workload-entry": "WorkloadEntry",
    "httproute": "HTTPRoute",
    "http-route": "HTTPRoute",
}


def parse_config_path(path: str) -> tuple[str, str, str] | None:
    """``/apis/networking.istio.io/v1/namespaces/ns/virtual-service/name`` -> (kind, ns, name).

    The API version segment changed over releases (v1alpha3 up to 1.21, v1 from 1.22); it is
    ignored.
    """
    parts = path.strip("/").split("/")
    if len(parts) == 7 and parts[0] == "apis" and parts[3] == "namespaces":
        kind = KIND_SLUGS.get(parts[5], "")
        if kind:
            return kind, parts[4], parts[6]
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@dataclass(frozen=True, slots=True)
class ServicePort:
    """One port of a Service or ServiceEntry, with where it is declared."""

    obj: IstioObject
    index: int
    number: int
    target_port: int | None
    name: str

    @property
    def path(self) -> str:
        """Rule path of the port."""
        return f"spec.ports[{self.index}]"


def _ports(obj: IstioObject) -> list[ServicePort]:
    out = []
    for index, port in enumerate(obj.spec.get("ports") or ()):
        if not isinstance(port, Mapping):
            continue
        number = _int(port.get("port", port.get("number")))
        if number is None:
            continue
        target = _int(port.get("targetPort"))
        if obj.kind == "Service" and port.get("targetPort") is None:
            target = number
        out.append(ServicePort(obj, index, number, target, str(port.get("name", ""))))
    return out


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """True when every selector label is on the workload (an empty selector selects nothing)."""
    if not selector:
        return False
    return all(labels.get(str(k)) == str(v) for k, v in selector.items())


@dataclass
class MeshIndex:
    """Lookups over the Istio objects, resolved for one proxy."""

    config: IstioConfig
    proxy: Proxy
    domain: str = "cluster.local"
    services_by_host: dict[str, IstioObject] = field(default_factory=dict)
    entries_by_host: dict[str, list[tuple[IstioObject, int]]] = field(default_factory=dict)
    rules_by_host: dict[str, list[IstioObject]] = field(default_factory=dict)
    services_by_vip: dict[str, IstioObject] = field(default_factory=dict)
    ports_by_number: dict[int, list[ServicePort]] = field(default_factory=dict)
    workload_services: list[IstioObject] = field(default_factory=list)
    gateway_services: list[IstioObject] = field(default_factory=list)
    gateways: list[IstioObject] = field(default_factory=list)
    instance_ips: frozenset[str] = frozenset()

    @classmethod
    def build(cls, config: IstioConfig, proxy: Proxy) -> MeshIndex:
        """Index ``config`` for ``proxy``."""
        index = cls(config=config, proxy=proxy, domain=_domain(proxy), instance_ips=_ips(proxy))
        index._index_services()
        index._index_entries()
        index._index_rules()
        index._index_gateways()
        return index

    # --- hosts -------------------------------------------------------------------------------

    def fqdn(self, host: str, namespace: str) -> str:
        """Resolve a short host (``reviews``, ``reviews.default``) the way istiod does."""
        if "*" in host or host.endswith("." + self.domain):
            return host
        parts = host.split(".")
        if len(parts) == 1:
            return f"{host}.{namespace}.svc.{self.domain}"
        if len(parts) == 2:
            return f"{host}.svc.{self.domain}"
        if len(parts) == 3 and parts[2] == "svc":
            return f"{host}.{self.domain}"
        return host

    def service_ref_for_host(self, host: str) -> tuple[str, str] | None:
        """(namespace, name) of a Kubernetes Service host, whether or not its YAML was given."""
        suffix = f".svc.{self.domain}"
        if host.endswith(suffix):
            parts = host[: -len(suffix)].split(".")
            if len(parts) == 2:
                return parts[1], parts[0]
        return None

    def entries_for_host(self, host: str) -> list[tuple[IstioObject, int]]:
        """ServiceEntries declaring ``host`` (exactly, or through a ``*.`` wildcard)."""
        found = list(self.entries_by_host.get(host, ()))
        if not found:
            for pattern, entries in self.entries_by_host.items():
                if pattern.startswith("*") and host.endswith(pattern[1:]):
                    found.extend(entries)
        return found

    def ports_of(self, obj: IstioObject) -> list[ServicePort]:
        """The declared ports of a Service or ServiceEntry."""
        return _ports(obj)

    # --- builders ----------------------------------------------------------------------------

    def _index_services(self) -> None:
        labels = self.proxy.labels
        for service in self.config.by_kind("Service"):
            host = f"{service.name}.{service.namespace}.svc.{self.domain}"
            self.services_by_host.setdefault(host, service)
            vip = service.spec.get("clusterIP")
            if isinstance(vip, str) and vip and vip != "None":
                self.services_by_vip.setdefault(vip, service)
            for port in _ports(service):
                self.ports_by_number.setdefault(port.number, []).append(port)
            selector = service.spec.get("selector")
            if (
                isinstance(selector, Mapping)
                and selector_matches(selector, labels)
                and (not self.proxy.namespace or service.namespace == self.proxy.namespace)
            ):
                self.workload_services.append(service)

    def _index_entries(self) -> None:
        for entry in self.config.by_kind("ServiceEntry"):
            for host_index, host in enumerate(entry.spec.get("hosts") or ()):
                if isinstance(host, str):
                    self.entries_by_host.setdefault(host, []).append((entry, host_index))
            for port in _ports(entry):
                self.ports_by_number.setdefault(port.number, []).append(port)

    def _index_rules(self) -> None:
        for rule in self.config.by_kind("DestinationRule"):
            host = rule.spec.get("host")
            if isinstance(host, str):
                self.rules_by_host.setdefault(self.fqdn(host, rule.namespace), []).append(rule)

    def _index_gateways(self) -> None:
        labels = self.proxy.labels
        if self.proxy.kind not in ("gateway", "unknown"):
            return
        every = list(self.config.by_kind("Gateway"))
        for gateway in every:
            selector = gateway.spec.get("selector")
            if (
                not isinstance(selector, Mapping)
                or not labels
                or selector_matches(selector, labels)
            ):
                self.gateways.append(gateway)
        if not self.gateways and not self.proxy.labels_known:
            # Without node.metadata.LABELS (Istio < 1.4) the selector cannot be checked: every
            # Gateway is a candidate, and the listener ports decide.
            self.gateways = every
        for service in self.config.by_kind("Service"):
            selector = service.spec.get("selector")
            if isinstance(selector, Mapping) and labels and selector_matches(selector, labels):
                self.gateway_services.append(service)

    # --- gateway ports -----------------------------------------------------------------------

    def target_port(self, server_port: int) -> int:
        """Translate a Gateway server port through the gateway Service (port -> targetPort)."""
        for service in self.gateway_services:
            for port in _ports(service):
                if port.number == server_port and port.target_port is not None:
                    return port.target_port
        return server_port

    def gateway_servers(self) -> Iterable[tuple[IstioObject, int, Mapping[str, Any]]]:
        """(gateway, index, server) for every server of the gateways selecting this proxy."""
        for gateway in self.gateways:
            for index, server in enumerate(gateway.spec.get("servers") or ()):
                if isinstance(server, Mapping):
                    yield gateway, index, server

    def rules_for(self, host: str) -> list[IstioObject]:
        """DestinationRules for a host, oldest first as istiod merges them."""
        return self.rules_by_host.get(host, [])


def _ips(proxy: Proxy) -> frozenset[str]:
    """The pod's IPs: node.id's, plus INSTANCE_IPS from the bootstrap (IPv6 included)."""
    ips = {proxy.ip} if proxy.ip else set()
    node = (proxy.bootstrap or {}).get("node")
    metadata = node.get("metadata") if isinstance(node, dict) else None
    if isinstance(metadata, dict) and isinstance(metadata.get("INSTANCE_IPS"), str):
        ips.update(ip.strip() for ip in metadata["INSTANCE_IPS"].split(",") if ip.strip())
    return frozenset(ips)


def _domain(proxy: Proxy) -> str:
    """The cluster domain from node.id (``sidecar~ip~pod.ns~ns.svc.<domain>``)."""
    parts = proxy.node_id.split("~")
    if len(parts) == 4 and ".svc." in parts[3]:
        return parts[3].split(".svc.", 1)[1]
    return "cluster.local"
