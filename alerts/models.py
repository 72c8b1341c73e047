"""Alerts for managers (the model moved here from access/ in issue 15; its table keeps its name)."""
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alerts.texts import message_of
from alerts.vocabulary import AlertKind
from events.models import Event


class Alert(models.Model):
    """Anomalies for managers: stored, shown live and in the admin, acknowledgeable. People read
    `text` rendered in their own language (alerts/texts.py); `message` is its English, as raised."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("event"))
    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    message = models.CharField(_("message"), max_length=500)
    # The words' key and values (alerts.texts.AlertText.stored()); empty for alerts raised before.
    text = models.JSONField(_("words"), default=dict, blank=True, db_default=models.Value({}, models.JSONField()))
    data = models.JSONField(_("details"), default=dict, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.CharField(_("acknowledged by"), max_length=150, blank=True, default="")

    class Meta:
        db_table = "access_alert"
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_known"),
            models.UniqueConstraint(fields=["event", "dedupe_key"], name="alert_dedupe"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.words()}"

    def words(self) -> str:
        """The message in the active language: what the API, the dashboard and the admin show."""
        return message_of(self.text, self.message)
