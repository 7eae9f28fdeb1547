"""Route rows of ``meshlens inventory``: istioctl's ``proxy-config route`` table.

One row per route (``route.go``); route configs come in istioctl's order, RDS ones first. See
docs/istioctl-tables.md for the cell rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from analyzer.attribution.ids import route_config_key
from analyzer.model.envoy import Proxy, RouteConfig
from analyzer.report.inventory_common import (
    InventoryFilter,
    Row,
    describe_route_match,
    go_atoi,
    render_istio_config,
)

_PASSTHROUGH = "PassthroughCluster"
_MAX_DOMAINS = 2


def route_rows(proxy: Proxy, flt: InventoryFilter) -> list[Row]:
    """One row per route (PassthroughCluster routes skipped), one per route-less virtual host."""
    vs_cache: dict[str, str] = {"": ""}
    rows: list[Row] = []
    append = rows.append
    for route_config in _route_table_configs(proxy):
        name = route_config.name
        if flt.name and name != flt.name:
            continue
        status = route_config.state.status
        # Ids follow analyzer.attribution.ids: an unnamed inline config takes its listener's key.
        key = name or route_config_key(route_config)
        for vhost in route_config.virtual_hosts:
            vhost_name = vhost.name
            domains = describe_domains(vhost.domains)
            prefix = f"route/{key}/{vhost_name}/"
            for route in vhost.routes:
                if route.cluster == _PASSTHROUGH and route.action == "route":
                    continue
                config = route.istio_config or ""
                append(
                    {
                        "domains": domains,
                        "id": f"{prefix}{route.index}",
                        "match": describe_route_match(route.match),
                        "name": name,
                        "status": status,
                        "vhost_name": vhost_name,
                        "virtual_service": vs_cache.get(config)
                        or render_istio_config(config, vs_cache),
                    }
                )
            if not vhost.routes:
                append(
                    {
                        "domains": domains,
                        "id": f"virtual_host/{key}/{vhost_name}",
                        "match": "/*",
                        "name": name,
                        "status": status,
                        "vhost_name": vhost_name,
                        "virtual_service": "404",
                    }
                )
    return rows


def _route_table_configs(proxy: Proxy) -> list[RouteConfig]:
    """Route configs in istioctl's order: RDS ones first, then Envoy's static list.

    Envoy lists every HCM-inlined route config as static; the loader keeps those as the inline
    copies (``inline_in`` set, state taken from their listener), so "static" means "not RDS".
    istioctl reads only the routes section: inline configs it did not list (``listed``) are left
    out, as in a hand-trimmed dump.
    """
    configs = [rc for rc in proxy.route_configs if rc.listed]
    rds = [rc for rc in configs if rc.inline_in is None and rc.state.dynamic]
    static = [rc for rc in configs if rc.inline_in is not None or not rc.state.dynamic]
    return _numeric_runs_sorted(rds + static)


def _numeric_runs_sorted(configs: list[RouteConfig]) -> list[RouteConfig]:
    """istioctl orders by numeric name but calls non-numeric names "not less" than anything.

    With Go's insertion sort that leaves non-numeric names in place and sorts each run of
    numeric names between them; doing exactly that keeps the order deterministic for any size.
    """
    out: list[RouteConfig] = []
    run: list[tuple[int, RouteConfig]] = []
    for route_config in configs:
        number = go_atoi(route_config.name)
        if number is None:
            run.sort(key=lambda item: item[0])
            out.extend(rc for _, rc in run)
            run = []
            out.append(route_config)
        else:
            run.append((number, route_config))
    run.sort(key=lambda item: item[0])
    out.extend(rc for _, rc in run)
    return out


def describe_domains(domains: Sequence[str]) -> str:
    """The DOMAINS cell: port-less, short forms first, at most two then ``+ N more...``."""
    if not domains:
        return ""
    if len(domains) == 1:
        return domains[0]
    # Keep names without a port; an IPv6 literal has colons of its own, so keep ``[v6]`` only.
    bare = [d for d in domains if ":" not in d or (d.count(":") > 2 and d.endswith("]"))]
    bare = _unexpand(bare)
    if len(bare) > _MAX_DOMAINS:
        shown = ", ".join(bare[:_MAX_DOMAINS])
        return f"{shown} + {len(bare) - _MAX_DOMAINS} more..."
    return ", ".join(bare)


def _unexpand(domains: list[str]) -> list[str]:
    """Drop ``x.svc.cluster.local`` / ``x.svc`` when ``x`` is also listed (order kept)."""
    unique = set(domains)
    drop = {
        domain
        for domain in domains
        if (domain.endswith(".svc.cluster.local") and domain[:-18] in unique)
        or (domain.endswith(".svc") and domain[:-4] in unique)
    }
    return [d for d in domains if d not in drop] if drop else domains
