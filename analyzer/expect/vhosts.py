"""Compare the predicted vhosts and routes with the proxy's: drifted routes, missing ones.

Routes are tied to their rule by the attribution (``filter_metadata.istio.config`` plus the
rule's conditions, names and destinations; see docs/attribution.md), so a route whose cluster or
timeout drifted is still recognised as the rule's and compared field by field.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.attribution.model import Attribution
from analyzer.expect.common import duplicated
from analyzer.expect.prediction import Prediction
from analyzer.expect.route_diff import diff_route
from analyzer.expect.route_policy import FieldDiff
from analyzer.expect.routes import (
    Placement,
    expected_slots,
    http_rule,
    listen_port_of,
    parse_rule_path,
    rule_path,
)
from analyzer.model.envoy import Route, VirtualHost
from analyzer.model.istio import IstioObject


@dataclass(frozen=True, slots=True)
class RouteDrift:
    """A route that differs from the VirtualService rule it was built from."""

    resource: str
    vs: IstioObject
    diff: FieldDiff


@dataclass(frozen=True, slots=True)
class MissingRoute:
    """A vhost or a rule × match route the proxy should hold and does not."""

    resource: str
    vs: IstioObject
    path: str
    message: str
    expected: str
    found: str


def _vs_of(prediction: Prediction, ref: str) -> IstioObject | None:
    kind, _, rest = ref.partition("/")
    namespace, _, name = rest.partition("/")
    if kind != "VirtualService":
        return None
    vs = prediction.mesh.config.get("VirtualService", namespace, name)
    if vs is None or duplicated(prediction.mesh.config, vs):
        return None
    return vs


def route_drifts(prediction: Prediction, attribution: Attribution) -> list[RouteDrift]:
    """Every field of every VirtualService-built route that differs from its rule."""
    out: list[RouteDrift] = []
    # Thousands of routes name a few hundred VirtualServices: look each up once.
    vs_by_ref: dict[str, IstioObject | None] = {}
    gateway = prediction.is_gateway
    for resource in attribution.resources:
        route = resource.obj
        if resource.type != "route" or not isinstance(route, Route):
            continue
        for source in attribution.of(resource.id):
            if source.ref not in vs_by_ref:
                vs_by_ref[source.ref] = _vs_of(prediction, source.ref)
            vs = vs_by_ref[source.ref]
            slot = parse_rule_path(source.path)
            if vs is None or slot is None:
                continue
            rule = http_rule(vs, slot[0])
            port = listen_port_of(route.route_config, route.virtual_host, gateway)
            if rule is None or port is None:
                continue
            diffs = diff_route(vs, slot[0], rule, port, prediction.registry, route)
            out.extend(RouteDrift(resource.id, vs, diff) for diff in diffs)
    return out


def _vhosts_by_name(prediction: Prediction) -> dict[str, list[tuple[str, VirtualHost]]]:
    out: dict[str, list[tuple[str, VirtualHost]]] = {}
    for route_config in prediction.mesh.proxy.route_configs:
        if route_config.state.status != "active" or not route_config.name:
            continue
        for vhost in route_config.virtual_hosts:
            out.setdefault(vhost.name, []).append((route_config.name, vhost))
    return out


def _locate(
    prediction: Prediction, placement: Placement, index: dict[str, list[tuple[str, VirtualHost]]]
) -> tuple[str, VirtualHost | None] | None:
    """(route config, vhost or None when missing) for a placement; None when not predictable."""
    found = index.get(placement.vhost, [])
    exact = [v for rc, v in found if rc == placement.route_config]
    if exact:
        return placement.route_config, exact[0]
    if found:
        return found[0]
    if not placement.certain:
        return None
    if prediction.is_gateway and not prediction.view.ports_certain:
        names = {rc.name for rc in prediction.mesh.proxy.route_configs}
        if placement.route_config not in names:
            return None
    return placement.route_config, None


def missing_routes(prediction: Prediction, attribution: Attribution) -> list[MissingRoute]:
    """Vhosts and rule × match routes the applied VirtualServices should give and do not."""
    proxy = prediction.mesh.proxy
    if not any(rc.name for rc in proxy.route_configs):
        return []
    index = _vhosts_by_name(prediction)
    out = []
    for placement in prediction.placements:
        vs = placement.vs
        if not vs.spec.get("http") or duplicated(prediction.mesh.config, vs):
            continue
        located = _locate(prediction, placement, index)
        if located is None:
            continue
        route_config, vhost = located
        vhost_id = f"virtual_host/{route_config}/{placement.vhost}"
        if vhost is None:
            out.append(
                MissingRoute(
                    resource=vhost_id,
                    vs=vs,
                    path=f"spec.hosts[{placement.host_index}]",
                    message=f"no vhost {placement.vhost} in route config {route_config}",
                    expected=f"{vhost_id} with the routes of this VirtualService",
                    found=f"route config {route_config} has no such vhost",
                )
            )
            continue
        slots = expected_slots(vs, placement.listen_port, placement.context, proxy)
        if slots is None:
            continue
        ref = f"VirtualService/{vs.namespace}/{vs.name}"
        present = set()
        for route in vhost.routes:
            route_id = f"route/{route_config}/{vhost.name}/{route.index}"
            for source in attribution.of(route_id):
                if source.ref == ref and source.path:
                    present.add(source.path)
        for rule_index, match_index in slots:
            path = rule_path(rule_index, match_index)
            if path in present:
                continue
            out.append(
                MissingRoute(
                    resource=vhost_id,
                    vs=vs,
                    path=path,
                    message=f"rule {path} has no route in vhost {placement.vhost}",
                    expected=f"a route for {path} in {vhost_id} (port {placement.listen_port})",
                    found=f"{len(vhost.routes)} route(s) there, none built from this rule",
                )
            )
    return out
