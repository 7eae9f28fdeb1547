"""What ``yaml_ahead``'s child does: read the YAML, send it a chunk at a time, then help more.

1. Each file's documents, a chunk of about CHUNK_BYTES at a time: the parent builds objects from
   the first chunks while the child parses the next ones.
2. The schema problems of the objects ``load_istio`` validates, found while the parent builds
   its objects and attributes the capture.
3. The lines the report will cite, looked up while the parent runs the checks.
4. When the parent claims it, the endpoints section of the capture it loads (``endpoints_ahead``),
   before the lines when the claim is in by then.

Whatever fails here only means the parent does that part itself.
"""

from __future__ import annotations

import gc
import pickle
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from analyzer.errors import InputError
from analyzer.load.istio_yaml import document_chunks
from analyzer.load.yaml_channel import (
    DOCUMENTS,
    END,
    ENDPOINTS,
    ERROR,
    FILE,
    LINES,
    REST,
    SCHEMA,
    Writer,
    block_lines_of,
    encode_documents,
    readable,
)
from analyzer.load.yaml_doc import Document, Parsed
from analyzer.load.yaml_files import read_yaml_text, whole_file_reason
from analyzer.load.yaml_lines import BlockLines

CHUNK_BYTES: Final = 1 << 20
"""YAML text per DOCUMENTS message: small enough that the parent's share of the last chunk is
short, large enough that per-message costs do not add up (about 14 for a 10,000-service mesh)."""


def send_all(
    writer: Writer,
    paths: Sequence[str],
    files: list[str],
    max_file_bytes: int,
    claims: int | None = None,
) -> None:
    """Send every file's documents, the schema problems, then the cited lines and the answer
    to the parent's claim on ``claims`` (when given), the answer first if the claim is in."""
    # This process only parses and exits: nothing it allocates is ever collected.
    gc.disable()
    parsed: dict[str, tuple[str, Iterable[Document]] | InputError] = {}
    blocks: list[tuple[str, BlockLines]] = []
    for path in files:
        documents = _send_file(writer, path, max_file_bytes, parsed)
        for doc in documents:
            block = block_lines_of(doc)
            if block is not None:
                blocks.append((path, block))
    # The parent now builds its objects: meanwhile, check the same objects against the schemas
    # (the documents were sent: the loader may now change their values) ...
    writer.send(SCHEMA, _schema_problems(paths, max_file_bytes, _Taken(parsed)))
    if claims is not None and readable(claims):  # ... the capture's endpoints ...
        _answer_claim(writer, claims)
        claims = None
    # ... then, while it attributes and checks, look up the lines the report will cite, which
    # costs the parent most of a second on a large mesh.
    looked_up = {}
    for path, block in blocks:
        try:
            lines = block.item_lines("spec", _LISTS, "match", _MATCHED, _KEYS)
        except (Exception, RecursionError):  # the parent meets the same, when asked
            continue
        looked_up[(path, block.span[0])] = lines
    writer.send(LINES, pickle.dumps(looked_up, protocol=pickle.HIGHEST_PROTOCOL))
    if claims is not None:  # the parent was still reading the capture: it is done by now
        _answer_claim(writer, claims)


def _answer_claim(writer: Writer, claims: int) -> None:
    # Imported only when asked: the parse starts sooner without it.
    from analyzer.load.endpoints_ahead import answer_claim

    writer.send(ENDPOINTS, answer_claim(claims))


def _send_file(
    writer: Writer,
    path: str,
    max_file_bytes: int,
    parsed: dict[str, tuple[str, Iterable[Document]] | InputError],
) -> list[Document]:
    """Send one file; its documents as sent (none when the parent reads it itself)."""
    try:
        text = read_yaml_text(path, max_file_bytes)
    except InputError as exc:
        writer.send(FILE, _pickled((path, (exc.path, exc.reason, exc.line), None, 0.0)))
        parsed[path] = exc
        return []
    except Exception:  # the parent reads the file and reports what happens
        writer.send(FILE, _pickled((path, None, None, 0.0)))
        return []
    # When the parse starts: the parent estimates from it how long the rest will take.
    writer.send(FILE, _pickled((path, None, text, time.monotonic())))
    documents: list[Document] = []
    if whole_file_reason(text) is None:
        try:
            for chunk in document_chunks(text, path, CHUNK_BYTES):
                writer.send(DOCUMENTS, *encode_documents(chunk))
                documents.extend(chunk)
        except InputError as exc:
            writer.send(ERROR, _pickled((exc.path, exc.reason, exc.line)))
            parsed[path] = (text, _raising(exc))
            return []
        except (Exception, RecursionError):  # MemoryError and the like: the parent's to report
            writer.send(REST)
            return []
    writer.send(END)
    parsed[path] = (text, documents)
    return documents


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _raising(error: InputError) -> Iterator[Document]:
    """No documents, then the error the parse raised (where the serial load raises it)."""
    yield from ()
    raise error


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
    """The SCHEMA message: the objects ``load_istio`` validates, checked here; empty when
    loading fails (the parent raises the same error, or validates itself)."""
    from analyzer.load.istio import objects_to_validate
    from analyzer.load.istio_validate import validate

    try:
        objects = objects_to_validate(paths, max_file_bytes, parsed)
        found = {}
        for index, obj in enumerate(objects):
            problems = validate(obj)
            if problems:
                found[index] = (str(obj.ref), problems)
        return _pickled((len(objects), found))
    except (Exception, RecursionError):
        return b""


# The paths attribution cites most: list items under ``spec`` (``spec.http[1]``), their matches,
# and the traffic policy.
_LISTS: Final = ("ports", "http", "tcp", "tls", "hosts", "subsets", "servers")
_MATCHED: Final = ("http", "tcp", "tls")
_KEYS: Final = ("trafficPolicy",)
