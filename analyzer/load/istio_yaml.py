"""Turn YAML text into plain Python values in one pass, recording the line of every key and item.

``iter_documents`` first offers the text to the rapidyaml reader (``yaml_fast``), which finds
lines on demand; what that reader cannot vouch for is read here, on libyaml's events.

This works on libyaml's event stream, not on ``yaml.compose_all``: the Cython composer recurses in
C once per nesting level and crashes the interpreter (SIGSEGV) on ~100,000 nested brackets, and
building values straight from events is also faster than composing nodes first. The pure-Python
parser is used when PyYAML was built without libyaml.

Values come out as ``yaml.safe_load`` would build them (YAML 1.1: ``yes`` is True, ``0755`` is
octal, merge keys ``<<`` work, an anchored value is shared by its aliases, not copied), with two
deliberate differences that suit Kubernetes objects: timestamps and ``!!binary`` stay strings,
and mapping keys are always the key's text (``80:`` gives the key ``"80"``).

Lines are recorded per *scope*: the mapping at the root of a document, and each mapping in the
root's ``items`` list (``kind: List``). Paths are relative to that scope (``spec.http[1]``), and
nothing is recorded under ``status`` or ``metadata.managedFields``, which the loader drops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from analyzer.errors import InputError
from analyzer.load.yaml_doc import Document, Scope
from analyzer.load.yaml_fast import NotVouched, fast_chunks
from analyzer.load.yaml_scalars import IMPLICIT, YAML_TAG, construct, resolve_plain

MAX_DEPTH: Final = 200
"""Deepest nesting of mappings and sequences accepted (real Istio objects stay under ~20)."""

MAX_ALIAS_EXPANSION: Final = 5_000_000
"""Most nodes that aliases may add to one document once expanded (the "billion laughs" guard)."""

_UNRECORDED: Final = frozenset({"status", "metadata.managedFields"})
"""Paths whose subtrees get no line records: the loader drops them."""

_RESOLVED_CACHE_SIZE: Final = 50_000
_MISSING: Final = object()
_MERGE_KEY: Final = "<<"
_EXACT_BATCH: Final = 500
"""Documents per chunk from the exact reader (see ``document_chunks``)."""


def _new_parser(text: str) -> Any:
    try:
        from yaml._yaml import CParser
    except ImportError:  # PyYAML built without libyaml: same result, about ten times slower
        return yaml.SafeLoader(text)
    return CParser(text)


def iter_documents(text: str, file: str) -> Iterator[Document]:
    """Yield the documents of ``text``; bad YAML raises InputError naming ``file`` and the line.

    Plain block-style YAML goes through rapidyaml (``yaml_fast``), about five times faster;
    whatever that reader cannot vouch for comes from the event reader below, which is exact.
    """
    for chunk in document_chunks(text, file, len(text) + 1):
        yield from chunk


def document_chunks(text: str, file: str, chunk_bytes: int) -> Iterator[list[Document]]:
    """The documents ``iter_documents`` yields, whole documents of about ``chunk_bytes`` at a
    time, so that a reader in another process can send each chunk as soon as it is read."""
    sent = 0
    try:
        for chunk in fast_chunks(text, file, exact_documents, chunk_bytes):
            sent += len(chunk)
            yield chunk
        return
    except NotVouched:
        pass
    # The chunks sent are the exact reader's first documents: go on after them.
    batch: list[Document] = []
    for index, doc in enumerate(exact_documents(text, file)):
        if index >= sent:
            batch.append(doc)
            if len(batch) == _EXACT_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def exact_documents(text: str, file: str) -> Iterator[Document]:
    """Yield the documents of ``text`` from libyaml's events, recording the line of every key."""
    parser = _new_parser(text)
    try:
        yield from _documents(parser, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(p for p in (exc.problem, exc.context and f"({exc.context})") if p)
        line = _clamp_line(text, mark.line + 1) if mark is not None else None
        raise InputError(file, f"not valid YAML: {reason or exc}", line) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else None
        raise InputError(file, f"not valid YAML: {exc.reason} {exc.character!r}", line) from None
    except yaml.YAMLError as exc:
        raise InputError(file, f"not valid YAML: {exc}") from None
    finally:
        parser.dispose()


def _clamp_line(text: str, line: int) -> int:
    """Keep a line number inside the file: at end of input libyaml points one line past it."""
    last = text.count("\n") + (0 if text.endswith("\n") else 1)
    return max(1, min(line, last))


# --- scalars --------------------------------------------------------------------------------

_STRING_TAGS: Final = frozenset(
    {"!", YAML_TAG + "str", YAML_TAG + "timestamp", YAML_TAG + "binary"}
)
_TYPED_TAGS: Final = frozenset(
    {YAML_TAG + "int", YAML_TAG + "float", YAML_TAG + "bool", YAML_TAG + "null"}
)
_COLLECTION_TAGS: Final = frozenset(
    {
        "!",
        YAML_TAG + "map",
        YAML_TAG + "seq",
        YAML_TAG + "omap",
        YAML_TAG + "pairs",
        YAML_TAG + "set",
    }
)


def _tagged_scalar(ev: Any, file: str) -> Any:
    tag = ev.tag or ""
    if tag in _STRING_TAGS:
        return ev.value
    if tag in _TYPED_TAGS:
        try:
            return construct(tag, ev.value)
        except (ValueError, KeyError):
            raise InputError(
                file, f"{ev.value!r} is not a valid {tag}", ev.start_mark.line + 1
            ) from None
    raise InputError(file, f"unsupported YAML tag {tag!r}", ev.start_mark.line + 1)


# --- the event loop ---------------------------------------------------------------------------


class _Merge:
    """Stands for the ``<<`` key while its value is built."""


_MERGE: Final = _Merge()


def _apply_merges(target: dict[str, Any], sources: list[Any], file: str, line: int) -> None:
    """Apply ``<<: *a`` / ``<<: [*a, *b]``: explicit keys win, then earlier sources win."""
    maps: list[dict[str, Any]] = []
    for source in sources:
        items = source if isinstance(source, list) else [source]
        if not all(isinstance(m, dict) for m in items):
            raise InputError(file, "a merge key '<<' needs a mapping or a list of mappings", line)
        maps.extend(items)
    merged: dict[str, Any] = {}
    for source_map in reversed(maps):
        merged.update(source_map)
    merged.update(target)
    target.clear()
    target.update(merged)


def _documents(parser: Any, file: str) -> Iterator[Document]:
    """Drive the parser; one loop for speed (this runs once per YAML event).

    Locals describe the collection being filled: ``cur`` (dict, list, or None at document level),
    ``key`` (pending mapping key; None when a key comes next), ``key_path`` (the path of the value
    being built; None when not recorded), ``prefix`` (path of ``cur``; None when not recorded).
    Each collection start pushes them on ``stack``.
    """
    get_event = parser.get_event
    # Local aliases: this loop runs once per event, and local lookups are the cheapest.
    scalar_event, alias_event = ScalarEvent, AliasEvent
    mapping_start, sequence_start = MappingStartEvent, SequenceStartEvent
    mapping_end, sequence_end = MappingEndEvent, SequenceEndEvent
    implicit_rules, unrecorded = IMPLICIT, _UNRECORDED
    resolved_plain: dict[str, Any] = {}
    stack: list[tuple[Any, ...]] = []
    cur: Any = None
    cur_is_map = False
    key: Any = None
    key_path: str | None = None
    prefix: str | None = None
    paths: dict[str, int] = {}
    scope: Scope | None = None
    in_items = False
    merges: list[Any] | None = None
    anchor: str | None = None
    anchor_mark = (0, 0)  # node count and deepest level when the open anchor started
    # per document:
    anchors: dict[str, tuple[Any, int, int]] = {}  # name -> (value, expanded size, height)
    open_anchors: set[str] = set()
    scopes: list[Scope] = []
    root: Any = None
    root_line = 1
    depth = 0
    deepest = 0
    nodes = 0
    expansion = 0

    while True:
        ev: Any = get_event()
        cls = ev.__class__
        if cls is scalar_event:
            nodes += 1
            if cur_is_map and key is None:
                # A mapping key: always kept as its text (Kubernetes keys are JSON strings).
                text = ev.value
                if text == _MERGE_KEY and ev.implicit[0] and ev.tag is None:
                    key = _MERGE
                    key_path = None
                    continue
                key = text
                if prefix is not None:
                    key_path = f"{prefix}.{text}" if prefix else text
                    line = ev.start_mark.line + 1
                    if key_path in unrecorded:
                        key_path = None
                    else:
                        if text in cur and scope is not None:
                            first = paths.get(key_path, line)
                            scope.duplicate_keys.append((key_path, line, first))
                        paths[key_path] = line
                if ev.anchor is not None:
                    anchors[ev.anchor] = (text, 1, 0)
                continue
            value = ev.value
            if ev.tag is None:
                # Only plain scalars whose first character could start a number, bool or null
                # need the resolver; the same few ("80", "true", "v1") recur all through a file.
                if ev.implicit[0] and value[:1] in implicit_rules:
                    resolved = resolved_plain.get(value, _MISSING)
                    if resolved is _MISSING:
                        resolved = resolve_plain(value)
                        if len(resolved_plain) < _RESOLVED_CACHE_SIZE:
                            resolved_plain[value] = resolved
                    value = resolved
            else:
                value = _tagged_scalar(ev, file)
            if ev.anchor is not None:
                anchors[ev.anchor] = (value, 1, 0)
        elif cls is mapping_start or cls is sequence_start:
            nodes += 1
            line = ev.start_mark.line + 1
            if cur_is_map and key is None:
                raise InputError(file, "complex (non-scalar) mapping keys are not supported", line)
            if ev.tag is not None and ev.tag not in _COLLECTION_TAGS:
                raise InputError(file, f"unsupported YAML tag {ev.tag!r}", line)
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(file, f"nested more than {MAX_DEPTH} levels deep", line)
            if depth > deepest:
                deepest = depth
            is_map = cls is mapping_start
            new: Any = {} if is_map else []
            # Path of the new collection, and whether it opens a new scope.
            new_prefix: str | None
            new_scope = False
            if cur is None:
                new_prefix, new_scope = "", is_map
                root, root_line = new, line
            elif cur_is_map:
                new_prefix = key_path
            elif in_items and is_map:
                new_prefix, new_scope = "", True
            elif prefix is not None:
                new_prefix = f"{prefix}[{len(cur)}]"
                paths[new_prefix] = line
            else:
                new_prefix = None
            # Attach now so that order is kept; the collection fills in as its events arrive.
            if cur_is_map:
                if key is _MERGE:
                    merges = [*(merges or []), new]
                else:
                    cur[key] = new
            elif cur is not None:
                cur.append(new)
            opens_items = not is_map and depth == 2 and cur_is_map and key == "items"
            stack.append(
                (cur, cur_is_map, prefix, paths, scope, in_items, merges, anchor, anchor_mark)
            )
            if new_scope:
                paths = {}
                scope = Scope(new, line, paths)
                scopes.append(scope)
            cur, cur_is_map, prefix, in_items = new, is_map, new_prefix, opens_items
            key = key_path = None
            merges = None
            anchor = ev.anchor
            if anchor is not None:
                open_anchors.add(anchor)
                anchor_mark = (nodes, deepest)
                deepest = depth
            continue
        elif cls is mapping_end or cls is sequence_end:
            if merges is not None:
                _apply_merges(cur, merges, file, ev.start_mark.line + 1)
            if anchor is not None:
                start_nodes, outer_deepest = anchor_mark
                # height counts this collection's own level, so an alias at level d reaches d+height
                anchors[anchor] = (cur, nodes - start_nodes + 1, deepest - depth + 1)
                open_anchors.discard(anchor)
                deepest = max(deepest, outer_deepest)
            depth -= 1
            (cur, cur_is_map, prefix, paths, scope, in_items, merges, anchor, anchor_mark) = (
                stack.pop()
            )
            key = key_path = None
            continue
        elif cls is alias_event:
            line = ev.start_mark.line + 1
            name = ev.anchor
            target = anchors.get(name)
            if target is None:
                why = "refers to itself" if name in open_anchors else "is not defined"
                raise InputError(file, f"alias *{name} {why}", line)
            value, size, height = target
            expansion += size
            if expansion > MAX_ALIAS_EXPANSION:
                raise InputError(
                    file,
                    f"aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes"
                    " (a YAML alias bomb?)",
                    line,
                )
            if depth + height > MAX_DEPTH:
                raise InputError(file, f"nested more than {MAX_DEPTH} levels deep", line)
            deepest = max(deepest, depth + height)
            nodes += size
            if cur_is_map and key is None:
                if not isinstance(value, str):
                    raise InputError(file, f"alias *{name} used as a key is not a string", line)
                key = value
                if prefix is not None:
                    key_path = f"{prefix}.{value}" if prefix else value
                    paths[key_path] = line
                continue
        elif cls is DocumentStartEvent:
            anchors = {}
            open_anchors = set()
            scopes = []
            root = None
            root_line = ev.start_mark.line + 1
            depth = deepest = nodes = expansion = 0
            continue
        elif cls is DocumentEndEvent:
            yield Document(root, root_line, scopes)
            continue
        elif cls is StreamEndEvent:
            return
        else:  # StreamStartEvent
            continue

        # A scalar or alias value: attach it to the collection being filled.
        if cur_is_map:
            if key is _MERGE:
                merges = [*(merges or []), value]
            else:
                cur[key] = value
            key = key_path = None
        elif cur is not None:
            if prefix is not None:
                paths[f"{prefix}[{len(cur)}]"] = ev.start_mark.line + 1
            cur.append(value)
        else:
            root, root_line = value, ev.start_mark.line + 1
