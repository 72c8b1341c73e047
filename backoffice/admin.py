"""The event set-up page: one page per event from which the whole set-up is done in order, with
a numbered guide on top (backoffice/admin_guide.py), the event form and its zones, the stock
table, and buttons for the steps that are actions (backoffice/admin_views.py)."""
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice import admin_checkpoints, admin_tickets, admin_views  # noqa: F401  (registers their admins)
from backoffice.admin_event_form import EventForm
from backoffice.admin_guide import steps, urls
from backoffice.admin_zones import ZoneInline
from backoffice.selectors import stock
from core.errors import DomainError
from core.localtime import format_local
from core.localtime import zone as time_zone
from events import services
from events.models import Event, Zone


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    form = EventForm
    change_form_template = "admin/events/event/setup_form.html"
    list_display = ("name", "starts", "venue", "progress", "seat_count", "links")
    search_fields = ("name", "event_id", "venue")
    readonly_fields = ("event_id", "activation", "generated", "created")
    fields = ("name", "venue", "timezone", "date_start", "date_end", "doors_open_minutes", "doors_close_minutes",
              "currency", "language", "activation", "generated", "event_id", "created")
    inlines = [ZoneInline]
    actions = ["activate_action", "generate_tickets_action"]

    class Media:
        css = {"all": ("backoffice/admin.css",)}
        js = ("backoffice/admin.js",)

    def has_delete_permission(self, request, obj=None):
        """An event with tickets is history: tickets are never deleted, the ledger and the scans are
        append-only (docs/adr/0036, docs/triggers.md), so the database would refuse; the admin
        does not offer it. An event set up by mistake, before its tickets, can be deleted."""
        return super().has_delete_permission(request, obj) and (obj is None or not obj.tickets.exists())

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # it would not ask event by event
        return actions

    @admin.display(description=_("starts (local time)"), ordering="date_start")
    def starts(self, obj):
        return format_local(obj.date_start, obj.timezone)

    @admin.display(description=_("set-up"))
    def progress(self, obj):
        if obj.generated_at:
            return _("tickets generated")
        return _("active, tickets not generated") if obj.setup_status else _("not active yet")

    @admin.display(description=_("seats"))
    def seat_count(self, obj):
        return f"{sum(z.seats for z in obj.zones.all()):,}"

    @admin.display(description="")
    def links(self, obj):
        u = urls(obj.event_id)
        return format_html('<a href="{}">{}</a> · <a href="{}">{}</a> · <a href="{}">{}</a>',
                           u["page"], _("set-up"), u["tickets"], _("tickets"), u["dashboard"], _("live dashboard"))

    @admin.display(description=_("active"))
    def activation(self, obj):
        if obj.pk is None:
            return _("Not yet: save the event and its zones first, then activate it (step 3 above).")
        return (_("Yes: the zones are final and tickets can be generated.") if obj.setup_status
                else _("No: use “Activate” in step 3 above once the zones are right."))

    @admin.display(description=_("tickets generated"))
    def generated(self, obj):
        return format_local(obj.generated_at, obj.timezone) if obj.generated_at else _("Not yet (step 4 above).")

    @admin.display(description=_("created"))
    def created(self, obj):
        return format_local(obj.created_at, obj.timezone)

    def get_fields(self, request, obj=None):
        # A new event has no state yet: only what is typed.
        return self.fields if obj else [f for f in self.fields if f not in self.readonly_fields]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    def get_urls(self):
        def view(fn):
            return self.admin_site.admin_view(lambda request, object_id: fn(self, request, unquote(object_id)))

        return [
            path("<path:object_id>/activate/", view(admin_views.activate), name="events_event_activate"),
            path("<path:object_id>/generate/", view(admin_views.generate), name="events_event_generate"),
            path("<path:object_id>/sell/", view(admin_views.sell), name="events_event_sell"),
            path("<path:object_id>/assign/", view(admin_views.assign), name="events_event_assign"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # An existing event's page shows and reads its times on the event's clock (see EventForm).
        event = self.get_object(request, unquote(object_id)) if object_id else None
        context = dict(extra_context or {})
        if event is not None:
            context.update(title=gettext("Event set-up"), subtitle=event.name, guide=steps(event), stock=stock(event) if event.generated_at else None,
                           urls=urls(event.event_id))
        with timezone.override(time_zone(event.timezone) if event else timezone.get_current_timezone()):
            response = super().changeform_view(request, object_id, form_url, context)
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse renders lazily: do it while on the event's clock
            return response

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        for inline in inlines:
            if isinstance(inline, ZoneInline) and inline.locked(obj):
                inline.verbose_name_plural = _(
                    "Zones: tickets exist, so zone codes and seat counts are fixed; "
                    "name, colour, re-entry and price can still change")
        return inlines

    def response_add(self, request, obj, post_url_continue=None):
        # A new event goes on with its set-up on its own page (the guide), not back to the list.
        if "_addanother" not in request.POST and "_popup" not in request.POST:
            self.message_user(request, gettext("“%(name)s” was created. Next: its zones, then activate it.") % {
                "name": obj.name}, messages.SUCCESS)
            return HttpResponseRedirect(urls(obj.event_id)["page"])
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request, obj, form, change):
        # Events are created and edited through the service layer (signing key, validation).
        fields = {k: form.cleaned_data[k] for k in ("name", "venue", "date_start", "date_end",
                                                    "doors_open_minutes", "doors_close_minutes",
                                                    "timezone", "currency", "language")}
        if change:
            saved = services.update_event(event_id=obj.pk, **fields)
        else:
            saved = services.create_event(**fields)
        obj.pk = obj.event_id = saved.event_id
        obj.setup_status, obj.generated_at = saved.setup_status, saved.generated_at

    def save_related(self, request, form, formsets, change):
        event = form.instance
        for formset in formsets:
            if formset.model is not Zone:
                continue
            try:
                if event.generated_at is not None:  # only what does not touch seat identity, zone by zone
                    for f in formset.forms:
                        if f.cleaned_data and f.has_changed():
                            services.update_zone(
                                event_id=event.pk, zone_id=f.instance.zone_id, name=f.cleaned_data["name"],
                                color=f.cleaned_data["color"], reentry=f.cleaned_data.get("reentry", False),
                                price=f.cleaned_data["price"])
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
                services.setup_zones(event_id=event.pk, status=event.setup_status, zones=specs)
            except DomainError as exc:
                self.message_user(request, gettext("The zones were not saved: %(why)s") % {
                    "why": admin_views.plain(exc)}, messages.ERROR)

    def construct_change_message(self, request, form, formsets, add=False):
        # Zones are saved by the setup service, not by the formsets, so log a plain message.
        return [{"added": {}}] if add else [{"changed": {"fields": list(form.changed_data)}}]

    @admin.action(description=_("Activate (the zones are final; tickets may be generated)"))
    def activate_action(self, request, queryset):
        for event in queryset:
            try:
                services.setup_zones(event_id=event.pk, status=True, zones=None)
                self.message_user(request, gettext("%(event)s: active.") % {"event": event.name}, messages.SUCCESS)
            except DomainError as exc:
                self.message_user(request, f"{event.name}: {admin_views.plain(exc)}", messages.ERROR)

    @admin.action(description=_("Generate tickets…"))
    def generate_tickets_action(self, request, queryset):
        events = list(queryset[:2])
        if len(events) != 1:
            self.message_user(request, gettext("Generate tickets for one event at a time: tick just one."),
                              messages.WARNING)
            return None
        return HttpResponseRedirect(urls(events[0].event_id)["generate"])
