"""ML0402 missing-route-config."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.attribution.ids import listener_key
from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity

_LISTED = 5


class MissingRouteConfig(Check):
    """A listener's HTTP connection manager asks RDS for a route configuration the dump lacks.

    **What it detects.** Every active listener's filter chain whose HTTP connection manager uses
    RDS (`rds.route_config_name`), checked against the route configurations in the dump. The
    check only runs when the capture holds RDS route configurations at all: a listeners-only
    capture (`istioctl proxy-config listener`) has nothing to compare with. Warming listeners
    are left to ML0407 (waiting for RDS is what keeps them warming).

    **Why it matters.** Envoy serves the chain with an empty route table until the route
    configuration arrives, so every request on it gets `404` with response flag `NR` (no route).
    Usual causes: a capture taken mid-update, a route configuration removed by istiod (delta
    xDS) while a listener still names it, or a gateway server whose RDS name changed (port,
    port name, Gateway name or namespace are all part of `https.<port>.<portName>.<gw>.<ns>`).

    **Example.** `filter_chain/0.0.0.0_8443/0` asks for `https.443.https.simple.simple`; the dump
    only holds `http.8080`.

    **How to fix.** Take a fresh capture; if the route configuration is still missing, compare
    the Gateway server (port, name) with what istiod generated (`istioctl proxy-status`,
    `istioctl proxy-config route`) and look for EnvoyFilters that rename or remove it.
    """

    CODE = "ML0402"
    NAME = "missing-route-config"
    SEVERITY = Severity.ERROR

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Compare the RDS names of active listeners' chains with the dump's route configs."""
        proxy, attribution = ctx.proxy, ctx.attribution
        assert proxy is not None and attribution is not None
        # Inline route configurations belong to their own chain: they cannot answer RDS.
        rds_known = sorted({rc.name for rc in proxy.route_configs if rc.inline_in is None})
        names = set(rds_known)
        if not rds_known:
            return  # no RDS route configuration in the capture: routes were not captured
        held = ", ".join(rds_known[:_LISTED]) + (" …" if len(rds_known) > _LISTED else "")
        for listener in proxy.listeners:
            if listener.state.status != "active":
                continue
            key = listener_key(listener)
            for chain in listener.all_chains:
                rds = chain.rds_name
                if rds is None or rds in names:
                    continue
                chain_id = f"filter_chain/{key}/{chain.key}"
                sources = attribution.of(chain_id) or attribution.of(f"listener/{key}")
                yield self.finding(
                    ctx,
                    f"filter chain {chain.key} of listener {key} routes HTTP with RDS route"
                    f" configuration {rds}, which is not in the dump",
                    resource=chain_id,
                    source=_primary(sources),
                    expected=f"route configuration {rds}",
                    found=f"no such route configuration; the dump holds {held}",
                    symptom="404 NR (no route) for every request on this filter chain",
                )


def _primary(sources: list[Source]) -> Source | None:
    """The first source that is an object rather than an Istio built-in."""
    for source in sources:
        if not source.is_default:
            return source
    return sources[0] if sources else None
