"""ML0407 warming-resource."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from analyzer.attribution.clusters import cluster_sources
from analyzer.attribution.ids import listener_key
from analyzer.attribution.listeners import listener_sources
from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity
from analyzer.model.envoy import Cluster, Listener, Proxy
from analyzer.model.values import as_int


class WarmingResource(Check):
    """A cluster or listener is stuck warming: Envoy has not put this version into service.

    **What it detects.** Entries of `dynamic_warming_clusters` and listeners in `warming_state`.
    A warming cluster waits for its first EDS (or SDS) response, a warming listener for its
    route configurations (RDS) and secrets (SDS); in a healthy proxy that takes
    milliseconds, so a capture that shows it usually means it is stuck. Envoy also leaves a
    **rejected** CDS update in `dynamic_warming_clusters` (clusters get no `error_state`) until
    the next accepted CDS update: a warming cluster whose active twin has another version is
    most likely a NACKed update. The finding says what the resource waits for when the dump
    shows it (RDS names not in the dump, secrets not active, a known invalid setting).

    **Why it matters.** Until it leaves warming, a resource with an active twin serves the
    previous version (the change is not in effect); one without is absent for traffic: routes
    to a warming cluster get `503 NC` (no cluster), nothing listens on a warming listener.

    **Example.** `cluster/outbound|80|v2|simple.simple.svc.cluster.local` warming with version
    `cds-2-bad-ringhash` while `cds-1` stays active: Envoy rejected the update
    (`minimum_ring_size (100) > maximum_ring_size (10)`).

    **How to fix.** Look for the NACK in the proxy log (`cds: cluster '…' config rejected`) or
    `istioctl proxy-status`, and correct the DestinationRule or EnvoyFilter behind it; if the
    resource waits for EDS/SDS/RDS, check that istiod sends it (the Service has endpoints, the
    secret exists, the route configuration is generated).
    """

    CODE = "ML0407"
    NAME = "warming-resource"
    SEVERITY = Severity.WARNING

    def run(self, ctx: Context) -> Iterable[Finding]:
        """One finding per warming cluster and per warming listener."""
        proxy = ctx.proxy
        assert proxy is not None
        for cluster in proxy.clusters:
            if cluster.state.status == "warming":
                yield self._cluster(ctx, proxy, cluster)
        for listener in proxy.listeners:
            if listener.state.status == "warming":
                yield self._listener(ctx, proxy, listener)

    def _cluster(self, ctx: Context, proxy: Proxy, cluster: Cluster) -> Finding:
        assert ctx.mesh is not None
        active = next(
            (c for c in proxy.clusters if c.name == cluster.name and c.state.status == "active"),
            None,
        )
        version = cluster.state.version or "unknown"
        cause = _cluster_cause(cluster.raw)
        lingers = (
            "a rejected CDS update stays in dynamic_warming_clusters until the next accepted one"
        )
        if active is not None:
            old = active.state.version or "unknown"
            message = (
                f"cluster {cluster.name} is warming with version {version} while version {old}"
                " stays active"
            )
            symptom = f"the update is not in effect: traffic still uses version {old}"
        else:
            message = f"new cluster {cluster.name} (version {version}) never left warming"
            symptom = "the cluster does not exist for traffic: routes to it get 503 NC"
        if cause:
            message += f"; Envoy rejects it ({cause}), and {lingers}"
        elif active is not None and active.state.version != cluster.state.version:
            message += f"; most likely Envoy rejected this update: {lingers}"
        elif cluster.discovery_type == "EDS":
            message += "; an EDS cluster also warms until its first endpoint assignment arrives"
        sources = cluster_sources(ctx.mesh, cluster)
        # The DestinationRule shapes a cluster's settings (and so its rejections): name it first.
        rules = [src for src in sources if src.ref.startswith("DestinationRule/")]
        return self.finding(
            ctx,
            message,
            resource=f"cluster/{cluster.name}",
            source=_primary(rules or sources),
            expected=f"cluster {cluster.name} version {version} active",
            found=f"in dynamic_warming_clusters since {cluster.state.last_updated or '?'}",
            symptom=symptom,
        )

    def _listener(self, ctx: Context, proxy: Proxy, listener: Listener) -> Finding:
        assert ctx.mesh is not None and ctx.attribution is not None
        key = listener_key(listener)
        active = next(
            (
                other
                for other in proxy.listeners
                if listener_key(other) == key and other.state.status == "active"
            ),
            None,
        )
        waits = _listener_waits(proxy, listener)
        message = f"listener {key} (version {listener.state.version or 'unknown'}) is warming"
        message += f"; it waits for {'; '.join(waits)}" if waits else ""
        if active is not None:
            symptom = "the update is not in effect: Envoy keeps serving the previous version"
            sources = ctx.attribution.of(f"listener/{key}")
        else:
            where = f" on {listener.address}:{listener.port}" if listener.port is not None else ""
            symptom = f"nothing listens{where} yet: connections are refused"
            sources = listener_sources(ctx.mesh, listener, key)
        return self.finding(
            ctx,
            message,
            resource=f"listener/{key}",
            source=_primary(sources),
            expected=f"listener {key} active",
            found=f"in warming_state since {listener.state.last_updated or '?'}",
            symptom=symptom,
        )


def _listener_waits(proxy: Proxy, listener: Listener) -> list[str]:
    """What the dump shows the listener still lacks: RDS route configurations, active secrets."""
    rds = {rc.name for rc in proxy.route_configs if rc.inline_in is None}
    secrets = {s.name for s in proxy.secrets if s.status == "ACTIVE"}
    routes: list[str] = []
    certs: list[str] = []
    for chain in listener.all_chains:
        if chain.rds_name and chain.rds_name not in rds:
            routes.append(chain.rds_name)
        certs += [name for name in chain.tls_secrets if name not in secrets]
    out = []
    if routes:
        out.append("route configuration(s) " + ", ".join(dict.fromkeys(routes)) + " (RDS)")
    if certs:
        out.append("secret(s) " + ", ".join(dict.fromkeys(certs)) + " (SDS)")
    return out


def _cluster_cause(raw: dict[str, Any]) -> str | None:
    """A setting Envoy is known to reject, spelled as Envoy reports it."""
    ring = raw.get("ring_hash_lb_config")
    if isinstance(ring, dict):
        low, high = as_int(ring.get("minimum_ring_size")), as_int(ring.get("maximum_ring_size"))
        if low is not None and high is not None and low > high:
            return f"ring hash: minimum_ring_size ({low}) > maximum_ring_size ({high})"
    return None


def _primary(sources: list[Source]) -> Source | None:
    for source in sources:
        if not source.is_default:
            return source
    return sources[0] if sources else None
