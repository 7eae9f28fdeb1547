"""Markdown format: golden, determinism, and escaping of hostile values from dumps and YAML."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from analyzer.report.markdown_report import md_code, md_fence, md_text, render_markdown
from tests.conftest import REPO
from tests.report.conftest import build_report, check_golden

HOSTILE_DOMAIN = '<script>alert("owned")</script>.example.com'
HOSTILE_MATCH = "/<img src=x onerror=alert(1)>"
HOSTILE_YAML = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: evil
  namespace: simple
spec:
  hosts:
  - '<script>alert("owned")</script>.example.com'
  http:
  - match:
    - uri:
        prefix: '/<img src=x onerror=alert(1)>'
      headers:
        x-note:
          exact: '```` fence | *bold* _it_ [x](javascript:alert(1))'
"""
MARKUP = "a | b `c` *d* _e_ [f](javascript:alert(1)) $x$ ~g~ #1 <b>h</b> &amp; \\"


def hostile_report(report: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    """The shared report (whose vhost domain holds <script>) with more hostile values.

    Markup in prose fields and a source note, the fixture's hostile route match (not in the
    report data, which carries ids rather than matches), a rule whose YAML holds ```` and
    ``<img>``; an ``info`` copy of the first finding so that every severity is present, and a
    finding on the inputs.
    """
    yaml_file = tmp_path / "evil.yaml"
    yaml_file.write_text(HOSTILE_YAML)
    data = copy.deepcopy(report)
    proxy = data["proxies"][0]
    first = proxy["findings"][0]
    first["found"] = f"route match prefix {HOSTILE_MATCH}"
    first["symptom"] = MARKUP
    first["source"] = {
        "ref": "VirtualService/simple/evil`|<i>",
        "path": "spec.http[0].match[0]",
        "file": str(yaml_file),
        "line": 10,
    }
    info = {**copy.deepcopy(first), "severity": "info", "code": "ML0403", "chain": None}
    info["name"] = "cluster-without-endpoints"
    proxy["findings"].append(info)
    proxy["summary"]["findings"]["info"] += 1
    proxy["resources"][0]["sources"][0]["note"] = MARKUP
    proxy["resources"][0]["sources"][0]["in_inputs"] = False
    data["findings"] = [
        {
            "code": "ML0003",
            "name": "invalid-field",
            "severity": "error",
            "message": MARKUP,
            "resource": None,
            "source": None,
        }
    ]
    return data


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports quote YAML from paths as given (relative to the repo)."""
    monkeypatch.chdir(REPO)


@pytest.mark.usefixtures("in_repo")
def test_markdown_golden(report: dict[str, Any]) -> None:
    check_golden("report.md", render_markdown(report))


@pytest.mark.usefixtures("in_repo")
def test_markdown_is_byte_identical_across_runs(report: dict[str, Any]) -> None:
    assert render_markdown(build_report()) == render_markdown(report)


@pytest.mark.usefixtures("in_repo")
def test_markdown_contents(report: dict[str, Any]) -> None:
    text = render_markdown(report)
    for expected in (
        "## Proxy `istio-ingressgateway-576c469c96-spndl.istio-system`",
        "| gateway | `istio-system` | 1.24.2 | unknown |",
        "**Istio YAML:** `tests/report/fixtures/hostile/istio.yaml`",
        "#### ERROR ML0401 route-to-missing-cluster",
        "- **How to fix:** Define the missing subset",
        "1. `Gateway/simple/simple` (Istio object)",
        "7. `cluster/outbound|80||gone.simple.svc.cluster.local` **(not in the dump)**",
        "```yaml\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\n",
        "<summary>Clusters (6 resources)</summary>",
    ):
        assert expected in text


def _outside_code(text: str) -> str:
    """The text with fenced blocks and code spans removed (where nothing is interpreted)."""
    kept: list[str] = []
    fence = ""
    for line in text.splitlines():
        if fence:
            if line.strip() == fence:
                fence = ""
            continue
        if opening := re.match(r"(`{3,})", line):
            fence = opening.group(1)
            continue
        kept.append(line)
    assert not fence, "unclosed fenced block"
    return re.sub(r"(?<![\\`])(`+)(?!`).*?(?<!`)\1(?!`)", "", "\n".join(kept))


def _cells(row: str) -> list[str]:
    return re.split(r"(?<!\\)\|", re.sub(r"(`+).*?\1", "code", row.replace("\\|", "")))[1:-1]


def test_hostile_values_render_as_text(report: dict[str, Any], tmp_path: Path) -> None:
    text = render_markdown(hostile_report(report, tmp_path))
    prose = _outside_code(text)
    for tag in ("<details>", "</details>", "<summary>", "</summary>", "<br>"):
        prose = prose.replace(tag, "")
    assert "<" not in prose and ">" not in prose, "raw HTML outside code"
    assert "&lt;b&gt;h&lt;/b&gt;" in prose  # escaped, so GitHub shows <b>h</b> as text
    ours = re.sub(r"(?m)^#{1,6} ", "", prose).replace("**", "")  # headings and labels are ours
    assert re.search(r"(?<!\\)[*_\[\]$~`#]", ours) is None, "unescaped markup outside code"
    assert "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\[f\\](javascript:alert(1)) \\$x\\$" in prose
    hostile_vhost = f"`virtual_host/http.8080/{HOSTILE_DOMAIN}:80`"  # code span: literal text
    assert f"5. {hostile_vhost} (unattributed)" in text
    assert f"| {hostile_vhost} | **UNATTRIBUTED** |" in text
    assert f"virtual host {md_text(HOSTILE_DOMAIN)}:80 of route configuration" in text
    # every table row has as many cells as its header: no pipe from the data splits a cell
    for block in re.findall(r"(?m)(?:^\|.*\|\n)+", text):
        rows = block.splitlines()
        assert {len(_cells(row)) for row in rows} == {len(_cells(rows[0]))}, block
    assert text.count("<details>") == text.count("</details>")
    assert "\n````` yaml" not in text
    assert "`````yaml\n  - match:\n" in text  # fence longer than the YAML's ```` run
    assert "exact: '```` fence | *bold* _it_ [x](javascript:alert(1))'" in text


def test_md_text_escapes_markup() -> None:
    assert md_text("a|b<c>*d_[e]`f\nG") == "a\\|b&lt;c&gt;\\*d\\_\\[e\\]\\`f G"
    assert md_text("&lt;") == "&amp;lt;"


def test_md_code_delimiters() -> None:
    assert md_code("a|b") == "`a|b`"
    assert md_code("a|b", in_table=True) == "`a\\|b`"
    assert md_code("x `y` z") == "``x `y` z``"
    assert md_code("`edge`") == "`` `edge` ``"
    assert md_code("") == ""


def test_md_fence_outgrows_backtick_runs() -> None:
    assert md_fence(["plain"], "yaml") == ["```yaml", "plain", "```"]
    assert md_fence(["a: '````'"])[0] == "`````"


@pytest.mark.usefixtures("in_repo")
def test_redacted_report_quotes_no_yaml(report: dict[str, Any]) -> None:
    """The YAML files on disk are not redacted: a redacted report must not quote them."""
    from analyzer.redact import redact_report

    text = render_markdown(redact_report(report))
    assert "```" not in text and "apiVersion" not in text
    assert "**Redacted:** values replaced by placeholders (" in text
