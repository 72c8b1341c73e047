"""A ledger entry names a ticket that exists and stays: one check per statement instead of a foreign
key checked per row. docs/adr/0036 ("The ledger's key to its ticket, by statement").

The foreign key tickets_ledgerentry.ticket_id -> tickets_ticket.id checked each ledger row at
commit (100,000 checks, ~0.37 s of a 100,000-seat generation) and kept a ticket with ledger entries
from being deleted or renumbered. It is replaced, guarantee for guarantee, by:

- `ledger_names_a_ticket` (AFTER INSERT, statement, transition table): every ticket the
  statement's ledger rows name exists. One query when the named ids span a range in which every id
  is a ticket (generation: exactly its new tickets; a scan: one ticket), else one anti-join that
  names the first missing ticket. SQLSTATE 23503 (foreign_key_violation), as the key raised.
- `ticket_never_deleted` (BEFORE DELETE, row) and `ticket_refuse_truncate` (BEFORE TRUNCATE):
  a ticket is never deleted. The key already made that so for every ticket with a ledger entry
  (every generated ticket: its `generated` entry, and the ledger is append-only); without a key
  there is no row lock to stop a delete racing an insert of a ledger entry for the same ticket, so
  the rule is now unconditional: a ticket that exists when its ledger entry is inserted exists
  forever after. SQLSTATE 23514, like the ledger's own append-only refusals.
- `ticket_key_never_changes` (BEFORE UPDATE OF id, row): a ticket's primary key never changes (the
  key's NO ACTION did that; ticket_irreversible already keeps ticket_id, seat_id, event, doc_id).

Checked when the statement ends instead of at commit: a ledger entry cannot be written before its
ticket in the same transaction any more (nothing does; generation writes both in one statement,
the ticket first). The triggers are created before the key is dropped, so the table is never
unguarded. The ORM keeps the field as a foreign key (db_constraint=False: joins unchanged)."""
import django.db.models.deletion
from django.db import migrations, models

FORWARD = r"""
CREATE FUNCTION tickets_ledger_names_a_ticket() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_low bigint;
    v_high bigint;
    v_whole boolean;
    v_missing bigint;
BEGIN
    -- If every id from the lowest named to the highest is a ticket, so is every id named: one
    -- query for generation (its new tickets) and for a scan (one ticket).
    SELECT r.low, r.high, (SELECT count(*) FROM tickets_ticket t WHERE t.id BETWEEN r.low AND r.high) = r.high - r.low + 1
      INTO v_low, v_high, v_whole
      FROM (SELECT min(n.ticket_id) AS low, max(n.ticket_id) AS high FROM ledger_new n) r;
    IF v_whole THEN
        RETURN NULL;
    END IF;
    -- Bounded by the range too, so no plan reads the whole table (docs/adr/0036).
    SELECT n.ticket_id INTO v_missing FROM ledger_new n
     WHERE NOT EXISTS (SELECT 1 FROM tickets_ticket t WHERE t.id = n.ticket_id AND t.id BETWEEN v_low AND v_high)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'ledger_names_a_ticket: ledger entry names ticket %, which does not exist', v_missing
            USING ERRCODE = '23503';
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER ledger_names_a_ticket
AFTER INSERT ON tickets_ledgerentry
REFERENCING NEW TABLE AS ledger_new
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ledger_names_a_ticket();

CREATE FUNCTION tickets_ticket_kept() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ticket_kept: % of tickets is not allowed (a ticket is never deleted or renumbered)', TG_OP
        USING ERRCODE = '23514';
END;
$$;

CREATE TRIGGER ticket_never_deleted
BEFORE DELETE ON tickets_ticket
FOR EACH ROW EXECUTE FUNCTION tickets_ticket_kept();

CREATE TRIGGER ticket_refuse_truncate
BEFORE TRUNCATE ON tickets_ticket
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ticket_kept();

CREATE TRIGGER ticket_key_never_changes
BEFORE UPDATE OF id ON tickets_ticket
FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION tickets_ticket_kept();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_names_a_ticket ON tickets_ledgerentry;
DROP TRIGGER IF EXISTS ticket_never_deleted ON tickets_ticket;
DROP TRIGGER IF EXISTS ticket_refuse_truncate ON tickets_ticket;
DROP TRIGGER IF EXISTS ticket_key_never_changes ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_ledger_names_a_ticket();
DROP FUNCTION IF EXISTS tickets_ticket_kept();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("tickets", "0012_ticket_zone_of_its_event"),
    ]

    operations = [
        # Backward, the key is added back (AlterField) before the triggers go.
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AlterField(
            model_name="ledgerentry",
            name="ticket",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING,
                                    related_name="ledger", to="tickets.ticket", verbose_name="ticket"),
        ),
    ]
