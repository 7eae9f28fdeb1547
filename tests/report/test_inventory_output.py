"""`meshlens inventory -o json|yaml`: both hold the same data, on every sample capture.

The YAML is written by ``analyzer.report.inventory_yaml`` rather than PyYAML's emitter; these
tests hold it to what ``yaml.safe_load`` reads back, for every capture and for odd strings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from yaml.resolver import Resolver

from analyzer.errors import InputError
from analyzer.load.envoy import load_proxies
from analyzer.report.inventory import RESOURCES, InventoryFilter, render_inventory
from analyzer.report.inventory_yaml import dump_yaml, style_string

REPO = Path(__file__).resolve().parents[2]
DUMP_DIRS = [REPO / "dumps", REPO.parent / "shared" / "dumps"]


def _captures() -> list[tuple[str, Path]]:
    """(test id, path) of every JSON/YAML file of the sample dumps, xDS server configs aside."""
    found = []
    for root in DUMP_DIRS:
        if root.is_dir():
            found += [
                (f"{root.parent.name}/{path.relative_to(root)}", path)
                for path in sorted(root.rglob("*"))
                if path.suffix in (".json", ".yaml")
                and path.name != "istio.yaml"
                and "xds" not in path.relative_to(root).parts
            ]
    return found


CAPTURES = _captures()


@pytest.mark.skipif(not CAPTURES, reason="no sample captures (dumps/, ../shared/dumps) present")
@pytest.mark.parametrize("path", [path for _, path in CAPTURES], ids=[i for i, _ in CAPTURES])
def test_yaml_and_json_hold_the_same_data(path: Path) -> None:
    try:
        proxies = load_proxies([str(path)])
    except InputError:
        pytest.skip("not an Envoy capture")
    data = orjson.loads(render_inventory(proxies, RESOURCES, InventoryFilter(), "json"))
    assert yaml.safe_load(render_inventory(proxies, RESOURCES, InventoryFilter(), "yaml")) == data


UNUSUAL = [
    *("", " ", "a ", " a", "a  b", "-", "- a", "-a", "?", "? a", ":", ": a", "a:", "a: b", "a:b"),
    *("#", "#a", "a #b", "a#b", "!", "!tag", "&x", "*x", "|", ">", "%x", "@x", "`x", "\\x"),
    *("'", "'q'", '"', '"q"', "it's", 'say "hi"', "{a}", "[a]", "a]", "a,b", "a, b", "a{b}"),
    *("---", "...", "--- a", "... a", "a\nb", "a\n", "\n", "a\tb", "\t", "a\rb", "\x00", "\x07"),
    *("\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff", "\ud800", "é", "日本", "😀", "a😀"),
    *("yes", "Yes", "YES", "y", "Y", "no", "No", "n", "N", "on", "On", "ON", "off", "Off", "OFF"),
    *("true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL", "~", "yess"),
    *("nan", "inf", ".inf", "-.inf", ".nan", ".NaN", "1", "-1", "+1", "01", "0x1F", "0o17", "0b1"),
    *("1_000", "1.0", "1e3", "1.0e+3", "12:30", "12:30:00", "1:2:3.5", "2001-12-14"),
    *("2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "=", "<<", "<", "0.0.0.0"),
    *("10.0.0.1:8080", "[::1]:80", "outbound|9080|v1|reviews.default.svc.cluster.local"),
    *("Cluster: outbound|9080||x", "SNI: a,b; Trans: tls", "/healthz/ready*", "*", "*.example.com"),
    *("regex ^/api/(v1|v2)/.*$", "x + 1 more...", "envoy://connect_originate/10.0.0.1:80", "EDS"),
]


def test_unusual_strings_round_trip() -> None:
    document = {
        "strings": UNUSUAL,
        "rows": [
            {"key": text, "n": index, "flag": index % 2 == 0} for index, text in enumerate(UNUSUAL)
        ],
        **{f"k{index}": text for index, text in enumerate(UNUSUAL)},
    }
    text = dump_yaml(document)
    assert yaml.safe_load(text) == document
    assert yaml.safe_load(dump_yaml({"nested": [[UNUSUAL]], "empty": [{}, [], {"e": []}]})) == {
        "nested": [[UNUSUAL]],
        "empty": [{}, [], {"e": []}],
    }


def test_plain_strings_stay_plain() -> None:
    for text in ("outbound|9080|v1|reviews.default.svc.cluster.local", "EDS", "HTTP", "active"):
        assert style_string(text) == text
    assert style_string("/healthz/ready*") == "/healthz/ready*"
    assert style_string("yes") == "'yes'"
    assert style_string("it's: x") == "'it''s: x'"
    assert style_string("a\nb") == '"a\\nb"'


def test_only_bool_and_null_words_start_with_a_letter() -> None:
    """The writer checks letter-first strings of at most five characters with PyYAML itself."""
    tags = {
        tag
        for first, resolvers in Resolver.yaml_implicit_resolvers.items()
        if first.isalpha()
        for tag, _regexp in resolvers
    }
    assert tags == {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
    words = "y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON off Off OFF"
    assert max(len(word) for word in [*words.split(), "null", "Null", "NULL"]) == 5


@pytest.mark.parametrize("value", [1.5, float("inf"), (1, 2), b"x", {1: "a"}])
def test_other_values_fall_back_to_pyyaml(value: Any) -> None:
    document = {"proxies": [{"name": "p", "value": value}]}
    try:
        expected = yaml.dump(document, Dumper=yaml.SafeDumper, sort_keys=True, allow_unicode=True)
    except yaml.YAMLError as exc:
        with pytest.raises(type(exc)):
            dump_yaml(document)
        return
    assert dump_yaml(document) == expected
