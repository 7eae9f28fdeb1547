"""Every check, listed by hand and sorted by code. Codes are public and never reused.

Retired codes stay here as comments (``# ML0105 RETIRED``) so they are never handed out again.
"""

from __future__ import annotations

from analyzer.checks.attribution.ml0101_unattributed_resource import UnattributedResource
from analyzer.checks.attribution.ml0102_stale_reference import StaleReference
from analyzer.checks.base import Check
from analyzer.checks.drift.ml0201_route_drift import RouteDrift
from analyzer.checks.drift.ml0202_cluster_policy_drift import ClusterPolicyDrift
from analyzer.checks.drift.ml0203_missing_route import MissingRoute
from analyzer.checks.drift.ml0204_missing_cluster import MissingCluster
from analyzer.checks.drift.ml0205_missing_listener import MissingListener
from analyzer.checks.inputs.ml0001_internal_error import InternalError
from analyzer.checks.inputs.ml0002_input_skipped import InputSkipped
from analyzer.checks.inputs.ml0003_istio_schema_error import IstioSchemaError
from analyzer.checks.inputs.ml0004_duplicate_istio_object import DuplicateIstioObject
from analyzer.checks.references.ml0401_route_to_missing_cluster import RouteToMissingCluster
from analyzer.checks.references.ml0402_missing_route_config import MissingRouteConfig
from analyzer.checks.references.ml0403_cluster_without_endpoints import ClusterWithoutEndpoints
from analyzer.checks.references.ml0404_unreachable_route import UnreachableRoute
from analyzer.checks.references.ml0405_duplicate_domain import DuplicateDomain
from analyzer.checks.references.ml0406_rejected_config import RejectedConfig
from analyzer.checks.references.ml0407_warming_resource import WarmingResource
from analyzer.checks.translation.ml0301_virtualservice_not_applied import (
    VirtualServiceNotApplied,
)
from analyzer.checks.translation.ml0302_gateway_server_not_applied import GatewayServerNotApplied
from analyzer.checks.translation.ml0303_destinationrule_not_applied import (
    DestinationRuleNotApplied,
)
from analyzer.checks.translation.ml0304_serviceentry_not_applied import ServiceEntryNotApplied
from analyzer.checks.translation.ml0305_unresolved_destination import UnresolvedDestination

ALL: tuple[type[Check], ...] = (
    InternalError,
    InputSkipped,
    IstioSchemaError,
    DuplicateIstioObject,
    UnattributedResource,
    StaleReference,
    RouteDrift,
    ClusterPolicyDrift,
    MissingRoute,
    MissingCluster,
    MissingListener,
    VirtualServiceNotApplied,
    GatewayServerNotApplied,
    DestinationRuleNotApplied,
    ServiceEntryNotApplied,
    UnresolvedDestination,
    RouteToMissingCluster,
    MissingRouteConfig,
    ClusterWithoutEndpoints,
    UnreachableRoute,
    DuplicateDomain,
    RejectedConfig,
    WarmingResource,
)


def by_code() -> dict[str, type[Check]]:
    """Checks keyed by code."""
    return {check.CODE: check for check in ALL}


def get(code_or_name: str) -> type[Check]:
    """The check with this code (``ML0401``) or name (``route-to-missing-cluster``)."""
    for check in ALL:
        if code_or_name.upper() == check.CODE or code_or_name == check.NAME:
            return check
    raise KeyError(f"no such check: {code_or_name!r}")
