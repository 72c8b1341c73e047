"""Offline offices, enforced by PostgreSQL (docs/adr/0013). The services only produce friendly
answers; these triggers are the guarantee, each proven with raw SQL in
tests/offices/test_offline_offices_guarantees.py.

- `office_device_is_office_of_same_event`: an office's device has role `office`, belongs to the
  office's event, and neither changes afterwards.
- `assignment_requires_assignable_ticket`: a ticket is assigned only while unsold, not already
  flagged offline and not in a live checkout hold (the partial unique index
  `one_open_assignment_per_ticket` keeps it to one office at a time); an assignment is closed
  (returned online) only while its ticket is unsold, only once, and rows are never deleted.
- `ticket_status_offline_matches_assignment` (deferred to commit, on both tables):
  `status_offline` is true exactly while the ticket has an open assignment. So the holds
  triggers (tickets 0005), which read the flag, can trust it.
- `assigned_ticket_sold_only_by_its_office`: while a ticket has an open assignment, its
  `status` goes true -> false only if an accepted sale of that very office is recorded, and an
  office sale is final (false -> true refused). It reads the assignment table, not the flag, so
  it holds even inside a transaction that has not set the flag yet.
- `office_sale_requires_open_assignment`: an accepted sale is recorded only for an unsold ticket
  with an open assignment to the selling office (and `one_accepted_office_sale_per_ticket`
  admits one accepted sale per ticket, ever); sale records are append-only evidence.

Ticket rows are read FOR SHARE so that a concurrent writer of the same ticket either committed
before (and is seen) or waits for this transaction. Errors use SQLSTATE 23514 (check_violation)
so Django raises IntegrityError."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION offices_office_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    d record;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.device_id IS DISTINCT FROM OLD.device_id
                             OR NEW.event_id IS DISTINCT FROM OLD.event_id) THEN
        RAISE EXCEPTION 'office_device_fixed: the device and event of office % cannot change', OLD.office_id
            USING ERRCODE = '23514';
    END IF;
    SELECT role, event_id INTO d FROM devices_device WHERE device_id = NEW.device_id;
    IF FOUND AND (d.role <> 'office' OR d.event_id <> NEW.event_id) THEN
        RAISE EXCEPTION 'office_device_mismatch: device % is not an office device of event %', NEW.device_id,
            NEW.event_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER office_device_is_office_of_same_event
BEFORE INSERT OR UPDATE ON offices_office
FOR EACH ROW EXECUTE FUNCTION offices_office_guard();


CREATE OR REPLACE FUNCTION offices_assignment_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    v_office_event text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'assignment_append_only: assignments are never deleted (ticket %)', OLD.ticket_id
            USING ERRCODE = '23514';
    END IF;
    IF TG_OP = 'UPDATE' THEN
        IF NEW.office_id IS DISTINCT FROM OLD.office_id OR NEW.ticket_id IS DISTINCT FROM OLD.ticket_id
           OR NEW.event_id IS DISTINCT FROM OLD.event_id OR NEW.assigned_at IS DISTINCT FROM OLD.assigned_at
           OR OLD.returned_at IS NOT NULL THEN
            RAISE EXCEPTION 'assignment_immutable: only an open assignment can be closed, once (ticket %)',
                OLD.ticket_id USING ERRCODE = '23514';
        END IF;
        IF NEW.returned_at IS NOT NULL THEN
            SELECT status INTO t FROM tickets_ticket WHERE id = NEW.ticket_id FOR SHARE;
            IF NOT t.status THEN
                RAISE EXCEPTION 'assignment_not_returnable: ticket % was sold by its office', NEW.ticket_id
                    USING ERRCODE = '23514';
            END IF;
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.returned_at IS NOT NULL THEN
        RAISE EXCEPTION 'assignment_born_closed: a new assignment must be open' USING ERRCODE = '23514';
    END IF;
    SELECT event_id, status, status_offline INTO t FROM tickets_ticket WHERE id = NEW.ticket_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key reports the unknown ticket
    END IF;
    SELECT event_id INTO v_office_event FROM offices_office WHERE office_id = NEW.office_id;
    IF t.event_id <> NEW.event_id OR v_office_event IS DISTINCT FROM NEW.event_id THEN
        RAISE EXCEPTION 'assignment_event_mismatch: ticket % and office % are not of event %', NEW.ticket_id,
            NEW.office_id, NEW.event_id USING ERRCODE = '23514';
    END IF;
    IF NOT t.status THEN
        RAISE EXCEPTION 'ticket_not_assignable: ticket % is sold', NEW.ticket_id USING ERRCODE = '23514';
    END IF;
    IF t.status_offline THEN
        RAISE EXCEPTION 'ticket_not_assignable: ticket % is already assigned to an office', NEW.ticket_id
            USING ERRCODE = '23514';
    END IF;
    IF EXISTS (SELECT 1 FROM tickets_blocked WHERE ticket_id = NEW.ticket_id AND locked_up > clock_timestamp()) THEN
        RAISE EXCEPTION 'ticket_not_assignable: ticket % is in a live checkout hold', NEW.ticket_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER assignment_requires_assignable_ticket
BEFORE INSERT OR UPDATE OR DELETE ON offices_officeassignment
FOR EACH ROW EXECUTE FUNCTION offices_assignment_guard();


-- status_offline <=> open assignment, checked when the transaction commits (the services write
-- the assignment row and the flag in one transaction).
CREATE OR REPLACE FUNCTION offices_status_offline_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ticket bigint;
    v_flag boolean;
    v_open boolean;
BEGIN
    -- Separate branches: PL/pgSQL plans a statement only when it first runs, per table.
    IF TG_TABLE_NAME = 'tickets_ticket' THEN
        v_ticket := NEW.id;
    ELSE
        v_ticket := NEW.ticket_id;
    END IF;
    SELECT status_offline INTO v_flag FROM tickets_ticket WHERE id = v_ticket;
    v_open := EXISTS (SELECT 1 FROM offices_officeassignment WHERE ticket_id = v_ticket AND returned_at IS NULL);
    IF v_flag IS DISTINCT FROM v_open THEN
        RAISE EXCEPTION 'status_offline_mismatch: ticket % has status_offline=% but open assignment=%',
            v_ticket, v_flag, v_open USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER ticket_status_offline_matches_assignment
AFTER INSERT OR UPDATE ON offices_officeassignment
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW EXECUTE FUNCTION offices_status_offline_check();

CREATE CONSTRAINT TRIGGER ticket_status_offline_matches_assignment
AFTER UPDATE OF status_offline ON tickets_ticket
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (OLD.status_offline IS DISTINCT FROM NEW.status_offline)
EXECUTE FUNCTION offices_status_offline_check();

CREATE CONSTRAINT TRIGGER ticket_inserted_offline_matches_assignment
AFTER INSERT ON tickets_ticket
DEFERRABLE INITIALLY DEFERRED
FOR EACH ROW WHEN (NEW.status_offline)
EXECUTE FUNCTION offices_status_offline_check();


CREATE OR REPLACE FUNCTION offices_ticket_sale_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_office text;
BEGIN
    SELECT office_id INTO v_office FROM offices_officeassignment WHERE ticket_id = NEW.id AND returned_at IS NULL;
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF NEW.status THEN
        RAISE EXCEPTION 'office_sale_final: ticket % was sold by office %', OLD.ticket_id, v_office
            USING ERRCODE = '23514';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM offices_officesale
                    WHERE ticket_id = NEW.id AND office_id = v_office AND result = 'accepted') THEN
        RAISE EXCEPTION 'ticket_assigned_to_office: ticket % can only be sold by office %', OLD.ticket_id, v_office
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER assigned_ticket_sold_only_by_its_office
BEFORE UPDATE OF status ON tickets_ticket
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION offices_ticket_sale_guard();


CREATE OR REPLACE FUNCTION offices_sale_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'office_sale_append_only: % of office sales is not allowed', TG_OP USING ERRCODE = '23514';
    END IF;
    IF NEW.result <> 'accepted' THEN
        RETURN NEW;  -- a rejected sale is evidence of money taken; always recordable
    END IF;
    SELECT event_id, status INTO t FROM tickets_ticket WHERE id = NEW.ticket_id FOR SHARE;
    IF NOT FOUND OR t.event_id <> NEW.event_id THEN
        RAISE EXCEPTION 'office_sale_event_mismatch: ticket % is not of event %', NEW.ticket_id, NEW.event_id
            USING ERRCODE = '23514';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM offices_officeassignment
                    WHERE ticket_id = NEW.ticket_id AND office_id = NEW.office_id AND returned_at IS NULL) THEN
        RAISE EXCEPTION 'office_sale_not_assigned: ticket % is not assigned to office %', NEW.ticket_id,
            NEW.office_id USING ERRCODE = '23514';
    END IF;
    IF NOT t.status THEN
        RAISE EXCEPTION 'office_sale_already_sold: ticket % is sold', NEW.ticket_id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER office_sale_requires_open_assignment
BEFORE INSERT OR UPDATE OR DELETE ON offices_officesale
FOR EACH ROW EXECUTE FUNCTION offices_sale_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS office_sale_requires_open_assignment ON offices_officesale;
DROP FUNCTION IF EXISTS offices_sale_guard();
DROP TRIGGER IF EXISTS assigned_ticket_sold_only_by_its_office ON tickets_ticket;
DROP FUNCTION IF EXISTS offices_ticket_sale_guard();
DROP TRIGGER IF EXISTS ticket_inserted_offline_matches_assignment ON tickets_ticket;
DROP TRIGGER IF EXISTS ticket_status_offline_matches_assignment ON tickets_ticket;
DROP TRIGGER IF EXISTS ticket_status_offline_matches_assignment ON offices_officeassignment;
DROP FUNCTION IF EXISTS offices_status_offline_check();
DROP TRIGGER IF EXISTS assignment_requires_assignable_ticket ON offices_officeassignment;
DROP FUNCTION IF EXISTS offices_assignment_guard();
DROP TRIGGER IF EXISTS office_device_is_office_of_same_event ON offices_office;
DROP FUNCTION IF EXISTS offices_office_guard();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("offices", "0001_offices_assignments_sales"),
        ("tickets", "0006_ledger_held_hold_id_index"),
        ("devices", "0001_initial"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
