from rest_framework.permissions import BasePermission


class IsStaff(BasePermission):
    """Staff users (session or DRF token). Device tokens authenticate as a device principal,
    not a user, so they never pass this check."""

    message = "Staff credentials are required."

    def has_permission(self, request, view):
        user = request.user
        return bool(user is not None and getattr(user, "is_staff", False) and user.is_active)
