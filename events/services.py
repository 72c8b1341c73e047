"""The only code that creates or changes events, zones, the setup gate and signing keys."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from core.errors import InvalidInput, NotFound, ZonesLocked
from events.codes import new_keypair
from events.models import Checkpoint, Event, SigningKey, Zone
from events.vocabulary import CheckpointDirections


@dataclass(frozen=True)
class ZoneSpec:
    zone_id: str
    name: str
    color: str
    seats: int
    reentry: bool = False


@dataclass(frozen=True)
class SetupResult:
    event: Event
    status: bool
    zones: list[Zone]


def _create_key(event: Event) -> SigningKey:
    private, public = new_keypair()
    # The model's `private_key` setter seals it under the current KEK: only the envelope is stored.
    return SigningKey.objects.create(event=event, private_key=private, public_key=public, active=True)


def create_event(
    *,
    name: str,
    date_start: datetime,
    date_end: datetime,
    venue: str = "",
    doors_open_minutes: int = 720,
    doors_close_minutes: int = 360,
) -> Event:
    if date_end <= date_start:
        raise InvalidInput("date_end must be after date_start.", fields={"date_end": ["Must be after date_start."]})
    with transaction.atomic():
        event = Event.objects.create(
            name=name,
            venue=venue,
            date_start=date_start,
            date_end=date_end,
            doors_open_minutes=doors_open_minutes,
            doors_close_minutes=doors_close_minutes,
        )
        _create_key(event)
    return event


def rotate_signing_key(*, event_id: str) -> SigningKey:
    """New codes are signed with a fresh key; codes signed with older keys stay verifiable."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        SigningKey.objects.filter(event=event, active=True).update(active=False)
        return _create_key(event)


@dataclass(frozen=True)
class RewrapResult:
    rewrapped: int
    kek_id: str  # the current KEK, which now wraps every signing key


def rewrap_signing_keys() -> RewrapResult:
    """Re-wrap every signing key's data key under the current KEK (the first of SIGNING_KEYS_KEK),
    in one transaction: all rows or none. The private keys, their sealed form and every code stay
    the same; afterwards the older KEKs can be removed from the environment (docs/security.md)."""
    from events.keyring import current_kek_id, rewrap

    current = current_kek_id()
    count = 0
    with transaction.atomic():
        for key in SigningKey.objects.select_for_update().exclude(kek_id=current).order_by("pk"):
            envelope = rewrap(key.key_id, key.envelope)
            SigningKey.objects.filter(pk=key.pk).update(data_key_wrapped=envelope.data_key_wrapped,
                                                        kek_id=envelope.kek_id)
            count += 1
    return RewrapResult(rewrapped=count, kek_id=current)


def setup_zones(*, event_id: str, status: bool, zones: list[ZoneSpec] | None) -> SetupResult:
    """Replace the zone configuration and set the activation gate. Once tickets exist the zones
    are frozen (tickets copy their zone's name and colour); only `status` may still change."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        current = list(event.zones.all())
        if zones is not None:
            ids = [z.zone_id for z in zones]
            if len(set(ids)) != len(ids):
                raise InvalidInput("zone_id must be unique within the event.", fields={"zones": ["Duplicate zone_id."]})
            wanted = [(z.zone_id, z.name, z.color.upper(), z.seats, z.reentry) for z in zones]
            have = [(z.zone_id, z.name, z.color.upper(), z.seats, z.reentry) for z in current]
            if wanted != have:
                if event.generated_at is not None or event.tickets.exists():
                    raise ZonesLocked()
                Zone.objects.filter(event=event).delete()
                current = Zone.objects.bulk_create(
                    [
                        Zone(event=event, zone_id=z.zone_id, name=z.name, color=z.color.upper(),
                             seats=z.seats, reentry=z.reentry, position=i)
                        for i, z in enumerate(zones)
                    ]
                )
        if status and not current:
            raise InvalidInput("Cannot activate a setup without zones.", fields={"status": ["No zones configured."]})
        if event.setup_status != status:
            event.setup_status = status
            event.save(update_fields=["setup_status"])
    return SetupResult(event=event, status=status, zones=current)


def update_event(*, event_id: str, name: str, venue: str, date_start: datetime, date_end: datetime,
                 doors_open_minutes: int, doors_close_minutes: int) -> Event:
    """Edit an event's descriptive fields (admin). Dates copied into tickets are not rewritten."""
    if date_end <= date_start:
        raise InvalidInput("date_end must be after date_start.")
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        event.name, event.venue = name, venue
        event.date_start, event.date_end = date_start, date_end
        event.doors_open_minutes, event.doors_close_minutes = doors_open_minutes, doors_close_minutes
        event.save()
    return event


# --------------------------------------------------------------------------- checkpoints

def create_checkpoint(*, event_id: str, name: str, zones: list[str] | None = None,
                      directions: str = CheckpointDirections.BOTH) -> Checkpoint:
    if directions not in CheckpointDirections.values:
        raise InvalidInput("directions must be in, out or both.", fields={"directions": ["Must be in, out or both."]})
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound("No such event.")
        zones = sorted(set(zones or []))
        known = set(Zone.objects.filter(event=event).values_list("zone_id", flat=True))
        unknown = [z for z in zones if z not in known]
        if unknown:
            raise InvalidInput(f"Unknown zones: {', '.join(unknown)}.", fields={"zones": [f"Unknown zone {z}." for z in unknown]})
        return Checkpoint.objects.create(event=event, name=name, zones=zones, directions=directions)


def update_checkpoint(*, checkpoint_id: str, name: str, zones: list[str], directions: str) -> Checkpoint:
    """Edit a gate (admin). The event is fixed; zones must exist in it."""
    if directions not in CheckpointDirections.values:
        raise InvalidInput("directions must be in, out or both.", fields={"directions": ["Must be in, out or both."]})
    with transaction.atomic():
        checkpoint = Checkpoint.objects.select_for_update().filter(pk=checkpoint_id).first()
        if checkpoint is None:
            raise NotFound("No such checkpoint.")
        zones = sorted(set(zones or []))
        unknown = set(zones) - set(Zone.objects.filter(event_id=checkpoint.event_id).values_list("zone_id", flat=True))
        if unknown:
            raise InvalidInput(f"Unknown zones: {', '.join(sorted(unknown))}.")
        checkpoint.name, checkpoint.zones, checkpoint.directions = name, zones, directions
        checkpoint.save(update_fields=["name", "zones", "directions"])
    return checkpoint
