"""Build Secret summaries: names, kinds and certificate validity; key material is never kept."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from analyzer.model.envoy import JsonDict, Secret


def build_secret(entry: JsonDict, status: str, dynamic: bool) -> Secret:
    """Summarise one secrets-dump entry (``{name, version_info, last_updated, secret}``)."""
    secret = entry.get("secret")
    secret = secret if isinstance(secret, dict) else {}
    name = str(entry.get("name") or secret.get("name", ""))
    kind, cert_bytes = _kind_and_cert(secret)
    summary = None
    if cert_bytes is not None:
        summary = _cert_summary(cert_bytes)
    last_updated = entry.get("last_updated")
    valid = None
    if summary is not None and isinstance(last_updated, str):
        # Envoy timestamps carry fractions; certificate times do not. Compare to the second.
        stamp = last_updated[:19] + "Z"
        valid = summary[1] <= stamp <= summary[2]
    return Secret(
        name=name,
        kind=kind,
        status=status,
        dynamic=dynamic,
        version=str(entry["version_info"]) if entry.get("version_info") else None,
        last_updated=str(last_updated) if last_updated else None,
        serial_number=summary[0] if summary else None,
        not_before=summary[1] if summary else None,
        not_after=summary[2] if summary else None,
        valid=valid,
    )


def _kind_and_cert(secret: JsonDict) -> tuple[str, bytes | None]:
    if isinstance(secret.get("tls_certificate"), dict):
        chain = secret["tls_certificate"].get("certificate_chain")
        return "Cert Chain", _inline_bytes(chain)
    if isinstance(secret.get("validation_context"), dict):
        trusted = secret["validation_context"].get("trusted_ca")
        return "CA", _inline_bytes(trusted)
    if "session_ticket_keys" in secret:
        return "Session Ticket Keys", None
    if "generic_secret" in secret:
        return "Generic", None
    return "Unknown", None


def _inline_bytes(source: Any) -> bytes | None:
    if not isinstance(source, dict):
        return None
    data = source.get("inline_bytes")
    if isinstance(data, str):
        try:
            return base64.b64decode(data, validate=False)
        except (binascii.Error, ValueError):
            return None
    text = source.get("inline_string")
    return text.encode() if isinstance(text, str) else None


def _cert_summary(data: bytes) -> tuple[str, str, str] | None:
    """(serial, not_before, not_after) of the first certificate, when it can be decoded."""
    from analyzer.load import envoy_cert

    info = envoy_cert.cert_info(data)
    if info is None:
        return None
    return info.serial_number, info.not_before, info.not_after
