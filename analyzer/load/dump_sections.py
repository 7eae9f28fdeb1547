"""Find the sections of an admin ``/config_dump`` in its bytes, without parsing it.

Envoy writes ``{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump",
...}, ...]}``: one object per section. Knowing where each section starts and ends lets one
process parse some sections while another parses the rest (``endpoints_ahead``).

The search is by bytes: a candidate section starts with ``{`` then ``"@type"`` naming an
``envoy.admin.v3`` message, and is separated from its neighbours by a comma (after ``[`` for the
first, before ``]}`` for the last) with only whitespace around. Inside a JSON string a quote is
escaped, so ``"@type"`` there never matches; a nested object that looks like a section would
split a real one in two, and the halves do not parse. So sections that each parse as one JSON
value, glued as found, are exactly the document: callers parse every section they use and fall
back to the whole document when one fails.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from typing import Final, TypeAlias

_PREFIX: Final = b'"type.googleapis.com/envoy.admin.v3.'
_HEAD: Final = re.compile(rb'\s*\{\s*"configs"\s*:\s*\[\s*')
_TYPE_KEY: Final = re.compile(rb'\{\s*"@type"\s*:\s*\Z')
_TAIL: Final = re.compile(rb"\s*\]\s*\}\s*\Z")
_SEPARATOR: Final = re.compile(rb"\s*,\s*\Z")
_LOOK_BACK: Final = 64
"""Bytes searched for the ``{"@type":`` before a type URL, or the comma between two sections
(pretty-printed dumps put a few spaces there; more means no split, not a wrong one)."""

Buffer: TypeAlias = bytes | mmap.mmap


@dataclass(frozen=True, slots=True)
class Section:
    """One entry of ``configs``: its message name and its bytes ``data[start:end]``."""

    type_url: str
    start: int
    end: int

    @property
    def name(self) -> str:
        """The admin message, e.g. ``EndpointsConfigDump``."""
        return self.type_url.rsplit(".", 1)[-1]


def admin_sections(data: Buffer) -> list[Section] | None:
    """The sections of an admin dump in order; None when ``data`` is not laid out as one."""
    head = _HEAD.match(data)
    if head is None:
        return None
    starts: list[tuple[int, str]] = []
    found = data.find(_PREFIX, head.end())
    while found >= 0:
        brace = data.rfind(b"{", max(0, found - _LOOK_BACK), found)
        close = data.find(b'"', found + len(_PREFIX))
        if brace >= 0 and close >= 0 and _TYPE_KEY.match(data, brace, found):
            type_url = data[found + 1 : close].decode("ascii", "replace")
            starts.append((brace, type_url))
        found = data.find(_PREFIX, found + len(_PREFIX))
    if not starts or starts[0][0] != head.end():
        return None
    sections: list[Section] = []
    for index, (start, type_url) in enumerate(starts):
        if index + 1 < len(starts):
            following = starts[index + 1][0]
            separator = _last_separator(data, start, following)
            if separator is None:
                return None
            end = separator
        else:
            tail = _TAIL.search(data, max(start, len(data) - _LOOK_BACK))
            if tail is None or data[tail.start() - 1 : tail.start()] != b"}":
                return None
            end = tail.start()
        sections.append(Section(type_url, start, end))
    return sections


def _last_separator(data: Buffer, start: int, following: int) -> int | None:
    """Where the section ending before ``following`` ends: before its ``,`` and whitespace."""
    window = max(start, following - _LOOK_BACK)
    match = _SEPARATOR.search(data, window, following)
    if match is None:
        return None
    end = match.start()
    return end if end > start and data[end - 1 : end] == b"}" else None
