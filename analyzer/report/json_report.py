"""JSON: the versioned report (see ``report.schema``), byte-identical for the same inputs."""

from __future__ import annotations

from typing import Any

import orjson


def render_json(data: dict[str, Any]) -> str:
    """Sorted keys, two-space indent, trailing newline."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode() + "\n"
