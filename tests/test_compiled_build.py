"""The mypyc-compiled build (setup.py) gives the same answers as the pure-Python modules.

``pip install .`` compiles the hot modules; the tests run the editable, pure-Python install. This
test runs the same command lines through both and compares every byte and exit status, on every
shipped capture, every fault scenario, the upstream captures of ../shared and a generated mesh
large enough for analyze to fork its YAML reader (what crosses between the processes is pickled:
a compiled class may not unpickle).

It needs a compiled build: ``MESHLENS_COMPILED`` names a folder it is installed in (``.ci/run``
builds one: ``pip wheel .`` then ``pip install --no-deps --target``). Without it the test skips.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from analyzer.load.yaml_ahead import MIN_BYTES
from tests.conftest import DUMPS, REPO, SHARED, bench_generator

SCRIPT = Path(__file__).resolve().parent / "compiled_outputs.py"


def _compiled_dir() -> Path:
    value = os.environ.get("MESHLENS_COMPILED")
    if not value:
        pytest.skip("MESHLENS_COMPILED not set (.ci/run builds the compiled package)")
    return Path(value)


def _run(pythonpath: Path, commands: list[list[str]], cwd: Path) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(pythonpath))
    done = subprocess.run(
        [sys.executable, str(SCRIPT)],
        input=json.dumps(commands),
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        check=False,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _sample_commands() -> list[list[str]]:
    commands = []
    samples = [p for p in sorted(DUMPS.iterdir()) if (p / "istio.yaml").is_file()]
    samples += [p for p in sorted((DUMPS / "faults").iterdir()) if (p / "istio.yaml").is_file()]
    for sample in samples:
        dump, config = str(sample / "config_dump.json"), str(sample / "istio.yaml")
        commands += [
            ["analyze", dump, "-c", config, "-f", "json", "--fail-on", "never"],
            ["analyze", dump, "-c", config, "-f", "markdown", "--fail-on", "never"],
            ["analyze", dump, "-f", "json", "--fail-on", "never"],
            ["map", dump, "-c", config, "-o", "json"],
            ["inventory", dump, "-o", "json"],
            ["explain", dump, "-c", config, "--istio", _first_object(sample / "istio.yaml")],
        ]
    return commands


def _first_object(path: Path) -> str:
    """Kind/namespace/name of the first VirtualService (else object) in a YAML file."""
    import yaml

    found = []
    for doc in yaml.safe_load_all(path.read_text()):
        if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
            meta = doc["metadata"]
            ref = f"{doc.get('kind')}/{meta.get('namespace', 'default')}/{meta.get('name')}"
            found.append((doc.get("kind") != "VirtualService", ref))
    return min(found)[1]


def _upstream_commands() -> list[list[str]]:
    upstream = SHARED / "dumps" / "upstream"
    if not upstream.is_dir():
        return []
    commands = []
    for dump in sorted(upstream.glob("*.json")):
        commands += [
            ["analyze", str(dump), "-f", "json", "--fail-on", "never"],
            ["inventory", str(dump), "-o", "json"],
        ]
    return commands


def _mesh_commands(tmp: Path) -> list[list[str]]:
    generator = bench_generator()
    mesh = tmp / "mesh"
    generator.generate(800, mesh, seed=3)
    dump, config = str(mesh / "config_dump.json"), str(mesh / "istio.yaml")
    # Big enough for analyze to parse the YAML in a second process: objects then cross a pipe.
    assert os.path.getsize(config) >= MIN_BYTES
    return [
        ["analyze", dump, "-c", config, "-f", "json", "--fail-on", "never"],
        ["analyze", dump, "-c", config, "-f", "sarif", "--fail-on", "never"],
        ["map", dump, "-c", config, "-o", "json"],
    ]


def test_compiled_build_answers_like_the_pure_modules(tmp_path: Path) -> None:
    compiled = _compiled_dir()
    commands = _sample_commands() + _upstream_commands() + _mesh_commands(tmp_path)
    pure = _run(REPO, commands, tmp_path)
    built = _run(compiled, commands, tmp_path)
    # Each side imported what it should: the repository's sources, the compiled extension.
    assert Path(pure["package"]).parent == REPO / "analyzer"
    assert pure["compiled_module"].endswith(".py")
    assert Path(built["package"]).parent == compiled / "analyzer"
    assert built["compiled_module"].endswith(".so"), "the build fell back to pure Python"
    assert pure["version"].endswith("(pure Python)\n")
    assert built["version"].endswith("(compiled)\n")
    assert len(pure["results"]) == len(built["results"]) == len(commands)
    for expected, found in zip(pure["results"], built["results"], strict=True):
        # Every command line is one that works: a usage error would compare nothing.
        assert expected["exit"] in (0, 1), (expected["args"], expected["stderr"])
        assert expected["error"] is None, (expected["args"], expected["error"])
        assert found == expected, f"compiled build differs on: meshlens {' '.join(found['args'])}"
