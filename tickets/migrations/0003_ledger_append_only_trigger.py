"""The ledger is append-only: PostgreSQL refuses UPDATE and DELETE of any ledger row.

TRUNCATE is left alone on purpose: it needs table ownership (not granted to the application
role in production) and it is how the test runner resets the database between tests."""
from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION tickets_ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_append_only: % of ledger entries is not allowed', TG_OP
        USING ERRCODE = '23514';
END;
$$;

CREATE TRIGGER ledger_append_only
BEFORE UPDATE OR DELETE ON tickets_ledgerentry
FOR EACH ROW EXECUTE FUNCTION tickets_ledger_append_only();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS ledger_append_only ON tickets_ledgerentry;
DROP FUNCTION IF EXISTS tickets_ledger_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_ticket_irreversible_trigger")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
