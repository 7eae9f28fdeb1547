"""Documents the fast reader read, their lines found on demand; one document re-read exactly.

Kept apart from ``yaml_fast`` (rapidyaml) and ``istio_yaml`` (libyaml): the process that takes
documents from the YAML's process builds them with this alone, and so never imports either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from analyzer.errors import InputError
from analyzer.load.yaml_doc import Document, Scope
from analyzer.load.yaml_lines import BlockLines

ExactReader = Callable[[str, str], Iterator[Document]]
"""The exact reader: ``istio_yaml.exact_documents(text, file)``."""


def block_document(
    text: str, value: Any, start: int, line: int, end: int, exact: ExactReader, file: str
) -> Document:
    """The document whose ``value`` rapidyaml read from ``text[start:end]`` (content from
    ``line``), its lines found on demand."""
    if not isinstance(value, dict):
        return Document(value, line, [])

    def exact_lines() -> dict[str, int]:
        (doc,) = read_alone(exact, text, start, line, end, file)
        return dict(doc.scopes[0].paths)

    lines = BlockLines(text, start, end, line, value, exact_lines)
    return Document(value, line, [Scope(value, line, lines)])


def read_alone(
    exact: ExactReader, text: str, start: int, line: int, end: int, file: str
) -> list[Document]:
    """Read one document with the exact reader, its lines (and errors) counted in the whole file."""
    line_start = text.rfind("\n", 0, start) + 1
    shift = line - 1
    try:
        docs = list(exact(text[line_start:end], file))
    except InputError as exc:
        line_in_file = None if exc.line is None else exc.line + shift
        raise InputError(exc.path, exc.reason, line_in_file) from None
    return [_shifted(doc, shift) for doc in docs]


def _shifted(doc: Document, shift: int) -> Document:
    scopes = [
        Scope(
            scope.value,
            scope.line + shift,
            {path: line + shift for path, line in scope.paths.items()},
            [(path, line + shift, first + shift) for path, line, first in scope.duplicate_keys],
        )
        for scope in doc.scopes
    ]
    return Document(doc.value, doc.line + shift, scopes)
