from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils import timezone
from django.utils.html import format_html

from core.errors import DomainError
from core.localtime import DEFAULT_TIME_ZONE, format_local, time_zone_names
from core.localtime import zone as time_zone
from events import services
from events.currencies import CURRENCIES, DEFAULT_CURRENCY
from events.forms import EventScopedForm
from events.models import Checkpoint, Event, Language, Zone
from tickets.services import generate_tickets

FIXED_AFTER_GENERATION = (
    "Fixed: tickets exist for these seats, and each ticket is named after its zone code and seat number."
)


class ZoneForm(forms.ModelForm):
    price = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0, required=False,
                               help_text="Ticket price in the event's currency. Empty means 0.00.")

    class Meta:
        model = Zone
        fields = ("zone_id", "name", "color", "seats", "reentry", "price")
        help_texts = {"zone_id": FIXED_AFTER_GENERATION, "seats": FIXED_AFTER_GENERATION}

    def clean_price(self):
        price = self.cleaned_data.get("price")
        return price if price is not None else Decimal("0.00")


class ZoneInline(admin.TabularInline):
    """Before generation the zones are free; once tickets exist, zone code and seats are fixed
    (the seats are the tickets) while name, colour, re-entry and price stay editable
    (events.services.update_zone, called from EventAdmin.save_related)."""

    model = Zone
    form = ZoneForm
    fields = ("zone_id", "name", "color", "seats", "reentry", "price")
    extra = 0

    def _locked(self, obj):
        return obj is not None and obj.generated_at is not None

    def has_add_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._locked(obj) and super().has_delete_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return ("zone_id", "seats") if self._locked(obj) else ()


def _choices(values) -> list[tuple[str, str]]:
    return [(v, v) for v in sorted(values)]


class EventForm(forms.ModelForm):
    """Dates are typed and shown on the event's own clock: the change page runs in the event's
    time zone (EventAdmin.changeform_view), and what was typed is read as wall-clock time in the
    zone chosen in this same form, so choosing Europe/Madrid and typing 21:30 means 21:30 in
    Madrid, whatever zone the page was shown in."""

    timezone = forms.ChoiceField(
        label="Time zone", choices=[], required=False, initial=DEFAULT_TIME_ZONE,
        help_text="The venue's time zone. Every time shown to people (admin, printed tickets, reports) "
                  "is on this clock, including the start and end typed below.")
    currency = forms.ChoiceField(
        choices=[], required=False, initial=DEFAULT_CURRENCY,
        help_text="Currency of the zone prices (ISO 4217). It cannot change once tickets have been sold.")
    language = forms.ChoiceField(
        choices=Language.choices, required=False, initial=Language.SPANISH,
        help_text="Language of printed tickets, badges and reports.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _choices(time_zone_names())
        self.fields["currency"].choices = _choices(CURRENCIES)
        for name in ("date_start", "date_end"):
            if name in self.fields:
                self.fields[name].help_text = "Local time at the venue (the event's time zone)."

    def clean_timezone(self):
        return self.cleaned_data.get("timezone") or DEFAULT_TIME_ZONE

    def clean_currency(self):
        return self.cleaned_data.get("currency") or DEFAULT_CURRENCY

    def clean_language(self):
        return self.cleaned_data.get("language") or Language.SPANISH

    def clean(self):
        data = super().clean()
        shown_in, chosen = timezone.get_current_timezone(), time_zone(data.get("timezone") or DEFAULT_TIME_ZONE)
        for name in ("date_start", "date_end"):
            if data.get(name) and chosen.key != getattr(shown_in, "key", None):
                wall_clock = timezone.make_naive(data[name], shown_in)
                data[name] = timezone.make_aware(wall_clock, chosen)
        if data.get("date_start") and data.get("date_end") and data["date_end"] <= data["date_start"]:
            self.add_error("date_end", "Must be after date_start.")
        return data


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventForm
    list_display = ("name", "event_id", "starts", "venue", "setup_status", "seat_count", "generated_at", "live")
    search_fields = ("name", "event_id", "venue")
    readonly_fields = ("event_id", "generated_at", "created_at")
    fields = ("event_id", "name", "venue", "timezone", "date_start", "date_end", "doors_open_minutes",
              "doors_close_minutes", "currency", "language", "setup_status", "generated_at", "created_at")
    inlines = [ZoneInline]
    actions = ["generate_tickets_action"]

    @admin.display(description="starts (local time)", ordering="date_start")
    def starts(self, obj):
        return format_local(obj.date_start, obj.timezone)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # An existing event's page shows and reads its times on the event's clock (see EventForm).
        event = self.get_object(request, unquote(object_id)) if object_id else None
        with timezone.override(time_zone(event.timezone) if event else timezone.get_current_timezone()):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse renders lazily: do it while on the event's clock
            return response

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if isinstance(inline, ZoneInline) and inline._locked(obj):
                inline.verbose_name_plural = (
                    "Zones: tickets exist, so zone codes and seat counts are fixed; "
                    "name, colour, re-entry and price can still change")
        return inlines

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
                                                    "doors_open_minutes", "doors_close_minutes",
                                                    "timezone", "currency", "language")}
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
            locked = event.generated_at is not None
            try:
                if locked:  # only what does not touch seat identity, zone by zone
                    for f in formset.forms:
                        if f.cleaned_data and f.has_changed():
                            services.update_zone(
                                event_id=event.pk, zone_id=f.instance.zone_id, name=f.cleaned_data["name"],
                                color=f.cleaned_data["color"], reentry=f.cleaned_data.get("reentry", False),
                                price=f.cleaned_data["price"])
                    services.setup_zones(event_id=event.pk, status=form.cleaned_data["setup_status"], zones=None)
                    continue
                specs = [
                    services.ZoneSpec(
                        zone_id=f.cleaned_data["zone_id"], name=f.cleaned_data["name"], color=f.cleaned_data["color"],
                        seats=f.cleaned_data["seats"], reentry=f.cleaned_data.get("reentry", False),
                        price=f.cleaned_data["price"],
                    )
                    for f in formset.forms
                    if f.cleaned_data and not f.cleaned_data.get("DELETE")
                ]
                services.setup_zones(event_id=event.pk, status=form.cleaned_data["setup_status"], zones=specs)
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
