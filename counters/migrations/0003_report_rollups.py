"""The report's rollups, kept by the fold (docs/adr/0033, "The report in constant time").

`counters_gate_minute`, `counters_phone` and `counters_zone_minute` hold the folded minute
counters (slot -1) summed to the report's grain: per gate and minute (with each phone's scans in
arrays), per phone and mode, per zone and minute. No scan writes them: `counters_fold` does, in
the one statement that moves the slots' minute rows into slot -1, from the rows it moves. So in
any snapshot they are exactly slot -1 summed, and a reader adds the rows not folded yet.

For that, every change of slot -1 must go through that statement: the fold's own flow folding,
which wrote slot -1 directly, now writes the fold's own slot (FOLD_SLOT, past the scans' 0-127)
and is moved with the rest. `counters_rollups_fill(event)` recomputes them from slot -1 (this
migration's backfill, and the benchmark's after its bulk backfill). check_counters compares them
with the log (counters/check.py)."""
from django.contrib.postgres.fields import ArrayField
from django.db import migrations, models

FOLD_SLOT = 128
# backoffice/flow.py's LANE_OPEN_SLACK_MIN: a phone is a lane open from this many minutes before
# to this many after any of its scans (a test holds the two equal; a change is a migration).
SLACK = "2"

# The rollups' rows for a set of minute rows `src` (a table or CTE with counters_minute's columns).
GATE_MINUTE_ROWS = """
SELECT event_id, checkpoint_id, minute, sum(entries)::bigint AS entries, sum(exits)::bigint AS exits,
       sum(accepted)::bigint AS accepted, sum(rejected)::bigint AS rejected, sum(arrivals)::bigint AS arrivals,
       array_agg(device_id ORDER BY device_id) AS devices, array_agg(scans ORDER BY device_id) AS device_scans,
       array_agg(sync ORDER BY device_id) AS device_sync, max(scans) AS busiest
  FROM (SELECT event_id, checkpoint_id, minute, device_id,
               coalesce(sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'in'), 0) AS entries,
               coalesce(sum(scans) FILTER (WHERE result = 'accepted' AND direction = 'out'), 0) AS exits,
               coalesce(sum(scans) FILTER (WHERE result = 'accepted'), 0) AS accepted,
               coalesce(sum(scans) FILTER (WHERE result <> 'accepted'), 0) AS rejected,
               sum(arrivals) AS arrivals, sum(scans)::bigint AS scans,
               coalesce(sum(scans) FILTER (WHERE mode = 'sync'), 0)::bigint AS sync
          FROM {src} WHERE in_series {where}
         GROUP BY event_id, checkpoint_id, minute, device_id) d
 GROUP BY event_id, checkpoint_id, minute"""

FORWARD = r"""
CREATE INDEX counters_gate_minute_stale ON counters_gate_minute (event_id) WHERE stale;

-- The lanes open (phones that scanned within SLACK minutes either side) around every gate-minute
-- marked stale, which is then no longer stale.
CREATE FUNCTION counters_lanes_refresh(p_event text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM counters_gate_minute WHERE event_id = p_event AND stale) THEN
    WITH touched AS (
        UPDATE counters_gate_minute SET stale = false WHERE event_id = p_event AND stale
        RETURNING checkpoint_id, minute)
    INSERT INTO counters_gate_lanes AS c (event_id, checkpoint_id, minute, lanes)
    SELECT p_event, w.checkpoint_id, w.minute, coalesce(n.lanes, 0)
      FROM (SELECT DISTINCT checkpoint_id, minute + k * interval '1 minute' AS minute
              FROM touched CROSS JOIN generate_series(-""" + SLACK + ", " + SLACK + r""") k) w
      LEFT JOIN LATERAL (
        SELECT count(DISTINCT u.device_id) AS lanes FROM counters_gate_minute g
         CROSS JOIN LATERAL unnest(g.devices, g.device_scans) AS u(device_id, scans)
         WHERE g.event_id = p_event AND g.checkpoint_id = w.checkpoint_id AND u.scans > 0
           AND g.minute BETWEEN w.minute - interval '""" + SLACK + """ minutes' AND w.minute + interval '""" + SLACK + r""" minutes') n ON true
    ON CONFLICT (event_id, checkpoint_id, minute) DO UPDATE SET lanes = excluded.lanes;
    END IF;
END;
$$;

CREATE FUNCTION counters_rollups_fill(p_event text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
DECLARE
    e text;
BEGIN
    DELETE FROM counters_gate_minute WHERE p_event IS NULL OR event_id = p_event;
    DELETE FROM counters_phone WHERE p_event IS NULL OR event_id = p_event;
    DELETE FROM counters_zone_minute WHERE p_event IS NULL OR event_id = p_event;
    INSERT INTO counters_gate_minute (event_id, checkpoint_id, minute, entries, exits, accepted, rejected, arrivals,
                                      devices, device_scans, device_sync, busiest, stale)
    SELECT r.*, true FROM (""" + GATE_MINUTE_ROWS.format(
    src="counters_minute", where="AND slot = -1 AND (p_event IS NULL OR event_id = p_event)") + r""") r;
    DELETE FROM counters_gate_lanes WHERE p_event IS NULL OR event_id = p_event;
    INSERT INTO counters_phone
    SELECT event_id, device_id, mode, sum(scans), sum(late), max(max_delay_s) FROM counters_minute
     WHERE slot = -1 AND in_series AND (p_event IS NULL OR event_id = p_event) GROUP BY 1, 2, 3;
    INSERT INTO counters_zone_minute
    SELECT event_id, zone_id, credential, minute, direction, sum(scans) FROM counters_minute
     WHERE slot = -1 AND result = 'accepted' AND (p_event IS NULL OR event_id = p_event) GROUP BY 1, 2, 3, 4, 5;
    FOR e IN SELECT DISTINCT event_id FROM counters_gate_minute WHERE stale LOOP
        PERFORM counters_lanes_refresh(e);
    END LOOP;
END;
$$;

-- Merge a fold's moved minute rows (`moved`, a CTE of the statement that deletes them from the
-- slots and adds them to slot -1) into the rollups. Per gate-minute the phones' arrays are
-- rebuilt from the row's old arrays and the moved rows; the rest adds up.
CREATE OR REPLACE FUNCTION counters_fold(p_event text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
DECLARE
    d text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(20, hashtext(p_event)) THEN
        RETURN false;
    END IF;
    FOR d IN SELECT DISTINCT device_id FROM counters_flow_pending WHERE event_id = p_event LOOP
        IF pg_try_advisory_xact_lock(19, hashtext(d)) THEN
            PERFORM counters_fold_flow(d, """ + str(FOLD_SLOT) + r""");  -- moved to slot -1 below
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM counters_gate WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_gate WHERE ctid IN (
            SELECT ctid FROM counters_gate WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING *)
    INSERT INTO counters_gate AS c (event_id, checkpoint_id, device_id, result, direction, slot, scans, inside)
    SELECT event_id, checkpoint_id, device_id, result, direction, -1, sum(scans), sum(inside) FROM moved
     GROUP BY event_id, checkpoint_id, device_id, result, direction
    ON CONFLICT (event_id, checkpoint_id, device_id, result, direction, slot)
    DO UPDATE SET scans = c.scans + excluded.scans, inside = c.inside + excluded.inside;
    END IF;
    IF EXISTS (SELECT 1 FROM counters_minute WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_minute WHERE ctid IN (
            SELECT ctid FROM counters_minute WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING *),
    folded AS (
        INSERT INTO counters_minute AS c (event_id, server_minute, minute, checkpoint_id, device_id, direction, result,
                                          mode, zone_id, credential, in_series, slot, scans, late, max_delay_s, arrivals)
        SELECT event_id, server_minute, minute, checkpoint_id, device_id, direction, result, mode, zone_id, credential,
               in_series, -1, sum(scans), sum(late), max(max_delay_s), sum(arrivals) FROM moved
         GROUP BY event_id, server_minute, minute, checkpoint_id, device_id, direction, result, mode, zone_id, credential,
                  in_series
        ON CONFLICT (event_id, server_minute, checkpoint_id, device_id, minute, direction, result, mode, zone_id,
                     credential, in_series, slot)
        DO UPDATE SET scans = c.scans + excluded.scans, late = c.late + excluded.late,
                      max_delay_s = greatest(c.max_delay_s, excluded.max_delay_s),
                      arrivals = c.arrivals + excluded.arrivals),
    phones AS (
        INSERT INTO counters_phone AS c (event_id, device_id, mode, scans, late, max_delay_s)
        SELECT event_id, device_id, mode, sum(scans), sum(late), max(max_delay_s) FROM moved WHERE in_series
         GROUP BY event_id, device_id, mode
        ON CONFLICT (event_id, device_id, mode)
        DO UPDATE SET scans = c.scans + excluded.scans, late = c.late + excluded.late,
                      max_delay_s = greatest(c.max_delay_s, excluded.max_delay_s)),
    zones AS (
        INSERT INTO counters_zone_minute AS c (event_id, zone_id, credential, minute, direction, scans)
        SELECT event_id, zone_id, credential, minute, direction, sum(scans) FROM moved WHERE result = 'accepted'
         GROUP BY event_id, zone_id, credential, minute, direction
        ON CONFLICT (event_id, zone_id, credential, minute, direction) DO UPDATE SET scans = c.scans + excluded.scans),
    keys AS (SELECT DISTINCT checkpoint_id, minute FROM moved WHERE in_series),
    totals AS (  -- the gate-minutes touched: as they were, plus the moved rows
        SELECT checkpoint_id, minute, sum(entries) AS entries, sum(exits) AS exits, sum(accepted) AS accepted,
               sum(rejected) AS rejected, sum(arrivals) AS arrivals
          FROM (SELECT g.checkpoint_id, g.minute, g.entries, g.exits, g.accepted, g.rejected, g.arrivals
                  FROM counters_gate_minute g JOIN keys k USING (checkpoint_id, minute)
                 WHERE g.event_id = p_event
                UNION ALL
                SELECT checkpoint_id, minute,
                       CASE WHEN result = 'accepted' AND direction = 'in' THEN scans ELSE 0 END,
                       CASE WHEN result = 'accepted' AND direction = 'out' THEN scans ELSE 0 END,
                       CASE WHEN result = 'accepted' THEN scans ELSE 0 END,
                       CASE WHEN result <> 'accepted' THEN scans ELSE 0 END, arrivals
                  FROM moved WHERE in_series) t
         GROUP BY checkpoint_id, minute),
    lanes AS (  -- and per phone
        SELECT checkpoint_id, minute, device_id, sum(scans)::bigint AS scans, sum(sync)::bigint AS sync
          FROM (SELECT g.checkpoint_id, g.minute, u.device_id, u.scans, u.sync
                  FROM counters_gate_minute g JOIN keys k USING (checkpoint_id, minute)
                 CROSS JOIN LATERAL unnest(g.devices, g.device_scans, g.device_sync) AS u(device_id, scans, sync)
                 WHERE g.event_id = p_event
                UNION ALL
                SELECT checkpoint_id, minute, device_id, scans, CASE WHEN mode = 'sync' THEN scans ELSE 0 END
                  FROM moved WHERE in_series) x
         GROUP BY checkpoint_id, minute, device_id),
    phones_now AS (
        SELECT checkpoint_id, minute, array_agg(device_id ORDER BY device_id) AS devices,
               array_agg(scans ORDER BY device_id) AS device_scans, array_agg(sync ORDER BY device_id) AS device_sync,
               max(scans) AS busiest
          FROM lanes GROUP BY checkpoint_id, minute)
    INSERT INTO counters_gate_minute AS c (event_id, checkpoint_id, minute, entries, exits, accepted, rejected,
                                           arrivals, devices, device_scans, device_sync, busiest, stale)
    SELECT p_event, t.checkpoint_id, t.minute, t.entries, t.exits, t.accepted, t.rejected, t.arrivals, p.devices,
           p.device_scans, p.device_sync, p.busiest, true
      FROM totals t JOIN phones_now p USING (checkpoint_id, minute)
    ON CONFLICT (event_id, checkpoint_id, minute)
    DO UPDATE SET entries = excluded.entries, exits = excluded.exits, accepted = excluded.accepted,
                  rejected = excluded.rejected, arrivals = excluded.arrivals, devices = excluded.devices,
                  device_scans = excluded.device_scans, device_sync = excluded.device_sync,
                  busiest = excluded.busiest, stale = true;
    END IF;
    PERFORM counters_lanes_refresh(p_event);
    IF EXISTS (SELECT 1 FROM counters_zone WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_zone WHERE ctid IN (
            SELECT ctid FROM counters_zone WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING *)
    INSERT INTO counters_zone AS c (event_id, zone_id, device_id, slot, inside)
    SELECT event_id, zone_id, device_id, -1, sum(inside) FROM moved GROUP BY event_id, zone_id, device_id
    ON CONFLICT (event_id, zone_id, device_id, slot) DO UPDATE SET inside = c.inside + excluded.inside;
    END IF;
    -- Codes first: the ones new in slot -1 are added to the reason's `codes` below, with the
    -- reason rows (on a device's row of the reason: '' when none was folded in this pass).
    IF EXISTS (SELECT 1 FROM counters_reason_code WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_reason_code WHERE ctid IN (
            SELECT ctid FROM counters_reason_code WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING event_id, reason, code_md5),
    added AS (
        INSERT INTO counters_reason_code (event_id, reason, code_md5, slot)
        SELECT DISTINCT event_id, reason, code_md5, -1 FROM moved
        ON CONFLICT DO NOTHING
        RETURNING reason)
    INSERT INTO counters_reason AS c (event_id, reason, device_id, slot, scans, codes)
    SELECT p_event, reason, '', -1, 0, count(*) FROM added GROUP BY reason
    ON CONFLICT (event_id, reason, device_id, slot) DO UPDATE SET codes = c.codes + excluded.codes;
    END IF;
    IF EXISTS (SELECT 1 FROM counters_reason WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_reason WHERE ctid IN (
            SELECT ctid FROM counters_reason WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING *)
    INSERT INTO counters_reason AS c (event_id, reason, device_id, slot, scans, codes)
    SELECT event_id, reason, device_id, -1, sum(scans), sum(codes) FROM moved GROUP BY event_id, reason, device_id
    ON CONFLICT (event_id, reason, device_id, slot) DO UPDATE SET scans = c.scans + excluded.scans,
                                                               codes = c.codes + excluded.codes;
    END IF;
    IF EXISTS (SELECT 1 FROM counters_gap WHERE event_id = p_event AND slot >= 0) THEN
    WITH moved AS (
        DELETE FROM counters_gap WHERE ctid IN (
            SELECT ctid FROM counters_gap WHERE event_id = p_event AND slot >= 0 FOR UPDATE SKIP LOCKED)
        RETURNING *)
    INSERT INTO counters_gap AS c (event_id, checkpoint_id, device_id, gap_cs, slot, gaps)
    SELECT event_id, checkpoint_id, device_id, gap_cs, -1, sum(gaps) FROM moved
     GROUP BY event_id, checkpoint_id, device_id, gap_cs
    ON CONFLICT (event_id, checkpoint_id, device_id, gap_cs, slot) DO UPDATE SET gaps = c.gaps + excluded.gaps;
    END IF;
    RETURN true;
END;
$$;
SELECT counters_rollups_fill(NULL);
"""


def _schema(cur) -> str:
    cur.execute("SELECT quote_ident(current_schema())")
    return cur.fetchone()[0]


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(FORWARD.replace("%(schema)s", _schema(cur)))


def backward(apps, schema_editor):
    import importlib

    before = importlib.import_module("counters.migrations.0002_scan_counted_trigger").FORWARD
    start = before.index("CREATE FUNCTION counters_fold(")
    fold = before[start:before.index("$$;", before.index("RETURN true;", start)) + 3]
    with schema_editor.connection.cursor() as cur:
        cur.execute("DROP FUNCTION IF EXISTS counters_rollups_fill(text); DROP FUNCTION IF EXISTS counters_lanes_refresh(text)")
        cur.execute(fold.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
                    .replace("%(schema)s", _schema(cur)))


def _table(name: str, db_table: str, key: tuple[str, ...], fields: list) -> migrations.CreateModel:
    return migrations.CreateModel(name=name, fields=[
        ("pk", models.CompositePrimaryKey(*key, blank=True, editable=False, primary_key=True, serialize=False)),
        *fields], options={"db_table": db_table})


class Migration(migrations.Migration):
    dependencies = [("counters", "0002_scan_counted_trigger")]
    operations = [
        _table("GateMinute", "counters_gate_minute", ("event_id", "checkpoint_id", "minute"), [
            ("event_id", models.CharField(max_length=40)), ("checkpoint_id", models.CharField(max_length=40)),
            ("minute", models.DateTimeField()), ("entries", models.BigIntegerField(default=0)),
            ("exits", models.BigIntegerField(default=0)), ("accepted", models.BigIntegerField(default=0)),
            ("rejected", models.BigIntegerField(default=0)), ("arrivals", models.BigIntegerField(default=0)),
            ("devices", ArrayField(base_field=models.CharField(max_length=40), size=None)),
            ("device_scans", ArrayField(base_field=models.BigIntegerField(), size=None)),
            ("device_sync", ArrayField(base_field=models.BigIntegerField(), size=None)),
            ("busiest", models.BigIntegerField(default=0)),
            ("stale", models.BooleanField(default=False))]),
        _table("GateLanes", "counters_gate_lanes", ("event_id", "checkpoint_id", "minute"), [
            ("event_id", models.CharField(max_length=40)), ("checkpoint_id", models.CharField(max_length=40)),
            ("minute", models.DateTimeField()), ("lanes", models.IntegerField(default=0))]),
        _table("PhoneCount", "counters_phone", ("event_id", "device_id", "mode"), [
            ("event_id", models.CharField(max_length=40)), ("device_id", models.CharField(max_length=40)),
            ("mode", models.CharField(max_length=8)), ("scans", models.BigIntegerField(default=0)),
            ("late", models.BigIntegerField(default=0)), ("max_delay_s", models.FloatField(null=True))]),
        _table("ZoneMinute", "counters_zone_minute", ("event_id", "zone_id", "credential", "minute", "direction"), [
            ("event_id", models.CharField(max_length=40)), ("zone_id", models.CharField(max_length=40)),
            ("credential", models.BooleanField()), ("minute", models.DateTimeField()),
            ("direction", models.CharField(max_length=3)), ("scans", models.BigIntegerField(default=0))]),
        migrations.RunPython(forward, backward),
    ]
