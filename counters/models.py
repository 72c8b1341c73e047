"""The counters of the scan log (docs/adr/0033). Written only by the database, in the scan's own
transaction (the trigger `scan_counted` on access_scan, counters/migrations/0002); the
application role may read them but not write them (ticketcore/dbroles.py). Every row is keyed by
the scanning device: a phone waits for its answer before it scans again, so two transactions of
one door never update the same row and nothing serialises on a counter. Readers sum over the
devices. Keys that the scan leaves empty are stored as '' so that they can be part of a key."""
from django.db import models


class GateCount(models.Model):
    """Scans per checkpoint, device, result and direction (quarantined evidence left out), and
    `inside`: on the accepted-entry row of a checkpoint, +1 per accepted entry through it and -1
    per accepted exit of someone whose latest accepted entry was through it (on the exiting
    device's row). Summed per checkpoint: the people inside by the checkpoint they came in by."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "device_id", "result", "direction")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    result = models.CharField(max_length=8)
    direction = models.CharField(max_length=3)
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
                                    "result", "mode", "zone_id", "credential", "in_series")
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
    scans = models.BigIntegerField(default=0)
    late = models.BigIntegerField(default=0)
    max_delay_s = models.FloatField(null=True)
    arrivals = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_minute"


class ZoneCount(models.Model):
    """People inside per zone, by the device that let them in (+1) or out (-1); zone '' is the
    staff and VIP credentials."""

    pk = models.CompositePrimaryKey("event_id", "zone_id", "device_id")
    event_id = models.CharField(max_length=40)
    zone_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    inside = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_zone"


class ReasonCount(models.Model):
    """Rejected scans per reason and device, quarantined evidence included (as the report counts),
    and `codes`: the codes this device was the first to have rejected for the reason (ReasonCode),
    so that the distinct codes of a reason are a sum over devices, not a count over codes."""

    pk = models.CompositePrimaryKey("event_id", "reason", "device_id")
    event_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=32)
    device_id = models.CharField(max_length=40)
    scans = models.BigIntegerField(default=0)
    codes = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_reason"


class ReasonCode(models.Model):
    """One row per distinct code rejected for a reason (its MD5): the report's `distinct_codes`."""

    pk = models.CompositePrimaryKey("event_id", "reason", "code_md5")
    event_id = models.CharField(max_length=40)
    reason = models.CharField(max_length=32)
    code_md5 = models.UUIDField()

    class Meta:
        db_table = "counters_reason_code"


class GapCount(models.Model):
    """The entry-flow histogram: back-to-back gaps between two fresh entry scans of one phone, in
    hundredths of a second, per checkpoint and device (backoffice/flow.py, docs/adr/0028)."""

    pk = models.CompositePrimaryKey("event_id", "checkpoint_id", "device_id", "gap_cs")
    event_id = models.CharField(max_length=40)
    checkpoint_id = models.CharField(max_length=40)
    device_id = models.CharField(max_length=40)
    gap_cs = models.IntegerField()
    gaps = models.BigIntegerField(default=0)

    class Meta:
        db_table = "counters_gap"


# Every table above (counters/tables.py names them): written by the trigger only.
MODELS = (GateCount, MinuteCount, ZoneCount, ReasonCount, ReasonCode, GapCount)
