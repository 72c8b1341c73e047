import io

import segno
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from core.errors import DomainError
from core.urls import public_url
from devices import services
from devices.models import Device


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ("name", "device_id", "event", "checkpoint", "role", "status", "last_seen_at", "clock_offset_ms",
                    "app_version", "revoked")
    list_filter = ("event", "role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "device_id")
    fields = ("name", "event", "checkpoint", "role", "pairing", "paired_at", "last_seen_at", "clock_offset_ms",
              "app_version", "revoked_at")
    readonly_fields = ("pairing", "paired_at", "last_seen_at", "clock_offset_ms", "app_version", "revoked_at")
    actions = ["revoke_devices", "new_pairing_code"]
    list_select_related = ("event", "checkpoint")

    @admin.display(description="status")
    def status(self, obj):
        if obj.revoked_at:
            return mark_safe('<b style="color:#C0392B">revoked</b>')
        if obj.paired_at is None:
            return "not paired"
        return mark_safe('<b style="color:#27AE60">online</b>') if services.is_online(obj) else "offline"

    @admin.display(boolean=True, description="revoked")
    def revoked(self, obj):
        return obj.revoked_at is not None

    @admin.display(description="pairing code")
    def pairing(self, obj):
        if obj.pk is None:
            return "Save the device to get a one-time pairing code."
        if not obj.pairing_code or (obj.pairing_expires_at and obj.pairing_expires_at < timezone.now()):
            return "No valid pairing code (use the action “Issue a new pairing code”)."
        url = public_url(f"/scanner/?pair={obj.pairing_code}", self.request)
        buf = io.BytesIO()
        segno.make(url, error="m").save(buf, kind="svg", scale=5, xmldecl=False, svgns=True)
        return format_html('<div>{}</div><p><code style="font-size:1.4em">{}</code> — expires {} — '
                           '<a href="{}">{}</a></p>', mark_safe(buf.getvalue().decode()), obj.pairing_code,
                           obj.pairing_expires_at, url, url)

    def get_form(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Event and checkpoint are fixed once created (a device is bound to one event).
        return self.readonly_fields + (("event", "checkpoint", "role") if obj else ())

    def save_model(self, request, obj, form, change):
        try:
            if change:
                services.rename_device(device_id=obj.pk, name=form.cleaned_data["name"])
                return
            created = services.create_device(event_id=obj.event_id, name=obj.name, role=obj.role,
                                              checkpoint_id=obj.checkpoint_id)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = obj.device_id = created.device.device_id

    def has_delete_permission(self, request, obj=None):
        return False  # scans reference devices; revoke instead

    @admin.action(description="Revoke selected devices (instant)")
    def revoke_devices(self, request, queryset):
        for device in queryset:
            services.revoke_device(device_id=device.pk)
        self.message_user(request, f"Revoked {queryset.count()} device(s).", messages.SUCCESS)

    @admin.action(description="Issue a new pairing code (re-pair)")
    def new_pairing_code(self, request, queryset):
        for device in queryset:
            try:
                code = services.issue_pairing_code(device_id=device.pk)
                self.message_user(request, f"{device.name}: new pairing code {code.pairing_code}", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{device.name}: {exc.message}", messages.ERROR)
