import hashlib

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.ids import short_id
from devices.vocabulary import DeviceRole
from events.models import Event


def device_id() -> str:
    return "dv" + short_id(14)


def hash_token(token: str) -> str:
    # Tokens are 256-bit random values, so a fast unsalted hash is enough (no dictionary to guess).
    return hashlib.sha256(token.encode()).hexdigest()


class Device(models.Model):
    """A paired scanner phone or box office terminal, bound to exactly one event."""

    device_id = models.CharField(_("device id"), primary_key=True, max_length=16, default=device_id, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="devices", verbose_name=_("event"))
    checkpoint = models.ForeignKey("events.Checkpoint", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="devices", verbose_name=_("checkpoint"),
                                   help_text=_("The gate where it scans (none for a box-office terminal)."))
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=12, choices=DeviceRole.choices, default=DeviceRole.STEWARD)
    token_hash = models.CharField(_("token hash"), max_length=64, null=True, blank=True, unique=True, editable=False)
    pairing_code = models.CharField(_("pairing code"), max_length=16, null=True, blank=True, unique=True,
                                    editable=False)
    pairing_expires_at = models.DateTimeField(_("pairing code expires at"), null=True, blank=True, editable=False)
    paired_at = models.DateTimeField(_("paired at"), null=True, blank=True, editable=False)
    last_seen_at = models.DateTimeField(_("last heard from"), null=True, blank=True, editable=False)
    app_version = models.CharField(_("app version"), max_length=40, blank=True, default="", editable=False)
    clock_offset_ms = models.BigIntegerField(_("clock offset (ms)"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=DeviceRole.values), name="device_role_known"),
            models.CheckConstraint(condition=Q(role=DeviceRole.OFFICE) | Q(checkpoint__isnull=False),
                                   name="scanner_has_checkpoint"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    # DRF treats request.user as the principal; a device is never staff.
    is_staff = False
    is_superuser = False
    is_active = True
    is_authenticated = True
    is_anonymous = False

    def get_username(self) -> str:
        return f"device:{self.device_id}"
