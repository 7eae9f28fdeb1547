"""Compare one Envoy route with the VirtualService rule it was built from, field by field.

Only what the rule sets is compared, in the form ``core/route/route.go`` writes it: destinations
(``cluster`` for one, ``weighted_clusters`` without the 0-weight entries for several), rewrite
(``prefix_rewrite``, ``regex_rewrite``, ``host_rewrite_literal``), redirect, direct response,
``timeout``, retries (``num_retries``, ``per_try_timeout``, ``retry_on``), fault
(``typed_per_filter_config`` ``envoy.filters.http.fault``), mirrors, header operations and CORS.
What the rule leaves unset is left alone: istiod then writes its defaults (mesh retry policy,
``timeout: 0s``, ``max_grpc_timeout``) and EnvoyFilters may add more.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.expect.route_policy import FieldDiff, cors, fault, headers, retries, timeout
from analyzer.expect.routes import Destination, destinations, mirror_destinations
from analyzer.expect.services import Registry
from analyzer.model.envoy import Route
from analyzer.model.istio import IstioObject

_REDIRECT_CODES = {
    301: "MOVED_PERMANENTLY",
    302: "FOUND",
    303: "SEE_OTHER",
    307: "TEMPORARY_REDIRECT",
    308: "PERMANENT_REDIRECT",
}


def diff_route(
    vs: IstioObject,
    rule_index: int,
    rule: Mapping[str, Any],
    listen_port: int,
    registry: Registry,
    route: Route,
) -> list[FieldDiff]:
    """Every difference between ``route`` and ``spec.http[rule_index]`` of ``vs``."""
    base = f"spec.http[{rule_index}]"
    out: list[FieldDiff] = []
    kind = _rule_action(rule)
    if kind is None:
        return out
    if route.action != kind:
        symptom = "requests on this route get a different answer than the rule asks for"
        return [FieldDiff("action", base, kind, route.action, symptom)]
    if kind == "redirect":
        out.extend(_redirect(base, rule["redirect"], route))
    elif kind == "direct_response":
        out.extend(_direct(base, rule["directResponse"], route))
    else:
        out.extend(_destinations(vs, base, rule, listen_port, registry, route))
        out.extend(_rewrite(base, rule, route))
        out.extend(timeout(base, rule, route))
        out.extend(retries(base, rule, route))
        out.extend(_mirrors(vs, base, rule, listen_port, registry, route))
    out.extend(fault(base, rule, route))
    out.extend(headers(base, rule, route))
    out.extend(cors(base, rule, route))
    return out


def _rule_action(rule: Mapping[str, Any]) -> str | None:
    if isinstance(rule.get("redirect"), dict):
        return "redirect"
    if isinstance(rule.get("directResponse"), dict):
        return "direct_response"
    if isinstance(rule.get("route"), list) and rule["route"]:
        return "route"
    return None


def _text(dests: list[tuple[str, int | None]]) -> str:
    return ", ".join(
        name if weight is None else f"{name} (weight {weight})" for name, weight in dests
    )


def _dest_matches(expected: Destination, cluster: str | None, name: str) -> bool:
    """Whether cluster ``name`` is the expected destination (``cluster``: its name if known)."""
    if cluster is not None:
        return name == cluster
    parts = name.split("|")
    return len(parts) == 4 and parts[3] == expected.host and parts[2] == expected.subset


def _wanted(dest: Destination) -> str:
    """The cluster a destination should reach: its name when known, else its pattern."""
    return dest.cluster or f"outbound|*|{dest.subset}|{dest.host}"


def _destinations(
    vs: IstioObject,
    base: str,
    rule: Mapping[str, Any],
    listen_port: int,
    registry: Registry,
    route: Route,
) -> list[FieldDiff]:
    expected = destinations(vs, rule, listen_port, registry)
    if expected is None or not expected:
        return []
    found: list[tuple[str, int | None]] = (
        [(route.cluster, None)]
        if route.cluster is not None
        else [(w.name, w.weight) for w in route.weighted_clusters]
    )
    field = _mismatch(expected, found)
    if field is None:
        return []
    want = [(_wanted(d), d.weight) for d in expected]
    symptom = (
        "traffic is split in other proportions than the rule says"
        if field == "weight"
        else _symptom()
    )
    return [FieldDiff(field, f"{base}.route", _text(want), _text(found) or "none", symptom)]


def _mismatch(expected: list[Destination], found: list[tuple[str, int | None]]) -> str | None:
    """Which destination field differs, or None when none does.

    ``destination`` (other hosts or another count), ``subset`` (the same hosts) or ``weight``.
    """
    if len(found) != len(expected):
        return "destination"
    unmatched = list(found)
    weights_differ = False
    for dest in expected:
        cluster = dest.cluster
        match = next((f for f in unmatched if _dest_matches(dest, cluster, f[0])), None)
        if match is None:
            return "subset" if _same_hosts(expected, found) else "destination"
        unmatched.remove(match)
        if dest.weight is not None and match[1] is not None and match[1] != dest.weight:
            weights_differ = True
    return "weight" if weights_differ else None


def _same_hosts(expected: list[Destination], found: list[tuple[str, int | None]]) -> bool:
    hosts = sorted(name.split("|")[-1] for name, _ in found)
    return hosts == sorted(d.host for d in expected)


def _symptom() -> str:
    return "requests go to other backends than the rule says (503 NC if the cluster is missing)"


def _rewrite(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    out = []
    rewrite = rule.get("rewrite")
    authority = _authority(rule)
    if isinstance(rewrite, dict):
        path = f"{base}.rewrite"
        regex = rewrite.get("uriRegexRewrite")
        if isinstance(regex, dict):
            found = route.regex_rewrite or {}
            pattern = found.get("pattern") if isinstance(found.get("pattern"), dict) else {}
            assert isinstance(pattern, dict)
            got = f"{pattern.get('regex')} -> {found.get('substitution')}"
            wanted = f"{regex.get('match')} -> {regex.get('rewrite')}"
            if got != wanted:
                out.append(FieldDiff("rewrite", path, f"regex_rewrite {wanted}", got, _rw()))
        elif rewrite.get("uri") and route.prefix_rewrite != rewrite["uri"]:
            found_text = route.prefix_rewrite if route.prefix_rewrite is not None else "none"
            want = f"prefix_rewrite {rewrite['uri']}"
            out.append(FieldDiff("rewrite", path, want, found_text, _rw()))
        if isinstance(rewrite.get("authority"), str) and rewrite["authority"]:
            authority = rewrite["authority"]
    if authority and route.host_rewrite != authority:
        found_text = route.host_rewrite or "none"
        symptom = "upstreams see another Host/:authority than the rule sets"
        out.append(
            FieldDiff(
                "rewrite", f"{base}.rewrite", f"host_rewrite {authority}", found_text, symptom
            )
        )
    return out


def _rw() -> str:
    return "upstreams receive another path than the rule sets (often 404 from the app)"


def _authority(rule: Mapping[str, Any]) -> str:
    headers = rule.get("headers")
    request = headers.get("request") if isinstance(headers, dict) else None
    if not isinstance(request, dict):
        return ""
    for op in ("add", "set"):
        values = request.get(op)
        if isinstance(values, dict):
            for key, value in values.items():
                if str(key).lower() in (":authority", "host"):
                    return str(value)
    return ""


def _redirect(base: str, redirect: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    found = route.redirect or {}
    pairs = [
        ("uri", "path_redirect"),
        ("authority", "host_redirect"),
        ("scheme", "scheme_redirect"),
    ]
    out = []
    symptom = "clients are redirected elsewhere than the rule says"
    for key, envoy_key in pairs:
        want = redirect.get(key)
        if isinstance(want, str) and want and found.get(envoy_key) != want:
            out.append(
                FieldDiff(
                    "redirect",
                    f"{base}.redirect.{key}",
                    f"{envoy_key} {want}",
                    str(found.get(envoy_key)),
                    symptom,
                )
            )
    code = redirect.get("redirectCode")
    if isinstance(code, int) and code in _REDIRECT_CODES:
        want_code = _REDIRECT_CODES[code]
        got = str(found.get("response_code", "MOVED_PERMANENTLY"))
        if got != want_code:
            out.append(
                FieldDiff("redirect", f"{base}.redirect.redirectCode", want_code, got, symptom)
            )
    return out


def _direct(base: str, direct: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    status = direct.get("status")
    if isinstance(status, int) and route.direct_response_status != status:
        symptom = "clients get another status than the rule's direct response"
        return [
            FieldDiff(
                "direct_response",
                f"{base}.directResponse",
                str(status),
                str(route.direct_response_status),
                symptom,
            )
        ]
    return []


def _mirrors(
    vs: IstioObject,
    base: str,
    rule: Mapping[str, Any],
    listen_port: int,
    registry: Registry,
    route: Route,
) -> list[FieldDiff]:
    out = []
    for dest in mirror_destinations(vs, rule, listen_port, registry):
        cluster = dest.cluster
        if not any(_dest_matches(dest, cluster, name) for name in route.mirror_clusters):
            want = _wanted(dest)
            symptom = "traffic is not mirrored where the rule says"
            found = ", ".join(route.mirror_clusters) or "no mirror"
            out.append(FieldDiff("mirror", f"{base}.mirror", want, found, symptom))
    return out
