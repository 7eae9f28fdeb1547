"""The synthetic mesh behind ``bench/generate_mesh.py``, one module per part of the output.

``model`` draws the mesh (services, ports, rules) from the seed; ``blocks``, ``clusters``,
``listeners``, ``routes`` and ``bootstrap`` turn it into Envoy config; ``dump_writer`` streams
the ``/config_dump`` and ``yaml_writer`` the Istio YAML. ``shape`` holds the constants.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def source_sha256() -> str:
    """SHA-256 over the generator's source (the entry script and this package), so that
    ``bench/run.py`` regenerates its cached meshes whenever any of it changes."""
    digest = hashlib.sha256()
    for path in [_HERE.parent / "generate_mesh.py", *sorted(_HERE.glob("*.py"))]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
