"""The post-event report's phones: their totals in the report itself (read from the counters'
per-phone rollup, constant cost), and each phone's night minute by minute (its first and last
minute and its online / offline / silent timeline) in a section of its own, loaded on demand:
`GET /api/v1/events/{event_id}/report/devices` (`report_devices`); the admin's report page shows
both. The timelines cost what the night's phones x minutes cost, so the report does not wait for
them (docs/adr/0033, "The report in constant time")."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from backoffice import report_timeline as tl
from backoffice.report_conflicts import iso as _iso
from devices.vocabulary import DeviceRole

# The fields of a phone that only its section gives (the report's `devices` has the rest).
DETAIL_FIELDS = ("first_minute", "last_minute", "timeline")


def phone_entries(devices: Mapping[str, dict], totals: Mapping, names: Mapping, tz: str,
                  minutes: Mapping[str, dict[datetime, list[int]]] | None = None) -> list[dict]:
    """Every scanning phone (and any phone with scans), by name: `totals` {phone: Counter of scans,
    online, offline, late, max_delay_s}; with `minutes` {phone: {minute: [online, offline]}}
    (the night's), their first and last minute and timeline too."""
    phones = []
    scanners = {d for d, info in devices.items() if info["role"] != DeviceRole.OFFICE}
    for device_id in sorted(set(totals) | scanners, key=lambda d: (devices.get(d, {}).get("name", d), d)):
        info = devices.get(device_id, {"device_id": device_id, "name": device_id, "role": None, "checkpoint_id": None})
        counts = totals.get(device_id) or {}
        phone = {
            "device_id": device_id, "name": info["name"], "role": info.get("role"),
            "checkpoint_id": info.get("checkpoint_id"), "gate": names.get(info.get("checkpoint_id")),
            "scans": counts.get("scans", 0), "online_scans": counts.get("online", 0),
            "offline_scans": counts.get("offline", 0), "late_scans": counts.get("late", 0),
            "max_upload_delay_s": counts.get("max_delay_s", 0) if counts.get("late") else None,
            "revoked_at": _iso(info.get("revoked_at"), tz), "last_seen_at": _iso(info.get("last_seen_at"), tz),
            "clock_offset_ms": info.get("clock_offset_ms"),
        }
        if minutes is not None:
            night = minutes.get(device_id) or {}
            active = [m for m, c in night.items() if sum(c) > 0]
            phone["first_minute"] = _iso(min(active), tz) if active else None
            phone["last_minute"] = _iso(max(active), tz) if active else None
            phone["timeline"] = [{"from": _iso(s.start, tz), "to": _iso(s.end, tz), "state": s.state}
                                 for s in tl.segments({m: tuple(c) for m, c in night.items()})]
        phones.append(phone)
    return phones


def merge(body: dict, detail: dict) -> dict:
    """The report with its phones' section folded in (as one body, for the admin's page)."""
    by_id = {p["device_id"]: p for p in detail["devices"]}
    body["devices"] = [{**p, **{k: by_id.get(p["device_id"], {}).get(k) for k in DETAIL_FIELDS}}
                       for p in body["devices"]]
    return body
