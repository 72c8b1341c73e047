"""Backstop for re-entry zones: accepted scans of one ticket must alternate in, out, in, ...
and start with `in`. The trigger takes the ticket's row lock itself, so it holds even for a code
path that forgot to lock: two concurrent admissions can never both be recorded as accepted.
(The first entry is additionally guarded by the partial unique index one_first_entry_per_ticket.)"""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION access_scan_alternation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_last text;
BEGIN
    PERFORM 1 FROM tickets_ticket WHERE id = NEW.ticket_id FOR UPDATE;
    SELECT direction INTO v_last FROM access_scan
     WHERE ticket_id = NEW.ticket_id AND result = 'accepted' AND NOT quarantined
     ORDER BY id DESC LIMIT 1;
    IF coalesce(v_last, 'out') = NEW.direction THEN
        RAISE EXCEPTION 'double_admission: accepted % scan of ticket % follows an accepted % scan',
            NEW.direction, NEW.ticket_id, coalesce(v_last, '(none)')
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER accepted_scans_alternate
BEFORE INSERT ON access_scan
FOR EACH ROW WHEN (NEW.result = 'accepted' AND NEW.ticket_id IS NOT NULL AND NOT NEW.quarantined)
EXECUTE FUNCTION access_scan_alternation();

-- Scan records are evidence: never rewritten, never deleted.
CREATE OR REPLACE FUNCTION access_scan_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'scan_append_only: % of scan records is not allowed', TG_OP USING ERRCODE = '23514';
END;
$$;

CREATE TRIGGER scan_append_only
BEFORE UPDATE OR DELETE ON access_scan
FOR EACH ROW EXECUTE FUNCTION access_scan_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS accepted_scans_alternate ON access_scan;
DROP FUNCTION IF EXISTS access_scan_alternation();
DROP TRIGGER IF EXISTS scan_append_only ON access_scan;
DROP FUNCTION IF EXISTS access_scan_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("access", "0003_scan_ticket_function")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
