"""Every check case: trigger fixtures give exactly the expected findings, near misses none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks.harness import case_dirs, expected_keys, finding_keys, load_case, run_case


@pytest.mark.parametrize("case_dir", case_dirs(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_case(case_dir: Path) -> None:
    case = load_case(case_dir)
    findings = run_case(case_dir)
    assert finding_keys(findings) == expected_keys(case), [f.message for f in findings]
    for finding in findings:
        # Every finding says what it is about in words, and points somewhere.
        assert finding.message
        assert finding.resource or finding.source
