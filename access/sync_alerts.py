"""The alerts an upload can raise for managers: `offline_conflict` (two devices admitted one ticket
offline) and `late_upload` (scans made long before they reached the server). docs/adr/0012."""
from __future__ import annotations

import uuid
from datetime import datetime

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from access.offline_limits import late_upload_seconds
from access.sync_replay import OfflineScan
from access.vocabulary import Reason, ScanMode
from alerts.services import clock, device_words, raise_alert
from alerts.texts import AlertText, lower_first, sentences
from alerts.vocabulary import AlertKind
from core.localtime import format_clock
from events.vocabulary import Direction


REFUSED = _("refused")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def reason_words(reason: str | None) -> Promise:
    """A reason in an alert's words: its label, inside a sentence (people never read reason
    codes: ../shared/STYLE.md), in the reader's language."""
    return lower_first(Reason(reason).label) if reason in Reason.values else REFUSED


# The refused scan, the ticket (seat, zone), the accepted scan before it with its device and gate,
# and the event's clock: every name the alert's words need, in the one query.
_CONFLICT_SQL = """
SELECT r.scan_id, t.ticket_id, t.seat_id, r.reason, r.effective_at,
       a.device_id, a.scan_id, coalesce(a.effective_at, a.server_time), a.mode, a.checkpoint_id, a.server_time,
       t.zone, ad.name, acp.name, e.timezone
  FROM access_scan r
  JOIN tickets_ticket t ON t.id = r.ticket_id
  JOIN events_event e ON e.event_id = r.event_id
  JOIN LATERAL (SELECT * FROM access_scan a
                 WHERE a.ticket_id = r.ticket_id AND a.result = 'accepted' AND a.direction = 'in'
                   AND NOT a.quarantined AND a.id < r.id
                 ORDER BY a.id DESC LIMIT 1) a ON true
  LEFT JOIN devices_device ad ON ad.device_id = a.device_id
  LEFT JOIN access_checkpoint acp ON acp.checkpoint_id = a.checkpoint_id
 WHERE r.device_id = %s AND r.scan_id = ANY(%s::uuid[])
"""


def offline_conflicts(device, items: list[OfflineScan], answers: dict[uuid.UUID, dict]) -> int:
    """An `in` this device made offline was refused because another device had already admitted
    the ticket: two people may have walked in on one ticket. One alert per ticket and scan."""
    refused = [it.scan_id for it in items if it.kind == "ticket" and it.direction == Direction.IN
               and answers[it.scan_id].get("reason") in (Reason.ALREADY_INSIDE, Reason.ALREADY_USED)]
    if not refused:
        return 0
    with connection.cursor() as cur:
        cur.execute(_CONFLICT_SQL, [device.device_id, refused])
        rows = cur.fetchall()
    raised = 0
    for (scan_id, ticket_id, seat_id, reason, eff, a_device, a_scan, a_at, a_mode, a_cp, a_server,
         zone, a_name, a_gate, tz) in rows:
        if a_device == device.device_id:
            continue  # the same phone refused its own repeat scan at the door: no double admission
        earlier = eff is not None and eff < a_at
        admitted_by = (AlertText("device.at_gate", device=a_name, gate=a_gate) if a_gate
                       else a_name or AlertText("device.another"))
        admitted = AlertText("conflict.admitted_offline" if a_mode == ScanMode.SYNC else "conflict.admitted_online",
                             device=admitted_by, at=format_clock(a_at, tz))
        refused = (AlertText("conflict.refused_at", device=device_words(device), at=format_clock(eff, tz),
                             reason=reason_words(reason)) if eff
                   else AlertText("conflict.refused", device=device_words(device), reason=reason_words(reason)))
        conflict = AlertText("conflict", seat=seat_id, zone=zone, admitted=admitted, refused=refused)
        raise_alert(
            event_id=device.event_id, kind=AlertKind.OFFLINE_CONFLICT,
            message=sentences(conflict, *([AlertText("conflict.refused_first")] if earlier else []),
                              AlertText("conflict.check_seat")),
            data={"ticket_id": ticket_id, "seat_id": seat_id,
                  "accepted": {"device_id": a_device, "scan_id": str(a_scan), "at": _iso(a_at), "mode": a_mode,
                               "checkpoint_id": a_cp, "applied_at": _iso(a_server)},
                  "rejected": {"device_id": device.device_id, "scan_id": str(scan_id), "at": _iso(eff),
                               "checkpoint_id": device.checkpoint_id, "reason": reason},
                  "rejected_was_earlier": earlier},
            dedupe_key=f"offline_conflict:{ticket_id}:{scan_id}",
        )
        raised += 1
    return raised


def late_alert(device, late: list[OfflineScan], now: datetime) -> None:
    oldest = min(it.effective_at for it in late)
    minutes = int((now - oldest).total_seconds() // 60)
    raise_alert(
        event_id=device.event_id, kind=AlertKind.LATE_UPLOAD,
        message=AlertText("upload.late", device=device_words(device), count=len(late),
                          limit=late_upload_seconds() // 60, oldest=clock(device.event_id, oldest), minutes=minutes),
        data={"device_id": device.device_id, "count": len(late), "oldest_at": oldest.isoformat(),
              "delay_seconds": int((now - oldest).total_seconds()),
              "scan_ids": [str(it.scan_id) for it in late[:50]]},
        dedupe_key=f"late_upload:{device.device_id}:{min(str(it.scan_id) for it in late)}",
    )
