"""``cert_info``: the hand-written DER walk against openssl and against istioctl's secret table."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from analyzer.load.envoy_cert import CertInfo, cert_info

UPSTREAM = Path(__file__).resolve().parents[2].parent / "shared" / "dumps" / "upstream"
_MINIMAL_CONFIG = "[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nCN = meshlens-test\n"


def _openssl(*args: str) -> str:
    return subprocess.run(
        ["openssl", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def _make_cert(tmp_path: Path, name: str, *extra: str) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    config = tmp_path / "req.cnf"
    config.write_text(_MINIMAL_CONFIG)  # no default extensions: each test picks its own
    cert = tmp_path / f"{name}.pem"
    _openssl(
        *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", str(tmp_path / f"{name}.key"), "-out", str(cert), "-config", str(config)),
        *extra,
    )
    return cert


def _openssl_view(cert: Path) -> CertInfo:
    """What openssl reports, in istioctl's spelling (lowercase serial, RFC 3339 UTC)."""
    fields = dict(
        line.split("=", 1)
        for line in _openssl(
            "x509", "-in", str(cert), "-noout", "-serial", "-startdate", "-enddate"
        )
        .strip()
        .splitlines()
    )

    def stamp(text: str) -> str:
        parsed = datetime.strptime(text, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
        return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")

    text = _openssl("x509", "-in", str(cert), "-noout", "-text")
    return CertInfo(
        serial_number=fields["serial"].lower(),
        not_before=stamp(fields["notBefore"]),
        not_after=stamp(fields["notAfter"]),
        is_ca="CA:TRUE" in text,
    )


@pytest.mark.parametrize(
    "extra",
    [
        ("-days", "1", "-addext", "basicConstraints=critical,CA:FALSE"),
        # High-bit serial (DER adds a sign byte) and a notAfter past 2049 (GeneralizedTime).
        ("-days", "36500", "-set_serial", "0x80112233", "-addext", "basicConstraints=CA:TRUE"),
        # Leading zero nibble: istioctl and openssl both print whole bytes.
        ("-days", "30", "-set_serial", "0x01ab"),
    ],
    ids=["random-serial-leaf", "high-bit-ca", "short-serial-no-extension"],
)
def test_matches_openssl(tmp_path: Path, extra: tuple[str, ...]) -> None:
    cert = _make_cert(tmp_path, "c", *extra)
    expected = _openssl_view(cert)
    assert cert_info(cert.read_bytes()) == expected
    der = tmp_path / "c.der"
    _openssl("x509", "-in", str(cert), "-outform", "DER", "-out", str(der))
    assert cert_info(der.read_bytes()) == expected


def test_first_certificate_of_a_chain_counts(tmp_path: Path) -> None:
    leaf = _make_cert(tmp_path, "leaf", "-days", "2", "-set_serial", "0x0a")
    root = _make_cert(tmp_path, "root", "-days", "3650", "-addext", "basicConstraints=CA:TRUE")
    info = cert_info(leaf.read_bytes() + root.read_bytes())
    assert info is not None
    assert info.serial_number == "0a"
    assert not info.is_ca


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a certificate",
        b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
        b"-----BEGIN CERTIFICATE-----\nMIIB",
        b"\x30\x82\x05\x00\x30\x03",  # DER that claims more bytes than it has
    ],
    ids=["empty", "text", "bad-base64", "no-end-marker", "truncated-der"],
)
def test_unreadable_input_gives_none(data: bytes) -> None:
    assert cert_info(data) is None


def test_istio_secrets_match_istioctl_secret_table() -> None:
    dump_path = UPSTREAM / "istio-head__writer__secrets.json"
    summary_path = UPSTREAM / "istio-head__proxyconfig__waypoint-1.21-summary.txt"
    if not (dump_path.exists() and summary_path.exists()):
        pytest.skip("../shared is not present")
    # The waypoint summary's secret rows, as istioctl printed them for the same two certificates.
    rows = {}
    for line in summary_path.read_text().splitlines():
        if line.startswith("secret/"):
            # Cells are padded by 5 spaces; none of these cells is empty or holds two spaces.
            name, kind, _status, _valid, serial, not_after, not_before = re.split(r" {2,}", line)
            rows[name.removeprefix("secret/")] = (kind, serial, not_after, not_before.strip())
    (config,) = json.loads(dump_path.read_bytes())["configs"]
    seen = {}
    for entry in config["dynamic_active_secrets"]:
        secret = entry["secret"]
        source = secret.get("tls_certificate", {}).get("certificate_chain") or secret.get(
            "validation_context", {}
        ).get("trusted_ca")
        info = cert_info(base64.b64decode(source["inline_bytes"]))
        assert info is not None
        kind = "CA" if info.is_ca else "Cert Chain"
        seen[entry["name"]] = (kind, info.serial_number, info.not_after, info.not_before)
    assert (
        seen
        == rows
        == {
            "default": (
                "Cert Chain",
                "6fbee254c22900615cb1f74e3d2f1713",
                "2023-05-16T01:32:52Z",
                "2023-05-15T01:30:52Z",
            ),
            "ROOTCA": (
                "CA",
                "0193a543fe2b0d9cd4847675394dfc54",
                "2033-05-02T03:41:33Z",
                "2023-05-05T03:41:33Z",
            ),
        }
    )
