"""Counting off the scan path (docs/adr/0033, "Counting off the scan path").

The scan's trigger `scan_counted` no longer writes the counters: it adds the scan to
`counters_scan_queue`, one insert in the scan's own transaction. `counters_fold(event)`, which
every reader already calls first, now starts by counting the event's queued scans in one set-based
statement (`counters_count_queued`) and removing them from the queue in the same transaction, then
merges the slots as before (the former counters_fold, renamed `counters_merge_slots`). A scan is
therefore, in any snapshot, either queued or counted, never both and never neither: the counters
cannot drift from the log; they are as fresh as the last fold (the readers' own, or the beat's
`counters.fold_queued` every COUNTERS_FOLD_INTERVAL_S).

What the trigger did per scan, the statement does per batch, with the same definitions (the log
functions of 0002 are the reference, and check_counters compares):
- gate, minute, zone, rejection and distinct-code rows, grouped, into the fold's slot;
- the entry flow (fresh attempts and back-to-back gaps), which depends on the scan before on the
  same phone: the queued scans that come after their phone's newest counted one (every online
  scan, and an offline upload that arrives in order) by one window over that scan and them; a
  scan that lands before scans already counted (an offline upload out of order, or a scan that
  committed just after a later one of its phone was counted) goes to counters_flow_pending, and
  the fold's existing per-scan path (counters_flow_fold_one, which also corrects the next scan's
  terms) takes it in the same fold, after the window's scans are counted.
- Neighbours are always taken among counted scans: queued ones are excluded like pending ones.
"""
import importlib

from django.db import migrations, models

BEFORE = importlib.import_module("counters.migrations.0002_scan_counted_trigger")
ROLLUPS = importlib.import_module("counters.migrations.0003_report_rollups")
FOLD_SLOT = ROLLUPS.FOLD_SLOT
FLOW_ROW, AT = BEFORE.FLOW_ROW, BEFORE.AT
NOT_QUEUED = " AND NOT EXISTS (SELECT 1 FROM counters_scan_queue k WHERE k.event_id = s.event_id AND k.scan_id = s.id)"

FORWARD = r"""
CREATE OR REPLACE FUNCTION counters_count_scan() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
BEGIN
    INSERT INTO counters_scan_queue (event_id, scan_id) VALUES (NEW.event_id, NEW.id);
    RETURN NULL;
END;
$$;

-- Count the event's queued scans into the fold's slot and remove them from the queue: one
-- statement, one snapshot. Under the event's fold lock (20; counters_fold holds it already, and
-- a caller without it who finds another folder at work counts nothing): two batches of one
-- phone must not both take the same counted scan for their predecessor.
CREATE FUNCTION counters_count_queued(p_event text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
DECLARE
    n bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(20, hashtext(p_event)) THEN
        RETURN 0;
    END IF;
    WITH batch AS (
        DELETE FROM counters_scan_queue WHERE event_id = p_event RETURNING scan_id),
    s AS (
        SELECT a.*, coalesce(NOT (a.result = 'rejected' AND a.reason = 'event_closed'), false) AS in_series,
               (""" + FLOW_ROW.format(s="a.") + r""") AS flow
          FROM batch b JOIN access_scan a ON a.id = b.scan_id),
    fs AS (  -- the batch's entry-flow scans
        SELECT id, device_id, direction, """ + AT.format(s="") + r""" AS at, hashtext(code) AS h FROM s WHERE flow),
    phones AS (SELECT DISTINCT device_id FROM fs),
    head AS (  -- per phone: its newest counted flow scan
        SELECT f.device_id, p.id AS hid, p.at AS hat, p.h AS hh, p.direction AS hdir
          FROM phones f
          LEFT JOIN LATERAL (
            SELECT s.id, """ + AT.format(s="s.") + r""" AS at, hashtext(s.code) AS h, s.direction
              FROM access_scan s
             WHERE s.device_id = f.device_id AND """ + FLOW_ROW.format(s="s.") + r"""
               AND NOT EXISTS (SELECT 1 FROM counters_flow_pending q WHERE q.scan_id = s.id)""" + NOT_QUEUED + r"""
             ORDER BY """ + AT.format(s="s.") + r""" DESC, s.id DESC LIMIT 1) p ON true),
    placed AS (  -- each queued flow scan: after its phone's newest counted one, or before it
        SELECT fs.*, head.hid IS NULL OR (fs.at, fs.id) > (head.hat, head.hid) AS in_order
          FROM fs JOIN head USING (device_id)),
    seq AS (
        SELECT device_id, id, at, h, direction, true AS mine FROM placed WHERE in_order
        UNION ALL
        SELECT device_id, hid, hat, hh, hdir, false FROM head WHERE hid IS NOT NULL),
    lagged AS (
        SELECT id, mine, direction, date_part('epoch', at) AS t, h, lag(date_part('epoch', at)) OVER w AS pt,
               lag(h) OVER w AS ph, lag(direction) OVER w AS pdir
          FROM seq WINDOW w AS (PARTITION BY device_id ORDER BY at, id)),
    flow AS (  -- counters_flow_term's verdicts, for the batch's in-order scans
        SELECT id, NOT coalesce(h = ph AND direction = pdir AND t - pt <= 20, false) AS fresh,
               CASE WHEN direction = 'in' AND pdir = 'in' AND t - pt <= 20
                    THEN round((t - pt) * 100)::integer END AS gap_cs
          FROM lagged WHERE mine),
    later AS (  -- a scan landing before scans already counted (an offline upload, or a scan that
                -- committed after a later one was counted): the per-scan path, in the same fold
        INSERT INTO counters_flow_pending (scan_id, event_id, device_id)
        SELECT id, p_event, device_id FROM placed WHERE NOT in_order),
    gaps AS (
        INSERT INTO counters_gap AS c (event_id, checkpoint_id, device_id, gap_cs, slot, gaps)
        SELECT s.event_id, s.checkpoint_id, s.device_id, f.gap_cs, """ + str(FOLD_SLOT) + r""", count(*)
          FROM flow f JOIN s ON s.id = f.id WHERE f.fresh AND f.gap_cs > 0 GROUP BY 1, 2, 3, 4
        ON CONFLICT (event_id, checkpoint_id, device_id, gap_cs, slot) DO UPDATE SET gaps = c.gaps + excluded.gaps),
    gate AS (
        INSERT INTO counters_gate AS c (event_id, checkpoint_id, device_id, result, direction, slot, scans, inside)
        SELECT event_id, checkpoint_id, device_id, result, direction, """ + str(FOLD_SLOT) + r""", sum(scans), sum(inside)
          FROM (SELECT event_id, coalesce(checkpoint_id, '') AS checkpoint_id, device_id, result, direction, 1 AS scans,
                       CASE WHEN result = 'accepted' AND direction = 'in' THEN 1 ELSE 0 END AS inside
                  FROM s WHERE NOT quarantined
                UNION ALL  -- whoever leaves stops counting at the checkpoint they came in by
                SELECT o.event_id, l.cp, o.device_id, 'accepted', 'in', 0, -1
                  FROM s o
                  CROSS JOIN LATERAL (SELECT coalesce(x.checkpoint_id, '') AS cp FROM access_scan x
                                       WHERE x.ticket_id = o.ticket_id AND x.id < o.id AND x.result = 'accepted'
                                         AND x.direction = 'in' AND NOT x.quarantined
                                       ORDER BY x.id DESC LIMIT 1) l
                 WHERE o.result = 'accepted' AND o.direction = 'out' AND NOT o.quarantined AND o.ticket_id IS NOT NULL
                UNION ALL
                SELECT o.event_id, l.cp, o.device_id, 'accepted', 'in', 0, -1
                  FROM s o
                  CROSS JOIN LATERAL (SELECT coalesce(x.checkpoint_id, '') AS cp FROM access_scan x
                                       WHERE x.credential_id = o.credential_id AND x.id < o.id
                                         AND x.result = 'accepted' AND x.direction = 'in' AND NOT x.quarantined
                                       ORDER BY x.id DESC LIMIT 1) l
                 WHERE o.result = 'accepted' AND o.direction = 'out' AND NOT o.quarantined AND o.ticket_id IS NULL
                   AND o.credential_id IS NOT NULL) r
         GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (event_id, checkpoint_id, device_id, result, direction, slot)
        DO UPDATE SET scans = c.scans + excluded.scans, inside = c.inside + excluded.inside),
    minutes AS (
        INSERT INTO counters_minute AS c (event_id, server_minute, minute, checkpoint_id, device_id, direction, result,
                                          mode, zone_id, credential, in_series, slot, scans, late, max_delay_s, arrivals)
        SELECT s.event_id, date_trunc('minute', s.server_time),
               date_trunc('minute', CASE WHEN s.in_series THEN coalesce(s.effective_at, s.server_time) ELSE s.server_time END),
               coalesce(s.checkpoint_id, ''), s.device_id, s.direction, s.result, s.mode,
               CASE WHEN s.result = 'accepted' AND s.ticket_id IS NOT NULL THEN coalesce(s.zone_id, '') ELSE '' END,
               s.result = 'accepted' AND s.ticket_id IS NULL, s.in_series, """ + str(FOLD_SLOT) + r""",
               count(*), count(*) FILTER (WHERE s.in_series AND s.late),
               max(date_part('epoch', s.server_time - s.effective_at)) FILTER (WHERE s.in_series AND s.late),
               count(*) FILTER (WHERE f.fresh AND s.direction = 'in')
          FROM s LEFT JOIN flow f ON f.id = s.id
         WHERE NOT s.quarantined
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
        ON CONFLICT (event_id, server_minute, checkpoint_id, device_id, minute, direction, result, mode, zone_id,
                     credential, in_series, slot)
        DO UPDATE SET scans = c.scans + excluded.scans, late = c.late + excluded.late,
                      max_delay_s = greatest(c.max_delay_s, excluded.max_delay_s),
                      arrivals = c.arrivals + excluded.arrivals),
    zones AS (
        INSERT INTO counters_zone AS c (event_id, zone_id, device_id, slot, inside)
        SELECT event_id, CASE WHEN ticket_id IS NOT NULL THEN coalesce(zone_id, '') ELSE '' END, device_id,
               """ + str(FOLD_SLOT) + r""", sum(CASE WHEN direction = 'in' THEN 1 ELSE -1 END)
          FROM s WHERE result = 'accepted' AND NOT quarantined GROUP BY 1, 2, 3
        ON CONFLICT (event_id, zone_id, device_id, slot) DO UPDATE SET inside = c.inside + excluded.inside),
    reasons AS (  -- rejections, quarantined evidence included
        INSERT INTO counters_reason AS c (event_id, reason, device_id, slot, scans, codes)
        SELECT event_id, coalesce(reason, ''), device_id, """ + str(FOLD_SLOT) + r""", count(*), 0
          FROM s WHERE result = 'rejected' GROUP BY 1, 2, 3
        ON CONFLICT (event_id, reason, device_id, slot) DO UPDATE SET scans = c.scans + excluded.scans),
    codes AS (
        INSERT INTO counters_reason_code (event_id, reason, code_md5, slot)
        SELECT DISTINCT event_id, coalesce(reason, ''), md5(code)::uuid, """ + str(FOLD_SLOT) + r"""
          FROM s WHERE result = 'rejected'
        ON CONFLICT DO NOTHING)
    SELECT count(*) INTO n FROM batch;
    RETURN n;
END;
$$;

ALTER FUNCTION counters_fold(text) RENAME TO counters_merge_slots;

-- What the readers call first (in a transaction of their own or their snapshot's): count the
-- event's queued scans, then merge the slots (counters_merge_slots, 0003's counters_fold). One
-- folder per event at a time; it never waits. Returns whether it ran.
CREATE FUNCTION counters_fold(p_event text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR NOT pg_try_advisory_xact_lock(20, hashtext(p_event)) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM counters_scan_queue WHERE event_id = p_event) THEN
        PERFORM counters_count_queued(p_event);
    END IF;
    RETURN counters_merge_slots(p_event);
END;
$$;

-- The scans already recorded were counted by the former trigger: nothing is queued.
"""

BACKWARD = r"""
DO $$
DECLARE
    e text;
BEGIN
    FOR e IN SELECT DISTINCT event_id FROM counters_scan_queue LOOP
        PERFORM counters_fold(e);
    END LOOP;
END;
$$;
DROP FUNCTION counters_fold(text);
ALTER FUNCTION counters_merge_slots(text) RENAME TO counters_fold;
DROP FUNCTION counters_count_queued(text);
"""


def _schema(cur) -> str:
    cur.execute("SELECT quote_ident(current_schema())")
    return cur.fetchone()[0]


def _function(source: str, name: str) -> str:
    """`name`'s CREATE FUNCTION block in an earlier migration's SQL, as CREATE OR REPLACE."""
    start = source.index(f"CREATE FUNCTION {name}(")
    end = source.index("$$;", source.index("AS $$", start) + 5) + 3
    return source[start:end].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


def _fold_one_leaving_queued_out() -> str:
    """0002's counters_flow_fold_one, its two neighbour reads also leaving queued scans out."""
    block = _function(BEFORE.FORWARD, "counters_flow_fold_one")
    marker = " AND NOT EXISTS (SELECT 1 FROM counters_flow_pending q WHERE q.scan_id = s.id)"
    assert block.count(marker) == 2
    return block.replace(marker, marker + NOT_QUEUED)


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(FORWARD.replace("%(schema)s", _schema(cur)))
        cur.execute(_fold_one_leaving_queued_out())


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        schema = _schema(cur)
        cur.execute(BACKWARD)
        for name in ("counters_count_scan", "counters_flow_fold_one"):
            cur.execute(_function(BEFORE.FORWARD, name).replace("%(schema)s", schema).replace("%%", "%"))


class Migration(migrations.Migration):
    dependencies = [("counters", "0004_ticket_counters")]
    operations = [
        migrations.CreateModel(name="ScanQueue", fields=[
            ("pk", models.CompositePrimaryKey("event_id", "scan_id", blank=True, editable=False, primary_key=True,
                                              serialize=False)),
            ("event_id", models.CharField(max_length=40)), ("scan_id", models.BigIntegerField())],
            options={"db_table": "counters_scan_queue"}),
        migrations.RunPython(forward, backward),
    ]
