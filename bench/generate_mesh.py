#!/usr/bin/env python3
"""Generate a large synthetic Istio mesh for benchmarks.

Writes, for ``N`` services spread over namespaces ``ns-0..ns-k`` (50 services each):

* ``OUTDIR/config_dump.json``: the Envoy admin ``/config_dump?include_eds`` envelope of ONE
  sidecar (the first pod of the first service) as an Istio 1.24 proxy would report it:
  snake_case keys, v3 ``@type``s, Istio's cluster/listener/route naming and metadata.
* ``OUTDIR/istio.yaml``: the multi-document Kubernetes + Istio YAML that would produce it
  (Namespaces, Services, Deployments, DestinationRules, VirtualServices, ServiceEntries).
* ``OUTDIR/manifest.json``: counts of what was written (used by ``bench/run.py``).

Output is a pure function of ``(N, seed)``: no wall clock, no hash ordering. The dump is
streamed section by section with orjson (``OPT_INDENT_2``, like Envoy's pretty output), so the
generator's memory stays small even for 300 MB dumps; the bytes are identical to what
``orjson.dumps(whole_dump, option=OPT_INDENT_2)`` plus a newline would give.

Usage: ``python bench/generate_mesh.py N OUTDIR [--seed S]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

# The package sits next to this script, which runs as a script or is loaded from its path.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from meshgen import source_sha256
from meshgen.dump_writer import write_config_dump
from meshgen.model import build_mesh
from meshgen.shape import GENERATOR_VERSION
from meshgen.yaml_writer import _yaml_docs, write_yaml, yaml_document

__all__ = ["_yaml_docs", "build_mesh", "generate", "main", "yaml_document"]


def generate(n: int, outdir: Path, seed: int = 1) -> dict[str, Any]:
    """Generate the mesh for ``n`` services into ``outdir`` and return the manifest."""
    start = time.perf_counter()
    outdir.mkdir(parents=True, exist_ok=True)
    mesh = build_mesh(n, seed)
    dump_path = outdir / "config_dump.json"
    yaml_path = outdir / "istio.yaml"
    counts = write_config_dump(mesh, dump_path)
    kinds = write_yaml(mesh, yaml_path)
    elapsed = time.perf_counter() - start
    dump_bytes = dump_path.stat().st_size
    manifest: dict[str, Any] = {
        "generator_version": GENERATOR_VERSION,
        "generator_sha256": source_sha256(),
        "services": n,
        "seed": seed,
        "namespaces": len(mesh.namespaces),
        "dump_bytes": dump_bytes,
        "yaml_bytes": yaml_path.stat().st_size,
        "dump_bytes_per_service": round(dump_bytes / n),
        "generate_seconds": round(elapsed, 3),
        "yaml_kinds": kinds,
        "envoy": counts,
        # "resources" = xDS resources the analyzer has to walk: clusters + endpoint assignments +
        # listeners + virtual hosts (the unit used for the linearity figures in bench/run.py).
        "resources": counts["dynamic_active_clusters"]
        + counts["dynamic_endpoint_configs"]
        + counts["dynamic_listeners"]
        + counts["virtual_hosts"],
    }
    (outdir / "manifest.json").write_bytes(
        orjson.dumps(manifest, option=orjson.OPT_INDENT_2) + b"\n"
    )
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, metavar="N", help="number of services")
    parser.add_argument("outdir", type=Path, metavar="OUTDIR")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("N must be >= 1")
    m = generate(args.n, args.outdir, args.seed)
    mb = m["dump_bytes"] / 1e6
    envoy = m["envoy"]
    print(
        f"{args.n} services, seed {args.seed}: config_dump.json {mb:.1f} MB "
        f"({m['dump_bytes_per_service'] / 1000:.1f} KB/service), "
        f"istio.yaml {m['yaml_bytes'] / 1e6:.1f} MB, "
        f"{envoy['dynamic_active_clusters']} clusters, {envoy['dynamic_listeners']} listeners, "
        f"{envoy['virtual_hosts']} vhosts, {m['resources']} resources, "
        f"{m['generate_seconds']:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
