"""Output formats of ``meshlens analyze``: one renderer per module, chosen by name."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from analyzer.errors import UsageError

Renderer = Callable[[dict[str, Any]], str]


class OutputFormat(StrEnum):
    """Report formats."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"

    def renderer(self) -> Renderer:
        """The function that renders the report data in this format."""
        if self is OutputFormat.TABLE:
            from analyzer.report.table_report import render_table

            return render_table
        if self is OutputFormat.JSON:
            from analyzer.report.json_report import render_json

            return render_json
        return _optional(self.value)

    def encoder(self) -> Callable[[dict[str, Any]], str | bytes]:
        """The renderer, or for JSON one that gives the UTF-8 bytes orjson makes (written as
        they are: a large report is not decoded only to be encoded again)."""
        if self is OutputFormat.JSON:
            from analyzer.report.json_report import json_bytes

            return json_bytes
        return self.renderer()


def _optional(name: str) -> Renderer:
    import importlib

    try:
        module = importlib.import_module(f"analyzer.report.{name}_report")
    except ModuleNotFoundError:
        raise UsageError(f"output format {name!r} is not available in this build") from None
    render: Renderer = getattr(module, f"render_{name}")
    return render
