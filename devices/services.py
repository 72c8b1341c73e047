"""The only code that creates, pairs, revokes or updates devices."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import live_messages
from core.errors import DomainError, InvalidInput, NotFound
from core.live import publish_on_commit
from devices.models import Device, hash_token
from devices.vocabulary import DeviceRole
from events.models import Checkpoint, Event

PAIRING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a door


class PairingInvalid(DomainError):
    code = "pairing_invalid"
    status = 400
    default_message = "The pairing code is unknown, already used or expired."


@dataclass(frozen=True)
class PairingCode:
    device: Device
    pairing_code: str
    pairing_expires_at: datetime


@dataclass(frozen=True)
class Pairing:
    device: Device
    token: str


@dataclass(frozen=True)
class Heartbeat:
    server_time: datetime
    clock_offset_ms: int


def _new_code() -> str:
    return "".join(secrets.choice(PAIRING_ALPHABET) for _ in range(10))


def _expiry() -> datetime:
    return timezone.now() + timedelta(minutes=settings.DEVICE_PAIRING_MINUTES)


def create_device(*, event_id: str, name: str, checkpoint_id: str | None,
                  role: str = DeviceRole.STEWARD) -> PairingCode:
    if role not in DeviceRole.values:
        raise InvalidInput(_("Unknown role."), fields={"role": [_("Must be steward or supervisor.")]})
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound(_("No such event."))
        checkpoint = None
        if role != DeviceRole.OFFICE:
            checkpoint = Checkpoint.objects.filter(pk=checkpoint_id, event=event).first() if checkpoint_id else None
            if checkpoint is None:
                raise InvalidInput(_("The checkpoint does not exist in this event."),
                                   fields={"checkpoint_id": [_("Unknown checkpoint for this event.")]})
        device = Device.objects.create(event=event, checkpoint=checkpoint, name=name, role=role,
                                       pairing_code=_new_code(), pairing_expires_at=_expiry())
    return PairingCode(device=device, pairing_code=device.pairing_code, pairing_expires_at=device.pairing_expires_at)


def issue_pairing_code(*, device_id: str) -> PairingCode:
    """Re-pairing: a fresh one-time code. When it is used, the old token stops working."""
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_id).first()
        if device is None:
            raise NotFound(_("No such device."))
        if device.revoked_at is not None:
            raise InvalidInput(_("A revoked device cannot be paired again; create a new one."))
        device.pairing_code, device.pairing_expires_at = _new_code(), _expiry()
        device.save(update_fields=["pairing_code", "pairing_expires_at"])
    return PairingCode(device=device, pairing_code=device.pairing_code, pairing_expires_at=device.pairing_expires_at)


def pair_device(*, pairing_code: str) -> Pairing:
    """Exchange a one-time code for a long random token (stored only as its hash). One UPDATE
    consumes the code, so of two racing requests exactly one gets a token."""
    code = (pairing_code or "").strip().upper().replace("-", "").replace(" ", "")
    if not code or len(code) > 16:
        raise PairingInvalid()
    token = secrets.token_urlsafe(32)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            """UPDATE devices_device
                  SET token_hash = %s, pairing_code = NULL, pairing_expires_at = NULL, paired_at = now()
                WHERE pairing_code = %s AND pairing_expires_at > now() AND revoked_at IS NULL
            RETURNING device_id""",
            [hash_token(token), code],
        )
        row = cur.fetchone()
    if row is None:
        raise PairingInvalid()
    device = Device.objects.select_related("event", "checkpoint").get(pk=row[0])
    return Pairing(device=device, token=token)


def rename_device(*, device_id: str, name: str) -> Device:
    """The only field staff edit on a device (event, checkpoint and role are fixed at creation)."""
    if not name or len(name) > 100:
        raise InvalidInput(_("name must be 1 to 100 characters."))
    with transaction.atomic():
        device = Device.objects.select_for_update().filter(pk=device_id).first()
        if device is None:
            raise NotFound(_("No such device."))
        device.name = name
        device.save(update_fields=["name"])
    return device


def revoke_device(*, device_id: str, event_id: str | None = None) -> Device:
    with transaction.atomic():
        qs = Device.objects.select_for_update().filter(pk=device_id)
        if event_id is not None:
            qs = qs.filter(event_id=event_id)
        device = qs.first()
        if device is None:
            raise NotFound(_("No such device."))
        _revoke_locked(device)
    return device


def _revoke_locked(device: Device) -> None:
    """Revoke a device whose row the caller has locked; the dashboards hear of it after commit."""
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.pairing_code = device.pairing_expires_at = None
        device.save(update_fields=["revoked_at", "pairing_code", "pairing_expires_at"])
        publish_on_commit(device.event_id, live_messages.Device(device_id=device.device_id, revoked=True))


@dataclass(frozen=True)
class Replacement:
    old: Device  # revoked now (or already)
    new: Device  # same event, gate and role; unpaired until the new phone scans its code
    pairing_code: str
    pairing_expires_at: datetime


_NUMBERED = re.compile(r"^(?P<base>.*?) \((?P<n>\d+)\)$")


def replacement_name(name: str) -> str:
    """`North 1` -> `North 1 (2)` -> `North 1 (3)`: the new phone is told apart from the lost one
    in lists and alerts, and still reads as the same post."""
    match = _NUMBERED.match(name)
    base, n = (match["base"], int(match["n"]) + 1) if match else (name, 2)
    suffix = f" ({n})"
    return base[: 100 - len(suffix)] + suffix


def replace_device(*, device_id: str, name: str | None = None) -> Replacement:
    """A lost or broken phone, in one step: the old device is revoked (its token refused at once)
    and a new one is created for the same event, gate and role with a fresh pairing code, in one
    transaction, so there is never a moment with both or neither. Replacing a device someone
    already revoked just creates the new one. Box-office terminals belong to their office and are
    re-paired from it instead."""
    with transaction.atomic():
        old = Device.objects.select_for_update().filter(pk=device_id).first()
        if old is None:
            raise NotFound(_("No such device."))
        if old.role == DeviceRole.OFFICE:
            raise InvalidInput(_("A box-office terminal is replaced from its office: issue a new pairing code there."))
        new_name = (name or "").strip() or replacement_name(old.name)
        if len(new_name) > 100:
            raise InvalidInput(_("name must be 1 to 100 characters."))
        _revoke_locked(old)
        new = Device.objects.create(event_id=old.event_id, checkpoint_id=old.checkpoint_id, name=new_name, role=old.role,
                                    pairing_code=_new_code(), pairing_expires_at=_expiry())
    return Replacement(old=old, new=new, pairing_code=new.pairing_code, pairing_expires_at=new.pairing_expires_at)


def record_heartbeat(*, device: Device, device_time: datetime, app_version: str = "") -> Heartbeat:
    now = timezone.now()
    offset = int((now - device_time).total_seconds() * 1000)
    Device.objects.filter(pk=device.pk).update(last_seen_at=now, clock_offset_ms=offset,
                                               app_version=app_version[:40])
    return Heartbeat(server_time=now, clock_offset_ms=offset)


def is_online(device: Device) -> bool:
    return bool(device.last_seen_at and
                timezone.now() - device.last_seen_at < timedelta(seconds=settings.DEVICE_ONLINE_SECONDS))
