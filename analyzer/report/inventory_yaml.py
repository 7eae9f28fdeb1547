"""YAML text of ``meshlens inventory -o yaml``, written directly.

PyYAML's emitter (even with libyaml) spends seconds on the 100k-row documents of a large mesh:
it resolves, analyses and styles every scalar through several Python layers. The inventory
document is simple (mappings with string keys, lists, and str/int/bool/None scalars), so this
module writes the same block style itself with one cached decision per distinct string. Anything
else falls back to ``yaml.dump``.

Strings are written plain only when that is unambiguous under YAML 1.1 (what PyYAML reads);
the rule is deliberately stricter than YAML's own, and every other string is single-quoted, or
double-quoted with escapes when it holds characters that single quotes cannot carry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml
from yaml.resolver import Resolver

__all__ = ["dump_yaml"]

_YAML_DUMPER: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# A plain scalar may not start with an indicator or a space. Digits, ``.``, ``+``, ``~``, ``=``
# and ``<`` start every implicit number, timestamp, null, value and merge key of YAML 1.1:
# quoting all of them is simpler and safer than telling which ones would resolve.
_QUOTE_FIRST = frozenset("!&*?|>'\"%@`{}[],-#:\\ 0123456789.+~=<")
# The only other implicit types start with a letter: YAML 1.1's bool and null words (``yes``,
# ``Off``, ``NULL`` …), none longer than five characters. Shorter strings starting with one of
# these letters are checked with PyYAML itself.
_WORD_FIRST = frozenset(key for key in Resolver.yaml_implicit_resolvers if key.isalpha())
_LONGEST_WORD = 5
# Characters a single-quoted scalar carries as is: printable, and not a YAML line break
# (NEL, LS, PS) or byte-order mark.
_NOT_SINGLE_QUOTABLE = re.compile(
    "[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}


class _Unsupported(Exception):
    """A value this writer does not handle; the caller falls back to PyYAML."""


def dump_yaml(document: Mapping[str, Any]) -> str:
    """Block-style YAML of ``document``, keys sorted, as ``yaml.safe_load`` reads it back.

    Equivalent to ``yaml.dump(document, sort_keys=True, allow_unicode=True)`` for the value
    types of inventory documents, though strings may be quoted differently.
    """
    writer = _Writer()
    try:
        writer.mapping(document, "")
    except _Unsupported:
        return str(yaml.dump(document, Dumper=_YAML_DUMPER, sort_keys=True, allow_unicode=True))
    return "\n".join(writer.lines) + "\n" if writer.lines else "{}\n"


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        # Each distinct string is styled once: ids and names repeat across tables.
        self.strings: dict[str, str] = {}
        # Rows of one table share their keys: their line prefixes are built once per layout.
        self.layouts: dict[tuple[Any, ...], tuple[tuple[str, str], ...]] = {}

    def mapping(self, mapping: Mapping[str, Any], pad: str) -> None:
        lines = self.lines
        for key in sorted(mapping):
            value = mapping[key]
            head = f"{pad}{self.key(key)}:"
            if isinstance(value, dict):
                if value:
                    lines.append(head)
                    self.mapping(value, pad + "  ")
                else:
                    lines.append(f"{head} {{}}")
            elif isinstance(value, list):
                if value:
                    # Like PyYAML, a list under a key is not indented further.
                    lines.append(head)
                    self.sequence(value, pad)
                else:
                    lines.append(f"{head} []")
            else:
                lines.append(f"{head} {self.scalar(value)}")

    def sequence(self, items: list[Any], pad: str) -> None:
        lines = self.lines
        inner = pad + "  "
        for item in items:
            if isinstance(item, dict) and item:
                if not self.flat_row(item, pad):
                    start = len(lines)
                    self.mapping(item, inner)
                    lines[start] = f"{pad}- {lines[start][len(inner) :]}"
            elif isinstance(item, list) and item:
                start = len(lines)
                self.sequence(item, inner)
                lines[start] = f"{pad}- {lines[start][len(inner) :]}"
            elif isinstance(item, dict):
                lines.append(f"{pad}- {{}}")
            elif isinstance(item, list):
                lines.append(f"{pad}- []")
            else:
                lines.append(f"{pad}- {self.scalar(item)}")

    def flat_row(self, row: dict[Any, Any], pad: str) -> bool:
        """Write a mapping of scalars as a sequence item; False (nothing written) otherwise."""
        shape = (pad, *row)
        layout = self.layouts.get(shape)
        if layout is None:
            keys = sorted(row)
            first, rest = f"{pad}- ", f"{pad}  "
            layout = tuple(
                (key, f"{rest if index else first}{self.key(key)}: ")
                for index, key in enumerate(keys)
            )
            self.layouts[shape] = layout
        lines = self.lines
        start = len(lines)
        strings = self.strings
        for key, prefix in layout:
            value = row[key]
            if value.__class__ is str:
                text = strings.get(value)
                if text is None:
                    text = strings[value] = style_string(value)
            elif value is None:
                text = "null"
            elif value is True:
                text = "true"
            elif value is False:
                text = "false"
            elif value.__class__ is int:
                text = str(value)
            else:
                del lines[start:]
                return False
            lines.append(prefix + text)
        return True

    def key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise _Unsupported(key)
        return self.scalar(key)

    def scalar(self, value: Any) -> str:
        if isinstance(value, str):
            text = self.strings.get(value)
            if text is None:
                text = self.strings[value] = style_string(value)
            return text
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if value.__class__ is int:
            return str(value)
        raise _Unsupported(value)


def style_string(text: str) -> str:
    """``text`` as a YAML scalar: plain when unambiguous, else single- or double-quoted."""
    if _plain_ok(text):
        return text
    if _NOT_SINGLE_QUOTABLE.search(text) is None:
        return "'" + text.replace("'", "''") + "'"
    return '"' + "".join(_escape(char) for char in text) + '"'


def _plain_ok(text: str) -> bool:
    if not text or not text.isascii() or not text.isprintable():
        return False
    first = text[0]
    if first in _QUOTE_FIRST or text[-1] in " :" or ": " in text or " #" in text:
        return False
    if first in _WORD_FIRST and len(text) <= _LONGEST_WORD:
        return _loads_as_itself(text)
    return True


def _loads_as_itself(text: str) -> bool:
    try:
        return bool(yaml.safe_load(text) == text)
    except yaml.YAMLError:
        return False


def _escape(char: str) -> str:
    found = _ESCAPES.get(char)
    if found is not None:
        return found
    if _NOT_SINGLE_QUOTABLE.match(char) is None:
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"
