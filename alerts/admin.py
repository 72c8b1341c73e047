from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alerts.models import Alert
from alerts.services import acknowledge_alert
from alerts.vocabulary import AlertKind
from core.adminutils import ByName
from core.localtime import LocalTimesAdminMixin
from core.words import label


class KindFilter(admin.SimpleListFilter):
    """By kind, in the vocabulary's words (AlertKind's labels, as the dashboard says them)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return AlertKind.choices

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() in AlertKind.values else queryset


@admin.register(Alert)
class AlertAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    """Anomaly alerts (live/anomalies.py): read-only; acknowledging is the only change, through
    the same service as the dashboard button and POST /api/v1/alerts/{id}/acknowledge."""

    list_display = ("created_at", "what", "said", "event_name", "acknowledged_at", "acknowledged_by")
    list_filter = (("acknowledged_at", admin.EmptyFieldListFilter), KindFilter, ("event", ByName))
    search_fields = ("message", "dedupe_key")
    readonly_fields = ("event_name", "what", "said", "data", "dedupe_key", "created_at", "acknowledged_at",
                       "acknowledged_by")
    fields = readonly_fields
    # Times read on the event's clock with its offset (core/localtime.py).
    local_times = ("created_at", "acknowledged_at")
    list_select_related = ("event",)
    actions = ["acknowledge_alerts"]

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=_("message"))
    def said(self, obj):
        return obj.words()  # in the reader's language (the stored `message` is the English as raised)

    @admin.display(description=_("kind"), ordering="kind")
    def what(self, obj):
        return label(AlertKind, obj.kind)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Acknowledge selected alerts"), permissions=["view"])
    def acknowledge_alerts(self, request, queryset):
        changed = sum(acknowledge_alert(alert_id=pk, user=request.user.get_username()).changed
                      for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, ngettext("Acknowledged %(count)d alert.", "Acknowledged %(count)d alerts.",
                                            changed) % {"count": changed}, messages.SUCCESS)
