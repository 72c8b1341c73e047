"""The online scan's fast path: device authentication and the ticket scan in ONE round trip.

`access_scan_by_token` looks the device up by its token hash on every call (no cache: a
revocation committed anywhere is seen by the very next scan), and hands a valid ticket code to
`access_scan_ticket` (0003), the same decision function the DRF path and offline sync use.
Anything unusual (unknown or revoked token, wrong role) answers `{"_fallback": true}` and the
caller takes the ordinary DRF path, which produces the contract's 401/403 and the alerts.
Forged codes (verified in Python before the call) and other events' codes are recorded here
without any ticket lookup. See docs/adr/0007."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION access_scan_by_token(
    p_token_hash text, p_code_valid boolean, p_code_event text, p_ticket_id text, p_code text,
    p_direction text, p_scan_id uuid, p_scanned_at timestamptz
) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    d record;
    v_resp jsonb;
    v_reason text;
BEGIN
    SELECT dv.device_id, dv.event_id, dv.role, dv.revoked_at, cp.checkpoint_id, cp.zones::text[] AS zones,
           cp.directions
      INTO d
      FROM devices_device dv LEFT JOIN access_checkpoint cp ON cp.checkpoint_id = dv.checkpoint_id
     WHERE dv.token_hash = p_token_hash;
    IF NOT FOUND OR d.revoked_at IS NOT NULL OR d.role NOT IN ('steward', 'supervisor')
       OR d.checkpoint_id IS NULL THEN
        RETURN jsonb_build_object('_fallback', true);
    END IF;

    IF NOT p_code_valid OR p_code_event IS DISTINCT FROM d.event_id THEN
        v_reason := CASE WHEN NOT p_code_valid THEN 'invalid_signature' ELSE 'wrong_event' END;
        v_resp := jsonb_build_object('scan_id', p_scan_id::text, 'result', 'rejected', 'reason', v_reason);
        INSERT INTO access_scan (scan_id, device_id, event_id, checkpoint_id, direction, result, reason, code,
                                 first_entry, mode, quarantined, late, scanned_at, server_time, response)
        VALUES (p_scan_id, d.device_id, d.event_id, d.checkpoint_id, p_direction, 'rejected', v_reason,
                left(p_code, 200), false, 'online', false, false, p_scanned_at, now(), v_resp)
        ON CONFLICT (device_id, scan_id) DO NOTHING;
        IF NOT FOUND THEN  -- a retry of a scan_id already answered: replay the first answer
            SELECT response INTO v_resp FROM access_scan WHERE device_id = d.device_id AND scan_id = p_scan_id;
        END IF;
    ELSE
        v_resp := access_scan_ticket(d.device_id, d.event_id, d.checkpoint_id, d.zones, d.directions,
                                     p_ticket_id, p_code, p_direction, p_scan_id, p_scanned_at, NULL, 'online', false);
    END IF;
    RETURN v_resp || jsonb_build_object('_device', jsonb_build_object(
        'device_id', d.device_id, 'event_id', d.event_id, 'checkpoint_id', d.checkpoint_id));
END;
$$;
"""

BACKWARD = "DROP FUNCTION IF EXISTS access_scan_by_token(text, boolean, text, text, text, text, uuid, timestamptz);"


class Migration(migrations.Migration):
    dependencies = [("access", "0004_scan_alternation_trigger")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
