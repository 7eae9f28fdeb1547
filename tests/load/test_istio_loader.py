"""The Istio YAML loader: documents, lists, directories, lines of rules, bad input, schema problems.

Expected line numbers never come from the loader: fixtures carry trailing ``#@ Kind/name path``
comments (the line a rule path must map to) and ``#! path | message`` comments (a schema problem
reported on that line), and the tests read those comments from the fixture text.
"""

from __future__ import annotations

import gc
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from analyzer.errors import InputError
from analyzer.load.istio import load_istio
from analyzer.model.istio import (
    GATEWAY_API,
    ISTIO_NETWORKING,
    IstioConfig,
    IstioObject,
    IstioRef,
    Origin,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "istio"
MESH = FIXTURES / "mesh.yaml"
UPSTREAM = Path(__file__).parents[2].parent / "shared" / "dumps" / "upstream"

_RULE_MARK = re.compile(r"#@ (?P<kind>\w+)/(?P<name>\S+) (?P<path>\S+)\s*$")
_PROBLEM_MARK = re.compile(r"#! (?P<path>\S+)(?: \| (?P<message>.*?))?\s*$")


def rule_marks(path: Path) -> list[tuple[str, str, str, int]]:
    """(kind, name, rule path, line) for every ``#@`` comment in a fixture."""
    marks = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        found = _RULE_MARK.search(line)
        if found:
            marks.append((found["kind"], found["name"], found["path"], number))
    return marks


def problem_marks(path: Path) -> set[tuple[int, str, str]]:
    """(line, field path, message start) for every ``#!`` comment in a fixture."""
    marks = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        found = _PROBLEM_MARK.search(line)
        if found:
            marks.add((number, found["path"], found["message"] or ""))
    return marks


def document_starts(path: Path) -> list[int]:
    """Lines where a top-level document starts with ``apiVersion:``."""
    lines = path.read_text().splitlines()
    return [n for n, line in enumerate(lines, start=1) if line.startswith("apiVersion:")]


def only(config: IstioConfig, kind: str, name: str, group: str | None = None) -> IstioObject:
    matches = [o for o in config.by_kind(kind, group) if o.name == name]
    assert len(matches) == 1, f"{kind}/{name}: {matches}"
    return matches[0]


@pytest.fixture(scope="module")
def mesh() -> IstioConfig:
    return load_istio([str(MESH)])


# --- documents, kinds, identity ----------------------------------------------------------------


def test_multi_document_file_loads_every_kept_kind_in_order(mesh: IstioConfig) -> None:
    assert [str(o.ref) for o in mesh.objects] == [
        "Gateway/istio-system/bookinfo-gateway",
        "VirtualService/bookinfo/reviews",
        "DestinationRule/bookinfo/reviews",
        "ServiceEntry/bookinfo/external-api",
        "Sidecar/bookinfo/default",
        "EnvoyFilter/bookinfo/lua-header",
        "WorkloadEntry/bookinfo/vm-1",
        "PeerAuthentication/bookinfo/strict",
        "Service/bookinfo/reviews",
        "Deployment/bookinfo/reviews-v2",
        "Pod/bookinfo/ratings-v1-abc12",
        "Namespace/bookinfo",
        "Gateway/istio-system/bookinfo-gateway",
        "HTTPRoute/bookinfo/ratings",
    ]
    assert mesh.files == (str(MESH),)
    assert mesh.problems == ()


def test_objects_start_on_their_first_line(mesh: IstioConfig) -> None:
    starts = sorted([o.origin.line for o in mesh.objects] + [s.origin.line for s in mesh.skipped])
    assert starts == document_starts(MESH)
    assert all(o.origin.file == str(MESH) for o in mesh.objects)


def test_spec_is_the_plain_value_safe_load_gives(mesh: IstioConfig) -> None:
    docs = [d for d in yaml.safe_load_all(MESH.read_text()) if d]
    by_ref = {(d["kind"], d["metadata"]["name"], d["apiVersion"]): d for d in docs}
    for obj in mesh.objects:
        if obj.kind in ("Deployment", "Pod"):
            continue
        doc = by_ref[(obj.kind, obj.name, obj.api_version)]
        assert obj.spec == doc.get("spec", {}), obj.ref


def test_identity_fields(mesh: IstioConfig) -> None:
    vs = only(mesh, "VirtualService", "reviews")
    assert (vs.api_version, vs.group, vs.version) == (
        "networking.istio.io/v1beta1",
        ISTIO_NETWORKING,
        "v1beta1",
    )
    assert vs.ref == IstioRef("VirtualService", "bookinfo", "reviews")
    assert vs.labels == {"app": "reviews"}
    assert vs.annotations == {"team": "reviews"}
    assert vs.creation_timestamp is None
    dr = only(mesh, "DestinationRule", "reviews")
    assert (dr.version, dr.creation_timestamp) == ("v1alpha3", "2024-03-01T10:00:00Z")
    pa = only(mesh, "PeerAuthentication", "strict")
    assert (pa.group, pa.spec["mtls"]) == ("security.istio.io", {"mode": "STRICT"})
    service = only(mesh, "Service", "reviews")
    assert (service.group, service.version) == ("", "v1")
    assert str(Origin("a.yaml", 3)) == "a.yaml:3"


def test_namespace_defaults_and_cluster_scope(tmp_path: Path) -> None:
    path = tmp_path / "ns.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\n"
        "metadata:\n  name: no-ns\nspec:\n  host: a\n"
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  namespace: ignored\n"
    )
    config = load_istio([str(path)])
    dr, namespace = config.objects
    assert (dr.namespace, dr.namespace_given) == ("default", False)
    assert (namespace.namespace, namespace.namespace_given) == ("", False)
    assert str(namespace.ref) == "Namespace/shop"


def test_gateway_kind_is_told_apart_by_group(mesh: IstioConfig) -> None:
    istio = mesh.get("Gateway", "istio-system", "bookinfo-gateway")
    k8s = mesh.get("Gateway", "istio-system", "bookinfo-gateway", group=GATEWAY_API)
    assert istio is not None and k8s is not None and istio is not k8s
    assert (istio.group, k8s.group) == (ISTIO_NETWORKING, GATEWAY_API)
    assert mesh.by_kind("Gateway") == (istio,)
    assert mesh.by_kind("Gateway", GATEWAY_API) == (k8s,)
    assert [o.name for o in mesh.by_kind("HTTPRoute")] == ["ratings"]
    assert mesh.get("VirtualService", "bookinfo", "nope") is None


def test_other_kinds_are_listed_as_skipped(mesh: IstioConfig) -> None:
    skipped = [(s.kind, s.name, s.reason) for s in mesh.skipped]
    assert skipped == [
        ("ConfigMap", "istio-settings", "kind not used by meshlens"),
        ("AuthorizationPolicy", "deny-all", "kind not used by meshlens"),
        ("Telemetry", "mesh-default", "kind not used by meshlens"),
    ]
    text = MESH.read_text().splitlines()
    for item in mesh.skipped:
        assert item.origin.file == str(MESH)
        assert text[item.origin.line] == f"kind: {item.kind}"  # the line after apiVersion


def test_unserved_version_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v2\nkind: VirtualService\nmetadata:\n  name: a\n"
        "---\napiVersion: networking.istio.io/v1\nkind: EnvoyFilter\nmetadata:\n  name: b\n"
        "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: c\nspec:\n  ports:\n  - port: 80\n"
    )
    config = load_istio([str(path)])
    assert [o.name for o in config.objects] == ["c"]
    assert [(s.kind, s.origin.line) for s in config.skipped] == [
        ("VirtualService", 1),
        ("EnvoyFilter", 6),
    ]
    assert "expected v1, v1alpha3, v1beta1" in config.skipped[0].reason
    assert "expected v1alpha3" in config.skipped[1].reason


def test_workloads_keep_only_pod_labels(mesh: IstioConfig) -> None:
    deployment = only(mesh, "Deployment", "reviews-v2", "apps")
    assert deployment.spec == {"labels": {"app": "reviews", "version": "v2"}}
    assert deployment.labels == {"app": "reviews"}
    pod = only(mesh, "Pod", "ratings-v1-abc12", "")
    assert pod.spec == {"labels": {"app": "ratings", "version": "v1"}}
    assert [o.kind for o in mesh.workloads()] == ["Deployment", "Pod"]
    assert not any(p.startswith("spec.template") for p in deployment.paths)


def test_duplicates_keep_both_objects(tmp_path: Path) -> None:
    doc = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: d\n"
    (tmp_path / "a.yaml").write_text(doc + "spec:\n  host: first\n")
    (tmp_path / "b.yaml").write_text(doc + "spec:\n  host: second\n")
    config = load_istio([str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    assert len(config.objects) == 2
    [(first, later)] = config.duplicates()
    assert (first.spec["host"], later.spec["host"]) == ("first", "second")
    found = config.get("DestinationRule", "default", "d")
    assert found is not None and found.spec["host"] == "second"  # as `kubectl apply` would leave it


def test_an_object_given_three_times_pairs_each_later_copy_with_the_first(tmp_path: Path) -> None:
    doc = "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: d\n"
    paths = []
    for host in ("first", "second", "third"):
        (tmp_path / f"{host}.yaml").write_text(doc + f"spec:\n  host: {host}\n")
        paths.append(str(tmp_path / f"{host}.yaml"))
    config = load_istio(paths)
    pairs = [(a.spec["host"], b.spec["host"]) for a, b in config.duplicates()]
    assert pairs == [("first", "second"), ("first", "third")]
    # Completing the schema problems later keeps them.
    assert config.with_problems(()).duplicates() == config.duplicates()


# --- lines of rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["mesh.yaml", "kubectl-list.yaml", "helm-output.yaml"], ids=lambda f: f
)
def test_rule_paths_map_to_their_lines(fixture: str) -> None:
    path = FIXTURES / fixture
    config = load_istio([str(path)])
    marks = rule_marks(path)
    assert marks
    for kind, name, rule, line in marks:
        obj = only(config, kind, name)
        assert obj.paths.get(rule) == line, (kind, name, rule)
        assert obj.line_of(rule) == line
        assert obj.origin_of(rule) == Origin(str(path), line)


def test_every_key_and_item_under_spec_is_recorded(mesh: IstioConfig) -> None:
    vs = only(mesh, "VirtualService", "reviews")
    expected = {
        "spec.http[1].retries.perTryTimeout",
        "spec.http[1].fault.delay.percentage.value",
        "spec.gateways[1]",
        "spec.tcp[0].match[0].port",
    }
    assert expected <= set(vs.paths)
    text = MESH.read_text().splitlines()
    assert text[vs.paths["spec.gateways[1]"] - 1].strip() == "- istio-system/bookinfo-gateway"


def test_line_of_falls_back_to_the_nearest_recorded_parent(mesh: IstioConfig) -> None:
    vs = only(mesh, "VirtualService", "reviews")
    assert (
        vs.line_of("spec.http[1].route[0].destination.nope")
        == vs.paths["spec.http[1].route[0].destination"]
    )
    assert vs.line_of("spec.http[7].match[0]") == vs.paths["spec.http"]
    assert vs.line_of("status.anything") == vs.origin.line
    assert vs.line_of("") == vs.origin.line


# --- lists, Helm output, status ------------------------------------------------------------------


def test_kubectl_list_items_keep_their_own_lines_without_status() -> None:
    path = FIXTURES / "kubectl-list.yaml"
    config = load_istio([str(path)])
    assert [str(o.ref) for o in config.objects] == [
        "VirtualService/bookinfo/ratings",
        "DestinationRule/bookinfo/ratings",
    ]
    lines = path.read_text().splitlines()
    item_starts = [n for n, line in enumerate(lines, 1) if line.startswith("- apiVersion:")]
    assert [o.origin.line for o in config.objects] == item_starts
    vs = config.objects[0]
    assert vs.creation_timestamp == "2024-05-02T08:00:00Z"
    assert not any(p.startswith(("status", "metadata.managedFields")) for p in vs.paths)
    assert vs.spec["http"][1]["directResponse"] == {"status": 200}
    assert config.problems == ()


def test_typed_api_list_items_inherit_kind_and_version() -> None:
    path = FIXTURES / "typed-list.json"
    config = load_istio([str(path)])
    assert [str(o.ref) for o in config.objects] == [
        "VirtualService/bookinfo/productpage",
        "VirtualService/bookinfo/details",
    ]
    assert {o.api_version for o in config.objects} == {"networking.istio.io/v1"}
    lines = path.read_text().splitlines()
    assert [o.origin.line for o in config.objects] == [
        n for n, line in enumerate(lines, 1) if line.strip() == "{"
    ][1:]


def test_helm_output_with_source_comments_and_empty_documents() -> None:
    path = FIXTURES / "helm-output.yaml"
    config = load_istio([str(path)])
    assert [str(o.ref) for o in config.objects] == [
        "Service/default/details",
        "VirtualService/default/details",
        "DestinationRule/default/details",
    ]
    assert config.skipped == ()
    assert [o.origin.line for o in config.objects] == document_starts(path)


def test_yaml_values_follow_safe_load(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: v\n"
        "spec:\n  host: v\n  x-base: &base\n    maxConnections: 0x10\n    octal: 010\n"
        "  trafficPolicy:\n    connectionPool:\n      tcp:\n        <<: *base\n"
        "        flag: yes\n        ratio: 1_000.5\n        empty:\n        ts: 2024-01-01\n"
    )
    config = load_istio([str(path)])
    tcp = config.objects[0].spec["trafficPolicy"]["connectionPool"]["tcp"]
    expected = yaml.safe_load(path.read_text())["spec"]["trafficPolicy"]["connectionPool"]["tcp"]
    expected["ts"] = "2024-01-01"  # timestamps stay text, as in the Kubernetes API
    assert tcp == expected
    assert tcp["maxConnections"] == 16 and tcp["octal"] == 8 and tcp["flag"] is True
    messages = {p.path: p.message for p in config.problems}
    assert messages["spec.x-base"].startswith("unknown field 'x-base'")


def test_pure_python_parser_gives_the_same_result(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fast = load_istio([str(MESH)])
    monkeypatch.setitem(sys.modules, "yaml._yaml", None)  # as if PyYAML had no libyaml
    slow = load_istio([str(MESH)])
    assert [(o.ref, o.spec, dict(o.paths)) for o in slow.objects] == [
        (o.ref, o.spec, dict(o.paths)) for o in fast.objects
    ]
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: Service\nspec:\n  ports: [1, 2\n")
    with pytest.raises(InputError) as caught:
        load_istio([str(broken)])
    assert (caught.value.path, caught.value.line) == (str(broken), 4)


# --- directories -------------------------------------------------------------------------------


def test_directory_is_walked_recursively_in_sorted_order() -> None:
    tree = FIXTURES / "tree"
    config = load_istio([str(tree)])
    assert [str(o.ref) for o in config.objects] == [
        "Namespace/shop",
        "VirtualService/shop/cart",
        "Gateway/shop/shop-gateway",
    ]
    assert config.files == (
        str(tree / "00-namespace.yml"),
        str(tree / "team-a" / "deeper" / "cart.json"),
        str(tree / "team-a" / "gateway.yaml"),
        str(tree / "team-b" / "placeholder.yaml"),
    )
    assert [o.origin.file for o in config.objects] == list(config.files[:3])
    assert [(s.origin.file, s.reason) for s in config.skipped] == [
        (str(tree / "team-b" / "placeholder.yaml"), "file holds only comments")
    ]


def test_directory_lists_non_kubernetes_files_as_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    (tmp_path / "dump.json").write_text(json.dumps({"configs": [{"@type": "x"}]}))
    (tmp_path / "empty.yml").write_text("")
    (tmp_path / "values.yaml").write_text("replicaCount: 2\n")
    config = load_istio([str(tmp_path)])
    assert [o.name for o in config.objects] == ["a"]
    reasons = {Path(s.origin.file).name: s.reason for s in config.skipped}
    assert reasons == {
        "dump.json": "looks like an Envoy config dump, not Istio YAML",
        "empty.yml": "file is empty",
        "values.yaml": "not a Kubernetes object: no apiVersion and kind",
    }


def test_directory_without_yaml_files_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as caught:
        load_istio([str(tmp_path)])
    assert caught.value.path == str(tmp_path)
    assert "no *.yaml, *.yml or *.json files" in caught.value.reason


def test_directory_with_nothing_usable_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n")
    (tmp_path / "blank.yaml").write_text("\n")
    with pytest.raises(InputError) as caught:
        load_istio([str(tmp_path)])
    assert caught.value.path == str(tmp_path)
    assert "no usable Kubernetes objects in 2 YAML/JSON files" in caught.value.reason
    assert "ConfigMap" in caught.value.reason


# --- bad input ---------------------------------------------------------------------------------


def _alias_bomb() -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return ("\n".join(lines) + "\n").encode()


def _deep_block(levels: int) -> bytes:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(levels)).encode() + b"  " * levels + b"x\n"


_ENVOY_DUMP = json.dumps({"configs": [{"@type": "type.googleapis.com/envoy.admin.v3.X"}]})

# name, file bytes, expected reason fragment, expected line (None: no line)
BAD_INPUTS: list[tuple[str, bytes, str, int | None]] = [
    ("empty", b"", "file is empty", None),
    ("whitespace", b"  \n\n\t\n", "file is empty", None),
    ("comments-only", b"# nothing\n# here\n", "file holds only comments", None),
    ("empty-documents", b"---\n---\n...\n", "file holds only empty documents", None),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data", 3),
    ("not-utf8", b"apiVersion: v1\nkind: Service\nmetadata:\n  name: caf\xe9\n", "not UTF-8", 4),
    ("truncated-yaml", b"kind: Service\nspec:\n  ports: [1, 2\n", "not valid YAML", 3),
    ("truncated-json", b'{"kind": "Service",\n "spec": {"ports": [1, 2', "not valid YAML", 2),
    ("tab-indent", b"apiVersion: v1\nkind: Service\nmetadata:\n\tname: x\n", "not valid YAML", 4),
    ("envoy-dump-json", _ENVOY_DUMP.encode(), "looks like an Envoy config dump", None),
    ("envoy-dump-yaml", b"configs:\n- '@type': type.googleapis.com/x\n", "Envoy config dump", 1),
    ("proxy-config-output", b"- name: 0.0.0.0_80\n  filterChains: []\n", "proxy-config", 1),
    ("plain-text", b"hello world\n", "not a Kubernetes object: the document is a string", 1),
    ("yaml-list", b"- a\n- b\n", "not a Kubernetes object: the document is a list", 1),
    ("alias-bomb", _alias_bomb(), "alias bomb", 7),
    ("recursive-alias", b"a: &x [1, *x]\n", "alias *x refers to itself", 1),
    ("undefined-alias", b"a: 1\nb: *nope\n", "alias *nope is not defined", 2),
    ("deep-flow-nesting", b"a: " + b"[" * 100_000, "nested more than 200 levels", 1),
    ("deep-block-nesting", _deep_block(300), "nested more than 200 levels", 201),
    ("unknown-tag", b"apiVersion: v1\nkind: !Custom Service\n", "unsupported YAML tag", 2),
    ("complex-key", b"? [a, b]\n: c\n", "complex (non-scalar) mapping keys", 1),
]


@pytest.mark.parametrize(
    ("name", "data", "reason", "line"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_one_clear_error(
    tmp_path: Path, name: str, data: bytes, reason: str, line: int | None
) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_istio([str(path)])
    error = caught.value
    assert error.path == str(path)
    assert reason in error.reason
    assert error.line == line
    assert str(error).startswith(f"{path}:{line}: " if line else f"{path}: ")
    assert "\n" not in error.one_line()
    # No chained traceback: the YAML/Unicode error is replaced, not wrapped.
    assert error.__cause__ is None and (error.__suppress_context__ or error.__context__ is None)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(InputError) as caught:
        load_istio([str(MESH), missing])
    assert (caught.value.path, caught.value.reason) == (missing, "no such file or directory")
    assert gc.isenabled()  # paused while loading, restored even on error


def test_file_over_the_size_limit_is_an_error() -> None:
    with pytest.raises(InputError) as caught:
        load_istio([str(MESH)], max_file_bytes=1000)
    assert caught.value.path == str(MESH)
    assert "over the 1,000-byte limit" in caught.value.reason


def test_named_file_with_some_non_kubernetes_documents_loads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text("just: values\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n")
    config = load_istio([str(path)])
    assert [o.name for o in config.objects] == ["a"]
    assert [(s.origin.line, s.reason) for s in config.skipped] == [
        (1, "not a Kubernetes object: no apiVersion and kind")
    ]


def test_object_without_name_is_a_problem_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "noname.yaml"
    path.write_text(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n"
        "  namespace: a\n  labels:\n    tier: 3\nspec:\n  hosts: [x]\n"
    )
    config = load_istio([str(path)])
    assert config.objects == ()
    [problem] = config.problems
    assert (problem.path, problem.origin.line) == ("metadata.name", 3)
    assert problem.ref == IstioRef("VirtualService", "a", "")


# --- schema problems ---------------------------------------------------------------------------


SCHEMA_FIXTURES = sorted((FIXTURES / "schema").glob("*.yaml"))


@pytest.mark.parametrize("path", SCHEMA_FIXTURES, ids=lambda p: p.stem)
def test_schema_problems_are_reported_at_the_field(path: Path) -> None:
    config = load_istio([str(path)])
    expected = problem_marks(path)
    assert expected, "fixture has no #! marks"
    found = {(p.origin.line, p.path): p.message for p in config.problems}
    assert set(found) == {(line, field) for line, field, _ in expected}
    for line, field, message in expected:
        assert found[(line, field)].startswith(message), (line, field, found[(line, field)])
    assert all(p.origin.file == str(path) for p in config.problems)
    assert len(config.objects) == len(document_starts(path))


def test_problem_carries_the_object_reference() -> None:
    config = load_istio([str(FIXTURES / "schema" / "unknown-field.yaml")])
    assert {p.ref for p in config.problems} == {IstioRef("VirtualService", "shop", "typo")}


def test_protobuf_field_spelling_is_accepted() -> None:
    config = load_istio([str(FIXTURES / "schema" / "unknown-field.yaml")])
    assert not any("per_try_timeout" in p.path for p in config.problems)


@pytest.mark.parametrize(
    "fixture", ["mesh.yaml", "kubectl-list.yaml", "typed-list.json", "helm-output.yaml"]
)
def test_clean_fixtures_have_no_problems(fixture: str) -> None:
    assert load_istio([str(FIXTURES / fixture)]).problems == ()


# --- real-world input: ../shared/dumps/upstream ------------------------------------------------


def _upstream_problems() -> dict[str, set[tuple[str, str]]]:
    """Expected problems per upstream file, each justified in the fixture's comments."""
    data = yaml.safe_load((FIXTURES / "upstream-problems.yaml").read_text())
    return {name: {(ref, path) for ref, path in pairs} for name, pairs in data.items()}


def _upstream_yaml() -> list[Any]:
    if not UPSTREAM.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{UPSTREAM} not present"))]
    return sorted(UPSTREAM.glob("*.yaml"))


def _is_envoy_dump(docs: list[Any]) -> bool:
    return len(docs) == 1 and isinstance(docs[0], dict) and "configs" in docs[0]


@pytest.mark.parametrize("path", _upstream_yaml(), ids=lambda p: p.name if p else "absent")
def test_upstream_yaml_loads_with_independent_counts(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    if _is_envoy_dump(docs):
        with pytest.raises(InputError, match="looks like an Envoy config dump"):
            load_istio([str(path)])
        return
    config = load_istio([str(path)])
    kinds = Counter(d["kind"] for d in docs)
    assert len(config.objects) + len(config.skipped) == sum(kinds.values())
    assert (
        Counter(o.kind for o in config.objects) + Counter(s.kind for s in config.skipped) == kinds
    )
    found = {(str(p.ref), p.path) for p in config.problems}
    assert found == _upstream_problems().get(path.name, set())


def test_upstream_directory_skips_the_envoy_dumps() -> None:
    if not UPSTREAM.is_dir():
        pytest.skip(f"{UPSTREAM} not present")
    config = load_istio([str(UPSTREAM)])
    json_files = sorted(UPSTREAM.glob("*.json"))
    skipped_files = {s.origin.file for s in config.skipped if "Envoy" in s.reason}
    assert {str(p) for p in json_files} <= skipped_files
    assert len(config.objects) > 100
