from django.contrib import admin

from core.adminutils import ReadOnlyAdminMixin
from tickets.models import LedgerEntry, Ticket, TicketHold


class LedgerInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("date", "action", "metadata")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("ticket_id", "seat_id", "zone", "seat_row", "status", "status_offline", "access_status", "access_entry")
    list_filter = ("event", "zone_id", "status", "status_offline", "access_status", "access_entry")
    search_fields = ("ticket_id", "seat_id")
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [LedgerInline]
    list_per_page = 100
    show_full_result_count = False

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
