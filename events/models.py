from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from core.ids import firestore_id, short_id
from core.localtime import DEFAULT_TIME_ZONE, TIME_ZONE_MAX_LENGTH
from events import keyring
from events.currencies import DEFAULT_CURRENCY
from events.vocabulary import CheckpointDirections

ZONE_ID_REGEX = r"^[A-Za-z0-9_]{1,16}$"
COLOR_REGEX = r"^#[0-9A-Fa-f]{6}$"
# The shape of an IANA zone name (`Europe/Madrid`, `Etc/GMT+5`, `UTC`); the name itself is checked
# against the tz database in Python (core/localtime.py), which PostgreSQL cannot do in a CHECK.
TIME_ZONE_REGEX = r"^[A-Za-z][A-Za-z0-9_+/-]{0,63}$"
CURRENCY_REGEX = r"^[A-Z]{3}$"


class Language(models.TextChoices):
    """The language of an event's printed outputs (tickets, badges, reports)."""

    SPANISH = "es", "Español"
    ENGLISH = "en", "English"


def doors_window(date_start, date_end, open_before, close_after):
    """The doors window, defined once for Python values and for query expressions alike: it opens
    `open_before` ahead of the start and closes `close_after` past the end, both instants included.
    A ticket scanned outside it is `event_closed`. The PL/pgSQL scan function keeps its own copy
    as the database's guarantee (access/migrations/0008); the scan case table (tests/scan_cases.py,
    run by tests/access/test_scan_case_table.py) holds the two to the same instants."""
    return date_start - open_before, date_end + close_after


class _Minutes(models.Func):
    """`make_interval(mins => <integer>)`, as the scan function writes it."""

    template = "make_interval(mins => %(expressions)s)"
    output_field = models.DurationField()


def doors_window_of_row():
    """`doors_window` of the event row a query reads, as query expressions (its own dates and minutes)."""
    return doors_window(F("date_start"), F("date_end"), _Minutes("doors_open_minutes"),
                        _Minutes("doors_close_minutes"))


class EventQuerySet(models.QuerySet):
    def doors_open(self, at: datetime | None = None) -> EventQuerySet:
        """Events whose doors are open at `at` (default: the database's clock, now)."""
        opens, closes = doors_window_of_row()
        at = Now() if at is None else at
        return self.alias(doors_opened_at=opens, doors_closed_at=closes).filter(doors_opened_at__lte=at,
                                                                              doors_closed_at__gte=at)


class Event(models.Model):
    event_id = models.CharField(_("event id"), primary_key=True, max_length=20, default=firestore_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    venue = models.CharField(_("venue"), max_length=200, blank=True, default="")
    date_start = models.DateTimeField(_("starts at"))
    date_end = models.DateTimeField(_("ends at"))
    doors_open_minutes = models.PositiveIntegerField(
        _("doors open (minutes before the start)"), default=720,
        help_text=_("Tickets are admitted from this many minutes before the start."))
    doors_close_minutes = models.PositiveIntegerField(
        _("doors close (minutes after the end)"), default=360,
        help_text=_("Tickets are admitted until this many minutes after the end."))
    # events/{id}/setup/zones.status: the activation gate for ticket generation.
    setup_status = models.BooleanField(
        _("zones set up"), default=False,
        help_text=_("Tickets can be generated only once the zones are set up and this is on."))
    # Locale and money (docs/adr/0024): times are stored as instants and shown in `timezone`.
    timezone = models.CharField(
        _("time zone"), max_length=TIME_ZONE_MAX_LENGTH, default=DEFAULT_TIME_ZONE,
        help_text=_("A name such as Europe/Madrid: every time people see for this event is on its clock."))
    currency = models.CharField(_("currency"), max_length=3, default=DEFAULT_CURRENCY,
                                help_text=_("A three-letter code such as EUR."))
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.SPANISH,
                                help_text=_("The language of the event's printed tickets, badges and reports."))
    generated_at = models.DateTimeField(_("tickets generated at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-date_start"]
        constraints = [
            models.CheckConstraint(condition=Q(date_end__gt=F("date_start")), name="event_ends_after_start"),
            models.CheckConstraint(condition=Q(timezone__regex=TIME_ZONE_REGEX), name="event_timezone_format"),
            models.CheckConstraint(condition=Q(currency__regex=CURRENCY_REGEX), name="event_currency_iso4217"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="event_language_known"),
        ]

    def __str__(self) -> str:
        return self.name  # people read names, never internal ids (issue 17)

    @property
    def _doors(self) -> tuple[datetime, datetime]:
        return doors_window(self.date_start, self.date_end, timedelta(minutes=self.doors_open_minutes),
                            timedelta(minutes=self.doors_close_minutes))

    @property
    def doors_open_at(self) -> datetime:
        return self._doors[0]

    @property
    def doors_close_at(self) -> datetime:
        return self._doors[1]

    def doors_are_open(self, at: datetime) -> bool:
        """As `Event.objects.doors_open(at)` for this one event, without a query."""
        opens, closes = self._doors
        return opens <= at <= closes


class Zone(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="zones", verbose_name=_("event"))
    zone_id = models.CharField(_("zone code"), max_length=16)
    name = models.CharField(_("name"), max_length=100)
    color = models.CharField(_("color"), max_length=7)
    seats = models.PositiveIntegerField(_("seats"))
    reentry = models.BooleanField(_("re-entry allowed"), default=False,
                                  help_text=_("A ticket of this zone may go out and come back in."))
    # In the event's currency; copied onto each ticket when it is sold (Ticket.price).
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=Decimal("0.00"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "zone_id"], name="zone_unique_per_event"),
            models.CheckConstraint(condition=Q(color__regex=COLOR_REGEX), name="zone_color_hex"),
            models.CheckConstraint(condition=Q(zone_id__regex=ZONE_ID_REGEX), name="zone_id_format"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="zone_has_seats"),
            models.CheckConstraint(condition=Q(price__gte=0), name="zone_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.zone_id} {self.name}"


class SigningKey(models.Model):
    """Per-event Ed25519 key for ticket and credential codes. The private half never leaves the
    server: it is excluded from the API, the admin, logs and the Firestore mirror, and it is
    stored only encrypted under a key from the environment (events/keyring.py, docs/adr/0019)."""

    key_id = models.CharField(_("key id"), primary_key=True, max_length=12, default=short_id, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="signing_keys", verbose_name=_("event"))
    # The envelope: private key under a per-row data key, data key under the KEK `kek_id`.
    private_key_sealed = models.BinaryField(_("sealed private key"), editable=False)
    data_key_wrapped = models.BinaryField(_("wrapped data key"), editable=False)
    kek_id = models.CharField(_("key-encryption key"), max_length=16, editable=False)
    public_key = models.BinaryField(_("public key"), editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event"], condition=Q(active=True), name="one_active_signing_key_per_event"),
        ]

    @property
    def envelope(self) -> keyring.Envelope:
        return keyring.Envelope(private_key_sealed=bytes(self.private_key_sealed),
                                data_key_wrapped=bytes(self.data_key_wrapped), kek_id=self.kek_id)

    @property
    def private_key(self) -> bytes:
        """The raw private key (decrypted once per process; needs the row's KEK). Read for every
        code computed, so the cached case is one dictionary lookup."""
        return keyring.decrypted.get(self.key_id) or keyring.private_key(self.key_id, self.envelope)

    @private_key.setter
    def private_key(self, raw: bytes) -> None:
        envelope = keyring.seal(self.key_id, raw)
        self.private_key_sealed, self.data_key_wrapped = envelope.private_key_sealed, envelope.data_key_wrapped
        self.kek_id = envelope.kek_id

    def __repr__(self) -> str:  # never print key material
        return f"<SigningKey {self.key_id} event={self.event_id} active={self.active}>"

    __str__ = __repr__


def checkpoint_id() -> str:
    return "cp" + short_id(10)


class Checkpoint(models.Model):
    """A gate. `zones` empty means every zone of the event is admitted here."""

    checkpoint_id = models.CharField(_("checkpoint id"), primary_key=True, max_length=16, default=checkpoint_id,
                                     editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("event"))
    name = models.CharField(_("name"), max_length=100)
    zones = ArrayField(models.CharField(max_length=16), default=list, blank=True, verbose_name=_("zones"),
                       help_text=_("The codes of the zones admitted here; none means every zone."))
    directions = models.CharField(_("directions"), max_length=4, choices=CheckpointDirections.choices,
                                  default=CheckpointDirections.BOTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        db_table = "access_checkpoint"  # moved from access/ in issue 15; the table keeps its name
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(directions__in=CheckpointDirections.values),
                                   name="checkpoint_directions_known"),
        ]

    def __str__(self) -> str:
        return self.name

    def allows(self, direction: str) -> bool:
        return self.directions == CheckpointDirections.BOTH or self.directions == direction
