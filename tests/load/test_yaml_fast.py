"""The rapidyaml reader must give exactly what the libyaml event reader gives, or defer to it.

Compared: every document's value (types included), its line, its scopes, every line the event
reader records (looked up through ``BlockLines``), repeated keys, and errors.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest

from analyzer.errors import InputError
from analyzer.load.istio_yaml import document_chunks, exact_documents, iter_documents
from analyzer.load.yaml_doc import Document
from analyzer.load.yaml_lines import BlockLines

ryml = pytest.importorskip("ryml")

from analyzer.load.yaml_fast import NotVouched, fast_chunks  # noqa: E402  (needs rapidyaml)

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


def fast_documents(text: str, file: str, exact: Any) -> list[Document] | None:
    """The fast reader's documents of the whole file; None when it leaves the file to the
    exact reader."""
    try:
        return [doc for chunk in fast_chunks(text, file, exact, len(text) + 1) for doc in chunk]
    except NotVouched:
        return None


def _typed(value: Any) -> Any:
    """``value`` with every scalar paired with its type (True == 1 would hide a difference)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def _read(text: str, reader: Any) -> tuple[list[Document] | None, str | None]:
    try:
        return list(reader(text, "in.yaml")), None
    except InputError as exc:
        return None, str(exc)


def _in_chunks(size: int) -> Any:
    def read(text: str, file: str) -> list[Document]:
        return [doc for chunk in document_chunks(text, file, size) for doc in chunk]

    return read


def assert_same_as_exact(text: str) -> None:
    exact, exact_error = _read(text, exact_documents)
    # Whole, and a chunk at a time as yaml_ahead's child sends them (one document, a few).
    for reader in (iter_documents, _in_chunks(1), _in_chunks(400)):
        both, error = _read(text, reader)
        assert error == exact_error
        if exact is not None:
            assert both is not None
            assert_same_documents(both, exact)


def assert_same_documents(both: list[Document], exact: list[Document]) -> None:
    assert both is not None
    assert len(both) == len(exact)
    for mine, theirs in zip(both, exact, strict=True):
        assert _typed(mine.value) == _typed(theirs.value)
        if theirs.value is not None:
            assert mine.line == theirs.line
        assert [s.line for s in mine.scopes] == [s.line for s in theirs.scopes]
        for my_scope, scope in zip(mine.scopes, theirs.scopes, strict=True):
            assert my_scope.duplicate_keys == scope.duplicate_keys
            for path, line in scope.paths.items():
                assert my_scope.paths.get(path) == line, path


def _yaml_files() -> list[Path]:
    roots = [REPO / "tests", REPO / "dumps"] + ([SHARED] if SHARED.is_dir() else [])
    return sorted(
        p
        for root in roots
        for suffix in ("*.yaml", "*.yml")
        for p in root.rglob(suffix)
        if p.is_file()
    )


def test_every_yaml_file_reads_the_same() -> None:
    files = _yaml_files()
    fast = 0
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        try:
            assert_same_as_exact(text)
        except AssertionError as exc:
            raise AssertionError(f"{path}: {exc}") from None
        with contextlib.suppress(InputError):  # an error the exact reader words the same way
            fast += fast_documents(text, str(path), exact_documents) is not None
    assert fast > len(files) / 2  # most real files take the fast path


def test_generated_mesh_reads_the_same(tmp_path: Path) -> None:
    from tests.test_bench_generator import gen

    gen.generate(60, tmp_path, seed=3)
    text = (tmp_path / "istio.yaml").read_text()
    assert fast_documents(text, "istio.yaml", exact_documents) is not None
    assert_same_as_exact(text)


PLAIN = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews   # a comment
  labels:
    app.kubernetes.io/name: reviews
    "quoted": x
spec:
  hosts:
  - reviews
  -   "reviews.example.com"
  http:
  - match:
    - headers:
        x-beta:
          exact: "true"
    route:
    -
      destination:
        host: reviews
        port: {number: 9080}
      weight: 80
  - name: rest

    # a comment between items
    route:
      - destination: {host: ratings}
    timeout: 5s
    retries:
      attempts: 3
  tcp: []
"""


def test_plain_block_yaml_takes_the_fast_path_with_exact_lines() -> None:
    docs = fast_documents(PLAIN, "in.yaml", exact_documents)
    assert docs is not None
    (doc,) = docs
    lines = doc.scopes[0].paths
    assert isinstance(lines, BlockLines)
    assert lines.get("spec.http[0].route[0].destination") == 19
    assert lines.get("spec.http[1]") == 23
    assert lines.get("spec.http[1].timeout") == 28
    assert lines.get("metadata.labels.app.kubernetes.io/name") == 6
    assert lines.get("spec.http[7]") is None  # no such rule
    assert lines.get("spec.http[0].match[0].headers.x-beta.exact") == 16
    assert doc.value["spec"]["http"][0]["match"][0]["headers"]["x-beta"]["exact"] == "true"
    assert_same_as_exact(PLAIN)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: yes\nb: 0755\nc: ~\nd: 1_000\ne: .inf\nf: 1:30\n", id="yaml-1.1-plain"),
        pytest.param('a: "yes"\nb: "0755"\nc: "80"\nd: 80\n', id="quoted-look-alikes"),
        pytest.param('a: "true"\nb: true\n', id="same-text-quoted-and-plain"),
        pytest.param("a: 1e5\nb: 1.5e+3\nc: 0.25\n", id="floats"),
        pytest.param("a: -.5\nb: .5\nc: 0.25\n", id="signed-leading-dot"),
        pytest.param("a: 123456789012345678901234567890\nb: 1.5\n", id="long-integer"),
        pytest.param(
            'a: "true"\nb: "null"\nc: "-0.5"\nd: true\ne: null\nf: -0.5\n', id="quoted-typed"
        ),
        pytest.param("a: 1\nb: 2\na: 3\n", id="repeated-key"),
        pytest.param("---\na: 1\n---\nb: {c: 1, c: 2}\n", id="repeated-key-second-doc"),
        pytest.param("a: &x {b: 1}\nc: *x\nd:\n  <<: *x\n", id="anchors-merge"),
        pytest.param("a: !!str 1\n", id="tag"),
        pytest.param("a: |\n  text\nb: |\n  last", id="literal-at-eof-without-newline"),
        pytest.param("a:\n\t- 1\n", id="tab"),
        pytest.param("%YAML 1.1\n---\na: 1\n", id="directive"),
        pytest.param("a: 1\n...\n---\nb: 2\n", id="document-end"),
        pytest.param("# only a comment\n", id="comment-only"),
        pytest.param("---\n---\na: 1\n---\n", id="empty-documents"),
        pytest.param("a: [1, 2\n", id="unclosed-flow"),
        pytest.param("a: b: c\n", id="two-colons"),
        pytest.param("a:\n  - x\n  y: 2\n", id="bad-indentation"),
        pytest.param("apiVersion: v1\nkind: List\nitems:\n- kind: Service\n  x: 1\n", id="list"),
        pytest.param("  a: 1\n  b:\n    c: 2\n", id="indented-root"),
        pytest.param("a:\r\n  b: 1\r\n", id="crlf"),
        pytest.param("[" * 300 + "]" * 300 + "\n", id="too-deep"),
    ],
)
def test_tricky_yaml_reads_like_the_event_reader(text: str) -> None:
    assert_same_as_exact(text)


def test_quoted_scalars_rapidyaml_types_alike_stay_on_the_fast_path() -> None:
    # A string "true" in rapidyaml's values was quoted in the text (plain, rapidyaml reads a
    # bool, as YAML 1.1 does), so a plain `true` elsewhere in the document casts no doubt.
    text = 'match:\n  exact: "true"\nenabled: true\nport: "80"\nweight: 80\n'
    docs = fast_documents(text, "in.yaml", exact_documents)
    assert docs is not None
    assert isinstance(docs[0].scopes[0].paths, BlockLines)
    value = {"match": {"exact": "true"}, "enabled": True, "port": "80", "weight": 80}
    assert docs[0].value == value


@pytest.mark.parametrize(
    "plain",
    ["true", "false", "null", "0", "-0", "7", "-12", "9" * 18, "0.", "1.5", "-0.25", ".5"],
)
def test_scalars_taken_as_typed_alike_are_typed_by_rapidyaml(plain: str) -> None:
    # The fast reader trusts a string of these forms only because rapidyaml types them plain.
    docs = fast_documents(f"a: {plain}\nb: [{plain}]\n", "in.yaml", exact_documents)
    assert docs is not None
    value = docs[0].value
    assert not isinstance(value["a"], str)
    assert not isinstance(value["b"][0], str)


def test_parse_errors_print_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match=r"in\.yaml:1"):
        list(iter_documents("a: b: c\n", "in.yaml"))
    assert capfd.readouterr().err == ""


def test_errors_in_a_deferred_document_keep_file_lines() -> None:
    text = "a: 1\n---\nb: 2\n---\nc: !!int x\n"
    with pytest.raises(InputError) as raised:
        list(iter_documents(text, "in.yaml"))
    assert raised.value.line == 5


@pytest.mark.parametrize(
    "last",
    ["kind: C\nname: c\nname: again\n", "kind: C\nname: [c\n"],
    ids=["repeated key", "bad YAML"],
)
def test_a_late_chunk_the_fast_reader_cannot_vouch_for(last: str) -> None:
    text = "kind: A\nname: a\n---\nkind: B\nname: b\n---\n" + last
    exact, exact_error = _read(text, exact_documents)
    chunks = []
    with contextlib.suppress(InputError):
        chunks.extend(document_chunks(text, "in.yaml", 1))
    # The first two documents came from rapidyaml, one per chunk, before the third one failed.
    assert [len(c) for c in chunks[:2]] == [1, 1]
    assert all(isinstance(c[0].scopes[0].paths, BlockLines) for c in chunks[:2])
    assert_same_as_exact(text)
    if exact_error is None:
        assert exact is not None
        assert_same_documents([d for c in chunks for d in c], exact)
        assert exact[2].scopes[0].duplicate_keys
