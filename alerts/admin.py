from django.contrib import admin, messages

from alerts.models import Alert
from alerts.services import acknowledge_alert


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Anomaly alerts (live/anomalies.py): read-only; acknowledging is the only change, through
    the same service as the dashboard button and POST /api/v1/alerts/{id}/acknowledge."""

    list_display = ("created_at", "kind", "message", "event", "acknowledged_at", "acknowledged_by")
    list_filter = (("acknowledged_at", admin.EmptyFieldListFilter), "kind", "event")
    search_fields = ("message", "dedupe_key")
    readonly_fields = ("event", "kind", "message", "data", "dedupe_key", "created_at", "acknowledged_at",
                       "acknowledged_by")
    list_select_related = ("event",)
    actions = ["acknowledge_alerts"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Acknowledge selected alerts", permissions=["view"])
    def acknowledge_alerts(self, request, queryset):
        changed = sum(acknowledge_alert(alert_id=pk, user=request.user.get_username()).changed
                      for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Acknowledged {changed} alert(s).", messages.SUCCESS)
