"""Build hook: compile meshlens's hottest modules to C with mypyc. Metadata is in pyproject.toml.

Attribution and the drift checks are plain Python over hundreds of thousands of small objects;
compiled by mypyc (as black and mypy ship themselves) they take about a third less time. The
compiled modules are the same source, so the program does not change, only its speed:

- ``pip install .`` (and ``pip wheel .``) compile the modules in ``COMPILED``;
- ``pip install -e .`` does not: a compiled module sits next to its source and would shadow
  every later edit of it;
- ``MESHLENS_PURE_PYTHON=1`` skips the compilation;
- when mypyc or the C compiler fails (no compiler, no Python headers), the build says so and
  goes on without the compiled modules: pure Python, slower, same results.
"""

from __future__ import annotations

import os
import sys
from glob import glob
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

COMPILED = [
    "analyzer/attribution/*.py",
    "analyzer/expect/*.py",
    "analyzer/model/envoy.py",
    "analyzer/model/values.py",
    "analyzer/load/envoy_capture.py",
    "analyzer/load/envoy_cert.py",
    "analyzer/load/envoy_clusters.py",
    "analyzer/load/envoy_listeners.py",
    "analyzer/load/envoy_routes.py",
    "analyzer/load/envoy_secrets.py",
]
"""Modules mypyc compiles: what attribution and the checks spend their time in.

Left out on purpose: ``model/istio.py``, whose objects cross the pipe from the YAML process
pickled (a compiled class refuses ``object.__new__`` when unpickled; the YAML modules' documents
cross it too, so they stay out as well), and
``load/istio.py`` and ``pipeline.py`` (mypyc looks up a dataclass field's type by name at import,
and theirs are imported only for type checking). tests/test_compiled_build.py catches both."""


def _warn(message: str) -> None:
    print(f"meshlens: {message}; installing the pure-Python modules", file=sys.stderr)


_BUILDS = frozenset({"bdist_wheel", "build", "build_ext", "install"})
"""The commands that build modules. pip also runs this file for the metadata alone (``egg_info``,
``dist_info``), and for an editable install ``editable_wheel``: none of them needs mypyc."""


def _wanted() -> bool:
    if os.environ.get("MESHLENS_PURE_PYTHON", "") not in ("", "0"):
        return False
    return not _BUILDS.isdisjoint(sys.argv[1:])


def _extensions() -> list[Any]:
    if not _wanted():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _warn("mypyc is not available")
        return []
    paths = sorted(path for pattern in COMPILED for path in glob(pattern))
    try:
        return list(mypycify(paths, opt_level="3"))
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        _warn(f"mypyc could not compile ({type(exc).__name__}: {exc})")
        return []


class OptionalBuildExt(build_ext):
    """build_ext that falls back to pure Python instead of failing the install.

    All or nothing: each compiled module imports mypyc's shared library, so one that failed to
    build would break the others. Every one built is removed again.
    """

    def run(self) -> None:
        self._remove_stale()
        try:
            super().run()
        except Exception as exc:  # compiler missing or failing: CCompilerError, PlatformError...
            _warn(f"the C build failed ({type(exc).__name__}: {exc})")
            for extension in self.extensions:
                built = self.get_ext_fullpath(extension.name)
                if os.path.exists(built):
                    os.remove(built)

    def _remove_stale(self) -> None:
        """Drop extensions an earlier build left in the build folder that this one does not
        make: the wheel packs that folder, and an extension shadows the module's source."""
        wanted = {os.path.abspath(self.get_ext_fullpath(e.name)) for e in self.extensions}
        for pattern in ("*.so", "analyzer/**/*.so", "*.pyd", "analyzer/**/*.pyd"):
            for found in glob(os.path.join(self.build_lib, pattern), recursive=True):
                if os.path.abspath(found) not in wanted:
                    os.remove(found)


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
