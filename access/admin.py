import io

import segno
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from access import services
from access.models import Credential, Scan
from core.adminutils import ReadOnlyAdminMixin
from core.errors import DomainError
from core.localtime import LocalTimesAdminMixin, format_local
from core.localtime import zone as time_zone
from events.forms import CheckboxesField, EventScopedForm, event_time_zone_name


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone_name = event_time_zone_name(self.event_id())
        for name in ("valid_from", "valid_until"):
            if zone_name and name in self.fields:
                self.fields[name].help_text = f"On the event's clock ({zone_name}). " + self.fields[name].help_text


@admin.register(Credential)
class CredentialAdmin(admin.ModelAdmin):
    form = CredentialForm
    list_display = ("name", "kind", "event", "zone_names", "gate_names", "validity", "inside", "revoked_at")
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

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Times are shown and typed on the event's clock (docs/adr/0024), as on the event page.
        event_id = request.POST.get("event") or request.GET.get("event")
        if object_id:
            event_id = Credential.objects.filter(pk=unquote(object_id)).values_list("event_id", flat=True).first()
        zone_name = event_time_zone_name(event_id)
        with timezone.override(time_zone(zone_name) if zone_name else timezone.get_current_timezone()):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()
            return response

    def get_fields(self, request, obj=None):
        return self.fields if obj else [f for f in self.fields if f not in self.readonly_fields]

    @admin.display(description="valid", ordering="valid_from")
    def validity(self, obj):
        if not obj.valid_from and not obj.valid_until:
            return "Whole event"
        start = format_local(obj.valid_from, obj.event.timezone) if obj.valid_from else "the start"
        end = format_local(obj.valid_until, obj.event.timezone) if obj.valid_until else "the end"
        return f"From {start} to {end}"

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
