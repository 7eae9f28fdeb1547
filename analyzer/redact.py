"""Redaction for tickets: ``analyze --redact`` (the report) and, in ``redact_dump``, the capture.

``redact_report`` rewrites every string of the report but its file paths with one mapping (see
``redact_core``): IP addresses, hostnames outside the mesh, certificate material. Hostnames are
taken from where the report is sure of them (virtual host and route ids, the host inside Istio
cluster names and SNIs) and, in the free text of findings (message, expected, found, symptom),
from lowercase dotted names that look like DNS names and are none of Envoy's or Istio's own
names (``envoy.*``, ``istio.*``, ``*.istio.io``, ``type.googleapis.com``, file names). Resource
ids, chains and messages are rewritten alike, so they still refer to each other. The result
gains ``redaction: {"kinds": {kind: distinct values replaced}}``.
"""

from __future__ import annotations

import re
from typing import Any

from analyzer.redact_core import Redactor

# Fields holding paths as given on the command line: kept, so the files can still be found.
_PATH_KEYS = frozenset({"file", "inputs"})
_FREE_TEXT_KEYS = frozenset({"message", "expected", "found", "symptom"})
_VHOST_IN_ID = re.compile(r"(?:virtual_host|route)/[^/\s]+/([^/\s]+)")
_DNS_NAME = re.compile(
    r"(?<![A-Za-z0-9_.-])\*?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    r"(?![A-Za-z0-9_-]|\.[A-Za-z0-9])"
)
_NOT_HOST_FIRST = frozenset({"envoy", "istio", "type", "spec", "metadata", "status", "google"})
_NOT_HOST_SUFFIX = (
    ".istio.io",
    ".k8s.io",
    ".kubernetes.io",
    ".googleapis.com",
    "istio.io",
    "k8s.io",
    "kubernetes.io",
)
_FILE_EXTENSIONS = frozenset(
    {"json", "yaml", "yml", "gz", "txt", "pem", "crt", "key", "log", "md", "py", "go"}
    | {"proto", "pb", "xml", "html", "sarif", "csv", "tsv", "tar", "zip", "tgz", "jsonl"}
)


def redact_report(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of the report with sensitive values replaced by stable placeholders."""
    redactor = Redactor()
    _learn(data, redactor)
    _collect(data, redactor, "")
    redactor.commit()
    out: dict[str, Any] = _rewrite(data, redactor, "")
    out["redaction"] = {"kinds": redactor.kinds()}
    return out


def _learn(data: dict[str, Any], redactor: Redactor) -> None:
    """Namespaces of the mesh: ``name.namespace`` short forms of them are in-mesh names."""
    for proxy in data.get("proxies", []):
        if proxy.get("namespace"):
            redactor.namespaces.add(str(proxy["namespace"]).lower())
    for value in _strings(data):
        for ref in re.findall(r"\b[A-Z][A-Za-z]+/([a-z0-9-]+)/", value):
            if ref != "-":
                redactor.namespaces.add(ref)


def _strings(value: Any) -> list[str]:
    out: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            out.append(item)
    return out


def _collect(value: Any, redactor: Redactor, key: str) -> None:
    if isinstance(value, dict):
        for child_key in sorted(value):
            if child_key not in _PATH_KEYS:
                _collect(value[child_key], redactor, child_key)
    elif isinstance(value, list):
        for item in value:
            _collect(item, redactor, key)
    elif isinstance(value, str):
        redactor.add_hosts_in(value)
        for match in _VHOST_IN_ID.finditer(value):
            redactor.add_host(match.group(1))
        if key in _FREE_TEXT_KEYS:
            for match in _DNS_NAME.finditer(value):
                if _could_be_host(match.group()):
                    redactor.add_host(match.group())


def _could_be_host(name: str) -> bool:
    labels = name.lstrip("*.").split(".")
    if labels[0] in _NOT_HOST_FIRST or labels[-1] in _FILE_EXTENSIONS:
        return False
    return not name.endswith(_NOT_HOST_SUFFIX)


def _rewrite(value: Any, redactor: Redactor, key: str) -> Any:
    if isinstance(value, dict):
        return {k: v if k in _PATH_KEYS else _rewrite(v, redactor, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_rewrite(item, redactor, key) for item in value]
    if isinstance(value, str):
        return redactor.text(value)
    return value
