"""Read a capture's EndpointsConfigDump in whichever process has time for it.

A ``/config_dump?include_eds`` spends a fifth of its parse on endpoints, which only one check
and the explain chains read, late. When the YAML is read in a child process (``yaml_ahead``)
and one capture is given, this process parses every section of the capture but the endpoints
(``admin_sections`` finds them in the bytes) and puts an empty one in its place. Then:

* if it would wait for the child's YAML documents longer than the section takes to read
  (judged from the child's pace so far and this process's pace on the other sections), it
  reads the section meanwhile (``idle``);
* otherwise it tells the child where the section is (``release``: the *claim*, through a pipe),
  and the child reads it once it has sent the YAML and its schema problems.

Either way this process takes the endpoints just before the checks that read them, which run
last. The result never depends on the child: its answer counts only for the same file (device,
inode, size, modification time) and the same section; otherwise, or when the child failed,
this process reads the section itself. Endpoints and skipped entries go where the whole parse
would have put them."""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Final

import orjson

from analyzer.errors import InputError
from analyzer.load.dump_sections import Section, admin_sections
from analyzer.load.envoy_capture import Capture
from analyzer.load.source import gc_paused, parse_document, read_bytes
from analyzer.model.envoy import Endpoint, Proxy, Skipped

_SECTION: Final = "EndpointsConfigDump"
_BUILD_FACTOR: Final = 1.3
"""Reading the endpoints section costs about this times parsing as many bytes of the others."""
_FIELDS: Final = tuple(field.name for field in fields(Endpoint))

FileStamp = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns): a file that changed has another."""


def file_stamp(path: str) -> FileStamp | None:
    """The stamp of ``path``; None when it cannot be read."""
    try:
        return _stamp_of(os.stat(path))
    except OSError:
        return None


def _stamp_of(stat: os.stat_result) -> FileStamp:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True, slots=True)
class Claim:
    """The endpoints section this process left to the child, and where its results go."""

    path: str
    stamp: FileStamp
    section: Section
    endpoints_at: int = -1
    """Where the section's endpoints go in the capture's list (-1: not placed yet)."""
    skipped_at: int = -1


class EndpointsAhead:
    """The child's offer to read the endpoints of the capture at ``path``.

    ``claims`` is the pipe to the child (this end is closed once the claim, or none, is sent);
    ``answer`` waits for the child's answer (None when it has gone).
    """

    def __init__(self, path: str, claims: int | None, answer: Callable[[], bytes | None]) -> None:
        self.path = path
        self._claims = claims
        self._answer = answer
        self._claim: Claim | None = None
        self._placeholder: dict[str, Any] | None = None
        self._seconds_per_byte = 0.0  # this process's pace on the sections it parsed
        self._here: tuple[list[Endpoint], list[Skipped]] | None = None

    def split(self, path: str, data: bytes, stamp: FileStamp | None) -> dict[str, Any] | None:
        """``data`` parsed with an empty endpoints section, left for later (``idle``,
        ``release``); None when it is not for the child (not its file, not an admin dump, a
        section that does not parse)."""
        if path != self.path or self._claims is None:
            return None
        document = self._split(path, data, stamp)
        if document is None:
            self.close()
        return document

    def _split(self, path: str, data: bytes, stamp: FileStamp | None) -> dict[str, Any] | None:
        if stamp is None or len(data) != stamp[2]:
            return None
        sections = admin_sections(data)
        chosen = [s for s in sections or () if s.name == _SECTION]
        if sections is None or len(chosen) != 1:
            return None
        configs: list[Any] = []
        began = time.perf_counter()
        with memoryview(data) as view:
            for section in sections:
                if section is chosen[0]:
                    placeholder = {"@type": section.type_url}
                    configs.append(placeholder)
                    continue
                with view[section.start : section.end] as part:
                    try:
                        configs.append(orjson.loads(part))
                    except orjson.JSONDecodeError:
                        return None
        parsed = len(data) - (chosen[0].end - chosen[0].start)
        self._seconds_per_byte = (time.perf_counter() - began) / max(parsed, 1)
        self._claim = Claim(path, stamp, chosen[0])
        self._placeholder = placeholder
        return {"configs": configs}

    def idle(self, seconds: float) -> None:
        """This process would wait ``seconds`` for the child: read the endpoints section here
        meanwhile, when that takes less (else the child reads it later, after the YAML)."""
        claim = self._claim
        if claim is None or self._claims is None:
            return
        size = claim.section.end - claim.section.start
        if seconds < _BUILD_FACTOR * size * self._seconds_per_byte:
            return
        try:
            self._here = _read_section(claim)
        except (Exception, RecursionError):  # left to the child, then to ``fill``
            return
        self.close()  # the child reads nothing

    def release(self) -> None:
        """Leave the endpoints section to the child, unless it was read here already."""
        claim = self._claim
        if claim is not None and self._here is None:
            self.close(pickle.dumps((claim.path, claim.stamp, claim.section)))

    def dispatch(
        self,
        capture: Capture,
        document: dict[str, Any],
        dispatch_resource: Callable[[Capture, dict[str, Any]], None],
    ) -> None:
        """Add each section of ``document`` (from ``split``) to ``capture``, noting where the
        endpoints section's results go."""
        claim = self._claim
        for config in document["configs"]:
            if claim is not None and config is self._placeholder:
                at = (len(capture.endpoints), len(capture.skipped))
                self._claim = Claim(claim.path, claim.stamp, claim.section, *at)
            dispatch_resource(capture, config)
        self._placeholder = None

    def drop(self) -> None:
        """Forget the claim: the section is read here after all (the child reads nothing)."""
        self._claim = self._placeholder = None
        self.close()

    def close(self, claim: bytes = b"") -> None:
        """Send ``claim`` (none: the child reads nothing) unless sent already, and close."""
        if self._claims is not None:
            claims, self._claims = self._claims, None
            with contextlib.suppress(OSError):  # the child has gone: it answers nothing
                if claim:
                    os.write(claims, claim)  # far below a pipe's capacity: never waits
            os.close(claims)

    def fill(self, proxies: list[Proxy]) -> None:
        """Put the endpoints section's results into the proxy read from the claimed capture."""
        claim = self._claim
        if claim is None or claim.endpoints_at < 0:
            return
        proxy = next((p for p in proxies if p.inputs == [claim.path]), None)
        if proxy is None:
            return
        self.release()
        self._claim = None
        endpoints, skipped = self._here or _from_child(self._answer(), claim) or _read_here(claim)
        proxy.endpoints[claim.endpoints_at : claim.endpoints_at] = endpoints
        proxy.skipped[claim.skipped_at : claim.skipped_at] = skipped


def _from_child(answer: bytes | None, claim: Claim) -> tuple[list[Endpoint], list[Skipped]] | None:
    if not answer:
        return None
    try:
        with gc_paused():
            stamp, section, rows, skipped = pickle.loads(answer)
        if stamp != claim.stamp or section != claim.section:
            return None
        return [Endpoint(*row) for row in rows], [Skipped(claim.path, *s) for s in skipped]
    except Exception:  # not what the child sends: read here
        return None


def _read_here(claim: Claim) -> tuple[list[Endpoint], list[Skipped]]:
    """The section read by this process, from the file as it was when the rest was read."""
    try:
        return _read_section(claim)
    except orjson.JSONDecodeError:
        data, _ = read_bytes(claim.path)
        parse_document(claim.path, data)  # raises the whole parse's error, with its line
        raise InputError(claim.path, "invalid JSON") from None


def _read_section(claim: Claim) -> tuple[list[Endpoint], list[Skipped]]:
    """Read and parse the claimed section; InputError when the file changed before or while
    it was read."""
    section = claim.section
    try:
        with open(claim.path, "rb") as handle:
            same = _stamp_of(os.fstat(handle.fileno())) == claim.stamp
            data = os.pread(handle.fileno(), section.end - section.start, section.start)
    except OSError:
        same = False
    if not same or file_stamp(claim.path) != claim.stamp:
        raise InputError(claim.path, "changed while being read; capture it again or copy it first")
    with gc_paused():
        value = orjson.loads(data)
    return _endpoints_of(claim.path, value)


def _endpoints_of(path: str, value: Any) -> tuple[list[Endpoint], list[Skipped]]:
    from analyzer.load.envoy import dispatch_resource

    capture = Capture(path)
    with gc_paused():
        dispatch_resource(capture, value)
    return capture.endpoints, capture.skipped


def answer_claim(claims: int) -> bytes:
    """The child's answer to the parent's claim (waiting for it); empty when it has none."""
    try:
        chunks = []
        while chunk := os.read(claims, 1 << 16):
            chunks.append(chunk)
        os.close(claims)
        if not chunks:
            return b""
        path, stamp, section = pickle.loads(b"".join(chunks))
        endpoints, skipped = _read_section(Claim(path, stamp, section))
        rows = [tuple(getattr(e, name) for name in _FIELDS) for e in endpoints]
        reasons = [(s.what, s.reason) for s in skipped]
        return pickle.dumps((stamp, section, rows, reasons), protocol=pickle.HIGHEST_PROTOCOL)
    except (Exception, RecursionError):  # the parent's to find and report
        return b""
