"""The one state change printing makes: pairing codes for the pairing sheet.

A pairing code works once and expires DEVICE_PAIRING_MINUTES after it was issued (15 by
default): enough to pair a phone from a screen, not to print a sheet and walk it to the gates.
So the sheet issues fresh codes, through devices.services.issue_pairing_code, for the devices
whose code is missing, expired, or already past a third of its life; a code issued less than a
third of its life ago is printed as it is. Printing the sheet twice in a row therefore shows the
same codes (a retried or doubled request does not void the first sheet), and every printed code
has at least two thirds of its life ahead. Each code's expiry is printed beside it, in the
event's time (docs/adr/0027)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from backoffice.printing.selection import event_or_404
from devices.models import Device
from devices.services import issue_pairing_code
from events.models import Event


@dataclass(frozen=True)
class SheetEntry:
    device: Device
    pairing_code: str
    expires_at: datetime
    issued: bool  # a fresh code was issued for this sheet


@dataclass(frozen=True)
class PairingSheet:
    event: Event
    entries: list[SheetEntry]


def fresh_enough(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a code expiring at `expires_at` still has two thirds of its life ahead."""
    life = timedelta(minutes=settings.DEVICE_PAIRING_MINUTES)
    return expires_at is not None and expires_at - now >= life * 2 / 3


def codes_for_pairing_sheet(*, event_id: str) -> PairingSheet:
    """Every device of the event that is neither paired nor revoked (perhaps none), each with a
    pairing code fresh enough to print, gate by gate. The devices are locked (in primary key order) so that
    two sheets printed at once agree on one code per device."""
    event = event_or_404(event_id)
    now = timezone.now()
    entries = []
    with transaction.atomic():
        devices = list(Device.objects.select_for_update(of=("self",)).select_related("checkpoint")
                       .filter(event=event, paired_at__isnull=True, revoked_at__isnull=True).order_by("pk"))
        for device in devices:
            if device.pairing_code and fresh_enough(device.pairing_expires_at, now):
                entries.append(SheetEntry(device=device, pairing_code=device.pairing_code,
                                          expires_at=device.pairing_expires_at, issued=False))
            else:
                issued = issue_pairing_code(device_id=device.device_id)
                entries.append(SheetEntry(device=device, pairing_code=issued.pairing_code,
                                          expires_at=issued.pairing_expires_at, issued=True))
    entries.sort(key=lambda e: (e.device.checkpoint is None, e.device.checkpoint.name if e.device.checkpoint else "",
                                e.device.name.lower(), e.device.device_id))
    return PairingSheet(event=event, entries=entries)
