import io

import segno
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from access import services
from access.models import Credential, Scan
from access.vocabulary import CredentialKind, Reason, ScanMode, ScanResult
from core.adminutils import ByName, ReadOnlyAdminMixin, boolean_column
from core.errors import DomainError
from core.localtime import LocalTimesAdminMixin, format_local
from core.localtime import zone as time_zone
from core.words import label as words
from events.forms import CheckboxesField, EventScopedForm, event_time_zone_name
from events.vocabulary import Direction


class CredentialForm(EventScopedForm):
    """Zones and gates ticked by name from the credential's event (none ticked = all of them)."""

    zones = CheckboxesField(label=_("Zones"), unknown=_("Unknown zone(s) in this event: %(value)s."),
                            help_text=_("None ticked = every zone."))
    checkpoints = CheckboxesField(label=_("Gates"), unknown=_("Unknown gate(s) in this event: %(value)s."),
                                  help_text=_("None ticked = every gate."))

    class Meta:
        model = Credential
        fields = ("event", "name", "kind", "zones", "checkpoints", "valid_from", "valid_until")
        labels = {"valid_from": _("Valid from"), "valid_until": _("Valid until")}
        help_texts = {"valid_from": _("Empty = from the start."), "valid_until": _("Empty = no end.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone_name = event_time_zone_name(self.event_id())
        for name in ("valid_from", "valid_until"):
            if zone_name and name in self.fields:
                self.fields[name].help_text = _("On the event's clock (%(zone)s). %(more)s") % {
                    "zone": zone_name, "more": self.fields[name].help_text}


@admin.register(Credential)
class CredentialAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    form = CredentialForm
    list_display = ("name", "kind", "event_name", "zone_names", "gate_names", "validity", "inside_icon", "revoked_at")
    list_filter = (("event", ByName), "kind", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "credential_id")
    fields = ("event", "name", "kind", "zones", "checkpoints", "valid_from", "valid_until", "qr", "inside",
              "revoked_at")
    readonly_fields = ("qr", "inside", "revoked_at")
    actions = ["revoke_credentials"]
    list_select_related = ("event",)
    # Shown on the event's clock with its offset; valid_from/valid_until are typed on that clock
    # (changeform_view below).
    local_times = ("revoked_at",)

    class Media:
        css = {"all": ("backoffice/admin.css",)}
        js = ("backoffice/admin.js",)

    inside_icon = boolean_column(Credential, "inside")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("event__zones", "event__checkpoints")

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=_("zones"))
    def zone_names(self, obj):
        if not obj.zones:
            return _("All zones")
        return format_html_join(", ", "{}", ((z.name,) for z in obj.event.zones.all() if z.zone_id in obj.zones))

    @admin.display(description=_("gates"))
    def gate_names(self, obj):
        if not obj.checkpoints:
            return _("All gates")
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

    @admin.display(description=_("valid"), ordering="valid_from")
    def validity(self, obj):
        if not obj.valid_from and not obj.valid_until:
            return _("Whole event")
        if not obj.valid_until:
            return _("From %(start)s to the end") % {"start": format_local(obj.valid_from, obj.event.timezone)}
        if not obj.valid_from:
            return _("From the start to %(end)s") % {"end": format_local(obj.valid_until, obj.event.timezone)}
        return _("From %(start)s to %(end)s") % {"start": format_local(obj.valid_from, obj.event.timezone),
                                                 "end": format_local(obj.valid_until, obj.event.timezone)}

    @admin.display(description=_("QR code (print)"))
    def qr(self, obj):
        if obj.pk is None:
            return _("Save to get the signed QR code.")
        buf = io.BytesIO()
        segno.make(services.credential_code(obj), error="m").save(buf, kind="svg", scale=4, xmldecl=False)
        return format_html('<div>{}</div><a href="/api/v1/credentials/{}/qr?format=png">{}</a>',
                           mark_safe(buf.getvalue().decode()), obj.pk, _("PNG to print"))

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), *(("event", "kind") if obj else ()))

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

    @admin.action(description=_("Revoke selected credentials"))
    def revoke_credentials(self, request, queryset):
        names = []
        for credential in queryset:
            services.revoke_credential(credential_id=credential.pk)
            names.append(credential.name)
        self.message_user(request, _("Revoked: %(names)s.") % {"names": ", ".join(names)}, messages.SUCCESS)


@admin.register(Scan)
class ScanAdmin(LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Scan records are evidence: read-only (a database trigger refuses changes too). Times read on
    the event's clock with its offset (core/localtime.py); codes read as the vocabulary's words
    (their labels), the code itself kept in the data and in the filters' addresses."""

    local_times = ("server_time", "scanned_at", "effective_at")

    list_display = ("server_time", "outcome", "reason_words", "direction_words", "gate", "phone", "held_by",
                    "mode_words", "quarantined_icon", "late_icon")
    list_filter = (("event", ByName), "result", "reason", "direction", "mode", "quarantined", "late",
                   ("checkpoint", ByName))
    search_fields = ("scan_id", "ticket__ticket_id", "ticket__seat_id", "device__name")
    search_help_text = _("A seat (A-12), a ticket id, a phone's name or a scan id.")
    list_select_related = ("event", "checkpoint", "device", "ticket", "credential")
    show_full_result_count = False
    quarantined_icon = boolean_column(Scan, "quarantined")
    late_icon = boolean_column(Scan, "late")

    @admin.display(description=_("result"), ordering="result")
    def outcome(self, obj):
        return words(ScanResult, obj.result)

    @admin.display(description=_("reason"), ordering="reason")
    def reason_words(self, obj):
        return words(Reason, obj.reason) or "-"

    @admin.display(description=_("direction"), ordering="direction")
    def direction_words(self, obj):
        return words(Direction, obj.direction)

    @admin.display(description=_("how"), ordering="mode")
    def mode_words(self, obj):
        return words(ScanMode, obj.mode)

    @admin.display(description=_("gate"), ordering="checkpoint__name")
    def gate(self, obj):
        return obj.checkpoint.name if obj.checkpoint else "-"

    @admin.display(description=_("phone"), ordering="device__name")
    def phone(self, obj):
        return obj.device.name

    @admin.display(description=_("seat or credential"))
    def held_by(self, obj):
        if obj.ticket is not None:
            return obj.ticket.seat_id
        if obj.credential is not None:
            return f"{obj.credential.name} ({words(CredentialKind, obj.credential.kind)})"
        return "-"
