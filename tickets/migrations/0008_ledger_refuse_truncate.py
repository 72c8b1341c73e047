"""The ledger refuses TRUNCATE too, not only row UPDATE/DELETE (0003).

A statement-level BEFORE TRUNCATE trigger: row triggers never see a TRUNCATE, which empties the
table without touching a row. The application role cannot TRUNCATE, ALTER or drop triggers at all
(it is not the owner, docs/adr/0019); this trigger makes even the owner drop it first, a
deliberate, visible step. The test runner's flush bypasses it in tests/conftest.py only."""
from django.db import migrations

FORWARD = r"""
CREATE TRIGGER ledger_refuse_truncate
BEFORE TRUNCATE ON tickets_ledgerentry
FOR EACH STATEMENT EXECUTE FUNCTION tickets_ledger_append_only();
"""

BACKWARD = "DROP TRIGGER IF EXISTS ledger_refuse_truncate ON tickets_ledgerentry;"


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_lean_indexes")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
