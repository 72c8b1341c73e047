"""The venue's words, defined once (../shared/STYLE.md, "One vocabulary per rule"): which way a
person goes through a gate, and which ways a gate lets them. Models, constraints, serializers,
services and the scan code take them from here; the values are the wire values of API.md.

Labels equal the values on purpose: they are what the admin has always shown, and a label change
would be a migration for nothing a scan sees."""
from django.db import models


class Direction(models.TextChoices):
    """The `direction` of a scan."""

    IN = "in", "in"
    OUT = "out", "out"


class CheckpointDirections(models.TextChoices):
    """Which scan directions a checkpoint (gate) admits."""

    IN = Direction.IN.value, "in"
    OUT = Direction.OUT.value, "out"
    BOTH = "both", "both"
