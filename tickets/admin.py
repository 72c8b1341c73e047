from django.contrib import admin

from core.adminutils import ReadOnlyAdminMixin
from tickets import selectors
from tickets.models import LedgerEntry, Ticket, TicketHold, TicketState
from tickets.references import normalize as normalize_reference


class TicketStateFilter(admin.SimpleListFilter):
    """By the derived state people read (tickets/selectors.py STATE_RULES, the one definition)."""

    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return TicketState.choices

    def queryset(self, request, queryset):
        if self.value() in TicketState.values:
            return queryset.filter(selectors.state_condition(self.value()))
        return queryset


class LedgerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("date", "action", "metadata")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("seat_id", "reference", "zone", "seat_row", "state", "price", "channel", "ticket_id")
    list_filter = ("event", TicketStateFilter, "zone_id", "channel", "status", "status_offline", "access_status",
                   "access_entry")
    search_fields = ("ticket_id", "seat_id", "reference")
    search_help_text = "A seat (A-12), a reference as printed on the ticket, or a ticket id."
    readonly_fields = ["state", *(f.name for f in Ticket._meta.fields)]
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

    @admin.display(description="state", ordering="state")
    def state(self, obj):
        return TicketState(obj.state).label

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket", "date", "action")
    list_filter = ("action",)
    search_fields = ("ticket__ticket_id",)
    readonly_fields = ("ticket", "date", "action", "metadata")
    list_select_related = ("ticket",)
    show_full_result_count = False

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(TicketHold)
class TicketHoldAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Online checkout holds (tickets_blocked): visible for support, changed only by the
    virtual-office services and the tickets_unlock sweep."""

    list_display = ("hold_id", "ticket", "locked_up", "live")
    search_fields = ("hold_id", "ticket__ticket_id", "ticket__seat_id")
    list_select_related = ("ticket",)

    @admin.display(boolean=True, description="live")
    def live(self, obj):
        from django.utils import timezone

        return obj.locked_up > timezone.now()

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
