"""The only code that creates or revokes staff API tokens."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import transaction

from accounts.models import StaffToken, hash_token


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown to the caller once; only its hash is stored
    staff_token: StaffToken


def create_staff_token(*, user, replace: bool = False) -> IssuedToken:
    """A new token for `user`. `replace` revokes the user's other tokens in the same transaction."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        if replace:
            StaffToken.objects.filter(user=user).delete()
        row = StaffToken.objects.create(key_hash=hash_token(token), user=user)
    return IssuedToken(token=token, staff_token=row)


def revoke_staff_tokens(*, user) -> int:
    return StaffToken.objects.filter(user=user).delete()[0]
