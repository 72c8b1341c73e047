"""Offline box offices: an office per event with its own paired device, the tickets assigned to
it, and the sales it uploads.

The rules that the product promises live in PostgreSQL (offices/migrations/0002): an office's
device is an `office` device of the same event; `status_offline` is true exactly while a ticket
has an open assignment; an assigned ticket is sold only through an accepted sale recorded for
the office it is assigned to; sales and assignments are never deleted. See
docs/adr/0013-offline-office-money.md."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.ids import short_id
from events.models import Event
from offices.vocabulary import PaymentMethod, SaleReason, SaleResult
from tickets.models import Ticket


def office_id() -> str:
    return "of" + short_id(14)


class Office(models.Model):
    """A box office that sells its assigned tickets offline and syncs the sales later."""

    office_id = models.CharField(_("box office id"), primary_key=True, max_length=16, default=office_id,
                                 editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="offices", verbose_name=_("event"))
    name = models.CharField(_("name"), max_length=100)
    # The office's terminal authenticates as this device (`Authorization: Device <token>`).
    device = models.OneToOneField("devices.Device", on_delete=models.PROTECT, related_name="office",
                                  verbose_name=_("terminal"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("box office")
        verbose_name_plural = _("box offices")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OfficeAssignment(models.Model):
    """One ticket handed to one office. Open while `returned_at` is null; closed when the
    unsold ticket is returned online (unassign). A sold ticket's assignment stays open: the
    office sold it. Rows are never deleted (the reconciliation counts them)."""

    id = models.BigAutoField(primary_key=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="assignments",
                               verbose_name=_("box office"))
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                              verbose_name=_("event"))
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, related_name="office_assignments",
                               db_index=False, verbose_name=_("ticket"))
    assigned_at = models.DateTimeField(_("assigned at"), db_default=models.functions.Now())
    assigned_by = models.CharField(_("assigned by"), max_length=150, blank=True, default="")
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.CharField(_("returned by"), max_length=150, blank=True, default="")

    class Meta:
        verbose_name = _("ticket assigned to a box office")
        verbose_name_plural = _("tickets assigned to box offices")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket"], condition=Q(returned_at__isnull=True),
                                    name="one_open_assignment_per_ticket"),
            models.CheckConstraint(condition=Q(returned_at__isnull=True) | Q(returned_at__gte=models.F("assigned_at")),
                                   name="assignment_returned_after_assigned"),
        ]
        indexes = [
            models.Index(fields=["office", "ticket"], name="assignment_office_ticket_idx"),
            models.Index(fields=["ticket", "id"], name="assignment_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}:{self.ticket_id}"


class OfficeSale(models.Model):
    """Every sale an office uploaded, accepted or rejected, keyed by the office's `sale_id`
    (idempotent retries replay `response`). A rejected sale is kept as evidence: the office took
    money for it (docs/adr/0013). Append-only: a trigger refuses UPDATE and DELETE."""

    sale_id = models.UUIDField(_("sale id"), primary_key=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="sales", verbose_name=_("box office"))
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                              verbose_name=_("event"))
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, null=True, related_name="office_sales",
                               db_index=False, verbose_name=_("ticket"))
    ticket_ref = models.CharField(_("ticket id as sent"), max_length=48)  # the ticket_id exactly as the office sent it
    result = models.CharField(_("result"), max_length=8, choices=SaleResult.choices)
    reason = models.CharField(_("reason"), max_length=16, null=True, blank=True, choices=SaleReason.choices)
    sold_at = models.DateTimeField(_("sold at (box-office clock)"))  # the office's local clock, as sent
    buyer = models.JSONField(_("buyer"), null=True, blank=True)
    # How the buyer paid, as the terminal recorded it (null: not recorded, e.g. an older client).
    payment_method = models.CharField(_("payment method"), max_length=8, null=True, blank=True,
                                      choices=PaymentMethod.choices)
    received_at = models.DateTimeField(_("received at"), db_default=models.functions.Now())
    response = models.JSONField(_("answer given"))

    class Meta:
        verbose_name = _("box-office sale")
        verbose_name_plural = _("box-office sales")
        ordering = ["received_at"]
        constraints = [
            models.CheckConstraint(condition=Q(result__in=SaleResult.values), name="office_sale_result_known"),
            models.CheckConstraint(
                condition=(Q(result=SaleResult.ACCEPTED, reason__isnull=True, ticket__isnull=False)
                           | Q(result=SaleResult.REJECTED, reason__isnull=False, reason__in=SaleReason.values)),
                name="office_sale_reason_matches_result",
            ),
            models.UniqueConstraint(fields=["ticket"], condition=Q(result=SaleResult.ACCEPTED),
                                    name="one_accepted_office_sale_per_ticket"),
            models.CheckConstraint(condition=Q(payment_method__isnull=True) | Q(payment_method__in=PaymentMethod.values),
                                   name="office_sale_payment_method_known"),
        ]
        indexes = [
            models.Index(fields=["office", "received_at"], name="office_sale_office_idx"),
            models.Index(fields=["ticket"], name="office_sale_ticket_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sale_id} {self.result}"


class KeptOfficeSale(models.Model):
    """A sale a revoked office's terminal kept on the device (the API refuses a revoked token, so
    the terminal could not upload it) and staff handed in as a file: quarantined evidence of money
    taken, never applied (no ticket sold, no ledger entry, no alert). One row per `sale_id`; only
    for an office whose terminal is revoked; append-only (offices/migrations/0005). What it would
    have meant now is judged when shown (offices.selectors.kept_sales). docs/adr/0031."""

    id = models.BigAutoField(primary_key=True)
    sale_id = models.UUIDField(_("sale id"), unique=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="kept_sales",
                               verbose_name=_("box office"))
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                              verbose_name=_("event"))
    # The office's event's ticket with the id the terminal recorded (null: no such ticket).
    ticket = models.ForeignKey(Ticket, on_delete=models.DO_NOTHING, null=True, related_name="+", db_index=False,
                               verbose_name=_("ticket"))
    ticket_ref = models.CharField(_("ticket id as sent"), max_length=48)
    seat_ref = models.CharField(_("seat as sent"), max_length=32, blank=True, default="")
    # What the terminal charged (its zone price at the time), as the file says.
    price = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True, default="")
    payment_method = models.CharField(_("payment method"), max_length=8, null=True, blank=True,
                                      choices=PaymentMethod.choices)
    buyer = models.JSONField(_("buyer"), null=True, blank=True)
    sold_at = models.DateTimeField(_("sold at (box-office clock)"))
    device_id = models.CharField(_("terminal"), max_length=16)
    file_name = models.CharField(_("file"), max_length=200)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("handed in at"), db_default=models.functions.Now())
    uploaded_by = models.CharField(_("handed in by"), max_length=150)

    class Meta:
        verbose_name = _("sale kept by a revoked box office")
        verbose_name_plural = _("sales kept by revoked box offices")
        ordering = ["sold_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(payment_method__isnull=True) | Q(payment_method__in=PaymentMethod.values),
                                   name="kept_sale_payment_method_known"),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gte=0), name="kept_sale_price_not_negative"),
        ]
        indexes = [models.Index(fields=["office", "sold_at"], name="kept_sale_office_idx")]

    def __str__(self) -> str:
        return f"{self.sale_id} (kept)"
