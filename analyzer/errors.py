"""Errors that end a run with exit status 2 and one clear line naming the input."""

from __future__ import annotations


class MeshlensError(Exception):
    """Base class for errors reported to the user as one line (exit status 2)."""

    def one_line(self) -> str:
        """Return the message as a single line, safe to print on a terminal."""
        return " ".join(str(self).split())


class InputError(MeshlensError):
    """An input file cannot be read or understood.

    ``path`` is the file as the user gave it; ``line`` is 1-based when known.
    """

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class UsageError(MeshlensError):
    """The command line asks for something impossible."""
