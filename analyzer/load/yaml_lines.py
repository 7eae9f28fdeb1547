"""Find the line of a key or item in block-style YAML when asked, instead of recording every one.

A report cites a few lines per object (``spec.http[1]``), while recording the line of every key
while parsing costs more than the parse. ``BlockLines`` walks the loaded value and the text
together: it looks for ``key:`` at the indentation of the mapping's keys, and for the n-th ``-``
at the indentation of a sequence, using only ``str.find`` and a regular expression per
indentation. Whatever it cannot place with certainty (flow collections ``{...}``/``[...]``,
quoted keys with escapes, a key that is a prefix of a dotted path in two ways) makes it ask the
exact reader for the whole document once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

_UNSURE: Final = object()
_AFTER_DASH: Final = (" ", "\n", "\r", "")

_block_ends: dict[tuple[int, bool], re.Pattern[str]] = {}


def _block_end(indent: int, sequence: bool) -> re.Pattern[str]:
    """The first line that closes a block at ``indent`` (blank and comment lines never do).

    A mapping whose keys sit at column ``indent`` ends at a line indented less; a sequence whose
    dashes sit there also ends at a line at that column that is not an item (the next key of an
    "indentless" sequence's parent).
    """
    pattern = _block_ends.get((indent, sequence))
    if pattern is None:
        less = f" {{0,{indent - 1}}}[^ \\r\\n#]" if indent else ""
        same = f"|[ ]{{{indent}}}(?:[^ \\r\\n#-]|-[^ \\r\\n])" if sequence else ""
        body = f"{less}{same}".lstrip("|") or "(?!)"
        pattern = re.compile(f"\\n(?:{body})")
        _block_ends[(indent, sequence)] = pattern
    return pattern


class BlockLines(Mapping[str, int]):
    """Lines of the keys and items of one document's root mapping, found on demand."""

    __slots__ = (
        "_end",
        "_exact",
        "_found",
        "_full",
        "_inside",
        "_line",
        "_start",
        "_text",
        "_value",
    )

    def __init__(
        self,
        text: str,
        start: int,
        end: int,
        line: int,
        value: dict[str, Any],
        exact: Callable[[], dict[str, int]],
    ) -> None:
        self._text = text
        self._start = start  # offset of the root mapping's first key
        self._end = end  # offset where the document ends
        self._line = line  # line of ``start``
        self._value = value
        self._exact = exact
        self._full: dict[str, int] | None = None
        self._found: dict[str, int | None] = {}
        self._inside: dict[str, tuple[Any, int, int]] = {}  # path -> (value, first offset, end)

    @property
    def span(self) -> tuple[int, int, int]:
        """(start, end, line): where the document's root mapping starts and ends in the text,
        and the line of its start."""
        return self._start, self._end, self._line

    def seed(self, lines: Mapping[str, int | None]) -> None:
        """Take lines looked up elsewhere in the same text (None: no such path)."""
        for path, line in lines.items():
            self._found.setdefault(path, line)

    def get(self, path: str, default: Any = None) -> Any:
        if self._full is not None:
            return self._full.get(path, default)
        line = self._found.get(path, _UNSURE)
        if line is _UNSURE:
            line = self._find(path)
            if line is _UNSURE:
                return self._exact_lines().get(path, default)
            self._found[path] = line
        return default if line is None else line

    def __getitem__(self, path: str) -> int:
        line = self.get(path)
        if line is None:
            raise KeyError(path)
        return int(line)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and self.get(path) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._exact_lines())

    def __len__(self) -> int:
        return len(self._exact_lines())

    def _exact_lines(self) -> dict[str, int]:
        if self._full is None:
            self._full = self._exact()
        return self._full

    # --- the search ----------------------------------------------------------------------------

    def _line_at(self, offset: int) -> int:
        return self._line + self._text.count("\n", self._start, offset)

    def _find(self, path: str) -> Any:
        """Return the line of ``path``, None when the value has no such path, or _UNSURE."""
        text = self._text
        value: Any = self._value
        pos, end = self._start, self._end
        rest = path
        # Paths come in families (spec.http[1], spec.http[1].route[0]): start from the deepest
        # collection already located.
        cut = len(path)
        while cut > 0:
            cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))
            inside = self._inside.get(path[:cut]) if cut > 0 else None
            if inside is not None:
                value, pos, end = inside
                rest = path[cut:].removeprefix(".")
                break
        while True:
            # ``pos`` is where the collection holding ``value`` has its first key or dash.
            column = _column(text, pos)
            if type(value) is dict:
                key = _leading_key(value, rest)
                if key is None or key is _UNSURE:
                    return key
                pos, colon = self._key_offset(pos, column, end, key)
                if pos < 0:
                    return _UNSURE
                rest = rest[len(key) :].removeprefix(".")
                value = value[key]
                if not rest:
                    return self._line_at(pos)
                if type(value) not in (dict, list) or not value:
                    return None
                # A nested block collection starts on a later line; anything else on the key's
                # line (a flow collection, an anchor) is beyond this search.
                eol = text.find("\n", colon, end)
                after = text[colon + 1 : eol if eol >= 0 else end].strip()
                if after and not after.startswith("#"):
                    return _UNSURE
                pos = _content(text, eol, end)
                if pos < 0:
                    return _UNSURE
                nested = _column(text, pos)
                is_list = type(value) is list
                if (text[pos] == "-") != is_list or nested < column + (0 if is_list else 1):
                    return _UNSURE
            elif type(value) is list:
                close = rest.find("]")
                if not rest.startswith("[") or close < 0 or not rest[1:close].isdigit():
                    return None
                index = int(rest[1:close])
                if index >= len(value):
                    return None
                pos = self._item_offset(pos, column, end, index)
                if pos < 0:
                    return _UNSURE
                rest = rest[close + 1 :].removeprefix(".")
                value = value[index]
                if not rest:
                    return self._line_at(pos)
                if type(value) not in (dict, list) or not value:
                    return None
                if (text[pos] == "-") != (type(value) is list):
                    return _UNSURE  # a flow collection
            else:
                return None
            nested = _column(text, pos)
            ends = _block_end(nested, type(value) is list).search(text, pos, end)
            end = ends.start() if ends else end
            self._inside[path[: len(path) - len(rest)].removesuffix(".")] = (value, pos, end)

    def _key_offset(self, first: int, column: int, end: int, key: str) -> tuple[int, int]:
        """Offsets of ``key`` and of its colon among the keys of the mapping whose first key is
        at ``first``; (-1, -1) when not found."""
        text = self._text
        spellings = [key]
        if '"' not in key and "'" not in key and "\\" not in key:
            spellings += [f'"{key}"', f"'{key}'"]  # quoted without escapes, like "@type"
        for spelling in spellings:
            colon = _colon_after_key(text, first, spelling)
            if colon >= 0:
                return first, colon
            needle = "\n" + " " * column + spelling
            at = text.find(needle, first, end)
            while at >= 0:
                colon = _colon_after_key(text, at + 1 + column, spelling)
                if colon >= 0:
                    return at + 1 + column, colon
                at = text.find(needle, at + 1, end)
        return -1, -1

    def _item_offset(self, first: int, column: int, end: int, index: int) -> int:
        """Offset of the content of item ``index`` of the sequence whose first dash is ``first``."""
        text = self._text
        dash = first
        needle = "\n" + " " * column + "-"
        for _ in range(index):
            at = text.find(needle, dash + 1, end)
            while at >= 0 and text[at + column + 2 : at + column + 3] not in _AFTER_DASH:
                at = text.find(needle, at + 1, end)
            if at < 0:
                return -1
            dash = at + 1 + column
        # The item's content: after the dash on the same line, or on the next content line.
        after = dash + 1
        while after < end and text[after] == " ":
            after += 1
        if after < end and text[after] not in "#\r\n":
            return after
        return _content(text, text.find("\n", after), end)


def _column(text: str, offset: int) -> int:
    """0-based column of ``offset``."""
    return offset - text.rfind("\n", 0, offset) - 1


def _content(text: str, newline: int, end: int) -> int:
    """Offset of the first non-blank, non-comment character after ``newline``, or -1."""
    pos = newline
    while 0 <= pos < end:
        start = pos + 1
        stripped = start
        while stripped < end and text[stripped] == " ":
            stripped += 1
        if stripped < end and text[stripped] not in "#\r\n":
            return stripped
        pos = text.find("\n", stripped, end)
    return -1


def _colon_after_key(text: str, at: int, key: str) -> int:
    """Offset of the ``:`` when ``key`` followed by ``:`` and a space or line end is written at
    ``at``; else -1."""
    if not text.startswith(key, at):
        return -1
    after = at + len(key)
    while text[after : after + 1] == " ":
        after += 1
    if text[after : after + 1] == ":" and text[after + 1 : after + 2] in _AFTER_DASH:
        return after
    return -1


def _leading_key(value: dict[str, Any], rest: str) -> Any:
    """The key of ``value`` that ``rest`` starts with; None when none does, _UNSURE when two do.

    Keys may hold dots (``app.kubernetes.io/name``), so ``rest`` is tried at every boundary.
    """
    found: Any = None
    size = len(rest)
    start = 0
    while True:
        dot, bracket = rest.find(".", start), rest.find("[", start)
        if dot < 0:
            cut = bracket if bracket >= 0 else size
        else:
            cut = dot if bracket < 0 or dot < bracket else bracket
        candidate = rest[:cut]
        if candidate in value:
            if found is not None:
                return _UNSURE
            found = candidate
        if cut >= size:
            return found
        start = cut + 1
