"""Scan records refuse TRUNCATE too, not only row UPDATE/DELETE (0004).

Statement-level BEFORE TRUNCATE trigger, the same guard as tickets 0008 for the ledger: even the
owner must drop the trigger before emptying the evidence (docs/adr/0019)."""
from django.db import migrations

FORWARD = r"""
CREATE TRIGGER scan_refuse_truncate
BEFORE TRUNCATE ON access_scan
FOR EACH STATEMENT EXECUTE FUNCTION access_scan_append_only();
"""

BACKWARD = "DROP TRIGGER IF EXISTS scan_refuse_truncate ON access_scan;"


class Migration(migrations.Migration):
    dependencies = [("access", "0006_lean_indexes")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
