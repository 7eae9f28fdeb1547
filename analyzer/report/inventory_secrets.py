"""Secret rows of ``meshlens inventory``: istioctl's ``proxy-config secret`` table.

Cells as ``sds/util.go`` writes them; static secrets are listed too (istioctl shows only dynamic
ones) and VALID CERT is judged at a fixed time; see docs/istioctl-tables.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from analyzer.model.envoy import Proxy
from analyzer.report.inventory_common import Row


def secret_rows(proxy: Proxy, now: datetime | None = None) -> list[Row]:
    """Warming secrets first, then active ones, then static ones (istioctl shows no static)."""
    # Judged at capture time (the secret's last_updated) unless a clock is given: istioctl uses
    # the wall clock, which would make the same capture print differently from day to day.
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if now is not None else None
    ordered = sorted(proxy.secrets, key=lambda s: (not s.dynamic, s.status.upper() != "WARMING"))
    rows: list[Row] = []
    for secret in ordered:
        warming = secret.status.upper() == "WARMING"
        sds_status = "WARMING" if warming else "ACTIVE"
        if not warming and secret.version == "uninitialized":
            sds_status = "UNINITIALIZED"
        has_cert = bool(secret.not_before and secret.not_after)
        # The fixed-width RFC 3339 strings compare correctly as text.
        if stamp is not None:
            valid = has_cert and str(secret.not_before) < stamp < str(secret.not_after)
        else:
            valid = has_cert and bool(secret.valid)
        rows.append(
            {
                "id": f"secret/{secret.name}",
                "not_after": secret.not_after or "",
                "not_before": secret.not_before or "",
                "resource_name": secret.name,
                "secret_status": sds_status,
                "serial_number": secret.serial_number or "",
                "status": "warming" if warming else "active",
                "type": secret.kind if has_cert else "",
                "valid_cert": valid,
            }
        )
    return rows
