"""Gates (checkpoints) of an event: a name, the zones admitted there ticked by name, directions."""
from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice.admin_zones import swatch
from core.adminutils import ByName
from core.errors import DomainError
from events import services
from events.forms import CheckboxesField, EventScopedForm
from events.models import Checkpoint, Event


class CheckpointForm(EventScopedForm):
    zones = CheckboxesField(label=_("Zones admitted"), unknown=_("Unknown zone(s) in this event: %(value)s."),
                            help_text=_("None ticked = all zones."))

    class Meta:
        model = Checkpoint
        fields = ("event", "name", "zones", "directions")
        labels = {"directions": _("Directions")}
        help_texts = {"directions": _("Which way people may go through this gate.")}


@admin.register(Checkpoint)
class CheckpointAdmin(admin.ModelAdmin):
    form = CheckpointForm
    list_display = ("name", "event_name", "zones_admitted", "directions")
    list_filter = (("event", ByName), "directions")
    search_fields = ("name", "checkpoint_id")
    fields = ("event", "name", "zones", "directions")
    list_select_related = ("event",)

    class Media:
        css = {"all": ("backoffice/admin.css",)}
        js = ("backoffice/admin.js",)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        title = gettext("Change gate") if object_id else gettext("Add a gate")
        return super().changeform_view(request, object_id, form_url, {"title": title, **(extra_context or {})})

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": gettext("Gates (checkpoints)"), **(extra_context or {})})

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("event__zones")

    @admin.display(description=_("event"), ordering="event__name")
    def event_name(self, obj):
        return obj.event.name

    @admin.display(description=_("zones admitted"))
    def zones_admitted(self, obj):
        zones = [z for z in obj.event.zones.all() if not obj.zones or z.zone_id in obj.zones]
        if not obj.zones:
            return _("All zones")
        return format_html_join(", ", "{}", ((swatch(z.color, z.name),) for z in zones))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "event":
            kwargs["queryset"] = Event.objects.order_by("-date_start")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

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
