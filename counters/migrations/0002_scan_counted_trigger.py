"""The counters are kept by the database in the scan's own transaction (docs/adr/0033).

- `scan_counted`: AFTER INSERT on access_scan, for every row whatever path wrote it (the scan
  function, the offline batch, credentials, forged codes, quarantined evidence, manual admission).
  SECURITY DEFINER: it writes tables the application role may only read (ticketcore/dbroles.py).
  Its rows are keyed by the session's slot (`counters_slot()`), so concurrent scans never update
  one row; only the distinct-codes rows are shared, insert-only.
- The entry flow (a scan is fresh, and how long after the previous one, by the scan before it on
  the same phone) is kept through `counters_flow_pending`: the scan adds itself there and folds its
  phone's pending scans if no other transaction is doing so (`pg_try_advisory_xact_lock`, never a
  wait). Folding reads the phone's neighbouring scans among the folded ones, which are committed,
  so the flow counters are always exactly those of the folded scans.
- `counters_fold(event)`: what the readers call before they read: folds pending flow scans and
  merges the slots into slot -1 (rows locked by a scan in flight are left for next time).
- `counters_*_log(event)`: the same figures recomputed from the log, the definition the trigger
  keeps incrementally. They fill the tables for the scans already recorded, and
  `manage.py check_counters` compares them with the tables.
- `scan_device_flow_idx`: each phone's scans in door-time order, for the flow's neighbours.

BUSY_GAP_S (20 s) is counters/vocabulary.py's; a test holds the two equal."""
from django.db import migrations

# Scans of a phone's entry-flow sequence (report_sql's former _FLOW_SQL): not evidence, not an
# attempt outside the doors window, at a checkpoint.
FLOW_ROW = ("NOT {s}quarantined AND NOT ({s}result = 'rejected' AND {s}reason = 'event_closed') "
            "AND {s}checkpoint_id IS NOT NULL")
AT = "coalesce({s}effective_at, {s}server_time)"
# The scan before / after `x` on its phone among the folded ones (pending ones are not yet in).
NEIGHBOUR = ("SELECT * INTO {into} FROM access_scan s WHERE s.device_id = x.device_id AND " + FLOW_ROW.format(s="s.")
             + " AND (" + AT.format(s="s.") + ", s.id) {op} (" + AT.format(s="x.") + ", x.id)"
             + " AND NOT EXISTS (SELECT 1 FROM counters_flow_pending q WHERE q.scan_id = s.id)"
             + " ORDER BY " + AT.format(s="s.") + " {order}, s.id {order} LIMIT 1;")

NEIGHBOUR_WHERE = ("s.device_id = {x}.device_id AND " + FLOW_ROW.format(s="s.")
                   + " AND (" + AT.format(s="s.") + ", s.id) {op} (" + AT.format(s="{x}.") + ", {x}.id)"
                   + " AND NOT EXISTS (SELECT 1 FROM counters_flow_pending q WHERE q.scan_id = s.id)")

SAME_STATEMENT = " AND NOT (s.id > NEW.id AND s.xmin = v_xmin AND s.cmin = v_cmin)"

FORWARD = r"""
CREATE INDEX scan_device_flow_idx ON access_scan (device_id, (coalesce(effective_at, server_time)), id)
 WHERE """ + FLOW_ROW.format(s="") + r""";

-- The rows a fold has still to merge (a scan's own slot), for counters_fold to find at once.
CREATE INDEX counters_gate_unfolded ON counters_gate (event_id) WHERE slot >= 0;
CREATE INDEX counters_minute_unfolded ON counters_minute (event_id) WHERE slot >= 0;
CREATE INDEX counters_zone_unfolded ON counters_zone (event_id) WHERE slot >= 0;
CREATE INDEX counters_reason_unfolded ON counters_reason (event_id) WHERE slot >= 0;
CREATE INDEX counters_reason_code_unfolded ON counters_reason_code (event_id) WHERE slot >= 0;
CREATE INDEX counters_gap_unfolded ON counters_gap (event_id) WHERE slot >= 0;

-- The session's slot: the lowest free one, held by a session advisory lock until the connection
-- ends, so no two sessions alive share one. Past 64 sessions at once, slots are shared.
CREATE FUNCTION counters_slot() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v text := current_setting('ticketcore.counter_slot', true);
BEGIN
    IF v IS NOT NULL AND v <> '' THEN
        RETURN v::integer;
    END IF;
    FOR i IN 0..63 LOOP
        IF pg_try_advisory_lock(21, i) THEN
            PERFORM set_config('ticketcore.counter_slot', i::text, false);
            RETURN i;
        END IF;
    END LOOP;
    RETURN 64 + pg_backend_pid() %% 64;
END;
$$;

-- One scan's contribution to the entry flow, given the scan before it on its phone (y, or a row
-- of NULLs): a fresh entry attempt on x's minute row, a back-to-back gap in x's gate histogram.
CREATE FUNCTION counters_flow_term(x access_scan, y access_scan, sign integer, p_slot integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    xt double precision := date_part('epoch', coalesce(x.effective_at, x.server_time));
    yt double precision;
    fresh boolean := true;
    gap integer;
    accepted boolean := x.result = 'accepted';
BEGIN
    IF y.id IS NOT NULL THEN
        yt := date_part('epoch', coalesce(y.effective_at, y.server_time));
        fresh := NOT coalesce(hashtext(x.code) = hashtext(y.code) AND x.direction = y.direction AND xt - yt <= 20, false);
        IF x.direction = 'in' AND y.direction = 'in' AND xt - yt <= 20 THEN
            gap := round((xt - yt) * 100)::integer;
        END IF;
    END IF;
    IF fresh AND x.direction = 'in' THEN
        INSERT INTO counters_minute AS c (event_id, server_minute, minute, checkpoint_id, device_id, direction, result,
                                          mode, zone_id, credential, in_series, slot, scans, late, max_delay_s, arrivals)
        VALUES (x.event_id, date_trunc('minute', x.server_time), date_trunc('minute', coalesce(x.effective_at, x.server_time)),
                x.checkpoint_id, x.device_id, x.direction, x.result, x.mode,
                CASE WHEN accepted AND x.ticket_id IS NOT NULL THEN coalesce(x.zone_id, '') ELSE '' END,
                accepted AND x.ticket_id IS NULL, true, p_slot, 0, 0, NULL, sign)
        ON CONFLICT (event_id, server_minute, checkpoint_id, device_id, minute, direction, result, mode, zone_id,
                     credential, in_series, slot)
        DO UPDATE SET arrivals = c.arrivals + excluded.arrivals;
    END IF;
    IF fresh AND gap > 0 THEN
        INSERT INTO counters_gap AS c (event_id, checkpoint_id, device_id, gap_cs, slot, gaps)
        VALUES (x.event_id, x.checkpoint_id, x.device_id, gap, p_slot, sign)
        ON CONFLICT (event_id, checkpoint_id, device_id, gap_cs, slot) DO UPDATE SET gaps = c.gaps + excluded.gaps;
    END IF;
END;
$$;

-- Fold one flow scan x into the counters (the caller holds its phone's advisory lock 19, and x
-- is not pending). Its neighbours are taken among the folded scans: the one after it loses its
-- term with the one before and gets one with it. READ COMMITTED only: an older snapshot could
-- miss a folded scan.
CREATE FUNCTION counters_flow_fold_one(x access_scan, p_slot integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_prev access_scan;
    v_next access_scan;
BEGIN
    """ + NEIGHBOUR.format(into="v_prev", op="<", order="DESC") + r"""
    """ + NEIGHBOUR.format(into="v_next", op=">", order="ASC") + r"""
    IF v_next.id IS NOT NULL THEN
        PERFORM counters_flow_term(v_next, v_prev, -1, p_slot);
        PERFORM counters_flow_term(v_next, x, 1, p_slot);
    END IF;
    PERFORM counters_flow_term(x, v_prev, 1, p_slot);
END;
$$;

-- Fold a phone's pending flow scans, oldest first (the caller holds the phone's lock 19).
CREATE FUNCTION counters_fold_flow(p_device text, p_slot integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    x access_scan;
    n integer := 0;
BEGIN
    FOR x IN SELECT s.* FROM counters_flow_pending q JOIN access_scan s ON s.id = q.scan_id
              WHERE q.device_id = p_device
              ORDER BY coalesce(s.effective_at, s.server_time), s.id LOOP
        DELETE FROM counters_flow_pending WHERE scan_id = x.id;
        PERFORM counters_flow_fold_one(x, p_slot);
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;

CREATE FUNCTION counters_count_scan() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = %(schema)s AS $$
DECLARE
    v_slot integer := counters_slot();
    v_cp text := coalesce(NEW.checkpoint_id, '');
    v_series boolean := coalesce(NOT (NEW.result = 'rejected' AND NEW.reason = 'event_closed'), false);
    v_accepted boolean := NEW.result = 'accepted';
    v_zone text := '';
    v_credential boolean := false;
    v_last_cp text;
    v_folding boolean := false;
    v_arrival integer := 0;
    v_t double precision;
    v_pid bigint;
    v_pt double precision;
    v_ph integer;
    v_pdir text;
    v_gap integer;
    v_fresh boolean := true;
    v_prev access_scan;
    v_next access_scan;
    v_xmin xid;
    v_cmin cid;
BEGIN
    IF NEW.result = 'rejected' THEN
        INSERT INTO counters_reason_code (event_id, reason, code_md5, slot)
        VALUES (NEW.event_id, coalesce(NEW.reason, ''), md5(NEW.code)::uuid, v_slot)
        ON CONFLICT DO NOTHING;
        INSERT INTO counters_reason AS c (event_id, reason, device_id, slot, scans, codes)
        VALUES (NEW.event_id, coalesce(NEW.reason, ''), NEW.device_id, v_slot, 1, 0)
        ON CONFLICT (event_id, reason, device_id, slot) DO UPDATE SET scans = c.scans + 1;
    END IF;
    IF NEW.quarantined THEN
        RETURN NULL;  -- evidence of a revoked phone: counted among the rejections only
    END IF;
    IF v_accepted THEN
        IF NEW.ticket_id IS NULL THEN
            v_credential := true;
        ELSE
            v_zone := coalesce(NEW.zone_id, '');
        END IF;
    END IF;
    IF v_series AND NEW.checkpoint_id IS NOT NULL THEN
        IF current_setting('transaction_isolation') = 'read committed'
           AND pg_try_advisory_xact_lock(19, hashtext(NEW.device_id)) THEN
            -- The phone is ours until commit: this scan is folded into the flow at once (the
            -- counters_flow_fold_one steps, inlined: its own term goes with its minute row below).
            v_folding := true;
            v_t := date_part('epoch', coalesce(NEW.effective_at, NEW.server_time));
            -- A statement inserting many scans fires this trigger row by row once all are in: the
            -- later rows of the same statement (same xmin and cmin, higher id) are not counted yet.
            SELECT xmin, cmin INTO v_xmin, v_cmin FROM access_scan WHERE id = NEW.id;
            SELECT s.id, date_part('epoch', coalesce(s.effective_at, s.server_time)), hashtext(s.code), s.direction
              INTO v_pid, v_pt, v_ph, v_pdir
              FROM access_scan s
             WHERE """ + NEIGHBOUR_WHERE.format(x="NEW", op="<") + SAME_STATEMENT + r"""
             ORDER BY coalesce(s.effective_at, s.server_time) DESC, s.id DESC LIMIT 1;
            IF v_pid IS NOT NULL THEN
                v_fresh := NOT coalesce(hashtext(NEW.code) = v_ph AND NEW.direction = v_pdir AND v_t - v_pt <= 20, false);
                IF NEW.direction = 'in' AND v_pdir = 'in' AND v_t - v_pt <= 20 THEN
                    v_gap := round((v_t - v_pt) * 100)::integer;
                END IF;
            END IF;
            IF v_fresh AND NEW.direction = 'in' THEN
                v_arrival := 1;
            END IF;
            IF v_fresh AND v_gap > 0 THEN
                INSERT INTO counters_gap AS c (event_id, checkpoint_id, device_id, gap_cs, slot, gaps)
                VALUES (NEW.event_id, NEW.checkpoint_id, NEW.device_id, v_gap, v_slot, 1)
                ON CONFLICT (event_id, checkpoint_id, device_id, gap_cs, slot) DO UPDATE SET gaps = c.gaps + 1;
            END IF;
            -- An offline upload landing before scans already folded: the next one's terms change.
            SELECT * INTO v_next FROM access_scan s
             WHERE """ + NEIGHBOUR_WHERE.format(x="NEW", op=">") + SAME_STATEMENT + r"""
             ORDER BY coalesce(s.effective_at, s.server_time), s.id LIMIT 1;
            IF v_next.id IS NOT NULL THEN
                IF v_pid IS NOT NULL THEN
                    SELECT * INTO v_prev FROM access_scan WHERE id = v_pid;
                END IF;
                PERFORM counters_flow_term(v_next, v_prev, -1, v_slot);
                PERFORM counters_flow_term(v_next, NEW, 1, v_slot);
            END IF;
        ELSE
            INSERT INTO counters_flow_pending (scan_id, event_id, device_id) VALUES (NEW.id, NEW.event_id, NEW.device_id);
        END IF;
    END IF;
    INSERT INTO counters_gate AS c (event_id, checkpoint_id, device_id, result, direction, slot, scans, inside)
    VALUES (NEW.event_id, v_cp, NEW.device_id, NEW.result, NEW.direction, v_slot, 1,
            CASE WHEN v_accepted AND NEW.direction = 'in' THEN 1 ELSE 0 END)
    ON CONFLICT (event_id, checkpoint_id, device_id, result, direction, slot)
    DO UPDATE SET scans = c.scans + 1, inside = c.inside + excluded.inside;
    INSERT INTO counters_minute AS c (event_id, server_minute, minute, checkpoint_id, device_id, direction, result,
                                      mode, zone_id, credential, in_series, slot, scans, late, max_delay_s, arrivals)
    VALUES (NEW.event_id, date_trunc('minute', NEW.server_time),
            date_trunc('minute', CASE WHEN v_series THEN coalesce(NEW.effective_at, NEW.server_time) ELSE NEW.server_time END),
            v_cp, NEW.device_id, NEW.direction, NEW.result, NEW.mode, v_zone, v_credential, v_series, v_slot, 1,
            CASE WHEN v_series AND NEW.late THEN 1 ELSE 0 END,
            CASE WHEN v_series AND NEW.late THEN date_part('epoch', NEW.server_time - NEW.effective_at) END, v_arrival)
    ON CONFLICT (event_id, server_minute, checkpoint_id, device_id, minute, direction, result, mode, zone_id,
                 credential, in_series, slot)
    DO UPDATE SET scans = c.scans + 1, late = c.late + excluded.late,
                  max_delay_s = greatest(c.max_delay_s, excluded.max_delay_s), arrivals = c.arrivals + excluded.arrivals;
    IF v_accepted THEN
        INSERT INTO counters_zone AS c (event_id, zone_id, device_id, slot, inside)
        VALUES (NEW.event_id, v_zone, NEW.device_id, v_slot, CASE WHEN NEW.direction = 'in' THEN 1 ELSE -1 END)
        ON CONFLICT (event_id, zone_id, device_id, slot) DO UPDATE SET inside = c.inside + excluded.inside;
        IF NEW.direction = 'out' THEN
            -- Whoever leaves stops counting at the checkpoint they came in by (the ticket's or
            -- credential's row lock, taken by every scan path, orders this read).
            IF NEW.ticket_id IS NOT NULL THEN
                SELECT coalesce(s.checkpoint_id, '') INTO v_last_cp FROM access_scan s
                 WHERE s.ticket_id = NEW.ticket_id AND s.id < NEW.id AND s.result = 'accepted' AND s.direction = 'in'
                   AND NOT s.quarantined
                 ORDER BY s.id DESC LIMIT 1;
            ELSIF NEW.credential_id IS NOT NULL THEN
                SELECT coalesce(s.checkpoint_id, '') INTO v_last_cp FROM access_scan s
                 WHERE s.credential_id = NEW.credential_id AND s.id < NEW.id AND s.result = 'accepted'
                   AND s.direction = 'in' AND NOT s.quarantined
                 ORDER BY s.id DESC LIMIT 1;
            END IF;
            IF v_last_cp IS NOT NULL THEN
                INSERT INTO counters_gate AS c (event_id, checkpoint_id, device_id, result, direction, slot, scans, inside)
                VALUES (NEW.event_id, v_last_cp, NEW.device_id, 'accepted', 'in', v_slot, 0, -1)
                ON CONFLICT (event_id, checkpoint_id, device_id, result, direction, slot)
                DO UPDATE SET inside = c.inside - 1;
            END IF;
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER scan_counted
AFTER INSERT ON access_scan
FOR EACH ROW EXECUTE FUNCTION counters_count_scan();

-- What the readers call first (in a transaction of its own): fold the event's pending flow scans
-- of phones no scan is folding, and merge the slots into slot -1, skipping rows that a scan in
-- flight holds. One folder per event at a time; it never waits. Returns whether it ran.
CREATE FUNCTION counters_fold(p_event text) RETURNS boolean
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
            PERFORM counters_fold_flow(d, -1);
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
        RETURNING *)
    INSERT INTO counters_minute AS c (event_id, server_minute, minute, checkpoint_id, device_id, direction, result,
                                      mode, zone_id, credential, in_series, slot, scans, late, max_delay_s, arrivals)
    SELECT event_id, server_minute, minute, checkpoint_id, device_id, direction, result, mode, zone_id, credential,
           in_series, -1, sum(scans), sum(late), max(max_delay_s), sum(arrivals) FROM moved
     GROUP BY event_id, server_minute, minute, checkpoint_id, device_id, direction, result, mode, zone_id, credential,
              in_series
    ON CONFLICT (event_id, server_minute, checkpoint_id, device_id, minute, direction, result, mode, zone_id,
                 credential, in_series, slot)
    DO UPDATE SET scans = c.scans + excluded.scans, late = c.late + excluded.late,
                  max_delay_s = greatest(c.max_delay_s, excluded.max_delay_s), arrivals = c.arrivals + excluded.arrivals;
    END IF;
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

-- The distinct codes rejected per reason: the folded ones (the reasons' `codes`) and those
-- still in a session's slot that slot -1 does not have yet.
CREATE FUNCTION counters_distinct_codes(p_event text)
RETURNS TABLE (reason text, codes bigint)
LANGUAGE sql STABLE AS $$
SELECT reason, sum(codes)::bigint
  FROM (SELECT reason, codes FROM counters_reason WHERE event_id = p_event AND slot = -1
        UNION ALL
        SELECT reason, count(DISTINCT code_md5) FROM counters_reason_code r
         WHERE event_id = p_event AND slot >= 0
           AND NOT EXISTS (SELECT 1 FROM counters_reason_code f
                            WHERE f.event_id = r.event_id AND f.reason = r.reason AND f.code_md5 = r.code_md5
                              AND f.slot = -1)
         GROUP BY reason) x
 GROUP BY reason
$$;

-- ---------------------------------------------------------------- the same, from the log

-- The folded flow scans (pending ones are not in the counters yet), each with its predecessor's
-- verdict: fresh, and the back-to-back gap.
CREATE FUNCTION counters_flow_log(p_event text)
RETURNS TABLE (id bigint, fresh boolean, gap_cs integer)
LANGUAGE sql STABLE AS $$
SELECT id, NOT coalesce(h = prev_h AND direction = prev_direction AND t - prev_t <= 20, false),
       CASE WHEN direction = 'in' AND prev_direction = 'in' AND t - prev_t <= 20
            THEN round((t - prev_t) * 100)::integer END
  FROM (SELECT id, direction, t, h, lag(t) OVER w AS prev_t, lag(h) OVER w AS prev_h,
               lag(direction) OVER w AS prev_direction
          FROM (SELECT a.id, a.event_id, a.device_id, a.direction, coalesce(a.effective_at, a.server_time) AS at,
                       date_part('epoch', coalesce(a.effective_at, a.server_time)) AS t, hashtext(a.code) AS h
                  FROM access_scan a
                 WHERE (p_event IS NULL OR a.event_id = p_event) AND """ + FLOW_ROW.format(s="a.") + r"""
                   AND NOT EXISTS (SELECT 1 FROM counters_flow_pending q WHERE q.scan_id = a.id)) s
        WINDOW w AS (PARTITION BY event_id, device_id ORDER BY at, id)) p
$$;

CREATE FUNCTION counters_minute_log(p_event text)
RETURNS TABLE (event_id text, server_minute timestamptz, minute timestamptz, checkpoint_id text, device_id text,
               direction text, result text, mode text, zone_id text, credential boolean, in_series boolean,
               slot smallint, scans bigint, late bigint, max_delay_s double precision, arrivals bigint)
LANGUAGE sql STABLE AS $$
SELECT s.event_id, date_trunc('minute', s.server_time),
       date_trunc('minute', CASE WHEN s.in_series THEN coalesce(s.effective_at, s.server_time) ELSE s.server_time END),
       coalesce(s.checkpoint_id, ''), s.device_id, s.direction, s.result, s.mode,
       CASE WHEN s.result = 'accepted' AND s.ticket_id IS NOT NULL THEN coalesce(s.zone_id, '') ELSE '' END,
       s.result = 'accepted' AND s.ticket_id IS NULL, s.in_series, -1::smallint,
       count(*), count(*) FILTER (WHERE s.in_series AND s.late),
       max(date_part('epoch', s.server_time - s.effective_at)) FILTER (WHERE s.in_series AND s.late),
       count(*) FILTER (WHERE f.fresh AND s.direction = 'in')
  FROM (SELECT a.*, coalesce(NOT (a.result = 'rejected' AND a.reason = 'event_closed'), false) AS in_series
          FROM access_scan a WHERE (p_event IS NULL OR a.event_id = p_event) AND NOT a.quarantined) s
  LEFT JOIN counters_flow_log(p_event) f ON f.id = s.id
 GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11
$$;

CREATE FUNCTION counters_gap_log(p_event text)
RETURNS TABLE (event_id text, checkpoint_id text, device_id text, gap_cs integer, slot smallint, gaps bigint)
LANGUAGE sql STABLE AS $$
SELECT s.event_id, s.checkpoint_id, s.device_id, f.gap_cs, -1::smallint, count(*)
  FROM counters_flow_log(p_event) f JOIN access_scan s ON s.id = f.id
 WHERE f.fresh AND f.gap_cs > 0
 GROUP BY 1, 2, 3, 4
$$;

CREATE FUNCTION counters_gate_log(p_event text)
RETURNS TABLE (event_id text, checkpoint_id text, device_id text, result text, direction text, slot smallint,
               scans bigint, inside bigint)
LANGUAGE sql STABLE AS $$
SELECT event_id, checkpoint_id, device_id, result, direction, -1::smallint, sum(scans)::bigint, sum(inside)::bigint
  FROM (SELECT event_id, coalesce(checkpoint_id, '') AS checkpoint_id, device_id, result, direction, 1 AS scans,
               CASE WHEN result = 'accepted' AND direction = 'in' THEN 1 ELSE 0 END AS inside
          FROM access_scan WHERE (p_event IS NULL OR event_id = p_event) AND NOT quarantined
        UNION ALL
        SELECT o.event_id, l.cp, o.device_id, 'accepted', 'in', 0, -1
          FROM access_scan o
          CROSS JOIN LATERAL (SELECT coalesce(s.checkpoint_id, '') AS cp FROM access_scan s
                               WHERE s.ticket_id = o.ticket_id AND s.id < o.id AND s.result = 'accepted'
                                 AND s.direction = 'in' AND NOT s.quarantined
                               ORDER BY s.id DESC LIMIT 1) l
         WHERE (p_event IS NULL OR o.event_id = p_event) AND o.result = 'accepted' AND o.direction = 'out'
           AND NOT o.quarantined AND o.ticket_id IS NOT NULL
        UNION ALL
        SELECT o.event_id, l.cp, o.device_id, 'accepted', 'in', 0, -1
          FROM access_scan o
          CROSS JOIN LATERAL (SELECT coalesce(s.checkpoint_id, '') AS cp FROM access_scan s
                               WHERE s.credential_id = o.credential_id AND s.id < o.id AND s.result = 'accepted'
                                 AND s.direction = 'in' AND NOT s.quarantined
                               ORDER BY s.id DESC LIMIT 1) l
         WHERE (p_event IS NULL OR o.event_id = p_event) AND o.result = 'accepted' AND o.direction = 'out'
           AND NOT o.quarantined AND o.ticket_id IS NULL AND o.credential_id IS NOT NULL) x
 GROUP BY 1, 2, 3, 4, 5
$$;

CREATE FUNCTION counters_zone_log(p_event text)
RETURNS TABLE (event_id text, zone_id text, device_id text, slot smallint, inside bigint)
LANGUAGE sql STABLE AS $$
SELECT event_id, CASE WHEN ticket_id IS NOT NULL THEN coalesce(zone_id, '') ELSE '' END, device_id, -1::smallint,
       sum(CASE WHEN direction = 'in' THEN 1 ELSE -1 END)::bigint
  FROM access_scan
 WHERE (p_event IS NULL OR event_id = p_event) AND result = 'accepted' AND NOT quarantined
 GROUP BY 1, 2, 3
$$;

-- The log has every code folded: a reason's distinct codes on its '' row of slot -1.
CREATE FUNCTION counters_reason_log(p_event text)
RETURNS TABLE (event_id text, reason text, device_id text, slot smallint, scans bigint, codes bigint)
LANGUAGE sql STABLE AS $$
SELECT event_id, coalesce(reason, ''), device_id, -1::smallint, count(*), 0::bigint
  FROM access_scan WHERE (p_event IS NULL OR event_id = p_event) AND result = 'rejected'
 GROUP BY 1, 2, 3
UNION ALL
SELECT event_id, coalesce(reason, ''), '', -1::smallint, 0, count(DISTINCT code)
  FROM access_scan WHERE (p_event IS NULL OR event_id = p_event) AND result = 'rejected'
 GROUP BY 1, 2
$$;

CREATE FUNCTION counters_reason_code_log(p_event text)
RETURNS TABLE (event_id text, reason text, code_md5 uuid, slot smallint)
LANGUAGE sql STABLE AS $$
SELECT DISTINCT event_id, coalesce(reason, ''), md5(code)::uuid, -1::smallint
  FROM access_scan WHERE (p_event IS NULL OR event_id = p_event) AND result = 'rejected'
$$;

-- The scans recorded before this migration (in slot -1, as a fold leaves them).
INSERT INTO counters_gate SELECT * FROM counters_gate_log(NULL);
INSERT INTO counters_minute SELECT * FROM counters_minute_log(NULL);
INSERT INTO counters_zone SELECT * FROM counters_zone_log(NULL);
INSERT INTO counters_reason SELECT event_id, reason, device_id, slot, sum(scans), sum(codes)
  FROM counters_reason_log(NULL) GROUP BY 1, 2, 3, 4;
INSERT INTO counters_reason_code SELECT * FROM counters_reason_code_log(NULL);
INSERT INTO counters_gap SELECT * FROM counters_gap_log(NULL);
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS scan_counted ON access_scan;
DROP FUNCTION IF EXISTS counters_count_scan();
DROP FUNCTION IF EXISTS counters_fold(text);
DROP FUNCTION IF EXISTS counters_fold_flow(text, integer);
DROP FUNCTION IF EXISTS counters_flow_fold_one(access_scan, integer);
DROP FUNCTION IF EXISTS counters_flow_term(access_scan, access_scan, integer, integer);
DROP FUNCTION IF EXISTS counters_slot();
DROP FUNCTION IF EXISTS counters_gap_log(text);
DROP FUNCTION IF EXISTS counters_minute_log(text);
DROP FUNCTION IF EXISTS counters_flow_log(text);
DROP FUNCTION IF EXISTS counters_gate_log(text);
DROP FUNCTION IF EXISTS counters_zone_log(text);
DROP FUNCTION IF EXISTS counters_reason_log(text);
DROP FUNCTION IF EXISTS counters_reason_code_log(text);
DROP FUNCTION IF EXISTS counters_distinct_codes(text);
DROP INDEX IF EXISTS scan_device_flow_idx;
DROP INDEX IF EXISTS counters_gate_unfolded, counters_minute_unfolded, counters_zone_unfolded,
    counters_reason_unfolded, counters_reason_code_unfolded, counters_gap_unfolded;
DELETE FROM counters_gate; DELETE FROM counters_minute; DELETE FROM counters_zone;
DELETE FROM counters_reason; DELETE FROM counters_reason_code; DELETE FROM counters_gap;
DELETE FROM counters_flow_pending;
"""


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute("SELECT quote_ident(current_schema())")
        schema = cur.fetchone()[0]
        # No parameters: the bodies' own % are literal (the %% above is the one escape needed).
        cur.execute(FORWARD.replace("%(schema)s", schema).replace("%%", "%"))


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("counters", "0001_initial"), ("access", "0011_names_for_people")]
    operations = [migrations.RunPython(forward, backward)]
