"""A result computed in a forked child must be the result a serial run gives, whatever happens."""

from __future__ import annotations

import os
import threading

import pytest

from analyzer import forking

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def test_the_result_comes_from_the_child() -> None:
    here = os.getpid()
    pending = forking.start(lambda: (os.getpid(), [n * n for n in range(1000)]))
    pid, squares = pending.result()
    assert pid != here
    assert squares == [n * n for n in range(1000)]


def test_an_exception_in_the_child_is_raised_here_by_running_it_here() -> None:
    calls: list[int] = []

    def fails() -> int:
        calls.append(os.getpid())  # the child's append is not seen here
        raise ValueError("bad input")

    pending = forking.start(fails)
    with pytest.raises(ValueError, match="bad input"):
        pending.result()
    assert calls == [os.getpid()]


def test_a_child_that_dies_means_computing_here() -> None:
    here = os.getpid()

    def dies() -> int:
        if os.getpid() != here:
            os._exit(3)
        return 42

    assert forking.start(dies).result() == 42


def test_a_result_that_cannot_travel_is_computed_here() -> None:
    lock = threading.Lock()  # cannot be pickled
    assert forking.start(lambda: lock).result() is lock


def test_cancel_stops_and_reaps_the_child() -> None:
    gate = threading.Event()
    pending = forking.start(lambda: gate.wait(60))
    pid = pending._pid
    pending.cancel()
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped
    pending.cancel()  # twice is harmless
