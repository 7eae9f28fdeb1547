"""Run checks on a case directory (tests/checks/cases/<CODE>/<case>/case.yaml).

case.yaml:
    description: what the case shows
    dumps: [dump.json]            # default: [dump.json]; paths relative to the case dir
    config: [istio.yaml]          # optional Istio YAML
    namespace: hr2                # optional default namespace for objects without one
    expect:                       # the findings of this case's code, exactly (order free)
      - {code: ML0401, resource: "route/...", ref: "VirtualService/default/reviews"}
    # a case with `expect: []` is a near miss: close to triggering, must not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analyzer.attribution.engine import attribute
from analyzer.checks.model import Finding
from analyzer.checks.registry import get
from analyzer.checks.runner import Settings, run_checks
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from analyzer.load.namespaces import with_default_namespace

CASES = Path(__file__).parent / "cases"


def case_dirs() -> list[Path]:
    """Every case directory, sorted."""
    return sorted(p.parent for p in CASES.glob("ML*/*/case.yaml"))


def load_case(case_dir: Path) -> dict[str, Any]:
    """The parsed case.yaml."""
    data: dict[str, Any] = yaml.safe_load((case_dir / "case.yaml").read_text())
    return data


def run_case(case_dir: Path, only_code: str | None = None) -> list[Finding]:
    """Findings of the case's check (or of every check when ``only_code`` is '*')."""
    case = load_case(case_dir)
    code = only_code or case_dir.parent.name
    dumps = [str(case_dir / d) for d in case.get("dumps") or ["dump.json"]]
    configs = [str(case_dir / c) for c in case.get("config") or []]
    config = load_istio(configs) if configs else None
    if config is not None and case.get("namespace"):
        config = with_default_namespace(config, case["namespace"])
    attributions = [attribute(p, config) for p in load_proxies(dumps)]
    checks = (get(code),) if code != "*" else Settings().checks
    return run_checks(config, attributions, Settings(checks=checks))


def finding_keys(findings: list[Finding]) -> list[tuple[str, str | None, str | None]]:
    """(code, resource, ref) of each finding, sorted."""
    return sorted((f.code, f.resource, f.source.ref if f.source else None) for f in findings)


def expected_keys(case: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(code, resource, ref) the case expects, sorted."""
    return sorted((e["code"], e.get("resource"), e.get("ref")) for e in case.get("expect") or [])
