"""``meshlens redact``: a copy of a capture with sensitive values replaced, that still loads.

Works on everything ``load_proxies`` reads (admin ``/config_dump``, istioctl output in JSON or
YAML, gzipped or not) and writes the same format back. Two passes over the parsed documents:
the first notes which strings are hostnames (vhost domains and names, SNI and ``server_names``,
socket addresses, host rewrites and redirects, the host inside Istio cluster names), the second
rewrites every string with one ``Redactor`` mapping, so routes, clusters, SNIs and listener
names still refer to each other. On top of the shared rules:

- header matcher values (route ``match.headers``, retry and RBAC header matchers) and added
  header values become ``header-value-N``, query parameter matcher values ``query-value-N``
  (header and parameter names are kept);
- subject alt name matchers become ``san-N``;
- certificate, private key and CA bytes (``inline_bytes``/``inline_string`` under TLS fields,
  and any PEM or base64 PEM anywhere) become ``redacted-certificate-N`` (base64 where bytes).

Istio YAML given with ``-c`` goes through the same mapping (its ``hosts``, destination hosts,
addresses, header and query matches, header operations, SANs), so attribution of the redacted
capture against the redacted YAML is what it was. YAML comments are not carried over.

Keys are matched in snake_case and lowerCamelCase alike (istioctl prints the latter).
"""

from __future__ import annotations

import base64
import gzip
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import yaml

from analyzer.errors import InputError, UsageError
from analyzer.load.source import looks_like_json, parse_document, read_bytes
from analyzer.redact_core import SNI_HOST, Redactor, is_ip, split_port

# Normalised keys (lowercase, no underscores) whose string values are hostnames.
_HOST_KEYS = frozenset(
    {
        "domains",
        "servernames",
        "sni",
        "hostrewriteliteral",
        "hostredirect",
        "hostname",
        "host",
        "address",
    }
)
_SAN_KEYS = frozenset(
    {"matchsubjectaltnames", "matchtypedsubjectaltnames", "verifysubjectaltname", "subjectaltnames"}
)
_CERT_KEYS = frozenset(
    {
        "certificatechain",
        "privatekey",
        "trustedca",
        "crl",
        "password",
        "ocspstaple",
        "sessionticketkeys",
        "keys",
        "certificate",
        "key",
    }
)
_MATCHER_KEYS = frozenset(
    {
        "exactmatch",
        "saferegexmatch",
        "prefixmatch",
        "suffixmatch",
        "containsmatch",
        "stringmatch",
        "presentmatch",
        "rangematch",
    }
)
_KEEP_IN_MATCHER = frozenset({"name", "googlere2", "ignorecase", "santype", "oid"})
# Istio YAML maps of header (or query parameter) name -> match or value.
_ISTIO_MATCH_MAPS = frozenset({"headers", "withoutheaders", "queryparams"})
_GZIP_MAGIC = b"\x1f\x8b"


def _norm(key: object) -> str:
    return str(key).replace("_", "").lower()


@dataclass
class Redacted:
    """What ``redact_dumps`` wrote."""

    outputs: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)


def redact_dumps(paths: Sequence[str], output: str, configs: Sequence[str] = ()) -> Redacted:
    """Redact each capture, and the Istio YAML in ``configs`` (files or directories), with one
    shared mapping. ``output`` is a file, or a directory when there are several inputs (each
    keeps its base name; a YAML directory keeps its tree under its own name)."""
    if not paths:
        raise UsageError("give at least one DUMP")
    sources, targets = _targets(paths, output, configs)
    redactor = Redactor()
    parsed = []
    for path in sources:
        data, skipped = read_bytes(path)
        documents = parse_document(path, data, skipped)
        parsed.append((path, looks_like_json(data), documents))
        del data
        for document in documents:
            _collect(document, redactor, "")
    redactor.commit()
    result = Redacted()
    for (path, is_json, documents), target in zip(parsed, targets, strict=True):
        rewritten = [_rewrite(doc, redactor, "") for doc in documents]
        payload = _serialise(rewritten, is_json)
        if _is_gzip(path):
            payload = gzip.compress(payload, mtime=0)
        _write(target, payload)
        result.outputs.append(target)
    result.kinds = redactor.kinds()
    return result


def _targets(
    paths: Sequence[str], output: str, configs: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(input files, output files): dumps first, then the YAML files found in ``configs``."""
    from analyzer.load.yaml_files import walk_yaml_files

    sources = list(paths)
    relative = [os.path.basename(os.path.normpath(p)) for p in paths]
    for given in configs:
        name = os.path.basename(os.path.normpath(given))
        if os.path.isdir(given):
            for found in walk_yaml_files(given):
                sources.append(found)
                relative.append(os.path.join(name, os.path.relpath(found, given)))
        else:
            sources.append(given)
            relative.append(name)
    if len(sources) == 1 and not os.path.isdir(output):
        targets = [output]
    else:
        targets = [os.path.join(output, rel) for rel in relative]
        if len(set(targets)) != len(targets):
            raise UsageError("several inputs share a file name; redact them one by one")
    for path, target in zip(sources, targets, strict=True):
        if os.path.exists(target) and os.path.samefile(path, target):
            raise UsageError(f"{target}: would overwrite its own input")
    return sources, targets


def _is_gzip(path: str) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _serialise(documents: list[Any], is_json: bool) -> bytes:
    if is_json and len(documents) == 1:
        return orjson.dumps(documents[0], option=orjson.OPT_INDENT_2) + b"\n"
    dumper: type[Any] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text = yaml.dump_all(
        documents,
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1_000_000,
    )
    return text.encode()


def _write(path: str, payload: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(payload)
    except OSError as exc:
        raise InputError(path, f"cannot write: {exc.strerror or exc}") from None


# --- pass 1: which strings are hostnames -------------------------------------------------------


def _collect(value: Any, redactor: Redactor, key: str) -> None:
    if isinstance(value, dict):
        if _is_header_matcher(value):
            return  # header values are replaced whole, never read as hostnames
        if "domains" in value and isinstance(value.get("name"), str):  # a virtual host
            redactor.add_host(value["name"])
        for child_key, child in value.items():
            norm = _norm(child_key)
            if norm in _SAN_KEYS:
                continue
            if norm == "id" and isinstance(child, str):
                redactor.learn_node_id(child)
            _collect(child, redactor, norm)
    elif isinstance(value, list):
        for item in value:
            _collect(item, redactor, key)
    elif isinstance(value, str):
        redactor.add_hosts_in(value, whole=True)
        if key in _HOST_KEYS and value != "*":
            redactor.add_host(value)
        elif key == "hosts":  # Istio: host, ns/host, */host, ./host
            redactor.add_host(value.rsplit("/", 1)[-1])


# --- pass 2: rewrite ---------------------------------------------------------------------------


def _rewrite(value: Any, redactor: Redactor, key: str) -> Any:
    if isinstance(value, dict):
        if key in _CERT_KEYS:
            value = _strip_material(value, redactor)
        if _is_header_matcher(value):
            kind = "query_value" if key == "queryparameters" else "header_value"
            return {
                k: v if _norm(k) in _KEEP_IN_MATCHER else _values(v, redactor, kind)
                for k, v in value.items()
            }
        out: dict[Any, Any] = {}
        for child_key, child in value.items():
            norm = _norm(child_key)
            new_key = redactor.text(child_key) if isinstance(child_key, str) else child_key
            if norm in _SAN_KEYS:
                out[new_key] = _values(child, redactor, "san")
            elif isinstance(child, dict) and norm in _ISTIO_MATCH_MAPS:
                out[new_key] = _istio_headers(child, redactor, norm)
            elif isinstance(child, dict) and norm == "authority":
                out[new_key] = _values(child, redactor, "header_value")
            elif norm == "header" and isinstance(child, dict) and "key" in child:
                out[new_key] = {
                    k: _values(v, redactor, "header_value")
                    if _norm(k) in ("value", "rawvalue")
                    else _rewrite(v, redactor, _norm(k))
                    for k, v in child.items()
                }
            else:
                out[new_key] = _rewrite(child, redactor, norm)
        return out
    if isinstance(value, list):
        return [_rewrite(item, redactor, key) for item in value]
    if isinstance(value, str):
        if key in ("sni", "servernames"):
            return _sni(value, redactor)
        return redactor.text(value)
    return value


def _istio_headers(value: dict[Any, Any], redactor: Redactor, key: str) -> dict[Any, Any]:
    """VirtualService ``headers``/``withoutHeaders``/``queryParams`` maps (name -> StringMatch)
    and header operations (``request``/``response`` -> ``set``/``add``/``remove``)."""
    kind = "query_value" if key == "queryparams" else "header_value"
    out: dict[Any, Any] = {}
    for name, spec in value.items():
        if _norm(name) in ("request", "response") and isinstance(spec, dict):
            out[name] = {
                op: _values(headers, redactor, kind) if _norm(op) in ("set", "add") else headers
                for op, headers in spec.items()
            }
        else:  # a header name and how its value must match
            out[name] = _values(spec, redactor, kind)
    return out


def _is_header_matcher(value: dict[Any, Any]) -> bool:
    """A HeaderMatcher or QueryParameterMatcher: a name and a way to match its value."""
    return isinstance(value.get("name"), str) and any(_norm(k) in _MATCHER_KEYS for k in value)


def _values(value: Any, redactor: Redactor, kind: str) -> Any:
    """Every string inside ``value`` (but names and options) as a ``kind`` placeholder."""
    if isinstance(value, dict):
        return {
            k: v if _norm(k) in _KEEP_IN_MATCHER else _values(v, redactor, kind)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_values(item, redactor, kind) for item in value]
    if isinstance(value, str):
        if kind == "san" and is_ip(value):
            return redactor.ip(value)
        return redactor.value(kind, value, kind.replace("_", "-") + "-{n}")
    return value


def _strip_material(value: dict[Any, Any], redactor: Redactor) -> dict[Any, Any]:
    """A DataSource holding key or certificate bytes, with the bytes replaced."""
    out = dict(value)
    for k, v in value.items():
        norm = _norm(k)
        if norm == "inlinebytes" and isinstance(v, str):
            placeholder = redactor.certificate(v)
            out[k] = base64.b64encode(placeholder.encode()).decode()
        elif norm == "inlinestring" and isinstance(v, str):
            out[k] = redactor.certificate(v)
    return out


def _sni(value: str, redactor: Redactor) -> str:
    """An SNI or server name: the host inside Istio's SNI form, else the whole name."""
    match = SNI_HOST.fullmatch(value)
    if match is not None:
        host = match.group(1)
        new = value[: match.start(1)] + redactor.host(host)
    elif is_ip(split_port(value)):
        new = redactor.text(value)
    else:
        new = redactor.host(value)
    if new != value:
        redactor.note("sni", value)
    return new
