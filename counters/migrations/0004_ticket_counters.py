"""The report's ticket-bound figures without a pass over the tickets (docs/adr/0033, "The report in
constant time").

- `counters_sales`: per event, zone, sales channel and session slot, the tickets (`seats`), the sold
  ones, the ones assigned to an offline box office and the money the sold ones went for. Kept by
  triggers on tickets_ticket that a scan never fires: a row trigger on UPDATE OF the sale columns
  (a scan sets only access_status, access_entry and updated_at), statement triggers with transition
  tables on INSERT (ticket generation: one aggregate per statement) and DELETE. Slots as for the
  scan counters (`counters_slot()`): two sales never update one row.
- `counters_admitted`: the tickets of each zone that entered at least once (`access_status`), as of
  `counters_admitted_mark.fingerprint`, the event's accepted entries then (counters_gate). A ticket
  is admitted only by an accepted entry, which the scan counters count in the same transaction, so
  while the fingerprint is the event's current one the cache is exact; `counters_admitted_refresh`
  (called by the report before its snapshot, like counters_fold) recounts when it is not, and the
  report recounts in its snapshot when its fingerprint differs.

check_counters compares both with the tickets (counters/check.py)."""
from django.db import migrations, models

FINGERPRINT = ("(SELECT coalesce(sum(scans), 0)::bigint FROM counters_gate "
               "WHERE event_id = {event} AND result = 'accepted' AND direction = 'in')")

# Tickets (`rows`: sign, event_id, zone_ref_id, channel, status, status_offline, price) summed per key.
SALES_ROWS = """
SELECT event_id, zone_ref_id, coalesce(channel, ''), {slot}, sum(sign), coalesce(sum(sign) FILTER (WHERE NOT status), 0),
       coalesce(sum(sign) FILTER (WHERE status AND status_offline), 0),
       coalesce(sum(sign * price) FILTER (WHERE NOT status), 0)
  FROM {rows} GROUP BY 1, 2, 3"""
COLUMNS = "event_id, zone_ref_id, channel, status, status_offline, price"
CHANGE = ("(VALUES (-1, OLD.event_id, OLD.zone_ref_id, OLD.channel, OLD.status, OLD.status_offline, OLD.price), "
          "(1, NEW.event_id, NEW.zone_ref_id, NEW.channel, NEW.status, NEW.status_offline, NEW.price)) "
          "AS r(sign, " + COLUMNS + ")")

UPSERT = """
INSERT INTO counters_sales AS c (event_id, zone_ref_id, channel, slot, seats, sold, offline, revenue) {rows}
ON CONFLICT (event_id, zone_ref_id, channel, slot)
DO UPDATE SET seats = c.seats + excluded.seats, sold = c.sold + excluded.sold, offline = c.offline + excluded.offline,
              revenue = c.revenue + excluded.revenue;"""

FORWARD = r"""
CREATE FUNCTION counters_sales_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
DECLARE
    v_slot integer := counters_slot();
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        """ + UPSERT.format(rows=SALES_ROWS.format(slot="v_slot", rows=CHANGE)) + r"""
    ELSIF TG_OP = 'INSERT' THEN
        """ + UPSERT.format(rows=SALES_ROWS.format(
    slot="v_slot", rows=f"(SELECT 1 AS sign, {COLUMNS} FROM new_rows) r")) + r"""
    ELSE
        """ + UPSERT.format(rows=SALES_ROWS.format(
    slot="v_slot", rows=f"(SELECT -1 AS sign, {COLUMNS} FROM old_rows) r")) + r"""
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ticket_sale_counted
AFTER UPDATE OF status, status_offline, price, channel, zone_ref_id, event_id ON tickets_ticket
FOR EACH ROW
WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.status_offline IS DISTINCT FROM NEW.status_offline
      OR OLD.price IS DISTINCT FROM NEW.price OR OLD.channel IS DISTINCT FROM NEW.channel
      OR OLD.zone_ref_id IS DISTINCT FROM NEW.zone_ref_id OR OLD.event_id IS DISTINCT FROM NEW.event_id)
EXECUTE FUNCTION counters_sales_changed();
CREATE TRIGGER tickets_added_counted AFTER INSERT ON tickets_ticket
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION counters_sales_changed();
CREATE TRIGGER tickets_removed_counted AFTER DELETE ON tickets_ticket
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION counters_sales_changed();

-- The admitted tickets per zone, recounted unless the event's accepted entries are those of the
-- last count (one statement: the count and its fingerprint come from one snapshot).
CREATE FUNCTION counters_admitted_refresh(p_event text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM events_event WHERE event_id = p_event) THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM counters_admitted_mark
                WHERE event_id = p_event AND fingerprint = """ + FINGERPRINT.format(event="p_event") + r""") THEN
        RETURN false;
    END IF;
    IF NOT pg_try_advisory_xact_lock(22, hashtext(p_event)) THEN
        RETURN false;  -- another reader is recounting
    END IF;
    WITH counted AS (
        SELECT z.id AS zone_ref_id, count(t.id) FILTER (WHERE t.access_status) AS admitted
          FROM events_zone z LEFT JOIN tickets_ticket t ON t.zone_ref_id = z.id
         WHERE z.event_id = p_event GROUP BY z.id),
    added AS (INSERT INTO counters_admitted AS a (event_id, zone_ref_id, admitted)
              SELECT p_event, zone_ref_id, admitted FROM counted
              ON CONFLICT (event_id, zone_ref_id) DO UPDATE SET admitted = excluded.admitted)
    INSERT INTO counters_admitted_mark AS m (event_id, fingerprint)
    VALUES (p_event, """ + FINGERPRINT.format(event="p_event") + r""")
    ON CONFLICT (event_id) DO UPDATE SET fingerprint = excluded.fingerprint;
    RETURN true;
END;
$$;

INSERT INTO counters_sales """ + SALES_ROWS.format(
    slot="-1", rows=f"(SELECT 1 AS sign, {COLUMNS} FROM tickets_ticket) r") + r""";
"""

BACKWARD = """
DROP TRIGGER IF EXISTS ticket_sale_counted ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_added_counted ON tickets_ticket;
DROP TRIGGER IF EXISTS tickets_removed_counted ON tickets_ticket;
DROP FUNCTION IF EXISTS counters_sales_changed();
DROP FUNCTION IF EXISTS counters_admitted_refresh(text);
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT quote_ident(current_schema())")
        cur.execute(FORWARD.replace("%(schema)s", cur.fetchone()[0]))


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(BACKWARD)


def _key(*fields):
    return ("pk", models.CompositePrimaryKey(*fields, blank=True, editable=False, primary_key=True, serialize=False))


class Migration(migrations.Migration):
    dependencies = [("counters", "0003_report_rollups"), ("tickets", "0011_names_for_people")]
    operations = [
        migrations.CreateModel(name="SalesCount", fields=[
            _key("event_id", "zone_ref_id", "channel", "slot"),
            ("event_id", models.CharField(max_length=40)), ("zone_ref_id", models.BigIntegerField()),
            ("channel", models.CharField(max_length=10)), ("slot", models.SmallIntegerField()),
            ("seats", models.BigIntegerField(default=0)), ("sold", models.BigIntegerField(default=0)),
            ("offline", models.BigIntegerField(default=0)),
            ("revenue", models.DecimalField(decimal_places=2, default=0, max_digits=14))],
            options={"db_table": "counters_sales"}),
        migrations.CreateModel(name="AdmittedCount", fields=[
            _key("event_id", "zone_ref_id"),
            ("event_id", models.CharField(max_length=40)), ("zone_ref_id", models.BigIntegerField()),
            ("admitted", models.BigIntegerField(default=0))], options={"db_table": "counters_admitted"}),
        migrations.CreateModel(name="AdmittedMark", fields=[
            ("event_id", models.CharField(max_length=40, primary_key=True, serialize=False)),
            ("fingerprint", models.BigIntegerField())], options={"db_table": "counters_admitted_mark"}),
        migrations.RunPython(forward, backward),
    ]
