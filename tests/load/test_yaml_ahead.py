"""YAML parsed in a forked child must load exactly as YAML parsed in this process."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from analyzer.errors import InputError
from analyzer.load import istio_validate, yaml_ahead, yaml_ahead_child, yaml_channel
from analyzer.load.istio import DEFAULT_MAX_FILE_BYTES, load_istio, load_istio_pending
from analyzer.load.yaml_ahead import YamlAhead, read_ahead
from analyzer.model.istio import IstioConfig

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "istio"


def _fingerprint(config: IstioConfig) -> list[Any]:
    """Everything a report uses from a config, lines of every spec key and item included."""
    out: list[Any] = []
    for obj in config.objects:
        paths = sorted(_paths(obj.spec, "spec"))
        out.append((str(obj.ref), obj.origin, repr(obj.spec), [(p, obj.line_of(p)) for p in paths]))
    out.append([repr(p) for p in config.problems])
    out.append([repr(s) for s in config.skipped])
    out.append(list(config.files))
    return out


def _paths(value: Any, prefix: str) -> list[str]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, f"{prefix}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, f"{prefix}[{index}]")
    return found


def _both(paths: list[str], **kwargs: Any) -> tuple[list[Any], list[Any]]:
    serial = load_istio(paths, **kwargs)
    ahead = read_ahead(paths, kwargs.get("max_file_bytes", DEFAULT_MAX_FILE_BYTES), min_bytes=0)
    assert ahead is not None
    try:
        forked = load_istio(paths, ahead=ahead, **kwargs)
        ahead.seed_lines()  # the lines the child looked up must be the lines found here
    finally:
        ahead.close()
    return _fingerprint(serial), _fingerprint(forked)


def _inputs() -> list[str]:
    found = [str(FIXTURES)]
    found += sorted(str(p) for p in (REPO / "dumps").rglob("istio.yaml"))
    return found


@pytest.mark.parametrize("path", _inputs(), ids=lambda p: os.path.relpath(p, REPO))
def test_forked_read_loads_the_same_objects_lines_and_problems(path: str) -> None:
    serial, forked = _both([path])
    assert forked == serial


@pytest.fixture(params=["whole", "chunks"])
def chunk_bytes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The child's chunk size: as shipped (one chunk for these files), or a few hundred bytes."""
    size = yaml_ahead_child.CHUNK_BYTES if request.param == "whole" else 300
    monkeypatch.setattr(yaml_ahead_child, "CHUNK_BYTES", size)
    return size


def _mesh(tmp_path: Path) -> Path:
    parts = [
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{index}\n  namespace: ns\n"
        f"spec:\n  ports:\n  - name: http\n    port: {8000 + index}\n"
        for index in range(50)
    ]
    path = tmp_path / "mesh.yaml"
    path.write_text("---\n".join(parts))
    return path


def test_a_large_mesh_loads_the_same(tmp_path: Path, chunk_bytes: int) -> None:
    # Documents of every kind the fast reader keeps, defers, or hands to the exact reader whole.
    parts = [
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{index}\n  namespace: ns\n"
        f"spec:\n  ports:\n  - name: http\n    port: {8000 + index}\n  - name: grpc\n"
        f"    port: 9000\n    targetPort: {'on' if index % 7 == 0 else 9000}\n"
        for index in range(300)
    ]
    parts.append(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n"
        "  metadata: {name: listed}\n  spec:\n    ports:\n    - port: 1\n"
    )
    parts.append("apiVersion: v1\nkind: Service\nmetadata:\n  name: dup\n  name: again\n")
    parts.append("- just a list\n")
    big = tmp_path / "mesh.yaml"
    big.write_text("---\n".join(parts))
    anchored = tmp_path / "anchored.yaml"
    anchored.write_text(
        "apiVersion: v1\nkind: Service\nmetadata: &m\n  name: a\nspec:\n  ports:\n  - port: 1\n"
    )
    serial, forked = _both([str(tmp_path)])
    assert forked == serial


_WORKLOADS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web}
spec:
  replicas: 2
  template:
    metadata:
      annotations:
        sidecar.istio.io/inject: "true"
      labels:
        app: web
        version: v1
        tier: 3
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1
        ports:
        - containerPort: 8080
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: no-template-labels
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: db
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: odd-template
  namespace: shop
spec:
  template: [not, a, mapping]
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: odd-spec
  namespace: shop
spec: just text
---
apiVersion: batch/v1
kind: Job
metadata:
  name: labels-as-list
  namespace: shop
spec:
  template:
    metadata:
      labels: [a, b]
---
apiVersion: v1
kind: Pod
metadata:
  name: pod
  namespace: shop
  labels:
    app: pod
    nested: {a: b}
spec:
  containers:
  - name: pod
---
apiVersion: example.com/v1
kind: Deployment
metadata:
  name: not-a-workload
spec:
  template:
    metadata:
      labels: {app: x}
---
apiVersion: v1
kind: Service
metadata:
  name: exported
  namespace: shop
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
  labels: {app: web}
spec:
  ports:
  - port: 80
    name: http
status:
  loadBalancer:
    ingress:
    - ip: 203.0.113.7
"""


def test_documents_cut_short_by_the_child_load_the_same(tmp_path: Path) -> None:
    path = tmp_path / "workloads.yaml"
    path.write_text(_WORKLOADS)
    serial = load_istio([str(path)])
    serial_print = _fingerprint(serial)
    ahead = read_ahead([str(path)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    try:
        forked = load_istio([str(path)], ahead=ahead)
    finally:
        ahead.close()
    assert _fingerprint(forked) == serial_print
    # The labels' lines, where reports cite them, come through the shortened documents.
    metadata = ["metadata", "metadata.name", "metadata.labels", "metadata.labels.app"]
    for before, after in zip(serial.objects, forked.objects, strict=True):
        for key in [*metadata, "spec.labels", "spec.labels.app", "spec.labels.version"]:
            assert after.line_of(key) == before.line_of(key), (after.name, key)
    web = forked.objects[0]
    assert web.spec == {"labels": {"app": "web", "version": "v1", "tier": "3"}}
    assert web.line_of("spec.labels.version") == 15


def test_the_child_sends_no_containers_status_or_managed_fields(tmp_path: Path) -> None:
    path = tmp_path / "workloads.yaml"
    path.write_text(_WORKLOADS)
    (chunk,) = yaml_ahead_child.document_chunks(_WORKLOADS, str(path), 1 << 20)
    _entries, values = yaml_channel.encode_documents(chunk)
    assert b"containers" not in values and b"replicas" not in values
    assert b'"tier":3' in values and b"sidecar.istio.io/inject" not in values
    # Not a workload (another API group): sent whole.
    assert b'"not-a-workload"' in values
    # What loading drops anyway stays in the child.
    assert b"managedFields" not in values and b"203.0.113.7" not in values
    assert b'"exported"' in values


def test_bad_yaml_raises_the_same_error(tmp_path: Path, chunk_bytes: int) -> None:
    good = tmp_path / "a.yaml"
    good.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n")
    bad = tmp_path / "b.yaml"
    bad.write_text(_mesh(tmp_path).read_text() + "---\nmetadata:\n  name: [a\n")
    with pytest.raises(InputError) as serial:
        load_istio([str(tmp_path)])
    ahead = read_ahead([str(tmp_path)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    with pytest.raises(InputError) as forked:
        load_istio([str(tmp_path)], ahead=ahead)
    ahead.close()
    assert str(forked.value) == str(serial.value)
    assert forked.value.line == serial.value.line


def test_a_file_over_the_limit_raises_the_same_error(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n")
    with pytest.raises(InputError) as serial:
        load_istio([str(path)], max_file_bytes=10)
    ahead = read_ahead([str(path)], 10, min_bytes=0)
    assert ahead is not None
    with pytest.raises(InputError) as forked:
        load_istio([str(path)], max_file_bytes=10, ahead=ahead)
    ahead.close()
    assert str(forked.value) == str(serial.value)


def test_a_failed_child_only_means_reading_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any) -> None:
        raise RuntimeError("the child fails before sending anything")

    monkeypatch.setattr(yaml_ahead, "_send", crash)
    serial, forked = _both([str(FIXTURES)])
    assert forked == serial


def test_the_child_sends_a_chunk_at_a_time(tmp_path: Path, chunk_bytes: int) -> None:
    path = str(_mesh(tmp_path))
    ahead = read_ahead([path], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    kinds = []
    try:
        taken = ahead.take(path)
        assert taken is not None
        text, _ = taken
        for message in iter(ahead._reader.next, None):  # what the child sent after the FILE
            kinds.append(message.kind)
            if message.kind == yaml_channel.END:
                break
    finally:
        ahead.close()
    chunks = kinds.count(yaml_channel.DOCUMENTS)
    # 50 documents of about 110 bytes: in one chunk, or three to a chunk of 300 bytes.
    assert chunks == (1 if chunk_bytes > len(text) else 17)
    assert kinds[-1] == yaml_channel.END


def _dies_at_third_chunk(monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    encode = yaml_ahead_child.encode_documents
    calls = []

    def failing(documents: list[Any]) -> tuple[bytes, bytes]:
        calls.append(1)
        if len(calls) == 3:
            if how == "exits":
                os._exit(1)
            raise MemoryError
        return encode(documents)

    monkeypatch.setattr(yaml_ahead_child, "encode_documents", failing)


@pytest.mark.parametrize("how", ["exits", "fails"])
def test_a_child_stopping_mid_file_leaves_the_rest_to_this_process(
    tmp_path: Path, how: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yaml_ahead_child, "CHUNK_BYTES", 300)  # mesh.yaml: 17 chunks
    _mesh(tmp_path)
    (tmp_path / "z.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: z\n")
    _dies_at_third_chunk(monkeypatch, how)
    serial, forked = _both([str(tmp_path)])
    assert forked == serial


@pytest.mark.parametrize("garbage", ["documents", "lines"])
def test_garbage_from_the_child_means_reading_here(
    tmp_path: Path, garbage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _mesh(tmp_path)
    if garbage == "documents":
        monkeypatch.setattr(yaml_ahead_child, "encode_documents", lambda _: (b"x", b"y"))
    else:
        send = yaml_channel.Writer.send

        def garbled(writer: yaml_channel.Writer, kind: int, *parts: bytes) -> None:
            send(writer, kind, *((b"not a pickle",) if kind == yaml_channel.LINES else parts))

        monkeypatch.setattr(yaml_channel.Writer, "send", garbled)
    serial, forked = _both([str(tmp_path)])
    assert forked == serial


def test_files_out_of_step_are_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _mesh(tmp_path)
    (tmp_path / "z.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: z\n")
    files = yaml_ahead._files
    monkeypatch.setattr(yaml_ahead, "_files", lambda paths: list(reversed(files(paths))))
    serial, forked = _both([str(tmp_path)])
    assert forked == serial


def test_the_child_checks_the_schemas(monkeypatch: pytest.MonkeyPatch) -> None:
    serial = load_istio([str(FIXTURES)])
    assert len(serial.problems) > 20  # the schema fixtures, among others
    ahead = read_ahead([str(FIXTURES)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None

    def not_here(*_: Any) -> None:
        raise AssertionError("validated in the parent")

    monkeypatch.setattr(istio_validate, "validate", not_here)  # after the fork: the parent only
    try:
        forked = load_istio([str(FIXTURES)], ahead=ahead)
    finally:
        ahead.close()
    assert forked.problems == serial.problems  # the same problems, in the same order


def test_schema_problems_can_be_completed_later() -> None:
    serial = load_istio([str(FIXTURES)])
    ahead = read_ahead([str(FIXTURES)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    try:
        config, pending = load_istio_pending([str(FIXTURES)], ahead=ahead)
        assert pending is not None
        assert len(config.problems) < len(serial.problems)  # the child's are still to come
        completed = pending.complete(config)
    finally:
        ahead.close()
    assert completed.problems == serial.problems
    assert completed.objects is config.objects
    reviews = config.get("VirtualService", "bookinfo", "reviews")
    assert reviews is not None
    assert completed.get("VirtualService", "bookinfo", "reviews") is reviews


@pytest.mark.parametrize(
    "message",
    [b"", b"not a pickle", "count"],
    ids=["nothing", "garbage", "other objects"],
)
def test_without_the_childs_schema_problems_they_are_found_here(
    message: bytes | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if message == "count":
        message = pickle.dumps((1, {}))  # validated one object: not the objects loaded here
    assert isinstance(message, bytes)
    monkeypatch.setattr(yaml_ahead_child, "_schema_problems", lambda *_: message)
    serial, forked = _both([str(FIXTURES)])
    assert forked == serial


def test_the_child_looks_up_the_cited_lines(tmp_path: Path) -> None:
    path = tmp_path / "vs.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: vs\n"
        "spec:\n  hosts:\n  - a\n  http:\n  - match:\n    - uri:\n        prefix: /a\n"
        "    route:\n    - destination:\n        host: a\n"
    )
    ahead = read_ahead([str(path)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    config = load_istio([str(path)], ahead=ahead)
    ahead.seed_lines()
    ahead.close()
    (block,) = ahead._blocks.values()
    assert block._found == {"spec.hosts[0]": 7, "spec.http[0]": 9, "spec.http[0].match[0]": 10}
    assert config.objects[0].line_of("spec.http[0].match[0]") == 10


def test_small_inputs_are_read_here() -> None:
    assert read_ahead([str(FIXTURES / "mesh.yaml")], DEFAULT_MAX_FILE_BYTES) is None


def test_close_before_taking_stops_the_child() -> None:
    ahead = read_ahead([str(FIXTURES)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    pid = ahead._pid
    ahead.close()
    assert pid is not None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # already reaped


@pytest.mark.parametrize(
    "sample",
    ["dumps/sidecar-bookinfo", "dumps/gateway-subsets", "dumps/faults/missing-subset"],
)
def test_the_analysis_reports_the_same_through_the_child(
    sample: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analyzer import pipeline
    from analyzer.report.json_report import render_json

    dump, config = str(REPO / sample / "config_dump.json"), str(REPO / sample / "istio.yaml")
    serial = render_json(pipeline.report_data(pipeline.analyze([dump], [config])))
    started: list[YamlAhead] = []

    def always(paths: list[str], max_file_bytes: int, dump: str | None) -> YamlAhead | None:
        ahead = read_ahead(paths, max_file_bytes, min_bytes=0, dump=dump)
        assert ahead is not None
        started.append(ahead)
        return ahead

    monkeypatch.setattr(yaml_ahead, "read_ahead", always)
    forked = render_json(pipeline.report_data(pipeline.analyze([dump], [config])))
    assert started  # the child did the parsing
    assert forked == serial


def test_seeding_lines_before_taking_documents_only_closes() -> None:
    ahead = read_ahead([str(FIXTURES)], DEFAULT_MAX_FILE_BYTES, min_bytes=0)
    assert ahead is not None
    ahead.seed_lines()
    assert ahead._pid is None and ahead._reader.next() is None and not ahead._blocks


def test_taking_documents_from_the_child_imports_no_yaml_parser() -> None:
    # The parsers cost this process tens of milliseconds of imports it never uses.
    code = (
        "import sys\n"
        "from analyzer.load.istio import load_istio\n"
        "from analyzer.load.yaml_ahead import read_ahead\n"
        f"paths = [{str(REPO / 'dumps' / 'sidecar-bookinfo' / 'istio.yaml')!r}]\n"
        "ahead = read_ahead(paths, 1 << 30, min_bytes=0)\n"
        "config = load_istio(paths, ahead=ahead)\n"
        "ahead.close()\n"
        "assert config.objects\n"
        "print(sorted(m for m in ('yaml', 'ryml') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == "[]"
