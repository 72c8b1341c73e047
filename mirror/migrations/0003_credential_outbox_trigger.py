"""Credentials (access_credential) queue events/{event_id}/credentials/{credential_id}, like the
triggers of 0002 do for tickets, events, zones and signing keys (docs/adr/0011)."""
from django.db import migrations

FORWARD = r"""
CREATE FUNCTION ticketcore_outbox_credential() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT 'credential', o.event_id, o.credential_id,
               'events/' || o.event_id || '/credentials/' || o.credential_id, 'D'
        FROM outbox_old o ORDER BY o.credential_id;
    ELSE
        INSERT INTO ticketcore_outbox (kind, event_id, key, path, op)
        SELECT 'credential', n.event_id, n.credential_id,
               'events/' || n.event_id || '/credentials/' || n.credential_id, left(TG_OP, 1)
        FROM outbox_new n ORDER BY n.credential_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER ticketcore_outbox_ins AFTER INSERT ON access_credential
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_credential();
CREATE TRIGGER ticketcore_outbox_upd AFTER UPDATE ON access_credential
    REFERENCING NEW TABLE AS outbox_new FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_credential();
CREATE TRIGGER ticketcore_outbox_del AFTER DELETE ON access_credential
    REFERENCING OLD TABLE AS outbox_old FOR EACH STATEMENT EXECUTE FUNCTION ticketcore_outbox_credential();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ticketcore_outbox_ins ON access_credential;
DROP TRIGGER IF EXISTS ticketcore_outbox_upd ON access_credential;
DROP TRIGGER IF EXISTS ticketcore_outbox_del ON access_credential;
DROP FUNCTION IF EXISTS ticketcore_outbox_credential();
"""


class Migration(migrations.Migration):
    # Moved from the old `ticketcore` app (issue 15): a database migrated before the move has
    # this recorded as ticketcore.0003_credential_outbox_trigger; Django then treats it as applied.
    replaces = [("ticketcore", "0003_credential_outbox_trigger")]

    dependencies = [
        ("mirror", "0002_outbox_triggers"),
        ("access", "0001_initial"),
    ]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
