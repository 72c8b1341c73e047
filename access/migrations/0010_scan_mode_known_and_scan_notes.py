"""Manual scans (issue 16): a supervisor admits a ticket whose code will not scan by typing its
seat, id or reference (POST /api/v1/scan/manual). The scan itself is the ordinary one, decided by
`access_scan_ticket` with mode `manual` (its `p_mode` is stored as given, so the function needs no
change); what this adds:

- `scan_mode_known`: a scan's mode is one of access.vocabulary.ScanMode (online, sync, manual),
  so no path can record a mode the audit does not know;
- `access_scannote`: what the supervisor typed and the reason they gave, one row per manual scan
  (named by the scan's (device, scan_id), no foreign key to the scans, so TRUNCATE of the scans
  still meets their own trigger first), written in the scan's transaction; like the scans, never
  updated, deleted or truncated (the existing `access_scan_append_only()` refuses it)."""

import django.db.models.deletion
from django.db import migrations, models

NOTES_APPEND_ONLY = r"""
CREATE TRIGGER scan_note_append_only
BEFORE UPDATE OR DELETE ON access_scannote
FOR EACH ROW EXECUTE FUNCTION access_scan_append_only();

CREATE TRIGGER scan_note_refuse_truncate
BEFORE TRUNCATE ON access_scannote
FOR EACH STATEMENT EXECUTE FUNCTION access_scan_append_only();
"""

NOTES_APPEND_ONLY_BACKWARD = r"""
DROP TRIGGER IF EXISTS scan_note_refuse_truncate ON access_scannote;
DROP TRIGGER IF EXISTS scan_note_append_only ON access_scannote;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0009_checkpoint_and_alert_moved_out"),
        ("devices", "0002_checkpoint_moved_to_events"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="scan",
            constraint=models.CheckConstraint(condition=models.Q(("mode__in", ["online", "sync", "manual"])),
                                              name="scan_mode_known"),
        ),
        migrations.CreateModel(
            name="ScanNote",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("scan_id", models.UUIDField()),
                ("query", models.CharField(max_length=64)),
                ("note", models.CharField(blank=True, default="", max_length=500)),
                ("device", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                             related_name="+", to="devices.device")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("device", "scan_id"), name="scan_note_once_per_scan")],
            },
        ),
        migrations.RunSQL(NOTES_APPEND_ONLY, NOTES_APPEND_ONLY_BACKWARD),
    ]
