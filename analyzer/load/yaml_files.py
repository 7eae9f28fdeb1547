"""Find and read the YAML files ``load_istio`` loads: the directory walk, the size limit, the
encodings, and the files that hold no objects at all."""

from __future__ import annotations

import os
import re
from typing import Final

from analyzer.errors import InputError

DEFAULT_MAX_FILE_BYTES: Final = 512 * 1024 * 1024
"""Largest input file read by default; a 10,000-service mesh renders to about 60 MB."""

YAML_SUFFIXES: Final = (".yaml", ".yml", ".json")
"""Files picked up when walking a directory (JSON is YAML)."""

ENVOY_DUMP: Final = "looks like an Envoy config dump, not Istio YAML"

# An Envoy admin /config_dump starts like this; spotting it early spares parsing megabytes of JSON.
_ENVOY_DUMP_START: Final = re.compile(r'\A\ufeff?\s*\{\s*"configs"\s*:')


def walk_yaml_files(directory: str) -> list[str]:
    """Return the YAML/JSON files under ``directory``, recursively, hidden entries skipped.

    Sorted by path components (``a/deeper/x.json`` before ``a/gateway.yaml``), as ``find | sort``
    would list them, so the load order does not depend on the file system.
    """
    found: list[str] = []
    for top, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            os.path.join(top, name)
            for name in files
            if not name.startswith(".") and name.lower().endswith(YAML_SUFFIXES)
        )
    return sorted(found, key=lambda p: os.path.relpath(p, directory).split(os.sep))


def whole_file_reason(text: str) -> str | None:
    """Why a file's text holds no objects at all (empty, an Envoy dump), else None."""
    if not text or text.isspace():  # not strip(): that copies a file of tens of megabytes
        return "file is empty"
    if _ENVOY_DUMP_START.match(text):
        return ENVOY_DUMP
    return None


def read_yaml_text(path: str, max_bytes: int) -> str:
    """Read a file as text, refusing oversized, binary and non-UTF-8/16/32 files."""
    try:
        if not os.path.isfile(path):
            raise InputError(path, "not a regular file")
        size = os.path.getsize(path)
        if size > max_bytes:
            raise InputError(
                path, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit for YAML input"
            )
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(path, f"file is over the {max_bytes:,}-byte limit for YAML input")
    return _decode(path, data)


_BOMS: Final = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
)


def _decode(path: str, data: bytes) -> str:
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    if encoding == "utf-8" and b"\x00" in data[:8192]:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise InputError(path, "binary data (NUL bytes), not YAML", line)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = data[exc.start : exc.start + 1].hex()
        raise InputError(
            path, f"not {encoding.upper()} text: invalid byte 0x{bad} at offset {exc.start}", line
        ) from None
    except MemoryError:
        raise InputError(path, "not enough memory to decode this file") from None
