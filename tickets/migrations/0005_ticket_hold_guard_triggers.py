"""Holds and sales exclude each other, enforced by PostgreSQL.

- `ticket_hold_requires_holdable_ticket`: a hold row is refused for a ticket that is sold
  (`status` false) or assigned to an offline office (`status_offline` true), or that belongs to
  another event than the hold row says. The ticket row is read FOR SHARE, so a concurrent sale or
  assignment either commits first (and we see it) or waits for our commit (and its own trigger
  sees our hold).
- `ticket_held_refuses_sale_and_offline`: a ticket cannot be sold (`status` true -> false) or
  assigned to an office (`status_offline` false -> true) while a live hold (`locked_up` in the
  future by the database clock) exists for it. Checkout deletes its hold rows before it marks
  the tickets sold, in the same transaction. An expired, not yet swept hold does not block:
  expired holds count as available at once.

`clock_timestamp()`, not `now()`: now() is frozen at the start of the transaction, which may
have begun before a lock wait; the guard must judge "live" at the moment it runs.
Errors use SQLSTATE 23514 (check_violation) so Django raises IntegrityError."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION tickets_blocked_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    SELECT status, status_offline, event_id INTO t FROM tickets_ticket WHERE id = NEW.ticket_id FOR SHARE;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key reports the unknown ticket
    END IF;
    IF NOT t.status THEN
        RAISE EXCEPTION 'ticket_not_holdable: ticket % is sold', NEW.ticket_id USING ERRCODE = '23514';
    END IF;
    IF t.status_offline THEN
        RAISE EXCEPTION 'ticket_not_holdable: ticket % is assigned to an offline office', NEW.ticket_id
            USING ERRCODE = '23514';
    END IF;
    IF NEW.event_id IS DISTINCT FROM t.event_id THEN
        RAISE EXCEPTION 'hold_event_mismatch: ticket % belongs to another event', NEW.ticket_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ticket_hold_requires_holdable_ticket
BEFORE INSERT OR UPDATE OF ticket_id, event_id ON tickets_blocked
FOR EACH ROW EXECUTE FUNCTION tickets_blocked_guard();

CREATE OR REPLACE FUNCTION tickets_ticket_hold_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM tickets_blocked WHERE ticket_id = NEW.id AND locked_up > clock_timestamp()) THEN
        RAISE EXCEPTION 'ticket_held: ticket % is in a live checkout hold', OLD.ticket_id
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER ticket_held_refuses_sale_and_offline
BEFORE UPDATE OF status, status_offline ON tickets_ticket
FOR EACH ROW
WHEN ((OLD.status AND NOT NEW.status) OR (NEW.status_offline AND NOT OLD.status_offline))
EXECUTE FUNCTION tickets_ticket_hold_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ticket_held_refuses_sale_and_offline ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_ticket_hold_guard();
DROP TRIGGER IF EXISTS ticket_hold_requires_holdable_ticket ON tickets_blocked;
DROP FUNCTION IF EXISTS tickets_blocked_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_ticket_hold_one_per_ticket")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
