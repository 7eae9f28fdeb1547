"""Plain YAML scalars as YAML 1.1 and PyYAML's SafeLoader read them (``80`` an int, ``yes`` True).

Shared by the event reader (``istio_yaml``), which builds values with it, and the rapidyaml reader
(``yaml_fast``), which asks whether a string would have been read as something else unquoted.
"""

from __future__ import annotations

from re import Pattern
from typing import Any, Final

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

YAML_TAG: Final = "tag:yaml.org,2002:"

_constructor = SafeConstructor()
_BOOLS: Final[dict[str, bool]] = dict(SafeConstructor.bool_values)
_Rules = list[tuple[str, Pattern[str]]]
# PyYAML's own resolver table, keyed by first character; None holds rules for any character.
_WILDCARD: Final[_Rules] = list(Resolver.yaml_implicit_resolvers.get(None, []))
IMPLICIT: Final[dict[str, _Rules]] = {
    first: [*rules, *_WILDCARD]
    for first, rules in Resolver.yaml_implicit_resolvers.items()
    if first is not None
}
"""Implicit resolvers by the scalar's first character: only these scalars can be other than text."""


def resolve_plain(value: str) -> Any:
    """Return the value of an untagged plain scalar, as YAML 1.1 and SafeLoader read it."""
    for tag, pattern in IMPLICIT.get(value[:1], _WILDCARD):
        if pattern.match(value):
            return construct(tag, value)
    return value


def construct(tag: str, value: str) -> Any:
    """Return the value of a scalar with this (resolved or explicit) tag."""
    if tag == YAML_TAG + "int":
        if value.isdecimal() and (value[0] != "0" or len(value) == 1):
            return int(value)
        return _constructor.construct_yaml_int(ScalarNode(tag, value))
    if tag == YAML_TAG + "bool":
        return _BOOLS[value.lower()]
    if tag == YAML_TAG + "null":
        return None
    if tag == YAML_TAG + "float":
        return _constructor.construct_yaml_float(ScalarNode(tag, value))
    return value  # str, timestamp, binary, merge and value ("=") stay text
