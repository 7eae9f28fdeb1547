"""Route policies compared with their rule: timeout, retries, fault, header operations, CORS.

The forms are those of ``core/route/route.go`` (setTimeout, TranslateFault,
TranslateHeadersOperations, TranslateCORSPolicy) and ``core/route/retry``: only what the rule
sets is compared; without ``timeout``/``retries`` istiod writes its defaults (``timeout: 0s``, the
mesh retry policy), which are never reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from analyzer.expect.common import same_duration, seconds
from analyzer.model.envoy import Route
from analyzer.model.values import as_int


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One field where the route differs from its rule."""

    field: str
    path: str
    expected: str
    found: str
    symptom: str


def timeout(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    """The rule's ``timeout`` against the route's (Envoy's default is 15s when absent)."""
    wanted = rule.get("timeout")
    if wanted is None or seconds(wanted) is None:
        return []
    found = route.timeout if route.timeout is not None else "15s"
    if same_duration(wanted, found):
        return []
    symptom = "requests time out after another delay than the rule sets (504 UT when shorter)"
    shown = route.timeout if route.timeout is not None else "absent (Envoy default 15s)"
    return [FieldDiff("timeout", f"{base}.timeout", f"timeout {wanted}", str(shown), symptom)]


def retries(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    """``retries`` against ``retry_policy`` (attempts 0 means no retries)."""
    retries = rule.get("retries")
    if not isinstance(retries, dict):
        return []
    path = f"{base}.retries"
    symptom = "failed requests are retried differently than the rule says"
    policy = route.retry_policy or {}
    attempts = retries.get("attempts")
    found_retries = as_int(policy.get("num_retries"))
    if isinstance(attempts, int):
        if attempts <= 0:
            if route.retry_policy and (found_retries or 0) > 0:
                return [
                    FieldDiff(
                        "retries", path, "no retries", f"num_retries {found_retries}", symptom
                    )
                ]
            return []
        if found_retries != attempts:
            return [
                FieldDiff(
                    "retries",
                    path,
                    f"num_retries {attempts}",
                    f"num_retries {found_retries}",
                    symptom,
                )
            ]
    out = []
    per_try = retries.get("perTryTimeout")
    if per_try is not None and not same_duration(per_try, policy.get("per_try_timeout")):
        out.append(
            FieldDiff(
                "retries",
                f"{path}.perTryTimeout",
                f"per_try_timeout {per_try}",
                str(policy.get("per_try_timeout")),
                symptom,
            )
        )
    retry_on = retries.get("retryOn")
    if isinstance(retry_on, str) and retry_on:
        tokens = {t.strip() for t in retry_on.split(",") if t.strip()}
        words = {t for t in tokens if not t.isdigit()}
        codes = {int(t) for t in tokens if t.isdigit()}
        found_words = {t.strip() for t in str(policy.get("retry_on", "")).split(",")}
        found_codes = {as_int(c) for c in policy.get("retriable_status_codes") or ()}
        if not words <= found_words or not codes <= found_codes:
            out.append(
                FieldDiff(
                    "retries",
                    f"{path}.retryOn",
                    f"retry_on {retry_on}",
                    str(policy.get("retry_on")),
                    symptom,
                )
            )
    return out


def _percent(value: Any) -> float | None:
    """A FractionalPercent dict as a percentage."""
    if not isinstance(value, dict):
        return None
    numerator = float(value.get("numerator", 0) or 0)
    denominator = {"HUNDRED": 100.0, "TEN_THOUSAND": 10000.0, "MILLION": 1000000.0}.get(
        str(value.get("denominator", "HUNDRED")), 100.0
    )
    return numerator * 100.0 / denominator


def fault(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    """``fault`` against the route's ``envoy.filters.http.fault`` config."""
    fault = rule.get("fault")
    if not isinstance(fault, dict):
        return []
    path = f"{base}.fault"
    symptom = "fault injection differs: requests are delayed or aborted other than the rule says"
    found = route.fault
    if found is None:
        return [FieldDiff("fault", path, "fault filter config on the route", "none", symptom)]
    out = []
    abort = fault.get("abort")
    if isinstance(abort, dict) and isinstance(abort.get("httpStatus"), int):
        got = found.get("abort") if isinstance(found.get("abort"), dict) else {}
        assert isinstance(got, dict)
        if as_int(got.get("http_status")) != abort["httpStatus"]:
            out.append(
                FieldDiff(
                    "fault",
                    f"{path}.abort",
                    f"abort http_status {abort['httpStatus']}",
                    str(got.get("http_status")),
                    symptom,
                )
            )
        out.extend(_fault_percent(f"{path}.abort", abort, got, symptom))
    delay = fault.get("delay")
    if isinstance(delay, dict) and delay.get("fixedDelay") is not None:
        got = found.get("delay") if isinstance(found.get("delay"), dict) else {}
        assert isinstance(got, dict)
        if not same_duration(delay["fixedDelay"], got.get("fixed_delay")):
            out.append(
                FieldDiff(
                    "fault",
                    f"{path}.delay",
                    f"fixed_delay {delay['fixedDelay']}",
                    str(got.get("fixed_delay")),
                    symptom,
                )
            )
        out.extend(_fault_percent(f"{path}.delay", delay, got, symptom))
    return out


def _fault_percent(
    path: str, spec: Mapping[str, Any], got: Mapping[str, Any], symptom: str
) -> list[FieldDiff]:
    percentage = spec.get("percentage")
    if not isinstance(percentage, dict) or not isinstance(percentage.get("value"), int | float):
        return []
    want = float(percentage["value"])
    found = _percent(got.get("percentage"))
    if found is None or abs(found - want) > 1e-3:
        return [
            FieldDiff(
                "fault",
                f"{path}.percentage",
                f"{want:g}%",
                "none" if found is None else f"{found:g}%",
                symptom,
            )
        ]
    return []


def _header_ops(route: Route, direction: str) -> tuple[dict[str, str], set[str]]:
    added: dict[str, str] = {}
    for entry in route.raw.get(f"{direction}_headers_to_add") or ():
        header = entry.get("header") if isinstance(entry, dict) else None
        if isinstance(header, dict):
            added[str(header.get("key", "")).lower()] = str(header.get("value", ""))
    removed = {str(h).lower() for h in route.raw.get(f"{direction}_headers_to_remove") or ()}
    return added, removed


def _rule_headers(rule: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Route-level header operations plus those of a single destination (merged into the route)."""
    out = []
    if isinstance(rule.get("headers"), dict):
        out.append(("headers", rule["headers"]))
    entries = [e for e in rule.get("route") or () if isinstance(e, dict)]
    if len(entries) == 1 and isinstance(entries[0].get("headers"), dict):
        out.append(("route[0].headers", entries[0]["headers"]))
    return out


def headers(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    """Header set/add/remove against ``*_headers_to_add`` / ``*_headers_to_remove``."""
    out = []
    symptom = "requests or responses carry other headers than the rule sets"
    for where, headers in _rule_headers(rule):
        for direction in ("request", "response"):
            ops = headers.get(direction)
            if not isinstance(ops, dict):
                continue
            added, removed = _header_ops(route, direction)
            for op in ("set", "add"):
                values = ops.get(op)
                for key, value in values.items() if isinstance(values, dict) else ():
                    name = str(key).lower()
                    if name.startswith(":") or name == "host":
                        continue
                    if added.get(name) != str(value):
                        out.append(
                            FieldDiff(
                                "headers",
                                f"{base}.{where}.{direction}.{op}",
                                f"{key}: {value}",
                                f"{key}: {added.get(name, 'absent')}",
                                symptom,
                            )
                        )
            for key in ops.get("remove") or ():
                name = str(key).lower()
                if not name.startswith(":") and name != "host" and name not in removed:
                    out.append(
                        FieldDiff(
                            "headers",
                            f"{base}.{where}.{direction}.remove",
                            f"remove {key}",
                            "not removed",
                            symptom,
                        )
                    )
    return out


def cors(base: str, rule: Mapping[str, Any], route: Route) -> list[FieldDiff]:
    """``corsPolicy`` against the route's CORS policy."""
    policy = rule.get("corsPolicy")
    if not isinstance(policy, dict):
        return []
    path = f"{base}.corsPolicy"
    symptom = "browsers' cross-origin requests are allowed or refused other than the rule says"
    found = route.cors
    if found is None:
        return [FieldDiff("cors", path, "CORS policy on the route", "none", symptom)]
    out = []
    for key, envoy_key in (
        ("allowMethods", "allow_methods"),
        ("allowHeaders", "allow_headers"),
        ("exposeHeaders", "expose_headers"),
    ):
        values = policy.get(key)
        if isinstance(values, list) and values:
            want = ",".join(str(v) for v in values)
            if str(found.get(envoy_key, "")) != want:
                out.append(
                    FieldDiff(
                        "cors",
                        f"{path}.{key}",
                        f"{envoy_key} {want}",
                        str(found.get(envoy_key)),
                        symptom,
                    )
                )
    origins = policy.get("allowOrigins")
    if isinstance(origins, list) and origins:
        want_origins = sorted(_string_match(o) for o in origins if isinstance(o, dict))
        got = found.get("allow_origin_string_match")
        got_origins = sorted(_string_match(o) for o in got or () if isinstance(o, dict))
        if got is not None and want_origins != got_origins:
            out.append(
                FieldDiff(
                    "cors", f"{path}.allowOrigins", str(want_origins), str(got_origins), symptom
                )
            )
    return out


def _string_match(value: Mapping[str, Any]) -> str:
    for key in ("exact", "prefix", "suffix", "regex"):
        if key in value:
            return f"{key}:{value[key]}"
    regex = value.get("safe_regex")
    if isinstance(regex, dict):
        return f"regex:{regex.get('regex')}"
    return str(dict(value))
