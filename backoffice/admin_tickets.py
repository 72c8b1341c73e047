"""The ticket list with the operations lead's two batch actions: sell the ticked seats to a buyer,
give them to a box office. tickets/admin.py (below the offices app) lists and filters tickets;
the actions need offices, so the list is re-registered here with them (docs/adr/0023)."""
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from backoffice import admin_views
from backoffice.forms import AssignForm, SellForm
from events.forms import compress_seats
from events.models import Event
from tickets.admin import TicketAdmin
from tickets.models import Ticket


class SetupTicketAdmin(TicketAdmin):
    actions = ["sell_action", "assign_action"]

    def _selection(self, request, queryset) -> tuple[Event | None, str]:
        rows = list(queryset.order_by().values_list("event_id", "seat_id"))
        events = {e for e, _ in rows}
        if len(events) != 1:
            self.message_user(request, gettext("Tick seats of one event at a time (filter the list by event)."),
                              messages.WARNING)
            return None, ""
        return Event.objects.get(pk=events.pop()), compress_seats([s for _, s in rows])

    @admin.action(description=_("Sell the ticked seats to a buyer…"))
    def sell_action(self, request, queryset):
        event, seats = self._selection(request, queryset)
        if event is None:
            return None
        form = SellForm(event=event, initial={"seats": seats})
        return admin_views.sell_page(self.admin_site.get_model_admin(Event), request, event, form)

    @admin.action(description=_("Give the ticked seats to a box office…"))
    def assign_action(self, request, queryset):
        event, seats = self._selection(request, queryset)
        if event is None:
            return None
        form = AssignForm(event=event, initial={"seats": seats})
        return admin_views.assign_page(self.admin_site.get_model_admin(Event), request, event, form)


admin.site.unregister(Ticket)
admin.site.register(Ticket, SetupTicketAdmin)
