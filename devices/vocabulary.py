"""Device roles, defined once (../shared/STYLE.md, "One vocabulary per rule"). The SQL copy in
`access_scan_by_token` (access/migrations/0005) is pinned to SCANNER_ROLES by
tests/test_vocabulary.py. The labels are translated words (docs/adr/0029); the values never change."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeviceRole(models.TextChoices):
    STEWARD = "steward", _("Steward")  # scans at its gate
    SUPERVISOR = "supervisor", _("Supervisor")  # scans, and may look tickets up
    OFFICE = "office", _("Box-office terminal")  # a box office terminal: sells, never scans, has no gate


# The roles that scan at a gate (and so must have a checkpoint).
SCANNER_ROLES = (DeviceRole.STEWARD, DeviceRole.SUPERVISOR)
