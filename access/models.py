from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from access.vocabulary import CredentialKind, ScanMode, ScanResult
from core.ids import short_id
from events.models import Checkpoint, Event
from events.vocabulary import Direction


def credential_id() -> str:
    return "cr" + short_id(14)


class Credential(models.Model):
    """A named staff or VIP pass: multi-use entry/exit, never inside twice, revocable."""

    credential_id = models.CharField(primary_key=True, max_length=16, default=credential_id, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=CredentialKind.choices)
    zones = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    checkpoints = ArrayField(models.CharField(max_length=16), default=list, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    inside = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CredentialKind.values), name="credential_kind_known"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="credential_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class Scan(models.Model):
    """Every scan attempt, accepted or rejected, online or synced. The live dashboard, the audit
    and idempotent retries read it. `response` is the exact answer given, replayed on retry."""

    id = models.BigAutoField(primary_key=True)
    scan_id = models.UUIDField()
    # FK columns are covered by the composite indexes below (device by the scan_id unique, event,
    # checkpoint and ticket by their time/id indexes): every index is written on every scan.
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="scans", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="scans", db_index=False)
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, null=True, related_name="scans",
                                   db_index=False)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, null=True, related_name="scans",
                               db_index=False)
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, null=True, related_name="scans",
                                   db_index=False)
    direction = models.CharField(max_length=3)
    result = models.CharField(max_length=8)
    reason = models.CharField(max_length=32, null=True)
    code = models.CharField(max_length=200, blank=True, default="")
    zone_id = models.CharField(max_length=16, null=True)
    first_entry = models.BooleanField(default=False)
    mode = models.CharField(max_length=8, default=ScanMode.ONLINE)  # access.vocabulary.ScanMode
    quarantined = models.BooleanField(default=False)
    late = models.BooleanField(default=False)  # synced long after it was scanned
    scanned_at = models.DateTimeField(null=True)  # device clock, as sent
    effective_at = models.DateTimeField(null=True)  # device clock corrected by the measured offset
    server_time = models.DateTimeField(db_default=models.functions.Now())
    response = models.JSONField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["device", "scan_id"], name="scan_id_unique_per_device"),
            # The backstop behind the row lock: at most one accepted first entry per ticket, ever.
            models.UniqueConstraint(fields=["ticket"], condition=Q(first_entry=True), name="one_first_entry_per_ticket"),
            models.CheckConstraint(condition=Q(direction__in=Direction.values), name="scan_direction_known"),
            models.CheckConstraint(condition=Q(result__in=ScanResult.values), name="scan_result_known"),
            models.CheckConstraint(condition=Q(mode__in=ScanMode.values), name="scan_mode_known"),
            models.CheckConstraint(
                condition=Q(first_entry=False) | (Q(result=ScanResult.ACCEPTED) & Q(direction=Direction.IN)
                                                  & Q(ticket__isnull=False)),
                name="scan_first_entry_is_accepted_in",
            ),
        ]
        indexes = [
            models.Index(fields=["event", "server_time"], name="scan_event_time_idx"),
            models.Index(fields=["checkpoint", "server_time"], name="scan_checkpoint_time_idx"),
            models.Index(fields=["ticket", "id"], name="scan_ticket_idx"),
            models.Index(fields=["credential", "id"], name="scan_credential_idx", condition=Q(credential__isnull=False)),
        ]


class ScanNote(models.Model):
    """What a supervisor typed for a manual scan (POST /api/v1/scan/manual) and why: written in the
    scan's own transaction, one per manual scan, never changed (a trigger refuses UPDATE, DELETE
    and TRUNCATE, as for the scans). The scan row itself is written by the same database function
    as every other scan, so the note lives beside it, named by the scan's own key (device,
    scan_id) rather than a foreign key to it: the scans stay a table nothing else holds on to."""

    id = models.BigAutoField(primary_key=True)
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="+", db_index=False)
    scan_id = models.UUIDField()
    query = models.CharField(max_length=64)  # the seat, ticket id or reference as typed
    note = models.CharField(max_length=500, blank=True, default="")  # the supervisor's reason

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "scan_id"], name="scan_note_once_per_scan")]

    def __str__(self) -> str:
        return f"{self.query}: {self.note}"
