"""The normalised view of one proxy's Envoy configuration.

Only what the analysis needs is lifted into typed fields; every resource keeps a reference to its
raw (snake_case) dict in ``raw`` so later stages can compare any field without a second parse.
Instances are built once by ``analyzer.load.envoy`` and never mutated afterwards. The types built
tens of thousands of times per dump (routes, clusters, endpoints, their states) are plain slotted
dataclasses rather than frozen ones: frozen initialisation costs about four times as much. The
loaders build those with positional arguments (a keyword call to a dataclass costs three times
as much), so adding or reordering their fields means updating ``analyzer/load/envoy_*.py``;
``tests/load/test_envoy_builders.py`` checks every field by name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

JsonDict = dict[str, Any]

Status = Literal["active", "warming", "draining", "rejected"]
ProxyKind = Literal["gateway", "sidecar", "waypoint", "unknown"]


# Not frozen (one is built per cluster; see the module docstring), but hashable by value like
# the frozen types that hold it. Instances are shared (ACTIVE_STATIC): never change one.
@dataclass(slots=True, unsafe_hash=True)
class ResourceState:
    """Where a resource sits in Envoy's lifecycle, as the dump records it."""

    status: Status
    """active, warming, draining, or rejected (a listener's ``error_state``)."""
    dynamic: bool
    """True for resources delivered over xDS, False for bootstrap statics."""
    version: str | None = None
    """``version_info`` of the entry (Istio writes ``<timestamp>/<push>``)."""
    last_updated: str | None = None
    """``last_updated`` (or ``last_update_attempt`` for rejected updates)."""
    error: str | None = None
    """Envoy's rejection message (``error_state.details``)."""


ACTIVE_STATIC = ResourceState(status="active", dynamic=False)


@dataclass(slots=True)
class HeaderMatch:
    """One header (or query parameter) condition of a route match."""

    name: str
    kind: str
    """exact, prefix, suffix, contains, safe_regex, present, range, or string_match."""
    value: str
    invert: bool = False
    ignore_case: bool = False


@dataclass(slots=True)
class RouteMatch:
    """The path part of a route match plus its header and query conditions."""

    kind: str
    """prefix, path, safe_regex, path_separated_prefix, regex (v2), connect_matcher, or template."""
    value: str
    case_sensitive: bool = True
    headers: tuple[HeaderMatch, ...] = ()
    query_params: tuple[HeaderMatch, ...] = ()
    grpc: bool = False


@dataclass(slots=True)
class WeightedCluster:
    """One entry of a weighted_clusters action (or a weighted tcp_proxy)."""

    name: str
    weight: int


@dataclass(slots=True)
class Route:
    """One Envoy route inside a virtual host."""

    route_config: str
    virtual_host: str
    index: int
    """Position in the virtual host (0-based): routes match first-to-last."""
    name: str
    match: RouteMatch
    action: str
    """route, redirect, direct_response, filter_action, non_forwarding, or none."""
    cluster: str | None = None
    weighted_clusters: tuple[WeightedCluster, ...] = ()
    cluster_header: str | None = None
    redirect: JsonDict | None = None
    direct_response_status: int | None = None
    prefix_rewrite: str | None = None
    regex_rewrite: JsonDict | None = None
    host_rewrite: str | None = None
    timeout: str | None = None
    retry_policy: JsonDict | None = None
    cors: JsonDict | None = None
    fault: JsonDict | None = None
    mirror_clusters: tuple[str, ...] = ()
    hash_policy: tuple[JsonDict, ...] = ()
    istio_config: str | None = None
    """``metadata.filter_metadata.istio.config``: the VirtualService that produced the route."""
    decorator: str | None = None
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @property
    def clusters(self) -> tuple[str, ...]:
        """Every cluster this route can send traffic to (not counting mirrors)."""
        if self.cluster is not None:
            return (self.cluster,)
        return tuple(w.name for w in self.weighted_clusters)


@dataclass(slots=True)
class VirtualHost:
    """A virtual host: a set of domains and the ordered routes for them."""

    route_config: str
    name: str
    domains: tuple[str, ...]
    routes: tuple[Route, ...]
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)


@dataclass(slots=True, frozen=True)
class RouteConfig:
    """A route configuration, delivered by RDS or inlined in a listener's HCM."""

    name: str
    virtual_hosts: tuple[VirtualHost, ...]
    state: ResourceState
    inline_in: str | None = None
    """For an inline route config: the listener (and chain) that holds it."""
    validate_clusters: bool | None = None
    ignore_port_in_host_matching: bool = False
    listed: bool = True
    """False for an inline route config that the capture's routes section did not list."""
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)


@dataclass(slots=True, frozen=True)
class FilterChainMatch:
    """The conditions that select a filter chain for a connection."""

    server_names: tuple[str, ...] = ()
    transport_protocol: str | None = None
    destination_port: int | None = None
    application_protocols: tuple[str, ...] = ()
    prefix_ranges: tuple[str, ...] = ()
    """``address/len`` strings."""
    source_prefix_ranges: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when the chain matches every connection."""
        return not (
            self.server_names
            or self.transport_protocol
            or self.destination_port is not None
            or self.application_protocols
            or self.prefix_ranges
            or self.source_prefix_ranges
        )


@dataclass(slots=True, frozen=True)
class FilterChain:
    """One filter chain of a listener, with its terminal network filter digested."""

    listener: str
    index: int
    """Position in ``filter_chains``; -1 for the listener's ``default_filter_chain``."""
    name: str
    match: FilterChainMatch
    filters: tuple[str, ...]
    """Network filter names in order (``envoy.filters.network.http_connection_manager`` …)."""
    rds_name: str | None = None
    """RDS route config name when the chain ends in an HCM using RDS."""
    inline_route_config: str | None = None
    """Name of the inline route config when the HCM carries one."""
    http_filters: tuple[str, ...] = ()
    tcp_cluster: str | None = None
    tcp_weighted_clusters: tuple[WeightedCluster, ...] = ()
    istio_config: str | None = None
    tls_secrets: tuple[str, ...] = ()
    """SDS secret names of a DownstreamTlsContext (``kubernetes://cred`` …)."""
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_default(self) -> bool:
        """True for the listener's ``default_filter_chain``."""
        return self.index < 0

    @property
    def key(self) -> str:
        """The chain's part of its resource id: its name, else its index."""
        if self.name:
            return self.name
        return "default" if self.index < 0 else str(self.index)


@dataclass(slots=True, frozen=True)
class Listener:
    """An Envoy listener."""

    name: str
    """May be empty: Istio's bootstrap listeners (15090, 15021) often have no name."""
    address: str
    """IP, pipe path, or empty when the listener binds no socket address."""
    port: int | None
    state: ResourceState
    filter_chains: tuple[FilterChain, ...]
    default_filter_chain: FilterChain | None = None
    listener_filters: tuple[str, ...] = ()
    use_original_dst: bool = False
    bind_to_port: bool = True
    traffic_direction: str | None = None
    internal: bool = False
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)

    @property
    def all_chains(self) -> tuple[FilterChain, ...]:
        """Filter chains followed by the default chain, if any."""
        if self.default_filter_chain is None:
            return self.filter_chains
        return (*self.filter_chains, self.default_filter_chain)


@dataclass(slots=True)
class ClusterKey:
    """A cluster name parsed as Istio's ``direction|port|subset|host`` (or its ``_.`` SNI form)."""

    direction: str
    port: int | None
    subset: str
    host: str
    sni_form: bool = False


@dataclass(slots=True)
class Cluster:
    """An Envoy cluster."""

    name: str
    state: ResourceState
    key: ClusterKey | None
    """Parsed Istio name; None for names outside that scheme (BlackHoleCluster, agent …)."""
    discovery_type: str
    """EDS, STATIC, STRICT_DNS, LOGICAL_DNS, ORIGINAL_DST, or the cluster_type extension name."""
    lb_policy: str
    """Envoy's lb_policy (ROUND_ROBIN when the field is absent, its proto default)."""
    tls_mode: str
    """istio-auto (transport_socket_matches tlsMode-istio), istio-mutual, tls, mtls, or none."""
    eds_service_name: str | None = None
    connect_timeout: str | None = None
    circuit_breakers: JsonDict | None = None
    outlier_detection: JsonDict | None = None
    sni: str | None = None
    istio_config: str | None = None
    """``filter_metadata.istio.config``: the DestinationRule whose policy applied."""
    istio_subset: str | None = None
    istio_services: tuple[Mapping[str, str], ...] = ()
    """``filter_metadata.istio.services``: ``{host, name, namespace}`` of the service(s)."""
    inline_endpoints: int = 0
    """Endpoints carried in the cluster's own ``load_assignment`` (STATIC/DNS clusters)."""
    raw: JsonDict = field(default_factory=dict, repr=False, compare=False)


@dataclass(slots=True)
class Endpoint:
    """One upstream host of a cluster (from EDS, a load_assignment, or istioctl's status)."""

    cluster: str
    address: str
    """``ip:port``, a pipe path, or an internal address such as ``envoy://listener/x``."""
    health: str
    """HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED, or UNKNOWN."""
    weight: int | None = None
    locality: str = ""
    """``region/zone/subzone`` with empty parts dropped at the end."""
    priority: int = 0
    source: str = "eds"
    """eds (EndpointsConfigDump), load_assignment (cluster inline), or status (/clusters)."""


@dataclass(slots=True, frozen=True)
class Secret:
    """An SDS secret: its name and certificate validity, never the key material."""

    name: str
    kind: str
    """Cert Chain, CA, Session Ticket Keys, Generic, or Unknown."""
    status: str
    """ACTIVE or WARMING, as istioctl reports it."""
    dynamic: bool
    version: str | None = None
    last_updated: str | None = None
    serial_number: str | None = None
    not_before: str | None = None
    not_after: str | None = None
    valid: bool | None = None
    """Whether the certificate was within its validity period at ``last_updated``."""


@dataclass(slots=True, frozen=True)
class Skipped:
    """A part of an input that was not analysed, and why."""

    file: str
    what: str
    reason: str


@dataclass(slots=True)
class Proxy:
    """Everything read about one proxy, merged from one or more captures of it."""

    node_id: str = ""
    name: str = ""
    """``<pod>.<namespace>`` from node.id, else the first input's file name."""
    kind: ProxyKind = "unknown"
    namespace: str = ""
    ip: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    labels_known: bool = False
    """True when labels came from node.metadata.LABELS; older proxies only flattened some in."""
    istio_version: str = ""
    envoy_version: str = ""
    inputs: list[str] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    route_configs: list[RouteConfig] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    endpoints_captured: bool = False
    """True when an input carried endpoints (EDS or endpoint status), even if empty."""
    secrets: list[Secret] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    bootstrap: JsonDict | None = field(default=None, repr=False)
    _index: dict[str, dict[str, Any]] | None = field(default=None, repr=False, compare=False)

    def identity(self) -> dict[str, Any]:
        """Who the proxy is, as the JSON reports open each proxy's entry."""
        return {
            "name": self.name,
            "kind": self.kind,
            "namespace": self.namespace,
            "istio_version": self.istio_version,
            "envoy_version": self.envoy_version,
            "inputs": list(self.inputs),
        }

    def _lookup(self, kind: str, name: str) -> Any:
        # Built on first use, after loading: lookups by name happen per resource in attribution
        # and checks, so a linear scan each time would be quadratic on a large mesh.
        if self._index is None:
            index: dict[str, dict[str, Any]] = {"listener": {}, "route_config": {}, "cluster": {}}
            for kind_name, items in (
                ("listener", self.listeners),
                ("route_config", self.route_configs),
                ("cluster", self.clusters),
            ):
                table = index[kind_name]
                for item in items:
                    current = table.get(item.name)
                    # Active beats other states; otherwise the first one seen wins.
                    if current is None or (
                        current.state.status != "active" and item.state.status == "active"
                    ):
                        table[item.name] = item
            self._index = index
        return self._index[kind].get(name)

    def listener(self, name: str) -> Listener | None:
        """The active listener of that name (else one in another state), or None."""
        found: Listener | None = self._lookup("listener", name)
        return found

    def route_config(self, name: str) -> RouteConfig | None:
        """The route config of that name, or None."""
        found: RouteConfig | None = self._lookup("route_config", name)
        return found

    def cluster(self, name: str) -> Cluster | None:
        """The active cluster of that name (else a warming one), or None."""
        found: Cluster | None = self._lookup("cluster", name)
        return found
