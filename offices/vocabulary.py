"""A box office sale's words, defined once (../shared/STYLE.md, "One vocabulary per rule"); the
values are fixed by API.md ("Offline office")."""
from django.db import models


class SaleResult(models.TextChoices):
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class SaleReason(models.TextChoices):
    NOT_ASSIGNED = "not_assigned", "not_assigned"
    ALREADY_SOLD = "already_sold", "already_sold"


class PaymentMethod(models.TextChoices):
    """How a box office's buyer paid, as the clerk recorded it (a record: TicketCore moves no money)."""

    CASH = "cash", "cash"
    CARD = "card", "card"
