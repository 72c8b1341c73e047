"""The ledger's outbox trigger reads only the tickets its rows name, however large the table.

`ticketcore_outbox_ledger()` (0002) joins the statement's new ledger rows to tickets_ticket to
skip tickets this (sub)transaction already queued. For a 100,000-row statement (ticket
generation) the planner hashed the transition table and read the WHOLE tickets table (every
event's tickets, ~0.1 s per 300,000 rows on the bench machine): generation got slower as the
table grew. The same query, bounded to the id range of the ledger rows' tickets, reads the
pkey's range instead: for generation exactly the new tickets; for a single row, one ticket.
The rule (what is queued, what is skipped) is unchanged. docs/adr/0036, docs/benchmarks.md
("Issue 19: generation under 3 s")."""
from django.db import migrations

TICKET_PATH = "'events/' || t.event_id || '/tickets/' || t.doc_id"

FORWARD = r"""
CREATE OR REPLACE FUNCTION ticketcore_outbox_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_here xid;
    v_first bigint;
    v_low bigint;
    v_high bigint;
BEGIN
    SELECT min(n.id), min(n.ticket_id), max(n.ticket_id) INTO v_first, v_low, v_high FROM outbox_new n;
    -- The xid of the (sub)transaction running this statement: the xmin of the rows it inserted.
    SELECT l.xmin INTO v_here FROM tickets_ledgerentry l WHERE l.id = v_first;
    INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
    SELECT 'ticket', t.event_id, t.doc_id, %(t_path)s, 'U'
    FROM tickets_ticket t
    WHERE t.id BETWEEN v_low AND v_high
      AND t.id IN (SELECT n.ticket_id FROM outbox_new n)
      AND t.xmin <> pg_current_xact_id()::xid
      AND t.xmin IS DISTINCT FROM v_here
    ORDER BY t.id;
    RETURN NULL;
END;
$$;
""" % {"t_path": TICKET_PATH}

BACKWARD = r"""
CREATE OR REPLACE FUNCTION ticketcore_outbox_ledger() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_here xid;
BEGIN
    SELECT l.xmin INTO v_here FROM tickets_ledgerentry l WHERE l.id = (SELECT min(n.id) FROM outbox_new n);
    INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
    SELECT 'ticket', t.event_id, t.doc_id, %(t_path)s, 'U'
    FROM tickets_ticket t
    WHERE t.id IN (SELECT n.ticket_id FROM outbox_new n)
      AND t.xmin <> pg_current_xact_id()::xid
      AND t.xmin IS DISTINCT FROM v_here
    ORDER BY t.id;
    RETURN NULL;
END;
$$;
""" % {"t_path": TICKET_PATH}


class Migration(migrations.Migration):
    dependencies = [("mirror", "0007_mirrored_documents")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
