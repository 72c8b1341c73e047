from django.contrib import admin

from accounts.models import StaffToken


@admin.register(StaffToken)
class StaffTokenAdmin(admin.ModelAdmin):
    """Revoke (delete) only: a token is created with `manage.py drf_create_token <user>`, which
    shows it once; the admin never has it to show."""

    list_display = ["user", "created_at"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
