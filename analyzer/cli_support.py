"""The command line's plumbing: error handling, shared options, output and exit.

Kept light (click and the standard library) so that ``meshlens --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from analyzer.errors import MeshlensError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    click.echo(f"meshlens: error: {message}", err=True)
    sys.exit(2)


def guarded(func: F) -> F:
    """Turn meshlens errors (and any surprise) into one line on stderr and exit status 2."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MeshlensError as exc:
            fail(exc.one_line())
        except MemoryError:
            fail("out of memory while reading the input")
        except (KeyboardInterrupt, BrokenPipeError):
            sys.exit(130 if sys.exc_info()[0] is KeyboardInterrupt else 0)
        except Exception as exc:
            if os.environ.get("MESHLENS_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} (set MESHLENS_DEBUG=1 for details)")

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper  # type: ignore[return-value]


def yaml_options(func: F) -> F:
    """The -c/--config and -n/--namespace options shared by the commands that read YAML."""
    func = click.option(
        "-n",
        "--namespace",
        default="",
        metavar="NS",
        help="Namespace for YAML objects that name none (as with kubectl apply -n NS).",
    )(func)
    func = click.option(
        "-c",
        "--config",
        "configs",
        multiple=True,
        metavar="PATH",
        help="Istio/Kubernetes YAML file or directory (repeatable).",
    )(func)
    return func


def write_stdout(text: str | bytes) -> None:
    """Write a report to stdout with a final newline (bytes straight to the buffer)."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if isinstance(text, bytes):
        if buffer is None:  # a stream without bytes underneath (some test runners)
            text = text.decode()
        else:
            out.flush()
            buffer.write(text)
            if text and not text.endswith(b"\n"):
                buffer.write(b"\n")
            buffer.flush()
            return
    out.write(text)
    if text and not text.endswith("\n"):
        out.write("\n")
    out.flush()


def exit_now(code: int) -> None:
    """Leave without tearing down the loaded dump object by object.

    Freeing millions of parsed objects costs a quarter of a second per 100 MB and serves no
    purpose at exit. Only done when writing to the real stdout (never under a test runner,
    which replaces sys.stdout).
    """
    out, err = sys.stdout, sys.stderr
    if out is sys.__stdout__ and out is not None:
        out.flush()
        if err is not None:
            err.flush()
        os._exit(code)
    sys.exit(code)


def pair_formats(
    formats: tuple[str, ...], outputs: tuple[str, ...]
) -> list[tuple[str, str | None]]:
    """(format, output file or None for stdout) pairs from -f and -o, paired in order."""
    from analyzer.errors import UsageError

    if not formats:
        default = "table" if sys.stdout.isatty() else "json"
        formats = (default,) * max(1, len(outputs))
    if len(formats) > 1 and len(outputs) != len(formats):
        raise UsageError(
            f"{len(formats)} formats need {len(formats)} -o files (paired in order), "
            f"got {len(outputs)}"
        )
    if len(outputs) > len(formats):
        raise UsageError(f"{len(outputs)} -o files but only {len(formats)} format(s)")
    if outputs:
        return list(zip(formats, outputs, strict=True))
    return [(formats[0], None)]


def write_file(path: str, text: str | bytes) -> None:
    """Write a report to ``path``; an unwritable path is a usage error."""
    from analyzer.errors import UsageError

    try:
        if isinstance(text, bytes):
            with open(path, "wb") as binary:
                binary.write(text)
            return
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from None


def progress_printer() -> Callable[[str], None]:
    """Progress lines on stderr, only on a terminal (overwritten in place)."""
    if not sys.stderr.isatty():
        return lambda _message: None

    def show(message: str) -> None:
        sys.stderr.write("\r\033[K" + (f"meshlens: {message}..." if message else ""))
        sys.stderr.flush()

    return show


def split_explain_args(
    args: tuple[str, ...], object_mode: bool
) -> tuple[tuple[str, ...], str | None]:
    """(dumps, resource id) from ``explain``'s arguments (no id with --istio)."""
    from analyzer.errors import UsageError

    if object_mode:
        return args, None
    if len(args) < 2:
        raise UsageError("give DUMP... and a RESOURCE_ID (e.g. listener/0.0.0.0_8080), or --istio")
    return args[:-1], args[-1]


def load_config(configs: tuple[str, ...], namespace: str) -> Any:
    """The Istio YAML of -c (None without), objects without a namespace put in ``namespace``."""
    if not configs:
        return None
    from analyzer.load.istio import load_istio
    from analyzer.load.namespaces import with_default_namespace

    return with_default_namespace(load_istio(list(configs)), namespace)


def find_object(config: Any, ref: str) -> Any:
    """The object ``Kind/namespace/name`` names in ``config``."""
    from analyzer.errors import UsageError

    parts = ref.split("/")
    if len(parts) != 3:
        raise UsageError(f"--istio wants Kind/namespace/name, got {ref!r}")
    if config is None:
        raise UsageError("--istio needs the Istio YAML (-c)")
    obj = config.get(*parts)
    if obj is None:
        raise UsageError(f"{ref} is not in the given YAML")
    return obj
