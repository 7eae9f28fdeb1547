"""Read the few X.509 fields istioctl's secret table shows, with a minimal DER walk.

istioctl parses SDS secrets with Go's ``crypto/x509`` and prints the serial number, the validity
window and whether the certificate is a CA. Those fields sit at fixed places in
``tbsCertificate``, so walking the DER by hand is enough and keeps meshlens free of a crypto
dependency. Nothing here verifies a signature or trusts the certificate.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"
_PEM_END = b"-----END CERTIFICATE-----"

_SEQUENCE = 0x30
_INTEGER = 0x02
_BOOLEAN = 0x01
_OID = 0x06
_OCTET_STRING = 0x04
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_VERSION_TAG = 0xA0  # [0] EXPLICIT Version
_EXTENSIONS_TAG = 0xA3  # [3] EXPLICIT Extensions
_BASIC_CONSTRAINTS = bytes((0x55, 0x1D, 0x13))  # 2.5.29.19


@dataclass(frozen=True, slots=True)
class CertInfo:
    """The parts of one certificate that istioctl's secret table prints."""

    serial_number: str
    """Lowercase hex of the serial's magnitude, whole bytes (``0193a5…``), as istioctl prints it."""
    not_before: str
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    not_after: str
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    is_ca: bool
    """basicConstraints cA; istioctl shows ``CA`` when set, else ``Cert Chain``."""


class _DerError(ValueError):
    """The bytes are not the DER shape expected at this point."""


def cert_info(pem_or_der: bytes) -> CertInfo | None:
    """Parse the first certificate of a PEM bundle (or one DER certificate); None if unreadable.

    Like istioctl, only the first PEM block counts: for a chain that is the leaf.
    """
    der = _first_der(pem_or_der)
    if der is None:
        return None
    try:
        return _parse(der)
    except (_DerError, IndexError, ValueError):
        return None


def _first_der(data: bytes) -> bytes | None:
    start = data.find(_PEM_BEGIN)
    if start < 0:
        # Raw DER starts with a SEQUENCE; anything else is not a certificate we can read.
        return data if data[:1] == bytes((_SEQUENCE,)) else None
    end = data.find(_PEM_END, start)
    if end < 0:
        return None
    body = data[start + len(_PEM_BEGIN) : end]
    try:
        return base64.b64decode(b"".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _read_tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """Return (tag, content start, content end) of the element at ``pos``."""
    tag = buf[pos]
    if tag & 0x1F == 0x1F:
        raise _DerError("multi-byte tags do not occur in a certificate")
    first = buf[pos + 1]
    pos += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4:
            raise _DerError("indefinite or oversized length")
        length = int.from_bytes(buf[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(buf):
        raise _DerError("element runs past the end of the data")
    return tag, pos, end


def _expect(buf: bytes, pos: int, tag: int) -> tuple[int, int]:
    found, start, end = _read_tlv(buf, pos)
    if found != tag:
        raise _DerError(f"expected tag {tag:#x}, found {found:#x}")
    return start, end


def _parse(der: bytes) -> CertInfo:
    cert_start, _ = _expect(der, 0, _SEQUENCE)
    tbs_start, tbs_end = _expect(der, cert_start, _SEQUENCE)
    pos = tbs_start
    if der[pos] == _VERSION_TAG:
        pos = _read_tlv(der, pos)[2]
    serial_start, serial_end = _expect(der, pos, _INTEGER)
    serial = _serial_hex(der[serial_start:serial_end])
    pos = _read_tlv(der, serial_end)[2]  # signature AlgorithmIdentifier
    pos = _read_tlv(der, pos)[2]  # issuer Name
    validity_start, validity_end = _expect(der, pos, _SEQUENCE)
    not_before, after_pos = _read_time(der, validity_start)
    not_after, _ = _read_time(der, after_pos)
    pos = _read_tlv(der, validity_end)[2]  # subject Name
    pos = _read_tlv(der, pos)[2]  # subjectPublicKeyInfo
    is_ca = False
    while pos < tbs_end:
        tag, start, end = _read_tlv(der, pos)
        if tag == _EXTENSIONS_TAG:
            is_ca = _basic_constraints_ca(der, start)
        pos = end
    return CertInfo(serial_number=serial, not_before=not_before, not_after=not_after, is_ca=is_ca)


def _serial_hex(content: bytes) -> str:
    # istioctl prints the magnitude's big-endian bytes in hex: the DER sign byte is dropped but a
    # leading zero nibble is kept (``0193a5…``). A zero serial prints as nothing, as Go's does.
    magnitude = abs(int.from_bytes(content, "big", signed=True))
    if magnitude == 0:
        return ""
    return magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big").hex()


def _read_time(der: bytes, pos: int) -> tuple[str, int]:
    tag, start, end = _read_tlv(der, pos)
    text = der[start:end].decode("ascii")
    if tag == _UTC_TIME:
        year = int(text[:2])
        # RFC 5280: UTCTime years 50-99 are 19xx, 00-49 are 20xx.
        text = ("19" if year >= 50 else "20") + text
    elif tag != _GENERALIZED_TIME:
        raise _DerError(f"expected a time, found tag {tag:#x}")
    return _format_time(text), end


def _format_time(text: str) -> str:
    """``YYYYMMDDHHMM[SS][.fff](Z|±hhmm)`` -> ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    stamp = datetime(
        int(text[0:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12])
    )
    rest = text[12:]
    if rest[:2].isdigit():
        stamp = stamp.replace(second=int(rest[:2]))
        rest = rest[2:]
    if rest.startswith("."):
        # Fractional seconds are not allowed in DER, but BER encoders write them; istioctl's
        # RFC 3339 output has no fraction either.
        rest = rest[1:].lstrip("0123456789")
    if rest and rest[0] in "+-":
        offset = timedelta(hours=int(rest[1:3]), minutes=int(rest[3:5]))
        stamp = stamp - offset if rest[0] == "+" else stamp + offset
    elif rest != "Z":
        raise _DerError(f"unsupported time zone {rest!r}")
    return stamp.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _basic_constraints_ca(der: bytes, pos: int) -> bool:
    """Find basicConstraints in the Extensions SEQUENCE at ``pos`` and return its cA flag."""
    seq_start, seq_end = _expect(der, pos, _SEQUENCE)
    pos = seq_start
    while pos < seq_end:
        ext_start, ext_end = _expect(der, pos, _SEQUENCE)
        oid_start, oid_end = _expect(der, ext_start, _OID)
        if der[oid_start:oid_end] == _BASIC_CONSTRAINTS:
            inner = oid_end
            if der[inner] == _BOOLEAN:  # critical flag
                inner = _read_tlv(der, inner)[2]
            value_start, _ = _expect(der, inner, _OCTET_STRING)
            bc_start, bc_end = _expect(der, value_start, _SEQUENCE)
            if bc_start < bc_end and der[bc_start] == _BOOLEAN:
                flag_start, flag_end = _read_tlv(der, bc_start)[1:]
                return flag_end > flag_start and der[flag_start] != 0
            return False
        pos = ext_end
    return False
