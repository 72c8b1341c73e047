"""Alert kinds, defined once (../shared/STYLE.md, "One vocabulary per rule"). The live feed's
`alert` messages carry them as `kind` (API.md); the dashboard shows each as words. The labels are the words people read (translated,
docs/adr/0029); the values never change."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertKind(models.TextChoices):
    OFFLINE_CONFLICT = "offline_conflict", _("Offline conflict")  # one ticket admitted offline by two devices
    REJECTED_BURST = "rejected_burst", _("Rejected burst")
    INVALID_SIGNATURE_BURST = "invalid_signature_burst", _("Forgery attempts")
    REVOKED_DEVICE = "revoked_device", _("Revoked device")
    DEVICE_SILENT = "device_silent", _("Device silent")
    ZONE_CAPACITY = "zone_capacity", _("Zone capacity")
    LATE_UPLOAD = "late_upload", _("Late upload")
    OFFICE_CONFLICT = "office_conflict", _("Office conflict")  # an office sold a seat it could not
