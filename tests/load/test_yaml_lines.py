"""``BlockLines.item_lines``: the lines of list items found in one walk, each exactly what
``BlockLines.get`` finds for its path (which ``test_yaml_fast`` holds to the exact reader)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzer.errors import InputError
from analyzer.load.istio_yaml import exact_documents
from analyzer.load.yaml_doc import Document
from analyzer.load.yaml_lines import BlockLines

pytest.importorskip("ryml")

from tests.load.test_yaml_fast import _yaml_files, fast_documents

LISTS = ("ports", "http", "tcp", "tls", "hosts", "subsets", "servers")
MATCHED = ("http", "tcp", "tls")
KEYS = ("trafficPolicy",)


def cited_paths(value: Any) -> Iterator[str]:
    """The paths item_lines answers for, spelled out independently of it."""
    spec = value.get("spec") if isinstance(value, dict) else None
    if not isinstance(spec, dict):
        return
    for key in LISTS:
        items = spec.get(key)
        if not isinstance(items, list):
            continue
        for index, item in enumerate(items):
            yield f"spec.{key}[{index}]"
            if key in MATCHED and isinstance(item, dict) and isinstance(item.get("match"), list):
                for number in range(len(item["match"])):
                    yield f"spec.{key}[{index}].match[{number}]"
    if "trafficPolicy" in spec:
        yield "spec.trafficPolicy"


def blocks(text: str) -> list[BlockLines]:
    """A fresh fast read of ``text``: nothing looked up yet."""
    docs = fast_documents(text, "in.yaml", exact_documents) or []
    return [lines for doc in docs if isinstance(lines := _lines(doc), BlockLines)]


def _lines(doc: Document) -> Any:
    return doc.scopes[0].paths if len(doc.scopes) == 1 else None


def assert_walk_matches_get(text: str, *, all_walked: bool = False) -> int:
    """item_lines agrees with get, path for path and in order; returns the paths compared.

    With ``all_walked``, the walk must have placed every list item itself: a walk that gives up
    still agrees with get (it asks get), but only by searching path by path again.
    """
    compared = 0
    for walked, asked in zip(blocks(text), blocks(text), strict=True):
        got = walked.item_lines("spec", LISTS, "match", MATCHED, KEYS)
        expected = {path: asked.get(path) for path in cited_paths(asked._value)}
        assert list(got.items()) == list(expected.items())
        if all_walked:  # what get() found on its own it keeps: only the keys may be there
            assert set(walked._found) <= {f"spec.{key}" for key in KEYS}
        compared += len(expected)
    return compared


PLAIN = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
spec:
  hosts:
  - reviews
  -   "reviews.example.com"
  http:
  - match:
    - uri:
        prefix: /a

    # a comment between items
    -
      uri:
        prefix: /b
    route:
    - destination: {host: reviews}
  - name: second
    match:
      - headers:
          x: {exact: "1"}
    route:
      - destination:
          host: ratings
  -
    route:
    - destination: {host: details}
  tcp:
  - match: [{port: 31400}]
    route: [{destination: {host: tcp}}]
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
"""


def test_lines_of_items_in_a_plain_document() -> None:
    (lines,) = blocks(PLAIN)
    got = lines.item_lines("spec", LISTS, "match", MATCHED, KEYS)
    assert got == {
        "spec.http[0]": 10,
        "spec.http[0].match[0]": 11,
        "spec.http[0].match[1]": 16,  # content on the line after its dash
        "spec.http[1]": 20,
        "spec.http[1].match[0]": 22,  # an indented sequence
        "spec.http[2]": 28,  # likewise
        "spec.tcp[0]": 31,
        "spec.tcp[0].match[0]": 31,  # a flow sequence: placed by the exact reader
        "spec.hosts[0]": 7,
        "spec.hosts[1]": 8,
        "spec.trafficPolicy": 33,
    }
    assert_walk_matches_get(PLAIN)


def test_plain_block_lists_need_no_exact_read() -> None:
    text = PLAIN.replace(
        "  tcp:\n  - match: [{port: 31400}]\n    route: [{destination: {host: tcp}}]\n", ""
    )
    assert assert_walk_matches_get(text, all_walked=True) == 9


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("kind: X\nspec:\n  http: [{match: [{uri: a}]}, {}]\n", id="flow-list"),
        pytest.param("kind: X\nspec: {http: [{route: a}]}\n", id="flow-spec"),
        pytest.param("kind: X\nspec:\n  http:\n  - {match: [{a: 1}]}\n", id="flow-item"),
        pytest.param("kind: X\nspec.http: 1\nspec:\n  http:\n  - a: 1\n", id="dotted-root-key"),
        pytest.param("kind: X\nspec:\n  http[0]: 1\n  http:\n  - a: 1\n", id="indexed-key"),
        pytest.param(
            "kind: X\nspec:\n  http:\n  - match.x: 1\n    match:\n    - a: 1\n",
            id="dotted-item-key",
        ),
        pytest.param('kind: X\n"spec":\n  "http":\n  - "match":\n    - a\n', id="quoted-keys"),
        pytest.param("kind: X\nspec:\n  ports:\n  - - 1\n    - 2\n  - 3\n", id="nested-sequence"),
        pytest.param("kind: X\nspec:\n  ports:\n  -\n  - 3\n", id="empty-item"),
        pytest.param(
            "kind: X\nspec:\n  ports:\n  - 1\n  - 2\nstatus:\n  ports:\n  - 9\n", id="after"
        ),
        pytest.param(
            "kind: X\nspec:\n  hosts:\n    - a\n    - b\n"
            "  tls:\n    - match:\n        - sniHosts: [a]\n",
            id="indented",
        ),
        pytest.param("kind: X\r\nspec:\r\n  http:\r\n  - match:\r\n    - a: 1\r\n", id="crlf"),
        pytest.param(
            "kind: X\nspec:\n  http: # rules\n  - match: # first\n    - a: 1\n", id="comments"
        ),
        pytest.param(
            "kind: X\nspec:\n  http:\n  - match: []\n  - match:\n    - a\n", id="empty-match"
        ),
        pytest.param("kind: X\nspec: []\n", id="spec-not-a-mapping"),
        pytest.param("kind: X\nspec:\n  trafficPolicy: {}\n", id="only-keys"),
        pytest.param(
            "---\nkind: A\nspec:\n  ports:\n  - 1\n---\nkind: B\nspec:\n  ports:\n  - 2\n", id="two"
        ),
    ],
)
def test_tricky_layouts_agree_with_get(text: str) -> None:
    assert_walk_matches_get(text)


def test_every_yaml_file_agrees_with_get() -> None:
    compared = 0
    for path in _yaml_files():
        try:
            text = path.read_text(encoding="utf-8")
            compared += assert_walk_matches_get(text)
        except (UnicodeDecodeError, InputError):
            continue
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from None
    assert compared > 50


def test_generated_mesh_agrees_with_get(tmp_path: Path) -> None:
    from tests.test_bench_generator import gen

    gen.generate(60, tmp_path, seed=5)
    assert assert_walk_matches_get((tmp_path / "istio.yaml").read_text(), all_walked=True) > 100
