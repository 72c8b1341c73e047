"""`Authorization: Token <token>` for staff, looked up by the token's SHA-256 (docs/adr/0019)."""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.models import StaffToken, hash_token


class StaffTokenAuthentication(TokenAuthentication):
    """DRF's header parsing, errors and `WWW-Authenticate: Token`; only the lookup differs."""

    model = StaffToken

    def authenticate_credentials(self, key):
        token = StaffToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
