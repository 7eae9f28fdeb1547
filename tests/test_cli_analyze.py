"""``meshlens analyze`` as a user runs it: exit statuses, formats paired with files, stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from analyzer.cli import main
from analyzer.pipeline import analyze, report_data
from analyzer.report.json_report import render_json
from tests.conftest import DUMPS

CLEAN = DUMPS / "sidecar-bookinfo"
DRIFTED = DUMPS / "faults" / "stale-after-vs-edit"  # ML0201 and ML0203 errors
SHADOWED = DUMPS / "faults" / "shadowed-by-older-vs"
SEVERITIES = {CLEAN: {"info"}, SHADOWED: {"warning"}, DRIFTED: {"error", "info"}}


def _args(sample: Path, *more: str) -> list[str]:
    return ["analyze", str(sample / "config_dump.json"), "-c", str(sample / "istio.yaml"), *more]


@pytest.mark.parametrize(
    ("sample", "fail_on", "status"),
    [
        (CLEAN, None, 0),
        (CLEAN, "warning", 0),
        (CLEAN, "info", 1),
        (SHADOWED, None, 0),
        (SHADOWED, "warning", 1),
        (DRIFTED, None, 1),
        (DRIFTED, "error", 1),
        (DRIFTED, "never", 0),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_exit_status_follows_fail_on(sample: Path, fail_on: str | None, status: int) -> None:
    more = ["-f", "json"] + (["--fail-on", fail_on] if fail_on else [])
    result = CliRunner().invoke(main, _args(sample, *more))
    assert result.exit_code == status, result.output
    report = json.loads(result.stdout)
    found = [f for p in report["proxies"] for f in p["findings"]] + report["findings"]
    assert {f["severity"] for f in found} == SEVERITIES[sample]  # what the status is about


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html", "sarif", "junit"])
def test_every_format_gives_the_same_exit_status(fmt: str) -> None:
    assert CliRunner().invoke(main, _args(DRIFTED, "-f", fmt)).exit_code == 1
    assert CliRunner().invoke(main, _args(CLEAN, "-f", fmt)).exit_code == 0


def test_formats_are_paired_with_files_in_order(tmp_path: Path) -> None:
    json_out, sarif_out = tmp_path / "report.json", tmp_path / "report.sarif"
    result = CliRunner().invoke(
        main, _args(DRIFTED, "-f", "json", "-f", "sarif", "-o", str(json_out), "-o", str(sarif_out))
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(json_out.read_text())["schema_version"] == 1
    assert json.loads(sarif_out.read_text())["version"] == "2.1.0"


def test_unpaired_formats_are_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, _args(CLEAN, "-f", "json", "-f", "sarif", "-o", "x.json"))
    assert result.exit_code == 2
    assert "paired in order" in result.output


def test_json_on_stdout_is_the_report_as_rendered() -> None:
    # A real process: the JSON goes out as bytes through stdout's buffer.
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", *_args(DRIFTED, "-f", "json")],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    dump, config = str(DRIFTED / "config_dump.json"), str(DRIFTED / "istio.yaml")
    expected = render_json(report_data(analyze([dump], [config])))
    assert done.stdout == expected.encode()
    assert done.stderr == b""


def test_json_file_is_the_same_as_stdout(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    to_file = CliRunner().invoke(main, _args(DRIFTED, "-f", "json", "-o", str(out)))
    to_stdout = CliRunner().invoke(main, _args(DRIFTED, "-f", "json"))
    assert to_file.exit_code == to_stdout.exit_code == 1
    assert out.read_bytes() == to_stdout.stdout_bytes


def test_bad_yaml_exits_2_with_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "istio.yaml"
    bad.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: [a\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analyzer",
            "analyze",
            str(CLEAN / "config_dump.json"),
            "-c",
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert f"{bad}:4: not valid YAML" in line
    assert done.stdout == ""


def test_without_yaml_drift_is_not_checked() -> None:
    result = CliRunner().invoke(main, ["analyze", str(CLEAN / "config_dump.json"), "-f", "json"])
    assert result.exit_code == 0
    (proxy,) = json.loads(result.stdout)["proxies"]
    assert proxy["summary"]["drift_checked"] is False
