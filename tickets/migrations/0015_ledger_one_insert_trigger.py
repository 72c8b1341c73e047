"""One trigger after a ledger insert instead of two: the check that every ledger entry names a
ticket (0013, `ledger_names_a_ticket`) and the ledger's outbox rows (mirror 0002/0008,
`ticketcore_outbox_ins` on the ledger) are one statement trigger, `ledger_inserted`, so a scan's
`accessed` entry fires one function that reads its one ticket once (docs/adr/0040).

When the statement's entries name one ticket (every scan, every sale or hold of one seat), one
probe of the ticket's primary key answers both: the ticket exists (else SQLSTATE 23503, the same
message as before), and its document is queued unless this (sub)transaction wrote the ticket row
itself (its xmin is this transaction's, or the ledger rows'), exactly the rule of
`ticketcore_outbox_ledger`. Otherwise (generation's 100,000 entries, a sale of several seats) the
two former bodies run unchanged, one after the other, in the same order as the two triggers fired
(names first: `ledger_names_a_ticket` sorts before `ticketcore_outbox_ins`)."""
from django.db import migrations

TICKET_PATH = "'events/' || t.event_id || '/tickets/' || t.doc_id"

FORWARD = r"""
CREATE FUNCTION tickets_ledger_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_first bigint;
    v_low bigint;
    v_high bigint;
    v_xmin xid;
    v_here xid;
    v_whole boolean;
    v_missing bigint;
BEGIN
    SELECT min(n.id), min(n.ticket_id), max(n.ticket_id) INTO v_first, v_low, v_high FROM ledger_new n;
    IF v_low = v_high THEN
        -- One ticket named: one probe decides both rules.
        SELECT t.xmin INTO v_xmin FROM tickets_ticket t WHERE t.id = v_low;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger_names_a_ticket: ledger entry names ticket %, which does not exist', v_low
                USING ERRCODE = '23503';
        END IF;
        IF v_xmin = pg_current_xact_id()::xid THEN
            RETURN NULL;  -- the ticket row, written by this transaction, queued its document
        END IF;
        -- The xid of the (sub)transaction running this statement: the xmin of the rows it inserted.
        SELECT l.xmin INTO v_here FROM tickets_ledgerentry l WHERE l.id = v_first;
        IF v_xmin IS DISTINCT FROM v_here THEN
            INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
            SELECT 'ticket', t.event_id, t.doc_id, {t_path}, 'U' FROM tickets_ticket t WHERE t.id = v_low;
        END IF;
        RETURN NULL;
    END IF;

    -- Every ledger entry names a ticket (0013): if every id from the lowest named to the highest
    -- is a ticket, so is every id named; else one anti-join, bounded by the range.
    SELECT (SELECT count(*) FROM tickets_ticket t WHERE t.id BETWEEN v_low AND v_high) = v_high - v_low + 1
      INTO v_whole;
    IF NOT v_whole OR v_whole IS NULL THEN
        SELECT n.ticket_id INTO v_missing FROM ledger_new n
         WHERE NOT EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.id = n.ticket_id AND t.id BETWEEN v_low AND v_high)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'ledger_names_a_ticket: ledger entry names ticket %, which does not exist', v_missing
                USING ERRCODE = '23503';
        END IF;
    END IF;

    -- Their documents, but not those of tickets this (sub)transaction wrote (mirror 0008).
    SELECT l.xmin INTO v_here FROM tickets_ledgerentry l WHERE l.id = v_first;
    INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
    SELECT 'ticket', t.event_id, t.doc_id, {t_path}, 'U'
    FROM tickets_ticket t
    WHERE t.id BETWEEN v_low AND v_high
      AND t.id IN (SELECT n.ticket_id FROM ledger_new n)
      AND t.xmin <> pg_current_xact_id()::xid
      AND t.xmin IS DISTINCT FROM v_here
    ORDER BY t.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_inserted
AFTER INSERT ON tickets_ledgerentry
REFERENCING NEW TABLE AS ledger_new
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ledger_inserted();

DROP TRIGGER ledger_names_a_ticket ON tickets_ledgerentry;
DROP TRIGGER ticketcore_outbox_ins ON tickets_ledgerentry;
""".replace("{t_path}", TICKET_PATH)

# Back: the two triggers again (their functions were never dropped), then the merged one goes.
BACKWARD = r"""
CREATE TRIGGER ledger_names_a_ticket
AFTER INSERT ON tickets_ledgerentry
REFERENCING NEW TABLE AS ledger_new
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ledger_names_a_ticket();
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON tickets_ledgerentry
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_ledger();
DROP TRIGGER ledger_inserted ON tickets_ledgerentry;
DROP FUNCTION tickets_ledger_inserted();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0014_ticket_zone_checked_per_statement"), ("mirror", "0008_ledger_outbox_reads_only_its_tickets")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
