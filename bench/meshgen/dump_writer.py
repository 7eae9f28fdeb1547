"""Streaming pretty-printed JSON writer."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import orjson

from meshgen.blocks import _updated
from meshgen.bootstrap import _bootstrap, _secrets, _static_clusters
from meshgen.clusters import _iter_dynamic_clusters, _iter_endpoint_configs, cluster_specs
from meshgen.listeners import _iter_dynamic_listeners, _static_listener
from meshgen.model import Mesh
from meshgen.routes import _iter_dynamic_routes, _static_routes
from meshgen.shape import CLA_T, CLUSTER_T, PUSH_VERSION, T


class Streamed:
    """Marks a list value that is produced lazily, item by item."""

    def __init__(self, items: Iterable[Any]) -> None:
        self.items = items


def _dump_at(value: Any, indent: int) -> bytes:
    raw = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    if indent and b"\n" in raw:
        raw = raw.replace(b"\n", b"\n" + b" " * indent)
    return raw


def _write_object(out: IO[bytes], fields: list[tuple[str, Any]], indent: int) -> int:
    """Write ``{...}`` at ``indent`` (the opening brace is not indented). Returns streamed count."""
    pad = b" " * indent
    inner = b" " * (indent + 2)
    item_pad = b" " * (indent + 4)
    streamed = 0
    out.write(b"{\n")
    for idx, (key, value) in enumerate(fields):
        out.write(inner + orjson.dumps(key) + b": ")
        if isinstance(value, Streamed):
            first = True
            batch: list[bytes] = []
            for item in value.items:
                streamed += 1
                batch.append(item_pad + _dump_at(item, indent + 4))
                if len(batch) >= 256:
                    out.write((b"[\n" if first else b",\n") + b",\n".join(batch))
                    first = False
                    batch = []
            if batch:
                out.write((b"[\n" if first else b",\n") + b",\n".join(batch))
                first = False
            out.write(b"[]" if first else b"\n" + inner + b"]")
        else:
            out.write(_dump_at(value, indent + 2))
        out.write(b",\n" if idx < len(fields) - 1 else b"\n")
    out.write(pad + b"}")
    return streamed


def write_config_dump(mesh: Mesh, path: Path) -> dict[str, int]:
    """Stream the admin config dump to ``path``; returns counts of what was written."""
    specs = cluster_specs(mesh)
    counts: dict[str, int] = {}
    sections: list[tuple[str, list[tuple[str, Any]]]] = [
        (
            "bootstrap",
            [
                ("@type", T + "envoy.admin.v3.BootstrapConfigDump"),
                ("bootstrap", _bootstrap(mesh)),
                ("last_updated", _updated(0)),
            ],
        ),
        (
            "clusters",
            [
                ("@type", T + "envoy.admin.v3.ClustersConfigDump"),
                ("version_info", PUSH_VERSION),
                (
                    "static_clusters",
                    [
                        {"cluster": {"@type": CLUSTER_T, **c}, "last_updated": _updated(1)}
                        for c in _static_clusters()
                    ],
                ),
                ("dynamic_active_clusters", Streamed(_iter_dynamic_clusters(mesh, specs))),
            ],
        ),
        (
            "endpoints",
            [
                ("@type", T + "envoy.admin.v3.EndpointsConfigDump"),
                (
                    "static_endpoint_configs",
                    [
                        {
                            "endpoint_config": {
                                "@type": CLA_T,
                                **c["load_assignment"],
                                "policy": {"overprovisioning_factor": 140},
                            }
                        }
                        for c in _static_clusters()
                    ],
                ),
                ("dynamic_endpoint_configs", Streamed(_iter_endpoint_configs(specs))),
            ],
        ),
        (
            "listeners",
            [
                ("@type", T + "envoy.admin.v3.ListenersConfigDump"),
                ("version_info", PUSH_VERSION),
                (
                    "static_listeners",
                    [
                        _static_listener(15090, "stats", "prometheus_stats", "/stats/prometheus"),
                        _static_listener(15021, "agent", "agent", "/healthz/ready"),
                    ],
                ),
                ("dynamic_listeners", Streamed(_iter_dynamic_listeners(mesh))),
            ],
        ),
        ("scoped_routes", [("@type", T + "envoy.admin.v3.ScopedRoutesConfigDump")]),
        (
            "routes",
            [
                ("@type", T + "envoy.admin.v3.RoutesConfigDump"),
                ("static_route_configs", _static_routes(mesh)),
                ("dynamic_route_configs", Streamed(_iter_dynamic_routes(mesh))),
            ],
        ),
        (
            "secrets",
            [
                ("@type", T + "envoy.admin.v3.SecretsConfigDump"),
                ("dynamic_active_secrets", _secrets(mesh)),
            ],
        ),
    ]
    with path.open("wb", buffering=1 << 20) as out:
        out.write(b'{\n  "configs": [\n')
        for idx, (section, fields) in enumerate(sections):
            out.write(b"    ")
            counts[section] = _write_object(out, fields, 4)
            out.write(b",\n" if idx < len(sections) - 1 else b"\n")
        out.write(b"  ]\n}\n")
    counts["dynamic_active_clusters"] = counts.pop("clusters")
    counts["dynamic_endpoint_configs"] = counts.pop("endpoints")
    counts["dynamic_listeners"] = counts.pop("listeners")
    counts["dynamic_route_configs"] = counts.pop("routes")
    for k in ("bootstrap", "scoped_routes", "secrets"):
        counts.pop(k)
    counts["outbound_clusters"] = sum(1 for s in specs if s.name.startswith("outbound|"))
    counts["virtual_hosts"] = (
        sum(1 for s in mesh.services for p in s.ports if p.is_http)
        + counts["dynamic_route_configs"]
    )
    counts["http_routes"] = (
        sum((len(s.rules) or 1) for s in mesh.services for p in s.ports if p.is_http)
        + counts["dynamic_route_configs"]
    )
    return counts
