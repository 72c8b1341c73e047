from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from access.vocabulary import CredentialKind, Reason, ScanMode, ScanResult
from core.ids import short_id
from events.models import Checkpoint, Event
from events.vocabulary import Direction


def credential_id() -> str:
    return "cr" + short_id(14)


class Credential(models.Model):
    """A named staff or VIP pass: multi-use entry/exit, never inside twice, revocable."""

    credential_id = models.CharField(_("credential id"), primary_key=True, max_length=16, default=credential_id,
                                     editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="credentials", verbose_name=_("event"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=8, choices=CredentialKind.choices)
    zones = ArrayField(models.CharField(max_length=16), default=list, blank=True, verbose_name=_("zones"),
                       help_text=_("The codes of the zones it admits to; none means every zone."))
    checkpoints = ArrayField(models.CharField(max_length=16), default=list, blank=True, verbose_name=_("checkpoints"),
                             help_text=_("The checkpoints it may pass; none means every checkpoint."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    inside = models.BooleanField(_("inside now"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CredentialKind.values), name="credential_kind_known"),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="credential_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Scan(models.Model):
    """Every scan attempt, accepted or rejected, online or synced. The live dashboard, the audit
    and idempotent retries read it. `response` is the exact answer given, replayed on retry."""

    id = models.BigAutoField(primary_key=True)
    scan_id = models.UUIDField(_("scan id"))
    # FK columns are covered by the composite indexes below (device by the scan_id unique, event,
    # checkpoint and ticket by their time/id indexes): every index is written on every scan.
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="scans", db_index=False,
                               verbose_name=_("device"))
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="scans", db_index=False,
                              verbose_name=_("event"))
    checkpoint = models.ForeignKey(Checkpoint, on_delete=models.PROTECT, null=True, related_name="scans",
                                   db_index=False, verbose_name=_("checkpoint"))
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.PROTECT, null=True, related_name="scans",
                               db_index=False, verbose_name=_("ticket"))
    credential = models.ForeignKey(Credential, on_delete=models.PROTECT, null=True, related_name="scans",
                                   db_index=False, verbose_name=_("credential"))
    # Choices (no constraint change: the CHECKs below already hold these values) so that people
    # read the vocabulary's words, never the codes.
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    result = models.CharField(_("result"), max_length=8, choices=ScanResult.choices)
    reason = models.CharField(_("reason"), max_length=32, null=True, choices=Reason.choices)
    code = models.CharField(_("code"), max_length=200, blank=True, default="")
    zone_id = models.CharField(_("zone code"), max_length=16, null=True)
    first_entry = models.BooleanField(_("first entry"), default=False)
    mode = models.CharField(_("mode"), max_length=8, default=ScanMode.ONLINE, choices=ScanMode.choices)
    quarantined = models.BooleanField(_("kept as evidence"), default=False,
                                      help_text=_("Uploaded by a revoked device: stored, never applied."))
    late = models.BooleanField(_("uploaded late"), default=False)  # synced long after it was scanned
    scanned_at = models.DateTimeField(_("scanned at (device clock)"), null=True)  # device clock, as sent
    effective_at = models.DateTimeField(_("scanned at (corrected clock)"), null=True)  # device clock corrected by the measured offset
    server_time = models.DateTimeField(_("received at"), db_default=models.functions.Now())
    response = models.JSONField(_("answer given"))

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
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
    device = models.ForeignKey("devices.Device", on_delete=models.PROTECT, related_name="+", db_index=False,
                               verbose_name=_("device"))
    scan_id = models.UUIDField(_("scan id"))
    query = models.CharField(_("looked up as"), max_length=64)  # the seat, ticket id or reference as typed
    note = models.CharField(_("reason given"), max_length=500, blank=True, default="")  # the supervisor's reason

    class Meta:
        verbose_name = _("manual admission note")
        verbose_name_plural = _("manual admission notes")
        constraints = [models.UniqueConstraint(fields=["device", "scan_id"], name="scan_note_once_per_scan")]

    def __str__(self) -> str:
        return f"{self.query}: {self.note}"
