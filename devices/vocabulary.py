"""Device roles, defined once (../shared/STYLE.md, "One vocabulary per rule"). The SQL copy in
`access_scan_by_token` (access/migrations/0005) is pinned to SCANNER_ROLES by
tests/test_vocabulary.py."""
from django.db import models


class DeviceRole(models.TextChoices):
    STEWARD = "steward", "steward"  # scans at its gate
    SUPERVISOR = "supervisor", "supervisor"  # scans, and may look tickets up
    OFFICE = "office", "office"  # a box office terminal: sells, never scans, has no gate


# The roles that scan at a gate (and so must have a checkpoint).
SCANNER_ROLES = (DeviceRole.STEWARD, DeviceRole.SUPERVISOR)
