from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.models import COLOR_REGEX, Event, Zone
from tickets.references import MAX_LENGTH as REFERENCE_MAX_LENGTH
from tickets.references import REFERENCE_REGEX, new_reference

LEDGER_ACTIONS = (
    "generated",
    "accessed",
    "came-out",
    "updated",
    "offline",
    "unassign",
    "sold",
    "held",
    "released",
)

TICKET_VERSION_SEQ = "tickets_ticket_version_seq"


class SaleChannel(models.TextChoices):
    """How a ticket was sold; the keys of `channels` in GET /api/v1/events/{id}/sales."""

    ONLINE = "online", pgettext_lazy("sales channel", "Online")  # checkout of a hold (tickets/holds.py)
    BOX_OFFICE = "box_office", _("Box office")  # an office's uploaded sale (offices/services.py)
    MANUAL = "manual", _("Sold by staff")  # staff sale: admin, PATCH status false, sell_tickets


class TicketState(models.TextChoices):
    """The one state people see, derived from the seed's flags and the live holds, never stored:
    tickets/selectors.py STATE_RULES is its only definition (docs/adr/0024)."""

    AVAILABLE = "available", _("Available")
    HELD = "held", _("Held in a checkout")
    BOX_OFFICE = "box_office", _("At a box office")
    SOLD = "sold", _("Sold")
    INSIDE = "inside", _("Inside")
    OUT = "out", _("Left after entering")


class NextVal(models.Func):
    """`nextval('<sequence>')` as a database default: every insert and (by trigger) every update
    gets a fresh, globally increasing version. The scanner manifest and the Firestore mirror use it
    as their watermark."""

    template = "nextval('%(sequence)s')"
    output_field = models.BigIntegerField()

    def __init__(self, sequence: str):
        super().__init__(sequence=sequence)


class Ticket(models.Model):
    """One seat of one event: the atomic unit of admission (TMT ticket anatomy)."""

    id = models.BigAutoField(primary_key=True)
    ticket_id = models.CharField(_("ticket id"), max_length=48)  # {event_id}-{doc_id}; unique by constraint (no LIKE index)
    doc_id = models.CharField(_("document id"), max_length=20)
    # No single-column FK indexes: (event, seat_id) and (event, zone_id, id) lead with event, and
    # zones are never deleted once tickets exist. Fewer indexes = cheaper scans (docs/adr/0007).
    # The database guards both with ONE key, (event_id, zone_ref_id) -> events_zone (event_id, id)
    # (`ticket_zone_of_its_event`, migration 0012, docs/adr/0036): the zone exists, is the event's,
    # and the event exists through the zone's own key. Hence no per-field constraint here.
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="tickets", db_index=False,
                              db_constraint=False, verbose_name=_("event"))
    zone_ref = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="tickets", db_index=False,
                                 db_constraint=False, verbose_name=_("zone"))
    zone_id = models.CharField(_("zone code"), max_length=16)  # the zone's code, e.g. "A" (domain name, not the FK)
    zone = models.CharField(_("zone name"), max_length=100)  # the zone's display name
    color = models.CharField(_("color"), max_length=7)
    seat_id = models.CharField(_("seat"), max_length=32)  # {zone_id}-{seat_number}
    seat_number = models.PositiveIntegerField(_("seat number"))
    seat_row = models.CharField(_("row"), max_length=50, default="por asignar")
    status = models.BooleanField(_("available"), default=True)  # true = available, false = sold
    status_offline = models.BooleanField(_("assigned to a box office"), default=False)  # assigned to an offline office
    access_status = models.BooleanField(_("has entered"), default=False)  # scanned for entry at least once
    access_entry = models.BooleanField(_("inside now"), default=False)  # inside the venue now
    date_start = models.DateTimeField(_("starts at"))
    date_end = models.DateTimeField(_("ends at"))
    event_name = models.CharField(_("event name"), max_length=200)
    # The short code a person types (tickets/references.py); set at generation, never changes.
    reference = models.CharField(_("reference"), max_length=REFERENCE_MAX_LENGTH, default=new_reference,
                                 editable=False,
                                 help_text=_("The short code printed on the ticket, typed when its code cannot be read."))
    # Set by every sale from the zone's price at that moment; None while unsold, and for sales
    # made before prices existed (migration 0010 leaves them unknown rather than invent 0.00).
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, null=True, blank=True)
    channel = models.CharField(_("sales channel"), max_length=10, choices=SaleChannel.choices, null=True, blank=True)
    version = models.BigIntegerField(_("version"), db_default=NextVal(TICKET_VERSION_SEQ), editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_id"], name="ticket_id_unique"),
            models.UniqueConstraint(fields=["event", "seat_id"], name="ticket_seat_unique_per_event"),
            models.CheckConstraint(condition=Q(color__regex=COLOR_REGEX), name="ticket_color_hex"),
            models.CheckConstraint(
                condition=Q(access_entry=False) | Q(access_status=True), name="ticket_inside_implies_scanned"
            ),
            models.CheckConstraint(condition=Q(access_status=False) | Q(status=False), name="ticket_scanned_implies_sold"),
            models.UniqueConstraint(fields=["event", "reference"], name="ticket_reference_unique_per_event"),
            models.CheckConstraint(condition=Q(reference__regex=REFERENCE_REGEX), name="ticket_reference_format"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="ticket_price_not_negative"),
            models.CheckConstraint(condition=Q(channel__isnull=True) | Q(channel__in=SaleChannel.values),
                                   name="ticket_channel_known"),
            # An available ticket carries no sale: un-selling (PATCH status true) clears both.
            models.CheckConstraint(condition=Q(status=False) | Q(price__isnull=True, channel__isnull=True),
                                   name="ticket_unsold_has_no_price"),
        ]
        indexes = [
            # No index on `version` on purpose: a scan then changes no indexed column, so its
            # UPDATE is HOT (no index writes). Manifest deltas filter the event's rows instead.
            models.Index(fields=["event", "zone_id", "id"], name="ticket_event_zone_idx"),
        ]

    def __str__(self) -> str:
        return self.ticket_id


class LedgerEntry(models.Model):
    """Append-only history of a ticket. A database trigger refuses UPDATE and DELETE."""

    id = models.BigAutoField(primary_key=True)
    # No database key: ledger_names_a_ticket and ticket_never_deleted guard it (tickets/migrations/0013).
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, related_name="ledger", db_index=False,  # ledger_ticket_idx
                               db_constraint=False, verbose_name=_("ticket"))
    date = models.DateTimeField(_("date"), db_default=models.functions.Now())
    action = models.CharField(_("action"), max_length=16)
    metadata = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(condition=Q(action__in=LEDGER_ACTIONS), name="ledger_action_known"),
        ]
        indexes = [models.Index(fields=["ticket", "id"], name="ledger_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.action} @ {self.date:%Y-%m-%d %H:%M:%S}"


class TicketHold(models.Model):
    """One ticket inside one online checkout hold: the seed's `tickets_blocked` row (ticket, hold
    id, `locked_up` expiry). A hold is the set of rows sharing a `hold_id`.

    Exclusivity lives in PostgreSQL (docs/adr/0010): at most one row per ticket
    (`one_hold_per_ticket`), so a ticket is in at most one hold, live or expired. An expired row
    counts as available at once and is deleted lazily by whoever takes the ticket next (in the
    same transaction) or by the `tickets_unlock` sweep. Triggers (migration 0005) refuse a row
    for a sold or office-assigned ticket and refuse selling or assigning a ticket while it is
    held."""

    id = models.BigAutoField(primary_key=True)
    hold_id = models.CharField(_("hold id"), max_length=20)
    # No separate FK indexes: `one_hold_per_ticket` indexes ticket, and nothing looks holds up by event.
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                              verbose_name=_("event"))
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                               verbose_name=_("ticket"))
    locked_up = models.DateTimeField(_("expires at"))  # expiry; compared with the database clock, never Python's
    created_at = models.DateTimeField(_("created at"), db_default=models.functions.Now())

    class Meta:
        verbose_name = _("checkout hold")
        verbose_name_plural = _("checkout holds")
        db_table = "tickets_blocked"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], name="one_hold_per_ticket"),
            models.CheckConstraint(condition=Q(locked_up__gt=models.F("created_at")), name="hold_expires_after_creation"),
        ]
        indexes = [
            models.Index(fields=["hold_id"], name="hold_id_idx"),
            models.Index(fields=["locked_up"], name="hold_locked_up_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.hold_id}:{self.ticket_id}"

