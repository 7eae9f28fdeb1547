"""Read an input file into parsed JSON/YAML values, sniffing the content rather than the name.

Handles gzip, a stray HTTP status line (some collectors save ``curl -i`` output), a UTF-8 BOM,
and turns every way a file can be unreadable into one ``InputError`` naming the file and, where
the parser knows it, the line.
"""

from __future__ import annotations

import gc
import gzip
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

from analyzer.errors import InputError

# Dumps of 200 MB+ are real (Envoy PR 46911 measured 189 MiB); beyond this a file is more likely
# a mistake (or a decompression bomb) than a capture. Overridable for the brave.
MAX_INPUT_BYTES = int(os.environ.get("MESHLENS_MAX_INPUT_BYTES", str(2 * 1024**3)))
# Envoy's JSON is never this deep; the limit keeps recursive walks far from Python's stack limit.
MAX_DEPTH = 256
# A YAML alias bomb expands a few kilobytes into billions of nodes. Count nodes with sharing
# expanded and refuse anything far beyond what a real capture holds.
MAX_EXPANDED_NODES = 50_000_000

_GZIP_MAGIC = b"\x1f\x8b"
_LEADING_SPACE = re.compile(rb"\s*")


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: parsing allocates millions of acyclic objects it would rescan.

    On the way out everything allocated so far is frozen (moved out of the collector's sight)
    before the GC is enabled again: otherwise the first collection after it walks the whole
    freshly parsed dump, which costs as much as half the parse.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


def read_bytes(path: str) -> tuple[bytes, int]:
    """Return the payload of ``path`` and how many lines were stripped before it.

    Decompresses gzip and drops a leading HTTP status line with its headers.
    """
    try:
        if os.path.isdir(path):
            raise InputError(path, "is a directory, expected a config dump file")
        size = os.path.getsize(path)
        if size > MAX_INPUT_BYTES:
            raise InputError(path, f"file is {size} bytes, over the {MAX_INPUT_BYTES}-byte limit")
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if data.startswith(_GZIP_MAGIC):
        data = _gunzip(path, data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    skipped_lines = 0
    if data.startswith(b"HTTP/"):
        data, skipped_lines = _strip_http_head(data)
    if first_byte(data) == b"":
        raise InputError(path, "file is empty")
    return data, skipped_lines


def _gunzip(path: str, data: bytes) -> bytes:
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, MAX_INPUT_BYTES + 1)
    except zlib.error as exc:
        raise InputError(path, f"corrupt gzip data ({exc})") from None
    if len(out) > MAX_INPUT_BYTES:
        raise InputError(path, f"decompresses to over {MAX_INPUT_BYTES} bytes")
    if not decompressor.eof:
        raise InputError(path, "truncated gzip data")
    if decompressor.unused_data.startswith(_GZIP_MAGIC):
        # Concatenated gzip members are legal; gzip.decompress handles them.
        try:
            out = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise InputError(path, f"corrupt gzip data ({exc})") from None
    return out


def _strip_http_head(data: bytes) -> tuple[bytes, int]:
    """Drop ``HTTP/1.1 200 OK`` and any header lines up to the body."""
    lines = 0
    pos = 0
    while pos < len(data):
        end = data.find(b"\n", pos)
        if end < 0:
            return b"", lines
        line = data[pos:end].strip()
        if lines > 0 and (not line or line[:1] in (b"{", b"[")):
            if not line:
                lines += 1
                end += 1
                return data[end:], lines
            return data[pos:], lines
        lines += 1
        pos = end + 1
    return b"", lines


def first_byte(data: bytes) -> bytes:
    """The first non-whitespace byte, found without copying a multi-hundred-megabyte buffer."""
    match = _LEADING_SPACE.match(data)
    end = match.end() if match else 0
    return data[end : end + 1]


def looks_like_json(data: bytes) -> bool:
    """True when the first meaningful byte opens a JSON object or array."""
    return first_byte(data) in (b"{", b"[")


def parse_document(path: str, data: bytes, line_offset: int = 0) -> list[Any]:
    """Parse JSON (one value) or YAML (one or more documents) into plain Python values."""
    if looks_like_json(data):
        try:
            with gc_paused():
                return [orjson.loads(data)]
        except orjson.JSONDecodeError as exc:
            if not _is_yaml_flow_candidate(data):
                reason = _json_reason(exc, data)
                raise InputError(path, reason, line=exc.lineno + line_offset) from None
    return _parse_yaml(path, data, line_offset)


def _is_yaml_flow_candidate(data: bytes) -> bool:
    # `{a: 1}` is YAML but not JSON; JSON that merely breaks off is not worth a YAML retry.
    match = _LEADING_SPACE.match(data)
    start = match.end() if match else 0
    head = data[start : start + 2]
    return head[:1] == b"{" and head[1:2] not in (b'"', b"\n", b"\r", b" ", b"}")


def _json_reason(exc: orjson.JSONDecodeError, data: bytes) -> str:
    msg = exc.msg
    if exc.pos >= len(data) - 2 or "EOF" in msg or "end of" in msg.lower():
        return f"truncated JSON ({msg})"
    if "recursion" in msg.lower() or "depth" in msg.lower():
        return "JSON nested too deeply"
    return f"invalid JSON: {msg} (column {exc.colno})"


def _parse_yaml(path: str, data: bytes, line_offset: int) -> list[Any]:
    if b"\x00" in data[:8192]:
        raise InputError(path, "binary data, not JSON or YAML")
    # The event-based reader of the Istio loader: it bounds nesting and alias expansion
    # (libyaml's own composer crashes the interpreter on ~100,000 nested brackets).
    from analyzer.load.istio_yaml import iter_documents

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    try:
        with gc_paused():
            docs = [d.value for d in iter_documents(text, path) if d.value is not None]
    except InputError as exc:
        if exc.line is not None and line_offset:
            raise InputError(path, exc.reason, exc.line + line_offset) from None
        raise
    except RecursionError:
        raise InputError(path, "YAML nested too deeply") from None
    if not docs:
        raise InputError(path, "contains no YAML documents")
    if (b"&" in data and b"*" in data) or len(data) < 64 * 1024 * 1024:
        check_size_and_depth(path, docs)
    return docs


def check_size_and_depth(path: str, value: Any) -> None:
    """Refuse values nested too deeply or that expand (through shared aliases) past the limit."""
    expanded: dict[int, int] = {}

    def size(node: Any, depth: int) -> int:
        if depth > MAX_DEPTH:
            raise InputError(path, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            return 1
        key = id(node)
        known = expanded.get(key)
        if known is not None:
            return known
        total = 1
        for child in children:
            total += size(child, depth + 1)
            if total > MAX_EXPANDED_NODES:
                raise InputError(
                    path,
                    f"expands to over {MAX_EXPANDED_NODES} nodes "
                    "(a YAML alias bomb or far larger than any capture)",
                )
        expanded[key] = total
        return total

    try:
        size(value, 0)
    except RecursionError:
        raise InputError(path, "nested too deeply") from None
