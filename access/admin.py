import io

import segno
from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from access import services
from access.models import Alert, Checkpoint, Credential, Scan
from events.models import Zone
from ticketcore.adminutils import ReadOnlyAdminMixin
from ticketcore.errors import DomainError


class EventScopedForm(forms.ModelForm):
    """Friendly admin validation of zones/checkpoints against the event (the services check again)."""

    def clean(self):
        data = super().clean()
        event_id = data["event"].pk if data.get("event") else getattr(self.instance, "event_id", None)
        if event_id:
            known_zones = set(Zone.objects.filter(event_id=event_id).values_list("zone_id", flat=True))
            bad = sorted(set(data.get("zones") or []) - known_zones)
            if bad:
                self.add_error("zones", f"Unknown zone(s) in this event: {', '.join(bad)}.")
            if "checkpoints" in self.fields:
                known_cps = set(Checkpoint.objects.filter(event_id=event_id).values_list("checkpoint_id", flat=True))
                bad = sorted(set(data.get("checkpoints") or []) - known_cps)
                if bad:
                    self.add_error("checkpoints", f"Unknown checkpoint(s) in this event: {', '.join(bad)}.")
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", "Must be after valid_from.")
        return data


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    form = EventScopedForm
    list_display = ("name", "checkpoint_id", "event", "zones", "directions")
    list_filter = ("event", "directions")
    search_fields = ("name", "checkpoint_id")
    fields = ("event", "name", "zones", "directions")

    def save_model(self, request, obj, form, change):
        try:
            if change:  # name, zones and directions are editable; the event is not
                services.update_checkpoint(checkpoint_id=obj.pk, name=obj.name, zones=obj.zones,
                                           directions=obj.directions)
                return
            created = services.create_checkpoint(event_id=obj.event_id, name=obj.name, zones=obj.zones,
                                                 directions=obj.directions)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = obj.checkpoint_id = created.checkpoint_id

    def get_readonly_fields(self, request, obj=None):
        return ("event",) if obj else ()


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = EventScopedForm
    list_display = ("name", "kind", "event", "zones", "valid_from", "valid_until", "inside", "revoked_at")
    list_filter = ("event", "kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "credential_id")
    fields = ("event", "name", "kind", "zones", "checkpoints", "valid_from", "valid_until", "qr", "inside",
              "revoked_at")
    readonly_fields = ("qr", "inside", "revoked_at")
    actions = ["revoke_credentials"]

    @admin.display(description="QR code (print)")
    def qr(self, obj):
        if obj.pk is None:
            return "Save to get the signed QR code."
        buf = io.BytesIO()
        segno.make(services.credential_code(obj), error="m").save(buf, kind="svg", scale=4, xmldecl=False)
        return format_html('<div>{}</div><a href="/api/v1/credentials/{}/qr?format=png">PNG to print</a>',
                           mark_safe(buf.getvalue().decode()), obj.pk)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (("event", "kind") if obj else ())

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.update_credential(credential_id=obj.pk, name=obj.name, zones=obj.zones,
                                           checkpoints=obj.checkpoints, valid_from=obj.valid_from,
                                           valid_until=obj.valid_until)
                return
            created = services.create_credential(event_id=obj.event_id, name=obj.name, kind=obj.kind, zones=obj.zones,
                                                 checkpoints=obj.checkpoints, valid_from=obj.valid_from,
                                                 valid_until=obj.valid_until)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = obj.credential_id = created.credential_id

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke selected credentials")
    def revoke_credentials(self, request, queryset):
        for credential in queryset:
            services.revoke_credential(credential_id=credential.pk)
        self.message_user(request, f"Revoked {queryset.count()} credential(s).", messages.SUCCESS)


@admin.register(Scan)
class ScanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Scan records are evidence: read-only (a database trigger refuses changes too)."""

    list_display = ("server_time", "result", "reason", "direction", "checkpoint", "device", "ticket", "credential",
                    "mode", "quarantined", "late")
    list_filter = ("event", "result", "reason", "direction", "mode", "quarantined", "late", "checkpoint")
    search_fields = ("scan_id", "ticket__ticket_id", "ticket__seat_id", "device__name")
    list_select_related = ("checkpoint", "device", "ticket", "credential")
    show_full_result_count = False


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    """Anomaly alerts (access/anomalies.py): read-only; acknowledging is the only change, through
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
        from access.anomalies import acknowledge_alert

        changed = sum(acknowledge_alert(alert_id=pk, user=request.user.get_username()).changed
                      for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"Acknowledged {changed} alert(s).", messages.SUCCESS)
