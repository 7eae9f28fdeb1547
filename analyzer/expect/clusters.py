"""Expected clusters and the DestinationRule policy each should carry, in Envoy terms.

Clusters (``core/cluster.go``): ``outbound|<port>||<host>`` for every visible Service/ServiceEntry
port, ``outbound|<port>|<subset>|<host>`` for every subset of the host's DestinationRule, and
``inbound|<targetPort>||`` (``inbound|<port>|<name>|<fqdn>`` before 1.9) for the ports of the
Services selecting the workload. Gateways may be built with only the clusters their routes use
(``PILOT_FILTER_GATEWAY_CLUSTER_CONFIG``), so there only those are expected.

Policy (``core/cluster_traffic_policy.go``, ``cluster_builder.go``): the rule's trafficPolicy,
overridden field by field (connectionPool, loadBalancer, outlierDetection, tls) by the
``portLevelSettings`` of the port, then by the subset's policy and its port-level settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.expect.common import same_duration
from analyzer.expect.rules import EffectiveRule
from analyzer.model.envoy import Cluster
from analyzer.model.istio import IstioObject
from analyzer.model.values import as_int

_POLICY_FIELDS = ("connectionPool", "loadBalancer", "outlierDetection", "tls")
_SIMPLE_LB = {
    "ROUND_ROBIN": "ROUND_ROBIN",
    "LEAST_CONN": "LEAST_REQUEST",
    "LEAST_REQUEST": "LEAST_REQUEST",
    "RANDOM": "RANDOM",
    "PASSTHROUGH": "CLUSTER_PROVIDED",
}
_TLS_MODES = {
    "DISABLE": ("none",),
    "ISTIO_MUTUAL": ("istio-mutual", "mtls"),
    "SIMPLE": ("tls",),
    "MUTUAL": ("mtls",),
}


@dataclass(frozen=True, slots=True)
class ExpectedCluster:
    """A cluster the YAML calls for, with the declaration behind it."""

    name: str
    obj: IstioObject
    path: str
    why: str


# A plain slotted dataclass rather than a frozen one: about ten are built per DestinationRule
# and port, and frozen initialisation costs about three times as much. Never modified after
# creation (the clusters of one host and port share them).
@dataclass(slots=True)
class Setting:
    """One policy field in Envoy terms, with the rule path that sets it."""

    field: str
    expected: Any
    path: str
    rule: IstioObject


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """A cluster field that differs from its DestinationRule policy."""

    setting: Setting
    found: str
    symptom: str


def _port_level(
    policy: Mapping[str, Any], port: int, base: str
) -> dict[str, tuple[Mapping[str, Any], str]]:
    """Top-level fields of ``policy`` with the port's overrides, each with its path."""
    out: dict[str, tuple[Mapping[str, Any], str]] = {}
    for name in _POLICY_FIELDS:
        value = policy.get(name)
        if isinstance(value, dict):
            out[name] = (value, f"{base}.{name}")
    for index, entry in enumerate(policy.get("portLevelSettings") or ()):
        if not isinstance(entry, dict):
            continue
        number = (
            entry.get("port", {}).get("number") if isinstance(entry.get("port"), dict) else None
        )
        if number != port:
            continue
        for name in _POLICY_FIELDS:
            value = entry.get(name)
            if isinstance(value, dict):
                out[name] = (value, f"{base}.portLevelSettings[{index}].{name}")
    return out


def effective_policy(
    rule: EffectiveRule, port: int, subset: str
) -> dict[str, tuple[Mapping[str, Any], str, IstioObject]]:
    """Policy fields in force for one cluster, each with its path and declaring rule."""
    out: dict[str, tuple[Mapping[str, Any], str, IstioObject]] = {}
    if rule.policy_rule is not None:
        for name, (value, path) in _port_level(rule.policy, port, "spec.trafficPolicy").items():
            out[name] = (value, path, rule.policy_rule)
    if subset:
        found = rule.subset(subset)
        policy = found.spec.get("trafficPolicy") if found else None
        if found is not None and isinstance(policy, dict):
            for name, (value, path) in _port_level(
                policy, port, f"{found.path}.trafficPolicy"
            ).items():
                out[name] = (value, path, found.rule)
    return out


def expected_settings(rule: EffectiveRule, port: int, subset: str, sidecar: bool) -> list[Setting]:
    """The cluster fields the DestinationRule decides, in Envoy terms."""
    out: list[Setting] = []
    policy = effective_policy(rule, port, subset)
    lb = policy.get("loadBalancer")
    if lb is not None:
        value, path, owner = lb
        simple = str(value.get("simple") or "").upper()
        hash_lb = value.get("consistentHash")
        if simple in _SIMPLE_LB:
            out.append(Setting("lb_policy", _SIMPLE_LB[simple], f"{path}.simple", owner))
        elif isinstance(hash_lb, dict):
            want = "MAGLEV" if isinstance(hash_lb.get("maglev"), dict) else "RING_HASH"
            out.append(Setting("lb_policy", want, f"{path}.consistentHash", owner))
    pool = policy.get("connectionPool")
    if pool is not None:
        value, path, owner = pool
        out.extend(_pool(value, path, owner))
    outlier = policy.get("outlierDetection")
    if outlier is not None:
        value, path, owner = outlier
        out.extend(_outlier(value, path, owner))
    tls = policy.get("tls")
    if tls is not None:
        value, path, owner = tls
        mode = str(value.get("mode") or "").upper()
        credential = bool(value.get("credentialName"))
        if mode in _TLS_MODES and not (credential and sidecar):
            out.append(Setting("tls", _TLS_MODES[mode], f"{path}.mode", owner))
    return out


def _pool(value: Mapping[str, Any], path: str, owner: IstioObject) -> list[Setting]:
    out = []
    tcp = value.get("tcp") if isinstance(value.get("tcp"), dict) else {}
    http = value.get("http") if isinstance(value.get("http"), dict) else {}
    assert isinstance(tcp, dict) and isinstance(http, dict)
    for source, key, envoy in (
        (tcp, "maxConnections", "max_connections"),
        (http, "http1MaxPendingRequests", "max_pending_requests"),
        (http, "http2MaxRequests", "max_requests"),
        (http, "maxRetries", "max_retries"),
    ):
        number = source.get(key)
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            where = "tcp" if source is tcp else "http"
            out.append(Setting(f"circuit_breakers.{envoy}", number, f"{path}.{where}.{key}", owner))
    timeout = tcp.get("connectTimeout")
    if timeout is not None:
        out.append(Setting("connect_timeout", timeout, f"{path}.tcp.connectTimeout", owner))
    return out


def _outlier(value: Mapping[str, Any], path: str, owner: IstioObject) -> list[Setting]:
    out = []
    for key, envoy in (
        ("consecutive5xxErrors", "consecutive_5xx"),
        ("consecutiveGatewayErrors", "consecutive_gateway_failure"),
        ("maxEjectionPercent", "max_ejection_percent"),
    ):
        number = value.get(key)
        if isinstance(number, dict):
            number = number.get("value")
        if isinstance(number, int) and not isinstance(number, bool) and number > 0:
            out.append(Setting(f"outlier_detection.{envoy}", number, f"{path}.{key}", owner))
    for key, envoy in (("interval", "interval"), ("baseEjectionTime", "base_ejection_time")):
        if value.get(key) is not None:
            out.append(Setting(f"outlier_detection.{envoy}", value[key], f"{path}.{key}", owner))
    return out


def diff_cluster(settings: list[Setting], cluster: Cluster) -> list[PolicyDiff]:
    """The settings the cluster does not carry."""
    out: list[PolicyDiff] = []
    if not settings:
        return out
    thresholds = _default_thresholds(cluster)
    for setting in settings:
        found = _differs(setting, cluster, thresholds)
        if found is not None:
            out.append(PolicyDiff(setting, found, _SYMPTOMS[setting.field.split(".")[0]]))
    return out


_SYMPTOMS = {
    "lb_policy": "requests are balanced with another algorithm than the DestinationRule sets",
    "circuit_breakers": "connection/request limits differ: overflow (503 UO) at other thresholds",
    "connect_timeout": "connections to the upstream time out after another delay",
    "outlier_detection": "unhealthy hosts are ejected differently than the rule says",
    "tls": "upstream connections use another TLS mode than the rule sets (resets, 503 UF/URX)",
}


def _default_thresholds(cluster: Cluster) -> Mapping[str, Any] | None:
    """The cluster's circuit breaker thresholds of priority DEFAULT, if any."""
    thresholds = (cluster.circuit_breakers or {}).get("thresholds") or []
    return next(
        (
            t
            for t in thresholds
            if isinstance(t, dict) and t.get("priority", "DEFAULT") == "DEFAULT"
        ),
        None,
    )


def _differs(
    setting: Setting, cluster: Cluster, thresholds: Mapping[str, Any] | None
) -> str | None:
    """What the cluster holds instead of the setting; None when it matches or cannot be compared.

    ``thresholds`` are the cluster's DEFAULT circuit breaker thresholds (``_default_thresholds``).
    """
    field = setting.field
    if field == "lb_policy":
        if cluster.discovery_type == "ORIGINAL_DST" or cluster.lb_policy == setting.expected:
            return None
        return cluster.lb_policy
    if field == "tls":
        if cluster.key is not None and cluster.key.sni_form:
            return None
        return None if cluster.tls_mode in setting.expected else cluster.tls_mode
    if field == "connect_timeout":
        if same_duration(setting.expected, cluster.connect_timeout):
            return None
        return str(cluster.connect_timeout)
    group, _, key = field.partition(".")
    if group == "circuit_breakers":
        got = as_int(thresholds.get(key)) if thresholds is not None else None
        return _unless_equal(got, setting.expected)
    if group == "outlier_detection":
        raw = (cluster.outlier_detection or {}).get(key)
        if key in ("interval", "base_ejection_time"):
            if same_duration(setting.expected, raw):
                return None
            return "absent" if raw is None else str(raw)
        return _unless_equal(as_int(raw), setting.expected)
    return None


def _unless_equal(got: int | None, expected: Any) -> str | None:
    """None when ``got`` is the expected number, else how to show it."""
    if got == expected:
        return None
    return "absent" if got is None else str(got)


def envoy_value(setting: Setting) -> str:
    """How the setting should read in the cluster."""
    if setting.field == "tls":
        return f"tls mode {setting.expected[0]}"
    return f"{setting.field} {setting.expected}"
