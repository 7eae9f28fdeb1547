"""ML0406 rejected-config."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.attribution.ids import listener_key
from analyzer.attribution.listeners import listener_sources
from analyzer.attribution.mesh import MeshIndex, selector_matches
from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context, to_finding_source
from analyzer.checks.model import Finding, FindingSource, Severity
from analyzer.model.envoy import Listener, Proxy
from analyzer.model.istio import IstioObject

ROOT_NAMESPACE = "istio-system"
"""Istio's default root namespace: EnvoyFilters there apply to every namespace."""

_LISTENER_PATCHES = frozenset(
    {"LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER", "LISTENER_FILTER"}
)
_ROUTE_PATCHES = frozenset({"ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE"})
"""Route patches reach a listener only through the route configurations inlined in it."""

_MIN_KEY_TOKEN = 8
"""Field names of a patch value shorter than this are too common to tie an error to it."""


@dataclass(frozen=True, slots=True)
class _Patch:
    """One EnvoyFilter patch that applies to the rejected listener."""

    obj: IstioObject
    index: int
    apply_to: str
    context: str
    named: bool
    """True when Envoy's error message names the filter, type or a field the patch adds."""

    @property
    def path(self) -> str:
        return f"spec.configPatches[{self.index}]"

    def describe(self) -> str:
        text = f"{self.obj.kind}/{self.obj.namespace}/{self.obj.name} {self.path}"
        text += f" ({self.apply_to} on {self.context})"
        return text + (", named in Envoy's error" if self.named else "")


class RejectedConfig(Check):
    """Envoy rejected a listener update; the dump keeps its reason in `error_state`.

    **What it detects.** Listeners with an `error_state` in the dump (a NACKed LDS update), with
    Envoy's reason and the time of the attempt, whether or not an older version is still
    active. The likely cause is named: EnvoyFilters among the inputs that apply to this proxy
    (its namespace or the root namespace `istio-system`, a `workloadSelector` matching the
    proxy's labels, or none) and whose patches target this listener (context
    `SIDECAR_INBOUND` for `virtualInbound`, `SIDECAR_OUTBOUND` for the other sidecar listeners,
    `GATEWAY` on gateways, `ANY`; the listener `portNumber`, `name` and filter chain `name`);
    a patch whose filter, type or fields Envoy's message names comes first. Without such an
    EnvoyFilter the finding points at the listener's own sources (Gateway, Service, ...).

    **Why it matters.** The update is not in effect. If an older version is active, Envoy keeps
    serving it and the change (a new route, an EnvoyFilter) silently does nothing; if none is,
    nothing listens on the port: a rejected `virtualInbound` refuses all inbound traffic to the
    pod (callers see `503 UF`, connection refused). istiod counts the NACK in
    `pilot_total_xds_rejects`. Envoy records rejections this way only for listeners; a rejected
    cluster lingers in `dynamic_warming_clusters` (ML0407), rejected routes and endpoints leave
    no trace in the dump.

    **Example.** `listener/virtualInbound`: `Proto constraint validation failed
    (LuaValidationError.DefaultSourceCode: …)`, caused by `EnvoyFilter/hr2/geo-inbound-filter`,
    whose Lua filter reached Envoy with an empty `default_source_code`.

    **How to fix.** Correct or remove the patch Envoy rejects (validate it against the Envoy
    version of the proxy: field names and types change between releases); `istioctl
    proxy-status` shows the proxy as NACKing until a valid update arrives.
    """

    CODE = "ML0406"
    NAME = "rejected-config"
    SEVERITY = Severity.ERROR

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per rejected listener."""
        proxy, attribution, mesh = ctx.proxy, ctx.attribution, ctx.mesh
        assert proxy is not None and attribution is not None and mesh is not None
        for listener in proxy.listeners:
            if listener.state.status != "rejected":
                continue
            key = listener_key(listener)
            resource_id = f"listener/{key}"
            active = next(
                (
                    other
                    for other in proxy.listeners
                    if other.state.status == "active" and listener_key(other) == key
                ),
                None,
            )
            details = " ".join((listener.state.error or "no reason given").split())
            patches = _patches(mesh, proxy, listener, details) if ctx.config else []
            if any(p.named for p in patches):
                patches = [p for p in patches if p.named]
            source: Source | FindingSource | None
            if patches:
                source = to_finding_source(patches[0].obj, patches[0].path)
            else:
                own = attribution.of(resource_id) if active else []
                source = _primary(own or listener_sources(mesh, listener, key))
            message = f"Envoy rejected an update of listener {key}: {details}"
            if patches:
                message += "; likely source: " + "; ".join(p.describe() for p in patches)
            when = f" at {listener.state.last_updated}" if listener.state.last_updated else ""
            yield self.finding(
                ctx,
                message,
                resource=resource_id,
                source=source,
                expected=f"Envoy accepts listener {key}",
                found=f"error_state{when}: {details}",
                symptom=_symptom(listener, active),
            )


def _symptom(listener: Listener, active: Listener | None) -> str:
    if active is not None:
        version = f" ({active.state.version})" if active.state.version else ""
        return f"the update is not in effect: Envoy keeps serving the previous version{version}"
    if listener.name == "virtualInbound":
        return (
            "no active version: inbound traffic redirected to :15006 is refused"
            " (callers see 503 UF, connection refused)"
        )
    where = f" on {listener.address}:{listener.port}" if listener.port is not None else ""
    return f"no active version: nothing listens{where}; connections are refused"


def _primary(sources: list[Source]) -> Source | None:
    for source in sources:
        if not source.is_default:
            return source
    return sources[0] if sources else None


# --- EnvoyFilters that patch the listener ---------------------------------------------------


def _patches(mesh: MeshIndex, proxy: Proxy, listener: Listener, details: str) -> list[_Patch]:
    """Patches of EnvoyFilters selecting this proxy whose match fits the rejected listener."""
    error = _normalise(details)
    out = []
    for envoy_filter in mesh.config.by_kind("EnvoyFilter"):
        if not _selects(envoy_filter, proxy):
            continue
        for index, patch in enumerate(envoy_filter.spec.get("configPatches") or ()):
            if not isinstance(patch, dict):
                continue
            apply_to = str(patch.get("applyTo", ""))
            match = patch.get("match")
            match = match if isinstance(match, dict) else {}
            context = str(match.get("context") or "ANY")
            if not _fits(mesh, proxy, listener, apply_to, context, match):
                continue
            value = patch.get("patch")
            named = any(t in error for t in _tokens(value)) if isinstance(value, dict) else False
            out.append(_Patch(envoy_filter, index, apply_to, context, named))
    return out


def _selects(envoy_filter: IstioObject, proxy: Proxy) -> bool:
    """Whether an EnvoyFilter applies to this proxy's workload."""
    if proxy.namespace and envoy_filter.namespace not in (proxy.namespace, ROOT_NAMESPACE):
        return False
    spec = envoy_filter.spec
    if spec.get("targetRefs"):
        return False  # bound to a Gateway API gateway or waypoint: not resolved here
    selector = spec.get("workloadSelector")
    labels = selector.get("labels") if isinstance(selector, dict) else None
    if not labels:
        return True
    return isinstance(labels, dict) and selector_matches(labels, proxy.labels)


def _fits(
    mesh: MeshIndex,
    proxy: Proxy,
    listener: Listener,
    apply_to: str,
    context: str,
    match: Mapping[str, Any],
) -> bool:
    """Whether a patch's applyTo, context and listener match reach this listener."""
    inbound = listener.name == "virtualInbound" or listener.traffic_direction == "INBOUND"
    if apply_to in _ROUTE_PATCHES:
        if not any(c.inline_route_config is not None for c in listener.all_chains):
            return False
        target = match.get("routeConfiguration")
    elif apply_to in _LISTENER_PATCHES:
        target = match.get("listener")
    else:
        return False
    kind = proxy.kind
    contexts = {
        "ANY": True,
        "GATEWAY": kind in ("gateway", "unknown"),
        "SIDECAR_INBOUND": kind in ("sidecar", "unknown") and inbound,
        "SIDECAR_OUTBOUND": kind in ("sidecar", "unknown") and not inbound,
    }
    if not contexts.get(context, False):
        return False
    if not isinstance(target, dict):
        return True
    port = target.get("portNumber")
    if isinstance(port, int) and not _has_port(mesh, listener, port, inbound):
        return False
    name = target.get("name")
    named_other = isinstance(name, str) and name and listener.name and name != listener.name
    if apply_to in _LISTENER_PATCHES and named_other:
        return False
    chain = target.get("filterChain")
    chain_name = chain.get("name") if isinstance(chain, dict) else None
    if isinstance(chain_name, str) and chain_name and listener.all_chains:
        return any(c.name == chain_name for c in listener.all_chains)
    return True


def _has_port(mesh: MeshIndex, listener: Listener, port: int, inbound: bool) -> bool:
    """The listener's port, a chain's destination port, or (inbound) a Service port onto one."""
    if listener.port is None and not listener.all_chains:
        return True  # the dump kept no configuration to compare with
    ports = {c.match.destination_port for c in listener.all_chains}
    if port == listener.port or port in ports:
        return True
    if inbound:
        for service in mesh.workload_services:
            for service_port in mesh.ports_of(service):
                if service_port.number == port and service_port.target_port in ports:
                    return True
    return False


def _tokens(patch: Mapping[str, Any]) -> set[str]:
    """Names a rejection message may quote: the filter, its config type and its fields."""
    value = patch.get("value")
    if not isinstance(value, dict):
        return set()
    found: set[str] = set()
    name = value.get("name")
    if isinstance(name, str) and name:
        found.add(name.rsplit(".", 1)[-1])
    typed = value.get("typed_config") or value.get("typedConfig")
    if isinstance(typed, dict):
        type_url = typed.get("@type")
        if isinstance(type_url, str):
            found.add(type_url.rsplit(".", 1)[-1])
        inner = typed.get("value")  # a TypedStruct carries its fields under "value"
        fields: Mapping[str, Any] = inner if isinstance(inner, dict) else typed
        found.update(
            k for k in fields if k != "@type" and len(_normalise(str(k))) >= _MIN_KEY_TOKEN
        )
    return {_normalise(t) for t in found if len(t) >= 3}


def _normalise(text: str) -> str:
    """Lower case without underscores: ``default_source_code`` ~ ``defaultSourceCode``."""
    return text.replace("_", "").lower()
