"""Attribution against answers written by hand (tests/attribution/expected/*.yaml).

The expected files were written from the dumps and the YAML, not from meshlens' output; see
tests/attribution/README.md for their conventions.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.attribution.engine import attribute
from analyzer.attribution.model import Attribution
from analyzer.load.envoy import load_proxies
from analyzer.load.istio import load_istio
from analyzer.load.namespaces import with_default_namespace
from tests.conftest import REPO, SHARED

EXPECTED = Path(__file__).parent / "expected"
CHECKED_TYPES = ("listener", "filter_chain", "route_config", "virtual_host", "route", "cluster")


def _cases() -> list[Path]:
    return sorted(EXPECTED.glob("*.yaml")) if EXPECTED.exists() else []


def _resolve(path: str) -> Path:
    if path.startswith("shared/"):
        return SHARED / path.removeprefix("shared/")
    return REPO / path


def _load(case: dict[str, Any]) -> Attribution:
    dump = _resolve(case["dump"])
    configs = [_resolve(c) for c in case.get("config") or []]
    for path in [dump, *configs]:
        if not path.exists():
            pytest.skip(f"{path} not present")
    (proxy,) = load_proxies([str(dump)])
    config = load_istio([str(c) for c in configs]) if configs else None
    if config is not None and case.get("namespace"):
        config = with_default_namespace(config, case["namespace"])
    return attribute(proxy, config)


def _key(source: dict[str, Any]) -> tuple[str, str | None, str]:
    return source["ref"], source.get("path"), source["evidence"]


@pytest.mark.parametrize("case_file", _cases(), ids=lambda p: p.stem)
def test_attribution_matches_hand_written_answers(case_file: Path) -> None:
    case = yaml.safe_load(case_file.read_text())
    attribution = _load(case)
    expected: dict[str, list[dict[str, Any]]] = case["resources"]
    problems = []
    for resource_id, sources in expected.items():
        want = sorted(_key(s) for s in sources)
        got = sorted((s.ref, s.path, s.evidence) for s in attribution.of(resource_id))
        if attribution.resource(resource_id) is None:
            problems.append(f"{resource_id}: not among the resources meshlens found")
        elif want != got:
            problems.append(f"{resource_id}:\n    want {want}\n    got  {got}")
    if case.get("complete"):
        listed = set(expected)
        actual = {r.id for r in attribution.resources if r.type in CHECKED_TYPES}
        problems.extend(
            f"{missing}: found by meshlens but not in the hand-written answers"
            for missing in sorted(actual - listed)
        )
    assert not problems, "\n".join(problems)


_ITEM = re.compile(r"\[\d+\]$")


@pytest.mark.parametrize("case_file", _cases(), ids=lambda p: p.stem)
def test_source_lines_point_at_the_rule(case_file: Path) -> None:
    """Each file:line quoted for a source is the line of that rule in the YAML."""
    case = yaml.safe_load(case_file.read_text())
    attribution = _load(case)
    checked = 0
    for resource in attribution.resources:
        for source in attribution.of(resource.id):
            if not source.file or not source.path or not source.line:
                continue
            text = Path(source.file).read_text().splitlines()[source.line - 1].strip()
            last = source.path.rsplit(".", 1)[-1]
            if _ITEM.search(last):
                # A sequence item: the line opens it (``- name: http`` or ``- match:``) or, for
                # a scalar item such as a host, holds its value.
                assert text.startswith("-"), (resource.id, source, text)
            else:
                assert text.startswith(last + ":") or text.startswith("- " + last + ":"), (
                    resource.id,
                    source,
                    text,
                )
            checked += 1
    assert checked > 0
