"""The irreversible state machine, enforced by PostgreSQL.

- `access_status` never goes from true back to false (a scanned ticket stays scanned);
- a ticket's identity (`ticket_id`, `seat_id`, `event`) never changes;
- every update takes a fresh `version` from the sequence (manifest deltas, mirror ordering).

Errors use SQLSTATE 23514 (check_violation) so Django raises IntegrityError, which the services
map to the contract's reason codes."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION tickets_ticket_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.access_status AND NOT NEW.access_status THEN
        RAISE EXCEPTION 'ticket_irreversible: access_status of % cannot go back to false', OLD.ticket_id
            USING ERRCODE = '23514';
    END IF;
    IF NEW.ticket_id IS DISTINCT FROM OLD.ticket_id
       OR NEW.seat_id IS DISTINCT FROM OLD.seat_id
       OR NEW.event_id IS DISTINCT FROM OLD.event_id
       OR NEW.doc_id IS DISTINCT FROM OLD.doc_id THEN
        RAISE EXCEPTION 'ticket_identity_immutable: identity of % cannot change', OLD.ticket_id
            USING ERRCODE = '23514';
    END IF;
    NEW.version := nextval('tickets_ticket_version_seq');
    RETURN NEW;
END;
$$;

CREATE TRIGGER ticket_irreversible
BEFORE UPDATE ON tickets_ticket
FOR EACH ROW EXECUTE FUNCTION tickets_ticket_guard();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ticket_irreversible ON tickets_ticket;
DROP FUNCTION IF EXISTS tickets_ticket_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
