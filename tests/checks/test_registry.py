"""Meta-tests over the whole catalogue (codes, docs, cases)."""

from __future__ import annotations

import re
from pathlib import Path

from analyzer.checks.registry import ALL
from analyzer.report.check_docs import catalogue_index, check_page
from tests.checks.harness import CASES, load_case
from tests.conftest import REPO

HEADINGS = ("**What it detects.**", "**Why it matters.**", "**Example.**", "**How to fix.**")


def test_codes_are_unique_sorted_and_well_formed() -> None:
    codes = [c.CODE for c in ALL]
    assert codes == sorted(codes)
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"ML\d{4}", c) for c in codes)
    names = [c.NAME for c in ALL]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", n) for n in names)


def test_every_check_documents_itself() -> None:
    for check in ALL:
        doc = check.__doc__ or ""
        assert check.summary().endswith("."), check.CODE
        for heading in HEADINGS:
            assert heading in doc, (check.CODE, heading)


def test_docs_pages_are_generated_and_current() -> None:
    docs = REPO / "docs" / "checks"
    for check in ALL:
        page = docs / f"{check.CODE}.md"
        assert page.exists(), f"run: meshlens checks --format markdown ({page} missing)"
        assert page.read_text() == check_page(check), f"{page} is stale"
    assert (docs / "README.md").read_text() == catalogue_index(ALL)


def test_every_check_has_a_trigger_and_a_near_miss_case() -> None:
    for check in ALL:
        if check.CODE == "ML0001":
            continue  # raised by the runner when a check crashes; tested in test_runner
        folder = CASES / check.CODE
        cases = [load_case(p.parent) for p in sorted(Path(folder).glob("*/case.yaml"))]
        assert any(c.get("expect") for c in cases), f"{check.CODE}: no case that triggers it"
        assert any(not c.get("expect") for c in cases), f"{check.CODE}: no near-miss case"
