"""Parse the Istio YAML in a second process while this one loads the Envoy capture.

On a large mesh, parsing the YAML takes about as long as loading the capture, and the two do
not depend on each other. ``read_ahead(paths)`` forks a child that reads and parses every file
``load_istio`` will read, and sends back each file's text and documents; ``load_istio`` then
takes them instead of parsing the file itself.

What travels back is cheap to rebuild. The values of the documents rapidyaml read are plain
JSON values, so they go as one JSON text that orjson reads back in a fraction of the parse.
Their lines are still found on demand, in the text that comes along. The few documents the
exact reader produced are pickled: that keeps their YAML 1.1 types (dates, big integers) and
their recorded lines.

Once the documents are sent, the child loads them as ``load_istio`` would and checks the objects
against the schemas, sending back the problems found; then it looks up the lines the report
will cite. This process takes both when it needs them, and meanwhile builds its own objects and
attributes the capture's resources.

The result never depends on the child. A file the child could not parse fully, or any failure
of the child itself, means this process reads that file as it would have without the child.
A file with bad YAML comes back as the InputError it raised, and is raised where the serial
load would raise it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

import orjson

from analyzer.errors import InputError
from analyzer.load.istio_validate import validate
from analyzer.load.istio_yaml import exact_documents, iter_documents
from analyzer.load.source import gc_paused
from analyzer.load.yaml_doc import Document, Parsed
from analyzer.load.yaml_fast import block_document
from analyzer.load.yaml_lines import BlockLines
from analyzer.model.istio import IstioObject, SchemaProblem

MIN_BYTES: Final = 1024 * 1024
"""Smallest YAML input worth a second process: below it the fork costs more than it saves."""

# Every message from the child is a header with the sizes of its two parts, then the parts.
_HEADER: Final = struct.Struct("<QQ")
_DOCUMENTS: Final = 1
"""First message: the files (pickled records) and the fast reader's values (one JSON text)."""
_SCHEMA: Final = 2
"""Second: (number of objects validated, {index: (ref, schema problems)}), pickled; empty when
the child could not load the documents."""
_LINES: Final = 3
"""Third: the lines looked up, {(file, document start): {path: line}}, pickled."""

# A file, as the child sends it: (read error, text, documents, parse error), each error as
# InputError's (path, reason, line). A read error (the file is too large, not text) stands
# alone; documents None means "parse it yourself".
_Error = tuple[str, str, int | None]
_Record = tuple[_Error | None, str, list[Any] | None, _Error | None]


class YamlAhead:
    """The child reading the YAML; ``take`` answers for one file, ``close`` ends the child."""

    def __init__(self, pid: int, pipe: int) -> None:
        self._pid: int | None = pid
        self._pipe: int | None = pipe
        self._received = 0
        self._files: dict[str, tuple[str, Iterable[Document]] | InputError] | None = None
        self._blocks: dict[tuple[str, int], BlockLines] = {}

    def take(self, path: str) -> tuple[str, Iterable[Document]] | None:
        """The text and documents of ``path`` as the child read them; None when the caller
        must read the file itself. Raises the InputError reading the file raised."""
        if self._files is None:
            self._files = self._receive()
        found = self._files.pop(path, None)
        if isinstance(found, InputError):
            raise found
        return found

    def with_schema_problems(
        self, problems: list[SchemaProblem], deferred: list[tuple[int, IstioObject]]
    ) -> list[SchemaProblem]:
        """``problems`` with the schema problems of each deferred (place, object) put in at
        its place: as the child found them, or found here when the child could not."""
        found = self._validated(deferred)
        merged: list[SchemaProblem] = []
        last = 0
        for index, (place, obj) in enumerate(deferred):
            extra = validate(obj) if found is None else found.get(index)
            if extra:
                merged.extend(problems[last:place])
                merged.extend(extra)
                last = place
        merged.extend(problems[last:])
        return merged

    def seed_lines(self) -> None:
        """Take the lines the child looked up meanwhile into the documents' caches, then close.

        Waits for the child, which by then has long finished on a large mesh. The lines only
        spare lookups here: one the child did not make is made here when asked.
        """
        # Before any ``take`` there are no documents to seed.
        message = self._message(_LINES) if self._files is not None else None
        if message is not None and message[0]:
            with gc_paused():
                looked_up: dict[tuple[str, int], dict[str, int | None]] = pickle.loads(message[0])
            for key, lines in looked_up.items():
                block = self._blocks.get(key)
                if block is not None:
                    block.seed(lines)
        self.close()

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._pid is not None:
            pid, self._pid = self._pid, None
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
            with contextlib.suppress(ChildProcessError):  # already reaped elsewhere
                os.waitpid(pid, 0)

    def _validated(
        self, deferred: list[tuple[int, IstioObject]]
    ) -> dict[int, list[SchemaProblem]] | None:
        """The child's schema problems by index in ``deferred``; None unless the child
        validated exactly these objects."""
        message = self._message(_SCHEMA)
        if message is None or not message[0]:
            return None
        try:
            with gc_paused():
                count, found = pickle.loads(message[0])
        except Exception:  # not what the child sends: validate here
            return None
        if count != len(deferred):
            return None
        problems: dict[int, list[SchemaProblem]] = {}
        for index, (ref, listed) in found.items():
            if not 0 <= index < count or str(deferred[index][1].ref) != ref:
                return None
            problems[index] = listed
        return problems

    def _message(self, number: int) -> tuple[memoryview, int] | None:
        """The child's message ``number`` (``_DOCUMENTS``, ``_SCHEMA``, ``_LINES``) and the size
        of its first part, skipping any not read before it; None when the child did not send it.
        """
        while self._pipe is not None and self._received < number:
            header = self._read(_HEADER.size)
            if len(header) < _HEADER.size:
                self.close()
                return None
            first, second = _HEADER.unpack(header)
            body = self._read(first + second)
            if len(body) != first + second:
                self.close()
                return None
            self._received += 1
            if self._received == number:
                return memoryview(body), first
        return None

    def _read(self, size: int) -> bytes:
        """``size`` bytes from the child, fewer when it ended early (or is gone)."""
        if self._pipe is None:
            return b""
        chunks = []
        while size > 0 and (chunk := os.read(self._pipe, min(size, 1 << 22))):
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _receive(self) -> dict[str, tuple[str, Iterable[Document]] | InputError]:
        message = self._message(_DOCUMENTS)
        if message is None:
            return {}  # the child failed: every file is read here
        body, meta_size = message
        with gc_paused():
            records: dict[str, _Record] = pickle.loads(body[:meta_size])
            values: list[Any] = orjson.loads(body[meta_size:])
        return {
            path: _rebuild(path, record, values, self._blocks) for path, record in records.items()
        }


def read_ahead(
    paths: Sequence[str], max_file_bytes: int, *, min_bytes: int = MIN_BYTES
) -> YamlAhead | None:
    """Start reading the YAML files under ``paths`` in a child process; None when not worth it
    (under ``min_bytes`` in all) or not possible (no ``os.fork``)."""
    if not hasattr(os, "fork"):
        return None
    files = _files(paths)
    total = 0
    for path in files:
        with contextlib.suppress(OSError):
            total += os.path.getsize(path)
    if total < min_bytes:
        return None
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse, send, and leave without running the parent's exit code
        try:
            os.close(read_end)
            _send(write_end, paths, files, max_file_bytes)
        finally:
            os._exit(0)
    os.close(write_end)
    return YamlAhead(pid, read_end)


def _files(paths: Sequence[str]) -> list[str]:
    """The files ``load_istio`` reads for ``paths``, in its order."""
    from analyzer.load.yaml_files import walk_yaml_files

    found: list[str] = []
    for given in paths:
        if os.path.isdir(given):
            found.extend(walk_yaml_files(given))
        elif os.path.exists(given):
            found.append(given)
    return found


def _send(pipe: int, paths: Sequence[str], files: list[str], max_file_bytes: int) -> None:
    from analyzer.load.yaml_files import read_yaml_text, whole_file_reason

    records: dict[str, _Record] = {}
    parsed: dict[str, tuple[str, Iterable[Document]] | InputError] = {}
    values: list[Any] = []
    blocks: list[tuple[str, BlockLines, Any]] = []
    with gc_paused():
        for path in files:
            try:
                text = read_yaml_text(path, max_file_bytes)
            except InputError as exc:
                records[path] = ((exc.path, exc.reason, exc.line), "", None, None)
                parsed[path] = exc
                continue
            except Exception:  # the parent reads the file and reports what happens
                continue
            if whole_file_reason(text) is not None:
                records[path] = (None, text, None, None)
                parsed[path] = (text, ())
                continue
            try:
                documents = list(iter_documents(text, path))
            except InputError as exc:
                records[path] = (None, text, [], (exc.path, exc.reason, exc.line))
                parsed[path] = (text, _raising(exc))
                continue
            except (Exception, RecursionError):  # MemoryError and the like: the parent's to report
                records[path] = (None, text, None, None)
                continue
            records[path] = (None, text, [_entry(doc, values) for doc in documents], None)
            parsed[path] = (text, documents)
            for doc in documents:
                block = _block_lines(doc)
                if block is not None:
                    blocks.append((path, block, doc.value))
        meta = pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL)
        encoded = orjson.dumps(values)
    with os.fdopen(pipe, "wb") as out:
        out.write(_HEADER.pack(len(meta), len(encoded)))
        out.write(meta)
        out.write(encoded)
        out.flush()
        # The parent now builds its objects: meanwhile, check the same objects against the
        # schemas (the documents were sent: the loader may now change their values) ...
        schema = _schema_problems(paths, max_file_bytes, _Taken(parsed))
        out.write(_HEADER.pack(len(schema), 0))
        out.write(schema)
        out.flush()
        # ... then, while it attributes resources, look up the lines the report will cite,
        # which costs the parent most of a second on a large mesh.
        with gc_paused():
            looked_up = {}
            for path, block, value in blocks:
                try:
                    lines = {rule: block.get(rule) for rule in _cited_rules(value)}
                except (Exception, RecursionError):  # the parent meets the same, when asked
                    continue
                looked_up[(path, block.span[0])] = lines
            data = pickle.dumps(looked_up, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(_HEADER.pack(len(data), 0))
        out.write(data)


class _Taken:
    """The child's own parse, offered to its loader as ``YamlAhead`` offers it to the parent's."""

    def __init__(self, parsed: dict[str, tuple[str, Iterable[Document]] | InputError]) -> None:
        self._parsed = parsed

    def take(self, path: str) -> tuple[str, Iterable[Document]] | None:
        found = self._parsed.pop(path, None)
        if isinstance(found, InputError):
            raise found
        return found


def _schema_problems(paths: Sequence[str], max_file_bytes: int, parsed: Parsed) -> bytes:
    """The schema message: the objects ``load_istio`` validates, checked here; empty when
    loading fails (the parent raises the same error, or validates itself)."""
    from analyzer.load.istio import objects_to_validate

    try:
        with gc_paused():
            objects = objects_to_validate(paths, max_file_bytes, parsed)
            found = {}
            for index, obj in enumerate(objects):
                problems = validate(obj)
                if problems:
                    found[index] = (str(obj.ref), problems)
            return pickle.dumps((len(objects), found), protocol=pickle.HIGHEST_PROTOCOL)
    except (Exception, RecursionError):
        return b""


_LISTS: Final = ("ports", "http", "tcp", "tls", "hosts", "subsets", "servers")
_MATCHED: Final = ("http", "tcp", "tls")


def _cited_rules(value: Any) -> Iterator[str]:
    """The paths attribution cites most: list items under ``spec`` (``spec.http[1]``), their
    matches, and the traffic policy."""
    spec = value.get("spec")
    if not isinstance(spec, dict):
        return
    for key in _LISTS:
        items = spec.get(key)
        if type(items) is not list:
            continue
        for index, item in enumerate(items):
            yield f"spec.{key}[{index}]"
            if key in _MATCHED and type(item) is dict and type(item.get("match")) is list:
                for number in range(len(item["match"])):
                    yield f"spec.{key}[{index}].match[{number}]"
    if "trafficPolicy" in spec:
        yield "spec.trafficPolicy"


def _block_lines(doc: Document) -> BlockLines | None:
    """The on-demand lines of a document the fast reader read, else None."""
    paths = doc.scopes[0].paths if len(doc.scopes) == 1 else None
    return paths if isinstance(paths, BlockLines) else None


def _entry(doc: Document, values: list[Any]) -> Any:
    """One document as sent: its value by index into the JSON list, or the whole of it."""
    # Only rapidyaml's values are sure to be plain JSON; the rest (rare) is pickled.
    block = _block_lines(doc)
    if block is not None:
        start, end, line = block.span
        values.append(doc.value)
        return ("block", len(values) - 1, start, line, end)
    return ("exact", doc)


def _rebuild(
    path: str, record: _Record, values: list[Any], blocks: dict[tuple[str, int], BlockLines]
) -> tuple[str, Iterable[Document]] | InputError:
    read_error, text, entries, parse_error = record
    if read_error is not None:
        return InputError(*read_error)
    if entries is None:
        return text, iter_documents(text, path)
    if parse_error is not None:
        return text, _raising(InputError(*parse_error))
    documents = []
    for entry in entries:
        if entry[0] == "block":
            _, index, start, line, end = entry
            document = block_document(text, values[index], start, line, end, exact_documents, path)
            block = _block_lines(document)
            if block is not None:
                blocks[(path, start)] = block
            documents.append(document)
        else:
            documents.append(entry[1])
    return text, documents


def _raising(error: InputError) -> Iterator[Document]:
    """No documents, then the error the parse raised (where the serial load raises it)."""
    yield from ()
    raise error
