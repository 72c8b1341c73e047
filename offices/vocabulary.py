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
