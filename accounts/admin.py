from django.contrib import admin

from accounts.models import StaffToken
from core.localtime import LocalTimesAdminMixin


@admin.register(StaffToken)
class StaffTokenAdmin(LocalTimesAdminMixin, admin.ModelAdmin):
    """Revoke (delete) only: a token is created with `manage.py drf_create_token <user>`, which
    shows it once; the admin never has it to show. A token belongs to no event: its time reads on
    the server's clock (settings.TIME_ZONE) with the offset."""

    list_display = ["user", "created_at"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    search_fields = ["user__username"]
    local_times = ("created_at",)
    local_time_zone = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
