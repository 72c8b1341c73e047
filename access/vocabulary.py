"""The scan's words, defined once (../shared/STYLE.md, "One vocabulary per rule"): results, reason
codes, modes and credential kinds. The values are fixed by API.md; models, constraints,
serializers and services take them from here.

The rules exist in three languages: Python (code verification, credentials), PL/pgSQL (the ticket
scan, access/migrations/0005 and 0008) and JavaScript (the phone offline,
static/scanner/offline.js). One table of cases, tests/scan_cases.py, is run against every copy,
and tests/test_vocabulary.py fails when a reason code is added in one place without the others.
A scan's direction is a word of the gates: events.vocabulary.Direction."""
from django.db import models


class ScanResult(models.TextChoices):
    ACCEPTED = "accepted", "accepted"
    REJECTED = "rejected", "rejected"


class Reason(models.TextChoices):
    """Why a scan was rejected (API.md, "Scanning")."""

    INVALID_SIGNATURE = "invalid_signature", "invalid_signature"
    UNKNOWN_TICKET = "unknown_ticket", "unknown_ticket"
    WRONG_EVENT = "wrong_event", "wrong_event"
    NOT_SOLD = "not_sold", "not_sold"
    ALREADY_INSIDE = "already_inside", "already_inside"
    ALREADY_USED = "already_used", "already_used"  # re-entry not allowed in that zone
    NOT_INSIDE = "not_inside", "not_inside"  # exit without entry
    ZONE_NOT_ALLOWED = "zone_not_allowed", "zone_not_allowed"
    DIRECTION_NOT_ALLOWED = "direction_not_allowed", "direction_not_allowed"
    CREDENTIAL_REVOKED = "credential_revoked", "credential_revoked"
    EVENT_CLOSED = "event_closed", "event_closed"  # outside the doors window (Event.doors_open_at..doors_close_at)
    DEVICE_REVOKED = "device_revoked", "device_revoked"  # sync only: a revoked device's scans, kept as evidence


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

    ONLINE = "online", "online"  # POST /api/v1/scan
    SYNC = "sync", "sync"  # uploaded by POST /api/v1/scan/sync after being decided offline
    MANUAL = "manual", "manual"  # POST /api/v1/scan/manual: a supervisor typed the seat, id or reference


class CredentialKind(models.TextChoices):
    STAFF = "staff", "staff"
    VIP = "vip", "vip"
