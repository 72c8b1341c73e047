"""The post-event report's offline conflicts (two phones admitted one ticket offline), in the
event's clock and words (backoffice/report.py builds the rest)."""
from __future__ import annotations

from datetime import datetime

from backoffice.report_words import reason_words
from core.localtime import local


def iso(value: datetime | None, zone_name: str) -> str | None:
    return local(value, zone_name).isoformat() if value is not None else None


def conflict(row: dict, devices: dict, names: dict, tz: str) -> dict:
    data = row["data"] or {}

    def side(part: dict | None) -> dict:
        part = dict(part or {})
        device = devices.get(part.get("device_id"), {})
        part["device"] = device.get("name")
        part["gate"] = names.get(part.get("checkpoint_id") or device.get("checkpoint_id"))
        for key in ("at", "applied_at"):
            if part.get(key):
                part[key] = iso(datetime.fromisoformat(part[key]), tz)
        if part.get("reason"):
            part["reason_words"] = reason_words(part["reason"])
        return part

    return {"raised_at": iso(row["created_at"], tz), "ticket_id": data.get("ticket_id"), "seat_id": data.get("seat_id"),
            "accepted": side(data.get("accepted")), "rejected": side(data.get("rejected")),
            "rejected_was_earlier": bool(data.get("rejected_was_earlier")),
            "acknowledged": row["acknowledged_at"] is not None}
