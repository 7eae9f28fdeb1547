"""JSON: the versioned report (see ``report.schema``), byte-identical for the same inputs."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def render_json(data: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, trailing newline."""
    return json_bytes(data).decode()


def json_bytes(data: dict[str, Any]) -> bytes:
    """``render_json`` as the UTF-8 bytes orjson makes: what is written out, without decoding
    a report of tens of megabytes only to encode it again."""
    # orjson appends the newline itself: adding it to the text would copy it once more.
    return orjson.dumps(data, option=_OPTIONS)
