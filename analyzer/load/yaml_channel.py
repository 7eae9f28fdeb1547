"""The one-way channel from ``yaml_ahead``'s child to this process: numbered messages in order.

A message's body goes to a memory file both processes hold, and only its header (kind and the
sizes of its two parts) goes through a pipe. A pipe alone holds 64 KB: the child would stop at
its second chunk of documents until this process, busy loading the capture, came to read.
With the bodies in the file, the child never waits, and reading a message is one ``pread``.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson

from analyzer.load.yaml_blocks import block_document
from analyzer.load.yaml_doc import Document
from analyzer.load.yaml_lines import BlockLines
from analyzer.load.yaml_slim import slim_document

FILE: Final = 1
"""A file begins: pickled (path, read error or None, text or None, ``time.monotonic()`` as its
parse begins). Text None without an error means the child did not read it: this process reads
it itself."""
DOCUMENTS: Final = 2
"""Some of the current file's documents: pickled entries, then one JSON text of values."""
ERROR: Final = 3
"""The current file's YAML is bad: pickled (path, reason, line) of its InputError."""
END: Final = 4
"""The current file's documents are all sent."""
REST: Final = 5
"""The child stopped short in the current file: this process reads the documents not sent."""
SCHEMA: Final = 6
"""After the last file: pickled (number of objects validated, {index: (ref, problems)})."""
LINES: Final = 7
"""Last: the lines looked up, pickled {(file, document start): {path: line}}."""
ENDPOINTS: Final = 8
"""After SCHEMA, when claimed: a capture's endpoints section (``endpoints_ahead``); before
LINES when the claim came in time, else after."""

_HEADER: Final = struct.Struct("<BQQ")


@dataclass(frozen=True, slots=True)
class Message:
    """One message: its kind and its two parts."""

    kind: int
    first: memoryview
    second: memoryview


def open_channel() -> tuple[int, int, int]:
    """(memory file, pipe read end, pipe write end), to be shared by a fork."""
    if hasattr(os, "memfd_create"):
        data = os.memfd_create("meshlens-yaml", os.MFD_CLOEXEC)
    else:  # no memfd (not Linux): an unlinked temporary file serves the same
        with tempfile.TemporaryFile() as handle:
            data = os.dup(handle.fileno())
    read_end, write_end = os.pipe()
    return data, read_end, write_end


class Writer:
    """The child's end: appends bodies to the memory file, then announces them in the pipe."""

    def __init__(self, data: int, pipe: int) -> None:
        self._data = data
        self._pipe = pipe

    def send(self, kind: int, first: bytes = b"", second: bytes = b"") -> None:
        """Send one message; the header goes last, so the body is there when it is read."""
        for part in (first, second):
            _write_all(self._data, part)
        _write_all(self._pipe, _HEADER.pack(kind, len(first), len(second)))


class Reader:
    """This process's end: reads the messages in the order they were sent."""

    def __init__(self, data: int, pipe: int) -> None:
        self._data: int | None = data
        self._pipe: int | None = pipe
        self._offset = 0
        self._held: dict[int, Message] = {}

    def next(self) -> Message | None:
        """The next message, waiting for it; None once the child has ended or failed."""
        if self._pipe is None or self._data is None:
            return None
        header = _read_all(self._pipe, _HEADER.size)
        if len(header) < _HEADER.size:
            self.close()
            return None
        kind, first_size, second_size = _HEADER.unpack(header)
        body = _pread_all(self._data, first_size + second_size, self._offset)
        if len(body) != first_size + second_size:
            self.close()
            return None
        self._offset += len(body)
        view = memoryview(body)  # parts without copies: pickle and orjson read views
        return Message(kind, view[:first_size], view[first_size:])

    def ready(self) -> bool:
        """Whether ``next`` would return at once (a message is waiting, or the child is gone)."""
        return self._pipe is None or readable(self._pipe)

    def next_of(self, kind: int) -> Message | None:
        """The next message of ``kind``; one of another kind met before it is kept for a later
        ``next_of`` (the child may send the last messages in either order)."""
        held = self._held.pop(kind, None)
        if held is not None:
            return held
        while (message := self.next()) is not None:
            if message.kind == kind:
                return message
            self._held[message.kind] = message
        return None

    def close(self) -> None:
        """Close both ends (and free the memory file)."""
        for fd in (self._pipe, self._data):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pipe = self._data = None
        self._held.clear()


def readable(fd: int) -> bool:
    """Whether reading the pipe ``fd`` would return at once (data, or its writer has gone)."""
    return bool(select.select([fd], [], [], 0)[0])


def encode_documents(documents: list[Document]) -> tuple[bytes, bytes]:
    """The two parts of a DOCUMENTS message.

    The values rapidyaml read are plain JSON values (cut to what loading reads):
    they go as one JSON text, which orjson reads back in a fraction of the parse, and their
    lines are found on demand in the file's text (sent with FILE). The few documents the exact
    reader produced are pickled whole: that keeps their YAML 1.1 types (dates, big integers)
    and their recorded lines.
    """
    values: list[Any] = []
    entries: list[Any] = []
    for doc in documents:
        block = block_lines_of(doc)
        if block is None:
            entries.append(("exact", doc))
        else:
            start, end, line = block.span
            entries.append(("block", len(values), start, line, end))
            values.append(slim_document(doc.value))
    return pickle.dumps(entries, protocol=pickle.HIGHEST_PROTOCOL), orjson.dumps(values)


def decode_documents(
    message: Message, text: str, path: str, blocks: dict[tuple[str, int], BlockLines]
) -> list[Document]:
    """The documents of a DOCUMENTS message of ``path``, whose text is ``text``; the on-demand
    lines of each goes into ``blocks`` by (path, start), for the lines looked up later."""
    entries = pickle.loads(message.first)
    values = orjson.loads(message.second)
    documents = []
    for entry in entries:
        if entry[0] == "block":
            _, index, start, line, end = entry
            document = block_document(text, values[index], start, line, end, _exact_documents, path)
            block = block_lines_of(document)
            if block is not None:
                blocks[(path, start)] = block
            documents.append(document)
        else:
            documents.append(entry[1])
    return documents


def _exact_documents(text: str, file: str) -> Iterator[Document]:
    """The exact reader, imported only when a document needs it (this process seldom does)."""
    from analyzer.load.istio_yaml import exact_documents

    return exact_documents(text, file)


def block_lines_of(doc: Document) -> BlockLines | None:
    """The on-demand lines of a document the fast reader read, else None."""
    paths = doc.scopes[0].paths if len(doc.scopes) == 1 else None
    return paths if isinstance(paths, BlockLines) else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd: int, size: int) -> bytes:
    """``size`` bytes from a pipe, fewer when the writer has gone."""
    chunks = []
    while size > 0 and (chunk := os.read(fd, min(size, 1 << 16))):
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _pread_all(fd: int, size: int, offset: int) -> bytes:
    chunks = []
    while size > 0 and (chunk := os.pread(fd, min(size, 1 << 26), offset)):
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)
