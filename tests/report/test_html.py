"""HTML format: golden, self-containment, escaping, and the page in a real headless Chromium.

The browser tests drive Debian's chromium over the DevTools protocol with a small stdlib
websocket client (no extra Python dependency); they skip when chromium is not installed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from analyzer.report.html_report import render_html
from tests.conftest import REPO
from tests.report.conftest import build_report, check_golden
from tests.report.test_markdown import HOSTILE_DOMAIN, HOSTILE_MATCH, MARKUP, hostile_report


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # reports quote YAML from paths as given (relative to the repo)


def test_html_golden(report: dict[str, Any]) -> None:
    check_golden("report.html", render_html(report))


def test_html_is_byte_identical_across_runs(report: dict[str, Any]) -> None:
    assert render_html(build_report()) == render_html(report)


def test_html_is_self_contained_and_policy_admits_only_its_own_blocks(
    report: dict[str, Any],
) -> None:
    text = render_html(report)
    assert not re.search(r"\s(src|href|action|srcset)=|url\(|@import|https?://", text)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text)
    assert policy is not None
    (script,) = re.findall(r"<script>(.*?)</script>", text, re.S)
    (style,) = re.findall(r"<style>(.*?)</style>", text, re.S)
    digest = {
        name: base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        for name, body in (("script", script), ("style", style))
    }
    assert policy.group(1) == (
        f"default-src 'none'; style-src 'sha256-{digest['style']}'; "
        f"script-src 'sha256-{digest['script']}'; base-uri 'none'; form-action 'none'"
    )


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_hostile_values_are_text(report: dict[str, Any], tmp_path: Path) -> None:
    parser = _Elements()
    parser.feed(render_html(hostile_report(report, tmp_path)))
    tags = {tag for tag, _ in parser.tags}
    assert tags <= {
        *("html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "h3", "h4"),
        *("h5", "p", "code", "div", "fieldset", "legend", "label", "input", "main", "section"),
        *("dl", "dt", "dd", "span", "article", "ol", "li", "figure", "figcaption", "pre"),
        *("details", "summary", "table", "caption", "thead", "tbody", "tr", "th", "td", "br"),
        "script",
    }
    assert [attrs for tag, attrs in parser.tags if tag == "script"] == [{}]
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    text = "".join(parser.text)
    assert f"virtual_host/http.8080/{HOSTILE_DOMAIN}:80" in text
    assert HOSTILE_MATCH in text and MARKUP in text


# --- headless Chromium over the DevTools protocol -------------------------------------------


def _chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


class _Socket:
    """A websocket client, just enough for the DevTools protocol (text frames, no extensions)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._chunk()
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        assert head.split(b"\r\n")[0].split()[1] == b"101", head

    def _chunk(self) -> bytes:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("DevTools closed the connection")
        return chunk

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            self.buffer += self._chunk()
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        n = len(payload)
        size = bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        if n >= 65536:
            size = bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode]) + size + mask + masked)

    def receive(self) -> str:
        message = b""
        while True:
            first, second = self._read(2)
            n = second & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", self._read(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", self._read(8))
            payload = self._read(n)
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode == 0x9:
                self.send(payload.decode(), opcode=0xA)
                continue
            message += payload
            if first & 0x80 and opcode in (0x0, 0x1):
                return message.decode()


class _Page:
    """One page target: commands, and the events that arrive meanwhile."""

    def __init__(self, url: str) -> None:
        self.socket = _Socket(url)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.receive())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result
            if "method" in message:
                self.events.append(message)
                if message["method"] == "Page.javascriptDialogOpening":  # never left blocking
                    self.socket.send(
                        json.dumps(
                            {
                                "id": 0,
                                "method": "Page.handleJavaScriptDialog",
                                "params": {"accept": True},
                            }
                        )
                    )

    def load(self, path: Path) -> None:
        self.events.clear()
        self.call("Page.navigate", url=path.as_uri())
        deadline = time.monotonic() + 30
        while not any(e["method"] == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, "page did not load"
            self.evaluate("1")

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in reply, reply["exceptionDetails"]
        return reply["result"].get("value")

    def problems(self) -> list[str]:
        """Console errors, uncaught exceptions, error log entries (CSP too), dialogs."""
        self.evaluate("1")  # let pending events arrive
        out = []
        for event in self.events:
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(f"exception: {params['exceptionDetails']}")
            elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
                out.append(f"console.{params['type']}: {params['args']}")
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                out.append(f"log: {params['entry']['text']}")
            elif method == "Page.javascriptDialogOpening":
                out.append(f"dialog: {params['message']}")
        return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Page]:
    binary = _chromium()
    if binary is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's package)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    process = subprocess.Popen(
        [
            binary,
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic"),
            *("--no-first-run", "--disable-background-networking", "--disable-sync"),
            *("--disable-component-update", "--disable-dev-shm-usage"),
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, "chromium exited at start"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as reply:
            targets = json.load(reply)
        (page,) = [t for t in targets if t["type"] == "page"]
        yield _Page(page["webSocketDebuggerUrl"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


_FILTER_PROBE = """(() => {
  const shown = () => Object.fromEntries(["error", "warning", "info"].map(s => [s,
    [...document.querySelectorAll(`#proxy-1 .finding[data-severity="${s}"]`)]
      .filter(e => e.getClientRects().length > 0).length]));
  const box = s => document.querySelector(`input[data-severity="${s}"]`);
  const status = () => document.querySelector("#proxy-1 .filter-status").textContent;
  const out = {initial: shown(), toolbar: !document.querySelector(".toolbar").hidden};
  box("error").click(); out.noErrors = shown(); out.status = status();
  box("warning").click(); out.infoOnly = shown();
  box("error").click(); box("warning").click(); out.restored = shown();
  out.restoredStatus = status();
  return out;
})()"""

_SEARCH_PROBE = """(() => {
  const input = document.querySelector("#proxy-1-search");
  const rows = () => [...document.querySelectorAll("#proxy-1 details.attribution tbody")]
    .filter(e => !e.hidden).length;
  const all = rows();
  input.value = "ServiceEntry/none"; input.dispatchEvent(new Event("input")); const none = rows();
  input.value = "<SCRIPT>alert"; input.dispatchEvent(new Event("input")); const hostile = rows();
  const opened = [...document.querySelectorAll("details.attribution")].filter(d => d.open)
    .map(d => d.dataset.type);
  input.value = ""; input.dispatchEvent(new Event("input"));
  return {all, none, hostile, opened, cleared: rows()};
})()"""


def test_report_renders_in_chromium_without_errors_and_filters(
    browser: _Page, report: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(hostile_report(report, tmp_path)))
    browser.load(page)
    assert browser.problems() == []
    # the hostile strings are text: shown as such, and no element or script came from them
    assert browser.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert browser.evaluate("document.scripts.length") == 1
    assert browser.evaluate("document.body.innerText").count(HOSTILE_DOMAIN) >= 1
    dom = browser.evaluate("document.documentElement.outerHTML")
    assert "<script>alert" not in dom and "<img src=x" not in dom
    assert HOSTILE_MATCH.replace("<", "&lt;").replace(">", "&gt;") in dom
    # severity filters hide and show finding rows
    result = browser.evaluate(_FILTER_PROBE)
    assert result["toolbar"] is True
    assert result["initial"] == {"error": 2, "warning": 1, "info": 1}
    assert result["noErrors"] == {"error": 0, "warning": 1, "info": 1}
    assert result["status"] == "Showing 2 of 4 findings (severity filter)."
    assert result["infoOnly"] == {"error": 0, "warning": 0, "info": 1}
    assert result["restored"] == {"error": 2, "warning": 1, "info": 1}
    assert result["restoredStatus"] == ""
    # the attribution search narrows the tables (the hostile vhost and routes match as text)
    search = browser.evaluate(_SEARCH_PROBE)
    assert search["all"] == 15 and search["cleared"] == 15 and search["none"] == 0
    assert search["hostile"] == 2
    assert search["opened"] == ["virtual_host", "route"]
    assert browser.problems() == []


def test_golden_report_renders_in_chromium_without_errors(
    browser: _Page, report: dict[str, Any], tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(report))
    browser.load(page)
    assert browser.problems() == []
    assert browser.evaluate("document.querySelectorAll('.finding').length") == 3
    assert HOSTILE_DOMAIN in browser.evaluate("document.body.innerText")
    assert browser.evaluate("document.querySelectorAll('img, script').length") == 1


def test_browser_check_sees_a_policy_violation(
    browser: _Page, report: dict[str, Any], tmp_path: Path
) -> None:
    """The error capture works: a script the policy does not admit is reported, not run."""
    page = tmp_path / "tampered.html"
    text = render_html(report).replace("<script>", "<script>document.title = 'ran';", 1)
    page.write_text(text)
    browser.load(page)
    problems = browser.problems()
    assert problems and all("Content Security Policy" in p for p in problems), problems
    assert browser.evaluate("document.title") != "ran"
    assert browser.evaluate("document.querySelector('.toolbar').hidden") is True


def test_redacted_report_quotes_no_yaml(report: dict[str, Any]) -> None:
    """The YAML files on disk are not redacted: a redacted report must not quote them."""
    from analyzer.redact import redact_report

    text = render_html(redact_report(report))
    assert "<pre>" not in text and "apiVersion" not in text
    assert '<p class="note">Redacted: values replaced by placeholders (' in text
