"""Parse the Istio YAML in a second process while this one loads the Envoy capture.

On a large mesh, parsing the YAML takes about as long as loading the capture, and the two do
not depend on each other. ``read_ahead(paths)`` forks a child that reads and parses every file
``load_istio`` will read (``yaml_ahead_child``), and sends each file's text and documents a
chunk at a time through a ``yaml_channel``; ``load_istio`` then takes them instead of parsing
the file itself, and builds objects from the first chunks while the child reads the next.

Once the documents are sent, the child loads them as ``load_istio`` would and checks the objects
against the schemas, sending back the problems found; then it looks up the lines the report
will cite. This process takes both when it needs them, and meanwhile builds its own objects and
attributes the capture's resources. With one capture, the child also offers to read its
endpoints section (``endpoints_ahead``); this process takes the offer unless it would otherwise
wait for the documents long enough to read the section itself.

The result never depends on the child. A file the child could not parse fully, or any failure
of the child itself, means this process reads that file (or what the child did not send of it)
as it would have without the child. A file with bad YAML comes back as the InputError it
raised, and is raised where the serial load would raise it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pickle
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

from analyzer.errors import InputError
from analyzer.load.source import gc_paused
from analyzer.load.yaml_channel import (
    DOCUMENTS,
    END,
    ENDPOINTS,
    ERROR,
    FILE,
    LINES,
    REST,
    SCHEMA,
    Message,
    Reader,
    Writer,
    block_lines_of,
    decode_documents,
    open_channel,
)
from analyzer.load.yaml_doc import Document
from analyzer.load.yaml_files import DEFAULT_MAX_FILE_BYTES
from analyzer.load.yaml_lines import BlockLines
from analyzer.model.istio import IstioObject, SchemaProblem

if TYPE_CHECKING:
    from analyzer.load.endpoints_ahead import EndpointsAhead

MIN_BYTES: Final = 1024 * 1024
"""Smallest YAML input worth a second process: below it the fork costs more than it saves."""


class YamlAhead:
    """The child reading the YAML; ``take`` answers for one file, ``close`` ends the child."""

    def __init__(
        self, pid: int, reader: Reader, dump: str | None = None, claims: int | None = None
    ) -> None:
        self._pid: int | None = pid
        self._reader = reader
        self._took = False
        self._blocks: dict[tuple[str, int], BlockLines] = {}
        self.endpoints: EndpointsAhead | None = None
        """The child's offer to read ``dump``'s endpoints section; None when not asked."""
        if dump is not None and claims is not None:
            from analyzer.load.endpoints_ahead import EndpointsAhead

            self.endpoints = EndpointsAhead(dump, claims, self._endpoints)

    def _endpoints(self) -> bytes | None:
        message = self._reader.next_of(ENDPOINTS)
        return bytes(message.first) if message is not None else None

    def take(self, path: str) -> tuple[str, Iterable[Document]] | None:
        """The text and documents of ``path`` as the child reads them; None when the caller
        must read the file itself. Raises the InputError reading the file raised.

        The documents come as the child sends them: iterate them before taking the next file.
        """
        self._took = True
        message = self._reader.next()
        sent = _unpickled(message.first) if message is not None and message.kind == FILE else None
        if not isinstance(sent, tuple) or len(sent) != 4 or sent[0] != path:
            self.close()  # out of step (or gone): every file from here on is read here
            return None
        _, read_error, text, started = sent
        if read_error is not None:
            raise InputError(*read_error)
        if text is None:
            return None
        return text, self._documents(path, text, started)

    def _documents(self, path: str, text: str, started: float) -> Iterator[Document]:
        """The documents of ``path`` as the child sends them, then any it did not send."""
        taken = 0
        done = 0  # how far into ``text`` the documents sent so far reach
        while True:
            if self.endpoints is not None and not self._reader.ready():
                # About to wait for the child: the capture's endpoints may fill the wait.
                self.endpoints.idle(_seconds_left(started, done, len(text)))
            message = self._reader.next()
            kind = message.kind if message is not None else None
            if message is not None and kind == DOCUMENTS:
                documents = self._decoded(message, text, path)
                if documents is not None:
                    taken += len(documents)
                    block = block_lines_of(documents[-1]) if documents else None
                    done = block.span[1] if block is not None else done
                    yield from documents
                    continue
            elif kind == END:
                return
            elif message is not None and kind == ERROR:
                error = _unpickled(message.first)
                if isinstance(error, tuple) and len(error) == 3:
                    raise InputError(*error)
            if kind != REST:  # gone, or not what the child sends: read everything here from now
                self.close()
            # The child stopped short: the documents it did not send are read here.
            from analyzer.load.istio_yaml import iter_documents

            yield from itertools.islice(iter_documents(text, path), taken, None)
            return

    def _decoded(self, message: Message, text: str, path: str) -> list[Document] | None:
        try:  # the loader taking the documents has paused the collector
            return decode_documents(message, text, path, self._blocks)
        except Exception:  # not what the child sends
            return None

    def with_schema_problems(
        self, problems: list[SchemaProblem], deferred: list[tuple[int, IstioObject]]
    ) -> list[SchemaProblem]:
        """``problems`` with the schema problems of each deferred (place, object) put in at
        its place: as the child found them, or found here when the child could not."""
        from analyzer.load.istio_validate import validate

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
        message = self._reader.next_of(LINES) if self._took else None
        if message is not None and message.first:
            with gc_paused():
                looked_up = _unpickled(message.first)
            for key, lines in looked_up.items() if isinstance(looked_up, dict) else ():
                block = self._blocks.get(key)
                if block is not None:
                    block.seed(lines)
        self.close()

    def close(self) -> None:
        """Stop the child if it still runs, and reap it."""
        if self.endpoints is not None:
            self.endpoints.close()
        self._reader.close()
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
        message = self._reader.next_of(SCHEMA)
        if message is None or not message.first:
            return None
        try:
            with gc_paused():
                count, found = pickle.loads(message.first)
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


def _seconds_left(started: float, done: int, size: int) -> float:
    """How long the child will take for the rest of a ``size``-character file it began at
    ``started`` and has sent ``done`` characters of, at the pace it has kept so far."""
    if done <= 0:
        return 0.0
    return (time.monotonic() - started) * (size - done) / done


def _unpickled(data: memoryview) -> Any:
    """A pickled value from the child; None when it is not one."""
    try:
        return pickle.loads(data)
    except Exception:
        return None


def read_ahead_for(configs: Sequence[str], dumps: Sequence[str]) -> YamlAhead | None:
    """``read_ahead`` for ``meshlens analyze``: the YAML under ``configs`` and, with one
    capture, that capture's endpoints section. Cheap to import: the CLI starts it first."""
    if not configs:
        return None
    dump = dumps[0] if len(dumps) == 1 else None
    return read_ahead(list(configs), DEFAULT_MAX_FILE_BYTES, dump=dump)


def read_ahead(
    paths: Sequence[str],
    max_file_bytes: int,
    *,
    min_bytes: int = MIN_BYTES,
    dump: str | None = None,
) -> YamlAhead | None:
    """Start reading the YAML files under ``paths`` in a child process; None when not worth it
    (under ``min_bytes`` in all) or not possible (no ``os.fork``). With ``dump``, the child
    also offers to read that capture's endpoints section (``YamlAhead.endpoints``)."""
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
    data, read_end, write_end = open_channel()
    claims_in, claims_out = os.pipe() if dump is not None else (None, None)
    pid = os.fork()
    if pid == 0:  # the child: parse, send, and leave without running the parent's exit code
        try:
            os.close(read_end)
            if claims_out is not None:
                os.close(claims_out)
            _send(Writer(data, write_end), paths, files, max_file_bytes, claims_in)
        finally:
            os._exit(0)
    os.close(write_end)
    if claims_in is not None:
        os.close(claims_in)
    return YamlAhead(pid, Reader(data, read_end), dump, claims_out)


def _send(
    writer: Writer, paths: Sequence[str], files: list[str], max_file_bytes: int, claims: int | None
) -> None:
    from analyzer.load.yaml_ahead_child import send_all

    send_all(writer, paths, files, max_file_bytes, claims)


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
