"""The scan's words, defined once (../shared/STYLE.md, "One vocabulary per rule"): results, reason
codes, modes and credential kinds. The values are fixed by API.md; models, constraints,
serializers and services take them from here.

The rules exist in three languages: Python (code verification, credentials), PL/pgSQL (the ticket
scan, access/migrations/0005 and 0008) and JavaScript (the phone offline,
static/scanner/offline.js). One table of cases, tests/scan_cases.py, is run against every copy,
and tests/test_vocabulary.py fails when a reason code is added in one place without the others.
A scan's direction is a word of the gates: events.vocabulary.Direction.

The labels are what people read (admin, exports, alerts), translated (docs/adr/0029); the values
never change."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ScanResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class Reason(models.TextChoices):
    """Why a scan was rejected (API.md, "Scanning")."""

    INVALID_SIGNATURE = "invalid_signature", _("Not a valid ticket (fake or damaged code)")
    UNKNOWN_TICKET = "unknown_ticket", _("Ticket not found for this event")
    WRONG_EVENT = "wrong_event", _("Ticket for a different event")
    NOT_SOLD = "not_sold", _("Ticket never sold")
    ALREADY_INSIDE = "already_inside", _("Already inside")
    ALREADY_USED = "already_used", _("Already used, no re-entry in this zone")  # re-entry not allowed in that zone
    NOT_INSIDE = "not_inside", _("Exit without an entry")  # exit without entry
    ZONE_NOT_ALLOWED = "zone_not_allowed", _("Wrong gate for this zone")
    DIRECTION_NOT_ALLOWED = "direction_not_allowed", _("Wrong direction for this gate")
    CREDENTIAL_REVOKED = "credential_revoked", _("Credential revoked")
    # outside the doors window (Event.doors_open_at..doors_close_at)
    EVENT_CLOSED = "event_closed", _("Doors closed (outside opening hours)")
    # sync only: a revoked device's scans, kept as evidence
    DEVICE_REVOKED = "device_revoked", _("Scanned by a revoked phone")


# Reasons the phone cannot decide offline: it holds only its own event's keys (another event's
# code is `invalid_signature` to it), and it does not know it has been revoked.
SERVER_ONLY_REASONS = frozenset({Reason.WRONG_EVENT, Reason.DEVICE_REVOKED})

# Reasons the PL/pgSQL scan functions answer (access_scan_ticket, access_scan_by_token); the rest
# are decided in Python (access/services.py, access/sync_replay.py).
DATABASE_REASONS = frozenset({
    Reason.INVALID_SIGNATURE, Reason.UNKNOWN_TICKET, Reason.WRONG_EVENT, Reason.NOT_SOLD, Reason.ALREADY_INSIDE,
    Reason.ALREADY_USED, Reason.NOT_INSIDE, Reason.ZONE_NOT_ALLOWED, Reason.DIRECTION_NOT_ALLOWED,
    Reason.EVENT_CLOSED,
})

# What a manual admission can answer: it names a ticket (no signature to check, no credential),
# and, for a ticket id of another event, says so from the id alone (access.services.manual_scan).
MANUAL_REASONS = frozenset(DATABASE_REASONS - {Reason.INVALID_SIGNATURE})

# The reasons that come with `first_entry` (when the ticket has one).
FIRST_ENTRY_REASONS = (Reason.ALREADY_INSIDE, Reason.ALREADY_USED)


class ScanMode(models.TextChoices):
    """How a scan reached the server."""

    ONLINE = "online", pgettext_lazy("scan mode", "Online")  # POST /api/v1/scan
    SYNC = "sync", _("Offline, uploaded later")  # uploaded by POST /api/v1/scan/sync after being decided offline
    MANUAL = "manual", _("Manual admission")  # POST /api/v1/scan/manual: a supervisor typed the seat, id or reference


class CredentialKind(models.TextChoices):
    STAFF = "staff", pgettext_lazy("credential", "Staff")
    VIP = "vip", pgettext_lazy("credential", "VIP")
