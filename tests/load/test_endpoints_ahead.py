"""A capture whose endpoints section another process read loads exactly as one read whole."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

import orjson
import pytest

from analyzer import pipeline
from analyzer.errors import InputError
from analyzer.load import endpoints_ahead, yaml_ahead, yaml_channel
from analyzer.load.dump_sections import admin_sections
from analyzer.load.endpoints_ahead import EndpointsAhead, answer_claim, file_stamp
from analyzer.load.envoy import load_proxies
from analyzer.load.yaml_ahead import YamlAhead, read_ahead
from analyzer.model.envoy import Proxy
from analyzer.report.json_report import render_json

REPO = Path(__file__).resolve().parents[2]
BOOKINFO = REPO / "dumps" / "sidecar-bookinfo"
EDS = "type.googleapis.com/envoy.admin.v3.EndpointsConfigDump"


def _write(path: Path, configs: list[Any]) -> str:
    path.write_bytes(orjson.dumps({"configs": configs}, option=orjson.OPT_INDENT_2))
    return str(path)


def _assignment(cluster: str, *addresses: str, health: str = "HEALTHY") -> dict[str, Any]:
    endpoints = [
        {
            "endpoint": {"address": {"socket_address": {"address": a, "port_value": 80}}},
            "health_status": health,
        }
        for a in addresses
    ]
    assignment = {"cluster_name": cluster, "endpoints": [{"lb_endpoints": endpoints}]}
    return {"endpoint_config": assignment}


@pytest.fixture
def mixed_dump(tmp_path: Path) -> str:
    """Endpoints and unreadable entries both before and after the endpoints section."""
    configs = orjson.loads((BOOKINFO / "config_dump.json").read_bytes())["configs"]
    section = next(c for c in configs if c["@type"] == EDS)
    configs.remove(section)
    section["dynamic_endpoint_configs"].append({"endpoint_config": {"endpoints": 7}})
    first = {"@type": EDS + ".StaticEndpointConfig", **_assignment("first", "10.1.1.1")}
    unreadable = {
        "@type": EDS + ".DynamicEndpointConfig",
        "endpoint_config": {"cluster_name": "x", "endpoints": 7},
    }
    last = {"@type": EDS + ".StaticEndpointConfig", **_assignment("last", "10.9.9.9")}
    before = [first, unreadable]
    return _write(tmp_path / "mixed.json", [*before, section, *configs, unreadable, last])


def _state(proxy: Proxy) -> tuple[Any, ...]:
    return (proxy.endpoints, proxy.skipped, proxy.endpoints_captured, proxy.clusters)


def _deferred(path: str, answer: Any = None) -> tuple[Proxy, EndpointsAhead]:
    """The capture at ``path`` loaded with its endpoints claimed; ``answer`` stands for the
    child's (by default the child's code answers the claim, here)."""
    claims_in, claims_out = os.pipe()

    def child() -> bytes | None:
        return answer_claim(claims_in)

    ahead = EndpointsAhead(path, claims_out, child if answer is None else answer)
    proxies = load_proxies([path], ahead)
    assert len(proxies) == 1
    return proxies[0], ahead


def _answer_for(path: str) -> bytes:
    """What the child answers about the whole of another capture's endpoints section."""
    data = Path(path).read_bytes()
    section = next(s for s in admin_sections(data) or () if s.name == "EndpointsConfigDump")
    claims_in, claims_out = os.pipe()
    os.write(claims_out, pickle.dumps((path, file_stamp(path), section)))
    os.close(claims_out)
    return answer_claim(claims_in)


def test_the_child_s_endpoints_go_where_the_whole_parse_puts_them(mixed_dump: str) -> None:
    whole = load_proxies([mixed_dump])[0]
    proxy, ahead = _deferred(mixed_dump)
    assert proxy.endpoints_captured
    assert len(proxy.endpoints) < len(whole.endpoints)  # the section was left out
    ahead.fill([proxy])
    assert _state(proxy) == _state(whole)
    assert len(whole.skipped) == 3
    assert (whole.endpoints[0].cluster, whole.endpoints[-1].cluster) == ("first", "last")


def test_waiting_for_the_yaml_long_enough_reads_the_section_here(mixed_dump: str) -> None:
    whole = load_proxies([mixed_dump])[0]
    proxy, ahead = _deferred(mixed_dump, lambda: pytest.fail("asked the child"))
    ahead.idle(0.0)  # no wait to fill: still the child's
    assert ahead._here is None and ahead._claims is not None
    ahead.idle(60.0)
    assert ahead._here is not None and ahead._claims is None  # the child was told: nothing
    ahead.fill([proxy])
    assert _state(proxy) == _state(whole)


def test_the_child_is_told_nothing_when_the_section_was_read_here(mixed_dump: str) -> None:
    claims_in, claims_out = os.pipe()
    ahead = EndpointsAhead(mixed_dump, claims_out, lambda: None)
    load_proxies([mixed_dump], ahead)
    ahead.idle(60.0)
    ahead.release()
    assert answer_claim(claims_in) == b""  # the pipe closed without a claim


def test_the_wait_is_judged_from_the_child_s_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_ahead.time, "monotonic", lambda: 110.0)
    # Began at 100 s, a quarter done after 10 s: 30 s to go.
    assert yaml_ahead._seconds_left(100.0, 250, 1000) == pytest.approx(30.0)
    assert yaml_ahead._seconds_left(100.0, 0, 1000) == 0.0  # nothing to judge by yet


@pytest.mark.parametrize("answer", [None, b"", b"not a pickle"], ids=["gone", "empty", "garbage"])
def test_without_an_answer_this_process_reads_the_section(mixed_dump: str, answer: Any) -> None:
    whole = load_proxies([mixed_dump])[0]
    proxy, ahead = _deferred(mixed_dump, lambda: answer)
    ahead.fill([proxy])
    assert _state(proxy) == _state(whole)


def test_an_answer_about_another_file_is_not_taken(mixed_dump: str, tmp_path: Path) -> None:
    other = str(tmp_path / "other.json")
    Path(other).write_bytes(Path(mixed_dump).read_bytes())
    whole = load_proxies([mixed_dump])[0]
    answer = _answer_for(other)
    assert answer
    proxy, ahead = _deferred(mixed_dump, lambda: answer)
    ahead.fill([proxy])
    assert _state(proxy) == _state(whole)


def test_a_capture_changed_before_its_endpoints_were_read_is_an_input_error(
    mixed_dump: str,
) -> None:
    proxy, ahead = _deferred(mixed_dump, lambda: None)
    stat = os.stat(mixed_dump)
    os.utime(mixed_dump, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    with pytest.raises(InputError, match="changed while being read"):
        ahead.fill([proxy])


def test_bad_json_in_the_endpoints_section_fails_as_the_whole_parse_does(tmp_path: Path) -> None:
    text = (BOOKINFO / "config_dump.json").read_bytes()
    at = text.index(b'"cluster_name"', text.index(EDS.encode()))
    broken = tmp_path / "broken.json"
    broken.write_bytes(text[:at] + b"{" + text[at:])
    with pytest.raises(InputError) as whole:
        load_proxies([str(broken)])
    proxy, ahead = _deferred(str(broken))
    with pytest.raises(InputError) as deferred:
        ahead.fill([proxy])
    assert str(deferred.value) == str(whole.value)


@pytest.mark.parametrize("layout", ["bom", "non-admin-section"])
def test_captures_the_splitter_cannot_read_are_parsed_whole(tmp_path: Path, layout: str) -> None:
    configs = orjson.loads((BOOKINFO / "config_dump.json").read_bytes())["configs"]
    path = tmp_path / "capture.json"
    if layout == "bom":  # the bytes parsed are not the file's
        path.write_bytes(b"\xef\xbb\xbf" + orjson.dumps({"configs": configs}))
    else:
        bare = {"@type": "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment"}
        _write(path, [*configs, {**bare, "cluster_name": "c", "endpoints": []}])
    proxy, ahead = _deferred(str(path), lambda: pytest.fail("asked the child"))
    ahead.fill([proxy])
    assert _state(proxy) == _state(load_proxies([str(path)])[0])
    assert proxy.endpoints


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_the_analysis_takes_the_endpoints_from_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configs = orjson.loads((BOOKINFO / "config_dump.json").read_bytes())["configs"]
    section = next(c for c in configs if c["@type"] == EDS)
    for entry in section["dynamic_endpoint_configs"]:  # reviews has no usable endpoint
        if "|reviews." in entry["endpoint_config"]["cluster_name"]:
            for group in entry["endpoint_config"]["endpoints"]:
                for endpoint in group["lb_endpoints"]:
                    endpoint["health_status"] = "UNHEALTHY"
    dump = _write(tmp_path / "config_dump.json", configs)
    config = str(BOOKINFO / "istio.yaml")
    serial = render_json(pipeline.report_data(pipeline.analyze([dump], [config])))
    assert '"ML0403"' in serial

    def always(paths: list[str], max_file_bytes: int, dump: str | None) -> YamlAhead | None:
        return read_ahead(paths, max_file_bytes, min_bytes=0, dump=dump)

    def never(*_: Any) -> None:
        raise AssertionError("read here, not by the child")

    monkeypatch.setattr(yaml_ahead, "read_ahead", always)
    monkeypatch.setattr(endpoints_ahead, "_read_here", never)
    forked = render_json(pipeline.report_data(pipeline.analyze([dump], [config])))
    assert forked == serial

    # A child slow enough to wait for: this process reads the endpoints while waiting.
    monkeypatch.setattr(yaml_ahead, "_seconds_left", lambda *_: 60.0)
    monkeypatch.setattr(yaml_channel.Reader, "ready", lambda _: False)
    read_here: list[bool] = []
    original = endpoints_ahead._read_section

    def counted(claim: Any) -> Any:
        read_here.append(True)
        return original(claim)

    monkeypatch.setattr(endpoints_ahead, "_read_section", counted)
    waited = render_json(pipeline.report_data(pipeline.analyze([dump], [config])))
    assert waited == serial and read_here == [True]
