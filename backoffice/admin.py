from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from core.errors import DomainError
from events import services
from events.forms import EventScopedForm
from events.models import Checkpoint, Event, Zone
from tickets.services import generate_tickets


class ZoneInline(admin.TabularInline):
    model = Zone
    fields = ("zone_id", "name", "color", "seats", "reentry")
    extra = 0

    def _locked(self, obj):
        return obj is not None and obj.generated_at is not None

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)


class EventForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if data.get("date_start") and data.get("date_end") and data["date_end"] <= data["date_start"]:
            self.add_error("date_end", "Must be after date_start.")
        return data


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventForm
    list_display = ("name", "event_id", "date_start", "venue", "setup_status", "seat_count", "generated_at", "live")
    search_fields = ("name", "event_id", "venue")
    readonly_fields = ("event_id", "generated_at", "created_at")
    fields = ("event_id", "name", "venue", "date_start", "date_end", "doors_open_minutes",
              "doors_close_minutes", "setup_status", "generated_at", "created_at")
    inlines = [ZoneInline]
    actions = ["generate_tickets_action"]

    @admin.display(description="seats")
    def seat_count(self, obj):
        return sum(z.seats for z in obj.zones.all())

    @admin.display(description="dashboard")
    def live(self, obj):
        return format_html('<a href="/dashboard/events/{}/">live</a>', obj.event_id)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    def save_model(self, request, obj, form, change):
        # Events are created and edited through the service layer (signing key, validation).
        fields = {k: form.cleaned_data[k] for k in ("name", "venue", "date_start", "date_end",
                                                    "doors_open_minutes", "doors_close_minutes")}
        try:
            if change:
                saved = services.update_event(event_id=obj.pk, **fields)
            else:
                saved = services.create_event(**fields)
            obj.pk = obj.event_id = saved.event_id
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            raise

    def save_related(self, request, form, formsets, change):
        event = form.instance
        for formset in formsets:
            if formset.model is not Zone:
                continue
            specs = [
                services.ZoneSpec(
                    zone_id=f.cleaned_data["zone_id"], name=f.cleaned_data["name"], color=f.cleaned_data["color"],
                    seats=f.cleaned_data["seats"], reentry=f.cleaned_data.get("reentry", False),
                )
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            locked = event.generated_at is not None
            try:
                services.setup_zones(event_id=event.pk, status=form.cleaned_data["setup_status"],
                                     zones=None if locked else specs)
            except DomainError as exc:
                self.message_user(request, f"Zones setup not saved: {exc.message}", messages.ERROR)

    def construct_change_message(self, request, form, formsets, add=False):
        # Zones are saved by the setup service, not by the formsets, so log a plain message.
        return [{"added": {}}] if add else [{"changed": {"fields": list(form.changed_data)}}]

    @admin.action(description="Generate tickets")
    def generate_tickets_action(self, request, queryset):
        for event in queryset:
            try:
                result = generate_tickets(event_id=event.pk)
                self.message_user(request, f"{event.name}: generated {result.generated} tickets.", messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{event.name}: {exc.code}: {exc.message}", messages.ERROR)


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
