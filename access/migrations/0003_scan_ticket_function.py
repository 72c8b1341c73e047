"""The ticket scan as one database function: lock, decide, update, ledger, scan record.

One round trip per scan (docs/adr/0007). The row lock (SELECT ... FOR UPDATE) serialises every
scan of one ticket; the idempotency lookup happens *after* the lock so racing retries of one
scan_id see each other; the partial unique index `one_first_entry_per_ticket` and the ticket
trigger (tickets 0002) stand behind it so that even a buggy path cannot admit twice.

`p_lock => false` and `p_race_window_ms` exist only for the negative-control tests, which show
that without the lock the race is real. Production code never passes them."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION access_scan_ticket(
    p_device_id text, p_event_id text, p_checkpoint_id text, p_cp_zones text[], p_cp_directions text,
    p_ticket_id text, p_code text, p_direction text, p_scan_id uuid, p_scanned_at timestamptz,
    p_effective_at timestamptz, p_mode text, p_late boolean,
    p_lock boolean DEFAULT true, p_race_window_ms integer DEFAULT 0
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
    IF p_lock THEN
        SELECT * INTO t FROM tickets_ticket WHERE ticket_id = p_ticket_id FOR UPDATE;
    ELSE
        SELECT * INTO t FROM tickets_ticket WHERE ticket_id = p_ticket_id;
    END IF;

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
                IF p_race_window_ms > 0 THEN
                    PERFORM pg_sleep(p_race_window_ms / 1000.0);
                END IF;
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
                IF p_race_window_ms > 0 THEN
                    PERFORM pg_sleep(p_race_window_ms / 1000.0);
                END IF;
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

BACKWARD = "DROP FUNCTION IF EXISTS access_scan_ticket(text, text, text, text[], text, text, text, text, uuid, timestamptz, timestamptz, text, boolean, boolean, integer);"


class Migration(migrations.Migration):
    dependencies = [("access", "0002_initial"), ("tickets", "0003_ledger_append_only_trigger")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
