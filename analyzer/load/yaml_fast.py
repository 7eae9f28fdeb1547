"""Read plain block-style YAML through rapidyaml, five times faster than libyaml's event stream.

rapidyaml (a C++ parser) turns the whole text into JSON, and ``orjson`` turns that into Python
values: about 1 s for a 14 MB file where reading libyaml's two million events alone takes 2.3 s.
Lines are not recorded up front; ``BlockLines`` finds the line of a key when asked.

rapidyaml reads YAML 1.2 and emits JSON, so its values differ from ``yaml.safe_load``'s (YAML 1.1)
in a few places: ``yes``/``on``/``~``/``0755``/``1_000`` stay strings, ``1e5`` becomes a number,
tags are dropped, aliases come out as ``"*name"`` and a repeated key is kept twice. This module
therefore vouches only for what it can check and hands everything else to the exact event reader:

- the whole file goes to the exact reader when it has anchors, aliases, tags, directives, ``...``,
  tabs, complex keys or content after ``---``, when rapidyaml rejects it (the exact reader then
  words the error), or when rapidyaml holds more nodes than the values do (a repeated key);
- one document goes to the exact reader when it holds a merge key ``<<``, a string that YAML 1.1
  would read as something else written plain (``yes``, ``0755``) and is written plain somewhere
  in it, a float written with an exponent, a sign before a dot or as a very long integer, a
  ``kind: List``, nesting deeper than the exact reader allows, or when it ends the file without
  a final newline.

Without the ``rapidyaml`` package everything goes to the exact reader.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

import orjson

from analyzer.load.yaml_blocks import ExactReader, block_document, read_alone
from analyzer.load.yaml_doc import Document
from analyzer.load.yaml_scalars import IMPLICIT, resolve_plain

try:
    import ryml
except ImportError:  # optional: the exact reader gives the same result, more slowly
    ryml = None

MAX_DEPTH: Final = 200
"""Deepest nesting vouched for; deeper documents go to the exact reader, which reports them."""

# Characters that may start something rapidyaml's JSON would lose or change (anchors, aliases,
# tags, directives, complex keys, tabs); rare enough to look at one by one.
_SUSPECT: Final = re.compile(r"[&*!%?\t]")
# Document end markers and content on a `---` line.
_MARKER_LINE: Final = re.compile(r"\n(?:\.\.\.|---[ ]*[^ \r\n#])")
_MARKER: Final = re.compile(r"\n---[ ]*(?:#[^\n]*)?(?=\r?\n|$)")
_CONTENT: Final = re.compile(r"^[ ]*[^ \r\n#]", re.MULTILINE)


class _Unsure(Exception):
    """A value the fast reader cannot vouch for."""


class NotVouched(Exception):
    """The fast reader cannot vouch for the rest of the file: the exact reader must read it whole.

    The chunks yielded before it are the exact reader's first documents, as they would read.
    """


def fast_chunks(
    text: str, file: str, exact: ExactReader, chunk_bytes: int
) -> Iterator[list[Document]]:
    """Yield the documents of ``text``, whole documents of about ``chunk_bytes`` at a time.

    Raises NotVouched when the exact reader must read the file (at once, or after some chunks:
    YAML documents do not depend on each other once anchors and directives are ruled out, so
    each chunk is parsed and checked on its own and the earlier ones stand).
    """
    if ryml is None or _unsupported(text):
        raise NotVouched
    segments = _segments(text)
    first = 0
    while first < len(segments):
        last = first
        while last + 1 < len(segments) and segments[last][2] - segments[first][0] < chunk_bytes:
            last += 1
        # From the first document's `---` line (the preceding end), or from the very start.
        begin = segments[first - 1][2] if first else 0
        yield _chunk(text, file, exact, begin, segments[first : last + 1])
        first = last + 1


def _chunk(
    text: str, file: str, exact: ExactReader, begin: int, segments: list[tuple[int, int, int]]
) -> list[Document]:
    """The documents of ``segments``, parsed from ``text[begin:]`` up to the last one's end."""
    try:
        with _stderr_silenced():  # rapidyaml prints its parse errors before raising them
            # Block YAML has about one node per line: reserving them up front spares the tree
            # its regrowth (a large share of the parse); flow-heavy text just grows as before.
            part = text[begin : segments[-1][2]]
            tree = ryml.Tree()
            tree.reserve(part.count("\n") + 16)
            tree = ryml.parse_in_arena(part.encode(), tree=tree)
            emitted = ryml.emit_json(tree)
        root = tree.root_id()
        stream = tree.is_stream(root)
        values = orjson.loads(emitted) if emitted else None
    except (Exception, RecursionError):  # rejected: the exact reader says why, with the line
        raise NotVouched from None
    docs = values if stream else [values]
    if not isinstance(docs, list) or len(docs) != len(segments):
        raise NotVouched
    nodes = 1 if stream else 0
    out: list[Document] = []
    for value, (start, line, end) in zip(docs, segments, strict=True):
        doubts: set[Any] = set()
        try:
            nodes += _count_nodes(value, 0, doubts)
        except _Unsure:
            doubts.add(_Unsure)
        if end == len(text) and not text.endswith("\n"):
            doubts.add(_Unsure)  # a block scalar ending the file keeps a newline in rapidyaml
        if doubts and _doubtful(text, start, end, doubts):
            # The exact reader reports this document's own repeated keys; any elsewhere must
            # still show in the count.
            if _Unsure in doubts:
                nodes += _size(value)
            out.extend(read_alone(exact, text, start, line, end, file))
        elif isinstance(value, dict) and isinstance(value.get("items"), list):
            out.extend(read_alone(exact, text, start, line, end, file))  # scopes per list item
        else:
            out.append(block_document(text, value, start, line, end, exact, file))
    if nodes != tree.size():
        raise NotVouched  # a key given twice: only the exact reader reports it
    return out


def _unsupported(text: str) -> bool:
    """Whether ``text`` uses YAML that rapidyaml's JSON would not carry over exactly."""
    if _MARKER_LINE.search("\n" + text[:4]) or _MARKER_LINE.search(text):
        return True
    for hit in _SUSPECT.finditer(text):
        at, char = hit.start(), hit.group()
        before = text[at - 1] if at else "\n"
        if char == "\t":
            return True
        if char in "&*!" and before in " [{,\n":
            return True  # an anchor, alias or tag (or plain text that looks like one)
        if char in "%?" and before == "\n":
            return True  # a directive, or a complex key
        if char == "?" and before == " ":
            line_start = text.rfind("\n", 0, at) + 1
            if not text[line_start:at].strip(" -") and text[at + 1 : at + 2] in (" ", "\n", ""):
                return True
    return False


def _size(value: Any) -> int:
    """Count the nodes of ``value`` (each mapping, sequence and value is one)."""
    if type(value) is dict:
        return 1 + sum(_size(child) for child in value.values())
    if type(value) is list:
        return 1 + sum(_size(child) for child in value)
    return 1


def _segments(text: str) -> list[tuple[int, int, int]]:
    """Return (start, line, end) of each document: where its content starts, that line, its end.

    A document is what follows a ``---`` line, or the text before the first one when it holds
    content; comments and blank lines are not content.
    """
    markers = [m.start() + 1 for m in _MARKER.finditer("\n" + text)]  # "\n": one at offset 0
    markers = [m - 1 for m in markers]
    preamble = bool(_CONTENT.search(text, 0, markers[0] if markers else len(text)))
    bounds = [0, *markers] if preamble else markers
    segments = []
    newlines, counted_to = 0, 0
    for index, begin in enumerate(bounds):
        end = bounds[index + 1] if index + 1 < len(bounds) else len(text)
        body = begin
        if index or not preamble:  # skip the `---` line itself
            eol = text.find("\n", begin, end)
            body = end if eol < 0 else eol + 1
        content = _CONTENT.search(text, body, end)
        start = content.end() - 1 if content else body
        newlines += text.count("\n", counted_to, start)
        counted_to = start
        segments.append((start, newlines + 1, end))
    return segments


def _count_nodes(value: Any, depth: int, doubts: set[Any]) -> int:
    """Count rapidyaml's nodes for ``value``, noting what YAML 1.1 might read otherwise.

    ``doubts`` collects strings that YAML 1.1 would type had they been plain (``"yes"``), and
    ``float`` for any float (``1e5`` is a number to rapidyaml but a string to YAML 1.1). A merge
    key or nesting beyond MAX_DEPTH raises _Unsure.
    """
    if depth > MAX_DEPTH:
        raise _Unsure
    count = 1
    children = value.values() if type(value) is dict else value if type(value) is list else ()
    if type(value) is dict and "<<" in value:
        raise _Unsure
    for child in children:
        kind = type(child)
        if kind is str:
            # The empty string: rapidyaml makes an empty plain scalar null, as YAML 1.1 does.
            if child and child[0] in IMPLICIT and _looks_typed(child):
                doubts.add(child)
            count += 1
        elif kind is dict or kind is list:
            count += _count_nodes(child, depth + 1, doubts)
        else:
            if kind is float:
                doubts.add(float)
            count += 1
    return count


# Plain numbers that rapidyaml makes a float and YAML 1.1 does not: an exponent (YAML 1.1 wants
# a dot and a signed exponent), a sign before a leading dot (``-.5`` is a string to YAML 1.1) and
# an integer too long for 64 bits (orjson reads it as a float, YAML 1.1 as an int).
_FLOAT_ALIKE: Final = re.compile(
    r"(?:^|[:\-\[,{])[ ]*(?:[-+]?[0-9][0-9._]*[eE]|[-+]\.[0-9]|[-+]?[0-9]{19})", re.MULTILINE
)
_plain_patterns: dict[str, re.Pattern[str]] = {}


def _doubtful(text: str, start: int, end: int, doubts: set[Any]) -> bool:
    """Whether a doubt about one document is real: the text holds a plain scalar that YAML 1.1
    reads otherwise. A doubted string written only in quotes is a string either way."""
    if _Unsure in doubts:
        return True
    line_start = text.rfind("\n", 0, start) + 1
    for doubt in doubts:
        if doubt is float:
            if _FLOAT_ALIKE.search(text, line_start, end):
                return True
            continue
        pattern = _plain_patterns.get(doubt)
        if pattern is None:
            # The value unquoted, alone after a key, a dash or in a flow collection, or alone on
            # a line (a continuation of a multi-line plain scalar).
            token = re.escape(doubt)
            pattern = re.compile(
                f"(?:^|[:\\-\\[,{{])[ ]*{token}[ ]*(?:[,\\]}}#\\r]|$)", re.MULTILINE
            )
            _plain_patterns[doubt] = pattern
        if pattern.search(text, line_start, end):
            return True
    return False


_typed_cache: dict[str, bool] = {}

# Plain scalars rapidyaml types itself, as YAML 1.1 does: a *string* of this form in its values
# was quoted (or a block scalar) in the text, so it is a string to YAML 1.1 as well.
_TYPED_ALIKE: Final = re.compile(
    r"true|false|null|-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{0,15})?|\.[0-9]{1,15}"
)


def _looks_typed(value: str) -> bool:
    """Whether YAML 1.1 would read ``value`` as a number, bool or null had it been plain, and
    rapidyaml, reading it plain, would not have typed it the same way."""
    known = _typed_cache.get(value)
    if known is None:
        known = not isinstance(resolve_plain(value), str) and not _TYPED_ALIKE.fullmatch(value)
        if len(_typed_cache) < 50_000:
            _typed_cache[value] = known
    return known


@contextmanager
def _stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration (C++ code writes to it directly)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
