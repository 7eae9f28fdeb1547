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
from collections.abc import Callable, Collection, Iterator, Mapping
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

    def item_lines(
        self,
        parent: str,
        lists: Collection[str],
        nested: str,
        nested_in: Collection[str],
        keys: Collection[str],
    ) -> dict[str, int | None]:
        """The line of every item of each list ``parent.L`` (``spec.http[1]``), of every item
        of the list ``nested`` in the items of the lists in ``nested_in``
        (``spec.http[1].match[0]``), and of each key ``parent.K`` (``spec.trafficPolicy``):
        one entry per such path in the value, each what ``get`` gives for it.

        A report cites these most; one walk through the text finds them all, where asking
        ``get`` path by path searches each from the top again. What the walk cannot place with
        certainty is left to ``get``.
        """
        value = self._value.get(parent)
        if type(value) is not dict:
            return {}
        walked = self._walk_items(parent, value, lists, nested, nested_in)
        out: dict[str, int | None] = {}
        for path in _item_paths(parent, value, lists, nested, nested_in, keys):
            # Once a path sent ``get`` to the exact reader, its lines answer for the rest.
            line = walked.get(path) if self._full is None else None
            out[path] = self.get(path) if line is None else line
        return out

    def _walk_items(
        self,
        parent: str,
        value: dict[str, Any],
        lists: Collection[str],
        nested: str,
        nested_in: Collection[str],
    ) -> dict[str, int]:
        """The lines ``item_lines`` can vouch for, found as ``_find`` finds each: the same
        steps, taken once per collection instead of once per path."""
        found: dict[str, int] = {}
        for key in lists:
            if type(value.get(key)) is list:
                break
        else:  # nothing to walk to
            return found
        text, start, end = self._text, self._start, self._end
        if _ambiguous(self._value, parent):
            return found
        column = _column(text, start)
        _, colon = self._key_offset(start, column, end, parent)
        first = _nested_start(text, colon, end, column, False) if colon >= 0 else -1
        if first < 0:
            return found
        end = _block_stop(text, first, end, False)
        self._inside[parent] = (value, first, end)  # as ``_find`` records it: ``get`` goes on
        column = _column(text, first)
        for key in lists:
            items = value.get(key)
            if type(items) is not list or not items or _ambiguous(value, key):
                continue
            within = f"{parent}.{key}"
            for index, content, list_end in self._items_of(column, first, end, key, len(items)):
                path = f"{within}[{index}]"
                found[path] = self._line_at(content)
                if key in nested_in:
                    self._walk_nested(items[index], content, list_end, nested, path, found)
        return found

    def _walk_nested(
        self, item: Any, content: int, list_end: int, nested: str, path: str, found: dict[str, int]
    ) -> None:
        """Add to ``found`` the lines of the items of the list ``nested`` in ``item``, the list
        item at ``path`` whose content starts at ``content``."""
        text = self._text
        if type(item) is not dict or text[content] == "-":
            return
        inner = item.get(nested)
        if type(inner) is not list or not inner or _ambiguous(item, nested):
            return
        item_end = _block_stop(text, content, list_end, False)
        item_column = _column(text, content)
        for number, at, _ in self._items_of(item_column, content, item_end, nested, len(inner)):
            found[f"{path}.{nested}[{number}]"] = self._line_at(at)

    def _items_of(
        self, column: int, first: int, end: int, key: str, count: int
    ) -> Iterator[tuple[int, int, int]]:
        """(index, content offset, end of the list) of the first ``count`` items of the list
        under ``key`` in the mapping at ``column`` whose first key is at ``first``."""
        text = self._text
        _, colon = self._key_offset(first, column, end, key)
        dash = _nested_start(text, colon, end, column, True) if colon >= 0 else -1
        if dash < 0:
            return
        list_end = _block_stop(text, dash, end, True)
        dash_column = _column(text, dash)
        for index in range(count):
            if index:
                dash = _next_dash(text, dash, dash_column, list_end)
                if dash < 0:
                    return
            content = _item_content(text, dash, list_end)
            if content >= 0:
                yield index, content, list_end

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
                pos = _nested_start(text, colon, end, column, type(value) is list)
                if pos < 0:
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
            end = _block_stop(text, pos, end, type(value) is list)
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
        for _ in range(index):
            dash = _next_dash(text, dash, column, end)
            if dash < 0:
                return -1
        return _item_content(text, dash, end)


def _nested_start(text: str, colon: int, end: int, column: int, is_list: bool) -> int:
    """Offset of the first key or dash of the block collection that is the value of the key
    whose colon is at ``colon`` (the key at ``column``); -1 when the value is not written as a
    block collection below the key (a flow collection, an anchor on the key's line)."""
    eol = text.find("\n", colon, end)
    after = text[colon + 1 : eol if eol >= 0 else end].strip()
    if after and not after.startswith("#"):
        return -1
    pos = _content(text, eol, end)
    if pos < 0:
        return -1
    nested = _column(text, pos)
    if (text[pos] == "-") != is_list or nested < column + (0 if is_list else 1):
        return -1
    return pos


def _block_stop(text: str, first: int, end: int, is_list: bool) -> int:
    """Where the block collection whose first key or dash is at ``first`` ends (within ``end``)."""
    ends = _block_end(_column(text, first), is_list).search(text, first, end)
    return ends.start() if ends else end


def _next_dash(text: str, dash: int, column: int, end: int) -> int:
    """Offset of the next item's dash after the one at ``dash`` (dashes at ``column``); -1."""
    needle = "\n" + " " * column + "-"
    at = text.find(needle, dash + 1, end)
    while at >= 0 and text[at + column + 2 : at + column + 3] not in _AFTER_DASH:
        at = text.find(needle, at + 1, end)
    return at + 1 + column if at >= 0 else -1


def _item_content(text: str, dash: int, end: int) -> int:
    """Offset of an item's content: after its dash on the same line, or on the next content
    line; -1 when there is none."""
    after = dash + 1
    while after < end and text[after] == " ":
        after += 1
    if after < end and text[after] not in "#\r\n":
        return after
    return _content(text, text.find("\n", after), end)


def _item_paths(
    parent: str,
    value: dict[str, Any],
    lists: Collection[str],
    nested: str,
    nested_in: Collection[str],
    keys: Collection[str],
) -> Iterator[str]:
    """The paths ``BlockLines.item_lines`` answers for, in the order it lists them."""
    for key in lists:
        items = value.get(key)
        if type(items) is not list:
            continue
        for index, item in enumerate(items):
            yield f"{parent}.{key}[{index}]"
            if key in nested_in and type(item) is dict and type(item.get(nested)) is list:
                for number in range(len(item[nested])):
                    yield f"{parent}.{key}[{index}].{nested}[{number}]"
    for key in keys:
        if key in value:
            yield f"{parent}.{key}"


def _ambiguous(mapping: dict[str, Any], key: str) -> bool:
    """Whether a path through ``key`` of ``mapping`` could also start with another of its keys
    (``a.b`` beside ``a``): ``_leading_key`` would refuse to choose."""
    prefixes = (key + ".", key + "[")
    for other in mapping:  # noqa: SIM110 (a loop: any() and its generator cost twice as much)
        if other.startswith(prefixes):
            return True
    return False


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
