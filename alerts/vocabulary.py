"""Alert kinds, defined once (../shared/STYLE.md, "One vocabulary per rule"). The live feed's
`alert` messages carry them as `kind` (API.md); the dashboard shows each as words."""
from django.db import models


class AlertKind(models.TextChoices):
    OFFLINE_CONFLICT = "offline_conflict", "offline_conflict"  # one ticket admitted offline by two devices
    REJECTED_BURST = "rejected_burst", "rejected_burst"
    INVALID_SIGNATURE_BURST = "invalid_signature_burst", "invalid_signature_burst"
    REVOKED_DEVICE = "revoked_device", "revoked_device"
    DEVICE_SILENT = "device_silent", "device_silent"
    ZONE_CAPACITY = "zone_capacity", "zone_capacity"
    LATE_UPLOAD = "late_upload", "late_upload"
    OFFICE_CONFLICT = "office_conflict", "office_conflict"  # an office sold a seat it could not
