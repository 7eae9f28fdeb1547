"""Markdown and HTML reports: goldens, escaping of hostile values, self-containment."""

from __future__ import annotations

import re
from typing import Any

from analyzer.report.html_report import render_html
from analyzer.report.markdown_report import render_markdown
from tests.report.conftest import build_report, check_golden

HOSTILE = '<script>alert("owned")</script>'


def test_markdown_golden_and_escaping(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    check_golden("report.md", text)
    # Raw HTML outside code spans would run or vanish on GitHub; inside them it is literal text.
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"(?s)```.*?```", "", text))
    assert "<script>" not in prose
    assert "alert" in text  # the hostile domain is shown, escaped
    assert "ML0401" in text and "503 NC" in text
    assert render_markdown(build_report()) == text


def test_html_is_self_contained_escaped_and_deterministic(report: dict[str, Any]) -> None:
    page = render_html(report)
    check_golden("report.html", page)
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page  # shown, as text
    assert "<img src=x" not in page
    # No external resources: every src/href is local (fragment) or data.
    for attr in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert attr.startswith(("#", "data:")), attr
    assert "<link" not in page
    assert render_html(build_report()) == page
