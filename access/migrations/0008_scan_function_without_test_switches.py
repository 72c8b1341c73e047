"""The scan decision function without test-only parameters: the production `access_scan_ticket`
takes the scan and nothing else (issue 15, docs/adr/0007).

0003 gave it `p_lock boolean DEFAULT true` and `p_race_window_ms integer DEFAULT 0` (with a
`pg_sleep` inside) for the negative-control tests only. Those switches now live in the tests:
tests/access/unguarded_scan.py installs `test_unguarded_scan_ticket` in the test database, built
from THIS function's source by `pg_get_functiondef`, so it cannot drift from it. The body below is
0003's with the two switches removed; the decision logic is unchanged.

The old signature is dropped first: while both existed, a 13-argument call (`access_scan_by_token`
in 0005, the offline batch in access/sync_replay.py, bench/scan_pgbench.py) would be ambiguous. Those
callers pass 13 positional arguments and need no change; PL/pgSQL resolves the call by name when
it runs. Backward re-creates 0003's function."""
import importlib

from django.db import migrations

OLD_SIGNATURE = ("access_scan_ticket(text, text, text, text[], text, text, text, text, uuid, timestamptz, "
                 "timestamptz, text, boolean, boolean, integer)")
NEW_SIGNATURE = ("access_scan_ticket(text, text, text, text[], text, text, text, text, uuid, timestamptz, "
                 "timestamptz, text, boolean)")

FORWARD = f"DROP FUNCTION {OLD_SIGNATURE};\n" + r"""
CREATE FUNCTION access_scan_ticket(
    p_device_id text, p_event_id text, p_checkpoint_id text, p_cp_zones text[], p_cp_directions text,
    p_ticket_id text, p_code text, p_direction text, p_scan_id uuid, p_scanned_at timestamptz,
    p_effective_at timestamptz, p_mode text, p_late boolean
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    t tickets_ticket%ROWTYPE;
    v_existing jsonb;
    v_reason text;
    v_first boolean := false;
    v_at timestamptz := coalesce(p_effective_at, now());
    v_open timestamptz;
    v_close timestamptz;
    v_reentry boolean;
    v_fe record;
    v_resp jsonb;
    v_ticket jsonb;
BEGIN
    SELECT * INTO t FROM tickets_ticket WHERE ticket_id = p_ticket_id FOR UPDATE;

    -- Idempotent retries: after the lock, so a racing duplicate waits and then finds the first.
    SELECT response INTO v_existing FROM access_scan WHERE device_id = p_device_id AND scan_id = p_scan_id;
    IF FOUND THEN
        RETURN v_existing;
    END IF;

    IF NOT (p_cp_directions = 'both' OR p_cp_directions = p_direction) THEN
        v_reason := 'direction_not_allowed';
    ELSIF t.id IS NULL THEN
        v_reason := 'unknown_ticket';
    ELSIF t.event_id <> p_event_id THEN
        v_reason := 'wrong_event';
    ELSE
        SELECT e.date_start - make_interval(mins => e.doors_open_minutes),
               e.date_end + make_interval(mins => e.doors_close_minutes)
          INTO v_open, v_close FROM events_event e WHERE e.event_id = t.event_id;
        IF v_at < v_open OR v_at > v_close THEN
            v_reason := 'event_closed';
        ELSIF t.status THEN
            v_reason := 'not_sold';
        ELSIF cardinality(p_cp_zones) > 0 AND NOT (t.zone_id = ANY (p_cp_zones)) THEN
            v_reason := 'zone_not_allowed';
        ELSIF p_direction = 'in' THEN
            SELECT z.reentry INTO v_reentry FROM events_zone z WHERE z.id = t.zone_ref_id;
            IF t.access_entry THEN
                v_reason := 'already_inside';
            ELSIF t.access_status AND NOT v_reentry THEN
                v_reason := 'already_used';
            ELSE
                v_first := NOT t.access_status;
                UPDATE tickets_ticket SET access_status = true, access_entry = true, updated_at = now()
                 WHERE id = t.id;
                INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata)
                VALUES (t.id, now(), 'accessed', jsonb_build_object(
                    'checkpoint', p_checkpoint_id, 'device', p_device_id, 'scan_id', p_scan_id, 'mode', p_mode,
                    'scanned_at', p_scanned_at));
            END IF;
        ELSE
            IF NOT t.access_entry THEN
                v_reason := 'not_inside';
            ELSE
                UPDATE tickets_ticket SET access_entry = false, updated_at = now() WHERE id = t.id;
                INSERT INTO tickets_ledgerentry (ticket_id, date, action, metadata)
                VALUES (t.id, now(), 'came-out', jsonb_build_object(
                    'checkpoint', p_checkpoint_id, 'device', p_device_id, 'scan_id', p_scan_id, 'mode', p_mode,
                    'scanned_at', p_scanned_at));
            END IF;
        END IF;
    END IF;

    v_resp := jsonb_build_object('scan_id', p_scan_id::text,
                                 'result', CASE WHEN v_reason IS NULL THEN 'accepted' ELSE 'rejected' END,
                                 'reason', v_reason);
    IF t.id IS NOT NULL AND t.event_id = p_event_id THEN
        v_ticket := jsonb_build_object('ticket_id', t.ticket_id, 'seat_id', t.seat_id, 'zone', t.zone,
                                       'zone_id', t.zone_id, 'color', t.color, 'seat_row', t.seat_row);
        v_resp := v_resp || jsonb_build_object('ticket', v_ticket);
        IF v_reason IN ('already_inside', 'already_used') THEN
            SELECT coalesce(s.effective_at, s.server_time) AS at, s.checkpoint_id, c.name
              INTO v_fe
              FROM access_scan s LEFT JOIN access_checkpoint c ON c.checkpoint_id = s.checkpoint_id
             WHERE s.ticket_id = t.id AND s.first_entry;
            IF FOUND THEN
                v_resp := v_resp || jsonb_build_object('first_entry', jsonb_build_object(
                    'at', to_char(v_fe.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'),
                    'checkpoint', v_fe.checkpoint_id, 'checkpoint_name', v_fe.name));
            END IF;
        END IF;
    END IF;

    INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, ticket_id, direction, result, reason,
                             code, zone_id, first_entry, mode, quarantined, late, scanned_at, effective_at,
                             server_time, response)
    VALUES (p_scan_id, p_device_id, p_event_id, p_checkpoint_id,
            CASE WHEN t.event_id = p_event_id THEN t.id END, p_direction,
            CASE WHEN v_reason IS NULL THEN 'accepted' ELSE 'rejected' END, v_reason, left(p_code, 200),
            CASE WHEN t.event_id = p_event_id THEN t.zone_id END, v_first AND v_reason IS NULL AND p_direction = 'in',
            p_mode, false, p_late, p_scanned_at, p_effective_at, now(), v_resp);
    RETURN v_resp;
END;
$$;

"""

BACKWARD = (f"DROP FUNCTION {NEW_SIGNATURE};\n"
            + importlib.import_module("access.migrations.0003_scan_ticket_function").FORWARD)


class Migration(migrations.Migration):
    dependencies = [("access", "0007_scan_refuse_truncate")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
