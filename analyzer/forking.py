"""Compute something in a forked child while this process goes on, on machines with two cores.

``start(func)`` forks a child that runs ``func`` and sends back its pickled result; the returned
``Pending.result()`` waits for it. The child sees everything this process had loaded at the fork,
at no cost (the pages are shared until one side writes them), so only the result travels, and it
should be small: findings, not the inputs.

Nothing depends on the child: without ``os.fork`` (Windows), or when the child fails in any way
(an exception, a crash, a result that does not unpickle), ``result()`` runs ``func`` here, so the
answer, or the exception, is the one a serial run gives.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """``func``'s result, being computed in a child (or to be computed here when asked)."""

    def __init__(self, func: Callable[[], T], pid: int | None, pipe: int | None) -> None:
        self._func = func
        self._pid = pid
        self._pipe = pipe

    def result(self) -> T:
        """Wait for the child's result; run ``func`` here when there is none."""
        data = b""
        status = 1
        if self._pipe is not None and self._pid is not None:
            pipe, self._pipe = self._pipe, None
            try:
                with os.fdopen(pipe, "rb") as reader:
                    data = reader.read()
            finally:
                status = self._reap()
        if status == 0 and data:
            try:
                return pickle.loads(data)  # type: ignore[no-any-return]
            except Exception:  # not what the child sends: compute it here
                pass
        return self._func()

    def cancel(self) -> None:
        """Stop the child, if any, without waiting for its result."""
        if self._pipe is not None:
            os.close(self._pipe)
            self._pipe = None
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, 9)
            self._reap()

    def _reap(self) -> int:
        pid, self._pid = self._pid, None
        if pid is None:
            return 1
        try:
            _, status = os.waitpid(pid, 0)
        except ChildProcessError:  # already reaped elsewhere
            return 1
        return status


def start(func: Callable[[], T]) -> Pending[T]:
    """Run ``func`` in a forked child; ``result()`` returns what it returned."""
    if not hasattr(os, "fork"):
        return Pending(func, None, None)
    sys.stdout.flush()  # or the child's copies of the buffers would be written twice
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, and leave without running the parent's exit code
        status = 1
        try:
            os.close(read_end)
            data = pickle.dumps(func(), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as writer:
                writer.write(data)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return Pending(func, pid, read_end)
