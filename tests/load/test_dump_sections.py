"""``admin_sections`` finds each section of an admin dump in its bytes, or says it cannot."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from analyzer.load.dump_sections import admin_sections

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted(REPO.glob("dumps/**/config_dump.json"))


def _parsed_sections(data: bytes) -> list[object]:
    sections = admin_sections(data)
    assert sections is not None
    return [orjson.loads(data[s.start : s.end]) for s in sections]


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: str(p.parent.relative_to(REPO)))
def test_the_sections_of_a_dump_are_its_configs(sample: Path) -> None:
    data = sample.read_bytes()
    configs = orjson.loads(data)["configs"]
    assert _parsed_sections(data) == configs  # as Envoy pretty-prints it
    assert _parsed_sections(orjson.dumps({"configs": configs})) == configs  # compact
    indented = orjson.dumps({"configs": configs}, option=orjson.OPT_INDENT_2)
    assert _parsed_sections(indented) == configs
    names = [s.name for s in admin_sections(data) or ()]
    assert names == [c["@type"].rsplit(".", 1)[-1] for c in configs]


@pytest.mark.parametrize(
    "text",
    [
        b'[{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]',
        b'{"configs": {"a": {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}}}',
        b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.RoutesConfigDump"}], "x": 1}',
        b'{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]} tail',
        b'{"configs": [{"@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster"}]}',
        b'{"configs": [1, {"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump"}]}',
        b'{"configs": []}',
        b"configs:\n- '@type': type.googleapis.com/envoy.admin.v3.ClustersConfigDump\n",
    ],
    ids=[
        "istioctl-array",
        "configs-by-name",
        "another-top-level-key",
        "trailing-text",
        "not-an-admin-section",
        "a-non-section-first",
        "no-sections",
        "yaml",
    ],
)
def test_other_layouts_have_no_sections(text: bytes) -> None:
    assert admin_sections(text) is None


def test_a_look_alike_inside_a_section_leaves_halves_that_do_not_parse() -> None:
    # Callers parse each section they use; a split inside one is caught there.
    inner = '{"@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump", "fake": 1}'
    text = (
        '{"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump",'
        f' "static_clusters": [{{"a": 1}}, {inner}]}}]}}'
    ).encode()
    sections = admin_sections(text)
    assert sections is not None and len(sections) == 2
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(text[sections[0].start : sections[0].end])
