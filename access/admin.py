import io

import segno
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from access import services
from access.models import Credential, Scan
from core.adminutils import ReadOnlyAdminMixin
from core.errors import DomainError
from core.localtime import LocalTimesAdminMixin
from events.forms import EventScopedForm


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
class ScanAdmin(LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Scan records are evidence: read-only (a database trigger refuses changes too). Times read on
    the event's clock with its offset (core/localtime.py)."""

    local_times = ("server_time", "scanned_at", "effective_at")

    list_display = ("server_time", "result", "reason", "direction", "checkpoint", "device", "ticket", "credential",
                    "mode", "quarantined", "late")
    list_filter = ("event", "result", "reason", "direction", "mode", "quarantined", "late", "checkpoint")
    search_fields = ("scan_id", "ticket__ticket_id", "ticket__seat_id", "device__name")
    list_select_related = ("event", "checkpoint", "device", "ticket", "credential")
    show_full_result_count = False
