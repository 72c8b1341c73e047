import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def hash_token(token: str) -> str:
    # Tokens are random (160 bits for converted DRF keys, 256 for new ones), so a fast unsalted
    # hash is enough: there is no dictionary to guess from (as devices/models.py hash_token).
    return hashlib.sha256(token.encode()).hexdigest()


class StaffToken(models.Model):
    """A staff API token (`Authorization: Token <token>`). Only its SHA-256 is stored: the token
    itself is shown once, when it is created, and a database dump cannot be replayed."""

    key_hash = models.CharField(_("token hash"), primary_key=True, max_length=64, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_tokens",
                             verbose_name=_("user"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff API token")
        verbose_name_plural = _("staff API tokens")
        ordering = ["created_at"]
        constraints = [
            # A raw token (DRF keys are 40 hex characters) can never be stored here by mistake.
            models.CheckConstraint(condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="staff_token_stores_sha256_only"),
        ]

    def __repr__(self) -> str:  # the hash is not a secret, but it is no one's business either
        return f"<StaffToken user={self.user_id} created_at={self.created_at:%Y-%m-%d %H:%M}>"

    __str__ = __repr__
