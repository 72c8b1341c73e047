import io

import segno
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from access import services
from access.models import Credential, Scan
from core.adminutils import ReadOnlyAdminMixin
from core.errors import DomainError
from events.forms import CheckboxesField, EventScopedForm


class CredentialForm(EventScopedForm):
    """Zones and gates ticked by name from the credential's event (none ticked = all of them)."""

    zones = CheckboxesField(label="Zones", unknown="Unknown zone(s) in this event: %(value)s.",
                            help_text="None ticked = every zone.")
    checkpoints = CheckboxesField(label="Gates", unknown="Unknown gate(s) in this event: %(value)s.",
                                  help_text="None ticked = every gate.")

    class Meta:
        model = Credential
        fields = ("event", "name", "kind", "zones", "checkpoints", "valid_from", "valid_until")
        labels = {"valid_from": "Valid from", "valid_until": "Valid until"}
        help_texts = {"valid_from": "Empty = from the start.", "valid_until": "Empty = no end."}


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = CredentialForm
    list_display = ("name", "kind", "event", "zone_names", "gate_names", "valid_from", "valid_until", "inside",
                    "revoked_at")
    list_filter = ("event", "kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "credential_id")
    fields = ("event", "name", "kind", "zones", "checkpoints", "valid_from", "valid_until", "qr", "inside",
              "revoked_at")
    readonly_fields = ("qr", "inside", "revoked_at")
    actions = ["revoke_credentials"]
    list_select_related = ("event",)

    class Media:
        css = {"all": ("backoffice/admin.css",)}
        js = ("backoffice/admin.js",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("event__zones", "event__checkpoints")

    @admin.display(description="zones")
    def zone_names(self, obj):
        if not obj.zones:
            return "All zones"
        return format_html_join(", ", "{}", ((z.name,) for z in obj.event.zones.all() if z.zone_id in obj.zones))

    @admin.display(description="gates")
    def gate_names(self, obj):
        if not obj.checkpoints:
            return "All gates"
        return format_html_join(", ", "{}", ((c.name,) for c in obj.event.checkpoints.all() if c.pk in obj.checkpoints))

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
