"""JSON: the versioned report (see ``report.schema``), byte-identical for the same inputs."""

from __future__ import annotations

from typing import Any

import orjson

_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def render_json(data: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, trailing newline."""
    # orjson appends the newline itself: adding it to the decoded text would copy a report of
    # tens of megabytes once more.
    return orjson.dumps(data, option=_OPTIONS).decode()
