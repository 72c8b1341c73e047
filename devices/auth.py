"""`Authorization: Device <token>`.

The token is looked up by its SHA-256 on every request with no cache, so a revocation committed
by any process is seen by every other process on the very next request (docs/adr/0005)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from alerts.services import revoked_device_attempt
from devices.models import Device, hash_token
from devices.vocabulary import SCANNER_ROLES, DeviceRole

KEYWORD = b"device"


def _token_from(header: bytes) -> str | None:
    parts = header.split()
    if not parts or parts[0].lower() != KEYWORD:
        return None
    if len(parts) != 2 or len(parts[1]) > 200:
        raise exceptions.AuthenticationFailed(_("Malformed Device authorization header."), code="not_authenticated")
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed(_("Malformed Device authorization header."), code="not_authenticated")


def device_token_from_header(value: str) -> str | None:
    """The token of a well-formed `Device <token>` header, else None (no exceptions: fast path)."""
    parts = value.split()
    if len(parts) != 2 or parts[0].lower() != "device" or len(parts[1]) > 200 or not parts[1].isascii():
        return None
    return parts[1]


def device_for_token(token: str) -> Device | None:
    return Device.objects.select_related("checkpoint").filter(token_hash=hash_token(token)).first()


class DeviceTokenAuthentication(BaseAuthentication):
    allow_revoked = False

    def authenticate(self, request):
        token = _token_from(get_authorization_header(request))
        if token is None:
            return None
        device = device_for_token(token)
        if device is None:
            raise exceptions.AuthenticationFailed(_("Unknown device token."), code="not_authenticated")
        if device.revoked_at is not None and not self.allow_revoked:
            revoked_device_attempt(device, path=request.path)
            raise exceptions.AuthenticationFailed(_("This device has been revoked."), code="device_revoked")
        return device, device

    def authenticate_header(self, request):
        return "Device"


class RevokedDeviceAllowedAuthentication(DeviceTokenAuthentication):
    """Only for the offline sync upload: a revoked device's queued scans are kept as quarantined
    evidence instead of being lost."""

    allow_revoked = True


class IsDevice(BasePermission):
    message = "A paired device token is required."

    def has_permission(self, request, view):
        return isinstance(request.auth, Device)


class IsScanner(IsDevice):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.auth.role in SCANNER_ROLES


class IsSupervisor(IsDevice):
    message = "Only supervisor devices may look tickets up."

    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.auth.role == DeviceRole.SUPERVISOR


class IsOfficeDevice(IsDevice):
    def has_permission(self, request, view):
        return super().has_permission(request, view) and request.auth.role == DeviceRole.OFFICE


# Describes the Device scheme in the OpenAPI schema (/api/schema/); registers on import.
class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "devices.auth.DeviceTokenAuthentication"
    name = "deviceToken"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Scanner and box-office devices: `Device <token>` from POST /api/v1/devices/pair."}


class RevokedDeviceAllowedScheme(DeviceTokenScheme):
    target_class = "devices.auth.RevokedDeviceAllowedAuthentication"
    name = "deviceTokenSync"

    def get_security_definition(self, auto_schema):
        return {**super().get_security_definition(auto_schema),
                "description": "`Device <token>`; a revoked device's upload is kept as quarantined evidence."}
