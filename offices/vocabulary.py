"""A box office sale's words, defined once (../shared/STYLE.md, "One vocabulary per rule"); the
values are fixed by API.md ("Offline office")."""
from django.db import models


class SaleResult(models.TextChoices):
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class SaleReason(models.TextChoices):
    NOT_ASSIGNED = "not_assigned", "not_assigned"
    ALREADY_SOLD = "already_sold", "already_sold"
