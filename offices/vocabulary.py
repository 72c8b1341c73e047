"""A box office sale's words, defined once (../shared/STYLE.md, "One vocabulary per rule"); the
values are fixed by API.md ("Offline office"); the labels are translated words (docs/adr/0029)."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class SaleResult(models.TextChoices):
    ACCEPTED = "accepted", pgettext_lazy("box-office sale", "Accepted")
    REJECTED = "rejected", pgettext_lazy("box-office sale", "Refused")


class SaleReason(models.TextChoices):
    NOT_ASSIGNED = "not_assigned", _("Seat not assigned to this office")
    ALREADY_SOLD = "already_sold", _("Seat already sold elsewhere")


class PaymentMethod(models.TextChoices):
    """How a box office's buyer paid, as the clerk recorded it (a record: TicketCore moves no money)."""

    CASH = "cash", _("Cash")
    CARD = "card", _("Card")


class KeptSaleState(models.TextChoices):
    """What a revoked office's kept sale (offices/evidence.py) would mean if it were applied now
    (offices.selectors.kept_sales).
    Only FREE_HERE is free of conflict: the seat is still this office's and unsold."""

    FREE_HERE = "free_here", _("No conflict: the seat is still this office's and unsold")
    RECORDED = "recorded", _("The server had already recorded this sale before the revocation")
    SOLD_HERE = "sold_here", _("Conflict: this office sold the seat in another sale")
    SOLD_ELSEWHERE = "sold_elsewhere", _("Conflict: the seat has been sold elsewhere")
    NOT_ASSIGNED = "not_assigned", _("Conflict: the seat is no longer this office's")
    UNKNOWN = "unknown", _("Conflict: no such ticket in this event")

