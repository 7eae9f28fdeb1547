"""ML0102 stale-reference."""

from __future__ import annotations

from collections.abc import Iterable

from analyzer.attribution.mesh import KIND_SLUGS
from analyzer.attribution.model import Source
from analyzer.checks.base import Check, Context
from analyzer.checks.model import Finding, Severity

_CONFIG_KINDS = frozenset(KIND_SLUGS.values())
"""Kinds Envoy metadata names through ``filter_metadata.istio.config`` (Istio config objects)."""

_LISTED = 5
"""Resource ids spelled out in one finding; the rest are counted."""


class StaleReference(Check):
    """Envoy metadata names an Istio object that is not among the inputs.

    **What it detects.** Routes, clusters and filter chains whose `filter_metadata.istio.config`
    points at a VirtualService, DestinationRule, Gateway, ServiceEntry, Sidecar, EnvoyFilter
    (or a Gateway API route behind a generated VirtualService) that the YAML given does not
    contain: deleted, renamed, or simply not given. One finding per object, at the first
    resource that names it, listing the others, so a missing DestinationRule with many subset
    clusters is one finding, not a flood. Services named in `istio.services` are not reported:
    they are Kubernetes objects that usually live with the application manifests.

    **Why it matters.** Either the proxy still runs configuration from an object that no longer
    exists (it is out of sync with istiod, or the object was deleted after the capture), or the
    YAML is not what the mesh runs, and every comparison made on these resources is against
    the wrong source.

    **Example.** `cluster/outbound|9080|v1|reviews.default.svc.cluster.local` carries
    `/apis/networking.istio.io/v1/namespaces/default/destination-rule/reviews`, and no
    `DestinationRule/default/reviews` is among the inputs.

    **How to fix.** Give the object's YAML with `-c` if it exists; if it was deleted or renamed,
    check the proxy's sync state (`istioctl proxy-status`) and take a fresh capture.
    """

    CODE = "ML0102"
    NAME = "stale-reference"
    SEVERITY = Severity.ERROR
    NEEDS_CONFIG = True

    def run(self, ctx: Context) -> Iterable[Finding]:
        """Group resources by the absent object their metadata names; one finding per object."""
        attribution = ctx.attribution
        assert attribution is not None
        by_object: dict[str, list[tuple[str, Source]]] = {}
        for resource in attribution.resources:
            for source in attribution.of(resource.id):
                if source.evidence != "metadata" or source.in_inputs:
                    continue
                if source.ref.split("/", 1)[0] not in _CONFIG_KINDS:
                    continue
                named = by_object.setdefault(source.ref, [])
                if not named or named[-1][0] != resource.id:
                    named.append((resource.id, source))
        for ref, named in by_object.items():
            first_id, first_source = named[0]
            ids = [resource_id for resource_id, _ in named]
            listed = ", ".join(ids[:_LISTED])
            more = f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
            yield self.finding(
                ctx,
                f"Envoy metadata names {ref}, which is not among the inputs (deleted, renamed or"
                f" not given); {len(ids)} resource(s) carry it: {listed}{more}",
                resource=first_id,
                source=first_source,
                expected=f"{ref} among the Istio YAML given",
                found=f"absent; named by filter_metadata.istio.config of {len(ids)} resource(s)",
                symptom=(
                    "the proxy runs configuration from an object the YAML does not hold: stale"
                    " if it was deleted, otherwise the analysis of these resources is incomplete"
                ),
            )
