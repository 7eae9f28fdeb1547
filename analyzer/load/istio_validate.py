"""Check a loaded object's ``spec`` against ``istio_schema`` and report what Istio would reject.

Istio's CRDs reject unknown fields, so an unknown field is a problem, with a "did you mean" when a
known field is close. Fields may also be spelled the protobuf way (``per_try_timeout``): Istio's
own YAML reader accepts that, so it is not reported. ``null`` counts as "not set", as it does for
the Kubernetes API server.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, Final, TypeAlias

from analyzer.load.istio_schema import ENUMS, MESSAGES, ONE_OF, PROTOCOLS, ROOTS
from analyzer.model.istio import IstioObject, SchemaProblem

_DURATION: Final = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+|0")
_SCALAR_NAMES: Final = {
    "str": "a string",
    "bool": "a boolean (true or false)",
    "int": "an integer",
    "num": "a number",
    "port": "a port number (1-65535)",
    "intstr": "an integer or a string",
    "duration": "a duration such as '10s', '1.5s' or '100ms'",
    "protocol": "a protocol name such as HTTP, HTTPS, GRPC, HTTP2, TCP or TLS",
}
_PROTOCOL_LIST: Final = ", ".join(sorted(p.upper() for p in PROTOCOLS))

# The tables, prepared once: field types without "!", required fields, enums as sets.
_FIELD_TYPES: Final = {
    name: {key: kind.rstrip("!") for key, kind in fields.items()}
    for name, fields in MESSAGES.items()
}
_REQUIRED: Final = {
    name: tuple((key, kind) for key, kind in fields.items() if kind.endswith("!"))
    for name, fields in MESSAGES.items()
}
_ENUM_SETS: Final = {name: frozenset(values) for name, values in ENUMS.items()}
_EXACT: Final[dict[str, type]] = {"str": str, "bool": bool, "int": int}
"""Field types that a value of exactly this class satisfies with nothing more to check."""

Path: TypeAlias = "str | tuple[Path, str | int]"
"""Where a value is: ``spec``, or (the path of its parent, its key or index). Spelled out
(``spec.http[0].route``) only for a problem: nearly every value has none."""


def _spelled(path: Path) -> str:
    steps: list[str | int] = []
    while isinstance(path, tuple):
        path, step = path
        steps.append(step)
    parts = [path]
    parts.extend(f"[{s}]" if isinstance(s, int) else f".{s}" for s in reversed(steps))
    return "".join(parts)


def validate(obj: IstioObject) -> list[SchemaProblem]:
    """Return the schema problems of ``obj.spec``; empty for kinds without a schema."""
    root = ROOTS.get((obj.group, obj.kind))
    if root is None:
        return []
    checker = _Checker(obj)
    checker.message(obj.spec, root, "spec")
    return checker.problems


class _Checker:
    """Walks one spec; the walk is bounded by the loader's nesting limit (200 levels)."""

    def __init__(self, obj: IstioObject) -> None:
        self.obj = obj
        self.problems: list[SchemaProblem] = []

    def report(self, where: Path, message: str) -> None:
        path = _spelled(where)
        self.problems.append(SchemaProblem(self.obj.origin_of(path), self.obj.ref, path, message))

    def message(self, value: dict[str, Any], name: str, path: Path) -> None:
        fields = _FIELD_TYPES[name]
        for key, item in value.items():
            field_type = fields.get(key) or fields.get(_camel_case(key))
            if field_type is None:
                self.report((path, key), f"unknown field '{key}'{_did_you_mean(key, fields)}")
                continue
            # Fast accept of the common well-typed cases; everything else takes the full walk.
            cls = item.__class__
            if item is None or _EXACT.get(field_type) is cls:
                continue
            if cls is list and field_type == "[str]" and all(x.__class__ is str for x in item):
                continue
            if cls is str and item in _ENUM_SETS.get(field_type, ()):
                continue
            self.value(item, field_type, (path, key))
        for key, field_type in _REQUIRED[name]:
            if _is_missing(value, key, field_type):
                self.report((path, key), f"missing required field '{key}'")
        for group in ONE_OF.get(name, ()):
            given = [key for key in group if value.get(key) is not None]
            if len(given) > 1:
                names = ", ".join(f"'{key}'" for key in given)
                self.report((path, given[1]), f"only one of {names} may be set")
        rule = _RULES.get(name)
        if rule is not None:
            rule(self, value, path)

    def value(self, value: Any, type_name: str, path: Path) -> None:
        shape, inner = _SHAPES.get(type_name) or _shape_of(type_name)
        if shape == _LIST:
            if not isinstance(value, list):
                self.wrong_type(path, "a list", value)
                return
            for index, item in enumerate(value):
                self.value(item, inner, (path, index))
        elif shape == _MAP:
            if not isinstance(value, dict):
                self.wrong_type(path, "a mapping", value)
                return
            for key, item in value.items():
                if item is not None:
                    self.value(item, inner, (path, key))
        elif shape == _MESSAGE:
            if isinstance(value, dict):
                self.message(value, type_name, path)
            else:
                self.wrong_type(path, "a mapping", value)
        elif shape == _ENUM:
            self.enum(value, ENUMS[type_name], path)
        else:
            self.scalar(value, type_name, path)

    def scalar(self, value: Any, type_name: str, path: Path) -> None:
        ok: bool
        if type_name == "any":
            return
        if type_name in ("str", "duration", "protocol"):
            ok = isinstance(value, str)
        elif type_name == "bool":
            ok = isinstance(value, bool)
        elif type_name in ("int", "port"):
            ok = _is_integer(value)
        elif type_name == "num":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif type_name == "intstr":
            ok = isinstance(value, str) or _is_integer(value)
        else:  # pragma: no cover - a typo in the tables
            raise ValueError(f"unknown schema type {type_name!r} at {_spelled(path)}")
        if not ok:
            self.wrong_type(path, _SCALAR_NAMES[type_name], value)
        elif type_name == "duration" and not _DURATION.fullmatch(value):
            self.report(path, f"bad value {value!r}: expected {_SCALAR_NAMES['duration']}")
        elif type_name == "port" and not 1 <= value <= 65535:
            self.report(path, f"bad value {value}: port numbers are 1-65535")
        elif type_name == "protocol" and value and value.lower() not in PROTOCOLS:
            hint = _did_you_mean(value.upper(), [p.upper() for p in PROTOCOLS])
            self.report(path, f"bad value {value!r}: expected one of {_PROTOCOL_LIST}{hint}")

    def enum(self, value: Any, allowed: tuple[str, ...], path: Path) -> None:
        if not isinstance(value, str):
            self.wrong_type(path, "one of " + ", ".join(allowed), value)
        elif value not in allowed:
            hint = _did_you_mean(value, allowed)
            self.report(path, f"bad value {value!r}: expected one of {', '.join(allowed)}{hint}")

    def wrong_type(self, path: Path, expected: str, value: Any) -> None:
        self.report(path, f"wrong type: expected {expected}, got {_describe(value)}")


_LIST, _MAP, _MESSAGE, _ENUM, _SCALAR = range(5)
_SHAPES: dict[str, tuple[int, str]] = {}
"""Field type -> (its shape, the type of its items for lists and maps), as first met."""


def _shape_of(type_name: str) -> tuple[int, str]:
    if type_name.startswith("["):
        shape = (_LIST, type_name[1:-1])
    elif type_name.startswith("{"):
        shape = (_MAP, type_name[1:-1])
    elif type_name in MESSAGES:
        shape = (_MESSAGE, "")
    elif type_name in ENUMS:
        shape = (_ENUM, "")
    else:
        shape = (_SCALAR, "")
    _SHAPES[type_name] = shape
    return shape


def _http_route_needs_action(checker: _Checker, value: dict[str, Any], path: Path) -> None:
    # Istio's webhook: "HTTP route, redirect or direct_response is required" (or a delegate).
    actions = ("route", "redirect", "directResponse", "delegate")
    if all(value.get(key) is None for key in actions):
        checker.report(path, "needs one of 'route', 'redirect', 'directResponse' or 'delegate'")


def _service_ports_need_names(checker: _Checker, value: dict[str, Any], path: Path) -> None:
    # Kubernetes rejects a Service with several ports unless every port is named.
    ports = value.get("ports")
    if not isinstance(ports, list) or len(ports) < 2:
        return
    for index, port in enumerate(ports):
        if isinstance(port, dict) and not port.get("name"):
            checker.report(
                ((path, "ports"), index),
                "missing required field 'name' (required when a Service has several ports)",
            )


_RULES: Final[dict[str, Callable[[_Checker, dict[str, Any], Path], None]]] = {
    "HTTPRoute": _http_route_needs_action,
    "ServiceSpec": _service_ports_need_names,
}


def _is_missing(value: dict[str, Any], key: str, field_type: str) -> bool:
    item = value.get(key)
    if item is None:
        item = value.get(_snake_case(key))
    if item is None:
        return True
    return field_type.startswith("[") and isinstance(item, list) and not item


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _camel_case(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f" (did you mean '{close[0]}'?)" if close else ""


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"a string ({value!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "null" if value is None else type(value).__name__
