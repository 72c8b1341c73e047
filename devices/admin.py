import io

import segno
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.adminutils import ByName, yes_no
from core.errors import DomainError
from core.localtime import LocalTimesAdminMixin, format_local
from devices import services
from devices.models import Device
from devices.pairing_links import pairing_url
from devices.vocabulary import DeviceRole


def pairing_qr_svg(url: str, *, scale: int = 5) -> str:
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return buf.getvalue().decode()


def has_valid_pairing_code(device: Device) -> bool:
    return bool(device.pairing_code and device.revoked_at is None
                and not (device.pairing_expires_at and device.pairing_expires_at < timezone.now()))


@admin.register(Device)
class DeviceAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    # Names, not ids (the search still finds a device by its id).
    list_display = ("name", "gate", "role", "status", "last_seen_at", "clock_offset_ms", "app_version", "revoked",
                    "event_name")
    list_filter = (("event", ByName), "role", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("name", "device_id")
    fields = ("name", "event", "checkpoint", "role", "pairing", "paired_at", "last_seen_at", "clock_offset_ms",
              "app_version", "revoked_at")
    readonly_fields = ("pairing", "paired_at", "last_seen_at", "clock_offset_ms", "app_version", "revoked_at")
    # Times read on the event's clock with its offset (core/localtime.py).
    local_times = ("paired_at", "last_seen_at", "revoked_at")
    actions = ["revoke_devices", "replace_lost_phone", "new_pairing_code"]
    list_select_related = ("event", "checkpoint")

    @admin.display(description=_("status"))
    def status(self, obj):
        if obj.revoked_at:
            return format_html('<b style="color:#C0392B">{}</b>', pgettext_lazy("device", "revoked"))
        if obj.paired_at is None:
            return _("not paired")
        if services.is_online(obj):
            return format_html('<b style="color:#27AE60">{}</b>', pgettext_lazy("network", "online"))
        return pgettext_lazy("network", "offline")

    @admin.display(description=_("gate"), ordering="checkpoint__name")
    def gate(self, obj):
        return obj.checkpoint.name if obj.checkpoint else _("box office")

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=pgettext_lazy("device", "revoked"), ordering="revoked_at")
    def revoked(self, obj):
        return yes_no(obj.revoked_at is not None)

    @admin.display(description=_("pairing code"))
    def pairing(self, obj):
        if obj.pk is None:
            return _("Save the device to get a one-time pairing code.")
        if not has_valid_pairing_code(obj):
            return _("No valid pairing code (use the action “Issue a new pairing code”).")
        url = pairing_url(self.request, obj.pairing_code, obj.role)
        return format_html('<div>{}</div><p><code style="font-size:1.4em">{}</code> — {} — <a href="{}">{}</a></p>',
                           mark_safe(pairing_qr_svg(url)), obj.pairing_code,
                           _("expires %(time)s") % {"time": format_local(obj.pairing_expires_at, obj.event.timezone)},
                           url, url)

    def get_form(self, request, obj=None, **kwargs):
        self.request = request
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        # Event and checkpoint are fixed once created (a device is bound to one event).
        return (*super().get_readonly_fields(request, obj),
                *(("event", "checkpoint", "role", "event_name", "gate") if obj else ()))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        # Once created: their names, not their ids.
        return [{"event": "event_name", "checkpoint": "gate"}.get(name, name) for name in fields]

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

    def get_urls(self):
        return [path("<path:object_id>/pairing/", self.admin_site.admin_view(self.pairing_view),
                     name="devices_device_pairing"), *super().get_urls()]

    # ----------------------------------------------------------------- actions that ask first

    def _confirm(self, request, queryset, *, action: str, template: str, title: str, **context):
        """The page between choosing a destructive action and doing it: it names every device and
        its gate, and posts the same selection back with `confirm`."""
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "title": title, "opts": self.model._meta,
            "devices": queryset.select_related("event", "checkpoint").order_by("name"), "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME, **context})

    @admin.action(description=_("Revoke selected devices (asks first)"), permissions=["change"])
    def revoke_devices(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            count = queryset.count()
            title = (gettext("Revoke %(name)s?") % {"name": queryset.get().name} if count == 1
                     else gettext("Revoke %(count)d devices?") % {"count": count})
            return self._confirm(request, queryset, action="revoke_devices", title=title,
                                 template="admin/devices/device/confirm_revoke.html")
        names = []
        for device in queryset.select_related("checkpoint"):
            if device.revoked_at is None:
                services.revoke_device(device_id=device.pk)
                names.append(f"{device.name} ({device.checkpoint.name})" if device.checkpoint else device.name)
        if names:
            self.message_user(request, ngettext(
                "Revoked %(names)s: its token stopped working at once.",
                "Revoked %(names)s: their tokens stopped working at once.", len(names)) % {"names": ", ".join(names)},
                messages.SUCCESS)
        else:
            self.message_user(request, _("Nothing to revoke: the selected devices were revoked already."),
                              messages.INFO)
        return None

    @admin.action(description=_("Replace lost phone (revoke it, pair a new one for the same gate)"),
                  permissions=["change"])
    def replace_lost_phone(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Select one device to replace: each new phone gets its own pairing code."),
                              messages.WARNING)
            return None
        device = queryset.select_related("checkpoint").get()
        if device.role == DeviceRole.OFFICE:
            self.message_user(request, _("A box-office terminal is re-paired from its office "
                                         "(Box offices → “Issue a new pairing code”)."), messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            return self._confirm(request, queryset, action="replace_lost_phone", title=_("Replace a lost phone?"),
                                 template="admin/devices/device/confirm_replace.html",
                                 new_name=services.replacement_name(device.name))
        try:
            replaced = services.replace_device(device_id=device.pk)
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)  # the service's words, translated there
            return None
        # Redirect, so that reloading the page shows the code again instead of replacing again.
        url = reverse("admin:devices_device_pairing", args=[replaced.new.pk])
        return HttpResponseRedirect(f"{url}?replaces={replaced.old.pk}")

    @admin.action(description=_("Issue a new pairing code (re-pair)"), permissions=["change"])
    def new_pairing_code(self, request, queryset):
        for device in queryset:
            try:
                code = services.issue_pairing_code(device_id=device.pk)
                self.message_user(request, _("%(name)s: new pairing code %(code)s") % {
                    "name": device.name, "code": code.pairing_code}, messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{device.name}: {exc.message}", messages.ERROR)

    # ----------------------------------------------------------------- the pairing page

    def pairing_view(self, request, object_id):
        """One device's pairing QR, large, for the phone at the gate to scan (where "Replace lost
        phone" ends)."""
        device = get_object_or_404(Device.objects.select_related("event", "checkpoint"), pk=object_id)
        if not self.has_view_or_change_permission(request, device):
            raise PermissionDenied
        replaced = None
        if request.GET.get("replaces"):
            replaced = Device.objects.filter(pk=request.GET["replaces"], event_id=device.event_id).first()
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "device": device,
                   "title": gettext("Pair %(name)s") % {"name": device.name}, "replaced": replaced,
                   "replaced_at": format_local(replaced.revoked_at, device.event.timezone) if replaced else "",
                   "valid": has_valid_pairing_code(device)}
        if context["valid"]:
            url = pairing_url(request, device.pairing_code, device.role)
            context.update(url=url, qr=mark_safe(pairing_qr_svg(url, scale=8)),
                           expires=format_local(device.pairing_expires_at, device.event.timezone))
        return TemplateResponse(request, "admin/devices/device/pairing.html", context)
