"""The counters of the scan log (docs/adr/0033). Written only by the database: each scan queues
itself in its own transaction (the trigger `scan_counted` on access_scan into `counters_scan_queue`,
counters/migrations/0006) and `counters_fold(event)`, which every reader calls first, counts the
queued scans in one statement; the application role may read them but not write them
(ticketcore/dbroles.py).

`slot`: rows are written into slots and merged into slot -1 by the fold, so that two transactions
in flight never update the same counter row (the scans once wrote their session's slot,
`counters_slot()`; the fold writes its own, 128). Readers sum over the slots; the merge keeps the
rows as few as the night's minutes and phones. Keys that a scan leaves empty are stored as '' so
that they can be part of a key."""
from django.contrib.postgres.fields import ArrayField
from django.db import models


class GateCount(models.Model):
    """Scans per checkpoint, device, result and direction (quarantined evidence left out), and
    `inside`: on the accepted-entry row of a checkpoint, +1 per accepted entry through it and -1
    per accepted exit of someone whose latest accepted entry was through it (on the exiting
    device's row). Summed per checkpoint: the people inside by the checkpoint they came in by."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "device_id", "result", "direction", "slot")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    result = models.CharField(max_length=8)
    direction = models.CharField(max_length=3)
    slot = models.SmallIntegerField()
    scans = models.BigIntegerField(default=0)
    inside = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_gate"


class MinuteCount(models.Model):
    """Scans per server minute, door minute (the corrected device time of an offline scan, else
    the server's; for rejected `event_closed` attempts the server minute), checkpoint, device,
    direction, result, mode and, for accepted scans, zone (`credential` for staff passes).
    `late` and `max_delay_s` are the late uploads among them; `arrivals` the fresh entry attempts
    of the entry-flow analysis (backoffice/flow.py)."""

    pk = models.CompositePrimaryKey("event_id", "server_minute", "checkpoint_id", "device_id", "minute", "direction",
                                    "result", "mode", "zone_id", "credential", "in_series", "slot")
    event_id = models.CharField(max_length=40)
    server_minute = models.DateTimeField()
    minute = models.DateTimeField()
    checkpoint_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    direction = models.CharField(max_length=3)
    result = models.CharField(max_length=8)
    mode = models.CharField(max_length=8)
    zone_id = models.CharField(max_length=40)
    credential = models.BooleanField()
    in_series = models.BooleanField()  # false for rejected event_closed attempts
    slot = models.SmallIntegerField()
    scans = models.BigIntegerField(default=0)
    late = models.BigIntegerField(default=0)
    max_delay_s = models.FloatField(null=True)
    arrivals = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_minute"


class ZoneCount(models.Model):
    """People inside per zone, by the device that let them in (+1) or out (-1); zone '' is the
    staff and VIP credentials."""

    pk = models.CompositePrimaryKey("event_id", "zone_id", "device_id", "slot")
    event_id = models.CharField(max_length=40)
    zone_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    slot = models.SmallIntegerField()
    inside = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_zone"


class ReasonCount(models.Model):
    """Rejected scans per reason and device, quarantined evidence included (as the report counts),
    and on slot -1 `codes`: the distinct codes of the reason folded so far (ReasonCode), so that
    reading them is a sum, not a count over codes."""

    pk = models.CompositePrimaryKey("event_id", "reason", "device_id", "slot")
    event_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=32)
    device_id = models.CharField(max_length=40)
    slot = models.SmallIntegerField()
    scans = models.BigIntegerField(default=0)
    codes = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_reason"


class ReasonCode(models.Model):
    """The codes rejected for a reason (their MD5), per slot: the report's `distinct_codes`. A
    scan never waits for another's code row (each session writes its own slot); the fold moves
    them into slot -1, where each code is once, and adds the codes new there to the reason's
    `codes` (ReasonCount). `counters_distinct_codes(event)` adds the ones not folded yet."""

    pk = models.CompositePrimaryKey("event_id", "reason", "code_md5", "slot")
    event_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=32)
    code_md5 = models.UUIDField()
    slot = models.SmallIntegerField()

    class Meta:
        db_table = "counters_reason_code"


class GapCount(models.Model):
    """The entry-flow histogram: back-to-back gaps between two fresh entry scans of one phone, in
    hundredths of a second, per checkpoint and device (backoffice/flow.py, docs/adr/0028)."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "device_id", "gap_cs", "slot")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    gap_cs = models.IntegerField()
    slot = models.SmallIntegerField()
    gaps = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_gap"


class FlowPending(models.Model):
    """Scans of a phone's entry flow counted except for the flow (`arrivals`, GapCount), which
    depends on the scan before it on the same phone: the fold puts a phone's queued scans here
    when they land before scans already counted (an offline upload out of order), and folds them
    one by one in the same transaction, correcting the next scan's terms (`counters_fold`)."""

    scan_id = models.BigIntegerField(primary_key=True)
    event_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)

    class Meta:
        db_table = "counters_flow_pending"
        indexes = [models.Index(fields=["device_id"], name="counters_flow_pending_device")]


class ScanQueue(models.Model):
    """Scans recorded and not counted yet (docs/adr/0033, "Counting off the scan path"): the scan's
    own transaction adds its row here (the trigger `scan_counted`, one insert) and
    `counters_fold(event)` counts the event's queued scans in one set-based statement and removes
    them in the same transaction. So every committed scan is either here or in the counters, never
    both, never neither."""

    pk = models.CompositePrimaryKey("event_id", "scan_id")
    event_id = models.CharField(max_length=40)
    scan_id = models.BigIntegerField()

    class Meta:
        db_table = "counters_scan_queue"


# ---------------------------------------------------------------- rollups kept by the fold
# The report's grain, written only by `counters_fold` (counters/migrations/0003) in the statement
# that merges the slots of counters_minute into slot -1: they always hold exactly the folded
# (slot -1) minute rows summed to their grain; a reader adds the few rows not folded yet. No scan
# writes them (docs/adr/0033, "The report in constant time").


class GateMinute(models.Model):
    """Per checkpoint and door minute, the in-series scans (rejected `event_closed` attempts left
    out): accepted entries and exits, accepted and rejected scans, fresh arrivals, and per phone
    (`devices`, sorted) its scans and its offline-uploaded (`sync`) scans, for the lanes open,
    the busiest lane-minutes and the phones' timelines."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "minute")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    minute = models.DateTimeField()
    entries = models.BigIntegerField(default=0)
    exits = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    rejected = models.BigIntegerField(default=0)
    arrivals = models.BigIntegerField(default=0)
    devices = ArrayField(models.CharField(max_length=40))
    device_scans = ArrayField(models.BigIntegerField())
    device_sync = ArrayField(models.BigIntegerField())
    busiest = models.BigIntegerField(default=0)  # the most scans of one phone in that minute
    stale = models.BooleanField(default=False)  # its lanes (GateLanes) are to be recomputed by the fold

    class Meta:
        db_table = "counters_gate_minute"


class GateLanes(models.Model):
    """Lanes open per checkpoint and minute: the phones that scanned there within
    LANE_OPEN_SLACK_MIN minutes either side (backoffice/flow.py `lanes_open`), over the folded
    minutes, the night's edges not applied (the report corrects the minutes near them)."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "minute")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    minute = models.DateTimeField()
    lanes = models.IntegerField(default=0)

    class Meta:
        db_table = "counters_gate_lanes"


class PhoneCount(models.Model):
    """Per phone and mode, its in-series scans, late uploads and their longest delay."""

    pk = models.CompositePrimaryKey("event_id", "device_id", "mode")
    event_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    mode = models.CharField(max_length=8)
    scans = models.BigIntegerField(default=0)
    late = models.BigIntegerField(default=0)
    max_delay_s = models.FloatField(null=True)

    class Meta:
        db_table = "counters_phone"


class ZoneMinute(models.Model):
    """Accepted scans per zone (`credential`: staff passes, zone ''), door minute and direction."""

    pk = models.CompositePrimaryKey("event_id", "zone_id", "credential", "minute", "direction")
    event_id = models.CharField(max_length=40)
    zone_id = models.CharField(max_length=40)
    credential = models.BooleanField()
    minute = models.DateTimeField()
    direction = models.CharField(max_length=3)
    scans = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_zone_minute"


# ---------------------------------------------------------------- tickets (counters/migrations/0004)


class SalesCount(models.Model):
    """Per zone and sales channel ('' for unsold tickets), per session slot: the tickets, the sold
    ones, the ones assigned to an offline box office, and what the sold ones were sold for. Kept by
    triggers on the tickets' sale columns, which no scan touches."""

    pk = models.CompositePrimaryKey("event_id", "zone_ref_id", "channel", "slot")
    event_id = models.CharField(max_length=40)
    zone_ref_id = models.BigIntegerField()
    channel = models.CharField(max_length=10)
    slot = models.SmallIntegerField()
    seats = models.BigIntegerField(default=0)
    sold = models.BigIntegerField(default=0)
    offline = models.BigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        db_table = "counters_sales"


class AdmittedCount(models.Model):
    """The tickets of a zone that entered at least once, as of the event's AdmittedMark."""

    pk = models.CompositePrimaryKey("event_id", "zone_ref_id")
    event_id = models.CharField(max_length=40)
    zone_ref_id = models.BigIntegerField()
    admitted = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_admitted"


class AdmittedMark(models.Model):
    """The event's accepted entries (counters_gate) when its AdmittedCount rows were counted: while
    they are still the event's, no ticket has been admitted since and the rows are exact."""

    event_id = models.CharField(max_length=40, primary_key=True)
    fingerprint = models.BigIntegerField()

    class Meta:
        db_table = "counters_admitted_mark"


# Every table above (counters/tables.py names them): written by the triggers or the readers' fold only.
MODELS = (GateCount, MinuteCount, ZoneCount, ReasonCount, ReasonCode, GapCount, FlowPending, ScanQueue, GateMinute, GateLanes,
          PhoneCount, ZoneMinute, SalesCount, AdmittedCount, AdmittedMark)
