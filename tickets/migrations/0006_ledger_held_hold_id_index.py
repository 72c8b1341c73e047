"""Finds a hold's `held` ledger entries by hold id.

Hold rows are deleted when a hold ends (checkout, release, expiry); the ledger keeps the history.
The API uses it to tell a hold that never existed (404) from one that is over (409
`hold_expired`). A partial expression index keeps that lookup independent of ledger size."""
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tickets", "0005_ticket_hold_guard_triggers")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX ledger_held_hold_id_idx ON tickets_ledgerentry ((metadata ->> 'hold_id')) "
            "WHERE action = 'held'",
            "DROP INDEX IF EXISTS ledger_held_hold_id_idx",
        )
    ]
