"""Alerts for managers (the model moved here from access/ in issue 15; its table keeps its name)."""
from django.db import models
from django.db.models import Q

from alerts.vocabulary import AlertKind
from events.models import Event


class Alert(models.Model):
    """Anomalies for managers: stored, shown live and in the admin, acknowledgeable."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=32)  # alerts.vocabulary.AlertKind
    message = models.CharField(max_length=500)
    data = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.CharField(max_length=150, blank=True, default="")

    class Meta:
        db_table = "access_alert"
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_known"),
            models.UniqueConstraint(fields=["event", "dedupe_key"], name="alert_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"
