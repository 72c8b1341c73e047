from django.contrib import admin, messages

from alerts.models import Alert
from alerts.services import acknowledge_alert
from alerts.vocabulary import AlertKind
from core.localtime import LocalTimesAdminMixin

# What each kind is called on screen (the dashboard's static/dashboard/alerts.js says the same).
KIND_WORDS = {
    AlertKind.OFFLINE_CONFLICT: "Offline conflict", AlertKind.REJECTED_BURST: "Rejected burst",
    AlertKind.INVALID_SIGNATURE_BURST: "Forgery attempts", AlertKind.REVOKED_DEVICE: "Revoked device",
    AlertKind.DEVICE_SILENT: "Device silent", AlertKind.ZONE_CAPACITY: "Zone capacity",
    AlertKind.LATE_UPLOAD: "Late upload", AlertKind.OFFICE_CONFLICT: "Office conflict",
}


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return list(KIND_WORDS.items())

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Alert)
class AlertAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    """Anomaly alerts (live/anomalies.py): read-only; acknowledging is the only change, through
    the same service as the dashboard button and POST /api/v1/alerts/{id}/acknowledge."""

    list_display = ("created_at", "what", "message", "event_name", "acknowledged_at", "acknowledged_by")
    list_filter = (("acknowledged_at", admin.EmptyFieldListFilter), KindFilter, "event")
    search_fields = ("message", "dedupe_key")
    readonly_fields = ("event_name", "what", "message", "data", "dedupe_key", "created_at", "acknowledged_at",
                       "acknowledged_by")
    fields = readonly_fields
    # Times read on the event's clock with its offset (core/localtime.py).
    local_times = ("created_at", "acknowledged_at")
    list_select_related = ("event",)
    actions = ["acknowledge_alerts"]

    @admin.display(description="event", ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description="kind", ordering="kind")
    def what(self, obj):
        return KIND_WORDS.get(obj.kind, obj.kind)

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
