"""One input file's resources, gathered section by section before proxies are merged."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from analyzer.load.envoy_clusters import (
    build_cluster,
    endpoints_from_assignment,
    endpoints_from_status,
)
from analyzer.load.envoy_listeners import build_listener
from analyzer.load.envoy_routes import build_route_config
from analyzer.load.envoy_secrets import build_secret
from analyzer.model.envoy import (
    ACTIVE_STATIC,
    Cluster,
    Endpoint,
    JsonDict,
    Listener,
    ResourceState,
    RouteConfig,
    Secret,
    Skipped,
    Status,
)

_LISTENER_STATES: tuple[tuple[str, Status], ...] = (
    ("active_state", "active"),
    ("warming_state", "warming"),
    ("draining_state", "draining"),
)
# Istio <= 1.4 era dumps list dynamic listeners per state in separate arrays.
_LEGACY_LISTENER_SECTIONS: tuple[tuple[str, Status], ...] = (
    ("dynamic_active_listeners", "active"),
    ("dynamic_warming_listeners", "warming"),
    ("dynamic_draining_listeners", "draining"),
)


def _state(entry: JsonDict, status: Status, dynamic: bool) -> ResourceState:
    version = entry.get("version_info")
    updated = entry.get("last_updated")
    if not version and not updated and status == "active" and not dynamic:
        return ACTIVE_STATIC
    # Positional: one state per cluster, and keyword calls to a dataclass cost three times as much.
    return ResourceState(
        status,
        dynamic,
        str(version) if version else None,
        str(updated) if updated else None,
    )


class Capture:
    """Resources read from one file; ``add_*`` methods take one admin section or resource each."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.node: JsonDict | None = None
        self.bootstrap: JsonDict | None = None
        self.listeners: list[Listener] = []
        self.route_configs: list[RouteConfig] = []
        self.inline_route_configs: list[RouteConfig] = []
        self.clusters: list[Cluster] = []
        self.endpoints: list[Endpoint] = []
        self.endpoints_captured = False
        self.secrets: list[Secret] = []
        self.skipped: list[Skipped] = []
        self.routes_dumped = False
        """True once a RoutesConfigDump section was read: it lists every route config Envoy has."""
        self._sections = 0

    @property
    def node_id(self) -> str:
        """The proxy's ``node.id``, or empty when the capture has no bootstrap."""
        return str(self.node.get("id", "")) if self.node else ""

    def is_empty(self) -> bool:
        """True when nothing in the file was recognised as Envoy config."""
        return self._sections == 0

    def skip(self, what: str, reason: str) -> None:
        """Record a part of the input that is not analysed."""
        self.skipped.append(Skipped(self.path, what, reason))

    # --- admin envelope sections -------------------------------------------------------------

    def add_bootstrap_dump(self, section: JsonDict) -> None:
        """BootstrapConfigDump (or istioctl ``pc bootstrap``)."""
        bootstrap = section.get("bootstrap", section)
        if isinstance(bootstrap, dict):
            self.bootstrap = bootstrap
            node = bootstrap.get("node")
            if isinstance(node, dict):
                self.node = node
        self._sections += 1

    def add_clusters_dump(self, section: JsonDict) -> None:
        """ClustersConfigDump: static, dynamic active and dynamic warming clusters."""
        self._sections += 1
        for entry in section.get("static_clusters") or ():
            self._cluster(entry, "active", dynamic=False)
        for entry in section.get("dynamic_active_clusters") or ():
            self._cluster(entry, "active", dynamic=True)
        for entry in section.get("dynamic_warming_clusters") or ():
            self._cluster(entry, "warming", dynamic=True)

    def add_listeners_dump(self, section: JsonDict) -> None:
        """ListenersConfigDump, current (per-entry states) and legacy (per-state arrays)."""
        self._sections += 1
        for entry in section.get("static_listeners") or ():
            self._listener(entry.get("listener"), _state(entry, "active", dynamic=False))
        for entry in section.get("dynamic_listeners") or ():
            self.add_listener_entry(entry, count=False)
        for key, status in _LEGACY_LISTENER_SECTIONS:
            for entry in section.get(key) or ():
                self._listener(entry.get("listener"), _state(entry, status, dynamic=True))

    def add_routes_dump(self, section: JsonDict) -> None:
        """RoutesConfigDump: static (inline HCM) and dynamic (RDS) route configs."""
        self._sections += 1
        self.routes_dumped = True
        for entry in section.get("static_route_configs") or ():
            self._route_config(entry, dynamic=False)
        for entry in section.get("dynamic_route_configs") or ():
            self._route_config(entry, dynamic=True)

    def add_endpoints_dump(self, section: JsonDict) -> None:
        """EndpointsConfigDump (only present with ``?include_eds``)."""
        self._sections += 1
        self.endpoints_captured = True
        for key in ("static_endpoint_configs", "dynamic_endpoint_configs"):
            for entry in section.get(key) or ():
                assignment = entry.get("endpoint_config")
                if isinstance(assignment, dict):
                    self.endpoints.extend(endpoints_from_assignment(assignment))

    def add_secrets_dump(self, section: JsonDict) -> None:
        """SecretsConfigDump: names and certificate validity only."""
        self._sections += 1
        for entry in section.get("static_secrets") or ():
            self._secret(entry, "ACTIVE", dynamic=False)
        for entry in section.get("dynamic_active_secrets") or ():
            self._secret(entry, "ACTIVE", dynamic=True)
        for entry in section.get("dynamic_warming_secrets") or ():
            self._secret(entry, "WARMING", dynamic=True)

    def add_scoped_routes_dump(self, section: JsonDict) -> None:
        """ScopedRoutesConfigDump: Istio never uses scoped routes; note any that appear."""
        self._sections += 1
        if any(section.get(k) for k in section if k != "@type"):
            self.skip("ScopedRoutesConfigDump", "scoped route configs are not analysed")

    def add_ecds_dump(self, section: JsonDict) -> None:
        """EcdsConfigDump: extension configs (Wasm, ...) are kept opaque."""
        self._sections += 1
        count = len(section.get("ecds_filters") or ())
        if count:
            self.skip("EcdsConfigDump", f"{count} ECDS filter config(s) kept opaque")

    # --- single entries (``?resource=`` output, istioctl bare arrays) -----------------------

    def add_cluster_entry(self, entry: JsonDict) -> None:
        """One ``StaticCluster`` / ``DynamicCluster`` entry."""
        self._sections += 1
        # A lone DynamicCluster may come from either dynamic list; active is by far the common ask.
        self._cluster(entry, "active", dynamic="version_info" in entry)

    def add_listener_entry(self, entry: JsonDict, count: bool = True) -> None:
        """One ``DynamicListener`` (states active/warming/draining/error) or ``StaticListener``."""
        if count:
            self._sections += 1
        if "listener" in entry:
            self._listener(entry.get("listener"), _state(entry, "active", dynamic=False))
            return
        name = str(entry.get("name", ""))
        for key, status in _LISTENER_STATES:
            state_entry = entry.get(key)
            if isinstance(state_entry, dict):
                self._listener(
                    state_entry.get("listener"), _state(state_entry, status, dynamic=True), name
                )
        error = entry.get("error_state")
        if isinstance(error, dict):
            self._rejected_listener(name, error)

    def add_route_entry(self, entry: JsonDict) -> None:
        """One ``StaticRouteConfig`` / ``DynamicRouteConfig`` entry."""
        self._sections += 1
        self._route_config(entry, dynamic="version_info" in entry)

    def add_endpoint_entry(self, entry: JsonDict) -> None:
        """One ``StaticEndpointConfig`` / ``DynamicEndpointConfig`` entry."""
        self._sections += 1
        self.endpoints_captured = True
        assignment = entry.get("endpoint_config")
        if isinstance(assignment, dict):
            self.endpoints.extend(endpoints_from_assignment(assignment))

    def add_secret_entry(self, entry: JsonDict) -> None:
        """One ``StaticSecret`` / ``DynamicSecret`` entry."""
        self._sections += 1
        self._secret(entry, "ACTIVE", dynamic="version_info" in entry)

    def add_bare_listener(self, raw: JsonDict) -> None:
        """A Listener message (istioctl ``pc listener -o json`` items)."""
        self._sections += 1
        self._listener(raw, ACTIVE_STATIC if not raw.get("name") else _ISTIOCTL_STATE)

    def add_bare_cluster(self, raw: JsonDict) -> None:
        """A Cluster message (istioctl ``pc cluster -o json`` items)."""
        self._sections += 1
        self.clusters.append(build_cluster(raw, _ISTIOCTL_STATE))

    def add_bare_route_config(self, raw: JsonDict) -> None:
        """A RouteConfiguration message (istioctl ``pc route -o json`` items)."""
        self._sections += 1
        self.route_configs.append(build_route_config(raw, _ISTIOCTL_STATE))

    def add_bare_assignment(self, raw: JsonDict) -> None:
        """A ClusterLoadAssignment (istioctl ``pc eds -o json`` items)."""
        self._sections += 1
        self.endpoints_captured = True
        self.endpoints.extend(endpoints_from_assignment(raw))

    def add_bare_secret(self, raw: JsonDict) -> None:
        """A Secret message."""
        self._sections += 1
        self._secret({"name": raw.get("name", ""), "secret": raw}, "ACTIVE", dynamic=True)

    def add_cluster_statuses(self, section: JsonDict) -> None:
        """Admin ``/clusters?format=json``."""
        self._sections += 1
        self.endpoints_captured = True
        for status in section.get("cluster_statuses") or ():
            if isinstance(status, dict):
                self.endpoints.extend(endpoints_from_status(status))

    def add_cluster_status(self, status: JsonDict) -> None:
        """One ClusterStatus (istioctl ``pc endpoint -o json`` items)."""
        self._sections += 1
        self.endpoints_captured = True
        self.endpoints.extend(endpoints_from_status(status))

    def add_listener_statuses(self, section: JsonDict) -> None:
        """Admin ``/listeners?format=json``: names and addresses only; nothing to analyse."""
        self._sections += 1
        count = len(section.get("listener_statuses") or ())
        self.skip("listener_statuses", f"{count} listener status(es): addresses only, not analysed")

    # --- builders ----------------------------------------------------------------------------

    def _cluster(self, entry: Any, status: Status, dynamic: bool) -> None:
        raw = entry.get("cluster") if isinstance(entry, dict) else None
        if not isinstance(raw, dict):
            self.skip("cluster entry", "has no cluster")
            return
        self.clusters.append(build_cluster(raw, _state(entry, status, dynamic)))

    def _listener(self, raw: Any, state: ResourceState, fallback_name: str = "") -> None:
        if not isinstance(raw, dict):
            self.skip(f"listener {fallback_name}".strip(), "entry has no listener")
            return
        listener, inline = build_listener(raw, state, fallback_name)
        self.listeners.append(listener)
        if state.status == "active":
            self.inline_route_configs.extend(inline)

    def _rejected_listener(self, name: str, error: JsonDict) -> None:
        failed = error.get("failed_configuration")
        details = str(error.get("details", ""))
        if isinstance(failed, dict) and not name:
            name = str(failed.get("name", ""))
        # Envoy lists a rejected update twice, once without a name; keep one.
        for listener in self.listeners:
            state = listener.state
            if state.status == "rejected" and listener.name == name and state.error == details:
                return
        state = ResourceState(
            status="rejected",
            dynamic=True,
            last_updated=str(error.get("last_update_attempt") or "") or None,
            error=details,
        )
        raw = failed if isinstance(failed, dict) else {"name": name}
        listener, _inline = build_listener(raw, state, name)
        self.listeners.append(listener)

    def _route_config(self, entry: Any, dynamic: bool) -> None:
        raw = entry.get("route_config") if isinstance(entry, dict) else None
        if not isinstance(raw, dict):
            self.skip("route config entry", "has no route_config")
            return
        self.route_configs.append(build_route_config(raw, _state(entry, "active", dynamic)))

    def _secret(self, entry: Any, status: str, dynamic: bool) -> None:
        if not isinstance(entry, dict):
            return
        self.secrets.append(build_secret(entry, status, dynamic))

    def resolved_route_configs(self) -> list[RouteConfig]:
        """RDS and static route configs, with inline ones tied to their listener.

        Envoy lists every HCM's inline route config again under ``static_route_configs``; the
        inline copy (which knows its listener) replaces that duplicate. Inline configs absent from
        the routes section are added, marked ``listed=False`` when the capture had a routes
        section (a hand-trimmed dump); a listeners-only capture has nothing to compare with, so
        its inline configs stay listed.
        """
        if not self.inline_route_configs:
            return self.route_configs
        out = list(self.route_configs)
        # Static entries not yet replaced, by name, in dump order: one lookup per inline config.
        statics: dict[str, list[int]] = {}
        for index, existing in enumerate(out):
            if not existing.state.dynamic and existing.inline_in is None:
                statics.setdefault(existing.name, []).append(index)
        for inline in self.inline_route_configs:
            candidates = statics.get(inline.name, [])
            vhosts = inline.raw.get("virtual_hosts")
            for position, index in enumerate(candidates):
                if out[index].raw.get("virtual_hosts") == vhosts:
                    out[index] = inline
                    del candidates[position]
                    break
            else:
                out.append(replace(inline, listed=False) if self.routes_dumped else inline)
        return out


# istioctl drops version_info/last_updated and every non-active entry: all it prints is active.
_ISTIOCTL_STATE = ResourceState(status="active", dynamic=True)
