"""Stable placeholders for sensitive values, shared by report and dump redaction.

One ``Redactor`` holds one mapping: the same input value always gets the same placeholder, so
names that refer to each other (a route's cluster, the cluster's SNI, a vhost and its routes)
still line up afterwards. Placeholders are numbered in order of first sight; callers walk their
input in a fixed order, so the output is deterministic.

- IP addresses become addresses from the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
  203.0.113.0/24, then 198.18.0.0/15 and 240.0.0.0/4 if a dump holds more than 762;
  2001:db8::/32 for IPv6). Unspecified and loopback addresses are kept: they reveal nothing.
- Hostnames become ``host-N.example``; ``*.x`` keeps its wildcard. In-mesh names are kept:
  ``*.svc.<cluster domain>``, ``*.svc``, ``name.namespace`` short forms of known namespaces,
  and names under reserved TLDs (RFC 2606). Which strings are hostnames is for the caller to say
  (``add_host``); ``text`` then replaces those hostnames wherever they occur, also inside longer
  names (``outbound|443||api.example.org``, ``x.api.example.org``).
- Other values (header values, SANs, certificates) get ``<kind>-N`` style placeholders.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

_V4_POOLS = (
    (int(ipaddress.IPv4Address("192.0.2.0")), 254),
    (int(ipaddress.IPv4Address("198.51.100.0")), 254),
    (int(ipaddress.IPv4Address("203.0.113.0")), 254),
    (int(ipaddress.IPv4Address("198.18.0.0")), 2**17 - 2),
    (int(ipaddress.IPv4Address("240.0.0.0")), 2**28 - 2),
)
_V6_BASE = int(ipaddress.IPv6Address("2001:db8::"))
_RESERVED_TLDS = ("example", "invalid", "test", "localhost")
_RESERVED_DOMAINS = ("example.com", "example.net", "example.org")

_IPV4 = re.compile(r"(?<![A-Za-z0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9]|\.[0-9])")
_IPV6 = re.compile(
    r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9A-Fa-f]{1,4})?"
    r"(?![0-9A-Za-z:])"
)
_HOST_TOKEN = re.compile(r"[A-Za-z0-9_*-]+(?:\.[A-Za-z0-9_-]+)+")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----\n?", re.DOTALL)
BASE64_PEM_PREFIX = "LS0tLS1CRUdJTi"  # base64 of "-----BEGIN"

# Istio cluster names (outbound|80|v1|host) and their SNI form (outbound_.80_.v1_.host).
CLUSTER_HOST = re.compile(
    r"(?:inbound|outbound|inbound-vip|outbound-vip)\|\d*\|[^|\s]*\|"
    r"([A-Za-z0-9*](?:[A-Za-z0-9.*_-]*[A-Za-z0-9])?)"
)
SNI_HOST = re.compile(
    r"(?:inbound|outbound)_\.\d*_\.[^_\s]*_\.([A-Za-z0-9*](?:[A-Za-z0-9.*_-]*[A-Za-z0-9])?)"
)


def is_ip(text: str) -> bool:
    """True for an IPv4 or IPv6 address (an IPv6 scope id allowed)."""
    try:
        ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    return True


def split_port(text: str) -> str:
    """``host:80`` -> ``host``; ``[::1]:80`` -> ``::1``; anything else unchanged."""
    if text.startswith("["):
        return text[1:].split("]", 1)[0]
    host, sep, port = text.rpartition(":")
    if sep and port.isdigit() and host.count(":") == 0:
        return host
    return text


class Redactor:
    """One mapping from sensitive values to placeholders, and what it replaced."""

    def __init__(self) -> None:
        self._ips: dict[str, str] = {}
        self._hosts: dict[str, str] = {}
        self._values: dict[str, dict[str, str]] = {}
        self._noted: dict[str, set[str]] = {}
        self._pending: list[str] = []
        self._v4 = 0
        self._v6 = 0
        self._cache: dict[str, str] = {}
        self.namespaces: set[str] = set()
        self.domains: set[str] = {"cluster.local"}

    # --- learning what is in the mesh, and which strings are hostnames ---------------------

    def learn_node_id(self, node_id: str) -> None:
        """``sidecar~ip~pod.ns~ns.svc.<domain>``: the proxy's namespace and cluster domain."""
        parts = node_id.split("~")
        if len(parts) == 4 and ".svc." in parts[3]:
            namespace, domain = parts[3].split(".svc.", 1)
            self.domains.add(domain.lower())
            self.namespaces.add(namespace.lower())

    def add_host(self, name: str) -> None:
        """Note a hostname (``host``, ``host:port`` or ``*.host``) to replace; see ``commit``."""
        host = split_port(name.strip()).lower().rstrip(".")
        if host.startswith("*."):
            host = host[2:]
        if "." not in host or is_ip(host) or not _looks_like_host(host):
            return
        if ".svc." in host:
            labels = host.split(".svc.", 1)[0].split(".")
            if len(labels) >= 2:
                self.namespaces.add(labels[-1])
        self._pending.append(host)

    def add_hosts_in(self, text: str, whole: bool = False) -> None:
        """Note the hosts of Istio cluster names and SNIs in ``text`` (``whole``: the entire
        string must be one, as in a dump; else they are searched for, as in a message)."""
        for pattern, marker in ((CLUSTER_HOST, "|"), (SNI_HOST, "_.")):
            if marker not in text:
                continue
            if whole:
                match = pattern.fullmatch(text)
                if match is not None:
                    self.add_host(match.group(1))
            else:
                for match in pattern.finditer(text):
                    self.add_host(match.group(1))

    def commit(self) -> None:
        """Give every noted hostname outside the mesh its placeholder, in order of noting."""
        for host in self._pending:
            if host not in self._hosts and not self.keeps_host(host):
                self._hosts[host] = f"host-{len(self._hosts) + 1}.example"
        self._pending.clear()
        self._cache.clear()

    def keeps_host(self, host: str) -> bool:
        """True for names that stay: in-mesh names, reserved names, non-hostnames."""
        host = host.lower().rstrip(".")
        if "." not in host or is_ip(host):
            return True
        if host.endswith(".svc") or host.rsplit(".", 1)[-1] in _RESERVED_TLDS:
            return True
        if any(host == d or host.endswith("." + d) for d in _RESERVED_DOMAINS):
            return True
        for domain in self.domains:
            if host == domain or host.endswith(".svc." + domain):
                return True
        labels = host.split(".")
        return len(labels) == 2 and labels[1] in self.namespaces

    # --- placeholders -------------------------------------------------------------------------

    def ip(self, text: str) -> str:
        """The placeholder address for an IP address (unspecified and loopback kept)."""
        address, sep, scope = text.partition("%")
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return text
        if parsed.is_unspecified or parsed.is_loopback:
            return text
        key = parsed.compressed
        placeholder = self._ips.get(key)
        if placeholder is None:
            if parsed.version == 4:
                placeholder = _v4_placeholder(self._v4)
                self._v4 += 1
            else:
                self._v6 += 1
                placeholder = ipaddress.IPv6Address(_V6_BASE + self._v6).compressed
            self._ips[key] = placeholder
        return placeholder + (sep + scope if sep else "")

    def host(self, name: str) -> str:
        """The placeholder for one hostname (``*.`` and ``:port`` kept), if it was noted."""
        bare = split_port(name)
        port = name[len(bare) :] if name.startswith(bare) else ""
        wildcard = bare.startswith("*.")
        host = (bare[2:] if wildcard else bare).lower().rstrip(".")
        placeholder = self._hosts.get(host)
        if placeholder is None:
            return name
        return ("*." if wildcard else "") + placeholder + port

    def value(self, kind: str, text: str, template: str) -> str:
        """A numbered placeholder (``template`` holds ``{n}``) for a value of ``kind``."""
        values = self._values.setdefault(kind, {})
        placeholder = values.get(text)
        if placeholder is None:
            placeholder = template.format(n=len(values) + 1)
            values[text] = placeholder
        return placeholder

    def note(self, kind: str, original: str) -> None:
        """Count a value of ``kind`` replaced by other means (an SNI rewritten host by host)."""
        self._noted.setdefault(kind, set()).add(original)

    def kinds(self) -> dict[str, int]:
        """Distinct values replaced, per kind (only kinds that occurred), sorted by kind."""
        counts = {"ip": len(self._ips), "hostname": len(self._hosts)}
        counts.update((kind, len(values)) for kind, values in self._values.items())
        counts.update((kind, len(values)) for kind, values in self._noted.items())
        return {kind: counts[kind] for kind in sorted(counts) if counts[kind]}

    # --- free text ----------------------------------------------------------------------------

    def text(self, text: str) -> str:
        """Replace certificates, IP addresses and the noted hostnames anywhere in ``text``."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        out = text
        if "-----BEGIN" in out:
            out = _PEM.sub(lambda m: self.certificate(m.group()), out)
        if out.startswith(BASE64_PEM_PREFIX):
            out = self.certificate(out)
        if "." in out:
            out = _IPV4.sub(self._sub(self.ip), out)
        if ":" in out:
            out = _IPV6.sub(self._sub(self.ip), out)
        if self._hosts and "." in out:
            out = _HOST_TOKEN.sub(self._host_token, out)
        if len(self._cache) < 1_000_000:
            self._cache[text] = out
        return out

    def certificate(self, text: str) -> str:
        """The placeholder for certificate or key material."""
        return self.value("certificate", text, "redacted-certificate-{n}")

    @staticmethod
    def _sub(func: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
        return lambda match: func(match.group())

    def _host_token(self, match: re.Match[str]) -> str:
        token = match.group()
        labels = token.split(".")
        for start in range(len(labels) - 1):
            placeholder = self._hosts.get(".".join(labels[start:]).lower())
            if placeholder is not None:
                return ".".join([*labels[:start], placeholder])
        return token


def _v4_placeholder(index: int) -> str:
    for base, size in _V4_POOLS:
        if index < size:
            return str(ipaddress.IPv4Address(base + 1 + index))
        index -= size
    raise ValueError("more distinct IPv4 addresses than placeholders")


def _looks_like_host(host: str) -> bool:
    """A name made of hostname labels (wildcards aside); rejects free text and paths."""
    return all(label and re.fullmatch(r"[a-z0-9_*-]+", label) for label in host.split("."))
