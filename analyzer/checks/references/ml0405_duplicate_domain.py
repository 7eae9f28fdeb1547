"""ML0405 duplicate-domain."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.attribution.ids import route_config_key
from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context, to_finding_source
from analyzer.checks.model import Finding, FindingSource, Severity
from analyzer.model.envoy import RouteConfig
from analyzer.model.istio import IstioConfig, IstioObject


class DuplicateDomain(Check):
    """One domain is claimed by two virtual hosts of one route configuration.

    **What it detects.** Route configurations in which a domain (compared case-insensitively,
    as Envoy does; `*`, `*.example.com` and `example.*` forms included) appears in two virtual
    hosts. One finding per pair of virtual hosts, at the later one, listing the shared domains
    and naming the EnvoyFilter `VIRTUAL_HOST` patch that adds them when the inputs hold one.
    Overlaps that Envoy allows are not reported: `*.example.com` next to `www.example.com`, or
    `example.com` next to `example.com:80`.

    **Why it matters.** Envoy refuses the whole route configuration ("Only unique values for
    domains are permitted. Duplicate entry of domain …"): the RDS update is NACKed and the
    proxy keeps serving the previous version, or a new listener never warms. A dump showing
    such a configuration comes from the control plane side (istiod's `/debug/config_dump`, a
    generator, a hand-made config), so this is what Envoy is about to reject. istiod drops the
    later of two VirtualServices claiming one host itself; duplicates usually come from an
    EnvoyFilter `VIRTUAL_HOST` patch or a custom control plane.

    **Example.** `virtual_host/http.8080/legacy.baihl.io:80` lists `simple.baihl.io`, already a
    domain of `virtual_host/http.8080/simple.baihl.io:80`.

    **How to fix.** Keep each host in one virtual host: remove it from the EnvoyFilter patch
    (or the second VirtualService), or merge the two.
    """

    CODE = "ML0405"
    NAME = "duplicate-domain"
    SEVERITY = Severity.ERROR

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Index the domains of each route configuration, once per distinct configuration."""
        proxy = ctx.proxy
        assert proxy is not None
        seen: set[str] = set()
        for route_config in proxy.route_configs:
            key = route_config_key(route_config)
            if key in seen or route_config.state.status != "active":
                continue
            seen.add(key)
            yield from self._route_config(ctx, key, route_config)

    def _route_config(self, ctx: Context, key: str, route_config: RouteConfig) -> Iterable[Finding]:
        assert ctx.attribution is not None
        owner: dict[str, str] = {}
        for vhost in route_config.virtual_hosts:
            shared: dict[str, list[str]] = {}
            for domain in vhost.domains:
                first = owner.setdefault(domain.lower(), vhost.name)
                if first != vhost.name:
                    shared.setdefault(first, []).append(domain)
            for first, domains in shared.items():
                vhost_id = f"virtual_host/{key}/{vhost.name}"
                first_id = f"virtual_host/{key}/{first}"
                first_source = _primary(ctx.attribution.of(first_id))
                patch = _patch_adding(ctx.config, domains)
                source: Source | FindingSource | None = (
                    to_finding_source(patch[0], patch[1]) if patch else None
                )
                source = source or _primary(ctx.attribution.of(vhost_id)) or first_source
                refs = dict.fromkeys(
                    src.ref for src in ctx.attribution.of(first_id) if not src.is_default
                )
                claimed = f" ({', '.join(refs)})" if refs else ""
                listed = ", ".join(domains)
                by = (
                    f"; added by {patch[0].kind}/{patch[0].namespace}/{patch[0].name}"
                    if patch
                    else ""
                )
                yield self.finding(
                    ctx,
                    f"virtual host {vhost.name} of route configuration {key} lists {listed},"
                    f" already a domain of virtual host {first}{claimed}{by}",
                    resource=vhost_id,
                    source=source,
                    expected="each domain in one virtual host of the route configuration",
                    found=f"{listed} in both {first_id} and {vhost_id}",
                    symptom=(
                        "Envoy rejects the route configuration (NACK): the previous version"
                        " stays in use, or the listener never warms and nothing is served"
                    ),
                )


def _patch_adding(config: IstioConfig | None, domains: list[str]) -> tuple[IstioObject, str] | None:
    """An EnvoyFilter ``VIRTUAL_HOST`` patch whose value lists one of ``domains``."""
    if config is None:
        return None
    wanted = {d.lower() for d in domains}
    for envoy_filter in config.by_kind("EnvoyFilter"):
        for index, patch in enumerate(envoy_filter.spec.get("configPatches") or ()):
            if not isinstance(patch, dict) or patch.get("applyTo") != "VIRTUAL_HOST":
                continue
            value = (patch.get("patch") or {}).get("value")
            listed = value.get("domains") if isinstance(value, dict) else None
            if isinstance(listed, list) and wanted & {str(d).lower() for d in listed}:
                return envoy_filter, f"spec.configPatches[{index}]"
    return None


def _primary(sources: list[Source]) -> Source | None:
    for source in sources:
        if not source.is_default:
            return source
    return None
