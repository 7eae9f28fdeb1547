"""Port protocols as Istio reads them (``pkg/config/protocol``, ``pkg/config/kube/conversion.go``).

A Kubernetes Service port's protocol comes from ``appProtocol`` when set, else from the port name
(``http``, ``http-web``, ``grpc-web-x``: the part before the first ``-``, except that ``grpc-web``
is recognised as a whole), case-insensitively. Anything else is ``UNSUPPORTED``, which istiod
treats as "auto" (protocol sniffing). ``protocol: UDP`` ports are UDP whatever their name; Istio
builds nothing for them. ServiceEntry ports name their protocol explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

HTTP_FAMILY = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
"""Protocols istiod serves through an HTTP connection manager and RDS."""

_KNOWN = frozenset(
    {*HTTP_FAMILY, "HTTPS", "TCP", "TLS", "MONGO", "REDIS", "MYSQL", "UDP", "THRIFT", "HBONE"}
)
AUTO = "UNSUPPORTED"
"""No protocol could be read: istiod sniffs it (``auto``)."""

# appProtocol values Kubernetes standardised, as Istio maps them.
_APP_PROTOCOLS = {
    "kubernetes.io/h2c": "HTTP2",
    "kubernetes.io/ws": "HTTP",
    "kubernetes.io/wss": "HTTPS",
}


def parse_protocol(text: Any) -> str:
    """``http2`` -> ``HTTP2``; unknown text -> ``UNSUPPORTED``."""
    if not isinstance(text, str) or not text:
        return AUTO
    mapped = _APP_PROTOCOLS.get(text.lower())
    if mapped:
        return mapped
    upper = text.upper()
    return upper if upper in _KNOWN else AUTO


@lru_cache(maxsize=1024)  # a mesh has thousands of ports but few port names
def protocol_from_name(name: str) -> str:
    """Protocol named by a port name (``http-web`` -> HTTP, ``grpc-web`` -> GRPC-WEB)."""
    lower = name.lower()
    if lower.startswith("grpc-web"):
        return "GRPC-WEB"
    return parse_protocol(lower.split("-", 1)[0])


def service_port_protocol(port: Mapping[str, Any]) -> str:
    """Protocol of a Kubernetes Service port (``UDP``/``SCTP`` for those transport protocols)."""
    transport = str(port.get("protocol") or "TCP").upper()
    if transport in ("UDP", "SCTP"):
        return transport
    app = port.get("appProtocol")
    if isinstance(app, str) and app:
        found = parse_protocol(app)
        if found != AUTO:
            return found
    return protocol_from_name(str(port.get("name") or ""))


def entry_port_protocol(port: Mapping[str, Any]) -> str:
    """Protocol of a ServiceEntry (or Gateway server) port: its ``protocol``, else its name."""
    explicit = parse_protocol(port.get("protocol"))
    if explicit != AUTO:
        return explicit
    return protocol_from_name(str(port.get("name") or ""))


def is_http(protocol: str) -> bool:
    """True for the protocols istiod routes with RDS on sidecars (HTTP, HTTP2, gRPC...)."""
    return protocol in HTTP_FAMILY
