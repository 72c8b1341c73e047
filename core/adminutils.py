"""Admin building blocks shared by the apps."""


class ReadOnlyAdminMixin:
    """For evidence and history (ledger, scans, office sales): changed only through services,
    and database triggers refuse UPDATE/DELETE anyway."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
