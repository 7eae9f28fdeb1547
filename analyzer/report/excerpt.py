"""Quote the YAML of one rule (``spec.http[1]``) from its file, for explanations and reports."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=64)
def _lines(path: str) -> tuple[str, ...]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return tuple(handle.read().splitlines())
    except OSError:
        return ()


def yaml_excerpt(path: str, line: int, max_lines: int = 14) -> list[tuple[int, str]]:
    """The block starting at ``line`` (1-based): that line and everything indented under it.

    A rule that starts a sequence item (``- match:``) extends over the item's keys, which sit at
    the indentation of the text after the dash.
    """
    lines = _lines(path)
    if not 1 <= line <= len(lines):
        return []
    first = lines[line - 1]
    stripped = first.lstrip()
    indent = len(first) - len(stripped)
    body_indent = indent + 2 if stripped.startswith("- ") else indent + 1
    out = [(line, first)]
    for number in range(line + 1, len(lines) + 1):
        text = lines[number - 1]
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        current = len(text) - len(text.lstrip())
        if current < body_indent or text.strip() == "---":
            break
        if len(out) >= max_lines:
            out.append((number, " " * body_indent + "..."))
            break
        out.append((number, text))
    return out
