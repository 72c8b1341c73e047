"""The only code that creates or changes events, zones, the setup gate and signing keys."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import InvalidInput, NotFound, ZonesLocked, interpolate, problems_message
from core.localtime import DEFAULT_TIME_ZONE, is_time_zone
from events.codes import new_keypair
from events.currencies import DEFAULT_CURRENCY, is_currency
from events.models import COLOR_REGEX, Checkpoint, Event, Language, SigningKey, Zone
from events.signals import zone_changed
from events.vocabulary import CheckpointDirections

PRICE_MAX = Decimal("99999999.99")  # DecimalField(max_digits=10, decimal_places=2)
NO_SUCH_EVENT = _("No such event.")
UNKNOWN_TIME_ZONE = _("Unknown time zone; use an IANA name such as Europe/Madrid or UTC.")
UNKNOWN_CURRENCY = _("Unknown currency; use an ISO 4217 code such as EUR or USD.")
MUST_END_AFTER_START = _("Must be after date_start.")


@dataclass(frozen=True)
class ZoneSpec:
    zone_id: str
    name: str
    color: str
    seats: int
    reentry: bool = False
    # None keeps the zone's current price (0.00 for a new zone): a client that re-sends the
    # zones only to open or close the gate, and knows nothing of prices, changes none.
    price: Decimal | None = None


@dataclass(frozen=True)
class SetupResult:
    event: Event
    status: bool
    zones: list[Zone]


@dataclass(frozen=True)
class ZoneUpdateResult:
    zone: Zone
    changes: dict = field(default_factory=dict)  # field -> [before, after]
    tickets_updated: int = 0  # tickets whose copy of the zone's name or colour was rewritten


# --------------------------------------------------------------------------- validation
# The API's serializers check the same first, for the field errors; services never trust callers.

def check_locale(*, timezone: str | None = None, currency: str | None = None, language: str | None = None) -> None:
    """Refuse an unknown IANA time zone, a currency outside ISO 4217 or a language we do not print in."""
    problems: dict[str, list[str]] = {}
    if timezone is not None and not is_time_zone(timezone):
        problems["timezone"] = [UNKNOWN_TIME_ZONE]
    if currency is not None and not is_currency(currency):
        problems["currency"] = [UNKNOWN_CURRENCY]
    if language is not None and language not in Language.values:
        problems["language"] = [interpolate(_("Must be one of: %(values)s."), values=", ".join(Language.values))]
    if problems:
        raise InvalidInput(problems_message(problems), fields=problems)


def check_price(price, *, field_name: str = "price") -> Decimal:
    """A price is a decimal from 0.00 to 99,999,999.99 with at most two decimals."""
    try:
        value = price if isinstance(price, Decimal) else Decimal(str(price))
    except (InvalidOperation, ValueError, TypeError):
        value = None
    cents = Decimal("0.01")
    if (value is None or isinstance(price, (bool, float)) or not value.is_finite() or value < 0
            or value > PRICE_MAX or value != value.quantize(cents)):
        raise InvalidInput(interpolate(_("%(field)s must be a decimal from 0.00 to %(max)s with at most two decimals."),
                                       field=field_name, max=PRICE_MAX),
                           fields={field_name: [_("Must be a decimal from 0.00 with at most two decimals.")]})
    return value.quantize(cents)


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
    timezone: str = DEFAULT_TIME_ZONE,
    currency: str = DEFAULT_CURRENCY,
    language: str = Language.SPANISH,
) -> Event:
    if date_end <= date_start:
        raise InvalidInput(_("date_end must be after date_start."), fields={"date_end": [MUST_END_AFTER_START]})
    check_locale(timezone=timezone, currency=currency, language=language)
    with transaction.atomic():
        event = Event.objects.create(
            name=name,
            venue=venue,
            date_start=date_start,
            date_end=date_end,
            doors_open_minutes=doors_open_minutes,
            doors_close_minutes=doors_close_minutes,
            timezone=timezone,
            currency=currency,
            language=language,
        )
        _create_key(event)
    return event


def rotate_signing_key(*, event_id: str) -> SigningKey:
    """New codes are signed with a fresh key; codes signed with older keys stay verifiable."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(NO_SUCH_EVENT)
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
    can no longer be replaced here (409 zones_locked, the contract's PUT); `status` may still
    change, and `update_zone` still changes what does not touch seat identity."""
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(NO_SUCH_EVENT)
        current = list(event.zones.all())
        if zones is not None:
            ids = [z.zone_id for z in zones]
            if len(set(ids)) != len(ids):
                raise InvalidInput(_("zone_id must be unique within the event."),
                                   fields={"zones": [_("Duplicate zone_id.")]})
            prices = {z.zone_id: z.price for z in current}
            wanted = [(z.zone_id, z.name, z.color.upper(), z.seats, z.reentry,
                       check_price(z.price, field_name="zones") if z.price is not None
                       else prices.get(z.zone_id, Decimal("0.00")))
                      for z in zones]
            have = [(z.zone_id, z.name, z.color.upper(), z.seats, z.reentry, z.price) for z in current]
            if wanted != have:
                if event.generated_at is not None or event.tickets.exists():
                    raise ZonesLocked()
                Zone.objects.filter(event=event).delete()
                current = Zone.objects.bulk_create(
                    [
                        Zone(event=event, zone_id=zone_id, name=name, color=color, seats=seats, reentry=reentry,
                             price=price, position=i)
                        for i, (zone_id, name, color, seats, reentry, price) in enumerate(wanted)
                    ]
                )
        if status and not current:
            raise InvalidInput(_("Cannot activate a setup without zones."), fields={"status": [_("No zones configured.")]})
        if event.setup_status != status:
            event.setup_status = status
            event.save(update_fields=["setup_status"])
    return SetupResult(event=event, status=status, zones=current)


def update_event(*, event_id: str, name: str, venue: str, date_start: datetime, date_end: datetime,
                 doors_open_minutes: int, doors_close_minutes: int, timezone: str | None = None,
                 currency: str | None = None, language: str | None = None) -> Event:
    """Edit an event's descriptive fields (admin). Dates copied into tickets are not rewritten.
    `timezone`, `currency` and `language` left None keep their value. The currency can change
    only until the first ticket is sold (zone prices keep their numbers: nothing is converted)."""
    if date_end <= date_start:
        raise InvalidInput(_("date_end must be after date_start."))
    check_locale(timezone=timezone, currency=currency, language=language)
    with transaction.atomic():
        event = Event.objects.select_for_update().filter(pk=event_id).first()
        if event is None:
            raise NotFound(NO_SUCH_EVENT)
        if currency is not None and currency != event.currency and event.tickets.filter(status=False).exists():
            # The prices already taken are numbers in the old currency; relabelling them would
            # change every revenue figure without a cent changing hands.
            raise InvalidInput(interpolate(_("Tickets have been sold in %(currency)s; the currency can no longer "
                                             "change."), currency=event.currency),
                               fields={"currency": [interpolate(_("Tickets have been sold in %(currency)s."),
                                                                currency=event.currency)]})
        event.name, event.venue = name, venue
        event.date_start, event.date_end = date_start, date_end
        event.doors_open_minutes, event.doors_close_minutes = doors_open_minutes, doors_close_minutes
        for attr, value in (("timezone", timezone), ("currency", currency), ("language", language)):
            if value is not None:
                setattr(event, attr, value)
        event.save()
    return event


def update_zone(*, event_id: str, zone_id: str, name: str | None = None, color: str | None = None,
                reentry: bool | None = None, price: Decimal | None = None) -> ZoneUpdateResult:
    """Change a zone's settings that do not touch seat identity, before or after generation:
    display name, colour, re-entry and price (None keeps a value). `zone_id` and `seats` never
    change here: tickets are numbered by them (`seat_id` = `{zone_id}-{n}`), so after generation
    they are fixed (setup_zones refuses them with zones_locked).

    A new name or colour is copied into the zone's tickets in the same transaction, by the
    tickets app's receiver of `events.signals.zone_changed` (their documents are re-queued for
    Firestore by the outbox triggers); for a zone of many thousand seats that takes seconds,
    during which scans of that zone wait: rename before the doors open. A new price applies to sales
    from now on: tickets already sold keep the price they were sold at. Re-entry is read by the
    scan at the moment of each scan; phones working offline learn it with their next manifest."""
    problems: dict[str, list[str]] = {}
    if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 100):
        problems["name"] = [_("Required, at most 100 characters.")]
    if color is not None and (not isinstance(color, str) or not re.fullmatch(COLOR_REGEX, color)):
        problems["color"] = [_("Must be a colour like #C0392B.")]
    if reentry is not None and not isinstance(reentry, bool):
        problems["reentry"] = [_("Must be true or false.")]
    if problems:
        raise InvalidInput(problems_message(problems), fields=problems)
    if price is not None:
        price = check_price(price)
    with transaction.atomic():
        # Lock order as in setup_zones and generation: the event row first, then the zone.
        if not Event.objects.select_for_update().filter(pk=event_id).exists():
            raise NotFound(NO_SUCH_EVENT)
        zone = Zone.objects.select_for_update().filter(event_id=event_id, zone_id=zone_id).first()
        if zone is None:
            raise NotFound(_("No such zone in this event."))
        wanted = {"name": name.strip() if name is not None else None, "color": color.upper() if color else None,
                  "reentry": reentry, "price": price}
        changes = {k: [getattr(zone, k), v] for k, v in wanted.items() if v is not None and v != getattr(zone, k)}
        if not changes:
            return ZoneUpdateResult(zone=zone)
        for k, (_before, after) in changes.items():
            setattr(zone, k, after)
        zone.save(update_fields=list(changes))
        # The tickets app rewrites its copies of the name and colour in this same transaction.
        replies = zone_changed.send(sender=Zone, zone=zone, changes=changes)
        tickets_updated = sum(r for _receiver, r in replies if isinstance(r, int))
    return ZoneUpdateResult(zone=zone, changes=changes, tickets_updated=tickets_updated)


# --------------------------------------------------------------------------- checkpoints

def create_checkpoint(*, event_id: str, name: str, zones: list[str] | None = None,
                      directions: str = CheckpointDirections.BOTH) -> Checkpoint:
    if directions not in CheckpointDirections.values:
        raise InvalidInput(_("directions must be in, out or both."), fields={"directions": [_("Must be in, out or both.")]})
    with transaction.atomic():
        event = Event.objects.filter(pk=event_id).first()
        if event is None:
            raise NotFound(NO_SUCH_EVENT)
        zones = sorted(set(zones or []))
        known = set(Zone.objects.filter(event=event).values_list("zone_id", flat=True))
        unknown = [z for z in zones if z not in known]
        if unknown:
            raise InvalidInput(interpolate(_("Unknown zones: %(zones)s."), zones=", ".join(unknown)),
                               fields={"zones": [interpolate(_("Unknown zone %(zone)s."), zone=z) for z in unknown]})
        return Checkpoint.objects.create(event=event, name=name, zones=zones, directions=directions)


def update_checkpoint(*, checkpoint_id: str, name: str, zones: list[str], directions: str) -> Checkpoint:
    """Edit a gate (admin). The event is fixed; zones must exist in it."""
    if directions not in CheckpointDirections.values:
        raise InvalidInput(_("directions must be in, out or both."), fields={"directions": [_("Must be in, out or both.")]})
    with transaction.atomic():
        checkpoint = Checkpoint.objects.select_for_update().filter(pk=checkpoint_id).first()
        if checkpoint is None:
            raise NotFound(_("No such checkpoint."))
        zones = sorted(set(zones or []))
        unknown = set(zones) - set(Zone.objects.filter(event_id=checkpoint.event_id).values_list("zone_id", flat=True))
        if unknown:
            raise InvalidInput(interpolate(_("Unknown zones: %(zones)s."), zones=", ".join(sorted(unknown))))
        checkpoint.name, checkpoint.zones, checkpoint.directions = name, zones, directions
        checkpoint.save(update_fields=["name", "zones", "directions"])
    return checkpoint
