"""What the YAML readers yield: documents, and the object-sized mappings ("scopes") inside them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Scope:
    """One object-sized mapping and the lines of the keys and items inside it."""

    value: dict[str, Any]
    """The mapping itself."""
    line: int
    """1-based line where the mapping starts."""
    paths: Mapping[str, int] = field(default_factory=dict)
    """Line of each key and item below the mapping, e.g. ``{"spec.http[1]": 40}``.

    The event reader fills a dict; the fast reader gives a mapping that finds lines on demand.
    """
    duplicate_keys: list[tuple[str, int, int]] = field(default_factory=list)
    """(path, line, first line) of each key given twice in one mapping; the later value wins."""


@dataclass(slots=True)
class Document:
    """One YAML document."""

    value: Any
    """The document's root value; None for an empty document."""
    line: int
    """1-based line where the root value starts."""
    scopes: list[Scope]
    """The root scope first (when the root is a mapping), then one per mapping in ``items``."""


class Parsed(Protocol):
    """Files another reader has already parsed (``yaml_ahead``): the loader takes them from it."""

    def take(self, path: str) -> tuple[str, Iterable[Document]] | None:
        """The text and documents of ``path``; None when the loader must read it itself.
        Raises the InputError reading the file raised."""
