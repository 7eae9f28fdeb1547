"""Print, as JSON, what meshlens answers to each command line read from stdin (one JSON list of
argument lists). Run once with the pure-Python modules and once with the mypyc-compiled build
(``PYTHONPATH`` decides which ``analyzer`` is imported) by tests/test_compiled_build.py.

Run as a script: its folder (tests/), not the repository, is then first on ``sys.path``.
"""

from __future__ import annotations

import json
import sys

from click.testing import CliRunner

import analyzer
from analyzer.cli import main
from analyzer.expect import vhosts


def run_all(commands: list[list[str]]) -> dict[str, object]:
    runner = CliRunner()
    results = []
    for args in commands:
        result = runner.invoke(main, args, catch_exceptions=True)
        error = repr(result.exception) if result.exception is not None else None
        if isinstance(result.exception, SystemExit):
            error = None
        results.append(
            {
                "args": args,
                "exit": result.exit_code,
                "stdout": result.stdout,
                "stderr": result.stderr,
                "error": error,
            }
        )
    # ``--version`` tells the builds apart (it is meant to): answered apart from ``results``.
    version = runner.invoke(main, ["--version"]).stdout
    return {
        "package": analyzer.__file__,
        "compiled_module": vhosts.__file__,
        "version": version,
        "results": results,
    }


if __name__ == "__main__":
    sys.stdout.write(json.dumps(run_all(json.load(sys.stdin))))
