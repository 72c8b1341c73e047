from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.adminutils import ByName, ReadOnlyAdminMixin, money, yes_no
from core.localtime import LocalTimesAdminMixin
from tickets import selectors
from tickets.models import LEDGER_ACTIONS, LedgerEntry, Ticket, TicketHold, TicketState
from tickets.references import normalize as normalize_reference

# What each ledger action (tickets.models.LEDGER_ACTIONS, the seed's words) says to a person.
# tests/tickets/test_admin_words.py fails when an action is added without words.
ACTION_WORDS = {
    "generated": _("Ticket created"),
    "accessed": _("Went in"),
    "came-out": _("Went out"),
    "updated": _("Changed by staff"),
    "offline": _("Given to a box office"),
    "unassign": _("Taken back from a box office"),
    "sold": pgettext_lazy("ledger", "Sold"),
    "held": _("Held in a checkout"),
    "released": _("Checkout hold released"),
}


class TicketStateFilter(admin.SimpleListFilter):
    """By the derived state people read (tickets/selectors.py STATE_RULES, the one definition)."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return TicketState.choices

    def queryset(self, request, queryset):
        if self.value() in TicketState.values:
            return queryset.filter(selectors.state_condition(self.value()))
        return queryset


class LedgerActionFilter(admin.SimpleListFilter):
    title = _("what happened")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(code, ACTION_WORDS.get(code, code)) for code in LEDGER_ACTIONS]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() in LEDGER_ACTIONS else queryset


class LedgerWordsMixin:
    """The ledger's action in words (the code stays in the data and in the filter's URL)."""

    @admin.display(description=_("what happened"), ordering="action")
    def what(self, obj):
        return ACTION_WORDS.get(obj.action, obj.action)


class LedgerInline(LedgerWordsMixin, LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("date", "what", "metadata")
    readonly_fields = fields
    local_times = ("date",)
    local_time_zone = "ticket.event.timezone"
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("seat_id", "reference", "zone", "seat_row", "state", "sold_for", "channel")
    # People filter by the one state they read; the seed's four flags behind it stay on each ticket's page.
    list_filter = (("event", ByName), TicketStateFilter, "zone", "channel")
    list_select_related = ("event",)
    search_fields = ("ticket_id", "seat_id", "reference")
    search_help_text = _("A seat (A-12), a reference as printed on the ticket, or a ticket id.")
    readonly_fields = ["state", *(f.name for f in Ticket._meta.fields)]
    # The event's times and the last change, on the event's clock with its offset.
    local_times = ("date_start", "date_end", "updated_at")
    inlines = [LedgerInline]
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request):
        return selectors.with_state(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # A reference as a person types it (lower case, a space or dash in the middle) still finds it.
        reference = normalize_reference(search_term)
        if reference:
            return queryset.filter(reference=reference), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("sold for"), ordering="price")
    def sold_for(self, obj):
        return money(obj.price, obj.event.currency) if obj.price is not None else "—"

    @admin.display(description=_("state"), ordering="state")
    def state(self, obj):
        return TicketState(obj.state).label

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(LedgerEntry)
class LedgerEntryAdmin(LedgerWordsMixin, LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("date", "seat", "what", "event_name")
    list_filter = (("ticket__event", ByName), LedgerActionFilter)
    search_fields = ("ticket__ticket_id", "ticket__seat_id")
    search_help_text = _("A seat (A-12) or a ticket id.")
    fields = ("ticket", "seat", "date", "what", "metadata")
    readonly_fields = fields
    local_times = ("date",)
    local_time_zone = "ticket.event.timezone"
    list_select_related = ("ticket__event",)
    show_full_result_count = False

    @admin.display(description=_("seat"), ordering="ticket__seat_id")
    def seat(self, obj):
        return obj.ticket.seat_id

    @admin.display(description=_("event"), ordering="ticket__event__name")
    def event_name(self, obj):
        return obj.ticket.event.name

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(TicketHold)
class TicketHoldAdmin(LocalTimesAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Online checkout holds (tickets_blocked): visible for support, changed only by the
    virtual-office services and the tickets_unlock sweep."""

    list_display = ("hold_id", "seat", "locked_up", "live")
    search_fields = ("hold_id", "ticket__ticket_id", "ticket__seat_id")
    list_select_related = ("ticket", "event")
    local_times = ("locked_up", "created_at")

    @admin.display(description=_("seat"), ordering="ticket__seat_id")
    def seat(self, obj):
        return obj.ticket.seat_id

    @admin.display(description=_("still held"))
    def live(self, obj):
        return yes_no(obj.locked_up > timezone.now())

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
