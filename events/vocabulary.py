"""The venue's words, defined once (../shared/STYLE.md, "One vocabulary per rule"): which way a
person goes through a gate, and which ways a gate lets them. Models, constraints, serializers,
services and the scan code take them from here; the values are the wire values of API.md.

The labels are the words people read (the admin's forms and lists, exports), translated
(docs/adr/0029); the values never change. A label change is a migration of Django's state only
(no SQL)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    """The `direction` of a scan."""

    IN = "in", _("Entry")
    OUT = "out", _("Exit")


class CheckpointDirections(models.TextChoices):
    """Which scan directions a checkpoint (gate) admits."""

    IN = Direction.IN.value, _("Entry only")
    OUT = Direction.OUT.value, _("Exit only")
    BOTH = "both", _("Entry and exit")
