"""Redaction for tickets (being implemented): until then --redact refuses to run."""

from __future__ import annotations

from typing import Any

from analyzer.errors import UsageError


def redact_report(data: dict[str, Any]) -> dict[str, Any]:
    """Replace sensitive values with stable placeholders."""
    raise UsageError("--redact is not available in this build yet")
